"""The generic explorer: controls -> compute -> draw, live in JupyterLab and kernel-free in the book.

:class:`BaseExplorer` owns the controls (ipywidgets made from
:mod:`descent.explore.controls` specs, ``interact``-style), the update
lifecycle and the display; a subclass says what to compute and how to draw::

    class MyExplorer(BaseExplorer):
        def compute(self, values): ...          # numbers for one setting
        def draw(self, result): ...             # put them on the live figure
        def static_figure(self): ...            # a StaticFigure over the book's grid

The lifecycle is ``__init__ -> refresh() -> draw()``: every control change
calls :meth:`refresh`, which computes for the current values, then draws.
``update(**values)`` sets several controls and refreshes once. Change events
are not queued up in the kernel: ipywidgets' front end holds back a slider's
next value until the kernel has answered the previous one, so a drag is
coalesced into as many frames as the kernel can draw.

The mimebundle carries the live widget, the kernel-free ``text/html`` (see
:mod:`descent.explore.static`) and ``text/plain``; the book's myst-nb setting
drops the widget view, JupyterLab shows it.
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Any, Mapping

import numpy as np

from .frames import complete_frames
from .controls import Choice, Slider, Toggle, label

__all__ = ["LiveAndStatic", "BaseExplorer", "make_widget", "ipympl_canvas"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class LiveAndStatic:
    """Display mix-in: the live widget for JupyterLab and a kernel-free HTML view for the book.

    A subclass provides ``widget`` (an ipywidgets container), ``static_html()``
    and ``__repr__``; its mimebundle then carries all three.
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        def wanted(mime: str) -> bool:
            return (include is None or mime in include) and (exclude is None or mime not in exclude)

        bundle: dict[str, Any] = {}
        if wanted("text/plain"):
            bundle["text/plain"] = repr(self)
        if wanted(WIDGET_VIEW):
            view = self.widget._repr_mimebundle_() or {}
            if WIDGET_VIEW in view:
                bundle[WIDGET_VIEW] = view[WIDGET_VIEW]
        if wanted("text/html"):
            bundle["text/html"] = self.static_html()
        return bundle


def make_widget(name: str, spec: Slider | Choice | Toggle, *, continuous: bool = True, dim: int = 2,
                width: str = "280px") -> Any:
    """The ipywidget of a control: a (log, integer, selection) slider, a dropdown or a check box."""
    import ipywidgets as w

    desc = label(name, dim)
    if isinstance(spec, Toggle):
        return w.Checkbox(value=bool(spec.value), description=desc, indent=False, layout=w.Layout(width="auto"))
    common = dict(description=desc, style={"description_width": "80px"}, layout=w.Layout(width=width))
    if isinstance(spec, Choice):
        return w.Dropdown(options=list(spec.options), value=spec.value, **common)
    common["continuous_update"] = continuous
    if spec.integer and spec.log:
        return w.SelectionSlider(options=spec.options(), value=int(spec.value), **common)
    if spec.integer:
        return w.IntSlider(min=int(spec.low), max=int(spec.high), value=int(spec.value),
                           step=int(spec.step or 1), **common)
    if spec.log:
        return w.FloatLogSlider(min=np.log10(spec.low), max=np.log10(spec.high), value=spec.value, base=10,
                                step=spec.step or 0.05, readout_format=".3g", **common)
    step = spec.step or (spec.high - spec.low) / 200
    return w.FloatSlider(min=spec.low, max=spec.high, value=spec.value, step=step,
                         readout_format=".3f" if step < 0.01 else ".2f", **common)


# ------------------------------------------------------------------- ipympl
_IMPORT_LOCK = threading.Lock()


def _ipympl() -> Any:
    """``ipympl.backend_nbagg``, imported without switching pyplot's backend; None if unavailable.

    ``import ipympl`` calls ``matplotlib.use("module://ipympl.backend_nbagg")``
    when matplotlib is already imported, which would turn every later inline
    figure of the notebook into a widget. Hiding ``matplotlib`` from
    ``sys.modules`` while the package's ``__init__`` runs skips that call.
    """
    with _IMPORT_LOCK:
        try:
            if "ipympl" not in sys.modules:
                saved = sys.modules.pop("matplotlib")
                try:
                    import ipympl  # noqa: F401
                finally:
                    sys.modules["matplotlib"] = saved
            import ipympl.backend_nbagg as nbagg
        except ImportError:
            return None
    return nbagg


def ipympl_canvas(fig: Any) -> Any:
    """An ipympl canvas (a widget) for ``fig``, or None when ipympl is not installed."""
    nbagg = _ipympl()
    if nbagg is None:
        return None
    canvas = nbagg.Canvas(fig)
    with warnings.catch_warnings():
        # ipympl 0.10's Toolbar passes its canvas on to traitlets, which warns.
        warnings.filterwarnings("ignore", message=r"Passing unrecognized arguments to super\(Toolbar\)",
                                category=DeprecationWarning)
        nbagg.FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_position = "left"
    complete_frames(canvas)  # never diff frames: see descent.explore.frames
    return canvas


class BaseExplorer(LiveAndStatic):
    """Controls -> compute -> draw; see the module notes. Subclasses call :meth:`_setup_controls` first."""

    controls: dict[str, Slider | Choice | Toggle]
    sliders: dict[str, Any]

    def _setup_controls(self, controls: Mapping[str, Slider | Choice | Toggle], *, continuous: bool = True,
                        dim: int = 2) -> None:
        self.controls = dict(controls)
        self.sliders = {n: make_widget(n, c, continuous=continuous, dim=dim) for n, c in self.controls.items()}
        self._hold = False
        self._html_cache: tuple[Any, str] | None = None

    def _setup_png_panel(self) -> None:
        """One axes drawn off screen (Agg) and shown as a PNG image: ``fig``, ``ax``, ``_image``, ``_text``.

        The layout is fixed (no layout engine), so a redraw never re-solves it.
        """
        import ipywidgets as w
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from .. import viz

        with mpl.rc_context(viz.style_rc() | {"figure.constrained_layout.use": False}):
            self.fig = Figure(figsize=(7.0, 3.4), dpi=100, layout="none")
            FigureCanvasAgg(self.fig)
            self.ax = self.fig.add_subplot()
            self.fig.subplots_adjust(left=0.12, right=0.98, bottom=0.15, top=0.9)
        self._image = w.Image(format="png", layout=w.Layout(width="700px", max_width="100%"))
        self._text = w.HTML()

    def _observe(self, widgets: Any) -> None:
        for wdg in widgets:
            wdg.observe(self._on_change, names="value")

    @property
    def values(self) -> dict[str, Any]:
        """Current control values, clamped to their valid ranges."""
        return {n: self.controls[n].clamp(s.value) for n, s in self.sliders.items()}

    def _set(self, values: Mapping[str, Any]) -> None:
        unknown = [n for n in values if n not in self.sliders]
        if unknown:
            raise ValueError(f"no slider named {unknown[0]!r}; the sliders are {sorted(self.sliders)}")
        for n, v in values.items():
            self.sliders[n].value = self.controls[n].clamp(v)

    def update(self, **values: Any) -> None:
        """Set controls (clamped to their ranges) and recompute once."""
        self._hold = True
        try:
            self._set(values)
        finally:
            self._hold = False
        self.refresh()

    def _on_change(self, change: Any) -> None:
        if not self._hold:
            self.refresh()

    def refresh(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def book_controls(self) -> dict[str, Slider | Choice | Toggle]:
        """The controls shown in the book (``book`` not False), in order."""
        return {n: c for n, c in self.controls.items() if c.book is not False}

    def static_html(self) -> str:
        """The kernel-free view (cached until a control moves)."""
        key = self._static_key()
        if self._html_cache is not None and self._html_cache[0] == key:
            return self._html_cache[1]
        html = self._render_static()
        self._html_cache = (key, html)
        return html

    def _static_key(self) -> Any:
        return tuple(sorted((k, repr(v)) for k, v in self.values.items()))

    def _render_static(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def control_spec(name: str, spec: Slider | Choice | Toggle, values: list, current: Any, dim: int = 2) -> dict:
    """A control's entry in a :class:`descent.explore.static.StaticFigure`."""
    if isinstance(spec, Toggle):
        values = [False, True]
        labels = ["off", "on"]
    elif isinstance(spec, Choice):
        labels = [str(v) for v in values]
    else:
        labels = [f"{int(v)}" if isinstance(v, (int, np.integer)) else f"{float(v):.3g}" for v in values]
    try:
        index = values.index(current)
    except ValueError:
        fl = np.array([float(v) for v in values])
        index = int(np.argmin(np.abs(fl - float(current))))
    return {"name": name, "label": label(name, dim), "kind": spec.kind, "values": values, "labels": labels,
            "index": index}

r"""Explorers: sliders over hyperparameters, live in JupyterLab, scrubbable in the book.

:func:`explore` builds one :class:`Explorer` for any landscape and one or more
optimizers::

    ex = explore(Rosenbrock(), {"SGD": lambda lr, momentum: SGD(lr=lr, momentum=momentum),
                                "Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2))},
                 x0=[-1.5, 2.0], steps=200)
    ex          # last line of a cell: the live explorer (JupyterLab) or its animation (book)

Left: the contour of the objective with each optimizer's path (for 1-D
problems the graph of :math:`f` with the iterates); right: the suboptimality
:math:`f(\theta_t) - f^\star` against the step; above: the sliders and a
checkbox per optimizer; below: one line per optimizer in words (final loss,
step at which it got within ``tol``, or the step at which it diverged). Every
number comes from :func:`descent.run.minimize`: the explorer shows exactly what
``minimize(problem, x0, optimizer, steps)`` returns for the slider values.

How the figure is drawn
-----------------------
The live figure is an ipympl canvas (a widget of the ``jupyter-matplotlib``
JupyterLab extension) made directly from a ``matplotlib.figure.Figure``, so
**no magic is needed**: ``%matplotlib inline`` (the default) stays the
backend of every other figure. (Importing ``ipympl`` would normally switch
pyplot's backend to ``widget``; :func:`explore` imports it without that side
effect.) A slider change recomputes the runs, moves the existing lines with
``set_data`` and redraws only those lines over a cached background (blitting),
so the canvas sends the browser just the changed pixels. When an axis limit
changes (the loss axis snaps to whole decades, so that is rare) it calls
``fig.canvas.draw_idle()`` instead and the browser asks for a full redraw.
Without ipympl (``backend="png"``, or ``"auto"`` when ipympl is not
installed) the figure is rendered to PNG into an ``ipywidgets.Image`` after
every change: slower, but the same controls.

The fallback animation is built when the explorer is displayed (about a
second; cached until a slider moves), so display the explorer once, as the
last expression of its cell. Its ``text/html`` carries random element ids and
base64 frames: tag the cell ``nbval-ignore-output`` or sanitize them.

The book
--------
A rendered book has no kernel, so the explorer also carries a ``text/html``
fallback: a small animation (matplotlib ``FuncAnimation`` as ``to_jshtml``,
at most 12 frames) that scrubs one slider, by default the learning rate over
10 log-spaced values of its range, with each frame titled by the value and the
outcome ("lr = 0.03: SGD final loss 0.0012; Adam diverged at step 12"). The
animation loads nothing from outside the page: matplotlib's Font Awesome
stylesheet link is removed and the player buttons are labelled with plain
text symbols. With the myst-nb setting in ``_config.yml`` the book drops the
widget view and shows this fallback; JupyterLab shows the widget.
"""

from __future__ import annotations

import html as _html
import inspect
import io
import re
import sys
import textwrap
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

from . import viz
from ._validation import check_float_array, check_in_range, check_int
from .run import Trajectory, minimize

__all__ = ["Slider", "Explorer", "LiveAndStatic", "explore", "offline_jshtml"]

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_MAX_FRAMES = 12
_RESERVED = ("steps", "batch_size", "x0_0", "x0_1")
_NICE = [1, 2, 5, 10]  # tick steps


@dataclass(frozen=True)
class Slider:
    """Specification of one slider: range, initial value, log scale and step.

    A slider is an integer slider when ``low``, ``high`` and ``value`` are all
    ``int`` (``steps``, ``batch_size``); an integer slider with ``log=True``
    offers powers of two (and the ends) as its positions.

    Parameters
    ----------
    low, high : float
        The range, ``low < high``; ``low > 0`` when ``log=True``.
    value : float
        Initial value, in ``[low, high]``.
    log : bool, default False
        Logarithmic slider (``FloatLogSlider``), for rates and batch sizes.
    step : float, optional
        Increment (for a log slider: of ``log10(value)``).
    """

    low: float
    high: float
    value: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        for field in ("low", "high", "value"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
                raise TypeError(f"Slider.{field} must be a finite real number; got {v!r}")
        if not self.low < self.high:
            raise ValueError(f"Slider needs low < high; got low={self.low!r}, high={self.high!r}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"Slider.value must be in [{self.low}, {self.high}]; got {self.value!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log Slider needs low > 0; got low={self.low!r}")
        if self.step is not None and not (np.isfinite(self.step) and self.step > 0):
            raise ValueError(f"Slider.step must be > 0; got {self.step!r}")

    @property
    def integer(self) -> bool:
        """True when the slider takes integer values."""
        return all(isinstance(v, (int, np.integer)) for v in (self.low, self.high, self.value))

    def options(self) -> list[int]:
        """Positions of an integer log slider: powers of two in range, the ends and the value."""
        lo, hi = int(self.low), int(self.high)
        pts = {lo, hi, int(self.value)} | {2**k for k in range(64) if lo <= 2**k <= hi}
        return sorted(pts)

    def clamp(self, value: Any) -> Any:
        """``value`` clipped to ``[low, high]`` (and snapped to an option or integer)."""
        v = float(value)
        if not np.isfinite(v):
            raise ValueError(f"slider values must be finite; got {value!r}")
        v = min(max(v, float(self.low)), float(self.high))
        if not self.integer:
            return v
        if self.log:
            opts = np.array(self.options(), dtype=float)
            return int(opts[np.argmin(np.abs(np.log(opts) - np.log(max(v, 1e-300))))])
        return int(round(v))


# Valid ranges of known hyperparameters: (low, high, low_open). Slider specs are
# intersected with these, so no slider can produce an invalid optimizer.
_LIMITS: dict[str, tuple[float, float, bool]] = {
    "lr": (0.0, np.inf, True),
    "momentum": (0.0, 0.999, False),
    "beta1": (0.0, 0.999, False),
    "beta2": (0.0, 0.999, False),
    "alpha": (0.0, 0.999, False),
    "rho": (0.0, 0.999, False),
    "dampening": (0.0, 1.0, False),
    "weight_decay": (0.0, np.inf, False),
    "eps": (0.0, np.inf, True),
    "steps": (1, np.inf, False),
}

_KNOWN = {
    "momentum": Slider(0.0, 0.99, 0.9, step=0.01),
    "beta1": Slider(0.0, 0.999, 0.9, step=0.001),
    "beta2": Slider(0.0, 0.999, 0.999, step=0.001),
    "alpha": Slider(0.0, 0.999, 0.99, step=0.001),
    "rho": Slider(0.0, 0.999, 0.9, step=0.001),
    "dampening": Slider(0.0, 1.0, 0.0, step=0.01),
    "weight_decay": Slider(0.0, 0.1, 0.0, step=0.001),
    "eps": Slider(1e-10, 1.0, 1e-8, log=True, step=0.5),
}
_ALWAYS = ("lr", "momentum", "beta1", "beta2")  # get a slider whenever a factory accepts them


def _limit(name: str, spec: Slider) -> Slider:
    """Intersect ``spec`` with the valid range of hyperparameter ``name``."""
    if name not in _LIMITS:
        return spec
    lo, hi, open_low = _LIMITS[name]
    if open_low and spec.low <= lo:
        raise ValueError(f"the {name} slider must have low > {lo:g}; got low={spec.low!r}")
    low, high = max(spec.low, lo), min(spec.high, hi)
    if not low < high:
        raise ValueError(f"the {name} slider range [{spec.low}, {spec.high}] leaves no valid values in [{lo:g}, {hi:g}]")
    cast = int if spec.integer else float
    low, high = cast(low), cast(high)
    return Slider(low, high, cast(min(max(spec.value, low), high)), spec.log, spec.step)


def _default_lr(problem: Any) -> Slider:
    L = getattr(problem, "L", None)
    if isinstance(L, (int, float)) and np.isfinite(L) and L > 0:
        return Slider(10.0 ** np.floor(np.log10(1e-3 / L)), 10.0 ** np.ceil(np.log10(10 / L)),
                      float(10.0 ** np.round(np.log10(0.1 / L))), log=True, step=0.05)
    return Slider(1e-4, 1.0, 1e-2, log=True, step=0.05)


# ------------------------------------------------------------------ factories
@dataclass
class _Factory:
    name: str
    build: Callable[..., Any]
    params: tuple[str, ...]       # slider names it receives
    required: tuple[str, ...]     # of those, the ones without a default
    defaults: dict[str, float]    # numeric defaults, to seed shared sliders
    any_kwargs: bool = False


def _factory(name: str, f: Any) -> _Factory:
    if not callable(f):
        raise TypeError(f"optimizers[{name!r}] must be a callable (**hyperparameters) -> Optimizer; got {f!r}")
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise TypeError(f"optimizers[{name!r}]: cannot read the signature of {f!r}") from None
    params, required, defaults, any_kw = [], [], {}, False
    betas = None
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            any_kw = True
            continue
        if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        if isinstance(f, type) and p.name == "betas":  # an optimizer class: betas -> beta1, beta2
            betas = p.default if p.default is not p.empty else None
            params += ["beta1", "beta2"]
            if betas is not None:
                defaults.update(beta1=float(betas[0]), beta2=float(betas[1]))
            continue
        params.append(p.name)
        if p.default is p.empty:
            required.append(p.name)
        elif isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
            defaults[p.name] = float(p.default)

    def build(**kw: Any) -> Any:
        if "beta1" in kw and isinstance(f, type):
            kw["betas"] = (kw.pop("beta1"), kw.pop("beta2"))
        return f(**kw)

    return _Factory(name, build, tuple(params), tuple(required), defaults, any_kw)


def _factories(optimizers: Any) -> dict[str, _Factory]:
    if isinstance(optimizers, Mapping):
        items = list(optimizers.items())
    elif isinstance(optimizers, (list, tuple)):
        items = [(getattr(c, "__name__", repr(c)), c) for c in optimizers]
    else:
        raise TypeError(f"optimizers must be a dict name -> factory or a list of optimizer classes; got {type(optimizers).__name__}")
    if not items:
        raise ValueError("optimizers must name at least one optimizer")
    names = [str(n) for n, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"optimizer names must be unique; got {names}")
    return {str(n): _factory(str(n), f) for n, f in items}


class _SideBySide:
    """K optimizers on the rows ``params[..., k, :]`` of one stacked array.

    Lets one :func:`minimize` call run several optimizers from the same start:
    the problem is evaluated once per step for all of them, and each row's
    trajectory is exactly what ``minimize`` gives for that optimizer alone.
    """

    def __init__(self, optimizers: Sequence[Any]) -> None:
        self.optimizers = list(optimizers)

    def init(self, params: np.ndarray) -> tuple:
        return tuple(o.init(params[..., k, :]) for k, o in enumerate(self.optimizers))

    def update(self, params: np.ndarray, grads: np.ndarray, state: tuple) -> tuple[np.ndarray, tuple]:
        out, new = np.empty_like(params), []
        for k, (o, s) in enumerate(zip(self.optimizers, state)):
            p, s = o.update(params[..., k, :], grads[..., k, :], s)
            out[..., k, :] = p
            new.append(s)
        return out, tuple(new)


def _pick(traj: Trajectory, index: tuple) -> Trajectory:
    """The single run ``index`` (over the batch axes) of a batched trajectory."""
    ix = (slice(None),) + index
    return Trajectory(traj.points[ix], traj.losses[ix], np.asarray(traj.divergence_steps[index]), traj.min_value)


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


def _ipympl_canvas(fig: Figure) -> Any:
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
    _complete_frames(canvas)
    return canvas


def _complete_frames(canvas: Any) -> None:
    """Make an ipympl ``canvas`` send every frame as a complete PNG, never as a diff.

    matplotlib's web canvas normally sends a frame as a "diff" (only the
    pixels that changed since the previous frame; the rest transparent) and
    the browser paints it over what it shows. ipympl's front end loads each
    frame into a single ``<img>``: a frame that arrives while the previous
    one is still loading replaces it, so the previous frame is never painted,
    and it reads the image mode (full or diff) when a frame finishes loading,
    not when it arrived. A full frame followed at once by a blitted diff (as
    after Run All, when the browser's first slider sync triggers a redraw right
    after the first full frame) then leaves a blank figure holding only the
    changed pixels. A complete frame cannot depend on one that was dropped.
    Encoding one with :func:`_fast_png` takes about 2 ms, against 40 ms for a
    diff through Pillow.
    """

    def frame() -> bytes | None:
        if not canvas._png_is_old:
            return None
        pixels = np.asarray(canvas.get_renderer().buffer_rgba())
        canvas._png_is_old = False
        canvas._force_full = False
        canvas.set_image_mode("full")
        if getattr(canvas, "syncing_data_url", False):  # ipympl re-encodes _last_buff as the saved image
            canvas._last_buff = pixels.view(np.uint32).squeeze(2).copy()
        return _fast_png(pixels)

    canvas.get_diff_image = frame


def _fast_png(pixels: np.ndarray) -> bytes:
    """A lossless PNG of an RGBA ``uint8`` image of shape (h, w, 4), made for speed.

    Each row is stored with PNG's "Up" filter (its difference from the row
    above, modulo 256), which turns the large flat areas of a figure into
    zeros, and compressed at zlib level 1; an opaque image drops its alpha
    channel. For an 840 x 340 figure this takes about 2 ms and about 40 KB.

    Examples
    --------
    >>> from PIL import Image
    >>> px = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    >>> opaque = px.copy(); opaque[..., 3] = 255
    >>> [bool((np.asarray(Image.open(io.BytesIO(_fast_png(a)))) == a[..., :a.shape[2] - (a is opaque)]).all())
    ...  for a in (px, opaque)]
    [True, True]
    """
    import struct
    import zlib

    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"pixels must be a uint8 array of shape (h, w, 4); got {pixels.dtype} {pixels.shape}")
    h, w, _ = pixels.shape
    if pixels[..., 3].min() == 255:
        pixels, colour = pixels[..., :3], 2  # RGB
    else:
        colour = 6  # RGBA
    raw = np.empty((h, 1 + w * pixels.shape[2]), np.uint8)
    raw[:, 0] = 2  # filter type Up
    rows = raw[:, 1:].reshape(pixels.shape)
    rows[0] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:])  # uint8: wraps modulo 256, as PNG wants

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------- panels
def _fmt(v: Any) -> str:
    return f"{int(v)}" if isinstance(v, (int, np.integer)) else f"{float(v):.3g}"


def _short(name: str, traj: Trajectory, tol: float | None) -> str:
    k = int(traj.divergence_steps)
    if k >= 0:
        return f"{name} diverged at step {k}"
    if tol is not None and np.isfinite(traj.min_value):
        s = traj.steps_to(tol)
        if s is not None:
            return f"{name} within {tol:g} at step {s}"
    return f"{name} final loss {float(traj.final_loss):.2g}"


class _Panels:
    """Path panel (contour or curve) and loss panel of one figure, with artists updated in place."""

    def __init__(self, fig: Figure, problem: Any, names: Sequence[str], tol: float | None, *,
                 resolution: int, legend_size: float, legend_cols: int) -> None:
        self.problem, self.names = problem, list(names)
        self.min_value = float(getattr(problem, "min_value", np.nan))
        dim = int(problem.dim)
        if dim in (1, 2):
            self.ax_path, self.ax_loss = fig.subplots(1, 2)
            if dim == 2:
                viz.contour(problem, self.ax_path, resolution=resolution)
            else:
                viz.curve(problem, self.ax_path)
            empty = np.full((1, dim), np.nan)
            self.paths = {n: viz.trajectory(self.ax_path, empty, values=np.full(1, np.nan), style_index=i)
                          for i, n in enumerate(self.names)}
        else:
            self.ax_path, self.ax_loss, self.paths = None, fig.subplots(), {}
        curves = viz.loss_curves(self.ax_loss, [np.full(1, np.nan)] * len(self.names), labels=self.names,
                                 min_value=self.min_value, log=False)
        self.curves = dict(zip(self.names, curves))
        self.log = False
        self.tol = tol if tol is not None and np.isfinite(self.min_value) else None
        if self.tol is not None:
            self.ax_loss.axhline(tol, color="0.45", linestyle=":", linewidth=1.0)
            self.ax_loss.text(0.99, tol, f"tol = {tol:g}", transform=self.ax_loss.get_yaxis_transform(),
                              ha="right", va="bottom", fontsize=legend_size, color="0.35", clip_on=True)
        # The legend sits above the loss panel: it never hides a curve, and it stays in the
        # cached background instead of being redrawn with the lines.
        ncol = min(len(self.names), legend_cols)
        self.legend_rows = -(-len(self.names) // ncol)
        self.ax_loss.legend(loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=ncol, fontsize=legend_size,
                            handlelength=2.2, columnspacing=1.0, borderaxespad=0.0, frameon=False)
        # Few tick labels: text is most of a redraw's cost.
        for ax in (self.ax_path, self.ax_loss):
            if ax is not None:
                ax.xaxis.set_major_locator(MaxNLocator(5, steps=_NICE))
                ax.yaxis.set_major_locator(MaxNLocator(5, steps=_NICE))

    def artists(self) -> list:
        """Every artist that changes between updates (drawn on top of a cached background)."""
        out = [a for c in self.curves.values() for a in c]
        return out + [a for p in self.paths.values() for a in p]

    def show(self, trajs: Mapping[str, Trajectory | None], steps: int) -> bool:
        """Put ``trajs`` into the artists; return True when the axes themselves changed."""
        plotted = []
        for n in self.names:
            t = trajs.get(n)
            curve, path = self.curves[n], self.paths.get(n)
            if t is None:
                curve.set_visible(False)
                if path is not None:
                    path.set_visible(False)
                continue
            curve.set_visible(True)
            plotted.append(curve.set_data(t.losses, self.min_value))
            if path is not None:
                path.set_visible(True)
                path.set_data(t.points, t.losses)
        y = np.concatenate(plotted) if plotted else np.zeros(0)
        before = (self.log, self.ax_loss.get_ylim(), self.ax_loss.get_xlim())
        log = viz.wants_log(y)
        if log != self.log:
            self.ax_loss.set_yscale("log" if log else "linear")
            self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=6) if log else MaxNLocator(5, steps=_NICE))
            self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
            self.log = log
        finite = y[np.isfinite(y) & ((y > 0) if log else True)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            if log and self.tol is not None:
                lo = min(lo, self.tol)
            # A diverging run would squash the others: show at most 1000x the largest start value.
            starts = [v[0] for v in plotted if v.size and np.isfinite(v[0])]
            cap = 1e3 * max(starts) if starts and max(starts) > 0 else hi
            hi = min(hi, max(cap, lo))
            # Limits snap to decades (log) or round numbers (linear): they change only now and then,
            # so most updates redraw just the lines over a cached background.
            if log:
                ylim = (10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi) + 1e-9))
            else:
                unit = 10.0 ** np.floor(np.log10(max(hi - lo, abs(hi), 1e-300))) / 2
                ylim = (np.floor(lo / unit) * unit, np.ceil(hi / unit) * unit)
                if ylim[1] <= ylim[0]:
                    ylim = (ylim[0] - unit, ylim[1] + unit)
            if self.ax_loss.get_ylim() != ylim:
                self.ax_loss.set_ylim(ylim)
            top = ylim[1]
            for n in trajs:  # keep divergence markers on the panel, at its top edge
                mark = self.curves[n].marker
                my = np.asarray(mark.get_ydata(), dtype=float)
                if my.size and my[0] > top:
                    mark.set_ydata([top / 1.15 if log else top])
        if self.ax_loss.get_xlim() != (0, max(steps, 1)):
            self.ax_loss.set_xlim(0, max(steps, 1))
        return (self.log, self.ax_loss.get_ylim(), self.ax_loss.get_xlim()) != before


# ------------------------------------------------------------------ explorer
class LiveAndStatic:
    """Display mix-in: the live widget for JupyterLab and a kernel-free HTML fallback for the book.

    A subclass provides ``widget`` (an ipywidgets container), ``static_html()``
    and ``__repr__``; its mimebundle then carries all three, and the book's
    myst-nb configuration drops the widget view in favour of the HTML.
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        def wanted(mime: str) -> bool:
            return (include is None or mime in include) and (exclude is None or mime not in exclude)

        bundle: dict[str, Any] = {}
        if wanted("text/plain"):
            bundle["text/plain"] = repr(self)
        if wanted(_WIDGET_VIEW):
            view = self.widget._repr_mimebundle_() or {}
            if _WIDGET_VIEW in view:
                bundle[_WIDGET_VIEW] = view[_WIDGET_VIEW]
        if wanted("text/html"):
            bundle["text/html"] = self.static_html()
        return bundle


class Explorer(LiveAndStatic):
    """A live explorer (ipywidgets) with a kernel-free animated fallback; build it with :func:`explore`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The controls, the figure and the summary lines.
    sliders : dict of str -> ipywidgets widget
        One per slider name (``lr``, ``steps``, ``momentum``, ``x0_0``, ...).
    checkboxes : dict of str -> ipywidgets.Checkbox
        Which optimizers are shown.
    fig : matplotlib.figure.Figure
        The live figure; ``paths[name]`` / ``curves[name]`` are its artists.
    trajectories : dict of str -> Trajectory
        The runs currently shown.
    summaries : dict of str -> str
        The line in words per shown optimizer (``Trajectory.summary``).
    backend : str
        ``"ipympl"`` or ``"png"`` (see the module notes).
    """

    def __init__(self, problem: Any, factories: dict[str, _Factory], x0: np.ndarray,
                 specs: dict[str, Slider], hyper: tuple[str, ...], *, static: Any, tol: float | None,
                 title: str | None, batch_size: int | None, rng_seed: int, backend: str,
                 static_mode: str, continuous_update: bool) -> None:
        import ipywidgets as w

        self.problem, self._factories, self.specs = problem, factories, specs
        self._hyper, self.tol, self.title, self.rng_seed = hyper, tol, title, rng_seed
        self._x0_default = x0
        self._static, self._static_mode = static, static_mode
        self.names = list(factories)
        self._cache: dict[tuple, Trajectory] = {}
        self._html_cache: tuple[tuple, str] | None = None
        self._hold = False

        self.sliders = {n: self._make_slider(w, n, s, continuous_update) for n, s in specs.items()}
        self.checkboxes = {n: w.Checkbox(value=True, description=n, indent=False,
                                         layout=w.Layout(width="auto")) for n in self.names}
        with mpl.rc_context(viz.style_rc() | {"font.size": 10, "axes.labelsize": 10, "xtick.labelsize": 9,
                                             "ytick.labelsize": 9}):
            # fixed margins, no layout engine: a redraw never re-solves the layout
            self.fig = Figure(figsize=(8.4, 3.4), dpi=100, layout="none")
            canvas = _ipympl_canvas(self.fig) if backend in ("auto", "ipympl") else None
            if canvas is None and backend == "ipympl":
                raise ImportError("backend='ipympl' needs the ipympl package; install it or use backend='auto'")
            self.backend = "png" if canvas is None else "ipympl"
            if canvas is None:
                from matplotlib.backends.backend_agg import FigureCanvasAgg

                FigureCanvasAgg(self.fig)
                self._image = w.Image(format="png", layout=w.Layout(width="840px"))
            self._panels = _Panels(self.fig, problem, self.names, tol, resolution=150, legend_size=9,
                                   legend_cols=4)
            top = 0.975 - 0.065 * self._panels.legend_rows
            self.fig.subplots_adjust(left=0.075, right=0.975, bottom=0.15, top=top, wspace=0.3)
        self.paths, self.curves = self._panels.paths, self._panels.curves
        self.summary = w.HTML()
        self.trajectories: dict[str, Trajectory] = {}
        self.summaries: dict[str, str] = {}
        self._background = None
        if self.backend == "ipympl":
            # Blitting: the changing artists are drawn over a cached background, which is
            # recaptured after every full draw (first display, resize, pan/zoom, new limits).
            for a in self._panels.artists():
                a.set_animated(True)
            self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.refresh()

        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        for c in self.checkboxes.values():
            c.observe(self._on_change, names="value")
        grid = w.GridBox(list(self.sliders.values()),
                         layout=w.Layout(grid_template_columns="repeat(3, 280px)", grid_gap="2px 10px"))
        parts = [w.HTML(f"<b>{_html.escape(title)}</b>")] if title else []
        parts += [w.HBox([w.Label("show:")] + list(self.checkboxes.values())), grid,
                  canvas if canvas is not None else self._image, self.summary]
        self.widget = w.VBox(parts)

    # ---------------------------------------------------------------- controls
    @staticmethod
    def _make_slider(w: Any, name: str, spec: Slider, continuous: bool) -> Any:
        desc = {"x0_0": "x0[0]", "x0_1": "x0[1]"}.get(name, name)
        common = dict(description=desc, continuous_update=continuous,
                      style={"description_width": "80px"}, layout=w.Layout(width="280px"))
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

    @property
    def values(self) -> dict[str, Any]:
        """Current slider values, clamped to their valid ranges."""
        return {n: self.specs[n].clamp(s.value) for n, s in self.sliders.items()}

    @property
    def shown(self) -> list[str]:
        """Names of the optimizers currently shown."""
        return [n for n in self.names if self.checkboxes[n].value]

    def update(self, **values: Any) -> None:
        """Set slider values (clamped to their ranges) and recompute once.

        ``x0=(a, b)`` sets the start sliders, ``show=[names]`` the optimizers shown.
        Out-of-range values are clamped: ``update(beta2=1.0)`` gives 0.999.
        """
        if "x0" in values:
            x0 = np.atleast_1d(np.asarray(values.pop("x0"), dtype=float))
            for i, v in enumerate(x0):
                values[f"x0_{i}"] = v
        show = values.pop("show", None)
        unknown = [n for n in values if n not in self.sliders]
        if unknown:
            raise ValueError(f"no slider named {unknown[0]!r}; the sliders are {sorted(self.sliders)}")
        if show is not None:
            show = [show] if isinstance(show, str) else list(show)
            bad = [n for n in show if n not in self.checkboxes]
            if bad:
                raise ValueError(f"show names an unknown optimizer {bad[0]!r}; the optimizers are {self.names}")
        self._hold = True
        try:
            for n, v in values.items():
                self.sliders[n].value = self.specs[n].clamp(v)
            if show is not None:
                for n, c in self.checkboxes.items():
                    c.value = n in show
        finally:
            self._hold = False
        self.refresh()

    def _on_change(self, change: Any) -> None:
        if not self._hold:
            self.refresh()

    # ----------------------------------------------------------------- compute
    def _optimizer(self, name: str, values: Mapping[str, Any]) -> Any:
        f = self._factories[name]
        kw = {p: values[p] for p in self._hyper if p in f.params or f.any_kwargs}
        opt = f.build(**kw)
        if not (hasattr(opt, "init") and hasattr(opt, "update")):
            raise TypeError(f"optimizers[{name!r}] returned {opt!r}, which has no init/update")
        return opt

    def _setting(self, values: Mapping[str, Any]) -> tuple[np.ndarray, int, int | None]:
        d = int(self.problem.dim)
        x0 = np.array([values.get(f"x0_{i}", self._x0_default[i]) for i in range(d)], dtype=float)
        return x0, int(values["steps"]), values.get("batch_size")

    def _key(self, name: str, values: Mapping[str, Any]) -> tuple:
        f = self._factories[name]
        hyper = tuple((p, values[p]) for p in self._hyper if p in f.params or f.any_kwargs)
        x0, steps, batch = self._setting(values)
        return (name, hyper, tuple(x0), steps, batch)

    def _run(self, names: Sequence[str], values: Mapping[str, Any]) -> dict[str, Trajectory]:
        """Trajectories of ``names`` at ``values``: cached, one minimize call for all deterministic runs."""
        out, todo = {}, []
        for n in names:
            key = self._key(n, values)
            if key in self._cache:
                out[n] = self._cache[key]
            else:
                todo.append(n)
        x0, steps, batch = self._setting(values)
        if batch is not None:  # stochastic: one seeded run each, the same batches for every optimizer
            for n in todo:
                out[n] = minimize(self.problem, x0, self._optimizer(n, values), steps, batch_size=batch,
                                  rng=np.random.default_rng(self.rng_seed))
        elif len(todo) == 1:
            out[todo[0]] = minimize(self.problem, x0, self._optimizer(todo[0], values), steps)
        elif todo:
            both = minimize(self.problem, np.tile(x0, (len(todo), 1)),
                            _SideBySide([self._optimizer(n, values) for n in todo]), steps)
            for k, n in enumerate(todo):
                out[n] = _pick(both, (k,))
        if len(self._cache) > 512:
            self._cache.clear()
        for n in todo:
            self._cache[self._key(n, values)] = out[n]
        return out

    def refresh(self, draw: bool = True) -> None:
        """Recompute the shown runs for the current sliders, update the artists in place and redraw."""
        values, shown = self.values, self.shown
        trajs = self._run(shown, values)
        self.trajectories = trajs
        axes_changed = self._panels.show(trajs, values["steps"])
        self.summaries = {n: f"{n}: {t.summary(tol=self.tol)}" for n, t in trajs.items()}
        rows = []
        for i, n in enumerate(self.names):
            st = viz.style(i)
            text = _html.escape(self.summaries.get(n, f"{n}: hidden"))
            rows.append(f'<div><span style="color:{st["color"]}; font-weight:bold">&#9632;</span> {text}</div>')
        self.summary.value = '<div style="font-family: monospace; font-size: 90%">' + "".join(rows) + "</div>"
        if draw:
            self._draw(full=axes_changed)

    def _on_full_draw(self, event: Any) -> None:
        canvas = self.fig.canvas
        if canvas.is_saving():  # savefig draws everything itself, maybe at another dpi
            self._background = None
            return
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        for a in self._panels.artists():
            self.fig.draw_artist(a)

    def _draw(self, full: bool = True) -> None:
        if self.backend == "ipympl":
            canvas = self.fig.canvas
            if full or self._background is None:
                self._background = None
                canvas.draw_idle()  # the browser asks for a full draw; _on_full_draw follows it
            else:
                canvas.restore_region(self._background)
                for a in self._panels.artists():
                    self.fig.draw_artist(a)
                canvas.blit(self.fig.bbox)
        else:
            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
            self._image.value = buf.getvalue()

    # ------------------------------------------------------------ static view
    def _scrub(self) -> tuple[str | None, list[Any]]:
        static = self._static
        if static is False:
            return None, []
        if static is None:
            if "lr" not in self.specs:
                return None, []
            s = self.specs["lr"]
            vals = np.geomspace(s.low, s.high, 10)
            return "lr", sorted({float(f"{v:.2g}") for v in vals})
        (key, vals), = static.items()
        return key, [self.specs[key].clamp(v) for v in vals]

    def _frames(self, key: str, vals: list[Any], names: list[str]) -> list[dict[str, Trajectory]]:
        base = self.values
        if key in self._hyper and base.get("batch_size") is None and names:
            try:  # all frames in one minimize call: hyperparameter arrays of shape (R, 1)
                col = np.asarray(vals, dtype=float)[:, None]
                opts = [self._optimizer(n, {**base, key: col}) for n in names]
                x0, steps, _ = self._setting(base)
                X0 = np.broadcast_to(x0, (len(vals), len(names), x0.size)).copy()
                both = minimize(self.problem, X0, _SideBySide(opts), steps)
                return [{n: _pick(both, (r, k)) for k, n in enumerate(names)} for r in range(len(vals))]
            except (TypeError, ValueError):
                pass  # a factory that needs scalars: one frame at a time
        return [self._run(names, {**base, key: v}) for v in vals]

    def static_html(self) -> str:
        """The kernel-free fallback: a jshtml animation scrubbing one slider (or one still image)."""
        key, vals = self._scrub()
        names = self.shown or self.names
        cache_key = (key, tuple(vals), tuple(sorted(self.values.items())), tuple(names))
        if self._html_cache is not None and self._html_cache[0] == cache_key:
            return self._html_cache[1]
        html = _render_static(self, key, vals, names)
        self._html_cache = (cache_key, html)
        return html

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        name = getattr(self.problem, "name", type(self.problem).__name__)
        return (f"Explorer: {name}, {len(self.names)} optimizer{'s' * (len(self.names) != 1)} "
                f"({', '.join(self.names)}); sliders {', '.join(self.sliders)}")



# ------------------------------------------------------------- static render
_GLYPHS = {
    "fa-minus": "&minus;", "fa-fast-backward": "&#8676;", "fa-step-backward": "&lsaquo;",
    "fa-play fa-flip-horizontal": "&#9664;", "fa-pause": "&#8214;", "fa-play": "&#9654;",
    "fa-step-forward": "&rsaquo;", "fa-fast-forward": "&#8677;", "fa-plus": "+",
}


def _offline(html: str) -> str:
    """Remove every outside reference from matplotlib's jshtml and label the buttons with text."""
    html = re.sub(r"<link\b[^>]*>", "", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    html = re.sub(r'<i class="fa ([^"]*)"></i>',
                  lambda m: f'<span aria-hidden="true">{_GLYPHS.get(m.group(1), "&bull;")}</span>', html)
    if re.search(r"https?:|<link\b", html):  # ':' and '<' never occur in the base64 frames
        raise RuntimeError("the animation HTML still references an outside resource; "
                           "matplotlib's jshtml template changed, update descent.widgets._offline")
    return html


def offline_jshtml(html: str, alt: str) -> str:
    """Make matplotlib's ``to_jshtml()`` output fit for an offline book page.

    Strips the CDN stylesheet and comments (nothing outside is loaded), swaps
    the icon-font buttons for text symbols, re-encodes the frames with a small
    palette, and gives the frame image its ``alt`` text.

    Parameters
    ----------
    html : str
        The string returned by ``FuncAnimation.to_jshtml()``.
    alt : str
        What the animation shows, for readers who cannot see it.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description of the animation; got {alt!r}")
    html = _offline(_shrink_frames(html))
    return html.replace('<img id="_anim_img', f'<img alt="{_html.escape(alt, quote=True)}" id="_anim_img', 1)


def _render_static(ex: Explorer, key: str | None, vals: list[Any], names: list[str]) -> str:
    from matplotlib.animation import FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # constrained layout off: savefig restores a figure without an engine to the rc default
    rc = viz.style_rc() | {"font.size": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
                          "lines.linewidth": 1.5, "figure.constrained_layout.use": False,
                          "savefig.dpi": "figure"}
    head = f"<p style='margin:0 0 4px 0'><b>{_html.escape(ex.title)}</b></p>" if ex.title else ""
    with mpl.rc_context(rc):
        fig = Figure(figsize=(6.0, 3.0), dpi=80, layout="none")
        FigureCanvasAgg(fig)
        panels = _Panels(fig, ex.problem, ex.names, ex.tol, resolution=100, legend_size=7, legend_cols=4)
        top = 0.89 - 0.06 * panels.legend_rows  # below the two caption lines and the legend rows
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=top, wspace=0.34)
        label = fig.text(0.01, 0.985, "", va="top", ha="left", fontsize=8.5)
        steps = ex.values["steps"]

        def caption(prefix: str, trajs: Mapping[str, Trajectory]) -> str:
            text = prefix + "; ".join(_short(n, trajs[n], ex.tol) for n in names)
            return "\n".join(textwrap.wrap(text, 95)[:2])

        if key is None:  # nothing to scrub: one still image of the current state
            trajs = ex._run(names, ex.values)
            panels.show(trajs, steps)
            label.set_text(caption("", trajs))
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=fig.dpi)
            import base64

            img = base64.b64encode(buf.getvalue()).decode("ascii")
            return head + f'<img alt="{_html.escape(repr(ex))}" src="data:image/png;base64,{img}">'
        frames = ex._frames(key, vals, names)
        if key != "steps":
            steps_of = [steps] * len(vals)
        else:
            steps_of = [int(v) for v in vals]

        def draw(i: int) -> list:
            panels.show(frames[i], steps_of[i])
            label.set_text(caption(f"{key} = {_fmt(vals[i])}: ", frames[i]))
            return []

        # Animation.save renders each frame twice (draw_idle, then savefig); on this private
        # Agg canvas the first render is wasted, so skip it.
        fig.canvas.draw_idle = lambda *args, **kwargs: None
        anim = FuncAnimation(fig, draw, frames=len(vals), interval=800, repeat=False)
        html = anim.to_jshtml(fps=1.25, embed_frames=True, default_mode=ex._static_mode)
    note = (f"<p style='margin:2px 0; font-size:85%'>Static view: drag the slider to scrub {_html.escape(key)} "
            f"over {len(vals)} values (run the notebook for the live explorer).</p>")
    alt = (f"{ex.title or 'Explorer'}: {len(vals)} frames scrubbing {key} from {_fmt(vals[0])} "
           f"to {_fmt(vals[-1])}; the line above the panels gives each frame's outcome")
    return head + offline_jshtml(html, alt) + note


def _shrink_frames(html: str) -> str:
    """Re-encode the embedded PNG frames with a 64-colour palette (about 3x smaller, visually the same)."""
    import base64

    from PIL import Image

    def requantize(m: re.Match) -> str:
        raw = base64.b64decode(m.group(1).replace("\\\n", ""))
        img = Image.open(io.BytesIO(raw)).convert("RGB")
        img = img.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        img.save(out, format="png", optimize=True)
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")

    return re.sub(r"data:image/png;base64,((?:[A-Za-z0-9+/=]|\\\n)+)", requantize, html)


# ------------------------------------------------------------------ builder
def explore(
    problem: Any,
    optimizers: Any,
    x0: Any,
    *,
    steps: int = 100,
    sliders: Mapping[str, Slider] | None = None,
    static: Mapping[str, Sequence[Any]] | bool | None = None,
    tol: float | None = None,
    title: str | None = None,
    batch_size: int | None = None,
    rng_seed: int = 0,
    backend: str = "auto",
    static_mode: str = "once",
    continuous_update: bool = True,
) -> Explorer:
    r"""Build an explorer: sliders over hyperparameters, paths and loss curves of several optimizers.

    Parameters
    ----------
    problem : landscape
        Any :mod:`descent.landscapes` problem; the path panel shows its contour
        (2-D) or graph (1-D), and is left out for higher dimensions.
    optimizers : dict name -> factory, or list of optimizer classes
        A factory is called with the slider values named in its signature,
        e.g. ``{"Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2))}``.
        A class gets ``lr``, ``momentum`` and ``betas`` (from ``beta1``,
        ``beta2``) when it accepts them, plus any slider you add by name.
    x0 : array, shape (d,)
        The start; for 1-D and 2-D problems it also gets sliders (``x0_0``, ``x0_1``).
    steps : int >= 1, default 100
        Initial number of updates (a slider up to ``4 * steps``).
    sliders : dict name -> Slider, optional
        Override or add sliders. Defaults: ``lr`` (log), ``steps``, and
        ``momentum``/``beta1``/``beta2`` when a factory takes them. Ranges are
        clipped to valid values (betas and momentum in [0, 0.999], lr > 0).
    static : {name: values}, False or None
        The book's fallback animation scrubs one slider over these values (at
        most 12). Default: 10 log-spaced ``lr`` values across its slider.
        ``False``: a still image instead.
    tol : float > 0, optional
        Report the first step with :math:`f(\theta_t) - f^\star \le` ``tol``.
    title : str, optional
    batch_size : int, optional
        For finite sums: mini-batch size (a log slider). Each optimizer's run
        draws its batches from ``np.random.default_rng(rng_seed)``, so all see
        the same batches and a setting always gives the same result.
    rng_seed : int, default 0
    backend : {"auto", "ipympl", "png"}
        Live figure: an ipympl canvas (when installed) or PNG re-rendering.
    static_mode : {"once", "loop", "reflect"}
        Initial repetition mode of the fallback animation.
    continuous_update : bool, default True
        Recompute while a slider is dragged (ipywidgets coalesces the events).

    Returns
    -------
    Explorer
        Display it as the last expression of a cell. ``update(**values)`` sets
        sliders programmatically; ``refresh()`` recomputes and redraws.

    Examples
    --------
    >>> from descent.landscapes import Rosenbrock
    >>> from descent.optim import SGD, Adam
    >>> ex = explore(Rosenbrock(), [SGD, Adam], x0=[-1.5, 2.0], steps=50, backend="png")
    >>> ex.update(lr=1.0)
    >>> ex.summaries["SGD"]
    'SGD: diverged at step 2'
    """
    factories = _factories(optimizers)
    for attr in ("value", "grad", "dim"):
        if not hasattr(problem, attr):
            raise TypeError(f"problem must be a landscape with value, grad and dim; {problem!r} has no {attr!r}")
    d = int(problem.dim)
    x0 = check_float_array("x0", np.asarray(x0, dtype=float), min_ndim=1, last_dim=d)
    if x0.ndim != 1:
        raise ValueError(f"x0 must be one start point of shape ({d},); got shape {x0.shape}")
    steps = check_int("steps", steps, 1)
    if tol is not None:
        tol = check_in_range("tol", tol, 0.0, None, low_open=True, allow_array=False)
    rng_seed = check_int("rng_seed", rng_seed, 0)
    if backend not in ("auto", "ipympl", "png"):
        raise ValueError(f"backend must be 'auto', 'ipympl' or 'png'; got {backend!r}")
    if static_mode not in ("once", "loop", "reflect"):
        raise ValueError(f"static_mode must be 'once', 'loop' or 'reflect'; got {static_mode!r}")
    user = dict(sliders or {})
    for n, s in user.items():
        if not isinstance(s, Slider):
            raise TypeError(f"sliders[{n!r}] must be a Slider(low, high, value, ...); got {s!r}")

    # hyperparameter sliders: what the factories take
    hyper: dict[str, Slider] = {}
    for f in factories.values():
        for p in f.params:
            if p in _RESERVED:
                raise ValueError(f"optimizers[{f.name!r}] takes {p!r}, a name reserved for the explorer's own sliders")
            if p in hyper or not (p in user or p in _ALWAYS or p in f.required):
                continue
            if p in user:
                spec = user[p]
            elif p == "lr":
                spec = _default_lr(problem)
            elif p in _KNOWN:
                spec = _KNOWN[p]
                if p in f.defaults and spec.low <= f.defaults[p] <= spec.high:
                    spec = Slider(spec.low, spec.high, f.defaults[p], spec.log, spec.step)
            else:
                raise ValueError(f"optimizers[{f.name!r}] needs {p!r}: pass sliders={{{p!r}: Slider(low, high, value)}}")
            hyper[p] = _limit(p, spec)
    for f in factories.values():
        if f.any_kwargs:
            hyper.update({p: _limit(p, s) for p, s in user.items() if p not in _RESERVED and p not in hyper})
    specs: dict[str, Slider] = dict(hyper)
    specs["steps"] = _limit("steps", user.get("steps", Slider(1, max(10, 4 * steps), steps)))
    if d in (1, 2):
        for i, (lo, hi) in enumerate(problem.bounds):
            lo, hi = min(float(lo), float(x0[i])), max(float(hi), float(x0[i]))
            specs[f"x0_{i}"] = user.get(f"x0_{i}", Slider(lo, hi, float(x0[i]), step=(hi - lo) / 200))
    if batch_size is not None:
        n = getattr(problem, "n_samples", None)
        if n is None:
            raise ValueError("batch_size needs a finite-sum problem (one with n_samples)")
        batch_size = check_int("batch_size", batch_size, 1, int(n))
        specs["batch_size"] = user.get("batch_size", Slider(1, int(n), batch_size, log=True))
        if not specs["batch_size"].integer or specs["batch_size"].high > n or specs["batch_size"].low < 1:
            raise ValueError(f"the batch_size slider must be integer within [1, {n}]")
    unused = [n for n in user if n not in specs]
    if unused:
        raise ValueError(f"sliders has {unused[0]!r}, which no optimizer takes and the explorer does not use; "
                         f"the sliders are {sorted(specs)}")
    if static is not None and static is not False:
        if not isinstance(static, Mapping) or len(static) != 1:
            raise ValueError(f"static must be one {{name: values}} pair, False or None; got {static!r}")
        (key, vals), = static.items()
        if key not in specs:
            raise ValueError(f"static scrubs {key!r}, which is not a slider; the sliders are {sorted(specs)}")
        vals = list(vals)
        if not 1 <= len(vals) <= _MAX_FRAMES:
            raise ValueError(f"static must give 1 to {_MAX_FRAMES} values; got {len(vals)}")
    return Explorer(problem, factories, x0, specs, tuple(hyper), static=static, tol=tol, title=title,
                    batch_size=batch_size, rng_seed=rng_seed, backend=backend, static_mode=static_mode,
                    continuous_update=continuous_update)

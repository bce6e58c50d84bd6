r"""The gradient-profile explorer: depth, initialization, residual connections, batch norm.

Every figure is :func:`descent.gradflow.grad_profile` for the chosen settings
and each activation shown: the median over seeds of
:math:`\|\partial L/\partial W^{(k)}\|_F` against the layer :math:`k`, with a
band from the smallest to the largest seed, on a fixed log axis
(:math:`10^{-12}` to :math:`10^{12}`; smaller norms leave the panel at the
bottom). Live in JupyterLab (a depth slider, an init menu, check boxes; the
figure is a PNG redrawn after each change), kernel-free in the book over the
depths of ``static_depths`` and every init, residual and batch-norm setting.
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .. import viz
from .._validation import check_int
from ..gradflow import ACTIVATIONS, INITS, GradProfile, grad_profile, plot_profiles
from .base import BaseExplorer, control_spec
from .controls import Choice, Slider, Toggle
from .static import Axis, Panel, StaticFigure, png_data_uri

__all__ = ["ProfileExplorer", "explore_profiles"]

YLIM = (1e-12, 1e12)


class ProfileExplorer(BaseExplorer):
    r"""Depth, initialization, residual connections and batch norm :math:`\to` per-layer gradient norms.

    Build it with :func:`explore_profiles`.

    Attributes
    ----------
    widget : ipywidgets.VBox
    profiles : dict activation -> GradProfile
        What the figure currently shows.
    summary : str
        One line per activation: the ratio of the input layer's weight-gradient
        norm to the output layer's (medians over seeds).
    """

    def __init__(self, depth: int, init: str, residual: bool, batchnorm: bool, activations: Sequence[str], *,
                 width: int, seeds: Sequence[int], batch_size: int, max_depth: int,
                 static_depths: Sequence[int]) -> None:
        import ipywidgets as w

        self._common = dict(width=width, seeds=list(seeds), batch_size=batch_size)
        self.static_depths = sorted(set(static_depths))
        self.max_depth = max_depth
        self._setup_controls({"depth": Slider(2, max_depth, depth, static=self.static_depths),
                              "init": Choice(INITS, init), "residual": Toggle(residual),
                              "batchnorm": Toggle(batchnorm)}, continuous=False)
        self.controls_widgets = self.sliders
        self.show = {a: w.Checkbox(value=a in activations, description=a, indent=False,
                                   layout=w.Layout(width="auto")) for a in ACTIVATIONS}
        self._setup_png_panel()
        self._cache: dict[tuple, GradProfile] = {}
        self._observe(list(self.sliders.values()) + list(self.show.values()))
        self.widget = w.VBox([w.HBox([self.sliders["depth"], self.sliders["init"]]),
                              w.HBox([w.Label("show:")] + list(self.show.values())
                                     + [self.sliders["residual"], self.sliders["batchnorm"]]),
                              self._image, self._text])
        self.profiles: dict[str, GradProfile] = {}
        self.summary = ""
        self.refresh()

    # -------------------------------------------------------------- state
    @property
    def values(self) -> dict[str, Any]:
        """The current settings: depth, init, residual, batchnorm and the activations shown."""
        v = super().values
        v["activations"] = [a for a in ACTIVATIONS if self.show[a].value]
        return v

    def update(self, **values: Any) -> None:
        """Set controls (``depth``, ``init``, ``residual``, ``batchnorm``, ``activations``) and redraw once."""
        acts = values.pop("activations", None)
        unknown = [k for k in values if k not in self.sliders]
        if unknown:
            raise ValueError(f"no control named {unknown[0]!r}; the controls are "
                             f"{sorted(self.sliders) + ['activations']}")
        if acts is not None:
            acts = [acts] if isinstance(acts, str) else list(acts)
            bad = [a for a in acts if a not in ACTIVATIONS]
            if bad:
                raise ValueError(f"activations must be among {ACTIVATIONS}; got {bad[0]!r}")
        if "depth" in values:
            values["depth"] = check_int("depth", values["depth"], 2, self.max_depth)
        if "init" in values and values["init"] not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {values['init']!r}")
        self._hold = True
        try:
            self._set(values)
            if acts is not None:
                for a, c in self.show.items():
                    c.value = a in acts
        finally:
            self._hold = False
        self.refresh()

    # ------------------------------------------------------------ compute
    def _profile(self, a: str, v: Mapping[str, Any]) -> GradProfile:
        key = (a, v["depth"], v["init"], v["residual"], v["batchnorm"])
        if key not in self._cache:
            self._cache[key] = grad_profile(v["depth"], activation=a, init=v["init"], residual=v["residual"],
                                            batchnorm=v["batchnorm"], **self._common)
        return self._cache[key]

    def compute(self, v: Mapping[str, Any]) -> dict[str, GradProfile]:
        return {a: self._profile(a, v) for a in v["activations"]}

    @staticmethod
    def _ratio(p: GradProfile) -> str:
        m = p.median("weight")
        with np.errstate(all="ignore"):
            return f"{m[0] / m[-1]:.2g}"

    def _line(self, profiles: Mapping[str, GradProfile]) -> str:
        parts = [f"{a} {self._ratio(p)}" for a, p in profiles.items()]
        return "input/output layer gradient: " + ", ".join(parts) if parts else "no activation shown"

    # --------------------------------------------------------------- draw
    def draw(self, profiles: Mapping[str, GradProfile], title: str) -> None:
        ax = self.ax
        ax.clear()
        if profiles:
            plot_profiles(ax, profiles, "weight", styles=[ACTIVATIONS.index(a) for a in profiles])
            ax.legend(loc="lower right", fontsize=9)
        ax.set_yscale("log")
        ax.set_ylim(*YLIM)
        ax.set_xlim(0.5, self.max_depth + 0.5)
        ax.set_title(title, fontsize=10)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        self._image.value = buf.getvalue()

    def refresh(self) -> None:
        """Recompute the profiles for the current settings and redraw the live figure."""
        v = self.values
        self.profiles = self.compute(v)
        self.summary = self._line(self.profiles)
        self.draw(self.profiles, self._tag(v))
        self._text.value = f"<span style='font-family: monospace'>{self.summary}</span>"

    @staticmethod
    def _tag(v: Mapping[str, Any]) -> str:
        return f"depth {v['depth']}, {v['init']} init" + ", residual" * v["residual"] + ", batch norm" * v["batchnorm"]

    # ------------------------------------------------------------- static
    def static_figure(self) -> StaticFigure:
        v = self.values
        book = self.book_controls()
        controls = [control_spec(n, c, c.grid(), v[n]) for n, c in book.items()]
        xmax = max(self.static_depths)
        panel = Panel(Axis(0.5, xmax + 0.5, "layer k (input side at 1)"),
                      Axis(*YLIM, "‖∂L/∂W⁽ᵏ⁾‖ (Frobenius)", log=True))
        items = [{"name": a, "color": viz.style(i)["color"], "dash": _dash(viz.style(i)["linestyle"]),
                  "deps": list(book), "series": [(0, "band"), (0, "line")]} for i, a in enumerate(ACTIVATIONS)]
        fig = StaticFigure("", controls, [panel], items)
        for it in items:
            for k, c in enumerate(fig.combos(it)):
                p = self._profile(it["name"], {**v, **c})
                x = np.arange(1, p.weight.shape[1] + 1, dtype=float)
                fig.put(it["name"], k, [(x, p.weight.min(axis=0), p.weight.max(axis=0)), (x, p.median("weight"))],
                        f"{it['name']}: input/output layer gradient {self._ratio(p)}")
        return fig

    def _render_static(self) -> str:
        fig = self.static_figure()
        v = self.values
        alt = f"Per-layer gradient norms at initialization ({self._tag(v)}): {self.summary}"
        desc = ("Per-layer weight-gradient norms at initialization against the layer k, median over "
                f"{len(self._common['seeds'])} seeds with a band from the smallest to the largest, one line per "
                "activation, on a log axis from 1e-12 to 1e12. Controls: depth K over "
                f"{', '.join(map(str, self.static_depths))}, the initialization, residual connections and batch norm.")
        return fig.html(alt=alt, description=desc, still=png_data_uri(self.fig, dpi=80, colors=48))

    def _static_key(self) -> Any:
        v = self.values
        return tuple(sorted((k, repr(x)) for k, x in v.items() if k != "activations"))

    def __repr__(self) -> str:
        v = self.values
        return (f"ProfileExplorer: depth {v['depth']}, {v['init']} init, activations {', '.join(v['activations'])}, "
                f"residual={v['residual']}, batchnorm={v['batchnorm']}")


def _dash(ls: Any) -> str | None:
    return {"-": None, "--": "7 4", "-.": "7 3 2 3", ":": "2 3"}.get(ls, "9 3 2 3") if isinstance(ls, str) \
        else "6 2 2 2"


def explore_profiles(depth: int = 20, init: str = "xavier", *, residual: bool = False, batchnorm: bool = False,
                     activations: Sequence[str] = ACTIVATIONS, width: int = 32, seeds: Iterable[int] = range(5),
                     batch_size: int = 64, max_depth: int = 60,
                     static_depths: Sequence[int] = (2, 5, 10, 20, 35, 50)) -> ProfileExplorer:
    r"""An explorer of per-layer gradient norms at initialization (see :class:`ProfileExplorer`).

    Parameters
    ----------
    depth : int in [2, max_depth], default 20
        Initial number of Linear layers.
    init : {"normal", "xavier", "he"}, default "xavier"
    residual, batchnorm : bool, default False
    activations : sequence of {"sigmoid", "tanh", "relu"}
        Shown at first (each has a check box).
    width, seeds, batch_size
        Passed to :func:`descent.gradflow.grad_profile`.
    max_depth : int >= 2, default 60
    static_depths : sequence of int in [2, max_depth], 1 to 12 values
        The depths of the book's slider.

    Returns
    -------
    ProfileExplorer

    Examples
    --------
    >>> ex = explore_profiles(depth=10, activations=["sigmoid"], seeds=range(2), static_depths=[5, 10])
    >>> ex.summary.startswith("input/output layer gradient: sigmoid")
    True
    """
    max_depth = check_int("max_depth", max_depth, 2)
    depth = check_int("depth", depth, 2, max_depth)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {init!r}")
    for name, flag in (("residual", residual), ("batchnorm", batchnorm)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; got {flag!r}")
    acts = [activations] if isinstance(activations, str) else list(activations)
    bad = [a for a in acts if a not in ACTIVATIONS]
    if bad:
        raise ValueError(f"activations must be among {ACTIVATIONS}; got {bad[0]!r}")
    width = check_int("width", width, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    static_depths = [check_int("static_depths[i]", d, 2, max_depth) for d in static_depths]
    if not 1 <= len(static_depths) <= 12:
        raise ValueError(f"static_depths must give 1 to 12 depths; got {len(static_depths)}")
    return ProfileExplorer(depth, init, bool(residual), bool(batchnorm), acts, width=width, seeds=seeds,
                           batch_size=batch_size, max_depth=max_depth, static_depths=static_depths)

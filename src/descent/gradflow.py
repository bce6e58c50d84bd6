r"""Measuring how gradients flow through a deep network, layer by layer.

For an :class:`descent.nn.MLP` with :math:`K` Linear layers,

.. math::

    h^{(0)} = x, \qquad z^{(k)} = h^{(k-1)} W^{(k)} + b^{(k)}, \qquad
    h^{(k)} = \phi(z^{(k)}) \;(k < K), \qquad f(x) = z^{(K)},

(rows are examples, as in :mod:`descent.nn`), backpropagation computes
:math:`\partial L/\partial h^{(k)}` from the output back to the input. This
module records two profiles of one backward pass:

- ``weight[k - 1]`` :math:`= \|\partial L/\partial W^{(k)}\|_F`, the size of
  the gradient an optimizer sees for layer :math:`k`;
- ``state[k - 1]`` :math:`= \|\partial L/\partial h^{(k-1)}\|_F`, the size of
  the backpropagated signal entering layer :math:`k` from above (the error
  that layer :math:`k-1` receives); ``state[0]`` is the gradient with respect
  to the input :math:`x`.

:func:`grad_profile` repeats the measurement over seeds (each seed draws its
own weights and data) for networks of a given depth, width, activation,
initialization, and with or without residual connections and batch
normalization. The sweeps of the backpropagation chapter are loops over
these calls; one depth-50, width-32 network takes a few milliseconds.

Example
-------
>>> p = grad_profile(10, width=16, activation="sigmoid", init="xavier", seeds=range(3))
>>> p.weight.shape, p.state.shape
((3, 10), (3, 10))
>>> bool(np.all(p.state[:, 0] < p.state[:, -1]))   # sigmoid: the signal shrinks towards the input
True
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import matplotlib as mpl
from matplotlib.axes import Axes

from . import viz
from ._validation import check_float_array, check_in_range, check_int
from .nn import MLP, MSE, Linear, Residual, SoftmaxCrossEntropy
from .widgets import LiveAndStatic

__all__ = ["GradProfile", "backward_norms", "grad_profile", "geometric_rate", "plot_profiles",
           "ProfileExplorer", "explore_profiles"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("normal", "xavier", "he")


class GradProfile(NamedTuple):
    r"""Per-layer gradient norms of several networks (one row per seed).

    Attributes
    ----------
    weight : ndarray (R, K)
        :math:`\|\partial L/\partial W^{(k)}\|_F`, input layer first.
    state : ndarray (R, K)
        :math:`\|\partial L/\partial h^{(k-1)}\|_F`, the backpropagated signal at
        the input of layer :math:`k` (``state[:, 0]`` is the input gradient).
    loss : ndarray (R,)
        The loss of each network on its batch.
    """

    weight: np.ndarray
    state: np.ndarray
    loss: np.ndarray

    def median(self, which: str = "weight") -> np.ndarray:
        """Median over seeds of ``weight`` or ``state``, shape (K,)."""
        if which not in ("weight", "state"):
            raise ValueError(f"which must be 'weight' or 'state'; got {which!r}")
        return np.median(getattr(self, which), axis=0)


def backward_norms(model: MLP, x: np.ndarray, y: np.ndarray,
                   loss: Any = "cross_entropy") -> tuple[float, np.ndarray, np.ndarray]:
    r"""One forward and backward pass of ``model``, recording the norms layer by layer.

    The backward pass is the model's own (each layer's ``backward`` in
    reverse order, exactly what :meth:`descent.nn.MLP.backward` runs); this
    function only reads :math:`\|\bar y\|_F` after every Linear layer (or
    Residual block) and the weight gradients at the end.

    Parameters
    ----------
    model : descent.nn.MLP
    x : ndarray (B, sizes[0])
    y : labels (B,) for cross-entropy, or targets for ``"mse"``
    loss : "cross_entropy", "mse" or a loss object

    Returns
    -------
    loss, weight_norms, state_norms : float, ndarray (K,), ndarray (K,)
        See :class:`GradProfile` for the two profiles.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a descent.nn.MLP; got {type(model).__name__}")
    if isinstance(loss, str):
        if loss not in ("cross_entropy", "mse"):
            raise ValueError(f"loss must be 'cross_entropy', 'mse' or a loss object; got {loss!r}")
        lossf = SoftmaxCrossEntropy() if loss == "cross_entropy" else MSE()
    elif hasattr(loss, "forward") and hasattr(loss, "backward"):
        lossf = loss
    else:
        raise TypeError(f"loss must be 'cross_entropy', 'mse' or a loss object; got {type(loss).__name__}")
    value = lossf.forward(model.forward(x), y)
    dy = lossf.backward()
    states = []
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in reversed(model.layers):
            dy = layer.backward(dy)
            if isinstance(layer, (Linear, Residual)):
                states.append(float(np.sqrt(np.sum(np.square(dy, dtype=np.float64)))))
        weight = np.array(model.layer_grad_norms(), dtype=np.float64)
    state = np.array(states[::-1], dtype=np.float64)
    if state.shape != weight.shape:  # pragma: no cover - guards a change of MLP's layout
        raise RuntimeError("could not match backpropagated signals to Linear layers")
    return value, weight, state


def grad_profile(depth: int, width: int = 32, activation: str = "tanh", init: str = "xavier", *,
                 residual: bool = False, batchnorm: bool = False, scale: float | None = None,
                 seeds: Iterable[int] = range(5), batch_size: int = 64, n_classes: int = 10,
                 input_scale: float = 1.0) -> GradProfile:
    r"""Per-layer gradient norms at initialization, for several seeds.

    Each seed ``r`` draws, from ``np.random.default_rng(r)``, an
    ``MLP([width] * depth + [n_classes], ...)`` (``depth`` Linear layers, the
    input as wide as the hidden layers so that every hidden layer can be a
    residual block), a batch :math:`x` with i.i.d. :math:`\mathcal N(0,
    \text{input\_scale}^2)` entries and uniform random labels, and measures
    :func:`backward_norms` under the softmax cross-entropy loss.

    Parameters
    ----------
    depth : int >= 2
        Number of Linear layers :math:`K`.
    width : int >= 1, default 32
    activation : {"relu", "tanh", "sigmoid"}, default "tanh"
    init : {"he", "xavier", "normal"}, default "xavier"
        See :class:`descent.nn.Linear`; ``scale`` as there.
    residual, batchnorm : bool, default False
    seeds : iterable of int >= 0, default range(5)
    batch_size : int >= 1, default 64
    n_classes : int >= 2, default 10
    input_scale : float > 0, default 1

    Returns
    -------
    GradProfile
        Arrays of shape (len(seeds), depth).
    """
    depth = check_int("depth", depth, 2)
    width = check_int("width", width, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    n_classes = check_int("n_classes", n_classes, 2)
    input_scale = check_in_range("input_scale", input_scale, 0.0, None, low_open=True, allow_array=False)
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    W, S, L = [], [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        model = MLP([width] * depth + [n_classes], activation, init, residual, batchnorm, rng=rng, scale=scale)
        x = input_scale * rng.standard_normal((batch_size, width))
        y = rng.integers(0, n_classes, batch_size)
        value, w, s = backward_norms(model, x, y)
        W.append(w)
        S.append(s)
        L.append(value)
    return GradProfile(np.array(W), np.array(S), np.array(L))


def geometric_rate(norms: Any, skip: int = 0) -> float:
    r"""The per-layer factor :math:`r` of a profile that behaves like :math:`c\, r^{k}`.

    Fits a straight line to :math:`\log \|\cdot\|` against the layer index by
    least squares (ignoring the first ``skip`` and any non-finite or zero
    entries) and returns :math:`e^{\text{slope}}`. A profile ``state`` that
    halves from each layer to the one below it has rate 2 when read
    input-side first, i.e. the gradient shrinks by :math:`1/r` per layer
    towards the input.

    >>> round(geometric_rate(3.0 * 0.25 ** -np.arange(6.0)), 12)
    4.0
    """
    v = check_float_array("norms", norms, finite=False)
    if v.ndim != 1:
        raise ValueError(f"norms must be 1-d (one profile); got shape {v.shape}")
    skip = check_int("skip", skip, 0)
    k = np.arange(v.size, dtype=float)[skip:]
    v = v[skip:]
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        raise ValueError("norms needs at least two finite, positive entries to fit a rate")
    slope = np.polyfit(k[ok], np.log(v[ok]), 1)[0]
    return float(np.exp(slope))


# ------------------------------------------------------------------- figures
def plot_profiles(ax: Axes, profiles: Mapping[str, GradProfile], which: str = "weight", *,
                  band: bool = True, styles: Sequence[int] | None = None, align: str = "input") -> list:
    r"""Draw per-layer gradient norms against the layer index, one line per profile, on a log scale.

    Each line is the median over seeds; with ``band=True`` a light band spans
    the smallest to the largest seed.

    Parameters
    ----------
    ax : Axes
    profiles : dict label -> GradProfile
    which : {"weight", "state"}
        :math:`\|\partial L/\partial W^{(k)}\|_F` or :math:`\|\partial L/\partial h^{(k-1)}\|_F`.
    band : bool, default True
    styles : sequence of int, optional
        :func:`descent.viz.style` index per line; ``0, 1, ...`` by default.
    align : {"input", "output"}, default "input"
        x is the layer :math:`k = 1, \dots, K` (``"input"``), or the number of
        layers above it, :math:`K - k` (``"output"``), which lines up networks
        of different depths at their output layer.

    Returns
    -------
    list of Line2D
    """
    if which not in ("weight", "state"):
        raise ValueError(f"which must be 'weight' or 'state'; got {which!r}")
    if align not in ("input", "output"):
        raise ValueError(f"align must be 'input' or 'output'; got {align!r}")
    if styles is not None and len(styles) != len(profiles):
        raise ValueError(f"styles must have one entry per profile ({len(profiles)}); got {len(styles)}")
    lines = []
    for i, (label, p) in enumerate(profiles.items()):
        st = viz.style(i if styles is None else styles[i])
        v = getattr(p, which)
        k = np.arange(1, v.shape[1] + 1) if align == "input" else np.arange(v.shape[1] - 1, -1, -1)
        if band and v.shape[0] > 1:
            ax.fill_between(k, v.min(axis=0), v.max(axis=0), color=st["color"], alpha=0.15, linewidth=0)
        (line,) = ax.plot(k, np.median(v, axis=0), color=st["color"], linestyle=st["linestyle"], label=label)
        lines.append(line)
    ax.set_yscale("log")
    ax.set_xlabel(r"layer $k$ (input side at 1)" if align == "input" else r"layers above it, $K - k$")
    ax.set_ylabel(r"$\|\partial L/\partial W^{(k)}\|_F$" if which == "weight"
                  else r"$\|\partial L/\partial h^{(k-1)}\|_F$")
    return lines


# ------------------------------------------------------------------- explorer


class ProfileExplorer(LiveAndStatic):
    r"""Depth, initialization, residual connections and batch norm :math:`\to` per-layer gradient norms.

    Build it with :func:`explore_profiles`. Live in JupyterLab (ipywidgets:
    a depth slider, an init menu, check boxes for the activations, residual
    connections and batch normalization; the figure is re-rendered as a PNG
    after each change); in a book without a kernel, its ``text/html``
    fallback is a short animation over depth (matplotlib ``to_jshtml``, no
    outside requests).

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
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self._common = dict(width=width, seeds=list(seeds), batch_size=batch_size)
        self.static_depths = list(static_depths)
        self._html: tuple[tuple, str] | None = None
        self._hold = False
        style = {"description_width": "70px"}
        self.controls = {
            "depth": w.IntSlider(min=2, max=max_depth, value=depth, description="depth", style=style,
                                 continuous_update=False),
            "init": w.Dropdown(options=list(INITS), value=init, description="init", style=style),
            "residual": w.Checkbox(value=residual, description="residual", indent=False),
            "batchnorm": w.Checkbox(value=batchnorm, description="batch norm", indent=False),
        }
        self.show = {a: w.Checkbox(value=a in activations, description=a, indent=False,
                                   layout=w.Layout(width="auto")) for a in ACTIVATIONS}
        with mpl.rc_context(viz.style_rc() | {"figure.constrained_layout.use": False}):
            self.fig = Figure(figsize=(7.0, 3.4), dpi=100, layout="none")
            FigureCanvasAgg(self.fig)
            self.ax = self.fig.add_subplot()
            self.fig.subplots_adjust(left=0.12, right=0.98, bottom=0.15, top=0.9)
        self._image = w.Image(format="png", layout=w.Layout(width="700px"))
        self._text = w.HTML()
        for c in list(self.controls.values()) + list(self.show.values()):
            c.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox([self.controls["depth"], self.controls["init"]]),
                              w.HBox([w.Label("show:")] + list(self.show.values())
                                     + [self.controls["residual"], self.controls["batchnorm"]]),
                              self._image, self._text])
        self.profiles: dict[str, GradProfile] = {}
        self.summary = ""
        self.refresh()

    # -------------------------------------------------------------- state
    @property
    def values(self) -> dict[str, Any]:
        """The current settings: depth, init, residual, batchnorm and the activations shown."""
        v = {k: c.value for k, c in self.controls.items()}
        v["activations"] = [a for a in ACTIVATIONS if self.show[a].value]
        return v

    def update(self, **values: Any) -> None:
        """Set controls (``depth``, ``init``, ``residual``, ``batchnorm``, ``activations``) and redraw once."""
        acts = values.pop("activations", None)
        unknown = [k for k in values if k not in self.controls]
        if unknown:
            raise ValueError(f"no control named {unknown[0]!r}; the controls are "
                             f"{sorted(self.controls) + ['activations']}")
        if acts is not None:
            acts = [acts] if isinstance(acts, str) else list(acts)
            bad = [a for a in acts if a not in ACTIVATIONS]
            if bad:
                raise ValueError(f"activations must be among {ACTIVATIONS}; got {bad[0]!r}")
        if "depth" in values:
            c = self.controls["depth"]
            values["depth"] = check_int("depth", values["depth"], c.min, c.max)
        if "init" in values and values["init"] not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {values['init']!r}")
        self._hold = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
            if acts is not None:
                for a, c in self.show.items():
                    c.value = a in acts
        finally:
            self._hold = False
        self.refresh()

    def _on_change(self, change: Any) -> None:
        if not self._hold:
            self.refresh()

    def _compute(self, depth: int, v: Mapping[str, Any]) -> dict[str, GradProfile]:
        return {a: grad_profile(depth, activation=a, init=v["init"], residual=v["residual"],
                                batchnorm=v["batchnorm"], **self._common) for a in v["activations"]}

    @staticmethod
    def _line(profiles: Mapping[str, GradProfile]) -> str:
        parts = []
        for a, p in profiles.items():
            m = p.median("weight")
            with np.errstate(all="ignore"):
                parts.append(f"{a} {m[0] / m[-1]:.2g}")
        return "input/output layer gradient: " + ", ".join(parts) if parts else "no activation shown"

    def _draw(self, ax: Axes, profiles: Mapping[str, GradProfile], title: str) -> None:
        ax.clear()
        if profiles:
            styles = [ACTIVATIONS.index(a) for a in profiles]
            plot_profiles(ax, profiles, "weight", styles=styles)
            ax.legend(loc="lower right", fontsize=8)
        ax.set_title(title, fontsize=10)

    def refresh(self) -> None:
        """Recompute the profiles for the current settings and redraw the live figure."""
        v = self.values
        self.profiles = self._compute(v["depth"], v)
        self.summary = self._line(self.profiles)
        tag = f"depth {v['depth']}, {v['init']} init" + ", residual" * v["residual"] + ", batch norm" * v["batchnorm"]
        self._draw(self.ax, self.profiles, tag)
        self.ax.set_xlim(0.5, v["depth"] + 0.5)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        self._image.value = buf.getvalue()
        self._text.value = f"<span style='font-family: monospace'>{self.summary}</span>"

    # ------------------------------------------------------------- static
    def static_html(self) -> str:
        """The kernel-free fallback: an animation over ``static_depths`` for the current settings."""
        from matplotlib.animation import FuncAnimation
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from .widgets import offline_jshtml

        v = self.values
        key = (tuple(self.static_depths), tuple(sorted((k, str(x)) for k, x in v.items() if k != "depth")))
        if self._html is not None and self._html[0] == key:
            return self._html[1]
        frames = [self._compute(d, v) for d in self.static_depths]
        vals = np.concatenate([p.weight.ravel() for f in frames for p in f.values()] or [np.ones(1)])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        lo, hi = (float(vals.min()) / 3, float(vals.max()) * 3) if vals.size else (0.1, 10.0)
        rc = viz.style_rc() | {"font.size": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
                              "figure.constrained_layout.use": False, "savefig.dpi": "figure"}
        with mpl.rc_context(rc):
            fig = Figure(figsize=(5.6, 3.0), dpi=80, layout="none")
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            fig.subplots_adjust(left=0.14, right=0.98, bottom=0.16, top=0.84)
            setting = f"{v['init']} init" + ", residual" * v["residual"] + ", batch norm" * v["batchnorm"]

            def draw(i: int) -> list:
                self._draw(ax, frames[i], f"depth {self.static_depths[i]}, {setting}\n{self._line(frames[i])}")
                ax.set_xlim(0.5, max(self.static_depths) + 0.5)
                ax.set_ylim(lo, hi)
                return []

            fig.canvas.draw_idle = lambda *args, **kwargs: None
            anim = FuncAnimation(fig, draw, frames=len(frames), interval=900, repeat=False)
            html = anim.to_jshtml(fps=1.0, embed_frames=True, default_mode="once")
        note = (f"<p style='margin:2px 0; font-size:85%'>Static view: drag the slider to scrub the depth over "
                f"{', '.join(map(str, self.static_depths))} (run the notebook for the live explorer).</p>")
        alt = (f"Per-layer gradient norms as the depth grows over {', '.join(map(str, self.static_depths))} "
               f"layers ({setting})")
        html = offline_jshtml(html, alt) + note
        self._html = (key, html)
        return html

    def __repr__(self) -> str:
        v = self.values
        return (f"ProfileExplorer: depth {v['depth']}, {v['init']} init, activations {', '.join(v['activations'])}, "
                f"residual={v['residual']}, batchnorm={v['batchnorm']}")



def explore_profiles(depth: int = 20, init: str = "xavier", *, residual: bool = False, batchnorm: bool = False,
                     activations: Sequence[str] = ACTIVATIONS, width: int = 32, seeds: Iterable[int] = range(5),
                     batch_size: int = 64, max_depth: int = 60,
                     static_depths: Sequence[int] = (2, 5, 10, 20, 35, 50)) -> ProfileExplorer:
    r"""An explorer of per-layer gradient norms at initialization (see :class:`ProfileExplorer`).

    Every figure is :func:`grad_profile` for the chosen settings and each
    activation shown: the median of :math:`\|\partial L/\partial W^{(k)}\|_F`
    over ``seeds`` against the layer :math:`k`, with a band from the smallest
    to the largest seed.

    Parameters
    ----------
    depth : int in [2, max_depth], default 20
        Initial number of Linear layers.
    init : {"normal", "xavier", "he"}, default "xavier"
    residual, batchnorm : bool, default False
    activations : sequence of {"sigmoid", "tanh", "relu"}
        Shown at first (each has a check box).
    width, seeds, batch_size
        Passed to :func:`grad_profile`.
    max_depth : int >= 2, default 60
    static_depths : sequence of int in [2, max_depth], 1 to 12 values
        The depths of the book's fallback animation.

    Returns
    -------
    ProfileExplorer
        Display it as the last expression of a cell; ``update(depth=..., init=...)`` sets controls.

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

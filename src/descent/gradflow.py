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

from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
from matplotlib.axes import Axes

from . import viz
from ._validation import check_float_array, check_in_range, check_int
from .nn import MLP, MSE, Linear, Residual, SoftmaxCrossEntropy

__all__ = ["GradProfile", "backward_norms", "grad_profile", "geometric_rate", "plot_profiles"]

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


# The explorer of these profiles lives in descent.explore.profiles (a measurement module imports no UI);
# the two names stay importable from here, loaded on first use.
def __getattr__(name: str) -> Any:
    if name in ("ProfileExplorer", "explore_profiles"):
        from .explore import profiles

        return getattr(profiles, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

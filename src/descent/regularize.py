r"""Regularization for :mod:`descent.nn` models: dropout, L1 proximal steps, augmentation, early stopping.

- :class:`Dropout`, a layer of the :mod:`descent.nn` protocol (inverted
  dropout, Srivastava et al. 2014), and :class:`DropoutMLP`, an
  :class:`~descent.nn.MLP` with a dropout layer after every hidden
  activation whose ``predict`` switches dropout off. ``descent.nn`` has no
  train/eval switch of its own except ``BatchNorm.training`` (which
  ``MLP.predict`` toggles), so :class:`Dropout` carries the same
  ``training`` flag and :func:`evaluating` / :class:`DropoutMLP` toggle both.
- :func:`soft_threshold`, the proximal operator of the L1 norm, and
  :func:`proximal`, which wraps any :mod:`descent.optim` optimizer so each
  update is followed by the proximal step (proximal gradient descent).
- :func:`shift_digits` and :func:`gaussian_noise`, augmentations of the 8x8
  digits with the signature ``(X, rng) -> X`` that
  :func:`descent.bakeoff.sweep` takes.
- :class:`EarlyStopping` and :func:`early_stop`, which read a validation curve.
- :func:`explore_regularization`, an explorer of dropout and weight decay on
  an MLP (live in JupyterLab, kernel-free in the book), trained with
  :func:`descent.bakeoff.sweep`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from ._validation import check_float_array, check_in_range, check_int
from .nn import MLP, BatchNorm, Layer, _check_rng

__all__ = ["Dropout", "DropoutMLP", "evaluating", "soft_threshold", "proximal", "Proximal", "explore_regularization",
           "shift_digits", "gaussian_noise", "EarlyStopping", "early_stop", "StopPoint"]


# -------------------------------------------------------------------- dropout
class Dropout(Layer):
    r"""Inverted dropout: zero each unit with probability :math:`p` while training, rescale the rest.

    .. math::

        \text{training: } y = \frac{m \odot x}{1 - p},\quad m_{ij} \sim \text{Bernoulli}(1-p);
        \qquad \text{inference: } y = x,

    so :math:`\mathbb{E}[y] = x` in both modes; backward
    :math:`\bar x = \bar y \odot m/(1-p)` (the identity at inference).

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability.
    rng : numpy.random.Generator
        Draws the masks (keyword-only, required).
    scale : bool, default True
        ``False`` drops without the :math:`1/(1-p)` factor: the classic
        mistake, kept to measure it (the inference output is then
        :math:`1/(1-p)` times too large on average).

    Attributes
    ----------
    training : bool
        True (the default) applies dropout; False is the identity.
    mask : bool ndarray or None
        The mask of the last training forward pass.

    Examples
    --------
    >>> d = Dropout(0.5, rng=np.random.default_rng(0))
    >>> d.forward(np.ones((1, 6)))
    array([[2., 0., 0., 0., 2., 2.]])
    >>> d.training = False
    >>> d.forward(np.ones((1, 3)))
    array([[1., 1., 1.]])
    """

    def __init__(self, p: float, *, rng: np.random.Generator, scale: bool = True) -> None:
        self.p = float(check_in_range("p", p, 0.0, 1.0, allow_array=False))
        self.rng = _check_rng(rng)
        if not isinstance(scale, (bool, np.bool_)):
            raise TypeError(f"scale must be True or False; got {scale!r}")
        self.scale = bool(scale)
        self.training = True
        self.mask: np.ndarray | None = None
        self._factor = 1.0
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Apply dropout; a given boolean ``mask`` (True = keep) replaces the random draw."""
        x = check_float_array("x", x, finite=False) if not (isinstance(x, np.ndarray) and x.dtype.kind == "f") else x
        self._shape = x.shape
        if not self.training or (self.p == 0.0 and mask is None):
            self.mask, self._factor = None, 1.0
            return x
        if mask is None:
            mask = self.rng.random(x.shape) >= self.p
        else:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != x.shape:
                raise ValueError(f"mask must be a boolean array of shape {x.shape}; got {mask.dtype} {mask.shape}")
        self.mask = mask
        self._factor = 1.0 / (1.0 - self.p) if self.scale else 1.0
        return x * mask * self._factor

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._shape is None:
            raise RuntimeError("Dropout.backward called before forward")
        dy = check_float_array("dy", dy, finite=False)
        if dy.shape != self._shape:
            raise ValueError(f"dy must have the shape of Dropout's output {self._shape}; got {dy.shape}")
        return dy if self.mask is None else dy * self.mask * self._factor

    def __repr__(self) -> str:
        return f"Dropout(p={self.p}{'' if self.scale else ', scale=False'})"


@contextmanager
def evaluating(model: Layer) -> Iterator[Layer]:
    """Inside the block every Dropout and BatchNorm of ``model`` is in inference mode; restored after."""
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a descent.nn Layer; got {type(model).__name__}")
    layers = [m for m in model.leaves() if isinstance(m, (Dropout, BatchNorm))]
    before = [m.training for m in layers]
    for m in layers:
        m.training = False
    try:
        yield model
    finally:
        for m, t in zip(layers, before):
            m.training = t


class DropoutMLP(MLP):
    r"""An :class:`~descent.nn.MLP` with :class:`Dropout` after every hidden activation.

    Built as ``MLP(sizes, ...)`` (same weights for the same ``rng``), then a
    dropout layer is inserted after each activation, so the parameter keys
    count the dropout layers too (``"0.W", "0.b", "3.W", ...``). Training
    (``loss_and_grads``, :func:`descent.nn.train_epoch`) drops units;
    :meth:`predict` (used by :func:`descent.nn.accuracy`) does not. Residual
    blocks are not supported.

    Parameters
    ----------
    sizes : sequence of int
        As for :class:`~descent.nn.MLP`.
    p : float in [0, 1)
        Drop probability of every dropout layer.
    rng : numpy.random.Generator
        Initializes the weights (as MLP).
    dropout_rng : numpy.random.Generator, optional
        Draws the masks; default a generator spawned from ``rng``.
    scale : bool, default True
        See :class:`Dropout`.
    **kwargs
        ``activation``, ``init``, ``batchnorm``, ``scale_init`` (MLP's ``scale``), ``dtype``.

    Examples
    --------
    >>> m = DropoutMLP([4, 8, 3], p=0.5, rng=np.random.default_rng(0))
    >>> sorted(m.params()), m.layers[2]
    (['0.W', '0.b', '3.W', '3.b'], Dropout(p=0.5))
    """

    def __init__(self, sizes: Sequence[int], p: float, *, rng: np.random.Generator,
                 dropout_rng: np.random.Generator | None = None, scale: bool = True,
                 scale_init: float | None = None, **kwargs: Any) -> None:
        if kwargs.get("residual"):
            raise ValueError("DropoutMLP does not support residual=True")
        super().__init__(sizes, rng=rng, scale=scale_init, **kwargs)
        drng = rng.spawn(1)[0] if dropout_rng is None else _check_rng(dropout_rng)
        act = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}[self.activation]
        layers: list[Layer] = []
        for layer in self.layers:
            layers.append(layer)
            if type(layer).__name__ == act:
                layers.append(Dropout(p, rng=drng, scale=scale))
        self.layers = layers
        self.p = float(p)

    def dropouts(self) -> list[Dropout]:
        return [m for m in self.leaves() if isinstance(m, Dropout)]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The outputs with dropout off and BatchNorm on running statistics."""
        with evaluating(self):
            return self.forward(x)

    def predict_sampled(self, x: np.ndarray) -> np.ndarray:
        """The outputs with dropout left *on* (one random mask per call; BatchNorm in inference mode)."""
        norms = [m for m in self.leaves() if isinstance(m, BatchNorm)]
        for m in norms:
            m.training = False
        try:
            return self.forward(x)
        finally:
            for m in norms:
                m.training = True


# ------------------------------------------------------------ L1 and its prox
def soft_threshold(x: Any, t: Any) -> np.ndarray:
    r"""The proximal operator of :math:`t\|x\|_1`, entrywise:

    .. math::

        \operatorname{prox}_{t\|\cdot\|_1}(x) = \arg\min_z \tfrac12\|z - x\|^2 + t\|z\|_1
        = \operatorname{sign}(x)\max(|x| - t, 0).

    Every entry with :math:`|x| \le t` becomes exactly zero; the others move
    :math:`t` towards zero.

    Parameters
    ----------
    x : float array
    t : float or array >= 0, broadcasting against ``x``

    Examples
    --------
    >>> soft_threshold(np.array([-2.0, -0.5, 0.0, 0.3, 1.5]), 0.5)
    array([-1.5, -0. ,  0. ,  0. ,  1. ])
    """
    x = check_float_array("x", x, finite=False)
    t = check_in_range("t", t, 0.0, None)
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


class ProximalState(NamedTuple):
    inner: Any
    step: int


class Proximal:
    r"""Proximal wrapper: the inner optimizer's update, then an L1 soft-threshold.

    .. math::

        \theta_{t-\frac12} = \text{inner update}(\theta_{t-1}, g_t), \qquad
        \theta_t = \operatorname{sign}(\theta_{t-\frac12})\max(|\theta_{t-\frac12}| - \eta_t\lambda, 0)

    on the entries selected by ``mask`` (others untouched). With plain SGD this
    is proximal gradient descent (ISTA) for :math:`L(\theta) + \lambda\|\theta\|_1`;
    with an adaptive inner optimizer it is the common heuristic that
    thresholds by :math:`\eta_t\lambda`, not by the per-coordinate step.
    Built by :func:`proximal`.
    """

    def __init__(self, inner: Any, l1: Any, mask: Any = None) -> None:
        if not (hasattr(inner, "init") and hasattr(inner, "update")):
            raise TypeError(f"inner must be a descent.optim optimizer; got {type(inner).__name__}")
        self.inner = inner
        self.l1 = check_in_range("l1", l1, 0.0, None)
        self.mask = mask

    def __getattr__(self, name: str) -> Any:  # lr and other hyperparameters of the inner optimizer
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"proximal({self.inner!r}, l1={self.l1!r})"

    def init(self, params: Any) -> ProximalState:
        self._mask_of(params)  # validate once
        return ProximalState(self.inner.init(params), 0)

    def _mask_of(self, params: Any) -> Any:
        m = self.mask
        if m is None:
            return None
        if isinstance(params, dict):
            if not isinstance(m, dict) or set(m) != set(params):
                raise ValueError(f"mask must be a dict with the keys of params {sorted(params)}")
            return {k: np.broadcast_to(np.asarray(m[k], dtype=bool), np.shape(params[k])) for k in params}
        try:
            return np.broadcast_to(np.asarray(m, dtype=bool), np.shape(params))
        except ValueError:
            raise ValueError(f"mask of shape {np.shape(m)} does not broadcast to params {np.shape(params)}") from None

    def _lr(self, step: int) -> Any:
        lr = self.inner.lr
        return lr(step) if callable(lr) else lr

    def _prox(self, params: Any, step: int, inplace: bool) -> Any:
        t = np.asarray(self._lr(step)) * self.l1
        mask = self._mask_of(params)

        def one(p: np.ndarray, m: np.ndarray | None) -> np.ndarray:
            shrunk = np.sign(p) * np.maximum(np.abs(p) - t, 0.0)
            new = shrunk if m is None else np.where(m, shrunk, p)
            new = new.astype(p.dtype, copy=False)
            if inplace:
                p[...] = new
                return p
            return new

        if isinstance(params, dict):
            return {k: one(v, None if mask is None else mask[k]) for k, v in params.items()}
        return one(params, mask)

    def update(self, params: Any, grads: Any, state: ProximalState, **extra: Any) -> tuple[Any, ProximalState]:
        if not isinstance(state, ProximalState):
            raise TypeError(f"state must be the ProximalState from init; got {type(state).__name__}")
        new, inner = self.inner.update(params, grads, state.inner, **extra)
        return self._prox(new, state.step, inplace=False), ProximalState(inner, state.step + 1)

    def update_(self, params: Any, grads: Any, state: ProximalState, **extra: Any) -> tuple[Any, ProximalState]:
        if not isinstance(state, ProximalState):
            raise TypeError(f"state must be the ProximalState from init; got {type(state).__name__}")
        step = getattr(self.inner, "update_", self.inner.update)
        new, inner = step(params, grads, state.inner, **extra)
        return self._prox(new, state.step, inplace=True), ProximalState(inner, state.step + 1)


def proximal(opt: Any, l1: Any, mask: Any = None) -> Proximal:
    r"""Wrap ``opt`` so that each update ends with the L1 proximal step (see :class:`Proximal`).

    Parameters
    ----------
    opt : a :mod:`descent.optim` optimizer (or wrapper)
        Its ``lr`` (float, array or schedule) sets the threshold :math:`\eta_t\lambda`.
    l1 : float or array >= 0
        :math:`\lambda`; an ``(R, 1)`` column gives one value per row of a batched run.
    mask : bool array or dict of them, optional
        Entries to threshold (e.g. weights but not biases); default all.

    Examples
    --------
    >>> from descent.optim import SGD
    >>> opt = proximal(SGD(lr=0.1), l1=1.0)
    >>> p, s = opt.update(np.array([1.0, 0.05]), np.zeros(2), opt.init(np.zeros(2)))
    >>> p
    array([0.9, 0. ])
    """
    return Proximal(opt, l1, mask)


# --------------------------------------------------------------- augmentation
def shift_digits(X: Any, rng: np.random.Generator, max_shift: int = 1) -> np.ndarray:
    r"""Shift each 8x8 digit image (a row of 64) by a random whole number of pixels, filling with 0.

    Each row gets its own offsets :math:`(d_r, d_c)` drawn uniformly from
    :math:`\{-s, \dots, s\}^2` (``s = max_shift``, zero shift included):
    :math:`x'[i, j] = x[i - d_r, j - d_c]` where that pixel exists, else 0.

    Parameters
    ----------
    X : float array (N, 64)
    rng : numpy.random.Generator
    max_shift : int in [0, 7]

    Examples
    --------
    >>> img = np.zeros((1, 64)); img[0, 9] = 1.0          # pixel (1, 1)
    >>> int(np.flatnonzero(shift_digits(img, np.random.default_rng(0))[0])[0])   # (2, 1): one row down
    17
    """
    X = check_float_array("X", X, finite=False)
    if X.ndim != 2 or X.shape[1] != 64:
        raise ValueError(f"X must have shape (N, 64) (8x8 images as rows); got {X.shape}")
    _check_rng(rng)
    s = check_int("max_shift", max_shift, 0, 7)
    N = X.shape[0]
    img = np.zeros((N, 8 + 2 * s, 8 + 2 * s), dtype=X.dtype)
    img[:, s:s + 8, s:s + 8] = X.reshape(N, 8, 8)
    d = rng.integers(-s, s + 1, size=(N, 2))
    rows = (np.arange(8)[None, :] + s - d[:, :1])[:, :, None]
    cols = (np.arange(8)[None, :] + s - d[:, 1:])[:, None, :]
    return img[np.arange(N)[:, None, None], rows, cols].reshape(N, 64)


def gaussian_noise(X: Any, rng: np.random.Generator, sigma: float = 0.1, clip: bool = True) -> np.ndarray:
    r"""Add :math:`\mathcal N(0, \sigma^2)` noise to every entry; ``clip`` keeps pixels in :math:`[0, 1]`.

    Examples
    --------
    >>> gaussian_noise(np.full((1, 3), 0.5), np.random.default_rng(0), sigma=0.0)
    array([[0.5, 0.5, 0.5]])
    """
    X = check_float_array("X", X, finite=False)
    _check_rng(rng)
    sigma = check_in_range("sigma", sigma, 0.0, None, allow_array=False)
    out = X + sigma * rng.standard_normal(X.shape)
    return np.clip(out, 0.0, 1.0) if clip else out


# ------------------------------------------------------------- early stopping
class StopPoint(NamedTuple):
    """Where early stopping stops: ``stop`` (index of the last epoch run), ``best`` (the epoch to restore) and its value."""

    stop: int
    best: int
    value: float


@dataclass
class EarlyStopping:
    r"""Stop when the monitored value has not improved for ``patience`` epochs.

    An epoch *improves* if its value is below the best so far by more than
    ``min_delta`` (``mode="min"``; above for ``"max"``). After ``patience``
    epochs in a row without improvement, :meth:`update` returns True; the
    weights to keep are those of epoch ``best``. Non-finite values never improve.

    Parameters
    ----------
    patience : int >= 1
    min_delta : float >= 0, default 0
    mode : {"min", "max"}, default "min"
    """

    patience: int
    min_delta: float = 0.0
    mode: str = "min"

    def __post_init__(self) -> None:
        self.patience = check_int("patience", self.patience, 1)
        self.min_delta = float(check_in_range("min_delta", self.min_delta, 0.0, None, allow_array=False))
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {self.mode!r}")
        self.best, self.best_value, self.epoch, self.bad = -1, np.inf, -1, 0

    def update(self, value: float) -> bool:
        """Record the next epoch's value; return True when training should stop."""
        v = float(value) if self.mode == "min" else -float(value)
        self.epoch += 1
        if np.isfinite(v) and v < self.best_value - self.min_delta:
            self.best, self.best_value, self.bad = self.epoch, v, 0
        else:
            self.bad += 1
        return self.bad >= self.patience


def early_stop(curve: Any, patience: int, min_delta: float = 0.0, mode: str = "min") -> StopPoint:
    """Run :class:`EarlyStopping` along a recorded validation ``curve``; without a stop, ``stop`` is the last epoch.

    Examples
    --------
    >>> early_stop([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6], patience=3)
    StopPoint(stop=5, best=2, value=0.7)
    """
    c = check_float_array("curve", np.asarray(curve, dtype=float) if isinstance(curve, (list, tuple)) else curve,
                          finite=False)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"curve must be a non-empty 1-d sequence; got shape {c.shape}")
    es = EarlyStopping(patience, min_delta, mode)
    for i, v in enumerate(c):
        if es.update(v):
            break
    best = max(es.best, 0)
    return StopPoint(int(i), int(best), float(c[best]))


# ------------------------------------------------------------------- explorer
def _band_dash(ls: Any) -> str | None:
    return {"-": None, "--": "7 4", "-.": "7 3 2 3", ":": "2 3"}.get(ls, "6 2 2 2") if isinstance(ls, str) else "6 2 2 2"


def explore_regularization(data: Any, *, lr: float = 1e-2, p: float = 0.2, weight_decay: float = 0.1,
                           epochs: int = 100, seeds: Sequence[int] = range(5), hidden: Sequence[int] = (32,),
                           batch_size: int = 128, static_p: Sequence[float] = (0.0, 0.2, 0.5),
                           static_weight_decay: Sequence[float] = (0.0, 0.1, 1.0)) -> Any:
    r"""An explorer of dropout :math:`p` and decoupled weight decay :math:`\lambda` on an MLP (AdamW).

    Every setting trains ``len(seeds)`` networks with
    :func:`descent.bakeoff.sweep` (AdamW at rate ``lr``, inverted dropout
    ``p`` on the hidden units) and draws the median training and validation
    loss per epoch with bands from the best to the worst seed, on a fixed log
    axis. Live in JupyterLab (each change retrains), kernel-free in the book
    over ``static_p`` x ``static_weight_decay``.

    Parameters
    ----------
    data : descent.bakeoff.Split
    lr : float > 0
    p : float in [0, 0.9]; weight_decay : float in [0, 3]
        Initial slider values.
    epochs, batch_size : int >= 1; seeds : sequence of int; hidden : sequence of int
        As in :func:`descent.bakeoff.sweep`.
    static_p, static_weight_decay : sequences of 1 to 8 values in the slider ranges
        The book's grid.

    Examples
    --------
    >>> from descent.bakeoff import load_split
    >>> ex = explore_regularization(load_split("wine"), epochs=3, seeds=[0], static_p=[0.0], static_weight_decay=[0.0])
    >>> ex.summary.startswith("p = 0.2, λ = 0.1: final training loss")
    True
    """
    from .bakeoff import Split

    if not isinstance(data, Split):
        raise TypeError(f"data must be a descent.bakeoff.Split; got {type(data).__name__}")
    lr = float(check_in_range("lr", lr, 0.0, None, low_open=True, allow_array=False))
    p = float(check_in_range("p", p, 0.0, 0.9, high_open=False, allow_array=False))
    weight_decay = float(check_in_range("weight_decay", weight_decay, 0.0, 3.0, high_open=False, allow_array=False))
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    grids = {}
    for name, vals, hi in (("static_p", static_p, 0.9), ("static_weight_decay", static_weight_decay, 3.0)):
        vals = sorted({float(check_in_range(f"{name}[i]", v, 0.0, hi, high_open=False, allow_array=False))
                       for v in vals})
        if not 1 <= len(vals) <= 8:
            raise ValueError(f"{name} must give 1 to 8 values; got {len(vals)}")
        grids[name] = vals
    return _RegularizationExplorer(data, lr, p, weight_decay, epochs, seeds, tuple(hidden), batch_size,
                                   grids["static_p"], grids["static_weight_decay"])


def _make_explorer_class() -> type:
    from .explore.base import BaseExplorer, control_spec

    class RegularizationExplorer(BaseExplorer):
        """Dropout p and weight decay λ -> training and validation loss curves (see :func:`explore_regularization`)."""

        YLIM = (1e-3, 10.0)

        def __init__(self, data, lr, p, wd, epochs, seeds, hidden, batch_size, static_p, static_wd):
            import ipywidgets as w

            from .explore.controls import Slider

            self.data, self.lr, self.epochs, self.seeds = data, lr, epochs, list(seeds)
            self.hidden, self.batch_size = hidden, batch_size
            self._setup_controls({"p": Slider(0.0, 0.9, p, step=0.05, static=static_p),
                                  "weight_decay": Slider(0.0, 3.0, wd, step=0.05, static=static_wd)},
                                 continuous=False)
            self._setup_png_panel()
            self._cache: dict = {}
            self._observe(list(self.sliders.values()))
            self.widget = w.VBox([w.HBox(list(self.sliders.values())), self._image, self._text])
            self.summary = ""
            self.refresh()

        def compute(self, v):
            from .bakeoff import sweep
            from .optim import AdamW

            key = (round(float(v["p"]), 6), round(float(v["weight_decay"]), 6))
            if key not in self._cache:
                wd = key[1]
                r = sweep({"AdamW": lambda lr: AdamW(lr=lr, weight_decay=wd)}, self.data, [self.lr], self.seeds,
                          hidden=self.hidden, epochs=self.epochs, batch_size=self.batch_size, dropout=key[0])
                self._cache[key] = (r.train_loss, r.val_loss, r.final)
            return self._cache[key]

        def _words(self, v, res):
            tl, vl, f = res
            return (f"p = {v['p']:.2g}, λ = {v['weight_decay']:.2g}: final training loss {np.median(tl[:, -1]):.3g}, "
                    f"validation loss {np.median(vl[:, -1]):.3g} (lowest {np.median(vl.min(axis=1)):.3g} at epoch "
                    f"{int(np.median(vl.argmin(axis=1))) + 1}), validation accuracy "
                    f"{100 * np.median(f['val_acc']):.1f}% (medians over {len(self.seeds)} seeds)")

        def draw(self, res, title):
            import io

            from . import viz

            tl, vl, _ = res
            ax = self.ax
            ax.clear()
            ep = np.arange(1, self.epochs + 1)
            for i, (name, c) in enumerate((("training loss", tl), ("validation loss", vl))):
                st = viz.style(i)
                ax.fill_between(ep, c.min(axis=0), c.max(axis=0), color=st["color"], alpha=0.2, lw=0)
                ax.plot(ep, np.median(c, axis=0), color=st["color"], linestyle=st["linestyle"], label=name)
            ax.set_yscale("log")
            ax.set_ylim(*self.YLIM)
            ax.set_xlim(1, self.epochs)
            ax.set_xlabel("epoch")
            ax.set_ylabel("cross-entropy")
            ax.legend(loc="lower left", fontsize=9)
            ax.set_title(title, fontsize=10)
            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
            self._image.value = buf.getvalue()

        def refresh(self):
            v = self.values
            res = self.compute(v)
            self.summary = self._words(v, res)
            self.draw(res, f"AdamW η = {self.lr:.2g} on {self.data.X_train.shape[0]} training examples")
            self._text.value = f"<span style='font-family: monospace'>{self.summary}</span>"

        def static_figure(self):
            from . import viz
            from .explore.static import Axis, Panel, StaticFigure

            v = self.values
            book = self.book_controls()
            controls = [control_spec(n, c, c.grid(), v[n]) for n, c in book.items()]
            panel = Panel(Axis(1, self.epochs, "epoch"), Axis(*self.YLIM, "cross-entropy", log=True))
            items = [{"name": name, "color": viz.style(i)["color"], "dash": _band_dash(viz.style(i)["linestyle"]),
                      "deps": list(book), "series": [(0, "band"), (0, "line")]}
                     for i, name in enumerate(("training loss", "validation loss"))]
            fig = StaticFigure("", controls, [panel], items)
            ep = np.arange(1, self.epochs + 1, dtype=float)
            for j, it in enumerate(items):
                for k, c in enumerate(fig.combos(it)):
                    vals = {**v, **c}
                    res = self.compute(vals)
                    curve = res[j]
                    fig.put(it["name"], k, [(ep, curve.min(axis=0), curve.max(axis=0)), (ep, np.median(curve, axis=0))],
                            self._words(vals, res))
            return fig

        def _render_static(self):
            from .explore.static import png_data_uri

            fig = self.static_figure()
            desc = ("Median training and validation loss per epoch over "
                    f"{len(self.seeds)} seeds, with bands from the best to the worst seed, on a log axis, for "
                    "AdamW with inverted dropout p on the hidden units and decoupled weight decay λ.")
            return fig.html(alt=f"Loss curves: {self.summary}", description=desc,
                            still=png_data_uri(self.fig, dpi=80, colors=48))

        def __repr__(self):
            return f"RegularizationExplorer: {self.summary}"

    return RegularizationExplorer


class _LazyExplorer:
    """Builds the explorer class on first use (ipywidgets and the explorer package load only then)."""

    cls: type | None = None

    def __call__(self, *args: Any) -> Any:
        if _LazyExplorer.cls is None:
            _LazyExplorer.cls = _make_explorer_class()
        return _LazyExplorer.cls(*args)


_RegularizationExplorer = _LazyExplorer()

r"""A small, fair optimizer bake-off: (optimizers x learning rates x seeds) on an MLP classifier.

Fairness here means three things, all enforced by :func:`sweep`:

- every optimizer gets its *own* learning-rate grid and the *same* budget
  (epochs, batch size, network, data split);
- runs with the same seed share the initial weights (those of
  ``descent.nn.MLP(sizes, rng=np.random.default_rng(seed))``), the order of
  the mini-batches, the dropout masks and the augmentation noise (common
  random numbers), so differences come from the optimizer;
- the learning rate is chosen on the *validation* split, and the test split
  is only reported, never used to choose.

All runs of one optimizer train at once: the parameters of ``R`` networks are
the rows of one ``(R, P)`` array and the learning rates one ``(R, 1)`` column,
so one :mod:`descent.optim` update moves every run (the vectorization of
chapters 3-7). The network is a ReLU MLP whose forward and backward passes
below are batched over runs:

.. math::

    h_0 = x,\quad h_k = \operatorname{relu}(h_{k-1}W_k + b_k)\odot m_k/(1-p),\quad
    f(x) = h_{K-1}W_K + b_K,

with the mean softmax cross-entropy as loss and :math:`m_k` Bernoulli(1-p)
dropout masks (no dropout when ``p = 0``, and never at evaluation).

Example
-------
>>> from descent.optim import SGD
>>> data = load_split("wine", seed=0)
>>> res = sweep({"SGD": lambda lr: SGD(lr=lr)}, data, {"SGD": [0.1, 0.3]}, seeds=(0, 1),
...             hidden=(8,), epochs=3, batch_size=32)
>>> res.train_loss.shape          # 2 learning rates x 2 seeds, one point per epoch
(4, 3)
>>> sorted(res.best())
['SGD']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ._validation import check_in_range, check_int

__all__ = ["DIVERGED", "Split", "load_split", "DATASETS", "contenders", "DEFAULT_LRS", "Layout", "layout",
           "init_params", "loss_and_grad", "predict", "Bakeoff", "sweep"]

DATASETS = ("digits", "breast_cancer", "wine")
DIVERGED = 10.0  # a run whose final training loss exceeds this multiple of its initial loss has diverged
Factory = Callable[[np.ndarray], Any]


# ------------------------------------------------------------------------ data
@dataclass(frozen=True)
class Split:
    """A classification data set cut into train / validation / test parts (features float64)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def load_split(name: str = "digits", seed: int = 0, fractions: tuple[float, float] = (0.6, 0.2)) -> Split:
    r"""Load one of scikit-learn's bundled data sets (no download) and split it.

    ``digits`` (1797 8x8 images, 10 classes) is scaled to :math:`[0, 1]` by
    :math:`x/16`; ``breast_cancer`` (569 x 30, 2 classes) and ``wine``
    (178 x 13, 3 classes) are standardized with the *training* part's mean and
    standard deviation, :math:`(x - \mu_\text{train})/\sigma_\text{train}`.
    The split is a seeded random permutation, stratified by class.

    Parameters
    ----------
    name : {"digits", "breast_cancer", "wine"}
    seed : int >= 0
        Seed of the split (not of the training runs).
    fractions : (train, val), each in (0, 1), sum < 1
        The test part is the rest.
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, DATASETS))}; got {name!r}")
    seed = check_int("seed", seed, 0)
    if not isinstance(fractions, (tuple, list)) or len(fractions) != 2:
        raise TypeError(f"fractions must be a pair (train, val); got {fractions!r}")
    f_tr = check_in_range("fractions[0]", fractions[0], 0.0, 1.0, low_open=True, allow_array=False)
    f_va = check_in_range("fractions[1]", fractions[1], 0.0, 1.0, low_open=True, allow_array=False)
    if f_tr + f_va >= 1.0:
        raise ValueError(f"fractions must sum to less than 1 (the rest is the test part); got {fractions!r}")
    from sklearn import datasets

    loader = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine}[name]
    X, y = loader(return_X_y=True)
    X = X.astype(np.float64)
    y = y.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):  # stratified: each class split in the same proportions
        idx = rng.permutation(np.flatnonzero(y == c))
        a, b = int(round(f_tr * idx.size)), int(round((f_tr + f_va) * idx.size))
        for part, sl in zip(parts, (idx[:a], idx[a:b], idx[b:])):
            part.append(sl)
    tr, va, te = (rng.permutation(np.concatenate(p)) for p in parts)
    if name == "digits":
        X = X / 16.0
    else:
        mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
        X = (X - mu) / np.where(sd > 0, sd, 1.0)
    return Split(name, X[tr], y[tr], X[va], y[va], X[te], y[te], int(y.max()) + 1)


# ----------------------------------------------------------------- contenders
def contenders() -> dict[str, Factory]:
    """The chapter's nine optimizers as factories ``lr_column -> optimizer`` (library defaults otherwise).

    SGD, SGD+momentum (0.9), Nesterov (0.9), Adagrad, RMSprop, Adam, AdamW
    (weight decay 0.01, its default), AdaBelief and Lion.
    """
    from .optim import SGD, AdaBelief, Adagrad, Adam, AdamW, Lion, RMSprop

    return {
        "SGD": lambda lr: SGD(lr=lr),
        "SGD+momentum": lambda lr: SGD(lr=lr, momentum=0.9),
        "Nesterov": lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True),
        "Adagrad": lambda lr: Adagrad(lr=lr),
        "RMSprop": lambda lr: RMSprop(lr=lr),
        "Adam": lambda lr: Adam(lr=lr),
        "AdamW": lambda lr: AdamW(lr=lr),
        "AdaBelief": lambda lr: AdaBelief(lr=lr),
        "Lion": lambda lr: Lion(lr=lr),
    }


def _grid(center: float, n: int = 7) -> tuple[float, ...]:
    return tuple(float(center * 10.0 ** (0.5 * k)) for k in range(-(n // 2), n - n // 2))


#: Learning-rate grids: 7 points in half-decade steps (a factor 1000 end to end), centred on the
#: middle of each method's good range for the chapter's digits MLP (found with wider pilot sweeps).
DEFAULT_LRS: dict[str, tuple[float, ...]] = {
    "SGD": _grid(1.0), "SGD+momentum": _grid(0.1), "Nesterov": _grid(0.1),
    "Adagrad": _grid(0.1), "RMSprop": _grid(3e-3), "Adam": _grid(1e-2), "AdamW": _grid(1e-2),
    "AdaBelief": _grid(3e-2), "Lion": _grid(3e-3),
}


# ---------------------------------------------------------- the batched MLP
@dataclass(frozen=True)
class Layout:
    """Where each layer's ``W`` and ``b`` live in a flat parameter row of length ``size``."""

    sizes: tuple[int, ...]
    slices: tuple[tuple[slice, slice], ...]
    size: int

    def weight_mask(self) -> np.ndarray:
        """Boolean ``(size,)``: True on weight entries, False on biases (for masked decay or L1)."""
        m = np.zeros(self.size, dtype=bool)
        for w, _ in self.slices:
            m[w] = True
        return m

    def unflatten(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``(W (R, n_in, n_out), b (R, 1, n_out))`` into ``theta`` of shape ``(R, size)``."""
        R = theta.shape[0]
        out = []
        for (w, b), n_in, n_out in zip(self.slices, self.sizes[:-1], self.sizes[1:]):
            out.append((theta[:, w].reshape(R, n_in, n_out), theta[:, b].reshape(R, 1, n_out)))
        return out


def layout(sizes: Sequence[int]) -> Layout:
    """The flat layout of an MLP with layer widths ``sizes`` (input first), the order of ``nn.MLP.params()``."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width; got {sizes!r}")
    sizes = tuple(check_int(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes))
    slices, pos = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = slice(pos, pos + n_in * n_out)
        pos = w.stop
        b = slice(pos, pos + n_out)
        pos = b.stop
        slices.append((w, b))
    return Layout(sizes, tuple(slices), pos)


def init_params(sizes: Sequence[int], seeds: Sequence[int]) -> np.ndarray:
    """One row per seed: the He-initialized weights of ``descent.nn.MLP(sizes, rng=default_rng(seed))``, flattened."""
    from .nn import MLP

    lay = layout(sizes)
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    theta = np.empty((len(seeds), lay.size))
    for r, s in enumerate(seeds):
        model = MLP(list(lay.sizes), rng=np.random.default_rng(s))
        lin = model.linear_layers()
        for (w, b), layer in zip(lay.slices, lin):
            theta[r, w] = layer.W.ravel()
            theta[r, b] = layer.b
    return theta


def _check_theta(theta: Any, lay: Layout) -> np.ndarray:
    theta = np.asarray(theta)
    if theta.dtype.kind != "f" or theta.ndim != 2 or theta.shape[1] != lay.size:
        raise ValueError(f"theta must be a float array of shape (R, {lay.size}); got {theta.dtype} {theta.shape}")
    return theta


def predict(theta: np.ndarray, lay: Layout, X: np.ndarray) -> np.ndarray:
    """Logits ``(R, N, C)`` of every run on a shared batch ``X (N, d)`` or per-run batches ``(R, N, d)``."""
    theta = _check_theta(theta, lay)
    h = np.asarray(X, dtype=theta.dtype)
    layers = lay.unflatten(theta)
    with np.errstate(all="ignore"):  # diverged runs carry inf/nan; reported, not warned
        for k, (W, b) in enumerate(layers):
            if h.ndim == 2:  # a shared batch: one (N, d) x (d, R*H) product instead of R small ones
                R, d, H = W.shape
                h = (h @ W.transpose(1, 0, 2).reshape(d, R * H)).reshape(-1, R, H).transpose(1, 0, 2) + b
            else:
                h = h @ W + b
            if k < len(layers) - 1:
                np.maximum(h, 0.0, out=h)
    return h


def _loss_of_logits(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-run mean cross-entropy (R,) and the log-probabilities."""
    zmax = z.max(axis=-1, keepdims=True)
    logp = z - zmax
    logp -= np.log(np.exp(logp).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    return nll.mean(axis=-1), logp


def loss_and_grad(theta: np.ndarray, lay: Layout, X: np.ndarray, y: np.ndarray, *,
                  dropout: float = 0.0, masks: Sequence[np.ndarray] | None = None,
                  out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean cross-entropy of every run and its gradient, batched over runs.

    Backward pass, per run, with :math:`\bar z_K = (\operatorname{softmax}(z_K) - e_y)/B`:

    .. math::

        \bar W_k = h_{k-1}^\top \bar z_k,\quad \bar b_k = \textstyle\sum_\text{rows}\bar z_k,\quad
        \bar z_{k-1} = (\bar z_k W_k^\top)\odot[z_{k-1} > 0]\odot m_{k-1}/(1-p).

    Parameters
    ----------
    theta : float array (R, lay.size)
    lay : Layout
    X : float array (B, d) shared by all runs, or (R, B, d)
    y : int array (B,) or (R, B)
    dropout : float in [0, 1)
        Inverted-dropout rate on hidden units; needs ``masks`` when > 0.
    masks : sequence of bool arrays (R, B, width_k), one per hidden layer
        True where a unit is kept.
    out : float array (R, lay.size), optional
        Where to write the gradient.

    Returns
    -------
    loss : (R,) and grad : (R, lay.size)
    """
    theta = _check_theta(theta, lay)
    p = check_in_range("dropout", dropout, 0.0, 1.0, allow_array=False)
    layers = lay.unflatten(theta)
    if p > 0 and (masks is None or len(masks) != len(layers) - 1):
        raise ValueError(f"dropout={p} needs one mask per hidden layer ({len(layers) - 1}); got {masks!r:.40}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class indices; got dtype {y.dtype}")
    R = theta.shape[0]
    grad = np.empty_like(theta) if out is None else out
    g_layers = lay.unflatten(grad)
    with np.errstate(all="ignore"):
        hs, h = [], np.asarray(X, dtype=theta.dtype)
        for k, (W, b) in enumerate(layers):
            hs.append(h)
            h = h @ W + b
            if k < len(layers) - 1:
                np.maximum(h, 0.0, out=h)
                if p > 0:
                    h *= masks[k]
                    h *= 1.0 / (1.0 - p)
        loss, logp = _loss_of_logits(h, np.broadcast_to(y, h.shape[:-1]))
        B = h.shape[-2]
        dz = np.exp(logp)
        np.put_along_axis(dz, np.broadcast_to(y, h.shape[:-1])[..., None],
                          np.take_along_axis(dz, np.broadcast_to(y, h.shape[:-1])[..., None], axis=-1) - 1.0,
                          axis=-1)
        dz *= 1.0 / B
        for k in range(len(layers) - 1, -1, -1):
            W, _ = layers[k]
            gW, gb = g_layers[k]
            hk = hs[k]
            if hk.ndim == 2:  # the shared input batch
                np.matmul(hk.T, dz, out=gW)
            else:
                np.matmul(hk.transpose(0, 2, 1), dz, out=gW)
            gb[...] = dz.sum(axis=-2, keepdims=True)
            if k > 0:
                dz = dz @ W.transpose(0, 2, 1)
                dz *= hk > 0  # the post-ReLU (and post-dropout) activation is 0 exactly where the unit is off
                if p > 0:
                    dz *= 1.0 / (1.0 - p)
    if loss.shape != (R,):
        loss = np.broadcast_to(loss, (R,)).copy()
    return loss, grad


def _accuracy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-run accuracy (R,); a row with a non-finite logit counts as wrong."""
    ok = np.all(np.isfinite(logits), axis=-1)
    with np.errstate(invalid="ignore"):
        pred = np.argmax(np.where(ok[..., None], logits, -np.inf), axis=-1)
    return np.mean((pred == y) & ok, axis=-1)


def _mean_loss(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        loss, _ = _loss_of_logits(logits, np.broadcast_to(y, logits.shape[:-1]))
    return np.where(np.isfinite(loss), loss, np.inf)


# -------------------------------------------------------------------- results
@dataclass
class Bakeoff:
    r"""Tidy results: one entry per run (optimizer x lr x seed) in every array.

    Attributes
    ----------
    optimizer, lr, seed : arrays (n_runs,)
    train_loss : (n_runs, epochs)
        Mean mini-batch loss during each epoch (each taken before its update), ``inf`` once diverged.
    val_loss, val_acc : (n_runs, epochs)
        Validation loss and accuracy after each epoch.
    test_loss, test_acc : (n_runs, epochs)
        The same on the test split: for reporting (early stopping chosen on validation), never for choosing.
    grad_norm : (n_runs, epochs)
        The largest mini-batch gradient norm :math:`\|g\|_2` of each epoch (before clipping).
    final : dict of (n_runs,) arrays
        ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``, ``test_loss``,
        ``test_acc`` at the end, ``gap`` = train_acc - test_acc,
        ``loss_gap`` = test_loss - train_loss (nan if diverged), and ``diverged``: a non-finite
        loss or parameter, or a final training loss above ``DIVERGED`` (10) times its value at
        initialization (weights that blew up behind dead ReLUs leave finite but huge losses).
    data : str, config : dict, seconds : float (wall time of the sweep)
    params : (n_runs, P) array or None
        The final parameters (flat, see :func:`layout`) when ``sweep(keep_params=True)``.
    """

    optimizer: np.ndarray
    lr: np.ndarray
    seed: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    final: dict[str, np.ndarray]
    data: str
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    test_loss: np.ndarray | None = None
    test_acc: np.ndarray | None = None
    grad_norm: np.ndarray | None = None
    params: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        """Optimizer names in the order they were run."""
        return list(dict.fromkeys(self.optimizer.tolist()))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per run: optimizer, lr, seed and every ``final`` metric."""
        out = []
        for i in range(self.optimizer.size):
            row = {"optimizer": str(self.optimizer[i]), "lr": float(self.lr[i]), "seed": int(self.seed[i])}
            row.update({k: (bool(v[i]) if v.dtype == bool else float(v[i])) for k, v in self.final.items()})
            out.append(row)
        return out

    def mask(self, optimizer: str, lr: float | None = None) -> np.ndarray:
        """Boolean mask of the runs of ``optimizer`` (and of ``lr`` if given)."""
        if optimizer not in self.names:
            raise ValueError(f"optimizer must be one of {self.names}; got {optimizer!r}")
        m = self.optimizer == optimizer
        if lr is not None:
            m &= np.isclose(self.lr, lr, rtol=1e-12, atol=0.0)
            if not m.any():
                raise ValueError(f"lr {lr!r} was not in {optimizer}'s grid {sorted(set(self.lr[self.optimizer == optimizer]))}")
        return m

    def by_lr(self, optimizer: str, metric: str = "val_acc") -> tuple[np.ndarray, np.ndarray]:
        """The lr grid of ``optimizer`` and the ``final[metric]`` of each run, shape (n_lr, n_seeds)."""
        if metric not in self.final:
            raise ValueError(f"metric must be one of {sorted(self.final)}; got {metric!r}")
        m = self.mask(optimizer)
        lrs = np.unique(self.lr[m])
        vals = np.stack([self.final[metric][m & np.isclose(self.lr, a, rtol=1e-12, atol=0.0)] for a in lrs])
        return lrs, vals.astype(float)

    def best(self, metric: str = "val_acc") -> dict[str, dict[str, Any]]:
        """Per optimizer, the lr with the highest mean ``metric`` over seeds (validation by default).

        Chosen on validation, reported on test: each entry holds ``lr``,
        ``val_acc``, ``test_acc``, ``gap``, ``train_loss`` (means over the
        seeds at that lr), ``test_acc_std`` (across seeds), ``diverged``
        (fraction of all this optimizer's runs that diverged) and ``mask``.
        A higher ``metric`` is better, except for names ending in ``loss``.
        A learning rate at which any seed diverged is not chosen (unless every
        rate diverged): a blown-up network can keep a good accuracy on an easy
        split, but it is not a trained model to recommend.
        """
        out = {}
        sign = -1.0 if metric.endswith("loss") else 1.0
        for name in self.names:
            lrs, vals = self.by_lr(name, metric)
            score = sign * vals.mean(axis=1)
            score = np.where(np.isfinite(score), score, -np.inf)
            failed = self.by_lr(name, "diverged")[1].any(axis=1)
            if not failed.all():
                score = np.where(failed, -np.inf, score)
            a = lrs[int(np.argmax(score))]
            m = self.mask(name, a)
            f = self.final
            out[name] = {
                "lr": float(a),
                "val_acc": float(f["val_acc"][m].mean()),
                "test_acc": float(f["test_acc"][m].mean()),
                "test_acc_std": float(f["test_acc"][m].std()),
                "gap": float(f["gap"][m].mean()),
                "train_loss": float(f["train_loss"][m].mean()),
                "diverged": float(f["diverged"][self.mask(name)].mean()),
                "mask": m,
            }
        return out


# ---------------------------------------------------------------------- sweep
def _one_blas_thread() -> Any:
    """Limit BLAS to one thread while sweeping (entered; the caller exits it).

    The products here are small ((R, 128, 64) by (R, 64, 32)): a second BLAS
    thread gains little and, on a shared machine, spinning threads multiplied
    the CPU time of a sweep by about 8 in our measurements.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _check_contenders(optimizers: Any) -> dict[str, Factory]:
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError(f"optimizers must be a non-empty dict name -> factory(lr_column); got {type(optimizers).__name__}")
    for k, f in optimizers.items():
        if not isinstance(k, str) or not callable(f):
            raise TypeError(f"optimizers must map names (str) to callables lr -> optimizer; got {k!r}: {f!r}")
    return dict(optimizers)


def _check_lrs(lrs: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    if not isinstance(lrs, Mapping):
        lrs = {n: lrs for n in names}
    missing = [n for n in names if n not in lrs]
    if missing:
        raise ValueError(f"lrs has no grid for {missing}")
    out = {}
    for n in names:
        grid = np.asarray(lrs[n], dtype=float).ravel()
        if grid.size == 0:
            raise ValueError(f"lrs[{n!r}] must hold at least one learning rate")
        check_in_range(f"lrs[{n!r}]", grid, 0.0, None, low_open=True)
        out[n] = grid
    return out


def sweep(optimizers: Mapping[str, Factory], data: Split, lrs: Mapping[str, Sequence[float]] | Sequence[float],
          seeds: Sequence[int] = (0, 1, 2), *, hidden: Sequence[int] = (32,), epochs: int = 20,
          batch_size: int = 128, dropout: float = 0.0,
          augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
          clip: float | None = None, keep_params: bool = False, progress: bool = False) -> Bakeoff:
    r"""Train every (optimizer, lr, seed) on ``data`` with one budget; return tidy :class:`Bakeoff` results.

    Each optimizer's runs (its lr grid x ``seeds``) train together as one
    ``(R, P)`` batch: ``opt = factory(lr_column)`` with ``lr_column`` of
    shape ``(R, 1)``, then ``epochs`` passes over the training set in
    shuffled mini-batches of ``batch_size`` (the last may be smaller), one
    ``opt.update_`` per batch. Validation loss and accuracy are recorded
    after each epoch, the final metrics on all three splits at the end.

    Parameters
    ----------
    optimizers : dict name -> callable(lr (R, 1) array) -> optimizer
        E.g. :func:`contenders`. The factory may wrap the optimizer
        (``descent.regularize.proximal``, ``descent.optim.masked``, a schedule).
    data : Split
    lrs : dict name -> sequence of lr > 0, or one sequence for all
    seeds : sequence of int >= 0
        Seed of initialization (``nn.MLP``'s) and of the batch order, dropout
        masks and augmentation (``default_rng([seed, 1])``).
    hidden : sequence of int >= 1
        Hidden widths (ReLU).
    epochs, batch_size : int >= 1
    dropout : float in [0, 1)
        Inverted dropout on hidden units at training time.
    augment : callable(X_batch, rng) -> X_batch, optional
        Applied to each training mini-batch of each run, e.g.
        ``descent.regularize.shift_digits``.
    clip : float > 0, optional
        Clip each run's gradient to this global norm,
        :math:`g \leftarrow g\min(1, c/\|g\|_2)` (per run, not across runs).
    keep_params : bool
        Return the final parameters in ``Bakeoff.params``.
    progress : bool
        Show a ``tqdm`` progress bar over optimizers x epochs.
    """
    import time

    optimizers = _check_contenders(optimizers)
    names = list(optimizers)
    grids = _check_lrs(lrs, names)
    if not isinstance(data, Split):
        raise TypeError(f"data must be a Split (see load_split); got {type(data).__name__}")
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = tuple(check_int("hidden[i]", h, 1) for h in hidden)
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    p = float(check_in_range("dropout", dropout, 0.0, 1.0, allow_array=False))
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be a callable (X_batch, rng) -> X_batch or None; got {augment!r}")
    if clip is not None:
        clip = float(check_in_range("clip", clip, 0.0, None, low_open=True, allow_array=False))
    for flag_name, flag in (("keep_params", keep_params), ("progress", progress)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{flag_name} must be True or False; got {flag!r}")

    lay = layout((data.n_features, *hidden, data.n_classes))
    theta0 = init_params(lay.sizes, seeds)
    loss0 = _mean_loss(predict(theta0, lay, data.X_train), data.y_train)
    n, S = data.X_train.shape[0], len(seeds)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(names) * epochs, desc=f"bake-off on {data.name}", unit="epoch")
    t0 = time.perf_counter()
    limit = _one_blas_thread()
    cols: dict[str, list] = {k: [] for k in ("optimizer", "lr", "seed", "train_loss", "val_loss", "val_acc",
                                             "test_loss", "test_acc", "grad_norm", "params")}
    finals: dict[str, list] = {}
    try:
        for name in names:
            grid = grids[name]
            L = grid.size
            R = L * S
            lr_col = np.repeat(grid, S)[:, None]
            seed_of = np.tile(np.arange(S), L)
            theta = theta0[seed_of].copy()
            opt = optimizers[name](lr_col)
            state = opt.init(theta)
            grad = np.empty_like(theta)
            rngs = [np.random.default_rng([s, 1]) for s in seeds]
            tl, vl, va, sl, sa, gn = (np.zeros((R, epochs)) for _ in range(6))
            bad = np.zeros(R, dtype=bool)
            for e in range(epochs):
                perms = np.stack([r.permutation(n) for r in rngs])[seed_of]  # (R, n): shared per seed
                total = np.zeros(R)
                for start in range(0, n, batch_size):
                    idx = perms[:, start:start + batch_size]
                    xb = data.X_train[idx]
                    if augment is not None:
                        per_seed = [augment(data.X_train[perms[s, start:start + batch_size]], rngs[s])
                                    for s in range(S)]
                        xb = np.stack(per_seed)[seed_of]
                    masks = None
                    if p > 0:
                        masks = [np.stack([r.random((idx.shape[1], h)) >= p for r in rngs])[seed_of]
                                 for h in hidden]
                    loss, _ = loss_and_grad(theta, lay, xb, data.y_train[idx], dropout=p, masks=masks, out=grad)
                    total += loss * idx.shape[1]
                    with np.errstate(all="ignore"):
                        norm = np.sqrt(np.einsum("rp,rp->r", grad, grad))
                        gn[:, e] = np.fmax(gn[:, e], norm)
                        if clip is not None:
                            grad *= np.minimum(1.0, clip / np.where(norm > 0, norm, 1.0))[:, None]
                        theta, state = opt.update_(theta, grad, state)
                tl[:, e] = total / n
                zv = predict(theta, lay, data.X_val)
                vl[:, e] = _mean_loss(zv, data.y_val)
                va[:, e] = _accuracy(zv, data.y_val)
                zt = predict(theta, lay, data.X_test)
                sl[:, e] = _mean_loss(zt, data.y_test)
                sa[:, e] = _accuracy(zt, data.y_test)
                if bar is not None:
                    bar.update(1)
            bad |= ~np.all(np.isfinite(theta), axis=1) | ~np.isfinite(tl).all(axis=1)
            tl = np.where(np.isfinite(tl), tl, np.inf)
            f = {}
            for split, X, y in (("train", data.X_train, data.y_train), ("val", data.X_val, data.y_val),
                                ("test", data.X_test, data.y_test)):
                z = predict(theta, lay, X)
                f[f"{split}_loss"] = _mean_loss(z, y)
                f[f"{split}_acc"] = _accuracy(z, y)
            bad |= ~np.isfinite(f["train_loss"]) | (f["train_loss"] > DIVERGED * loss0[seed_of])
            f["gap"] = f["train_acc"] - f["test_acc"]
            with np.errstate(invalid="ignore"):
                f["loss_gap"] = np.where(bad, np.nan, f["test_loss"] - f["train_loss"])
            f["diverged"] = bad
            for k, v in f.items():
                finals.setdefault(k, []).append(v)
            cols["optimizer"].append(np.array([name] * R, dtype=object))
            cols["lr"].append(lr_col[:, 0])
            cols["seed"].append(np.asarray(seeds)[seed_of])
            cols["train_loss"].append(tl)
            cols["val_loss"].append(vl)
            cols["val_acc"].append(va)
            cols["test_loss"].append(sl)
            cols["test_acc"].append(sa)
            cols["grad_norm"].append(np.where(np.isfinite(gn), gn, np.inf))
            if keep_params:
                cols["params"].append(theta.copy())
    finally:
        limit.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    config = {"hidden": hidden, "epochs": epochs, "batch_size": batch_size, "dropout": p, "clip": clip,
              "seeds": tuple(seeds), "augment": augment is not None, "sizes": lay.sizes,
              "n_train": n, "lrs": {k: tuple(v) for k, v in grids.items()}}
    return Bakeoff(
        optimizer=np.concatenate(cols["optimizer"]).astype(str),
        lr=np.concatenate(cols["lr"]), seed=np.concatenate(cols["seed"]),
        train_loss=np.concatenate(cols["train_loss"]), val_loss=np.concatenate(cols["val_loss"]),
        val_acc=np.concatenate(cols["val_acc"]),
        final={k: np.concatenate(v) for k, v in finals.items()},
        data=data.name, config=config, seconds=seconds,
        test_loss=np.concatenate(cols["test_loss"]), test_acc=np.concatenate(cols["test_acc"]),
        grad_norm=np.concatenate(cols["grad_norm"]),
        params=np.concatenate(cols["params"]) if keep_params else None,
    )

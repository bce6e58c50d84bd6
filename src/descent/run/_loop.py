r"""The loop behind :func:`minimize` and :func:`minimize_many`: sampling, updates, divergence, averages."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from .._validation import check_float_array, check_in_range, check_int
from .trajectory import Trajectory

__all__ = ["minimize", "minimize_many"]

SAMPLINGS = ("iid", "reshuffle")
AVERAGES = ("none", "tail", "polyak")
_CHUNK = 1 << 22  # entries of the largest intermediate when evaluating the averaged iterates


# ------------------------------------------------------------------------ sampling
def _sample_batches(rng: np.random.Generator, batch_shape: tuple[int, ...], n: int, b: int) -> np.ndarray:
    """Indices of a mini-batch of size ``b`` drawn without replacement, one per run."""
    if not batch_shape:
        return rng.choice(n, size=b, replace=False)
    keys = rng.random(batch_shape + (n,))
    return np.argpartition(keys, b - 1, axis=-1)[..., :b] if b < n else np.argsort(keys, axis=-1)


class _Reshuffle:
    """Per-epoch random permutations, one per run; step ``k`` takes the next slice of ``b`` indices.

    An epoch is ``ceil(n / b)`` steps; its last batch holds the ``n mod b``
    leftover examples when ``b`` does not divide ``n`` (torch's DataLoader with
    ``shuffle=True, drop_last=False``), so every example is used exactly once
    per epoch.
    """

    def __init__(self, rng: np.random.Generator, batch_shape: tuple[int, ...], n: int, b: int) -> None:
        self.rng, self.b = rng, b
        self.ordered = np.broadcast_to(np.arange(n), batch_shape + (n,))
        self.per_epoch = -(-n // b)
        self.perm: np.ndarray | None = None

    def __call__(self, k: int) -> np.ndarray:
        j = (k - 1) % self.per_epoch
        if j == 0:
            self.perm = self.rng.permuted(self.ordered, axis=-1)
        return self.perm[..., j * self.b:(j + 1) * self.b]


def _sampler(rng: np.random.Generator, batch_shape: tuple[int, ...], n: int, b: int,
             sampling: str) -> Callable[[int], np.ndarray]:
    if sampling == "reshuffle":
        return _Reshuffle(rng, batch_shape, n, b)
    return lambda k: _sample_batches(rng, batch_shape, n, b)


def _check_common(problem: Any, x0: Any, steps: Any, batch_size: Any, sampling: Any, bound: Any,
                  average: Any, average_start: Any) -> tuple:
    x0 = check_float_array("x0", x0, min_ndim=1)
    steps = check_int("steps", steps, 0)
    bound = check_in_range("bound", bound, 0.0, None, low_open=True, allow_array=False)
    if getattr(problem, "dim", x0.shape[-1]) != x0.shape[-1]:
        raise ValueError(f"x0 must have last dimension {problem.dim} (the problem's); got shape {x0.shape}")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}; got {sampling!r}")
    n = getattr(problem, "n_samples", None)
    if batch_size is not None:
        if n is None:
            raise ValueError("batch_size needs a finite-sum problem (one with n_samples)")
        batch_size = check_int("batch_size", batch_size, 1, n)
    start = _average_start(average, average_start, steps)
    return x0, steps, bound, n, batch_size, start


def _check_rng(rng: Any) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)) when batch_size "
            f"is given; got {type(rng).__name__}"
        )


def _average_start(average: Any, average_start: Any, steps: int) -> int | None:
    """The first step in the average: ``None`` (no averaging), 0 (polyak) or from ``average_start``."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}; got {average!r}")
    if average != "tail":
        if average_start is not None:
            raise ValueError(f"average_start applies to average='tail' only; got average={average!r}")
        return None if average == "none" else 0
    if average_start is None:
        average_start = 0.5
    if isinstance(average_start, (float, np.floating)):
        frac = check_in_range("average_start", average_start, 0.0, 1.0, high_open=False, allow_array=False)
        return int(frac * steps)
    return check_int("average_start", average_start, 0, steps)


# ------------------------------------------------------------------------ the loop
def _drive(problem: Any, x: np.ndarray, steps: int, fns: list, states: list, sliced: bool,
           sample: Callable | None, bound: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the updates from ``x`` (owned, modified); record points, losses and divergence steps.

    ``fns[m]`` is an optimizer's ``update`` or ``update_`` and ``states[m]`` its
    state: one optimizer on all of ``x`` (``sliced=False``), or one per slice
    ``x[m]`` of the leading axis (``sliced=True``).
    """
    lead = x.shape[:-1]
    points = np.full((steps + 1,) + x.shape, np.nan, dtype=x.dtype)
    losses = np.full((steps + 1,) + lead, np.nan, dtype=np.result_type(x.dtype, np.float32))
    div = np.full(lead, -1, dtype=np.int64)
    grad, value = _evaluators(problem)
    single = not sliced
    fn, state = fns[0], states[0]
    M = len(fns)
    dead = frozen = None
    amax, absolute, add, isfinite = np.maximum.reduce, np.absolute, np.add.reduce, math.isfinite
    with np.errstate(all="ignore"):
        f = value(x)
        points[0], losses[0] = x, f
        for k in range(1, steps + 1):
            g = grad(x) if sample is None else grad(x, batch=sample(k))
            if single:
                x, state = fn(x, g, state)
            else:
                xn = np.empty_like(x)
                for m in range(M):
                    xn[m], states[m] = fns[m](x[m], g[m], states[m])
                x = xn
            f = value(x)
            # the common case in one cheap test: every run finite and inside the box (nan fails it)
            if dead is None and amax(absolute(x), None) <= bound and isfinite(add(f, None)):
                points[k], losses[k] = x, f
                continue
            bad = ~np.isfinite(f) | ~np.all(np.isfinite(x) & (np.abs(x) <= bound), axis=-1)
            new = np.asarray(bad & (div < 0))
            if new.any():
                div = np.where(new, k, div)
                # a run that diverges at step k is frozen at its last good point, points[k - 1]
                frozen = np.where(new[..., None], points[k - 1], x if frozen is None else frozen)
            dead = div >= 0
            if not dead.any():
                dead = None
                points[k], losses[k] = x, f
                continue
            if dead.all():
                break
            x = np.where(dead[..., None], frozen, x)
            points[k] = np.where(dead[..., None], np.nan, x)
            losses[k] = np.where(dead, np.nan, f)
    return points, losses, div


def _average(problem: Any, points: np.ndarray, losses: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Running mean :math:`\bar\theta_k = \frac{1}{k-s+1}\sum_{i=s}^{k}\theta_i` for ``k >= s``, and its loss."""
    avg, avg_losses = points.copy(), losses.copy()
    tail = points[start:]
    count = np.arange(1, tail.shape[0] + 1, dtype=points.dtype).reshape((-1,) + (1,) * (points.ndim - 1))
    with np.errstate(all="ignore"):
        avg[start:] = np.cumsum(tail, axis=0) / count
        per_step = max(1, int(np.prod(points.shape[1:-1], dtype=np.int64)) * int(getattr(problem, "n_samples", 1)))
        chunk = max(1, _CHUNK // per_step)
        for i in range(start, points.shape[0], chunk):
            avg_losses[i:i + chunk] = problem.value(avg[i:i + chunk])
        avg_losses[np.isnan(losses)] = np.nan
    return avg, avg_losses


def _evaluators(problem: Any) -> tuple[Callable, Callable]:
    """``problem.grad`` and ``problem.value``, or for a plain landscape the same computation without re-validation.

    A :class:`~descent.landscapes.Landscape` that does not override ``grad``
    and ``value`` checks ``x`` on every call and then runs ``_grad``/``_value``.
    :func:`minimize` validated ``x0`` once and owns every later iterate (float,
    of the problem's dimension), so it calls the same methods directly: the
    numbers are the same, a few microseconds per step sooner.
    """
    from ..landscapes import Landscape

    cls = type(problem)
    if not (isinstance(problem, Landscape) and cls.grad is Landscape.grad and cls.value is Landscape.value
            and cls._evaluate is Landscape._evaluate and cls._finish is Landscape._finish):
        return problem.grad, problem.value
    raw_grad, raw_value = problem._grad, problem._value

    def grad(x: np.ndarray) -> np.ndarray:
        return np.asarray(raw_grad(x)).astype(x.dtype, copy=False)[()]

    def value(x: np.ndarray) -> np.ndarray:
        return np.asarray(raw_value(x)).astype(x.dtype, copy=False)[()]

    return grad, value


def _fast_update(optimizer: Any) -> Callable:
    """The optimizer's in-place ``update_`` when it has one (bitwise equal to ``update``), else ``update``."""
    fn = getattr(optimizer, "update_", None)
    return fn if callable(fn) else optimizer.update


# ------------------------------------------------------------------------ public API
def minimize(
    problem: Any,
    x0: Any,
    optimizer: Any,
    steps: int,
    *,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    sampling: str = "iid",
    average: str = "none",
    average_start: int | float | None = None,
    bound: float = 1e6,
) -> Trajectory:
    r"""Run ``optimizer`` on ``problem`` for ``steps`` updates from ``x0``.

    Parameters
    ----------
    problem : object with ``value(x)`` and ``grad(x)``
        A :mod:`descent.landscapes` problem. Finite sums (with ``n_samples``)
        also accept ``batch_size`` for stochastic gradients.
    x0 : float ndarray, shape (*batch, d)
        Starting point(s); leading axes are independent runs.
    optimizer : descent.optim.Optimizer
        Any optimizer; array hyperparameters must broadcast against ``x0``.
    steps : int >= 0
        Number of updates.
    batch_size : int, optional
        Mini-batch size :math:`B` for finite sums; ``None`` (or ``B = N``)
        uses the full gradient.
    rng : numpy.random.Generator, optional
        Required with ``batch_size``; the source of all sampling.
    sampling : {"iid", "reshuffle"}, default "iid"
        ``"iid"``: every run and step draws its own batch of :math:`B` distinct
        examples, independently of the past. ``"reshuffle"``: what data
        loaders do. Each run draws a random permutation of the :math:`N`
        examples per epoch and takes its batches in order, so every example is
        used exactly once per epoch of :math:`\lceil N/B \rceil` steps. When
        :math:`B` does not divide :math:`N` the epoch's last batch is the
        :math:`N \bmod B` leftovers (torch's ``drop_last=False``).
    average : {"none", "tail", "polyak"}, default "none"
        Iterate averaging (Polyak & Juditsky, 1992), reported beside the last
        iterate in ``avg_points`` and ``avg_losses``:
        :math:`\bar\theta_k = \frac{1}{k-s+1}\sum_{i=s}^{k}\theta_i` for
        :math:`k \ge s`, and :math:`\bar\theta_k = \theta_k` before.
        ``"polyak"`` averages from :math:`s = 0`; ``"tail"`` from ``average_start``.
    average_start : int or float, optional
        :math:`s` for ``average="tail"``: an int is a step in ``[0, steps]``,
        a float in ``[0, 1]`` a fraction of ``steps`` (rounded down). Default
        ``0.5``, the second half of the run.
    bound : float > 0, default 1e6
        A run has diverged once a coordinate exceeds this in absolute value
        (or its point or loss is not finite). Its step is recorded, the run
        is frozen at its last good point, and its later entries are ``nan``,
        with no RuntimeWarning on the way.

    Returns
    -------
    Trajectory

    Examples
    --------
    >>> import numpy as np
    >>> from descent.landscapes import LeastSquares, Quadratic
    >>> from descent.optim import SGD
    >>> q = Quadratic(np.diag([1.0, 10.0]))
    >>> x0 = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> traj = minimize(q, x0, SGD(lr=np.array([[0.1], [0.25]])), 50)
    >>> traj.diverged_at          # 0.25 > 2/L = 0.2: |1 - 0.25*10|^k passes 1e6 at k = 35
    [None, 35]

    SGD as a data loader runs it (one pass over shuffled data per epoch), with
    the second half of the run averaged:

    >>> ls = LeastSquares.synthetic(n_samples=100, dim=2, noise=0.5, rng=np.random.default_rng(0))
    >>> run = minimize(ls, np.zeros(2), SGD(lr=0.1), 1000, batch_size=10, rng=np.random.default_rng(1),
    ...                sampling="reshuffle", average="tail", average_start=0.5)
    >>> run.average_start
    500
    >>> bool(run.final_avg_loss - ls.min_value < (run.final_loss - ls.min_value) / 10)
    True
    """
    x0, steps, bound, n, batch_size, start = _check_common(
        problem, x0, steps, batch_size, sampling, bound, average, average_start)
    if batch_size is not None:
        _check_rng(rng)
    batch_shape = x0.shape[:-1]
    sample = None
    if batch_size is not None and batch_size < n:
        sample = _sampler(rng, batch_shape, n, batch_size, sampling)
    x = x0.copy()
    state = optimizer.init(x)
    points, losses, div = _drive(problem, x, steps, [_fast_update(optimizer)], [state], False, sample, bound)
    return _result(problem, points, losses, div, start)


def _result(problem: Any, points: np.ndarray, losses: np.ndarray, div: np.ndarray, start: int | None) -> Trajectory:
    avg = avg_losses = None
    if start is not None:
        avg, avg_losses = _average(problem, points, losses, start)
    return Trajectory(points, losses, div, float(getattr(problem, "min_value", np.nan)), avg, avg_losses, start)


def minimize_many(
    problem: Any,
    x0: Any,
    optimizers: Mapping[str, Any],
    steps: int,
    *,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    seeds: Sequence[int] | None = None,
    sampling: str = "iid",
    average: str = "none",
    average_start: int | float | None = None,
    bound: float = 1e6,
) -> dict[str, Trajectory]:
    r"""Run several optimizers side by side from the same ``x0`` on the same mini-batches.

    The iterates of all optimizers are stacked, so every step calls
    ``problem.grad`` and ``problem.value`` once for all of them; each
    optimizer then updates its own slice. Each result equals what
    :func:`minimize` returns for that optimizer alone (with a generator seeded
    like ``rng``, or ``np.random.default_rng(s)`` for each seed ``s``).

    Parameters
    ----------
    problem, x0, steps, batch_size, sampling, average, average_start, bound
        As in :func:`minimize`.
    optimizers : mapping of str to Optimizer
        The optimizers by name; the result has the same keys, in order.
    rng : numpy.random.Generator, optional
        With ``batch_size``: the source of the batches, shared by all
        optimizers (each step's batch is drawn once and used by every one).
    seeds : sequence of int, optional
        Instead of ``rng``: repeat every run once per seed, drawing its
        batches from ``np.random.default_rng(seed)``. Each trajectory gains a
        leading seed axis: points of shape ``(steps + 1, len(seeds), *batch, d)``.
        Without ``batch_size`` every seed gives the same run.

    Returns
    -------
    dict of str to Trajectory

    Examples
    --------
    >>> import numpy as np
    >>> from descent.landscapes import LeastSquares, Rosenbrock
    >>> from descent.optim import SGD, Adam
    >>> runs = minimize_many(Rosenbrock(), np.array([-1.5, 2.0]),
    ...                      {"GD": SGD(lr=1e-3), "Adam": Adam(lr=0.05), "fast GD": SGD(lr=0.01)}, 200)
    >>> [f"{name}: {t.summary()}" for name, t in runs.items()]
    ['GD: final loss 5.32 after 200 steps', 'Adam: final loss 3.69 after 200 steps', 'fast GD: diverged at step 5']
    >>> ls = LeastSquares.synthetic(n_samples=64, dim=2, rng=np.random.default_rng(0))
    >>> noisy = minimize_many(ls, np.zeros(2), {"SGD": SGD(lr=0.1)}, 50, batch_size=8, seeds=[0, 1, 2])
    >>> noisy["SGD"].points.shape      # steps + 1, seeds, d
    (51, 3, 2)
    """
    x0, steps, bound, n, batch_size, start = _check_common(
        problem, x0, steps, batch_size, sampling, bound, average, average_start)
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError(f"optimizers must be a non-empty mapping of names to optimizers; got {optimizers!r}")
    for name in optimizers:
        if not isinstance(name, str):
            raise TypeError(f"optimizers must be keyed by str names; got key {name!r}")
    if seeds is not None:
        if rng is not None:
            raise ValueError("give rng or seeds, not both")
        if isinstance(seeds, (int, np.integer)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
            raise TypeError(f"seeds must be a non-empty sequence of ints; got {seeds!r}")
        seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    elif batch_size is not None:
        _check_rng(rng)
    run_shape = x0.shape if seeds is None else (len(seeds),) + x0.shape
    sample = None
    if batch_size is not None and batch_size < n:
        if seeds is None:
            sample = _sampler(rng, x0.shape[:-1], n, batch_size, sampling)
        else:
            per_seed = [_sampler(np.random.default_rng(s), x0.shape[:-1], n, batch_size, sampling) for s in seeds]
            sample = lambda k: np.stack([s(k) for s in per_seed])  # noqa: E731
    names = list(optimizers)
    x = np.empty((len(names),) + run_shape, dtype=x0.dtype)
    x[...] = x0
    opts = [optimizers[name] for name in names]
    states = [o.init(x[m]) for m, o in enumerate(opts)]
    points, losses, div = _drive(problem, x, steps, [_fast_update(o) for o in opts], states, True, sample, bound)
    return {name: _result(problem, points[:, m], losses[:, m], div[m], start) for m, name in enumerate(names)}

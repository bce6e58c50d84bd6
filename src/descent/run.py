r"""Run an optimizer on a problem, vectorized over many runs, with divergence detection.

:func:`minimize` drives any object with ``value(x)`` and ``grad(x)`` (every
:mod:`descent.landscapes` problem) from a batch of starting points. The runs
are the leading axes of ``x0``: ``x0`` of shape ``(R, d)`` is ``R`` runs, and
hyperparameter arrays of shape ``(R, 1)`` give each run its own setting. A run
*diverges* when its loss or point stops being finite or leaves the box
``|x_i| <= bound``; its step is recorded, the run is frozen at its last good
point, and its later entries are ``nan``, with no RuntimeWarning on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_float_array, check_in_range, check_int

__all__ = ["Trajectory", "minimize"]


@dataclass(frozen=True)
class Trajectory:
    """The recorded result of :func:`minimize`.

    Attributes
    ----------
    points : ndarray, shape (steps + 1, *batch, d)
        ``points[k]`` is the iterate after ``k`` updates (``points[0]`` = x0);
        ``nan`` after a run diverged.
    losses : ndarray, shape (steps + 1, *batch)
        Full objective at each point (``nan`` after divergence).
    divergence_steps : ndarray of int, shape batch
        The update at which each run diverged, ``-1`` if it never did.
    min_value : float
        The problem's known minimum (``nan`` if unknown), for :meth:`steps_to`.
    """

    points: np.ndarray
    losses: np.ndarray
    divergence_steps: np.ndarray
    min_value: float = float("nan")

    @property
    def steps(self) -> int:
        """Number of updates that were run."""
        return self.losses.shape[0] - 1

    @property
    def diverged(self) -> np.ndarray | bool:
        """Boolean mask (or bool for a single run): which runs diverged."""
        d = self.divergence_steps >= 0
        return bool(d) if d.ndim == 0 else d

    @property
    def diverged_at(self) -> Any:
        """The divergence step of each run, or ``None`` where it never diverged.

        An ``int``/``None`` for a single run, a nested list for a batch.
        """
        if self.divergence_steps.ndim == 0:
            k = int(self.divergence_steps)
            return None if k < 0 else k
        return np.vectorize(lambda k: None if k < 0 else int(k), otypes=[object])(
            self.divergence_steps
        ).tolist()

    @property
    def final_loss(self) -> np.ndarray | float:
        """Loss after the last update (``nan`` for diverged runs)."""
        f = self.losses[-1]
        return float(f) if np.ndim(f) == 0 else f

    def steps_to(self, tol: float) -> np.ndarray | int | None:
        """First step at which ``loss - min_value <= tol`` (``-1``/None if never)."""
        tol = check_in_range("tol", tol, 0.0, None, low_open=True, allow_array=False)
        if np.isnan(self.min_value):
            raise ValueError("steps_to needs a problem with a known min_value")
        with np.errstate(invalid="ignore"):
            hit = (self.losses - self.min_value) <= tol
        first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
        if first.ndim == 0:
            return None if first < 0 else int(first)
        return first

    def summary(self, index: Any = (), tol: float | None = None) -> str:
        """One line in words for run ``index``: diverged at step k, or final loss and steps to tol."""
        k = int(np.asarray(self.divergence_steps)[index])
        if k >= 0:
            return f"diverged at step {k}"
        text = f"final loss {float(self.losses[-1][index]):.3g} after {self.steps} steps"
        if tol is not None and not np.isnan(self.min_value):
            s = self.steps_to(tol)
            s = s if np.ndim(s) == 0 or s is None else int(np.asarray(s)[index])
            text += (f"; within {tol:g} of the minimum at step {s}" if s is not None and s >= 0
                     else f"; never within {tol:g} of the minimum")
        return text


def _sample_batches(rng: np.random.Generator, batch_shape: tuple[int, ...], n: int, b: int) -> np.ndarray:
    """Indices of a mini-batch of size ``b`` drawn without replacement, one per run."""
    if not batch_shape:
        return rng.choice(n, size=b, replace=False)
    keys = rng.random(batch_shape + (n,))
    return np.argpartition(keys, b - 1, axis=-1)[..., :b] if b < n else np.argsort(keys, axis=-1)


def minimize(
    problem: Any,
    x0: Any,
    optimizer: Any,
    steps: int,
    *,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
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
        Mini-batch size :math:`B` for finite sums (each run and step draws its
        own batch without replacement); ``None`` uses the full gradient.
    rng : numpy.random.Generator, optional
        Required with ``batch_size``; the source of all sampling.
    bound : float > 0, default 1e6
        A run has diverged once a coordinate exceeds this in absolute value.

    Returns
    -------
    Trajectory

    Examples
    --------
    >>> import numpy as np
    >>> from descent.landscapes import Quadratic
    >>> from descent.optim import SGD
    >>> q = Quadratic(np.diag([1.0, 10.0]))
    >>> x0 = np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> traj = minimize(q, x0, SGD(lr=np.array([[0.1], [0.25]])), 50)
    >>> traj.diverged_at          # 0.25 > 2/L = 0.2: |1 - 0.25*10|^k passes 1e6 at k = 35
    [None, 35]
    """
    x0 = check_float_array("x0", x0, min_ndim=1)
    steps = check_int("steps", steps, 0)
    bound = check_in_range("bound", bound, 0.0, None, low_open=True, allow_array=False)
    if getattr(problem, "dim", x0.shape[-1]) != x0.shape[-1]:
        raise ValueError(f"x0 must have last dimension {problem.dim} (the problem's); got shape {x0.shape}")
    n = getattr(problem, "n_samples", None)
    if batch_size is not None:
        if n is None:
            raise ValueError("batch_size needs a finite-sum problem (one with n_samples)")
        batch_size = check_int("batch_size", batch_size, 1, n)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (np.random.default_rng(seed)) when batch_size "
                f"is given; got {type(rng).__name__}"
            )
    batch_shape = x0.shape[:-1]
    points = np.full((steps + 1,) + x0.shape, np.nan, dtype=x0.dtype)
    losses = np.full((steps + 1,) + batch_shape, np.nan, dtype=np.result_type(x0.dtype, np.float32))
    div = np.full(batch_shape, -1, dtype=np.int64)
    x = x0.copy()
    last_good = x0.copy()
    state = optimizer.init(x)
    with np.errstate(all="ignore"):
        f = problem.value(x)
        points[0], losses[0] = x, f
        for k in range(1, steps + 1):
            if batch_size is not None and batch_size < n:
                idx = _sample_batches(rng, batch_shape, n, batch_size)
                g = problem.grad(x, batch=idx)
            else:
                g = problem.grad(x)
            x, state = optimizer.update(x, g, state)
            f = problem.value(x)
            bad = ~np.isfinite(f) | ~np.all(np.isfinite(x) & (np.abs(x) <= bound), axis=-1)
            new = bad & (div < 0)
            if np.any(new):
                div = np.where(new, k, div)
            dead = div >= 0
            if np.any(dead):
                # freeze diverged runs at their last good point so nothing overflows further
                x = np.where(dead[..., None], last_good, x)
                f = np.where(dead, np.nan, f)
                points[k] = np.where(dead[..., None], np.nan, x)
                if np.all(dead):
                    break
            else:
                points[k] = x
            losses[k] = f
            last_good = x
    return Trajectory(points, losses, div, float(getattr(problem, "min_value", np.nan)))

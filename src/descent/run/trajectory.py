"""The recorded result of :func:`descent.run.minimize`: points, losses, divergence, averages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_in_range

__all__ = ["Trajectory"]


def _none_where_negative(steps: np.ndarray) -> Any:
    """``int``/``None`` for a 0-d array, a nested list of them otherwise (``-1`` becomes ``None``)."""
    if steps.ndim == 0:
        k = int(steps)
        return None if k < 0 else k
    return np.vectorize(lambda k: None if k < 0 else int(k), otypes=[object])(steps).tolist()


@dataclass(frozen=True)
class Trajectory:
    r"""The recorded result of :func:`minimize`.

    Attributes
    ----------
    points : ndarray, shape (steps + 1, *batch, d)
        ``points[k]`` is the iterate after ``k`` updates (``points[0]`` = x0);
        ``nan`` after a run diverged.
    losses : ndarray, shape (steps + 1, *batch)
        Full objective at each point (``nan`` after divergence).
    divergence_steps : ndarray of int, shape batch
        The update at which each run diverged, ``-1`` if it never did (the
        raw array; :attr:`diverged_at` gives ``None`` instead).
    min_value : float
        The problem's known minimum (``nan`` if unknown), for :meth:`steps_to`.
    avg_points : ndarray, shape (steps + 1, *batch, d), or None
        The averaged iterate :math:`\bar\theta_k` (``average="tail"`` or
        ``"polyak"``); equal to ``points[k]`` before ``average_start``.
        ``None`` when ``average="none"``.
    avg_losses : ndarray, shape (steps + 1, *batch), or None
        Full objective at ``avg_points``.
    average_start : int or None
        The first step in the average (``None`` when not averaging).
    """

    points: np.ndarray
    losses: np.ndarray
    divergence_steps: np.ndarray
    min_value: float = float("nan")
    avg_points: np.ndarray | None = None
    avg_losses: np.ndarray | None = None
    average_start: int | None = None

    @property
    def steps(self) -> int:
        """Number of updates that were run."""
        return self.losses.shape[0] - 1

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the batch of runs (``()`` for a single run)."""
        return tuple(np.shape(self.divergence_steps))

    @property
    def diverged(self) -> np.ndarray | bool:
        """Boolean mask (or bool for a single run): which runs diverged."""
        d = np.asarray(self.divergence_steps) >= 0
        return bool(d) if d.ndim == 0 else d

    @property
    def diverged_at(self) -> Any:
        """The divergence step of each run, or ``None`` where it never diverged.

        An ``int``/``None`` for a single run, a nested list for a batch.
        """
        return _none_where_negative(np.asarray(self.divergence_steps))

    @property
    def final_loss(self) -> np.ndarray | float:
        """Loss after the last update (``nan`` for diverged runs)."""
        f = self.losses[-1]
        return float(f) if np.ndim(f) == 0 else f

    @property
    def final_avg_loss(self) -> np.ndarray | float | None:
        """Loss of the averaged iterate after the last update; ``None`` when not averaging."""
        if self.avg_losses is None:
            return None
        f = self.avg_losses[-1]
        return float(f) if np.ndim(f) == 0 else f

    def steps_to(self, tol: float, *, averaged: bool = False, missing: int | None = None) -> Any:
        """First step at which ``loss - min_value <= tol``, ``None`` where never.

        Like :attr:`diverged_at`: an ``int``/``None`` for a single run, a nested
        list of them for a batch. ``averaged=True`` reads :attr:`avg_losses`.
        For vectorized code pass an int ``missing`` (e.g. ``-1``, as in
        :attr:`divergence_steps`): the result is then an int ndarray of the
        batch's shape (an ``int`` for a single run) with ``missing`` where never.
        """
        tol = check_in_range("tol", tol, 0.0, None, low_open=True, allow_array=False)
        if missing is not None and (isinstance(missing, (bool, np.bool_)) or not isinstance(missing, (int, np.integer))):
            raise TypeError(f"missing must be None or an int; got {missing!r}")
        if np.isnan(self.min_value):
            raise ValueError("steps_to needs a problem with a known min_value")
        losses = self.losses
        if averaged:
            if self.avg_losses is None:
                raise ValueError("steps_to(averaged=True) needs a run with average='tail' or 'polyak'")
            losses = self.avg_losses
        with np.errstate(invalid="ignore"):
            hit = (losses - self.min_value) <= tol
        first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
        if missing is None:
            return _none_where_negative(first)
        first = np.where(first < 0, missing, first)
        return int(first) if first.ndim == 0 else first

    def _check_index(self, index: Any) -> tuple:
        shape = self.batch_shape
        if index is None:
            index = ()
        index = index if isinstance(index, tuple) else (index,)
        if len(index) != len(shape) or not all(isinstance(i, (int, np.integer)) for i in index):
            if not shape:
                raise ValueError(f"this trajectory is a single run; call summary() without an index, got {index!r}")
            raise ValueError(
                f"summary needs the index of one run in this batch of shape {shape}, e.g. "
                f"summary({', '.join('0' for _ in shape)}) ; got index={index!r}"
            )
        for i, n in zip(index, shape):
            if not -n <= i < n:
                raise ValueError(f"index {index!r} is out of range for a batch of shape {shape}")
        return tuple(int(i) for i in index)

    def summary(self, index: Any = None, tol: float | None = None) -> str:
        """One line in words for run ``index``: diverged at step k, or final loss and steps to tol.

        ``index`` is required for a batch (an int or a tuple over the batch
        axes) and must be omitted for a single run.
        """
        ix = self._check_index(index)
        k = int(np.asarray(self.divergence_steps)[ix])
        if k >= 0:
            return f"diverged at step {k}"
        text = f"final loss {float(self.losses[-1][ix]):.3g} after {self.steps} steps"
        if self.avg_losses is not None:
            text += f" (averaged iterate {float(self.avg_losses[-1][ix]):.3g})"
        if tol is not None and not np.isnan(self.min_value):
            s = self.steps_to(tol)
            for i in ix:
                s = s[i]
            text += (f"; within {tol:g} of the minimum at step {s}" if s is not None
                     else f"; never within {tol:g} of the minimum")
        return text

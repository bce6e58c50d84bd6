r"""Several optimizers side by side, over seeds, and what the explorers say about them in words.

:func:`run_many` runs a dict of optimizers from one start for the same number
of steps. It calls :func:`descent.run.minimize_many` when the library has it,
and otherwise its own loop with the same meaning:

- full gradients: all optimizers in one :func:`descent.run.minimize` call
  (the problem is evaluated once per step for all of them), each row exactly
  what ``minimize`` gives for that optimizer alone;
- mini-batches: for each seed ``s`` every optimizer sees the batches drawn by
  ``np.random.default_rng(s)``; the trajectories get a leading seed axis
  (``points`` of shape ``(steps + 1, S, d)``).

:func:`seed_stats` reduces runs over seeds to what a figure shows (the median
of :math:`L(\theta_t) - L^\star` and the band from the smallest to the largest
seed), and :func:`words` to one line (the median over seeds, never one run).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .. import run as _run
from ..run import Trajectory, minimize

__all__ = ["run_many", "seed_stats", "words", "pick"]


class _SideBySide:
    """K optimizers on the rows ``params[..., k, :]`` of one stacked array."""

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


def pick(traj: Trajectory, index: tuple) -> Trajectory:
    """The runs ``index`` (over the batch axes) of a batched trajectory."""
    ix = (slice(None),) + index
    return Trajectory(traj.points[ix], traj.losses[ix], np.asarray(traj.divergence_steps[index]), traj.min_value)


def _stack(trajs: Sequence[Trajectory]) -> Trajectory:
    return Trajectory(np.stack([t.points for t in trajs], axis=1), np.stack([t.losses for t in trajs], axis=1),
                      np.stack([np.asarray(t.divergence_steps) for t in trajs]), trajs[0].min_value)


def _fallback(problem: Any, x0: np.ndarray, optimizers: Mapping[str, Any], steps: int, *,
              batch_size: int | None, seeds: Sequence[int] | None) -> dict[str, Trajectory]:
    names = list(optimizers)
    if batch_size is None:
        if len(names) == 1:
            return {names[0]: minimize(problem, x0, optimizers[names[0]], steps)}
        both = minimize(problem, np.broadcast_to(x0, x0.shape[:-1] + (len(names), x0.shape[-1])).copy(),
                        _SideBySide([optimizers[n] for n in names]), steps)
        return {n: pick(both, (Ellipsis, k) if x0.ndim > 1 else (k,)) for k, n in enumerate(names)}
    out = {}
    for n in names:
        runs = [minimize(problem, x0, optimizers[n], steps, batch_size=batch_size, rng=np.random.default_rng(s))
                for s in seeds]
        out[n] = _stack(runs)
    return out


def run_many(problem: Any, x0: np.ndarray, optimizers: Mapping[str, Any], steps: int, *,
             batch_size: int | None = None, seeds: Sequence[int] | None = None) -> dict[str, Trajectory]:
    """Every optimizer from ``x0`` for ``steps`` updates; with ``batch_size``, one run per seed (leading axis)."""
    if batch_size is not None and not seeds:
        raise ValueError("batch_size needs seeds (one run per seed)")
    many = getattr(_run, "minimize_many", None)
    if many is not None:
        if batch_size is None:
            return dict(many(problem, x0, dict(optimizers), steps))
        return dict(many(problem, x0, dict(optimizers), steps, batch_size=batch_size, seeds=list(seeds)))
    return _fallback(problem, x0, optimizers, steps, batch_size=batch_size, seeds=seeds)


def seed_stats(traj: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    r"""Median, smallest and largest :math:`L(\theta_t) - L^\star` over the seed axis, and the median run's index.

    A diverged run counts as :math:`+\infty` from its divergence on, so the
    median stops (``nan``) once more than half the runs have diverged. The
    median run is the one whose final gap is the (lower) median.
    """
    gap = np.asarray(traj.losses, dtype=float)
    if np.isfinite(traj.min_value):
        gap = gap - traj.min_value
    if gap.ndim == 1:
        return gap, gap, gap, 0
    g = np.where(np.isnan(gap), np.inf, gap)
    med = np.sort(g, axis=1)[:, (g.shape[1] - 1) // 2]
    hi, lo = g.max(axis=1), g.min(axis=1)
    final = g[-1]
    order = np.argsort(final, kind="stable")
    k = int(order[(g.shape[1] - 1) // 2])
    fix = lambda a: np.where(np.isinf(a), np.nan, a)  # noqa: E731
    return fix(med), fix(lo), np.where(np.isinf(hi), np.inf, hi), k


def words(name: str, traj: Trajectory, tol: float | None) -> str:
    """One line for an optimizer: the run's ``summary``, or medians over the seed axis."""
    if traj.losses.ndim == 1:
        return f"{name}: {traj.summary(tol=tol)}"
    S = traj.losses.shape[1]
    div = np.asarray(traj.divergence_steps)
    m = int(np.sum(div >= 0))
    if 2 * m > S:
        k = int(np.median(np.where(div >= 0, div, np.iinfo(np.int64).max)))
        return f"{name}: diverged at step {k} (median of {S} runs; {m} of {S} diverged)"
    med, _, _, _ = seed_stats(traj)
    text = f"{name}: final loss {float(med[-1] + (0 if np.isnan(traj.min_value) else traj.min_value)):.3g} " \
           f"after {traj.steps} steps"
    if tol is not None and np.isfinite(traj.min_value):
        s = np.asarray(traj.steps_to(tol))
        s = np.where(s >= 0, s, np.iinfo(np.int64).max)
        k = int(np.sort(s)[(S - 1) // 2])
        text += (f"; within {tol:g} of the minimum at step {k}" if k != np.iinfo(np.int64).max
                 else f"; never within {tol:g} of the minimum")
    return text + f" (median of {S} runs" + (f"; {m} diverged)" if m else ")")

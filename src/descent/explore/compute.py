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

__all__ = ["run_many", "seed_stats", "words", "pick", "truncate"]


def _merge(opts: Sequence[Any]) -> Any | None:
    """One optimizer of the same class whose hyperparameters are (K, 1) arrays; None when they cannot merge.

    Same-class optimizers (plain SGD and SGD with momentum, say) then cost one
    update per step instead of K. Flags and schedules must agree.
    """
    import inspect

    cls = type(opts[0])
    hypers = [getattr(o, "_hypers", lambda: None)() for o in opts]
    if any(h is None for h in hypers) or any(type(o) is not cls or h.keys() != hypers[0].keys()
                                             for o, h in zip(opts, hypers)):
        return None
    try:
        params = [p for p in inspect.signature(cls).parameters if p in hypers[0]]
    except (TypeError, ValueError):
        return None
    if set(params) != set(hypers[0]):
        return None
    kw = {}
    for p in params:
        vals = [h[p] for h in hypers]
        if all(_same(v, vals[0]) for v in vals):
            kw[p] = vals[0]
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            kw[p] = np.array(vals, dtype=float)[:, None]
        elif all(isinstance(v, tuple) and len(v) == len(vals[0]) for v in vals) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for v in vals for x in v):
            kw[p] = tuple(np.array([v[j] for v in vals], dtype=float)[:, None] for j in range(len(vals[0])))
        else:
            return None
    try:
        return cls(**kw)
    except (TypeError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    return type(a) is type(b) and a == b


class _Grouped:
    """Optimizers on contiguous row blocks ``params[..., a:b, :]`` of one stacked array."""

    def __init__(self, blocks: Sequence[tuple[Any, int, int]]) -> None:
        self.blocks = list(blocks)

    def init(self, params: np.ndarray) -> tuple:
        return tuple(o.init(params[..., a:b, :]) for o, a, b in self.blocks)

    def update(self, params: np.ndarray, grads: np.ndarray, state: tuple) -> tuple[np.ndarray, tuple]:
        out, new = np.empty_like(params), []
        for (o, a, b), s in zip(self.blocks, state):
            p, s = o.update(params[..., a:b, :], grads[..., a:b, :], s)
            out[..., a:b, :] = p
            new.append(s)
        return out, tuple(new)


def _side_by_side(optimizers: Mapping[str, Any]) -> tuple[list[str], Any]:
    """Row order (same-class optimizers next to each other) and one optimizer updating all rows."""
    groups: dict[type, list[str]] = {}
    for n, o in optimizers.items():
        groups.setdefault(type(o), []).append(n)
    order, blocks = [], []
    for names in groups.values():
        merged = _merge([optimizers[n] for n in names]) if len(names) > 1 else None
        if merged is None:
            for n in names:
                blocks.append((optimizers[n], len(order), len(order) + 1))
                order.append(n)
        else:
            blocks.append((merged, len(order), len(order) + len(names)))
            order.extend(names)
    return order, _Grouped(blocks)


def pick(traj: Trajectory, index: tuple) -> Trajectory:
    """The runs ``index`` (over the batch axes) of a batched trajectory."""
    ix = (slice(None),) + index
    return Trajectory(traj.points[ix], traj.losses[ix], np.asarray(traj.divergence_steps[index]), traj.min_value)


def truncate(traj: Trajectory, steps: int) -> Trajectory:
    """The first ``steps`` updates of ``traj``: what ``minimize`` returns for ``steps`` (runs are prefixes)."""
    div = np.asarray(traj.divergence_steps)
    div = np.where(div > steps, -1, div)
    return Trajectory(traj.points[:steps + 1], traj.losses[:steps + 1], div, traj.min_value)


def _stack(trajs: Sequence[Trajectory]) -> Trajectory:
    return Trajectory(np.stack([t.points for t in trajs], axis=1), np.stack([t.losses for t in trajs], axis=1),
                      np.stack([np.asarray(t.divergence_steps) for t in trajs]), trajs[0].min_value)


def _fallback(problem: Any, x0: np.ndarray, optimizers: Mapping[str, Any], steps: int, *,
              batch_size: int | None, seeds: Sequence[int] | None) -> dict[str, Trajectory]:
    names = list(optimizers)
    if batch_size is None:
        if len(names) == 1:
            return {names[0]: minimize(problem, x0, optimizers[names[0]], steps)}
        order, stacked = _side_by_side(optimizers)
        both = minimize(problem, np.broadcast_to(x0[..., None, :], x0.shape[:-1] + (len(names), x0.shape[-1])).copy(),
                        stacked, steps)
        rows = {n: k for k, n in enumerate(order)}
        return {n: pick(both, (Ellipsis, rows[n]) if x0.ndim > 1 else (rows[n],)) for n in names}
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
        s = np.asarray(traj.steps_to(tol, missing=-1))
        s = np.where(s >= 0, s, np.iinfo(np.int64).max)
        k = int(np.sort(s)[(S - 1) // 2])
        text += (f"; within {tol:g} of the minimum at step {k}" if k != np.iinfo(np.int64).max
                 else f"; never within {tol:g} of the minimum")
    return text + f" (median of {S} runs" + (f"; {m} diverged)" if m else ")")

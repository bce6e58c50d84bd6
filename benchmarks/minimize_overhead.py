"""Benchmark: the per-step cost of ``descent.run.minimize`` against a plain numpy loop.

Both run the same optimizer on Rosenbrock's valley from the same start: the
same ``problem.grad`` and ``problem.value`` calls, the same update rule, and
both record the point and the loss after every step. The plain loop writes the
rule inline (no validation, no divergence detection, no state objects); it is
checked to give bitwise the same points as ``minimize``. Two sizes: one 2-D
run, and a batch of R = 1000 runs (``x0`` of shape ``(1000, 2)``), each with
Adam and with SGD with momentum 0.9.

The two are timed in alternation, ``repeat`` times; each repeat gives one
ratio (minimize / plain), and the table reports the median ratio and the
median times per step. Times are the process's CPU time
(``time.process_time``): everything here runs on one thread, and on a shared
machine wall time mostly measures the other processes. A breakdown shows
where a step's time goes: the gradient, the loss, ``optimizer.update`` and the
bare rule inline (their difference is the optimizer's own per-step checks,
owned by ``descent.optim``).

The last table times :func:`descent.run.minimize_many` with 4 optimizers x 200
steps on a 2-D problem (one slider move of an explorer) against 4 separate
``minimize`` calls, and splits it into the loop itself (run with optimizers
that do nothing) and the 800 ``optimizer.update`` calls.

Usage::

    python benchmarks/minimize_overhead.py          # about 30 s
    python benchmarks/minimize_overhead.py --full   # more repeats

Target: minimize within 1.5x of the plain loop per step, at both sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from descent.landscapes import Rosenbrock
from descent.optim import SGD, Adam, RMSprop
from descent.run import minimize, minimize_many

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import provenance, report  # noqa: E402

TARGET = 1.5
LR = {"Adam": 1e-2, "SGD-momentum": 1e-4}


def start(R: int | None, seed: int = 0) -> np.ndarray:
    """One start (R None) or R starts in the box [-1.5, 1.5] x [-0.5, 2]."""
    if R is None:
        return np.array([-1.5, 2.0])
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(-1.5, 1.5, R), rng.uniform(-0.5, 2.0, R)])


def make(name: str):
    return Adam(lr=LR[name]) if name == "Adam" else SGD(lr=LR[name], momentum=0.9)


def plain_adam(p, x0: np.ndarray, steps: int, lr: float, b1: float = 0.9, b2: float = 0.999,
               eps: float = 1e-8) -> np.ndarray:
    """Adam's rule inline (torch's form, as descent.optim.Adam computes it), recording points and losses."""
    x = x0.copy()
    m, v = np.zeros_like(x), np.zeros_like(x)
    points = np.empty((steps + 1,) + x.shape)
    losses = np.empty((steps + 1,) + x.shape[:-1])
    points[0], losses[0] = x, p.value(x)
    for t in range(1, steps + 1):
        g = p.grad(x)
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        x = x - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
        points[t], losses[t] = x, p.value(x)
    return points


def plain_momentum(p, x0: np.ndarray, steps: int, lr: float, mu: float = 0.9) -> np.ndarray:
    """SGD with momentum inline (torch's buffer form), recording points and losses."""
    x = x0.copy()
    points = np.empty((steps + 1,) + x.shape)
    losses = np.empty((steps + 1,) + x.shape[:-1])
    points[0], losses[0] = x, p.value(x)
    b = None
    for t in range(1, steps + 1):
        g = p.grad(x)
        b = g.copy() if t == 1 else mu * b + (1 - 0.0) * g
        x = x - lr * b
        points[t], losses[t] = x, p.value(x)
    return points


PLAIN = {"Adam": plain_adam, "SGD-momentum": plain_momentum}


clock = time.process_time


def per_call(fn, repeat: int, number: int = 200) -> float:
    """Median over ``repeat`` repeats of the CPU seconds per call of ``fn`` (``number`` calls a repeat)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        for _ in range(number):
            fn()
        times.append((clock() - t0) / number)
    return float(np.median(times))


def overhead_row(problem, name: str, R: int | None, steps: int, repeat: int) -> dict:
    x0 = start(R)
    plain = PLAIN[name]
    ref = minimize(problem, x0, make(name), steps)
    np.testing.assert_array_equal(plain(problem, x0, steps, LR[name]), ref.points)  # the same computation
    ratios, t_min, t_plain = [], [], []
    for _ in range(repeat):  # alternate, so both see the same load
        t0 = clock()
        minimize(problem, x0, make(name), steps)
        t1 = clock()
        plain(problem, x0, steps, LR[name])
        t2 = clock()
        t_min.append((t1 - t0) / steps)
        t_plain.append((t2 - t1) / steps)
        ratios.append(t_min[-1] / t_plain[-1])
    # the parts of one step
    opt = make(name)
    state = opt.init(x0)
    g = problem.grad(x0)
    x1, state = opt.update(x0, g, state)
    x1, state = opt.update(x1, g, state)  # past step 1's special case
    b1, b2, eps, lr, t = 0.9, 0.999, 1e-8, LR[name], 3
    if name == "Adam":
        m, v = state.exp_avg, state.exp_avg_sq
    else:
        m, v = state.momentum_buffer, None

    def rule():
        if name == "Adam":
            m2 = m + (1 - b1) * (g - m)
            v2 = b2 * v + (1 - b2) * g * g
            return x1 - lr / (1 - b1**t) * m2 / (np.sqrt(v2) / np.sqrt(1 - b2**t) + eps)
        return x1 - lr * (0.9 * m + (1 - 0.0) * g)

    fast = getattr(opt, "update_", None)
    row = {
        "runs": 1 if R is None else R,
        "optimizer": name,
        "steps": steps,
        "plain_us_per_step": 1e6 * float(np.median(t_plain)),
        "minimize_us_per_step": 1e6 * float(np.median(t_min)),
        "ratio_median": float(np.median(ratios)),
        "ratio_q25": float(np.quantile(ratios, 0.25)),
        "ratio_q75": float(np.quantile(ratios, 0.75)),
        "target": TARGET,
        "grad_us": 1e6 * per_call(lambda: problem.grad(x1), repeat),
        "value_us": 1e6 * per_call(lambda: problem.value(x1), repeat),
        "update_us": 1e6 * per_call(lambda: opt.update(x1, g, state), repeat),
        "rule_inline_us": 1e6 * per_call(rule, repeat),
        "fast_path": "update_" if callable(fast) else "update",
    }
    row["update_overhead_us"] = row["update_us"] - row["rule_inline_us"]
    return row


def side_by_side_rows(problem, repeat: int) -> list[dict]:
    """One explorer redraw: 4 optimizers x 200 steps from one 2-D start."""
    x0, steps = start(None), 200

    def optimizers():
        return {"GD": SGD(lr=1e-3), "momentum": SGD(lr=1e-3, momentum=0.9),
                "RMSprop": RMSprop(lr=1e-2), "Adam": Adam(lr=1e-2)}

    many = minimize_many(problem, x0, optimizers(), steps)
    for name, opt in optimizers().items():  # the same numbers as separate calls
        np.testing.assert_array_equal(many[name].points, minimize(problem, x0, opt, steps).points)
    t_many = per_call(lambda: minimize_many(problem, x0, optimizers(), steps), repeat, number=5)
    t_sep = per_call(lambda: [minimize(problem, x0, o, steps) for o in optimizers().values()], repeat, number=5)
    # the split: the loop with optimizers that do nothing, and the optimizers' update calls alone
    t_loop = per_call(lambda: minimize_many(problem, x0, {k: _NoOp() for k in "abcd"}, steps), repeat, number=5)
    x, t_upd = np.array([-1.0, 1.5]), 0.0
    g = problem.grad(x)
    for opt in optimizers().values():
        state = opt.init(x)
        for _ in range(2):
            _, state = opt.update(x, g, state)
        t_upd += per_call(lambda: opt.update(x, g, state), repeat)
    return [{"runs": 1, "optimizer": "4 side by side", "steps": steps,
             "minimize_many_ms": 1e3 * t_many, "separate_minimize_ms": 1e3 * t_sep,
             "speedup": t_sep / t_many, "loop_with_noop_optimizers_ms": 1e3 * t_loop,
             "optimizer_updates_ms": 1e3 * t_upd * steps}]


class _NoOp:
    """An optimizer that leaves the point where it is: what the loop costs without the updates."""

    def init(self, params):
        return 0

    def update(self, params, grads, state):
        return params, state


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more repeats")
    args = parser.parse_args(argv)
    repeat = 31 if args.full else 11
    problem = Rosenbrock()
    rows = []
    for R, steps in ((None, 500), (1000, 200)):
        for name in ("Adam", "SGD-momentum"):
            rows.append(overhead_row(problem, name, R, steps, repeat))
    meta = provenance(repeats=repeat, clock="time.process_time (CPU time of this single-threaded process)",
                      target=f"minimize / plain loop <= {TARGET} per step")
    report("minimize_overhead", rows, meta)
    sbs = side_by_side_rows(problem, repeat)
    report("minimize_side_by_side", sbs, meta)


if __name__ == "__main__":
    main()

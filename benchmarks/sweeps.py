"""Benchmark 1: R optimizer runs as one vectorized batch versus a Python loop.

Each run is 200 steps of Adam or SGD with momentum on Rosenbrock's valley,
with its own starting point and learning rate. The batch is one call to
``descent.run.minimize`` with ``x0`` of shape ``(R, 2)`` and ``lr`` of shape
``(R, 1)``; the loop calls ``minimize`` once per run with ``x0`` of shape
``(2,)`` and a scalar ``lr``. Both compute the same numbers (checked).

Times are the best of several repeats. For large R the loop would take
minutes, so it is timed on its first ``m`` runs (best of 3) and extrapolated
linearly: a loop's cost per run does not depend on R, which ``--full``
confirms by timing up to 1000 runs. The CSV's ``loop_measured_runs`` column
says how many runs were timed.

Usage::

    python benchmarks/sweeps.py           # quick (about 30 s): loop timed on m <= 10 runs
    python benchmarks/sweeps.py --full    # loop timed on m <= 1000 runs, once (about 3 minutes)

Target: a speed-up of at least 50x at R = 1000.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from descent.landscapes import Rosenbrock
from descent.optim import SGD, Adam
from descent.run import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, provenance, report  # noqa: E402

RUNS = (1, 10, 100, 1000, 10000)
STEPS = 200
TARGET_R, TARGET_SPEEDUP = 1000, 50.0

# learning-rate ranges in which no run diverges from the starting box below
OPTIMIZERS = {
    "Adam": (lambda lr: Adam(lr=lr), (1e-3, 3e-2)),
    "SGD-momentum": (lambda lr: SGD(lr=lr, momentum=0.9), (1e-5, 2e-4)),
}


def problem(R: int, lr_range: tuple[float, float], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """R starting points in the box [-1.5, 1.5] x [-0.5, 2] and R log-spaced learning rates, shape (R, 1)."""
    rng = np.random.default_rng(seed)
    x0 = np.column_stack([rng.uniform(-1.5, 1.5, R), rng.uniform(-0.5, 2.0, R)])
    lr = np.geomspace(*lr_range, R)[:, None]
    return x0, lr


def time_loop(make, f, x0: np.ndarray, lr: np.ndarray, m: int, repeat: int) -> float:
    """Seconds per run of a Python loop over the first ``m`` runs (best of ``repeat``)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for r in range(m):
            minimize(f, x0[r], make(float(lr[r, 0])), STEPS)
        best = min(best, (time.perf_counter() - t0) / m)
    return best


def run(full: bool = False) -> list[dict]:
    """Time every (optimizer, R) pair; return one row per pair."""
    f = Rosenbrock()
    loop_cap, loop_repeat = (1000, 1) if full else (10, 3)
    rows = []
    for name, (make, lr_range) in OPTIMIZERS.items():
        for R in RUNS:
            x0, lr = problem(R, lr_range)
            traj = minimize(f, x0, make(lr), STEPS)
            # the loop computes the same trajectories (checked on a few runs)
            for r in range(min(R, 3)):
                single = minimize(f, x0[r], make(float(lr[r, 0])), STEPS)
                assert np.allclose(single.points, traj.points[:, r], rtol=1e-12, atol=1e-12), (name, R, r)
            t_vec = float(np.min(measure(lambda: minimize(f, x0, make(lr), STEPS),
                                         repeat=5 if R < 10000 else 3, min_time=0.0)))
            n = min(R, loop_cap)
            t_loop = time_loop(make, f, x0, lr, n, loop_repeat) * R
            rows.append({
                "optimizer": name,
                "runs": R,
                "steps": STEPS,
                "vectorized_s": t_vec,
                "loop_s": t_loop,
                "loop_measured_runs": n,
                "speedup": t_loop / t_vec,
                "vectorized_us_per_run_step": t_vec / (R * STEPS) * 1e6,
                "diverged_runs": int(np.sum(traj.divergence_steps >= 0)),
            })
    return rows


def growth_exponent(rows: list[dict], name: str, lo: int = 1000, hi: int = 10000) -> float:
    """Slope of log(time) against log(R) for the vectorized batch between R = lo and hi."""
    t = {r["runs"]: r["vectorized_s"] for r in rows if r["optimizer"] == name}
    return float(np.log(t[hi] / t[lo]) / np.log(hi / lo))


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="time the loop on up to 1000 runs per R")
    args = parser.parse_args(argv)
    rows = run(full=args.full)
    meta = provenance(benchmark="sweeps", landscape="Rosenbrock(a=1, b=100)", steps=STEPS,
                      timing=("vectorized: best of 5 calls (3 at R = 10000); loop: best of "
                              + ("1 pass" if args.full else "3 passes") + " over loop_measured_runs runs, "
                              "times R / loop_measured_runs"),
                      target=f"speed-up >= {TARGET_SPEEDUP:g}x at R = {TARGET_R}")
    report("sweeps", rows, meta)
    for name in OPTIMIZERS:
        s = next(r["speedup"] for r in rows if r["optimizer"] == name and r["runs"] == TARGET_R)
        print(f"{name}: speed-up {s:.0f}x at R = {TARGET_R} (target >= {TARGET_SPEEDUP:g}x: "
              f"{'met' if s >= TARGET_SPEEDUP else 'MISSED'}); vectorized time grows like "
              f"R^{growth_exponent(rows, name):.2f} from R = 1000 to 10000")
    return rows


if __name__ == "__main__":
    main()

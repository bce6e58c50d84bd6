"""Benchmark 2: how long one slider move takes in a live explorer (recompute + redraw), kernel side.

The explorer is ``descent.explore.explore`` on Rosenbrock's valley from
(-1.5, 2) with four optimizers (SGD, SGD with momentum, RMSprop, Adam) and
200 steps, the size of the book's explorers. The learning-rate slider is
dragged through 50 new values between 1e-4 and 4e-4 (a range where no run
diverges, so every run takes all 200 steps and nothing comes from the
explorer's cache), after 3 warm-up moves. The canvas is told a browser is
connected (``syncing_data_url = False``, what ipympl sets when JupyterLab's
view reports in) and has had its first full draw, as on screen. Each move is
timed in two parts:

- ``recompute``: the four runs (``descent.explore.compute.run_many``: one
  ``minimize`` call; same-class optimizers share one vectorized update);
- ``redraw``: what the explorer then does on the canvas: move the artists,
  restore the cached background, draw the lines over it and ``blit``, which
  makes the PNG of the changed pixels that ipympl sends to the browser.

``total = recompute + redraw`` (one ``ex.update(lr=...)``) is the kernel's
share of the latency a learner feels; ``total_cpu`` is the CPU time of the
same work (``time.thread_time``), which leaves out time spent waiting for a
CPU on a busy machine. ``full_draw`` times a full Agg render for comparison
(what a move cost before blitting; also written as ``draw_ms``, its old
name), ``frame_ms`` ipympl's full ``canvas.draw()`` (render plus the PNG it
sends), and ``png_update`` the PNG backend.

Usage::

    python benchmarks/latency.py            # 50 moves (about 10 s)
    python benchmarks/latency.py --full     # 200 moves

Target: median total < 30 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from descent.landscapes import Rosenbrock  # noqa: E402
from descent.optim import SGD, Adam, RMSprop  # noqa: E402
from descent.explore import explore  # noqa: E402
from descent.explore.compute import run_many  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import provenance, report, table  # noqa: E402

TARGET_MS = 30.0
STEPS, X0, LR_RANGE, WARMUP = 200, (-1.5, 2.0), (1e-4, 4e-4), 3
OPTIMIZERS = {
    "SGD": lambda lr: SGD(lr=lr),
    "Momentum": lambda lr, momentum: SGD(lr=lr, momentum=momentum),
    "RMSprop": lambda lr: RMSprop(lr=lr),
    "Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2)),
}


def explorer(backend: str):
    return explore(Rosenbrock(), OPTIMIZERS, x0=list(X0), steps=STEPS, backend=backend)


def run(moves: int) -> tuple[list[dict], dict[str, float]]:
    values = np.geomspace(*LR_RANGE, WARMUP + moves)
    try:
        live = explorer("ipympl")
        live.fig.canvas.syncing_data_url = False  # as with JupyterLab connected (see the module notes)
        FigureCanvasAgg.draw(live.fig.canvas)  # the first full draw: the explorer caches its background
    except ImportError:
        live = None
        print("ipympl is not installed: only png_update is timed")
    png = explorer("png")
    x0 = np.array(X0)
    rows = []
    for i, lr in enumerate(values):
        row = {"move": i - WARMUP + 1, "lr": float(lr), "recompute_ms": None, "redraw_ms": None,
               "total_ms": None, "total_cpu_ms": None, "full_draw_ms": None, "draw_ms": None, "frame_ms": None}
        if live is not None:
            opts = {n: live._optimizer(n, {**live.values, "lr": float(lr)}) for n in live.names}
            t0 = time.perf_counter()
            run_many(live.problem, x0, opts, STEPS)
            t1 = time.perf_counter()
            c0, t2 = time.thread_time(), time.perf_counter()
            live.update(lr=float(lr))
            t3, c3 = time.perf_counter(), time.thread_time()
            FigureCanvasAgg.draw(live.fig.canvas)
            t4 = time.perf_counter()
            live.fig.canvas.draw()
            t5 = time.perf_counter()
            recompute = t1 - t0
            row.update(recompute_ms=recompute * 1e3, redraw_ms=max(t3 - t2 - recompute, 0.0) * 1e3,
                       total_ms=(t3 - t2) * 1e3, total_cpu_ms=(c3 - c0) * 1e3, full_draw_ms=(t4 - t3) * 1e3,
                       draw_ms=(t4 - t3) * 1e3, frame_ms=(t5 - t4) * 1e3)
            diverged = sum(bool(np.any(t.diverged)) for t in live.trajectories.values())
            assert diverged == 0 and len(live.trajectories) == len(OPTIMIZERS), live.summaries
            assert live._background is not None  # every move was a blit
        t0 = time.perf_counter()
        png.update(lr=float(lr))
        row["png_update_ms"] = (time.perf_counter() - t0) * 1e3
        if i >= WARMUP:
            rows.append(row)
    return rows, draw_breakdown(png.fig)


def draw_breakdown(fig, repeat: int = 20) -> dict[str, float]:
    """Best-of-``repeat`` milliseconds of a full Agg draw, without text, without contours, and a blit."""
    from matplotlib.collections import Collection
    from matplotlib.contour import ContourSet
    from matplotlib.text import Text

    canvas = fig.canvas

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) * 1e3

    out = {"draw_full_ms": best(lambda: FigureCanvasAgg.draw(canvas))}
    for key, kinds in (("draw_no_text_ms", (Text,)), ("draw_no_contour_ms", (ContourSet, Collection))):
        hidden = [a for a in fig.findobj(lambda a: isinstance(a, kinds)) if a.get_visible()]
        for a in hidden:
            a.set_visible(False)
        out[key] = best(lambda: FigureCanvasAgg.draw(canvas))
        for a in hidden:
            a.set_visible(True)
    FigureCanvasAgg.draw(canvas)
    backgrounds = [canvas.copy_from_bbox(ax.bbox) for ax in fig.axes]

    def blit() -> None:
        for bg in backgrounds:
            canvas.restore_region(bg)
        for ax in fig.axes:
            for line in ax.get_lines():
                ax.draw_artist(line)
        canvas.blit(fig.bbox)

    out["blit_lines_ms"] = best(blit)
    return out


def summary(rows: list[dict]) -> list[dict]:
    out = []
    for key in ("recompute_ms", "redraw_ms", "total_ms", "total_cpu_ms", "full_draw_ms", "png_update_ms"):
        x = np.array([r[key] for r in rows if r[key] is not None])
        if x.size:
            out.append({"part": key[:-3], "median_ms": np.median(x), "p95_ms": np.percentile(x, 95),
                        "min_ms": x.min(), "max_ms": x.max()})
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="200 slider moves instead of 50")
    args = parser.parse_args(argv)
    rows, breakdown = run(200 if args.full else 50)
    meta = provenance(
        benchmark="latency", explorer=f"Rosenbrock, x0={X0}, {len(OPTIMIZERS)} optimizers "
                                      f"({', '.join(OPTIMIZERS)}), {STEPS} steps, figure 900 x 360 px",
        moves=f"{len(rows)} lr values from {LR_RANGE[0]:g} to {LR_RANGE[1]:g} (log-spaced), after {WARMUP} warm-up moves",
        timing="one wall-clock measurement per move; recompute timed on its own just before the same move", target=f"median total < {TARGET_MS:g} ms",
        **{k: f"{v:.2f}" for k, v in breakdown.items()},
    )
    print(f"{len(rows)} slider moves; per-move times in the CSV\n")
    report("latency", rows, meta)
    stats = summary(rows)
    print()
    print(table(stats))
    total = next((s for s in stats if s["part"] == "total"), None)
    cpu = next((s for s in stats if s["part"] == "total_cpu"), None)
    if total is not None:
        verdict = "met" if total["median_ms"] < TARGET_MS else "MISSED"
        print(f"\nmedian total {total['median_ms']:.1f} ms, p95 {total['p95_ms']:.1f} ms "
              f"(target median < {TARGET_MS:g} ms: {verdict}); CPU time {cpu['median_ms']:.1f} ms median "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print("one draw, best of 20: " + ", ".join(f"{k[:-3]} {v:.1f} ms" for k, v in breakdown.items()))
    return rows


if __name__ == "__main__":
    main()

r"""Cost of one optimizer update against the memory-bandwidth bound, at the same thread count.

An elementwise update of :math:`N` float32 parameters must read and write
whole arrays: Adam reads parameters, gradients, :math:`m`, :math:`v` and writes
parameters, :math:`m`, :math:`v` (7 x 4N bytes); SGD with momentum reads
parameters, gradients, the buffer and writes parameters and buffer (5 x 4N
bytes). The *bound* is the time those bytes take at the best bandwidth
measured on this machine **with the same number of threads** as the
implementation compared:

- NumPy is single-threaded, so ``descent update`` and ``descent update_`` are
  compared with the single-thread bound;
- torch runs with 1 thread and with all CPUs (``torch.set_num_threads``), each
  compared with the bound for that thread count.

The bandwidth for T threads is the largest of several streaming kernels run
with T threads: NumPy's copy and in-place add (T = 1 only), torch's ``copy_``,
``add_`` and ``addcmul_`` (2 to 4 arrays at once), and torch's fused Adam and
SGD kernels themselves, which stream 7 and 5 arrays at once. Including them
is what keeps every fraction at or below 100%: one core moves more bytes per
second when it streams more arrays at once, and torch's fused Adam on one
thread is faster than any 2-4-array kernel (``fraction_of_simple_bound``
reports the fraction against those kernels alone, which the fused kernels
exceed).

N = 10^7 by default: the 7 arrays of Adam (280 MB) are far beyond the 32 MB
L3 cache, so the bytes come from memory. Smaller N (``--sizes``) are timed
too, but their fractions are left empty where the arrays could sit in the
cache, since a DRAM bound does not bind there.

Timing: every figure is the **median** of ``--repeat`` repeats (default 9) of
back-to-back calls lasting at least 50 ms each. The machine is shared, so
single-thread figures use the process's CPU time (time spent waiting for a
CPU is not counted; time waiting for memory is), and multi-thread figures,
which need wall time, are only as good as the machine was idle; the
1-minute load average is recorded.

Usage::

    python benchmarks/update_cost.py                     # N = 10^7 (about a minute)
    python benchmarks/update_cost.py --sizes 5 6 7 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from descent.optim import SGD, Adam, copy_state

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import provenance, report  # noqa: E402

try:
    import torch
except ImportError:  # the torch rows and kernels are left out
    torch = None

LR, MOMENTUM = 1e-3, 0.9
ARRAYS_MOVED = {"Adam": 7, "SGD-momentum": 5}  # float32 arrays read or written once per update
PROBE_N = 1 << 25                               # 128 MiB per array: far beyond the caches
CACHE_BYTES = 64 << 20                          # 2x the L3 cache: smaller working sets get no fraction
CLOCK = {1: time.process_time}                  # CPU time for one thread; wall time otherwise


def _median(fn: Callable[[], object], repeat: int, threads: int = 1, min_time: float = 0.05) -> float:
    """Median over ``repeat`` repeats of the seconds per call (calls back to back, >= min_time each)."""
    clock = CLOCK.get(threads, time.perf_counter)
    fn()
    number = 1
    while True:
        t0 = clock()
        for _ in range(number):
            fn()
        if clock() - t0 >= min_time:
            break
        number *= 2
    times = []
    for _ in range(repeat):
        t0 = clock()
        for _ in range(number):
            fn()
        times.append((clock() - t0) / number)
    return float(np.median(times))


def simple_bandwidths(threads: int, repeat: int) -> dict[str, float]:
    """Bytes per second of streaming kernels with ``threads`` threads (NumPy only at 1 thread)."""
    a, b = np.ones(PROBE_N, np.float32), np.full(PROBE_N, 2.0, np.float32)
    nbytes, out = a.nbytes, {}
    if threads == 1:
        out["numpy copy"] = 2 * nbytes / _median(lambda: np.copyto(b, a), repeat, threads)
        out["numpy add"] = 3 * nbytes / _median(lambda: np.add(a, b, out=a), repeat, threads)
    if torch is not None:
        torch.set_num_threads(threads)
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.ones(PROBE_N)
        out["torch copy_"] = 2 * nbytes / _median(lambda: tb.copy_(ta), repeat, threads)
        out["torch add_"] = 3 * nbytes / _median(lambda: ta.add_(tb), repeat, threads)
        out["torch addcmul_"] = 4 * nbytes / _median(lambda: ta.addcmul_(tb, tc, value=0.0), repeat, threads)
    return out


def descent_steps(name: str, p0: np.ndarray, g: np.ndarray) -> dict[str, Callable[[], object]]:
    """One-update callables for descent's pure and in-place paths, both from the state after step 1.

    The in-place step's parameter array is its attribute ``params``.
    """
    opt = Adam(lr=LR) if name == "Adam" else SGD(lr=LR, momentum=MOMENTUM)
    p1, s1 = opt.update(p0, g, opt.init(p0))  # step 2 onward: every buffer in use
    p, box = p1.copy(), [copy_state(s1)]

    def inplace():
        box[0] = opt.update_(p, g, box[0])[1]
    inplace.params = p
    return {"descent update": lambda: opt.update(p1, g, s1), "descent update_": inplace}


def torch_steps(name: str, p0: np.ndarray, g: np.ndarray) -> dict[str, Callable[[], object]]:
    """``torch.optim`` steps with foreach and fused kernels on one float32 tensor."""
    out = {}
    for label, kw in (("torch foreach", {"foreach": True}), ("torch fused", {"fused": True})):
        p = torch.tensor(p0, requires_grad=True)
        p.grad = torch.tensor(g)
        opt = (torch.optim.Adam([p], lr=LR, **kw) if name == "Adam"
               else torch.optim.SGD([p], lr=LR, momentum=MOMENTUM, **kw))
        opt.step()
        out[label] = opt.step
    return out


def run(sizes: list[int], repeat: int) -> tuple[list[dict], dict]:
    all_threads = os.cpu_count() or 1
    thread_counts = [1] if torch is None else sorted({1, all_threads})
    rng = np.random.default_rng(0)
    timed, simple = [], {}
    for threads in thread_counts:
        simple[threads] = simple_bandwidths(threads, repeat)
        for name in ARRAYS_MOVED:
            for n in sizes:
                p0 = rng.standard_normal(n).astype(np.float32)
                g = rng.standard_normal(n).astype(np.float32)
                steps = descent_steps(name, p0, g) if threads == 1 else {}
                if torch is not None:
                    torch.set_num_threads(threads)
                    steps.update(torch_steps(name, p0, g))
                for label, step in steps.items():
                    timed.append((name, n, label, threads, _median(step, repeat, threads)))
    # the bound for T threads: the best bandwidth any kernel reached with T threads, at N = max
    best = {}
    for threads in thread_counts:
        fused = {f"{label} {name}": ARRAYS_MOVED[name] * 4 * n / t
                 for name, n, label, th, t in timed if th == threads and label == "torch fused" and n == max(sizes)}
        best[threads] = max({**simple[threads], **fused}.items(), key=lambda kv: kv[1])
    rows = []
    for name, n, label, threads, t in timed:
        nbytes = ARRAYS_MOVED[name] * 4 * n
        bw_simple = max(simple[threads].values())
        in_memory = nbytes >= CACHE_BYTES
        rows.append({
            "optimizer": name, "n_params": n, "implementation": label, "threads": threads,
            "clock": "cpu" if threads in CLOCK else "wall",
            "seconds": t, "bound_seconds": nbytes / best[threads][1] if in_memory else None,
            "fraction_of_bound": nbytes / best[threads][1] / t if in_memory else None,
            "fraction_of_simple_bound": nbytes / bw_simple / t if in_memory else None,
            "effective_GBps": nbytes / t / 1e9,
        })
    return rows, {"simple": simple, "best": best}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[7], metavar="E",
                        help="decimal exponents of N (default: 7, i.e. N = 10^7)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--full", action="store_true", help="N = 10^5, 10^6, 10^7 (benchmarks/run.py --full)")
    args = parser.parse_args(argv)
    sizes = [10**e for e in ([5, 6, 7] if args.full else args.sizes)]
    repeat = args.repeat
    if torch is None:
        print("torch is not importable: the torch rows are left out (pip install torch==2.13.0, CPU).")
    rows, bw = run(sizes, repeat)
    meta = provenance(
        benchmark="update_cost", dtype="float32", lr=LR, momentum=MOMENTUM,
        bytes_per_param="Adam 28 (reads p, g, m, v; writes p, m, v), SGD-momentum 20 (reads p, g, b; writes p, b)",
        **{f"bandwidth_{th}_thread_GBps": "; ".join(f"{k} {v / 1e9:.2f}" for k, v in d.items())
           for th, d in bw["simple"].items()},
        **{f"bound_{th}_thread": f"{k} ({v / 1e9:.2f} GB/s)" for th, (k, v) in bw["best"].items()},
        timing=f"median of {repeat} repeats of back-to-back calls lasting >= 50 ms; 1 thread: "
               f"process CPU time, more threads: wall time; bandwidth probes on {PROBE_N} "
               "float32 numbers per array",
    )
    report("update_cost", rows, meta)
    for th, (k, v) in bw["best"].items():
        print(f"bound with {th} thread(s): {k}, {v / 1e9:.1f} GB/s")
    return rows


if __name__ == "__main__":
    main()

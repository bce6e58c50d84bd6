"""Benchmark 4: the cost of one optimizer update against the memory-bandwidth bound.

One Adam and one SGD-with-momentum update on N float32 parameters, N = 10^3
... 10^7, timed for

- ``descent update``: ``descent.optim``'s pure update (today's code);
- ``descent update, math.sqrt``: Adam with the proposed one-line change that
  keeps float32 arithmetic in float32 (``_inplace.ProposedAdam``);
- ``descent update_, generic`` and ``descent update_, kernel``: the proposed
  in-place fast path (``_inplace.py``), through the optimizer's own ``_leaf``
  on cache-sized slices, or through the hand-written ``out=`` kernels;
- ``torch foreach`` and ``torch fused``: ``torch.optim`` with
  ``foreach=True`` (asked for) and ``fused=True`` (for reference), if torch
  is importable, on one thread: NumPy's elementwise operations and the
  bandwidth measurement are single-threaded too, and on a busy machine
  PyTorch's OpenMP threads wait for each other, which swamps small updates.

The bound is the time to move the bytes the update must move, each array read
or written once (Adam reads parameters, gradients, m, v and writes
parameters, m, v: 7 x 4N bytes; SGD-momentum 5 x 4N), at the best bandwidth
NumPy reached in the same run: a copy (``np.copyto``, 2 x 4M bytes) or an
in-place add (``a += b``, 3 x 4M bytes) on M = 2^25 float32 numbers. The
fraction of the bound is bound time / measured time. Times are the best of 5.

Usage::

    python benchmarks/update_cost.py          # N = 10^3, 10^4, ..., 10^7 (about a minute)
    python benchmarks/update_cost.py --full   # also the half decades
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from descent.optim import SGD, Adam

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure, provenance, report  # noqa: E402
from _inplace import ProposedAdam, update_  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

LR, MOMENTUM = 1e-3, 0.9
BYTES_PER_PARAM = {"Adam": 7 * 4, "SGD-momentum": 5 * 4}  # float32, every array read/written once


def bandwidth(m: int = 1 << 25) -> dict[str, float]:
    """Bytes per second NumPy moves in a large copy and in a large in-place add."""
    a = np.ones(m, np.float32)
    b = np.full(m, 2.0, np.float32)
    copy = float(np.min(measure(lambda: np.copyto(b, a), repeat=5)))
    add = float(np.min(measure(lambda: np.add(a, b, out=a), repeat=5)))
    return {"copy": 2 * a.nbytes / copy, "add": 3 * a.nbytes / add}


def descent_variants(name: str, p0: np.ndarray, g: np.ndarray) -> dict[str, Callable[[], object]]:
    """Zero-argument callables that each perform one update, keyed by implementation."""
    if name == "Adam":
        today, proposed = Adam(lr=LR), ProposedAdam(lr=LR)
    else:
        today = proposed = SGD(lr=LR, momentum=MOMENTUM)
    out = {}
    s_today = today.update(p0, g, today.init(p0))[1]  # step 2 onward: every buffer in use
    out["descent update"] = lambda: today.update(p0, g, s_today)
    if name == "Adam":
        s_prop = proposed.update(p0, g, proposed.init(p0))[1]
        out["descent update, math.sqrt"] = lambda: proposed.update(p0, g, s_prop)
    for label, kernels in (("descent update_, generic", False), ("descent update_, kernel", True)):
        p = p0.copy()
        box = [update_(proposed, p, g, proposed.init(p))]
        out[label] = (lambda p=p, box=box, k=kernels:
                      box.__setitem__(0, update_(proposed, p, g, box[0], kernels=k)))
    return out


def torch_variants(name: str, p0: np.ndarray, g: np.ndarray) -> dict[str, Callable[[], object]]:
    """``torch.optim`` steps (foreach and fused) on one float32 tensor; empty without torch."""
    if torch is None:
        return {}
    out = {}
    for label, kw in (("torch foreach", {"foreach": True}), ("torch fused", {"fused": True})):
        p = torch.tensor(p0, requires_grad=True)
        p.grad = torch.tensor(g)
        try:
            opt = (torch.optim.Adam([p], lr=LR, **kw) if name == "Adam"
                   else torch.optim.SGD([p], lr=LR, momentum=MOMENTUM, **kw))
            opt.step()
        except (RuntimeError, TypeError) as exc:  # fused not built for this device/version
            print(f"skipping {label} {name}: {exc}")
            continue
        out[label] = opt.step
    return out


def run(sizes: list[int]) -> tuple[list[dict], dict[str, float]]:
    bw = bandwidth()
    best = max(bw.values())
    rng = np.random.default_rng(0)
    rows = []
    for name in BYTES_PER_PARAM:
        for n in sizes:
            p0 = rng.standard_normal(n).astype(np.float32)
            g = rng.standard_normal(n).astype(np.float32)
            bound = BYTES_PER_PARAM[name] * n / best
            variants = {**descent_variants(name, p0, g), **torch_variants(name, p0, g)}
            for label, step in variants.items():
                t = float(np.min(measure(step, repeat=5)))
                rows.append({
                    "optimizer": name, "n_params": n, "implementation": label, "seconds": t,
                    "bound_seconds": bound, "fraction_of_bound": bound / t,
                    "effective_GBps": BYTES_PER_PARAM[name] * n / t / 1e9,
                })
    return rows, bw


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the half decades 3x10^3 ... 3x10^6")
    args = parser.parse_args(argv)
    exps = np.arange(3, 7.01, 0.5 if args.full else 1.0)
    sizes = [int(round(10**e)) for e in exps]
    if torch is None:
        print("torch is not importable: the torch rows are left out "
              "(use an environment with torch==2.13.0 to fill them).")
    else:
        torch.set_num_threads(1)
    rows, bw = run(sizes)
    meta = provenance(
        benchmark="update_cost", dtype="float32", lr=LR, momentum=MOMENTUM,
        copy_bandwidth_GBps=f"{bw['copy'] / 1e9:.2f}", add_bandwidth_GBps=f"{bw['add'] / 1e9:.2f}",
        bound_bandwidth=f"{max(bw, key=bw.get)} ({max(bw.values()) / 1e9:.2f} GB/s)",
        bytes_per_param="Adam 28 (reads p, g, m, v; writes p, m, v), SGD-momentum 20 (reads p, g, b; writes p, b)",
        torch_threads=torch.get_num_threads() if torch is not None else "",
        timing="best of 5 repeats of back-to-back calls lasting >= 20 ms",
    )
    report("update_cost", rows, meta)
    print(f"\nbandwidth: copy {bw['copy'] / 1e9:.1f} GB/s, in-place add {bw['add'] / 1e9:.1f} GB/s")
    return rows


if __name__ == "__main__":
    main()

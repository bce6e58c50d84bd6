"""Run the benchmarks and write their results to benchmarks/results/*.csv.

Usage::

    python benchmarks/run.py                     # sweeps, overhead, latency, training, update (quick settings)
    python benchmarks/run.py sweeps latency      # a subset
    python benchmarks/run.py --full training     # more points or repeats
    python benchmarks/run.py build               # book build and test times (minutes; not in the default set)

Each benchmark is also a script of its own (``python benchmarks/sweeps.py``).
Run from an environment where ``descent`` is installed; install ``torch`` in
it too (``pip install torch==2.13.0``) to fill the PyTorch columns.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = {  # name -> module, in the order they run
    "sweeps": "sweeps",
    "overhead": "minimize_overhead",
    "latency": "latency",
    "training": "training",
    "update": "update_cost",
    "build": "build_time",
}
DEFAULT = ("sweeps", "overhead", "latency", "training", "update")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)} "
                                                 f"(default: {', '.join(DEFAULT)})")
    parser.add_argument("--full", action="store_true", help="more points or repeats (slower)")
    args = parser.parse_args(argv)
    names = args.names or list(DEFAULT)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    for name in names:
        print(f"\n=== {name} " + "=" * (70 - len(name)))
        module = importlib.import_module(BENCHMARKS[name])
        t0 = time.perf_counter()
        module.main(["--full"] if args.full and name != "build" else [])
        print(f"({name} took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()

"""Shared helpers for the benchmarks: timing, provenance, tables and CSV files.

Every benchmark writes ``benchmarks/results/<name>.csv``: a block of
``# key: value`` provenance lines (machine, CPU count, versions, date, the
command that produced it), then an ordinary CSV table. :func:`read_csv` reads
both back.
"""

from __future__ import annotations

import csv
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------- timing
def measure(fn: Callable[[], Any], *, repeat: int = 7, min_time: float = 0.02,
            setup: Callable[[], Any] | None = None) -> np.ndarray:
    """Seconds per call of ``fn``, one number per repeat.

    Like :mod:`timeit`: each repeat calls ``fn`` ``number`` times in a row,
    with ``number`` chosen once (1, 2, 5, 10, 20, ...) so that a repeat lasts
    at least ``min_time`` seconds, and reports the mean time per call. One
    untimed call warms caches and lazy imports first.

    Parameters
    ----------
    fn : callable with no arguments
    repeat : int >= 1
        Number of timed repeats. Throughput benchmarks report the minimum,
        the repeat least disturbed by other processes (as :mod:`timeit`
        advises); latency reports the median and 95th percentile.
    min_time : float >= 0
        Shortest duration of one repeat, in seconds.
    setup : callable, optional
        Called (untimed) before every repeat, e.g. to reset state.

    Returns
    -------
    ndarray of shape (repeat,)
        Seconds per call in each repeat.
    """
    if setup is not None:
        setup()
    fn()
    number = 1
    while True:
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - t0 >= min_time or number >= 10**6:
            break
        number = _next(number)
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return np.array(times)


def _next(n: int) -> int:
    """The next number in the 1, 2, 5, 10, 20, 50, ... sequence."""
    digits = 10 ** (len(str(n)) - 1)
    lead = n // digits
    return {1: 2, 2: 5, 5: 10}[lead] * digits


# --------------------------------------------------------------- provenance
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + (" + uncommitted changes in src/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _blas() -> str:
    try:
        import threadpoolctl
    except ImportError:
        return "unknown"
    info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)" for i in info) or "unknown"


def _load() -> str:
    """The 1-minute load average; above the CPU count, other processes were competing for the CPUs."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


def torch_version() -> str:
    """The installed torch version, or ``"not installed"``."""
    try:
        import torch
    except ImportError:
        return "not installed"
    return torch.__version__


def provenance(**extra: Any) -> dict[str, str]:
    """Where and when a result was measured: machine, CPUs, versions, date, command.

    ``extra`` entries (e.g. ``torch_threads=2``) are appended.
    """
    import descent

    try:
        cpus_usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus_usable = os.cpu_count()
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{_cpu_model()} ({platform.machine()})",
        "platform": platform.platform(),
        "cpu_count": str(os.cpu_count()),
        "cpus_usable": str(cpus_usable),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas(),
        "descent": descent.__version__,
        "torch": torch_version(),
        "git": _git_revision(),
        "load_average_1min": _load(),
        "command": "python " + " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
    }
    info.update({k: str(v) for k, v in extra.items()})
    return info


# ---------------------------------------------------------------- CSV, text
def write_csv(name: str, rows: Sequence[dict[str, Any]], meta: dict[str, str]) -> Path:
    """Write ``rows`` (dicts with the same keys) to ``results/<name>.csv`` under ``# key: value`` lines."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.csv"
    with path.open("w", newline="") as fh:
        for key, value in meta.items():
            fh.write(f"# {key}: {value}\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})
    return path


def read_csv(path: str | Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Read a results file: the provenance dict and the rows (values as strings)."""
    meta, lines = {}, []
    for line in Path(path).read_text().splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(": ")
            meta[key] = value
        else:
            lines.append(line)
    return meta, list(csv.DictReader(lines))


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{float(v):.6g}"
    return str(v)


def table(rows: Sequence[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    """A plain-text table of ``rows`` for the terminal."""
    columns = list(columns or rows[0])
    cells = [[_fmt(r.get(c)) or "-" for c in columns] for r in rows]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, width)),
             "  ".join("-" * w for w in width)]
    lines += ["  ".join(x.rjust(w) for x, w in zip(row, width)) for row in cells]
    return "\n".join(lines)


def report(name: str, rows: Sequence[dict[str, Any]], meta: dict[str, str],
           columns: Iterable[str] | None = None) -> None:
    """Print the table and where the CSV went."""
    print(table(rows, columns))
    path = write_csv(name, rows, meta)
    print(f"\nwrote {os.path.relpath(path, Path.cwd())}")

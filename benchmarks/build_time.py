"""Benchmark 5: how long the book takes to build and test, and each chapter to execute.

Four measurements, each a subprocess timed by the wall clock:

- ``build``: a clean ``jupyter-book build .`` into a fresh temporary
  ``--path-output`` (so the repository's own ``_build/`` is not touched),
  which executes every notebook;
- ``rebuild``: the same command again (nothing changed: notebooks come from
  the execution cache), and ``rebuild --all`` (every page re-rendered, still
  from the cache);
- ``pytest``: the full suite as the README runs it (library tests, doctests
  and nbval over every chapter);
- ``chapter``: each ``chapters/*.ipynb`` executed alone with nbclient, as a
  reader's "run all" would; a chapter over 60 s is flagged (the style guide's
  limit).

This one can take several minutes; it is not part of ``run.py``'s default
set. Usage::

    python benchmarks/build_time.py                     # all four
    python benchmarks/build_time.py chapters pytest     # a subset
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, provenance, report  # noqa: E402

CHAPTER_LIMIT_S = 60.0
TASKS = ("build", "pytest", "chapters")
BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path = REPO) -> tuple[float, int, str]:
    """Run ``cmd``; return seconds, exit status and the last lines of its output."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
    return seconds, proc.returncode, " | ".join(tail)


def book_builds() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="descent-build-") as out:
        base = [str(BIN / "jupyter-book"), "build", str(REPO), "--path-output", out]
        for task, extra in (("build (clean)", []), ("rebuild (cached)", []), ("rebuild --all (cached)", ["--all"])):
            seconds, rc, tail = timed(base + extra)
            warnings = len(re.findall(r"WARNING", tail))
            rows.append({"task": task, "target": "jupyter-book build .", "seconds": seconds,
                         "status": "ok" if rc == 0 else f"exit {rc}: {tail[-200:]}",
                         "flag": "" if rc == 0 else "failed"})
            print(f"{task}: {seconds:.1f} s (exit {rc}{', warnings in tail' if warnings else ''})")
    return rows


def pytest_suite() -> list[dict]:
    seconds, rc, tail = timed([sys.executable, "-m", "pytest", "-q"])
    summary = next((line for line in reversed(tail.split(" | ")) if re.search(r"passed|failed|error", line)), tail)
    print(f"pytest: {seconds:.1f} s, {summary}")
    return [{"task": "pytest", "target": "pytest (full suite)", "seconds": seconds,
             "status": summary.strip("= "), "flag": "" if rc == 0 else "failed"}]


def chapters() -> list[dict]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    rows = []
    for path in sorted((REPO / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as exc:
            status = "error: " + str(exc).strip().splitlines()[-1][:150]
        seconds = time.perf_counter() - t0
        flag = "over 60 s" if seconds > CHAPTER_LIMIT_S else ("failed" if status != "ok" else "")
        rows.append({"task": "chapter", "target": path.name, "seconds": seconds, "status": status, "flag": flag})
        print(f"{path.name}: {seconds:.1f} s {status} {flag}")
    if not rows:
        print("no chapters/*.ipynb yet")
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", help=f"a subset of {', '.join(TASKS)} (default: all)")
    args = parser.parse_args(argv)
    tasks = args.tasks or list(TASKS)
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown task {unknown[0]!r}; choose from {', '.join(TASKS)}")
    rows = []
    if "chapters" in tasks:
        rows += chapters()
    if "pytest" in tasks:
        rows += pytest_suite()
    if "build" in tasks:
        rows += book_builds()
    n_chapters = len(list((REPO / "chapters").glob("*.ipynb")))
    in_toc = len(re.findall(r"^\s*- file: chapters/", (REPO / "_toc.yml").read_text(), flags=re.M))
    meta = provenance(benchmark="build_time", chapters=n_chapters, chapters_in_toc=in_toc,
                      timing="one wall-clock run of each", chapter_limit_s=CHAPTER_LIMIT_S)
    report("build_time", rows, meta, columns=["task", "target", "seconds", "flag", "status"])
    return rows


if __name__ == "__main__":
    main()

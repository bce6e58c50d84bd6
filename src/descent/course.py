"""The course edition: nbgrader metadata, an nbgrader course folder, shortcut editions.

Descent's chapters are graded with nbgrader (https://nbgrader.readthedocs.io).
Every coding exercise has a solution cell and a check cell, and both carry
nbgrader's cell metadata (schema version 3)::

    solution: {"grade": false, "grade_id": "ch03-ex2-solution", "locked": false,
               "schema_version": 3, "solution": true, "task": false}
    check:    {"grade": true, "grade_id": "ch03-ex2-check", "locked": true, "points": 2,
               "schema_version": 3, "solution": false, "task": false}

where ``ch03-ex2`` is the ``:label:`` of the exercise the cells follow.
:func:`audit_nbgrader_metadata` checks this (``descent.student``'s structure
audit calls it, so a chapter cannot forget it), :func:`add_nbgrader_metadata`
writes it, and :func:`write_course` lays out an nbgrader course folder whose
``nbgrader_config.py`` makes ``nbgrader generate_assignment`` produce the same
stubs as ``python -m descent.student`` and remove the worked solutions of the
markdown cells too (:func:`strip_worked_solutions`).

:func:`shortcut_edition` builds the notebook the exercise tests run to show
that every check rejects the one-line library shortcut recorded for it in
``tests/exercise_shortcuts/chNN.py``.

Only the standard library is needed here; nbgrader itself is needed only to
run the course folder.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "assignment_name",
    "exercise_of_cells",
    "expected_metadata",
    "add_nbgrader_metadata",
    "audit_nbgrader_metadata",
    "strip_worked_solutions",
    "NBGRADER_CONFIG",
    "write_course",
    "shortcut_edition",
]

#: nbgrader's cell-metadata schema version (``nbgrader.nbgraderformat.SCHEMA_VERSION`` in 0.9).
SCHEMA_VERSION = 3
#: Points of one check cell.
POINTS = 2

_EXERCISE_LABEL = re.compile(r"^[A-Za-z0-9_\-]+$")


def _student():
    from descent import student  # late: descent.student imports this module for its audit

    return student


def assignment_name(path: str | Path) -> str:
    """nbgrader assignment name of a chapter file: ``03_gd_sgd.ipynb`` -> ``"ch03"``.

    A file name without a leading number keeps its stem.
    """
    stem = Path(path).stem
    m = re.match(r"^(\d+)_", stem)
    return f"ch{int(m[1]):02d}" if m else stem


def exercise_of_cells(nb: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """Map each solution and check code cell to ``(exercise label, "solution" | "check")``.

    The label is that of the last ``{exercise}`` directive in a markdown cell
    before the code cell ("" if there is none).
    """
    st = _student()
    ed = st._student_edition(nb)
    out: dict[int, tuple[str, str]] = {}
    label = ""
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "markdown":
            found = st.exercise_labels({"cells": [cell]})
            if found:
                label = found[-1]
        elif cell.get("cell_type") == "code":
            if index in ed.how:
                out[index] = (label, "solution")
            elif "check" in st._tags(cell):
                out[index] = (label, "check")
    return out


def expected_metadata(label: str, role: str, points: float = POINTS) -> dict[str, Any]:
    """The nbgrader metadata of the ``role`` ("solution" or "check") cell of exercise ``label``."""
    if role == "solution":
        return {"grade": False, "grade_id": f"{label}-solution", "locked": False,
                "schema_version": SCHEMA_VERSION, "solution": True, "task": False}
    if role == "check":
        return {"grade": True, "grade_id": f"{label}-check", "locked": True, "points": points,
                "schema_version": SCHEMA_VERSION, "solution": False, "task": False}
    raise ValueError(f"role must be 'solution' or 'check'; got {role!r}")


def add_nbgrader_metadata(nb: dict[str, Any], points: float = POINTS) -> dict[str, Any]:
    """Return a copy of ``nb`` whose solution and check cells carry nbgrader metadata.

    Existing ``points`` of a check cell are kept; everything else is set to
    :func:`expected_metadata`.
    """
    new = copy.deepcopy(nb)
    for index, (label, role) in exercise_of_cells(new).items():
        meta = new["cells"][index].setdefault("metadata", {})
        old = meta.get("nbgrader", {})
        meta["nbgrader"] = expected_metadata(label, role, old.get("points", points) if role == "check" else points)
    return new


def audit_nbgrader_metadata(nb: dict[str, Any]) -> list[str]:
    """Problems with a notebook's nbgrader metadata, one string each (empty list: none).

    Every solution cell and every check cell must carry
    :func:`expected_metadata` for the exercise it follows (a check's
    ``points`` may be any positive number), grade ids must be unique, no
    other cell may be an nbgrader solution or graded cell, and no cell but a
    solution cell may contain nbgrader's ``BEGIN SOLUTION`` / ``END SOLUTION``
    delimiters (nbgrader refuses a notebook that does).
    """
    st = _student()
    try:
        roles = exercise_of_cells(nb)
    except ValueError as exc:
        return [str(exc)]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {}).get("nbgrader")
        if index in roles:
            label, role = roles[index]
            if not label:
                problems.append(f"cell {index}: {role} cell follows no labelled {{exercise}}")
                continue
            want = expected_metadata(label, role)
            if not isinstance(meta, dict):
                problems.append(f"cell {index}: {role} cell of {label!r} has no nbgrader metadata; "
                                f"add {want}")
                continue
            got = dict(meta)
            if role == "check":
                pts = got.get("points")
                if not (isinstance(pts, (int, float)) and not isinstance(pts, bool) and pts > 0):
                    problems.append(f"cell {index}: check cell of {label!r} needs positive nbgrader points; "
                                    f"got {pts!r}")
                got["points"] = want["points"] = pts
            if got != want:
                problems.append(f"cell {index}: {role} cell of {label!r} has nbgrader metadata {meta}; "
                                f"expected {want}")
        elif isinstance(meta, dict) and (meta.get("solution") or meta.get("grade") or meta.get("task")):
            problems.append(f"cell {index}: nbgrader metadata {meta} on a cell that is neither a "
                            f"solution cell nor a check cell")
        if isinstance(meta, dict) and "grade_id" in meta:
            gid = meta["grade_id"]
            if gid in seen:
                problems.append(f"cell {index}: grade_id {gid!r} already used by cell {seen[gid]}")
            seen.setdefault(gid, index)
        if roles.get(index, ("", ""))[1] != "solution":
            text = st._source(cell)
            if "BEGIN SOLUTION" in text or "END SOLUTION" in text:
                problems.append(f"cell {index}: mentions 'BEGIN SOLUTION' or 'END SOLUTION' outside a "
                                f"solution cell; nbgrader would treat it as a solution region")
    return problems


def strip_worked_solutions(nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """nbconvert/nbgrader preprocessor: remove worked solutions from markdown cells.

    Markdown and raw cells become what :func:`descent.student.strip_solutions`
    makes of them (``{solution}`` blocks and ``{solution-start}`` ...
    ``{solution-end}`` text removed, emptied cells dropped); code cells are
    left to nbgrader's ``ClearSolutions``. Registered first in
    ``GenerateAssignment.preprocessors`` by :data:`NBGRADER_CONFIG`.
    """
    ed = _student()._student_edition(nb)
    cells = []
    for new, k in zip(ed.notebook["cells"], ed.origin):
        old = nb["cells"][k]
        if old.get("cell_type") != "code":
            old["source"] = new["source"]
        cells.append(old)
    nb["cells"] = cells
    return nb, resources


#: The ``nbgrader_config.py`` that :func:`write_course` writes.
NBGRADER_CONFIG = '''\
# nbgrader configuration of a Descent course, written by `python -m descent.student --course`.
from nbconvert.preprocessors import Preprocessor
from nbgrader.converters import GenerateAssignment
from traitlets import Bool

from descent.course import strip_worked_solutions
from descent.student import STUB


class StripWorkedSolutions(Preprocessor):
    """Remove the worked solutions of markdown cells, as `python -m descent.student` does."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        return strip_worked_solutions(nb, resources)


c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "descent"
# the same stub as `python -m descent.student`, and worked solutions removed from markdown
c.ClearSolutions.code_stub = {"python": STUB}
c.GenerateAssignment.preprocessors = [
    StripWorkedSolutions, *GenerateAssignment.class_traits()["preprocessors"].default()
]
# a chapter runs in about a minute; allow slow machines
c.Execute.timeout = 600
'''


def write_course(src: str | Path, course: str | Path) -> list[Path]:
    """Lay out an nbgrader course folder for the chapters in ``src``.

    Writes ``course/nbgrader_config.py`` (:data:`NBGRADER_CONFIG`) and copies
    each notebook to ``course/source/<assignment>/<file>``, where
    ``<assignment>`` is :func:`assignment_name` (``ch03`` for
    ``03_gd_sgd_minibatch.ipynb``). Every notebook must pass
    :func:`audit_nbgrader_metadata`.

    Parameters
    ----------
    src : str or Path
        A chapter notebook or a folder of them.
    course : str or Path
        The course folder; created if missing. Existing source copies are replaced.

    Returns
    -------
    list of Path
        The copied notebooks.

    Raises
    ------
    FileNotFoundError
        If ``src`` does not exist.
    ValueError
        If ``src`` holds no notebook, or a notebook's nbgrader metadata is wrong.
    """
    import json

    src, course = Path(src), Path(course)
    if not src.exists():
        raise FileNotFoundError(f"src must be a notebook or a folder of notebooks; got {str(src)!r}, "
                                f"which does not exist")
    notebooks = sorted(src.glob("*.ipynb")) if src.is_dir() else [src]
    if not notebooks or any(p.suffix != ".ipynb" for p in notebooks):
        raise ValueError(f"src must be a .ipynb file or a folder holding one; got {str(src)!r}")
    for path in notebooks:
        problems = audit_nbgrader_metadata(json.loads(path.read_text(encoding="utf-8")))
        if problems:
            raise ValueError(f"{path.name}: " + "; ".join(problems))
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    written = []
    for path in notebooks:
        folder = course / "source" / assignment_name(path)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
        written.append(folder / path.name)
    return written


def shortcut_edition(nb: dict[str, Any], shortcuts: dict[str, str]) -> tuple[dict[str, Any], dict[int, str]]:
    """The instructor notebook with each exercise's shortcut tried before its solution.

    Before the solution cell of every exercise named in ``shortcuts``, two
    code cells are inserted: the shortcut source, and a copy of the
    exercise's check cell. Executed top to bottom, the copy shows whether the
    check rejects the shortcut; the solution cell then redefines the answer,
    so later exercises and the original check cells run as in the instructor
    notebook.

    Parameters
    ----------
    nb : dict
        An instructor notebook.
    shortcuts : dict of str to str
        ``{"chNN-exK": "source of the shortcut solution cell"}``.

    Returns
    -------
    (notebook, probes)
        The new notebook and, for each inserted check copy, its cell index
        mapped to the exercise label.

    Raises
    ------
    ValueError
        If a key of ``shortcuts`` names no coding exercise, or a coding
        exercise has no shortcut.
    """
    roles = exercise_of_cells(nb)
    solutions = {label: i for i, (label, role) in roles.items() if role == "solution"}
    checks = {label: i for i, (label, role) in roles.items() if role == "check"}
    unknown = sorted(set(shortcuts) - set(solutions))
    missing = sorted(set(solutions) - set(shortcuts))
    if unknown or missing:
        raise ValueError(f"shortcuts must name every coding exercise once; unknown: {unknown}, "
                         f"missing: {missing}")
    new = copy.deepcopy(nb)
    cells, probes = [], {}
    by_index = {i: label for label, i in solutions.items()}
    for index, cell in enumerate(new["cells"]):
        if index in by_index:
            label = by_index[index]
            check = nb["cells"][checks[label]]
            cells.append({"cell_type": "code", "id": f"shortcut-{label}", "execution_count": None,
                          "metadata": {}, "outputs": [], "source": shortcuts[label]})
            probes[len(cells)] = label
            cells.append({"cell_type": "code", "id": f"shortcut-{label}-check", "execution_count": None,
                          "metadata": {}, "outputs": [], "source": _student()._source(check)})
        cells.append(cell)
    new["cells"] = cells
    return new, probes


def main(argv: list[str] | None = None) -> int:
    """``python -m descent.course NOTEBOOK...``: write nbgrader metadata into chapter notebooks, in place.

    Prints each notebook's remaining problems (:func:`audit_nbgrader_metadata`);
    returns 1 if any is left.
    """
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m descent.course",
                                     description="Give every solution and check cell its nbgrader metadata.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        nb = add_nbgrader_metadata(json.loads(path.read_text(encoding="utf-8")))
        _student()._write(nb, path)
        problems = audit_nbgrader_metadata(nb)
        print(f"{path}: " + ("nbgrader metadata in place" if not problems else "; ".join(problems)))
        status |= bool(problems)
    return status


if __name__ == "__main__":
    raise SystemExit(main())

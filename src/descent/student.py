"""The student edition of the chapters: solutions out, stubs in, outputs cleared.

A chapter notebook is written once, for the instructor, with its solutions in
place (see ``book/conventions.md``). This module derives the copy a student
works in:

- In a code cell, every region between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (markers included) becomes one line,
  ``raise NotImplementedError("Exercise: write your solution here")``, indented
  like the BEGIN marker. Code outside the markers, such as the ``def`` line of
  the function to write, stays.
- A code cell tagged ``solution`` that has no markers, and any code cell
  between a ``{solution-start}`` and a ``{solution-end}`` cell, is replaced
  whole by that line.
- Worked solutions in markdown, ```` ```{solution} ```` or ``:::{solution}``
  blocks, are cut out, and so are the ``{solution-start}`` and
  ``{solution-end}`` directives and any markdown between them. A markdown cell
  left empty is dropped.
- Every output and execution count is cleared, and the notebook metadata
  records ``{"descent": {"edition": "student"}}``.

The same parsing drives two audits used by ``tests/test_exercises.py``:
:func:`audit_exercise_structure` checks a chapter's exercises against the
conventions without running anything, and :func:`audit_student_run` checks an
executed student edition: every ``check`` cell must fail on the stubs, and
every other cell must still run.

Only the standard library is used; notebooks are read and written as nbformat
4 JSON. From the command line::

    python -m descent.student chapters/ student/

>>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
...     {"cell_type": "code", "id": "a", "metadata": {}, "outputs": [],
...      "execution_count": 1,
...      "source": "def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION"}]}
>>> print(strip_solutions(nb)["cells"][0]["source"])
def f(x):
    raise NotImplementedError("Exercise: write your solution here")
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "STUB",
    "strip_solutions",
    "make_student_edition",
    "exercise_labels",
    "audit_exercise_structure",
    "audit_student_run",
    "main",
]

#: The line that replaces a solution in the student edition.
STUB = 'raise NotImplementedError("Exercise: write your solution here")'

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+[ \t]*BEGIN SOLUTION[ \t]*$")
_END = re.compile(r"^[ \t]*#+[ \t]*END SOLUTION[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z0-9_.:\-]+)\}[ \t]*(?P<arg>.*)$")
_LABEL = re.compile(r"^[ \t]*:label:[ \t]*(?P<label>\S+)")
_SOLUTION_DIRECTIVES = ("solution", "solution-start", "solution-end")


# --------------------------------------------------------------------------- parsing


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _close(lines: list[str], start: int, char: str, width: int) -> int:
    """Index of the line closing a fence of ``width`` x ``char`` opened before ``start``.

    CommonMark's rule: the first line made only of at least ``width`` copies of
    ``char`` (surrounding blanks allowed). An unclosed fence runs to the end of
    the cell, which is returned as ``len(lines)``.
    """
    closing = re.compile(rf"^[ \t]*{re.escape(char)}{{{width},}}[ \t]*$")
    for k in range(start, len(lines)):
        if closing.match(lines[k].rstrip("\r\n")):
            return k
    return len(lines)


def _directives(lines: list[str]) -> list[tuple[str, str, list[str]]]:
    """Every directive in markdown ``lines`` as (name, argument, body lines), in order.

    Directive bodies are searched too (MyST parses them as markdown); code
    blocks are not.
    """
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i].rstrip("\r\n"))
        if m is None:
            i += 1
            continue
        fence = m["fence"]
        j = _close(lines, i + 1, fence[0], len(fence))
        d = _DIRECTIVE.match(m["info"].strip())
        if d is not None:
            body = lines[i + 1 : j]
            found.append((d["name"], d["arg"].strip(), body))
            found.extend(_directives(body))
        i = j + 1
    return found


def _markdown_directives(nb: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    cells = [c for c in nb["cells"] if c.get("cell_type") == "markdown"]
    return [d for c in cells for d in _directives(_source(c).splitlines(keepends=True))]


@dataclass
class _State:
    """What the strip pass carries from cell to cell."""

    gated_since: int | None = None  # index of the open {solution-start} cell


def _strip_markdown(lines: list[str], state: _State, index: int) -> list[str]:
    """Return ``lines`` without solution directives or gated solution text."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i].rstrip("\r\n"))
        if m is None:
            if state.gated_since is None:
                out.append(lines[i])
            i += 1
            continue
        fence = m["fence"]
        j = _close(lines, i + 1, fence[0], len(fence))
        d = _DIRECTIVE.match(m["info"].strip())
        name = d["name"] if d is not None else None
        if name == "solution-start":
            if state.gated_since is not None:
                raise ValueError(
                    f"cell {index}: {{solution-start}} opened while the one in cell "
                    f"{state.gated_since} is still open; close it with {{solution-end}} first"
                )
            state.gated_since = index
        elif name == "solution-end":
            if state.gated_since is None:
                raise ValueError(f"cell {index}: {{solution-end}} without a {{solution-start}} before it")
            state.gated_since = None
        elif name == "solution" or state.gated_since is not None:
            pass  # a worked solution, or text inside a gated solution: dropped
        elif name is not None:
            # another directive (exercise, admonition, ...): keep it, but look
            # inside, since MyST parses its body as markdown again
            out.append(lines[i])
            out.extend(_strip_markdown(lines[i + 1 : j], state, index))
            if j < len(lines):
                out.append(lines[j])
        else:
            out.extend(lines[i : j + 1])  # a code block: verbatim
        i = j + 1
    return out


def _stub_markers(source: str, index: int) -> tuple[str, int]:
    """Replace each BEGIN/END SOLUTION region of ``source``; return (new source, count)."""
    out: list[str] = []
    regions = 0
    begin: re.Match[str] | None = None
    begin_line = 0
    for k, line in enumerate(source.splitlines(keepends=True)):
        text = line.rstrip("\r\n")
        if _BEGIN.match(text):
            if begin is not None:
                raise ValueError(
                    f"cell {index}, line {k + 1}: '### BEGIN SOLUTION' inside the region "
                    f"opened on line {begin_line + 1}; add '### END SOLUTION' first"
                )
            begin, begin_line = _BEGIN.match(text), k
        elif _END.match(text):
            if begin is None:
                raise ValueError(f"cell {index}, line {k + 1}: '### END SOLUTION' without a BEGIN before it")
            newline = line[len(text) :]
            out.append(begin["indent"] + STUB + newline)
            begin = None
            regions += 1
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise ValueError(
            f"cell {index}, line {begin_line + 1}: '### BEGIN SOLUTION' has no '### END SOLUTION'"
        )
    return "".join(out), regions


@dataclass
class _Edition:
    """A stripped notebook plus, for each of its cells, where it came from."""

    notebook: dict[str, Any]
    origin: list[int]  # instructor cell index of each student cell
    role: list[str]  # "stub", "check", "code" or "text"
    how: dict[int, str]  # instructor index of each stubbed cell -> "markers"/"tag"/"region"
    gated: set[int]  # instructor indices of code cells inside a solution-start/end region
    worked_removed: int


def _student_edition(nb: dict[str, Any]) -> _Edition:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError(
            f"nb must be an nbformat 4 notebook (a dict with a 'cells' list); got {type(nb).__name__}"
        )
    new = copy.deepcopy(nb)
    state = _State()
    cells: list[dict[str, Any]] = []
    origin: list[int] = []
    role: list[str] = []
    how: dict[int, str] = {}
    gated: set[int] = set()
    worked = 0
    for index, cell in enumerate(new["cells"]):
        kind = cell.get("cell_type")
        tags = _tags(cell)
        if kind == "code":
            if state.gated_since is not None:
                gated.add(index)
            source, regions = _stub_markers(_source(cell), index)
            if regions:
                how[index] = "markers"
            elif "check" in tags:
                pass  # never stubbed whole: a stubbed check would "fail" for free
            elif "solution" in tags:
                source, how[index] = STUB, "tag"
            elif state.gated_since is not None:
                source, how[index] = STUB, "region"
            cell["source"] = source
            cell["outputs"] = []
            cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)
            if index in how and "solution" in tags:
                kept_tags = [t for t in tags if t != "solution"]
                if kept_tags:
                    cell["metadata"]["tags"] = kept_tags
                else:
                    del cell["metadata"]["tags"]
            role.append("stub" if index in how else "check" if "check" in tags else "code")
        else:
            text = _source(cell)
            lines = text.splitlines(keepends=True)
            if kind == "markdown":
                worked += sum(1 for name, _, _ in _directives(lines) if name == "solution")
                kept = _strip_markdown(lines, state, index)
            else:  # raw cells carry no directives; drop them only inside a gated solution
                kept = [] if state.gated_since is not None else lines
            if kept != lines:
                text = re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip("\n")
                if not text.strip():
                    continue
                cell["source"] = text
            role.append("text")
        cells.append(cell)
        origin.append(index)
    if state.gated_since is not None:
        raise ValueError(f"cell {state.gated_since}: {{solution-start}} has no matching {{solution-end}}")
    new["cells"] = cells
    meta = new.setdefault("metadata", {})
    meta.pop("widgets", None)  # saved widget state is output too
    meta["descent"] = {"edition": "student", "generated_by": "descent.student"}
    return _Edition(new, origin, role, how, gated, worked)


# --------------------------------------------------------------------------- public API


def strip_solutions(nb: dict[str, Any]) -> dict[str, Any]:
    """Return the student edition of an instructor notebook.

    The input is not modified; a deep copy is changed and returned. Rules, in
    the order they apply to a code cell:

    1. each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region, markers
       included, becomes :data:`STUB` indented like the BEGIN marker;
    2. otherwise a cell tagged ``solution``, or any code cell between a
       ``{solution-start}`` and a ``{solution-end}`` directive, becomes
       :data:`STUB` whole (a cell tagged ``check`` is never replaced whole).

    Markdown ``{solution}``, ``{solution-start}`` and ``{solution-end}``
    directives are removed, with any markdown or raw text between a start and
    its end; cells left empty are dropped. Outputs, execution counts, timing
    metadata and saved widget state are cleared, the ``solution`` tag is
    removed from stubbed cells (so stripping twice changes nothing more), and
    ``nb["metadata"]["descent"]["edition"]`` is set to ``"student"``.

    Parameters
    ----------
    nb : dict
        An nbformat 4 notebook (an ``nbformat.NotebookNode`` or the plain dict
        from ``json.load``).

    Returns
    -------
    dict
        The student notebook, of the same type as ``nb``.

    Raises
    ------
    ValueError
        If solution markers or ``{solution-start}``/``{solution-end}``
        directives are unbalanced; the message names the cell index.
    TypeError
        If ``nb`` is not a notebook dict.

    Examples
    --------
    >>> nb = {"metadata": {}, "cells": [{"cell_type": "markdown", "metadata": {},
    ...       "source": "Prove it.\\n\\n```{solution} ex1\\nIt is so.\\n```"}]}
    >>> strip_solutions(nb)["cells"][0]["source"]
    'Prove it.'
    """
    return _student_edition(nb).notebook


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _write(nb: dict[str, Any], path: Path) -> None:
    """Write ``nb`` as nbformat does: sorted keys, indent 1, sources split in lines."""
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        src = _source(cell)
        cell["source"] = src.splitlines(keepends=True)
    text = json.dumps(out, sort_keys=True, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def make_student_edition(src: str | Path, dest: str | Path) -> list[Path]:
    """Write the student edition of one notebook, or of every notebook in a folder.

    Parameters
    ----------
    src : str or Path
        An ``.ipynb`` file, or a folder whose ``*.ipynb`` files (not recursive)
        are converted.
    dest : str or Path
        Output folder, created if missing. It must not be the folder holding
        the instructor notebooks, nor lie inside it, so an instructor notebook
        can never be overwritten (and nbval never collects a student copy).

    Returns
    -------
    list of Path
        The written notebooks, ``dest / <same file name>``, in sorted order.

    Raises
    ------
    FileNotFoundError
        If ``src`` does not exist.
    ValueError
        If ``src`` is neither a notebook nor a folder holding one, if ``dest``
        is or lies inside the source folder, if ``dest`` is an existing file,
        if a file in ``dest`` that would be replaced is not a student edition,
        or if a notebook's solution markers are unbalanced.

    Examples
    --------
    ``make_student_edition("chapters", "student")`` writes
    ``student/01_gd.ipynb`` and so on, one per chapter.
    """
    src, dest = Path(src), Path(dest)
    if not src.exists():
        raise FileNotFoundError(
            f"src must be a notebook or a folder of notebooks; got {str(src)!r}, which does not exist"
        )
    if src.is_dir():
        notebooks = sorted(src.glob("*.ipynb"))
        if not notebooks:
            raise ValueError(f"src must hold at least one .ipynb file; got folder {str(src)!r} with none")
        folder = src
    elif src.suffix == ".ipynb":
        notebooks, folder = [src], src.parent
    else:
        raise ValueError(f"src must be a .ipynb file or a folder; got {str(src)!r}")
    if _is_within(dest.resolve(), folder.resolve()):
        raise ValueError(
            f"dest must be outside the folder of the instructor notebooks, so they are never "
            f"overwritten; got dest={str(dest)!r} for notebooks in {str(folder)!r}"
        )
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"dest must be a folder; got {str(dest)!r}, an existing file")

    editions = [(path, strip_solutions(_read(path))) for path in notebooks]  # all parse before any write
    for path, _ in editions:
        target = dest / path.name
        if target.exists():
            edition = _read(target).get("metadata", {}).get("descent", {}).get("edition")
            if edition != "student":
                raise ValueError(
                    f"dest already holds {str(target)!r}, which is not a student edition; "
                    f"refusing to overwrite it"
                )
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path, nb in editions:
        target = dest / path.name
        _write(nb, target)
        written.append(target)
    return written


def exercise_labels(nb: dict[str, Any]) -> list[str]:
    """Labels of the ``{exercise}`` and ``{exercise-start}`` directives, in order.

    An exercise without a ``:label:`` option contributes an empty string, so
    ``len(exercise_labels(nb))`` counts every exercise.
    """
    labels = []
    for name, _, body in _markdown_directives(nb):
        if name in ("exercise", "exercise-start"):
            found = [m["label"] for m in map(_LABEL.match, body) if m]
            labels.append(found[0] if found else "")
    return labels


def audit_exercise_structure(nb: dict[str, Any]) -> list[str]:
    """Check an instructor notebook's exercises against the book's conventions.

    Nothing is executed. Reported, one string per problem:

    - unbalanced solution markers or solution directives;
    - a solution cell (code whose solution is stubbed) without the
      ``solution`` tag or without ``### BEGIN/END SOLUTION`` markers;
    - a solution cell not followed by a ``check`` cell before the next
      solution cell, and a ``check`` cell with no solution cell before it;
    - a ``check`` cell inside a ``{solution-start}``/``{solution-end}`` region;
    - a number of ``check`` cells different from the number of solution cells;
    - an exercise without ``:label:``, or whose label no ``{solution}`` or
      ``{solution-start}`` names;
    - missing or wrong nbgrader metadata on a solution or check cell, a
      repeated ``grade_id``, or nbgrader's solution delimiters outside a
      solution cell (:func:`descent.course.audit_nbgrader_metadata`).

    Parameters
    ----------
    nb : dict
        An nbformat 4 instructor notebook.

    Returns
    -------
    list of str
        The problems found; empty when the notebook follows the conventions.
    """
    try:
        ed = _student_edition(nb)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    cells = nb["cells"]
    for index, how in ed.how.items():
        if "solution" not in _tags(cells[index]):
            problems.append(f"cell {index}: solution code cell is not tagged 'solution'")
        if how != "markers":
            problems.append(
                f"cell {index}: solution code cell has no '### BEGIN SOLUTION' / '### END SOLUTION' markers"
            )
    checks = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and "check" in _tags(c)]
    problems.extend(
        f"cell {index}: check cell lies inside a solution-start/solution-end region; "
        f"move it after {{solution-end}}"
        for index in checks
        if index in ed.gated
    )
    pending: int | None = None
    events = sorted([(i, "solution") for i in ed.how] + [(i, "check") for i in checks if i not in ed.how])
    for index, kind in events:
        if kind == "solution":
            if pending is not None:
                problems.append(
                    f"cell {pending}: solution cell has no check cell after it (next solution cell: {index})"
                )
            pending = index
        elif pending is None:
            problems.append(f"cell {index}: check cell has no solution cell before it")
        else:
            pending = None
    if pending is not None:
        problems.append(f"cell {pending}: solution cell has no check cell after it")
    if len(checks) != len(ed.how):
        problems.append(
            f"{len(checks)} check cells for {len(ed.how)} solution cells; "
            f"each coding exercise needs exactly one"
        )
    solved = {
        arg.split()[0]
        for name, arg, _ in _markdown_directives(nb)
        if name in ("solution", "solution-start") and arg
    }
    for k, label in enumerate(exercise_labels(nb)):
        if not label:
            problems.append(f"exercise {k + 1}: no :label: option")
        elif label not in solved:
            problems.append(f"exercise {label!r}: no {{solution}} or {{solution-start}} names it")
    from descent.course import audit_nbgrader_metadata

    problems.extend(audit_nbgrader_metadata(nb))
    return problems


def _errors(cell: dict[str, Any]) -> list[tuple[str, str]]:
    outputs = cell.get("outputs", [])
    return [(o.get("ename", "?"), o.get("evalue", "")) for o in outputs if o.get("output_type") == "error"]


def _first_line(cell: dict[str, Any]) -> str:
    lines = [ln for ln in _source(cell).splitlines() if ln.strip()]
    return repr(lines[0][:60]) if lines else "(empty)"


def audit_student_run(instructor_nb: dict[str, Any], executed_student_nb: dict[str, Any]) -> list[str]:
    """Check an executed student edition against the instructor notebook it came from.

    The student notebook must be ``strip_solutions(instructor_nb)`` executed
    with errors allowed (e.g. ``nbclient`` with ``allow_errors=True``). On top
    of :func:`audit_exercise_structure`, it reports:

    (a) a ``check`` cell that raised no error: it passes on a blank stub, so it
        checks nothing;
    (b) an error in a cell that is neither a stub nor a check: the chapter
        body must run for a student who has not solved anything;
    (c) a stub cell that raised anything but ``NotImplementedError`` (a stub
        that broke the code around it).

    Cells are named by their index in the instructor notebook (the student
    index follows in brackets), with their first line.

    Parameters
    ----------
    instructor_nb : dict
        The instructor notebook (nbformat 4).
    executed_student_nb : dict
        Its student edition, after execution.

    Returns
    -------
    list of str
        The problems found; empty when every check fails on the stubs and
        everything else runs.
    """
    problems = audit_exercise_structure(instructor_nb)
    try:
        ed = _student_edition(instructor_nb)
    except ValueError:
        return problems  # already reported
    run = executed_student_nb["cells"]
    expected = [(c.get("cell_type"), _source(c)) for c in ed.notebook["cells"]]
    actual = [(c.get("cell_type"), _source(c)) for c in run]
    if expected != actual:
        same = min(len(expected), len(actual))
        diff = next((k for k, (e, a) in enumerate(zip(expected, actual)) if e != a), same)
        problems.append(
            f"the student notebook is not strip_solutions(instructor_nb): {len(actual)} cells for "
            f"{len(expected)} expected, first difference at student cell {diff}"
        )
        return problems
    for k, (cell, index, role) in enumerate(zip(run, ed.origin, ed.role)):
        where = f"cell {index} [student cell {k}] {_first_line(cell)}"
        errors = _errors(cell)
        if role == "check" and not errors:
            problems.append(
                f"{where}: check cell raised no error on the stub; it must fail until the exercise is solved"
            )
        elif role == "stub":
            problems.extend(
                f"{where}: stub cell raised {ename}: {evalue}; only NotImplementedError is expected"
                for ename, evalue in errors
                if ename != "NotImplementedError"
            )
        elif role == "code":
            problems.extend(f"{where}: raised {e}: {v} in the student edition" for e, v in errors)
    return problems


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m descent.student [--course] SRC DEST``."""
    parser = argparse.ArgumentParser(
        prog="python -m descent.student",
        description="Write the student edition of Descent notebooks: "
        "solutions replaced by stubs, outputs cleared. With --course, lay out an nbgrader "
        "course folder instead (DEST/nbgrader_config.py and DEST/source/chNN/).",
    )
    parser.add_argument("--course", action="store_true",
                        help="write an nbgrader course folder to DEST instead of the student edition")
    parser.add_argument("src", type=Path, help="an instructor notebook, or a folder of them (e.g. chapters/)")
    parser.add_argument("dest", type=Path, help="output folder, outside the source folder (e.g. student/)")
    args = parser.parse_args(argv)
    if args.course:
        from descent.course import write_course

        try:
            copied = write_course(args.src, args.dest)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.dest / 'nbgrader_config.py'}")
        for path in copied:
            print(f"wrote {path}")
        return 0
    try:
        written = make_student_edition(args.src, args.dest)
    except (OSError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        ed = _student_edition(_read(args.src if args.src.is_file() else args.src / path.name))
        stubs, worked = len(ed.how), ed.worked_removed
        print(
            f"wrote {path} ({stubs} solution cell{'s' * (stubs != 1)} stubbed, "
            f"{worked} worked solution{'s' * (worked != 1)} removed)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Exercise rules and the integrity audit.

The audit (:func:`descent.student.audit_student_run`) takes an executed
student edition and demands that every ``check`` cell raised an error (a check
that passes on a blank stub checks nothing), that every other cell ran cleanly
(the chapter still works for a student who has solved nothing), and that each
solution cell is followed by exactly one check cell with nbgrader metadata.
For the chapters it runs in ``tests/test_nbgrader.py``, on the execution that
nbgrader's autograde grades, so each chapter's stub edition runs once. Here it
runs on the fixture ``tests/fixtures/exercise_demo.ipynb``, and the fixture
variants prove that it catches a check that passes on a stub and a chapter
body that needs a solution. ``test_chapter_exercise_rules`` checks the rules
of ``book/conventions.md`` on every chapter without running anything.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from descent.course import exercise_of_cells
from descent.student import (
    _LABEL,
    _markdown_directives,
    _source,
    audit_exercise_structure,
    audit_student_run,
    make_student_edition,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
FIXTURE = Path(__file__).parent / "fixtures" / "exercise_demo.ipynb"
MIN_EXERCISES = 6  # book/conventions.md
TIMEOUT_S = 300


class _ThisPython(KernelSpecManager):
    """Resolve ``python3`` to this interpreter, whatever kernelspecs the user has installed."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == "python3":
            return KernelSpec(resource_dir="", **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a fresh python3 kernel, errors allowed; return ``nb``."""
    km = KernelManager(kernel_name="python3", kernel_spec_manager=_ThisPython())
    client = NotebookClient(
        nb, km=km, kernel_name="python3", timeout=TIMEOUT_S, allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def student_run(instructor_path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    """Build the student edition of one notebook into ``tmp_path`` and execute it."""
    (student_path,) = make_student_edition(instructor_path, tmp_path / "student")
    student = nbformat.read(student_path, as_version=4)
    return execute(student, cwd=instructor_path.parent)


# The chapters' student editions are executed, audited and graded in
# tests/test_nbgrader.py (one run of the stub edition per chapter, shared with
# nbgrader's autograde). Here: the static exercise rules, and the audit itself
# exercised on the fixture.

PEN = re.compile(r"\*Pen\s+and\s+paper[^*]*?,\s+about\s+\d+(?:[-\u2013]\d+)?\s+minutes\.\*")
CODING = re.compile(r"\*Coding[^*]*?,\s+about\s+\d+(?:[-\u2013]\d+)?\s+minutes\.\*")


def _chapters() -> list:
    return [pytest.param(p, id=p.name) for p in sorted(CHAPTERS.glob("*.ipynb"))]


@pytest.mark.parametrize("path", _chapters())
def test_chapter_exercise_rules(path: Path) -> None:
    """book/conventions.md: at least 6 exercises, 2 pen-and-paper with worked solutions,
    3 graded coding exercises whose checks use forbid or spy, 1 predict-then-measure
    (its check calls agree), and each statement says its kind and time."""
    nb = nbformat.read(path, as_version=4)
    problems = audit_exercise_structure(nb)
    directives = _markdown_directives(nb)
    statements = {}
    for name, _, body in directives:
        if name == "exercise":
            text = "".join(body)
            label = next((m["label"] for m in map(_LABEL.match, body) if m), "")
            statements[label] = text
    worked = {arg.split()[0] for name, arg, _ in directives if name == "solution" and arg}
    roles = exercise_of_cells(nb)
    coding = {label for label, role in roles.values() if role == "solution"}
    checks = {label: _source(nb.cells[i]) for i, (label, role) in roles.items() if role == "check"}
    pen = {label for label in statements if label not in coding}
    for label, text in statements.items():
        kind = CODING if label in coding else PEN
        if not kind.search(text):
            problems.append(f"{label}: the statement must say {kind.pattern!r} (kind and time)")
    problems += [f"{label}: pen-and-paper exercise without a worked {{solution}}" for label in pen - worked]
    problems += [f"{label}: check uses neither descent.exercises.forbid nor spy"
                 for label, src in checks.items() if "forbid(" not in src and "spy(" not in src]
    if len(statements) < MIN_EXERCISES:
        problems.append(f"{len(statements)} exercises; a chapter needs at least {MIN_EXERCISES}")
    if len(pen & worked) < 2:
        problems.append(f"{len(pen & worked)} pen-and-paper exercises with worked solutions; at least 2")
    if len(coding) < 3:
        problems.append(f"{len(coding)} graded coding exercises; at least 3")
    if not any("agree(" in src for src in checks.values()):
        problems.append("no predict-then-measure exercise (a check calling descent.exercises.agree)")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_fixture_checks_fail_on_stubs_and_the_body_runs(tmp_path: Path) -> None:
    instructor = nbformat.read(FIXTURE, as_version=4)
    assert audit_student_run(instructor, student_run(FIXTURE, tmp_path)) == []


def _fixture_variant(tmp_path: Path, cell: int, source: str) -> Path:
    nb = nbformat.read(FIXTURE, as_version=4)
    nb.cells[cell].source = source
    (tmp_path / "instructor").mkdir()
    path = tmp_path / "instructor" / FIXTURE.name
    nbformat.write(nb, path)
    return path


def test_audit_catches_a_check_that_passes_on_a_blank_stub(tmp_path: Path) -> None:
    fixture = nbformat.read(FIXTURE, as_version=4)
    assert "check" in fixture.cells[7].metadata["tags"]
    path = _fixture_variant(tmp_path, 7, "assert True")
    problems = audit_student_run(nbformat.read(path, as_version=4), student_run(path, tmp_path))
    assert problems == [
        "cell 7 [student cell 5] 'assert True': check cell raised no error on the stub; "
        "it must fail until the exercise is solved"
    ]


def test_audit_catches_a_chapter_body_that_needs_a_solution(tmp_path: Path) -> None:
    path = _fixture_variant(tmp_path, 8, "numerical_grad(lambda x: x @ x, np.ones(2))")
    problems = audit_student_run(nbformat.read(path, as_version=4), student_run(path, tmp_path))
    assert len(problems) == 1
    assert problems[0].startswith(
        "cell 8 [student cell 6] 'numerical_grad(lambda x: x @ x, np.ones(2))': raised NotImplementedError"
    )


def test_student_kernel_is_this_interpreter(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    out = execute(nb, cwd=tmp_path).cells[0].outputs[0]["text"].strip()
    assert Path(out).resolve() == Path(sys.executable).resolve()


def test_fixture_checks_pass_with_the_solutions_in_place(tmp_path: Path) -> None:
    """The other half, which nbval covers for the chapters: solved, every cell runs."""
    instructor = execute(nbformat.read(FIXTURE, as_version=4), cwd=FIXTURE.parent)
    outputs = [(i, o) for i, c in enumerate(instructor.cells) for o in c.get("outputs", [])]
    assert [(i, o.ename) for i, o in outputs if o.output_type == "error"] == []
    assert any(o.output_type == "stream" for _, o in outputs)  # it did run

"""Exercise integrity: every check cell must fail on the student edition's stubs.

For each chapter, the student edition (``python -m descent.student``) is built
in a temporary folder and executed with errors allowed, from the chapters
folder so relative paths resolve. :func:`descent.student.audit_student_run`
then demands that every ``check`` cell raised an error (a check that passes on
a blank stub checks nothing), that every other cell ran cleanly (the chapter
still works for a student who has solved nothing), and that each solution cell
is followed by exactly one check cell. nbval, run on the instructor notebooks
by the main ``pytest`` invocation, shows the other half: with the solutions
in place, every check passes.

Until ``chapters/`` holds a notebook, the same test runs on the fixture
``tests/fixtures/exercise_demo.ipynb`` instead, so the machinery is exercised
either way; the fixture variants below prove that the audit catches a check
that passes on a stub and a chapter body that needs a solution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from descent.student import audit_student_run, exercise_labels, make_student_edition

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
FIXTURE = Path(__file__).parent / "fixtures" / "exercise_demo.ipynb"
MIN_EXERCISES = 5  # book/conventions.md: "exercises (at least five)"
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


def _cases() -> list:
    chapters = sorted(CHAPTERS.glob("*.ipynb"))
    if chapters:
        return [pytest.param(p, id=p.name) for p in chapters]
    return [pytest.param(FIXTURE, id=f"no-chapters-yet-{FIXTURE.name}")]


@pytest.mark.parametrize("path", _cases())
def test_checks_fail_on_stubs_and_the_body_runs(path: Path, tmp_path: Path) -> None:
    instructor = nbformat.read(path, as_version=4)
    problems = []
    n_exercises = len(exercise_labels(instructor))
    if path.parent == CHAPTERS and n_exercises < MIN_EXERCISES:
        problems.append(f"{n_exercises} {{exercise}} directives; a chapter needs at least {MIN_EXERCISES}")
    problems += audit_student_run(instructor, student_run(path, tmp_path))
    assert not problems, f"{path.name}, student edition:\n  " + "\n  ".join(problems)


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

"""The course edition through nbgrader's own pipeline, and the exercise integrity tests.

For every ``chapters/*.ipynb`` (new chapters are picked up when they land), in a
temporary nbgrader course folder written by ``python -m descent.student --course``:

1. ``generate_assignment`` succeeds, and its student version has exactly the
   cells of ``python -m descent.student``'s edition (same stubs, worked
   solutions removed);
2. that student version is executed once (errors allowed).
   :func:`descent.student.audit_student_run` demands that every check cell
   fails on the stubs and that the rest of the chapter runs, and nbgrader's
   ``autograde`` of it gives 0 points on every check;
3. the *shortcut edition* (:func:`descent.course.shortcut_edition`) is executed
   once: before each solution cell it runs the one-line library shortcut from
   ``tests/exercise_shortcuts/chNN.py`` and a copy of the check, which must
   reject it (ShortcutError or AssertionError), then the real solution. With the
   inserted cells removed, the run is the instructor notebook executed, and
   ``autograde`` of it gives full marks on every check.

So each chapter is executed twice here: the stub edition and the shortcut
edition. nbgrader's ``autograde`` grades those executions instead of running
the notebooks again: its sanitizing step is kept but ``ClearOutput`` and
``Execute`` are left out (:func:`grading_config`). ``test_readme_workflow``
runs nbgrader's unmodified pipeline, execution included, on the README's
commands.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from descent.course import assignment_name, exercise_of_cells, shortcut_edition, write_course
from descent.student import audit_student_run, strip_solutions

from test_exercises import CHAPTERS, FIXTURE, ROOT, execute

from nbgrader.api import Gradebook  # nbgrader is in requirements.txt: no skip if it is missing
from nbgrader.apps import NbGraderAPI
from nbgrader.converters import Autograde
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearOutput, Execute
from traitlets.config.loader import PyFileConfigLoader

# nbgrader 0.9 with SQLAlchemy 2 warns about its own session use; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

SHORTCUTS = Path(__file__).parent / "exercise_shortcuts"
REJECTED = ("ShortcutError", "AssertionError")


def chapter_cases() -> list:
    chapters = sorted(CHAPTERS.glob("*.ipynb"))
    return [pytest.param(p, id=p.name) for p in chapters] or [pytest.param(FIXTURE, id=FIXTURE.name)]


def load_shortcuts(path: Path) -> dict[str, str]:
    """``SHORTCUTS`` of ``tests/exercise_shortcuts/<assignment>.py`` ({} if the file is absent)."""
    file = SHORTCUTS / f"{assignment_name(path)}.py"
    if not file.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"shortcuts_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.SHORTCUTS)


def grading_config(course: Path):
    """The course's nbgrader config, with autograde grading stored outputs instead of executing."""
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(course)
    traits = Autograde.class_traits()
    cfg.Autograde.sanitize_preprocessors = [p for p in traits["sanitize_preprocessors"].default() if p is not ClearOutput]
    cfg.Autograde.autograde_preprocessors = [p for p in traits["autograde_preprocessors"].default() if p is not Execute]
    return cfg


def submit(course: Path, assignment: str, student: str, nb: nbformat.NotebookNode, name: str) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)


def grades(course: Path, assignment: str, student: str, notebook: str) -> dict[str, tuple[float, float]]:
    """{grade_id: (score, max_score)} of one autograded notebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(notebook, assignment, student)
        return {g.name: (g.score, g.max_score) for g in sub.grades}


def errors(cell) -> list[str]:
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def shortcut_problems(run, probes: dict[int, str], shortcuts: dict[str, str]) -> list[str]:
    """What is wrong in an executed shortcut edition: a shortcut that raised, or a check that did not reject it."""
    problems = []
    for k, label in probes.items():
        if errors(run.cells[k - 1]):
            problems.append(f"{label}: the shortcut itself raised {errors(run.cells[k - 1])}")
        got = errors(run.cells[k])
        if not got:
            problems.append(f"{label}: the check accepted the shortcut {shortcuts[label]!r}")
        elif got[0] not in REJECTED:
            problems.append(f"{label}: the check failed on the shortcut with {got[0]}, not by rejecting it")
    return problems


def test_shortcut_audit_catches_an_accepted_and_a_broken_shortcut() -> None:
    """The fixture's check does not use forbid, so a library shortcut passes it: the audit must say so."""
    nb = nbformat.read(FIXTURE, as_version=4)
    for source, expected in [
        ("numerical_grad = lambda f, x, h=1e-6: __import__('descent.autodiff').autodiff.numerical_grad(f, x)",
         "demo-ex2: the check accepted the shortcut"),
        ("numerical_grad = lambda f, x, h=1e-6: undefined_name",
         "demo-ex2: the check failed on the shortcut with NameError, not by rejecting it"),
    ]:
        edition, probes = shortcut_edition(nb, {"demo-ex2": source})
        run = execute(nbformat.from_dict(edition), cwd=FIXTURE.parent)
        problems = shortcut_problems(run, probes, {"demo-ex2": source})
        assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """One course folder for all chapters (each is its own assignment): the gradebook is created once."""
    return tmp_path_factory.mktemp("nbgrader") / "course"


@pytest.mark.parametrize("path", chapter_cases())
def test_nbgrader_pipeline_stubs_and_shortcuts(path: Path, course: Path) -> None:
    t_start = time.perf_counter()
    instructor = nbformat.read(path, as_version=4)
    MetadataValidator().validate_nb(instructor)  # nbgrader's own schema check
    assignment, name = assignment_name(path), path.stem
    write_course(path, course)
    api = NbGraderAPI(config=grading_config(course))

    # 1. the student version, by nbgrader, is descent.student's edition
    result = api.generate_assignment(assignment)
    assert result["success"], result.get("log")
    release = nbformat.read(course / "release" / assignment / path.name, as_version=4)
    ours = strip_solutions(instructor)
    assert [(c.cell_type, c.source) for c in release.cells] == [(c.cell_type, c.source) for c in ours.cells]

    # 2. the student version, executed once: checks fail, the body runs, 0 points
    t0 = time.perf_counter()
    executed = execute(release, cwd=path.parent)
    t1 = time.perf_counter()
    problems = audit_student_run(instructor, executed)
    assert not problems, f"{path.name}, student edition:\n  " + "\n  ".join(problems)

    # 3. the shortcut edition, executed once: every check rejects its shortcut
    shortcuts = load_shortcuts(path)
    edition, probes = shortcut_edition(instructor, shortcuts)
    edition = nbformat.from_dict(edition)
    t2 = time.perf_counter()
    run = execute(edition, cwd=path.parent)
    t3 = time.perf_counter()
    problems = shortcut_problems(run, probes, shortcuts)
    assert not problems, f"{path.name}, shortcut edition:\n  " + "\n  ".join(problems)
    inserted = set(probes) | {k - 1 for k in probes}
    solved = run.copy()
    solved.cells = [c for k, c in enumerate(run.cells) if k not in inserted]
    assert [c.source for c in solved.cells] == [c.source for c in instructor.cells]
    broken = [(k, errors(c)) for k, c in enumerate(solved.cells) if errors(c)]
    assert broken == [], f"{path.name}: the instructor notebook raised in cells {broken}"

    # nbgrader autograde of both executions
    submit(course, assignment, "student", executed, path.name)
    submit(course, assignment, "instructor", solved, path.name)
    for student in ("student", "instructor"):
        result = api.autograde(assignment, student)
        assert result["success"], result.get("log")
    checks = {f"{label}-check" for label, role in exercise_of_cells(instructor).values() if role == "check"}
    full = grades(course, assignment, "instructor", name)
    blank = grades(course, assignment, "student", name)
    assert set(full) == set(blank) == checks
    assert all(score == top > 0 for score, top in full.values()), full
    assert all(score == 0 for score, _ in blank.values()), blank
    # wall seconds, shown by `pytest -s`: the stub run replaces the former integrity run, the shortcut
    # run and nbgrader's steps are what this test adds per chapter
    print(f"\n{path.name}: stub edition run {t1 - t0:.1f} s, shortcut edition run {t3 - t2:.1f} s, "
          f"test total {time.perf_counter() - t_start:.1f} s")


def test_shortcut_files_name_chapters() -> None:
    """Every shortcut file belongs to a chapter (a typo would leave a chapter unchecked)."""
    names = {assignment_name(p) for p in CHAPTERS.glob("*.ipynb")}
    for file in SHORTCUTS.glob("ch*.py"):
        assert file.stem in names, f"{file.name} names no chapter in chapters/"


# --------------------------------------------------------------------------- README workflow


def readme_commands() -> list[str]:
    """The shell commands of the README's instructor workflow (the bash block in its section)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exercises and the student edition", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert blocks, "README's exercise section has no ```bash block"
    lines = [ln.split(" #", 1)[0].strip() for block in blocks for ln in block.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def test_readme_workflow(tmp_path: Path) -> None:
    """Run the README's commands verbatim, with nbgrader executing, on a one-chapter copy.

    The copy's ``chapters/`` holds the small fixture notebook saved as
    ``03_demo.ipynb``, so the commands' ``ch03`` is that fixture and the test
    takes seconds.
    """
    commands = readme_commands()
    (tmp_path / "chapters").mkdir()
    shutil.copyfile(FIXTURE, tmp_path / "chapters" / "03_demo.ipynb")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    script = "set -euo pipefail\n" + "\n".join(commands)
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, f"README commands failed:\n{script}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    course = tmp_path / "course"
    student = nbformat.read(course / "release" / "ch03" / "03_demo.ipynb", as_version=4)
    ours = strip_solutions(nbformat.read(FIXTURE, as_version=4))
    assert [c.source for c in student.cells] == [c.source for c in ours.cells]
    assert (tmp_path / "student" / "03_demo.ipynb").exists()
    full = grades(course, "ch03", "instructor", "03_demo")
    assert full and all(score == top > 0 for score, top in full.values()), full
    exported = (course / "grades.csv").read_text()
    assert "instructor" in exported and "ch03" in exported
    assert any(shlex.split(c)[:2] == ["nbgrader", "autograde"] for c in commands)

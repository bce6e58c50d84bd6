"""Tests of descent.student: the student edition and the exercise audits.

Everything here runs without a kernel; tests/test_exercises.py executes notebooks.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from descent.course import add_nbgrader_metadata, audit_nbgrader_metadata, expected_metadata, strip_worked_solutions, write_course
from descent.student import (
    STUB,
    audit_exercise_structure,
    audit_student_run,
    exercise_labels,
    make_student_edition,
    strip_solutions,
)

FIXTURE = Path(__file__).parent / "fixtures" / "exercise_demo.ipynb"
ROOT = Path(__file__).resolve().parents[1]


def notebook(*cells):
    return new_notebook(cells=list(cells))


def code(source, *tags, outputs=(), count=None):
    cell = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def md(source):
    return new_markdown_cell(source)


def sources(nb):
    return [c.source for c in nb.cells]


def coding_exercise(label="ex1", body="    return 2 * x", check="assert f(1) == 2"):
    """The four cells (plus the statement) of a conventional coding exercise, with nbgrader metadata."""
    solution = code(f"def f(x):\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION", "solution")
    solution.metadata["nbgrader"] = expected_metadata(label, "solution")
    checking = code(check, "check")
    checking.metadata["nbgrader"] = expected_metadata(label, "check")
    return [
        md(f"```{{exercise}}\n:label: {label}\n\nWrite f.\n```"),
        md(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
        solution,
        md("```{solution-end}\n```"),
        checking,
    ]


# ------------------------------------------------------------------ code cells


def test_markers_replaced_by_stub_keeping_def_line_and_indentation():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n    ### END SOLUTION"
    nb = notebook(code(src, "solution"))
    assert strip_solutions(nb).cells[0].source == f"def f(x):\n    {STUB}"


def test_stub_takes_the_indentation_of_a_nested_begin_marker():
    src = (
        "class Momentum:\n"
        "    def update(self, g):\n"
        "        ### BEGIN SOLUTION\n"
        "        self.v = 0.9 * self.v + g\n"
        "        ### END SOLUTION\n"
        "        return self.v\n"
    )
    out = strip_solutions(notebook(code(src, "solution"))).cells[0].source
    assert out == f"class Momentum:\n    def update(self, g):\n        {STUB}\n        return self.v\n"
    compile(out, "<stub>", "exec")  # the stubbed cell is still valid Python


def test_code_outside_markers_is_kept_and_every_region_is_stubbed():
    src = (
        "import numpy as np\n"
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
        "\n"
        "def g(x):\n    ### BEGIN SOLUTION\n    return -x\n    ### END SOLUTION\n"
        "ANSWER = 42"
    )
    out = strip_solutions(notebook(code(src, "solution"))).cells[0].source
    assert out == f"import numpy as np\ndef f(x):\n    {STUB}\n\ndef g(x):\n    {STUB}\nANSWER = 42"


def test_top_level_markers_become_a_top_level_stub():
    nb = notebook(code("w = 1\n### BEGIN SOLUTION\nw = w + 1\n### END SOLUTION\nprint(w)", "solution"))
    assert strip_solutions(nb).cells[0].source == f"w = 1\n{STUB}\nprint(w)"


def test_cell_tagged_solution_without_markers_becomes_the_stub():
    nb = notebook(code("x = 1", "solution"), code("y = 2"))
    assert sources(strip_solutions(nb)) == [STUB, "y = 2"]


def test_code_in_a_gated_solution_becomes_the_stub_but_a_check_cell_never_does():
    nb = notebook(
        md("```{solution-start} ex1\n```"),
        code("x = 1"),
        code("assert x == 1", "check"),
        md("```{solution-end}\n```"),
    )
    assert sources(strip_solutions(nb)) == [STUB, "assert x == 1"]


def test_cells_without_solutions_are_unchanged_but_for_outputs():
    cell = code("print(1)", "hide-input", outputs=[new_output("stream", text="1\n")], count=3)
    out = strip_solutions(notebook(cell)).cells[0]
    assert out.source == "print(1)" and out.metadata.tags == ["hide-input"]


# ------------------------------------------------------------------ markdown cells


def test_solution_start_and_end_cells_are_removed_and_the_stub_cell_kept():
    nb = notebook(*coding_exercise())
    out = strip_solutions(nb)
    assert [c.cell_type for c in out.cells] == ["markdown", "code", "code"]
    assert not any("solution" in c.source for c in out.cells if c.cell_type == "markdown")
    assert out.cells[1].source == f"def f(x):\n    {STUB}"


def test_markdown_between_solution_start_and_end_is_removed():
    nb = notebook(
        md("Intro.\n\n```{solution-start} ex1\n```\nA hint that gives it away."),
        md("More of the worked answer."),
        md("```{solution-end}\n```\nAfter the solution."),
    )
    assert sources(strip_solutions(nb)) == ["Intro.", "After the solution."]


@pytest.mark.parametrize(
    "solution",
    [
        "```{solution} ex1\n:class: dropdown\n\nBecause $x^2 \\geq 0$.\n```",
        ":::{solution} ex1\n:class: dropdown\n\nBecause $x^2 \\geq 0$.\n:::",
        "````{solution} ex1\n:class: dropdown\n\n```python\nprint('x')\n```\n\nBecause.\n````",
    ],
    ids=["backticks", "colons", "nested-fence"],
)
def test_worked_solution_block_is_removed_and_the_exercise_kept(solution):
    exercise = "```{exercise}\n:label: ex1\n\nShow that $x^2 \\geq 0$.\n```"
    nb = notebook(md(f"{exercise}\n\n{solution}\n\nNext paragraph."), md(solution))
    out = strip_solutions(nb)
    assert sources(out) == [f"{exercise}\n\nNext paragraph."]


def test_worked_solution_nested_in_another_directive_is_removed():
    nb = notebook(md("````{admonition} Try it\n```{solution} ex1\nSecret.\n```\nKept.\n````"))
    assert sources(strip_solutions(nb)) == ["````{admonition} Try it\nKept.\n````"]


def test_a_solution_directive_shown_inside_a_code_block_is_left_alone():
    text = "Authors write:\n\n````text\n```{solution} ex1\nWorked answer.\n```\n````"
    assert sources(strip_solutions(notebook(md(text)))) == [text]


# ------------------------------------------------------------------ outputs, metadata, purity


def test_outputs_execution_counts_and_timings_are_cleared():
    cell = code("print(1)", outputs=[new_output("stream", text="1\n")], count=7)
    cell.metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}
    nb = notebook(cell)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    out = strip_solutions(nb)
    assert out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert "execution" not in out.cells[0].metadata and "widgets" not in out.metadata
    assert out.metadata["descent"]["edition"] == "student"
    nbformat.validate(out)


def test_strip_solutions_does_not_modify_the_instructor_notebook():
    nb = nbformat.read(FIXTURE, as_version=4)
    before = copy.deepcopy(nb)
    out = strip_solutions(nb)
    assert nb == before
    assert out != nb and out.cells is not nb.cells


def test_stripping_twice_changes_nothing_more():
    nb = nbformat.read(FIXTURE, as_version=4)
    once = strip_solutions(nb)
    assert strip_solutions(once) == once


def test_fixture_student_edition_has_no_solution_text_and_no_outputs():
    nb = nbformat.read(FIXTURE, as_version=4)
    assert any(c.get("outputs") for c in nb.cells)  # the fixture is stored executed
    out = strip_solutions(nb)
    text = "\n".join(sources(out))
    for secret in ("BEGIN SOLUTION", "np.eye", "{solution", "using $A_{ik}"):
        assert secret not in text
    assert all(c.outputs == [] for c in out.cells if c.cell_type == "code")
    assert exercise_labels(out) == ["demo-ex1", "demo-ex2"]


@pytest.mark.parametrize(
    "src, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "has no '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "without a BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the region"),
    ],
)
def test_unbalanced_markers_raise_naming_the_cell(src, message):
    with pytest.raises(ValueError, match=message) as info:
        strip_solutions(notebook(md("intro"), code(src)))
    assert str(info.value).startswith("cell 1")


def test_unclosed_solution_start_raises():
    with pytest.raises(ValueError, match=r"cell 0: \{solution-start\} has no matching"):
        strip_solutions(notebook(md("```{solution-start} ex1\n```"), code("x = 1")))


def test_strip_solutions_rejects_a_non_notebook():
    with pytest.raises(TypeError, match="nb must be an nbformat 4 notebook"):
        strip_solutions({"cells": "nope"})


# ------------------------------------------------------------------ writing files


def test_make_student_edition_writes_valid_notebooks(tmp_path):
    written = make_student_edition(FIXTURE, tmp_path / "student")
    assert written == [tmp_path / "student" / FIXTURE.name]
    nb = nbformat.read(written[0], as_version=4)
    nbformat.validate(nb)
    assert nb == strip_solutions(nbformat.read(FIXTURE, as_version=4))


def test_make_student_edition_converts_every_notebook_of_a_folder(tmp_path):
    src = tmp_path / "chapters"
    src.mkdir()
    for name in ("02_b.ipynb", "01_a.ipynb"):
        nbformat.write(notebook(code("x = 1", "solution")), src / name)
    (src / "notes.md").write_text("not a notebook")
    written = make_student_edition(src, tmp_path / "out")
    assert [p.name for p in written] == ["01_a.ipynb", "02_b.ipynb"]


@pytest.mark.parametrize("dest", [".", "student", "./sub/../"], ids=["same", "inside", "same-spelled-oddly"])
def test_refuses_to_write_into_the_instructor_folder(tmp_path, dest):
    src = tmp_path / "chapters"
    src.mkdir()
    nbformat.write(notebook(code("x = 1", "solution")), src / "01.ipynb")
    before = (src / "01.ipynb").read_text()
    for source in (src, src / "01.ipynb"):
        with pytest.raises(ValueError, match="dest must be outside the folder of the instructor notebooks"):
            make_student_edition(source, src / dest)
    assert (src / "01.ipynb").read_text() == before
    assert not (src / "student").exists()


def test_refuses_to_overwrite_a_notebook_that_is_not_a_student_edition(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    nbformat.write(notebook(code("x = 1", "solution")), other / FIXTURE.name)
    with pytest.raises(ValueError, match="not a student edition"):
        make_student_edition(FIXTURE, other)
    make_student_edition(FIXTURE, tmp_path / "student")
    make_student_edition(FIXTURE, tmp_path / "student")  # replacing a student edition is fine


def test_missing_or_wrong_src_is_rejected(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_student_edition(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="at least one .ipynb"):
        make_student_edition(tmp_path / "empty", tmp_path / "out")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="must be a .ipynb file or a folder"):
        make_student_edition(tmp_path / "a.txt", tmp_path / "out")


def test_cli_writes_the_student_edition_and_prints_one_line_per_notebook(tmp_path):
    dest = tmp_path / "student"
    proc = subprocess.run(
        [sys.executable, "-m", "descent.student", str(FIXTURE), str(dest)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and str(dest / FIXTURE.name) in lines[0]
    assert "1 solution cell stubbed, 1 worked solution removed" in lines[0]
    assert STUB in json.loads((dest / FIXTURE.name).read_text())["cells"][4]["source"][1]


def test_cli_reports_a_refusal_and_exits_nonzero(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "descent.student", str(FIXTURE), str(FIXTURE.parent)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: dest must be outside") and proc.stdout == ""


# ------------------------------------------------------------------ audits (no kernel)


def test_fixture_follows_the_exercise_conventions():
    nb = nbformat.read(FIXTURE, as_version=4)
    assert audit_exercise_structure(nb) == []
    assert exercise_labels(nb) == ["demo-ex1", "demo-ex2"]


def test_exercise_labels_counts_unlabelled_exercises():
    nb = notebook(md("```{exercise}\nNo label.\n```\n\n:::{exercise-start}\n:label: ex2\n:::"))
    assert exercise_labels(nb) == ["", "ex2"]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c.pop(4), "cell 2: solution cell has no check cell after it"),
        (lambda c: c.insert(0, code("assert True", "check")), "cell 0: check cell has no solution cell"),
        (lambda c: c[2].metadata.pop("tags"), "cell 2: solution code cell is not tagged 'solution'"),
        (lambda c: c.__setitem__(2, code("def f(x):\n    return x", "solution")), "no '### BEGIN SOLUTION'"),
        (lambda c: c.pop(1), "{solution-end} without a {solution-start}"),
        (lambda c: c.insert(3, c.pop(4)), "cell 3: check cell lies inside a solution-start/solution-end"),
        (lambda c: c.__setitem__(1, md("```{solution-start} other\n```")), "exercise 'ex1': no {solution}"),
        (lambda c: c.__setitem__(0, md("```{exercise}\nWrite f.\n```")), "exercise 1: no :label: option"),
        (lambda c: c.append(code("assert f(2) == 4", "check")), "2 check cells for 1 solution cells"),
    ],
    ids=[
        "no-check", "check-first", "no-tag", "no-markers", "unbalanced",
        "check-gated", "unsolved", "no-label", "two-checks",
    ],
)
def test_structure_audit_reports_each_broken_convention(mutate, expected):
    cells = coding_exercise()
    assert audit_exercise_structure(notebook(*cells)) == []
    mutate(cells)
    problems = audit_exercise_structure(notebook(*cells))
    assert any(expected in p for p in problems), problems


def error(ename, evalue="boom"):
    return new_output("error", ename=ename, evalue=evalue, traceback=[])


def fake_run(instructor, errors):
    """The student edition of ``instructor`` with error outputs on chosen student cells."""
    student = strip_solutions(instructor)
    for k, ename in errors.items():
        student.cells[k].outputs = [error(ename)]
    return student


def test_run_audit_accepts_checks_that_fail_on_the_stub():
    nb = notebook(md("Intro"), code("import math"), *coding_exercise())
    # student cells: 0 intro, 1 import, 2 exercise, 3 stub, 4 check
    assert audit_student_run(nb, fake_run(nb, {4: "NotImplementedError"})) == []
    assert audit_student_run(nb, fake_run(nb, {3: "NotImplementedError", 4: "NameError"})) == []


def test_run_audit_reports_a_check_that_passes_on_the_stub():
    nb = notebook(md("Intro"), code("import math"), *coding_exercise())
    problems = audit_student_run(nb, fake_run(nb, {}))
    assert len(problems) == 1
    assert problems[0].startswith("cell 6 [student cell 4] 'assert f(1) == 2': check cell raised no error")


def test_run_audit_reports_an_error_in_the_chapter_body():
    nb = notebook(md("Intro"), code("import math"), *coding_exercise(), code("f(3)"))
    problems = audit_student_run(nb, fake_run(nb, {4: "AssertionError", 5: "NotImplementedError"}))
    assert problems == [
        "cell 7 [student cell 5] 'f(3)': raised NotImplementedError: boom in the student edition"
    ]


def test_run_audit_reports_a_stub_that_broke_its_cell():
    nb = notebook(*coding_exercise())
    problems = audit_student_run(nb, fake_run(nb, {1: "IndentationError", 2: "NameError"}))
    assert len(problems) == 1 and "stub cell raised IndentationError" in problems[0]


def test_run_audit_rejects_a_student_notebook_from_another_source():
    nb = notebook(*coding_exercise())
    other = fake_run(notebook(*coding_exercise(body="    return x + x")), {2: "AssertionError"})
    other.cells[1].source = "def f(x):\n    return x + x"
    problems = audit_student_run(nb, other)
    assert len(problems) == 1 and "is not strip_solutions(instructor_nb)" in problems[0]


# ------------------------------------------------------------------ nbgrader metadata and the course folder


def test_structure_audit_demands_nbgrader_metadata():
    cells = coding_exercise()
    del cells[2].metadata["nbgrader"]
    problems = audit_exercise_structure(notebook(*cells))
    assert problems == ["cell 2: solution cell of 'ex1' has no nbgrader metadata; add "
                        + str(expected_metadata("ex1", "solution"))]
    assert audit_exercise_structure(add_nbgrader_metadata(notebook(*cells))) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c[4].metadata["nbgrader"].update(points=0), "needs positive nbgrader points"),
        (lambda c: c[4].metadata["nbgrader"].update(locked=False), "has nbgrader metadata"),
        (lambda c: c[2].metadata["nbgrader"].update(grade_id="ex1-check"), "expected"),
        (lambda c: c.append(code("x = 1")) or c[-1].metadata.update(
            nbgrader=dict(expected_metadata("ex1", "check"), grade_id="other")), "neither a solution"),
        (lambda c: c.append(md("Use ### BEGIN SOLUTION markers")), "outside a solution cell"),
    ],
    ids=["zero-points", "unlocked", "wrong-id", "stray-grade-cell", "stray-delimiter"],
)
def test_nbgrader_audit_reports_each_problem(mutate, expected):
    cells = coding_exercise()
    mutate(cells)
    problems = audit_nbgrader_metadata(notebook(*cells))
    assert any(expected in p for p in problems), problems


def test_nbgrader_audit_reports_a_repeated_grade_id():
    nb = notebook(*coding_exercise(), *coding_exercise())
    problems = audit_nbgrader_metadata(nb)
    assert any("grade_id 'ex1-solution' already used by cell 2" in p for p in problems), problems


def test_strip_worked_solutions_keeps_code_and_strips_markdown_like_the_student_edition():
    nb = nbformat.read(FIXTURE, as_version=4)
    out, _ = strip_worked_solutions(copy.deepcopy(nb), {})
    ours = strip_solutions(nb)
    assert [c.cell_type for c in out.cells] == [c.cell_type for c in ours.cells]
    for mine, theirs in zip(out.cells, ours.cells):
        if mine.cell_type == "markdown":
            assert mine.source == theirs.source
        else:
            assert mine.source in {c.source for c in nb.cells}  # code is left to nbgrader


def test_cli_course_writes_config_and_sources(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "descent.student", "--course", str(FIXTURE), str(tmp_path / "course")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "course" / "nbgrader_config.py").read_text().count("code_stub") == 1
    assert (tmp_path / "course" / "source" / "exercise_demo" / FIXTURE.name).exists()
    nb = nbformat.read(FIXTURE, as_version=4)
    del nb.cells[5].metadata["nbgrader"]
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(ValueError, match="no nbgrader metadata"):
        write_course(tmp_path / "bad.ipynb", tmp_path / "course2")


def test_course_cli_writes_the_metadata_in_place(tmp_path):
    nb = nbformat.read(FIXTURE, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    path = tmp_path / "04_new.ipynb"
    nbformat.write(nb, path)
    assert any("no nbgrader metadata" in p for p in audit_exercise_structure(nb))
    proc = subprocess.run([sys.executable, "-m", "descent.course", str(path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0 and "nbgrader metadata in place" in proc.stdout, proc.stderr
    fixed = nbformat.read(path, as_version=4)
    assert audit_exercise_structure(fixed) == []
    assert fixed.cells[5].metadata["nbgrader"] == expected_metadata("demo-ex2", "solution")

"""Every chapter in a real JupyterLab: before running, after Run All, and with a slider moved.

One visit per (chapter, run) drives the lab once (labdriver.visit); each check
below is a test of its own over that visit, so a failure names the chapter,
the run and the check. Chapter 3 runs several times (--jupyterlab-runs,
default 5) because the blank figure of issue 16 came and went from run to run.
The round trips are written to benchmarks/results/jupyterlab_roundtrip.csv when
the session ends.
"""

from __future__ import annotations

import pytest

import labdriver
from conftest import CHAPTERS


@pytest.fixture(scope="session")
def visits(lab_server, lab_browser):
    yield labdriver.VISITS


@pytest.fixture
def seen(visits, visit_key, lab_server, lab_browser) -> labdriver.Visit:
    if visit_key not in visits:
        name, run = visit_key
        visits[visit_key] = labdriver.visit(lab_browser, lab_server, CHAPTERS / name, run)
    return visits[visit_key]


def _assert_none(problems: list[str], what: str) -> None:
    if problems:
        pytest.fail(f"{what}:\n  " + "\n  ".join(problems), pytrace=False)


def test_untrusted_view_is_a_still_image_and_a_hint(seen, visit_key):
    """Before running, as a fresh clone (untrusted): each explorer shows a loaded <img> and 'Run this cell'."""
    if visit_key[1] > 1:
        pytest.skip("checked on the first run of this chapter")
    _assert_none(seen.problems["untrusted_view"], f"{seen.notebook} before running")


def test_myst_renders(seen, visit_key):
    """Markdown cells show rendered MyST: no raw ```{exercise}, :label:, :class: or {cite} text."""
    if visit_key[1] > 1:
        pytest.skip("checked on the first run of this chapter")
    _assert_none(seen.problems["markdown"], f"{seen.notebook} markdown")


@pytest.mark.xfail(strict=True, reason=(
    "jupyterlab-myst renders one notebook at a time: a {term} role into book/glossary.md shows the term "
    "as a link but logs 'Cross reference target was not found: term-...' (jupyterlab-myst issue #218)"))
def test_glossary_terms_resolve(seen, visit_key):
    """{term} roles resolve in JupyterLab (today they log a console error each; see the xfail reason)."""
    if visit_key[1] > 1:
        pytest.skip("checked on the first run of this chapter")
    if "{term}`" not in (CHAPTERS / visit_key[0]).read_text():
        pytest.skip("no {term} role in this chapter")
    _assert_none(seen.problems["glossary"], f"{seen.notebook} glossary references")


def test_every_explorer_figure_is_drawn(seen):
    """After Run All: each explorer figure has axes and contour or curves, and is not mostly transparent."""
    _assert_none(seen.problems["drawn"], f"{seen.notebook} run {seen.run} after Run All")


def test_slider_changes_pixels_and_words(seen):
    """ArrowRight on a focused slider of each explorer repaints the figure and changes the words."""
    _assert_none(seen.problems["slider"], f"{seen.notebook} run {seen.run} moving a slider")


def test_no_error_traceback_or_console_error(seen):
    """No 'Error displaying widget', no error or stderr output, no console error, no uncaught exception.

    The one exception, jupyterlab-myst's unresolved {term} message, is tested (and expected to fail)
    on its own in test_glossary_terms_resolve.
    """
    _assert_none(seen.problems["errors"], f"{seen.notebook} run {seen.run}")

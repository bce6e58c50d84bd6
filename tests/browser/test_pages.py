"""Every page of the built book, checked the way a reader's browser shows it.

One test per (check, page); each page is loaded once and every check reads the
same load (see conftest.page_report and bookchecks.inspect_page).
"""

import pytest

from bookchecks import PAGE_CHECKS
from builtbook import HTML_ROOT


def test_book_is_built():
    assert (HTML_ROOT / "index.html").is_file(), (
        f"The built book is missing: {HTML_ROOT / 'index.html'} does not exist. "
        "Build it first (jupyter-book build .), or point DESCENT_HTML at a built _build/html."
    )


@pytest.mark.parametrize("check", PAGE_CHECKS)
def test_page(page_path, check, html_root, page_report):
    problems = page_report(page_path)[check]
    assert not problems, f"{page_path}: {len(problems)} {check} problem(s):\n  " + "\n  ".join(problems)

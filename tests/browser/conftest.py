"""Fixtures for the browser suite: the built book, a local web server, one Chromium.

Run after the book build:  pytest -q tests/browser --browser
The book is read from $DESCENT_HTML, default <repo>/_build/html. The pages are
found by walking that folder, so new chapters are covered without touching
the suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bookchecks
from headless import chromium_context
from builtbook import (
    HTML_ROOT,
    NOT_BUILT,
    SCREENSHOTS,
    StaticServer,
    book_built,
    book_pages,
    is_content_page,
    redirect_target,
    screenshot_pages,
    screenshot_stem,
)



def pytest_generate_tests(metafunc):
    """Parametrize over the book as built; a missing book gives one test that fails and says so."""
    lists = {"page_path": book_pages, "screenshot_page": screenshot_pages}
    for name, pages in lists.items():
        if name in metafunc.fixturenames:
            values = pages() if book_built() else [NOT_BUILT]
            if not values:
                values = [pytest.param(None, marks=pytest.mark.skip(reason=f"no page of the book has this yet ({name})"))]
            metafunc.parametrize(name, values, ids=lambda v: str(v))


# --------------------------------------------------------------------------
# Server and browser
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def html_root() -> Path:
    if not book_built():
        pytest.fail(
            f"The built book is missing: {HTML_ROOT / 'index.html'} does not exist.\n"
            "Build it first (jupyter-book build .), or point DESCENT_HTML at a built _build/html.",
            pytrace=False,
        )
    return HTML_ROOT


@pytest.fixture(scope="session")
def book_server(html_root):
    with StaticServer(html_root) as server:
        yield server


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """One headless Chromium with a fresh profile; outside hosts blocked (and still recorded)."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), width=1280, height=800,
                          timeout_ms=30000) as context:
        bookchecks.block_offsite(context)
        yield context


@pytest.fixture(scope="session")
def link_targets():
    return bookchecks.LinkTargets()


@pytest.fixture(scope="session")
def screenshot_dir(html_root) -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def page_report(browser_context, book_server, link_targets, screenshot_dir):
    """page path -> {check name: problems}; each page is loaded once, for all its checks."""
    cache: dict[str, dict[str, list[str]]] = {}
    photographed = set(screenshot_pages())

    def report(rel: str) -> dict[str, list[str]]:
        if rel not in cache:
            target = redirect_target(rel)
            try:
                cache[rel] = bookchecks.inspect_page(
                    browser_context,
                    f"{book_server.base_url}/{rel}",
                    link_targets,
                    content_page=is_content_page(rel),
                    redirect_to=f"{book_server.base_url}/{target}" if target else None,
                    screenshot_stem=str(screenshot_stem(rel)) if rel in photographed else None,
                )
            except Exception as exc:  # a page that cannot even be visited fails every check, once
                cache[rel] = {name: [f"could not check the page: {exc!r}"] for name in bookchecks.PAGE_CHECKS}
        return cache[rel]

    return report

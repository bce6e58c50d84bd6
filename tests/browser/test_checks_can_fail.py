"""The checks can fail: each one reports the problems planted in fixtures/broken.html.

Runs without the built book: the fixture page is served on its own.
"""

import shutil
from pathlib import Path

import pytest

import bookchecks
from builtbook import StaticServer

FIXTURE = Path(__file__).parent / "fixtures" / "broken.html"

# check -> fragments that must each appear in one of the problems it reports
EXPECTED = {
    "network": ["cdn.example.com/x.js", "no-such-figure.png"],
    "console": ["planted console error", "undefinedFunctionOnPurpose"],
    "math": ["$x^2$", "\\[", "MathJax never started"],
    "images": ["no-such-figure.png", "animation dead: 0 frame"],
    "links": ["missing.html", "no-such-anchor"],
    "navigation": ["empty <title>", "nav.bd-docs-nav", ".prev-next-area"],
    "accessibility": ["no alt text", "2 <h1>", "from h1 to h3"],
    "layout": ["sideways", "div.wide"],
    "animations": ["'Next frame' did not change"],
    "explorers": ["moving 'η' did not change the drawing", "explorer 2: never drew"],
    "toggles": ["'Solution to Exercise 1': not collapsed"],
}


@pytest.fixture(scope="module")
def broken_page_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("broken-site")
    shutil.copy(FIXTURE, root / "broken.html")
    with StaticServer(root) as server:
        yield f"{server.base_url}/broken.html"


@pytest.fixture(scope="module")
def broken_report(browser_context, broken_page_url):
    return bookchecks.inspect_page(browser_context, broken_page_url, bookchecks.LinkTargets(), content_page=True)


@pytest.mark.parametrize("check", bookchecks.PAGE_CHECKS)
def test_page_check_reports_the_planted_problems(check, broken_report):
    problems = broken_report[check]
    text = "\n".join(problems)
    missing = [frag for frag in EXPECTED[check] if frag not in text]
    assert not missing, f"{check} did not report {missing}; it reported:\n  " + "\n  ".join(problems)


def test_no_request_left_the_machine(browser_context, broken_page_url):
    """The outside script was requested (and reported) but aborted by the route, never fetched."""
    page = browser_context.new_page()
    outcome = {}
    page.on("requestfailed", lambda r: outcome.setdefault(r.url, r.failure))
    page.on("requestfinished", lambda r: outcome.setdefault(r.url, "finished"))
    try:
        page.goto(broken_page_url, wait_until="load")
    finally:
        page.close()
    assert "blocked" in (outcome.get("https://cdn.example.com/x.js") or "").lower(), outcome

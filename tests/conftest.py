"""Shared pytest configuration for the Descent test suites."""

from pathlib import Path

_BROWSER_DIR = Path(__file__).parent / "browser"


def pytest_addoption(parser):
    parser.addoption(
        "--browser",
        action="store_true",
        default=False,
        help=(
            "run the browser suite in tests/browser against the built book "
            "(_build/html, or $DESCENT_HTML); without it tests/browser is never collected"
        ),
    )


def pytest_ignore_collect(collection_path, config):
    """Leave tests/browser alone unless --browser is given.

    The plain `pytest` run happens before the book is built, so the browser suite
    (which needs `_build/html`) only runs when CI asks for it after the build.
    """
    if config.getoption("--browser", default=False):
        return None
    if collection_path == _BROWSER_DIR or _BROWSER_DIR in collection_path.parents:
        return True
    return None

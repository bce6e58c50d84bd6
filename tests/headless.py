"""One way to start the headless Chromium that the browser and JupyterLab suites drive.

Both suites use Debian's Chromium through Playwright (never `playwright install`), with a
fresh profile, service workers blocked and the background traffic Chromium makes on its own
switched off, so that a test sees only the requests the page under test makes.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def chromium_context(profile: Path, *, width: int, height: int, timeout_ms: int,
                     extra_args: Sequence[str] = ()) -> Iterator[object]:
    """A persistent Playwright context of headless Chromium; closed on exit.

    Fails the test session with the fix in the message when Chromium is not installed.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (never `playwright install`)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, *extra_args],
            viewport={"width": width, "height": height},
            service_workers="block",
        )
        context.set_default_timeout(timeout_ms)
        try:
            yield context
        finally:
            context.close()

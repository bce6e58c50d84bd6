"""First screen of the preface and of every chapter, at desktop and phone widths.

The pictures are taken during each page's one visit (bookchecks.inspect_page)
and written to _build/screenshots/ (next to _build/html) for a person to look
at; that the page fits a phone's width is the page check "layout".
"""

from pathlib import Path

import pytest

from builtbook import screenshot_stem

# 5 KB: a first screen with any text on it; a blank or failed capture is smaller.
MIN_BYTES = 5000


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_first_screen(screenshot_page, viewport, html_root, page_report):
    page_report(screenshot_page)
    shot = Path(f"{screenshot_stem(screenshot_page)}-{viewport}.png")
    assert shot.is_file(), f"no screenshot written at {shot}"
    assert shot.stat().st_size > MIN_BYTES, f"{shot} looks blank ({shot.stat().st_size} bytes)"

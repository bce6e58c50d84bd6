"""The kernel-free explorers: every page's explorers were exercised, and their redraw times are recorded.

The per-control checks run with the page checks ("explorers" in bookchecks.PAGE_CHECKS);
this module writes what they measured to benchmarks/results/explorer_redraw.csv.
"""

import statistics
import sys

import bookchecks
from builtbook import REPO, book_pages, chapter_pages, page_html


def test_every_explorer_was_exercised_and_redraw_times_are_recorded(html_root, page_report):
    pages = [p for p in book_pages() if 'class="descent-explorer"' in page_html(p)]
    for p in pages:
        page_report(p)
    with_explorers = [p for p in chapter_pages() if "descent-explorer" in page_html(p)]
    assert with_explorers, "no chapter has a kernel-free explorer"
    seen = {r["page"] for r in bookchecks.REDRAWS}
    missing = [p for p in with_explorers if p not in seen]
    assert not missing, f"explorers never redrawn on {missing}"
    sys.path.insert(0, str(REPO / "benchmarks"))
    from _common import provenance, write_csv

    times = [r["redraw_ms"] for r in bookchecks.REDRAWS]
    med = statistics.median(times)
    meta = provenance(benchmark="explorer_redraw", browser="headless Chromium (/usr/bin/chromium) via Playwright",
                      what="one keyboard step of each control of every explorer on every page; the time of the "
                           "explorer script's redraw (performance.now around it)",
                      median_ms=f"{med:.3f}", max_ms=f"{max(times):.3f}",
                      target=f"median < {bookchecks.REDRAW_BUDGET_MS:g} ms")
    write_csv("explorer_redraw", bookchecks.REDRAWS, meta)
    assert med < bookchecks.REDRAW_BUDGET_MS

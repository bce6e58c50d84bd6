"""The built book as files: where it is, which pages it has, what they contain.

Read at collection time to parametrize the browser tests, so new pages and
chapters are covered without touching the suite.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bookchecks import LOCAL_HOST

REPO = Path(__file__).resolve().parents[2]
HTML_ROOT = Path(os.environ.get("DESCENT_HTML") or REPO / "_build" / "html").resolve()
SCREENSHOTS = HTML_ROOT.parent / "screenshots"
# Pages Sphinx writes that are not part of the table of contents: no prev/next links.
SPECIAL_PAGES = {"search.html", "genindex.html", "py-modindex.html"}
NOT_BUILT = "book-not-built"


def book_built() -> bool:
    return (HTML_ROOT / "index.html").is_file()


@functools.cache
def book_pages() -> list[str]:
    """Every HTML page, as a path relative to the html root; asset folders (_static, ...) skipped."""
    if not book_built():
        return []
    pages = []
    for p in HTML_ROOT.rglob("*.html"):
        rel = p.relative_to(HTML_ROOT)
        if not any(part.startswith("_") for part in rel.parts[:-1]):
            pages.append(rel.as_posix())
    return sorted(pages)


@functools.cache
def page_html(rel: str) -> str:
    return (HTML_ROOT / rel).read_text(encoding="utf-8", errors="replace")


_REFRESH = re.compile(r"""<meta\s+http-equiv=["']refresh["']\s+content=["']\s*\d+\s*;\s*url=([^"']+)["']""", re.I)


def redirect_target(rel: str) -> str | None:
    """Where a meta-refresh page (the book's index.html) sends the reader, relative to the html root."""
    m = _REFRESH.search(page_html(rel))
    if not m:
        return None
    return (Path(rel).parent / m.group(1).strip()).as_posix().removeprefix("./")


def is_content_page(rel: str) -> bool:
    return rel not in SPECIAL_PAGES and redirect_target(rel) is None


def article_html(rel: str) -> str:
    text = page_html(rel)
    start = text.find('<article class="bd-article"')
    return text[start : text.find("</article>", start)] if start >= 0 else ""


def root_page() -> str | None:
    """The book's first page (the preface), where index.html redirects to."""
    if not book_built():
        return None
    return redirect_target("index.html") or "index.html"


def chapter_pages() -> list[str]:
    return [p for p in book_pages() if p.startswith("chapters/")]


def screenshot_pages() -> list[str]:
    """The preface and every chapter: their first screens are photographed."""
    return [p for p in [root_page(), *chapter_pages()] if p]


def screenshot_stem(rel: str) -> Path:
    return SCREENSHOTS / rel.removesuffix(".html").replace("/", "__")


# --------------------------------------------------------------------------
# A static web server
# --------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticServer:
    """http.server for one folder on 127.0.0.1, a free port, in a background thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer((LOCAL_HOST, 0), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://{LOCAL_HOST}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

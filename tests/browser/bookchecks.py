"""Checks of a rendered page, as a reader's browser shows it.

Every check takes a loaded Playwright page (and, for the network and console
checks, what a `Recorder` saw while the page loaded) and returns a list of
problems, one readable string each; an empty list means the page passes.
The same functions run on every page of the built book (test_pages.py) and on
the deliberately broken fixture page (test_checks_can_fail.py), which shows
that each of them can fail.
"""

from __future__ import annotations

import html.parser
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout

LOCAL_HOST = "127.0.0.1"
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}

# Where the page's own content lives (sphinx-book-theme / pydata-sphinx-theme).
ARTICLE = "article.bd-article"


def _short(url: str, n: int = 120) -> str:
    return url if len(url) <= n else url[: n - 3] + "..."


# --------------------------------------------------------------------------
# Recording what a page does while it loads
# --------------------------------------------------------------------------


@dataclass
class Recorder:
    """Everything one page asked for and complained about. Attach before goto()."""

    requests: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    console_errors: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page) -> "Recorder":
        rec = cls()
        page.on("request", lambda r: rec.requests.append(r.url))
        page.on("requestfailed", lambda r: rec.failed.append((r.url, str(r.failure))))
        page.on("response", lambda r: r.status >= 400 and rec.failed.append((r.url, f"HTTP {r.status}")))

        def on_console(msg):
            if msg.type == "error":
                loc = msg.location or {}
                where = f" [{loc.get('url', '')}:{loc.get('lineNumber', '')}]" if loc.get("url") else ""
                rec.console_errors.append(f"console error: {msg.text}{where}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: rec.console_errors.append(f"uncaught exception: {exc}"))
        return rec


def is_offsite(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in NETWORK_SCHEMES and parts.hostname != LOCAL_HOST


def block_offsite(context) -> None:
    """Abort every request to a host other than 127.0.0.1 (it is still recorded)."""

    def handle(route):
        if is_offsite(route.request.url):
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", handle)


# --------------------------------------------------------------------------
# Waiting until a page has finished what a reader waits for
# --------------------------------------------------------------------------

_SETTLE_JS = """
async (timeoutMs) => {
  const work = (async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
    }
    const imgs = [...document.images];
    for (const img of imgs) if (img.loading === 'lazy') img.loading = 'eager';
    const frames = [];
    for (const el of document.querySelectorAll('img[id^="_anim_img"]')) {
      const anim = window['anim' + el.id.slice('_anim_img'.length)];
      if (anim && anim.frames) frames.push(...anim.frames);
    }
    await Promise.all([...imgs, ...frames].map((i) => i.complete ? null : new Promise((ok) => {
      i.addEventListener('load', ok, {once: true});
      i.addEventListener('error', ok, {once: true});
    })));
    if (document.fonts) await document.fonts.ready;
  })();
  const timer = new Promise((ok) => setTimeout(() => ok('timeout'), timeoutMs));
  return await Promise.race([work.then(() => 'ok'), timer]);
}
"""


def settle(page, timeout_ms: int = 20000) -> str:
    """Wait for MathJax's first typeset, images, animation frames and fonts.

    Animation objects are created in a setTimeout(0) after the page's scripts run,
    so give them one tick first.
    """
    page.wait_for_timeout(50)
    return page.evaluate(_SETTLE_JS, timeout_ms)


# --------------------------------------------------------------------------
# (1) network, (2) console
# --------------------------------------------------------------------------


def check_network(rec: Recorder) -> list[str]:
    """No request leaves 127.0.0.1, and every local request succeeds."""
    problems = [f"request to another host: {_short(u, 200)}" for u in dict.fromkeys(rec.requests) if is_offsite(u)]
    reasons: dict[str, list[str]] = {}
    for url, why in rec.failed:
        if not is_offsite(url):
            reasons.setdefault(url, []).append(why)
    for url, why in reasons.items():
        problems.append(f"local request failed: {_short(url, 200)} ({', '.join(dict.fromkeys(why))})")
    return problems


def check_console(rec: Recorder) -> list[str]:
    """No console.error message and no uncaught exception."""
    return list(dict.fromkeys(rec.console_errors))


# --------------------------------------------------------------------------
# (3) math
# --------------------------------------------------------------------------

_MATH_JS = r"""
() => {
  const out = [];
  const skip = 'pre, code, kbd, samp, script, style, textarea, noscript, mjx-container, .highlight';
  const block = 'p, li, td, th, dd, dt, h1, h2, h3, h4, h5, h6, figcaption, caption, blockquote, div, section, article, main, body';
  const groups = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement && !n.parentElement.closest(skip))
        ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT,
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const b = n.parentElement.closest(block) || document.body;
    groups.set(b, (groups.get(b) || '') + n.nodeValue);
  }
  const patterns = [
    /\$\$[\s\S]+?\$\$/g,
    /(?<![\\\w$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)/g,
    /\\\(|\\\)|\\\[|\\\]/g,
    /\\begin\{[a-z*]+\}/g,
  ];
  const seen = new Set();
  for (const text of groups.values()) {
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const a = Math.max(0, m.index - 30), z = Math.min(text.length, m.index + m[0].length + 30);
        const snippet = text.slice(a, z).replace(/\s+/g, ' ').trim();
        if (!seen.has(snippet)) { seen.add(snippet); out.push(`raw TeX left in the text: "${snippet}"`); }
      }
    }
  }
  const formulas = [...document.querySelectorAll('span.math, div.math')];
  const typeset = document.querySelectorAll('mjx-container').length;
  const untypeset = formulas.filter((f) => !f.querySelector('mjx-container'));
  if (formulas.length && !typeset) {
    const started = !!(window.MathJax && MathJax.startup && MathJax.startup.promise);
    out.push(`${formulas.length} formula(s) and no mjx-container: MathJax ${started ? 'ran but typeset nothing' : 'never started (script missing or failed to load)'}`);
  } else {
    for (const f of untypeset.slice(0, 10)) out.push(`formula not typeset: "${f.textContent.trim().slice(0, 80)}"`);
  }
  for (const e of [...document.querySelectorAll('mjx-merror')].slice(0, 10)) {
    out.push(`MathJax error: ${e.getAttribute('data-mjx-error') || e.textContent.trim().slice(0, 80)}`);
  }
  return out;
}
"""


def check_math(page) -> list[str]:
    """Every formula typeset by MathJax; no raw $...$, \\(...\\), \\[...\\] or \\begin{...} left."""
    return page.evaluate(_MATH_JS)


# --------------------------------------------------------------------------
# (4) images and animation frames
# --------------------------------------------------------------------------

_IMAGES_JS = r"""
() => {
  const out = [];
  const short = (s) => (s || '(no src)').length > 100 ? s.slice(0, 97) + '...' : (s || '(no src)');
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) {
      out.push(`image did not load: ${short(img.getAttribute('src'))}${img.id ? ' (#' + img.id + ')' : ''}`);
    }
  }
  for (const box of document.querySelectorAll('.animation')) {
    const img = box.querySelector('img[id^="_anim_img"]');
    if (!img) { out.push('animation block without its <img id="_anim_img...">'); continue; }
    const id = img.id.slice('_anim_img'.length);
    const anim = window['anim' + id];
    if (!anim || !anim.frames) { out.push(`animation ${id}: no Animation object (its script did not run)`); continue; }
    if (anim.frames.length < 2) out.push(`animation ${id}: ${anim.frames.length} frame(s)`);
    anim.frames.forEach((f, i) => {
      if (!f.complete || f.naturalWidth === 0) out.push(`animation ${id}: frame ${i} did not load (${short(f.src)})`);
    });
  }
  return out;
}
"""


def check_images(page) -> list[str]:
    """Every <img> loaded; every jshtml animation has frames, all decoded."""
    return page.evaluate(_IMAGES_JS)


# --------------------------------------------------------------------------
# (5) internal links and anchors
# --------------------------------------------------------------------------


class _IdParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v and (k == "id" or (k == "name" and tag == "a")):
                self.ids.add(v)


class LinkTargets:
    """Fetches local URLs once each: HTTP status and, for HTML, the ids it defines."""

    def __init__(self):
        self._cache: dict[str, tuple[int, set[str]]] = {}

    def get(self, url: str) -> tuple[int, set[str]]:
        if url not in self._cache:
            ids: set[str] = set()
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    status = resp.status
                    body = resp.read()
                    if "html" in resp.headers.get("Content-Type", ""):
                        p = _IdParser()
                        p.feed(body.decode("utf-8", "replace"))
                        ids = p.ids
            except urllib.error.HTTPError as e:
                status = e.code
            except OSError:
                status = 0
            self._cache[url] = (status, ids)
        return self._cache[url]


def check_links(page, targets: LinkTargets) -> list[str]:
    """Every same-host link answers 200; every #fragment names an element on its target."""
    here = urlsplit(page.url)
    here_doc = urlunsplit((here.scheme, here.netloc, here.path, "", ""))
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href])")
    live_ids = set(page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
    problems = []
    for raw, absolute in links:
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or parts.netloc != here.netloc:
            continue
        doc = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        status, ids = targets.get(doc)
        if status != 200:
            problems.append(f"broken link {raw!r}: {parts.path} answers HTTP {status or 'nothing'}")
            continue
        frag = unquote(parts.fragment)
        if frag:
            known = ids | live_ids if doc == here_doc else ids
            if frag not in known:
                problems.append(f"broken anchor {raw!r}: no element with id {frag!r} on {parts.path}")
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------
# (6) title and navigation
# --------------------------------------------------------------------------


def check_title_and_nav(page, *, content_page: bool) -> list[str]:
    """A title; the book's sidebar navigation; prev/next links on content pages."""
    info = page.evaluate(
        """() => ({
          title: document.title.trim(),
          nav: document.querySelectorAll('nav.bd-docs-nav a[href]').length,
          prevnext: document.querySelectorAll('.prev-next-area a[href]').length,
        })"""
    )
    problems = []
    if not info["title"]:
        problems.append("empty <title>")
    if not info["nav"]:
        problems.append("no book navigation (nav.bd-docs-nav with links)")
    if content_page and not info["prevnext"]:
        problems.append("no previous/next links (.prev-next-area)")
    return problems


# --------------------------------------------------------------------------
# (7) basic accessibility
# --------------------------------------------------------------------------

_A11Y_JS = r"""
() => {
  const out = [];
  const fileLike = /^\S*\.(png|jpe?g|gif|svg|webp|avif)$/i;
  const hidden = '.onlyprint, [aria-hidden="true"], [hidden], template';
  const headingBefore = (el) => {
    let best = null;
    for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) best = h; else break;
    }
    return best ? best.textContent.replace(/[#¶]\s*$/, '').trim().slice(0, 60) : '(top of page)';
  };
  for (const img of document.images) {
    if (img.closest(hidden)) continue;
    const alt = (img.getAttribute('alt') || '').trim();
    const src = img.getAttribute('src') || '';
    const meaningful = alt && alt !== src && !fileLike.test(alt);
    const fig = img.closest('figure');
    const cap = fig && fig.querySelector('figcaption');
    if (!meaningful && !(cap && cap.textContent.trim())) {
      const what = img.id ? '#' + img.id : (src.startsWith('data:') ? 'data: image' : src.split('/').pop().slice(0, 24));
      out.push(`image with no alt text and no figure caption (${what}) in section "${headingBefore(img)}"`
               + (alt ? `; its alt is just the file name` : ''));
    }
  }
  const hs = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter((h) => !h.closest(hidden));
  const h1 = hs.filter((h) => h.tagName === 'H1');
  if (h1.length !== 1) out.push(`${h1.length} <h1> headings (want exactly one)`);
  let prev = 0;
  for (const h of hs) {
    const level = Number(h.tagName[1]);
    if (prev && level > prev + 1) {
      out.push(`heading level jumps from h${prev} to h${level} at "${h.textContent.replace(/#\s*$/, '').trim().slice(0, 60)}"`);
    }
    prev = level;
  }
  return out;
}
"""


def check_accessibility(page) -> list[str]:
    """Images carry alt text (or a figure caption); one h1; no skipped heading levels going down."""
    return page.evaluate(_A11Y_JS)


# --------------------------------------------------------------------------
# Interactions: animation controls, solution toggles, search
# --------------------------------------------------------------------------


def _wait_for(page, js: str, arg, timeout_ms: int) -> bool:
    try:
        page.wait_for_function(js, arg=arg, timeout=timeout_ms)
        return True
    except PlaywrightTimeout:
        return False


_SRC_CHANGED = "([el, before]) => el.getAttribute('src') !== before"


def check_animation_controls(page, timeout_ms: int = 3000) -> list[str]:
    """Each jshtml animation steps forward and back; the first on the page also plays.

    (Play waits a whole frame interval, and every animation shares one script.)
    """
    problems = []
    boxes = page.locator(".animation")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        name = f"animation {i + 1}"
        img = box.locator("img[id^='_anim_img']")
        if img.count() != 1:
            problems.append(f"{name}: no frame <img>")
            continue
        box.scroll_into_view_if_needed()
        handle = img.element_handle()
        first = img.get_attribute("src")
        buttons = {t: box.locator(f"button[title='{t}']") for t in ("Next frame", "Previous frame", "Play", "Pause")}
        missing = [t for t, b in buttons.items() if b.count() != 1]
        if missing:
            problems.append(f"{name}: missing button(s) {missing}")
            continue
        buttons["Next frame"].click()
        if not _wait_for(page, _SRC_CHANGED, [handle, first], timeout_ms):
            problems.append(f"{name}: 'Next frame' did not change the displayed frame")
            continue
        buttons["Previous frame"].click()
        if not _wait_for(page, "([el, want]) => el.getAttribute('src') === want", [handle, first], timeout_ms):
            problems.append(f"{name}: 'Previous frame' did not go back to the first frame")
        if i == 0:
            before = img.get_attribute("src")
            buttons["Play"].click()
            if not _wait_for(page, _SRC_CHANGED, [handle, before], timeout_ms):
                problems.append(f"{name}: 'Play' did not advance the animation")
            buttons["Pause"].click()
    return problems


# Every control of every kernel-free explorer (descent.explore.static) redraws the figure.
# Redraw times (measured by the explorer's own script) are collected here for the CSV.
REDRAWS: list[dict] = []
REDRAW_BUDGET_MS = 16.0

_DRAWING_JS = """(root) => [...root.querySelectorAll('.dx-panels path, .dx-panels circle, .dx-panels rect')]
  .map((e) => (e.getAttribute('d') || '') + (e.getAttribute('cx') || '') + (e.getAttribute('x') || '')
    + (e.getAttribute('visibility') || '')).join('|') + '#' + (root.querySelector('.dx-words') || {}).textContent"""


def check_explorers(page, page_name: str = "", timeout_ms: int = 8000) -> list[str]:
    """Each explorer draws; every slider, menu and check box changes the drawing when used from the keyboard.

    Sliders get one arrow key (left at the right end), menus the next option,
    check boxes a space bar. The explorer's script records how long each
    redraw took (``data-redraw-ms``); a median above REDRAW_BUDGET_MS is a problem.
    """
    problems = []
    roots = page.locator(".descent-explorer")
    for i in range(roots.count()):
        root = roots.nth(i)
        name = f"explorer {i + 1}"
        handle = root.element_handle()
        root.scroll_into_view_if_needed()
        if not _wait_for(page, "(el) => el.dataset.dxReady === '1'", handle, timeout_ms):
            note = root.locator(".dx-note")
            why = note.inner_text() if note.count() else ""
            problems.append(f"{name}: never drew its sliders (no data-dx-ready after {timeout_ms} ms) {why}".strip())
            continue
        controls = root.locator(".dx-controls input, .dx-controls select")
        if controls.count() == 0:
            continue
        times = []
        for j in range(controls.count()):
            ctl = controls.nth(j)
            tag = ctl.evaluate("(e) => e.tagName.toLowerCase() + ':' + (e.type || '')")
            label = ctl.get_attribute("aria-label") or ctl.get_attribute("data-control") or f"control {j + 1}"
            before = root.evaluate(_DRAWING_JS)
            ctl.focus()
            if tag == "input:range":
                at_end = ctl.evaluate("(e) => +e.value >= +e.max")
                page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
            elif tag.startswith("select"):
                n = ctl.evaluate("(e) => e.options.length")
                cur = int(ctl.input_value())
                ctl.select_option(str((cur + 1) % n))
            else:
                page.keyboard.press("Space")
            after = root.evaluate(_DRAWING_JS)
            if after == before:
                problems.append(f"{name}: moving {label!r} did not change the drawing")
                continue
            ms = root.get_attribute("data-redraw-ms")
            if ms is not None:
                times.append(float(ms))
                REDRAWS.append({"page": page_name, "explorer": i + 1, "control": ctl.get_attribute("data-control")
                                or label, "redraw_ms": float(ms)})
        if times:
            med = sorted(times)[len(times) // 2]
            if med > REDRAW_BUDGET_MS:
                problems.append(f"{name}: median redraw {med:.1f} ms (budget {REDRAW_BUDGET_MS:g} ms)")
    return problems


# Is the content of a togglebutton dropdown / a <details> element hidden?
_DROPDOWN_HIDDEN = """(el) => {
  const body = [...el.children].find((c) => !c.classList.contains('admonition-title'));
  return el.classList.contains('toggle-hidden') || !body || !body.checkVisibility();
}"""
_DETAILS_HIDDEN = """(el) => {
  const body = [...el.children].find((c) => c.tagName !== 'SUMMARY');
  return !el.open || !body || !body.checkVisibility();
}"""


def _click_toggles(page, target, clickable, hidden_js: str, timeout_ms: int) -> list[bool]:
    """Click twice; after each click wait (briefly) for the state to flip. The states seen."""
    handle = target.element_handle()
    states = [target.evaluate(hidden_js)]
    for _ in range(2):
        clickable.click()
        _wait_for(page, f"([el, before]) => ({hidden_js})(el) !== before", [handle, states[-1]], timeout_ms)
        states.append(target.evaluate(hidden_js))
    return states


def check_toggles(page, limit: int = 3, timeout_ms: int = 1500) -> list[str]:
    """Collapsed solutions, dropdowns and hidden cells open and close on click.

    Checks the first `limit` of each kind on the page (they share one mechanism).
    """
    problems = []
    drops = page.locator(f"{ARTICLE} .admonition.dropdown, {ARTICLE} .admonition.toggle")
    for i in range(min(drops.count(), limit)):
        d = drops.nth(i)
        title = d.locator(":scope > .admonition-title")
        if title.count() != 1:
            problems.append(f"dropdown {i + 1}: no title to click")
            continue
        name = f"dropdown {title.inner_text().strip()[:50]!r}"
        shown = "toggle-shown" in (d.get_attribute("class") or "")
        states = _click_toggles(page, d, title, _DROPDOWN_HIDDEN, timeout_ms)
        if states[0] == shown:
            problems.append(f"{name}: {'collapsed' if shown else 'not collapsed'} when the page loads")
        elif states != [states[0], not states[0], states[0]]:
            problems.append(f"{name}: hidden={states} before and after two clicks on its title, expected a toggle")
    details = page.locator(f"{ARTICLE} details")
    for i in range(min(details.count(), limit)):
        d = details.nth(i)
        summary = d.locator(":scope > summary")
        if summary.count() != 1:
            problems.append(f"<details> {i + 1}: no <summary>")
            continue
        name = f"<details> {summary.inner_text().strip()[:50]!r}"
        states = _click_toggles(page, d, summary, _DETAILS_HIDDEN, timeout_ms)
        if states != [states[0], not states[0], states[0]]:
            problems.append(f"{name}: hidden={states} before and after two clicks on its summary, expected a toggle")
    return problems


def search_results(page, base_url: str, term: str, timeout_ms: int = 15000) -> list[str] | None:
    """Run Sphinx's search page for `term`; the result URLs, or None if it never finished."""
    page.goto(f"{base_url}/search.html?q={term}")
    if not _wait_for(
        page,
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return !!s && s.textContent.trim().length > 0; }",
        None,
        timeout_ms,
    ):
        return None
    return page.evaluate("() => [...document.querySelectorAll('#search-results ul.search > li a[href]')].map(a => a.href)")


# --------------------------------------------------------------------------
# Text of a built page (for data-driven search expectations)
# --------------------------------------------------------------------------


class _ArticleText(html.parser.HTMLParser):
    """Text inside <article class="bd-article">, without scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            if tag not in {"br", "img", "hr", "input", "meta", "link", "wbr"}:
                self.depth += 1
            if tag in ("script", "style"):
                self.skip += 1
        elif tag == "article" and "bd-article" in (dict(attrs).get("class") or ""):
            self.depth = 1

    def handle_startendtag(self, tag, attrs):
        pass  # <img />, <br/>: nothing opens, nothing to close

    def handle_endtag(self, tag):
        if self.depth:
            if tag in ("script", "style") and self.skip:
                self.skip -= 1
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def article_text(html_text: str) -> str:
    p = _ArticleText()
    p.feed(html_text)
    return " ".join(p.parts)


def mentions(text: str, term: str) -> bool:
    return re.search(rf"\b{re.escape(term)}\b", text, re.IGNORECASE) is not None


# --------------------------------------------------------------------------
# Layout: nothing wider than the window (checked at phone width)
# --------------------------------------------------------------------------

_FITS_JS = r"""
() => {
  const width = document.documentElement.clientWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width + 1) return [];
  // Ignore what cannot widen the page: content of a box that scrolls or clips
  // on its own, and fixed-position panels (the theme's off-canvas sidebars).
  const contained = (el) => {
    if (getComputedStyle(el).position === 'fixed') return true;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const st = getComputedStyle(p);
      if (st.overflowX !== 'visible' || st.position === 'fixed') return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !contained(el) && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1)) {
      culprits.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} (right edge ${Math.round(r.right)} px)`);
      if (culprits.length >= 3) break;
    }
  }
  return [`page is ${scroll} px wide in a ${width} px window (sideways scrolling)` + (culprits.length ? `; sticking out: ${culprits.join(', ')}` : '')];
}
"""


def check_fits_viewport(page) -> list[str]:
    """The page never scrolls sideways: wide content must scroll inside its own box."""
    return page.evaluate(_FITS_JS)


# --------------------------------------------------------------------------
# One page, every check
# --------------------------------------------------------------------------

DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}

PAGE_CHECKS = (
    "network", "console", "math", "images", "links", "navigation", "accessibility",
    "layout", "animations", "explorers", "toggles",
)


def inspect_page(context, url: str, targets: LinkTargets, *, content_page: bool = True,
                 redirect_to: str | None = None, screenshot_stem: str | None = None) -> dict[str, list[str]]:
    """Load `url` once in a fresh tab of `context` and run every check on that load.

    Order: wait for the page to settle; the read-only checks; the first screen at
    desktop size (if `screenshot_stem`: <stem>-desktop.png); the phone width
    (layout check, <stem>-mobile.png); back to desktop for the interactions
    (animations, toggles); last, network and console, so that they also cover
    whatever the interactions did.
    """
    page = context.new_page()
    try:
        page.set_viewport_size(DESKTOP)
        # Every visit is a reader's first: nothing remembered from pages checked before.
        page.add_init_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
        rec = Recorder.attach(page)
        page.goto(url, wait_until="load")
        nav_problems = []
        if redirect_to:
            try:
                page.wait_for_url(redirect_to, timeout=10000)
                page.wait_for_load_state("load")
            except PlaywrightTimeout:
                nav_problems.append(f"does not redirect to {redirect_to} (ended at {page.url})")
        late = [] if settle(page) == "ok" else ["page still typesetting or loading images after 20 s"]
        results = {
            "math": late + check_math(page),
            "images": late + check_images(page),
            "links": check_links(page, targets),
            "navigation": nav_problems + check_title_and_nav(page, content_page=content_page),
            "accessibility": check_accessibility(page),
        }
        if screenshot_stem:
            page.screenshot(path=f"{screenshot_stem}-desktop.png")
        page.set_viewport_size(MOBILE)
        page.wait_for_timeout(100)  # relayout
        results["layout"] = [f"at {MOBILE['width']} px: {p}" for p in check_fits_viewport(page)]
        if screenshot_stem:
            page.screenshot(path=f"{screenshot_stem}-mobile.png")
        page.set_viewport_size(DESKTOP)
        page.evaluate("window.scrollTo(0, 0)")
        results["animations"] = check_animation_controls(page)
        results["explorers"] = check_explorers(page, urlsplit(url).path.lstrip("/"))
        results["toggles"] = check_toggles(page)
        page.wait_for_timeout(100)  # let late console messages and font requests arrive
        results["network"] = check_network(rec)
        results["console"] = check_console(rec)
        return {name: results[name] for name in PAGE_CHECKS}
    finally:
        page.close()

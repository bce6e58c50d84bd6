"""Driving one chapter through JupyterLab in headless Chromium, as a learner would.

`visit()` opens a pristine copy of a chapter (untrusted, as after a fresh
clone), inspects the explorer cells before anything runs, renders the
markdown, runs all cells, waits for the kernel, inspects every explorer
figure, moves one slider of each explorer, and returns what it saw as a
`Visit`: problems per check (an empty list passes) and the measured round
trips. The tests in test_lab.py turn each list of problems into one test.

The page is driven through `window.jupyterapp` (the server is started with
--LabApp.expose_app_in_browser=True) and read through the DOM, the same
elements a reader sees.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHECKS = ("untrusted_view", "markdown", "drawn", "slider", "errors", "glossary")
# jupyterlab-myst renders one notebook at a time, so a {term} role pointing into
# book/glossary.md has no target there; it still shows the term, as a link, and logs
# this console error (jupyterlab-myst issue #218, project-wide cross references).
# A {numref} to a figure named in a code cell's mystnb metadata is the same case
# (the book build resolves it; JupyterLab's renderer does not read that metadata),
# and one console message can list several such targets, one per line.
_UNRESOLVED_TERM = re.compile(r"^Cross reference target was not found: (term|fig)-.*$")

# A figure counts as drawn when at most this share of its pixels is transparent
# (the blank figure of issue 16 was >= 98% transparent), and it has axes (dark
# pixels: spines, ticks, labels) and coloured pixels (contour, curves).
# Measured on complete figures: 0% transparent, 1.2-2.4% dark, 1.2-2.6% coloured, 116-214
# colours (4 bits per channel); the blank one: 99.7% transparent.
MAX_TRANSPARENT = 0.2
MIN_DARK = 0.003
MIN_COLOURED = 0.003
MIN_COLOURS = 40  # the contour's shades and antialiased curves give many distinct colours
DRAW_WAIT_S = 10.0  # how long a figure may take to appear after the kernel went idle


VISITS: dict[tuple[str, int], "Visit"] = {}  # (notebook, run) -> what the visit saw, for the report


@dataclass
class Visit:
    notebook: str
    run: int
    problems: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CHECKS})
    roundtrips: list[dict] = field(default_factory=list)  # one per slider key press
    explorers: list[dict] = field(default_factory=list)  # what each explorer figure looked like
    seconds: float = 0.0
    console: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# JavaScript run in the page
# --------------------------------------------------------------------------

_WAIT_OPEN_JS = """
async (name) => {
  const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
  const t0 = performance.now();
  const late = (what) => { if (performance.now() - t0 > 120000) throw new Error('timed out waiting for ' + what); };
  const isMine = (w) => w && w.content && w.context && w.sessionContext && w.context.path.endsWith(name);
  while (!(window.jupyterapp && jupyterapp.shell && isMine(jupyterapp.shell.currentWidget))) { late('the notebook'); await sleep(200); }
  const panel = jupyterapp.shell.currentWidget;
  window.__panel = panel;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = () => panel.sessionContext.session && panel.sessionContext.session.kernel;
  while (!kernel() || kernel().status !== 'idle') { late('an idle kernel'); await sleep(200); }
  const cells = () => panel.content.widgets;
  while (cells().length !== panel.content.model.cells.length ||
         !cells().every((c) => c.node.isConnected && (c.model.type !== 'markdown' || c.rendered))) {
    late('the cells'); await sleep(200);
  }
  // images in outputs: wait until each has loaded or failed
  const imgs = [...panel.node.querySelectorAll('.jp-OutputArea img')];
  await Promise.race([Promise.all(imgs.map((i) => i.complete ? null : new Promise((ok) => {
    i.addEventListener('load', ok, {once: true}); i.addEventListener('error', ok, {once: true}); }))), sleep(10000)]);
  await sleep(500);
  const withOutputs = cells().filter((c) => c.model.type === 'code' && c.model.outputs.length);
  return {cells: cells().length, trusted: withOutputs.filter((c) => c.model.trusted).length, withOutputs: withOutputs.length};
}
"""

# Each explorer cell before running: what its output shows.
_BEFORE_JS = """
(indices) => indices.map((i) => {
  const cell = window.__panel.content.widgets[i];
  const area = cell.node.querySelector('.jp-OutputArea');
  if (!area) return {index: i, missing: true};
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const imgs = [...area.querySelectorAll('img')].map((img) => ({
    loaded: img.complete && img.naturalWidth > 0, visible: visible(img), alt: img.alt || '',
    src: (img.getAttribute('src') || '').slice(0, 40)}));
  return {index: i, text: area.innerText, imgs};
})
"""

_MARKDOWN_JS = """
() => {
  const out = [];
  const raw = [/```\\s*\\{/, /:::\\s*\\{/, /\\{(exercise|solution|admonition|note|warning|tip|important|cite|cite:p|cite:t|eq|numref|ref|math)\\}/,
               /^\\s*:(label|class|nonumber|name):/m];
  window.__panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'markdown') return;
    const src = cell.model.sharedModel.getSource();
    if (!/[`:]{3}\\s*\\{|\\{[a-z:]+\\}`/.test(src)) return;
    const node = cell.node.querySelector('.jp-MarkdownOutput') || cell.node;
    const text = node.innerText;
    for (const re of raw) {
      const m = text.match(re);
      if (m) {
        const a = Math.max(0, m.index - 40);
        out.push(`markdown cell ${i}: raw MyST shows as text: "${text.slice(a, m.index + 60).replace(/\\s+/g, ' ')}"`);
        break;
      }
    }
  });
  return out;
}
"""

_RUN_ALL_JS = """
() => {
  window.__runall = {done: false, error: null};
  jupyterapp.commands.execute('notebook:run-all-cells')
    .then(() => { window.__runall.done = true; })
    .catch((e) => { window.__runall.done = true; window.__runall.error = String(e); });
}
"""

_RUN_STATE_JS = """
() => {
  const panel = window.__panel;
  const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const busy = panel.content.widgets.filter((c) => c.model.type === 'code' && c.model.executionState === 'running').length;
  return {done: window.__runall.done, error: window.__runall.error, kernel: k ? k.status : 'none', running: busy};
}
"""

# Helpers installed once per page: find explorers, measure figures.
_HELPERS_JS = """
() => {
  if (window.__lab) return;
  const stats = (el) => {
    let w, h, data;
    if (el.tagName === 'CANVAS') {
      w = el.width; h = el.height;
      if (!w || !h) return {n: 0};
      data = el.getContext('2d').getImageData(0, 0, w, h).data;
    } else {
      if (!el.complete || !el.naturalWidth) return {n: 0};
      w = el.naturalWidth; h = el.naturalHeight;
      const c = document.createElement('canvas'); c.width = w; c.height = h;
      const ctx = c.getContext('2d'); ctx.drawImage(el, 0, 0); data = ctx.getImageData(0, 0, w, h).data;
    }
    let transparent = 0, dark = 0, coloured = 0, hash = 0;
    const colours = new Set();
    for (let p = 0; p < data.length; p += 4) {
      const r = data[p], g = data[p + 1], b = data[p + 2], a = data[p + 3];
      hash = (Math.imul(hash, 31) + (r | (g << 8) | (b << 16) | (a << 24))) | 0;
      if (a < 16) { transparent++; continue; }
      if (a < 200) continue;
      if (0.3 * r + 0.59 * g + 0.11 * b < 100) dark++;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
      colours.add((r >> 4) | ((g >> 4) << 4) | ((b >> 4) << 8));
    }
    const n = w * h;
    return {n, w, h, transparent: transparent / n, dark: dark / n, coloured: coloured / n, colours: colours.size, hash};
  };
  const figureOf = (root) => root.querySelector('.jupyter-matplotlib-figure canvas') ||
                             root.querySelector('.widget-image');
  const list = () => {
    const out = [];
    window.__panel.content.widgets.forEach((cell, i) => {
      if (cell.model.type !== 'code') return;
      for (const o of cell.node.querySelectorAll('.jp-OutputArea-output')) {
        if (o.querySelector('.widget-slider') && figureOf(o)) out.push({cell: i, root: o});
      }
    });
    return out;
  };
  const parts = (k) => {
    const e = list()[k];
    const htmls = [...e.root.querySelectorAll('.widget-html')];
    const sliders = [...e.root.querySelectorAll('.widget-slider')].map((s) => ({
      node: s, label: (s.querySelector('.widget-label') || {innerText: ''}).innerText.trim(),
      readout: s.querySelector('.widget-readout')}));
    return {cell: e.cell, root: e.root, figure: figureOf(e.root), words: htmls[htmls.length - 1], sliders};
  };
  window.__lab = {stats, list, parts};
}
"""

_EXPLORERS_JS = """
() => window.__lab.list().map((e, k) => {
  const p = window.__lab.parts(k);
  return {cell: p.cell, kind: p.figure.tagName === 'CANVAS' ? 'ipympl' : 'png', stats: window.__lab.stats(p.figure),
          words: p.words ? p.words.innerText : '', sliders: p.sliders.map((s) => s.label)};
})
"""

# Arm a round-trip measurement on explorer k's slider `name`: focus its handle and
# wait for the key press; from that keydown, time the figure's repaint (polled each
# animation frame) and the change of the words (a MutationObserver).
_ARM_JS = """
([k, name]) => {
  const p = window.__lab.parts(k);
  const s = p.sliders.find((s) => s.label === name) || p.sliders[0];
  const handle = s.node.querySelector('.noUi-handle');
  handle.focus();
  const fig = p.figure;
  // Cheap signature of what the figure shows: every 4th pixel of the canvas, or the image's src.
  const sig = () => {
    if (fig.tagName !== 'CANVAS') return fig.complete ? fig.src : '';
    const d = new Uint32Array(fig.getContext('2d').getImageData(0, 0, fig.width, fig.height).data.buffer);
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (Math.imul(h, 31) + d[i]) | 0;
    return h;
  };
  const before = {sig: sig(), words: p.words ? p.words.innerText : ''};
  const rt = {done: false, t0: null, paint: null, words: null, slider: s.label, drawnAt: null};
  window.__rt = rt;
  // ipympl paints a frame with drawImage on the view's canvas: note when, check the pixels at the next frame.
  if (fig.tagName === 'CANVAS') {
    const ctx = fig.getContext('2d');
    if (!ctx.__timed) {
      const orig = ctx.drawImage.bind(ctx);
      ctx.drawImage = (...args) => { const r = orig(...args); if (window.__rt) window.__rt.drawnAt = performance.now(); return r; };
      ctx.__timed = true;
    }
  } else if (!fig.__timed) {
    fig.addEventListener('load', () => { if (window.__rt) window.__rt.drawnAt = performance.now(); });
    fig.__timed = true;
  }
  const finish = () => { if (rt.paint !== null && rt.words !== null) { rt.done = true; obs.disconnect(); } };
  const obs = new MutationObserver(() => {
    if (rt.t0 !== null && rt.words === null && p.words && p.words.innerText !== before.words) {
      rt.words = performance.now() - rt.t0; finish();
    }
  });
  if (p.words) obs.observe(p.words, {subtree: true, childList: true, characterData: true});
  const poll = () => {
    if (rt.done || rt.abandon) return;
    if (rt.paint === null && rt.drawnAt !== null) {
      const at = rt.drawnAt;
      rt.drawnAt = null;
      if (sig() !== before.sig) { rt.paint = at - rt.t0; finish(); }
    }
    requestAnimationFrame(poll);
  };
  window.addEventListener('keydown', () => {
    if (rt.t0 === null) { rt.t0 = performance.now(); rt.drawnAt = null; requestAnimationFrame(poll); }
  }, {capture: true, once: true});
  return {slider: s.label, focused: document.activeElement === handle};
}
"""

_WAIT_RT_JS = """
async (timeoutMs) => {
  const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
  const t0 = performance.now();
  while (!window.__rt.done && performance.now() - t0 < timeoutMs) await sleep(20);
  window.__rt.abandon = true;
  const r = window.__rt;
  return {paint: r.paint, words: r.words, slider: r.slider, t0: r.t0};
}
"""

_ERRORS_JS = """
() => {
  const out = [];
  const panel = window.__panel;
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const outs = cell.model.outputs.toJSON();
    for (const o of outs) {
      if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`.slice(0, 300));
      if (o.output_type === 'stream' && o.name === 'stderr') out.push(`cell ${i}: stderr: ${String(o.text).slice(0, 300)}`);
    }
    const text = cell.node.querySelector('.jp-OutputArea') ? cell.node.querySelector('.jp-OutputArea').innerText : '';
    if (text.includes('Error displaying widget')) out.push(`cell ${i}: "Error displaying widget"`);
    if (/Traceback \\(most recent call last\\)/.test(text)) out.push(`cell ${i}: a traceback in the output`);
  });
  return out;
}
"""


# --------------------------------------------------------------------------
# The visit
# --------------------------------------------------------------------------


# an explorer cell calls a builder: explore(...), explore_profiles(...), explore_bandit(...), XExplorer(...)
EXPLORER_CALL = re.compile(r"\b(explore\w*|\w*Explorer)\s*\(")


def explorer_cells(notebook: Path) -> list[int]:
    """Indices of the cells whose saved outputs hold a widget view and that build an explorer.

    Other widgets (a tqdm progress bar over a sweep) are not explorers: they have no still
    image for the untrusted view and no slider to move.
    """
    nb = json.loads(notebook.read_text())
    return [i for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))
            and EXPLORER_CALL.search("".join(c["source"]))]


def check_figure(st: dict) -> str | None:
    """Why the figure with pixel statistics ``st`` does not count as drawn (None: it does)."""
    if not st.get("n"):
        return "no pixels (zero-size canvas or image not loaded)"
    seen = (f" [transparent {st['transparent']:.1%}, dark {st['dark']:.2%}, coloured {st['coloured']:.1%}, "
            f"{st['colours']} colours]")
    if st["transparent"] > MAX_TRANSPARENT:
        return f"{st['transparent']:.0%} of its pixels are transparent (blank or fragments only)" + seen
    if st["dark"] < MIN_DARK:
        return "no axes" + seen
    if st["coloured"] < MIN_COLOURED or st["colours"] < MIN_COLOURS:
        return "no contour or curves" + seen
    return None


def visit(context, server, notebook: Path, run: int, *, presses: int = 4) -> Visit:
    """Open, inspect, run and probe one chapter; never raises for what it finds (it reports it)."""
    v = Visit(notebook.name, run)
    started = time.monotonic()
    cells = explorer_cells(notebook)
    name = server.copy(notebook, run)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and v.console.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: v.console.append(f"uncaught exception: {e}"))
    try:
        page.goto(f"{server.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
        opened = page.evaluate(_WAIT_OPEN_JS, name)
        if opened["trusted"]:
            v.problems["untrusted_view"].append(f"{opened['trusted']} of {opened['withOutputs']} output cells are trusted; "
                                                "a fresh clone's notebook is not")
        # (1) before running: a still image and a line saying to run the cell
        for c in page.evaluate(_BEFORE_JS, cells):
            if c.get("missing"):
                v.problems["untrusted_view"].append(f"cell {c['index']}: no output area")
                continue
            ok_img = [i for i in c["imgs"] if i["loaded"] and i["visible"]]
            if not ok_img:
                bad = [i for i in c["imgs"] if not i["loaded"]]
                v.problems["untrusted_view"].append(
                    f"cell {c['index']}: no loaded, visible <img> before running"
                    + (f" ({len(bad)} broken: alt {bad[0]['alt'][:60]!r})" if bad else ""))
            if "Run this cell" not in c["text"]:
                v.problems["untrusted_view"].append(f"cell {c['index']}: no 'Run this cell' line before running "
                                                    f"(shows {c['text'][:80]!r})")
        # (2) MyST rendered, no raw directives
        v.problems["markdown"] += page.evaluate(_MARKDOWN_JS)
        # (3) run all, wait for the kernel
        page.evaluate(_RUN_ALL_JS)
        deadline = time.monotonic() + 300
        while True:
            st = page.evaluate(_RUN_STATE_JS)
            if st["done"] and st["kernel"] == "idle" and not st["running"]:
                break
            if time.monotonic() > deadline:
                v.problems["errors"].append(f"Run All did not finish within 300 s: {st}")
                return v
            time.sleep(0.5)
        if st["error"]:
            v.problems["errors"].append(f"Run All failed: {st['error']}")
        # (4) every explorer drawn
        page.evaluate(_HELPERS_JS)
        t_idle = time.monotonic()
        while True:
            exps = page.evaluate(_EXPLORERS_JS)
            why = [check_figure(e["stats"]) for e in exps]
            if (len(exps) == len(cells) and not any(why)) or time.monotonic() - t_idle > DRAW_WAIT_S:
                break
            time.sleep(0.25)
        v.explorers = exps
        if len(exps) != len(cells):
            v.problems["drawn"].append(f"{len(exps)} live explorers on the page, expected {len(cells)} (cells {cells})")
        for e, w in zip(exps, why):
            if w:
                v.problems["drawn"].append(f"explorer in cell {e['cell']} ({e['kind']}): {w}")
        # (5) one slider of each explorer: pixels and words change; round trip
        for k, e in enumerate(exps):
            slider = "lr" if "lr" in e["sliders"] else (e["sliders"][0] if e["sliders"] else "")
            painted = worded = False
            for press in range(presses):
                armed = page.evaluate(_ARM_JS, [k, slider])
                if not armed["focused"]:
                    v.problems["slider"].append(f"explorer in cell {e['cell']}: cannot focus the {slider!r} slider")
                    break
                page.keyboard.press("ArrowRight")
                r = page.evaluate(_WAIT_RT_JS, 8000)
                painted |= r["paint"] is not None
                worded |= r["words"] is not None
                v.roundtrips.append({"cell": e["cell"], "kind": e["kind"], "slider": r["slider"], "press": press + 1,
                                     "paint_ms": r["paint"], "words_ms": r["words"]})
                page.wait_for_timeout(150)
            if not painted:
                v.problems["slider"].append(f"explorer in cell {e['cell']}: the figure did not change after "
                                            f"{presses} ArrowRight presses on {slider!r}")
            if not worded:
                v.problems["slider"].append(f"explorer in cell {e['cell']}: the words did not change after "
                                            f"{presses} ArrowRight presses on {slider!r}")
            after = page.evaluate(_EXPLORERS_JS)[k]
            w = check_figure(after["stats"])
            if w:
                v.problems["slider"].append(f"explorer in cell {e['cell']} after moving {slider!r}: {w}")
        # (6) no error anywhere
        v.problems["errors"] += page.evaluate(_ERRORS_JS)
    except Exception as exc:  # a visit that breaks fails every check, once, with the reason
        for c in CHECKS:
            v.problems[c].append(f"could not complete the visit: {exc!r}"[:2000])
    finally:
        for msg in dict.fromkeys(v.console):
            body = msg.removeprefix("console error: ")
            lines = [ln for ln in body.splitlines() if ln.strip()]
            if lines and all(_UNRESOLVED_TERM.match(ln) for ln in lines):
                v.problems["glossary"].append(msg)
            else:
                v.problems["errors"].append(msg)
        page.close()
        server.shutdown_kernels()
        v.seconds = time.monotonic() - started
    return v


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")

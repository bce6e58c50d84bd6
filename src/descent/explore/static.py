r"""The kernel-free explorer: precomputed runs drawn by a small script of our own.

:class:`StaticFigure` collects what a page needs to redraw an explorer in the
browser without a kernel:

- the **controls**, each with its list of book values (one
  ``<input type="range">`` per slider, a ``<select>`` per menu, a check box per
  toggle), labelled in the book's notation;
- the **panels**, with *fixed* axes (limits, log scale, ticks and labels decided
  here once), and an optional pre-rendered background image (a contour);
- the **items** (one per optimizer, or per activation), each with the controls
  it depends on, and for every combination of those controls: its series
  (paths, lines, bands) and its line of words.

Numbers are stored as 16-bit integers in axis coordinates (after the log, when
the axis is logarithmic), with points closer than about a pixel to the last one
dropped, then deflated and base64-encoded. The page's script
(``_static/explorer.js``, vendored in the package and inlined into each
explorer's HTML, so nothing is loaded from outside) decodes them with the
browser's own ``DecompressionStream`` and draws SVG.

Before the script runs (an untrusted notebook in JupyterLab strips scripts) the
HTML shows a still image of the initial setting and the line "Run this cell for
live sliders"; the script replaces both with the sliders.
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import io
import json
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Sequence

import numpy as np

__all__ = ["Axis", "Panel", "StaticFigure", "png_data_uri", "script"]

GAP = 65535
_SPAN = 65534.0
_PAD = 0.5  # stored coordinates cover [-0.5, 1.5] of the axis range


def script() -> str:
    """The vendored renderer (``descent/explore/_static/explorer.js``)."""
    return resources.files("descent.explore").joinpath("_static/explorer.js").read_text(encoding="utf-8")


def png_data_uri(fig: Any, *, colors: int = 48, dpi: float | None = None) -> str:
    """``fig`` as a palette PNG ``data:`` URI (a few dozen colours: about 3x smaller, same look)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _ticks(lo: float, hi: float, log: bool) -> list[tuple[float, str]]:
    from matplotlib.ticker import LogLocator, MaxNLocator

    if log:
        vals = LogLocator(numticks=6).tick_values(lo, hi)
        vals = [v for v in vals if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
        if len(vals) > 6:
            k = int(np.ceil(len(vals) / 5))
            vals = vals[::k]
        return [(float(v), _sci(v)) for v in vals]
    vals = MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    vals = [v for v in vals if lo - 1e-9 * (hi - lo) <= v <= hi + 1e-9 * (hi - lo)]
    return [(float(v), f"{v:.4g}".replace("-", "−")) for v in vals]


def _sci(v: float) -> str:
    e = int(round(np.log10(v)))
    if abs(v - 10.0**e) > 1e-9 * v:
        return f"{v:.2g}"
    if -2 <= e <= 3:
        return f"{10.0**e:g}"
    sup = str(e).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return "10" + sup


@dataclass
class Axis:
    """A fixed axis: limits, log scale and label; ticks are chosen from the limits."""

    lo: float
    hi: float
    label: str
    log: bool = False
    ticks: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"Axis needs finite lo < hi; got {self.lo!r}, {self.hi!r}")
        if self.log and self.lo <= 0:
            raise ValueError(f"a log Axis needs lo > 0; got {self.lo!r}")
        if not self.ticks:
            self.ticks = _ticks(self.lo, self.hi, self.log)

    def frac(self, v: Any) -> np.ndarray:
        """Positions as fractions of the axis (0 at ``lo``, 1 at ``hi``); +-inf clipped far outside."""
        v = np.asarray(v, dtype=float)
        with np.errstate(all="ignore"):
            if self.log:
                t = (np.log10(v) - np.log10(self.lo)) / (np.log10(self.hi) - np.log10(self.lo))
                t = np.where(v <= 0, -np.inf, t)
            else:
                t = (v - self.lo) / (self.hi - self.lo)
        return np.clip(t, -_PAD, 1 + _PAD, where=~np.isnan(t), out=np.array(t, dtype=float))

    def spec(self) -> dict:
        return {"label": self.label, "ticks": [[round(float(self.frac(v)), 5), s] for v, s in self.ticks]}


@dataclass
class Panel:
    """One plot: a fixed x and y axis, an optional background image, optional horizontal guides."""

    x: Axis
    y: Axis
    image: str | None = None
    aspect: float | None = None      # height / width of the plot box, when it must be kept (equal axes)
    hlines: list = field(default_factory=list)  # (y value, text)
    title: str = ""

    def spec(self) -> dict:
        return {"x": self.x.spec(), "y": self.y.spec(), "image": self.image, "aspect": self.aspect,
                "title": self.title,
                "hlines": [[round(float(self.y.frac(v)), 5), t] for v, t in self.hlines]}


def _encode(x: np.ndarray, *ys: np.ndarray, tol: float = 1.5e-3, cap: int = 400,
            always: Sequence[int] = ()) -> np.ndarray:
    """Quantize fractions to uint16, dropping points within ``tol`` of the last kept one; NaN -> gap.

    Indices in ``always`` are kept (the ends of the book's step counts, so a truncated curve ends exactly).
    """
    x = np.asarray(x, dtype=float)
    ys = [np.asarray(y, dtype=float) for y in ys]
    ok = np.isfinite(x) & np.all([np.isfinite(y) for y in ys], axis=0)
    last = np.flatnonzero(ok)
    n = int(last[-1]) + 1 if last.size else 0
    x, ys, ok = x[:n], [y[:n] for y in ys], ok[:n]
    keep = np.zeros(n, dtype=bool)
    prev = None
    for i in range(n):  # a short Python loop over at most a few hundred points
        if not ok[i]:
            keep[i] = prev is not None  # one gap marker after a finite run
            prev = None
            continue
        cur = np.array([x[i]] + [y[i] for y in ys])
        if prev is None or i == n - 1 or i in always or np.max(np.abs(cur - prev)) > tol:
            keep[i], prev = True, cur
    idx = np.flatnonzero(keep)
    if idx.size > cap:
        must = [i for i in always if i < n and keep[i]]
        idx = np.unique(np.r_[idx[:: int(np.ceil(idx.size / cap))], idx[-1], must]).astype(int)
    cols = [x[idx]] + [y[idx] for y in ys]
    q = [np.where(np.isfinite(c), np.round((c + _PAD) / (1 + 2 * _PAD) * _SPAN), GAP) for c in cols]
    return np.concatenate([[idx.size]] + q).astype("<u2")


class StaticFigure:
    """What the book's page draws: controls, panels, items with their series and words.

    Parameters
    ----------
    title : str
    controls : list of dict
        ``{"name", "label", "kind" ("slider", "choice", "toggle"), "values", "index"}``;
        ``values`` are the book's values, ``index`` the initial one.
    panels : list of Panel
    items : list of dict
        ``{"name", "color", "dash", "deps": [control names], "series": [(panel index, kind)]}``
        with kind ``"path"`` (x, y; start and end marked), ``"line"`` (x, y) or ``"band"`` (x, low, high).
    prefix : dict, optional
        ``{"name": control, "axis": Axis of the steps}``: a control that shows the first ``T`` steps of
        every series instead of its own runs (the step count ``T``). Lines and bands then have the step
        as their x; paths get the step as a third stored column; ``put`` takes one line of words per
        value of that control.
    """

    def __init__(self, title: str, controls: list[dict], panels: list[Panel], items: list[dict],
                 prefix: dict | None = None) -> None:
        self.title, self.controls, self.panels, self.items = title, controls, panels, items
        self.prefix = prefix
        if prefix is not None and prefix["name"] not in [c["name"] for c in controls]:
            raise ValueError(f"prefix control {prefix['name']!r} is not a control")
        names = [c["name"] for c in controls]
        for it in items:
            bad = [d for d in it["deps"] if d not in names]
            if bad:
                raise ValueError(f"item {it['name']!r} depends on {bad[0]!r}, which is not a control")
        self._data: dict[tuple[str, int], tuple[list[np.ndarray], str, int]] = {}

    def combos(self, item: dict) -> list[dict[str, Any]]:
        """Every setting of ``item``'s controls, in storage order (the last control varies fastest)."""
        ctl = {c["name"]: c for c in self.controls}
        grids = [ctl[d]["values"] for d in item["deps"]]
        out = [{}]
        for d, vals in zip(item["deps"], grids):
            out = [{**o, d: v} for o in out for v in vals]
        return out

    def put(self, item: str, k: int, arrays: Sequence[Sequence[np.ndarray]], words: Any, diverged: Any = -1) -> None:
        """Store combination ``k`` of ``item``: one tuple of arrays per series (in data units).

        With a ``prefix`` control, a path's tuple is (x, y, step) and ``words``/``diverged`` are lists,
        one entry per value of that control.
        """
        it = next(i for i in self.items if i["name"] == item)
        if len(arrays) != len(it["series"]):
            raise ValueError(f"item {item!r} has {len(it['series'])} series; got {len(arrays)} arrays")
        always = ()
        if self.prefix is not None:
            ctl = next(c for c in self.controls if c["name"] == self.prefix["name"])
            always = {int(v) for v in ctl["values"]}
            if isinstance(words, str) or len(words) != len(ctl["values"]):
                raise ValueError(f"with a prefix control, give one line of words per value of {ctl['name']!r}")
        enc = []
        for (p, kind), arr in zip(it["series"], arrays):
            panel = self.panels[p]
            x = panel.x.frac(arr[0])
            if kind == "path" and self.prefix is not None:
                ys = [panel.y.frac(arr[1]), self.prefix["axis"].frac(arr[2])]
            else:
                ys = [panel.y.frac(a) for a in arr[1:]]
            enc.append(_encode(x, *ys, always=always))
        div = [int(d) for d in diverged] if self.prefix is not None else int(diverged)
        self._data[(item, k)] = (enc, words, div)

    def payload(self) -> dict:
        blobs, words = [], []
        for it in self.items:
            w = []
            for k in range(len(self.combos(it))):
                if (it["name"], k) not in self._data:
                    raise ValueError(f"item {it['name']!r}: combination {k} was never stored")
                enc, text, div = self._data[(it["name"], k)]
                blobs.extend(enc)
                w.append([[t, d] for t, d in zip(text, div)] if self.prefix is not None else [text, div])
            words.append(w)
        raw = np.concatenate(blobs).astype("<u2").tobytes() if blobs else b""
        return {
            "title": self.title,
            "controls": [{**c, "labels": c.get("labels") or [str(v) for v in c["values"]],
                          "values": [v if isinstance(v, (bool, str)) else float(v) for v in c["values"]]}
                         for c in self.controls],
            "panels": [p.spec() for p in self.panels],
            "items": [{k: it[k] for k in ("name", "color", "dash", "deps", "series")} for it in self.items],
            "prefix": None if self.prefix is None else {
                "name": self.prefix["name"], "lo": float(self.prefix["axis"].lo), "hi": float(self.prefix["axis"].hi)},
            "data": base64.b64encode(zlib.compress(raw, 9)).decode("ascii"),
            "words": base64.b64encode(zlib.compress(json.dumps(words).encode(), 9)).decode("ascii"),
        }

    def html(self, *, alt: str, description: str, still: str | None, note: str = "") -> str:
        """The explorer's ``text/html``: a still image and a note, replaced by the sliders when the script runs."""
        data = json.dumps(self.payload(), separators=(",", ":"))
        uid = "dx" + hashlib.sha1(data.encode()).hexdigest()[:10]
        esc = _html.escape
        safe = data.replace("</", "<\\/")
        img = (f'<img src="{still}" alt="{esc(alt, quote=True)}" style="max-width:100%;height:auto">'
               if still else "")
        return (
            f'<div class="descent-explorer" id="{uid}" style="max-width:760px">'
            + (f'<p style="margin:0 0 4px 0"><b>{esc(self.title)}</b></p>' if self.title else "")
            + f'<div class="dx-still">{img}<p class="dx-note" style="margin:2px 0;font-size:90%">'
            f"Run this cell for live sliders.{(' ' + esc(note)) if note else ''}</p></div>"
            f'<p class="dx-desc" style="margin:2px 0;font-size:90%">{esc(description)}</p>'
            f'<script type="application/json" class="dx-payload">{safe}</script>'
            "</div>"
            f"<script>{script()}\nDescentExplorer.mount(document.getElementById('{uid}'));</script>"
        )

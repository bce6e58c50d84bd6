/* Descent explorer renderer: precomputed runs, redrawn in the browser without a kernel.
   Part of the descent package (descent/explore/_static/explorer.js); loads nothing from outside. */
(function () {
  "use strict";
  if (window.DescentExplorer) return;
  var SVG = "http" + ":/" + "/www.w3.org/2000/svg", GAP = 65535, SPAN = 65534, PAD = 0.5;
  var FONT = 12;

  function el(tag, attrs, parent, ns) {
    var e = ns ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(tag, attrs, parent) { return el(tag, attrs, parent, true); }
  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function inflate(b64) {
    var ds = new DecompressionStream("deflate");
    return new Response(new Blob([bytes(b64)]).stream().pipeThrough(ds)).arrayBuffer();
  }
  var css = ".descent-explorer .dx-controls{display:flex;flex-wrap:wrap;gap:4px 18px;margin:4px 0}" +
    ".descent-explorer .dx-ctl{display:flex;align-items:center;gap:6px;font-size:14px;min-width:220px;flex:1 1 220px;max-width:340px}" +
    ".descent-explorer .dx-ctl input[type=range]{flex:1 1 auto;min-width:90px}" +
    ".descent-explorer .dx-ctl output{font-family:monospace;min-width:7.5em;white-space:nowrap}" +
    ".descent-explorer .dx-ctl span{white-space:nowrap}" +
    ".descent-explorer .dx-show{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:14px;margin:2px 0}" +
    ".descent-explorer .dx-show label{display:inline-flex;align-items:center;gap:4px}" +
    ".descent-explorer .dx-panels{display:flex;flex-wrap:wrap;gap:8px}" +
    ".descent-explorer svg text{font:" + FONT + "px sans-serif;fill:#222}" +
    ".descent-explorer .dx-words{font-family:monospace;font-size:13px;line-height:1.35;margin:4px 0}" +
    ".descent-explorer .dx-words span.sw{font-weight:bold}";

  function mount(root) {
    if (!root || root.dataset.dxMounted) return;
    root.dataset.dxMounted = "1";
    var P = JSON.parse(root.querySelector("script.dx-payload").textContent);
    Promise.all([inflate(P.data), inflate(P.words)]).then(function (r) {
      var words = JSON.parse(new TextDecoder().decode(r[1]));
      build(root, P, new Uint16Array(r[0]), words);
    }).catch(function (e) {
      var note = root.querySelector(".dx-note");
      if (note) note.textContent = "This browser cannot unpack the explorer (" + e + "); the picture shows the initial setting.";
    });
  }

  /* Split the flat uint16 buffer into per item, per combination, per series Float32Arrays of axis fractions. */
  function parse(P, buf) {
    var pos = 0, out = [];
    var sizes = {};
    P.controls.forEach(function (c) { sizes[c.name] = c.values.length; });
    P.items.forEach(function (it) {
      var n = 1;
      it.deps.forEach(function (d) { n *= sizes[d]; });
      var combos = [];
      for (var k = 0; k < n; k++) {
        var series = [];
        it.series.forEach(function (s) {
          var m = buf[pos++], dims = s[1] === "band" || (s[1] === "path" && P.prefix) ? 3 : 2, cols = [];
          for (var d = 0; d < dims; d++) {
            var col = new Float32Array(m);
            for (var i = 0; i < m; i++) {
              var q = buf[pos++];
              col[i] = q === GAP ? NaN : q / SPAN * (1 + 2 * PAD) - PAD;
            }
            cols.push(col);
          }
          series.push(cols);
        });
        combos.push(series);
      }
      out.push(combos);
    });
    return out;
  }

  function build(root, P, buf, words) {
    if (!document.getElementById("descent-explorer-css")) {
      var st = document.createElement("style");
      st.id = "descent-explorer-css";
      st.textContent = css;
      document.head.appendChild(st);
    }
    var data = parse(P, buf);
    var still = root.querySelector(".dx-still");
    var state = {}, shown = P.items.map(function () { return true; });
    var box = el("div", {"class": "dx-live"});
    root.insertBefore(box, root.querySelector(".dx-desc"));
    if (still) still.style.display = "none";

    // controls: one real range input per slider, a select per menu, a check box per toggle
    var ctlBox = el("div", {"class": "dx-controls"}, box);
    P.controls.forEach(function (c) {
      state[c.name] = c.index;
      var lab = el("label", {"class": "dx-ctl"}, ctlBox), input, out;
      if (c.kind === "toggle") {
        input = el("input", {type: "checkbox"}, lab);
        input.checked = !!c.values[c.index];
        lab.appendChild(document.createTextNode(c.label));
        input.addEventListener("change", function () { state[c.name] = input.checked ? 1 : 0; redraw(); });
      } else if (c.kind === "choice") {
        lab.appendChild(document.createTextNode(c.label + " "));
        input = el("select", {}, lab);
        c.labels.forEach(function (t, i) { var o = el("option", {value: i}, input); o.textContent = t; });
        input.value = String(c.index);
        input.addEventListener("change", function () { state[c.name] = +input.value; redraw(); });
      } else {
        var name = el("span", {}, lab);
        name.textContent = c.label;
        input = el("input", {type: "range", min: 0, max: c.values.length - 1, step: 1, value: c.index}, lab);
        out = el("output", {}, lab);
        var show = function () {
          var txt = c.label + " = " + c.labels[state[c.name]];
          out.textContent = "= " + c.labels[state[c.name]];
          input.setAttribute("aria-valuetext", txt);
        };
        input.setAttribute("aria-label", c.label);
        show();
        input.addEventListener("input", function () { state[c.name] = +input.value; show(); redraw(); });
      }
      input.dataset.control = c.name;
    });

    // which items are shown (the live explorer's check boxes), with their line style
    var showBox = el("div", {"class": "dx-show"}, box);
    P.items.forEach(function (it, i) {
      var lab = el("label", {}, showBox);
      var cb = el("input", {type: "checkbox"}, lab);
      cb.checked = true;
      var sw = svg("svg", {width: 28, height: 10, "aria-hidden": "true"}, lab);
      svg("line", {x1: 1, y1: 5, x2: 27, y2: 5, stroke: it.color, "stroke-width": 2.5, "stroke-dasharray": it.dash || null}, sw);
      lab.appendChild(document.createTextNode(it.name));
      cb.addEventListener("change", function () { shown[i] = cb.checked; redraw(); });
    });

    var figBox = el("div", {"class": "dx-panels", role: "img", "aria-label": root.querySelector(".dx-still img") ?
      root.querySelector(".dx-still img").getAttribute("alt") : P.title}, box);
    var wordBox = el("div", {"class": "dx-words", "aria-live": "polite"}, box);
    var panels = [], width = 0;

    function layout() {
      width = Math.max(280, Math.min(root.clientWidth || 700, 760));
      figBox.innerHTML = "";
      panels = [];
      var n = P.panels.length, side = n > 1 && width >= 560;
      var pw = side ? Math.floor((width - 8 * (n - 1)) / n) : width;
      var m = {l: 54, r: 10, t: 22, b: 38};
      var hAll = 0;
      P.panels.forEach(function (p) {
        var w = pw - m.l - m.r, h = p.aspect ? w * p.aspect : w * 0.7;
        h = Math.max(Math.min(h, w * 1.05, 330), 150);
        hAll = Math.max(hAll, h);
      });
      P.panels.forEach(function (p, pi) {
        var w = pw - m.l - m.r, h = side ? hAll : Math.max(Math.min(p.aspect ? w * p.aspect : w * 0.7, w * 1.05, 330), 150);
        var s = svg("svg", {width: pw, height: h + m.t + m.b, viewBox: "0 0 " + pw + " " + (h + m.t + m.b)}, figBox);
        var clipId = root.id + "-clip" + pi;
        var defs = svg("defs", {}, s);
        var cp = svg("clipPath", {id: clipId}, defs);
        svg("rect", {x: 0, y: 0, width: w, height: h}, cp);
        var g = svg("g", {transform: "translate(" + m.l + "," + m.t + ")"}, s);
        svg("rect", {x: 0, y: 0, width: w, height: h, fill: "#fff", stroke: "none"}, g);
        if (p.image) svg("image", {href: p.image, x: 0, y: 0, width: w, height: h, preserveAspectRatio: "none"}, g);
        var X = function (f) { return f * w; }, Y = function (f) { return h - f * h; };
        p.x.ticks.forEach(function (t) {
          if (!p.image) svg("line", {x1: X(t[0]), x2: X(t[0]), y1: 0, y2: h, stroke: "#e3e3e3"}, g);
          svg("line", {x1: X(t[0]), x2: X(t[0]), y1: h, y2: h + 4, stroke: "#444"}, g);
          var tx = svg("text", {x: X(t[0]), y: h + 16, "text-anchor": "middle"}, g); tx.textContent = t[1];
        });
        p.y.ticks.forEach(function (t) {
          if (!p.image) svg("line", {x1: 0, x2: w, y1: Y(t[0]), y2: Y(t[0]), stroke: "#e3e3e3"}, g);
          svg("line", {x1: -4, x2: 0, y1: Y(t[0]), y2: Y(t[0]), stroke: "#444"}, g);
          var ty = svg("text", {x: -6, y: Y(t[0]) + 4, "text-anchor": "end"}, g); ty.textContent = t[1];
        });
        svg("rect", {x: 0, y: 0, width: w, height: h, fill: "none", stroke: "#666"}, g);
        p.hlines.forEach(function (hl) {
          svg("line", {x1: 0, x2: w, y1: Y(hl[0]), y2: Y(hl[0]), stroke: "#777", "stroke-dasharray": "2 3"}, g);
          var t = svg("text", {x: w - 4, y: Y(hl[0]) - 4, "text-anchor": "end"}, g); t.textContent = hl[1];
        });
        var xl = svg("text", {x: w / 2, y: h + 33, "text-anchor": "middle"}, g); xl.textContent = p.x.label;
        var yl = svg("text", {x: -50, y: -8}, g); yl.textContent = p.y.label;
        yl.setAttribute("font-weight", "bold");
        var layer = svg("g", {"clip-path": "url(#" + clipId + ")"}, g);
        panels.push({layer: layer, X: X, Y: Y, w: w, h: h, marks: svg("g", {"clip-path": "url(#" + clipId + ")"}, g)});
      });
      // one set of artists per item and series, reused by every redraw
      P.items.forEach(function (it, i) {
        it._art = it.series.map(function (s) {
          var pn = panels[s[0]], a = {};
          if (s[1] === "band") {
            a.band = svg("path", {fill: it.color, "fill-opacity": 0.16, stroke: "none"}, pn.layer);
          } else {
            a.line = svg("path", {fill: "none", stroke: it.color, "stroke-width": 2,
              "stroke-dasharray": it.dash || null, "stroke-linejoin": "round"}, pn.layer);
            if (s[1] === "path") {
              a.start = svg("circle", {r: 4, fill: it.color, stroke: "#000", "stroke-width": 0.8}, pn.marks);
              a.end = svg("rect", {width: 8, height: 8, fill: it.color, stroke: "#000", "stroke-width": 0.8}, pn.marks);
            } else {
              a.cross = svg("path", {stroke: it.color, "stroke-width": 2.5, fill: "none"}, pn.marks);
            }
          }
          return a;
        });
      });
      redraw();
    }

    function comboIndex(it) {
      var k = 0;
      it.deps.forEach(function (d) {
        var c = P.controls.find(function (c) { return c.name === d; });
        k = k * c.values.length + state[d];
      });
      return k;
    }

    function pathD(pn, xs, ys) {
      var d = "", pen = false;
      for (var i = 0; i < xs.length; i++) {
        var x = xs[i], y = ys[i];
        if (x !== x || y !== y) { pen = false; continue; }
        d += (pen ? "L" : "M") + (pn.X(x)).toFixed(1) + " " + (pn.Y(y)).toFixed(1);
        pen = true;
      }
      return d;
    }

    function lastFinite(xs, ys) {
      for (var i = xs.length - 1; i >= 0; i--) if (xs[i] === xs[i] && ys[i] === ys[i]) return i;
      return -1;
    }

    function clampY(pn, y) { return Math.max(4, Math.min(pn.h - 4, pn.Y(y))); }

    // with a step-count control, every series is cut after that many steps (its step column)
    function upto(cols, tcol, tf) {
      var n = 0;
      while (n < tcol.length && !(tcol[n] > tf + 1e-6)) n++;
      if (n === tcol.length) return cols;
      return cols.map(function (c) { return c.subarray(0, n); });
    }

    function redraw() {
      var t0 = performance.now();
      var lines = [];
      var pc = P.prefix ? P.controls.find(function (c) { return c.name === P.prefix.name; }) : null;
      var si = pc ? state[pc.name] : 0, tf = pc ? (pc.values[si] - P.prefix.lo) / (P.prefix.hi - P.prefix.lo) : 0;
      P.items.forEach(function (it, i) {
        var k = comboIndex(it), series = data[i][k], on = shown[i], w = pc ? words[i][k][si] : words[i][k];
        it.series.forEach(function (s, j) {
          var a = it._art[j], pn = panels[s[0]], cols = series[j];
          if (pc) cols = upto(cols, s[1] === "path" ? cols[2] : cols[0], tf);
          if (a.band) {
            var up = pathD(pn, cols[0], cols[2]), xs = Array.from(cols[0]).reverse(), lo = Array.from(cols[1]).reverse();
            var dn = pathD(pn, xs, lo).replace(/^M/, "L");
            a.band.setAttribute("d", on && up ? up + dn + "Z" : "");
            return;
          }
          a.line.setAttribute("d", on ? pathD(pn, cols[0], cols[1]) : "");
          var last = lastFinite(cols[0], cols[1]);
          if (a.start) {
            var vis = on && last >= 0;
            a.start.setAttribute("visibility", vis ? "visible" : "hidden");
            a.end.setAttribute("visibility", vis ? "visible" : "hidden");
            if (vis) {
              a.start.setAttribute("cx", pn.X(cols[0][0])); a.start.setAttribute("cy", pn.Y(cols[1][0]));
              a.end.setAttribute("x", pn.X(cols[0][last]) - 4); a.end.setAttribute("y", pn.Y(cols[1][last]) - 4);
            }
          } else if (a.cross) {
            var cx = last >= 0 ? pn.X(cols[0][last]) : 0, cy = last >= 0 ? clampY(pn, cols[1][last]) : 0;
            a.cross.setAttribute("d", on && w[1] >= 0 && last >= 0 ?
              "M" + (cx - 5) + " " + (cy - 5) + "L" + (cx + 5) + " " + (cy + 5) + "M" + (cx - 5) + " " + (cy + 5) + "L" + (cx + 5) + " " + (cy - 5) : "");
          }
        });
        lines.push('<div><span class="sw" style="color:' + it.color + '">&#9632;</span> ' +
          (on ? escapeHtml(w[0]) : escapeHtml(it.name) + ": hidden") + "</div>");
      });
      wordBox.innerHTML = lines.join("");
      var ms = performance.now() - t0;
      root.dataset.redrawMs = ms.toFixed(3);
      (window.__descentRedraws = window.__descentRedraws || []).push(ms);
    }

    function escapeHtml(s) {
      return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; });
    }

    layout();
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        var nw = Math.max(280, Math.min(root.clientWidth || 700, 760));
        if (Math.abs(nw - width) > 8) layout();
      }).observe(root);
    }
    root.dataset.dxReady = "1";
  }

  window.DescentExplorer = {mount: mount};
})();

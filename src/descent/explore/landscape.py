r"""The landscape explorer: several optimizers on one landscape, paths and loss curves.

:func:`explore` builds one :class:`Explorer` for any landscape and one or more
optimizers::

    ex = explore(Rosenbrock(), {"SGD": lambda lr, momentum: SGD(lr=lr, momentum=momentum),
                                "Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2))},
                 x0=[-1.5, 2.0], steps=200)
    ex          # last line of a cell: live sliders (JupyterLab) or the kernel-free page (book)

Left: the contour of the objective with each optimizer's path (for 1-D
problems the graph of :math:`L` with the iterates); right:
:math:`L(\theta_t) - L^\star` against the step on a **fixed** log axis (its
range comes from the landscape, not from the runs, so moving a slider
compares like with like); above: the sliders, labelled in the book's notation,
and a check box per optimizer; below: one line per optimizer in words.
Every number comes from :func:`descent.explore.compute.run_many`, i.e. from
:func:`descent.run.minimize`. With mini-batches the runs are repeated over
``seeds``: the loss panel shows the median and the band from the smallest to
the largest seed, the path is the run with the median final loss, and the
words report medians.

The live figure is an ipympl canvas (no magic needed; ``%matplotlib inline``
stays the backend of every other figure). The lifecycle is ``__init__ ->
refresh() -> _draw()``: a slider change recomputes, moves the existing
artists with ``set_data`` and blits them over a cached background, so the
canvas sends only the changed pixels; only a change of the steps slider (the
x-axis) asks for a full draw. Without ipympl the figure is a PNG.
"""

from __future__ import annotations

import html as _html
from dataclasses import replace
from typing import Any, Mapping, Sequence

import numpy as np
import matplotlib as mpl
from matplotlib.figure import Figure

from .. import viz
from .._validation import check_float_array, check_in_range, check_int
from ..run import Trajectory
from .base import BaseExplorer, control_spec, ipympl_canvas
from .compute import pick, run_many, seed_stats, truncate, words
from .controls import Slider, as_control, label, limit
from .panels import _Panels, _curve_limits, loss_limits
from .factories import _ALWAYS, _KNOWN, _RESERVED, _Factory, _classes, _default_lr, _factories
from .static import Axis, Panel, StaticFigure, png_data_uri

__all__ = ["Explorer", "explore"]

_MAX_RUNS = 800  # book grid: runs per explorer, summed over optimizers
_START_BUDGET = 500  # start sliders join the book by default while the grid stays within this many runs

# ------------------------------------------------------------------ explorer
class Explorer(BaseExplorer):
    """A landscape explorer, live (ipywidgets + ipympl) and kernel-free; build it with :func:`explore`.

    Attributes
    ----------
    widget : ipywidgets.VBox
    sliders : dict of str -> ipywidgets widget
        One per control (``lr``, ``steps``, ``momentum``, ``x0_0``, ...).
    checkboxes : dict of str -> ipywidgets.Checkbox
        Which optimizers are shown.
    fig : matplotlib.figure.Figure
        The live figure; ``paths[name]`` / ``curves[name]`` are its artists.
    trajectories : dict of str -> Trajectory
        The runs currently shown (with a leading seed axis when ``seeds`` > 1).
    summaries : dict of str -> str
        The line in words per shown optimizer (medians over seeds).
    backend : str
        ``"ipympl"`` or ``"png"``.
    """

    def __init__(self, problem: Any, factories: dict[str, _Factory], x0: np.ndarray,
                 specs: dict[str, Slider], hyper: tuple[str, ...], *, tol: float | None,
                 title: str | None, seeds: list[int], backend: str, continuous_update: bool,
                 ylim: tuple[float, float] | None = None) -> None:
        import ipywidgets as w

        self.problem, self._factories = problem, factories
        self._hyper, self.tol, self.title, self.seeds = hyper, tol, title, seeds
        self.rng_seed = seeds[0]
        self._x0_default = x0
        self.names = list(factories)
        self._cache: dict[tuple, Trajectory] = {}
        self.dim = int(problem.dim)
        self._setup_controls(specs, continuous=continuous_update, dim=self.dim)
        self.specs = self.controls
        self.checkboxes = {n: w.Checkbox(value=True, description=n, indent=False,
                                         layout=w.Layout(width="auto")) for n in self.names}
        self.ylim = loss_limits(problem, x0, tol)
        if ylim is not None:
            self.ylim = (float(ylim[0]), float(ylim[1]), self.ylim[2])
        nseeds = len(seeds) if "batch_size" in specs else 1
        with mpl.rc_context(viz.style_rc() | {"font.size": 10, "axes.labelsize": 10, "xtick.labelsize": 9,
                                             "ytick.labelsize": 9}):
            # fixed margins, no layout engine: a redraw never re-solves the layout
            self.fig = Figure(figsize=(8.4, 3.4), dpi=100, layout="none")
            canvas = ipympl_canvas(self.fig) if backend in ("auto", "ipympl") else None
            if canvas is None and backend == "ipympl":
                raise ImportError("backend='ipympl' needs the ipympl package; install it or use backend='auto'")
            self.backend = "png" if canvas is None else "ipympl"
            if canvas is None:
                from matplotlib.backends.backend_agg import FigureCanvasAgg

                FigureCanvasAgg(self.fig)
                self._image = w.Image(format="png", layout=w.Layout(width="840px", max_width="100%"))
            self._panels = _Panels(self.fig, problem, self.names, tol, self.ylim, nseeds)
            top = 0.975 - 0.065 * self._panels.legend_rows
            self.fig.subplots_adjust(left=0.085, right=0.975, bottom=0.15, top=top, wspace=0.3)
        self.paths, self.curves = self._panels.paths, self._panels.curves
        self.summary = w.HTML()
        self.trajectories: dict[str, Trajectory] = {}
        self.summaries: dict[str, str] = {}
        self._background = None
        if self.backend == "ipympl":
            # Blitting: the changing artists are drawn over a cached background, which is
            # recaptured after every full draw (first display, resize, pan/zoom, new x-axis).
            for a in self._panels.artists():
                a.set_animated(True)
            self.fig.canvas.mpl_connect("draw_event", self._on_full_draw)
        self.refresh()

        self._observe(self.sliders.values())
        self._observe(self.checkboxes.values())
        grid = w.GridBox(list(self.sliders.values()),
                         layout=w.Layout(grid_template_columns="repeat(auto-fill, 280px)", grid_gap="2px 10px"))
        parts = [w.HTML(f"<b>{_html.escape(title)}</b>")] if title else []
        parts += [w.HBox([w.Label("show:")] + list(self.checkboxes.values())), grid,
                  canvas if canvas is not None else self._image, self.summary]
        self.widget = w.VBox(parts)

    # ---------------------------------------------------------------- controls
    @property
    def shown(self) -> list[str]:
        """Names of the optimizers currently shown."""
        return [n for n in self.names if self.checkboxes[n].value]

    def update(self, **values: Any) -> None:
        """Set slider values (clamped to their ranges) and recompute once.

        ``x0=(a, b)`` sets the start sliders, ``show=[names]`` the optimizers shown.
        Out-of-range values are clamped: ``update(beta2=1.0)`` gives 0.999.
        """
        if "x0" in values:
            for i, v in enumerate(np.atleast_1d(np.asarray(values.pop("x0"), dtype=float))):
                values[f"x0_{i}"] = v
        show = values.pop("show", None)
        if show is not None:
            show = [show] if isinstance(show, str) else list(show)
            bad = [n for n in show if n not in self.checkboxes]
            if bad:
                raise ValueError(f"show names an unknown optimizer {bad[0]!r}; the optimizers are {self.names}")
        self._hold = True
        try:
            self._set(values)
            if show is not None:
                for n, c in self.checkboxes.items():
                    c.value = n in show
        finally:
            self._hold = False
        self.refresh()

    # ----------------------------------------------------------------- compute
    def _optimizer(self, name: str, values: Mapping[str, Any]) -> Any:
        f = self._factories[name]
        opt = f.build(**{p: values[p] for p in self._hyper if f.takes(p)})
        if not (hasattr(opt, "init") and hasattr(opt, "update")):
            raise TypeError(f"optimizers[{name!r}] returned {opt!r}, which has no init/update")
        return opt

    def _setting(self, values: Mapping[str, Any]) -> tuple[np.ndarray, int, int | None]:
        x0 = np.array([values.get(f"x0_{i}", self._x0_default[i]) for i in range(self.dim)], dtype=float)
        return x0, int(values["steps"]), values.get("batch_size")

    def _key(self, name: str, values: Mapping[str, Any]) -> tuple:
        f = self._factories[name]
        x0, steps, batch = self._setting(values)
        return (name, tuple((p, values[p]) for p in self._hyper if f.takes(p)), tuple(x0), steps, batch)

    def _run(self, names: Sequence[str], values: Mapping[str, Any]) -> dict[str, Trajectory]:
        """Trajectories of ``names`` at ``values``: cached; one call of run_many for the rest."""
        out = {n: self._cache[k] for n in names if (k := self._key(n, values)) in self._cache}
        todo = [n for n in names if n not in out]
        if todo:
            x0, steps, batch = self._setting(values)
            new = run_many(self.problem, x0, {n: self._optimizer(n, values) for n in todo}, steps,
                           batch_size=batch, seeds=self.seeds if batch is not None else None)
            if len(self._cache) > 2048:
                self._cache.clear()
            for n in todo:
                out[n] = self._cache[self._key(n, values)] = new[n]
        return {n: out[n] for n in names}

    def refresh(self, draw: bool = True) -> None:
        """Recompute the shown runs for the current sliders, update the artists in place and redraw."""
        values, shown = self.values, self.shown
        trajs = self._run(shown, values)
        self.trajectories = trajs
        axes_changed = self._panels.show(trajs, values["steps"])
        self.summaries = {n: words(n, t, self.tol) for n, t in trajs.items()}
        rows = []
        for i, n in enumerate(self.names):
            text = _html.escape(self.summaries.get(n, f"{n}: hidden"))
            rows.append(f'<div><span style="color:{viz.style(i)["color"]}; font-weight:bold">&#9632;</span> '
                        f"{text}</div>")
        self.summary.value = '<div style="font-family: monospace; font-size: 90%">' + "".join(rows) + "</div>"
        if draw:
            self._draw(full=axes_changed)

    def _on_full_draw(self, event: Any) -> None:
        canvas = self.fig.canvas
        if canvas.is_saving():  # savefig draws everything itself, maybe at another dpi
            self._background = None
            return
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        for a in self._panels.artists():
            self.fig.draw_artist(a)

    def _draw(self, full: bool = True) -> None:
        if self.backend == "ipympl":
            canvas = self.fig.canvas
            if full or self._background is None:
                self._background = None
                canvas.draw_idle()  # the browser asks for a full draw; _on_full_draw follows it
            else:
                canvas.restore_region(self._background)
                for a in self._panels.artists():
                    self.fig.draw_artist(a)
                canvas.blit(self.fig.bbox)
        else:
            import io

            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
            self._image.value = buf.getvalue()

    # ------------------------------------------------------------ static view
    def book_controls(self) -> dict[str, Slider]:
        """Sliders in the book: every one not marked ``book=False``; the start sliders (without ``static``
        values or ``book=True``) only while the book's grid stays within _START_BUDGET runs."""
        return {n: self.controls[n] for n in self._book_names()}

    def _book_names(self) -> list[str]:
        chosen, starts = [], []
        for n, c in self.controls.items():
            if c.book is False:
                continue
            if n in ("x0_0", "x0_1") and c.static is None and c.book is None:
                starts.append(n)
            else:
                chosen.append(n)
        if starts:
            trial = {n: v for n, v in self._values_of(chosen + starts).items()}
            runs = sum(int(np.prod([len(trial[d]) for d in self._deps(f, trial)])) for f in self.names)
            if runs * (len(self.seeds) if "batch_size" in self.controls else 1) <= _START_BUDGET:
                chosen += starts
        return [n for n in self.controls if n in chosen]

    def _values_of(self, names: list[str]) -> dict[str, list]:
        multi = sum(1 for n in names if n not in ("lr", "steps", "x0_0", "x0_1")) > 0
        grid = {}
        for n in names:
            c = self.controls[n]
            if n == "steps" and c.static is None:  # the first T steps of the initial runs: no extra runs
                T = int(c.value)
                grid[n] = sorted({max(1, round(T * f)) for f in (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1)})
            elif n in ("x0_0", "x0_1") and c.static is None:  # starts: 6 round values across the box
                vals = np.linspace(c.low, c.high, 6)
                grid[n] = sorted({c.clamp(float(f"{v:.2g}")) for v in vals} | {c.clamp(c.value)})
            else:
                grid[n] = c.grid(10 if multi else 12)
        return {n: v for n, v in grid.items() if len(v) > 1}  # a slider with one value moves nothing

    def _grid(self) -> dict[str, list]:
        return self._values_of(self._book_names())

    def _deps(self, name: str, grid: Mapping[str, list]) -> list[str]:
        f = self._factories[name]
        return [n for n in grid if (n in self._hyper and f.takes(n)) or (n in _RESERVED and n != "steps")]

    def _item_runs(self, name: str, deps: list[str], combos: list[dict], steps: int) -> list[Trajectory]:
        base = {**self.values, "steps": steps}
        vals = [{**base, **c} for c in combos]
        starts = ("x0_0", "x0_1")
        if base.get("batch_size") is None and deps and all(d in self._hyper or d in starts for d in deps) \
                and len(combos) > 1:
            try:  # every combination in one minimize call: arrays of shape (R, 1) and (R, d)
                cols = {d: np.array([float(c[d]) for c in combos])[:, None] for d in deps if d not in starts}
                opt = self._optimizer(name, {**base, **cols})
                X0 = np.array([self._setting(v)[0] for v in vals])
                many = run_many(self.problem, X0, {name: opt}, steps)[name]
                return [pick(many, (r,)) for r in range(len(combos))]
            except (TypeError, ValueError):
                pass  # a factory that needs scalars: one combination at a time
        return [self._run([name], v)[name] for v in vals]

    def static_figure(self) -> StaticFigure:
        """The book's view: every combination of the book sliders' values, computed now."""
        grid = self._grid()
        current = self.values
        controls = [control_spec(n, self.controls[n], vals, current[n], self.dim) for n, vals in grid.items()]
        panels = []
        if self.dim == 2:
            (x0, x1), (y0, y1) = [(float(a), float(b)) for a, b in self.problem.bounds]
            panels.append(Panel(Axis(x0, x1, "θ₁"), Axis(y0, y1, "θ₂"), image=self._background_png(),
                                aspect=(y1 - y0) / (x1 - x0)))
        elif self.dim == 1:
            (x0, x1), = [(float(a), float(b)) for a, b in self.problem.bounds]
            lo, hi = _curve_limits(self.problem)
            panels.append(Panel(Axis(x0, x1, "θ"), Axis(lo, hi, "L(θ)"), image=self._background_png()))
        steps_max = int(max(grid.get("steps", [current["steps"]])))
        ylo, yhi, ylog = self.ylim
        finite = np.isfinite(getattr(self.problem, "min_value", np.nan))
        xaxis = Axis(0, steps_max, "step t")
        loss = Panel(xaxis, Axis(ylo, yhi, "L(θₜ) − L*" if finite else "L(θₜ)", log=ylog),
                     hlines=[(self.tol, f"tol = {self.tol:g}")] if self.tol is not None and finite else [])
        panels.append(loss)
        li = len(panels) - 1
        stochastic = "batch_size" in self.controls and len(self.seeds) > 1
        items = []
        for i, n in enumerate(self.names):
            st = viz.style(i)
            series = ([(0, "path")] if self.dim <= 2 else []) + ([(li, "band")] if stochastic else []) + [(li, "line")]
            items.append({"name": n, "color": st["color"], "dash": _dash(st["linestyle"]),
                          "deps": self._deps(n, grid), "series": series})
        Ts = [int(v) for v in grid["steps"]] if "steps" in grid else None
        fig = StaticFigure(self.title or "", controls, panels, items,
                           prefix={"name": "steps", "axis": xaxis} if Ts else None)
        total = sum(len(fig.combos(it)) for it in items)
        if total > _MAX_RUNS:
            raise ValueError(f"the book's grid needs {total} runs (more than {_MAX_RUNS}): give the sliders fewer "
                             f"static values, or mark some live only with Slider(..., book=False)")
        for it in items:
            combos = fig.combos(it)
            for k, t in enumerate(self._item_runs(it["name"], it["deps"], combos, steps_max)):
                med, lo, hi, j = seed_stats(t)
                steps = np.arange(med.shape[0])
                arrays = []
                for _, kind in it["series"]:
                    if kind == "path":
                        pts = t.points if t.points.ndim == 2 else t.points[:, j]
                        if self.dim == 2:
                            xy = (pts[:, 0], pts[:, 1])
                        else:
                            xy = (pts[:, 0], t.losses if t.losses.ndim == 1 else t.losses[:, j])
                        arrays.append(xy + ((steps,) if Ts else ()))
                    elif kind == "band":
                        arrays.append((steps, lo, hi))
                    else:
                        arrays.append((steps, med))
                parts = [truncate(t, T) for T in Ts] if Ts else [t]
                text = [words(it["name"], p, self.tol) for p in parts]
                flags = [_flag(p) for p in parts]
                fig.put(it["name"], k, arrays, text if Ts else text[0], flags if Ts else flags[0])
        return fig

    def _background_png(self) -> str:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if self.dim == 2:
            (x0, x1), (y0, y1) = self.problem.bounds
            w = 420
            h = int(np.clip(w * (y1 - y0) / (x1 - x0), 150, 460))
        else:
            w, h = 420, 300
        with mpl.rc_context(viz.style_rc() | {"figure.constrained_layout.use": False}):
            fig = Figure(figsize=(w / 100, h / 100), dpi=100, layout="none")
            FigureCanvasAgg(fig)
            ax = fig.add_axes((0, 0, 1, 1))
            if self.dim == 2:
                viz.contour(self.problem, ax, resolution=120, equal=False)
            else:
                viz.curve(self.problem, ax)
                ax.set_ylim(*_curve_limits(self.problem))
            ax.set_axis_off()
            return png_data_uri(fig, colors=32)

    def _still_png(self) -> str:
        return png_data_uri(self.fig, dpi=80, colors=48)

    def _render_static(self) -> str:
        fig = self.static_figure()
        book = list(self.book_controls())
        live = [label(n, self.dim) for n in self.controls if n not in book]
        names = ", ".join(self.names)
        what = {2: "the contour of the landscape with each optimizer's path, and ",
                1: "the graph of the loss with each optimizer's iterates on it, and "}.get(self.dim, "")
        desc = (f"Explorer of {names} on {getattr(self.problem, 'name', type(self.problem).__name__)}: {what}"
                f"the gap to the minimum against the step on a fixed log axis. Sliders: "
                f"{', '.join(label(n, self.dim) for n in book) or 'none'}"
                + (f"; live only (run the notebook): {', '.join(live)}" if live else "") + ".")
        if "batch_size" in self.controls and len(self.seeds) > 1:
            desc += (f" Each setting is run with {len(self.seeds)} seeds: the line is the median, the band spans "
                     f"the smallest to the largest seed, and the words report medians.")
        alt = f"{self.title or 'Explorer'}: " + "; ".join(words(n, t, self.tol) for n, t in self.trajectories.items())
        return fig.html(alt=alt, description=desc, still=self._still_png())

    def __repr__(self) -> str:
        name = getattr(self.problem, "name", type(self.problem).__name__)
        return (f"Explorer: {name}, {len(self.names)} optimizer{'s' * (len(self.names) != 1)} "
                f"({', '.join(self.names)}); sliders {', '.join(self.sliders)}")


def _flag(t: Trajectory) -> int:
    """The divergence step the loss panel marks: the run's, or the median over seeds when most diverged."""
    div = np.asarray(t.divergence_steps)
    if div.ndim == 0:
        return int(div)
    return int(np.median(div)) if 2 * np.sum(div >= 0) > div.size else -1


def _dash(ls: Any) -> str | None:
    return {"-": None, "--": "7 4", "-.": "7 3 2 3", ":": "2 3"}.get(ls, "9 3 2 3") if isinstance(ls, str) \
        else "6 2 2 2"


# ------------------------------------------------------------------ builder
def explore(
    problem: Any,
    optimizers: Any,
    x0: Any,
    *,
    steps: int = 100,
    sliders: Mapping[str, Any] | None = None,
    static: Mapping[str, Sequence[Any]] | bool | None = None,
    tol: float | None = None,
    title: str | None = None,
    batch_size: int | None = None,
    rng_seed: int = 0,
    seeds: int | Sequence[int] | None = None,
    backend: str = "auto",
    continuous_update: bool = True,
    static_mode: str | None = None,
    ylim: tuple[float, float] | None = None,
) -> Explorer:
    r"""Build an explorer: sliders over hyperparameters, paths and loss curves of several optimizers.

    Parameters
    ----------
    problem : landscape
        Any :mod:`descent.landscapes` problem; the path panel shows its contour
        (2-D) or graph (1-D), and is left out for higher dimensions.
    optimizers : dict name -> factory, or list of optimizer classes
        A factory is called with the slider values named in its signature,
        e.g. ``{"Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2))}``.
        A class gets ``lr``, ``momentum`` and ``betas`` (from ``beta1``,
        ``beta2``) when it accepts them, plus any slider you add by name.
    x0 : array, shape (d,)
        The start; for 1-D and 2-D problems it also gets sliders (``x0_0``, ``x0_1``).
    steps : int >= 1, default 100
        Initial number of updates (a slider up to ``4 * steps``).
    sliders : dict name -> Slider (or an ``interact`` abbreviation), optional
        Override or add sliders. Defaults: ``lr`` (log), ``steps``, and
        ``momentum``/``beta1``/``beta2`` when a factory takes them. Ranges are
        clipped to the optimizers' declared ranges (``RANGES``).
    static : {name: values}, False or None
        Values the book precomputes for these sliders (each also shown in the
        book). By default every slider is in the book over a default grid:
        hyperparameters over round values, ``steps`` as the first ``T`` steps
        of the same runs, and the start over a grid across the box while the
        book's grid stays within 500 runs (else the start is live only, and the
        page says so). ``Slider(..., book=False)`` makes one slider live only;
        ``False`` here: no slider in the book (one still setting).
    tol : float > 0, optional
        Report the first step with :math:`L(\theta_t) - L^\star \le` ``tol``.
    title : str, optional
    batch_size : int, optional
        For finite sums: mini-batch size (a log slider); runs are repeated over ``seeds``.
    rng_seed : int, default 0
        The first seed.
    seeds : int or sequence of int, optional
        Seeds of the mini-batch runs (an int ``S``: ``rng_seed, ..., rng_seed + S - 1``);
        default 5 seeds with ``batch_size``.
    backend : {"auto", "ipympl", "png"}
    continuous_update : bool, default True
    static_mode : ignored (kept for old calls)
    ylim : (low, high), optional
        Limits of the loss panel (of :math:`L - L^\star` when the problem knows
        :math:`L^\star`, then on a log axis, so ``0 < low < high``). By default they
        come from the landscape: the plotting box for 1-D and 2-D problems, the
        start alone in higher dimensions, where a run that climbs above the
        start leaves the panel.

    Returns
    -------
    Explorer

    Examples
    --------
    >>> from descent.landscapes import Rosenbrock
    >>> from descent.optim import SGD, Adam
    >>> ex = explore(Rosenbrock(), [SGD, Adam], x0=[-1.5, 2.0], steps=50, backend="png")
    >>> ex.update(lr=1.0)
    >>> ex.summaries["SGD"]
    'SGD: diverged at step 2'
    """
    factories = _factories(optimizers)
    for attr in ("value", "grad", "dim"):
        if not hasattr(problem, attr):
            raise TypeError(f"problem must be a landscape with value, grad and dim; {problem!r} has no {attr!r}")
    d = int(problem.dim)
    x0 = check_float_array("x0", np.asarray(x0, dtype=float), min_ndim=1, last_dim=d)
    if x0.ndim != 1:
        raise ValueError(f"x0 must be one start point of shape ({d},); got shape {x0.shape}")
    steps = check_int("steps", steps, 1)
    if tol is not None:
        tol = check_in_range("tol", tol, 0.0, None, low_open=True, allow_array=False)
    rng_seed = check_int("rng_seed", rng_seed, 0)
    if backend not in ("auto", "ipympl", "png"):
        raise ValueError(f"backend must be 'auto', 'ipympl' or 'png'; got {backend!r}")
    if seeds is None:
        seeds = 5 if batch_size is not None else 1
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = list(range(rng_seed, rng_seed + check_int("seeds", seeds, 1, 64)))
    seeds = [check_int("seeds[i]", s, 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    user = {n: as_control(n, s) for n, s in (sliders or {}).items()}
    for n, s in user.items():
        if not isinstance(s, Slider):
            raise TypeError(f"sliders[{n!r}] must be a Slider(low, high, value, ...) or (low, high); got {s!r}")

    classes = _classes(factories)
    hyper: dict[str, Slider] = {}
    for f in factories.values():
        for p in f.params:
            if p in _RESERVED:
                raise ValueError(f"optimizers[{f.name!r}] takes {p!r}, a name reserved for the explorer's own sliders")
            if p in hyper or not (p in user or p in _ALWAYS or p in f.required):
                continue
            if p in user:
                spec = user[p]
            elif p == "lr":
                spec = _default_lr(problem)
            elif p in _KNOWN:
                spec = _KNOWN[p]
                if p in f.defaults and spec.low <= f.defaults[p] <= spec.high:
                    spec = replace(spec, value=f.defaults[p])
            else:
                raise ValueError(f"optimizers[{f.name!r}] needs {p!r}: pass sliders={{{p!r}: Slider(low, high, value)}}")
            hyper[p] = limit(p, spec, classes)
    for f in factories.values():
        if f.any_kwargs:
            hyper.update({p: limit(p, s, classes) for p, s in user.items() if p not in _RESERVED and p not in hyper})
    specs: dict[str, Slider] = dict(hyper)
    specs["steps"] = limit("steps", user.get("steps", Slider(1, max(10, 4 * steps), steps)))
    if d in (1, 2):
        for i, (lo, hi) in enumerate(problem.bounds):
            lo, hi = min(float(lo), float(x0[i])), max(float(hi), float(x0[i]))
            specs[f"x0_{i}"] = user.get(f"x0_{i}", Slider(lo, hi, float(x0[i]), step=(hi - lo) / 200))
    if batch_size is not None:
        n = getattr(problem, "n_samples", None)
        if n is None:
            raise ValueError("batch_size needs a finite-sum problem (one with n_samples)")
        batch_size = check_int("batch_size", batch_size, 1, int(n))
        specs["batch_size"] = user.get("batch_size", Slider(1, int(n), batch_size, log=True))
        if not specs["batch_size"].integer or specs["batch_size"].high > n or specs["batch_size"].low < 1:
            raise ValueError(f"the batch_size slider must be integer within [1, {n}]")
    unused = [n for n in user if n not in specs]
    if unused:
        raise ValueError(f"sliders has {unused[0]!r}, which no optimizer takes and the explorer does not use; "
                         f"the sliders are {sorted(specs)}")
    if static is False:
        specs = {n: replace(s, book=False) for n, s in specs.items()}
    elif static is not None:
        if not isinstance(static, Mapping):
            raise ValueError(f"static must be a {{name: values}} dict, False or None; got {static!r}")
        for key, vals in static.items():
            if key not in specs:
                raise ValueError(f"static scrubs {key!r}, which is not a slider; the sliders are {sorted(specs)}")
            vals = list(vals)
            if not 1 <= len(vals) <= 16:
                raise ValueError(f"static must give 1 to 16 values per slider; got {len(vals)} for {key!r}")
            specs[key] = replace(specs[key], static=tuple(vals), book=True)
    if ylim is not None:
        ylim = _check_ylim(ylim, log=np.isfinite(float(getattr(problem, "min_value", np.nan))))
    return Explorer(problem, factories, x0, specs, tuple(hyper), tol=tol, title=title, seeds=seeds,
                    backend=backend, continuous_update=continuous_update, ylim=ylim)


def _check_ylim(ylim: Any, *, log: bool) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in ylim)
    except (TypeError, ValueError):
        raise TypeError(f"ylim must be a pair (low, high) of numbers; got {ylim!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"ylim must be finite with low < high; got {ylim!r}")
    if log and low <= 0:
        raise ValueError(f"ylim is on a log axis of L - L* here, so low must be > 0; got {ylim!r}")
    return low, high

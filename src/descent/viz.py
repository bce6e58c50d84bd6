r"""One look for every figure in the book: style, contours, paths and loss curves.

Every chapter calls :func:`use_style` once in its setup cell; after that the
helpers here draw the recurring pictures of the book:

- :func:`contour` / :func:`curve`: a 2-D landscape's level sets (log-spaced
  around the minimum) or a 1-D function's graph, with its known minima and
  saddles marked;
- :func:`trajectory`: an optimizer's path :math:`\theta_0, \theta_1, \dots`
  with a circle at the start and a square at the end;
- :func:`loss_curves`: the suboptimality :math:`f(\theta_t) - f^\star` against
  the step :math:`t`, on a log scale when it spans decades, with an ``x``
  where a run diverged;
- :func:`small_multiples`: a grid of small panels for one experiment per panel;
- :func:`style`: colour, line style and marker of the ``i``-th method, so the
  same method looks the same in every chapter.

Colours come from the Okabe--Ito palette, which stays distinguishable under
the common colour-vision deficiencies, and every colour is paired with its own
line style, so colour never carries meaning alone.

The functions return the figure, axes or artists they create and never print.
In a notebook, end a plotting cell with ``;``, an assignment or
``plt.show()``, so that the last expression's repr (``<Figure size ...>`` or a
list of artists) does not appear as text under the figure.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np
>>> from descent import viz
>>> from descent.landscapes import Rosenbrock
>>> from descent.optim import Adam
>>> from descent.run import minimize
>>> rosen = Rosenbrock()
>>> traj = minimize(rosen, np.array([-1.5, 2.0]), Adam(lr=0.05), 300)
>>> cs = viz.contour(rosen)
>>> path = viz.trajectory(cs.axes, traj.points, label="Adam")
>>> path.line.get_label()
'Adam'
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
from cycler import cycler
import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._validation import check_int

__all__ = [
    "table",
    "OKABE_ITO",
    "LINESTYLES",
    "MARKERS",
    "use_style",
    "style_rc",
    "style",
    "contour",
    "curve",
    "trajectory",
    "loss_curves",
    "wants_log",
    "small_multiples",
    "PathArtists",
    "CurveArtists",
]

#: Okabe & Ito's colour-blind-safe palette, in the order methods receive it
#: (black last; yellow, too pale for thin lines on white, is left out).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
#: One line style per palette entry: solid, dashed, dash-dot, dotted, then dash patterns.
LINESTYLES: tuple[Any, ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1.5, 1, 1.5, 1, 1.5)),
    (0, (8, 2)),
    (0, (1, 1)),
)
#: One marker per palette entry, for markers along lines (``markevery``).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")

_STYLE_RC: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)) + cycler(linestyle=list(LINESTYLES)),
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "grid.alpha": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.0,
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}

# Light greys for filled contours: low values light, high values darker, so
# coloured paths and black markers stay readable on top.
_BACKGROUND = LinearSegmentedColormap.from_list("descent_levels", ["#fbfbfb", "#8f8f8f"])

_THETA = (r"$\theta_1$", r"$\theta_2$")


def style_rc() -> dict[str, Any]:
    """A copy of the rcParams that :func:`use_style` sets, for ``matplotlib.rc_context``."""
    return dict(_STYLE_RC)


def use_style() -> None:
    """Set the book's matplotlib defaults (idempotent: calling it again changes nothing).

    Sets readable font sizes, the Okabe--Ito colours combined with distinct line
    styles as the property cycle (the ``i``-th line drawn in an axes matches
    :func:`style` ``(i)``), a 6.4 x 4 inch figure at 100 dpi, constrained
    layout and a light grid. Inside IPython it also asks the inline backend for
    plain PNG figures (no retina doubling), which keeps notebooks small.
    """
    mpl.rcParams.update(_STYLE_RC)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a notebook dependency
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")


def style(i: int) -> dict[str, Any]:
    """Colour, line style and marker of the ``i``-th method (cycles after 7).

    Examples
    --------
    >>> style(1)["color"], style(1)["linestyle"]
    ('#D55E00', '--')
    """
    i = check_int("i", i, 0)
    k = len(OKABE_ITO)
    return {"color": OKABE_ITO[i % k], "linestyle": LINESTYLES[i % k], "marker": MARKERS[i % k]}


# --------------------------------------------------------------------- landscapes
def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller wants a fresh figure

    return plt.subplots()[1]


def _bounds(landscape: Any, bounds: Any, dim: int) -> tuple[tuple[float, float], ...]:
    b = landscape.bounds if bounds is None else bounds
    try:
        b = tuple((float(lo), float(hi)) for lo, hi in b)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be {dim} pairs (low, high); got {bounds!r}") from None
    if len(b) != dim or any(not (np.isfinite(lo) and np.isfinite(hi) and lo < hi) for lo, hi in b):
        raise ValueError(f"bounds must be {dim} finite pairs (low, high) with low < high; got {b!r}")
    return b


def _inside(points: np.ndarray, b: tuple[tuple[float, float], ...]) -> np.ndarray:
    points = np.asarray(points, dtype=float).reshape(-1, len(b))
    keep = np.all([(points[:, i] >= lo) & (points[:, i] <= hi) for i, (lo, hi) in enumerate(b)], axis=0)
    return points[keep]


def _levels(z: np.ndarray, min_value: float, n: int, log: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """Contour levels for grid values ``z``: returns (field, levels, is_log).

    Log levels are geometric in ``z - min_value`` between the 0.5th percentile
    of the positive gaps and the largest one; without a known finite minimum
    (or with ``log=False``) levels are linear, symmetric about 0 when ``z``
    takes both signs.
    """
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        raise ValueError("the landscape is not finite anywhere on the plotting grid")
    if log and np.isfinite(min_value):
        gap = z - min_value
        pos = gap[np.isfinite(gap) & (gap > 0)]
        if pos.size:
            hi = float(pos.max())
            lo = max(float(np.percentile(pos, 0.5)), hi * 1e-8)
            if hi > lo * 1.0001:
                return gap, np.geomspace(lo, hi, n), True
    lo, hi = float(finite.min()), float(finite.max())
    if lo < 0 < hi:
        m = max(-lo, hi)
        return z, np.linspace(-m, m, n), False
    if hi <= lo:
        hi = lo + 1.0
    return z, np.linspace(lo, hi, n), False


def contour(
    landscape: Any,
    ax: Axes | None = None,
    *,
    bounds: Any = None,
    levels: int = 20,
    log: bool = True,
    resolution: int = 200,
    mark: bool = True,
    filled: bool = True,
    equal: bool = True,
) -> ContourSet:
    r"""Level sets of a 2-D landscape, with its minima (stars) and saddles (x) marked.

    With ``log=True`` and a known minimum :math:`f^\star` the levels are
    geometrically spaced values of :math:`f(\theta) - f^\star`, so the basin
    around a minimum is resolved as well as the steep walls. For landscapes
    unbounded below (``min_value`` is ``nan``, e.g. ``Saddle``) the levels fall
    back to linear spacing, symmetric about 0 when :math:`f` changes sign.

    Parameters
    ----------
    landscape : object with ``value(x)``, ``dim == 2``, ``bounds``
        Any :mod:`descent.landscapes` problem in two dimensions.
    ax : Axes, optional
        Where to draw; a new figure is made with ``pyplot`` when None.
    bounds : ((xmin, xmax), (ymin, ymax)), optional
        The plotting box; the landscape's own ``bounds`` by default.
    levels : int >= 2, default 20
        Number of contour levels.
    log : bool, default True
        Log-spaced levels of the gap to the minimum (when it is known).
    resolution : int >= 10, default 200
        Grid points per axis.
    mark : bool, default True
        Mark ``landscape.minima`` (star) and ``landscape.saddles`` (x) inside the box.
    filled : bool, default True
        Filled bands in light greys (True) or grey contour lines (False).
    equal : bool, default True
        Equal scales on both axes, so the gradient looks orthogonal to the level sets.

    Returns
    -------
    ContourSet
        Its ``axes`` attribute is the axes drawn on; ``levels`` the levels used.
    """
    if getattr(landscape, "dim", None) != 2:
        raise ValueError(f"contour needs a 2-D landscape; got dim={getattr(landscape, 'dim', None)!r} (use curve for 1-D)")
    levels = check_int("levels", levels, 2)
    resolution = check_int("resolution", resolution, 10)
    ax = _new_axes(ax)
    b = _bounds(landscape, bounds, 2)
    xs, ys = np.linspace(*b[0], resolution), np.linspace(*b[1], resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        z = np.asarray(landscape.value(grid), dtype=float)
    field, lv, is_log = _levels(z, float(getattr(landscape, "min_value", np.nan)), levels, log)
    norm = mpl.colors.LogNorm(lv[0], lv[-1]) if is_log else mpl.colors.Normalize(lv[0], lv[-1])
    if is_log:
        field = np.where(field > 0, field, lv[0] / 2)  # exact minima on the grid: lowest band
    if filled:
        cs = ax.contourf(xs, ys, field, levels=lv, cmap=_BACKGROUND, norm=norm, extend="both")
    else:
        cs = ax.contour(xs, ys, field, levels=lv, cmap=_BACKGROUND, norm=norm, linewidths=0.7)
    if mark:
        mins = _inside(getattr(landscape, "minima", np.zeros((0, 2))), b)
        sads = _inside(getattr(landscape, "saddles", np.zeros((0, 2))), b)
        if len(mins):
            ax.plot(mins[:, 0], mins[:, 1], linestyle="none", marker="*", markersize=12, color="black",
                    markeredgecolor="white", markeredgewidth=0.8, label="minimum", zorder=4)
        if len(sads):
            ax.plot(sads[:, 0], sads[:, 1], linestyle="none", marker="x", markersize=8, color="black",
                    markeredgewidth=1.8, label="saddle", zorder=4)
    ax.set_xlim(b[0])
    ax.set_ylim(b[1])
    ax.set_xlabel(_THETA[0])
    ax.set_ylabel(_THETA[1])
    ax.grid(False)
    if equal:
        ax.set_aspect("equal", adjustable="box")
    return cs


def curve(
    landscape: Any,
    ax: Axes | None = None,
    *,
    bounds: Any = None,
    resolution: int = 400,
    mark: bool = True,
    color: str = "#4d4d4d",
) -> Line2D:
    r"""Graph of a 1-D landscape :math:`f(\theta)` over its box, minima marked with stars.

    Parameters
    ----------
    landscape : object with ``value(x)`` and ``dim == 1``
        For example :class:`descent.landscapes.DoubleWell`.
    ax : Axes, optional
        A new ``pyplot`` figure when None.
    bounds : ((low, high),), optional
        The plotting interval; the landscape's ``bounds`` by default.
    resolution : int >= 10, default 400
    mark : bool, default True
        Stars at ``minima``, triangles at ``maxima`` when the landscape lists them.
    color : str
        Colour of the graph (grey, so coloured iterates stand out).

    Returns
    -------
    Line2D
        The graph.
    """
    if getattr(landscape, "dim", None) != 1:
        raise ValueError(f"curve needs a 1-D landscape; got dim={getattr(landscape, 'dim', None)!r} (use contour for 2-D)")
    resolution = check_int("resolution", resolution, 10)
    ax = _new_axes(ax)
    b = _bounds(landscape, bounds, 1)
    xs = np.linspace(*b[0], resolution)
    with np.errstate(all="ignore"):
        ys = np.asarray(landscape.value(xs[:, None]), dtype=float)
    (line,) = ax.plot(xs, ys, color=color, linestyle="-", linewidth=1.5, label=r"$f(\theta)$")
    if mark:
        for attr, marker, size in (("minima", "*", 12), ("maxima", "^", 7)):
            pts = _inside(getattr(landscape, attr, np.zeros((0, 1))), b)
            if len(pts):
                with np.errstate(all="ignore"):
                    fv = np.asarray(landscape.value(pts), dtype=float)
                ax.plot(pts[:, 0], fv, linestyle="none", marker=marker, markersize=size, color="black",
                        markeredgecolor="white", markeredgewidth=0.8, zorder=4)
    ax.set_xlim(b[0])
    finite = ys[np.isfinite(ys)]
    if finite.size:  # fixed limits: iterates drawn later (even diverging ones) do not rescale the graph
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.06 * (hi - lo) if hi > lo else 1.0
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$f(\theta)$")
    return line


# ----------------------------------------------------------------------- paths
def _last_finite(mask: np.ndarray) -> int:
    """Index of the last True in ``mask``, -1 if none."""
    idx = np.flatnonzero(mask)
    return int(idx[-1]) if idx.size else -1


def _path_xy(points: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(points, dtype=float)
    if p.ndim == 2 and p.shape[1] == 2:
        return p[:, 0], p[:, 1]
    if p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1):
        if values is None:
            raise ValueError("a 1-D path needs values (f at each point) to be drawn on the curve")
        v = np.asarray(values, dtype=float).reshape(-1)
        if v.shape[0] != p.shape[0]:
            raise ValueError(f"values must have one entry per point ({p.shape[0]}); got {v.shape[0]}")
        return p.reshape(-1), v
    raise ValueError(f"points must have shape (T, 2), or (T,) / (T, 1) with values; got shape {p.shape}")


class PathArtists(NamedTuple):
    """The artists of one :func:`trajectory`: the path, its start and its end marker."""

    line: Line2D
    start: Line2D
    end: Line2D

    def set_data(self, points: Any, values: Any = None) -> None:
        """Replace the path in place (same artists, new data); NaN rows are skipped."""
        x, y = _path_xy(points, values)
        self.line.set_data(x, y)
        ok = np.isfinite(x) & np.isfinite(y)
        first, last = (int(np.argmax(ok)), _last_finite(ok)) if ok.any() else (-1, -1)
        self.start.set_data(x[first:first + 1] if first >= 0 else [], y[first:first + 1] if first >= 0 else [])
        self.end.set_data(x[last:last + 1] if last >= 0 else [], y[last:last + 1] if last >= 0 else [])

    def set_visible(self, visible: bool) -> None:
        """Show or hide all three artists."""
        for artist in self:
            artist.set_visible(visible)


def trajectory(
    ax: Axes,
    points: Any,
    *,
    label: str | None = None,
    style_index: int = 0,
    markevery: Any = None,
    values: Any = None,
    linewidth: float = 1.6,
) -> PathArtists:
    r"""Draw an optimizer's path :math:`\theta_0, \theta_1, \dots` with a circle at the start and a square at the end.

    Parameters
    ----------
    ax : Axes
        Usually the axes of :func:`contour` (2-D) or :func:`curve` (1-D).
    points : array, shape (T, 2); or (T,) / (T, 1) with ``values``
        The iterates, e.g. ``Trajectory.points`` of one run. Rows of ``nan``
        (after a divergence) are left out; the end marker sits on the last
        finite point.
    label : str, optional
        Legend label of the path.
    style_index : int, default 0
        Which :func:`style` to use (the method's index).
    markevery : int or sequence, optional
        Also draw the style's marker on every ``markevery``-th point.
    values : array, shape (T,), optional
        For 1-D paths: :math:`f(\theta_t)`, the height at which each iterate is drawn.
    linewidth : float, default 1.6

    Returns
    -------
    PathArtists
        ``(line, start, end)``; ``set_data(points)`` updates all three in place.
    """
    st = style(style_index)
    x, y = _path_xy(points, values)
    (line,) = ax.plot(x, y, color=st["color"], linestyle=st["linestyle"], linewidth=linewidth, label=label,
                      marker=st["marker"] if markevery is not None else None, markevery=markevery,
                      markersize=4, zorder=3)
    common = dict(linestyle="none", color=st["color"], markeredgecolor="black", markeredgewidth=0.7, zorder=5)
    (start,) = ax.plot([], [], marker="o", markersize=6, **common)
    (end,) = ax.plot([], [], marker="s", markersize=6, **common)
    artists = PathArtists(line, start, end)
    artists.set_data(points, values)
    return artists


# ------------------------------------------------------------------ loss curves
def _as_curves(losses: Any) -> list[np.ndarray]:
    if isinstance(losses, np.ndarray) or np.isscalar(losses):
        arr = np.asarray(losses, dtype=float)
        if arr.ndim == 1:
            return [arr]
        if arr.ndim == 2:
            return [arr[:, j] for j in range(arr.shape[1])]
        raise ValueError(f"losses must have shape (T,) or (T, R); got shape {arr.shape}")
    curves = []
    for i, item in enumerate(losses):
        arr = np.asarray(getattr(item, "losses", item), dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"losses[{i}] must be 1-D (one run); got shape {arr.shape}")
        curves.append(arr)
    if not curves:
        raise ValueError("losses must contain at least one curve")
    return curves


def wants_log(values: Any) -> bool:
    """True when the finite, positive ``values`` span more than two decades and none is clearly negative."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return False
    scale = float(np.max(np.abs(v)))
    if np.any(v < -1e-12 * max(scale, 1e-300)):
        return False
    pos = v[v > 0]
    return bool(pos.size >= 2 and pos.max() > 100 * pos.min())


class CurveArtists(NamedTuple):
    """The artists of one loss curve: the line and its divergence marker (``x``)."""

    line: Line2D
    marker: Line2D

    def set_data(self, losses: Any, min_value: float | None = None) -> np.ndarray:
        """Replace the curve in place; return the plotted values (loss minus ``min_value``)."""
        y = np.asarray(losses, dtype=float).reshape(-1)
        if min_value is not None and np.isfinite(min_value):
            y = y - min_value
        steps = np.arange(y.shape[0])
        self.line.set_data(steps, y)
        ok = np.isfinite(y)
        last = _last_finite(ok)
        diverged = 0 <= last < y.shape[0] - 1 and not ok[last + 1:].any()
        self.marker.set_data(steps[last:last + 1] if diverged else [], y[last:last + 1] if diverged else [])
        return y

    def set_visible(self, visible: bool) -> None:
        """Show or hide the line and the marker."""
        self.line.set_visible(visible)
        self.marker.set_visible(visible)


def loss_curves(
    ax: Axes,
    losses: Any,
    *,
    labels: Sequence[str] | None = None,
    min_value: float | None = None,
    log: bool | None = None,
    styles: Sequence[int] | None = None,
) -> list[CurveArtists]:
    r"""Plot the suboptimality :math:`f(\theta_t) - f^\star` (or :math:`f(\theta_t)`) against the step :math:`t`.

    Parameters
    ----------
    ax : Axes
    losses : array (T,) or (T, R), or a sequence of 1-D arrays or Trajectory objects
        One curve per column / item (``Trajectory.losses`` is used for a Trajectory).
        ``nan`` after a divergence is fine: the curve stops and an ``x``
        marks its last finite point.
    labels : sequence of str, optional
        Legend labels, one per curve.
    min_value : float, optional
        :math:`f^\star`, subtracted from every loss; ``None`` or ``nan`` plots the loss itself.
    log : bool, optional
        Log y-scale; by default chosen automatically: log when the positive
        values span more than two decades (see :func:`wants_log`).
    styles : sequence of int, optional
        :func:`style` index of each curve; ``0, 1, 2, ...`` by default.

    Returns
    -------
    list of CurveArtists
        ``(line, marker)`` per curve; ``set_data(losses, min_value)`` updates in place.
    """
    curves = _as_curves(losses)
    n = len(curves)
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels must have one entry per curve ({n}); got {len(labels)}")
    if styles is not None and len(styles) != n:
        raise ValueError(f"styles must have one entry per curve ({n}); got {len(styles)}")
    out, plotted = [], []
    for j, y in enumerate(curves):
        st = style(styles[j] if styles is not None else j)
        (line,) = ax.plot([], [], color=st["color"], linestyle=st["linestyle"],
                          label=None if labels is None else labels[j])
        (mark,) = ax.plot([], [], linestyle="none", marker="x", markersize=9, markeredgewidth=2,
                          color=st["color"], zorder=5)
        artists = CurveArtists(line, mark)
        plotted.append(artists.set_data(y, min_value))
        out.append(artists)
    use_log = wants_log(np.concatenate(plotted)) if log is None else bool(log)
    ax.set_yscale("log" if use_log else "linear")
    ax.relim()
    ax.autoscale_view()
    ax.set_xlabel("step $t$")
    known = min_value is not None and np.isfinite(min_value)
    ax.set_ylabel(r"$f(\theta_t) - f^\star$" if known else r"$f(\theta_t)$")
    return out


def small_multiples(
    n: int,
    ncols: int = 3,
    *,
    size: tuple[float, float] = (2.6, 2.2),
    sharex: bool = True,
    sharey: bool = True,
) -> tuple[Figure, np.ndarray]:
    """A grid of ``n`` small panels (one ``pyplot`` figure), for one setting per panel.

    Parameters
    ----------
    n : int >= 1
        Number of panels; unused cells of the last row are removed.
    ncols : int >= 1, default 3
    size : (width, height), default (2.6, 2.2)
        Size of one panel in inches.
    sharex, sharey : bool, default True

    Returns
    -------
    fig, axes : Figure, ndarray of Axes, shape (n,)
    """
    import matplotlib.pyplot as plt

    n = check_int("n", n, 1)
    ncols = min(check_int("ncols", ncols, 1), n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             sharex=sharex, sharey=sharey, squeeze=False, layout="constrained")
    flat = axes.ravel()
    for k in range(n, nrows * ncols):
        fig.delaxes(flat[k])
        above = k - ncols  # the panel above a removed cell now ends its column
        if sharex and above >= 0:
            flat[above].xaxis.set_tick_params(labelbottom=True)
    return fig, flat[:n]


def table(header: Sequence[Any], rows: Sequence[Sequence[Any]], align: str = "right") -> Any:
    """A small Markdown table from a header and rows of already formatted cells.

    The chapters' one way to show a few numbers (never a raw array).

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences, each as long as ``header``; cells are shown with ``str``
    align : {"right", "left"}, default "right"

    Returns
    -------
    IPython.display.Markdown

    Examples
    --------
    >>> print(table(["η", "loss"], [["0.1", "0.25"]]).data)
    | η | loss |
    | ---: | ---: |
    | 0.1 | 0.25 |
    """
    from IPython.display import Markdown

    if align not in ("right", "left"):
        raise ValueError(f"align must be 'right' or 'left'; got {align!r}")
    header = [str(h) for h in header]
    rows = [list(r) for r in rows]
    for i, r in enumerate(rows):
        if len(r) != len(header):
            raise ValueError(f"rows[{i}] has {len(r)} cells; the header has {len(header)}")
    rule = " ---: |" if align == "right" else " --- |"
    lines = ["| " + " | ".join(header) + " |", "|" + rule * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return Markdown("\n".join(lines))

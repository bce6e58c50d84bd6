"""Tests for descent.viz: style, contours, paths and loss curves (Agg backend, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from descent import viz  # noqa: E402


class Bowl:
    """f(x) = 0.5 (x1^2 + 10 x2^2) + 1, a tiny local landscape with a known minimum."""

    name, dim = "Bowl", 2
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    minima = np.array([[0.0, 0.0]])
    saddles = np.zeros((0, 2))
    min_value = 1.0

    def value(self, x):
        x = np.asarray(x, dtype=float)
        return 0.5 * (x[..., 0] ** 2 + 10 * x[..., 1] ** 2) + 1.0


class SaddleLike:
    """f(x) = x1^2 - x2^2: unbounded below, so no log levels."""

    name, dim = "SaddleLike", 2
    bounds = ((-2.0, 2.0), (-1.0, 1.0))
    minima = np.zeros((0, 2))
    saddles = np.array([[0.0, 0.0], [5.0, 5.0]])  # the second lies outside the box
    min_value = float("nan")

    def value(self, x):
        x = np.asarray(x, dtype=float)
        return x[..., 0] ** 2 - x[..., 1] ** 2


class Well:
    """A 1-D double well."""

    name, dim = "Well", 1
    bounds = ((-2.0, 2.0),)
    minima = np.array([[-1.0], [1.0]])
    maxima = np.array([[0.0]])
    min_value = 0.0

    def value(self, x):
        x = np.asarray(x, dtype=float)[..., 0]
        return (x**2 - 1) ** 2


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------- style
def test_use_style_sets_cycle_with_colours_and_linestyles_and_is_idempotent():
    with matplotlib.rc_context():
        viz.use_style()
        first = {k: matplotlib.rcParams[k] for k in ("axes.prop_cycle", "figure.figsize", "figure.dpi", "font.size")}
        cycle = list(matplotlib.rcParams["axes.prop_cycle"])
        assert [c["color"] for c in cycle] == list(viz.OKABE_ITO)
        styles = [c["linestyle"] for c in cycle]
        assert len({str(s) for s in styles}) == len(styles) > 1  # every colour has its own dash pattern
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.4, 4.0)
        viz.use_style()
        assert {k: matplotlib.rcParams[k] for k in first} == first


def test_default_lines_follow_style_index():
    with matplotlib.rc_context():
        viz.use_style()
        fig, ax = plt.subplots()
        lines = [ax.plot([0, 1], [0, i])[0] for i in range(3)]
        for i, line in enumerate(lines):
            st = viz.style(i)
            assert matplotlib.colors.same_color(line.get_color(), st["color"])
            assert line.get_linestyle() == Line2D([], [], linestyle=st["linestyle"]).get_linestyle()


def test_style_cycles_and_is_distinct():
    n = len(viz.OKABE_ITO)
    assert viz.style(n) == viz.style(0)
    assert set(viz.style(0)) == {"color", "linestyle", "marker"}
    assert len({viz.style(i)["color"] for i in range(n)}) == n
    assert len({viz.style(i)["marker"] for i in range(n)}) == n
    with pytest.raises(ValueError, match="i must be"):
        viz.style(-1)


# ---------------------------------------------------------------- contours
def test_contour_log_levels_positive_increasing_and_marks():
    fig, ax = plt.subplots()
    cs = viz.contour(Bowl(), ax, levels=12, resolution=60)
    assert isinstance(cs, ContourSet) and cs.axes is ax
    lv = np.asarray(cs.levels)
    assert lv.size == 12 and np.all(lv > 0) and np.all(np.diff(lv) > 0)
    ratios = lv[1:] / lv[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)  # geometric spacing
    stars = [l for l in ax.lines if l.get_marker() == "*"]
    assert len(stars) == 1 and np.allclose(stars[0].get_xydata(), [[0.0, 0.0]])
    assert ax.get_xlim() == (-2.0, 2.0) and "theta_1" in ax.get_xlabel() and "theta_2" in ax.get_ylabel()


def test_contour_without_minimum_falls_back_to_symmetric_linear_levels():
    fig, ax = plt.subplots()
    cs = viz.contour(SaddleLike(), ax, resolution=40)
    lv = np.asarray(cs.levels)
    assert lv[0] < 0 < lv[-1] and lv[0] == pytest.approx(-lv[-1])
    np.testing.assert_allclose(np.diff(lv), np.diff(lv)[0])
    crosses = [l for l in ax.lines if l.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xydata().shape == (1, 2)  # the saddle outside the box is left out


def test_contour_linear_when_asked_and_lines_when_not_filled():
    fig, ax = plt.subplots()
    cs = viz.contour(Bowl(), ax, log=False, filled=False, resolution=30, mark=False)
    assert not cs.filled
    np.testing.assert_allclose(np.diff(cs.levels), np.diff(cs.levels)[0])
    assert not ax.lines


def test_contour_and_curve_reject_wrong_dimension():
    with pytest.raises(ValueError, match="2-D"):
        viz.contour(Well())
    with pytest.raises(ValueError, match="1-D"):
        viz.curve(Bowl())
    with pytest.raises(ValueError, match="bounds"):
        viz.contour(Bowl(), bounds=((1.0, 0.0), (0.0, 1.0)))


def test_curve_plots_function_and_marks_minima():
    fig, ax = plt.subplots()
    line = viz.curve(Well(), ax, resolution=101)
    x, y = line.get_data()
    np.testing.assert_allclose(y, (x**2 - 1) ** 2)
    stars = [l for l in ax.lines if l.get_marker() == "*"]
    assert stars and stars[0].get_xydata().shape == (2, 2)
    bottom, top = ax.get_ylim()
    viz.trajectory(ax, np.array([[0.5], [1e3]]), values=np.array([0.6, 1e12]))
    assert ax.get_ylim() == (bottom, top)  # a diverging path does not rescale the graph


# -------------------------------------------------------------------- paths
def test_trajectory_artists_markers_and_in_place_update():
    fig, ax = plt.subplots()
    pts = np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]])
    art = viz.trajectory(ax, pts, label="GD", style_index=1)
    assert isinstance(art, viz.PathArtists)
    np.testing.assert_array_equal(np.column_stack(art.line.get_data()), pts)
    assert art.line.get_label() == "GD" and matplotlib.colors.same_color(art.line.get_color(), viz.style(1)["color"])
    assert art.start.get_marker() == "o" and art.end.get_marker() == "s"
    np.testing.assert_array_equal(art.start.get_xydata(), [[1.0, 1.0]])
    np.testing.assert_array_equal(art.end.get_xydata(), [[0.1, 0.0]])
    line = art.line
    art.set_data(pts[::-1])
    assert art.line is line
    np.testing.assert_array_equal(art.end.get_xydata(), [[1.0, 1.0]])


def test_trajectory_handles_nan_after_divergence():
    fig, ax = plt.subplots()
    pts = np.array([[1.0, 1.0], [3.0, -2.0], [np.nan, np.nan], [np.nan, np.nan]])
    art = viz.trajectory(ax, pts, markevery=1)
    np.testing.assert_array_equal(art.end.get_xydata(), [[3.0, -2.0]])
    assert art.line.get_marker() == viz.style(0)["marker"]
    art.set_data(np.full((3, 2), np.nan))
    assert art.start.get_xydata().size == 0 and art.end.get_xydata().size == 0
    fig.canvas.draw()  # drawing NaN paths works


def test_trajectory_1d_needs_values():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="values"):
        viz.trajectory(ax, np.array([[0.5], [0.4]]))
    with pytest.raises(ValueError, match="shape"):
        viz.trajectory(ax, np.zeros((3, 3)))
    art = viz.trajectory(ax, np.array([[0.5], [0.4]]), values=np.array([0.6, 0.7]))
    np.testing.assert_array_equal(art.line.get_xydata(), [[0.5, 0.6], [0.4, 0.7]])


# -------------------------------------------------------------- loss curves
def test_loss_curves_subtract_min_and_choose_log_scale():
    fig, ax = plt.subplots()
    t = np.arange(50)
    arts = viz.loss_curves(ax, np.column_stack([1 + 0.5**t, 1 + 0.9**t]), labels=["a", "b"], min_value=1.0)
    assert len(arts) == 2 and all(isinstance(a, viz.CurveArtists) for a in arts)
    np.testing.assert_allclose(arts[0].line.get_ydata(), 0.5**t)
    assert ax.get_yscale() == "log" and arts[1].line.get_label() == "b"
    assert "f^\\star" in ax.get_ylabel()
    assert all(a.marker.get_xydata().size == 0 for a in arts)  # nothing diverged


def test_loss_curves_linear_for_narrow_range_and_forced_log():
    fig, ax = plt.subplots()
    viz.loss_curves(ax, np.linspace(2.0, 1.0, 10))
    assert ax.get_yscale() == "linear" and "f^\\star" not in ax.get_ylabel()
    fig, ax = plt.subplots()
    viz.loss_curves(ax, np.linspace(2.0, 1.0, 10), log=True)
    assert ax.get_yscale() == "log"
    assert not viz.wants_log([1.0, -5.0, 1e-6])  # clearly negative values: never log
    assert viz.wants_log([1.0, 1e-3, np.nan])


def test_loss_curves_mark_divergence_at_last_finite_point():
    fig, ax = plt.subplots()
    diverged = np.array([1.0, 3.0, 50.0, np.nan, np.nan])
    fine = np.array([1.0, 0.5, 0.1, 0.05])
    a, b = viz.loss_curves(ax, [diverged, fine], labels=["big lr", "small lr"])
    np.testing.assert_array_equal(a.marker.get_xydata(), [[2.0, 50.0]])
    assert a.marker.get_marker() == "x" and b.marker.get_xydata().size == 0
    line = a.line
    a.set_data(fine)
    assert a.line is line and a.marker.get_xydata().size == 0
    with pytest.raises(ValueError, match="labels"):
        viz.loss_curves(ax, [fine], labels=["a", "b"])


def test_small_multiples_returns_n_axes():
    fig, axes = viz.small_multiples(5, ncols=3)
    assert axes.shape == (5,) and len(fig.axes) == 5
    assert fig.get_size_inches() == pytest.approx((3 * 2.6, 2 * 2.2))
    # the panel above a removed cell keeps its x tick labels
    fig.canvas.draw()
    assert any(t.get_visible() and t.get_text() for t in axes[2].get_xticklabels())
    assert not any(t.get_visible() and t.get_text() for t in axes[0].get_xticklabels())  # inner panel
    fig, axes = viz.small_multiples(2, ncols=3)
    assert axes.shape == (2,) and fig.get_size_inches()[0] == pytest.approx(2 * 2.6)


def test_with_library_landscapes():
    landscapes = pytest.importorskip("descent.landscapes")
    from descent.optim import Adam
    from descent.run import minimize

    rosen = landscapes.Rosenbrock()
    traj = minimize(rosen, np.array([-1.5, 2.0]), Adam(lr=0.05), 60)
    cs = viz.contour(rosen, resolution=50)
    art = viz.trajectory(cs.axes, traj.points, label="Adam")
    assert art.line.get_xydata().shape == (61, 2)
    cs = viz.contour(landscapes.Saddle(), resolution=30)
    assert cs.levels[0] < 0


def test_table_markdown_and_bad_rows():
    md = viz.table(["a", "b"], [[1, "x"], [2.5, "y"]]).data.splitlines()
    assert md == ["| a | b |", "| ---: | ---: |", "| 1 | x |", "| 2.5 | y |"]
    assert viz.table(["a"], [["1"]], align="left").data.splitlines()[1] == "| --- |"
    with pytest.raises(ValueError, match="rows\\[0\\] has 1 cells"):
        viz.table(["a", "b"], [["1"]])
    with pytest.raises(ValueError, match="align"):
        viz.table(["a"], [["1"]], align="centre")

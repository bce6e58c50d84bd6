"""Tests for descent.explore: controls, the kernel-free payload, runs side by side, the profile explorer."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zlib

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from descent.explore import Choice, Slider, Toggle, explore, explore_profiles  # noqa: E402
from descent.explore.compute import _fallback, run_many, seed_stats, words  # noqa: E402
from descent.explore.controls import as_control, limit, valid_range  # noqa: E402
from descent.explore.static import GAP, Axis, Panel, StaticFigure, script  # noqa: E402
from descent.gradflow import grad_profile  # noqa: E402
from descent.landscapes import Quadratic  # noqa: E402
from descent.optim import SGD, Adam  # noqa: E402
from descent.run import Trajectory, minimize  # noqa: E402


def payload(html):
    m = re.search(r'<script type="application/json" class="dx-payload">(.*?)</script>', html, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def decode(p):
    """What the page's script sees: the uint16 buffer and the words."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(p["data"])), dtype="<u2")
    return raw, json.loads(zlib.decompress(base64.b64decode(p["words"])))


def test_controls_follow_interact_conventions():
    assert as_control("lr", (0.1, 1.0)) == Slider(0.1, 1.0, 0.55)
    s = as_control("n", (1, 9, 2))
    assert s.integer and s.value == 5 and s.step == 2
    assert as_control("init", ["he", "xavier"]) == Choice(("he", "xavier"))
    assert as_control("residual", True) == Toggle(True)
    with pytest.raises(TypeError, match="give a Slider"):
        as_control("x", "abc")
    with pytest.raises(ValueError, match="one of"):
        Choice(("a", "b"), "c")
    assert Slider(1e-4, 1.0, 1e-2, log=True).grid(12) == [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1,
                                                           0.2, 0.5, 1.0][:0] or len(Slider(1e-4, 1.0, 1e-2, log=True).grid(12)) <= 13


def test_slider_ranges_come_from_the_optimizer_class_when_declared():
    class Interval:
        def __init__(self, low, high, low_open=False, high_open=False):
            self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    class Opt:
        RANGES = {"momentum": Interval(0.0, 0.5), "betas": Interval(0.0, 1.0, high_open=True)}

    assert valid_range("momentum", [Opt]) == (0.0, 0.5, False, False)
    assert valid_range("beta2", [Opt])[1] == 1.0 and valid_range("beta2", [Opt])[3]
    assert valid_range("momentum", []) == (0.0, 0.999, False, False)  # the fallback table
    s = limit("momentum", Slider(0.0, 0.99, 0.9), [Opt])
    assert s.high == 0.5 and s.value == 0.5
    b = limit("beta1", Slider(0.0, 1.0, 0.9), [Opt])
    assert b.high < 1.0


def test_axis_fractions_and_ticks():
    ax = Axis(1e-6, 1e2, "gap", log=True)
    np.testing.assert_allclose(ax.frac([1e-6, 1e2, 1e-2]), [0.0, 1.0, 0.5])
    assert ax.frac([0.0])[0] == -0.5  # zero on a log axis: far below, not NaN
    assert np.isnan(ax.frac([np.nan])[0])
    assert all(0 <= f <= 1 for f, _ in [(float(ax.frac(v)), s) for v, s in ax.ticks])
    with pytest.raises(ValueError, match="lo > 0"):
        Axis(0.0, 1.0, "x", log=True)


def test_payload_round_trips_through_the_encoding():
    panels = [Panel(Axis(0, 10, "t"), Axis(0, 1, "y"))]
    ctl = [{"name": "a", "label": "a", "kind": "slider", "values": [1, 2], "index": 0}]
    fig = StaticFigure("t", ctl, panels, [{"name": "A", "color": "#000", "dash": None, "deps": ["a"],
                                            "series": [(0, "line")]}])
    x = np.linspace(0, 10, 2001)
    fig.put("A", 0, [(x, np.full(x.size, 0.5))], "flat", -1)
    x11 = np.arange(11.0)
    fig.put("A", 1, [(x11, np.r_[np.linspace(0, 1, 6), np.full(5, np.nan)])], "stops", 5)
    raw, w = decode(fig.payload())
    assert w == [[["flat", -1], ["stops", 5]]]
    n0 = raw[0]
    assert 2 < n0 <= 400  # points closer than about a pixel are dropped
    xs = raw[1:1 + n0] / 65534 * 2 - 0.5
    np.testing.assert_allclose(xs[[0, -1]], [0.0, 1.0], atol=1e-4)  # the ends are kept
    np.testing.assert_allclose(raw[1 + n0:1 + 2 * n0] / 65534 * 2 - 0.5, 0.5, atol=1e-4)
    rest = raw[1 + 2 * n0:]
    assert rest[0] == 6 and GAP not in rest  # trailing NaNs are cut, not stored
    with pytest.raises(ValueError, match="never stored"):
        StaticFigure("t", ctl, panels, fig.items).payload()


def test_script_is_vendored_and_loads_nothing():
    js = script()
    assert "DescentExplorer" in js and "DecompressionStream" in js
    assert "http://" not in js and "https://" not in js and "import(" not in js and "fetch(" not in js


def test_run_many_fallback_equals_separate_minimize_calls():
    q = Quadratic.from_condition(10.0)
    x0 = np.array([1.0, 1.0])
    opts = {"a": SGD(lr=0.05, momentum=0.9), "b": Adam(lr=0.1)}
    both = _fallback(q, x0, opts, 30, batch_size=None, seeds=None)
    for n, o in (("a", SGD(lr=0.05, momentum=0.9)), ("b", Adam(lr=0.1))):
        ref = minimize(q, x0, o, 30)
        np.testing.assert_array_equal(both[n].points, ref.points)
    many = run_many(q, x0, {"a": SGD(lr=0.05, momentum=0.9)}, 30)
    np.testing.assert_allclose(many["a"].points, both["a"].points)
    with pytest.raises(ValueError, match="seeds"):
        run_many(q, x0, opts, 3, batch_size=2)


def test_seed_medians_treat_divergence_as_worst():
    losses = np.array([[4.0, 4.0, 4.0], [1.0, np.nan, 3.0], [0.5, np.nan, np.nan]])
    t = Trajectory(np.zeros((3, 3, 2)), losses, np.array([-1, 1, 2]), 0.0)
    med, lo, hi, k = seed_stats(t)
    np.testing.assert_array_equal(med[:2], [4.0, 3.0])
    assert np.isnan(med[2])  # two of three diverged: no median
    assert lo[2] == 0.5 and np.isinf(hi[2])
    assert "diverged at step 2 (median of 3 runs; 2 of 3 diverged)" in words("X", t, None)


def test_profile_explorer_updates_and_renders_the_book_view():
    ex = explore_profiles(depth=6, init="xavier", activations=["sigmoid", "relu"], width=8, seeds=range(2),
                          batch_size=4, static_depths=[3, 6])
    assert set(ex.profiles) == {"sigmoid", "relu"} and ex.profiles["relu"].weight.shape == (2, 6)
    first = ex.profiles["relu"].weight.copy()
    ex.update(depth=9, init="he", activations="relu")
    assert list(ex.profiles) == ["relu"] and ex.profiles["relu"].weight.shape == (2, 9)
    again = grad_profile(9, width=8, activation="relu", init="he", seeds=range(2), batch_size=4)
    np.testing.assert_array_equal(ex.profiles["relu"].weight, again.weight)
    assert not np.array_equal(first, again.weight[:, :6])
    assert ex.summary.startswith("input/output layer gradient: relu")
    ex.update(depth=6, init="xavier")
    html = ex._repr_mimebundle_()["text/html"]
    assert "http://" not in html and "<link" not in html and "Run this cell for live sliders" in html
    p = payload(html)
    assert [c["name"] for c in p["controls"]] == ["depth", "init", "residual", "batchnorm"]
    assert p["controls"][0]["values"] == [3, 6] and p["controls"][1]["kind"] == "choice"
    _, w = decode(p)
    assert len(w) == 3 and len(w[0]) == 2 * 3 * 2 * 2  # every activation, every combination
    assert ex.static_html() is html  # cached
    with pytest.raises(ValueError, match="no control"):
        ex.update(width=3)
    with pytest.raises(ValueError, match="activations"):
        ex.update(activations=["gelu"])
    with pytest.raises(ValueError, match="depth"):
        ex.update(depth=1000)


def test_measurement_module_imports_no_ui():
    code = ("import sys, descent.gradflow as g; assert 'ipywidgets' not in sys.modules; "
            "assert 'descent.explore' not in sys.modules; from descent.gradflow import explore_profiles; "
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
def test_explore_profiles_validation():
    from descent.gradflow import explore_profiles

    with pytest.raises(ValueError, match="init"):
        explore_profiles(init="lecun")
    with pytest.raises(ValueError, match="depth"):
        explore_profiles(depth=100, max_depth=60)
    with pytest.raises(ValueError, match="static_depths"):
        explore_profiles(static_depths=list(range(2, 20)))
    with pytest.raises(TypeError, match="residual"):
        explore_profiles(residual="yes")


def test_html_without_scripts_shows_a_still_and_says_to_run_the_cell():
    """What an untrusted notebook in JupyterLab shows: scripts (and the payload with them) stripped."""
    from descent.explore import explore
    from descent.landscapes import Rosenbrock

    ex = explore(Rosenbrock(), {"GD": lambda lr: SGD(lr=lr)}, [-1.5, 2.0], steps=20, backend="png")
    html = ex.static_html()
    bare = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    assert "<script" not in bare and "DescentExplorer" not in bare
    img = re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', bare)
    assert img and "GD" in img.group(1)
    assert "Run this cell for live sliders." in bare
    assert re.search(r'class="dx-desc"[^>]*>[^<]*Sliders: η', bare)  # the text description


def test_steps_slider_in_the_book_shows_prefixes_of_the_same_runs():
    from descent.explore import explore
    from descent.explore.compute import truncate

    q = Quadratic.from_condition(10.0)
    ex = explore(q, {"GD": lambda lr: SGD(lr=lr)}, [1.0, 1.0], steps=40, tol=1e-6, backend="png",
                 static={"lr": [0.05, 0.15]})
    p = payload(ex.static_html())
    steps = next(c for c in p["controls"] if c["name"] == "steps")
    assert steps["values"][-1] == 40 and len(steps["values"]) == 8
    _, w = decode(p)
    fig = ex.static_figure()
    k = next(i for i, c in enumerate(fig.combos(fig.items[0]))
             if c["lr"] == 0.15 and c.get("x0_0", 1.0) == 1.0 and c.get("x0_1", 1.0) == 1.0)
    for s, T in enumerate(steps["values"]):  # words per step count equal a run of T steps
        ex.update(lr=0.15, steps=int(T))
        assert w[0][k][s][0] == ex.summaries["GD"]
    full = minimize(q, np.ones(2), SGD(lr=0.15), 40)
    short = minimize(q, np.ones(2), SGD(lr=0.15), 7)
    np.testing.assert_array_equal(truncate(full, 7).points, short.points)


def test_live_canvas_sends_complete_frames_only():
    # the blank-figure fix: every frame ipympl sends is a full PNG of the whole canvas, never a diff
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from descent.explore.base import ipympl_canvas
    from descent.explore.frames import fast_png

    fig = plt.figure(figsize=(2, 1.5), dpi=50)
    fig.add_subplot().plot([0, 1], [1, 0])
    canvas = ipympl_canvas(fig)
    if canvas is None:
        pytest.skip("ipympl is not installed")
    canvas.draw()
    canvas._png_is_old = True
    png = canvas.get_diff_image()
    assert canvas._current_image_mode == "full"
    img = np.asarray(Image.open(io.BytesIO(png)))
    px = np.asarray(canvas.get_renderer().buffer_rgba())
    np.testing.assert_array_equal(img, px[..., :img.shape[2]])
    assert canvas.get_diff_image() is None          # nothing new to send
    with pytest.raises(ValueError, match="uint8 array of shape"):
        fast_png(np.zeros((3, 3, 4)))
    plt.close(fig)


def test_loss_panel_limits_can_be_given_and_are_checked():
    problem = Quadratic(np.diag([1.0, 10.0, 100.0]))
    default = explore(problem, [SGD], x0=np.ones(3), steps=10, backend="png")
    given = explore(problem, [SGD], x0=np.ones(3), steps=10, backend="png", ylim=(1e-6, 1e4))
    assert default.ylim[1] < 1e4
    assert given.ylim == (1e-6, 1e4, True)
    assert given._panels.ax_loss.get_ylim() == pytest.approx((1e-6, 1e4))
    with pytest.raises(ValueError, match="low must be > 0"):
        explore(problem, [SGD], x0=np.ones(3), ylim=(0.0, 1.0), backend="png")
    with pytest.raises(ValueError, match="low < high"):
        explore(problem, [SGD], x0=np.ones(3), ylim=(1.0, 1e-3), backend="png")
    with pytest.raises(TypeError, match="pair"):
        explore(problem, [SGD], x0=np.ones(3), ylim=1.0, backend="png")

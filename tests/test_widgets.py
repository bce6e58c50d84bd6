"""Tests for descent.widgets: explorers, clamping, in-place updates and the offline fallback."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from descent.optim import SGD, Adam  # noqa: E402
from descent.run import minimize  # noqa: E402
from descent.widgets import Explorer, Slider, explore  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BACKEND = "auto"


class Quad:
    """f(x) = 0.5 (x1^2 + 10 x2^2): L = 10, so plain GD diverges for lr > 0.2."""

    name, dim, L = "Quad", 2, 10.0
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    minima = np.zeros((1, 2))
    saddles = np.zeros((0, 2))
    min_value = 0.0
    _d = np.array([1.0, 10.0])

    def value(self, x):
        return 0.5 * np.sum(self._d * np.asarray(x) ** 2, axis=-1)

    def grad(self, x):
        return self._d * np.asarray(x)


class Squares:
    """Least squares (1/N) sum 0.5 (x_i . theta - y_i)^2 with mini-batch gradients."""

    name, dim = "Squares", 2

    def __init__(self, n=64):
        rng = np.random.default_rng(1)
        self.X = rng.standard_normal((n, 2))
        self.y = self.X @ np.array([1.0, -0.5]) + 0.1 * rng.standard_normal(n)
        self.solution = np.linalg.lstsq(self.X, self.y, rcond=None)[0]
        self.minima = self.solution[None]
        self.saddles = np.zeros((0, 2))
        self.min_value = float(self.value(self.solution))
        self.bounds = ((-2.0, 3.0), (-2.5, 2.5))

    @property
    def n_samples(self):
        return self.X.shape[0]

    def _parts(self, theta, batch):
        theta = np.asarray(theta, dtype=float)
        X, y = (self.X, self.y) if batch is None else (self.X[batch], self.y[batch])
        r = np.einsum("...bd,...d->...b", X, theta) - y
        return X, r

    def value(self, theta, batch=None):
        _, r = self._parts(theta, batch)
        return 0.5 * np.mean(r**2, axis=-1)

    def grad(self, theta, batch=None):
        X, r = self._parts(theta, batch)
        return np.einsum("...b,...bd->...d", r, X) / r.shape[-1]


class Well1D:
    name, dim = "Well1D", 1
    bounds = ((-2.0, 2.0),)
    minima = np.array([[-1.0], [1.0]])
    saddles = np.zeros((0, 1))
    min_value = 0.0

    def value(self, x):
        return (np.asarray(x)[..., 0] ** 2 - 1) ** 2

    def grad(self, x):
        x = np.asarray(x)
        return 4 * x * (x**2 - 1)


FACTORIES = {
    "SGD": lambda lr, momentum: SGD(lr=lr, momentum=momentum),
    "Adam": lambda lr, beta1, beta2: Adam(lr=lr, betas=(beta1, beta2)),
}


def make(**kw):
    # "auto": an ipympl canvas where installed (a redraw is then only a message), else PNG
    args = dict(steps=30, backend="auto")
    args.update(kw)
    return explore(Quad(), FACTORIES, [1.5, 1.0], **args)


def test_builds_for_2d_landscape_with_default_sliders():
    ex = make(tol=1e-4, title="Quad", backend="png")
    assert isinstance(ex, Explorer) and ex.backend == "png"
    png = bytes(ex._image.value)
    assert png.startswith(b"\x89PNG")
    assert set(ex.sliders) == {"lr", "momentum", "beta1", "beta2", "steps", "x0_0", "x0_1"}
    assert type(ex.sliders["lr"]).__name__ == "FloatLogSlider"
    assert type(ex.sliders["steps"]).__name__ == "IntSlider"
    assert ex.values["steps"] == 30 and ex.values["x0_0"] == 1.5
    assert set(ex.paths) == set(ex.curves) == {"SGD", "Adam"}
    assert set(ex.checkboxes) == {"SGD", "Adam"}
    # side-by-side runs equal separate minimize calls
    v = ex.values
    ref = minimize(Quad(), np.array([1.5, 1.0]), Adam(lr=v["lr"], betas=(v["beta1"], v["beta2"])), 30)
    np.testing.assert_array_equal(ex.trajectories["Adam"].points, ref.points)
    np.testing.assert_array_equal(ex.paths["Adam"].line.get_xydata(), ref.points)
    assert "within 0.0001" in ex.summaries["SGD"] or "never within" in ex.summaries["SGD"]
    ex.update(lr=0.5)
    assert bytes(ex._image.value) != png  # the PNG fallback re-renders on every change


def test_update_changes_line_data_in_place():
    ex = make()
    line, curve = ex.paths["SGD"].line, ex.curves["SGD"].line
    before, loss_before = line.get_xydata().copy(), curve.get_ydata().copy()
    ex.update(lr=0.05, x0=(1.0, -1.0))
    assert ex.paths["SGD"].line is line and ex.curves["SGD"].line is curve
    assert not np.array_equal(line.get_xydata(), before)
    assert not np.array_equal(curve.get_ydata(), loss_before)
    np.testing.assert_array_equal(line.get_xydata()[0], [1.0, -1.0])
    ex.update(steps=12)
    assert line.get_xydata().shape == (13, 2)
    ex.refresh()  # callable on its own, for benchmarks


def test_values_are_clamped_to_valid_ranges():
    ex = make(sliders={"beta2": Slider(0.0, 1.0, 0.9, step=0.001)})
    ex.update(lr=1e6, beta2=1.0, momentum=-3.0)
    assert ex.values["lr"] == pytest.approx(1.0)  # the slider's top
    assert ex.values["beta2"] == pytest.approx(0.999)
    assert ex.values["momentum"] == 0.0
    ex.sliders["beta1"].value = 7.0  # what typing out of range in the readout box does
    assert ex.values["beta1"] == pytest.approx(0.999)
    ex.sliders["lr"].value = 1e-12
    assert ex.values["lr"] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="lr slider must have low > 0"):
        make(sliders={"lr": Slider(0.0, 1.0, 0.1)})


def test_summary_reports_divergence_for_huge_lr():
    ex = make()
    ex.update(lr=1.0, momentum=0.0)
    assert ex.summaries["SGD"].startswith("SGD: diverged at step")
    assert "diverged at step" in ex.summary.value
    k = ex.trajectories["SGD"].diverged_at
    assert np.isnan(ex.paths["SGD"].line.get_xydata()[k:]).all()
    assert ex.curves["SGD"].marker.get_xydata().size == 2  # the 'x' at the last finite loss


def test_factories_get_only_their_parameters_and_classes_work():
    ex = explore(Quad(), {"GD": lambda lr: SGD(lr=lr)}, [1.0, 1.0], steps=5, backend=BACKEND,
                 sliders={"lr": Slider(1e-3, 1.0, 0.1, log=True)})
    assert set(ex.sliders) == {"lr", "steps", "x0_0", "x0_1"}
    ex = explore(Quad(), [SGD, Adam], [1.0, 1.0], steps=5, backend=BACKEND)
    assert {"lr", "momentum", "beta1", "beta2"} <= set(ex.sliders)
    assert ex.values["momentum"] == 0.0 and ex.values["beta2"] == pytest.approx(0.999)  # the classes' defaults
    ex.update(beta1=0.5)
    assert ex._optimizer("Adam", ex.values).betas[0] == 0.5
    with pytest.raises(ValueError, match="needs 'gamma'"):
        explore(Quad(), {"X": lambda lr, gamma: SGD(lr=lr)}, [1.0, 1.0], backend=BACKEND)


def _payload(html):
    import json

    m = re.search(r'<script type="application/json" class="dx-payload">(.*?)</script>', html, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_mimebundle_has_widget_view_and_kernel_free_html():
    ex = make(static={"lr": [1e-3, 1e-2, 0.1, 1.0]})
    bundle = ex._repr_mimebundle_()
    assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(bundle)
    assert bundle[WIDGET_VIEW]["model_id"] == ex.widget.model_id
    assert bundle["text/plain"].startswith("Explorer: Quad, 2 optimizers")
    html = bundle["text/html"]
    assert "http://" not in html and "https://" not in html and "<link" not in html and " src=\"http" not in html
    assert len(html.encode()) < 300_000
    assert "Run this cell for live sliders" in html and '<img src="data:image/png;base64,' in html
    p = _payload(html)
    lr = next(c for c in p["controls"] if c["name"] == "lr")
    assert lr["values"] == [1e-3, 1e-2, 0.1, 1.0] and lr["label"] == "η"
    # every slider but the start; steps shows the first T steps of the runs
    assert {c["name"] for c in p["controls"]} == {"lr", "momentum", "beta1", "beta2", "steps"}
    assert p["prefix"]["name"] == "steps" and p["prefix"]["hi"] == 30
    assert ex._repr_mimebundle_(exclude={"text/html"}).keys() == {"text/plain", WIDGET_VIEW}
    assert ex.static_html() is html  # cached until a slider changes


def test_default_book_grid_covers_every_hyperparameter_within_budget():
    ex = make()
    html = ex.static_html()
    assert len(html.encode()) < 300_000
    fig = ex.static_figure()
    names = [c["name"] for c in fig.controls]
    assert names == ["lr", "momentum", "beta1", "beta2", "steps"]
    items = {it["name"]: it for it in fig.items}
    assert items["SGD"]["deps"] == ["lr", "momentum"] and items["Adam"]["deps"] == ["lr", "beta1", "beta2"]
    with pytest.raises(ValueError, match="1 to 16"):
        make(static={"lr": list(np.geomspace(1e-3, 1, 17))})
    with pytest.raises(ValueError, match="not a slider"):
        make(static={"gamma": [1, 2]})


def test_static_runs_match_live_runs():
    ex = make(static={"lr": [1e-3, 0.05, 1.0], "momentum": [0.0, 0.9]})
    fig = ex.static_figure()
    sgd = next(it for it in fig.items if it["name"] == "SGD")
    combos = fig.combos(sgd)
    runs = ex._item_runs("SGD", sgd["deps"], combos, 30)  # one vectorized minimize call
    for c, run in zip(combos, runs):
        ex.update(**c)
        np.testing.assert_allclose(run.points, ex.trajectories["SGD"].points, rtol=1e-12, atol=1e-15)
        assert run.diverged_at == ex.trajectories["SGD"].diverged_at


def test_loss_axis_is_fixed_across_slider_values():
    ex = make(backend="png")
    before = ex._panels.ax_loss.get_ylim()
    for lr in (1e-4, 0.05, 1.0):
        ex.update(lr=lr)
        assert ex._panels.ax_loss.get_ylim() == before
    assert ex._panels.ax_loss.get_yscale() == "log"


def test_hiding_an_optimizer():
    ex = make()
    sgd = ex.trajectories["SGD"]
    ex.update(show=["SGD"])
    assert set(ex.trajectories) == {"SGD"} and ex.trajectories["SGD"] is sgd  # cached, not recomputed
    assert not ex.paths["Adam"].line.get_visible() and "Adam: hidden" in ex.summary.value
    ex.checkboxes["Adam"].value = True
    assert set(ex.trajectories) == {"SGD", "Adam"} and ex.paths["Adam"].line.get_visible()


def test_finite_sum_explorer_is_seeded_and_matches_minimize():
    prob = Squares()
    ex = explore(prob, FACTORIES, [0.0, 0.0], steps=20, batch_size=8, rng_seed=3, seeds=1, backend=BACKEND,
                 static={"batch_size": [2, 8, 64]})
    assert type(ex.sliders["batch_size"]).__name__ == "SelectionSlider"
    assert ex.values["batch_size"] == 8
    v = ex.values
    ref = minimize(prob, np.zeros(2), SGD(lr=v["lr"], momentum=v["momentum"]), 20, batch_size=8,
                   rng=np.random.default_rng(3))
    np.testing.assert_array_equal(ex.trajectories["SGD"].points[:, 0], ref.points)
    ex.update(batch_size=5)  # snaps to a slider position
    assert ex.values["batch_size"] in (4, 8)
    ex.update(batch_size=8)
    np.testing.assert_array_equal(ex.trajectories["SGD"].points[:, 0], ref.points)
    html = ex.static_html()
    assert "http://" not in html and "https://" not in html
    with pytest.raises(ValueError, match="finite-sum"):
        make(batch_size=4)


def test_noisy_runs_are_summarized_over_seeds():
    prob = Squares()
    ex = explore(prob, {"SGD": lambda lr: SGD(lr=lr)}, [0.0, 0.0], steps=30, batch_size=2, seeds=5,
                 tol=1e-2, backend=BACKEND, static={"batch_size": [2, 64]})
    t = ex.trajectories["SGD"]
    assert t.losses.shape == (31, 5)  # a leading seed axis
    finals = np.sort(t.losses[-1])
    assert f"{finals[2]:.3g}" in ex.summaries["SGD"] and "median of 5 runs" in ex.summaries["SGD"]
    assert ex._panels.bands["SGD"].get_visible()
    fig = ex.static_figure()
    assert [s[1] for s in fig.items[0]["series"]] == ["path", "band", "line"]
    assert "median" in ex.static_html()


def test_one_dimensional_problem():
    ex = explore(Well1D(), {"GD": lambda lr: SGD(lr=lr)}, [1.8], steps=15, backend=BACKEND, static=False)
    assert set(ex.sliders) == {"lr", "steps", "x0_0"}
    xy = ex.paths["GD"].line.get_xydata()
    np.testing.assert_allclose(xy[:, 1], Well1D().value(ex.trajectories["GD"].points))
    html = ex.static_html()
    assert "<img" in html and "http://" not in html and "https://" not in html
    assert _payload(html)["controls"] == []  # static=False: no slider in the book


def test_argument_errors():
    ex = make()
    with pytest.raises(ValueError, match="no slider named 'gamma'"):
        ex.update(gamma=1.0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        ex.update(show=["Lion"])
    with pytest.raises(ValueError, match="which no optimizer takes"):
        make(sliders={"gamma": Slider(0.0, 1.0, 0.5)})
    with pytest.raises(ValueError, match="low < high"):
        Slider(1.0, 0.0, 0.5)
    with pytest.raises(ValueError, match="backend"):
        make(backend="svg")


def test_ipympl_canvas_leaves_the_pyplot_backend_alone():
    pytest.importorskip("ipympl")
    code = textwrap.dedent(
        """
        import matplotlib, matplotlib.pyplot as plt
        import numpy as np
        from descent.landscapes import Quadratic
        from descent.optim import SGD
        from descent.widgets import explore
        before = matplotlib.get_backend()
        ex = explore(Quadratic.from_condition(10.0), {"GD": lambda lr: SGD(lr=lr)}, [1.0, 1.0], steps=10)
        ex.update(lr=0.5)
        assert ex.backend == "ipympl", ex.backend
        assert type(ex.fig.canvas).__name__ == "Canvas"
        assert ex.fig.canvas in ex.widget.children
        assert matplotlib.get_backend() == before, (before, matplotlib.get_backend())
        print("ok", before)
        """
    )
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:descent", "-c", code],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


def test_start_sliders_join_the_book_while_the_grid_is_small():
    ex = explore(Quad(), {"GD": lambda lr: SGD(lr=lr)}, [1.5, 1.0], steps=20, backend="png",
                 static={"lr": [0.01, 0.1]})
    fig = ex.static_figure()
    assert [c["name"] for c in fig.controls] == ["lr", "steps", "x0_0", "x0_1"]
    assert fig.items[0]["deps"] == ["lr", "x0_0", "x0_1"]
    combos = fig.combos(fig.items[0])
    runs = ex._item_runs("GD", fig.items[0]["deps"], combos, 20)  # one call for every start and rate
    k = next(i for i, c in enumerate(combos) if c == {"lr": 0.1, "x0_0": -2.0, "x0_1": 2.0})
    ref = minimize(Quad(), np.array([-2.0, 2.0]), SGD(lr=0.1), 20)
    np.testing.assert_allclose(runs[k].points, ref.points, rtol=1e-12, atol=1e-15)
    big = make()  # two optimizers over four hyperparameters: starts stay live only
    assert "x0_0" not in [c["name"] for c in big.static_figure().controls]
    assert "live only (run the notebook): θ₀,₁, θ₀,₂" in big.static_html()

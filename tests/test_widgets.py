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
FRAME = re.compile(r'frames\[\d+\] = "data:image/png;base64,')


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


def test_mimebundle_has_widget_view_and_offline_html():
    ex = make(static={"lr": [1e-3, 1e-2, 0.1, 1.0]})
    bundle = ex._repr_mimebundle_()
    assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(bundle)
    assert bundle[WIDGET_VIEW]["model_id"] == ex.widget.model_id
    assert bundle["text/plain"].startswith("Explorer: Quad, 2 optimizers")
    html = bundle["text/html"]
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "fa fa-" not in html  # player buttons carry text, not icon-font classes
    assert len(html.encode()) < 400_000
    assert len(FRAME.findall(html)) == 4
    assert ex._repr_mimebundle_(exclude={"text/html"}).keys() == {"text/plain", WIDGET_VIEW}
    assert ex.static_html() is html  # cached until a slider changes


def test_default_static_scrubs_lr_within_limits():
    ex = make()
    html = ex.static_html()
    n = len(FRAME.findall(html))
    assert 8 <= n <= 12
    assert len(html.encode()) < 400_000
    with pytest.raises(ValueError, match="1 to 12"):
        make(static={"lr": list(np.geomspace(1e-3, 1, 13))})
    with pytest.raises(ValueError, match="not a slider"):
        make(static={"gamma": [1, 2]})


def test_static_frames_match_live_runs():
    ex = make()
    vals = [1e-3, 0.05, 1.0]
    frames = ex._frames("lr", vals, ex.names)  # one vectorized minimize call
    for v, frame in zip(vals, frames):
        ex.update(lr=v)
        for name in ex.names:
            np.testing.assert_allclose(frame[name].points, ex.trajectories[name].points, rtol=1e-12, atol=1e-15)
            assert frame[name].diverged_at == ex.trajectories[name].diverged_at


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
    ex = explore(prob, FACTORIES, [0.0, 0.0], steps=20, batch_size=8, rng_seed=3, backend=BACKEND,
                 static={"batch_size": [2, 8, 64]})
    assert type(ex.sliders["batch_size"]).__name__ == "SelectionSlider"
    assert ex.values["batch_size"] == 8
    v = ex.values
    ref = minimize(prob, np.zeros(2), SGD(lr=v["lr"], momentum=v["momentum"]), 20, batch_size=8,
                   rng=np.random.default_rng(3))
    np.testing.assert_array_equal(ex.trajectories["SGD"].points, ref.points)
    ex.update(batch_size=5)  # snaps to a slider position
    assert ex.values["batch_size"] in (4, 8)
    ex.update(batch_size=8)
    np.testing.assert_array_equal(ex.trajectories["SGD"].points, ref.points)
    html = ex.static_html()
    assert len(FRAME.findall(html)) == 3 and "http://" not in html and "https://" not in html
    with pytest.raises(ValueError, match="finite-sum"):
        make(batch_size=4)


def test_one_dimensional_problem():
    ex = explore(Well1D(), {"GD": lambda lr: SGD(lr=lr)}, [1.8], steps=15, backend=BACKEND, static=False)
    assert set(ex.sliders) == {"lr", "steps", "x0_0"}
    xy = ex.paths["GD"].line.get_xydata()
    np.testing.assert_allclose(xy[:, 1], Well1D().value(ex.trajectories["GD"].points))
    html = ex.static_html()
    assert "<img" in html and "http://" not in html and "https://" not in html


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


def test_offline_jshtml_strips_outside_links_and_sets_alt():
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure

    from descent.widgets import offline_jshtml

    fig = Figure(figsize=(1, 1), dpi=20)
    ax = fig.add_subplot()
    line, = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda i: [line.set_ydata([0, i])], frames=2)
    raw = anim.to_jshtml()
    assert "<link" in raw  # matplotlib's template links a CDN stylesheet
    html = offline_jshtml(raw, "a line tilting up")
    assert "<link" not in html and "http" not in html
    assert 'alt="a line tilting up"' in html
    with pytest.raises(ValueError, match="alt must be"):
        offline_jshtml(raw, " ")

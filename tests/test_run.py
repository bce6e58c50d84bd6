"""Tests for descent.run: vectorized runs, divergence detection, stochastic batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descent.landscapes import LeastSquares, Quadratic, Rosenbrock
from descent.optim import SGD, Adam, RMSprop
from descent.run import Trajectory, minimize, minimize_many


@pytest.fixture
def quad():
    return Quadratic(np.diag([1.0, 10.0]))


def test_shapes_and_first_point(quad):
    x0 = np.array([[1.0, 1.0], [-1.0, 0.5], [0.2, 0.3]])
    traj = minimize(quad, x0, SGD(lr=0.05), 40)
    assert traj.points.shape == (41, 3, 2)
    assert traj.losses.shape == (41, 3)
    np.testing.assert_array_equal(traj.points[0], x0)
    np.testing.assert_allclose(traj.losses, quad.value(traj.points))
    assert traj.diverged_at == [None, None, None]
    assert traj.steps == 40


def test_matches_a_hand_loop(quad):
    x0 = np.array([1.0, 1.0])
    traj = minimize(quad, x0, Adam(lr=0.1), 25)
    opt = Adam(lr=0.1)
    s, x = opt.init(x0), x0
    for k in range(25):
        x, s = opt.update(x, quad.grad(x), s)
        np.testing.assert_array_equal(traj.points[k + 1], x)


def test_vectorized_grid_equals_single_runs():
    rb = Rosenbrock()
    lrs = np.array([1e-3, 3e-3, 1e-2])
    x0 = np.tile([-1.5, 2.0], (3, 1))
    batched = minimize(rb, x0, Adam(lr=lrs[:, None]), 100)
    for i, lr in enumerate(lrs):
        single = minimize(rb, x0[i], Adam(lr=float(lr)), 100)
        np.testing.assert_allclose(batched.points[:, i], single.points, rtol=1e-13)
        np.testing.assert_allclose(batched.losses[:, i], single.losses, rtol=1e-13)


def test_divergence_threshold_two_over_L(quad):
    """On a quadratic GD diverges exactly when lr > 2/L (L = 10 here)."""
    lrs = np.array([0.19, 0.199, 0.201, 0.25, 1.0])
    x0 = np.tile([1.0, 1.0], (len(lrs), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may escape
        traj = minimize(quad, x0, SGD(lr=lrs[:, None]), 3000)
    assert list(traj.diverged) == [False, False, True, True, True]
    at = traj.diverged_at
    assert at[:2] == [None, None] and all(isinstance(k, int) for k in at[2:])
    assert at[2] > at[3] > at[4]  # the faster the blow-up, the earlier
    k = at[4]
    assert np.all(np.isnan(traj.points[k:, 4])) and np.all(np.isfinite(traj.points[:k, 4]))
    assert np.all(np.isfinite(traj.losses[:, 0]))
    assert "diverged at step" in traj.summary(4)
    assert traj.summary(0).startswith("final loss")


def test_single_run_divergence_is_int_or_none(quad):
    assert minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.1), 50).diverged_at is None
    k = minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.5), 500).diverged_at
    assert isinstance(k, int) and k > 0


def test_steps_to(quad):
    traj = minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.1), 200)
    k = traj.steps_to(1e-6)
    assert isinstance(k, int)
    assert traj.losses[k] <= 1e-6 < traj.losses[k - 1]
    assert "within 1e-06 of the minimum at step" in traj.summary(tol=1e-6)
    assert traj.steps_to(1e-300) is None
    assert "never within" in traj.summary(tol=1e-300)


def test_steps_to_batch_uses_none_like_diverged_at(quad):
    """Missing values are None for steps_to as for diverged_at, in nested lists for a batch."""
    lrs = np.array([0.1, 0.01, 0.5])[:, None]
    traj = minimize(quad, np.ones((3, 2)), SGD(lr=lrs), 100)
    at = traj.steps_to(1e-6)
    assert at[1] is None and at[2] is None and isinstance(at[0], int)
    assert traj.diverged_at[:2] == [None, None] and isinstance(traj.diverged_at[2], int)
    assert at[0] == int(np.argmax(traj.losses[:, 0] <= 1e-6))
    raw = traj.steps_to(1e-6, missing=-1)  # for vectorized code, like divergence_steps
    assert raw.dtype.kind == "i" and raw.tolist() == [at[0], -1, -1]
    assert minimize(quad, np.ones(2), SGD(lr=0.1), 10).steps_to(1e-6, missing=-1) == -1
    with pytest.raises(TypeError, match="missing must be None or an int"):
        traj.steps_to(1e-6, missing=np.nan)
    grid = minimize(quad, np.ones((2, 3, 2)), SGD(lr=np.full((2, 3, 1), 0.1)), 100)
    assert grid.steps_to(1e-6) == [[at[0]] * 3] * 2
    assert grid.summary((1, 2), tol=1e-6).endswith(f"at step {at[0]}")


def test_summary_needs_an_index_for_a_batch(quad):
    traj = minimize(quad, np.ones((3, 2)), SGD(lr=0.1), 10)
    with pytest.raises(ValueError, match=r"summary needs the index of one run in this batch of shape \(3,\)"):
        traj.summary()
    with pytest.raises(ValueError, match="out of range"):
        traj.summary(3)
    assert traj.summary(-1) == traj.summary(2)
    single = minimize(quad, np.ones(2), SGD(lr=0.1), 10)
    with pytest.raises(ValueError, match="single run"):
        single.summary(0)


def test_minibatch_runs_are_seeded_and_vectorized():
    ls = LeastSquares.synthetic(n_samples=64, dim=2, noise=0.1, rng=np.random.default_rng(1))
    x0 = np.zeros((4, 2))
    a = minimize(ls, x0, SGD(lr=0.05), 50, batch_size=8, rng=np.random.default_rng(3))
    b = minimize(ls, x0, SGD(lr=0.05), 50, batch_size=8, rng=np.random.default_rng(3))
    c = minimize(ls, x0, SGD(lr=0.05), 50, batch_size=8, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    assert not np.allclose(a.points[-1, 0], a.points[-1, 1])  # each run draws its own batches
    full = minimize(ls, x0, SGD(lr=0.05), 50, batch_size=64, rng=np.random.default_rng(3))
    gd = minimize(ls, x0, SGD(lr=0.05), 50)
    np.testing.assert_allclose(full.points, gd.points, rtol=1e-12)
    assert np.all(a.losses[-1] < a.losses[0])


def test_bad_arguments(quad):
    with pytest.raises(TypeError, match="x0 must have a floating-point dtype"):
        minimize(quad, np.array([1, 1]), SGD(lr=0.1), 10)
    with pytest.raises(ValueError, match="x0 must have last dimension 2"):
        minimize(quad, np.array([1.0, 1.0, 1.0]), SGD(lr=0.1), 10)
    with pytest.raises(ValueError, match="steps must be an integer in"):
        minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.1), -1)
    with pytest.raises(ValueError, match="batch_size needs a finite-sum problem"):
        minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.1), 10, batch_size=2)
    ls = LeastSquares.synthetic(n_samples=10, dim=2, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        minimize(ls, np.zeros(2), SGD(lr=0.1), 10, batch_size=2, rng=42)
    with pytest.raises(ValueError, match="batch_size must be an integer in"):
        minimize(ls, np.zeros(2), SGD(lr=0.1), 10, batch_size=11, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="bound must be in"):
        minimize(quad, np.array([1.0, 1.0]), SGD(lr=0.1), 10, bound=0.0)


# --------------------------------------------------------------------- sampling
class _Recorder:
    """A finite sum that records every batch its gradient is asked for."""

    def __init__(self, inner):
        self.inner, self.batches = inner, []
        self.dim, self.n_samples, self.min_value = inner.dim, inner.n_samples, inner.min_value

    def value(self, x, batch=None):
        return self.inner.value(x, batch=batch)

    def grad(self, x, batch=None):
        self.batches.append(None if batch is None else np.array(batch))
        return self.inner.grad(x, batch=batch)


@pytest.fixture
def ls10():
    return LeastSquares.synthetic(n_samples=10, dim=2, noise=0.3, rng=np.random.default_rng(5))


@pytest.mark.parametrize("runs", [(), (3,), (2, 2)])
@pytest.mark.parametrize("batch_size", [4, 5, 1])
def test_reshuffle_sees_every_example_once_per_epoch(ls10, runs, batch_size):
    spy = _Recorder(ls10)
    per_epoch = -(-10 // batch_size)
    epochs = 3
    minimize(spy, np.zeros(runs + (2,)), SGD(lr=0.05), epochs * per_epoch + 1, batch_size=batch_size,
             rng=np.random.default_rng(0), sampling="reshuffle")
    batches = spy.batches
    assert len(batches) == epochs * per_epoch + 1
    sizes = [b.shape[-1] for b in batches[:per_epoch]]
    assert sizes == [batch_size] * (10 // batch_size) + ([10 % batch_size] if 10 % batch_size else [])
    orders = []
    for e in range(epochs):
        epoch = np.concatenate(batches[e * per_epoch:(e + 1) * per_epoch], axis=-1)
        assert epoch.shape == runs + (10,)
        np.testing.assert_array_equal(np.sort(epoch, axis=-1), np.broadcast_to(np.arange(10), runs + (10,)))
        orders.append(epoch.reshape(-1, 10))
    assert not np.array_equal(orders[0], orders[1])  # a new permutation each epoch
    if runs and batch_size > 1:
        assert len({tuple(o) for o in orders[0]}) > 1  # and each run its own


def test_reshuffle_is_seeded_and_differs_from_iid(ls10):
    x0 = np.zeros((4, 2))
    run = lambda seed, sampling: minimize(ls10, x0, SGD(lr=0.05), 30, batch_size=3,  # noqa: E731
                                          rng=np.random.default_rng(seed), sampling=sampling)
    np.testing.assert_array_equal(run(1, "reshuffle").points, run(1, "reshuffle").points)
    assert not np.allclose(run(1, "reshuffle").points, run(2, "reshuffle").points)
    assert not np.allclose(run(1, "reshuffle").points, run(1, "iid").points)
    # iid keeps its draws (chapters' recorded outputs depend on them)
    np.testing.assert_array_equal(run(1, "iid").points,
                                  minimize(ls10, x0, SGD(lr=0.05), 30, batch_size=3, rng=np.random.default_rng(1)).points)
    # a full batch is the full gradient whatever the sampling
    full = minimize(ls10, x0, SGD(lr=0.05), 30, batch_size=10, rng=np.random.default_rng(1), sampling="reshuffle")
    np.testing.assert_array_equal(full.points, minimize(ls10, x0, SGD(lr=0.05), 30).points)


def test_reshuffle_has_a_lower_noise_floor():
    """Random reshuffling's floor scales like lr^2, the i.i.d. one like lr: at a small lr it is far lower."""
    ls = LeastSquares.synthetic(n_samples=32, dim=2, noise=0.5, rng=np.random.default_rng(2))
    x0 = np.tile(ls.solution, (64, 1))
    floor = {}
    for sampling in ("iid", "reshuffle"):
        t = minimize(ls, x0, SGD(lr=0.01), 3200, batch_size=1, rng=np.random.default_rng(0), sampling=sampling)
        floor[sampling] = float(np.mean(t.losses[1600:] - ls.min_value))
    assert floor["reshuffle"] < floor["iid"] / 3


def test_bad_sampling_and_average(quad, ls10):
    with pytest.raises(ValueError, match="sampling must be one of"):
        minimize(ls10, np.zeros(2), SGD(lr=0.1), 5, batch_size=2, rng=np.random.default_rng(0), sampling="shuffle")
    with pytest.raises(ValueError, match="average must be one of"):
        minimize(quad, np.ones(2), SGD(lr=0.1), 5, average="mean")
    with pytest.raises(ValueError, match="average_start applies to average='tail' only"):
        minimize(quad, np.ones(2), SGD(lr=0.1), 5, average="polyak", average_start=2)
    with pytest.raises(ValueError, match="average_start must be an integer in \\[0, 5\\]"):
        minimize(quad, np.ones(2), SGD(lr=0.1), 5, average="tail", average_start=6)
    with pytest.raises(ValueError, match="average_start must be in"):
        minimize(quad, np.ones(2), SGD(lr=0.1), 5, average="tail", average_start=1.5)
    with pytest.raises(TypeError, match="average_start must be an integer"):
        minimize(quad, np.ones(2), SGD(lr=0.1), 5, average="tail", average_start=True)


# -------------------------------------------------------------------- averaging
def test_polyak_and_tail_averages_by_hand(quad):
    x0 = np.array([[1.0, 1.0], [-0.5, 2.0]])
    plain = minimize(quad, x0, SGD(lr=0.15), 20)
    assert plain.avg_points is None and plain.avg_losses is None and plain.final_avg_loss is None
    polyak = minimize(quad, x0, SGD(lr=0.15), 20, average="polyak")
    np.testing.assert_array_equal(polyak.points, plain.points)
    assert polyak.average_start == 0
    for k in range(21):
        np.testing.assert_allclose(polyak.avg_points[k], plain.points[:k + 1].mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(polyak.avg_losses, quad.value(polyak.avg_points), rtol=1e-12)
    for start, s in ((7, 7), (0.5, 10), (0.26, 5), (1.0, 20)):
        tail = minimize(quad, x0, SGD(lr=0.15), 20, average="tail", average_start=start)
        assert tail.average_start == s
        np.testing.assert_array_equal(tail.avg_points[:s], plain.points[:s])
        for k in range(s, 21):
            np.testing.assert_allclose(tail.avg_points[k], plain.points[s:k + 1].mean(axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tail.avg_losses, quad.value(tail.avg_points), rtol=1e-12)
    assert minimize(quad, x0, SGD(lr=0.15), 20, average="tail").average_start == 10


def test_averaging_a_diverged_run_is_nan_after_divergence(quad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = minimize(quad, np.ones((2, 2)), SGD(lr=np.array([[0.1], [0.3]])), 60, average="polyak")
    k = t.diverged_at[1]
    assert np.all(np.isnan(t.avg_points[k:, 1])) and np.all(np.isfinite(t.avg_points[:k, 1]))
    assert np.all(np.isnan(t.avg_losses[k:, 1])) and np.all(np.isfinite(t.avg_losses[:, 0]))


def test_tail_averaging_beats_the_last_iterate_floor():
    """Constant-step SGD stalls at a noise floor; averaging its second half goes far below it."""
    ls = LeastSquares.synthetic(n_samples=200, dim=2, noise=0.5, rng=np.random.default_rng(0))
    t = minimize(ls, np.zeros((8, 2)), SGD(lr=0.1), 4000, batch_size=1, rng=np.random.default_rng(0),
                 average="tail", average_start=0.5)
    last = np.median(t.final_loss - ls.min_value)
    avg = np.median(t.final_avg_loss - ls.min_value)
    assert avg < last / 10
    assert t.steps_to(1e-3, averaged=True) is not None
    with pytest.raises(ValueError, match=r"steps_to\(averaged=True\) needs a run with average"):
        minimize(ls, np.zeros(2), SGD(lr=0.1), 3).steps_to(1e-3, averaged=True)
    assert "(averaged iterate" in t.summary(0)


# ---------------------------------------------------------------- side by side
def _opts(R=None):
    lr = 1e-3 if R is None else np.geomspace(1e-4, 2e-3, R)[:, None]
    return {"GD": SGD(lr=lr), "momentum": SGD(lr=lr, momentum=0.9), "RMSprop": RMSprop(lr=1e-2),
            "Adam": Adam(lr=0.05), "too fast": SGD(lr=0.05)}


@pytest.mark.parametrize("R", [None, 3])
def test_minimize_many_equals_separate_calls(R):
    rb = Rosenbrock()
    x0 = np.array([-1.5, 2.0]) if R is None else np.column_stack([np.linspace(-1.5, 1, R), np.ones(R)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        many = minimize_many(rb, x0, _opts(R), 150, average="tail")
    assert list(many) == list(_opts(R))
    assert many["too fast"].diverged if R is None else list(many["too fast"].diverged) == [True, True, False]
    for name, opt in _opts(R).items():
        one = minimize(rb, x0, opt, 150, average="tail")
        for field in ("points", "divergence_steps"):
            np.testing.assert_array_equal(getattr(many[name], field), getattr(one, field), err_msg=f"{name} {field}")
        for field in ("losses", "avg_points", "avg_losses"):  # Rosenbrock's value on a stack: up to 1 ulp apart
            np.testing.assert_allclose(getattr(many[name], field), getattr(one, field), rtol=1e-15, atol=0,
                                       err_msg=f"{name} {field}")
        assert many[name].summary(*(() if R is None else (1,))) == one.summary(*(() if R is None else (1,)))


@pytest.mark.parametrize("sampling", ["iid", "reshuffle"])
def test_minimize_many_shares_batches_and_seeds(ls10, sampling):
    opts = lambda: {"SGD": SGD(lr=0.05), "Adam": Adam(lr=0.05), "momentum": SGD(lr=0.02, momentum=0.9)}  # noqa: E731
    x0 = np.zeros((2, 2))
    spy = _Recorder(ls10)
    many = minimize_many(spy, x0, opts(), 25, batch_size=3, rng=np.random.default_rng(7), sampling=sampling)
    assert len(spy.batches) == 25  # one gradient call per step for all optimizers
    for name, opt in opts().items():
        one = minimize(ls10, x0, opt, 25, batch_size=3, rng=np.random.default_rng(7), sampling=sampling)
        np.testing.assert_allclose(many[name].points, one.points, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(many[name].losses, one.losses, rtol=1e-14, atol=1e-15)
    seeded = minimize_many(ls10, x0, opts(), 25, batch_size=3, seeds=[3, 4, 5], sampling=sampling)
    for name, opt in opts().items():
        assert seeded[name].points.shape == (26, 3, 2, 2) and seeded[name].divergence_steps.shape == (3, 2)
        for i, s in enumerate([3, 4, 5]):
            one = minimize(ls10, x0, opt, 25, batch_size=3, rng=np.random.default_rng(s), sampling=sampling)
            np.testing.assert_allclose(seeded[name].points[:, i], one.points, rtol=1e-14, atol=1e-15)
    assert not np.allclose(seeded["SGD"].points[:, 0], seeded["SGD"].points[:, 1])


def test_minimize_many_bad_arguments(ls10):
    with pytest.raises(ValueError, match="give rng or seeds, not both"):
        minimize_many(ls10, np.zeros(2), {"a": SGD(lr=0.1)}, 5, batch_size=2, rng=np.random.default_rng(0), seeds=[1])
    with pytest.raises(TypeError, match="seeds must be a non-empty sequence of ints"):
        minimize_many(ls10, np.zeros(2), {"a": SGD(lr=0.1)}, 5, batch_size=2, seeds=3)
    with pytest.raises(ValueError, match="seeds\\[i\\] must be an integer in"):
        minimize_many(ls10, np.zeros(2), {"a": SGD(lr=0.1)}, 5, batch_size=2, seeds=[-1])
    with pytest.raises(TypeError, match="optimizers must be a non-empty mapping"):
        minimize_many(ls10, np.zeros(2), [SGD(lr=0.1)], 5)
    with pytest.raises(TypeError, match="optimizers must be a non-empty mapping"):
        minimize_many(ls10, np.zeros(2), {}, 5)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        minimize_many(ls10, np.zeros(2), {"a": SGD(lr=0.1)}, 5, batch_size=2)


# ------------------------------------------------------------------ fast paths
class _InPlaceSGD(SGD):
    """SGD with an in-place ``update_`` (as descent.optim will provide), counting its calls."""

    calls = 0

    def update_(self, params, grads, state):
        type(self).calls += 1
        new, state = self.update(params, grads, state)
        params[...] = new
        return params, state


def test_minimize_uses_update_in_place_without_touching_x0(quad):
    x0 = np.array([[1.0, 1.0], [0.5, -1.0]])
    keep = x0.copy()
    _InPlaceSGD.calls = 0
    fast = minimize(quad, x0, _InPlaceSGD(lr=np.array([[0.1], [0.5]]), momentum=0.5), 80)
    assert _InPlaceSGD.calls == 80
    assert fast.diverged_at[0] is None and fast.diverged_at[1] > 5
    slow = minimize(quad, x0, SGD(lr=np.array([[0.1], [0.5]]), momentum=0.5), 80)
    np.testing.assert_array_equal(x0, keep)
    for field in ("points", "losses", "divergence_steps"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(slow, field))
    many = minimize_many(quad, x0, {"fast": _InPlaceSGD(lr=0.1), "slow": SGD(lr=0.1)}, 30)
    np.testing.assert_array_equal(many["fast"].points, many["slow"].points)


def test_a_landscape_that_overrides_grad_is_called():
    class Shifted(Quadratic):
        def grad(self, x):
            return super().grad(x) + 1.0

    q, s = Quadratic(np.eye(2)), Shifted(np.eye(2))
    a = minimize(q, np.ones(2), SGD(lr=0.1), 10)
    b = minimize(s, np.ones(2), SGD(lr=0.1), 10)
    assert not np.allclose(a.points[-1], b.points[-1])
    np.testing.assert_allclose(b.points[-1], 1.0 * 0.9**10 - (1 - 0.9**10), rtol=1e-12)


def test_float32_runs_stay_float32(quad):
    t = minimize(quad, np.ones((2, 2), dtype=np.float32), SGD(lr=0.1), 10, average="polyak")
    assert t.points.dtype == np.float32 and t.avg_points.dtype == np.float32
    assert t.losses.dtype == np.float32 and t.avg_losses.dtype == np.float32


def test_trajectory_is_positional_compatible():
    t = Trajectory(np.zeros((3, 2)), np.zeros(3), np.asarray(-1), 0.0)
    assert t.avg_points is None and t.average_start is None and t.diverged_at is None

"""Tests for descent.run: vectorized runs, divergence detection, stochastic batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descent.landscapes import LeastSquares, Quadratic, Rosenbrock
from descent.optim import SGD, Adam
from descent.run import minimize


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
    assert k is not None
    assert traj.losses[k] <= 1e-6 < traj.losses[k - 1]
    assert "within 1e-06 of the minimum at step" in traj.summary(tol=1e-6)


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

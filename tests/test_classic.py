"""Tests for descent.classic: exact line search, Kantorovich's bound, Gauss–Newton."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent.classic import (
    NonlinearLeastSquares,
    exact_step,
    gauss_newton,
    kantorovich_rate,
    kantorovich_start,
    steepest_descent,
)
from descent.landscapes import LeastSquares, Quadratic, Rosenbrock
from descent.optim import SGD
from descent.run import Trajectory, minimize

FAST = settings(max_examples=40, deadline=None)


@pytest.fixture
def quad():
    return Quadratic(np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]), b=np.array([1.0, -2.0, 0.5]), c=0.7)


# ----------------------------------------------------------------------- exact step
@FAST
@given(st.integers(0, 10_000))
def test_exact_step_minimizes_along_the_ray(seed):
    rng = np.random.default_rng(seed)
    q = Quadratic.from_condition(float(rng.uniform(1, 200)), angle=float(rng.uniform(-3, 3)), dim=3)
    x = rng.standard_normal(3)
    g = q.grad(x)
    eta = exact_step(q.A, g)
    grid = np.linspace(0.0, 3.0 * eta, 30_001)  # dense 1-D search, spacing 1e-4 eta
    phi = q.value(x - grid[:, None] * g)
    best = grid[np.argmin(phi)]
    assert abs(best - eta) <= 1.5e-4 * eta
    assert q.value(x - eta * g) <= phi.min() + 1e-12 * (1 + abs(phi.min()))


def test_exact_step_vectorized_and_zero_gradient():
    A = np.diag([1.0, 4.0])
    g = np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.0]])
    np.testing.assert_allclose(exact_step(A, g), [0.4, 0.0, 1.0])
    assert isinstance(exact_step(A, g[0]), float)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"A": np.ones((2, 3)), "g": np.ones(2)}, ValueError, "A must be a square"),
        ({"A": np.eye(2), "g": np.ones(3)}, ValueError, "g must have last dimension 2"),
        ({"A": np.eye(2), "g": np.array([1, 2])}, TypeError, "g must have a floating-point dtype"),
        ({"A": "eye", "g": np.ones(2)}, TypeError, "A must be"),
        ({"A": np.eye(2) * np.nan, "g": np.ones(2)}, ValueError, "A must be finite"),
    ],
)
def test_exact_step_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        exact_step(**kwargs)


# ----------------------------------------------------------------- steepest descent
def test_steepest_descent_matches_hand_loop(quad):
    x0 = np.array([1.0, -1.0, 2.0])
    traj = steepest_descent(quad, x0, 10)
    assert isinstance(traj, Trajectory)
    x = x0
    for k in range(1, 11):
        g = quad.A @ x - quad.b
        x = x - (g @ g) / (g @ quad.A @ g) * g
        np.testing.assert_allclose(traj.points[k], x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(traj.losses, quad.value(traj.points))
    assert traj.min_value == pytest.approx(quad.min_value)
    assert traj.diverged_at is None


@FAST
@given(st.integers(0, 10_000))
def test_successive_gradients_are_orthogonal(seed):
    rng = np.random.default_rng(seed)
    q = Quadratic.from_condition(float(rng.uniform(2, 100)), angle=float(rng.uniform(-3, 3)), dim=4)
    traj = steepest_descent(q, rng.standard_normal((5, 4)), 6)
    g = q.grad(traj.points)
    cos = np.sum(g[1:] * g[:-1], -1) / (np.linalg.norm(g[1:], axis=-1) * np.linalg.norm(g[:-1], axis=-1))
    assert np.max(np.abs(cos)) < 1e-8


def test_batch_runs_equal_single_runs(quad):
    x0 = np.random.default_rng(3).standard_normal((2, 3, 3))
    batch = steepest_descent(quad, x0, 7)
    assert batch.points.shape == (8, 2, 3, 3) and batch.losses.shape == (8, 2, 3)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(batch.points[:, i, j], steepest_descent(quad, x0[i, j], 7).points)


def test_least_squares_problem_is_accepted():
    ls = LeastSquares.synthetic(n_samples=40, dim=3, rng=np.random.default_rng(0), condition=20.0)
    traj = steepest_descent(ls, np.zeros(3), 200)
    np.testing.assert_allclose(traj.points[-1], ls.solution, atol=1e-8)


def test_steepest_descent_validation(quad):
    with pytest.raises(TypeError, match="problem must be a descent.landscapes.Quadratic"):
        steepest_descent(Rosenbrock(), np.zeros(2), 3)
    with pytest.raises(ValueError, match="x0 must have last dimension 3"):
        steepest_descent(quad, np.zeros(2), 3)
    with pytest.raises(ValueError, match="steps must be an integer"):
        steepest_descent(quad, np.zeros(3), -1)
    with pytest.raises(TypeError, match="x0 must have a floating-point dtype"):
        steepest_descent(quad, np.zeros(3, dtype=int), 1)


# ---------------------------------------------------------------------- Kantorovich
def test_kantorovich_rate_values():
    assert kantorovich_rate(1.0) == 0.0
    assert kantorovich_rate(3.0) == pytest.approx(0.25)
    np.testing.assert_allclose(kantorovich_rate(np.array([1.0, 9.0, 99.0])), [0.0, 0.64, 0.98**2])
    with pytest.raises(ValueError, match=r"kappa must be in \[1, inf\)"):
        kantorovich_rate(0.5)
    with pytest.raises(TypeError, match="kappa must be a real"):
        kantorovich_rate("ten")


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1000.0])
def test_bound_holds_and_worst_start_attains_it(kappa):
    q = Quadratic.from_condition(kappa, angle=0.7, dim=3)
    rng = np.random.default_rng(int(kappa))
    traj = steepest_descent(q, rng.standard_normal((200, 3)), 15)
    gap = traj.losses - q.min_value
    ratio = gap[1:] / gap[:-1]
    assert np.all(ratio <= kantorovich_rate(kappa) * (1 + 1e-9))
    worst = steepest_descent(q, kantorovich_start(q, radius=2.0, sign=-1), 15)
    r = (worst.losses[1:] - q.min_value) / (worst.losses[:-1] - q.min_value)
    np.testing.assert_allclose(r, kantorovich_rate(kappa), rtol=1e-6)


def test_eigenvector_start_converges_in_one_step():
    q = Quadratic.from_condition(50.0, angle=0.3)
    traj = steepest_descent(q, q.eigenvectors[:, 0] * 3.0, 1)
    np.testing.assert_allclose(traj.points[1], q.minimizer, atol=1e-14)


def test_kantorovich_start_geometry():
    q = Quadratic(np.diag([1.0, 4.0]), b=np.array([1.0, 1.0]))
    x0 = kantorovich_start(q, radius=3.0)
    assert np.linalg.norm(x0 - q.minimizer) == pytest.approx(3.0)
    d = (x0 - q.minimizer) / np.linalg.norm(x0 - q.minimizer)
    np.testing.assert_allclose(d, np.array([1.0, 0.25]) / np.hypot(1.0, 0.25))
    with pytest.raises(ValueError, match="sign must be 1 or -1"):
        kantorovich_start(q, sign=0)
    with pytest.raises(ValueError, match="radius must be in"):
        kantorovich_start(q, radius=0.0)


# --------------------------------------------------------------------- Gauss–Newton
def _decay(noise=0.0, seed=0):
    t = np.linspace(0.0, 4.0, 25)
    y = 3.0 * np.exp(-1.2 * t) + noise * np.random.default_rng(seed).standard_normal(t.size)
    return NonlinearLeastSquares.exponential_decay(t, y)


def test_residual_jacobian_gradient_against_finite_differences():
    p = _decay(0.05)
    theta = np.array([[2.0, 0.7], [3.5, 1.6]])
    h = 1e-6
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        np.testing.assert_allclose(
            (p.residual(theta + e) - p.residual(theta - e)) / (2 * h), p.jacobian(theta)[..., k], rtol=1e-6, atol=1e-9
        )
        np.testing.assert_allclose((p.value(theta + e) - p.value(theta - e)) / (2 * h), p.grad(theta)[..., k], rtol=1e-6)


def test_gauss_newton_step_solves_the_linearized_problem():
    p = _decay(0.05)
    theta = np.array([2.0, 0.7])
    step = p.gauss_newton_step(theta)
    ref = np.linalg.lstsq(p.jacobian(theta), -p.residual(theta), rcond=None)[0]
    np.testing.assert_allclose(step, ref, rtol=1e-10)
    J, r = p.jacobian(theta), p.residual(theta)
    np.testing.assert_allclose(p.gauss_newton_step(theta, damping=0.3), -np.linalg.solve(J.T @ J + 0.3 * np.eye(2), J.T @ r))


def test_gauss_newton_converges_quadratically_on_zero_residual():
    p = _decay(0.0)
    traj = gauss_newton(p, np.array([1.0, 0.3]), 10)
    err = np.linalg.norm(traj.points - np.array([3.0, 1.2]), axis=-1)
    assert err[-1] < 1e-13
    # quadratic: e_{k+1} / e_k^2 stays bounded while e_k shrinks, and the digits double
    window = (err[:-1] < 0.1) & (err[1:] > 1e-14)
    assert window.sum() >= 2
    c = err[1:][window] / err[:-1][window] ** 2
    assert np.all(c < 10.0)
    assert np.all(err[1:][window] < err[:-1][window] ** 1.8)


def test_gauss_newton_linear_rate_with_noise_and_beats_gd():
    p = _decay(0.05, seed=1)
    gn = gauss_newton(p, np.array([1.0, 0.3]), 30)
    theta = gn.points[-1]
    assert np.linalg.norm(p.grad(theta)) < 1e-13
    gd = minimize(p, np.array([1.0, 0.3]), SGD(lr=0.5), 30)
    assert gd.losses[-1] - gn.losses[-1] > 1e-6


def test_gauss_newton_batched_and_divergence():
    p = _decay(0.0)
    x0 = np.array([[1.0, 0.3], [2.5, 1.0], [3.0, 1.2]])
    traj = gauss_newton(p, x0, 12)
    np.testing.assert_allclose(traj.points[-1], np.tile([3.0, 1.2], (3, 1)), atol=1e-10)
    for i in range(3):
        np.testing.assert_allclose(gauss_newton(p, x0[i], 12).points, traj.points[:, i], atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bad = gauss_newton(p, np.array([[1e-3, 5.0], [1.0, 0.3]]), 20, bound=1e3)
    assert bad.diverged_at[1] is None and bad.diverged_at[0] is not None
    assert np.isnan(bad.points[-1, 0]).all()


def test_gauss_newton_validation():
    p = _decay()
    with pytest.raises(TypeError, match="problem must be a NonlinearLeastSquares"):
        gauss_newton(Rosenbrock(), np.zeros(2), 3)
    with pytest.raises(ValueError, match="damping must be in"):
        gauss_newton(p, np.zeros(2), 3, damping=-1.0)
    with pytest.raises(ValueError, match="x0 must have last dimension 2"):
        gauss_newton(p, np.zeros(3), 3)
    with pytest.raises(TypeError, match="residual must be callable"):
        NonlinearLeastSquares(1.0, lambda th: th, 2)
    with pytest.raises(TypeError, match="jacobian must be callable"):
        NonlinearLeastSquares(lambda th: th, None, 2)
    with pytest.raises(ValueError, match="t and y must be 1-D"):
        NonlinearLeastSquares.exponential_decay(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="theta must have a floating-point dtype"):
        p.value(np.array([1, 2]))


# ------------------------------------------------------------------ Armijo backtracking
def test_backtracking_accepts_the_largest_trial_step_that_passes():
    from descent.classic import backtracking_descent

    q = Quadratic(np.array([[3.0, 1.0], [1.0, 2.0]]))
    x0 = np.array([[1.0, -2.0], [0.3, 0.4]])
    traj, lrs, evals = backtracking_descent(q, x0, 25, lr0=2.0, c=0.3, shrink=0.5)
    assert traj.points.shape == (26, 2, 2) and lrs.shape == (25, 2)
    count = 0
    for k in range(25):
        for r in range(2):
            x, eta = traj.points[k, r], lrs[k, r]
            g = q.grad(x)
            f = q.value(x)
            ok = lambda e: q.value(x - e * g) <= f - 0.3 * e * g @ g
            trials = 2.0 * 0.5 ** np.arange(60)
            first = trials[np.argmax([ok(e) for e in trials])]
            if g @ g > 0:
                assert eta == first and ok(eta)
                count += int(np.argmax([ok(e) for e in trials])) + 1
            np.testing.assert_allclose(traj.points[k + 1, r], x - eta * g)
    assert evals == count
    L = q.L
    assert np.all(lrs >= min(2.0, 0.5 * 2 * (1 - 0.3) / L) - 1e-15)
    assert np.all(np.diff(traj.losses, axis=0) <= 1e-15)


def test_backtracking_converges_from_a_huge_first_step_and_on_a_nonquadratic():
    from descent.classic import backtracking_descent
    from descent.landscapes import Rosenbrock

    q = Quadratic(np.diag([1.0, 100.0]))
    traj, lrs, _ = backtracking_descent(q, np.array([1.0, 1.0]), 400, lr0=1e6)
    assert traj.losses[-1] - q.min_value < 1e-6 and np.all(np.diff(traj.losses) <= 0)
    rb = Rosenbrock()
    traj, _, _ = backtracking_descent(rb, np.array([-1.2, 1.0]), 3000, lr0=1.0)
    assert np.all(np.diff(traj.losses) <= 0) and traj.losses[-1] < 1e-3


def test_backtracking_argument_errors():
    from descent.classic import backtracking_descent

    q = Quadratic(np.eye(2))
    for kw, match in (({"lr0": 0.0}, "lr0"), ({"c": 1.0}, "c must"), ({"shrink": 1.5}, "shrink"),
                      ({"max_shrinks": 0}, "max_shrinks")):
        with pytest.raises(ValueError, match=match):
            backtracking_descent(q, np.ones(2), 3, **kw)
    traj, lrs, evals = backtracking_descent(q, np.zeros(2), 3)      # at the minimum: no step, no evaluation
    assert np.all(lrs == 0) and evals == 0 and np.all(traj.points == 0)

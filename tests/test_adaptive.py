"""Tests for descent.adaptive: problems, effective rates and the drifting-optimum runner."""

import numpy as np
import pytest

from descent.adaptive import (
    DriftingQuadratic,
    adagrad_effective_lr,
    ema_weights,
    preconditioned_condition,
    quadratic_pair,
    rmsprop_effective_lr,
    sparse_logistic,
    track,
)
from descent.optim import SGD, Adagrad, RMSprop


# ----------------------------------------------------------------- sparse data
def test_sparse_logistic_is_seeded_and_shaped():
    a = sparse_logistic(n_samples=300, n_dense=3, n_rare=20, rng=np.random.default_rng(4))
    b = sparse_logistic(n_samples=300, n_dense=3, n_rare=20, rng=np.random.default_rng(4))
    c = sparse_logistic(n_samples=300, n_dense=3, n_rare=20, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (300, 23) and a.rare.sum() == 20 and not a.rare[:3].any()
    assert set(np.unique(a.X[:, a.rare])) <= {0.0, 1.0}
    assert set(np.unique(a.y)) <= {0.0, 1.0}
    np.testing.assert_allclose(a.freq, np.geomspace(0.01, 0.1, 20))


def test_sparse_logistic_frequencies_and_scales_match_the_recipe():
    prob = sparse_logistic(n_samples=40000, n_dense=4, n_rare=5, freq=(0.02, 0.2), dense_scale=3.0,
                           rng=np.random.default_rng(0))
    observed = prob.X[:, prob.rare].mean(axis=0)
    # binomial standard error sqrt(p(1-p)/N) is at most 0.002 here; allow 5 of them
    np.testing.assert_allclose(observed, prob.freq, atol=5 * np.sqrt(0.2 * 0.8 / 40000))
    np.testing.assert_allclose(prob.X[:, ~prob.rare].std(axis=0), 3.0, rtol=0.03)
    np.testing.assert_allclose(np.abs(prob.theta_true[prob.rare]), 2.0)


def test_sparse_logistic_diagonal_curvature_spans_the_frequencies():
    prob = sparse_logistic(n_samples=5000, rng=np.random.default_rng(2))
    h = np.diag(prob.hessian(np.zeros(prob.dim)))      # sigma'(0) = 1/4 at theta = 0
    np.testing.assert_allclose(h[~prob.rare], 16.0 / 4 + prob.l2, rtol=0.1)
    np.testing.assert_allclose(h[prob.rare], prob.freq / 4 + prob.l2, rtol=0.35)


@pytest.mark.parametrize("kw, err", [
    ({"n_samples": 0}, ValueError), ({"n_dense": 0, "n_rare": 0}, ValueError),
    ({"freq": (0.2, 0.1)}, ValueError), ({"freq": (0.0, 0.1)}, ValueError), ({"freq": 0.1}, TypeError),
    ({"dense_scale": 0.0}, ValueError), ({"rare_weight": -1.0}, ValueError), ({"l2": -1.0}, ValueError),
    ({"rng": 3}, TypeError),
])
def test_sparse_logistic_rejects_bad_input(kw, err):
    with pytest.raises(err):
        sparse_logistic(**kw)


# ------------------------------------------------------------- preconditioning
def test_quadratic_pair_shares_the_spectrum():
    aligned, rotated = quadratic_pair(50.0, angle=0.3, L=2.0)
    np.testing.assert_allclose(aligned.eigenvalues, rotated.eigenvalues)
    np.testing.assert_allclose(aligned.A, np.diag([2.0, 2.0 / 50]))
    assert abs(rotated.A[0, 1]) > 0.1


def test_preconditioned_condition_closed_forms():
    aligned, rotated = quadratic_pair(100.0)
    assert preconditioned_condition(aligned.A) == pytest.approx(1.0, abs=1e-12)
    # at 45 degrees diag(H) is a multiple of I: the rescaling changes nothing
    assert preconditioned_condition(rotated.A) == pytest.approx(100.0, rel=1e-10)
    # between the two, Jacobi scaling helps only part of the way
    mid = preconditioned_condition(quadratic_pair(100.0, angle=np.pi / 12)[1].A)
    assert 1.0 < mid < 100.0
    # an explicit scale of ones is no preconditioning at all
    assert preconditioned_condition(rotated.A, np.ones(2)) == pytest.approx(rotated.kappa, rel=1e-10)


def test_preconditioned_condition_rejects_bad_input():
    with pytest.raises(ValueError):
        preconditioned_condition(np.ones((2, 3)))
    with pytest.raises(ValueError):
        preconditioned_condition(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError):
        preconditioned_condition(np.eye(2), np.array([1.0, -1.0]))
    with pytest.raises(ValueError):
        preconditioned_condition(np.eye(2), np.ones(3))
    with pytest.raises(ValueError):
        preconditioned_condition(np.array([[1.0, 2.0], [2.0, 1.0]]))     # indefinite


# ------------------------------------------------------------ effective rates
def _library_steps(opt, grads):
    """Feed a fixed gradient sequence to a library optimizer; return the per-step displacements."""
    p = np.zeros_like(grads[0])
    state = opt.init(p)
    out = []
    for g in grads:
        p2, state = opt.update(p, g, state)
        out.append(p2 - p)
        p = p2
    return np.array(out)


def test_effective_rates_reproduce_the_library_steps():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((40, 3)) * np.array([1e-3, 1.0, 1e2])
    grads[5:9, 0] = 0.0                                    # exact zeros must not break anything
    steps = _library_steps(Adagrad(lr=0.3, eps=1e-10, initial_accumulator_value=0.1), grads)
    np.testing.assert_allclose(steps, -adagrad_effective_lr(grads, 0.3, 1e-10, 0.1) * grads, rtol=1e-12)
    steps = _library_steps(RMSprop(lr=0.02, alpha=0.9, eps=1e-8), grads)
    np.testing.assert_allclose(steps, -rmsprop_effective_lr(grads, 0.02, 0.9, 1e-8) * grads, rtol=1e-12)


def test_adagrad_rate_never_increases_and_falls_as_one_over_sqrt_t():
    g = np.ones((400, 1))
    eff = adagrad_effective_lr(g, lr=1.0, eps=0.0)[:, 0]
    assert np.all(np.diff(eff) < 0)
    np.testing.assert_allclose(eff, 1 / np.sqrt(np.arange(1, 401)), rtol=1e-12)
    # larger gradients -> larger accumulator -> smaller step
    big = adagrad_effective_lr(10 * g, lr=1.0, eps=0.0)[:, 0]
    assert np.all(big < eff)


def test_rmsprop_rate_recovers_when_gradients_shrink():
    g = np.concatenate([np.ones(50), 0.01 * np.ones(200)])[:, None]
    eff = rmsprop_effective_lr(g, lr=1.0, alpha=0.9, eps=0.0)[:, 0]
    ada = adagrad_effective_lr(g, lr=1.0, eps=0.0)[:, 0]
    assert eff[-1] == pytest.approx(100.0, rel=1e-5)   # 0.9**200 of the large gradients is left
    assert ada[-1] < 0.15                                   # Adagrad has not


def test_ema_weights_sum_and_window():
    w = ema_weights(0.9, 2000)
    assert w.sum() == pytest.approx(1 - 0.9**2000, rel=1e-12)
    assert np.sum(np.arange(2000) * w) == pytest.approx(0.9 / 0.1, rel=1e-9)     # mean age
    # the EMA built from these weights is the recursion
    x = np.random.default_rng(1).random(30)
    v = 0.0
    for xi in x:
        v = 0.7 * v + 0.3 * xi
    assert v == pytest.approx(np.dot(ema_weights(0.7, 30), x[::-1]), rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda: adagrad_effective_lr(np.zeros((0, 2))),
    lambda: adagrad_effective_lr(np.ones(3), lr=0.0),
    lambda: adagrad_effective_lr(np.ones(3), eps=-1.0),
    lambda: rmsprop_effective_lr(np.ones(3), alpha=1.0),
    lambda: ema_weights(1.0, 3),
    lambda: ema_weights(0.5, 0),
])
def test_rates_reject_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_rates_reject_integer_gradients():
    with pytest.raises(TypeError):
        adagrad_effective_lr(np.ones(3, dtype=int))


# ------------------------------------------------------------ moving optimum
def test_drifting_quadratic_gradient_matches_finite_differences():
    dq = DriftingQuadratic(np.array([0.5, 3.0]), np.array([0.1, -0.2]), np.array([1.0, 2.0]))
    x, t, h = np.array([0.3, -0.7]), 7, 1e-6
    fd = np.array([(dq.value(x + h * e, t) - dq.value(x - h * e, t)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(dq.grad(x, t), fd, rtol=1e-7)
    np.testing.assert_allclose(dq.minimizer(t), [1.7, 0.6])
    assert dq.value(dq.minimizer(t), t) == 0.0


def test_gd_tracks_with_the_predicted_lag_and_adagrad_falls_behind():
    dq = DriftingQuadratic(np.array([1.0, 4.0]), np.array([0.05, 0.05]))
    lrs = np.array([[0.1], [0.2]])
    run = track(dq, np.zeros((2, 2)), SGD(lr=lrs), 600)
    lag = np.abs(dq.velocity / (lrs * dq.eigenvalues))            # v / (eta lambda), per coordinate
    np.testing.assert_allclose(run.errors[-1], np.linalg.norm(lag, axis=-1), rtol=1e-9)
    ada = track(dq, np.zeros(2), Adagrad(lr=0.5), 3000)
    assert ada.errors[3000] > 2 * ada.errors[750] > 0                # the lag keeps growing
    assert run.points.shape == (601, 2, 2) and run.targets.shape == (601, 2)


def test_drifting_and_track_reject_bad_input():
    with pytest.raises(ValueError):
        DriftingQuadratic(np.array([1.0, -1.0]), np.zeros(2))
    with pytest.raises(ValueError):
        DriftingQuadratic(np.array([1.0]), np.zeros(2))
    with pytest.raises(ValueError):
        DriftingQuadratic(np.array([1.0]), np.zeros(1), np.zeros(2))
    with pytest.raises(TypeError):
        track(object(), np.zeros(1), SGD(lr=0.1), 3)
    dq = DriftingQuadratic(np.array([1.0]), np.array([0.1]))
    with pytest.raises(ValueError):
        track(dq, np.zeros(2), SGD(lr=0.1), 3)
    with pytest.raises(ValueError):
        track(dq, np.zeros(1), SGD(lr=0.1), -1)


# ------------------------------------------------------------ rotated frames
def test_rotated_axes_equals_the_optimizer_on_the_rotated_bowl():
    from descent.adaptive import RotatedAxes
    from descent.landscapes import Quadratic
    from descent.run import minimize
    a = 0.4
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    aligned = Quadratic(np.diag([1.0, 0.01]))
    rotated = Quadratic(R.T @ aligned.A @ R)          # the same bowl seen in phi = R^T theta
    x0 = np.array([1.0, 1.0])
    wrapped = minimize(aligned, x0, RotatedAxes(Adagrad(lr=0.1), a), 50)
    direct = minimize(rotated, x0 @ R, Adagrad(lr=0.1), 50)
    np.testing.assert_allclose(wrapped.points @ R, direct.points, rtol=1e-12, atol=1e-14)
    # SGD does not care about the frame
    plain = minimize(aligned, x0, SGD(lr=0.5), 20).points
    np.testing.assert_allclose(minimize(aligned, x0, RotatedAxes(SGD(lr=0.5), a), 20).points, plain,
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(TypeError):
        RotatedAxes(object(), 0.1)
    with pytest.raises(ValueError):
        RotatedAxes(SGD(lr=0.1), 0.1).init(np.zeros(3))

"""Tests for descent.stochastic: GD rates on quadratics and mini-batch gradient statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent.landscapes import LeastSquares, LogisticRegression, Quadratic
from descent.optim import SGD, Adam
from descent.run import minimize
from descent.stochastic import (
    GradientNoise,
    accumulate_gradients,
    gd_rate_quadratic,
    gradient_noise,
    max_stable_lr,
    measured_rate,
    minibatch_variance,
    optimal_lr_quadratic,
    sample_batches,
    sgd_max_stable_lr,
    gradient_noise_scale,
    sgd_expected_loss,
    sgd_stationary_loss,
    time_per_gradient,
)


@pytest.fixture(scope="module")
def ls():
    return LeastSquares.synthetic(n_samples=60, dim=3, noise=0.5, rng=np.random.default_rng(1), condition=4.0)


@pytest.fixture(scope="module")
def logreg():
    return LogisticRegression.synthetic(n_samples=40, dim=2, rng=np.random.default_rng(2), l2=0.1)


# ------------------------------------------------------------------ deterministic rates
def test_rate_matches_the_error_of_an_actual_run():
    q = Quadratic.from_condition(20.0, angle=0.4)
    lrs = np.array([0.3, 0.8, optimal_lr_quadratic(q.eigenvalues), 1.9])
    # start along the slowest eigenvector and along the fastest: the rate is the worse of the two
    for v in q.eigenvectors.T:
        traj = minimize(q, np.tile(v, (4, 1)), SGD(lr=lrs[:, None]), 10)
        err = np.linalg.norm(traj.points, axis=-1)
        rho_v = np.abs(1 - lrs * float(v @ q.A @ v))
        np.testing.assert_allclose(measured_rate(err), rho_v, rtol=1e-9)
    np.testing.assert_allclose(
        gd_rate_quadratic(q.eigenvalues, lrs),
        np.maximum(np.abs(1 - lrs * q.mu), np.abs(1 - lrs * q.L)),
    )


def test_special_step_sizes():
    lam = np.array([0.5, 2.0, 8.0])
    assert max_stable_lr(lam) == 0.25
    assert gd_rate_quadratic(lam, max_stable_lr(lam)) == pytest.approx(1.0)
    eta = optimal_lr_quadratic(lam)
    assert eta == pytest.approx(2 / 8.5)
    kappa = 16.0
    assert gd_rate_quadratic(lam, eta) == pytest.approx((kappa - 1) / (kappa + 1))
    assert gd_rate_quadratic(lam, 1 / 8.0) == pytest.approx(1 - 1 / kappa)
    grid = np.linspace(0.01, 0.25, 2001)
    assert grid[np.argmin(gd_rate_quadratic(lam, grid))] == pytest.approx(eta, abs=2e-4)


@settings(max_examples=60, deadline=None)
@given(
    lam=st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=6),
    frac=st.floats(0.0, 3.0),
)
def test_rate_below_one_iff_lr_below_two_over_L(lam, frac):
    lam = np.array(lam)
    eta = frac * max_stable_lr(lam)
    rho = gd_rate_quadratic(lam, eta)
    assert rho >= gd_rate_quadratic(lam, optimal_lr_quadratic(lam)) - 1e-12
    if 1e-9 < frac < 1 - 1e-9:
        assert rho < 1
    elif frac > 1 + 1e-9:
        assert rho > 1


def test_rate_shapes_and_zero_eigenvalue():
    assert isinstance(gd_rate_quadratic([1.0, 2.0], 0.1), float)
    assert gd_rate_quadratic([1.0, 2.0], np.full((3, 1), 0.1)).shape == (3, 1)
    assert gd_rate_quadratic([0.0, 1.0], 0.5) == 1.0  # a flat direction never contracts


def test_measured_rate_window_and_runs():
    e = np.stack([0.5 ** np.arange(20.0), 0.9 ** np.arange(20.0)], axis=1)
    e[:3, 0] = 7.0  # a transient before the window
    np.testing.assert_allclose(measured_rate(e, start=5), [0.5, 0.9])
    e[-1, 1] = np.nan
    assert np.isnan(measured_rate(e, start=5)[1])
    assert measured_rate(e, start=5, stop=10)[1] == pytest.approx(0.9)


def test_rate_argument_errors():
    with pytest.raises(ValueError, match="eigenvalues must be finite and in"):
        gd_rate_quadratic([-1.0, 2.0], 0.1)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        gd_rate_quadratic(np.ones((2, 2)), 0.1)
    with pytest.raises(ValueError, match="lr must be in"):
        gd_rate_quadratic([1.0], -0.1)
    with pytest.raises(ValueError, match="positive value"):
        max_stable_lr([0.0, 0.0])
    with pytest.raises(ValueError, match="at least 2 steps"):
        measured_rate([1.0])
    with pytest.raises(ValueError, match="start must be an integer in"):
        measured_rate([1.0, 0.5, 0.25], start=2)


# --------------------------------------------------------------------- mini-batch noise
def test_sample_batches_are_uniform_subsets():
    rng = np.random.default_rng(0)
    b = sample_batches(rng, 10, 4, size=(5000,))
    assert b.shape == (5000, 4) and b.dtype == np.int64
    assert all(len(set(row)) == 4 for row in b[:200])
    counts = np.bincount(b.ravel(), minlength=10) / b.size
    np.testing.assert_allclose(counts, 0.1, atol=0.01)
    pairs = np.mean([(0 in row) and (1 in row) for row in b])  # P = C(8,2)/C(10,4) = 2/15
    assert pairs == pytest.approx(2 / 15, abs=0.015)
    full = sample_batches(rng, 6, 6, size=3)
    assert all(sorted(row) == list(range(6)) for row in full)
    assert sample_batches(rng, 5, 2).shape == (2,)


def test_minibatch_variance_exact_by_enumeration():
    # with N = 6 and B = 2 there are only 15 batches: average over all of them
    small = LeastSquares.synthetic(n_samples=6, dim=2, noise=1.0, rng=np.random.default_rng(5))
    theta = np.array([0.3, -0.2])
    full = small.grad(theta)
    batches = np.array([(i, j) for i in range(6) for j in range(i + 1, 6)])
    g = small.grad(np.broadcast_to(theta, (15, 2)), batch=batches)
    np.testing.assert_allclose(g.mean(axis=0), full, rtol=1e-12)  # exactly unbiased
    exact = np.mean(np.sum((g - full) ** 2, axis=1))
    assert minibatch_variance(small, theta, 2) == pytest.approx(exact, rel=1e-12)
    # with replacement: all 36 ordered pairs
    pairs = np.array([(i, j) for i in range(6) for j in range(6)])
    g2 = small.grad(np.broadcast_to(theta, (36, 2)), batch=pairs)
    exact2 = np.mean(np.sum((g2 - full) ** 2, axis=1))
    assert minibatch_variance(small, theta, 2, replace=True) == pytest.approx(exact2, rel=1e-12)
    assert minibatch_variance(small, theta, 6) == pytest.approx(0.0, abs=1e-15)


def test_minibatch_variance_broadcasts(ls, logreg):
    v = minibatch_variance(ls, np.zeros(3), np.array([1, 2, 4, 60]))
    assert v.shape == (4,) and v[-1] == pytest.approx(0.0, abs=1e-14)
    assert np.all(np.diff(v) < 0)
    thetas = np.random.default_rng(0).standard_normal((5, 2))
    w = minibatch_variance(logreg, thetas, 3)
    assert w.shape == (5,)
    assert w[2] == pytest.approx(minibatch_variance(logreg, thetas[2], 3))


@pytest.mark.parametrize("replace", [False, True])
def test_gradient_noise_matches_closed_form(ls, replace):
    theta = np.array([0.5, -1.0, 0.2])
    gn = gradient_noise(ls, theta, [1, 4, 30], np.random.default_rng(3), n_draws=6000, replace=replace)
    assert isinstance(gn, GradientNoise)
    assert gn.mean.shape == (3, 3) and gn.variance.shape == (3,)
    np.testing.assert_allclose(gn.full_grad, ls.grad(theta))
    np.testing.assert_allclose(gn.variance / gn.predicted, 1.0, atol=0.08)
    assert np.all(np.abs(gn.variance - gn.predicted) < 4 * gn.variance_se)
    assert np.all(gn.variance_se < 0.05 * gn.variance)  # about sqrt(2 / 6000) relative, and a bit more
    assert np.all(gn.bias < 5 * gn.bias_scale)  # unbiased up to Monte Carlo error


def test_gradient_noise_detects_a_biased_sampler(ls):
    """A sampler that favours low indices would not look unbiased; ours must not be that sampler."""
    theta = np.array([0.5, -1.0, 0.2])
    gn = gradient_noise(ls, theta, [2], np.random.default_rng(0), n_draws=4000)
    biased = ls.grad(np.broadcast_to(theta, (4000, 3)), batch=np.random.default_rng(0).integers(0, 30, (4000, 2)))
    biased_bias = np.linalg.norm(biased.mean(axis=0) - gn.full_grad)
    assert biased_bias > 5 * gn.bias_scale[0]  # the sampler's bias would be visible
    assert gn.bias[0] < 5 * gn.bias_scale[0]   # and ours shows none


def test_gradient_noise_is_seeded(ls):
    a = gradient_noise(ls, np.zeros(3), [2, 5], np.random.default_rng(7), n_draws=50)
    b = gradient_noise(ls, np.zeros(3), [2, 5], np.random.default_rng(7), n_draws=50)
    np.testing.assert_array_equal(a.mean, b.mean)


def test_accumulate_gradients_equals_big_batch(ls, logreg):
    rng = np.random.default_rng(4)
    batch = sample_batches(rng, 60, 25)
    theta = rng.standard_normal((4, 3))
    for mb in (1, 7, 25):  # 25 = 3 * 7 + 4: an uneven last chunk
        np.testing.assert_allclose(accumulate_gradients(ls, theta, batch, mb), ls.grad(theta, batch=batch), rtol=1e-12)
    np.testing.assert_allclose(accumulate_gradients(ls, theta, None, 16), ls.grad(theta), rtol=1e-12)
    th = rng.standard_normal(2)
    np.testing.assert_allclose(accumulate_gradients(logreg, th, None, 9), logreg.grad(th), rtol=1e-12)
    # an Adam step taken with the accumulated gradient is the big-batch step
    opt = Adam(lr=0.1)
    p1, _ = opt.update(theta, accumulate_gradients(ls, theta, batch, 7), opt.init(theta))
    p2, _ = opt.update(theta, ls.grad(theta, batch=batch), opt.init(theta))
    np.testing.assert_allclose(p1, p2, rtol=1e-12)


def test_naive_average_of_chunk_means_would_differ(ls):
    """The size weighting matters: the unweighted mean of uneven chunks is a different vector."""
    batch = np.arange(25)
    theta = np.ones(3)
    naive = np.mean([ls.grad(theta, batch=batch[s:s + 7]) for s in range(0, 25, 7)], axis=0)
    assert not np.allclose(naive, ls.grad(theta, batch=batch))
    np.testing.assert_allclose(accumulate_gradients(ls, theta, batch, 7), ls.grad(theta, batch=batch))


def test_stationary_loss_matches_simulation(ls):
    lrs = np.array([0.1, 0.5])
    pred = sgd_stationary_loss(ls, lrs, 2)
    R = 1000
    traj = minimize(ls, np.tile(ls.solution, (2 * R, 1)), SGD(lr=np.repeat(lrs, R)[:, None]), 250,
                    batch_size=2, rng=np.random.default_rng(0))
    measured = (traj.losses[100:] - ls.min_value).reshape(151, 2, R).mean(axis=(0, 2))
    np.testing.assert_allclose(measured, pred, rtol=0.08)
    # the small-step limit: eta/4 times the gradient noise at the solution
    small = sgd_stationary_loss(ls, 1e-4, 2)
    assert small == pytest.approx(1e-4 / 4 * minibatch_variance(ls, ls.solution, 2), rel=1e-3)


def test_stationary_loss_limits(ls):
    assert sgd_stationary_loss(ls, 0.3, ls.n_samples) == pytest.approx(0.0, abs=1e-15)
    eta = np.array([0.05, 0.1, 0.2, 0.4])
    v = sgd_stationary_loss(ls, eta, 1)
    assert v.shape == (4,) and np.all(np.diff(v) > 0)  # the floor rises with the step
    assert sgd_stationary_loss(ls, 1.9 / ls.L, 1) == np.inf   # unstable in mean square ...
    assert np.isfinite(sgd_stationary_loss(ls, 1.9 / ls.L, 60))  # ... though GD is stable there
    with pytest.raises(TypeError, match="LeastSquares"):
        sgd_stationary_loss(LogisticRegression.synthetic(n_samples=10), 0.1, 1)
    with pytest.raises(ValueError, match="lr must be in"):
        sgd_stationary_loss(ls, 0.0, 1)


def test_time_per_gradient(ls):
    t = time_per_gradient(ls, np.zeros(3), [1, 60], np.random.default_rng(0), repeats=2, min_seconds=1e-3)
    assert t.shape == (2,) and np.all(t > 0) and np.all(np.isfinite(t))


def test_stochastic_argument_errors(ls):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"batch_size must be an integer in \[1, 10\]"):
        sample_batches(rng, 10, 11)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample_batches(0, 10, 2)
    with pytest.raises(ValueError, match=r"batch_sizes must be in \[1, 60\]"):
        gradient_noise(ls, np.zeros(3), [0, 2], rng)
    with pytest.raises(TypeError, match="batch_sizes must be an integer"):
        gradient_noise(ls, np.zeros(3), [1.5], rng)
    with pytest.raises(ValueError, match="theta must be one point"):
        gradient_noise(ls, np.zeros((2, 3)), [2], rng)
    with pytest.raises(TypeError, match="problem must be a finite sum"):
        minibatch_variance(Quadratic(np.eye(2)), np.zeros(2), 1)
    with pytest.raises(ValueError, match=r"micro_batch must be an integer in \[1, 5\]"):
        accumulate_gradients(ls, np.zeros(3), np.arange(5), 6)
    with pytest.raises(ValueError, match="batch must be None or a non-empty 1-D"):
        accumulate_gradients(ls, np.zeros(3), np.zeros((2, 2), dtype=int), 1)
    with pytest.raises(TypeError, match="replace must be True or False"):
        minibatch_variance(ls, np.zeros(3), 2, replace=1)


def test_max_stable_lr_of_sgd(ls):
    edges = [sgd_max_stable_lr(ls, b) for b in (1, 4, 16, 60)]
    assert edges[-1] == pytest.approx(2 / ls.L, rel=1e-5)
    assert all(a < b for a, b in zip(edges, edges[1:]))  # larger batches tolerate larger steps
    e1 = edges[0]
    assert np.isfinite(sgd_stationary_loss(ls, 0.999 * e1, 1))
    assert sgd_stationary_loss(ls, 1.001 * e1, 1) == np.inf
    # simulation: below the edge every run stays bounded, far above it every run blows up
    # (in between, the mean square diverges through rare huge excursions while most runs survive)
    x0 = np.tile(ls.solution, (100, 1))
    lrs = np.repeat([0.7 * e1, 3.0 * e1], 50)[:, None]
    traj = minimize(ls, x0, SGD(lr=lrs), 1000, batch_size=1, rng=np.random.default_rng(0))
    assert not np.any(traj.diverged[:50])
    assert np.all(traj.diverged[50:])


def test_variance_standard_error_is_calibrated(ls):
    """Across independent repetitions, the spread of the variance estimate matches its reported standard error."""
    theta = np.array([1.0, 1.0, -1.0])
    reps = [gradient_noise(ls, theta, [3], np.random.default_rng(s), n_draws=300) for s in range(60)]
    estimates = np.array([r.variance[0] for r in reps])
    reported = np.mean([r.variance_se[0] for r in reps])
    assert 0.75 < np.std(estimates, ddof=1) / reported < 1.33
    z = (estimates - reps[0].predicted[0]) / reported
    assert abs(np.mean(z)) < 0.5  # centred on the closed form


# ------------------------------------------------------------------ expected loss curve, noise scale
def test_expected_loss_full_batch_is_gradient_descent(ls):
    theta0 = np.array([2.0, -1.0, 0.5])
    curve = sgd_expected_loss(ls, np.array([0.3, 1.0]), ls.n_samples, theta0, 40)
    for k, lr in enumerate((0.3, 1.0)):
        gd = minimize(ls, theta0, SGD(lr=lr), 40)
        np.testing.assert_allclose(curve[:, k], gd.losses - ls.min_value, rtol=1e-9, atol=1e-13)


def test_expected_loss_matches_simulation_from_a_distant_start(ls):
    # a distant start: the cross term between the mean error and the batch noise is active
    theta0 = ls.solution + np.array([3.0, -2.0, 1.0])
    lr, B, R = 0.3, 2, 4000
    pred = sgd_expected_loss(ls, lr, B, theta0, 30)
    traj = minimize(ls, np.tile(theta0, (R, 1)), SGD(lr=lr), 30, batch_size=B, rng=np.random.default_rng(3))
    gap = traj.losses - ls.min_value
    se = gap.std(axis=1, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(gap.mean(axis=1)[1:] - pred[1:]) < 4.5 * se[1:])
    assert pred[0] == pytest.approx(ls.value(theta0) - ls.min_value, rel=1e-10)


def test_expected_loss_tends_to_the_stationary_floor(ls):
    curve = sgd_expected_loss(ls, np.array([0.1, 0.4]), 1, ls.solution, 3000)
    np.testing.assert_allclose(curve[-1], sgd_stationary_loss(ls, np.array([0.1, 0.4]), 1), rtol=1e-6)
    # another metric: the mean squared error along one eigenvector, against simulation
    lam, vec = np.linalg.eigh(ls.X.T @ ls.X / ls.n_samples)
    u = vec[:, 0]
    along = sgd_expected_loss(ls, 0.1, 1, ls.solution + 1.0, 40, metric=2 * np.outer(u, u))
    traj = minimize(ls, np.tile(ls.solution + 1.0, (4000, 1)), SGD(lr=0.1), 40, batch_size=1,
                    rng=np.random.default_rng(8))
    sq = ((traj.points - ls.solution) @ u) ** 2
    assert np.all(np.abs(sq.mean(axis=1)[1:] - along[1:]) < 4.5 * sq.std(axis=1, ddof=1)[1:] / np.sqrt(4000))
    assert curve[0, 0] == pytest.approx(0.0, abs=1e-15)
    bad = sgd_expected_loss(ls, 1.9 / ls.L, 1, ls.solution + 1, 400)   # unstable in mean square
    assert bad.shape == (401,) and np.isinf(bad[-1]) and np.all(np.isinf(bad[np.argmax(np.isinf(bad)):]))


def test_expected_loss_follows_a_schedule(ls):
    from descent.schedules import InverseTime

    theta0 = ls.solution + 1.0
    sched = InverseTime(0.2, decay=0.05)
    curve = sgd_expected_loss(ls, sched, 3, theta0, 50)
    # the full batch: gradient descent on the same schedule
    gd = minimize(ls, theta0, SGD(lr=sched), 50)
    np.testing.assert_allclose(sgd_expected_loss(ls, sched, ls.n_samples, theta0, 50), gd.losses - ls.min_value,
                               rtol=1e-9, atol=1e-13)
    R = 4000
    traj = minimize(ls, np.tile(theta0, (R, 1)), SGD(lr=sched), 50, batch_size=3, rng=np.random.default_rng(4))
    gap = traj.losses[1:] - ls.min_value
    assert np.all(np.abs(gap.mean(axis=1) - curve[1:]) < 4.5 * gap.std(axis=1, ddof=1) / np.sqrt(R))
    with pytest.raises(ValueError, match="lr"):
        sgd_expected_loss(ls, lambda t: -1.0, 1, theta0, 3)


def test_expected_loss_argument_errors(ls):
    with pytest.raises(ValueError, match="metric must be a symmetric"):
        sgd_expected_loss(ls, 0.1, 1, np.zeros(3), 5, metric=np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="theta0 must have shape"):
        sgd_expected_loss(ls, 0.1, 1, np.zeros(2), 5)
    with pytest.raises(ValueError, match="lr must be in"):
        sgd_expected_loss(ls, -0.1, 1, np.zeros(3), 5)
    with pytest.raises(ValueError, match="steps"):
        sgd_expected_loss(ls, 0.1, 1, np.zeros(3), -1)
    with pytest.raises(ValueError, match="batch_size"):
        sgd_expected_loss(ls, 0.1, 0, np.zeros(3), 5)
    with pytest.raises(TypeError, match="LeastSquares"):
        sgd_expected_loss(LogisticRegression.synthetic(n_samples=10), 0.1, 1, np.zeros(2), 5)


def test_gradient_noise_scale(ls):
    theta = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    G = ls.per_example_grads(theta[0])
    by_hand = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)) / np.sum(G.mean(axis=0) ** 2)
    out = gradient_noise_scale(ls, theta)
    assert out.shape == (2,) and out[0] == pytest.approx(by_hand, rel=1e-12)
    assert gradient_noise_scale(ls, theta[1]) == pytest.approx(out[1], rel=1e-12)
    # noise over signal: at B = B_noise the with-replacement variance equals the squared gradient norm
    b = gradient_noise_scale(ls, theta[0])
    assert minibatch_variance(ls, theta[0], 1, replace=True) / b == pytest.approx(np.sum(ls.grad(theta[0]) ** 2))
    with pytest.raises(ValueError, match="stationary point"):
        gradient_noise_scale(LeastSquares(ls.X, np.zeros(ls.n_samples)), np.zeros(3))   # gradient exactly 0
    with pytest.raises(TypeError, match="finite sum"):
        gradient_noise_scale(Quadratic(np.eye(2)), np.zeros(2))

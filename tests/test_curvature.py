"""Tests for descent.curvature: Hessian-vector products, power iteration, Newton and L-BFGS steps, GOE."""

import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

from descent import autodiff as ad
from descent import curvature as cv
from descent.landscapes import LogisticRegression, Rosenbrock
from descent.nn import MLP


def _spd(d, rng, shift=0.5):
    A = rng.standard_normal((d, d))
    return A @ A.T + shift * np.eye(d)


# ----------------------------------------------------------- Hessian-vector products
def test_hvp_fd_exact_on_quadratic():
    rng = np.random.default_rng(0)
    H = _spd(6, rng)
    theta, v = rng.standard_normal(6), rng.standard_normal(6)
    np.testing.assert_allclose(cv.hvp_fd(lambda x: H @ x, theta, v), H @ v, rtol=1e-8, atol=1e-9)


def test_hvp_fd_matches_rosenbrock_hessian():
    f = Rosenbrock()
    rng = np.random.default_rng(1)
    for _ in range(5):
        theta, v = rng.uniform(-1.5, 1.5, 2), rng.standard_normal(2)
        np.testing.assert_allclose(cv.hvp_fd(f.grad, theta, v), f.hessian(theta) @ v, rtol=1e-6, atol=1e-5)


def test_hvp_zero_vector_is_zero_without_calling_twice():
    calls = []
    out = cv.hvp_fd(lambda x: calls.append(1) or x, np.ones(3), np.zeros(3))
    assert np.all(out == 0) and not calls


def test_hvp_autodiff_matches_logistic_hessian():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 5))
    y = (rng.random(40) < 0.5).astype(float)
    prob = LogisticRegression(X, y, l2=0.1)
    s = 2 * y - 1

    def loss(w):
        return ad.log(1.0 + ad.exp(-((X @ w) * s))).mean() + 0.05 * (w * w).sum()

    theta, v = 0.3 * rng.standard_normal(5), rng.standard_normal(5)
    np.testing.assert_allclose(cv.hvp_autodiff(loss, theta, v), prob.hessian(theta) @ v, rtol=1e-7, atol=1e-9)
    # the gradient itself agrees with the landscape's closed form (checks the loss was written right)
    np.testing.assert_allclose(ad.grad(loss)(theta)[0], prob.grad(theta), rtol=1e-12, atol=1e-14)


def test_hvp_fd_against_second_differences_of_value():
    # v^T H v from hvp equals the second difference of the loss along v
    f = Rosenbrock()
    theta, v, h = np.array([0.3, -0.2]), np.array([0.6, 0.8]), 1e-4
    second = (f.value(theta + h * v) - 2 * f.value(theta) + f.value(theta - h * v)) / h**2
    assert abs(v @ cv.hvp_fd(f.grad, theta, v) - second) < 1e-4 * abs(second)


@pytest.mark.parametrize("kwargs, err", [
    (dict(grad=None, theta=np.ones(2), v=np.ones(2)), TypeError),
    (dict(grad=lambda x: x, theta=np.ones(2), v=np.ones(3)), ValueError),
    (dict(grad=lambda x: x, theta=np.ones((2, 2)), v=np.ones((2, 2))), ValueError),
    (dict(grad=lambda x: x, theta=np.ones(2), v=np.ones(2), eps=0.0), ValueError),
    (dict(grad=lambda x: x, theta=np.array([1, 2]), v=np.ones(2)), TypeError),
])
def test_hvp_fd_bad_input(kwargs, err):
    with pytest.raises(err):
        cv.hvp_fd(**kwargs)


# ----------------------------------------------------------------- power iteration
def test_top_and_bottom_eigenvalue_match_eigh():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    lam = np.concatenate([[5.0, -3.0], rng.uniform(-2.0, 3.0, 28)])
    H = (Q * lam) @ Q.T
    top, v = cv.top_eigenvalue(lambda u: H @ u, 30, rng, iters=2000, tol=1e-12)
    assert abs(top - 5.0) < 1e-8 and abs(np.linalg.norm(v) - 1) < 1e-12
    bottom, _ = cv.bottom_eigenvalue(lambda u: H @ u, 30, rng, iters=3000, tol=1e-12)
    assert abs(bottom + 3.0) < 1e-6


def test_top_eigenvalue_warm_start():
    H = np.diag([4.0, 1.0, 0.5])
    lam, v = cv.top_eigenvalue(lambda u: H @ u, 3, np.random.default_rng(0), v0=np.array([1.0, 1e-3, 0.0]), iters=10)
    assert abs(lam - 4.0) < 1e-6 and abs(abs(v[0]) - 1) < 1e-6
    with pytest.raises(ValueError):
        cv.top_eigenvalue(lambda u: H @ u, 3, np.random.default_rng(0), v0=np.zeros(3))
    with pytest.raises(ValueError):
        cv.top_eigenvalue(lambda u: H @ u, 3, np.random.default_rng(0), v0=np.ones(2))


def test_top_eigenvalue_of_network_hessian_is_consistent_with_hvp():
    model = MLP([4, 5, 3], activation="tanh", rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((20, 4))
    y = np.arange(20) % 3
    theta, fg = cv.flat_loss_and_grad(model, X, y)
    hvp = lambda u: cv.hvp_fd(lambda z: fg(z)[1], theta, u)
    H = np.stack([hvp(e) for e in np.eye(theta.size)])
    H = (H + H.T) / 2
    lam, v = cv.top_eigenvalue(hvp, theta.size, np.random.default_rng(2), iters=500, tol=1e-10)
    eig = np.linalg.eigvalsh(H)
    assert abs(lam - eig[np.argmax(np.abs(eig))]) < 1e-5 * abs(eig).max()


def test_flat_loss_and_grad_matches_numerical_gradient():
    model = MLP([3, 4, 2], activation="tanh", rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((7, 3))
    y = np.array([0, 1, 1, 0, 1, 0, 0])
    theta, fg = cv.flat_loss_and_grad(model, X, y)
    num = ad.numerical_grad(lambda z: fg(z)[0], theta)
    np.testing.assert_allclose(fg(theta)[1], num, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError):
        fg(np.ones(3))
    with pytest.raises(TypeError):
        cv.flat_loss_and_grad(object(), X, y)


@pytest.mark.parametrize("kwargs, err", [
    (dict(hvp=1, dim=2), TypeError),
    (dict(hvp=lambda u: u, dim=0), ValueError),
    (dict(hvp=lambda u: u, dim=2, iters=0), ValueError),
    (dict(hvp=lambda u: u, dim=2, tol=-1.0), ValueError),
])
def test_top_eigenvalue_bad_input(kwargs, err):
    with pytest.raises(err):
        cv.top_eigenvalue(rng=np.random.default_rng(0), **kwargs)
    with pytest.raises(TypeError):
        cv.top_eigenvalue(lambda u: u, 2, rng=0)


# ------------------------------------------------------------------ Newton steps
def test_newton_solves_quadratic_in_one_step_and_lands_on_saddle():
    rng = np.random.default_rng(4)
    H = np.diag([2.0, -1.0, 0.5])
    theta = rng.standard_normal(3)
    np.testing.assert_allclose(theta + cv.newton_step(H @ theta, H), 0.0, atol=1e-14)


def test_saddle_free_newton_flips_negative_curvature():
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    lam = np.array([2.0, 1.0, -0.5, -3.0])
    H = (Q * lam) @ Q.T
    theta = rng.standard_normal(4)
    new = theta + cv.saddle_free_newton_step(H @ theta, H)
    c_old, c_new = Q.T @ theta, Q.T @ new
    np.testing.assert_allclose(c_new[:2], 0.0, atol=1e-12)
    np.testing.assert_allclose(c_new[2:], 2 * c_old[2:], rtol=1e-12)
    g = H @ theta
    assert g @ cv.saddle_free_newton_step(g, H) < 0       # always a descent direction


def test_newton_bad_input():
    with pytest.raises(ValueError):
        cv.newton_step(np.ones(2), np.eye(3))
    with pytest.raises(ValueError):
        cv.saddle_free_newton_step(np.ones(2), np.diag([1.0, 0.0]))
    with pytest.raises(ValueError):
        cv.saddle_free_newton_step(np.ones(2), np.eye(2), damping=-1.0)
    with pytest.raises(ValueError):
        cv.newton_step(np.ones(2), np.ones((2, 3)))


def test_classify_critical_point():
    assert cv.classify_critical_point(np.diag([1.0, 2.0])) == "minimum"
    assert cv.classify_critical_point(np.diag([-1.0, -2.0])) == "maximum"
    assert cv.classify_critical_point(np.diag([1.0, -2.0])) == "saddle"
    assert cv.classify_critical_point(np.diag([1.0, 0.0])) == "degenerate"
    assert cv.classify_critical_point(np.diag([-1.0, 0.0, 1.0])) == "saddle"
    with pytest.raises(ValueError):
        cv.classify_critical_point(np.ones(3))


# ------------------------------------------------------------------------ L-BFGS
def _dense_bfgs(S, Y, g):
    d = g.size
    Hinv = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) * np.eye(d)
    for s, y in zip(S, Y):
        rho = 1.0 / (y @ s)
        V = np.eye(d) - rho * np.outer(y, s)
        Hinv = V.T @ Hinv @ V + rho * np.outer(s, s)
    return Hinv @ g


def test_two_loop_matches_dense_bfgs():
    rng = np.random.default_rng(6)
    H = _spd(8, rng)
    S = [rng.standard_normal(8) for _ in range(5)]
    Y = [H @ s for s in S]
    g = rng.standard_normal(8)
    np.testing.assert_allclose(cv.two_loop(g, S, Y), _dense_bfgs(S, Y, g), rtol=1e-10)
    np.testing.assert_allclose(cv.two_loop(g, [], []), g)


def test_two_loop_bad_input():
    with pytest.raises(ValueError):
        cv.two_loop(np.ones(2), [np.ones(2)], [])
    with pytest.raises(ValueError):
        cv.two_loop(np.ones(2), [np.ones(2)], [-np.ones(2)])
    with pytest.raises(ValueError):
        cv.two_loop(np.ones(2), [np.ones(3)], [np.ones(3)])


def test_lbfgs_matches_scipy_on_rosenbrock():
    f = Rosenbrock()
    fun = lambda x: (float(f.value(x)), f.grad(x))
    ours = cv.lbfgs(fun, np.array([-1.2, 1.0]), gtol=1e-9, max_iter=500)
    ref = scipy_minimize(fun, np.array([-1.2, 1.0]), jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-9, "ftol": 0, "maxcor": 10})
    assert ours.converged
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)
    np.testing.assert_allclose(ours.x, [1.0, 1.0], atol=1e-7)
    assert ours.n_evals < 300
    assert np.all(np.diff(ours.losses) <= 0)          # Armijo: monotone decrease
    assert ours.evals[0] == 1 and ours.evals[-1] == ours.n_evals and np.all(np.diff(ours.evals) >= 1)


def test_lbfgs_matches_scipy_on_logistic_regression():
    rng = np.random.default_rng(7)
    prob = LogisticRegression.synthetic(n_samples=200, dim=10, rng=rng, l2=1e-2)
    fun = lambda x: (float(prob.value(x)), prob.grad(x))
    x0 = np.zeros(prob.dim)
    ours = cv.lbfgs(fun, x0, gtol=1e-10, m=5)
    ref = scipy_minimize(fun, x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 0, "maxcor": 5})
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)
    np.testing.assert_allclose(prob.grad(ours.x), 0.0, atol=1e-9)


def test_lbfgs_on_ill_conditioned_quadratic_as_fast_as_scipy():
    # without an exact line search there is no finite termination; SciPy (Wolfe search) needs ~120 iterations too
    H = np.diag(np.logspace(0, 3, 10))
    fun = lambda x: (0.5 * x @ H @ x, H @ x)
    res = cv.lbfgs(fun, np.ones(10), m=10, gtol=1e-10)
    ref = scipy_minimize(fun, np.ones(10), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 0, "maxcor": 10})
    assert res.converged and res.n_evals <= 1.5 * ref.nfev
    # gradient descent with the best constant step would need ~ kappa/2 * ln(1e13) = 15,000 steps
    assert len(res.losses) - 1 < 500


@pytest.mark.parametrize("kwargs, err", [
    (dict(fun=None, x0=np.ones(2)), TypeError),
    (dict(fun=lambda x: (0.0, x), x0=np.ones(2), m=0), ValueError),
    (dict(fun=lambda x: (0.0, x), x0=np.ones(2), c1=1.0), ValueError),
    (dict(fun=lambda x: (0.0, x), x0=np.ones(2), backtrack=0.0), ValueError),
    (dict(fun=lambda x: (0.0, x), x0=np.ones((2, 2))), ValueError),
])
def test_lbfgs_bad_input(kwargs, err):
    with pytest.raises(err):
        cv.lbfgs(**kwargs)


# ----------------------------------------------------------------- random matrices
def test_goe_variances_and_symmetry():
    H = cv.goe(4, 20000, np.random.default_rng(8))
    assert H.shape == (20000, 4, 4)
    np.testing.assert_array_equal(H, np.swapaxes(H, 1, 2))
    assert abs(H[:, 0, 0].var() - 1.0) < 0.05
    assert abs(H[:, 0, 1].var() - 0.5) < 0.03


def test_positive_definite_fraction_small_n_exact():
    for n, exact in [(1, 0.5), (2, (2 - np.sqrt(2)) / 4)]:
        p, se = cv.positive_definite_fraction(n, 100_000, np.random.default_rng(9 + n), chunk=30_000)
        assert abs(p - exact) < 4 * se
    p3, _ = cv.positive_definite_fraction(3, 50_000, np.random.default_rng(20))
    assert p3 < 0.5**3 / 3            # far below the coin-flip value


def test_goe_bad_input():
    with pytest.raises(ValueError):
        cv.goe(0, 1, np.random.default_rng(0))
    with pytest.raises(TypeError):
        cv.goe(2, 1, None)
    with pytest.raises(ValueError):
        cv.positive_definite_fraction(2, 0, np.random.default_rng(0))


# ------------------------------------------------------------------ noisy saddle
def test_noisy_saddle_gradients_and_noise():
    s = cv.NoisySaddle(h=1.0, gamma=0.5, sigma=0.2, n_samples=400, rng=np.random.default_rng(10))
    theta = np.array([0.3, -0.7])
    num = ad.numerical_grad(lambda z: s.value(z), theta)
    np.testing.assert_allclose(s.grad(theta), num, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(s.hessian(theta), np.diag([1.0, 0.5 * (3 * 0.49 - 1)]), atol=1e-12)
    # mini-batch gradients: mean over all examples is the full gradient; per-example noise has std sigma
    per = np.stack([s.grad(theta, batch=np.array([i])) for i in range(400)])
    np.testing.assert_allclose(per.mean(axis=0), s.grad(theta), atol=1e-12)
    np.testing.assert_allclose(per.std(axis=0), [0.2, 0.2], rtol=1e-10)
    batch = np.array([1, 5, 9])
    g_b = s.grad(theta, batch=batch)
    num_b = ad.numerical_grad(lambda z: s.value(z, batch=batch), theta)
    np.testing.assert_allclose(g_b, num_b, rtol=1e-7, atol=1e-9)
    assert s.value(np.array([0.0, 1.0])) == pytest.approx(s.min_value)
    with pytest.raises(ValueError):
        s.grad(theta, batch=np.array([400]))
    with pytest.raises(ValueError):
        cv.NoisySaddle(gamma=0.0)

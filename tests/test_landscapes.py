"""Tests for descent.landscapes: derivatives, known critical points, batching, validation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent.landscapes import (
    Beale,
    DoubleWell,
    Himmelblau,
    Landscape,
    LeastSquares,
    LogisticRegression,
    MonkeySaddle,
    Quadratic,
    Rosenbrock,
    Saddle,
)

FAST = settings(max_examples=40, deadline=None)

LANDSCAPES: dict[str, Landscape] = {
    "quadratic": Quadratic.from_condition(20.0, angle=0.4),
    "quadratic-4d": Quadratic.from_condition(50.0, angle=-1.1, L=3.0, dim=4),
    "quadratic-shifted": Quadratic(
        np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]]), b=np.array([1.0, -2.0, 0.5]), c=1.5
    ),
    "rosenbrock": Rosenbrock(),
    "rosenbrock-shifted": Rosenbrock(a=-0.5, b=10.0),
    "beale": Beale(),
    "himmelblau": Himmelblau(),
    "saddle": Saddle(),
    "monkey-saddle": MonkeySaddle(),
    "double-well": DoubleWell(),
    "double-well-left-high": DoubleWell(tilt=-0.5),
    "least-squares": LeastSquares.synthetic(n_samples=30, dim=3, rng=np.random.default_rng(1), condition=10.0),
    "logistic": LogisticRegression.synthetic(n_samples=40, dim=2, rng=np.random.default_rng(2)),
    "logistic-unregularized": LogisticRegression.synthetic(
        n_samples=60, dim=3, rng=np.random.default_rng(3), separation=0.5, l2=0.0
    ),
}
FINITE_SUMS = [k for k, f in LANDSCAPES.items() if isinstance(f, (LeastSquares, LogisticRegression))]
WITH_MINIMA = [k for k, f in LANDSCAPES.items() if len(f.minima)]
WITH_SADDLES = [k for k, f in LANDSCAPES.items() if len(f.saddles)]


def point_in(f: Landscape) -> st.SearchStrategy[np.ndarray]:
    coords = [st.floats(lo, hi, allow_nan=False, allow_infinity=False) for lo, hi in f.bounds]
    return st.tuples(*coords).map(lambda t: np.array(t, dtype=np.float64))


def random_points(f: Landscape, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    lo, hi = np.array(f.bounds).T
    return lo + (hi - lo) * np.random.default_rng(seed).random(shape + (f.dim,))


def central_difference(fun, x: np.ndarray, h: float = 1e-6):
    """Central differences of ``fun`` along each axis, all 2d points in one vectorized call."""
    E = h * np.eye(x.shape[-1])
    up, down = np.asarray(fun(x + E)), np.asarray(fun(x - E))
    return (up - down) / (2 * h), max(np.max(np.abs(up)), np.max(np.abs(down)))


def assert_matches_difference(exact: np.ndarray, approx: np.ndarray, fun_scale: float, h: float = 1e-6):
    # Relative tolerance on the derivative plus the rounding error of the difference quotient.
    tol = 1e-5 * (np.max(np.abs(exact)) + 1.0) + 1e-9 * fun_scale / (h / 1e-6)
    np.testing.assert_allclose(approx, exact, rtol=0, atol=tol)


def all_landscapes(keys=None):
    keys = list(LANDSCAPES) if keys is None else keys
    return pytest.mark.parametrize("key", keys)


# --------------------------------------------------------------------------- derivatives


@all_landscapes()
@FAST
@given(data=st.data())
def test_grad_matches_finite_differences(key, data):
    f = LANDSCAPES[key]
    x = data.draw(point_in(f))
    approx, scale = central_difference(f.value, x)
    assert_matches_difference(f.grad(x), approx, scale)


@all_landscapes()
@FAST
@given(data=st.data())
def test_hessian_matches_finite_differences_of_grad(key, data):
    f = LANDSCAPES[key]
    x = data.draw(point_in(f))
    approx, scale = central_difference(f.grad, x)
    assert_matches_difference(f.hessian(x), approx, scale)


@all_landscapes()
@FAST
@given(data=st.data())
def test_hessian_is_symmetric(key, data):
    f = LANDSCAPES[key]
    H = f.hessian(data.draw(point_in(f)))
    assert H.shape == (f.dim, f.dim)
    np.testing.assert_array_equal(H, H.T)


@all_landscapes(FINITE_SUMS)
@FAST
@given(data=st.data())
def test_minibatch_grad_and_hessian_match_finite_differences(key, data):
    f = LANDSCAPES[key]
    theta = data.draw(point_in(f))
    batch = np.array(data.draw(st.lists(st.integers(0, f.n_samples - 1), min_size=1, max_size=6)))
    approx, scale = central_difference(lambda t: f.value(t, batch=batch), theta)
    assert_matches_difference(f.grad(theta, batch=batch), approx, scale)
    approx, scale = central_difference(lambda t: f.grad(t, batch=batch), theta)
    assert_matches_difference(f.hessian(theta, batch=batch), approx, scale)


@all_landscapes()
def test_vectorized_calls_equal_loop_over_points(key):
    f = LANDSCAPES[key]
    x = random_points(f, (3, 4))
    v, g, H = f.value(x), f.grad(x), f.hessian(x)
    assert v.shape == (3, 4) and g.shape == (3, 4, f.dim) and H.shape == (3, 4, f.dim, f.dim)
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(v[i, j], f.value(x[i, j]), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(g[i, j], f.grad(x[i, j]), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(H[i, j], f.hessian(x[i, j]), rtol=1e-12, atol=1e-12)
    assert f(x[1, 2]) == f.value(x[1, 2])


# --------------------------------------------------------------------------- known points


@all_landscapes(WITH_MINIMA)
def test_listed_minima_are_strict_local_minima(key):
    f = LANDSCAPES[key]
    m = f.minima
    assert m.ndim == 2 and m.shape[1] == f.dim
    g = f.grad(m)
    scale = 1.0 + np.max(np.abs(f.hessian(m)))
    np.testing.assert_allclose(g, 0.0, atol=1e-9 * scale)
    assert np.all(np.linalg.eigvalsh(f.hessian(m)) > 0)
    values = f.value(m)
    np.testing.assert_allclose(values.min(), f.min_value, rtol=1e-12, atol=1e-12)
    assert values[0] == values.min()  # global minimizer listed first


@all_landscapes([k for k in WITH_MINIMA if not k.startswith("double-well")])
def test_value_at_every_listed_minimum_is_min_value(key):
    f = LANDSCAPES[key]
    np.testing.assert_allclose(f.value(f.minima), f.min_value, rtol=1e-12, atol=1e-12)


@all_landscapes(WITH_MINIMA)
def test_min_value_is_below_random_points(key):
    f = LANDSCAPES[key]
    assert np.all(f.value(random_points(f, (500,), seed=5)) >= f.min_value - 1e-12)


@all_landscapes(WITH_SADDLES)
def test_saddles_are_critical_points_that_are_neither_min_nor_max(key):
    f = LANDSCAPES[key]
    assert f.saddles.shape[1] == f.dim
    for s in f.saddles:
        H = f.hessian(s)
        np.testing.assert_allclose(f.grad(s), 0.0, atol=1e-9 * (1 + np.max(np.abs(H))))
        assert np.linalg.eigvalsh(H)[0] <= 1e-12  # not a strict minimum
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        ring = s + 1e-3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        diff = f.value(ring) - f.value(s)
        assert diff.min() < 0 < diff.max()


@all_landscapes([k for k in WITH_SADDLES if k != "monkey-saddle"])
def test_nondegenerate_saddles_have_indefinite_hessian(key):
    f = LANDSCAPES[key]
    eig = np.linalg.eigvalsh(f.hessian(f.saddles))
    assert np.all(eig[:, 0] < -1e-3) and np.all(eig[:, -1] > 1e-3)


def test_monkey_saddle_is_degenerate():
    f = MonkeySaddle()
    np.testing.assert_array_equal(f.hessian(np.zeros(2)), np.zeros((2, 2)))
    assert f.minima.shape == (0, 2) and np.isnan(f.min_value)


def test_unbounded_landscapes_have_no_minima():
    f = Saddle()
    assert f.minima.shape == (0, 2) and np.isnan(f.min_value)
    np.testing.assert_array_equal(f.saddles, [[0.0, 0.0]])


def test_himmelblau_minima_match_published_values():
    f = Himmelblau()
    published = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    np.testing.assert_allclose(f.minima, published, atol=1e-6)
    np.testing.assert_allclose(f.grad(f.minima), 0.0, atol=1e-12)
    np.testing.assert_allclose(f.grad(f.saddles), 0.0, atol=1e-12)


def test_known_optima_and_names():
    assert Rosenbrock().name == "Rosenbrock(a=1, b=100)"
    np.testing.assert_array_equal(Rosenbrock(a=2.0).minima, [[2.0, 4.0]])
    assert Rosenbrock().bounds == ((-2.0, 2.0), (-1.0, 3.0))
    np.testing.assert_array_equal(Beale().minima, [[3.0, 0.5]])
    assert Beale().value(np.array([3.0, 0.5])) == 0.0
    assert Himmelblau().value(np.array([3.0, 2.0])) == 0.0


# --------------------------------------------------------------------------- quadratic and double well


def test_quadratic_from_condition_spectrum_and_rotation():
    angle = 0.3
    q = Quadratic.from_condition(25.0, angle=angle, L=2.0)
    np.testing.assert_allclose(q.eigenvalues, [2.0 / 25.0, 2.0])
    assert q.L == pytest.approx(2.0) and q.mu == pytest.approx(0.08) and q.kappa == pytest.approx(25.0)
    stiff = np.array([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(q.A @ stiff, 2.0 * stiff, atol=1e-14)
    np.testing.assert_array_equal(q.minimizer, [0.0, 0.0])
    q4 = Quadratic.from_condition(1000.0, dim=4)
    np.testing.assert_allclose(q4.eigenvalues, [1e-3, 1e-2, 1e-1, 1.0])


def test_quadratic_with_linear_term():
    A, b, c = np.array([[4.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0]), 0.5
    q = Quadratic(A, b, c)
    m = np.linalg.solve(A, b)
    np.testing.assert_allclose(q.minimizer, m, rtol=1e-14)
    assert q.min_value == pytest.approx(c - 0.5 * b @ m, rel=1e-14)
    x = np.array([0.3, -0.7])
    assert q.value(x) == pytest.approx(0.5 * x @ A @ x - b @ x + c, rel=1e-14)
    lo, hi = np.array(q.bounds).T
    np.testing.assert_allclose((lo + hi) / 2, m)


def test_double_well_has_two_minima_of_different_depth():
    f = DoubleWell(tilt=0.3)
    assert f.dim == 1 and f.minima.shape == (2, 1) and f.maxima.shape == (1, 1)
    left, right = sorted(f.minima[:, 0])
    assert left < f.maxima[0, 0] < right
    assert f.minima[0, 0] == left  # positive tilt lowers the left well
    assert f.value(f.minima[1]) - f.value(f.minima[0]) > 0.5
    np.testing.assert_allclose(f.grad(f.minima), 0.0, atol=1e-13)


def test_double_well_start_point_decides_the_minimum():
    f = DoubleWell(tilt=0.3)
    x = np.array([[-1.8], [-0.2], [0.2], [1.8]]) + f.maxima[0]
    for _ in range(500):
        x = x - 0.05 * f.grad(x)
    expected = np.where(x < f.maxima[0], min(f.minima[:, 0]), max(f.minima[:, 0]))
    np.testing.assert_allclose(x, expected, atol=1e-8)
    assert len(np.unique(np.round(x, 6))) == 2


def test_double_well_past_critical_tilt_has_one_minimum():
    f = DoubleWell(tilt=2.0)
    assert f.minima.shape == (1, 1) and f.maxima.shape == (0, 1)


# --------------------------------------------------------------------------- finite sums


def _theta(f, shape=(5,), seed=7):
    return random_points(f, shape, seed)


@all_landscapes(FINITE_SUMS)
def test_mean_of_per_example_grads_is_grad(key):
    f = LANDSCAPES[key]
    theta = _theta(f, (2, 3))
    pe = f.per_example_grads(theta)
    assert pe.shape == (2, 3, f.n_samples, f.dim)
    np.testing.assert_allclose(pe.mean(axis=-2), f.grad(theta), rtol=1e-12, atol=1e-13)
    batch = np.array([4, 0, 4, 9])
    np.testing.assert_allclose(
        f.per_example_grads(theta, batch=batch).mean(axis=-2), f.grad(theta, batch=batch), rtol=1e-12, atol=1e-13
    )


@all_landscapes(FINITE_SUMS)
def test_full_batch_equals_no_batch(key):
    f = LANDSCAPES[key]
    theta, everyone = _theta(f), np.arange(f.n_samples)
    np.testing.assert_allclose(f.grad(theta, batch=everyone), f.grad(theta), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(f.value(theta, batch=everyone), f.value(theta), rtol=1e-12)
    np.testing.assert_allclose(f.hessian(theta, batch=everyone), f.hessian(theta), rtol=1e-12, atol=1e-13)


@all_landscapes(FINITE_SUMS)
def test_per_run_batches_equal_loop_over_runs(key):
    f = LANDSCAPES[key]
    R, B = 6, 4
    theta = _theta(f, (R,))
    batch = np.random.default_rng(11).integers(0, f.n_samples, size=(R, B))
    g, v, pe = f.grad(theta, batch=batch), f.value(theta, batch=batch), f.per_example_grads(theta, batch=batch)
    assert g.shape == (R, f.dim) and v.shape == (R,) and pe.shape == (R, B, f.dim)
    shared = np.arange(B)
    for r in range(R):
        np.testing.assert_allclose(g[r], f.grad(theta[r], batch=batch[r]), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(v[r], f.value(theta[r], batch=batch[r]), rtol=1e-12)
        np.testing.assert_allclose(pe[r], f.per_example_grads(theta[r], batch=batch[r]), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(
            f.grad(theta, batch=shared)[r], f.grad(theta[r], batch=shared), rtol=1e-12, atol=1e-13
        )


@all_landscapes(FINITE_SUMS)
@FAST
@given(data=st.data())
def test_single_example_gradients_average_to_full_gradient(key, data):
    f = LANDSCAPES[key]
    theta = data.draw(point_in(f))
    singles = f.grad(theta, batch=np.arange(f.n_samples)[:, None])  # one run per example
    assert singles.shape == (f.n_samples, f.dim)
    np.testing.assert_allclose(singles.mean(axis=0), f.grad(theta), rtol=1e-10, atol=1e-12)


@all_landscapes(FINITE_SUMS)
def test_solution_is_a_minimizer(key):
    f = LANDSCAPES[key]
    sol = f.solution
    np.testing.assert_allclose(f.grad(sol), 0.0, atol=1e-10)
    assert np.all(np.linalg.eigvalsh(f.hessian(sol)) > 0)
    assert f.min_value == pytest.approx(float(f.value(sol)), rel=1e-14)
    nearby = sol + 1e-2 * np.random.default_rng(0).standard_normal((20, f.dim))
    assert np.all(f.value(nearby) > f.min_value)
    np.testing.assert_array_equal(f.minima, sol[None])


def test_least_squares_solution_spectrum_and_hessian():
    f = LANDSCAPES["least-squares"]
    XtX = f.X.T @ f.X / f.n_samples
    np.testing.assert_allclose(f.solution, np.linalg.solve(XtX, f.X.T @ f.y / f.n_samples), rtol=1e-10)
    eig = np.linalg.eigvalsh(XtX)
    assert f.L == pytest.approx(eig[-1]) and f.mu == pytest.approx(eig[0])
    assert f.kappa == pytest.approx(eig[-1] / eig[0])
    np.testing.assert_allclose(f.hessian(np.zeros((2, 3))), np.broadcast_to(XtX, (2, 3, 3)), rtol=1e-12)


def test_least_squares_synthetic_condition_and_seeding():
    f = LeastSquares.synthetic(n_samples=20000, dim=3, condition=10.0, rng=np.random.default_rng(4))
    assert 8.0 < f.kappa < 12.5
    a = LeastSquares.synthetic(rng=np.random.default_rng(9))
    b = LeastSquares.synthetic(rng=np.random.default_rng(9))
    c = LeastSquares.synthetic(rng=np.random.default_rng(10))
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    np.testing.assert_array_equal(LeastSquares.synthetic().y, LeastSquares.synthetic().y)
    assert a.n_samples == 200 and a.dim == 2
    np.testing.assert_allclose(a.solution, a.theta_true, atol=0.05)  # noise 0.1, N = 200


def test_logistic_loss_matches_naive_formula_and_is_stable():
    f = LANDSCAPES["logistic"]
    theta = np.array([0.7, -1.2])
    z = f.X @ theta
    naive = np.mean(np.log1p(np.exp(z)) - f.y * z) + 0.5 * f.l2 * theta @ theta
    assert f.value(theta) == pytest.approx(naive, rel=1e-12)
    sigma = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(f.grad(theta), (sigma - f.y) @ f.X / f.n_samples + f.l2 * theta, rtol=1e-12)
    # Far out each term tends to the hinge max(0, -s_i z_i), s_i = 2 y_i - 1, and sigma(z_i) to [z_i > 0].
    # At theta = (inf, 0, 0) the naive log(1 + e^z) - y z would give inf - inf = nan.
    f = LANDSCAPES["logistic-unregularized"]
    direction = np.array([1.0, 0.0, 0.0])
    z = f.X @ direction
    hinge = np.mean(np.maximum(0.0, -(2 * f.y - 1) * z))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at_inf = np.array([np.inf, 0.0, 0.0])
        far, loss_inf, grad_inf = f.value(1e8 * direction), f.value(at_inf), f.grad(at_inf)
    assert far == pytest.approx(1e8 * hinge, rel=1e-9)
    assert loss_inf == np.inf
    np.testing.assert_allclose(grad_inf, ((z > 0) - f.y) @ f.X / f.n_samples, rtol=1e-12)


def test_logistic_separable_data_without_ridge_has_no_solution():
    X = np.array([[1.0, 0.2], [2.0, -0.5], [-1.0, 0.3], [-1.5, -0.1]])
    y = np.array([True, True, False, False])
    f = LogisticRegression(X, y)
    with pytest.raises(ValueError, match="separable"):
        f.solution
    assert f.minima.shape == (0, 2) and f.min_value == 0.0
    g = LogisticRegression(X, y, l2=0.1)
    np.testing.assert_allclose(g.grad(g.solution), 0.0, atol=1e-12)


# --------------------------------------------------------------------------- dtypes and divergence


@all_landscapes()
def test_float32_in_float32_out(key):
    f = LANDSCAPES[key]
    x64 = random_points(f, (4,))
    x32 = x64.astype(np.float32)
    for method in (f.value, f.grad, f.hessian):
        out32, out64 = method(x32), method(x64)
        assert out32.dtype == np.float32 and out64.dtype == np.float64
        np.testing.assert_allclose(out32, out64, rtol=1e-3, atol=1e-3 * (1 + np.max(np.abs(out64))))
    if key in FINITE_SUMS:
        assert f.per_example_grads(x32, batch=np.array([0, 1])).dtype == np.float32
        assert f.value(x32, batch=np.array([0, 1])).dtype == np.float32


@all_landscapes()
def test_huge_and_nonfinite_points_raise_no_warnings(key):
    f = LANDSCAPES[key]
    x = np.array([np.full(f.dim, 1e200), np.resize([1e300, -1e300], f.dim), np.full(f.dim, np.inf)])
    x = np.concatenate([x, np.full((1, f.dim), np.nan)])
    x32 = np.full((3, f.dim), 1e30, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in (f.value, f.grad, f.hessian):
            out = method(x)
            assert out.shape[0] == 4
            assert method(x32).dtype == np.float32
        assert np.all(np.isnan(f.value(x[3]))) and np.all(np.isnan(f.grad(x[3])))
        assert not np.all(np.isfinite(f.value(x[:3])))


# --------------------------------------------------------------------------- validation

_LS = LeastSquares(np.ones((10, 2)), np.zeros(10))
_LR = LogisticRegression
_T = np.zeros(2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: Rosenbrock().value(np.array([1, 2])), TypeError, r"x must have a floating-point dtype.*int64"),
        (lambda: Rosenbrock().grad(np.array([True, False])), TypeError, r"x must have a floating-point dtype.*bool"),
        (lambda: Rosenbrock().hessian(np.zeros(3)), ValueError, r"x must have last dimension 2; got shape \(3,\)"),
        (lambda: DoubleWell().value(np.zeros((4, 2))), ValueError, r"x must have last dimension 1"),
        (lambda: Quadratic(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError, r"A must be symmetric.*got"),
        (lambda: Quadratic(np.array([[1.0, 2.0], [2.0, 1.0]])), ValueError, r"A must be positive definite.*-1"),
        (lambda: Quadratic(np.ones((2, 3))), ValueError, r"A must be a square.*\(2, 3\)"),
        (lambda: Quadratic(np.eye(2), b=np.ones(3)), ValueError, r"b must have shape \(2,\)"),
        (lambda: Quadratic.from_condition(0.5), ValueError, r"kappa must be in \[1, inf\); got 0.5"),
        (lambda: Quadratic.from_condition(10.0, L=0.0), ValueError, r"L must be in \(0, inf\)"),
        (lambda: Quadratic.from_condition(10.0, dim=1), ValueError, r"dim must be an integer in \[2, inf\]"),
        (lambda: Rosenbrock(b=-1.0), ValueError, r"b must be in \(0, inf\); got -1.0"),
        (lambda: LeastSquares(np.ones((10, 2)), np.zeros(9)), ValueError, r"y must be 1-D with length N = 10.*\(9,\)"),
        (lambda: LeastSquares(np.ones((10, 2), dtype=int), np.zeros(10)), TypeError, r"X must have a floating"),
        (lambda: LeastSquares(np.ones(10), np.zeros(10)), ValueError, r"X must be a 2-D array.*\(10,\)"),
        (lambda: _LR(np.ones((3, 2)), [0, 1, 2]), ValueError, r"y must contain only labels 0 and 1; got 2"),
        (lambda: _LR(np.ones((3, 2)), [0, 1, 1], l2=-0.1), ValueError, r"l2 must be in \[0, inf\); got -0.1"),
        (lambda: _LS.grad(_T, batch=np.array([0, 10])), ValueError, r"batch indices must be in \[0, 10\); got 10"),
        (lambda: _LS.grad(_T, batch=np.array([-1])), ValueError, r"batch indices must be in \[0, 10\); got -1"),
        (lambda: _LS.value(_T, batch=np.array([0.0, 1.0])), TypeError, r"batch must be an integer.*float64"),
        (lambda: _LS.value(_T, batch=[]), ValueError, r"batch must contain at least one index"),
        (lambda: _LS.grad(np.zeros((3, 2)), batch=np.zeros((4, 2), int)), ValueError, r"batch leading shape \(4,\)"),
        (lambda: _LS.grad(np.zeros(2, dtype=int)), TypeError, r"theta must have a floating-point dtype"),
        (lambda: _LS.per_example_grads(np.zeros(3)), ValueError, r"theta must have last dimension 2"),
        (lambda: LeastSquares.synthetic(rng=42), TypeError, r"rng must be a numpy.random.Generator.*int"),
        (lambda: LeastSquares.synthetic(condition=0.5), ValueError, r"condition must be in \[1, inf\); got 0.5"),
        (lambda: LeastSquares.synthetic(noise=-1.0), ValueError, r"noise must be in \[0, inf\); got -1.0"),
        (lambda: LogisticRegression.synthetic(separation=-1.0), ValueError, r"separation must be in \[0, inf\)"),
        (lambda: LogisticRegression.synthetic(rng=np.random.RandomState(0)), TypeError, r"rng must be"),
    ],
)
def test_bad_arguments_raise_with_the_argument_named(call, error, match):
    with pytest.raises(error, match=match):
        call()

"""Tests for descent.regularize: dropout (gradient, expectation, modes), the L1 prox, augmentation, early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from descent import regularize as rg
from descent.autodiff import numerical_grad
from descent.nn import MLP, Linear, ReLU, Sequential, accuracy, train_epoch
from descent.optim import SGD, Adam, masked


def rng(seed=0):
    return np.random.default_rng(seed)


# -------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
def test_dropout_gradient_fixed_mask_finite_differences(p):
    d = rg.Dropout(p, rng=rng(1))
    x = rng(2).standard_normal((5, 4))
    mask = rng(3).random((5, 4)) >= p
    R = rng(4).standard_normal((5, 4))
    d.forward(x, mask=mask)
    dx = d.backward(R)
    np.testing.assert_allclose(dx, numerical_grad(lambda z: np.sum(R * d.forward(z, mask=mask)), x),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dx, R * mask / (1 - p), rtol=1e-15)


def test_dropout_mlp_gradient_by_finite_differences():
    model = rg.DropoutMLP([4, 6, 3], p=0.5, rng=rng(0), dropout_rng=rng(1))
    X, y = rng(2).standard_normal((7, 4)), rng(3).integers(0, 3, 7)
    drop = model.dropouts()[0]
    mask = rng(5).random((7, 6)) >= 0.5
    # freeze the mask by drawing it from a generator reset before every forward
    orig_forward = drop.forward
    drop.forward = lambda x, mask_=None: orig_forward(x, mask=mask)
    _, grads = model.loss_and_grads(X, y)
    base = {k: v.copy() for k, v in model.params().items()}
    for key in base:
        def f(w, key=key):
            model.set_params({**base, key: w})
            from descent.nn import SoftmaxCrossEntropy
            return SoftmaxCrossEntropy().forward(model.forward(X), y)
        num = numerical_grad(f, base[key].copy())
        model.set_params(base)
        np.testing.assert_allclose(grads[key], num, rtol=1e-6, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_expectation_is_identity(p):
    """E[y] = x: the mean over 40,000 draws is within 5 standard errors of x."""
    d = rg.Dropout(p, rng=rng(7))
    x = np.array([[-2.0, -1.0, 0.5, 1.0, 2.0, 3.0]])
    ys = d.forward(np.repeat(x, 40_000, axis=0))
    se = np.abs(x) * np.sqrt(p / (1 - p)) / np.sqrt(40_000)  # std of x*m/(1-p) is |x| sqrt(p/(1-p))
    assert np.all(np.abs(ys.mean(axis=0) - x[0]) <= 5 * se[0] + 1e-12)
    assert abs(np.mean(ys == 0) - p) < 0.01


def test_dropout_without_scaling_is_biased():
    d = rg.Dropout(0.5, rng=rng(0), scale=False)
    ys = d.forward(np.ones((20_000, 1)))
    assert abs(ys.mean() - 0.5) < 0.02  # E[y] = (1 - p) x, not x


def test_dropout_inference_mode_is_identity_and_evaluating_restores():
    model = Sequential([Linear(3, 5, rng=rng(0)), ReLU(), rg.Dropout(0.5, rng=rng(1)), Linear(5, 2, rng=rng(2))])
    x = rng(3).standard_normal((4, 3))
    with rg.evaluating(model):
        a, b = model.forward(x), model.forward(x)
    np.testing.assert_array_equal(a, b)
    assert model.layers[2].training
    assert not np.array_equal(model.forward(x), model.forward(x))  # masks differ in training mode
    d = rg.Dropout(0.5, rng=rng(0))
    d.training = False
    np.testing.assert_array_equal(d.forward(np.ones((1, 2))), np.ones((1, 2)))
    np.testing.assert_array_equal(d.backward(np.full((1, 2), 3.0)), np.full((1, 2), 3.0))


def test_dropout_mlp_same_weights_and_predict_deterministic():
    plain = MLP([4, 8, 8, 3], rng=rng(0))
    drop = rg.DropoutMLP([4, 8, 8, 3], p=0.3, rng=rng(0))
    assert [repr(m) for m in drop.layers] == ["Linear(4, 8, init='he')", "ReLU()", "Dropout(p=0.3)",
                                              "Linear(8, 8, init='he')", "ReLU()", "Dropout(p=0.3)",
                                              "Linear(8, 3, init='he')"]
    for a, b in zip(plain.linear_layers(), drop.linear_layers()):
        np.testing.assert_array_equal(a.W, b.W)
    x = rng(1).standard_normal((5, 4))
    np.testing.assert_array_equal(drop.predict(x), plain.predict(x))
    assert not np.array_equal(drop.predict_sampled(x), drop.predict_sampled(x))
    assert all(m.training for m in drop.dropouts())


def test_dropout_mlp_trains_with_train_epoch():
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    y = y[:300]
    model = rg.DropoutMLP([64, 32, 10], p=0.2, rng=rng(0))
    opt = Adam(lr=1e-2)
    state = opt.init(model.params())
    for _ in range(5):
        state, _ = train_epoch(model, opt, state, X, y, 32, rng(1))
    assert accuracy(model, X, y) > 0.9


# ------------------------------------------------------------------- L1 prox
def test_soft_threshold_closed_form():
    x = rng(0).standard_normal(1000) * 2
    t = 0.7
    z = rg.soft_threshold(x, t)
    # the prox minimizes 1/2 (z - x)^2 + t|z| entrywise: compare with a dense grid search
    grid = np.linspace(-8, 8, 160_001)
    for xi, zi in zip(x[:20], z[:20]):
        obj = 0.5 * (grid - xi) ** 2 + t * np.abs(grid)
        assert abs(grid[np.argmin(obj)] - zi) <= 1e-4
    np.testing.assert_array_equal(z == 0, np.abs(x) <= t)
    np.testing.assert_allclose(np.abs(x[z != 0]) - np.abs(z[z != 0]), t)


def test_proximal_sgd_is_ista_and_reaches_lasso_solution():
    """Proximal SGD on 1/2||Ax-b||^2 + lam||x||_1 reaches a point meeting the lasso optimality conditions."""
    A = rng(0).standard_normal((30, 10))
    b = A @ np.array([3, -2, 0, 0, 0, 0, 0, 0, 1.5, 0]) + 0.1 * rng(1).standard_normal(30)
    lam = 5.0
    lr = 1.0 / np.linalg.norm(A, 2) ** 2
    opt = rg.proximal(SGD(lr=lr), l1=lam)
    x = np.zeros(10)
    state = opt.init(x)
    for _ in range(3000):
        x, state = opt.update(x, A.T @ (A @ x - b), state)
    g = A.T @ (A @ x - b)
    nz = x != 0
    assert 0 < nz.sum() < 10
    np.testing.assert_allclose(g[nz], -lam * np.sign(x[nz]), atol=1e-6)
    assert np.all(np.abs(g[~nz]) <= lam + 1e-6)


def test_proximal_update_inplace_mask_dict_schedule_and_columns():
    params = {"W": np.array([[0.5, -0.05], [0.02, 1.0]]), "b": np.array([0.01, -0.01])}
    grads = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    opt = rg.proximal(SGD(lr=lambda t: 0.1 / (t + 1)), l1=1.0, mask={"W": True, "b": False})
    s = opt.init(params)
    new, s = opt.update(params, grads, s)
    np.testing.assert_allclose(new["W"], [[0.4, 0.0], [0.0, 0.9]])
    np.testing.assert_array_equal(new["b"], params["b"])
    new2, _ = opt.update(new, grads, s)  # second step: lr 0.05
    np.testing.assert_allclose(new2["W"], [[0.35, 0.0], [0.0, 0.85]])
    p = {k: v.copy() for k, v in params.items()}
    p2, _ = opt.update_(p, grads, opt.init(p))
    assert p2["W"] is p["W"]
    np.testing.assert_allclose(p["W"], new["W"])
    # one l1 per row of a batched run
    col = rg.proximal(SGD(lr=np.array([[1.0], [1.0]])), l1=np.array([[0.0], [0.3]]))
    out, _ = col.update(np.full((2, 3), 0.2), np.zeros((2, 3)), col.init(np.zeros((2, 3))))
    np.testing.assert_allclose(out, [[0.2] * 3, [0.0] * 3])
    # wraps other wrappers
    w = rg.proximal(masked(SGD(lr=0.1), {"W": True, "b": False}), l1=0.0)
    w.update(params, grads, w.init(params))


# --------------------------------------------------------------- augmentation
def test_shift_digits_moves_by_at_most_one_pixel_and_keeps_mass_inside():
    X = np.zeros((500, 64))
    X[:, 3 * 8 + 4] = 1.0  # pixel (3, 4), away from the border
    out = rg.shift_digits(X, rng(0))
    pos = np.argmax(out, axis=1)
    dr, dc = pos // 8 - 3, pos % 8 - 4
    assert set(dr) == {-1, 0, 1} and set(dc) == {-1, 0, 1}
    np.testing.assert_array_equal(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(rg.shift_digits(X, rng(0), max_shift=0), X)
    edge = np.zeros((200, 64))
    edge[:, 0] = 1.0  # corner pixel: shifted out of the image in 5 of 9 cases
    lost = np.mean(rg.shift_digits(edge, rng(1)).sum(axis=1) == 0)
    assert abs(lost - 5 / 9) < 0.1


def test_gaussian_noise():
    X = np.full((2000, 64), 0.5)
    out = rg.gaussian_noise(X, rng(0), sigma=0.1)
    assert abs(out.std() - 0.1) < 0.005 and out.min() >= 0 and out.max() <= 1
    out = rg.gaussian_noise(np.zeros((10, 3)), rng(0), sigma=1.0, clip=False)
    assert out.min() < 0


# ------------------------------------------------------------ early stopping
def test_early_stop_on_a_curve():
    curve = [1.0, 0.8, 0.7, 0.71, 0.69, 0.72, 0.73, 0.74, 0.5]
    assert rg.early_stop(curve, patience=3) == rg.StopPoint(7, 4, 0.69)
    assert rg.early_stop(curve, patience=3, min_delta=0.05) == rg.StopPoint(5, 2, 0.7)
    assert rg.early_stop(curve, patience=10).stop == len(curve) - 1
    acc = [0.5, 0.9, 0.8, 0.85]
    assert rg.early_stop(acc, patience=2, mode="max") == rg.StopPoint(3, 1, 0.9)
    assert rg.early_stop([np.nan, 1.0, np.inf, np.inf], patience=2).best == 1


# ------------------------------------------------------------------ bad input
def test_bad_input():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        rg.Dropout(1.0, rng=rng())
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        rg.Dropout(0.5, rng=0)
    with pytest.raises(TypeError, match="scale must be True or False"):
        rg.Dropout(0.5, rng=rng(), scale=1)
    d = rg.Dropout(0.5, rng=rng())
    with pytest.raises(RuntimeError, match="before forward"):
        d.backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="mask must be a boolean array"):
        d.forward(np.ones((2, 2)), mask=np.ones((2, 2)))
    d.forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="dy must have the shape"):
        d.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="floating-point"):
        d.forward(np.ones((2, 2), dtype=int))
    with pytest.raises(ValueError, match="residual"):
        rg.DropoutMLP([3, 3, 2], 0.5, rng=rng(), residual=True)
    with pytest.raises(TypeError, match="model must be a descent.nn Layer"):
        with rg.evaluating("model"):
            pass
    with pytest.raises(ValueError, match=r"t must be in \[0, inf\)"):
        rg.soft_threshold(np.ones(2), -1.0)
    with pytest.raises(TypeError, match="floating-point"):
        rg.soft_threshold(np.ones(2, dtype=int), 1.0)
    with pytest.raises(ValueError, match=r"l1 must be in"):
        rg.proximal(SGD(), l1=-0.1)
    with pytest.raises(TypeError, match="inner must be a descent.optim optimizer"):
        rg.proximal("sgd", l1=0.1)
    with pytest.raises(ValueError, match="mask must be a dict"):
        rg.proximal(SGD(), l1=0.1, mask=np.ones(2, bool)).init({"W": np.ones(2)})
    with pytest.raises(ValueError, match="does not broadcast"):
        rg.proximal(SGD(), l1=0.1, mask=np.ones(3, bool)).init(np.ones(2))
    with pytest.raises(TypeError, match="ProximalState"):
        rg.proximal(SGD(), l1=0.1).update(np.ones(2), np.ones(2), None)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 64\)"):
        rg.shift_digits(np.ones((2, 63)), rng())
    with pytest.raises(ValueError, match="max_shift must be an integer in"):
        rg.shift_digits(np.ones((2, 64)), rng(), max_shift=8)
    with pytest.raises(ValueError, match="sigma must be in"):
        rg.gaussian_noise(np.ones((2, 64)), rng(), sigma=-1.0)
    with pytest.raises(ValueError, match="patience must be an integer"):
        rg.early_stop([1.0, 2.0], patience=0)
    with pytest.raises(ValueError, match="mode must be"):
        rg.early_stop([1.0, 2.0], patience=1, mode="best")
    with pytest.raises(ValueError, match="non-empty 1-d"):
        rg.early_stop([], patience=1)


# ------------------------------------------------------------------- explorer
def test_explore_regularization_live_and_static():
    from descent.bakeoff import load_split
    wine = load_split("wine")
    ex = rg.explore_regularization(wine, lr=1e-2, p=0.0, weight_decay=0.0, epochs=4, seeds=[0, 1],
                                   static_p=[0.0, 0.5], static_weight_decay=[0.0, 1.0])
    tl, vl, final = ex.compute(ex.values)
    assert tl.shape == (2, 4) and vl.shape == (2, 4)
    html = ex.static_html()
    assert "descent-explorer" in html and "<script" in html
    assert len(ex._cache) == 4  # the book's 2 x 2 grid (the initial setting is one of them)
    bundle = ex._repr_mimebundle_()
    assert {"text/plain", "text/html"} <= set(bundle)
    before = ex.summary
    ex.update(p=0.5)
    assert ex.summary != before and ex.summary.startswith("p = 0.5")
    with pytest.raises(ValueError, match="no slider named"):
        ex.update(beta=0.1)


def test_explore_regularization_bad_input():
    from descent.bakeoff import load_split
    wine = load_split("wine")
    with pytest.raises(TypeError, match="data must be a descent.bakeoff.Split"):
        rg.explore_regularization((wine.X_train, wine.y_train))
    with pytest.raises(ValueError, match=r"p must be in \[0, 0.9\]"):
        rg.explore_regularization(wine, p=0.95)
    with pytest.raises(ValueError, match="static_p must give 1 to 8 values"):
        rg.explore_regularization(wine, static_p=[i / 20 for i in range(10)])
    with pytest.raises(ValueError, match="seeds must name at least one seed"):
        rg.explore_regularization(wine, seeds=[])

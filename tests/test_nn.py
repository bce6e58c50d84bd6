"""Tests for descent.nn: hand-written backprop against finite differences and autodiff."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import autodiff as ad
from descent.autodiff import Tensor, numerical_grad
from descent.nn import (
    MLP, MSE, BatchNorm, Linear, ReLU, Residual, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh,
    accuracy, init_std, train_epoch,
)
from descent.optim import SGD, Adam

SETTINGS = settings(max_examples=15, deadline=None)


def rng(seed=0):
    return np.random.default_rng(seed)


def check_layer(layer, x, rtol=1e-6, atol=1e-8, seed=0):
    """Input and parameter gradients of ``sum(R * layer(x))`` against finite differences."""
    R = rng(seed + 100).standard_normal(layer.forward(x).shape)
    layer.forward(x)
    dx = layer.backward(R)
    analytic = layer.grads()
    assert set(analytic) == set(layer.params())
    np.testing.assert_allclose(dx, numerical_grad(lambda z: np.sum(R * layer.forward(z)), x),
                               rtol=rtol, atol=atol, err_msg="input gradient")
    base = {k: v.copy() for k, v in layer.params().items()}
    for name, value in base.items():
        def f(p, name=name):
            layer.set_params({**base, name: p})
            return np.sum(R * layer.forward(x))
        numeric = numerical_grad(f, value)
        layer.set_params(base)
        np.testing.assert_allclose(analytic[name], numeric, rtol=rtol, atol=atol, err_msg=name)


# -------------------------------------------------------------------- layers
@pytest.mark.parametrize("init", ["he", "xavier", "normal"])
@SETTINGS
@given(n=st.integers(1, 6), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=st.integers(0, 999))
def test_linear_backward(init, n, n_in, n_out, seed):
    layer = Linear(n_in, n_out, init, rng=rng(seed), scale=0.7 if init == "normal" else None)
    layer.b = rng(seed + 1).standard_normal(n_out)
    check_layer(layer, rng(seed + 2).standard_normal((n, n_in)), seed=seed)


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, ReLU])
@SETTINGS
@given(n=st.integers(1, 5), d=st.integers(1, 5), seed=st.integers(0, 999))
def test_activation_backward(cls, n, d, seed):
    x = rng(seed).standard_normal((n, d)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU's kink away from the finite-difference step
    check_layer(cls(), x, seed=seed)


@SETTINGS
@given(n=st.integers(2, 6), d=st.integers(1, 4), seed=st.integers(0, 999))
def test_batchnorm_backward(n, d, seed):
    layer = BatchNorm(d)
    layer.gamma = rng(seed).uniform(0.5, 2.0, d)
    layer.beta = rng(seed + 1).standard_normal(d)
    x = rng(seed + 2).standard_normal((n, d)) * 3 + 1
    check_layer(layer, x, rtol=1e-5, atol=1e-7, seed=seed)


def test_batchnorm_normalizes_and_eval_mode_is_affine():
    layer = BatchNorm(3)
    x = rng(1).standard_normal((50, 3)) * [1.0, 10.0, 0.1] + [5.0, -2.0, 0.0]
    y = layer.forward(x)
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), x.var(0) / (x.var(0) + layer.eps), rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(0))
    layer.training = False
    check_layer(layer, x[:4], seed=3)  # running statistics are constants


def test_residual_and_sequential_backward():
    block = Sequential([Linear(4, 4, rng=rng(0)), BatchNorm(4), Tanh()])
    block.layers[1].gamma = rng(1).uniform(0.5, 2, 4)
    check_layer(Residual(block), rng(2).standard_normal((5, 4)), rtol=1e-5)
    seq = Sequential([Linear(3, 4, "xavier", rng=rng(3)), Sigmoid(), Residual(Linear(4, 4, rng=rng(4)))])
    check_layer(seq, rng(5).standard_normal((6, 3)))
    assert sorted(seq.params()) == ["0.W", "0.b", "2.W", "2.b"]


def test_residual_adds_identity():
    lin = Linear(3, 3, rng=rng(0))
    x = rng(1).standard_normal((2, 3))
    np.testing.assert_allclose(Residual(lin).forward(x), x + x @ lin.W + lin.b)


# ---------------------------------------------------------------------- losses
def test_softmax_cross_entropy_value_and_gradient():
    z = rng(0).standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    loss = SoftmaxCrossEntropy()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert np.isclose(loss.forward(z, labels), -np.mean(np.log(p[np.arange(5), labels])))
    g = loss.backward()
    np.testing.assert_allclose(g, numerical_grad(lambda w: SoftmaxCrossEntropy().forward(w, labels), z),
                               rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4, -1e4]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(z, np.array([0, 1, 2]))
    expected = (0.0 + (1.0 + np.log1p(np.exp(-1.0))) + np.log(3.0)) / 3
    assert np.isfinite(value) and np.isclose(value, expected, rtol=1e-12)
    g = loss.backward()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(g[2], [1 / 9, 1 / 9, -2 / 9])


def test_mse():
    pred, target = rng(0).standard_normal((4, 2)), rng(1).standard_normal((4, 2))
    loss = MSE()
    assert np.isclose(loss.forward(pred, target), np.mean((pred - target) ** 2))
    np.testing.assert_allclose(loss.backward(), numerical_grad(lambda p: MSE().forward(p, target), pred),
                               rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------- MLP
CONFIGS = [
    dict(activation="tanh"),
    dict(activation="sigmoid", init="xavier"),
    dict(activation="tanh", residual=True),
    dict(activation="tanh", batchnorm=True),
    dict(activation="sigmoid", residual=True, batchnorm=True),
]


def mlp_fd_grads(model, x, y, loss):
    base = {k: v.copy() for k, v in model.params().items()}
    out = {}
    for key, value in base.items():
        def f(p, key=key):
            model.set_params({**base, key: p})
            return model.loss_and_grads(x, y, loss)[0]
        out[key] = numerical_grad(f, value)
    model.set_params(base)
    return out


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_mlp_gradients_match_finite_differences(config, loss):
    model = MLP([3, 4, 4, 3], rng=rng(0), **config)
    x = rng(1).standard_normal((6, 3))
    y = np.array([0, 2, 1, 1, 0, 2]) if loss == "cross_entropy" else rng(2).standard_normal((6, 3))
    value, grads = model.loss_and_grads(x, y, loss)
    numeric = mlp_fd_grads(model, x, y, loss)
    assert set(grads) == set(model.params())
    for k in grads:
        np.testing.assert_allclose(grads[k], numeric[k], rtol=1e-5, atol=1e-8, err_msg=k)


def autodiff_loss(model, x, labels):
    """The same network and loss rebuilt with descent.autodiff from the model's parameters."""
    leaves = {}

    def run(layer, h, prefix):
        if isinstance(layer, Sequential):
            for i, sub in enumerate(layer.layers):
                h = run(sub, h, f"{prefix}{i}.")
            return h
        if isinstance(layer, Residual):
            return h + run(layer.block, h, prefix)
        if isinstance(layer, Linear):
            W, b = (leaves.setdefault(prefix + n, Tensor(getattr(layer, n), requires_grad=True)) for n in "Wb")
            return h @ W + b
        if isinstance(layer, BatchNorm):
            g = leaves.setdefault(prefix + "gamma", Tensor(layer.gamma, requires_grad=True))
            b = leaves.setdefault(prefix + "beta", Tensor(layer.beta, requires_grad=True))
            xc = h - h.mean(axis=0, keepdims=True)
            return g * xc / ((xc**2).mean(axis=0, keepdims=True) + layer.eps) ** 0.5 + b
        return {ReLU: ad.relu, Tanh: ad.tanh, Sigmoid: ad.sigmoid}[type(layer)](h)

    z = run(model, Tensor(x), "")
    onehot = np.eye(z.shape[1])[labels]
    loss = (ad.logsumexp(z, axis=1) - (z * onehot).sum(axis=1)).mean()
    loss.backward()
    return loss.item(), {k: t.grad for k, t in leaves.items()}


@pytest.mark.parametrize("config", [dict(), dict(residual=True), dict(batchnorm=True, residual=True),
                                    dict(activation="tanh", init="normal", scale=0.5)])
def test_mlp_matches_autodiff(config):
    model = MLP([5, 7, 7, 7, 4], rng=rng(3), **config)
    x, y = rng(4).standard_normal((9, 5)), rng(5).integers(0, 4, 9)
    value, grads = model.loss_and_grads(x, y)
    ad_value, ad_grads = autodiff_loss(model, x, y)
    assert np.isclose(value, ad_value, rtol=1e-12)
    assert set(grads) == set(ad_grads)
    for k in grads:
        np.testing.assert_allclose(grads[k], ad_grads[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_mlp_structure_and_names():
    plain = MLP([4, 8, 8, 3], rng=rng(0))
    assert sorted(plain.params()) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    res = MLP([4, 8, 8, 8, 3], residual=True, batchnorm=True, rng=rng(0))
    assert isinstance(res.layers[3], Residual) and isinstance(res.layers[4], Residual)
    assert "3.1.gamma" in res.params() and "0.W" in res.params()
    for model, n_linear in [(plain, 3), (res, 4)]:
        model.loss_and_grads(rng(1).standard_normal((5, 4)), np.array([0, 1, 2, 0, 1]))
        norms = model.layer_grad_norms()
        assert len(norms) == n_linear == len(model.linear_layers())
        assert np.isclose(norms[0], np.linalg.norm(model.grads()["0.W"]))


def test_set_params_round_trip_and_predict():
    model = MLP([3, 5, 2], rng=rng(0))
    x = rng(1).standard_normal((4, 3))
    before = model.predict(x)
    new = {k: v * 2 for k, v in model.params().items()}
    model.set_params(new)
    assert model.params()["0.W"] is new["0.W"]
    assert not np.allclose(model.predict(x), before)
    np.testing.assert_array_equal(model.predict(x), model.forward(x))


def test_predict_uses_running_statistics_with_batchnorm():
    model = MLP([3, 6, 2], batchnorm=True, rng=rng(0))
    x = rng(1).standard_normal((1, 3))
    a, b = model.predict(x), model.predict(x)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a)) and model.layers[1].training  # mode restored afterwards


# ------------------------------------------------------------ initialization
@pytest.mark.parametrize("init, scale, var", [
    ("he", None, 2 / 1000), ("xavier", None, 2 / 1500), ("normal", None, 1e-4),
    ("normal", 0.3, 0.09), ("he", 1.5, 2.25 * 2 / 1000),
])
def test_initialization_variance(init, scale, var):
    W = Linear(1000, 500, init, rng=rng(7), scale=scale).W
    assert abs(W.var() / var - 1) < 0.02  # sample of 5e5: relative std ~0.002
    assert abs(W.mean()) < 5 * np.sqrt(var / W.size)
    assert np.isclose(init_std(init, 1000, 500, scale) ** 2, var)
    if init == "xavier":
        assert np.abs(W).max() <= np.sqrt(6 / 1500)


def test_initialization_is_reproducible_and_dtype_aware():
    a = MLP([4, 6, 2], rng=rng(1)).params()
    b = MLP([4, 6, 2], rng=rng(1), dtype=np.float32).params()
    np.testing.assert_array_equal(a["0.W"].astype(np.float32), b["0.W"])
    assert np.all(MLP([4, 6, 2], rng=rng(1)).params()["0.b"] == 0)
    model = MLP([4, 6, 3], batchnorm=True, rng=rng(1), dtype=np.float32)
    x = rng(2).standard_normal((5, 4)).astype(np.float32)
    assert model.forward(x).dtype == np.float32
    _, grads = model.loss_and_grads(x, np.array([0, 1, 2, 0, 1]))
    assert all(g.dtype == np.float32 for g in grads.values())


# ------------------------------------------------------------------ training
def blobs(n=200, seed=0):
    r = rng(seed)
    y = r.integers(0, 2, n)
    X = r.standard_normal((n, 2)) * 0.5 + np.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


@pytest.mark.parametrize("config", [dict(), dict(residual=True, batchnorm=True)])
def test_train_epoch_reduces_loss(config):
    X, y = blobs()
    model = MLP([2, 8, 8, 2], rng=rng(1), **config)
    opt = Adam(lr=1e-2)
    state = opt.init(model.params())
    losses = []
    for epoch in range(5):
        state, loss = train_epoch(model, opt, state, X, y, 16, rng(epoch))
        losses.append(loss)
    assert state.step == 5 * 13  # ceil(200 / 16) batches per epoch
    assert losses[-1] < 0.3 * losses[0]
    assert accuracy(model, X, y) > 0.95


def test_train_epoch_mean_loss_and_mse():
    X, y = blobs(30)
    model = MLP([2, 4, 1], "tanh", rng=rng(0))
    target = y[:, None].astype(float)
    opt = SGD(lr=0.0)  # no movement: the epoch mean equals the full-batch loss
    state, loss = train_epoch(model, opt, opt.init(model.params()), X, target, 7, rng(0), "mse")
    assert np.isclose(loss, MSE().forward(model.forward(X), target))


# ---------------------------------------------------------------------- errors
def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"n_in must be an integer in \[1, inf\]; got -3"):
        Linear(-3, 2, rng=rng())
    with pytest.raises(TypeError, match="n_out must be an integer"):
        Linear(2, 2.5, rng=rng())
    with pytest.raises(ValueError, match="init must be one of 'he', 'xavier', 'normal'; got 'kaiming'"):
        MLP([2, 3], init="kaiming", rng=rng())
    with pytest.raises(ValueError, match="activation must be one of .*; got 'gelu'"):
        MLP([2, 3], activation="gelu", rng=rng())
    with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer in \[1, inf\]; got 0"):
        MLP([2, 0, 3], rng=rng())
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([2], rng=rng())
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        MLP([2, 3], rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        Linear(2, 3, rng=None)
    with pytest.raises(TypeError, match="dtype must be a floating-point dtype"):
        MLP([2, 3], rng=rng(), dtype=np.int32)
    with pytest.raises(ValueError, match="scale must be in"):
        Linear(2, 3, rng=rng(), scale=-1.0)
    with pytest.raises(TypeError, match="residual must be True or False"):
        MLP([2, 3], residual="yes", rng=rng())


def test_bad_data_raises_clear_errors():
    model = MLP([3, 4, 2], rng=rng())
    with pytest.raises(TypeError, match="x must have a floating-point dtype"):
        model.forward(np.ones((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"x must have 3 features .*got shape \(2, 5\)"):
        model.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="x must be a 2-d array"):
        model.forward(np.ones(3))
    with pytest.raises(RuntimeError, match="before forward"):
        MLP([3, 4, 2], rng=rng()).backward(np.ones((2, 2)))
    model.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dy must have the shape of MLP's output \(2, 2\)"):
        model.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\]; got 5"):
        model.loss_and_grads(np.ones((2, 3)), np.array([0, 5]))
    with pytest.raises(TypeError, match="labels must be integer"):
        model.loss_and_grads(np.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="loss must be one of"):
        model.loss_and_grads(np.ones((2, 3)), np.array([0, 1]), "hinge")
    with pytest.raises(ValueError, match="target must have the shape of pred"):
        model.loss_and_grads(np.ones((2, 3)), np.ones(2), "mse")
    with pytest.raises(ValueError, match=r"missing \['2.b'\]"):
        model.set_params({k: v for k, v in model.params().items() if k != "2.b"})
    with pytest.raises(ValueError, match=r"params\['0.W'\] must have shape \(3, 4\)"):
        model.set_params({**model.params(), "0.W": np.ones((4, 3))})
    with pytest.raises(ValueError, match="Residual block must keep the shape"):
        Residual(Linear(3, 2, rng=rng())).forward(np.ones((1, 3)))
    opt = Adam()
    with pytest.raises(ValueError, match="batch_size must be an integer in"):
        train_epoch(model, opt, opt.init(model.params()), np.ones((4, 3)), np.zeros(4, int), 0, rng())
    with pytest.raises(ValueError, match="y must have one entry per row of X"):
        train_epoch(model, opt, opt.init(model.params()), np.ones((4, 3)), np.zeros(3, int), 2, rng())

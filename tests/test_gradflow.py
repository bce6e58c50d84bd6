"""Tests for descent.gradflow: per-layer gradient norms against autodiff and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from descent import autodiff as ad
from descent.autodiff import Tensor
from descent.gradflow import GradProfile, backward_norms, geometric_rate, grad_profile
from descent.nn import MLP, MSE, SoftmaxCrossEntropy


def _autodiff_state_norms(model, x, y, act):
    """||dL/dh^(k-1)|| for a plain MLP, recomputed with descent.autodiff (leaves at every layer input)."""
    layers = model.linear_layers()
    K = len(layers)
    h = x
    inputs = []
    for k, lin in enumerate(layers):
        inputs.append(h)
        z = h @ lin.W + lin.b
        h = z if k == K - 1 else {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
                                  "sigmoid": lambda v: 0.5 * (1 + np.tanh(v / 2))}[act](z)
    norms = []
    for k in range(K):  # start the graph at the input of layer k
        hk = Tensor(inputs[k], requires_grad=True)
        t = hk
        for j in range(k, K):
            t = t @ Tensor(layers[j].W) + Tensor(layers[j].b)
            if j < K - 1:
                t = getattr(ad, act)(t)
        logp = t - ad.logsumexp(t, axis=1, keepdims=True)
        onehot = np.eye(t.shape[1])[y]
        L = -(logp * onehot).sum() * (1.0 / len(y))
        L.backward()
        norms.append(np.linalg.norm(hk.grad))
    return np.array(norms)


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
def test_state_norms_match_autodiff(act):
    rng = np.random.default_rng(1)
    model = MLP([6, 5, 5, 5, 3], act, "xavier", rng=rng)
    x = rng.standard_normal((7, 6))
    y = rng.integers(0, 3, 7)
    loss, w, s = backward_norms(model, x, y)
    np.testing.assert_allclose(s, _autodiff_state_norms(model, x, y, act), rtol=1e-10)
    np.testing.assert_allclose(w, [np.linalg.norm(layer.grads()["W"]) for layer in model.linear_layers()])
    assert loss == pytest.approx(model.loss_and_grads(x, y)[0])


def test_residual_and_batchnorm_layouts_give_one_norm_per_linear_layer():
    rng = np.random.default_rng(0)
    for res, bn in [(True, False), (False, True), (True, True)]:
        model = MLP([8, 8, 8, 8, 4], "relu", "he", residual=res, batchnorm=bn, rng=rng)
        x, y = rng.standard_normal((5, 8)), rng.integers(0, 4, 5)
        _, w, s = backward_norms(model, x, y)
        assert w.shape == s.shape == (4,)
        ce = SoftmaxCrossEntropy()  # the input gradient is what MLP.backward returns for the same loss
        ce.forward(model.forward(x), y)
        assert s[0] == pytest.approx(np.linalg.norm(model.backward(ce.backward())), rel=1e-12)


def test_mse_loss_and_input_gradient_match_mlp_backward():
    rng = np.random.default_rng(3)
    model = MLP([4, 6, 2], "tanh", rng=rng)
    x, t = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    loss, _, s = backward_norms(model, x, t, loss="mse")
    mse = MSE()
    value = mse.forward(model.forward(x), t)
    dx = model.backward(mse.backward())
    assert loss == pytest.approx(value)
    assert s[0] == pytest.approx(np.linalg.norm(dx))


def test_grad_profile_shapes_determinism_and_seeds():
    p = grad_profile(6, width=8, activation="relu", init="he", seeds=[0, 1, 2], batch_size=4)
    q = grad_profile(6, width=8, activation="relu", init="he", seeds=[0, 1, 2], batch_size=4)
    assert isinstance(p, GradProfile)
    assert p.weight.shape == p.state.shape == (3, 6) and p.loss.shape == (3,)
    np.testing.assert_array_equal(p.weight, q.weight)
    assert not np.allclose(p.weight[0], p.weight[1])
    np.testing.assert_allclose(p.median("state"), np.median(p.state, axis=0))
    with pytest.raises(ValueError, match="which"):
        p.median("bias")


def test_sigmoid_signal_shrinks_by_at_most_a_quarter_times_the_weight_norm():
    """||dL/dh^(k-1)|| <= ||W^(k)||_2 / 4 * ||dL/dh^(k)|| for sigmoid layers (sigma' <= 1/4)."""
    rng = np.random.default_rng(2)
    model = MLP([16] * 8 + [5], "sigmoid", "xavier", rng=rng)
    _, _, s = backward_norms(model, rng.standard_normal((10, 16)), rng.integers(0, 5, 10))
    lins = model.linear_layers()
    for k in range(len(lins) - 1):  # s[k] = ||dL/dh^(k)||, and h^(k+1) = sigmoid(h^(k) W^(k+1) + b)
        bound = np.linalg.norm(lins[k].W, 2) / 4 * s[k + 1]
        assert s[k] <= bound * (1 + 1e-12)
    assert geometric_rate(s) > 3.0  # shrinks by more than 3x per layer towards the input


def test_naive_init_vanishes_and_he_init_keeps_relu_gradients():
    naive = grad_profile(20, width=16, activation="relu", init="normal", seeds=range(3))
    he = grad_profile(20, width=16, activation="relu", init="he", seeds=range(3))
    assert np.all(naive.weight < 1e-20)
    r = geometric_rate(he.median("state"))
    assert 0.8 < r < 1.25


def test_geometric_rate_and_validation():
    assert geometric_rate(2.0 ** np.arange(5.0)) == pytest.approx(2.0)
    assert geometric_rate(np.array([np.nan, 1.0, 0.5, 0.25]), skip=0) == pytest.approx(0.5)
    assert geometric_rate(np.array([100.0, 1.0, 0.5, 0.25]), skip=1) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least two"):
        geometric_rate(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="1-d"):
        geometric_rate(np.ones((2, 2)))
    with pytest.raises(ValueError, match="depth"):
        grad_profile(1)
    with pytest.raises(ValueError, match="seeds"):
        grad_profile(3, seeds=[])
    with pytest.raises(ValueError, match="input_scale"):
        grad_profile(3, input_scale=0.0)
    with pytest.raises(TypeError, match="model"):
        backward_norms(object(), np.zeros((1, 1)), np.zeros(1, dtype=int))
    model = MLP([2, 2], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="loss"):
        backward_norms(model, np.zeros((1, 2)), np.zeros(1, dtype=int), loss="hinge")


# -------------------------------------------------------------- figures and explorer
def test_plot_profiles_draws_medians_on_a_log_scale():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from descent.gradflow import plot_profiles

    p = grad_profile(4, width=6, activation="tanh", seeds=range(3), batch_size=5)
    fig, ax = plt.subplots()
    lines = plot_profiles(ax, {"a": p, "b": p}, "state", styles=[2, 3])
    np.testing.assert_allclose(lines[0].get_ydata(), np.median(p.state, axis=0))
    assert ax.get_yscale() == "log" and lines[1].get_linestyle() == ":"
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])
    (line,) = plot_profiles(ax, {"c": p}, align="output", band=False)
    np.testing.assert_array_equal(line.get_xdata(), [3, 2, 1, 0])
    np.testing.assert_allclose(line.get_ydata(), np.median(p.weight, axis=0))
    with pytest.raises(ValueError, match="align"):
        plot_profiles(ax, {"a": p}, align="middle")
    with pytest.raises(ValueError, match="styles"):
        plot_profiles(ax, {"a": p}, styles=[0, 1])
    with pytest.raises(ValueError, match="which"):
        plot_profiles(ax, {"a": p}, "bias")
    plt.close(fig)

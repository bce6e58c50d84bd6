"""Tests for descent.rnn: BPTT against finite differences and against descent.autodiff."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import autodiff as ad
from descent.autodiff import Tensor, numerical_grad
from descent.rnn import (
    RNNGrads, recurrent_matrix, rnn_backward, rnn_forward, rnn_loss, rnn_loss_and_grads, spectral_radius,
)

SETTINGS = settings(max_examples=12, deadline=None)


def problem(seed, S=5, B=3, n=4, m=2, rho=0.9, kind="gaussian"):
    rng = np.random.default_rng(seed)
    W = recurrent_matrix(n, rho, rng=rng, kind=kind)
    U = rng.standard_normal((n, m)) / np.sqrt(m)
    xs = rng.standard_normal((S, B, m))
    h0 = 0.5 * rng.standard_normal((B, n))
    y = rng.standard_normal((B, n))
    return W, U, xs, h0, y


# ------------------------------------------------------------ recurrent_matrix
@pytest.mark.parametrize("kind", ["gaussian", "orthogonal"])
@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 1.7])
def test_recurrent_matrix_has_the_requested_spectral_radius(kind, rho):
    W = recurrent_matrix(12, rho, rng=np.random.default_rng(3), kind=kind)
    assert W.shape == (12, 12) and W.dtype == np.float64
    assert spectral_radius(W) == pytest.approx(rho, abs=1e-10)


def test_orthogonal_kind_scales_every_singular_value():
    W = recurrent_matrix(10, 1.3, rng=np.random.default_rng(1), kind="orthogonal")
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 1.3, rtol=1e-12)
    np.testing.assert_allclose(W.T @ W, 1.3**2 * np.eye(10), atol=1e-12)


def test_gaussian_kind_is_not_normal_and_seeded():
    a = recurrent_matrix(20, 1.0, rng=np.random.default_rng(5))
    b = recurrent_matrix(20, 1.0, rng=np.random.default_rng(5))
    c = recurrent_matrix(20, 1.0, rng=np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.linalg.norm(a, 2) > 1.2  # largest singular value well above the spectral radius


def test_recurrent_matrix_dtype_and_validation():
    rng = np.random.default_rng(0)
    assert recurrent_matrix(4, 1.0, rng=rng, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="spectral_radius"):
        recurrent_matrix(4, -0.1, rng=rng)
    with pytest.raises(ValueError, match="n must"):
        recurrent_matrix(0, 1.0, rng=rng)
    with pytest.raises(ValueError, match="kind"):
        recurrent_matrix(4, 1.0, rng=rng, kind="uniform")
    with pytest.raises(TypeError, match="rng"):
        recurrent_matrix(4, 1.0, rng=0)
    with pytest.raises(TypeError, match="dtype"):
        recurrent_matrix(4, 1.0, rng=rng, dtype=np.int64)
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.ones((2, 3)))


# ----------------------------------------------------------------- forward
def test_forward_matches_the_recurrence():
    W, U, xs, h0, _ = problem(0)
    hs = rnn_forward(W, U, xs, h0, "tanh")
    h = h0
    for s in range(xs.shape[0]):
        h = np.tanh(h @ W.T + xs[s] @ U.T)
        np.testing.assert_allclose(hs[s + 1], h, rtol=1e-14)
    np.testing.assert_array_equal(hs[0], h0)
    assert np.all(rnn_forward(W, U, xs)[0] == 0.0)


def test_linear_orthogonal_rnn_scales_gradients_by_rho_per_step():
    for rho in (0.8, 1.0, 1.25):
        W, U, xs, h0, y = problem(2, S=30, n=6, rho=rho, kind="orthogonal")
        _, g = rnn_loss_and_grads(W, U, xs, y, h0, "linear")
        norms = g.step_norms()
        np.testing.assert_allclose(norms, norms[-1] * rho ** np.arange(30, -1, -1), rtol=1e-10)


# ------------------------------------------------------------------ backward
@pytest.mark.parametrize("activation", ["linear", "tanh"])
@SETTINGS
@given(seed=st.integers(0, 10_000), S=st.integers(1, 6), B=st.integers(1, 3), n=st.integers(1, 4),
       rho=st.floats(0.1, 1.5))
def test_bptt_matches_finite_differences(activation, seed, S, B, n, rho):
    W, U, xs, h0, y = problem(seed, S=S, B=B, n=n, rho=rho)
    _, g = rnn_loss_and_grads(W, U, xs, y, h0, activation)
    loss = lambda **kw: rnn_loss(rnn_forward(kw.get("W", W), kw.get("U", U), xs, kw.get("h0", h0), activation), y)[0]
    np.testing.assert_allclose(g.W, numerical_grad(lambda w: loss(W=w), W), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.U, numerical_grad(lambda u: loss(U=u), U), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g.h0, numerical_grad(lambda h: loss(h0=h), h0), rtol=1e-6, atol=1e-9)


def _autodiff_states(W, U, xs, h0, activation):
    h, states = h0, [h0]
    for s in range(xs.shape[0]):
        a = h @ W.T + xs[s] @ U.T
        h = ad.tanh(a) if activation == "tanh" else a
        states.append(h)
    return states


@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize("every_step", [False, True])
def test_bptt_matches_autodiff_including_every_adjoint(activation, every_step):
    Wa, Ua, xs, h0a, y = problem(7, S=8, B=3, n=5, m=3, rho=1.2)
    R = np.random.default_rng(11).standard_normal((8, 3, 5))
    W, U, h0 = (Tensor(a, requires_grad=True) for a in (Wa, Ua, h0a))
    states = _autodiff_states(W, U, xs, h0, activation)
    if every_step:  # a loss that reads every state: L = sum_s <R_s, h_s>
        L = sum(((states[s + 1] * R[s]).sum() for s in range(8)), Tensor(np.zeros(())))
        dh = R
    else:
        L = ((states[-1] - y) ** 2).sum() * (0.5 / 3)
        dh = (states[-1].data - y) / 3
    L.backward()
    g = rnn_backward(Wa, Ua, xs, rnn_forward(Wa, Ua, xs, h0a, activation), dh, activation)
    np.testing.assert_allclose(g.W, W.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.U, U.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.h0, h0.grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.dh[0], h0.grad, rtol=1e-12, atol=1e-12)
    if not every_step:
        value, _ = rnn_loss(rnn_forward(Wa, Ua, xs, h0a, activation), y)
        assert value == pytest.approx(L.item(), rel=1e-13)


def test_every_adjoint_matches_finite_differences_in_the_state():
    """dh[s] is the total derivative of L in h_s: perturb h_s and rerun the rest of the sequence."""
    W, U, xs, h0, y = problem(4, S=6, B=2, n=3, rho=1.1)
    hs = rnn_forward(W, U, xs, h0, "tanh")
    _, g = rnn_loss_and_grads(W, U, xs, y, h0, "tanh")
    for s in (0, 2, 5, 6):
        f = lambda h: rnn_loss(rnn_forward(W, U, xs[s:], h, "tanh"), y)[0] if s < 6 else rnn_loss(h[None], y)[0]
        np.testing.assert_allclose(g.dh[s], numerical_grad(f, hs[s]), rtol=1e-6, atol=1e-10)


def test_grads_container_and_norms():
    W, U, xs, h0, y = problem(1)
    _, g = rnn_loss_and_grads(W, U, xs, y, h0)
    assert isinstance(g, RNNGrads)
    assert set(g.params()) == {"W", "U"}
    np.testing.assert_allclose(g.step_norms(), [np.linalg.norm(d) for d in g.dh])


def test_float32_is_preserved():
    W, U, xs, h0, y = (a.astype(np.float32) for a in problem(3))
    hs = rnn_forward(W, U, xs, h0)
    _, g = rnn_loss_and_grads(W, U, xs, y, h0)
    assert hs.dtype == np.float32 and g.W.dtype == np.float32 and g.dh.dtype == np.float32


def test_blow_up_is_silent_and_non_finite():
    W, U, xs, h0, y = problem(0, S=400, rho=30.0)
    with np.errstate(all="raise"):  # no floating-point warning escapes
        hs = rnn_forward(W, U, xs, h0, "linear")
    assert not np.all(np.isfinite(hs))


def test_argument_validation():
    W, U, xs, h0, y = problem(0)
    with pytest.raises(ValueError, match="activation"):
        rnn_forward(W, U, xs, h0, "relu")
    with pytest.raises(ValueError, match="W must be a square"):
        rnn_forward(W[:, :3], U, xs)
    with pytest.raises(ValueError, match="U must have shape"):
        rnn_forward(W, U[:3], xs)
    with pytest.raises(ValueError, match="xs must have shape"):
        rnn_forward(W, U, xs[0])
    with pytest.raises(ValueError, match="h0 must have shape"):
        rnn_forward(W, U, xs, h0[:1])
    with pytest.raises(TypeError, match="floating-point"):
        rnn_forward(W, U, xs.astype(int))
    hs = rnn_forward(W, U, xs, h0)
    with pytest.raises(ValueError, match="dh must have shape"):
        rnn_backward(W, U, xs, hs, np.ones((2, 2)))
    with pytest.raises(ValueError, match="hs must have shape"):
        rnn_backward(W, U, xs, hs[1:], np.ones_like(h0))
    with pytest.raises(ValueError, match="target must have shape"):
        rnn_loss(hs, y[:1])

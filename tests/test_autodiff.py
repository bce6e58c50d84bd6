"""Tests for descent.autodiff: every op against central finite differences."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from descent import autodiff as ad
from descent.autodiff import Tensor, grad, numerical_grad, unbroadcast

SETTINGS = settings(max_examples=25, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def check_grads(f, *arrays, rtol=1e-6, atol=1e-8, seed=0):
    """Compare grad(f) with finite differences for f reduced by a fixed random projection.

    ``f`` maps tensors to a tensor of any shape; the scalar checked is
    ``sum(R * f(...))`` with a random ``R``, so every output entry matters.
    """
    out_shape = f(*[Tensor(a) for a in arrays]).shape
    R = np.random.default_rng(seed).standard_normal(out_shape)

    def scalar(*ts):
        return (f(*ts) * R).sum()

    analytic = grad(scalar)(*arrays)
    for i, a in enumerate(arrays):
        def fi(z, i=i):
            args = [Tensor(b) for b in arrays]
            args[i] = Tensor(z)
            return scalar(*args)
        numeric = numerical_grad(fi, a)
        assert analytic[i].shape == a.shape
        np.testing.assert_allclose(analytic[i], numeric, rtol=rtol, atol=atol, err_msg=f"input {i}")


def arrays_for(shape, seed, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


# ------------------------------------------------------------- elementwise ops
UNARY = {
    "neg": (lambda x: -x, (-2, 2)),
    "exp": (ad.exp, (-2, 2)),
    "log": (ad.log, (0.5, 3)),
    "tanh": (ad.tanh, (-2, 2)),
    "sigmoid": (ad.sigmoid, (-4, 4)),
    "relu": (ad.relu, (0.1, 2)),  # positive part; the negative part is below
    "relu_neg": (ad.relu, (-2, -0.1)),
    "pow3": (lambda x: x**3, (-2, 2)),
    "pow_half": (lambda x: x**0.5, (0.5, 3)),
    "pow_neg": (lambda x: x ** (-1.5), (0.5, 3)),
    "pow0": (lambda x: x**0, (-2, 2)),
    "method_exp": (lambda x: x.exp(), (-1, 1)),
    "method_tanh": (lambda x: x.tanh() + x.sigmoid() + x.log().relu(), (0.5, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_ops_match_finite_differences(name, shape, seed):
    f, (lo, hi) = UNARY[name]
    check_grads(f, arrays_for(shape, seed, lo, hi), seed=seed)


def test_relu_mixed_signs():
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    (g,) = grad(lambda t: ad.relu(t).sum())(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 1.0])


BINARY = {
    "add": (lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, True),
    "add_fn": (ad.add, False),
    "sub_fn": (ad.sub, False),
    "mul_fn": (ad.mul, False),
    "div_fn": (ad.div, True),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(data=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
       seed=st.integers(0, 2**16))
def test_binary_ops_with_broadcasting(name, data, seed):
    f, positive_b = BINARY[name]
    sa, sb = data.input_shapes
    a = arrays_for(sa, seed)
    b = arrays_for(sb, seed + 1, 0.5, 2.0) if positive_b else arrays_for(sb, seed + 1)
    check_grads(f, a, b, seed=seed)


@pytest.mark.parametrize("sa, sb", [((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 3)), ((4, 1, 3), (2, 1))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_named_broadcasting_cases(sa, sb, op):
    f = BINARY[op][0]
    check_grads(f, arrays_for(sa, 1), arrays_for(sb, 2, 0.5, 2.0))
    check_grads(f, arrays_for(sb, 3, 0.5, 2.0), arrays_for(sa, 4, 0.5, 2.0))


def test_broadcast_gradient_is_sum_over_copies():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones((1, 4)), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad, np.full((1, 4), 3.0))


def test_python_scalars_and_arrays_are_constants():
    x = np.array([1.0, -2.0, 3.0])
    f = lambda t: (2.0 * t + 1 - t / 4.0 + 3 / t - np.array([1.0, 2.0, 3.0]) * t).sum()  # noqa: E731
    (g,) = grad(f)(x)
    np.testing.assert_allclose(g, 2.0 - 0.25 - 3 / x**2 - np.array([1.0, 2.0, 3.0]))
    out = np.ones(3) + Tensor(x)  # ndarray on the left defers to Tensor
    assert isinstance(out, Tensor)
    check_grads(lambda t: 2.5 * t, arrays_for((2, 3), 5))  # scalar * tensor
    check_grads(lambda s, t: s * t, arrays_for((), 6), arrays_for((2, 3), 7))  # 0-d tensor * tensor


# -------------------------------------------------------------------- matmul
@pytest.mark.parametrize("sa, sb", [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (1, 4, 5)), ((5, 4), (2, 4, 3)), ((4,), (2, 4, 3)),
])
def test_matmul(sa, sb):
    check_grads(lambda a, b: a @ b, arrays_for(sa, 1), arrays_for(sb, 2))
    check_grads(ad.matmul, arrays_for(sa, 3), arrays_for(sb, 4))


def test_matmul_with_constant_matrix():
    W = arrays_for((3, 2), 9)
    check_grads(lambda x: W @ x, arrays_for((2,), 1))
    check_grads(lambda x: x @ W, arrays_for((4, 3), 2))


# ----------------------------------------------------------- shape-changing ops
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean(axis, keepdims):
    x = arrays_for((2, 3, 4), 0)
    check_grads(lambda t: t.sum(axis=axis, keepdims=keepdims), x)
    check_grads(lambda t: t.mean(axis=axis, keepdims=keepdims), x)
    assert Tensor(x).sum(axis, keepdims).shape == x.sum(axis, keepdims=keepdims).shape
    np.testing.assert_allclose(Tensor(x).mean(axis, keepdims).data, x.mean(axis, keepdims=keepdims))


def test_reshape_transpose_logsumexp():
    x = arrays_for((2, 3, 4), 0)
    check_grads(lambda t: t.reshape(4, 6), x)
    check_grads(lambda t: t.reshape((-1,)), x)
    check_grads(lambda t: t.transpose(), x)
    check_grads(lambda t: t.transpose(1, 0, 2), x)
    check_grads(lambda t: t.transpose((1, 2, 0)), x)  # a permutation that is not its own inverse
    check_grads(lambda t: t.reshape(6, 4).T, x)
    check_grads(lambda t: ad.logsumexp(t, axis=1), x)
    check_grads(lambda t: ad.logsumexp(t, axis=-1, keepdims=True), x)
    assert Tensor(x).T.shape == (4, 3, 2)


def test_logsumexp_is_stable():
    big = Tensor(np.array([[1e4, 1e4 - 1.0, 0.0]]), requires_grad=True)
    out = ad.logsumexp(big, axis=1)
    assert np.isclose(out.item(), 1e4 + np.log1p(np.exp(-1.0)))
    out.backward()
    assert np.all(np.isfinite(big.grad)) and np.isclose(big.grad.sum(), 1.0)


@SETTINGS
@given(data=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=4, max_side=4))
def test_unbroadcast_counts_copies(data):
    (shape,), full = data.input_shapes, data.result_shape
    g = unbroadcast(np.ones(full), shape)
    assert g.shape == shape
    np.testing.assert_allclose(g, np.prod(full) / max(np.prod(shape), 1))


# -------------------------------------------------------- composite and graphs
def test_composite_matches_hand_derivation():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    f = lambda x, W, b: (ad.tanh(x @ W + b) ** 2).sum()  # noqa: E731
    gx, gW, gb = grad(f)(x, W, b)
    h = np.tanh(x @ W + b)
    dz = 2 * h * (1 - h**2)  # d(h^2)/dz with h = tanh z
    np.testing.assert_allclose(gW, x.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(gb, dz.sum(0), rtol=1e-12)
    np.testing.assert_allclose(gx, dz @ W.T, rtol=1e-12)


def test_node_used_twice_accumulates():
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    y = x * x + x  # x feeds two operations, and one of them twice
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)
    z = Tensor(np.array([3.0]), requires_grad=True)
    h = z.exp()
    (h * h + h).sum().backward()  # an intermediate used three times
    np.testing.assert_allclose(z.grad, 2 * np.exp(6.0) + np.exp(3.0))


def test_backward_twice_accumulates_into_leaf_and_zero_grad_resets():
    x = Tensor(np.array([2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])
    x.zero_grad()
    assert x.grad is None


def test_deep_chain_does_not_recurse():
    depth = 5000
    assert depth > sys.getrecursionlimit() / 2
    x = Tensor(np.array(0.3), requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + 0.001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**depth, rtol=1e-10)


def test_vector_jacobian_product_with_seed():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -6.0])


def test_float32_is_preserved():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    W = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    y = (ad.relu(x @ W * 2.0) + 1).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and W.grad.dtype == np.float32


def test_grad_helper_returns_zeros_for_unused_input():
    gx, gy = grad(lambda x, y: (x * 2.0).sum())(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(gx, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0])


def test_numerical_grad_on_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = numerical_grad(lambda z: np.sum(z**3), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-7)
    assert x[0, 0] == 1.0  # x is not modified


# -------------------------------------------------------------------- errors
def test_non_scalar_backward_needs_grad():
    y = Tensor(np.ones(3), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="non-scalar"):
        y.backward()
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        y.backward(np.ones(4))
    with pytest.raises(ValueError, match="requires_grad=False"):
        (Tensor(np.ones(1)) * 2.0).backward()


@pytest.mark.parametrize("bad", [np.array([1, 2, 3]), 3, [1, 2], np.array([True]), True])
def test_integer_and_boolean_data_rejected(bad):
    with pytest.raises(TypeError, match="data"):
        Tensor(bad)


def test_other_argument_errors():
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor(np.ones(2), requires_grad=1)
    with pytest.raises(TypeError, match="exponent"):
        Tensor(np.ones(2)) ** Tensor(np.ones(2))
    with pytest.raises(TypeError, match="exp expects a Tensor"):
        ad.exp(np.ones(2))
    with pytest.raises(ValueError, match="axis"):
        Tensor(np.ones((2, 2))).sum(axis=2)
    with pytest.raises(ValueError, match="scalar"):
        grad(lambda x: x * 2.0)(np.ones(2))
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda z: z.sum(), np.ones(2), eps=0.0)
    with pytest.raises(TypeError, match="x must"):
        numerical_grad(lambda z: z.sum(), np.ones(2, dtype=int))

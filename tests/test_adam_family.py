"""Tests for descent.adam_family: closed forms against the library's optimizers, drivers, bad input."""

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

from descent import adam_family as af
from descent.nn import MLP
from descent.optim import SGD, Adagrad, AdaBelief, Adam, Adamax, Lion, NAdam, RAdam


# ------------------------------------------------------------------ bias factor
def test_bias_factor_values_quoted_in_the_chapter():
    assert af.bias_factor(1) == pytest.approx(0.1 / np.sqrt(0.001))
    assert af.bias_factor(10) == pytest.approx(6.5279, abs=1e-4)
    t = np.arange(1, 20_001)
    f = af.bias_factor(t)
    assert int(np.argmax(f)) + 1 == 12
    assert np.all(f > 1)                       # defaults: above 1 for every t
    assert np.all(af.bias_factor(t, 0.9, 0.9) <= 1 + 1e-15)   # beta1 = beta2: never above 1


def test_bias_factor_is_the_ratio_of_uncorrected_to_corrected_steps():
    rng = np.random.default_rng(0)
    g = 0.5 + rng.standard_normal((50, 4))
    b1, b2 = 0.8, 0.95
    corrected = np.diff(af.run_stream(Adam(lr=0.1, betas=(b1, b2), eps=0.0), np.zeros(4), g), axis=0)
    m = v = np.zeros(4)
    for t, gt in enumerate(g, start=1):
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt * gt
        unc = -0.1 * m / np.sqrt(v)
        np.testing.assert_allclose(unc, corrected[t - 1] * af.bias_factor(t, b1, b2), rtol=1e-10)


@pytest.mark.parametrize("bad", [0, -1, 1.5, np.array([1, 0])])
def test_bias_factor_rejects_bad_steps(bad):
    with pytest.raises(ValueError, match="t must be"):
        af.bias_factor(bad)


def test_bias_factor_rejects_bad_betas():
    with pytest.raises(ValueError, match="beta2"):
        af.bias_factor(1, 0.9, 1.0)
    with pytest.raises(ValueError, match="beta1"):
        af.bias_factor(1, -0.1, 0.9)


# ------------------------------------------------------------------ step bound
def test_step_bound_is_reached_by_geometric_gradients_and_not_exceeded():
    b1, b2 = 0.9, 0.999
    bound = af.adam_step_bound(b1, b2)
    assert bound == pytest.approx(0.1 / np.sqrt(0.001) / np.sqrt(1 - 0.81 / 0.999))
    n = 400
    g = (b1 / b2) ** (n - np.arange(1, n + 1))
    m = v = 0.0
    for gt in g:
        m = b1 * m + (1 - b1) * gt
        v = b2 * v + (1 - b2) * gt * gt
    # equality in Cauchy-Schwarz; the finite geometric sum misses (b1^2/b2)^n ~ 1e-37 of the bound
    assert m / np.sqrt(v) == pytest.approx(bound, rel=1e-12)
    # random sequences never exceed it (uncorrected ratio, any t)
    rng = np.random.default_rng(1)
    for _ in range(20):
        g = rng.standard_normal(300) * np.exp(rng.standard_normal(300))
        m = v = 0.0
        for gt in g:
            m = b1 * m + (1 - b1) * gt
            v = b2 * v + (1 - b2) * gt * gt
            assert abs(m) / np.sqrt(v) <= bound * (1 + 1e-12)


def test_step_bound_edge_cases():
    assert af.adam_step_bound(0.0, 0.0) == 1.0
    assert af.adam_step_bound(0.9, 0.81) == np.inf
    assert af.adam_step_bound(0.5, 0.0) == np.inf
    with pytest.raises(ValueError):
        af.adam_step_bound(0.9, 1.0)


# ------------------------------------------------------------------ RAdam, NAdam
def test_radam_rectifier_matches_the_library_radam():
    # with a constant gradient g = 1 and eps = 0, RAdam's step is lr * r_t (when on) or lr (momentum SGD)
    T = 40
    for b2 in (0.999, 0.9):
        steps = -np.diff(af.run_stream(RAdam(lr=1.0, betas=(0.9, b2), eps=0.0), np.zeros(1), np.ones((T, 1))), axis=0)[:, 0]
        r = af.radam_rectifier(np.arange(1, T + 1), b2)
        expected = np.where(np.isnan(r), 1.0, r)
        # rho_t - 4 cancels about 3 digits near rho_t = 5 (rho_inf = 1999): two evaluation orders of the
        # rectifier differ by ~1e-12 relative there, so the tolerance is 1e-10
        np.testing.assert_allclose(steps, expected, rtol=1e-10)


def test_radam_rho_limits_and_threshold():
    assert af.radam_rho(1) == pytest.approx(1.0)
    assert af.radam_rho(10**6, 0.999) == pytest.approx(2 / 0.001 - 1, rel=1e-9)
    assert np.all(np.isnan(af.radam_rectifier(np.arange(1, 50), 0.6)))     # rho_inf = 4: never on
    assert np.isnan(af.radam_rectifier(5)) and not np.isnan(af.radam_rectifier(6))
    with pytest.raises(ValueError):
        af.radam_rho(1, 0.0)
    with pytest.raises(ValueError):
        af.radam_rectifier(6, 0.999, threshold=3.0)


def test_nadam_momentum_matches_library_state():
    opt = NAdam()
    p, s = np.zeros(2), opt.init(np.zeros(2))
    for _ in range(30):
        p, s = opt.update(p, np.ones(2), s)
    np.testing.assert_allclose(s.mu_product, np.prod(af.nadam_momentum(np.arange(1, 31))), rtol=1e-12)
    assert af.nadam_momentum(1, momentum_decay=0.0) == pytest.approx(0.45)
    with pytest.raises(ValueError):
        af.nadam_momentum(1, momentum_decay=-1.0)


# ------------------------------------------------------------------ drivers
def test_run_stream_array_and_callable_agree():
    g = np.random.default_rng(2).standard_normal((25, 3))
    a = af.run_stream(Adam(lr=0.1), np.ones(3), g)
    b = af.run_stream(Adam(lr=0.1), np.ones(3), lambda t, th: g[t - 1], steps=25)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (26, 3)
    np.testing.assert_array_equal(a[0], np.ones(3))


def test_run_stream_callable_sees_current_params():
    # gradient of 0.5*theta^2 fed through the callable: SGD contracts by (1 - lr) per step
    path = af.run_stream(SGD(lr=0.25), np.array([2.0]), lambda t, th: th, steps=5)
    np.testing.assert_allclose(path[:, 0], 2.0 * 0.75 ** np.arange(6))


def test_run_stream_bad_input():
    with pytest.raises(ValueError, match="steps is required"):
        af.run_stream(SGD(lr=0.1), np.zeros(2), lambda t, th: th)
    with pytest.raises(ValueError, match="grads must have shape"):
        af.run_stream(SGD(lr=0.1), np.zeros(2), np.zeros((4, 3)))
    with pytest.raises(TypeError):
        af.run_stream(object(), np.zeros(2), np.zeros((4, 2)))


def test_effective_steps_sign_descent_and_lion():
    g = np.random.default_rng(3).standard_normal((30, 5))
    eff = af.effective_steps(Adam(lr=0.01, betas=(0.0, 0.0), eps=0.0), g, 0.01)
    np.testing.assert_allclose(eff, 1.0, rtol=1e-12)
    np.testing.assert_allclose(af.effective_steps(Lion(lr=0.01), g, 0.01), 1.0, rtol=1e-12)
    with pytest.raises(ValueError):
        af.effective_steps(Lion(lr=0.01), g, 0.0)


def test_spread():
    x = np.arange(1.0, 101.0)
    assert af.spread(x, q=(0.0, 1.0)) == 100.0
    np.testing.assert_allclose(af.spread(np.ones((3, 10)), axis=1), np.ones(3))
    with pytest.raises(ValueError, match="positive"):
        af.spread(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="increasing"):
        af.spread(x, q=(0.9, 0.1))


# ------------------------------------------------------------------ online problem
def test_cyclic_linear_problem():
    p = af.CyclicLinear()
    g = [p.grad(t) for t in range(1, 203)]
    assert g[0] == 1010 and g[101] == 1010 and g[1] == -10 and g[100] == -10
    assert p.mean_slope() == pytest.approx(10 / 101)
    with pytest.raises(ValueError, match="big must exceed"):
        af.CyclicLinear(big=100.0, small=1.0, period=101)
    with pytest.raises(ValueError):
        p.grad(0)


def test_average_regret_of_constant_players():
    p = af.CyclicLinear()
    T = 101 * 10
    best = p.average_regret(np.full(T + 1, -1.0))
    worst = p.average_regret(np.full(T + 1, 1.0))
    assert best == pytest.approx(0.0, abs=1e-12)
    assert worst == pytest.approx(2 * 10 / 101)


def test_adam_fails_and_amsgrad_succeeds_on_the_counterexample():
    p = af.CyclicLinear()
    T = 101 * 300
    lr = lambda s: 1.0 / np.sqrt(s + 1)  # noqa: E731
    adam = af.run_online(Adam(lr=lr, betas=(0.9, 0.99)), p, T, x0=0.0)
    ams = af.run_online(Adam(lr=lr, betas=(0.9, 0.99), amsgrad=True), p, T, x0=0.0)
    assert adam[-101:].mean() > 0.9
    assert ams[-101:].mean() < -0.9
    assert np.all(np.abs(adam) <= 1.0)


def test_run_online_bad_input():
    with pytest.raises(TypeError):
        af.run_online(SGD(lr=0.1), object(), 10)
    with pytest.raises(ValueError):
        af.run_online(SGD(lr=0.1), af.CyclicLinear(), 0)


# ------------------------------------------------------------------ state counting
def test_state_counts_for_the_library_optimizers():
    params = {"W": np.zeros((4, 3)), "b": np.zeros(3)}
    assert af.state_floats_per_parameter(SGD(lr=0.1, momentum=0.9), params) == 1.0
    assert af.state_floats_per_parameter(Adagrad(), params) == 1.0
    assert af.state_floats_per_parameter(Lion(), params) == 1.0
    assert af.state_floats_per_parameter(Adamax(), params) == 2.0
    assert af.state_floats_per_parameter(Adam(), params) >= 2.0     # m and v at least
    assert af.state_floats_per_parameter(AdaBelief(), params) >= 2.0


def test_state_counter_walks_nested_containers():
    class S(NamedTuple):
        step: int
        bufs: dict

    @dataclasses.dataclass
    class D:
        a: object
        b: float = 1.0

    class Fake:
        def __init__(self, state):
            self.state = state

        def init(self, params):
            return self.state

    p = np.zeros((2, 5))
    state = S(3, {"x": [p, (p, np.zeros(5))], "y": D(p)})
    assert af.state_floats_per_parameter(Fake(state), p) == 3.0
    with pytest.raises(ValueError, match="0-d"):
        af.state_floats_per_parameter(Fake(state), np.zeros(()))
    with pytest.raises(TypeError):
        af.state_floats_per_parameter(Fake(state), [p])


# ------------------------------------------------------------------ batched MLP
def test_batched_mlp_matches_descent_nn():
    rng = np.random.default_rng(4)
    model = MLP([6, 5, 3], rng=np.random.default_rng(5))
    X = rng.standard_normal((9, 6))
    y = rng.integers(0, 3, 9)
    loss_ref, grads_ref = model.loss_and_grads(X, y)
    mp = model.params()
    params = {"W0": mp["0.W"][None], "b0": mp["0.b"][None, None], "W1": mp["2.W"][None], "b1": mp["2.b"][None, None]}
    loss, grads = af.mlp_loss_grads(params, X[None], y[None])
    assert loss.shape == (1,)
    assert loss[0] == pytest.approx(loss_ref, rel=1e-12)
    for k, kr in [("W0", "0.W"), ("b0", "0.b"), ("W1", "2.W"), ("b1", "2.b")]:
        np.testing.assert_allclose(grads[k].reshape(grads_ref[kr].shape), grads_ref[kr], rtol=1e-10, atol=1e-14)


def test_batched_mlp_gradient_finite_differences_and_broadcast_batches():
    rng = np.random.default_rng(6)
    params = af.mlp_init([4, 6, 3], (2, 3), rng)
    for k in params:
        params[k] = params[k] + 0.1 * rng.standard_normal(params[k].shape)   # nonzero biases
    X = rng.standard_normal((3, 5, 4))            # one batch per seed, shared across the first run axis
    y = rng.integers(0, 3, (3, 5))
    loss, grads = af.mlp_loss_grads(params, X, y)
    assert loss.shape == (2, 3)
    h = 1e-6
    for k in params:
        idx = (1, 2) + tuple(int(i) for i in rng.integers(0, params[k].shape[2:]))
        plus = {kk: vv.copy() for kk, vv in params.items()}
        minus = {kk: vv.copy() for kk, vv in params.items()}
        plus[k][idx] += h
        minus[k][idx] -= h
        fd = (af.mlp_loss_grads(plus, X, y)[0][1, 2] - af.mlp_loss_grads(minus, X, y)[0][1, 2]) / (2 * h)
        assert grads[k][idx] == pytest.approx(fd, rel=1e-5, abs=1e-8)
        assert grads[k].shape == params[k].shape


def test_batched_mlp_accuracy_and_bad_input():
    rng = np.random.default_rng(7)
    params = af.mlp_init([3, 4, 2], (5,), rng)
    acc = af.mlp_accuracy(params, rng.standard_normal((10, 3)), rng.integers(0, 2, 10))
    assert acc.shape == (5,) and np.all((0 <= acc) & (acc <= 1))
    with pytest.raises(ValueError):
        af.mlp_init([3], (1,), rng)
    with pytest.raises(TypeError):
        af.mlp_init([3, 2], (1,), 0)
    with pytest.raises(ValueError, match="y must have shape"):
        af.mlp_loss_grads(params, np.zeros((5, 4, 3)), np.zeros((5, 3), dtype=int))

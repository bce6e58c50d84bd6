"""Unit and property tests for descent.optim (torch agreement lives in test_reference_optim.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import optim
from descent.optim import (SGD, AdaBelief, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, NAdam,
                           RAdam, RMSprop, clip_grad_norm, global_norm)

# Every optimizer with a non-default configuration that exercises its buffers.
CONFIGS = [
    (SGD, dict(lr=0.02)),
    (SGD, dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    (Adadelta, dict(lr=1.0, rho=0.9)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (AdamW, dict(lr=0.01)),
    (Adamax, dict(lr=0.01)),
    (NAdam, dict(lr=0.01, weight_decay=0.01)),
    (RAdam, dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.01)),
    (AdaBelief, dict(lr=0.01, weight_decay=0.01)),
    (AdaBelief, dict(lr=0.01, rectify=False, amsgrad=True)),
    (Lion, dict(lr=0.01, weight_decay=0.1)),
    (optim.Sophia, dict(lr=0.01, weight_decay=0.01)),
    (optim.ScheduleFreeSGD, dict(lr=0.01, weight_decay=0.01, warmup_steps=3)),
    (optim.ScheduleFreeAdamW, dict(lr=0.01, r=1.0)),
]
# Muon updates matrices only (the vectors here are refused); its grid, purity and dtype checks
# are in test_optim_beyond.py.
MATRIX_ONLY = {optim.Muon}
IDS = [f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)]


def quad_grad(p: np.ndarray) -> np.ndarray:
    """Gradient of an ill-conditioned quadratic, 0.5 * sum(scale * p**2)."""
    scale = np.linspace(1.0, 50.0, p.shape[-1])
    return scale * p


def run(opt, p0, steps=30):
    state = opt.init(p0)
    p = p0
    for _ in range(steps):
        p, state = opt.update(p, quad_grad(p), state)
    return p, state


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_update_is_pure(cls, kw):
    opt = cls(**kw)
    p = np.array([1.0, -2.0, 0.5])
    state = opt.init(p)
    p, state = opt.update(p, quad_grad(p), state)  # non-trivial buffers
    g = quad_grad(p)
    saved = (p.copy(), g.copy(), copy.deepcopy(state))
    p2, state2 = opt.update(p, g, state)
    np.testing.assert_array_equal(p, saved[0])
    np.testing.assert_array_equal(g, saved[1])
    for a, b in zip(state, saved[2]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert state2.step == state.step + 1
    assert not np.shares_memory(p2, p)


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_decreases_quadratic(cls, kw):
    p0 = np.array([1.0, -2.0, 0.5])
    p, _ = run(cls(**kw), p0, steps=60)
    loss = lambda x: 0.5 * np.sum(np.linspace(1, 50, 3) * x**2)  # noqa: E731
    assert loss(p) < loss(p0)


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_dict_params_equal_separate_arrays(cls, kw):
    """A dict of two arrays gives the same result as running each array alone."""
    a0, b0 = np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.7]])
    opt = cls(**kw)
    state = opt.init({"a": a0, "b": b0})
    params = {"a": a0, "b": b0}
    for _ in range(20):
        params, state = opt.update(params, {"a": quad_grad(params["a"]), "b": quad_grad(params["b"])}, state)
    pa, _ = run(cls(**kw), a0, steps=20)
    pb, _ = run(cls(**kw), b0, steps=20)
    np.testing.assert_allclose(params["a"], pa, rtol=1e-14, atol=0)
    np.testing.assert_allclose(params["b"], pb, rtol=1e-14, atol=0)
    assert set(state._fields) >= {"step"}
    for buf in optim.buffers(state).values():
        assert set(buf) == {"a", "b"}


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_vectorized_lr_grid_equals_runs_one_by_one(cls, kw):
    """A grid of R learning rates as params (R, d) and lr (R, 1) equals R separate runs."""
    lrs = np.array([0.001, 0.003, 0.01, 0.03])
    p0 = np.tile([1.0, -2.0, 0.5], (len(lrs), 1))
    batched, _ = run(cls(**{**kw, "lr": lrs[:, None]}), p0)
    for i, lr in enumerate(lrs):
        single, _ = run(cls(**{**kw, "lr": float(lr)}), p0[i])
        np.testing.assert_allclose(batched[i], single, rtol=1e-13, atol=1e-15)


def test_vectorized_betas_and_momentum():
    b1 = np.array([[0.0], [0.5], [0.9]])
    p0 = np.tile([1.0, -2.0], (3, 1))
    batched, _ = run(Adam(lr=0.05, betas=(b1, 0.99)), p0)
    for i in range(3):
        single, _ = run(Adam(lr=0.05, betas=(float(b1[i, 0]), 0.99)), p0[i])
        np.testing.assert_allclose(batched[i], single, rtol=1e-13)
    mom = np.array([[0.0], [0.9]])
    batched, _ = run(SGD(lr=0.01, momentum=mom, dampening=0.3), p0[:2])
    for i in range(2):
        single, _ = run(SGD(lr=0.01, momentum=float(mom[i, 0]), dampening=0.3), p0[i])
        np.testing.assert_allclose(batched[i], single, rtol=1e-13)
    b2 = np.array([[0.5], [0.999]])  # RAdam: one run never rectifies, the other switches at t = 6
    batched, _ = run(RAdam(lr=0.01, betas=(0.9, b2)), p0[:2])
    for i in range(2):
        single, _ = run(RAdam(lr=0.01, betas=(0.9, float(b2[i, 0]))), p0[i])
        np.testing.assert_allclose(batched[i], single, rtol=1e-13)


def test_hyperparameter_grid_must_broadcast():
    with pytest.raises(ValueError, match="lr has shape"):
        SGD(lr=np.ones((3, 1))).init(np.zeros((2, 2)))


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_schedule_as_lr(cls, kw):
    """A callable lr gets t = updates already taken, and equals the same constant steps."""
    seen = []

    def sched(t):
        seen.append(t)
        return 0.02 * 0.9**t

    p0 = np.array([1.0, -2.0, 0.5])
    opt = cls(**{**kw, "lr": sched})
    state, p = opt.init(p0), p0
    for t in range(5):
        p, state = opt.update(p, quad_grad(p), state)
    assert seen[-5:] == [0, 1, 2, 3, 4]
    # the state lives outside the optimizer, so constant-lr optimizers can take turns: step t
    # with lr 0.02 * 0.9**t must reproduce the scheduled run exactly
    state2, p2 = cls(**kw).init(p0), p0
    for t in range(5):
        p2, state2 = cls(**{**kw, "lr": 0.02 * 0.9**t}).update(p2, quad_grad(p2), state2)
    np.testing.assert_array_equal(p, p2)


def test_schedule_must_return_valid_lr():
    opt = SGD(lr=lambda t: -1.0)
    with pytest.raises(ValueError, match="lr schedule returned"):
        opt.update(np.ones(2), np.ones(2), opt.init(np.ones(2)))


def test_constant_schedule_matches_float():
    p0 = np.array([1.0, -2.0, 0.5])
    a, _ = run(Adam(lr=0.01), p0)
    b, _ = run(Adam(lr=lambda t: 0.01), p0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_dtype_preserved(cls, kw, dtype):
    p0 = np.array([1.0, -2.0, 0.5], dtype=dtype)
    p, state = run(cls(**kw), p0, steps=3)
    assert p.dtype == dtype
    for buf in optim.buffers(state).values():
        assert buf.dtype == dtype


def test_first_steps_by_hand():
    """Hand-computed first steps for the rules the book quotes most."""
    p, g = np.array([1.0]), np.array([0.5])
    # Adam's first step is lr * sign(g) up to eps: bias correction does not inflate it.
    p1, _ = Adam(lr=0.1).update(p, g, Adam(lr=0.1).init(p))
    np.testing.assert_allclose(p1, [0.9], rtol=1e-7)
    # SGD momentum: buffer starts at g, no dampening on step 1.
    opt = SGD(lr=0.1, momentum=0.9, dampening=0.5)
    s = opt.init(p)
    p1, s = opt.update(p, g, s)
    np.testing.assert_allclose(s.momentum_buffer, g)
    p2, s = opt.update(p1, g, s)
    np.testing.assert_allclose(s.momentum_buffer, 0.9 * 0.5 + 0.5 * 0.5)
    # Lion moves every coordinate by exactly lr.
    lp, _ = Lion(lr=0.01).update(np.array([1.0, 1.0]), np.array([3.0, -1e-9]), Lion(lr=0.01).init(np.ones(2)))
    np.testing.assert_allclose(lp, [0.99, 1.01])
    # AdamW decays first: p(1 - lr*wd).
    w, _ = AdamW(lr=0.1, weight_decay=0.5).update(p, np.array([0.0]), AdamW().init(p))
    np.testing.assert_allclose(w, [0.95])


def test_every_optimizer_is_configured():
    assert {cls for cls, _ in CONFIGS} == set(optim.OPTIMIZERS) - MATRIX_ONLY


def test_maximize_is_descent_on_the_negation():
    """Every optimizer accepts maximize=True, and ascending -f is descending f, bit for bit."""
    p0 = np.array([1.0, -2.0, 0.5])
    for cls, kw in CONFIGS:
        a = cls(**kw, maximize=True)
        b = cls(**kw)
        sa, sb = a.init(p0), b.init(p0)
        pa, pb = p0, p0
        for _ in range(5):
            pa, sa = a.update(pa, -quad_grad(pa), sa)
            pb, sb = b.update(pb, quad_grad(pb), sb)
        np.testing.assert_array_equal(pa, pb)


def test_adamw_equals_adam_decoupled():
    p0 = np.array([1.0, -2.0, 0.5])
    a, _ = run(AdamW(lr=0.01, weight_decay=0.1), p0)
    b, _ = run(Adam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), p0)
    np.testing.assert_array_equal(a, b)


def test_adam_with_beta1_zero_is_bias_corrected_rmsprop():
    """Adam(beta1=0) equals RMS scaling with bias correction (an optax-style equivalence)."""
    p0 = np.array([1.0, -2.0, 0.5])
    b2, lr, eps = 0.9, 0.01, 1e-8
    a, _ = run(Adam(lr=lr, betas=(0.0, b2), eps=eps), p0, steps=10)
    p, v = p0, np.zeros(3)
    for t in range(1, 11):
        g = quad_grad(p)
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * g / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(a, p, rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), st.floats(0.01, 100))
def test_clip_grad_norm(values, c):
    g = np.array(values)
    clipped, norm = clip_grad_norm({"g": g}, c)
    assert norm == pytest.approx(np.linalg.norm(g))
    np.testing.assert_allclose(clipped["g"], g * min(1.0, c / (norm + 1e-6)), rtol=1e-15, atol=0)
    if norm > c:
        assert global_norm(clipped) <= c * (1 + 1e-12)
    if norm + 1e-6 <= c:  # torch's guard: the scale is c / (norm + 1e-6), capped at 1
        np.testing.assert_array_equal(clipped["g"], g)


# ----------------------------------------------------------------- bad input
BAD = [
    (SGD, dict(lr=-0.1), ValueError, r"lr must be in \[0, inf\); got -0.1"),
    (SGD, dict(lr=float("nan")), ValueError, "lr must be finite"),
    (SGD, dict(lr=float("inf")), ValueError, "lr must be finite"),
    (SGD, dict(lr="0.1"), TypeError, "lr must be"),
    (SGD, dict(momentum=1.0), ValueError, r"momentum must be in \[0, 1\); got 1.0"),
    (SGD, dict(momentum=-0.5), ValueError, "momentum must be in"),
    (SGD, dict(dampening=1.5), ValueError, r"dampening must be in \[0, 1\]"),
    (SGD, dict(weight_decay=-1e-4), ValueError, "weight_decay must be in"),
    (SGD, dict(nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, "dampening = 0"),
    (SGD, dict(nesterov="yes"), TypeError, "nesterov must be True or False"),
    (Adam, dict(betas=(0.9, 1.0)), ValueError, r"beta2 must be in \[0, 1\); got 1.0"),
    (Adam, dict(betas=(-0.1, 0.999)), ValueError, "beta1 must be in"),
    (Adam, dict(betas=0.9), TypeError, "betas must be a pair"),
    (Adam, dict(eps=-1e-8), ValueError, "eps must be in"),
    (Adam, dict(amsgrad=1), TypeError, "amsgrad must be True or False"),
    (AdamW, dict(weight_decay=-0.01), ValueError, "weight_decay must be in"),
    (Adagrad, dict(lr_decay=-1.0), ValueError, "lr_decay must be in"),
    (Adagrad, dict(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value must be in"),
    (RMSprop, dict(alpha=1.0), ValueError, r"alpha must be in \[0, 1\)"),
    (RMSprop, dict(momentum=2.0), ValueError, "momentum must be in"),
    (Adadelta, dict(rho=1.2), ValueError, "rho must be in"),
    (NAdam, dict(momentum_decay=-1.0), ValueError, "momentum_decay must be in"),
    (RAdam, dict(betas=(0.9, 1.5)), ValueError, "beta2 must be in"),
    (AdaBelief, dict(betas=(1.0, 0.999)), ValueError, "beta1 must be in"),
    (Lion, dict(betas=(0.9, np.nan)), ValueError, "beta2 must be finite"),
    (Lion, dict(lr=0.0, weight_decay=0.1, decoupled_weight_decay=True), ValueError, "needs lr > 0"),
    (SGD, dict(lr=np.array([0.1, -0.1])), ValueError, "lr must be in"),
]


@pytest.mark.parametrize("cls,kw,exc,msg", BAD, ids=[f"{c.__name__}-{list(k)[0]}-{i}" for i, (c, k, _, _) in enumerate(BAD)])
def test_invalid_hyperparameters_rejected(cls, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        cls(**kw)


def test_params_and_grads_validated():
    opt = Adam()
    p = np.zeros(3)
    s = opt.init(p)
    with pytest.raises(ValueError, match=r"grads must have the shape of params \(3,\); got \(2,\)"):
        opt.update(p, np.zeros(2), s)
    with pytest.raises(TypeError, match="params must have a floating-point dtype"):
        opt.init(np.zeros(3, dtype=int))
    with pytest.raises(TypeError, match="grads must have a floating-point dtype"):
        opt.update(p, np.zeros(3, dtype=np.int64), s)
    with pytest.raises(TypeError, match="params must be a floating-point ndarray"):
        opt.init([1.0, 2.0])
    with pytest.raises(ValueError, match="grads must have the same structure as params"):
        opt.update(p, {"a": np.zeros(3)}, s)
    d = {"w": np.zeros((2, 2)), "b": np.zeros(2)}
    sd = opt.init(d)
    with pytest.raises(ValueError, match="same structure"):
        opt.update(d, {"w": np.zeros((2, 2)), "c": np.zeros(2)}, sd)
    with pytest.raises(ValueError, match=r"grads\['b'\] must have the shape"):
        opt.update(d, {"w": np.zeros((2, 2)), "b": np.zeros(3)}, sd)
    with pytest.raises(TypeError, match="state must be the AdamState"):
        opt.update(p, np.zeros(3), SGD().init(p))
    with pytest.raises(ValueError, match="max_norm must be in"):
        clip_grad_norm(np.ones(2), 0.0)


def test_state_fields_use_torch_names():
    assert SGD.State._fields == ("step", "momentum_buffer")
    assert Adam.State._fields == ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    assert RMSprop.State._fields == ("step", "square_avg", "grad_avg", "momentum_buffer")
    assert Adadelta.State._fields == ("step", "square_avg", "acc_delta")
    assert Adagrad.State._fields == ("step", "sum")


def test_every_public_name_documented():
    for name in optim.__all__:
        obj = getattr(optim, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 40, name


def test_state_must_match_params():
    opt = Adam(lr=0.1)
    s = opt.init({"a": np.zeros(2), "b": np.zeros(3)})
    # keys in another order are matched by name, not by position
    p, _ = opt.update({"b": np.zeros(3), "a": np.zeros(2)}, {"b": np.ones(3), "a": -np.ones(2)}, s)
    np.testing.assert_allclose(p["a"], [0.1, 0.1], rtol=1e-6)
    with pytest.raises(ValueError, match="state does not match params"):
        opt.update({"x": np.zeros(2), "y": np.zeros(3)}, {"x": np.zeros(2), "y": np.zeros(3)}, s)
    s1 = opt.init(np.zeros(3))
    with pytest.raises(ValueError, match=r"state.exp_avg has shape \(3,\), but it must have shape \(2, 3\)"):
        opt.update(np.zeros((2, 3)), np.ones((2, 3)), s1)


def test_sgd_buffer_never_aliases_the_gradient():
    opt = SGD(lr=0.1, momentum=0.9)
    g = np.array([1.0, 2.0])
    _, s = opt.update(np.zeros(2), g, opt.init(np.zeros(2)))
    g *= 0  # a training loop reusing its gradient array
    np.testing.assert_array_equal(s.momentum_buffer, [1.0, 2.0])

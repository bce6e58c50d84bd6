"""Checks that the prototype in-place path (``_inplace.py``) gives exactly the results of ``update``.

Run with ``pytest benchmarks/test_inplace.py -o addopts=""`` (the repository's
default options add nbval). Not part of the default ``pytest`` run: the
benchmarks folder is outside ``testpaths``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _inplace import ProposedAdam, ProposedSGD, _kernel, update_  # noqa: E402

from descent.optim import (SGD, AdaBelief, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion,  # noqa: E402
                           NAdam, RAdam, RMSprop)
from descent.schedules import StepDecay  # noqa: E402

CONFIGS = [
    (SGD, dict(lr=0.02)),
    (SGD, dict(lr=0.02, momentum=0.9)),
    (SGD, dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01, maximize=True)),
    (SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    (ProposedSGD, dict(lr=0.02, momentum=0.9)),
    (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    (Adadelta, dict(lr=1.0, rho=0.9)),
    (Adam, dict(lr=0.01)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01, maximize=True)),
    (ProposedAdam, dict(lr=0.01)),
    (ProposedAdam, dict(lr=0.01, amsgrad=True, weight_decay=0.01, decoupled_weight_decay=True)),
    (AdamW, dict(lr=0.01)),
    (Adamax, dict(lr=0.01)),
    (NAdam, dict(lr=0.01, weight_decay=0.01)),
    (RAdam, dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.01)),
    (AdaBelief, dict(lr=0.01, weight_decay=0.01)),
    (Lion, dict(lr=0.01, weight_decay=0.1)),
]
IDS = [f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)]


def grads_at(p, k):
    """A deterministic, step-dependent gradient with mixed signs and scales."""
    return np.sin(3.0 * p + k) * np.linspace(0.1, 10.0, p.size).reshape(p.shape).astype(p.dtype)


def both(opt, p0, steps=6, chunk=7, kernels=True):
    """Run ``update`` and ``update_`` side by side; return both final params and states."""
    pure, s_pure = p0.copy(), opt.init(p0)
    fast, s_fast = p0.copy(), opt.init(p0)
    for k in range(steps):
        pure, s_pure = opt.update(pure, grads_at(pure, k), s_pure)
        s_fast = update_(opt, fast, grads_at(fast, k), s_fast, chunk=chunk, kernels=kernels)
    return (pure, s_pure), (fast, s_fast)


def assert_same(a, b):
    (pa, sa), (pb, sb) = a, b
    np.testing.assert_array_equal(pa, pb)
    for x, y in zip(sa, sb):
        if isinstance(x, dict):
            for key in x:
                np.testing.assert_array_equal(x[key], y[key])
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize("kernels", [True, False], ids=["kernel", "generic"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_bitwise_equal_to_update(cls, kw, dtype, kernels):
    # 60 numbers: the kernels take slices of 7 (the last is shorter), the generic path 1 row of 5
    p0 = np.linspace(-2.0, 2.0, 60, dtype=dtype).reshape(12, 5)
    assert_same(*both(cls(**kw), p0, kernels=kernels))


def test_kernels_apply_where_expected():
    x32, x64 = np.zeros(3, np.float32), np.zeros(3)
    assert _kernel(SGD(lr=0.1, momentum=0.9, nesterov=True), 0.1, [x32, x32, x32])[0] is not None
    assert _kernel(ProposedAdam(amsgrad=True), 1e-3, [x32] * 5)[0] is not None
    assert _kernel(Adam(), 1e-3, [x64] * 5)[0] is not None
    assert _kernel(Adam(), 1e-3, [x32] * 5)[0] is None               # today's Adam computes in float64
    assert _kernel(SGD(lr=0.1), 0.1, [x32, x64, x32])[0] is None     # mixed dtypes
    assert _kernel(SGD(lr=np.array([0.1])), np.array([0.1]), [x64] * 3)[0] is None
    assert _kernel(RMSprop(), 1e-2, [x64] * 5)[0] is None


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_grid_of_runs_and_dict_params(cls, kw):
    """lr of shape (R, 1) (updated whole) next to a leaf that is sliced, float32 params with float64 lr."""
    R = 5
    lr = np.geomspace(1e-3, 1e-1, R)[:, None]
    opt = cls(**{**kw, "lr": lr})
    p0 = np.linspace(-1.0, 1.0, R * 3, dtype=np.float32).reshape(R, 3)
    assert_same(*both(opt, p0))


def test_schedule_and_zero_dim():
    opt = SGD(lr=StepDecay(0.1, step_size=2, gamma=0.5), momentum=0.9)
    assert_same(*both(opt, np.array(1.5)))


def test_params_and_buffers_updated_in_place():
    opt = Adam(lr=0.1)
    p = np.ones(10)
    state = opt.init(p)
    m = state.exp_avg
    state = update_(opt, p, np.ones(10), state)
    assert state.step == 1 and state.exp_avg is m and np.all(p < 1) and np.all(m > 0)


def test_sgd_first_buffer_is_the_gradient_array():
    """Today a pure SGD step stores the caller's gradient array as the buffer; ProposedSGD copies it."""
    p, g = np.ones(4), np.full(4, 2.0)
    _, state = SGD(lr=0.1, momentum=0.9).update(p, g, SGD().init(p))
    assert state.momentum_buffer is g  # update_ on this state would write into g
    opt = ProposedSGD(lr=0.1, momentum=0.9)
    p2, state = opt.update(p, g, opt.init(p))
    assert not np.shares_memory(state.momentum_buffer, g)
    update_(opt, p2, np.ones(4), state)
    np.testing.assert_array_equal(g, 2.0)


def test_read_only_params_rejected():
    p = np.ones(3)
    p.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        update_(SGD(lr=0.1), p, np.ones(3), SGD(lr=0.1).init(p))


def test_large_array_many_slices():
    p0 = np.random.default_rng(0).standard_normal(100_003).astype(np.float32)
    for opt in (ProposedAdam(lr=1e-3), SGD(lr=1e-2, momentum=0.9), Lion(lr=1e-4)):
        assert_same(*both(opt, p0, steps=4, chunk=4096))


def test_proposed_adam_changes_float32_only():
    """math.sqrt leaves float64 bitwise unchanged and float32 within float32 round-off of today's Adam."""
    p0 = np.linspace(-1, 1, 1000)
    for dtype, rtol in ((np.float64, 0.0), (np.float32, 1e-5)):
        a, b = Adam(lr=1e-2), ProposedAdam(lr=1e-2)
        pa, sa = p0.astype(dtype), a.init(p0.astype(dtype))
        pb, sb = p0.astype(dtype), b.init(p0.astype(dtype))
        for k in range(20):
            pa, sa = a.update(pa, grads_at(pa, k), sa)
            pb, sb = b.update(pb, grads_at(pb, k), sb)
        np.testing.assert_allclose(pa, pb, rtol=rtol, atol=1e-7 if rtol else 0)

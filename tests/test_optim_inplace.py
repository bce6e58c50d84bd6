"""``Optimizer.update_`` (in place, in blocks) is bitwise equal to ``update`` for every optimizer."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import optim
from descent.optim import base

DTYPES = [np.float64, np.float32, np.float16]
FLAGS = {  # boolean options that change which code runs
    "SGD": ["nesterov"], "RMSprop": ["centered"], "Adam": ["amsgrad", "decoupled_weight_decay"],
    "AdamW": ["amsgrad"], "NAdam": ["decoupled_weight_decay"], "RAdam": ["decoupled_weight_decay"],
    "AdaBelief": ["amsgrad", "weight_decouple", "fixed_decay", "rectify", "degenerated_to_sgd"],
    "Lion": ["decoupled_weight_decay"], "Muon": ["nesterov"],
}


@st.composite
def configs(draw):
    """An optimizer class with hyperparameters drawn from its declared RANGES."""
    cls = draw(st.sampled_from(optim.OPTIMIZERS))
    kw = {}
    for name, interval in cls.RANGES.items():
        if name == "initial_lr":
            continue
        high = 0.99 if interval.high is not None else {"lr": 0.3, "eps": 0.1}.get(name, 0.2)
        low = interval.clip(0.0)  # 0, or just above it for an open end (schedule-free momentum)
        value = lambda: draw(st.one_of(st.just(low), st.floats(1e-3, high)))  # noqa: E731
        kw[name] = (value(), value()) if name == "betas" else value()
    for flag in FLAGS.get(cls.__name__, []):
        kw[flag] = draw(st.booleans())
    kw["maximize"] = draw(st.booleans())
    if cls.__name__ == "SGD" and kw["nesterov"]:
        kw.update(momentum=max(kw["momentum"], 0.5), dampening=0.0)
    if cls.__name__ == "Lion" and kw["decoupled_weight_decay"]:
        kw["lr"] = max(kw["lr"], 1e-3)
    return cls, kw


def grads_at(p: np.ndarray, k: int) -> np.ndarray:
    """A deterministic, step-dependent gradient with mixed signs, scales and exact zeros."""
    g = np.sin(3.0 * p.astype(np.float64) + k) * np.linspace(0.1, 10.0, p.size).reshape(p.shape)
    return np.where(np.abs(g) < 0.05, 0.0, g).astype(p.dtype)


def both(opt, p0: np.ndarray, steps: int = 4):
    """Run ``update`` and ``update_`` side by side from the same start."""
    pure, s_pure = p0.copy(), opt.init(p0)
    fast, s_fast = p0.copy(), opt.init(p0)
    for k in range(steps):
        pure, s_pure = opt.update(pure, grads_at(pure, k), s_pure)
        out, s_fast = opt.update_(fast, grads_at(fast, k), s_fast)
        assert out is fast
    return (pure, s_pure), (fast, s_fast)


def assert_bitwise(a, b):
    (pa, sa), (pb, sb) = a, b
    assert pa.dtype == pb.dtype and pa.tobytes() == pb.tobytes(), (pa, pb)
    ba, bb = optim.buffers(sa), optim.buffers(sb)
    assert ba.keys() == bb.keys()
    for name in ba:
        assert ba[name].tobytes() == bb[name].tobytes(), name
    assert sa.step == sb.step


@settings(max_examples=150, deadline=None)
@given(configs(), st.sampled_from(DTYPES),
       st.sampled_from([(), (1,), (7,), (12, 5), (3, 4, 5)]), st.sampled_from([1, 7, 16]))
def test_update_inplace_bitwise_equal_to_update(config, dtype, shape, chunk):
    cls, kw = config
    p0 = np.linspace(-2.0, 2.0, int(np.prod(shape))).reshape(shape).astype(dtype)
    if cls is optim.Muon and p0.ndim < 2:  # matrices only
        p0 = p0.reshape(1, -1)
    with pytest.MonkeyPatch.context() as mp, np.errstate(all="ignore"):
        mp.setattr(base, "CHUNK", chunk)  # force several blocks, the last one short
        assert_bitwise(*both(cls(**kw), p0))


@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_grid_of_runs_non_contiguous_and_dict(cls, monkeypatch):
    """lr of shape (R, 1) varying along rows, a transposed (non-contiguous) leaf, a dict."""
    monkeypatch.setattr(base, "CHUNK", 4)
    R = 5
    lr = np.geomspace(1e-3, 1e-1, R)[:, None]
    p0 = np.linspace(-1.0, 1.0, R * 3, dtype=np.float32).reshape(R, 3)
    assert_bitwise(*both(cls(lr=lr), p0))
    p0 = np.ascontiguousarray(np.linspace(-1.0, 1.0, 24).reshape(6, 4)).T  # (4, 6), not C-contiguous
    assert not p0.flags.c_contiguous
    opt = cls(lr=0.01)
    params = {"w": p0.copy(), "b": np.ones((1, 3) if cls is optim.Muon else 3)}  # Muon: matrices only
    pure, s_pure = dict(params), opt.init(params)
    fast, s_fast = {k: v.copy() for k, v in params.items()}, opt.init(params)
    for k in range(3):
        pure, s_pure = opt.update(pure, {n: grads_at(v, k) for n, v in pure.items()}, s_pure)
        fast, s_fast = opt.update_(fast, {n: grads_at(v, k) for n, v in fast.items()}, s_fast)
    for n in params:
        assert pure[n].tobytes() == fast[n].tobytes()


def test_params_and_buffers_updated_in_place_without_large_temporaries():
    opt = optim.Adam(lr=0.1)
    p = np.ones(40 * base.CHUNK + 5, np.float32)
    g = np.ones_like(p)
    state = opt.init(p)
    m = state.exp_avg
    tracemalloc.start()
    out, state = opt.update_(p, g, state)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out is p and state.exp_avg is m and state.step == 1 and np.all(p < 1) and np.all(m > 0)
    # temporaries are block-sized: far below one parameter-sized array
    assert peak < p.nbytes / 2, (peak, p.nbytes)


def test_update_is_pure_and_update_inplace_rejects_bad_params():
    opt = optim.SGD(lr=0.1, momentum=0.9)
    p = np.ones(4)
    with pytest.raises(ValueError, match="writeable ndarray"):
        ro = p.copy()
        ro.setflags(write=False)
        opt.update_(ro, np.ones(4), opt.init(p))
    with pytest.raises(ValueError, match="share memory"):
        opt.update_(p, p, opt.init(p))
    with pytest.raises(ValueError, match="writeable ndarray"):
        opt.update_(1.0, np.float64(1.0), opt.init(np.float64(1.0)))
    state = opt.init(p)
    before = optim.copy_state(state)
    opt.update_(p, np.ones(4), state)
    assert before.momentum_buffer is not state.momentum_buffer
    np.testing.assert_array_equal(before.momentum_buffer, 0.0)


def test_train_epoch_uses_the_inplace_path_with_the_same_result():
    """descent.nn.train_epoch runs update_: the same bits as a loop of update, callers' arrays untouched."""
    from descent.nn import MLP, train_epoch

    data = np.random.default_rng(1)
    X, y = data.standard_normal((40, 5)), data.integers(0, 3, 40)
    model = MLP([5, 8, 3], rng=np.random.default_rng(0))
    twin = MLP([5, 8, 3], rng=np.random.default_rng(0))
    opt = optim.Adam(lr=0.01)
    state0 = opt.init(model.params())
    before = {k: v.copy() for k, v in model.params().items()}
    held = model.params()  # the arrays themselves, as a caller might keep them
    state, _ = train_epoch(model, opt, state0, X, y, 8, np.random.default_rng(2))
    for k in before:
        np.testing.assert_array_equal(held[k], before[k])
    assert state0.step == 0 and not any(b.any() for b in state0.exp_avg.values())
    params, s = twin.params(), opt.init(twin.params())
    perm = np.random.default_rng(2).permutation(40)
    for start in range(0, 40, 8):
        idx = perm[start:start + 8]
        _, grads = twin.loss_and_grads(X[idx], y[idx])
        params, s = opt.update(params, grads, s)
        twin._assign(params)
    for k, v in model.params().items():
        assert v.tobytes() == params[k].tobytes()
    assert state.step == s.step == 5

"""Each wrapper equals the hand-written loop it replaces, with update and with update_."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from descent import optim
from descent.optim import SGD, Adam, AdamW, accumulate, masked, master_weights, scale_loss

BF16 = np.dtype(ml_dtypes.bfloat16)


def grad(params, k):
    """A deterministic gradient for a dict of arrays."""
    return {n: (np.cos(p.astype(np.float64) * (k + 1)) + 0.1 * k).astype(p.dtype) for n, p in params.items()}


def start():
    return {"w": np.linspace(-1, 1, 6).reshape(2, 3), "b": np.array([0.5, -0.5])}


def run(opt, params, steps, method="update"):
    state = opt.init(params)
    params = {k: v.copy() for k, v in params.items()}
    for k in range(steps):
        params, state = getattr(opt, method)(params, grad(params, k), state)
    return params, state


def same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("method", ["update", "update_"])
def test_masked_equals_two_optimizers(method):
    opt = masked(AdamW(lr=0.05, weight_decay=0.3), {"w": True, "b": False})
    got, state = run(opt, start(), 7, method)
    decayed, rest = AdamW(lr=0.05, weight_decay=0.3), AdamW(lr=0.05, weight_decay=0.0)
    p = start()
    sd, sr = decayed.init({"w": p["w"]}), rest.init({"b": p["b"]})
    for k in range(7):
        g = grad(p, k)
        w, sd = decayed.update({"w": p["w"]}, {"w": g["w"]}, sd)
        b, sr = rest.update({"b": p["b"]}, {"b": g["b"]}, sr)
        p = {"w": w["w"], "b": b["b"]}
    same(got, p)
    assert list(state.exp_avg) == ["w", "b"] and state.step == 7
    np.testing.assert_array_equal(state.exp_avg["b"], sr.exp_avg["b"])
    by_rule, _ = run(masked(AdamW(lr=0.05, weight_decay=0.3), lambda key, a: a.ndim > 1), start(), 7)
    same(by_rule, p)
    assert opt.lr == 0.05  # hyperparameters read through
    with pytest.raises(TypeError, match="dict of arrays"):
        opt.init(np.zeros(3))
    with pytest.raises(ValueError, match="mask keys"):
        masked(AdamW(), {"w": True}).init(start())


@pytest.mark.parametrize("method", ["update", "update_"])
@pytest.mark.parametrize("low", [BF16, np.dtype(np.float16)], ids=["bfloat16", "float16"])
def test_master_weights_equal_a_float32_copy(method, low):
    p0 = {k: v.astype(low) for k, v in start().items()}
    opt = master_weights(Adam(lr=1e-3))
    got, state = run(opt, p0, 20, method)
    inner = Adam(lr=1e-3)
    master = {k: v.astype(np.float32) for k, v in p0.items()}
    s = inner.init(master)
    p = p0
    for k in range(20):
        g = grad(p, k)
        master, s = inner.update(master, {n: x.astype(np.float32) for n, x in g.items()}, s)
        p = {n: x.astype(low) for n, x in master.items()}
    same(got, p)
    assert state.master["w"].dtype == np.float32 and set(optim.buffers(state)) == {"master", "exp_avg", "exp_avg_sq"}
    # the point of master weights: steps far below bfloat16's resolution still add up
    plain, _ = run(Adam(lr=1e-3), p0, 20)
    assert not all(np.array_equal(plain[k].astype(np.float32), got[k].astype(np.float32)) for k in p0)


@pytest.mark.parametrize("method", ["update", "update_"])
def test_accumulate_equals_the_mean_of_k_gradients(method):
    k = 3
    opt = accumulate(SGD(lr=0.1, momentum=0.9), k)
    inner = SGD(lr=0.1, momentum=0.9)
    p, s = start(), inner.init(start())
    state = opt.init(start())
    q = {n: v.copy() for n, v in start().items()}
    for step in range(4 * k):
        g = grad({"w": np.full((2, 3), step / 10.0), "b": np.full(2, step / 7.0)}, step)
        before = {n: v.copy() for n, v in q.items()}
        q, state = getattr(opt, method)(q, g, state)
        if (step + 1) % k:
            same(q, before)  # no update between groups
        if step % k == 0:
            total = {n: 0.0 + v for n, v in g.items()}
        else:
            total = {n: total[n] + v for n, v in g.items()}
        if (step + 1) % k == 0:
            p, s = inner.update(p, {n: v / k for n, v in total.items()}, s)
            same(q, p)
    assert state.step == 4 * k and state.inner.step == 4
    with pytest.raises(ValueError, match="k must be an integer in"):
        accumulate(SGD(), 0)


@pytest.mark.parametrize("method", ["update", "update_"])
def test_scale_loss_unscales_and_skips_overflow(method):
    scale = 1024.0
    opt = scale_loss(Adam(lr=0.01), scale)
    inner = Adam(lr=0.01)
    p16 = {k: v.astype(np.float16) for k, v in start().items()}
    q, state = {k: v.copy() for k, v in p16.items()}, opt.init(p16)
    p, s = p16, inner.init(p16)
    for k in range(6):
        g = grad(q, k)
        scaled = {n: (v * np.float16(scale)) for n, v in g.items()}
        if k == 3:
            scaled["w"][0, 0] = np.inf  # an overflow: the step is skipped
        q, state = getattr(opt, method)(q, scaled, state)
        if k != 3:
            p, s = inner.update(p, {n: v / scale for n, v in scaled.items()}, s)
        same(q, p)
    assert state.skipped == 1 and state.step == 6 and state.inner.step == 5
    with pytest.raises(ValueError, match="scale must be in"):
        scale_loss(Adam(), 0.0)


def test_wrappers_need_an_optimizer():
    with pytest.raises(TypeError, match="opt must be a descent.optim optimizer"):
        accumulate(object(), 2)
    assert "accumulate(Adam(" in repr(accumulate(Adam(), 2))

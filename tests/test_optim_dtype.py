"""Float32 and float16 stay in their dtype; bfloat16 params; ``state_dtype``; grids equal single runs bitwise."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from descent import optim
from test_optim import CONFIGS, IDS, quad_grad

BF16 = np.dtype(ml_dtypes.bfloat16)


class NoFloat64(np.ndarray):
    """An ndarray that records every ufunc call given or producing a float64 operand."""

    seen: list[str] = []

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kw):
        plain = [x.view(np.ndarray) if isinstance(x, NoFloat64) else x for x in inputs]
        if out is not None:
            kw["out"] = tuple(o.view(np.ndarray) if isinstance(o, NoFloat64) else o for o in out)
        for x in plain + list(kw.get("out", ())):
            if isinstance(x, (np.ndarray, np.generic)) and x.dtype == np.float64:
                NoFloat64.seen.append(ufunc.__name__)
        result = getattr(ufunc, method)(*plain, **kw)
        if isinstance(result, np.ndarray):
            if result.dtype == np.float64:
                NoFloat64.seen.append(ufunc.__name__)
            return result.view(NoFloat64)
        return result


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_no_float64_arithmetic(cls, kw, dtype):
    """Every NumPy operation of a float32 (float16) update sees only that dtype, as in torch."""
    opt = cls(**kw)
    p = np.array([1.0, -2.0, 0.5], dtype=dtype).view(NoFloat64)
    state = opt.init(p)
    state = state._replace(**{n: b.view(NoFloat64) for n, b in optim.buffers(state).items()})
    NoFloat64.seen.clear()
    for _ in range(8):  # past RAdam/AdaBelief's switch at step 6
        g = quad_grad(p.view(np.ndarray)).astype(dtype).view(NoFloat64)
        p, state = opt.update_(p, g, state)
    assert NoFloat64.seen == [], f"float64 in {sorted(set(NoFloat64.seen))}"
    assert p.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_float32_grid_equals_single_runs_bitwise(cls, kw, dtype):
    """A grid of lr (and beta1 where there is one) in low precision equals each run alone, bit for bit."""
    lrs = np.array([0.001, 0.003, 0.01, 0.03])[:, None]
    grid_kw = {**kw, "lr": lrs}
    if "betas" in cls.RANGES:
        b1 = np.array([0.3, 0.5, 0.8, 0.9])[:, None]
        grid_kw["betas"] = (b1, kw.get("betas", (0.9, 0.99 if cls is optim.Lion else 0.999))[1])
    p0 = np.tile(np.array([1.0, -2.0, 0.5], dtype=dtype), (4, 1))
    if dtype == np.float16 and cls is optim.AdaBelief:
        grid_kw["eps"] = kw["eps"] = 1e-4  # the default 1e-16 is 0 in float16: 0/0 where g = m
    opt = cls(**grid_kw)
    p, s = p0, opt.init(p0)
    for _ in range(10):
        p, s = opt.update(p, quad_grad(p).astype(dtype), s)
    for i in range(4):
        one_kw = {**kw, "lr": float(lrs[i, 0])}
        if "betas" in grid_kw:
            one_kw["betas"] = (float(grid_kw["betas"][0][i, 0]), grid_kw["betas"][1])
        one = cls(**one_kw)
        q, r = p0[i], one.init(p0[i])
        for _ in range(10):
            q, r = one.update(q, quad_grad(q).astype(dtype), r)
        assert p[i].dtype == dtype and p[i].tobytes() == q.tobytes(), (i, p[i], q)


@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_bfloat16_params_and_state_dtype(cls):
    """bfloat16 params are accepted and stay bfloat16; state_dtype sets the buffers' dtype."""
    kw = {"lr": 0.01}
    p0 = np.array([1.0, -2.0, 0.5]).astype(BF16)
    if cls is optim.Muon:  # matrices only
        p0 = p0[None, :]
    for state_dtype, want in ((None, BF16), (np.float32, np.dtype(np.float32))):
        opt = cls(**kw, state_dtype=state_dtype)
        p, s = p0, opt.init(p0)
        for _ in range(5):
            p, s = opt.update(p, quad_grad(p.astype(np.float32)).astype(BF16), s)
        assert p.dtype == BF16
        assert all(b.dtype == want for b in optim.buffers(s).values())
        assert np.all(np.isfinite(p.astype(np.float32)))


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_state_dtype_of_the_params_changes_nothing(cls, kw):
    p0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    a, b = cls(**kw), cls(**kw, state_dtype="float32")
    pa, sa, pb, sb = p0, a.init(p0), p0, b.init(p0)
    for _ in range(8):
        pa, sa = a.update(pa, quad_grad(pa), sa)
        pb, sb = b.update(pb, quad_grad(pb), sb)
    assert pa.tobytes() == pb.tobytes()


def test_float32_params_with_bfloat16_moments_stay_close():
    """optax's mu_dtype use: moments stored in bfloat16 cost accuracy only at bfloat16's level."""
    p0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    full, low = optim.Adam(lr=0.01), optim.Adam(lr=0.01, state_dtype=BF16)
    pa, sa, pb, sb = p0, full.init(p0), p0, low.init(p0)
    for _ in range(50):
        pa, sa = full.update(pa, quad_grad(pa), sa)
        pb, sb = low.update(pb, quad_grad(pb), sb)
    assert pb.dtype == np.float32 and sb.exp_avg.dtype == BF16
    np.testing.assert_allclose(pb, pa, rtol=0.05, atol=0.01)
    assert not np.array_equal(pa, pb)  # the bfloat16 moments did change the arithmetic


def test_state_dtype_validated():
    with pytest.raises(TypeError, match="state_dtype must be a floating-point dtype"):
        optim.Adam(state_dtype=np.int32)
    with pytest.raises(TypeError, match="state_dtype must be None or a floating-point dtype"):
        optim.Adam(state_dtype="not a dtype")

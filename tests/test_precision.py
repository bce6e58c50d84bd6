"""Tests of descent.precision: formats, rounding, the loss scaler against torch, mixed steps, memory."""

from __future__ import annotations

import json
import math
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from descent import precision as P
from descent.optim import SGD, Adam, scale_loss

REF = json.loads((Path(__file__).parent / "reference" / "gradscaler.json").read_text())


# ---------------------------------------------------------------------- formats
@pytest.mark.parametrize("name,bits,e,m,mx,sub", [
    ("float32", 32, 8, 23, float(np.finfo(np.float32).max), 2.0 ** -149),
    ("float16", 16, 5, 10, 65504.0, 2.0 ** -24),
    ("bfloat16", 16, 8, 7, float(ml_dtypes.finfo(ml_dtypes.bfloat16).max), 2.0 ** -133),
    ("float8_e4m3fn", 8, 4, 3, 448.0, 2.0 ** -9),
    ("float8_e5m2", 8, 5, 2, 57344.0, 2.0 ** -16),
])
def test_format_table_matches_hand_values(name, bits, e, m, mx, sub):
    info = P.format_info(name)
    assert (info["bits"], info["exponent_bits"], info["mantissa_bits"]) == (bits, e, m)
    assert info["bits"] == 1 + e + m
    assert info["max"] == mx and info["smallest_subnormal"] == sub
    assert info["eps"] == 2.0 ** -m
    assert info["smallest_subnormal"] == info["smallest_normal"] * 2.0 ** -m


def test_format_validation():
    with pytest.raises(TypeError, match="format"):
        P.format_info("float128x")
    with pytest.raises(TypeError, match="format"):
        P.as_dtype(np.int32)


def test_round_to_is_nearest_even():
    assert float(P.round_to(1 + 2.0 ** -11, "float16")) == 1.0          # tie -> even (1.0)
    assert float(P.round_to(1 + 3 * 2.0 ** -11, "float16")) == 1 + 2.0 ** -9  # tie -> even mantissa
    assert float(P.round_to(1e-8, "float16")) == 0.0
    assert np.isinf(P.round_to(70000.0, "float16"))
    assert np.isnan(float(P.round_to(1000.0, "float8_e4m3fn")))


@pytest.mark.parametrize("fmt", ["float16", "bfloat16", "float8_e4m3fn", "float8_e5m2"])
def test_stochastic_round_exact_on_representable(fmt):
    rng = np.random.default_rng(0)
    x = P.round_to(rng.normal(size=1000) * 4, fmt).astype(np.float64)
    out = P.stochastic_round(x, fmt, rng)
    assert out.dtype == P.as_dtype(fmt)
    np.testing.assert_array_equal(out.astype(np.float64), x)


@pytest.mark.parametrize("fmt,x", [("float16", 1 + 2.0 ** -13), ("bfloat16", 1 + 0.3 * 2.0 ** -7),
                                   ("float8_e5m2", -0.3), ("float16", 3e-8)])
def test_stochastic_round_is_unbiased(fmt, x):
    rng = np.random.default_rng(1)
    n = 200_000
    out = P.stochastic_round(np.full(n, x), fmt, rng).astype(np.float64)
    vals = np.unique(out)
    assert len(vals) == 2 and vals[0] < x < vals[1]          # only the two neighbours
    p = (x - vals[0]) / (vals[1] - vals[0])
    se = (vals[1] - vals[0]) * math.sqrt(p * (1 - p) / n)
    assert abs(out.mean() - x) < 5 * se                        # 5 standard errors
    assert abs(float(P.round_to(x, fmt)) - x) > 10 * se         # while nearest rounding is biased


def test_stochastic_round_validates_rng():
    with pytest.raises(TypeError, match="rng"):
        P.stochastic_round([1.0], "float16", 0)


# --------------------------------------------------------------- loss scaler
def test_scaler_defaults_are_torchs():
    s = P.LossScaler()
    assert (s.init_scale, s.growth_factor, s.backoff_factor, s.growth_interval) == (2.0 ** 16, 2.0, 0.5, 2000)
    st = s.init()
    for _ in range(1999):
        st = s.update(st, False)
    assert st.scale == 2.0 ** 16 and st.growth_tracker == 1999
    st = s.update(st, False)
    assert st.scale == 2.0 ** 17 and st.growth_tracker == 0


@pytest.mark.parametrize("script", sorted(REF["scripts"]))
def test_scaler_matches_torch_gradscaler_step_by_step(script):
    rec = REF["scripts"][script]
    scaler = P.LossScaler(rec["init_scale"], rec["growth_factor"], rec["backoff_factor"],
                          rec["growth_interval"])
    opt = P.dynamic_scale_loss(SGD(lr=1.0), scaler)
    p = np.zeros(2, np.float32)
    st = opt.init(p)
    assert st.scaler.scale == rec["init_scale"]
    for i, step in enumerate(rec["steps"]):
        g = np.array([float(v) for v in step["grad"]], np.float32)
        assert st.scaler.scale == step["scale_before"], i
        _, finite = P.unscale(g * np.float32(st.scaler.scale), st.scaler.scale)
        assert finite == (not step["found_inf"]), i
        p, st = opt.update(p, g * np.float32(st.scaler.scale), st)
        assert st.scaler.scale == step["scale_after"], i
        assert st.scaler.growth_tracker == step["growth_tracker"], i
        np.testing.assert_array_equal(p, np.array(step["param"], np.float32), err_msg=str(i))
    assert st.scaler.skipped == sum(s["found_inf"] for s in rec["steps"])


def test_static_scaler_keeps_scale_and_skips():
    s = P.LossScaler(init_scale=128.0, dynamic=False, growth_interval=1)
    st = s.update(s.update(s.init(), True), False)
    assert st.scale == 128.0 and st.skipped == 1 and st.steps == 2


def test_dynamic_wrapper_in_place_equals_pure_and_composes():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=5).astype(np.float32)
    opt = P.dynamic_scale_loss(Adam(lr=0.1), P.LossScaler(growth_interval=2))
    st_a, st_b, pa, pb = opt.init(p0), opt.init(p0), p0.copy(), p0.copy()
    for k in range(6):
        g = rng.normal(size=5).astype(np.float32) * np.float32(st_a.scaler.scale)
        if k == 3:
            g[0] = np.inf
        pa, st_a = opt.update(pa, g, st_a)
        pb, st_b = opt.update_(pb, g.copy(), st_b)
    np.testing.assert_array_equal(pa, pb)
    assert st_a.scaler == st_b.scaler and st_a.inner.step == 5
    assert opt.lr == 0.1


def test_dynamic_with_huge_static_scale_equals_static_wrapper_when_finite():
    g = np.array([1.0, -2.0], np.float32)
    dyn = P.dynamic_scale_loss(SGD(lr=0.1), P.LossScaler(init_scale=8.0, dynamic=False))
    sta = scale_loss(SGD(lr=0.1), 8.0)
    p1, _ = dyn.update(np.ones(2, np.float32), g * 8, dyn.init(np.ones(2, np.float32)))
    p2, _ = sta.update(np.ones(2, np.float32), g * 8, sta.init(np.ones(2, np.float32)))
    np.testing.assert_array_equal(p1, p2)


@pytest.mark.parametrize("kw,match", [({"init_scale": 0.0}, "init_scale"), ({"growth_factor": 1.0}, "growth_factor"),
                                      ({"backoff_factor": 1.5}, "backoff_factor"),
                                      ({"growth_interval": 0}, "growth_interval")])
def test_scaler_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        P.LossScaler(**kw)
    with pytest.raises(TypeError, match="scaler"):
        P.dynamic_scale_loss(SGD(), scaler=2.0)


# ------------------------------------------------------------ mixed precision
from descent.nn import MLP  # noqa: E402
from descent.optim import OPTIMIZERS, buffers, clip_grad_norm, master_weights  # noqa: E402


def _data(n=64, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    return X, rng.integers(0, c, size=n)


def _model(dtype=np.float32, seed=1):
    return MLP([6, 16, 3], rng=np.random.default_rng(seed), dtype=dtype)


def _split(X, y, sizes):
    cuts = np.cumsum(sizes)[:-1]
    return list(zip(np.split(X, cuts), np.split(y, cuts)))


@pytest.mark.parametrize("sizes", [[16, 16, 16, 16], [10, 20, 34], [64]])
def test_accumulation_float32_equals_one_large_batch(sizes):
    X, y = _data()
    ref = _model()
    loss_ref, g_ref = ref.loss_and_grads(X, y)
    mp = P.MixedPrecision(Adam(lr=1e-2), compute_dtype=np.float32)
    model = _model()
    st = mp.init(model)
    acc, loss = mp.grads(model, st, _split(X, y, sizes))
    assert loss == pytest.approx(loss_ref, rel=1e-6)
    for k in g_ref:
        assert acc[k].dtype == np.float32
        np.testing.assert_allclose(acc[k], g_ref[k], rtol=1e-5, atol=1e-7)
    st2, info = mp.step(model, st, _split(X, y, sizes))
    p_ref, _ = Adam(lr=1e-2).update(ref.params(), g_ref, Adam(lr=1e-2).init(ref.params()))
    for k in p_ref:
        np.testing.assert_allclose(st2.master[k], p_ref[k], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(model.params()[k], st2.master[k])
    assert st2.step == 1 and not info["skipped"]


def test_mean_of_means_is_wrong_for_unequal_micro_batches():
    X, y = _data()
    _, g_ref = _model().loss_and_grads(X, y)
    parts = [_model().loss_and_grads(x, t)[1]["0.W"].copy() for x, t in _split(X, y, [10, 54])]
    naive_sum = sum(parts)                       # sum of micro-batch means: about k times too large
    naive_mean = sum(parts) / len(parts)         # mean of means: wrong weights for unequal sizes
    assert not np.allclose(naive_sum, g_ref["0.W"], rtol=1e-3)
    assert not np.allclose(naive_mean, g_ref["0.W"], rtol=1e-3)
    weighted = parts[0] * (10 / 64) + parts[1] * (54 / 64)
    np.testing.assert_allclose(weighted, g_ref["0.W"], rtol=1e-5, atol=1e-7)


def test_clipping_sees_the_accumulated_gradient():
    X, y = _data()
    ref = _model()
    _, g_ref = ref.loss_and_grads(X, y)
    full_norm = float(np.sqrt(sum(np.sum(v.astype(np.float64) ** 2) for v in g_ref.values())))
    c = full_norm / 3
    g_clip, _ = clip_grad_norm(g_ref, c)
    p_ref, _ = SGD(lr=0.1).update(ref.params(), g_clip, SGD(lr=0.1).init(ref.params()))
    mp = P.MixedPrecision(SGD(lr=0.1), compute_dtype=np.float32, max_norm=c)
    model = _model()
    st, info = mp.step(model, mp.init(model), _split(X, y, [16] * 4))
    assert info["grad_norm"] == pytest.approx(full_norm, rel=1e-5)
    for k in p_ref:
        np.testing.assert_allclose(st.master[k], p_ref[k], rtol=1e-5, atol=1e-6)
    # clipping each micro-batch instead gives another step
    per = [clip_grad_norm(_model().loss_and_grads(x, t)[1], c)[0] for x, t in _split(X, y, [16] * 4)]
    wrong = {k: sum(g[k] for g in per) / 4 for k in g_ref}
    assert not all(np.allclose(wrong[k], g_clip[k], rtol=1e-3) for k in g_ref)


class _SmallMSE:
    """A loss with a small weight, kept in float32 (as autocast keeps losses): 1e-7 * MSE."""

    w = 1e-7

    def forward(self, pred, target):
        self.d = pred.astype(np.float32) - target.astype(np.float32)
        return float(self.w * np.mean(self.d ** 2))

    def backward(self):
        return np.float32(2 * self.w / self.d.size) * self.d


def test_float16_without_scaling_flushes_gradients_to_zero_and_scaling_fixes_it():
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(64, 6)).astype(np.float32), rng.normal(size=(64, 3)).astype(np.float32)
    _, g32 = _model().loss_and_grads(X, T, _SmallMSE())
    assert all(np.count_nonzero(v) == v.size for v in g32.values())
    assert max(np.abs(v).max() for v in g32.values()) < 1e-6
    g16 = {}
    for scaler in (None, P.LossScaler(dynamic=False)):
        mp = P.MixedPrecision(SGD(lr=0.1), scaler=scaler, loss=_SmallMSE())
        model = _model()
        acc, _ = mp.grads(model, mp.init(model), [(X, T)])
        g16[scaler is None], _ = P.unscale(acc, 1.0 if scaler is None else scaler.init_scale)
    unscaled, scaled = g16[True], g16[False]
    for k in g32:   # dL/df ~ 3e-9 is below float16's smallest subnormal 6e-8: nothing survives
        assert np.count_nonzero(unscaled[k]) == 0, k
        rel = np.linalg.norm(scaled[k] - g32[k]) / np.linalg.norm(g32[k])
        assert rel < 1e-2, (k, rel)                         # 2**16 brings them back into range


def test_overflow_skips_the_step_and_backs_off():
    X, y = _data()
    mp = P.MixedPrecision(SGD(lr=0.1), scaler=P.LossScaler(init_scale=2.0 ** 40))
    model = _model()
    st0 = mp.init(model)
    st, info = mp.step(model, st0, [(X, y)])
    assert info["skipped"] and st.step == 0 and st.scaler.scale == 2.0 ** 39 and st.scaler.skipped == 1
    for k in st.master:
        np.testing.assert_array_equal(st.master[k], st0.master[k])
    for _ in range(30):                                    # backs off until the step goes through
        st, info = mp.step(model, st, [(X, y)])
        if not info["skipped"]:
            break
    assert not info["skipped"] and st.step == 1 and np.isfinite(info["grad_norm"])


def test_mixed_float16_training_tracks_float32():
    X, y = _data(n=128)
    losses = {}
    for dt in (np.float16, np.float32):
        mp = P.MixedPrecision(SGD(lr=0.2), scaler=P.LossScaler(), compute_dtype=dt)
        model = _model()
        st = mp.init(model)
        for _ in range(20):
            st, info = mp.step(model, st, _split(X, y, [64, 64]))
        losses[dt] = info["loss"]
        assert all(v.dtype == np.float32 for v in st.master.values())
        assert all(v.dtype == dt for v in model.params().values())
    assert abs(losses[np.float16] - losses[np.float32]) < 1e-2


def test_mixed_precision_validation():
    with pytest.raises(TypeError, match="compute_dtype"):
        P.MixedPrecision(SGD(), compute_dtype="bfloat16")
    with pytest.raises(TypeError, match="scaler"):
        P.MixedPrecision(SGD(), scaler=1.0)
    with pytest.raises(ValueError, match="max_norm"):
        P.MixedPrecision(SGD(), max_norm=0.0)
    mp = P.MixedPrecision(SGD())
    model = _model()
    with pytest.raises(ValueError, match="batches"):
        mp.step(model, mp.init(model), [])


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=lambda c: c.__name__)
def test_optimizers_in_float32_stay_float32(cls):
    p = {"w": np.ones((3, 2), np.float32), "b": np.zeros(2, np.float32)}
    g = {"w": np.full((3, 2), 0.1, np.float32), "b": np.full(2, -0.2, np.float32)}
    if cls.__name__ == "Muon":  # matrices only
        p["b"], g["b"] = p["b"][None, :], g["b"][None, :]
    opt = cls()
    st = opt.init(p)
    for _ in range(2):
        p, st = opt.update(p, g, st)
    assert all(v.dtype == np.float32 for v in p.values())
    for buf in buffers(st).values():
        assert all(v.dtype == np.float32 for v in (buf.values() if isinstance(buf, dict) else [buf]))


# ---------------------------------------------------------------------- memory
def test_bytes_per_param_hand_counts():
    assert P.bytes_per_param(Adam())["total"] == 4 + 4 + 8
    mixed = P.bytes_per_param(Adam(), "float16", master=True)
    assert (mixed["weights"], mixed["grads"], mixed["master"], mixed["optimizer"]) == (2, 2, 4, 8)
    assert mixed["total"] == 16                            # mixed precision does not halve Adam's memory
    assert P.bytes_per_param(SGD())["total"] == 8
    assert P.bytes_per_param(SGD(momentum=0.9))["total"] == 12
    assert P.bytes_per_param(SGD(momentum=0.9), "bfloat16", master=True)["total"] == 2 + 2 + 4 + 4
    assert P.bytes_per_param(Adam(state_dtype=ml_dtypes.bfloat16))["optimizer"] == 4


def _gpu_memory():
    path = Path(__file__).parents[1] / "benchmarks" / "results" / "gpu_memory.csv"
    rows = [line.split(",") for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_bytes_per_param_match_torch_measurements():
    opts = {"SGD": SGD(), "SGD momentum": SGD(momentum=0.9), "Adam": Adam()}
    rows = _gpu_memory()
    assert len(rows) == 6
    for r in rows:   # torch keeps the state in the parameters' dtype, as descent.optim does
        c = P.bytes_per_param(opts[r["optimizer"]], r["param_dtype"])
        assert c["total"] == float(r["bytes_per_param_total"]), r
        assert c["optimizer"] == float(r["bytes_per_param_state"]), r


def test_zero_stages():
    c = P.bytes_per_param(Adam(), "float16", master=True)
    psi, n = 7e9, 64
    assert P.zero_bytes_per_param(c, n, 0) * psi == 16 * psi
    assert P.zero_bytes_per_param(c, n, 1) == pytest.approx(4 + 12 / n)
    assert P.zero_bytes_per_param(c, n, 2) == pytest.approx(2 + 14 / n)
    assert P.zero_bytes_per_param(c, n, 3) == pytest.approx(16 / n)
    assert P.zero_bytes_per_param(c, 1, 3) == 16
    with pytest.raises(ValueError, match="stage"):
        P.zero_bytes_per_param(c, n, 4)
    with pytest.raises(ValueError, match="n_devices"):
        P.zero_bytes_per_param(c, 0, 1)
    with pytest.raises(TypeError, match="counts"):
        P.zero_bytes_per_param({"w": 1}, 2, 1)


def test_dynamic_scaling_composes_with_master_weights_and_accumulation():
    from descent.optim import accumulate
    opt = P.dynamic_scale_loss(accumulate(master_weights(SGD(lr=0.5, momentum=0.9)), 2),
                               P.LossScaler(init_scale=1024.0, growth_interval=1000))
    p = np.ones(4, np.float16)
    st = opt.init(p)
    assert sorted(buffers(st)) == ["grad_sum", "master", "momentum_buffer"]
    g = np.full(4, 1e-3)                                   # 1e-3 * 1024 is exact enough in float16
    for _ in range(4):
        p, st = opt.update(p, (g * st.scaler.scale).astype(np.float16), st)
    assert p.dtype == np.float16 and st.inner.inner.master.dtype == np.float32
    # two real SGD-momentum steps on the float32 masters with gradient 1e-3
    ref, st_ref = np.ones(4, np.float32), SGD(lr=0.5, momentum=0.9).init(np.ones(4, np.float32))
    for _ in range(2):
        ref, st_ref = SGD(lr=0.5, momentum=0.9).update(ref, np.full(4, 1e-3, np.float32), st_ref)
    np.testing.assert_allclose(st.inner.inner.master, ref, rtol=1e-6)
    np.testing.assert_array_equal(p, ref.astype(np.float16))

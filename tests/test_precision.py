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

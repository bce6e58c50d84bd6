"""Chapter 12's optimizers: Muon, Sophia, schedule-free SGD/AdamW.

Part one replays the recorded reference trajectories
(``tests/reference/beyond_cases.json``, written by
``tests/reference/record_beyond.py`` from torch 2.13.0's ``torch.optim.Muon``,
the authors' SophiaG step, and ``schedulefree`` 1.4.1) by teacher forcing, as
``test_reference_optim.py`` does for the others; torch is never imported.
Part two checks what the generic suites cannot: Muon works on matrices
(stacks of them for a grid of runs), the Newton–Schulz iteration against the
SVD's polar factor, Sophia's curvature argument, the schedule-free average.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from descent import optim
from descent.optim import Muon, ScheduleFreeAdamW, ScheduleFreeSGD, Sophia, newton_schulz, polar
from descent.optim import base

REF_DIR = Path(__file__).resolve().parent / "reference"
META = json.loads((REF_DIR / "beyond_cases.json").read_text())
CASES = META["cases"]
NEW = (Muon, Sophia, ScheduleFreeSGD, ScheduleFreeAdamW)
TOLERANCES = {"float64": (1e-10, 1e-14), "float32": (5e-5, 1e-6)}
# torch runs Muon's iteration in bfloat16 (8 significant bits, unit roundoff 2**-8 ~ 0.4%); about
# 15 roundings per step, amplified by the polynomial's slope (a = 3.4 at 0): a step's update O
# agrees with the float64 one to a few percent of its largest entry, so the trajectory after t
# steps to t * 5% of the largest single step.
BF16_PER_STEP = 0.05


@pytest.fixture(scope="module")
def arrays():
    with np.load(REF_DIR / "beyond_trajectories.npz") as data:
        return {name: data[name] for name in data.files}


@pytest.fixture(scope="module")
def arrays32():
    with np.load(REF_DIR / META["float32"]["file"]) as data:
        return {name: data[name] for name in data.files}


def _pack(case, parts):
    if case["structure"] == "array":
        return parts[case["keys"][0]]
    return dict(parts)


def _unpack(case, tree):
    if case["structure"] == "array":
        return {case["keys"][0]: np.asarray(tree)}
    return {k: np.asarray(v) for k, v in tree.items()}


def _frozen(x, dtype):
    a = np.array(x, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


def _build(case, arrays):
    kwargs = dict(case["kwargs"])
    for name in ("betas", "ns_coefficients"):
        if name in kwargs:
            kwargs[name] = tuple(kwargs[name])
    if case["schedule"] is not None:
        lrs = arrays[f"{case['id']}/lr"]
        kwargs["lr"] = lambda t: float(lrs[t])
    return getattr(optim, case["optimizer"])(**kwargs)


def replay(case, dtype, arrays, data, inplace=False):
    """Feed the recorded gradients (and curvature estimates); yield (t, params, state, recorded)."""
    cid, keys = case["id"], case["keys"]
    opt = _build(case, arrays)
    params = _pack(case, {k: np.array(data[f"{cid}/params/{k}"][0], dtype=dtype) if inplace
                          else _frozen(data[f"{cid}/params/{k}"][0], dtype) for k in keys})
    state = opt.init(params)
    for t in range(case["steps"]):
        g = _pack(case, {k: _frozen(data[f"{cid}/grads/{k}"][t], dtype) for k in keys})
        extra = {}
        if case["optimizer"] == "Sophia" and arrays[f"{cid}/refresh"][t]:
            hg = {k: data[f"{cid}/hess_grads/{k}"][t].astype(dtype) for k in keys}
            extra["hessian"] = _pack(case, {k: hg[k] * hg[k] for k in keys})
        params, state = (opt.update_ if inplace else opt.update)(params, g, state, **extra)
        yield t, opt, params, state, {k: data[f"{cid}/params/{k}"][t + 1] for k in keys}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_reference_every_step(case, dtype, arrays, arrays32):
    data = arrays if dtype == "float64" else arrays32
    keys = case["keys"]
    scale = max(1.0, max(float(np.abs(data[f"{case['id']}/params/{k}"]).max()) for k in keys))
    rtol, atol = TOLERANCES[dtype]
    atol *= scale
    bf16 = case.get("ns_dtype") == "bfloat16"
    for t, opt, params, state, want in replay(case, dtype, arrays, data):
        got = _unpack(case, params)
        for k in keys:
            have = got[k]
            assert have.dtype == dtype and have.shape == want[k].shape
            err = np.abs(have.astype(np.float64) - want[k].astype(np.float64))
            if bf16:
                lr = opt._lr_at(t, [])
                bound = (t + 1) * BF16_PER_STEP * lr * opt.scale(have.shape) * 1.5 + atol
                assert err.max() <= bound, f"{case['id']} step {t + 1} '{k}': {err.max():.3g} > {bound:.3g}"
            else:
                bad = ~(err <= atol + rtol * np.abs(want[k]))
                assert not bad.any(), (f"{case['id']} ({dtype}): first mismatch at step {t + 1}, '{k}', "
                                       f"max error {err.max():.3g}; kwargs={case['kwargs']}")
    if case["optimizer"].startswith("ScheduleFree"):
        x = _unpack(case, opt.eval_params(params, state))
        for k in keys:
            np.testing.assert_allclose(x[k], data[f"{case['id']}/eval/{k}"], rtol=rtol, atol=atol)


def test_bfloat16_cases_really_differ_from_the_float64_iteration(arrays):
    """The bfloat16 recordings are not float64 ones: the tolerance above is needed, and not vacuous."""
    for case in (c for c in CASES if c.get("ns_dtype") == "bfloat16"):
        worst = 0.0
        for t, opt, params, state, want in replay(case, "float64", arrays, arrays):
            got = _unpack(case, params)
            worst = max(worst, max(float(np.abs(got[k] - want[k]).max()) for k in case["keys"]))
        assert 1e-6 < worst < 0.05, (case["id"], worst)


def test_replay_in_place_equals_reference(arrays):
    for case in CASES[:: 3]:
        if case.get("ns_dtype") == "bfloat16":
            continue
        for _, _, params, _, want in replay(case, "float64", arrays, arrays, inplace=True):
            got = _unpack(case, params)
            for k in case["keys"]:
                np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-12)


def test_every_new_optimizer_is_covered():
    counts = Counter(c["optimizer"] for c in CASES)
    assert set(counts) == {cls.__name__ for cls in NEW}
    for name in counts:
        mine = [c for c in CASES if c["optimizer"] == name]
        assert len(mine) >= 5 and {c["structure"] for c in mine} == {"array", "dict"}, name
        assert any(c["schedule"] for c in mine) and any(not c["kwargs"] for c in mine), name
    assert all(cls in optim.OPTIMIZERS for cls in NEW)


def test_fixture_is_complete(arrays, arrays32):
    for c in CASES:
        for k, shape in zip(c["keys"], c["shapes"]):
            assert arrays[f"{c['id']}/grads/{k}"].shape == (c["steps"], *shape)
            assert arrays32[f"{c['id']}/params/{k}"].dtype == np.float32
        if c["optimizer"] == "Sophia":
            assert arrays[f"{c['id']}/refresh"].dtype == bool


# --------------------------------------------------------------- Newton–Schulz and the polar factor
@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 5, 7)])
def test_newton_schulz_approaches_the_polar_factor(shape):
    rng = np.random.default_rng(1)
    g = rng.standard_normal(shape)
    q = polar(g)
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2) if shape[-2] <= shape[-1]
                               else np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(min(shape[-2:])),
                               (*shape[:-2], min(shape[-2:]), min(shape[-2:]))), atol=1e-12)
    # the classical cubic iteration converges to U V^T
    cubic = newton_schulz(g, steps=40, coefficients=(1.5, -0.5, 0.0))
    np.testing.assert_allclose(cubic, q, atol=1e-9)
    # Jordan's quintic: same singular vectors, singular values only in a band around 1
    quint = newton_schulz(g)
    s = np.linalg.svd(quint, compute_uv=False)
    assert np.all((s > 0.6) & (s < 1.25)), s
    assert np.abs(quint - q).max() > 1e-3  # not the polar factor exactly
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    inner = np.swapaxes(u, -1, -2) @ quint @ np.swapaxes(vt, -1, -2)  # U^T X V is diagonal
    off = inner - np.einsum("...ii->...i", inner)[..., None] * np.eye(inner.shape[-1])
    assert np.abs(off).max() < 1e-10


def test_newton_schulz_maps_singular_values_through_the_polynomial():
    a, b, c = optim.muon.NS_COEFFICIENTS
    g = np.diag([1.0, 0.5, 0.1, 0.01])
    x = newton_schulz(g, steps=1)
    s0 = np.diag(g) / np.linalg.norm(g)
    np.testing.assert_allclose(np.diag(x), a * s0 + b * s0**3 + c * s0**5, rtol=1e-13)


def test_newton_schulz_and_polar_validate():
    with pytest.raises(ValueError, match="ndim >= 2"):
        newton_schulz(np.ones(3))
    with pytest.raises(ValueError, match="steps"):
        newton_schulz(np.ones((2, 2)), steps=100)
    with pytest.raises(TypeError, match="triple"):
        newton_schulz(np.ones((2, 2)), coefficients=(1.0, 2.0))
    with pytest.raises(ValueError, match="ndim >= 2"):
        polar(np.ones(3))


# --------------------------------------------------------------------------------- Muon
def test_muon_rejects_vectors_and_validates():
    with pytest.raises(ValueError, match="ndim >= 2"):
        Muon().init({"w": np.ones((2, 2)), "b": np.ones(2)})
    with pytest.raises(ValueError, match="adjust_lr_fn"):
        Muon(adjust_lr_fn="rms")
    with pytest.raises(ValueError, match="ns_steps"):
        Muon(ns_steps=-1)
    with pytest.raises(ValueError, match="momentum must be in"):
        Muon(momentum=1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_muon_grid_of_runs_equals_single_runs_and_update_inplace(dtype, monkeypatch):
    """params (R, A, B) with lr (R, 1, 1): each run alone, bit for bit; update_ equals update."""
    monkeypatch.setattr(base, "CHUNK", 8)
    rng = np.random.default_rng(0)
    R, lr = 3, np.array([0.01, 0.03, 0.1])[:, None, None]
    p0 = rng.standard_normal((R, 4, 6)).astype(dtype)
    grad = lambda p: (p - 1.0) * np.linspace(0.1, 3.0, 6).astype(dtype)  # noqa: E731
    opt = Muon(lr=lr, momentum=0.9)
    p, s = p0, opt.init(p0)
    q, r = p0.copy(), opt.init(p0)
    for _ in range(6):
        p, s = opt.update(p, grad(p), s)
        q, r = opt.update_(q, grad(q), r)
    assert p.tobytes() == q.tobytes() and s.momentum_buffer.tobytes() == r.momentum_buffer.tobytes()
    for i in range(R):
        one = Muon(lr=float(lr[i, 0, 0]), momentum=0.9)
        x, st = p0[i], one.init(p0[i])
        for _ in range(6):
            x, st = one.update(x, grad(x), st)
        assert x.dtype == dtype and x.tobytes() == p[i].tobytes()


def test_muon_equalizes_directions_and_maximize():
    w0 = np.zeros((3, 3))
    g = np.diag([100.0, 1.0, 0.01])
    step = Muon(lr=1.0, weight_decay=0.0, nesterov=False, momentum=0.0, ns_steps=30,
                ns_coefficients=(1.5, -0.5, 0.0)).update(w0, g, Muon().init(w0))[0]
    np.testing.assert_allclose(step, -np.diag([1.0, 1.0, 1.0]), atol=1e-6)  # -U V^T, not -g
    a, _ = Muon(lr=0.1, maximize=True).update(w0, g, Muon().init(w0))
    b, _ = Muon(lr=0.1).update(w0, -g, Muon().init(w0))
    np.testing.assert_array_equal(a, b)
    assert Muon().scale((8, 2)) == 2.0 and Muon().scale((2, 8)) == 1.0
    assert Muon(adjust_lr_fn="match_rms_adamw").scale((4, 16)) == pytest.approx(0.8)


# -------------------------------------------------------------------------------- Sophia
def test_sophia_without_curvature_is_sign_momentum_and_uses_the_estimate():
    p0, g = np.array([1.0, -1.0, 2.0]), np.array([0.5, -2.0, 1e-3])
    opt = Sophia(lr=0.1, weight_decay=0.0)
    p, s = opt.update(p0, g, opt.init(p0))
    np.testing.assert_allclose(p, p0 - 0.1 * np.sign(g))  # h = 0: every step clipped
    opt = Sophia(lr=0.1, weight_decay=0.0, rho=1.0, bs=1, betas=(0.0, 0.0))
    p, s = opt.update(p0, g, opt.init(p0), hessian=np.array([10.0, 10.0, 1e-9]))
    # h = 10: a Newton step m/h (|m|/h < 1); h tiny: clipped
    np.testing.assert_allclose(p, p0 - 0.1 * np.array([0.05, -0.2, 1.0]))
    assert s.hessian.tolist() == [10.0, 10.0, 1e-9]
    q, r = opt.update_(p0.copy(), g, opt.init(p0), hessian=np.array([10.0, 10.0, 1e-9]))
    assert q.tobytes() == p.tobytes() and r.hessian.tobytes() == s.hessian.tobytes()


def test_sophia_update_is_pure_with_a_hessian_and_validates():
    p = {"w": np.ones((2, 2)), "b": np.zeros(2)}
    opt = Sophia(lr=0.1)
    s = opt.init(p)
    h = {"w": np.ones((2, 2)), "b": np.ones(2)}
    opt.update(p, h, s, hessian=h)
    assert np.all(s.hessian["w"] == 0) and np.all(p["w"] == 1)
    with pytest.raises(ValueError, match="bs"):
        Sophia(bs=0)
    with pytest.raises(ValueError):
        opt.update(p, h, s, hessian={"w": np.ones((2, 2))})


# ------------------------------------------------------------------------- schedule-free
def test_schedule_free_sgd_average_is_the_uniform_mean_of_z():
    """c_t = 1/t with r = 0 and a constant lr: x_t is the plain average of z_1..z_t."""
    opt = ScheduleFreeSGD(lr=0.1, momentum=0.9)
    y = np.array([3.0, -1.0])
    s = opt.init(y)
    zs = []
    for t in range(25):
        y, s = opt.update(y, np.cos(y + t), s)
        zs.append(s.z.copy())
    np.testing.assert_allclose(opt.eval_params(y, s), np.mean(zs, axis=0), rtol=1e-12)
    np.testing.assert_allclose(y, 0.1 * s.z + 0.9 * opt.eval_params(y, s), rtol=1e-12)


def test_schedule_free_validates_and_eval_needs_its_state():
    with pytest.raises(ValueError, match="momentum must be in"):
        ScheduleFreeSGD(momentum=0.0)
    with pytest.raises(ValueError, match="warmup_steps"):
        ScheduleFreeAdamW(warmup_steps=-1)
    with pytest.raises(TypeError, match="state"):
        ScheduleFreeSGD().eval_params(np.ones(2), optim.SGD().init(np.ones(2)))


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_cheatsheet_entries(cls):
    assert set(cls.CHEATSHEET) == {"rule", "use"} and all(cls.CHEATSHEET.values())
    assert "\\theta" in cls.CHEATSHEET["rule"] or "z_t" in cls.CHEATSHEET["rule"]


def test_bfloat16_matrices_for_muon():
    w = np.ones((3, 4), dtype=ml_dtypes.bfloat16)
    opt = Muon(lr=0.01)
    w2, s = opt.update(w, (w.astype(np.float32) * 0.5).astype(ml_dtypes.bfloat16), opt.init(w))
    assert w2.dtype == w.dtype and np.all(np.isfinite(w2.astype(np.float32)))

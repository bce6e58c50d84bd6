"""Check ``descent.optim`` against recorded reference trajectories.

The fixture (``tests/reference/optim_trajectories.npz`` with its index
``optim_cases.json``) was written by ``tests/reference/record_optim.py`` from
torch 2.13.0, adabelief-pytorch 0.2.1 and lion-pytorch 0.2.5 in float64, by
teacher forcing: the gradient fed at every step was computed at the
reference's own parameters. Here the identical gradients are fed to the
descent optimizer built with the same keyword arguments, and the parameters
are compared after *every* step, so a wrong rule is caught at the first step
where it matters. torch is never imported.

The same cases recorded in float32 (``optim_trajectories_float32.npz``) are
run in float32 and compared at a float32 tolerance: torch's CPU kernels may
fuse a multiply and an add, so agreement is to a few units in the last place,
not bit for bit. (That descent computes float32 in float32 is tested in
``test_optim_dtype.py``.)
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from descent import optim

REF_DIR = Path(__file__).resolve().parent / "reference"
META = json.loads((REF_DIR / "optim_cases.json").read_text())
CASES = META["cases"]

# Muon, Sophia and the schedule-free methods are replayed from their own fixture
# (beyond_cases.json) by test_optim_beyond.py, which runs the same coverage checks.
BEYOND = {c["optimizer"] for c in json.loads((REF_DIR / "beyond_cases.json").read_text())["cases"]}
OPTIMIZERS = tuple(cls.__name__ for cls in optim.OPTIMIZERS if cls.__name__ not in BEYOND)

TOLERANCES = {  # dtype: (rtol, absolute tolerance per unit of the trajectory's largest |param|)
    "float64": (1e-10, 1e-14),
    "float32": (5e-5, 1e-6),
}


@pytest.fixture(scope="module")
def arrays():
    with np.load(REF_DIR / "optim_trajectories.npz") as data:
        return {name: data[name] for name in data.files}


@pytest.fixture(scope="module")
def arrays32():
    with np.load(REF_DIR / META["float32"]["file"]) as data:
        return {name: data[name] for name in data.files}


def _frozen(x, dtype=np.float64):
    """A read-only copy, so that an in-place update of an input fails loudly."""
    a = np.array(x, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


def _pack(case, parts):
    if case["structure"] == "array":
        (key,) = case["keys"]
        return parts[key]
    return dict(parts)


def _unpack(case, tree):
    if case["structure"] == "array":
        (key,) = case["keys"]
        return {key: np.asarray(tree)}
    assert isinstance(tree, dict), f"dict params came back as {type(tree).__name__}"
    assert sorted(tree) == sorted(case["keys"]), f"keys changed: {sorted(tree)}"
    return {k: np.asarray(v) for k, v in tree.items()}


def _build(case, arrays):
    kwargs = dict(case["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if case["schedule"] is not None:
        lrs = arrays[f"{case['id']}/lr"]
        # t = number of updates already taken, as descent's callable lr expects.
        kwargs["lr"] = lambda t: float(lrs[t])
    return getattr(optim, case["optimizer"])(**kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_reference_every_step(case, dtype, arrays, arrays32):
    cid, keys = case["id"], case["keys"]
    data = arrays if dtype == "float64" else arrays32
    grads = {k: data[f"{cid}/grads/{k}"] for k in keys}
    traj = {k: data[f"{cid}/params/{k}"] for k in keys}
    scale = max(1.0, max(float(np.abs(traj[k]).max()) for k in keys))
    rtol, atol = TOLERANCES[dtype]
    atol *= scale

    opt = _build(case, arrays)
    params = _pack(case, {k: _frozen(traj[k][0], dtype) for k in keys})
    state = opt.init(params)
    for t in range(case["steps"]):
        g = _pack(case, {k: _frozen(grads[k][t], dtype) for k in keys})
        params, state = opt.update(params, g, state)
        got = _unpack(case, params)
        for k in keys:
            want = traj[k][t + 1].astype(np.float64)
            have = got[k]
            assert have.shape == want.shape and have.dtype == dtype, (
                f"{cid}: step {t + 1}, '{k}' has shape {have.shape} and dtype {have.dtype}, "
                f"expected {want.shape} and {dtype}"
            )
            err = np.abs(have.astype(np.float64) - want)
            bad = ~(err <= atol + rtol * np.abs(want))  # also catches NaN
            if bad.any():
                i = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), want.shape)
                rel = float(err[i] / max(abs(float(want[i])), atol))
                pytest.fail(
                    f"{cid} ({dtype}): first mismatch at step {t + 1} of {case['steps']} "
                    f"(t = {t} updates already taken), param '{k}' index {tuple(int(j) for j in i)}: "
                    f"expected {float(want[i])!r}, got {float(have[i])!r} "
                    f"(relative error {rel:.3g}; {int(bad.sum())} entries off). "
                    f"kwargs={case['kwargs']}, schedule={case['schedule']}",
                    pytrace=False,
                )


def test_every_optimizer_is_covered():
    counts = Counter(c["optimizer"] for c in CASES)
    assert set(counts) == set(OPTIMIZERS), f"fixture covers {sorted(counts)}"
    thin = {name: n for name, n in counts.items() if n < 3}
    assert not thin, f"fewer than 3 recorded cases for {thin}"
    for name in OPTIMIZERS:
        mine = [c for c in CASES if c["optimizer"] == name]
        assert {c["structure"] for c in mine} == {"array", "dict"}, (
            f"{name} needs both plain-array and dict-of-arrays cases"
        )
        assert any(c["schedule"] for c in mine), f"{name} has no scheduled-lr case"
        assert any(not c["kwargs"] for c in mine), f"{name} has no all-defaults case"


def test_fixture_is_complete(arrays, arrays32):
    ids = [c["id"] for c in CASES]
    assert sorted(arrays32) == sorted(k for k in arrays if not k.endswith("/lr"))
    assert all(a.dtype == np.float32 for a in arrays32.values())
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for c in CASES:
        steps = c["steps"]
        for k, shape in zip(c["keys"], c["shapes"]):
            assert arrays[f"{c['id']}/grads/{k}"].shape == (steps, *shape)
            assert arrays[f"{c['id']}/params/{k}"].shape == (steps + 1, *shape)
            assert arrays[f"{c['id']}/grads/{k}"].dtype == np.float64
        if c["schedule"] is not None:
            assert arrays[f"{c['id']}/lr"].shape == (steps,)


SCHEDULED = [c for c in CASES if c["schedule"] is not None]


@pytest.mark.parametrize("case", SCHEDULED, ids=[c["id"] for c in SCHEDULED])
def test_schedule_description_matches_recorded_lr(case, arrays):
    """The stored description reproduces the lr torch's scheduler actually used."""
    s = case["schedule"]
    t = np.arange(case["steps"])
    if s["kind"] == "step":
        expected = s["lr"] * s["gamma"] ** (t // s["step_size"])
    elif s["kind"] == "exponential":
        expected = s["lr"] * s["gamma"] ** t
    elif s["kind"] == "warmup_cosine":
        warm = np.minimum(1.0, (t + 1) / s["warmup_steps"])
        expected = s["lr"] * warm * 0.5 * (1 + np.cos(math.pi * t / s["total_steps"]))
    else:
        pytest.fail(f"unknown schedule kind {s['kind']!r}")
    np.testing.assert_allclose(arrays[f"{case['id']}/lr"], expected, rtol=1e-12, atol=1e-15)

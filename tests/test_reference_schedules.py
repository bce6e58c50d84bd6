"""descent.schedules against torch 2.13's lr_scheduler, recorded in tests/reference/schedules.json.

The fixture is made by ``tests/reference/record_schedules.py`` (its docstring
says how and what is recorded); this file needs no torch. Entry t of each
recorded list is the learning rate of update t + 1, which is what a descent
schedule returns at t.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from descent import schedules

FIXTURE = Path(__file__).parent / "reference" / "schedules.json"
DATA = json.loads(FIXTURE.read_text())
CASES = DATA["cases"]
RTOL = 1e-10
ATOL = 0.0  # exact zeros (cosine at t = T_max with eta_min = 0) must match exactly too


def build(spec: dict) -> schedules.Schedule:
    """Construct the descent schedule a fixture case describes (nested for Warmup)."""
    kwargs = dict(spec["kwargs"])
    if spec["schedule"] == "Warmup":
        kwargs["schedule"] = build(kwargs["schedule"])
    return getattr(schedules, spec["schedule"])(**kwargs)


def test_fixture_is_small_and_from_the_pinned_torch():
    assert FIXTURE.stat().st_size < 200_000
    assert DATA["meta"]["torch"].startswith("2.13.0")
    assert len({case["id"] for case in CASES}) == len(CASES)


def test_fixture_covers_every_schedule_class():
    public = {
        name
        for name, obj in inspect.getmembers(schedules, inspect.isclass)
        if issubclass(obj, schedules.Schedule) and obj is not schedules.Schedule
    }
    recorded = {case["schedule"] for case in CASES}
    recorded |= {case["kwargs"]["schedule"]["schedule"] for case in CASES if case["schedule"] == "Warmup"}
    assert public <= recorded, f"no torch reference for {sorted(public - recorded)}"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_lr_matches_torch(case):
    expected = np.asarray(case["lr"], dtype=np.float64)
    assert expected.shape == (case["n"],)
    got = build(case).values(case["n"])
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=case["id"])


ONE_CYCLE = [case for case in CASES if case["schedule"] == "OneCycle"]


@pytest.mark.parametrize("case", ONE_CYCLE, ids=[case["id"] for case in ONE_CYCLE])
def test_one_cycle_momentum_matches_torch(case):
    expected = np.asarray(case["momentum"], dtype=np.float64)
    got = build(case).momentum(np.arange(case["n"]))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=case["id"])


@pytest.mark.parametrize("case", ONE_CYCLE, ids=[case["id"] for case in ONE_CYCLE])
def test_one_cycle_is_recorded_over_its_whole_length(case):
    s = build(case)
    assert case["n"] == s.total_steps
    with pytest.raises(ValueError, match="total_steps"):
        s(case["n"])

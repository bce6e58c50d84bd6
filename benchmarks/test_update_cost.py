"""Checks of ``update_cost.py``: what it times is the update it claims, and its bounds are sane.

Run with ``pytest benchmarks/test_update_cost.py -o addopts=""`` (the repository's
default options add nbval). Not part of the default ``pytest`` run: the
benchmarks folder is outside ``testpaths``. The in-place path itself is tested
in ``tests/test_optim_inplace.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import update_cost  # noqa: E402

from descent.optim import base  # noqa: E402


@pytest.mark.parametrize("name", list(update_cost.ARRAYS_MOVED))
def test_timed_steps_are_the_same_update(name):
    """The pure and in-place steps the benchmark times give the same bits, over several blocks."""
    n = 3 * base.CHUNK + 11
    rng = np.random.default_rng(0)
    p0, g = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    steps = update_cost.descent_steps(name, p0, g)
    p_pure, _ = steps["descent update"]()
    steps["descent update_"]()
    p_inplace = steps["descent update_"].params
    assert p_inplace.dtype == np.float32 and p_pure.tobytes() == p_inplace.tobytes()
    steps["descent update_"]()  # each call is one more update, not a repeat of the same one
    assert p_pure.tobytes() != p_inplace.tobytes()


def test_bandwidth_probes_and_median(monkeypatch):
    t = update_cost._median(lambda: np.ones(10), repeat=3, min_time=0.001)
    assert 0 < t < 1e-2
    monkeypatch.setattr(update_cost, "PROBE_N", 1 << 16)
    bw = update_cost.simple_bandwidths(1, repeat=1)
    assert {"numpy copy", "numpy add"} <= set(bw) and all(v > 1e8 for v in bw.values())


def test_in_cache_sizes_get_no_fraction(monkeypatch):
    monkeypatch.setattr(update_cost, "PROBE_N", 1 << 16)
    rows, _ = update_cost.run([1000], repeat=1)
    assert rows and all(r["fraction_of_bound"] is None for r in rows)
    assert {r["implementation"] for r in rows} >= {"descent update", "descent update_"}

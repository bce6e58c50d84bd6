"""Tests for descent.lr_range: the grid, the smoothing, the stop rule and the suggestions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descent.lr_range import RangeTest, exponential_rates, lr_range_test, smooth_losses


def test_exponential_rates_are_geometric_with_exact_ends():
    r = exponential_rates(1e-4, 1.0, 9)
    assert r[0] == 1e-4 and r[-1] == 1.0
    np.testing.assert_allclose(r[1:] / r[:-1], 10 ** 0.5, rtol=1e-12)


def test_smooth_losses_matches_the_recursion_and_keeps_constants():
    rng = np.random.default_rng(0)
    ell, beta = rng.random(50), 0.9
    avg, ref = 0.0, []
    for k, v in enumerate(ell):
        avg = beta * avg + (1 - beta) * v
        ref.append(avg / (1 - beta ** (k + 1)))
    np.testing.assert_allclose(smooth_losses(ell, beta), ref, rtol=1e-12)
    np.testing.assert_allclose(smooth_losses(np.full(20, 3.0), 0.98), 3.0, rtol=1e-12)
    np.testing.assert_array_equal(smooth_losses(ell, 0.0), ell)


def _quadratic_step(h, theta0=1.0):
    theta = [theta0]

    def step(lr):
        loss = 0.5 * h * theta[0] ** 2
        theta[0] = theta[0] - lr * h * theta[0]
        return loss

    return step


@pytest.mark.parametrize("h", [1.0, 4.0, 25.0])
def test_stops_after_the_edge_of_stability_on_a_quadratic(h):
    res = lr_range_test(_quadratic_step(h), 1e-4, 100.0, 200, smoothing=0.0, diverge=4.0)
    assert res.diverged
    assert res.rates[res.stopped_at] > 2.0 / h          # |1 - lr h| > 1 only beyond 2/h
    assert res.lr_min_loss < 2.0 / h * 1.2
    assert len(res.rates) == len(res.losses) == len(res.smoothed) == res.stopped_at + 1
    # the steepest point is searched only up to the lowest smoothed loss
    assert res.rates[0] <= res.lr_steepest <= res.lr_min_loss


def test_runs_to_the_end_when_nothing_diverges_and_stops_on_nan():
    res = lr_range_test(lambda lr: 1.0 / (1.0 + lr), 0.1, 10.0, 30)
    assert not res.diverged and res.stopped_at == 29 and res.lr_min_loss == 10.0
    calls = []

    def nan_step(lr):
        calls.append(lr)
        return 1.0 if len(calls) < 5 else float("nan")

    res = lr_range_test(nan_step, 0.1, 10.0, 30)
    assert res.diverged and res.stopped_at == 4 and len(calls) == 5


def test_suggestion_rules():
    rates = exponential_rates(1e-3, 1.0, 7)
    smoothed = np.array([2.0, 1.9, 1.5, 0.6, 0.4, 0.5, 3.0])
    res = RangeTest(rates, smoothed, smoothed, 6, True)
    assert res.lr_min_loss == rates[4]
    assert res.lr_steepest == rates[2]                  # the drop 1.5 -> 0.6 is the steepest
    assert math.isclose(res.suggest("min/10"), rates[4] / 10)
    assert res.suggest() == res.lr_steepest
    with pytest.raises(ValueError, match="rule must be 'steepest' or 'min/10'; got 'max'"):
        res.suggest("max")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: exponential_rates(0.0, 1.0, 5), ValueError, r"lr_min must be in \(0, inf\); got 0"),
        (lambda: exponential_rates(1.0, 1.0, 5), ValueError, r"lr_max must be > lr_min = 1; got 1.0"),
        (lambda: exponential_rates(0.1, 1.0, 1), ValueError, r"num_steps"),
        (lambda: smooth_losses([1.0], 1.0), ValueError, r"smoothing must be in \[0, 1\); got 1.0"),
        (lambda: smooth_losses([[1.0]], 0.5), ValueError, r"losses must be one-dimensional"),
        (lambda: lr_range_test(3, 0.1, 1.0, 5), TypeError, r"step must be callable"),
        (lambda: lr_range_test(lambda lr: 1.0, 0.1, 1.0, 5, diverge=1.0), ValueError, r"diverge must be in \(1, inf\)"),
    ],
)
def test_bad_arguments_are_rejected_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()

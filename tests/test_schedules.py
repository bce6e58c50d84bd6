"""Unit and property tests for descent.schedules (the torch comparison is in test_reference_schedules.py)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent.schedules import (
    Constant,
    CosineAnnealing,
    CosineWarmRestarts,
    Exponential,
    InverseTime,
    Linear,
    MultiStep,
    OneCycle,
    Schedule,
    StepDecay,
    Warmup,
)

EXAMPLES = [
    Constant(0.1),
    StepDecay(0.1, step_size=3, gamma=0.5),
    MultiStep(0.1, milestones=[1, 4, 9], gamma=0.3),
    Exponential(0.2, gamma=0.9),
    InverseTime(0.5, decay=0.2, power=0.75),
    CosineAnnealing(0.1, T_max=10, eta_min=0.01),
    CosineWarmRestarts(0.1, T_0=3, T_mult=2, eta_min=0.001),
    OneCycle(0.1, total_steps=40),
    OneCycle(0.1, total_steps=40, three_phase=True, anneal_strategy="linear"),
    Warmup(CosineAnnealing(0.1, T_max=20), warmup_steps=5, start_factor=0.2),
    Warmup(MultiStep(0.1, milestones=[2]), warmup_steps=0),
    Linear(0.1, start_factor=1.0, end_factor=0.0, total_iters=30),
    Linear(0.1),
]
IDS = [repr(s) for s in EXAMPLES]
N = 40  # every example is defined on 0..N-1


# --- calling conventions ---------------------------------------------------------------


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
def test_array_call_equals_scalar_loop(s):
    t = np.arange(N)
    loop = np.array([s(int(k)) for k in t])
    np.testing.assert_array_equal(s(t), loop)
    np.testing.assert_array_equal(s.values(N), loop)


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
def test_return_types_and_shapes(s):
    assert type(s(3)) is float
    assert type(s(np.int32(3))) is float
    assert s(3) == s(np.int64(3)) == s(np.array(3))
    grid = np.array([[0, 1, 2], [5, 7, 11]], dtype=np.int16)
    out = s(grid)
    assert out.dtype == np.float64 and out.shape == (2, 3)
    assert out[1, 2] == s(11)
    assert s.values(0).shape == (0,) and s.values(0).dtype == np.float64
    assert s(np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
def test_values_are_finite_and_nonnegative(s):
    v = s.values(N)
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
@pytest.mark.parametrize("bad", [1.0, np.float64(2.0), np.array([0.0, 1.0]), True, "3", None])
def test_non_integer_steps_are_rejected(s, bad):
    with pytest.raises(TypeError, match="t must be an integer"):
        s(bad)


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
def test_negative_steps_are_rejected(s):
    with pytest.raises(ValueError, match=r"t must be >= 0.*got -1"):
        s(-1)
    with pytest.raises(ValueError, match=r"t must be >= 0.*got -3"):
        s(np.array([0, 2, -3]))


@pytest.mark.parametrize("bad", [-1, 2.0, "4"])
def test_values_rejects_bad_n(bad):
    with pytest.raises((TypeError, ValueError), match="n must be"):
        Constant(0.1).values(bad)


@pytest.mark.parametrize("s", EXAMPLES, ids=IDS)
def test_repr_round_trips_and_instances_are_frozen(s):
    namespace = {cls.__name__: cls for cls in (type(s), Constant, CosineAnnealing, MultiStep)}
    assert eval(repr(s), namespace) == s
    assert hash(eval(repr(s), namespace)) == hash(s)
    field = dataclasses.fields(s)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(s, field, 1.0)


def test_repr_is_readable():
    assert repr(StepDecay(0.1, 30)) == "StepDecay(lr=0.1, step_size=30, gamma=0.1)"
    assert repr(MultiStep(0.1, [30, 60])) == "MultiStep(lr=0.1, milestones=(30, 60), gamma=0.1)"
    assert repr(Warmup(Constant(1), 5)) == "Warmup(schedule=Constant(lr=1.0), warmup_steps=5, start_factor=0.1)"


def test_schedule_is_abstract_base():
    assert all(isinstance(s, Schedule) for s in EXAMPLES)


# --- the formulas ----------------------------------------------------------------------


def test_closed_forms_at_known_points():
    assert StepDecay(1.0, step_size=2, gamma=0.5).values(6).tolist() == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert MultiStep(1.0, [1, 3], gamma=0.5).values(5).tolist() == [1, 0.5, 0.5, 0.25, 0.25]
    assert Exponential(1.0, gamma=0.5)(10) == 2.0**-10
    assert InverseTime(1.0, decay=1.0)(3) == 0.25
    assert InverseTime(1.0, decay=3.0, power=0.5)(1) == 0.5
    assert CosineAnnealing(1.0, T_max=4).values(5).tolist() == pytest.approx([1, 0.5 + 0.5**1.5, 0.5, 0.5 - 0.5**1.5, 0], abs=1e-15)
    assert Constant(0.3).values(3).tolist() == [0.3, 0.3, 0.3]


@given(
    lr=st.floats(1e-6, 10.0),
    gamma=st.floats(0.01, 1.0),
    step_size=st.integers(1, 20),
)
@settings(max_examples=50, deadline=None)
def test_decays_are_nonincreasing_and_start_at_lr(lr, gamma, step_size):
    for s in (
        StepDecay(lr, step_size, gamma),
        MultiStep(lr, [step_size, 2 * step_size + 1], gamma),
        Exponential(lr, gamma),
        InverseTime(lr, decay=1 - gamma, power=gamma + 0.1),
    ):
        v = s.values(60)
        assert v[0] == lr
        assert np.all(np.diff(v) <= 0), s


@given(lr=st.floats(1e-4, 1.0), gamma=st.floats(0.5, 1.0), t=st.integers(0, 500))
@settings(max_examples=50, deadline=None)
def test_exponential_matches_its_recursion(lr, gamma, t):
    s = Exponential(lr, gamma)
    assert s(t + 1) == pytest.approx(gamma * s(t), rel=1e-13)


@given(
    lr=st.floats(1e-3, 1.0),
    frac=st.floats(0.0, 1.0),
    T_max=st.integers(1, 100),
)
@settings(max_examples=50, deadline=None)
def test_cosine_decays_then_mirrors_with_period_2T(lr, frac, T_max):
    eta_min = frac * lr
    s = CosineAnnealing(lr, T_max, eta_min)
    down = s(np.arange(T_max + 1))
    assert down[0] == pytest.approx(lr, rel=1e-15) and down[-1] == pytest.approx(eta_min, abs=1e-15)
    assert np.all(np.diff(down) <= 1e-15)
    assert np.all(down >= eta_min - 1e-15) and np.all(down <= lr * (1 + 1e-15))
    # torch's formula keeps going past T_max: the rate climbs back to lr at 2 T_max.
    up = s(np.arange(T_max, 2 * T_max + 1))
    np.testing.assert_allclose(up, down[::-1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s(np.arange(4 * T_max) + 2 * T_max), s(np.arange(4 * T_max)), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_restart_at_cycle_starts(T_mult):
    lr, eta_min, T_0 = 0.1, 0.01, 4
    s = CosineWarmRestarts(lr, T_0, T_mult, eta_min)
    starts = [0]
    for i in range(4):
        starts.append(starts[-1] + T_0 * T_mult**i)
    v = s.values(starts[-1])
    assert np.all(v[starts[:-1]] == lr)
    for a, b in zip(starts, starts[1:]):
        cycle = v[a:b]
        assert np.all(np.diff(cycle) < 0)
        assert cycle[-1] > eta_min  # the lowest rate is one step short of eta_min
        np.testing.assert_allclose(cycle, CosineAnnealing(lr, b - a, eta_min).values(b - a), rtol=1e-13)


def test_warm_restarts_with_T_mult_1_is_periodic():
    s = CosineWarmRestarts(0.1, T_0=7)
    np.testing.assert_array_equal(s(np.arange(7, 70)), s(np.arange(63) % 7))


@given(
    W=st.integers(2, 50),
    f=st.floats(0.001, 1.0),
    lr=st.floats(1e-4, 1.0),
    inner=st.sampled_from(["cos", "exp", "step", "restarts"]),
)
@settings(max_examples=60, deadline=None)
def test_warmup_is_a_linear_ramp_that_joins_the_schedule(W, f, lr, inner):
    base = {
        "cos": CosineAnnealing(lr, 30),
        "exp": Exponential(lr, 0.9),
        "step": StepDecay(lr, 5, 0.5),
        "restarts": CosineWarmRestarts(lr, 4, 2),
    }[inner]
    s = Warmup(base, W, f)
    v = s.values(W + 40)
    assert v[0] == pytest.approx(f * lr, rel=1e-12)
    ramp = v[: W + 1]  # includes t = W, where the inner schedule starts
    np.testing.assert_allclose(np.diff(ramp), (1 - f) * lr / W, rtol=1e-9, atol=1e-15)
    assert v[W] == base(0)
    np.testing.assert_array_equal(v[W:], base.values(40))


def test_warmup_of_zero_steps_is_the_schedule_itself():
    base = CosineWarmRestarts(0.1, 3, 2)
    np.testing.assert_array_equal(Warmup(base, 0, 0.5).values(30), base.values(30))


def test_warmup_delays_a_one_cycle_and_keeps_its_end():
    s = Warmup(OneCycle(1.0, total_steps=10), warmup_steps=3)
    assert s.values(13)[3] == OneCycle(1.0, total_steps=10)(0)
    assert s(0) == pytest.approx(0.1 * 1.0 / 25)
    with pytest.raises(ValueError, match="total_steps"):
        s(13)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_shape(strategy, three_phase):
    s = OneCycle(2.0, total_steps=50, pct_start=0.2, anneal_strategy=strategy, three_phase=three_phase,
                 div_factor=20.0, final_div_factor=100.0)
    v = s.values(50)
    peak = 9  # p T - 1 = 9 is an integer step
    assert v[0] == pytest.approx(0.1, rel=1e-15) and v[peak] == 2.0 and v.argmax() == peak
    assert v[-1] == pytest.approx(0.1 / 100, rel=1e-12)
    assert np.all(np.diff(v[: peak + 1]) > 0)
    if three_phase:
        assert v[18] == pytest.approx(0.1)  # back at the initial rate at 2 p T - 2
        assert np.all(np.diff(v[peak:19]) < 0) and np.all(np.diff(v[18:]) < 0)
    else:
        assert np.all(np.diff(v[peak:]) < 0)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_momentum_moves_against_the_rate(strategy):
    s = OneCycle(1.0, total_steps=60, pct_start=0.3, anneal_strategy=strategy,
                 base_momentum=0.8, max_momentum=0.95)
    t = np.arange(60)
    lr, m = s(t), s.momentum(t)
    assert m[0] == 0.95 and m[17] == 0.8 and m[-1] == pytest.approx(0.95)
    assert np.all(np.sign(np.diff(lr)) == -np.sign(np.diff(m)))
    assert type(s.momentum(5)) is float
    assert s.momentum(np.array([3, 5])).tolist() == [s.momentum(3), s.momentum(5)]
    with pytest.raises(ValueError, match="total_steps = 60"):
        s.momentum(60)
    with pytest.raises(ValueError, match="t must be >= 0"):
        s.momentum(-2)


def test_one_cycle_three_phase_momentum_stays_high_in_phase_three():
    s = OneCycle(1.0, total_steps=40, pct_start=0.25, three_phase=True)
    m = s.momentum(np.arange(40))
    assert np.all(m[18:] == 0.95) and m[9] == 0.85


def test_one_cycle_is_defined_only_before_total_steps():
    s = OneCycle(1.0, total_steps=10)
    assert s.values(10).shape == (10,)
    with pytest.raises(ValueError, match=r"t must be < total_steps = 10.*got 10"):
        s(10)
    with pytest.raises(ValueError, match="total_steps"):
        s.values(11)


# --- argument validation ---------------------------------------------------------------

INVALID = [
    (lambda: Constant(-0.1), ValueError, r"lr must be in \[0, inf\); got -0.1"),
    (lambda: Constant(math.nan), ValueError, r"lr must be finite; got nan"),
    (lambda: Constant(math.inf), ValueError, r"lr must be finite"),
    (lambda: Constant("0.1"), TypeError, r"lr must be a real number"),
    (lambda: Constant(np.array([0.1, 0.2])), TypeError, r"lr must be a scalar"),
    (lambda: StepDecay(0.1, 0), ValueError, r"step_size must be an integer in \[1, inf\]; got 0"),
    (lambda: StepDecay(0.1, 2.5), TypeError, r"step_size must be an integer; got 2.5"),
    (lambda: StepDecay(0.1, 3, gamma=0.0), ValueError, r"gamma must be in \(0, 1\]; got 0.0"),
    (lambda: StepDecay(0.1, 3, gamma=1.5), ValueError, r"gamma must be in \(0, 1\]; got 1.5"),
    (lambda: MultiStep(0.1, [0, 5]), ValueError, r"milestones\[0\] must be an integer in \[1, inf\]; got 0"),
    (lambda: MultiStep(0.1, [5, 5]), ValueError, r"milestones must be strictly increasing; got \[5, 5\]"),
    (lambda: MultiStep(0.1, [6, 3]), ValueError, r"milestones must be strictly increasing; got \[6, 3\]"),
    (lambda: MultiStep(0.1, [2, 4.0]), TypeError, r"milestones\[1\] must be an integer; got 4.0"),
    (lambda: MultiStep(0.1, 5), TypeError, r"milestones must be a sequence of integers; got 5"),
    (lambda: MultiStep(0.1, [2], gamma=-1), ValueError, r"gamma must be in \(0, 1\]; got -1"),
    (lambda: Exponential(0.1, gamma=1.01), ValueError, r"gamma must be in \(0, 1\]; got 1.01"),
    (lambda: Exponential(-1.0, gamma=0.9), ValueError, r"lr must be in \[0, inf\); got -1.0"),
    (lambda: InverseTime(0.1, decay=-0.5), ValueError, r"decay must be in \[0, inf\); got -0.5"),
    (lambda: InverseTime(0.1, decay=0.5, power=0.0), ValueError, r"power must be in \(0, inf\); got 0.0"),
    (lambda: CosineAnnealing(0.1, T_max=0), ValueError, r"T_max must be an integer in \[1, inf\]; got 0"),
    (lambda: CosineAnnealing(0.1, T_max=10.0), TypeError, r"T_max must be an integer; got 10.0"),
    (lambda: CosineAnnealing(0.1, 10, eta_min=0.2), ValueError, r"eta_min must be in \[0, lr\] = \[0, 0.1\]; got 0.2"),
    (lambda: CosineAnnealing(0.1, 10, eta_min=-0.01), ValueError, r"eta_min must be in \[0, inf\); got -0.01"),
    (lambda: CosineWarmRestarts(0.1, T_0=0), ValueError, r"T_0 must be an integer in \[1, inf\]; got 0"),
    (lambda: CosineWarmRestarts(0.1, T_0=5, T_mult=0), ValueError, r"T_mult must be an integer in \[1, inf\]; got 0"),
    (lambda: CosineWarmRestarts(0.1, T_0=5, T_mult=1.5), TypeError, r"T_mult must be an integer; got 1.5"),
    (lambda: CosineWarmRestarts(0.1, 5, eta_min=1.0), ValueError, r"eta_min must be in \[0, lr\]"),
    (lambda: Warmup(lambda t: 0.1, 5), TypeError, r"schedule must be a descent.schedules.Schedule"),
    (lambda: Warmup(Constant(0.1), -1), ValueError, r"warmup_steps must be an integer in \[0, inf\]; got -1"),
    (lambda: Warmup(Constant(0.1), 5, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\]; got 0.0"),
    (lambda: Warmup(Constant(0.1), 5, start_factor=1.2), ValueError, r"start_factor must be in \(0, 1\]; got 1.2"),
    (lambda: OneCycle(-1.0, 100), ValueError, r"max_lr must be in \[0, inf\); got -1.0"),
    (lambda: OneCycle(0.1, 1), ValueError, r"total_steps must be an integer in \[2, inf\]; got 1"),
    (lambda: OneCycle(0.1, 100.0), TypeError, r"total_steps must be an integer; got 100.0"),
    (lambda: OneCycle(0.1, 100, pct_start=0.0), ValueError, r"pct_start must be in \(0, 1\); got 0.0"),
    (lambda: OneCycle(0.1, 100, pct_start=1.0), ValueError, r"pct_start must be in \(0, 1\); got 1.0"),
    (lambda: OneCycle(0.1, 10, pct_start=0.1), ValueError, r"pct_start \* total_steps must be > 1.*pct_start=0.1, total_steps=10"),
    (lambda: OneCycle(0.1, 100, pct_start=0.6, three_phase=True), ValueError, r"pct_start must be in \(0, 0.5\] when three_phase=True; got 0.6"),
    (lambda: OneCycle(0.1, 100, three_phase="yes"), TypeError, r"three_phase must be a bool; got 'yes'"),
    (lambda: OneCycle(0.1, 100, anneal_strategy="cosine"), ValueError, r"anneal_strategy must be 'cos' or 'linear'; got 'cosine'"),
    (lambda: OneCycle(0.1, 100, div_factor=0.5), ValueError, r"div_factor must be in \[1, inf\); got 0.5"),
    (lambda: OneCycle(0.1, 100, final_div_factor=0.0), ValueError, r"final_div_factor must be in \[1, inf\); got 0.0"),
    (lambda: OneCycle(0.1, 100, base_momentum=-0.1), ValueError, r"base_momentum must be in \[0, 1\); got -0.1"),
    (lambda: OneCycle(0.1, 100, max_momentum=1.0), ValueError, r"max_momentum must be in \[0, 1\); got 1.0"),
    (lambda: OneCycle(0.1, 100, base_momentum=0.9, max_momentum=0.8), ValueError, r"base_momentum must be <= max_momentum = 0.8; got 0.9"),
]


@pytest.mark.parametrize(
    "make, error, message", INVALID, ids=[f"{i:02d}-{m.split(' ')[0]}" for i, (_, _, m) in enumerate(INVALID)]
)
def test_invalid_arguments_are_rejected_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_valid_edge_values_are_accepted():
    assert Constant(0)(5) == 0.0
    assert Exponential(0.1, gamma=1.0)(100) == 0.1
    assert CosineAnnealing(0.1, 1, eta_min=0.1).values(3).tolist() == [0.1, 0.1, 0.1]
    assert MultiStep(0.1, [])(10) == 0.1
    assert MultiStep(0.1, (np.int64(2),)).milestones == (2,)
    assert Warmup(Constant(0.1), 3, start_factor=1.0).values(4).tolist() == [0.1] * 4
    assert OneCycle(0.1, 2, pct_start=0.6).values(2).shape == (2,)
    assert OneCycle(0.1, 10, pct_start=0.5, three_phase=True).values(10).shape == (10,)


# --- Linear (torch LinearLR) -------------------------------------------------------------


def test_linear_closed_form_and_torch_recursion():
    # torch's LinearLR: lr_t = lr_{t-1} * (1 + (f1 - f0) / (T f0 + (t - 1)(f1 - f0))) for 1 <= t <= T
    lr, f0, f1, T = 0.3, 0.25, 0.9, 7
    s = Linear(lr, start_factor=f0, end_factor=f1, total_iters=T)
    rec = [lr * f0]
    for t in range(1, 12):
        prev = rec[-1]
        rec.append(prev if t > T else prev * (1 + (f1 - f0) / (T * f0 + (t - 1) * (f1 - f0))))
    np.testing.assert_allclose(s.values(12), rec, rtol=1e-12)


def test_linear_decay_to_zero():
    s = Linear(2.0, start_factor=1.0, end_factor=0.0, total_iters=10)
    v = s.values(12)
    assert v[0] == 2.0 and v[10] == 0.0 and v[11] == 0.0
    np.testing.assert_allclose(np.diff(v[:11]), -0.2, rtol=1e-12)
    # its T rates sum to lr (T + 1) / 2: half the area of a constant rate, like a cosine
    assert math.isclose(v[:10].sum(), 2.0 * 11 / 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start_factor=0.0), r"start_factor must be in \(0, 1\]; got 0.0"),
        (dict(start_factor=1.5), r"start_factor must be in \(0, 1\]; got 1.5"),
        (dict(end_factor=-0.1), r"end_factor must be in \[0, 1\]; got -0.1"),
        (dict(total_iters=0), r"total_iters"),
        (dict(lr=-1.0), r"lr must be"),
    ],
)
def test_linear_rejects_bad_arguments(kwargs, message):
    args = dict(lr=0.1, start_factor=0.5, end_factor=1.0, total_iters=3) | kwargs
    with pytest.raises(ValueError, match=message):
        Linear(**args)

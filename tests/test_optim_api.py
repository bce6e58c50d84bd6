"""The optimizer base: declared ranges, named buffers, extra arguments, and the small API points of issue 17."""

from __future__ import annotations

import inspect
import warnings
from typing import NamedTuple

import numpy as np
import pytest

from descent import optim
from descent.optim import (SGD, AdaBelief, Adam, AdamW, Interval, Lion, NAdam, RAdam, RMSprop,
                           buffers)
from descent.optim.base import Optimizer


# ------------------------------------------------------------ one list, one range table
def test_optimizers_listed_once():
    classes = {obj for name in optim.__all__ if isinstance(obj := getattr(optim, name), type)
               and issubclass(obj, Optimizer) and obj is not Optimizer}
    assert classes == set(optim.OPTIMIZERS)
    assert len(set(optim.OPTIMIZERS)) == len(optim.OPTIMIZERS)
    for cls in optim.OPTIMIZERS:
        assert cls.__name__ in optim.__all__


def test_interval():
    unit, pos = Interval(0.0, 1.0), Interval(0.0, None, low_open=True)
    closed = Interval(0.0, 1.0, high_open=False)
    assert (str(unit), str(pos), str(closed)) == ("[0, 1)", "(0, inf)", "[0, 1]")
    assert unit.contains(0.0) and not unit.contains(1.0) and closed.contains(1.0)
    assert not pos.contains(0.0) and pos.contains(1e300) and not unit.contains(np.nan)
    assert unit.contains(np.array([0.0, 0.5])) and not unit.contains(np.array([0.5, 2.0]))
    assert unit.clip(3.0) < 1.0 and unit.contains(unit.clip(3.0)) and unit.clip(-1.0) == 0.0
    assert pos.contains(pos.clip(0.0)) and closed.clip(2.0) == 1.0
    with pytest.raises(AttributeError):
        unit.low = 2.0  # frozen


@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_ranges_declared_for_every_real_hyperparameter(cls):
    sig = inspect.signature(cls)
    real = {n for n, p in sig.parameters.items()
            if isinstance(p.default, (float, tuple)) or n in ("lr", "initial_lr")}
    assert set(cls.RANGES) == real, f"RANGES {sorted(cls.RANGES)} vs real arguments {sorted(real)}"
    assert all(isinstance(v, Interval) for v in cls.RANGES.values())
    # every default lies in its range
    for name, interval in cls.RANGES.items():
        default = sig.parameters[name].default
        for v in (default if isinstance(default, tuple) else (default,)):
            assert v is None or interval.contains(v), (name, v, interval)


@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_constructors_validate_through_ranges(cls):
    """Just outside each declared interval is rejected with the argument and the range named."""
    for name, iv in cls.RANGES.items():
        outside = [iv.low if iv.low_open else iv.low - 0.5] if iv.low is not None else []
        if iv.high is not None:
            outside.append(iv.high if iv.high_open else iv.high + 0.5)
        for bad in outside:
            value = (bad, 0.5) if name == "betas" else bad
            label = "beta1" if name == "betas" else name
            with pytest.raises(ValueError, match=rf"{label} must be in {iv}".replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
                cls(**{name: value})
        inside = iv.clip(0.5)
        cls(**{name: (inside, inside) if name == "betas" else inside})  # accepted


# ----------------------------------------------------------------------- named buffers
def test_only_the_buffers_a_configuration_uses():
    p = np.zeros((4, 5), np.float32)
    assert buffers(SGD().init(p)) == {}
    assert list(buffers(SGD(momentum=0.9).init(p))) == ["momentum_buffer"]
    assert list(buffers(Adam().init(p))) == ["exp_avg", "exp_avg_sq"]
    assert list(buffers(Adam(amsgrad=True).init(p))) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert list(buffers(RMSprop().init(p))) == ["square_avg"]
    assert list(buffers(RMSprop(centered=True, momentum=0.5).init(p))) == [
        "square_avg", "grad_avg", "momentum_buffer"]
    assert list(buffers(AdaBelief().init(p))) == ["exp_avg", "exp_avg_var"]
    # memory per parameter read from the state: Adam 2x the params, as torch
    nbytes = sum(b.nbytes for b in buffers(Adam().init(p)).values())
    assert nbytes == 2 * p.nbytes
    assert "mu_product" not in buffers(NAdam().init(p)) and "step" not in buffers(NAdam().init(p))
    with pytest.raises(TypeError, match="optimizer state"):
        buffers((1, 2))


def test_state_from_another_configuration_is_rejected():
    p = np.zeros(3)
    with pytest.raises(ValueError, match="lacks the buffer 'max_exp_avg_sq'"):
        Adam(amsgrad=True).update(p, p, Adam().init(p))
    with pytest.raises(ValueError, match="holds the buffer 'momentum_buffer'"):
        SGD().update(p, p, SGD(momentum=0.9).init(p))


# ------------------------------------------------------- extra arguments, other shapes
@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_extra_update_arguments_accepted_and_ignored(cls):
    opt = cls(lr=0.01)
    p, g = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    if cls is optim.Muon:  # matrices only
        p, g = p[None, :], g[None, :]
    a, _ = opt.update(p, g, opt.init(p))
    if cls is optim.Sophia:  # the one optimizer that uses a curvature estimate
        b, _ = opt.update(p, g, opt.init(p), loss=1.5)
        c, _ = opt.update(p, g, opt.init(p), hessian=np.ones(2))
        assert np.all(a != c)
    else:
        b, _ = opt.update(p, g, opt.init(p), loss=1.5, hessian=np.ones_like(p))
    np.testing.assert_array_equal(a, b)


class GramState(NamedTuple):
    step: int
    gram: object

    BUFFERS = ("gram",)


class Whitened(Optimizer):
    """A toy Shampoo-like rule: a (d, d) buffer per (d,) parameter, and the loss as an extra argument."""

    State = GramState
    RANGES = {"lr": Interval(0.0, None)}
    elementwise = False

    def __init__(self, lr=0.1):
        self._set(lr=lr)

    def _buffer_shape(self, name, p):
        return (p.shape[-1], p.shape[-1])

    def _context(self, state, t, extra):
        return extra.get("loss", 1.0), {}

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        b["gram"] += np.outer(g, g)
        p -= lr * ctx * np.linalg.solve(b["gram"] + np.eye(p.size), g)


def test_buffers_not_shaped_like_params_and_extra_arguments():
    opt = Whitened()
    p = np.array([1.0, 2.0, 3.0])
    s = opt.init(p)
    assert s.gram.shape == (3, 3)
    q, s2 = opt.update(p, np.ones(3), s, loss=2.0)
    want = p - 0.1 * 2.0 * np.linalg.solve(np.ones((3, 3)) + np.eye(3), np.ones(3))
    np.testing.assert_allclose(q, want, rtol=1e-15)
    r, s3 = opt.update_(p.copy(), np.ones(3), s, loss=2.0)
    np.testing.assert_array_equal(q, r)
    with pytest.raises(ValueError, match=r"state.gram has shape \(3, 3\), but it must have shape \(2, 2\)"):
        opt.update(np.ones(2), np.ones(2), s)


# ------------------------------------------------------------- issue 17's API points
def test_adam_signature_says_false():
    assert inspect.signature(Adam).parameters["decoupled_weight_decay"].default is False
    assert Adam().decoupled_weight_decay is False and AdamW().decoupled_weight_decay is True


def test_lion_initial_lr_under_a_schedule():
    """lion-pytorch divides weight_decay by the constructor lr; with a warm-up, lr(0) is not that."""
    sched = lambda t: 0.01 * min(1.0, (t + 1) / 10)  # noqa: E731
    p, g = np.array([1.0, -1.0]), np.array([0.5, -0.5])
    opt = Lion(lr=sched, weight_decay=0.1, decoupled_weight_decay=True, initial_lr=0.01)
    q, _ = opt.update(p, g, opt.init(p))
    # decay per step = lr(0) * wd / initial_lr = 0.001 * 0.1 / 0.01
    np.testing.assert_allclose(q, p * (1 - 0.001 * 0.1 / 0.01) - 0.001 * np.sign(g), rtol=1e-15)
    q0, _ = Lion(lr=sched, weight_decay=0.1, decoupled_weight_decay=True).update(p, g, opt.init(p))
    np.testing.assert_allclose(q0, p * (1 - 0.1) - 0.001 * np.sign(g), rtol=1e-15)  # lr(0) fallback
    with pytest.raises(ValueError, match=r"initial_lr must be in \(0, inf\)"):
        Lion(initial_lr=0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_adabelief_rectify_does_not_evaluate_the_discarded_branch(dtype):
    p = np.array([1.0, -1.0], dtype=dtype)
    for kw in (dict(eps=0.0), dict(eps=0.0, degenerated_to_sgd=False), dict()):
        opt = AdaBelief(lr=0.01, **kw)
        s = opt.init(p)
        q = p
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a RuntimeWarning fails the test
            for _ in range(4):  # rho_t < 5: the rectified branch is not taken
                q, s = opt.update(q, np.zeros(2, dtype), s)
        assert np.all(np.isfinite(q))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = AdaBelief(lr=0.01, betas=(0.9, np.array([[0.5], [0.999]])), eps=0.0)
        q, s = np.ones((2, 2), dtype), grid.init(np.ones((2, 2), dtype))
        for _ in range(3):
            q, s = grid.update(q, np.zeros((2, 2), dtype), s)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        radam = RAdam(lr=0.01, betas=(0.9, np.array([[0.5], [0.999]])), eps=0.0)
        q, s = np.ones((2, 2), dtype), radam.init(np.ones((2, 2), dtype))
        for _ in range(3):
            q, s = radam.update(q, np.zeros((2, 2), dtype), s)


def test_array_betas_are_shape_checked_in_init():
    opt = Adam(betas=(np.full((3, 1), 0.9), 0.999))
    with pytest.raises(ValueError, match=r"beta1 has shape \(3, 1\), which does not broadcast to the parameter shape \(2, 2\)"):
        opt.init(np.zeros((2, 2)))
    opt = Lion(betas=(0.9, np.full((4,), 0.99)))
    with pytest.raises(ValueError, match=r"beta2 has shape \(4,\)"):
        opt.init({"w": np.zeros((2, 3))})
    Adam(betas=(np.full((2, 1), 0.9), 0.999)).init(np.zeros((2, 2)))  # broadcasts: fine


def test_schedule_returning_the_wrong_shape_or_a_non_number():
    p = np.zeros((2, 2))
    opt = SGD(lr=lambda t: np.ones(3))
    with pytest.raises(ValueError, match=r"lr schedule's value at step 0 has shape \(3,\), which does not broadcast to the parameter shape \(2, 2\)"):
        opt.update(p, p, opt.init(p))
    opt = SGD(lr=lambda t: "0.1")
    with pytest.raises(TypeError, match=r"lr schedule returned '0.1' \(str\) at step 0"):
        opt.update(p, p, opt.init(p))
    opt = SGD(lr=lambda t: None)
    with pytest.raises(TypeError, match=r"lr schedule returned None \(NoneType\) at step 0"):
        opt.update(p, p, opt.init(p))
    opt = SGD(lr=lambda t: np.full((2, 1), 0.1))  # a grid schedule that broadcasts is fine
    q, _ = opt.update(p, np.ones((2, 2)), opt.init(p))
    np.testing.assert_allclose(q, -0.1)

r"""Learning-rate schedules: the step size as a function of the update count.

A schedule is a callable ``s(t)`` giving the learning rate of the next update,
where ``t = 0, 1, 2, ...`` counts the updates already taken: an optimizer calls
``lr(t)`` just before its (t+1)-th update, so in the book's notation (steps
counted from 1) :math:`\eta_{t+1} = s(t)`. This is the value a
``torch.optim.lr_scheduler`` holds after ``t`` calls to ``scheduler.step()``
when it is stepped once per optimizer step. η denotes the base rate ``lr``.

Every schedule is a frozen dataclass whose arguments are checked when it is
built. ``s(t)`` accepts an integer or an integer array and returns a ``float``
or a float64 array of the same shape; ``s.values(n)`` returns s(0), ..., s(n-1).

Torch writes several schedulers recursively (s(t) from s(t-1)); the closed
forms here agree with torch 2.13's recorded values to 1e-10 relative
(``tests/test_reference_schedules.py``).

>>> s = Warmup(CosineAnnealing(0.1, T_max=90), warmup_steps=10)
>>> s.values(4).round(4)
array([0.01 , 0.019, 0.028, 0.037])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._validation import check_in_range, check_int

__all__ = [
    "Schedule", "Constant", "StepDecay", "MultiStep", "Exponential", "InverseTime",
    "CosineAnnealing", "CosineWarmRestarts", "Warmup", "OneCycle", "Linear",
]


def _steps(t: Any) -> np.ndarray:
    """Return ``t`` as an int64 array after checking it holds integers >= 0."""
    arr = np.asarray(t)
    if isinstance(t, (bool, np.bool_)) or not np.issubdtype(arr.dtype, np.integer):
        what = f"dtype {arr.dtype}" if isinstance(t, np.ndarray) else repr(t)
        raise TypeError(f"t must be an integer or an array of integers (updates taken); got {what}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"t must be >= 0 (the number of updates taken); got {int(arr.min())}")
    return arr.astype(np.int64)


def _lr(name: str, value: Any) -> float:
    return check_in_range(name, value, 0.0, None, allow_array=False)


def _gamma(value: Any) -> float:
    return check_in_range("gamma", value, 0, 1, low_open=True, high_open=False, allow_array=False)


def _eta_min(value: Any, lr: float) -> float:
    eta_min = _lr("eta_min", value)
    if eta_min > lr:
        raise ValueError(f"eta_min must be in [0, lr] = [0, {lr:g}]; got {eta_min!r}")
    return eta_min


def _cosine(lr: float, eta_min: float, frac: np.ndarray) -> np.ndarray:
    # The operation order of torch's closed form, so rounding matches where torch uses it.
    return eta_min + (lr - eta_min) * (1 + np.cos(math.pi * frac)) / 2


class Schedule:
    """Base class: subclasses implement ``_evaluate(t)`` on an int64 array ``t >= 0``."""

    def __call__(self, t: int | np.ndarray) -> float | np.ndarray:
        """Return s(t): a ``float`` for an integer ``t``, a float64 array for an array."""
        steps = _steps(t)
        out = np.array(np.broadcast_to(self._evaluate(steps), steps.shape), dtype=np.float64)
        return float(out) if out.ndim == 0 else out

    def values(self, n: int) -> np.ndarray:
        """Return the first ``n`` rates ``[s(0), ..., s(n-1)]`` as a float64 array."""
        n = check_int("n", n, low=0)
        return self(np.arange(n))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"{type(self).__name__}({args})"


def _set(obj: Schedule, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True, repr=False)
class Constant(Schedule):
    r"""The same rate at every step, :math:`s(t) = \eta`.

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.

    Examples
    --------
    >>> Constant(0.1)(7)
    0.1
    """

    lr: float

    def __post_init__(self) -> None:
        _set(self, lr=_lr("lr", self.lr))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return np.full(t.shape, self.lr)


@dataclass(frozen=True, repr=False)
class StepDecay(Schedule):
    r"""Multiply the rate by γ every ``step_size`` updates (torch ``StepLR``).

    .. math:: s(t) = \eta \, \gamma^{\lfloor t / s \rfloor}

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    step_size : int
        s, the period of the decay, >= 1.
    gamma : float
        γ, the factor applied at every period, in (0, 1].

    Examples
    --------
    >>> StepDecay(1.0, step_size=2, gamma=0.5).values(5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _set(self, lr=_lr("lr", self.lr), step_size=check_int("step_size", self.step_size, low=1))
        _set(self, gamma=_gamma(self.gamma))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return self.lr * self.gamma ** (t // self.step_size)


@dataclass(frozen=True, repr=False)
class MultiStep(Schedule):
    r"""Multiply the rate by γ at each milestone (torch ``MultiStepLR``).

    .. math:: s(t) = \eta \, \gamma^{\#\{i \,:\, m_i \le t\}}

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    milestones : sequence of int
        m_1 < m_2 < ..., strictly increasing integers >= 1; the rate drops at
        update index m_i. Stored as a tuple. (Torch also accepts repeated
        milestones, meaning γ², which is rejected here: write a smaller γ.)
    gamma : float
        γ, in (0, 1].

    Examples
    --------
    >>> MultiStep(1.0, milestones=[1, 3], gamma=0.5).values(4)
    array([1.  , 0.5 , 0.5 , 0.25])
    """

    lr: float
    milestones: tuple[int, ...]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        try:
            ms = tuple(self.milestones)
        except TypeError:
            raise TypeError(f"milestones must be a sequence of integers; got {self.milestones!r}") from None
        for i, m in enumerate(ms):
            check_int(f"milestones[{i}]", m, low=1)
        if any(b <= a for a, b in zip(ms, ms[1:])):
            raise ValueError(f"milestones must be strictly increasing; got {list(ms)}")
        _set(self, lr=_lr("lr", self.lr), milestones=tuple(int(m) for m in ms), gamma=_gamma(self.gamma))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        passed = np.searchsorted(np.asarray(self.milestones, dtype=np.int64), t, side="right")
        return self.lr * self.gamma**passed


@dataclass(frozen=True, repr=False)
class Exponential(Schedule):
    r"""Multiply the rate by γ after every update (torch ``ExponentialLR``).

    .. math:: s(t) = \eta \, \gamma^{t}

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    gamma : float
        γ, in (0, 1]; γ = 1 gives a constant rate.

    Examples
    --------
    >>> Exponential(1.0, gamma=0.5).values(3)
    array([1.  , 0.5 , 0.25])
    """

    lr: float
    gamma: float

    def __post_init__(self) -> None:
        _set(self, lr=_lr("lr", self.lr), gamma=_gamma(self.gamma))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return self.lr * self.gamma**t


@dataclass(frozen=True, repr=False)
class InverseTime(Schedule):
    r"""Polynomial decay in t, the Robbins–Monro family.

    .. math:: s(t) = \frac{\eta}{(1 + \kappa t)^{p}}

    With p = 1 the rates sum to infinity while their squares do not, the
    classical condition for stochastic approximation; any p in (1/2, 1] has
    this property. Torch has no class for it; ``LambdaLR`` with the factor
    ``1 / (1 + κ t) ** p`` gives the same values.

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    decay : float
        κ, finite and >= 0 (κ = 0 gives a constant rate).
    power : float
        p, finite and > 0.

    Examples
    --------
    >>> InverseTime(1.0, decay=1.0).values(4)
    array([1.        , 0.5       , 0.33333333, 0.25      ])
    """

    lr: float
    decay: float
    power: float = 1.0

    def __post_init__(self) -> None:
        _set(self, lr=_lr("lr", self.lr), decay=_lr("decay", self.decay))
        _set(self, power=check_in_range("power", self.power, 0.0, None, low_open=True, allow_array=False))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return self.lr / (1.0 + self.decay * t) ** self.power


@dataclass(frozen=True, repr=False)
class CosineAnnealing(Schedule):
    r"""Half a cosine from η down to η_min over T_max updates (torch ``CosineAnnealingLR``).

    .. math::
        s(t) = \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
               \bigl(1 + \cos(\pi t / T_{\max})\bigr)

    The formula is applied for every t, as torch does: after t = T_max the
    rate climbs back up along the cosine and is η again at t = 2 T_max (the
    period is 2 T_max). Stop training at t = T_max, or use :class:`CosineWarmRestarts`, to avoid this.

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    T_max : int
        T_max, the number of updates of the decay, >= 1.
    eta_min : float
        η_min, in [0, lr].

    Examples
    --------
    >>> CosineAnnealing(1.0, T_max=2).values(5)
    array([1. , 0.5, 0. , 0.5, 1. ])
    """

    lr: float
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        lr = _lr("lr", self.lr)
        _set(self, lr=lr, T_max=check_int("T_max", self.T_max, low=1), eta_min=_eta_min(self.eta_min, lr))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return _cosine(self.lr, self.eta_min, t / self.T_max)


@dataclass(frozen=True, repr=False)
class CosineWarmRestarts(Schedule):
    r"""Cosine annealing restarted at η (SGDR; torch ``CosineAnnealingWarmRestarts``).

    Cycle i lasts :math:`T_i = T_0 m^i` updates. With t_cur the updates since
    the last restart,

    .. math::
        s(t) = \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
               \bigl(1 + \cos(\pi \, t_{\mathrm{cur}} / T_i)\bigr),

    so the rate never quite reaches η_min: the step after the lowest one is a
    restart. Only integer steps are supported (torch also accepts fractional
    epochs).

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    T_0 : int
        Length of the first cycle, >= 1.
    T_mult : int
        m, growth factor of the cycle length, >= 1.
    eta_min : float
        η_min, in [0, lr].

    Examples
    --------
    >>> CosineWarmRestarts(1.0, T_0=2, T_mult=2).values(7).round(2)
    array([1.  , 0.5 , 1.  , 0.85, 0.5 , 0.15, 1.  ])
    """

    lr: float
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        lr = _lr("lr", self.lr)
        _set(self, lr=lr, T_0=check_int("T_0", self.T_0, low=1), eta_min=_eta_min(self.eta_min, lr))
        _set(self, T_mult=check_int("T_mult", self.T_mult, low=1))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        if self.T_mult == 1:
            t_cur, t_i = t % self.T_0, np.full(t.shape, self.T_0)
        else:
            # Restart times 0, T_0, T_0(1 + m), ...: exact integers, found by search.
            starts, length = [0], self.T_0
            last = int(t.max()) if t.size else 0
            while starts[-1] <= last:
                starts.append(starts[-1] + length)
                length *= self.T_mult
            starts_arr = np.asarray(starts, dtype=np.int64)
            cycle = np.searchsorted(starts_arr, t, side="right") - 1
            t_cur, t_i = t - starts_arr[cycle], np.diff(starts_arr)[cycle]
        return _cosine(self.lr, self.eta_min, t_cur / t_i)


@dataclass(frozen=True, repr=False)
class Warmup(Schedule):
    r"""A linear ramp over the first ``warmup_steps`` updates, then ``schedule``.

    With W = ``warmup_steps``, f = ``start_factor`` and s = ``schedule``, the
    warmed-up schedule is

    .. math::
        w(t) = \begin{cases}
            s(0)\,\bigl(f + (1 - f)\, t / W\bigr) & t < W, \\
            s(t - W) & t \ge W,
        \end{cases}

    so w(0) = f·s(0), the ramp would reach s(0) at t = W, and ``schedule``
    starts from its own step 0 there (it is delayed, not cut short). This
    equals torch's ``SequentialLR(opt, [LinearLR(opt, start_factor=f,
    total_iters=W), inner], milestones=[W])`` when the optimizer's lr equals
    s(0), as it does for every schedule here except :class:`OneCycle`.

    Parameters
    ----------
    schedule : Schedule
        The schedule that follows the warm-up.
    warmup_steps : int
        W, >= 0 (0 means no warm-up).
    start_factor : float
        f, the fraction of s(0) used at t = 0, in (0, 1] as in torch's
        ``LinearLR`` (0 would waste the first update).

    Examples
    --------
    >>> Warmup(Constant(1.0), warmup_steps=4, start_factor=0.2).values(6)
    array([0.2, 0.4, 0.6, 0.8, 1. , 1. ])
    """

    schedule: Schedule
    warmup_steps: int
    start_factor: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise TypeError(f"schedule must be a descent.schedules.Schedule; got {self.schedule!r}")
        f = check_in_range(
            "start_factor", self.start_factor, 0, 1, low_open=True, high_open=False, allow_array=False
        )
        _set(self, warmup_steps=check_int("warmup_steps", self.warmup_steps, low=0), start_factor=f)

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        w, f = self.warmup_steps, self.start_factor
        after = self.schedule._evaluate(np.maximum(t - w, 0))
        if w == 0:
            return after
        peak = self.schedule._evaluate(np.zeros((), dtype=np.int64))
        return np.where(t < w, peak * (f + (1 - f) * np.minimum(t, w) / w), after)


@dataclass(frozen=True, repr=False)
class OneCycle(Schedule):
    r"""The 1cycle policy: up to ``max_lr`` and down far below the start (torch ``OneCycleLR``).

    With η_max = ``max_lr``, η_init = η_max / ``div_factor``, η_end =
    η_init / ``final_div_factor``, T = ``total_steps`` and p = ``pct_start``,
    torch's phase boundaries are :math:`e_1 = pT - 1` and :math:`e_2 = T - 1`.
    Within a phase from (a, η_a) to (b, η_b) the rate is
    :math:`s(t) = A(\eta_a, \eta_b, (t - a)/(b - a))` with the cosine
    interpolation :math:`A(x, y, u) = y + \tfrac12 (x - y)(1 + \cos \pi u)`,
    or :math:`A(x, y, u) = x + (y - x) u` for ``anneal_strategy="linear"``:

    - two phases: η_init → η_max on [0, e_1], then η_max → η_end on [e_1, T-1];
    - ``three_phase=True``: η_init → η_max on [0, e_1], back to η_init on
      [e_1, 2pT - 2], then η_init → η_end on [2pT - 2, T - 1].

    Each t belongs to the first phase whose end is >= t. Since e_1 is
    fractional in general, the peak η_max itself is hit only when pT is an
    integer. The momentum moves the opposite way between ``max_momentum`` and
    ``base_momentum`` (see :meth:`momentum`). The schedule is defined for
    t < T and raises beyond. Torch also returns a value at t = T, the lr it
    holds after the last update: the last phase continued past its end, which
    for cosine annealing climbs back up (0.0495 for η_max = 1, T = 10).

    Parameters
    ----------
    max_lr : float
        η_max, finite and >= 0.
    total_steps : int
        T, the number of updates, >= 2.
    pct_start : float
        p, in (0, 1), with pT > 1 so that the rising phase holds t = 0 (torch
        divides by zero at pT = 1 and skips the rise for pT < 1); p <= 0.5
        when ``three_phase``, so that the third phase is not empty.
    anneal_strategy : {"cos", "linear"}
    div_factor, final_div_factor : float
        Finite and >= 1.
    three_phase : bool
    base_momentum, max_momentum : float
        In [0, 1), base_momentum <= max_momentum.

    Examples
    --------
    >>> s = OneCycle(1.0, total_steps=9, pct_start=1 / 3, anneal_strategy="linear",
    ...              div_factor=10, final_div_factor=10)
    >>> s.values(9)
    array([0.1  , 0.55 , 1.   , 0.835, 0.67 , 0.505, 0.34 , 0.175, 0.01 ])
    >>> s.momentum(2), s.momentum(8)
    (0.85, 0.95)
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    base_momentum: float = 0.85
    max_momentum: float = 0.95

    def __post_init__(self) -> None:
        total = check_int("total_steps", self.total_steps, low=2)
        pct = check_in_range("pct_start", self.pct_start, 0, 1, low_open=True, allow_array=False)
        if pct * total <= 1:
            raise ValueError(
                f"pct_start * total_steps must be > 1 so the rising phase holds an update; "
                f"got pct_start={pct!r}, total_steps={total} (product {pct * total:g})"
            )
        if not isinstance(self.three_phase, (bool, np.bool_)):
            raise TypeError(f"three_phase must be a bool; got {self.three_phase!r}")
        if self.three_phase and pct > 0.5:
            raise ValueError(f"pct_start must be in (0, 0.5] when three_phase=True; got {pct!r}")
        if self.anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear'; got {self.anneal_strategy!r}")
        base_m = check_in_range("base_momentum", self.base_momentum, 0, 1, allow_array=False)
        max_m = check_in_range("max_momentum", self.max_momentum, 0, 1, allow_array=False)
        if base_m > max_m:
            raise ValueError(f"base_momentum must be <= max_momentum = {max_m!r}; got {base_m!r}")
        _set(self, max_lr=_lr("max_lr", self.max_lr), total_steps=total, pct_start=pct)
        for name in ("div_factor", "final_div_factor"):
            _set(self, **{name: check_in_range(name, getattr(self, name), 1.0, None, allow_array=False)})
        _set(self, three_phase=bool(self.three_phase), base_momentum=base_m, max_momentum=max_m)

    def _phases(self) -> list[tuple[float, float, float, float, float]]:
        """Rows (end_step, start_lr, end_lr, start_momentum, end_momentum), as torch builds them."""
        T, p = self.total_steps, self.pct_start
        hi, lo = self.max_momentum, self.base_momentum
        init = self.max_lr / self.div_factor
        end = init / self.final_div_factor
        if self.three_phase:
            return [
                (p * T - 1, init, self.max_lr, hi, lo),
                (2 * p * T - 2, self.max_lr, init, lo, hi),
                (T - 1, init, end, hi, hi),
            ]
        return [(p * T - 1, init, self.max_lr, hi, lo), (T - 1, self.max_lr, end, lo, hi)]

    def _interpolate(self, t: np.ndarray, columns: tuple[int, int]) -> np.ndarray:
        if t.size and t.max() >= self.total_steps:
            raise ValueError(
                f"t must be < total_steps = {self.total_steps} (a one-cycle schedule covers updates "
                f"0..{self.total_steps - 1}); got {int(t.max())}"
            )
        table = np.asarray(self._phases())
        ends = table[:, 0]
        starts = np.concatenate([[0.0], ends[:-1]])
        phase = np.minimum(np.searchsorted(ends, t, side="left"), len(ends) - 1)
        u = (t - starts[phase]) / (ends[phase] - starts[phase])
        x, y = table[phase, columns[0]], table[phase, columns[1]]
        if self.anneal_strategy == "cos":
            return y + (x - y) / 2.0 * (np.cos(math.pi * u) + 1)
        return (y - x) * u + x

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        return self._interpolate(t, (1, 2))

    def momentum(self, t: int | np.ndarray) -> float | np.ndarray:
        """Momentum (or Adam's β1) at update t, cycled opposite to the rate.

        It starts at ``max_momentum``, falls to ``base_momentum`` while the
        rate rises, and climbs back to ``max_momentum`` while the rate falls
        (in the third phase of ``three_phase`` it stays there).
        """
        steps = _steps(t)
        out = np.asarray(self._interpolate(steps, (3, 4)), dtype=np.float64)
        return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, repr=False)
class Linear(Schedule):
    r"""Linear interpolation of the rate's factor, then constant (torch ``LinearLR``).

    With f_0 = ``start_factor``, f_1 = ``end_factor`` and T = ``total_iters``,

    .. math:: s(t) = \eta \Bigl(f_0 + (f_1 - f_0) \frac{\min(t, T)}{T}\Bigr),

    the closed form of torch's recursive ``LinearLR``. ``Linear(lr, 1.0, 0.0,
    T)`` is *linear decay to zero* over a run of T updates (s(T) = 0, so the
    last of T updates uses s(T - 1) = η/T); ``Linear(lr, f, 1.0, W)`` is a
    linear warm-up.

    Parameters
    ----------
    lr : float
        η, the base rate, finite and >= 0.
    start_factor : float
        f_0, in (0, 1] (torch's range).
    end_factor : float
        f_1, in [0, 1].
    total_iters : int
        T, the number of updates of the ramp, >= 1.

    Examples
    --------
    >>> Linear(1.0, start_factor=1.0, end_factor=0.0, total_iters=4).values(6)
    array([1.  , 0.75, 0.5 , 0.25, 0.  , 0.  ])
    """

    lr: float
    start_factor: float = 1.0 / 3.0
    end_factor: float = 1.0
    total_iters: int = 5

    def __post_init__(self) -> None:
        f0 = check_in_range(
            "start_factor", self.start_factor, 0, 1, low_open=True, high_open=False, allow_array=False
        )
        f1 = check_in_range("end_factor", self.end_factor, 0, 1, high_open=False, allow_array=False)
        _set(self, lr=_lr("lr", self.lr), start_factor=f0, end_factor=f1)
        _set(self, total_iters=check_int("total_iters", self.total_iters, low=1))

    def _evaluate(self, t: np.ndarray) -> np.ndarray:
        frac = np.minimum(t, self.total_iters) / self.total_iters
        return self.lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)

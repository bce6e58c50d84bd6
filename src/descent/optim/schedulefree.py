r"""Schedule-free SGD and AdamW (Defazio et al., 2024), as the authors' ``schedulefree`` package.

A schedule-free method keeps two sequences and evaluates the gradient at a
third. :math:`z` takes plain (or Adam-normalized) gradient steps with a
*constant* learning rate; :math:`x` is a running weighted average of the
:math:`z` iterates; the gradient is taken at their interpolation
:math:`y = (1-\beta)z + \beta x`. The parameters the caller holds during
training are :math:`y`, as in the package (``optimizer.train()`` mode); the
averaged point :math:`x` to evaluate or deploy comes from :meth:`eval_params`
(the package's ``optimizer.eval()``).

Matching ``schedulefree`` 1.4.1 (``SGDScheduleFree``, ``AdamWScheduleFree``,
``foreach=False``): the averaging weight of step :math:`t` is
:math:`c_t = w_t/\sum_{s\le t} w_s` with :math:`w_t = t^r\,(\max_{s\le t}\eta_s)^{p}`,
where :math:`p` is ``weight_lr_power`` and :math:`\eta_t` includes the linear
warm-up over ``warmup_steps``.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Interval, Params, cast, leaves, rebuild
from .base import Optimizer

OPEN_UNIT = Interval(0.0, 1.0, low_open=True)  # (0, 1): x = y + (1 - 1/beta)(z - y) needs beta > 0


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


class SFSGDState(NamedTuple):
    step: int
    z: Params
    weight_sum: Any = 0.0
    lr_max: Any = -1.0

    BUFFERS = ("z",)


class SFAdamWState(NamedTuple):
    step: int
    z: Params
    exp_avg_sq: Params
    weight_sum: Any = 0.0
    lr_max: Any = -1.0

    BUFFERS = ("z", "exp_avg_sq")


class _ScheduleFree(Optimizer):
    """Shared pieces: the averaging weight, the warm-up, ``z`` starting at the parameters, :meth:`eval_params`."""

    def _beta(self) -> Hyper:
        raise NotImplementedError

    def _init_buffer(self, name: str, p: np.ndarray) -> np.ndarray:
        if name == "z":
            return np.array(p, dtype=self.state_dtype or p.dtype, copy=True)
        return super()._init_buffer(name, p)

    def _lr_at(self, step, pl):
        self._lr_now = super()._lr_at(step, pl)  # read by _context: a schedule is called once per step
        return self._lr_now

    def _context(self, state, t, extra):
        lr = self._lr_now
        k = state.step
        if k < self.warmup_steps:
            lr = lr * ((k + 1) / self.warmup_steps)
        if np.ndim(lr) == 0 and np.ndim(state.lr_max) == 0:
            lr_max = max(float(lr), float(state.lr_max))
            weight = ((k + 1) ** self.r) * (lr_max ** self.weight_lr_power)
            weight_sum = state.weight_sum + weight
            ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
        else:
            lr_max = np.maximum(lr, state.lr_max)
            weight = ((k + 1) ** self.r) * (lr_max ** self.weight_lr_power)
            weight_sum = state.weight_sum + weight
            with np.errstate(divide="ignore", invalid="ignore"):
                ckp1 = np.where(weight_sum != 0, weight / np.where(weight_sum != 0, weight_sum, 1.0), 0.0)
        return (lr, ckp1), {"weight_sum": weight_sum, "lr_max": lr_max}

    def eval_params(self, params: Params, state: Any) -> Params:
        r"""The averaged point :math:`x = y + (1 - 1/\beta)(z - y)` to evaluate (new arrays).

        ``params`` are the training-mode parameters :math:`y`; nothing is
        written. This is the package's ``optimizer.eval()``.
        """
        if not isinstance(state, self.State):
            raise TypeError(f"state must be the {self.State.__name__} returned by "
                            f"{type(self).__name__}.init; got {type(state).__name__}")
        keys, pl = leaves("params", params)
        _, zl = leaves("state.z", state.z)
        w = 1 - 1 / np.asarray(self._beta(), dtype=np.float64)
        out = []
        for y, z in zip(pl, zl):
            dt = np.result_type(y, z)
            out.append((y + cast(w, dt) * (z - y)).astype(y.dtype, copy=False))
        return rebuild(keys, out)

    @staticmethod
    def _average_and_step(p, z, d, lr, ckp1, beta, dt) -> None:
        # y <- y + c (z - y);  y <- y + lr (beta (1 - c) - 1) d;  z <- z - lr d
        p += cast(ckp1, dt) * (z - p)
        p += cast(lr * (beta * (1 - ckp1) - 1), dt) * d
        z -= cast(lr, dt) * d


class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-free SGD (Defazio et al., 2024), as ``schedulefree.SGDScheduleFree``.

    .. math::

        g_t &\leftarrow g_t + \lambda y_{t-1} \\
        y &\leftarrow y_{t-1} + c_t (z_{t-1} - y_{t-1}) \\
        y_t &= y + \eta_t\big(\beta(1-c_t) - 1\big) g_t, \qquad
        z_t = z_{t-1} - \eta_t g_t

    which is :math:`z_t = z_{t-1} - \eta_t g_t`,
    :math:`x_t = (1-c_t)x_{t-1} + c_t z_t`,
    :math:`y_t = (1-\beta)z_t + \beta x_t` with the gradient taken at
    :math:`y`. The caller's parameters are :math:`y`; :meth:`eval_params`
    gives :math:`x`. Use a constant ``lr`` (plus ``warmup_steps``): the
    averaging replaces the decay schedule.

    Parameters
    ----------
    lr : float, array or callable, default 1.0
    momentum : float in (0, 1), default 0.9
        :math:`\beta`, the interpolation weight.
    weight_decay : float >= 0, default 0
        L2, at :math:`y`.
    warmup_steps : int >= 0, default 0
    r : float >= 0, default 0
        Averaging weights grow as :math:`t^r`.
    weight_lr_power : float >= 0, default 2
    maximize : bool, default False
        Not in the package; negates the gradient first.
    state_dtype : dtype or None, default None

    Examples
    --------
    >>> import numpy as np
    >>> opt = ScheduleFreeSGD(lr=0.5)
    >>> y = np.array([4.0]); s = opt.init(y)
    >>> for _ in range(200):
    ...     y, s = opt.update(y, y - 1.0, s)     # f = (y - 1)^2 / 2
    >>> round(float(opt.eval_params(y, s)[0]), 3)
    1.0
    """

    State = SFSGDState
    RANGES = {"lr": NONNEG, "momentum": OPEN_UNIT, "weight_decay": NONNEG, "r": NONNEG,
              "weight_lr_power": NONNEG}
    CHEATSHEET = {
        "rule": r"z_t = z_{t-1} - \eta g_t,\ x_t = (1-c_t)x_{t-1} + c_t z_t,\ "
                r"y_t = (1-\beta) z_t + \beta x_t,\ g_t = \nabla L(y_{t-1}),\ c_t = 1/t",
        "use": "SGD without a decay schedule: constant lr, evaluate the average x",
    }

    def __init__(self, lr: LR = 1.0, momentum: Hyper = 0.9, weight_decay: Hyper = 0.0,
                 warmup_steps: int = 0, r: Hyper = 0.0, weight_lr_power: Hyper = 2.0, *,
                 maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, momentum=momentum, weight_decay=weight_decay, r=r,
                  weight_lr_power=weight_lr_power, maximize=maximize, state_dtype=state_dtype)
        self.warmup_steps = _check_int("warmup_steps", warmup_steps, 0)

    def _beta(self):
        return self.momentum

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        lr, ckp1 = ctx
        g = self._decay(p, g, lr, dt, False)
        self._average_and_step(p, b["z"], g, lr, ckp1, self.momentum, dt)


class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-free AdamW (Defazio et al., 2024), as ``schedulefree.AdamWScheduleFree``.

    .. math::

        v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        d_t = \frac{g_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon} + \lambda y_{t-1} \\
        y &\leftarrow y_{t-1} + c_t (z_{t-1} - y_{t-1}) \\
        y_t &= y + \eta_t\big(\beta_1(1-c_t) - 1\big) d_t, \qquad
        z_t = z_{t-1} - \eta_t d_t

    The schedule-free average with Adam's second moment and no first moment:
    :math:`\beta_1` is the interpolation weight, the role momentum plays.
    Weight decay is applied at :math:`y`, added to the normalized direction.

    Parameters
    ----------
    lr : float, array or callable, default 0.0025
    betas : pair, beta1 in (0, 1) and beta2 in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    warmup_steps : int >= 0, default 0
    r : float >= 0, default 0
    weight_lr_power : float >= 0, default 2
    maximize : bool, default False
    state_dtype : dtype or None, default None
    """

    State = SFAdamWState
    RANGES = {"lr": NONNEG, "betas": UNIT, "eps": NONNEG, "weight_decay": NONNEG, "r": NONNEG,
              "weight_lr_power": NONNEG}
    CHEATSHEET = {
        "rule": r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\ "
                r"z_t = z_{t-1} - \eta\, g_t/(\sqrt{v_t/(1-\beta_2^t)} + \epsilon),\ "
                r"x_t = (1-c_t)x_{t-1} + c_t z_t,\ y_t = (1-\beta_1) z_t + \beta_1 x_t",
        "use": "AdamW without a decay schedule: constant lr plus warm-up, evaluate x",
    }

    def __init__(self, lr: LR = 0.0025, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, warmup_steps: int = 0,
                 r: Hyper = 0.0, weight_lr_power: Hyper = 2.0, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, r=r,
                  weight_lr_power=weight_lr_power, maximize=maximize, state_dtype=state_dtype)
        self.warmup_steps = _check_int("warmup_steps", warmup_steps, 0)

    def _beta(self):
        return self.betas[0]

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        lr, ckp1 = ctx
        z, v = b["z"], b["exp_avg_sq"]
        b1, b2 = self.betas
        v *= cast(b2, dt)
        v += cast(1 - b2, dt) * g * g
        den = np.sqrt(v / cast(1 - b2**t, dt))
        den += cast(self.eps, dt)
        d = g / den
        if np.any(self.weight_decay != 0):
            d += cast(self.weight_decay, dt) * p
        self._average_and_step(p, z, d, lr, ckp1, b1, dt)


__all__ = ["ScheduleFreeSGD", "ScheduleFreeAdamW"]

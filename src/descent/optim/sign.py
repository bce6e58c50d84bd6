r"""Sign methods: every coordinate moves by the learning rate. Lion (``lion-pytorch``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Interval, Params, cast, nonzero
from .base import Optimizer


class LionState(NamedTuple):
    step: int
    exp_avg: Params

    BUFFERS = ("exp_avg",)


class Lion(Optimizer):
    r"""Lion (Chen et al., 2023), as ``lion-pytorch`` 0.2.5.

    .. math::

        \theta &\leftarrow \theta(1 - \eta_t\lambda) \\
        \theta_t &= \theta_{t-1} - \eta_t\,\operatorname{sign}\big(\beta_1 m_{t-1} + (1-\beta_1) g_t\big) \\
        m_t &= \beta_2 m_{t-1} + (1-\beta_2) g_t

    Every coordinate moves by exactly :math:`\eta_t` (or 0 where the
    interpolation is exactly zero). The momentum is updated *after* the step
    and with :math:`\beta_2`, not :math:`\beta_1`.

    Parameters
    ----------
    lr : float, array or callable, default 1e-4
    betas : pair of floats in [0, 1), default (0.9, 0.99)
    weight_decay : float >= 0, default 0
    decoupled_weight_decay : bool, default False
        If True the decay per unit of lr is :math:`\lambda/\eta_0`, i.e.
        :math:`\theta(1-\lambda)` per step at the rate :math:`\eta_0`.
    initial_lr : float > 0 or None, default None
        :math:`\eta_0`: lion-pytorch divides by the learning rate it was
        constructed with, which a schedule then scales. None means ``lr``
        for a constant rate; with a schedule, give it (``lr(0)`` is used
        otherwise, which differs from the reference under warm-up).
    maximize : bool, default False
        Not in the reference package; negates the gradient first, as torch does.
    state_dtype : dtype or None, default None
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"\theta_{t-1} \leftarrow (1-\eta_t\lambda)\theta_{t-1};\ \theta_t = \theta_{t-1} - \eta_t \operatorname{sign}\big(\beta_1 m_{t-1} + (1-\beta_1) g_t\big);\ m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
        "use": "memory-lean (one buffer) sign method for large models; needs a smaller η and larger λ than AdamW",
    }

    State = LionState
    RANGES = {"lr": NONNEG, "betas": UNIT, "weight_decay": NONNEG,
              "initial_lr": Interval(0.0, None, low_open=True)}

    def __init__(self, lr: LR = 1e-4, betas: tuple[Hyper, Hyper] = (0.9, 0.99),
                 weight_decay: Hyper = 0.0, decoupled_weight_decay: bool = False, *,
                 initial_lr: Hyper | None = None, maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, betas=betas, weight_decay=weight_decay,
                  decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                  state_dtype=state_dtype)
        self.initial_lr = None if initial_lr is None else self.RANGES["initial_lr"].check(
            "initial_lr", initial_lr)
        if self.decoupled_weight_decay and nonzero(self.weight_decay) and initial_lr is None:
            lr0 = self.lr(0) if callable(self.lr) else self.lr
            if np.any(np.asarray(lr0) <= 0):
                raise ValueError(f"decoupled_weight_decay=True needs lr > 0 (or initial_lr); got lr={lr0!r}")

    def _eta0(self) -> Hyper:
        if self.initial_lr is not None:
            return self.initial_lr
        return self._lr_at(0, []) if callable(self.lr) else self.lr

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m = b["exp_avg"]
        b1, b2 = self.betas
        wd = self.weight_decay
        if nonzero(wd):
            if self.decoupled_weight_decay:
                wd = wd / self._eta0()
            p *= cast(1 - lr * wd, dt)
        c = cast(b1, dt) * m
        c += cast(1 - b1, dt) * g
        p -= cast(lr, dt) * np.sign(c)
        m *= cast(b2, dt)
        m += cast(1 - b2, dt) * g

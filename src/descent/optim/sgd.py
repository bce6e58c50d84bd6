r"""Stochastic gradient descent with (Nesterov) momentum, as ``torch.optim.SGD``."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Interval, Params, cast, nonzero
from .base import Optimizer


class SGDState(NamedTuple):
    step: int
    momentum_buffer: Params = None  # None when momentum = 0

    BUFFERS = ("momentum_buffer",)


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        b_t &= g_t \text{ if } t = 1 \text{ else } \mu b_{t-1} + (1-\tau) g_t \\
        d_t &= g_t + \mu b_t \text{ (nesterov) else } b_t \quad(\text{or } g_t \text{ if } \mu = 0) \\
        \theta_t &= \theta_{t-1} - \eta_t d_t

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
        Learning rate :math:`\eta \ge 0` or a schedule ``lr(t)``.
    momentum : float or array in [0, 1), default 0
        Momentum coefficient :math:`\mu`. With 0 the state holds no buffer.
    dampening : float or array in [0, 1], default 0
        :math:`\tau`; not applied on the first step (torch's convention).
    weight_decay : float or array >= 0, default 0
        L2 coefficient :math:`\lambda`.
    nesterov : bool, default False
        Bengio et al.'s reformulated Nesterov momentum; needs momentum > 0 and
        dampening = 0.
    maximize : bool, default False
        Ascend: the gradient is negated first.
    state_dtype : dtype or None, default None
        The momentum buffer's dtype (None: the parameters' dtype).

    Notes
    -----
    Torch's buffer :math:`b` accumulates raw gradients and the learning rate
    multiplies the whole buffer. Sutskever et al.'s form :math:`v \leftarrow
    \mu v - \eta g` is the same trajectory for a constant rate, but not under a
    schedule.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> p, s = opt.update(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
    >>> p
    array([0.8])
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"b_t = \beta b_{t-1} + (1-\tau) g_t \ (b_1 = g_1);\ \theta_t = \theta_{t-1} - \eta_t d_t,\ d_t = b_t \text{ (heavy ball) or } g_t + \beta b_t \text{ (Nesterov)};\ d_t = g_t \text{ if } \beta = 0",
        "use": "the baseline; with momentum 0.9 still a strong choice for convolutional nets and well-tuned schedules",
    }

    State = SGDState
    RANGES = {"lr": NONNEG, "momentum": UNIT, "dampening": Interval(0.0, 1.0, high_open=False),
              "weight_decay": NONNEG}

    def __init__(self, lr: LR = 1e-3, momentum: Hyper = 0.0, dampening: Hyper = 0.0,
                 weight_decay: Hyper = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                  nesterov=nesterov, maximize=maximize, state_dtype=state_dtype)
        if self.nesterov and (np.any(np.asarray(self.momentum) <= 0) or nonzero(self.dampening)):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0; "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )

    def _uses(self, name):
        return nonzero(self.momentum)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        g = self._decay(p, g, lr, dt, False)
        if "momentum_buffer" not in b:
            p -= cast(lr, dt) * g
            return
        buf, mu = b["momentum_buffer"], self.momentum
        if t == 1:
            buf[...] = g
        else:
            buf *= cast(mu, dt)
            buf += cast(1 - self.dampening, dt) * g
        d = g + cast(mu, dt) * buf if self.nesterov else buf
        if np.ndim(mu) > 0:  # grid with some zero momenta: those runs use the plain gradient
            d = np.where(mu == 0, g, d)
        p -= cast(lr, dt) * d

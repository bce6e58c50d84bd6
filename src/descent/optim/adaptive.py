r"""Per-coordinate step sizes from squared gradients: Adagrad, RMSprop and Adadelta, as ``torch.optim``."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Params, cast, nonzero
from .base import Optimizer


# ---------------------------------------------------------------------- Adagrad
class AdagradState(NamedTuple):
    step: int
    sum: Params

    BUFFERS = ("sum",)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}, \qquad
        \tilde\eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}} \\
        G_t &= G_{t-1} + g_t^2 \qquad (G_0 = \text{initial\_accumulator\_value}) \\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{G_t} + \epsilon}

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    lr_decay : float >= 0, default 0
    weight_decay : float >= 0, default 0
    initial_accumulator_value : float >= 0, default 0
    eps : float >= 0, default 1e-10
        Added outside the square root, as in the paper.
    maximize : bool, default False
    state_dtype : dtype or None, default None
        The accumulator's dtype (None: the parameters' dtype).
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"G_t = G_{t-1} + g_t^2;\ \theta_t = \theta_{t-1} - \eta_t\, g_t / (\sqrt{G_t} + \varepsilon)",
        "use": "convex problems with sparse features (linear models, embeddings); its rate only shrinks",
    }

    State = AdagradState
    RANGES = {"lr": NONNEG, "lr_decay": NONNEG, "weight_decay": NONNEG,
              "initial_accumulator_value": NONNEG, "eps": NONNEG}

    def __init__(self, lr: LR = 1e-2, lr_decay: Hyper = 0.0, weight_decay: Hyper = 0.0,
                 initial_accumulator_value: Hyper = 0.0, eps: Hyper = 1e-10, *,
                 maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                  initial_accumulator_value=initial_accumulator_value, eps=eps,
                  maximize=maximize, state_dtype=state_dtype)

    def _init_buffer(self, name, p):
        dtype = self.state_dtype or p.dtype
        return np.broadcast_to(np.asarray(self.initial_accumulator_value, dtype), p.shape).copy()

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        G = b["sum"]
        g = self._decay(p, g, lr, dt, False)
        clr = lr / (1 + (t - 1) * self.lr_decay)
        G += g * g
        std = np.sqrt(G)
        std += cast(self.eps, dt)
        p -= cast(clr, dt) * (g / std)


# ---------------------------------------------------------------------- RMSprop
class RMSpropState(NamedTuple):
    step: int
    square_avg: Params
    grad_avg: Params = None         # centered only
    momentum_buffer: Params = None  # momentum > 0 only

    BUFFERS = ("square_avg", "grad_avg", "momentum_buffer")


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012), as ``torch.optim.RMSprop``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t \quad\text{(centered only)} \\
        \delta_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered) else } \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g_t/\delta_t, \quad \theta_t = \theta_{t-1} - \eta_t b_t
        \quad(\mu > 0;\ \text{else } \theta_t = \theta_{t-1} - \eta_t g_t/\delta_t)

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    alpha : float in [0, 1), default 0.99
        The decay :math:`\alpha` of the squared-gradient average. (Hinton's
        lecture used 0.9; 0.999 is Adam's :math:`\beta_2`, not RMSprop's.)
    eps : float >= 0, default 1e-8
        Added outside the square root (Graves 2013 and TF1 put it inside).
    weight_decay : float >= 0, default 0
    momentum : float in [0, 1), default 0
    centered : bool, default False
        Divide by an estimate of the gradient's standard deviation instead of its RMS.
    maximize : bool, default False
    state_dtype : dtype or None, default None
        The buffers' dtype (None: the parameters' dtype).
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2;\ \theta_t = \theta_{t-1} - \eta_t\, g_t / (\sqrt{v_t} + \varepsilon)",
        "use": "non-stationary problems, recurrent nets and reinforcement learning; Adam without momentum or bias correction",
    }

    State = RMSpropState
    RANGES = {"lr": NONNEG, "alpha": UNIT, "eps": NONNEG, "weight_decay": NONNEG, "momentum": UNIT}

    def __init__(self, lr: LR = 1e-2, alpha: Hyper = 0.99, eps: Hyper = 1e-8,
                 weight_decay: Hyper = 0.0, momentum: Hyper = 0.0, centered: bool = False,
                 maximize: bool = False, *, state_dtype: Any = None):
        self._set(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                  centered=centered, maximize=maximize, state_dtype=state_dtype)

    def _uses(self, name):
        return {"grad_avg": self.centered, "momentum_buffer": nonzero(self.momentum)}.get(name, True)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        v = b["square_avg"]
        g = self._decay(p, g, lr, dt, False)
        a = self.alpha
        v *= cast(a, dt)
        v += cast(1 - a, dt) * g * g
        if self.centered:
            gbar = b["grad_avg"]
            gbar += cast(1 - a, dt) * (g - gbar)
            den = np.sqrt(v - gbar * gbar)
        else:
            den = np.sqrt(v)
        den += cast(self.eps, dt)
        if "momentum_buffer" in b:
            buf = b["momentum_buffer"]
            buf *= cast(self.momentum, dt)
            buf += g / den
            p -= cast(lr, dt) * buf
        else:
            p -= cast(lr, dt) * (g / den)


# --------------------------------------------------------------------- Adadelta
class AdadeltaState(NamedTuple):
    step: int
    square_avg: Params
    acc_delta: Params

    BUFFERS = ("square_avg", "acc_delta")


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1-\rho)\Delta_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta_t \Delta_t

    Zeiler's method has no learning rate; torch multiplies by ``lr``, so
    ``lr=1`` (the default) is the paper's rule. Adadelta is Zeiler's fix for
    Adagrad's ever-shrinking steps, not part of Adagrad.

    Parameters
    ----------
    lr : float, array or callable, default 1.0
    rho : float in [0, 1), default 0.9
    eps : float >= 0, default 1e-6
        Inside both square roots.
    weight_decay : float >= 0, default 0
    maximize : bool, default False
    state_dtype : dtype or None, default None
        The buffers' dtype (None: the parameters' dtype).
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2;\ \Delta_t = \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{v_t + \varepsilon}}\, g_t;\ u_t = \beta_2 u_{t-1} + (1-\beta_2)\Delta_t^2;\ \theta_t = \theta_{t-1} - \eta_t \Delta_t",
        "use": "Zeiler's fix of Adagrad's shrinking rate without a hand-set rate (η = 1); rarely used today",
    }

    State = AdadeltaState
    RANGES = {"lr": NONNEG, "rho": UNIT, "eps": NONNEG, "weight_decay": NONNEG}

    def __init__(self, lr: LR = 1.0, rho: Hyper = 0.9, eps: Hyper = 1e-6,
                 weight_decay: Hyper = 0.0, *, maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                  state_dtype=state_dtype)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        v, u = b["square_avg"], b["acc_delta"]
        g = self._decay(p, g, lr, dt, False)
        r, eps = self.rho, cast(self.eps, dt)
        v *= cast(r, dt)
        v += cast(1 - r, dt) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u *= cast(r, dt)
        u += cast(1 - r, dt) * delta * delta
        p -= cast(lr, dt) * delta

r"""The Adam family with plain moments: Adam, AdamW, Adamax and NAdam, as ``torch.optim``.

RAdam and AdaBelief, whose steps are rectified, live in :mod:`.rectified`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Params, cast, sqrt
from .base import Optimizer

ADAM_RANGES = {"lr": NONNEG, "betas": UNIT, "eps": NONNEG, "weight_decay": NONNEG}


# -------------------------------------------------------------------- Adam/AdamW
class AdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params
    max_exp_avg_sq: Params = None  # amsgrad only

    BUFFERS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \quad(\text{or } \theta_{t-1} \leftarrow \theta_{t-1}(1-\eta_t\lambda)
            \text{ if decoupled}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`\epsilon` is added *after* bias correction, as in Algorithm 1 of the
    paper. The paper's "efficient" form (and TF/Keras) adds it before, which
    changes the early steps when :math:`\epsilon` is not tiny. (The code
    multiplies numerator and denominator by :math:`\sqrt{1-\beta_2^t}`, which
    saves a pass over the arrays and changes only the rounding.)

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    amsgrad : bool, default False
        Keep the running maximum of the raw :math:`v_t` (Reddi et al., 2018)
        in a third buffer, allocated only then.
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        True gives exactly :class:`AdamW`.
    state_dtype : dtype or None, default None
        The moments' dtype (optax's ``mu_dtype``; None: the parameters' dtype).
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t;\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2;\ \theta_t = \theta_{t-1} - \eta_t\, \hat m_t / (\sqrt{\hat v_t} + \varepsilon)",
        "use": "the default first try for deep networks; L2 decay here is not AdamW's decoupled decay",
    }

    State = AdamState
    RANGES = ADAM_RANGES

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                  maximize=maximize, decoupled_weight_decay=decoupled_weight_decay,
                  state_dtype=state_dtype)

    def _uses(self, name):
        return name != "max_exp_avg_sq" or self.amsgrad

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, v = b["exp_avg"], b["exp_avg_sq"]
        b1, b2 = self.betas
        g = self._decay(p, g, lr, dt, self.decoupled_weight_decay)
        m += cast(1 - b1, dt) * (g - m)
        v *= cast(b2, dt)
        v += cast(1 - b2, dt) * g * g
        if self.amsgrad:
            v = np.maximum(b["max_exp_avg_sq"], v, out=b["max_exp_avg_sq"])
        bc2_sqrt = sqrt(1 - b2**t)       # sqrt(v)/sqrt(bc2) + eps = (sqrt(v) + eps sqrt(bc2))/sqrt(bc2):
        den = np.sqrt(v)                  # one pass fewer over the arrays, the same rule
        den += cast(self.eps * bc2_sqrt, dt)
        p -= cast(lr * bc2_sqrt / (1 - b1**t), dt) * (m / den)


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Adam with *decoupled* weight decay: first
    :math:`\theta \leftarrow \theta(1 - \eta_t\lambda)`, then the Adam step
    with the raw gradient. The default ``weight_decay`` is ``1e-2``.

    Torch ties the decay to the learning rate (:math:`\eta_t\lambda` per
    step); the paper's Algorithm 2 decays by :math:`\eta_t\lambda` with
    :math:`\eta_t` a schedule *multiplier*, so torch's :math:`\lambda` is the
    paper's divided by the base rate :math:`\alpha`.
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"\theta_{t-1} \leftarrow (1 - \eta_t\lambda)\,\theta_{t-1},\ \text{then Adam's step with the raw } g_t",
        "use": "transformers and most large models: Adam with decoupled weight decay",
    }

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, state_dtype: Any = None):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, state_dtype=state_dtype)


# ----------------------------------------------------------------------- Adamax
class AdamaxState(NamedTuple):
    step: int
    exp_avg: Params
    exp_inf: Params

    BUFFERS = ("exp_avg", "exp_inf")


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, §7.1), as ``torch.optim.Adamax``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{u_t}

    Torch adds :math:`\epsilon` inside the max; the paper has none.

    Parameters
    ----------
    lr : float, array or callable, default 2e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    maximize : bool, default False
    state_dtype : dtype or None, default None
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t;\ u_t = \max(\beta_2 u_{t-1}, \lvert g_t\rvert + \varepsilon);\ \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\, m_t / u_t",
        "use": "Adam with an infinity-norm denominator; steps rarely exceed η, robust to outlier gradients",
    }

    State = AdamaxState
    RANGES = ADAM_RANGES

    def __init__(self, lr: LR = 2e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                  state_dtype=state_dtype)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, u = b["exp_avg"], b["exp_inf"]
        b1, b2 = self.betas
        g = self._decay(p, g, lr, dt, False)
        m += cast(1 - b1, dt) * (g - m)
        u *= cast(b2, dt)
        np.maximum(u, np.abs(g) + cast(self.eps, dt), out=u)
        p -= cast(lr / (1 - b1**t), dt) * (m / u)


# ------------------------------------------------------------------------ NAdam
class NAdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params
    mu_product: Any = 1.0

    BUFFERS = ("exp_avg", "exp_avg_sq")


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    .. math::

        \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right), \qquad
        \Pi_t = \prod_{s \le t} \mu_s \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        \delta_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1}
            - \eta_t\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{\delta_t}
            - \eta_t\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{\delta_t}

    :math:`\psi` is ``momentum_decay``; :math:`\psi = 0.004` gives Dozat's
    warm-up :math:`0.96^{t/250}`. The moving average uses the constant
    :math:`\beta_1`, not :math:`\mu_t`. :math:`\Pi_t` is kept in float64.

    Parameters
    ----------
    lr : float, array or callable, default 2e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    momentum_decay : float >= 0, default 4e-3
    decoupled_weight_decay : bool, default False
    maximize : bool, default False
    state_dtype : dtype or None, default None
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"\mu_t = \beta_1(1 - \tfrac12\, 0.96^{t\psi}),\ \Pi_t = \textstyle\prod_{s \le t}\mu_s;\ m_t, v_t \text{ as Adam};\ \theta_t = \theta_{t-1} - \eta_t\Big(\frac{1-\mu_t}{1-\Pi_t}\, g_t + \frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\, m_t\Big) / \big(\sqrt{\hat v_t} + \varepsilon\big)",
        "use": "Adam with a Nesterov look-ahead and a slow momentum warm-up; a drop-in alternative to Adam",
    }

    State = NAdamState
    RANGES = {**ADAM_RANGES, "momentum_decay": NONNEG}

    def __init__(self, lr: LR = 2e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, momentum_decay: Hyper = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                  momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                  maximize=maximize, state_dtype=state_dtype)

    def _mu(self, t: int) -> Hyper:
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _context(self, state, t, extra):
        mu, mu_next = self._mu(t), self._mu(t + 1)
        prod = state.mu_product * mu
        return (mu, mu_next, prod, prod * mu_next), {"mu_product": prod}

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, v = b["exp_avg"], b["exp_avg_sq"]
        mu, mu_next, prod, prod_next = ctx
        b1, b2 = self.betas
        g = self._decay(p, g, lr, dt, self.decoupled_weight_decay)
        m += cast(1 - b1, dt) * (g - m)
        v *= cast(b2, dt)
        v += cast(1 - b2, dt) * g * g
        den = np.sqrt(v / cast(1 - b2**t, dt))
        den += cast(self.eps, dt)
        p -= cast(lr * (1 - mu) / (1 - prod), dt) * (g / den)
        p -= cast(lr * mu_next / (1 - prod_next), dt) * (m / den)

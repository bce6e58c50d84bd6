r"""Adam with a rectified early phase: RAdam (``torch.optim.RAdam``) and AdaBelief (``adabelief-pytorch``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, Hyper, Params, cast, sqrt
from .adam import ADAM_RANGES
from .base import Optimizer


def _rho(beta2: Hyper, t: int) -> tuple[Any, Any]:
    r"""RAdam's :math:`\rho_\infty` and :math:`\rho_t` (length of the approximated SMA), in float64."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    b2t = beta2**t
    return rho_inf, rho_inf - 2.0 * t * b2t / (1.0 - b2t)


def _rect(rho_inf: Any, rho_t: Any, on: Any) -> Any:
    """The variance rectification term r_t where ``on`` (elsewhere 1), never evaluated off it."""
    if type(rho_t) is float:
        return sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) if on else 1.0
    safe_t, safe_inf = np.where(on, rho_t, 6.0), np.where(on, rho_inf, 7.0)
    return np.sqrt((safe_t - 4) * (safe_t - 2) * safe_inf / ((safe_inf - 4) * (safe_inf - 2) * safe_t))


class RAdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params

    BUFFERS = ("exp_avg", "exp_avg_sq")


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al., 2020), as ``torch.optim.RAdam``.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat m_t = m_t/(1-\beta_1^t) \\
        \rho_\infty &= \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\
        \theta_t &= \theta_{t-1} - \eta_t \hat m_t\, r_t
            \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon} \quad (\rho_t > 5),
        \qquad \theta_t = \theta_{t-1} - \eta_t \hat m_t \quad(\text{otherwise}) \\
        r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Torch uses the threshold :math:`\rho_t > 5` (the paper: > 4) and adds
    :math:`\epsilon` to the raw :math:`\sqrt{v_t}`. With the default
    :math:`\beta_2 = 0.999` the first five steps are momentum-SGD steps.

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    decoupled_weight_decay : bool, default False
    maximize : bool, default False
    state_dtype : dtype or None, default None
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"m_t, v_t \text{ as Adam};\ \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t};\ \theta_t = \theta_{t-1} - \eta_t\, r_t\, \hat m_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \varepsilon} \text{ if } \rho_t > 5, \text{ else } \theta_t = \theta_{t-1} - \eta_t \hat m_t",
        "use": "Adam with a built-in warm-up of the adaptive rate; for runs that would otherwise need warm-up",
    }

    State = RAdamState
    RANGES = ADAM_RANGES

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                  decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                  state_dtype=state_dtype)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, v = b["exp_avg"], b["exp_avg_sq"]
        b1, b2 = self.betas
        g = self._decay(p, g, lr, dt, self.decoupled_weight_decay)
        m += cast(1 - b1, dt) * (g - m)
        v *= cast(b2, dt)
        v += cast(1 - b2, dt) * g * g
        mhat = m / cast(1 - b1**t, dt)
        rho_inf, rho_t = _rho(b2, t)
        on = rho_t > 5.0
        if np.ndim(on) == 0 and not on:
            p -= mhat * cast(lr, dt)
            return
        den = np.sqrt(v)
        den += cast(self.eps, dt)
        if np.ndim(on) > 0:  # a grid: runs that are not rectified yet divide by 1, unused
            den = np.where(on, den, 1)
        adaptive = cast(sqrt(1 - b2**t), dt) / den
        step = mhat * cast(lr, dt) * adaptive * cast(_rect(rho_inf, rho_t, on), dt)
        p -= step if np.ndim(on) == 0 else np.where(on, step, mhat * cast(lr, dt))


class AdaBeliefState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_var: Params
    max_exp_avg_var: Params = None  # amsgrad only

    BUFFERS = ("exp_avg", "exp_avg_var", "max_exp_avg_var")


class AdaBelief(Optimizer):
    r"""AdaBelief (Zhuang et al., 2020), as the authors' ``adabelief-pytorch`` 0.2.1.

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        s_t &= \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}
            \frac{m_t}{\sqrt{s_t}/\sqrt{1-\beta_2^t} + \epsilon}
            \quad(\text{rectify=False})

    The "belief" :math:`s_t` tracks the squared deviation of the gradient from
    its moving average rather than the squared gradient. :math:`\epsilon` is
    stored into :math:`s_t` at every step *and* added outside the root.
    With ``rectify=True`` (the package default) the step is rectified like
    RAdam's, with the threshold :math:`\rho_t \ge 5`; below it the step is a
    bias-corrected momentum-SGD step (``degenerated_to_sgd``) or no step. Only
    the branch a step takes is evaluated.

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-16
    weight_decay : float >= 0, default 0
    amsgrad : bool, default False
        Keep the maximum of :math:`s_t`. (With ``rectify=True`` the reference
        still divides by the current :math:`s_t`; this is reproduced.)
    weight_decouple : bool, default True
        Decoupled decay :math:`\theta(1-\eta_t\lambda)`; False gives L2.
    fixed_decay : bool, default False
        With weight_decouple, decay by :math:`\theta(1-\lambda)` ignoring lr.
    rectify : bool, default True
    degenerated_to_sgd : bool, default True
    maximize : bool, default False
        Not in the reference package; negates the gradient first, as torch does.
    state_dtype : dtype or None, default None
    """

    #: The cheat sheet's row (book/cheatsheet.ipynb): the rule at the default flags, in the
    #: book's notation (book/notation.md), and a typical use.
    CHEATSHEET = {
        "rule": r"\theta_{t-1} \leftarrow (1-\eta_t\lambda)\theta_{t-1};\ m_t \text{ as Adam};\ s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \varepsilon;\ \theta_t = \theta_{t-1} - \eta_t\, r_t\, \hat m_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{s_t} + \varepsilon} \text{ if } \rho_t \ge 5, \text{ else } \theta_t = \theta_{t-1} - \eta_t \hat m_t",
        "use": "Adam with the gradient's deviation from its mean in the denominator; larger steps where gradients agree",
    }

    State = AdaBeliefState
    RANGES = ADAM_RANGES

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-16, weight_decay: Hyper = 0.0, amsgrad: bool = False,
                 weight_decouple: bool = True, fixed_decay: bool = False, rectify: bool = True,
                 degenerated_to_sgd: bool = True, *, maximize: bool = False,
                 state_dtype: Any = None):
        self._set(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                  weight_decouple=weight_decouple, fixed_decay=fixed_decay, rectify=rectify,
                  degenerated_to_sgd=degenerated_to_sgd, maximize=maximize, state_dtype=state_dtype)

    def _uses(self, name):
        return name != "max_exp_avg_var" or self.amsgrad

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, s = b["exp_avg"], b["exp_avg_var"]
        b1, b2 = self.betas
        wd, eps = self.weight_decay, cast(self.eps, dt)
        if self.weight_decouple:
            p *= cast(1 - wd if self.fixed_decay else 1 - lr * wd, dt)
        else:
            g = self._decay(p, g, lr, dt, False)
        m *= cast(b1, dt)
        m += cast(1 - b1, dt) * g
        r = g - m
        s *= cast(b2, dt)
        s += cast(1 - b2, dt) * r * r
        s += eps
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        if self.amsgrad:
            np.maximum(b["max_exp_avg_var"], s, out=b["max_exp_avg_var"])
        if not self.rectify:
            den = np.sqrt(b["max_exp_avg_var"] if self.amsgrad else s)
            den /= cast(sqrt(bc2), dt)
            den += eps
            p -= cast(lr / bc1, dt) * (m / den)
            return
        rho_inf, rho_t = _rho(b2, t)
        on = rho_t >= 5.0
        grid = np.ndim(on) > 0
        fallback = cast(lr / bc1, dt) * m if self.degenerated_to_sgd else None
        if grid or on:
            den = np.sqrt(s)
            den += eps
            if grid:
                den = np.where(on, den, 1)
            k = sqrt(bc2) * _rect(rho_inf, rho_t, on) / bc1
            step = cast(lr * k, dt) * (m / den)
            if grid:
                step = np.where(on, step, 0 if fallback is None else fallback)
            p -= step
        elif fallback is not None:
            p -= fallback

r"""Sophia: momentum divided by a clipped, slowly refreshed diagonal curvature estimate.

Liu, Li, Hall, Liang and Ma (2023), "Sophia: A Scalable Stochastic
Second-order Optimizer for Language Model Pre-training", as the authors'
reference implementation ``SophiaG`` (github.com/Liuhong99/Sophia, file
``sophia.py``). There is no ``torch.optim`` version.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Params, cast, leaves, match
from .base import Optimizer


class SophiaState(NamedTuple):
    step: int
    exp_avg: Params
    hessian: Params

    BUFFERS = ("exp_avg", "hessian")


class Sophia(Optimizer):
    r"""Sophia with a diagonal curvature estimate (Liu et al., 2023), as the authors' ``SophiaG``.

    .. math::

        \theta &\leftarrow \theta(1 - \eta_t\lambda) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        h_t &= \beta_2 h_{t-1} + (1-\beta_2)\hat h_t
            \quad\text{(only at steps that pass an estimate } \hat h_t\text{)} \\
        \theta_t &= \theta_{t-1} - \eta_t\,\operatorname{sign}(m_t)\,
            \min\!\Big(\frac{|m_t|}{\rho\, b\, h_t + \epsilon},\ 1\Big)

    Coordinates whose curvature estimate is large move by a Newton-like
    :math:`\eta_t m_t/(\rho b h_t)`; where the estimate is small, zero or
    negative-free but stale, the step is clipped to :math:`\eta_t` per
    coordinate, as in sign descent. With no estimate ever passed,
    :math:`h = 0` and Sophia *is* sign descent on the momentum.

    The curvature estimate :math:`\hat h_t` is passed as an extra argument,
    ``update(params, grads, state, hessian=h_hat)``, a tree shaped like
    ``params``; the paper refreshes it every :math:`k = 10` steps. The
    estimate enters the average *before* that step's update (the authors'
    training loop refreshes it after a step; feeding it one step later gives
    their order). For the Gauss-Newton-Bartlett estimator pass
    :math:`\hat h = \hat g\odot\hat g`, the squared mini-batch gradient of the
    loss on labels *sampled from the model*; the authors multiply by the batch
    size ``bs`` in the step, as here. For a Hutchinson estimate
    :math:`u\odot(Hu)` pass it with ``bs=1``. The paper's :math:`\gamma` is
    :math:`\rho\cdot` ``bs``.

    Parameters
    ----------
    lr : float, array or callable, default 1e-4
    betas : pair of floats in [0, 1), default (0.965, 0.99)
        :math:`\beta_1` for the momentum, :math:`\beta_2` for the curvature.
    rho : float >= 0, default 0.04
    weight_decay : float >= 0, default 0.1
        Decoupled: :math:`\theta(1-\eta_t\lambda)` first.
    bs : int >= 1, default 5120
        The batch-size factor of the reference's ``step(bs=...)``.
    eps : float >= 0, default 1e-15
        Fixed in the reference.
    maximize : bool, default False
        Negates the gradient (not the curvature), as the reference.
    state_dtype : dtype or None, default None

    Examples
    --------
    >>> import numpy as np
    >>> opt = Sophia(lr=0.1, rho=1.0, bs=1, weight_decay=0.0)
    >>> p = np.array([1.0, 1.0]); s = opt.init(p)
    >>> p, s = opt.update(p, np.array([2.0, 2.0]), s, hessian=np.array([100.0, 0.0]))
    >>> p.round(6).tolist()   # curved: step m/(rho h) = 0.07; flat: clipped to 1
    [0.993, 0.9]
    """

    State = SophiaState
    RANGES = {"lr": NONNEG, "betas": UNIT, "rho": NONNEG, "weight_decay": NONNEG, "eps": NONNEG}
    CHEATSHEET = {
        "rule": r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ "
                r"h_t = \beta_2 h_{t-1} + (1-\beta_2)\hat h_t \text{ every } k \text{ steps},\ "
                r"\theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t \operatorname{sign}(m_t)"
                r"\min\big(\lvert m_t\rvert/(\rho b h_t + \epsilon), 1\big)",
        "use": "language-model pre-training with a cheap diagonal curvature estimate every ~10 steps",
    }

    def __init__(self, lr: LR = 1e-4, betas: tuple[Hyper, Hyper] = (0.965, 0.99),
                 rho: Hyper = 0.04, weight_decay: Hyper = 1e-1, *, bs: int = 5120,
                 eps: Hyper = 1e-15, maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, betas=betas, rho=rho, weight_decay=weight_decay, eps=eps,
                  maximize=maximize, state_dtype=state_dtype)
        if isinstance(bs, (bool, np.bool_)) or not isinstance(bs, numbers.Integral) or bs < 1:
            raise ValueError(f"bs must be an integer >= 1; got {bs!r}")
        self.bs = int(bs)

    # The curvature average is refreshed before the step, pure or in place.
    def _refresh(self, params: Params, state: SophiaState, hessian: Any, inplace: bool) -> SophiaState:
        keys, pl, hl = match(params, hessian)
        hkeys, hbufs = leaves("state.hessian", state.hessian)
        b2 = self.betas[1]
        new = []
        for h, est in zip(hbufs, hl):
            dt = np.result_type(h, est)
            if not inplace:
                h = np.array(h, copy=True)
            h *= cast(b2, dt)
            h += cast(1 - b2, dt) * est.astype(dt, copy=False)
            new.append(h)
        if inplace:
            return state
        return state._replace(hessian=new[0] if hkeys is None else dict(zip(hkeys, new)))

    def update(self, params, grads, state, **extra):
        """One step; ``hessian=`` (a tree like ``params``) refreshes the curvature average first."""
        if extra.get("hessian") is not None:
            if not isinstance(state, self.State):
                raise TypeError(f"state must be the SophiaState returned by Sophia.init; got {type(state).__name__}")
            state = self._refresh(params, state, extra["hessian"], inplace=False)
        return super().update(params, grads, state)

    def update_(self, params, grads, state, **extra):
        """In place; ``hessian=`` refreshes the curvature buffer in place first."""
        if extra.get("hessian") is not None:
            if not isinstance(state, self.State):
                raise TypeError(f"state must be the SophiaState returned by Sophia.init; got {type(state).__name__}")
            self._refresh(params, state, extra["hessian"], inplace=True)
        return super().update_(params, grads, state)

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        m, h = b["exp_avg"], b["hessian"]
        b1 = self.betas[0]
        p *= cast(1 - lr * self.weight_decay, dt)
        m *= cast(b1, dt)
        m += cast(1 - b1, dt) * g
        den = h * cast(self.rho * self.bs, dt)
        den += cast(self.eps, dt)
        with np.errstate(divide="ignore"):  # h = 0 with eps = 0: an infinite ratio, clipped to 1
            ratio = np.minimum(np.abs(m) / den, cast(1.0, dt))
        p -= cast(lr, dt) * (np.sign(m) * ratio)


__all__ = ["Sophia"]

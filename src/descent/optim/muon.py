r"""Muon: momentum orthogonalized by a Newton–Schulz iteration, for matrix parameters.

Jordan et al. (2024), as ``torch.optim.Muon`` (torch 2.13). Also the iteration
itself (:func:`newton_schulz`) and the exact polar factor it approximates
(:func:`polar`), for measuring how close it gets.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from ._tree import LR, NONNEG, UNIT, Hyper, Params, cast, is_float_dtype
from .base import Optimizer

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # Jordan et al.'s quintic, as torch


def _check_coefficients(coefficients: Any) -> tuple[float, float, float]:
    if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3:
        raise TypeError(f"coefficients must be a triple (a, b, c); got {coefficients!r}")
    out = tuple(float(c) for c in coefficients)
    if not all(math.isfinite(c) for c in out):
        raise ValueError(f"coefficients must be finite; got {coefficients!r}")
    return out


def _check_steps(steps: Any, name: str = "steps") -> int:
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, numbers.Integral) or not 0 <= steps < 100:
        raise ValueError(f"{name} must be an integer in [0, 100); got {steps!r}")
    return int(steps)


def newton_schulz(g: np.ndarray, steps: int = 5, coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                  eps: float = 1e-7) -> np.ndarray:
    r"""Approximately orthogonalize a matrix (or a stack of them, on the last two axes).

    .. math::

        X_0 = G/\max(\|G\|_F, \epsilon), \qquad
        X_{k+1} = a X_k + \big(b\, X_k X_k^\top + c\,(X_k X_k^\top)^2\big) X_k

    on the wide orientation (:math:`G^\top` when :math:`G` has more rows than
    columns). Each step maps every singular value :math:`\sigma` of
    :math:`X_k` to :math:`a\sigma + b\sigma^3 + c\sigma^5` and keeps the
    singular vectors, so :math:`X_k \to UV^\top`, the polar factor of
    :math:`G = U\Sigma V^\top`, as far as the polynomial drives every
    :math:`\sigma` to 1. Jordan's coefficients (the default) trade accuracy
    for speed: singular values land in roughly [0.7, 1.2], not at 1;
    ``coefficients=(1.5, -0.5, 0)`` is the classical cubic iteration, which
    converges to :math:`UV^\top` but slowly for small :math:`\sigma`.

    Parameters
    ----------
    g : array of ndim >= 2
    steps : int in [0, 100), default 5
    coefficients : triple of finite floats, default (3.4445, -4.7750, 2.0315)
    eps : float >= 0, default 1e-7

    Examples
    --------
    >>> import numpy as np
    >>> g = np.random.default_rng(0).standard_normal((4, 6))
    >>> s = np.linalg.svd(newton_schulz(g), compute_uv=False)
    >>> bool(np.all((s > 0.6) & (s < 1.3)))
    True
    >>> s = np.linalg.svd(newton_schulz(g, steps=30, coefficients=(1.5, -0.5, 0.0)), compute_uv=False)
    >>> np.allclose(s, 1.0)
    True
    """
    g = np.asarray(g)
    if g.ndim < 2 or not is_float_dtype(g.dtype):
        raise ValueError(f"g must be a floating-point matrix (ndim >= 2); got shape {g.shape}, dtype {g.dtype}")
    steps = _check_steps(steps)
    a, b, c = _check_coefficients(coefficients)
    eps = NONNEG.check("eps", eps)
    tall = g.shape[-2] > g.shape[-1]
    x = np.swapaxes(g, -1, -2) if tall else g
    norm = np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True))
    x = x / np.maximum(norm, cast(eps, x.dtype))
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        poly = b * gram + c * (gram @ gram)
        x = a * x + poly @ x
    return np.swapaxes(x, -1, -2) if tall else x


def polar(g: np.ndarray) -> np.ndarray:
    r"""The orthogonal polar factor :math:`UV^\top` of :math:`G = U\Sigma V^\top` (via the SVD).

    >>> import numpy as np
    >>> q = polar(np.array([[2.0, 0.0], [0.0, 0.5]]))
    >>> q.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    g = np.asarray(g)
    if g.ndim < 2:
        raise ValueError(f"g must be a matrix (ndim >= 2); got shape {g.shape}")
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    return u @ vt


class MuonState(NamedTuple):
    step: int
    momentum_buffer: Params

    BUFFERS = ("momentum_buffer",)


def _lerp(a, b, w, dt):
    """torch.lerp's two branches: ``a + w (b - a)`` below 1/2, ``b - (b - a)(1 - w)`` above."""
    if np.ndim(w) == 0:
        if w < 0.5:
            return a + cast(w, dt) * (b - a)
        return b - (b - a) * cast(1 - w, dt)
    w = np.asarray(w)
    return np.where(w < 0.5, a + cast(w, dt) * (b - a), b - (b - a) * cast(1 - w, dt))


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024), as ``torch.optim.Muon`` with the iteration in the parameters' dtype.

    .. math::

        B_t &= \mu B_{t-1} + (1-\mu) g_t, \qquad
        \tilde B_t = (1-\mu) g_t + \mu B_t \text{ (nesterov) else } B_t \\
        O_t &= \mathrm{NS}_k(\tilde B_t), \qquad
        \theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t\, s(A, B)\, O_t

    :math:`\mathrm{NS}_k` is :func:`newton_schulz`; :math:`s = \sqrt{\max(1, A/B)}`
    for an :math:`A\times B` matrix (``adjust_lr_fn=None`` or ``"original"``)
    or :math:`0.2\sqrt{\max(A, B)}` (``"match_rms_adamw"``, Moonshot's rule).
    Torch's buffer is an exponential average (``lerp``), not the
    :math:`\mu B + g` its docstring prints; only the direction matters after
    orthogonalization, except in the Nesterov mix.

    Every parameter leaf must have ``ndim >= 2``; the last two axes are the
    matrix and leading axes a stack of independent matrices (a grid of runs:
    params ``(R, A, B)``, ``lr`` of shape ``(R, 1, 1)``). Torch accepts only
    2-D parameters, and computes the iteration in bfloat16; here it runs in
    the parameters' dtype. Vectors and scalars (biases, gains) belong to
    another optimizer (see :func:`descent.optim.masked`).

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    weight_decay : float >= 0, default 0.1
        Decoupled: :math:`\theta(1-\eta_t\lambda)`.
    momentum : float in [0, 1), default 0.95
    nesterov : bool, default True
    eps : float >= 0, default 1e-7
    ns_steps : int in [0, 100), default 5
    ns_coefficients : triple or None, default None (Jordan's (3.4445, -4.7750, 2.0315))
    adjust_lr_fn : None, "original" or "match_rms_adamw", default None
    maximize : bool, default False
        Not in torch's Muon; negates the gradient first.
    state_dtype : dtype or None, default None

    Examples
    --------
    >>> import numpy as np
    >>> opt = Muon(lr=0.1, weight_decay=0.0)
    >>> w = np.zeros((3, 3)); s = opt.init(w)
    >>> w, s = opt.update(w, np.diag([10.0, 1.0, 0.01]), s)
    >>> np.diag(w).round(2).tolist()    # a 1000:1 spread of gradient scales, nearly equal steps
    [-0.07, -0.07, -0.05]
    """

    State = MuonState
    RANGES = {"lr": NONNEG, "weight_decay": NONNEG, "momentum": UNIT, "eps": NONNEG}
    elementwise = False
    CHEATSHEET = {
        "rule": r"B_t = \mu B_{t-1} + (1-\mu) g_t,\ "
                r"\theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t \sqrt{\max(1, A/B)}\,"
                r"\mathrm{NS}_5\big((1-\mu) g_t + \mu B_t\big)",
        "use": "hidden-layer weight matrices (AdamW for embeddings, biases, gains)",
    }

    def __init__(self, lr: LR = 1e-3, weight_decay: Hyper = 0.1, momentum: Hyper = 0.95,
                 nesterov: bool = True, *, eps: Hyper = 1e-7, ns_steps: int = 5,
                 ns_coefficients: tuple[float, float, float] | None = None,
                 adjust_lr_fn: str | None = None, maximize: bool = False, state_dtype: Any = None):
        self._set(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov, eps=eps,
                  maximize=maximize, state_dtype=state_dtype)
        self.ns_steps = _check_steps(ns_steps, "ns_steps")
        self.ns_coefficients = NS_COEFFICIENTS if ns_coefficients is None else _check_coefficients(ns_coefficients)
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw'; got {adjust_lr_fn!r}")
        self.adjust_lr_fn = adjust_lr_fn

    def _init_buffer(self, name, p):
        if p.ndim < 2:
            raise ValueError(f"Muon updates matrices: every parameter needs ndim >= 2, got shape {p.shape}; "
                             "give vectors and scalars to another optimizer (descent.optim.masked)")
        return super()._init_buffer(name, p)

    def scale(self, shape: tuple) -> float:
        """The learning-rate factor :math:`s(A, B)` for a matrix of ``shape`` (last two axes)."""
        a, b = shape[-2], shape[-1]
        if self.adjust_lr_fn == "match_rms_adamw":
            return 0.2 * math.sqrt(max(a, b))
        return math.sqrt(max(1, a / b))

    def _leaf_(self, p, g, b, t, lr, ctx, dt):
        if p.ndim < 2:
            raise ValueError(f"Muon updates matrices: every parameter needs ndim >= 2, got shape {p.shape}")
        buf, mu = b["momentum_buffer"], self.momentum
        buf[...] = _lerp(buf, g, 1 - mu, dt)
        d = _lerp(g, buf, mu, dt) if self.nesterov else buf
        o = newton_schulz(d.astype(dt, copy=False), self.ns_steps, self.ns_coefficients, self.eps)
        p *= cast(1 - lr * self.weight_decay, dt)
        p -= cast(lr * self.scale(p.shape), dt) * o.astype(p.dtype, copy=False)


__all__ = ["Muon", "newton_schulz", "polar", "NS_COEFFICIENTS"]

r"""Problems and diagnostics for adaptive learning rates (chapter 5).

The per-coordinate methods of :mod:`descent.optim` (``Adagrad``, ``RMSprop``,
``Adadelta``) divide each coordinate of the gradient by a running size of its
own past gradients. This module holds the problems on which that helps or
fails, and the quantities the chapter plots:

- :func:`sparse_logistic`: logistic regression with a few dense, large-scale
  features and many rare binary ones, the setting Adagrad was designed for;
- :func:`quadratic_pair` and :func:`preconditioned_condition`: an
  axis-aligned and a rotated quadratic with the same spectrum, and the
  condition number left after a diagonal rescaling;
- :class:`DriftingQuadratic` and :func:`track`: a quadratic whose minimizer
  moves at constant speed, where a decaying step falls behind;
- :func:`adagrad_effective_lr`, :func:`rmsprop_effective_lr`,
  :func:`ema_weights`: the per-coordinate step sizes
  :math:`\eta/(\sqrt{G_t}+\epsilon)` and :math:`\eta/(\sqrt{v_t}+\epsilon)`
  computed from a sequence of gradients, and the weights of an exponential
  moving average.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_float_array, check_in_range, check_int, check_real
from .landscapes import LogisticRegression, Quadratic, _check_rng

__all__ = [
    "sparse_logistic",
    "quadratic_pair",
    "preconditioned_condition",
    "adagrad_effective_lr",
    "rmsprop_effective_lr",
    "ema_weights",
    "DriftingQuadratic",
    "TrackingRun",
    "track",
    "RotatedAxes",
]


# ------------------------------------------------------------------ sparse data
def sparse_logistic(
    n_samples: int = 1000,
    n_dense: int = 5,
    n_rare: int = 50,
    freq: tuple[float, float] = (0.01, 0.1),
    dense_scale: float = 4.0,
    rare_weight: float = 2.0,
    l2: float = 1e-3,
    rng: np.random.Generator | None = None,
) -> LogisticRegression:
    r"""Seeded logistic regression with dense large-scale features and rare informative ones.

    Each example has ``n_dense`` Gaussian features of standard deviation
    ``dense_scale`` and ``n_rare`` binary features; rare feature :math:`j` is 1
    with probability :math:`p_j`, the :math:`p_j` log-spaced over ``freq``.
    The true weights are :math:`w_j \sim \mathcal N(0, 1/\text{dense\_scale}^2)`
    on the dense features (so each contributes a logit of order 1) and
    :math:`\pm\,\text{rare\_weight}` (fair signs) on the rare ones, and labels are
    drawn as :math:`y_i \sim \text{Bernoulli}(\sigma(x_i^\top w))`.

    The Hessian's diagonal is about :math:`\text{dense\_scale}^2/4` on dense
    coordinates and :math:`p_j/4` on rare ones, so one global learning rate must
    be small enough for the first and is then far too small for the second.

    Parameters
    ----------
    n_samples : int, in [1, inf)
    n_dense : int, in [0, inf)
    n_rare : int, in [0, inf); ``n_dense + n_rare >= 1``
    freq : (float, float), with 0 < low <= high <= 1
        Range of the rare features' frequencies :math:`p_j`.
    dense_scale : float, in (0, inf)
    rare_weight : float, in [0, inf)
    l2 : float, in [0, inf)
        Ridge strength :math:`\lambda` of the returned problem.
    rng : numpy.random.Generator, optional
        Source of all randomness; ``np.random.default_rng(0)`` when None.

    Returns
    -------
    LogisticRegression
        With extra attributes ``theta_true`` (shape ``(d,)``), ``freq``
        (shape ``(n_rare,)``) and ``rare`` (boolean mask of the rare coordinates).

    Examples
    --------
    >>> prob = sparse_logistic(n_samples=200, rng=np.random.default_rng(1))
    >>> prob.dim, int(prob.rare.sum())
    (55, 50)
    >>> bool(np.all(np.isin(prob.X[:, prob.rare], (0.0, 1.0))))
    True
    """
    rng = _check_rng(rng)
    n = check_int("n_samples", n_samples, 1)
    n_dense = check_int("n_dense", n_dense, 0)
    n_rare = check_int("n_rare", n_rare, 0)
    if n_dense + n_rare < 1:
        raise ValueError(f"n_dense + n_rare must be >= 1; got {n_dense} + {n_rare}")
    try:
        lo, hi = (float(v) for v in freq)
    except (TypeError, ValueError):
        raise TypeError(f"freq must be a pair (low, high) of numbers; got {freq!r}") from None
    if not (0.0 < lo <= hi <= 1.0):
        raise ValueError(f"freq must satisfy 0 < low <= high <= 1; got {freq!r}")
    dense_scale = check_in_range("dense_scale", dense_scale, 0.0, None, low_open=True, allow_array=False)
    rare_weight = check_in_range("rare_weight", rare_weight, 0.0, None, allow_array=False)
    l2 = check_in_range("l2", l2, 0.0, None, allow_array=False)
    p = np.geomspace(lo, hi, n_rare)
    X = np.hstack([dense_scale * rng.standard_normal((n, n_dense)),
                   (rng.random((n, n_rare)) < p).astype(np.float64)])
    w = np.concatenate([rng.standard_normal(n_dense) / dense_scale,
                        rare_weight * rng.choice([-1.0, 1.0], size=n_rare)])
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(np.float64)
    prob = LogisticRegression(X, y, l2=l2)
    prob.theta_true, prob.freq = w, p
    prob.rare = np.arange(n_dense + n_rare) >= n_dense
    prob.name = (f"sparse_logistic(N={n}, dense={n_dense}, rare={n_rare}, "
                 f"freq=[{lo:g}, {hi:g}], l2={l2:g})")
    return prob


# ------------------------------------------------------------- preconditioning
def quadratic_pair(kappa: float, angle: float = np.pi / 4, L: float = 1.0) -> tuple[Quadratic, Quadratic]:
    r"""Two 2-D quadratics with the same eigenvalues :math:`L` and :math:`L/\kappa`.

    The first has its eigenvectors on the coordinate axes,
    :math:`H = \mathrm{diag}(L, L/\kappa)`; the second is the same bowl rotated
    by ``angle``, :math:`R_\alpha H R_\alpha^\top`. Both have minimizer 0.

    Parameters
    ----------
    kappa : float, in [1, inf)
    angle : float, default pi/4
        Rotation in radians (any finite value).
    L : float, in (0, inf), default 1

    Examples
    --------
    >>> aligned, rotated = quadratic_pair(100.0)
    >>> np.allclose(aligned.eigenvalues, rotated.eigenvalues)
    True
    """
    return Quadratic.from_condition(kappa, 0.0, L), Quadratic.from_condition(kappa, angle, L)


def preconditioned_condition(H: Any, scale: Any = None) -> float:
    r"""Condition number of :math:`D^{-1/2} H D^{-1/2}`, with :math:`D = \mathrm{diag}(\text{scale})`.

    A method that divides coordinate :math:`i` of the gradient by
    :math:`\sqrt{D_{ii}}` after the change of variables
    :math:`\phi = D^{1/2}\theta` is gradient descent on a quadratic with Hessian
    :math:`D^{-1/2} H D^{-1/2}`; its condition number sets the speed. The
    default ``scale = diag(H)`` (Jacobi scaling) makes every diagonal entry 1.

    Parameters
    ----------
    H : array_like, shape (d, d)
        Symmetric positive definite.
    scale : array_like, shape (d,), optional
        Positive per-coordinate scales :math:`D_{ii}`; default ``diag(H)``.

    Returns
    -------
    float
        :math:`\lambda_{\max}/\lambda_{\min}` of the rescaled matrix.

    Examples
    --------
    >>> round(preconditioned_condition(np.diag([100.0, 1.0])), 12)
    1.0
    >>> H = np.array([[50.5, 49.5], [49.5, 50.5]])    # diag(100, 1) rotated by 45 degrees
    >>> round(preconditioned_condition(H), 9)
    100.0
    """
    H = check_float_array("H", H)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise ValueError(f"H must be a square 2-D array; got shape {H.shape}")
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-14 * np.max(np.abs(H))):
        raise ValueError("H must be symmetric")
    d = np.diag(H).copy() if scale is None else check_float_array("scale", scale)
    if d.shape != (H.shape[0],):
        raise ValueError(f"scale must have shape ({H.shape[0]},); got {d.shape}")
    if not np.all(d > 0):
        raise ValueError(f"scale (or diag(H)) must be positive; got min {float(np.min(d)):.3g}")
    s = 1.0 / np.sqrt(d)
    ev = np.linalg.eigvalsh(H * s[:, None] * s[None, :])
    if not ev[0] > 0:
        raise ValueError(f"H must be positive definite; got smallest eigenvalue {ev[0]:.3g}")
    return float(ev[-1] / ev[0])


# ------------------------------------------------------------ effective rates
def _grads(grads: Any) -> np.ndarray:
    g = check_float_array("grads", grads, min_ndim=1)
    if g.shape[0] == 0:
        raise ValueError("grads must hold at least one step (axis 0 is time)")
    return g


def adagrad_effective_lr(grads: Any, lr: float = 1e-2, eps: float = 1e-10,
                         initial_accumulator_value: float = 0.0) -> np.ndarray:
    r"""Adagrad's per-coordinate step size at every step, from the gradients it saw.

    .. math::

        G_t = G_0 + \sum_{s=1}^{t} g_s^2, \qquad
        \eta^{\text{eff}}_t = \frac{\eta}{\sqrt{G_t} + \epsilon},

    so Adagrad's update is :math:`\theta_t = \theta_{t-1} - \eta^{\text{eff}}_t\, g_t`
    (``torch.optim.Adagrad`` with ``lr_decay = 0``). A larger accumulated squared
    gradient gives a *smaller* step; :math:`\eta^{\text{eff}}_t` never increases.

    Parameters
    ----------
    grads : array_like, shape (T, ...)
        The gradients :math:`g_1, \dots, g_T`, time along axis 0.
    lr : float, in (0, inf)
    eps : float, in [0, inf)
    initial_accumulator_value : float, in [0, inf)
        :math:`G_0`.

    Returns
    -------
    ndarray, same shape as ``grads``
        :math:`\eta^{\text{eff}}_t` for :math:`t = 1, \dots, T` (``inf`` where
        :math:`G_t = 0` and :math:`\epsilon = 0`).

    Examples
    --------
    >>> adagrad_effective_lr(np.array([[3.0], [4.0]]), lr=1.0, eps=0.0).ravel()
    array([0.33333333, 0.2       ])
    """
    g = _grads(grads)
    lr = check_in_range("lr", lr, 0.0, None, low_open=True, allow_array=False)
    eps = check_in_range("eps", eps, 0.0, None, allow_array=False)
    g0 = check_in_range("initial_accumulator_value", initial_accumulator_value, 0.0, None, allow_array=False)
    G = g0 + np.cumsum(g * g, axis=0)
    with np.errstate(divide="ignore"):
        return lr / (np.sqrt(G) + eps)


def rmsprop_effective_lr(grads: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8) -> np.ndarray:
    r"""RMSProp's per-coordinate step size at every step, from the gradients it saw.

    .. math::

        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2 \quad (v_0 = 0), \qquad
        \eta^{\text{eff}}_t = \frac{\eta}{\sqrt{v_t} + \epsilon},

    the step of ``torch.optim.RMSprop`` without momentum or centering:
    :math:`\theta_t = \theta_{t-1} - \eta^{\text{eff}}_t\, g_t`. Old gradients
    fade with weight :math:`\alpha^{k}` after :math:`k` steps, so the step can
    grow again when gradients shrink.

    Parameters
    ----------
    grads : array_like, shape (T, ...)
    lr : float, in (0, inf)
    alpha : float, in [0, 1)
    eps : float, in [0, inf)

    Returns
    -------
    ndarray, same shape as ``grads``

    Examples
    --------
    >>> rmsprop_effective_lr(np.array([[1.0], [1.0]]), lr=1.0, alpha=0.75, eps=0.0).ravel()
    array([2.        , 1.51185789])
    """
    g = _grads(grads)
    lr = check_in_range("lr", lr, 0.0, None, low_open=True, allow_array=False)
    alpha = check_in_range("alpha", alpha, 0.0, 1.0, allow_array=False)
    eps = check_in_range("eps", eps, 0.0, None, allow_array=False)
    v = np.zeros_like(g[0])
    out = np.empty_like(g)
    with np.errstate(divide="ignore"):
        for t in range(g.shape[0]):
            v = alpha * v + (1 - alpha) * g[t] * g[t]
            out[t] = lr / (np.sqrt(v) + eps)
    return out


def ema_weights(rho: float, steps: int) -> np.ndarray:
    r"""Weights of past squared gradients in an exponential moving average after ``steps`` updates.

    With :math:`v_0 = 0` and :math:`v_t = \rho v_{t-1} + (1-\rho) x_t`,
    :math:`v_t = \sum_{s=1}^{t} (1-\rho)\rho^{t-s} x_s`. Entry ``k`` of the result
    is the weight of :math:`x_{t-k}` (``k = 0`` is the newest). The weights sum
    to :math:`1 - \rho^t`; their mean age is about :math:`\rho/(1-\rho)` and
    the average covers an effective window of about :math:`1/(1-\rho)` steps.

    Parameters
    ----------
    rho : float, in [0, 1)
    steps : int, in [1, inf)

    Examples
    --------
    >>> ema_weights(0.5, 3)
    array([0.5  , 0.25 , 0.125])
    """
    rho = check_in_range("rho", rho, 0.0, 1.0, allow_array=False)
    steps = check_int("steps", steps, 1)
    return (1 - rho) * rho ** np.arange(steps, dtype=np.float64)


# ------------------------------------------------------------ moving optimum
class DriftingQuadratic:
    r"""A separable quadratic whose minimizer moves at constant velocity.

    .. math::

        f_t(\theta) = \tfrac12 \sum_i \lambda_i\,(\theta_i - c_i(t))^2, \qquad
        c(t) = c_0 + t\,v,

    with gradient :math:`\nabla f_t(\theta) = \Lambda(\theta - c(t))`. At step
    :math:`t` an optimizer sees :math:`\nabla f_{t-1}` at its current point.
    Gradient descent with a constant step :math:`\eta` settles at a constant
    lag: the error :math:`e_t = \theta_t - c(t)` obeys
    :math:`e_t = (1 - \eta\lambda_i) e_{t-1} - v_i`, whose fixed point is
    :math:`e^\star_i = -v_i/(\eta\lambda_i)`.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Curvatures :math:`\lambda_i > 0`.
    velocity : array_like, shape (d,)
        :math:`v`, distance the minimizer moves per step.
    start : array_like, shape (d,), optional
        :math:`c_0`; zeros by default.

    Examples
    --------
    >>> dq = DriftingQuadratic([2.0], [0.1])
    >>> dq.minimizer(10), dq.grad(np.array([0.0]), 10)
    (array([1.]), array([-2.]))
    """

    def __init__(self, eigenvalues: Any, velocity: Any, start: Any = None) -> None:
        lam = check_float_array("eigenvalues", eigenvalues, min_ndim=1)
        if lam.ndim != 1 or not np.all(lam > 0):
            raise ValueError("eigenvalues must be a 1-D array of positive numbers")
        v = check_float_array("velocity", velocity, min_ndim=1)
        if v.shape != lam.shape:
            raise ValueError(f"velocity must have shape {lam.shape}; got {v.shape}")
        c0 = np.zeros_like(lam) if start is None else check_float_array("start", start, min_ndim=1)
        if c0.shape != lam.shape:
            raise ValueError(f"start must have shape {lam.shape}; got {c0.shape}")
        self.eigenvalues, self.velocity, self.start = lam, v, c0
        self.dim = lam.shape[0]

    def minimizer(self, t: Any) -> np.ndarray:
        r""":math:`c(t) = c_0 + t v`; ``t`` may be an array (result shape ``t.shape + (d,)``)."""
        t = np.asarray(check_real("t", t), dtype=np.float64)
        return self.start + t[..., None] * self.velocity

    def value(self, x: Any, t: Any) -> np.ndarray:
        r""":math:`f_t(x)`, over the leading axes of ``x``."""
        x = check_float_array("x", x, min_ndim=1, last_dim=self.dim)
        return 0.5 * np.sum(self.eigenvalues * (x - self.minimizer(t)) ** 2, axis=-1)

    def grad(self, x: Any, t: Any) -> np.ndarray:
        r""":math:`\nabla f_t(x) = \Lambda(x - c(t))`."""
        x = check_float_array("x", x, min_ndim=1, last_dim=self.dim)
        return self.eigenvalues * (x - self.minimizer(t))

    def __repr__(self) -> str:
        return f"DriftingQuadratic(d={self.dim})"


@dataclass(frozen=True)
class TrackingRun:
    """Result of :func:`track`.

    Attributes
    ----------
    points : ndarray, shape (steps + 1, *batch, d)
        Iterates :math:`\\theta_0, \\dots, \\theta_T`.
    targets : ndarray, shape (steps + 1, d)
        Minimizers :math:`c(0), \\dots, c(T)`.
    errors : ndarray, shape (steps + 1, *batch)
        Distances :math:`\\|\\theta_t - c(t)\\|`.
    """

    points: np.ndarray
    targets: np.ndarray
    errors: np.ndarray


def track(problem: DriftingQuadratic, x0: Any, optimizer: Any, steps: int) -> TrackingRun:
    r"""Run ``optimizer`` on a :class:`DriftingQuadratic`, one gradient per step.

    Update :math:`t` uses :math:`g_t = \nabla f_{t-1}(\theta_{t-1})`, then the
    minimizer moves to :math:`c(t)`. Leading axes of ``x0`` are independent runs,
    as in :func:`descent.run.minimize` (hyperparameter arrays of shape ``(R, 1)``).

    Parameters
    ----------
    problem : DriftingQuadratic
    x0 : array_like, shape (*batch, d)
    optimizer : descent.optim.Optimizer
    steps : int, in [0, inf)

    Examples
    --------
    >>> from descent.optim import SGD
    >>> run = track(DriftingQuadratic([1.0], [0.1]), np.zeros(1), SGD(lr=0.5), 200)
    >>> round(float(run.errors[-1]), 6)          # the lag v / (eta * lambda)
    0.2
    """
    if not isinstance(problem, DriftingQuadratic):
        raise TypeError(f"problem must be a DriftingQuadratic; got {type(problem).__name__}")
    x = check_float_array("x0", x0, min_ndim=1, last_dim=problem.dim).copy()
    steps = check_int("steps", steps, 0)
    state = optimizer.init(x)
    points = np.empty((steps + 1,) + x.shape)
    points[0] = x
    for t in range(1, steps + 1):
        x, state = optimizer.update(x, problem.grad(x, t - 1), state)
        points[t] = x
    targets = problem.minimizer(np.arange(steps + 1))
    expand = targets.reshape((steps + 1,) + (1,) * (x.ndim - 1) + (problem.dim,))
    return TrackingRun(points, targets, np.linalg.norm(points - expand, axis=-1))


# ------------------------------------------------------------ rotated frames
class RotatedAxes:
    r"""Run a per-coordinate optimizer in coordinates rotated by ``angle`` (2-D parameters).

    With :math:`\phi = R_\alpha^\top\theta`, the wrapped optimizer sees the
    gradient :math:`R_\alpha^\top g` and updates :math:`\phi`; the result is
    mapped back, :math:`\theta = R_\alpha\phi`. For SGD this changes nothing
    (the update is rotation-equivariant). For Adagrad, RMSProp or Adadelta it
    changes which directions get their own step size: running one on an
    axis-aligned quadratic with ``RotatedAxes(opt, a)`` is the same as running
    it on the quadratic rotated by :math:`-a`, seen in rotated coordinates.

    Parameters
    ----------
    optimizer : descent.optim.Optimizer
        Any optimizer with ``init``/``update`` on arrays of shape ``(..., 2)``.
    angle : float
        Rotation in radians (any finite value).

    Examples
    --------
    >>> from descent.optim import SGD
    >>> opt = RotatedAxes(SGD(lr=0.1), 0.7)
    >>> p, s = opt.update(np.array([1.0, 2.0]), np.array([1.0, -1.0]), opt.init(np.array([1.0, 2.0])))
    >>> p
    array([0.9, 2.1])
    """

    def __init__(self, optimizer: Any, angle: float) -> None:
        if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
            raise TypeError(f"optimizer must have init and update; got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.angle = float(check_real("angle", angle, allow_array=False))
        c, s = np.cos(self.angle), np.sin(self.angle)
        self._R = np.array([[c, -s], [s, c]])

    def _check(self, name: str, x: Any) -> np.ndarray:
        return check_float_array(name, x, min_ndim=1, last_dim=2)

    def init(self, params: Any) -> Any:
        """The wrapped optimizer's state for the rotated parameters."""
        return self.optimizer.init(self._check("params", params) @ self._R)

    def update(self, params: Any, grads: Any, state: Any) -> tuple[np.ndarray, Any]:
        """One step of the wrapped optimizer in the rotated frame; returns ``(params, state)``."""
        phi, state = self.optimizer.update(self._check("params", params) @ self._R,
                                           self._check("grads", grads) @ self._R, state)
        return phi @ self._R.T, state

    def __repr__(self) -> str:
        return f"RotatedAxes({self.optimizer!r}, angle={self.angle:g})"

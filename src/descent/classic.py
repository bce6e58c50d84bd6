r"""The two nineteenth-century roots of the book: Cauchy's steepest descent and Gauss–Newton.

Cauchy (1847) moves against the gradient and picks the step that minimizes the
objective along that ray. On a quadratic
:math:`L(\theta) = \tfrac12 \theta^\top A\theta - b^\top\theta + c` the best
step has a closed form, so the method runs exactly:

.. math::

    g_t = A\theta_{t-1} - b, \qquad
    \eta_t = \frac{g_t^\top g_t}{g_t^\top A g_t}, \qquad
    \theta_t = \theta_{t-1} - \eta_t g_t .

Its worst case per step is Kantorovich's bound
:math:`L(\theta_t) - L^\star \le \big(\tfrac{\kappa-1}{\kappa+1}\big)^2 (L(\theta_{t-1}) - L^\star)`,
attained from :func:`kantorovich_start`.

Gauss–Newton minimizes :math:`L(\theta) = \frac{1}{2N}\sum_i r_i(\theta)^2` for
residuals :math:`r(\theta) \in \mathbb{R}^N` with Jacobian :math:`J(\theta)` by
solving the linearized least-squares problem at every step:

.. math::

    \theta_t = \theta_{t-1} - (J^\top J)^{+} J^\top r, \quad J = J(\theta_{t-1}),\ r = r(\theta_{t-1}).

Every function is vectorized over the leading axes of the starting points, as
:func:`descent.run.minimize` is, and returns the same
:class:`~descent.run.Trajectory`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._validation import check_float_array, check_in_range, check_int, check_real
from .landscapes import LeastSquares, Quadratic
from .run import Trajectory

__all__ = [
    "exact_step",
    "steepest_descent",
    "kantorovich_rate",
    "kantorovich_start",
    "backtracking_descent",
    "NonlinearLeastSquares",
    "gauss_newton",
]

_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}


def _hessian_of(problem: Any) -> np.ndarray:
    """The constant Hessian of a quadratic problem (Quadratic or LeastSquares)."""
    if isinstance(problem, Quadratic):
        return problem.A
    if isinstance(problem, LeastSquares):
        return problem.X.T @ problem.X / problem.n_samples
    raise TypeError(
        "problem must be a descent.landscapes.Quadratic or LeastSquares (a quadratic with a "
        f"constant Hessian); got {type(problem).__name__}"
    )


def exact_step(A: Any, g: Any) -> np.ndarray:
    r"""Step size that minimizes a quadratic along the negative gradient.

    For :math:`L(\theta) = \tfrac12\theta^\top A\theta - b^\top\theta + c` and
    :math:`g = \nabla L(\theta)`, the function
    :math:`\varphi(\eta) = L(\theta - \eta g) = L(\theta) - \eta\, g^\top g + \tfrac{\eta^2}{2} g^\top A g`
    is minimized at

    .. math:: \eta^\star = \frac{g^\top g}{g^\top A g}.

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric positive definite Hessian.
    g : float ndarray, shape (..., d)
        Gradients; leading axes are a batch.

    Returns
    -------
    ndarray, shape (...)
        :math:`\eta^\star` for each gradient; 0 where :math:`g = 0` (nothing to do).

    Examples
    --------
    >>> exact_step(np.diag([1.0, 4.0]), np.array([1.0, 1.0]))
    0.4
    """
    A = np.asarray(check_real("A", A), dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix of shape (d, d); got shape {A.shape}")
    g = check_float_array("g", g, min_ndim=1, last_dim=A.shape[0])
    gg = np.sum(g * g, axis=-1)
    gAg = np.einsum("...i,ij,...j->...", g, A, g)
    with np.errstate(**_QUIET):
        out = np.where(gAg > 0, gg / np.where(gAg > 0, gAg, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def steepest_descent(problem: Any, x0: Any, steps: int) -> Trajectory:
    r"""Cauchy's steepest descent with exact line search on a quadratic.

    .. math::

        g_t = \nabla L(\theta_{t-1}), \quad
        \eta_t = \frac{g_t^\top g_t}{g_t^\top A g_t}, \quad
        \theta_t = \theta_{t-1} - \eta_t g_t, \qquad t = 1, \dots, T.

    Successive gradients are orthogonal, :math:`g_{t+1}^\top g_t = 0`, which
    gives the method its zig-zag.

    Parameters
    ----------
    problem : Quadratic or LeastSquares
        A quadratic objective with constant Hessian :math:`A`.
    x0 : float ndarray, shape (*batch, d)
        Starting point(s); leading axes are independent runs.
    steps : int >= 0
        Number of updates :math:`T`.

    Returns
    -------
    Trajectory
        ``points`` of shape ``(steps + 1, *batch, d)``, ``losses`` and
        ``min_value`` of the problem; ``divergence_steps`` is all ``-1`` (an
        exact line search on a positive definite quadratic never diverges).

    Examples
    --------
    >>> q = Quadratic(np.diag([1.0, 10.0]))
    >>> traj = steepest_descent(q, np.array([1.0, 0.1]), 3)
    >>> ratio = traj.losses[1:] / traj.losses[:-1]
    >>> np.allclose(ratio, kantorovich_rate(10.0))
    True
    """
    A = _hessian_of(problem)
    x0 = check_float_array("x0", x0, min_ndim=1, last_dim=A.shape[0])
    steps = check_int("steps", steps, 0)
    x = x0.astype(np.result_type(x0.dtype, np.float64))
    points = np.empty((steps + 1,) + x.shape)
    points[0] = x
    for k in range(1, steps + 1):
        g = problem.grad(x)
        x = x - np.asarray(exact_step(A, g))[..., None] * g
        points[k] = x
    losses = np.asarray(problem.value(points), dtype=np.float64)
    div = np.full(x0.shape[:-1], -1, dtype=np.int64)
    return Trajectory(points, losses, div, float(problem.min_value))


def backtracking_descent(
    problem: Any, x0: Any, steps: int, *, lr0: float = 1.0, c: float = 1e-4, shrink: float = 0.5,
    max_shrinks: int = 60,
) -> tuple[Trajectory, np.ndarray, int]:
    r"""Gradient descent with Armijo backtracking: the practical line search.

    At every step, starting from :math:`\eta = \eta_0`, multiply :math:`\eta`
    by ``shrink`` until the sufficient-decrease (Armijo) condition holds,

    .. math::

        L(\theta_{t-1} - \eta g_t) \le L(\theta_{t-1}) - c\,\eta\,\|g_t\|^2,
        \qquad g_t = \nabla L(\theta_{t-1}),

    then step :math:`\theta_t = \theta_{t-1} - \eta g_t`. If :math:`\nabla L`
    is :math:`L`-Lipschitz the condition holds for every
    :math:`\eta \le 2(1 - c)/L`, so the accepted step is at least
    ``shrink`` times that (or :math:`\eta_0`), and the loss never increases.
    Needs only loss values and gradients, no Hessian.

    Parameters
    ----------
    problem : object with ``value(x)`` and ``grad(x)``
    x0 : float ndarray, shape (*batch, d)
        Starting point(s); every run backtracks on its own.
    steps : int >= 0
    lr0 : float > 0, default 1.0
        First trial step of every iteration.
    c : float in (0, 1), default 1e-4
    shrink : float in (0, 1), default 0.5
    max_shrinks : int >= 1, default 60
        A run whose gradient is so small (or whose loss is so flat) that no
        trial step passes after this many shrinks stays where it is.

    Returns
    -------
    (Trajectory, lrs, evaluations)
        ``lrs`` of shape ``(steps, *batch)``: the accepted steps (0 where none
        passed); ``evaluations``: the number of loss evaluations at trial
        points, summed over runs.

    Examples
    --------
    >>> q = Quadratic(np.diag([1.0, 10.0]))
    >>> traj, lrs, evals = backtracking_descent(q, np.array([1.0, 1.0]), 30)
    >>> bool(np.all(np.diff(traj.losses) <= 0)), float(lrs[0])     # 1, 0.5 and 0.25 fail the test; 0.125 passes
    (True, 0.125)
    """
    x0 = check_float_array("x0", x0, min_ndim=1)
    steps = check_int("steps", steps, 0)
    lr0 = check_in_range("lr0", lr0, 0.0, None, low_open=True, allow_array=False)
    c = check_in_range("c", c, 0.0, 1.0, low_open=True, high_open=True, allow_array=False)
    shrink = check_in_range("shrink", shrink, 0.0, 1.0, low_open=True, high_open=True, allow_array=False)
    max_shrinks = check_int("max_shrinks", max_shrinks, 1)
    x = x0.astype(np.result_type(x0.dtype, np.float64))
    points = np.empty((steps + 1,) + x.shape)
    points[0] = x
    lrs = np.zeros((steps,) + x.shape[:-1])
    evals = 0
    with np.errstate(**_QUIET):
        for k in range(steps):
            f, g = np.asarray(problem.value(x)), problem.grad(x)
            gg = np.sum(g * g, axis=-1)
            eta = np.full(x.shape[:-1], float(lr0))
            todo = gg > 0
            for _ in range(max_shrinks):
                if not np.any(todo):
                    break
                trial = np.asarray(problem.value(x - eta[..., None] * g))
                evals += int(np.sum(todo))
                ok = np.isfinite(trial) & (trial <= f - c * eta * gg)
                todo = todo & ~ok
                eta = np.where(todo, eta * shrink, eta)
            eta = np.where(todo | (gg == 0), 0.0, eta)
            x = x - eta[..., None] * g
            lrs[k] = eta
            points[k + 1] = x
    losses = np.asarray(problem.value(points), dtype=np.float64)
    div = np.full(x0.shape[:-1], -1, dtype=np.int64)
    return Trajectory(points, losses, div, float(getattr(problem, "min_value", np.nan))), lrs, evals



def kantorovich_rate(kappa: Any) -> Any:
    r"""Worst-case factor of steepest descent with exact line search per step in :math:`L - L^\star`.

    .. math:: \rho^2 = \Big(\frac{\kappa - 1}{\kappa + 1}\Big)^2,
       \qquad L(\theta_t) - L^\star \le \rho^2\,\big(L(\theta_{t-1}) - L^\star\big),

    where :math:`\kappa = \lambda_{\max}/\lambda_{\min}` is the condition number
    of the Hessian (Kantorovich's inequality; see Nocedal & Wright, 2006, ch. 3).

    Parameters
    ----------
    kappa : float or array_like
        Condition number(s), each in [1, inf).

    Returns
    -------
    float or ndarray
        The factor, same shape as ``kappa``; in [0, 1).

    Examples
    --------
    >>> kantorovich_rate(3.0)
    0.25
    """
    kappa = np.asarray(check_in_range("kappa", kappa, 1.0, None), dtype=np.float64)
    out = ((kappa - 1.0) / (kappa + 1.0)) ** 2
    return float(out) if out.ndim == 0 else out


def kantorovich_start(problem: Any, radius: float = 1.0, sign: int = 1) -> np.ndarray:
    r"""A starting point from which steepest descent attains Kantorovich's bound at every step.

    With :math:`v_{\min}, v_{\max}` the unit eigenvectors of the Hessian for
    :math:`\lambda_{\min}, \lambda_{\max}`,

    .. math:: \theta_0 = \theta^\star + s\,\Big(\frac{v_{\min}}{\lambda_{\min}} \pm \frac{v_{\max}}{\lambda_{\max}}\Big),

    scaled so that :math:`\|\theta_0 - \theta^\star\| =` ``radius``. Its gradient
    :math:`v_{\min} \pm v_{\max}` (up to scale) weighs both extreme curvatures
    equally, the exact line search then takes :math:`\eta = 2/(\lambda_{\min} + \lambda_{\max})`,
    and the error comes back to the same shape with the sign of the
    :math:`v_{\max}` part flipped and the loss gap multiplied by
    :func:`kantorovich_rate`.

    Parameters
    ----------
    problem : Quadratic or LeastSquares
        A quadratic with a positive definite Hessian.
    radius : float, default 1.0
        Distance from the minimizer, in (0, inf).
    sign : {1, -1}, default 1
        The sign :math:`\pm` of the :math:`v_{\max}` component.

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> q = Quadratic(np.diag([1.0, 4.0]))
    >>> kantorovich_start(q, radius=np.hypot(1.0, 0.25))
    array([1.  , 0.25])
    """
    A = _hessian_of(problem)
    radius = check_in_range("radius", radius, 0.0, None, low_open=True, allow_array=False)
    if sign not in (1, -1) or isinstance(sign, bool):
        raise ValueError(f"sign must be 1 or -1; got {sign!r}")
    lam, vec = np.linalg.eigh(A)
    if not lam[0] > 0:
        raise ValueError(f"problem must have a positive definite Hessian; got smallest eigenvalue {lam[0]:.3g}")
    vec = vec * np.where(vec[np.argmax(np.abs(vec), axis=0), np.arange(len(lam))] < 0, -1.0, 1.0)
    direction = vec[:, 0] / lam[0] + sign * vec[:, -1] / lam[-1]
    x_star = problem.minima[0]
    return x_star + radius * direction / np.linalg.norm(direction)


class NonlinearLeastSquares:
    r"""Nonlinear least squares :math:`L(\theta) = \frac{1}{2N} \sum_{i=1}^N r_i(\theta)^2`.

    Built from a residual function :math:`r:\mathbb{R}^d \to \mathbb{R}^N` and
    its Jacobian :math:`J_{ik} = \partial r_i / \partial\theta_k`. The gradient
    is :math:`\nabla L = J^\top r / N` and :math:`J^\top J / N` is the
    Gauss–Newton approximation of the Hessian (exact when the residuals vanish
    or are linear). It has ``value`` and ``grad`` like a landscape, so
    :func:`descent.run.minimize` can run first-order methods on it.

    Parameters
    ----------
    residual : callable
        ``residual(theta)`` maps ``theta`` of shape ``(..., d)`` to ``(..., N)``.
    jacobian : callable
        ``jacobian(theta)`` maps ``theta`` of shape ``(..., d)`` to ``(..., N, d)``.
    dim : int
        Number of parameters :math:`d`, in [1, inf).
    min_value : float, default nan
        :math:`L^\star` when known (0 for a zero-residual problem).
    name : str, optional

    Examples
    --------
    >>> t = np.linspace(0.0, 2.0, 5)
    >>> nls = NonlinearLeastSquares.exponential_decay(t, 3.0 * np.exp(-1.5 * t))
    >>> float(nls.value(np.array([3.0, 1.5])))
    0.0
    """

    def __init__(self, residual: Callable[[np.ndarray], np.ndarray],
                 jacobian: Callable[[np.ndarray], np.ndarray], dim: int, *,
                 min_value: float = float("nan"), name: str | None = None) -> None:
        if not callable(residual):
            raise TypeError(f"residual must be callable; got {type(residual).__name__}")
        if not callable(jacobian):
            raise TypeError(f"jacobian must be callable; got {type(jacobian).__name__}")
        self.dim = check_int("dim", dim, 1)
        self._residual, self._jacobian = residual, jacobian
        self.min_value = float(min_value)
        self.name = name or f"NonlinearLeastSquares(d={self.dim})"

    @classmethod
    def exponential_decay(cls, t: Any, y: Any) -> NonlinearLeastSquares:
        r"""Fit :math:`y \approx a\,e^{-k t}` with :math:`\theta = (a, k)`.

        Residuals :math:`r_i = a e^{-k t_i} - y_i`, Jacobian columns
        :math:`e^{-k t_i}` and :math:`-a t_i e^{-k t_i}`.

        Parameters
        ----------
        t : float array_like, shape (N,)
            Finite times.
        y : float array_like, shape (N,)
            Finite observations.
        """
        t = np.asarray(check_real("t", t), dtype=np.float64)
        y = np.asarray(check_real("y", y), dtype=np.float64)
        if t.ndim != 1 or t.shape != y.shape or t.size == 0:
            raise ValueError(f"t and y must be 1-D of the same length N >= 1; got shapes {t.shape} and {y.shape}")

        def residual(theta: np.ndarray) -> np.ndarray:
            return theta[..., :1] * np.exp(-theta[..., 1:] * t) - y

        def jacobian(theta: np.ndarray) -> np.ndarray:
            e = np.exp(-theta[..., 1:] * t)
            return np.stack([e, -theta[..., :1] * t * e], axis=-1)

        obj = cls(residual, jacobian, 2, name=f"ExponentialDecay(N={t.size})")
        obj.t, obj.y = t, y
        return obj

    def _point(self, theta: Any) -> np.ndarray:
        return check_float_array("theta", theta, finite=False, min_ndim=1, last_dim=self.dim)

    def residual(self, theta: np.ndarray) -> np.ndarray:
        """Residuals :math:`r(\\theta)`, shape ``(..., N)``."""
        with np.errstate(**_QUIET):
            return np.asarray(self._residual(self._point(theta)))

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """Jacobian :math:`J(\\theta)`, shape ``(..., N, d)``."""
        with np.errstate(**_QUIET):
            return np.asarray(self._jacobian(self._point(theta)))

    def value(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`L(\theta) = \frac{1}{2N}\|r(\theta)\|^2`, shape ``(...)``."""
        r = self.residual(theta)
        with np.errstate(**_QUIET):
            return (0.5 * np.mean(r * r, axis=-1))[()]

    def grad(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`\nabla L(\theta) = J^\top r / N`, shape ``(..., d)``."""
        r, J = self.residual(theta), self.jacobian(theta)
        with np.errstate(**_QUIET):
            return np.einsum("...ik,...i->...k", J, r) / r.shape[-1]

    def gauss_newton_step(self, theta: np.ndarray, damping: float = 0.0) -> np.ndarray:
        r"""The Gauss–Newton (or Levenberg) step :math:`-(J^\top J + \nu I)^{+} J^\top r`, shape ``(..., d)``.

        Computed from the thin SVD :math:`J = U S V^\top` as
        :math:`-V\,\mathrm{diag}\big(s_k / (s_k^2 + \nu)\big)\,U^\top r`, which is the
        minimum-norm least-squares solution of :math:`J\Delta = -r` when
        :math:`\nu = 0` (directions with :math:`s_k = 0` get no step).

        Parameters
        ----------
        theta : float ndarray, shape (..., d)
        damping : float, default 0.0
            Levenberg's :math:`\nu`, in [0, inf).
        """
        damping = check_in_range("damping", damping, 0.0, None, allow_array=False)
        r, J = self.residual(theta), self.jacobian(theta)
        with np.errstate(**_QUIET):
            U, s, Vt = np.linalg.svd(J, full_matrices=False)
            den = s * s + damping
            scale = np.where(den > 0, s / np.where(den > 0, den, 1.0), 0.0)
            if damping == 0.0:  # drop numerically null directions, as lstsq does
                scale = np.where(s > s[..., :1] * max(J.shape[-2:]) * np.finfo(s.dtype).eps, scale, 0.0)
            coef = scale * np.einsum("...ik,...i->...k", U, r)
            return -np.einsum("...kj,...k->...j", Vt, coef)

    def __repr__(self) -> str:
        return self.name


def gauss_newton(problem: NonlinearLeastSquares, x0: Any, steps: int, *, damping: float = 0.0,
                 bound: float = 1e6) -> Trajectory:
    r"""Run Gauss–Newton (Levenberg when ``damping > 0``) for ``steps`` updates.

    .. math::

        r = r(\theta_{t-1}),\ J = J(\theta_{t-1}), \qquad
        \theta_t = \theta_{t-1} - (J^\top J + \nu I)^{+} J^\top r .

    With :math:`\nu = 0` each step minimizes the linearized residual
    :math:`\|r + J\Delta\|^2`. Near a minimizer with zero residual and full-rank
    :math:`J` the error shrinks quadratically, :math:`\|\theta_t - \theta^\star\| \le C\|\theta_{t-1} - \theta^\star\|^2`.

    Parameters
    ----------
    problem : NonlinearLeastSquares
    x0 : float ndarray, shape (*batch, d)
        Starting point(s); leading axes are independent runs.
    steps : int >= 0
    damping : float, default 0.0
        Levenberg damping :math:`\nu \ge 0`.
    bound : float, default 1e6
        A run diverges once its point or loss is non-finite or a coordinate
        exceeds ``bound`` in absolute value; it is then frozen and recorded as
        ``nan``, as in :func:`descent.run.minimize`.

    Returns
    -------
    Trajectory

    Examples
    --------
    >>> t = np.linspace(0.0, 2.0, 8)
    >>> nls = NonlinearLeastSquares.exponential_decay(t, 3.0 * np.exp(-1.5 * t))
    >>> traj = gauss_newton(nls, np.array([2.0, 1.0]), 8)
    >>> np.allclose(traj.points[-1], [3.0, 1.5])
    True
    """
    if not isinstance(problem, NonlinearLeastSquares):
        raise TypeError(f"problem must be a NonlinearLeastSquares; got {type(problem).__name__}")
    x0 = check_float_array("x0", x0, min_ndim=1, last_dim=problem.dim)
    steps = check_int("steps", steps, 0)
    damping = check_in_range("damping", damping, 0.0, None, allow_array=False)
    bound = check_in_range("bound", bound, 0.0, None, low_open=True, allow_array=False)
    batch = x0.shape[:-1]
    x = x0.astype(np.result_type(x0.dtype, np.float64))
    points = np.full((steps + 1,) + x.shape, np.nan)
    losses = np.full((steps + 1,) + batch, np.nan)
    div = np.full(batch, -1, dtype=np.int64)
    points[0], losses[0] = x, problem.value(x)
    with np.errstate(**_QUIET):
        for k in range(1, steps + 1):
            new = x + problem.gauss_newton_step(x, damping)
            f = problem.value(new)
            bad = ~np.isfinite(f) | ~np.all(np.isfinite(new) & (np.abs(new) <= bound), axis=-1)
            div = np.where(bad & (div < 0), k, div)
            dead = div >= 0
            x = np.where(dead[..., None], x, new)
            points[k] = np.where(dead[..., None], np.nan, x)
            losses[k] = np.where(dead, np.nan, f)
            if np.all(dead):
                break
    return Trajectory(points, losses, div, problem.min_value)

r"""Momentum on quadratics, one eigencomponent at a time, and where the quadratic theory stops.

Heavy-ball momentum (Polyak) with learning rate :math:`\eta` and momentum
coefficient :math:`\beta` (``torch.optim.SGD(lr, momentum)``, constant rate) is

.. math::

    \theta_t = \theta_{t-1} - \eta\nabla L(\theta_{t-1}) + \beta(\theta_{t-1} - \theta_{t-2}).

On a quadratic with Hessian eigenvalue :math:`\lambda_i`, the error component
:math:`e_t` along that eigenvector obeys the two-term linear recurrence
:math:`e_t = (1 + \beta - \eta\lambda_i)\,e_{t-1} - \beta\,e_{t-2}`, i.e. the
:math:`2\times2` system

.. math::

    \begin{pmatrix} e_t \\ e_{t-1} \end{pmatrix} = T(\eta, \beta, \lambda_i)
    \begin{pmatrix} e_{t-1} \\ e_{t-2} \end{pmatrix},
    \qquad T = \begin{pmatrix} 1 + \beta - \eta\lambda_i & -\beta \\ 1 & 0 \end{pmatrix}.

Its spectral radius :func:`heavy_ball_rate` is the asymptotic per-step factor of
that component; the worst one over the spectrum (:func:`heavy_ball_rate_quadratic`,
:func:`rate_map`) is the rate of the whole run. :func:`optimal_heavy_ball` gives
the best constant pair, with rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)`.

The result is about quadratics. :class:`LessardCounterexample` is a smooth,
strongly convex function of one variable on which heavy ball with the
quadratic-optimal parameters cycles forever (Lessard, Recht & Packard, 2016).
:func:`nesterov_convex` runs Nesterov's method with the momentum schedule
:math:`\beta_t = (t-1)/(t+2)` for merely convex problems.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validation import check_float_array, check_in_range, check_int
from .landscapes import Landscape
from .run import Trajectory

__all__ = [
    "iteration_matrix",
    "heavy_ball_rate",
    "heavy_ball_rate_quadratic",
    "rate_map",
    "HeavyBallParams",
    "optimal_heavy_ball",
    "critical_momentum",
    "damping",
    "LessardCounterexample",
    "WorstCaseChain",
    "nesterov_convex",
    "RateMapExplorer",
]


def _lr(lr: Any) -> Any:
    return check_in_range("lr", lr, 0.0, None)


def _beta(momentum: Any) -> Any:
    return check_in_range("momentum", momentum, 0.0, 1.0)


def _lam(lam: Any, name: str = "lam") -> Any:
    return check_in_range(name, lam, 0.0, None)


def iteration_matrix(lr: Any, momentum: Any, lam: Any) -> np.ndarray:
    r"""The :math:`2\times2` matrix that advances one eigencomponent by one heavy-ball step.

    .. math::

        T(\eta, \beta, \lambda) = \begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix},
        \qquad (e_t, e_{t-1})^\top = T\,(e_{t-1}, e_{t-2})^\top .

    Parameters
    ----------
    lr : float or array >= 0
        Learning rate :math:`\eta`.
    momentum : float or array in [0, 1)
        Momentum coefficient :math:`\beta`.
    lam : float or array >= 0
        Hessian eigenvalue :math:`\lambda`. The three arguments broadcast.

    Returns
    -------
    ndarray, shape (*broadcast, 2, 2)

    Examples
    --------
    >>> iteration_matrix(0.1, 0.5, 2.0)
    array([[ 1.3, -0.5],
           [ 1. ,  0. ]])
    """
    lr, beta, lam = np.broadcast_arrays(np.asarray(_lr(lr), float), np.asarray(_beta(momentum), float),
                                        np.asarray(_lam(lam), float))
    T = np.zeros(lr.shape + (2, 2))
    T[..., 0, 0] = 1 + beta - lr * lam
    T[..., 0, 1] = -beta
    T[..., 1, 0] = 1.0
    return T


def heavy_ball_rate(lr: Any, momentum: Any, lam: Any) -> Any:
    r"""Spectral radius of the heavy-ball iteration for one eigenvalue :math:`\lambda`.

    The eigenvalues of :func:`iteration_matrix` are the roots of
    :math:`z^2 - a z + \beta = 0` with :math:`a = 1 + \beta - \eta\lambda`:

    .. math::

        \rho(\eta, \beta, \lambda) =
        \begin{cases}
        \sqrt{\beta} & a^2 < 4\beta \quad\text{(complex pair: under-damped)} \\
        \tfrac12\bigl(|a| + \sqrt{a^2 - 4\beta}\bigr) & a^2 \ge 4\beta \quad\text{(real roots)}
        \end{cases}

    The component contracts asymptotically by :math:`\rho` per step; it
    diverges when :math:`\rho > 1`, which for :math:`\beta \in [0, 1)` happens
    exactly when :math:`\eta\lambda > 2(1 + \beta)`.

    Parameters
    ----------
    lr : float or array >= 0
    momentum : float or array in [0, 1)
    lam : float or array >= 0
        Broadcast together.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(heavy_ball_rate(0.1, 0.81, 1.0), 12)     # a^2 < 4 beta: rate sqrt(beta)
    0.9
    >>> heavy_ball_rate(0.5, 0.0, 1.0)                  # no momentum: |1 - lr lam|
    0.5
    """
    lr, beta, lam = _lr(lr), _beta(momentum), _lam(lam)
    a = 1 + np.asarray(beta, float) - np.asarray(lr, float) * np.asarray(lam, float)
    disc = a * a - 4 * np.asarray(beta, float)
    real = 0.5 * (np.abs(a) + np.sqrt(np.maximum(disc, 0.0)))
    rho = np.where(disc < 0, np.sqrt(np.broadcast_to(beta, np.shape(disc))), real)
    return float(rho) if np.ndim(rho) == 0 else rho


def heavy_ball_rate_quadratic(lr: Any, momentum: Any, eigenvalues: Any) -> Any:
    r"""Rate of heavy ball on a quadratic: the worst eigencomponent, :math:`\max_i \rho(\eta, \beta, \lambda_i)`.

    Because :math:`\rho` depends on :math:`\lambda` only through :math:`|a|`
    (:func:`heavy_ball_rate`), which is convex in :math:`\lambda`, the maximum
    over an interval :math:`[\mu, L]` is attained at an end, so passing
    ``[mu, L]`` gives the rate for every spectrum inside it.

    Parameters
    ----------
    lr, momentum : float or array
        Broadcast against each other (e.g. a grid).
    eigenvalues : array_like, shape (d,), entries >= 0

    Returns
    -------
    float or ndarray of the broadcast shape of ``lr`` and ``momentum``

    Examples
    --------
    >>> p = optimal_heavy_ball(L=100.0, mu=1.0)
    >>> round(heavy_ball_rate_quadratic(p.lr, p.momentum, [1.0, 10.0, 100.0]), 6)   # (10-1)/(10+1)
    0.818182
    """
    ev = np.asarray(_lam(eigenvalues, "eigenvalues"), float)
    if ev.ndim != 1 or ev.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array; got shape {ev.shape}")
    lr, beta = np.asarray(_lr(lr), float), np.asarray(_beta(momentum), float)
    rho = np.max(heavy_ball_rate(lr[..., None], beta[..., None], ev), axis=-1)
    return float(rho) if np.ndim(rho) == 0 else rho


def rate_map(lrs: Any, momenta: Any, eigenvalues: Any) -> np.ndarray:
    r"""Heavy-ball rate on a grid: ``out[j, i]`` is the rate at ``momenta[j]``, ``lrs[i]``.

    .. math:: \text{out}_{ji} = \max_k \rho(\eta_i, \beta_j, \lambda_k)

    Parameters
    ----------
    lrs : 1-D array of learning rates >= 0
    momenta : 1-D array of momentum coefficients in [0, 1)
    eigenvalues : 1-D array of Hessian eigenvalues >= 0

    Returns
    -------
    ndarray, shape (len(momenta), len(lrs))
        Values above 1 mean divergence.

    Examples
    --------
    >>> rate_map([0.5, 1.0], [0.0, 0.5], [1.0]).round(3)
    array([[0.5  , 0.   ],
           [0.707, 0.707]])
    """
    lrs, momenta = np.asarray(_lr(lrs), float), np.asarray(_beta(momenta), float)
    if lrs.ndim != 1 or momenta.ndim != 1:
        raise ValueError(f"lrs and momenta must be 1-D arrays; got shapes {lrs.shape} and {momenta.shape}")
    return np.asarray(heavy_ball_rate_quadratic(lrs[None, :], momenta[:, None], eigenvalues))


class HeavyBallParams(NamedTuple):
    """The optimal heavy-ball parameters for a spectrum in [mu, L] and the rate they give."""

    lr: float
    momentum: float
    rate: float


def optimal_heavy_ball(L: float, mu: float) -> HeavyBallParams:
    r"""Polyak's optimal constant parameters for a quadratic with eigenvalues in :math:`[\mu, L]`.

    .. math::

        \eta^\star = \Bigl(\frac{2}{\sqrt L + \sqrt\mu}\Bigr)^2, \qquad
        \beta^\star = \Bigl(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Bigr)^2, \qquad
        \rho^\star = \sqrt{\beta^\star} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},

    with :math:`\kappa = L/\mu`. Every eigencomponent is then critically or
    under-damped, and the two extreme ones sit exactly on the edge.

    Parameters
    ----------
    L : float > 0
        Largest eigenvalue.
    mu : float in (0, L]
        Smallest eigenvalue.

    Examples
    --------
    >>> p = optimal_heavy_ball(100.0, 1.0)
    >>> round(p.lr, 6), round(p.momentum, 6), round(p.rate, 6)
    (0.033058, 0.669421, 0.818182)
    """
    L = check_in_range("L", L, 0.0, None, low_open=True, allow_array=False)
    mu = check_in_range("mu", mu, 0.0, L, low_open=True, high_open=False, allow_array=False)
    sL, sm = np.sqrt(L), np.sqrt(mu)
    rate = (sL - sm) / (sL + sm)
    return HeavyBallParams(float(4.0 / (sL + sm) ** 2), float(rate ** 2), float(rate))


def critical_momentum(lr: Any, lam: Any) -> Any:
    r"""The momentum at which one eigencomponent is critically damped: :math:`\beta_c = (1 - \sqrt{\eta\lambda})^2`.

    For :math:`\eta\lambda \le 1`, components with :math:`\beta < \beta_c` are
    over-damped (two positive real roots, no oscillation), those with
    :math:`\beta > \beta_c` under-damped (a complex pair: oscillation with
    amplitude shrinking by :math:`\sqrt\beta` per step). At :math:`\beta_c`
    the rate :math:`|1 - \sqrt{\eta\lambda}|` is the smallest any momentum
    gives for that :math:`\eta\lambda`.

    Parameters
    ----------
    lr : float or array >= 0
    lam : float or array >= 0
        :math:`\eta\lambda` must be at most 4 (beyond it no momentum in [0, 1) is critical).

    Examples
    --------
    >>> critical_momentum(0.25, 1.0)
    0.25
    """
    x = np.asarray(_lr(lr), float) * np.asarray(_lam(lam), float)
    if np.any(x > 4):
        raise ValueError(f"lr * lam must be in [0, 4]; got {float(np.max(x))}")
    out = (1 - np.sqrt(x)) ** 2
    return float(out) if np.ndim(out) == 0 else out


def damping(lr: Any, momentum: Any, lam: Any, *, tol: float = 1e-12) -> Any:
    r"""Classify each eigencomponent: ``"under"``, ``"critical"`` or ``"over"`` damped.

    From the discriminant :math:`\Delta = (1 + \beta - \eta\lambda)^2 - 4\beta`
    of :math:`z^2 - (1 + \beta - \eta\lambda) z + \beta`: complex roots
    (:math:`\Delta < 0`) spiral, a double root (:math:`|\Delta| \le` ``tol``)
    is critical, real roots (:math:`\Delta > 0`) are over-damped (a negative
    real root means a sign flip every step, as in plain GD with
    :math:`\eta\lambda > 1`).

    Examples
    --------
    >>> damping(0.25, [0.0, 0.25, 0.9], 1.0).tolist()
    ['over', 'critical', 'under']
    """
    lr, beta, lam = _lr(lr), _beta(momentum), _lam(lam)
    tol = check_in_range("tol", tol, 0.0, None, allow_array=False)
    a = 1 + np.asarray(beta, float) - np.asarray(lr, float) * np.asarray(lam, float)
    disc = a * a - 4 * np.asarray(beta, float)
    out = np.where(np.abs(disc) <= tol, "critical", np.where(disc < 0, "under", "over"))
    return str(out) if out.ndim == 0 else out


class LessardCounterexample(Landscape):
    r"""A smooth, strongly convex function on which quadratic-tuned heavy ball does not converge.

    Lessard, Recht & Packard (2016, section 4.6) take the piecewise quadratic

    .. math::

        f(x) = \begin{cases}
        \tfrac{25}{2} x^2 & x < 1 \\
        \tfrac12 x^2 + 24x - 12 & 1 \le x < 2 \\
        \tfrac{25}{2} x^2 - 24x + 36 & x \ge 2
        \end{cases}

    whose gradient (:math:`25x`, :math:`x + 24`, :math:`25x - 24`) is
    continuous and whose curvature is 25 or 1, so :math:`f` is
    :math:`\mu = 1` strongly convex and :math:`L = 25` smooth, minimized at
    :math:`x^\star = 0` with :math:`f^\star = 0`. Heavy ball with
    :math:`\eta^\star = 1/9`, :math:`\beta^\star = 4/9` (optimal for every
    quadratic with curvature in [1, 25]) started at :math:`x_0 = x_{-1} \in [3.07, 3.46]`
    falls into a cycle of period 3 instead of converging.

    The point ``x`` has shape ``(..., 1)``.

    Examples
    --------
    >>> f = LessardCounterexample()
    >>> f.value(np.array([[0.0], [1.0], [2.0]]))
    array([ 0. , 12.5, 38. ])
    >>> f.grad(np.array([1.5]))
    array([25.5])
    """

    L = 25.0
    mu = 1.0

    def __init__(self) -> None:
        self._describe("LessardCounterexample(mu=1, L=25)", [(-4.0, 4.0)], [[0.0]], (), 0.0)

    def _value(self, p):
        x = p[..., 0]
        return np.where(x < 1, 12.5 * x * x, np.where(x < 2, 0.5 * x * x + 24 * x - 12, 12.5 * x * x - 24 * x + 36))

    def _grad(self, p):
        return np.where(p < 1, 25 * p, np.where(p < 2, p + 24, 25 * p - 24))

    def _hessian(self, p):
        return np.where(p < 1, 25.0, np.where(p < 2, 1.0, 25.0))[..., None] * np.ones_like(p)[..., None]


class WorstCaseChain(Landscape):
    r"""Nesterov's worst-case smooth convex quadratic in :math:`d` dimensions ("the chain").

    .. math::

        f(x) = \frac{L}{4}\Bigl(\tfrac12\bigl(x_1^2 + \textstyle\sum_{i=1}^{d-1}(x_i - x_{i+1})^2 + x_d^2\bigr) - x_1\Bigr),

    i.e. :math:`\frac L4(\frac12 x^\top A x - x_1)` with the tridiagonal
    :math:`A = \mathrm{tridiag}(-1, 2, -1)`, whose eigenvalues lie in
    :math:`(0, 4)`, so :math:`f` is convex and :math:`L`-smooth. The minimizer is
    :math:`x^\star_i = 1 - i/(d+1)` and :math:`f^\star = -\frac L8\,\frac{d}{d+1}`.
    Started at 0, a method whose iterates lie in the span of past gradients
    has touched only the first :math:`t` coordinates after :math:`t` steps,
    which is why no first-order method can beat order
    :math:`L\|x_0 - x^\star\|^2/t^2` for :math:`t \le (d-1)/2` (Nesterov, *Lectures
    on Convex Optimization*, section 2.1.2). Evaluations cost :math:`O(d)`.

    Parameters
    ----------
    dim : int >= 2
    L : float > 0, default 1.0

    Examples
    --------
    >>> f = WorstCaseChain(3)
    >>> f.minimizer
    array([0.75, 0.5 , 0.25])
    >>> bool(np.allclose(f.grad(f.minimizer), 0.0)), f.min_value
    (True, -0.09375)
    """

    def __init__(self, dim: int, L: float = 1.0) -> None:
        dim = check_int("dim", dim, 2)
        self.L = check_in_range("L", L, 0.0, None, low_open=True, allow_array=False)
        self.minimizer = 1.0 - np.arange(1, dim + 1) / (dim + 1)
        self._describe(f"WorstCaseChain(d={dim}, L={self.L:g})", [(-0.5, 1.5)] * dim, self.minimizer[None],
                       (), -self.L / 8 * dim / (dim + 1))

    def _value(self, x):
        d2 = np.sum(np.diff(x, axis=-1) ** 2, axis=-1) + x[..., 0] ** 2 + x[..., -1] ** 2
        return self.L / 4 * (0.5 * d2 - x[..., 0])

    def _grad(self, x):
        ax = 2 * x
        ax[..., 1:] -= x[..., :-1]
        ax[..., :-1] -= x[..., 1:]
        ax[..., 0] -= 1.0
        return self.L / 4 * ax

    def _hessian(self, x):
        d = self.dim
        A = 2 * np.eye(d) - np.eye(d, k=1) - np.eye(d, k=-1)
        return np.broadcast_to(self.L / 4 * A, x.shape[:-1] + (d, d)).copy()


def nesterov_convex(problem: Any, x0: Any, lr: Any, steps: int) -> Trajectory:
    r"""Nesterov's accelerated gradient for smooth convex problems, with :math:`\beta_t = (t-1)/(t+2)`.

    .. math::

        y_0 = x_0, \qquad x_t = y_{t-1} - \eta\nabla f(y_{t-1}), \qquad
        y_t = x_t + \frac{t-1}{t+2}(x_t - x_{t-1}) .

    One gradient per step, at the extrapolated point :math:`y_{t-1}`. For an
    :math:`L`-smooth convex :math:`f` and :math:`\eta \le 1/L`,
    :math:`f(x_t) - f^\star \le 2\|x_0 - x^\star\|^2 / (\eta (t+1)^2)`
    (Nesterov 1983; this form is Beck & Teboulle's FISTA without the prox).

    Parameters
    ----------
    problem : object with ``value(x)``, ``grad(x)`` and optionally ``min_value``
    x0 : float array, shape (*batch, d)
    lr : float or array broadcasting against ``x0`` (e.g. shape (R, 1)), > 0
    steps : int >= 0

    Returns
    -------
    Trajectory
        ``points`` are the :math:`x_t`; losses :math:`f(x_t)`. Runs are not
        stopped on divergence (``divergence_steps`` is -1 everywhere).

    Examples
    --------
    >>> from descent.landscapes import Quadratic
    >>> q = Quadratic(np.diag([1.0, 1e-3]))
    >>> tr = nesterov_convex(q, np.array([1.0, 1.0]), 1.0, 100)
    >>> bool(tr.losses[-1] <= 2 * 2.0 / (1.0 * 101**2))
    True
    """
    x0 = check_float_array("x0", x0, min_ndim=1)
    lr = check_in_range("lr", lr, 0.0, None, low_open=True)
    steps = check_int("steps", steps, 0)
    points = np.empty((steps + 1,) + x0.shape, dtype=x0.dtype)
    losses = np.empty((steps + 1,) + x0.shape[:-1], dtype=x0.dtype)
    x_prev = x = y = x0.copy()
    points[0], losses[0] = x, problem.value(x)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            x_prev, x = x, y - lr * problem.grad(y)
            y = x + (t - 1) / (t + 2) * (x - x_prev)
            points[t], losses[t] = x, problem.value(x)
    return Trajectory(points, losses, np.full(x0.shape[:-1], -1, dtype=np.int64),
                      float(getattr(problem, "min_value", np.nan)))


def __getattr__(name: str) -> Any:
    # RateMapExplorer lives in descent.ratemap (it needs the explorer package); imported on first use
    if name == "RateMapExplorer":
        from .ratemap import RateMapExplorer

        return RateMapExplorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

r"""Curvature: Hessian-vector products, extreme eigenvalues, Newton-type and L-BFGS steps, GOE matrices.

Second-order information enters deep learning optimizers through products
:math:`Hv` of the Hessian :math:`H = \nabla^2 L(\theta)` with a vector, never
through :math:`H` itself: for :math:`d` parameters :math:`H` has :math:`d^2`
entries. This module collects the small tools chapter 8 builds on.

* :func:`hvp_fd` and :func:`hvp_autodiff`: :math:`Hv` by central differencing
  of gradients (two gradient evaluations).
* :func:`top_eigenvalue` and :func:`bottom_eigenvalue`: power iteration on a
  ``hvp`` callable (the bottom one through the shift :math:`H - \lambda_{\max} I`).
* :func:`newton_step` and :func:`saddle_free_newton_step` for small dense problems;
  :func:`classify_critical_point` from the Hessian's eigenvalues.
* :func:`two_loop` and :func:`lbfgs`: the L-BFGS direction and a small
  minimizer with a backtracking (Armijo) line search.
* :func:`goe` and :func:`positive_definite_fraction`: Gaussian orthogonal
  ensemble samples and the fraction with all eigenvalues positive.
* :class:`NoisySaddle`: a saddle with additive per-example gradient noise, as a
  finite sum that :func:`descent.run.minimize` can sample mini-batches from.
* :func:`flat_loss_and_grad`: the loss and gradient of a :class:`descent.nn.MLP`
  as functions of one flat parameter vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ._validation import check_float_array, check_in_range, check_int
from .autodiff import grad as ad_grad
from .landscapes import Landscape

__all__ = ["hvp_fd", "hvp_autodiff", "top_eigenvalue", "bottom_eigenvalue", "classify_critical_point",
           "newton_step", "saddle_free_newton_step", "two_loop", "LBFGSResult", "lbfgs", "goe",
           "positive_definite_fraction", "NoisySaddle", "flat_loss_and_grad"]

Vector = np.ndarray


def _check_callable(name: str, f: Any) -> Callable:
    if not callable(f):
        raise TypeError(f"{name} must be callable; got {type(f).__name__}")
    return f


def _check_vector(name: str, x: Any, square: bool = False) -> np.ndarray:
    """A float64 vector of shape (d,), or with ``square`` a matrix of shape (d, d)."""
    x = check_float_array(name, x, min_ndim=1).astype(np.float64)
    if x.shape[:1] * (2 if square else 1) != x.shape:
        what = "a square matrix of shape (d, d)" if square else "a 1-D vector of shape (d,)"
        raise ValueError(f"{name} must be {what}; got shape {x.shape}")
    return x


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    return rng


# ----------------------------------------------------------- Hessian-vector products
def hvp_fd(grad: Callable[[Vector], Vector], theta: Any, v: Any, eps: float = 1e-5) -> np.ndarray:
    r"""Hessian-vector product by central differencing of the gradient.

    .. math::

        H(\theta)\,v \approx \frac{\nabla L(\theta + h v) - \nabla L(\theta - h v)}{2h},
        \qquad h = \frac{\epsilon\,\max(1, \|\theta\|)}{\|v\|},

    exact for a quadratic up to rounding; otherwise the error is
    :math:`O(h^2 \|v\|^3)` from the third derivative plus
    :math:`O(u\|\nabla L\|/h)` from rounding (:math:`u \approx 10^{-16}`).
    Costs two gradient evaluations, whatever the dimension.

    Parameters
    ----------
    grad : callable
        Maps a vector of shape (d,) to the gradient, shape (d,).
    theta, v : float arrays of shape (d,)
        The point and the direction; ``v`` may be zero (then the result is zero).
    eps : float > 0, default 1e-5
        Relative step :math:`\epsilon`.

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> H = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> hvp_fd(lambda x: H @ x, np.zeros(2), np.array([1.0, 0.0])).round(8).tolist()
    [2.0, 1.0]
    """
    _check_callable("grad", grad)
    theta, v = _check_vector("theta", theta), _check_vector("v", v)
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}; got {v.shape}")
    eps = check_in_range("eps", eps, 0.0, None, low_open=True, allow_array=False)
    norm = np.linalg.norm(v)
    if norm == 0.0:
        return np.zeros_like(theta)
    h = eps * max(1.0, float(np.linalg.norm(theta))) / norm
    return (np.asarray(grad(theta + h * v)) - np.asarray(grad(theta - h * v))) / (2.0 * h)


def hvp_autodiff(f: Callable[[Any], Any], theta: Any, v: Any, eps: float = 1e-5) -> np.ndarray:
    r"""Hessian-vector product from :mod:`descent.autodiff` gradients of ``f``.

    :mod:`descent.autodiff` is reverse mode only: ``backward`` stores plain
    arrays, not a graph that could be differentiated again, so the exact
    forward-over-reverse product :math:`\frac{d}{dh}\nabla L(\theta + h v)|_{h=0}`
    is not available. This function therefore differences the *exact*
    reverse-mode gradients,

    .. math::

        H v \approx \frac{g(\theta + h v) - g(\theta - h v)}{2h},
        \qquad g = \texttt{autodiff.grad}(f),

    with the step of :func:`hvp_fd`; the gradients carry no truncation error,
    the difference quotient does (:math:`O(h^2)`).

    ``f`` maps a :class:`~descent.autodiff.Tensor` of shape (d,) to a scalar
    Tensor; ``theta``, ``v`` and ``eps`` are as in :func:`hvp_fd`.

    Examples
    --------
    >>> f = lambda x: (x * x * x).sum()          # H = diag(6 x)
    >>> hvp_autodiff(f, np.array([1.0, 2.0]), np.array([1.0, 1.0])).round(6).tolist()
    [6.0, 12.0]
    """
    g = ad_grad(_check_callable("f", f))
    return hvp_fd(lambda x: g(x)[0], theta, v, eps)


# ----------------------------------------------------------------- power iteration
def top_eigenvalue(hvp: Callable[[Vector], Vector], dim: int, rng: np.random.Generator, *,
                   iters: int = 100, tol: float = 1e-6, shift: float = 0.0,
                   v0: Any = None) -> tuple[float, np.ndarray]:
    r"""Largest-magnitude eigenvalue of :math:`H - sI` by power iteration, plus :math:`s`.

    .. math::

        v_{k+1} = \frac{(H - sI) v_k}{\|(H - sI) v_k\|}, \qquad
        \lambda_k = v_k^\top H v_k ,

    stopped when :math:`|\lambda_k - \lambda_{k-1}| \le \text{tol}\,\max(1, |\lambda_k|)`.
    With :math:`s = 0` and a Hessian whose largest eigenvalue also has the
    largest magnitude (near a minimum), this is :math:`\lambda_{\max}`, the
    *sharpness*. Convergence is geometric with ratio
    :math:`|\lambda_2 - s|/|\lambda_1 - s|` of the two largest shifted magnitudes.

    Parameters
    ----------
    hvp : callable
        :math:`v \mapsto Hv` for a symmetric :math:`H`, vectors of shape (dim,).
    dim : int >= 1
    rng : numpy.random.Generator
        Draws the random start.
    iters : int >= 1, default 100
    tol : float >= 0, default 1e-6
    shift : float, default 0
    v0 : float array (dim,), optional
        Start vector (normalized here); a warm start from the previous
        eigenvector when the matrix changes slowly, as during training. Default:
        a random normal vector from ``rng``.

    Returns
    -------
    (eigenvalue, unit eigenvector) : the Rayleigh quotient :math:`v^\top H v` and :math:`v`.

    Examples
    --------
    >>> H = np.diag([3.0, -1.0, 0.5])
    >>> round(top_eigenvalue(lambda u: H @ u, 3, np.random.default_rng(1))[0], 5)
    3.0
    """
    _check_callable("hvp", hvp)
    dim = check_int("dim", dim, 1)
    rng = _check_rng(rng)
    iters = check_int("iters", iters, 1)
    tol = check_in_range("tol", tol, 0.0, None, allow_array=False)
    shift = float(check_in_range("shift", shift, None, None, allow_array=False))
    v = rng.standard_normal(dim) if v0 is None else _check_vector("v0", v0)
    if v.shape != (dim,) or not np.any(v):
        raise ValueError(f"v0 must be a nonzero vector of shape ({dim},); got shape {v.shape}")
    v = v / np.linalg.norm(v)
    lam = np.nan
    for _ in range(iters):
        hv = np.asarray(hvp(v), dtype=np.float64)
        new = float(v @ hv)
        w = hv - shift * v
        n = np.linalg.norm(w)
        if n == 0.0:  # v is an eigenvector with eigenvalue shift
            return new, v
        v = w / n
        if abs(new - lam) <= tol * max(1.0, abs(new)):
            lam = new
            break
        lam = new
    return float(v @ np.asarray(hvp(v), dtype=np.float64)), v


def bottom_eigenvalue(hvp: Callable[[Vector], Vector], dim: int, rng: np.random.Generator, *,
                      top: float | None = None, iters: int = 300, tol: float = 1e-6) -> tuple[float, np.ndarray]:
    r"""Smallest eigenvalue :math:`\lambda_{\min}` of a symmetric :math:`H` by shifted power iteration.

    The shifted matrix :math:`H - \lambda_{\max} I` has eigenvalues
    :math:`\lambda_i - \lambda_{\max} \le 0`, the largest in magnitude at
    :math:`\lambda_{\min}`, so :func:`top_eigenvalue` with ``shift`` =
    :math:`\lambda_{\max}` converges to :math:`\lambda_{\min}`. When
    ``top`` is None, :math:`\lambda_{\max}` is first estimated the same way
    (only its magnitude matters, so :math:`|\lambda|_{\max}` also works).

    ``hvp``, ``dim``, ``rng``, ``iters`` (default 300) and ``tol`` are as in
    :func:`top_eigenvalue`; ``top`` is :math:`\lambda_{\max}` or an upper bound on it.

    Examples
    --------
    >>> H = np.diag([3.0, -1.0, 0.5])
    >>> round(bottom_eigenvalue(lambda u: H @ u, 3, np.random.default_rng(1))[0], 5)
    -1.0
    """
    if top is None:
        lam, _ = top_eigenvalue(hvp, dim, rng, iters=iters, tol=tol)
        top = abs(lam)
    top = float(check_in_range("top", top, None, None, allow_array=False))
    return top_eigenvalue(hvp, dim, rng, iters=iters, tol=tol, shift=top)


# ------------------------------------------------------------------ Newton steps
def classify_critical_point(H: Any, tol: float = 1e-8) -> str:
    r"""Name a critical point from the eigenvalues :math:`\lambda_i` of its Hessian.

    ``"minimum"`` if all :math:`\lambda_i > \text{tol}`, ``"maximum"`` if all
    :math:`< -\text{tol}`, ``"saddle"`` if some are above and some below, and
    ``"degenerate"`` otherwise (an eigenvalue in :math:`[-\text{tol}, \text{tol}]`
    with no negative partner: the second-order test cannot decide).

    >>> classify_critical_point(np.diag([2.0, -2.0]))
    'saddle'
    >>> classify_critical_point(np.zeros((2, 2)))
    'degenerate'
    """
    lam = np.linalg.eigvalsh(_check_vector("H", H, square=True))
    tol = check_in_range("tol", tol, 0.0, None, allow_array=False)
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle"
    return "minimum" if np.all(lam > tol) else "maximum" if np.all(lam < -tol) else "degenerate"


def newton_step(g: Any, H: Any) -> np.ndarray:
    r"""The Newton step :math:`p = -H^{-1} g`, the critical point of the local quadratic model.

    :math:`m(p) = L + g^\top p + \tfrac12 p^\top H p` has gradient
    :math:`g + Hp`, zero at :math:`p = -H^{-1}g`: a minimum of the model only
    when :math:`H` is positive definite; at a saddle the step points *towards* it.

    >>> newton_step(np.array([2.0, -2.0]), np.diag([2.0, -2.0])).tolist()   # at (1, 1): back to the saddle
    [-1.0, -1.0]
    """
    g, H = _check_vector("g", g), _check_vector("H", H, square=True)
    if H.shape[0] != g.size:
        raise ValueError(f"H must have shape ({g.size}, {g.size}) to match g; got {H.shape}")
    return -np.linalg.solve(H, g)


def saddle_free_newton_step(g: Any, H: Any, damping: float = 0.0) -> np.ndarray:
    r"""The saddle-free Newton step :math:`p = -(|H| + \delta I)^{-1} g` (Dauphin et al., 2014).

    With :math:`H = V \Lambda V^\top`, :math:`|H| = V |\Lambda| V^\top`: along
    directions of positive curvature it is Newton's step, along negative ones it
    goes *downhill* by :math:`|g_i|/|\lambda_i|` instead of uphill.

    Parameters
    ----------
    g : float array (d,)
    H : float array (d, d), symmetric
    damping : float >= 0, default 0
        :math:`\delta`, added to every :math:`|\lambda_i|`; needed when some
        :math:`\lambda_i` is (near) zero.

    >>> saddle_free_newton_step(np.array([2.0, -2.0]), np.diag([2.0, -2.0])).tolist()   # away along y
    [-1.0, 1.0]
    """
    g, H = _check_vector("g", g), _check_vector("H", H, square=True)
    if H.shape[0] != g.size:
        raise ValueError(f"H must have shape ({g.size}, {g.size}) to match g; got {H.shape}")
    damping = check_in_range("damping", damping, 0.0, None, allow_array=False)
    lam, V = np.linalg.eigh((H + H.T) / 2)
    scale = np.abs(lam) + damping
    if np.any(scale == 0.0):
        raise ValueError("H has a zero eigenvalue; pass damping > 0")
    return -V @ ((V.T @ g) / scale)


# ------------------------------------------------------------------------ L-BFGS
def two_loop(g: Any, s_hist: Sequence[Any], y_hist: Sequence[Any]) -> np.ndarray:
    r"""The L-BFGS product :math:`r = H_k g` by the two-loop recursion (Nocedal, 1980).

    With curvature pairs :math:`s_i = \theta_{i+1} - \theta_i`,
    :math:`y_i = g_{i+1} - g_i`, :math:`\rho_i = 1/(y_i^\top s_i)`, oldest first:

    .. math::

        q \leftarrow g;\quad \text{for } i = k-1, \dots, k-m:\;
        \alpha_i = \rho_i s_i^\top q,\; q \leftarrow q - \alpha_i y_i;\\
        r \leftarrow \gamma q,\; \gamma = \frac{s_{k-1}^\top y_{k-1}}{y_{k-1}^\top y_{k-1}};\quad
        \text{for } i = k-m, \dots, k-1:\; \beta = \rho_i y_i^\top r,\; r \leftarrow r + s_i(\alpha_i - \beta).

    :math:`H_k` is the BFGS inverse-Hessian approximation built from the last
    :math:`m` pairs, starting from :math:`\gamma I`. The search direction is
    :math:`-r`. With no pairs, :math:`r = g`. Every pair needs :math:`y_i^\top s_i > 0`.

    Examples
    --------
    >>> H = np.diag([1.0, 10.0])             # two exact pairs recover H^{-1}
    >>> s = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    >>> two_loop(np.array([1.0, 10.0]), s, [H @ v for v in s]).round(12).tolist()
    [1.0, 1.0]
    """
    g = _check_vector("g", g)
    if len(s_hist) != len(y_hist):
        raise ValueError(f"s_hist and y_hist must have the same length; got {len(s_hist)} and {len(y_hist)}")
    S = [np.asarray(s, dtype=np.float64) for s in s_hist]
    Y = [np.asarray(y, dtype=np.float64) for y in y_hist]
    for s, y in zip(S, Y):
        if s.shape != g.shape or y.shape != g.shape:
            raise ValueError(f"every s and y must have the shape of g {g.shape}")
        if not s @ y > 0:
            raise ValueError(f"every pair needs y^T s > 0 (curvature condition); got {s @ y:.3g}")
    q = g.copy()
    rho = [1.0 / (y @ s) for s, y in zip(S, Y)]
    alpha = [0.0] * len(S)
    for i in reversed(range(len(S))):
        alpha[i] = rho[i] * (S[i] @ q)
        q -= alpha[i] * Y[i]
    r = q * ((S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])) if S else q
    for i in range(len(S)):
        beta = rho[i] * (Y[i] @ r)
        r += S[i] * (alpha[i] - beta)
    return r


@dataclass
class LBFGSResult:
    r"""Result of :func:`lbfgs`.

    ``x`` the last iterate; ``points`` (k + 1, d), ``losses`` and ``grad_norms``
    (k + 1,) for every iterate, the start first; ``evals`` (k + 1,) the cumulative
    number of (loss, gradient) evaluations when each iterate was accepted;
    ``n_evals`` the total, line search included; ``converged`` whether
    :math:`\|\nabla L\|_\infty` reached ``gtol``.
    """

    x: np.ndarray
    points: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    evals: np.ndarray
    n_evals: int
    converged: bool


def lbfgs(fun: Callable[[Vector], tuple[float, Vector]], x0: Any, *, m: int = 10, max_iter: int = 200,
          gtol: float = 1e-8, c1: float = 1e-4, backtrack: float = 0.5, max_backtracks: int = 40) -> LBFGSResult:
    r"""Minimize with L-BFGS (Liu and Nocedal, 1989) and a backtracking Armijo line search.

    Each iteration takes the direction :math:`p = -H_k g` from :func:`two_loop`
    over the last ``m`` pairs, then the first step
    :math:`t \in \{1, \beta, \beta^2, \dots\}` with

    .. math:: L(\theta + t p) \le L(\theta) + c_1\, t\, g^\top p .

    The very first step is scaled to length :math:`\min(1, 1/\|g\|)`. A pair with
    :math:`y^\top s \le 10^{-10}\,\|s\|\|y\|` is skipped (Armijo alone does not
    guarantee the curvature condition a Wolfe search would). If :math:`p` is not a
    descent direction the memory is cleared and :math:`p = -g`.

    Parameters
    ----------
    fun : callable
        :math:`\theta \mapsto (L(\theta), \nabla L(\theta))`.
    x0 : float array (d,)
    m : int >= 1, default 10
        Memory (number of pairs).
    max_iter : int >= 0, default 200
    gtol : float >= 0, default 1e-8
        Stop when :math:`\|\nabla L\|_\infty \le` gtol.
    c1 : float in (0, 1), default 1e-4
    backtrack : float in (0, 1), default 0.5
    max_backtracks : int >= 1, default 40

    Returns
    -------
    LBFGSResult

    Examples
    --------
    >>> H = np.diag([1.0, 100.0])
    >>> res = lbfgs(lambda x: (0.5 * x @ H @ x, H @ x), np.array([1.0, 1.0]))
    >>> res.converged, bool(np.allclose(res.x, 0.0, atol=1e-8))
    (True, True)
    """
    _check_callable("fun", fun)
    x = _check_vector("x0", x0).copy()
    m = check_int("m", m, 1)
    max_iter = check_int("max_iter", max_iter, 0)
    gtol = check_in_range("gtol", gtol, 0.0, None, allow_array=False)
    c1 = check_in_range("c1", c1, 0.0, 1.0, low_open=True, high_open=True, allow_array=False)
    backtrack = check_in_range("backtrack", backtrack, 0.0, 1.0, low_open=True, high_open=True, allow_array=False)
    max_backtracks = check_int("max_backtracks", max_backtracks, 1)
    f, g = fun(x)
    f, g = float(f), np.asarray(g, dtype=np.float64)
    evals = 1
    hist = [(x.copy(), f, float(np.max(np.abs(g))), evals)]   # point, loss, |grad|_inf, evaluations so far
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    for _ in range(max_iter):
        if hist[-1][2] <= gtol:
            break
        p = -two_loop(g, S, Y)
        if not g @ p < 0:
            S, Y, p = [], [], -g
        t = min(1.0, 1.0 / np.linalg.norm(g)) if not S else 1.0
        for _ in range(max_backtracks):
            f_new, g_new = fun(x + t * p)
            evals += 1
            if float(f_new) <= f + c1 * t * (g @ p):
                break
            t *= backtrack
        else:
            break  # no decrease found: stop at the current point
        s, g_new = t * p, np.asarray(g_new, dtype=np.float64)
        y = g_new - g
        if s @ y > 1e-10 * np.linalg.norm(s) * np.linalg.norm(y):
            S, Y = (S + [s])[-m:], (Y + [y])[-m:]
        x, f, g = x + s, float(f_new), g_new
        hist.append((x.copy(), f, float(np.max(np.abs(g))), evals))
    points, losses, norms, counts = (np.array(h) for h in zip(*hist))
    return LBFGSResult(x, points, losses, norms, counts, evals, bool(norms[-1] <= gtol))


# ----------------------------------------------------------------- random matrices
def goe(n: int, size: int | tuple[int, ...] = (), rng: np.random.Generator | None = None) -> np.ndarray:
    r"""Samples of the Gaussian orthogonal ensemble: :math:`H = (A + A^\top)/2`, :math:`A_{ij} \sim \mathcal N(0, 1)`.

    Diagonal entries have variance 1, off-diagonal ones variance 1/2; the
    joint eigenvalue density is :math:`\propto \prod_{i<j}|\lambda_i - \lambda_j|\,
    e^{-\sum_i \lambda_i^2/2}`.

    ``n`` >= 1 is the size; the result has shape ``size + (n, n)``; ``rng`` is required.

    >>> goe(3, 2, np.random.default_rng(0)).shape
    (2, 3, 3)
    """
    n = check_int("n", n, 1)
    rng = _check_rng(rng)
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    A = rng.standard_normal(size + (n, n))
    return (A + np.swapaxes(A, -1, -2)) / 2


def positive_definite_fraction(n: int, samples: int, rng: np.random.Generator,
                               chunk: int = 100_000) -> tuple[float, float]:
    r"""Monte Carlo estimate of :math:`p_n = P(\text{all eigenvalues of an } n\times n \text{ GOE matrix} > 0)`.

    Returns the fraction :math:`\hat p` of ``samples`` matrices with
    :math:`\lambda_{\min} > 0` and its binomial standard error
    :math:`\sqrt{\hat p(1-\hat p)/M}`. Exact values: :math:`p_1 = 1/2`,
    :math:`p_2 = (2 - \sqrt2)/4 \approx 0.146`; for large :math:`n`,
    :math:`\ln p_n \approx -\tfrac{\ln 3}{4} n^2` (Dean and Majumdar, 2006).

    >>> p, se = positive_definite_fraction(1, 40_000, np.random.default_rng(0))
    >>> abs(p - 0.5) < 4 * se
    True
    """
    n = check_int("n", n, 1)
    samples = check_int("samples", samples, 1)
    rng = _check_rng(rng)
    chunk = check_int("chunk", chunk, 1)
    hits, done = 0, 0
    while done < samples:
        k = min(chunk, samples - done)
        hits += int(np.count_nonzero(np.linalg.eigvalsh(goe(n, k, rng))[:, 0] > 0))
        done += k
    p = hits / samples
    return p, float(np.sqrt(p * (1 - p) / samples))


# ------------------------------------------------------------ a noisy saddle problem
class NoisySaddle(Landscape):
    r"""A saddle with a negative-curvature direction and per-example gradient noise.

    .. math::

        L(\theta) = \tfrac{h}{2} x^2 - \tfrac{\gamma}{2} y^2 + \tfrac{\gamma}{4} y^4,
        \qquad L_i(\theta) = L(\theta) + \sigma\, z_i^\top \theta ,

    with :math:`\theta = (x, y)`. The origin is a saddle with Hessian
    :math:`\mathrm{diag}(h, -\gamma)` (so :math:`\lambda_{\min} = -\gamma`); the minima
    are :math:`(0, \pm 1)` with :math:`L = -\gamma/4`. The :math:`N` vectors
    :math:`z_i` are standard normal, centred and scaled to unit variance per
    coordinate, so the full gradient is exact and a mini-batch gradient of size
    :math:`B` (drawn with replacement) has noise of standard deviation
    :math:`\sigma/\sqrt B` per coordinate.

    Parameters: ``h, gamma`` > 0 (defaults 1.0, 0.5), ``sigma`` >= 0 (0.1),
    ``n_samples`` >= 2 (512), ``rng`` draws the :math:`z_i` (default seed 0).
    """

    def __init__(self, h: float = 1.0, gamma: float = 0.5, sigma: float = 0.1, n_samples: int = 512,
                 rng: np.random.Generator | None = None) -> None:
        self.h = check_in_range("h", h, 0.0, None, low_open=True, allow_array=False)
        self.gamma = check_in_range("gamma", gamma, 0.0, None, low_open=True, allow_array=False)
        self.sigma = check_in_range("sigma", sigma, 0.0, None, allow_array=False)
        n = check_int("n_samples", n_samples, 2)
        rng = np.random.default_rng(0) if rng is None else _check_rng(rng)
        z = rng.standard_normal((n, 2))
        z -= z.mean(axis=0)
        self.Z = z / z.std(axis=0)
        self._describe(f"NoisySaddle(h={h:g}, gamma={gamma:g}, sigma={sigma:g})", ((-1.5, 1.5), (-1.5, 1.5)),
                       [[0.0, 1.0], [0.0, -1.0]], [0.0, 0.0], -self.gamma / 4)

    @property
    def n_samples(self) -> int:
        """Number of examples :math:`N`."""
        return self.Z.shape[0]

    def _noise(self, theta: np.ndarray, batch: Any) -> np.ndarray:
        if batch is None:
            return np.zeros_like(theta)
        idx = np.asarray(batch)
        if not np.issubdtype(idx.dtype, np.integer) or idx.ndim == 0:
            raise TypeError(f"batch must be an integer index array of shape (B,) or (..., B); got {idx.dtype}")
        if idx.min() < 0 or idx.max() >= self.n_samples:
            raise ValueError(f"batch indices must be in [0, {self.n_samples}); got {idx.min()} to {idx.max()}")
        return self.sigma * self.Z[idx].mean(axis=-2)

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return 0.5 * self.h * x**2 - 0.5 * self.gamma * y**2 + 0.25 * self.gamma * y**4

    def _grad(self, p):
        return np.stack([self.h * p[..., 0], self.gamma * (p[..., 1] ** 3 - p[..., 1])], axis=-1)

    def _hessian(self, p):
        H = np.zeros(p.shape + (2,))
        H[..., 0, 0] = self.h
        H[..., 1, 1] = self.gamma * (3 * p[..., 1] ** 2 - 1)
        return H

    def value(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r""":math:`L(\theta)` or the mini-batch mean :math:`\frac1B\sum_{i\in\mathcal B} L_i(\theta)`."""
        theta = self._check_point(theta, "theta")
        return self._value(theta) + np.sum(self._noise(theta, batch) * theta, axis=-1)

    def grad(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r""":math:`\nabla L(\theta)` or the mini-batch gradient :math:`\nabla L(\theta) + \sigma\bar z_{\mathcal B}`."""
        theta = self._check_point(theta, "theta")
        return self._grad(theta) + self._noise(theta, batch)


# -------------------------------------------------------------- networks as vectors
def flat_loss_and_grad(model: Any, X: Any, y: Any, loss: str = "cross_entropy"
                       ) -> tuple[np.ndarray, Callable[[Vector], tuple[float, Vector]]]:
    r"""The parameters of a :class:`descent.nn.MLP` as one vector, and :math:`\theta \mapsto (L, \nabla L)`.

    The keys of ``model.params()`` are concatenated in sorted order. The
    returned function sets the model's parameters to :math:`\theta` (copies),
    runs ``loss_and_grads`` on all of ``(X, y)`` and returns the loss and the
    flattened gradient; it leaves the model at :math:`\theta`.

    >>> from descent.nn import MLP
    >>> model = MLP([3, 4, 2], rng=np.random.default_rng(0))
    >>> theta, fg = flat_loss_and_grad(model, np.ones((5, 3)), np.zeros(5, dtype=int))
    >>> theta.shape, fg(theta)[1].shape
    ((26,), (26,))
    """
    if not hasattr(model, "params") or not hasattr(model, "loss_and_grads"):
        raise TypeError(f"model must be a descent.nn.MLP; got {type(model).__name__}")
    params = model.params()
    keys = sorted(params)
    shapes = [params[k].shape for k in keys]
    cuts = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    theta0 = np.concatenate([np.ravel(params[k]) for k in keys]).astype(np.float64)

    def fun(theta: Vector) -> tuple[float, Vector]:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != theta0.shape:
            raise ValueError(f"theta must have shape {theta0.shape}; got {theta.shape}")
        model.set_params({k: theta[a:b].reshape(s).copy() for k, s, a, b in zip(keys, shapes, cuts[:-1], cuts[1:])})
        value, grads = model.loss_and_grads(X, y, loss)
        return float(value), np.concatenate([np.ravel(grads[k]) for k in keys])

    return theta0, fun

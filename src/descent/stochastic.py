r"""Gradient descent theory on quadratics, and the statistics of mini-batch gradients.

Two groups of small tools for the chapter on gradient descent, SGD and
mini-batches (and any later chapter that needs them):

*Deterministic rates.* On a quadratic with Hessian eigenvalues
:math:`\lambda_i`, one step of gradient descent multiplies the error along
eigenvector :math:`i` by :math:`1 - \eta\lambda_i`, so the error norm contracts
by :func:`gd_rate_quadratic` :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|`
per step. :func:`max_stable_lr` and :func:`optimal_lr_quadratic` give the two
special step sizes :math:`2/L` and :math:`2/(L + \mu)`; :func:`measured_rate`
reads the contraction factor off a recorded error sequence.

*Mini-batch gradients.* For a finite sum :math:`L(\theta) = \frac1N \sum_i
\ell_i(\theta)` (:class:`descent.landscapes.FiniteSum`):
:func:`sample_batches` draws batches without replacement, vectorized over
draws; :func:`gradient_noise` measures the mean and variance of the
mini-batch gradient by Monte Carlo; :func:`minibatch_variance` is the closed
form it should match; :func:`accumulate_gradients` rebuilds a large-batch
gradient from micro-batches; :func:`sgd_stationary_loss` is the exact
noise-floor level of constant-step SGD on least squares and
:func:`sgd_max_stable_lr` its stability edge; :func:`sgd_expected_loss` the
exact expected loss curve from any start; :func:`gradient_noise_scale` is
McCandlish et al.'s noise scale :math:`\operatorname{tr}\Sigma/\|\nabla L\|^2`; and
:func:`time_per_gradient` times one gradient evaluation per batch size.

Randomness enters only through an explicit ``rng`` argument.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_float_array, check_in_range, check_int

__all__ = [
    "gd_rate_quadratic",
    "max_stable_lr",
    "optimal_lr_quadratic",
    "measured_rate",
    "sample_batches",
    "minibatch_variance",
    "GradientNoise",
    "gradient_noise",
    "accumulate_gradients",
    "sgd_stationary_loss",
    "sgd_max_stable_lr",
    "sgd_expected_loss",
    "gradient_noise_scale",
    "time_per_gradient",
]


# --------------------------------------------------------------------------- checks
def _check_eigenvalues(eigenvalues: Any) -> np.ndarray:
    lam = np.asarray(eigenvalues)
    if lam.dtype == bool or not (np.issubdtype(lam.dtype, np.floating) or np.issubdtype(lam.dtype, np.integer)):
        raise TypeError(f"eigenvalues must be a 1-D array of real numbers; got dtype {lam.dtype}")
    lam = lam.astype(np.float64)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array; got shape {lam.shape}")
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        bad = lam[~(np.isfinite(lam) & (lam >= 0))][0]
        raise ValueError(f"eigenvalues must be finite and in [0, inf) (a convex quadratic); got {bad:g}")
    return lam


def _check_finite_sum(problem: Any) -> int:
    n = getattr(problem, "n_samples", None)
    if n is None or not hasattr(problem, "per_example_grads"):
        raise TypeError(
            "problem must be a finite sum with n_samples and per_example_grads "
            f"(e.g. descent.landscapes.LeastSquares); got {type(problem).__name__}"
        )
    return int(n)


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {type(rng).__name__}")
    return rng


def _check_batch_sizes(batch_sizes: Any, n: int, name: str = "batch_sizes") -> np.ndarray:
    arr = np.asarray(batch_sizes)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer or an array of integers; got {batch_sizes!r}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if arr.min() < 1 or arr.max() > n:
        bad = int(arr.min()) if arr.min() < 1 else int(arr.max())
        raise ValueError(f"{name} must be in [1, {n}] (the number of examples N); got {bad}")
    return arr.astype(np.int64)


# ------------------------------------------------------------------ deterministic rates
def gd_rate_quadratic(eigenvalues: Any, lr: Any) -> float | np.ndarray:
    r"""Per-step contraction factor of gradient descent on a quadratic.

    On :math:`L(\theta) = \tfrac12 (\theta - \theta^\star)^\top H (\theta - \theta^\star)`
    the error obeys :math:`\theta_t - \theta^\star = (I - \eta H)(\theta_{t-1} - \theta^\star)`,
    so in the eigenbasis of :math:`H` each coordinate is multiplied by
    :math:`1 - \eta\lambda_i` per step and

    .. math:: \rho(\eta) = \max_i |1 - \eta\lambda_i| = \max(|1 - \eta\lambda_{\min}|, |1 - \eta\lambda_{\max}|).

    :math:`\|\theta_t - \theta^\star\| \le \rho^t \|\theta_0 - \theta^\star\|`, with
    equality when the error starts along the slowest direction. The iteration
    converges from every start iff :math:`\rho < 1`, i.e.
    :math:`0 < \eta < 2/\lambda_{\max}` (and :math:`\lambda_{\min} > 0`).

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Eigenvalues of the Hessian :math:`H`, each in [0, inf).
    lr : float or array_like
        Learning rate(s) :math:`\eta`, each in [0, inf); any shape.

    Returns
    -------
    float or ndarray
        :math:`\rho(\eta)`, a float for a scalar ``lr``, else an array of ``lr``'s shape.

    Examples
    --------
    >>> gd_rate_quadratic([0.1, 1.0], 1.0)          # eta = 1/L: 1 - 1/kappa
    0.9
    >>> gd_rate_quadratic([0.1, 1.0], 2 / 1.1)      # eta = 2/(L + mu): (kappa-1)/(kappa+1)
    0.8181818181818181
    """
    lam = _check_eigenvalues(eigenvalues)
    eta = check_in_range("lr", lr, 0.0, None)
    e = np.asarray(eta, dtype=np.float64)
    rho = np.maximum(np.abs(1 - e * lam.min()), np.abs(1 - e * lam.max()))
    return float(rho) if rho.ndim == 0 else rho


def max_stable_lr(eigenvalues: Any) -> float:
    r"""Largest learning rate for which gradient descent on the quadratic does not diverge: :math:`2/\lambda_{\max}`.

    At :math:`\eta = 2/\lambda_{\max}` exactly, the stiffest error component
    flips sign every step without shrinking; any larger :math:`\eta` makes it grow
    by :math:`|1 - \eta\lambda_{\max}| > 1` per step.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Hessian eigenvalues, in [0, inf), at least one positive.

    Examples
    --------
    >>> max_stable_lr([1.0, 10.0])
    0.2
    """
    lam = _check_eigenvalues(eigenvalues)
    if lam.max() <= 0:
        raise ValueError("eigenvalues must contain a positive value; got all zeros (every lr is stable)")
    return float(2.0 / lam.max())


def optimal_lr_quadratic(eigenvalues: Any) -> float:
    r"""The constant learning rate that minimizes :func:`gd_rate_quadratic`: :math:`2/(L + \mu)`.

    :math:`\rho(\eta)` is the larger of :math:`|1 - \eta\mu|` (falling in
    :math:`\eta` up to :math:`1/\mu`) and :math:`|1 - \eta L|` (rising past
    :math:`1/L`); the minimum sits where :math:`1 - \eta\mu = \eta L - 1`, i.e.
    :math:`\eta^\star = 2/(L + \mu)`, with :math:`\rho(\eta^\star) = (\kappa - 1)/(\kappa + 1)`,
    where :math:`L = \lambda_{\max}`, :math:`\mu = \lambda_{\min}`, :math:`\kappa = L/\mu`.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Hessian eigenvalues, in [0, inf), at least one positive.

    Examples
    --------
    >>> optimal_lr_quadratic([1.0, 3.0])
    0.5
    """
    lam = _check_eigenvalues(eigenvalues)
    if lam.max() <= 0:
        raise ValueError("eigenvalues must contain a positive value; got all zeros")
    return float(2.0 / (lam.max() + lam.min()))


def measured_rate(errors: Any, start: int = 0, stop: int | None = None) -> float | np.ndarray:
    r"""Average per-step contraction factor of a recorded error sequence.

    .. math:: \hat\rho = \left(\frac{e_{\text{stop}}}{e_{\text{start}}}\right)^{1/(\text{stop} - \text{start})}

    the geometric mean of :math:`e_{k+1}/e_k` over the window, for errors
    :math:`e_k` (distances to the minimizer, or suboptimalities) recorded at
    steps :math:`k = 0, 1, \dots`. A linearly convergent method gives a value
    below 1 that does not depend on the window once the slowest mode dominates.

    Parameters
    ----------
    errors : array_like, shape (steps + 1, ...)
        Positive errors, step along axis 0; trailing axes are independent runs.
    start, stop : int
        Window ``errors[start]`` to ``errors[stop]``, ``0 <= start < stop <= steps``;
        ``stop=None`` means the last step.

    Returns
    -------
    float or ndarray
        :math:`\hat\rho`, one per run (``nan`` where an endpoint is not positive and finite).

    Examples
    --------
    >>> measured_rate(0.5 ** np.arange(10.0))
    0.5
    """
    e = check_float_array("errors", np.asarray(errors, dtype=np.float64), finite=False, min_ndim=1)
    n = e.shape[0] - 1
    if n < 1:
        raise ValueError(f"errors must hold at least 2 steps along axis 0; got shape {e.shape}")
    stop = n if stop is None else check_int("stop", stop, 1, n)
    start = check_int("start", start, 0, stop - 1)
    a, b = e[start], e[stop]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
        rho = np.where(ok, (np.where(ok, b, 1.0) / np.where(ok, a, 1.0)) ** (1.0 / (stop - start)), np.nan)
    return float(rho) if rho.ndim == 0 else rho


# --------------------------------------------------------------------- mini-batch noise
def sample_batches(rng: np.random.Generator, n_samples: int, batch_size: int, size: Any = ()) -> np.ndarray:
    r"""Draw mini-batches of ``batch_size`` distinct indices from ``range(n_samples)``, uniformly.

    Each batch is a uniformly random subset (sampling without replacement):
    the indices of the ``batch_size`` smallest of ``n_samples`` independent
    uniform keys. Batches are independent of each other.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_samples : int
        Population size :math:`N`, in [1, inf).
    batch_size : int
        :math:`B`, in [1, N].
    size : int or tuple of int, default ()
        Leading shape: how many batches to draw.

    Returns
    -------
    ndarray of int64, shape (*size, batch_size)

    Examples
    --------
    >>> b = sample_batches(np.random.default_rng(0), 10, 3, size=4)
    >>> b.shape, all(len(set(row)) == 3 for row in b)
    ((4, 3), True)
    """
    rng = _check_rng(rng)
    n = check_int("n_samples", n_samples, 1)
    b = check_int("batch_size", batch_size, 1, n)
    size = (check_int("size", size, 0),) if isinstance(size, (int, np.integer)) else tuple(
        check_int("size", s, 0) for s in size)
    keys = rng.random(size + (n,))
    idx = np.argsort(keys, axis=-1) if b == n else np.argpartition(keys, b - 1, axis=-1)[..., :b]
    return idx.astype(np.int64)


def minibatch_variance(problem: Any, theta: Any, batch_size: Any, *, replace: bool = False) -> Any:
    r"""Closed-form variance of the mini-batch gradient, :math:`\mathbb{E}\|\nabla L_B(\theta) - \nabla L(\theta)\|^2`.

    With :math:`\sigma^2(\theta) = \frac1N \sum_i \|\nabla\ell_i(\theta) - \nabla L(\theta)\|^2`
    (the per-example variance, book notation), a batch of :math:`B` indices
    drawn uniformly *without* replacement gives

    .. math:: \mathbb{E}\|\nabla L_B(\theta) - \nabla L(\theta)\|^2 = \frac{\sigma^2}{B}\cdot\frac{N - B}{N - 1},

    and :math:`\sigma^2/B` *with* replacement (independent draws). The factor
    :math:`(N-B)/(N-1)`, the finite-population correction, is 1 at
    :math:`B = 1` and 0 at :math:`B = N`.

    Parameters
    ----------
    problem : FiniteSum
        A finite-sum problem with ``per_example_grads`` (e.g. ``LeastSquares``).
    theta : float ndarray, shape (..., d)
        Point(s) at which the gradient noise is evaluated.
    batch_size : int or array of int
        :math:`B`, in [1, N]; broadcasts against ``theta``'s leading shape.
    replace : bool, default False
        Sampling with replacement instead.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=50, dim=2)
    >>> float(minibatch_variance(ls, np.zeros(2), 50))   # the whole data set: no noise
    0.0
    """
    n = _check_finite_sum(problem)
    theta = check_float_array("theta", theta, min_ndim=1)
    bs = _check_batch_sizes(batch_size, n, "batch_size")
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"replace must be True or False; got {replace!r}")
    pg = problem.per_example_grads(theta)
    dev = pg - pg.mean(axis=-2, keepdims=True)
    sigma2 = np.sum(dev**2, axis=(-2, -1)) / n
    factor = 1.0 / bs if replace else (n - bs) / (bs * max(n - 1, 1))
    out = sigma2 * factor
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class GradientNoise:
    r"""Monte Carlo statistics of mini-batch gradients at one point (see :func:`gradient_noise`).

    Attributes
    ----------
    batch_sizes : ndarray of int, shape (K,)
    full_grad : ndarray, shape (d,)
        :math:`\nabla L(\theta)`.
    mean : ndarray, shape (K, d)
        Average of the ``n_draws`` mini-batch gradients for each batch size.
    variance : ndarray, shape (K,)
        Measured :math:`\frac1M \sum_m \|g^{(m)} - \nabla L(\theta)\|^2` over the :math:`M` draws.
    variance_se : ndarray, shape (K,)
        Standard error of ``variance``: the sample standard deviation of the
        :math:`M` squared distances divided by :math:`\sqrt M`. Heavy-tailed
        per-example gradients make it larger than the Gaussian value
        :math:`\text{variance}\cdot\sqrt{2/M}`.
    predicted : ndarray, shape (K,)
        :func:`minibatch_variance` for the same sampling.
    n_draws : int
        :math:`M`.
    """

    batch_sizes: np.ndarray
    full_grad: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    variance_se: np.ndarray
    predicted: np.ndarray
    n_draws: int

    @property
    def bias(self) -> np.ndarray:
        r""":math:`\|\text{mean} - \nabla L(\theta)\|` per batch size, shape (K,)."""
        return np.linalg.norm(self.mean - self.full_grad, axis=-1)

    @property
    def bias_scale(self) -> np.ndarray:
        r""":math:`\sqrt{\text{variance}/M}`: the size :attr:`bias` has by chance alone when the estimator is unbiased."""
        return np.sqrt(self.variance / self.n_draws)


def gradient_noise(
    problem: Any, theta: Any, batch_sizes: Any, rng: np.random.Generator, n_draws: int = 1000,
    *, replace: bool = False,
) -> GradientNoise:
    r"""Measure the mean and variance of the mini-batch gradient at ``theta`` by sampling.

    For each batch size :math:`B`, draws :math:`M` = ``n_draws`` independent
    batches (:func:`sample_batches`, or uniform indices with replacement),
    evaluates all :math:`M` gradients :math:`\nabla L_B(\theta)` in one
    vectorized call, and records their mean and their mean squared distance to
    the full gradient. Unbiasedness shows as :attr:`GradientNoise.bias` of the
    order of :attr:`GradientNoise.bias_scale`; the variance should match
    :attr:`GradientNoise.predicted` within two or three
    :attr:`GradientNoise.variance_se`.

    Parameters
    ----------
    problem : FiniteSum
        A finite-sum problem.
    theta : float ndarray, shape (d,)
        The point.
    batch_sizes : int or sequence of int
        Batch sizes, each in [1, N].
    rng : numpy.random.Generator
        Source of the draws.
    n_draws : int, default 1000
        :math:`M`, in [2, inf).
    replace : bool, default False
        Sample each batch with replacement.

    Returns
    -------
    GradientNoise

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=100, dim=3)
    >>> gn = gradient_noise(ls, np.zeros(3), [1, 10], np.random.default_rng(0), n_draws=4000)
    >>> bool(np.all(np.abs(gn.variance / gn.predicted - 1) < 0.1))
    True
    """
    n = _check_finite_sum(problem)
    theta = check_float_array("theta", theta, min_ndim=1)
    if theta.ndim != 1:
        raise ValueError(f"theta must be one point of shape (d,); got shape {theta.shape}")
    bs = np.atleast_1d(_check_batch_sizes(batch_sizes, n))
    if bs.ndim != 1:
        raise ValueError(f"batch_sizes must be an integer or a 1-D sequence; got shape {bs.shape}")
    rng = _check_rng(rng)
    m = check_int("n_draws", n_draws, 2)
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"replace must be True or False; got {replace!r}")
    full = np.asarray(problem.grad(theta), dtype=np.float64)
    means, variances, ses = [], [], []
    chunk = max(1, 4_000_000 // max(n, 1))  # keep the random keys under ~32 MB
    for b in bs:
        total = np.zeros_like(full)
        sq = sq2 = 0.0
        for start in range(0, m, chunk):
            k = min(chunk, m - start)
            idx = rng.integers(0, n, size=(k, b)) if replace else sample_batches(rng, n, int(b), k)
            g = problem.grad(np.broadcast_to(theta, (k, theta.size)), batch=idx)
            total += g.sum(axis=0)
            dist2 = np.sum((g - full) ** 2, axis=-1)
            sq += float(dist2.sum())
            sq2 += float(np.sum(dist2**2))
        means.append(total / m)
        variances.append(sq / m)
        ses.append(np.sqrt(max(sq2 / m - (sq / m) ** 2, 0.0) * m / (m - 1) / m))
    predicted = np.asarray(minibatch_variance(problem, theta, bs, replace=replace), dtype=np.float64)
    return GradientNoise(bs, full, np.array(means), np.array(variances), np.array(ses),
                         predicted.reshape(bs.shape), m)


def accumulate_gradients(problem: Any, theta: Any, batch: Any, micro_batch: int) -> np.ndarray:
    r"""The gradient of a large batch, assembled from micro-batches that are evaluated one at a time.

    The batch :math:`\mathcal B` (``None``: all :math:`N` examples) is cut into
    consecutive chunks :math:`\mathcal B_1, \dots, \mathcal B_K` of at most
    ``micro_batch`` indices. Each chunk's gradient is a mean over the chunk, so
    the chunks are weighted by their sizes:

    .. math:: \nabla L_{\mathcal B}(\theta) = \sum_{k=1}^K \frac{|\mathcal B_k|}{|\mathcal B|}\, \nabla L_{\mathcal B_k}(\theta).

    This equals ``problem.grad(theta, batch)`` up to round-off, so any
    optimizer step taken with it is the large-batch step, while only
    ``micro_batch`` examples are held at a time. (A plain average of the chunk
    means is wrong whenever the last chunk is shorter.)

    Parameters
    ----------
    problem : FiniteSum
        A finite-sum problem.
    theta : float ndarray, shape (..., d)
        Parameters (leading axes: runs).
    batch : int array of shape (B,), or None
        The large batch.
    micro_batch : int
        Chunk length, in [1, B].

    Returns
    -------
    ndarray, shape (..., d)

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=100, dim=3)
    >>> g = accumulate_gradients(ls, np.ones(3), np.arange(40), micro_batch=16)
    >>> np.allclose(g, ls.grad(np.ones(3), batch=np.arange(40)))
    True
    """
    n = _check_finite_sum(problem)
    theta = check_float_array("theta", theta, min_ndim=1)
    idx = np.arange(n) if batch is None else np.asarray(batch)
    if idx.dtype == bool or not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"batch must be None or a non-empty 1-D integer index array; got {batch!r}")
    mb = check_int("micro_batch", micro_batch, 1, idx.size)
    total = None
    for start in range(0, idx.size, mb):
        chunk = idx[start:start + mb]
        part = problem.grad(theta, batch=chunk) * (chunk.size / idx.size)
        total = part if total is None else total + part
    return total


class _SecondMoment:
    """The linear second-moment recursion of constant-step SGD on least squares, for one batch size.

    In a basis ``U`` of the symmetric d x d matrices, ``p = U^T vec(P)`` obeys
    ``p <- (I - eta (lin - eta quad)) p + eta^2 noise``.
    """

    def __init__(self, problem: Any, batch_size: int) -> None:
        from .landscapes import LeastSquares

        if not isinstance(problem, LeastSquares):
            raise TypeError(f"problem must be a descent.landscapes.LeastSquares; got {type(problem).__name__}")
        X = problem.X
        n, d = X.shape
        if d > 40:
            raise ValueError(f"problem dimension must be at most 40 for this d^2 x d^2 solve; got {d}")
        b = check_int("batch_size", batch_size, 1, n)
        r = X @ problem.solution - problem.y
        self.H = X.T @ X / n
        c = (n - b) / (b * max(n - 1, 1))
        eye = np.eye(d)
        Z = (X[:, :, None] * X[:, None, :]).reshape(n, d * d)  # rows: vec(x_i x_i^T)
        rows, cols = np.triu_indices(d)
        U = np.zeros((d * d, rows.size))  # orthonormal basis of the symmetric matrices
        w = np.where(rows == cols, 1.0, np.sqrt(0.5))
        U[rows * d + cols, np.arange(rows.size)] = w
        U[cols * d + rows, np.arange(rows.size)] = w
        ZU = Z @ U
        self.U, self.d = U, d
        self.lin = U.T @ (np.kron(self.H, eye) + np.kron(eye, self.H)) @ U
        self.quad = (1 - c) * (U.T @ np.kron(self.H, self.H) @ U) + c * (ZU.T @ ZU / n)
        self.noise = c * (ZU.T @ r**2 / n)  # E[g*_B g*_B^T] in the basis U

    def stable(self, eta: float) -> bool:
        K = self.lin - eta * self.quad
        return bool(np.max(np.abs(1 - eta * np.linalg.eigvalsh((K + K.T) / 2))) < 1)

    def excess(self, eta: float) -> float:
        if not self.stable(eta):
            return np.inf
        P = (self.U @ np.linalg.solve(self.lin - eta * self.quad, eta * self.noise)).reshape(self.d, self.d)
        return float(0.5 * np.trace(self.H @ P))


def sgd_stationary_loss(problem: Any, lr: Any, batch_size: int) -> float | np.ndarray:
    r"""Exact long-run excess loss :math:`\lim_t \mathbb{E}[L(\theta_t)] - L^\star` of constant-step SGD on least squares.

    For least squares the mini-batch gradient is exactly
    :math:`H_B e + g^\star_B`, with error :math:`e = \theta - \theta^\star`,
    :math:`H_B = \frac1B\sum_{i\in B} x_i x_i^\top` and
    :math:`g^\star_B = \frac1B \sum_{i \in B} x_i r_i` (residuals
    :math:`r_i = x_i^\top\theta^\star - y_i`). With batches drawn without
    replacement, independently at each step, the mean error tends to 0 and the
    second moment :math:`P = \lim \mathbb{E}[e_t e_t^\top]` solves the linear equation

    .. math::
        HP + PH - \eta\,\bigl[(1 - c_B)\, HPH + c_B\, \tfrac1N {\textstyle\sum_i} A_i P A_i\bigr]
        = \eta\, c_B\, \tfrac1N {\textstyle\sum_i} r_i^2 A_i ,

    with :math:`A_i = x_i x_i^\top`, :math:`H = \frac1N\sum_i A_i` and
    :math:`c_B = \frac{N - B}{B(N - 1)}`; the excess loss is
    :math:`\tfrac12\operatorname{tr}(HP)`. For small :math:`\eta` this is
    :math:`\approx \tfrac{\eta}{4}\,\mathbb{E}\|g^\star_B\|^2`: the noise floor grows
    linearly with the learning rate. Returns ``inf`` where the second-moment
    recursion is unstable (SGD diverges in mean square); see :func:`sgd_max_stable_lr`.

    Parameters
    ----------
    problem : LeastSquares
        With dimension :math:`d \le 40` (the solve has size :math:`d(d+1)/2`).
    lr : float or array_like
        Constant learning rate(s) :math:`\eta > 0`.
    batch_size : int
        :math:`B`, in [1, N].

    Returns
    -------
    float or ndarray
        Of ``lr``'s shape.

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=200, dim=3, noise=0.5)
    >>> float(sgd_stationary_loss(ls, 0.1, 200))   # full batch: no noise, no floor
    0.0
    """
    eta = np.asarray(check_in_range("lr", lr, 0.0, None, low_open=True), dtype=np.float64)
    sm = _SecondMoment(problem, batch_size)
    out = np.array([sm.excess(float(e)) for e in eta.ravel()]).reshape(eta.shape)
    return float(out) if out.ndim == 0 else out


def sgd_max_stable_lr(problem: Any, batch_size: int, *, rtol: float = 1e-6) -> float:
    r"""Largest constant learning rate for which SGD on least squares stays bounded in mean square.

    The edge of :func:`sgd_stationary_loss`: the largest :math:`\eta` for which
    the second-moment recursion contracts. It equals :math:`2/L` for the full
    batch (:func:`max_stable_lr`) and is smaller for small batches, because a
    single example's curvature :math:`\|x_i\|^2` can far exceed :math:`L`.
    Found by a scan of 200 points on :math:`(0, 2/L]` followed by bisection.

    Parameters
    ----------
    problem : LeastSquares
    batch_size : int
        :math:`B`, in [1, N].
    rtol : float, default 1e-6
        Relative accuracy of the bisection, in (0, 1).

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=100, dim=2)
    >>> abs(sgd_max_stable_lr(ls, 100) - 2 / ls.L) < 1e-5 * 2 / ls.L
    True
    """
    rtol = check_in_range("rtol", rtol, 0.0, 1.0, low_open=True, allow_array=False)
    sm = _SecondMoment(problem, batch_size)
    top = 2.0 / float(np.linalg.eigvalsh(sm.H)[-1])
    grid = top * np.arange(1, 201) / 200
    bad = [k for k, e in enumerate(grid) if not sm.stable(float(e))]
    if not bad:
        return float(top)
    lo = 0.0 if bad[0] == 0 else float(grid[bad[0] - 1])
    hi = float(grid[bad[0]])
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sm.stable(mid) else (lo, mid)
    return lo


def sgd_expected_loss(
    problem: Any, lr: Any, batch_size: int, theta0: Any, steps: int, *, metric: Any = None
) -> np.ndarray:
    r"""Exact expected excess loss :math:`\mathbb{E}[L(\theta_t)] - L^\star`, :math:`t = 0..T`, of SGD on least squares.

    SGD with batches of :math:`B` distinct examples drawn independently at
    every step. With :math:`e = \theta - \theta^\star`, the mean
    :math:`m_t = \mathbb{E}e_t` and second moment
    :math:`P_t = \mathbb{E}[e_t e_t^\top]` obey the closed recursion

    .. math::
        m_t &= (I - \eta_t H)\, m_{t-1}, \\
        P_t &= P_{t-1} - \eta_t (HP_{t-1} + P_{t-1}H) + \eta_t^2\,\mathbb{E}[H_B P_{t-1} H_B]
              + \eta_t^2 c_B\, \tfrac1N {\textstyle\sum_i} \bigl(r_i^2 + 2 r_i\, x_i^\top m_{t-1}\bigr) A_i ,

    with :math:`A_i = x_i x_i^\top`, residuals :math:`r_i = x_i^\top\theta^\star - y_i`,
    :math:`c_B = \frac{N-B}{B(N-1)}` and
    :math:`\mathbb{E}[H_B P H_B] = (1 - c_B) HPH + c_B \frac1N\sum_i A_i P A_i`;
    the expected excess loss is :math:`\tfrac12\operatorname{tr}(HP_t)`. For a
    constant step its limit is :func:`sgd_stationary_loss`; for :math:`B = N`
    it is the loss of gradient descent. No Monte Carlo: the curve is exact up
    to round-off.

    Parameters
    ----------
    problem : LeastSquares
        With dimension :math:`d \le 40`.
    lr : float, 1-D array_like, or callable
        Constant learning rate(s) :math:`\eta > 0`, one curve each; or a
        schedule ``s`` (a callable of the number of updates already taken, as
        in :mod:`descent.schedules`): update :math:`t` uses :math:`s(t-1)`.
    batch_size : int
        :math:`B`, in [1, N].
    theta0 : float ndarray, shape (d,)
        The start.
    steps : int
        :math:`T \ge 0`.
    metric : float ndarray, shape (d, d), optional
        Return :math:`\tfrac12\mathbb{E}[e_t^\top W e_t] = \tfrac12\operatorname{tr}(WP_t)`
        for this symmetric :math:`W` instead of :math:`W = H` (the excess
        loss); :math:`W = 2uu^\top` gives :math:`\mathbb{E}(u^\top e_t)^2`.

    Returns
    -------
    ndarray, shape (T + 1,) for a scalar ``lr`` or a schedule, else (T + 1, K)
        ``inf`` from where a curve overflows (the recursion is unstable there).

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=50, dim=2, noise=0.5, rng=np.random.default_rng(0))
    >>> curve = sgd_expected_loss(ls, 0.05, 1, np.zeros(2), 20000)
    >>> bool(np.isclose(curve[-1], sgd_stationary_loss(ls, 0.05, 1), rtol=1e-6))
    True
    """
    schedule = lr if callable(lr) else None
    if schedule is None:
        eta = np.asarray(check_in_range("lr", lr, 0.0, None, low_open=True), dtype=np.float64)
        scalar = eta.ndim == 0
        eta = np.atleast_1d(eta)
        if eta.ndim != 1:
            raise ValueError(f"lr must be a number, a 1-D array or a schedule; got shape {eta.shape}")
    else:
        scalar, eta = True, np.ones(1)
    steps = check_int("steps", steps, 0)
    sm = _SecondMoment(problem, batch_size)
    theta0 = check_float_array("theta0", theta0, min_ndim=1)
    if theta0.shape != (sm.d,):
        raise ValueError(f"theta0 must have shape ({sm.d},); got {theta0.shape}")
    X = problem.X
    n = X.shape[0]
    b = int(batch_size)
    c = (n - b) / (b * max(n - 1, 1))
    r = X @ problem.solution - problem.y
    ZU = ((X[:, :, None] * X[:, None, :]).reshape(n, -1)) @ sm.U      # rows: x_i x_i^T in the basis U
    cross_map = (2 * c / n) * ((X * r[:, None]).T @ ZU)                # m -> 2c/N sum_i r_i (x_i.m) A_i
    if metric is None:
        metric = sm.H
    metric = check_float_array("metric", metric)
    if metric.shape != (sm.d, sm.d) or not np.allclose(metric, metric.T):
        raise ValueError(f"metric must be a symmetric ({sm.d}, {sm.d}) matrix; got shape {metric.shape}")
    h = sm.U.T @ metric.reshape(-1)                                    # tr(WP) = h . p
    m = np.tile(theta0 - problem.solution, (eta.size, 1))
    p = (np.einsum("ki,kj->kij", m, m).reshape(eta.size, -1)) @ sm.U
    out = np.empty((steps + 1, eta.size))
    out[0] = p @ h / 2
    if schedule is None:
        step = np.eye(sm.lin.shape[0])[None] - eta[:, None, None] * (sm.lin[None] - eta[:, None, None] * sm.quad[None])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            if schedule is not None:
                e = float(check_in_range("lr(t)", schedule(t - 1), 0.0, None, allow_array=False))
                eta = np.array([e])
                step = (np.eye(sm.lin.shape[0]) - e * (sm.lin - e * sm.quad))[None]
            p = np.einsum("kij,kj->ki", step, p) + eta[:, None] ** 2 * (sm.noise[None] + m @ cross_map)
            m = m - eta[:, None] * (m @ sm.H)
            out[t] = p @ h / 2
    out[~np.isfinite(out)] = np.inf
    out = np.where(np.maximum.accumulate(np.isinf(out), axis=0), np.inf, out)
    return out[:, 0] if scalar else out


def gradient_noise_scale(problem: Any, theta: Any) -> Any:
    r"""The gradient noise scale :math:`B_{\text{noise}} = \operatorname{tr}\Sigma(\theta) / \|\nabla L(\theta)\|^2`.

    McCandlish et al. (2018) call it the simple noise scale: with
    :math:`\operatorname{tr}\Sigma = \sigma^2 = \frac1N\sum_i\|\nabla\ell_i - \nabla L\|^2`
    (the per-example variance), a batch of :math:`B` examples drawn with
    replacement has noise :math:`\sigma^2/B`, equal to the squared signal
    :math:`\|\nabla L\|^2` at :math:`B = B_{\text{noise}}`. Below it, a larger
    batch cuts the steps needed almost in proportion; above it, hardly at all.

    Parameters
    ----------
    problem : FiniteSum
        With ``per_example_grads`` and ``grad``.
    theta : float ndarray, shape (..., d)
        Point(s); the gradient there must not vanish.

    Returns
    -------
    float or ndarray of theta's leading shape

    Examples
    --------
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=100, dim=3, noise=0.5, rng=np.random.default_rng(0))
    >>> far, near = gradient_noise_scale(ls, np.stack([ls.solution + 10, ls.solution + 0.01]))
    >>> bool(far < near)          # the signal fades near the minimum, the noise does not
    True
    """
    _check_finite_sum(problem)
    theta = check_float_array("theta", theta, min_ndim=1)
    signal = np.sum(np.asarray(problem.grad(theta)) ** 2, axis=-1)
    if np.any(signal <= 0):
        raise ValueError("theta must not be a stationary point: the gradient norm is 0 there, the noise scale infinite")
    out = minibatch_variance(problem, theta, 1) / signal
    return float(out) if np.ndim(out) == 0 else out



def time_per_gradient(
    problem: Any, theta: Any, batch_sizes: Any, rng: np.random.Generator,
    *, repeats: int = 5, min_seconds: float = 0.01,
) -> np.ndarray:
    r"""Wall-clock seconds of one mini-batch gradient evaluation, for each batch size.

    For each :math:`B`, a fixed random batch is evaluated in a loop long enough
    to last ``min_seconds``; the best of ``repeats`` such loops (least
    disturbed by other work on the machine) divided by the loop length is
    returned. Timings depend on the machine: compare them with each other,
    never with numbers printed elsewhere.

    Parameters
    ----------
    problem : FiniteSum
    theta : float ndarray, shape (d,)
    batch_sizes : sequence of int
        Each in [1, N].
    rng : numpy.random.Generator
        Draws the batches.
    repeats : int, default 5
        In [1, inf).
    min_seconds : float, default 0.01
        Minimum duration of one timing loop, in (0, inf).

    Returns
    -------
    ndarray, shape (K,)
        Seconds per gradient call.
    """
    n = _check_finite_sum(problem)
    theta = check_float_array("theta", theta, min_ndim=1)
    bs = np.atleast_1d(_check_batch_sizes(batch_sizes, n))
    rng = _check_rng(rng)
    repeats = check_int("repeats", repeats, 1)
    min_seconds = check_in_range("min_seconds", min_seconds, 0.0, None, low_open=True, allow_array=False)
    out = np.empty(bs.shape)
    for k, b in enumerate(bs):
        batch = sample_batches(rng, n, int(b))
        problem.grad(theta, batch=batch)  # warm-up
        loops, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_seconds:
            problem.grad(theta, batch=batch)
            loops += 1
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(loops):
                problem.grad(theta, batch=batch)
            best = min(best, time.perf_counter() - t0)
        out[k] = best / loops
    return out

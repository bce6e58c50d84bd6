"""Objective functions for the book: closed-form test landscapes and finite sums.

Every objective is a :class:`Landscape`: points of shape ``(..., d)`` map to
values ``(...)``, gradients ``(..., d)`` and Hessians ``(..., d, d)``, so a grid
of starting points or a sweep over learning rates is one call. Each landscape
also records what is known about it (minimizers, saddles, the minimum value, a
plotting box). :class:`LeastSquares` and :class:`LogisticRegression` add
mini-batch access for stochastic methods.

Points may be huge or non-finite on purpose (divergence studies): overflow
gives ``inf``/``nan`` without a warning. ``float32``/``float16`` inputs give
outputs of the same dtype.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Callable

import numpy as np

from ._validation import check_float_array, check_in_range, check_int, check_real

__all__ = [
    "Landscape", "Quadratic", "Rosenbrock", "Beale", "Himmelblau", "Saddle", "MonkeySaddle",
    "DoubleWell", "FiniteSum", "LeastSquares", "LogisticRegression",
]

Bounds = tuple[tuple[float, float], ...]
_QUIET = {"over": "ignore", "invalid": "ignore"}  # np.errstate for deliberate overflow


def _hessian_2d(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    """Assemble symmetric 2x2 Hessians of shape (..., 2, 2) from their entries."""
    hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
    return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)


def _box(center: np.ndarray) -> Bounds:
    """Plotting box centred on ``center`` that also contains the origin (a common start)."""
    half = max(2.0, 1.25 * float(np.max(np.abs(center))))
    return tuple((float(c - half), float(c + half)) for c in center)


def _check_rng(rng: Any) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None; got {type(rng).__name__}")
    return rng


class Landscape:
    r"""Base class of every objective :math:`f:\mathbb{R}^d \to \mathbb{R}`.

    Attributes
    ----------
    name : str
        Description with the parameters, e.g. ``"Rosenbrock(a=1, b=100)"``.
    dim : int
        The dimension :math:`d`.
    bounds : tuple of (float, float)
        Plotting box, one ``(low, high)`` pair per coordinate.
    minima : ndarray, shape (k, d)
        Known minimizers, deepest first; ``k`` may be 0.
    saddles : ndarray, shape (k, d)
        Known saddle points; ``k`` may be 0.
    min_value : float
        :math:`\min_x f(x)`, or ``nan`` when :math:`f` is unbounded below.

    Notes
    -----
    ``value``, ``grad`` and ``hessian`` take a floating array ``x`` of shape
    ``(..., d)`` (leading axes are a batch of points); integer and boolean
    arrays raise ``TypeError``, ``x`` need not be finite. Subclasses implement
    ``_value``, ``_grad`` and ``_hessian`` on the validated array.
    """

    name: str
    dim: int
    bounds: Bounds
    minima: np.ndarray
    saddles: np.ndarray
    min_value: float

    def _describe(self, name: str, bounds: Any, minima: Any = (), saddles: Any = (), min_value: float = np.nan) -> None:
        self.name, self.dim = name, len(bounds)
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.minima = np.asarray(minima, dtype=np.float64).reshape(-1, self.dim)
        self.saddles = np.asarray(saddles, dtype=np.float64).reshape(-1, self.dim)
        self.min_value = float(min_value)

    def _check_point(self, x: Any, name: str = "x") -> np.ndarray:
        return check_float_array(name, x, finite=False, min_ndim=1, last_dim=self.dim)

    @staticmethod
    def _finish(out: Any, dtype: np.dtype) -> np.ndarray:
        with np.errstate(**_QUIET):
            return np.asarray(out).astype(dtype, copy=False)[()]

    def _evaluate(self, method: Callable[[np.ndarray], np.ndarray], x: Any) -> np.ndarray:
        x = self._check_point(x)
        with np.errstate(**_QUIET):
            return self._finish(method(x), x.dtype)

    def value(self, x: np.ndarray) -> np.ndarray:
        """Return :math:`f(x)`, shape ``(...)`` for ``x`` of shape ``(..., d)``."""
        return self._evaluate(self._value, x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        r"""Return :math:`\nabla f(x)`, shape ``(..., d)``."""
        return self._evaluate(self._grad, x)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        r"""Return :math:`\nabla^2 f(x)`, shape ``(..., d, d)``."""
        return self._evaluate(self._hessian, x)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.value(x)

    def __repr__(self) -> str:
        return self.name


class Quadratic(Landscape):
    r"""Convex quadratic :math:`f(x) = \tfrac12 x^\top A x - b^\top x + c`.

    The gradient is :math:`Ax - b`, the Hessian :math:`A` everywhere, the unique
    minimizer :math:`x^\star = A^{-1}b`. With eigenvalues
    :math:`\mu = \lambda_1 \le \dots \le \lambda_d = L`, the condition number
    :math:`\kappa = L/\mu` governs how fast gradient descent converges.

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric (to 1e-12 relative) positive definite matrix.
    b : array_like, shape (d,), optional
        Linear term; zeros by default.
    c : float, default 0.0
        Constant offset.
    name : str, optional
        Overrides the default description.

    Examples
    --------
    >>> q = Quadratic.from_condition(10.0)
    >>> q.kappa
    10.0
    >>> q.grad(np.array([1.0, 1.0]))
    array([1. , 0.1])
    """

    def __init__(self, A: Any, b: Any = None, c: float = 0.0, *, name: str | None = None) -> None:
        A = np.asarray(check_real("A", A), dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"A must be a square 2-D array of shape (d, d); got shape {A.shape}")
        asym = float(np.max(np.abs(A - A.T)))
        if asym > 1e-12 * float(np.max(np.abs(A))):
            raise ValueError(f"A must be symmetric (max |A - A^T| <= 1e-12 max |A|); got max |A - A^T| = {asym:.3g}")
        self.A = (A + A.T) / 2
        self._eigvals, self._eigvecs = np.linalg.eigh(self.A)
        if not self._eigvals[0] > 0:
            raise ValueError(
                f"A must be positive definite (eigenvalues in (0, inf)); got smallest eigenvalue {self._eigvals[0]:.6g}"
            )
        d = A.shape[0]
        self.b = np.zeros(d) if b is None else np.asarray(check_real("b", b), dtype=np.float64)
        if self.b.shape != (d,):
            raise ValueError(f"b must have shape ({d},) to match A; got shape {self.b.shape}")
        self.c = check_real("c", c, allow_array=False)
        m = self.minimizer
        self._describe(name or f"Quadratic(d={d}, kappa={self.kappa:.3g})", _box(m), m[None], (), self._value(m))

    @classmethod
    def from_condition(cls, kappa: float, angle: float = 0.0, L: float = 1.0, dim: int = 2) -> Quadratic:
        r"""Quadratic with minimizer 0, largest eigenvalue :math:`L` and condition number :math:`\kappa`.

        :math:`A = R_\alpha \,\mathrm{diag}(\lambda_1, \dots, \lambda_d)\, R_\alpha^\top` with
        :math:`\lambda_1 = L`, :math:`\lambda_d = L/\kappa` and log-spaced values in
        between; :math:`R_\alpha` rotates the first two coordinates by ``angle``
        radians, so the stiffest direction is :math:`(\cos\alpha, \sin\alpha, 0, \dots)`.

        Parameters
        ----------
        kappa : float
            Condition number, in [1, inf).
        angle : float, default 0.0
            Rotation angle in radians (any finite value).
        L : float, default 1.0
            Largest eigenvalue, in (0, inf).
        dim : int, default 2
            Dimension, in [2, inf).
        """
        kappa = check_in_range("kappa", kappa, 1.0, None, allow_array=False)
        angle = check_real("angle", angle, allow_array=False)
        L = check_in_range("L", L, 0.0, None, low_open=True, allow_array=False)
        dim = check_int("dim", dim, 2)
        R = np.eye(dim)
        R[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
        A = (R * (L * kappa ** -np.linspace(0.0, 1.0, dim))) @ R.T
        return cls((A + A.T) / 2, name=f"Quadratic(kappa={kappa:g}, angle={angle:g}, L={L:g}, d={dim})")

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``A`` in ascending order."""
        return self._eigvals.copy()

    @property
    def eigenvectors(self) -> np.ndarray:
        """Orthonormal eigenvectors of ``A`` as columns, in the order of :attr:`eigenvalues`."""
        return self._eigvecs.copy()

    @property
    def L(self) -> float:
        """Smoothness constant: the largest eigenvalue of ``A``."""
        return float(self._eigvals[-1])

    @property
    def mu(self) -> float:
        """Strong-convexity constant: the smallest eigenvalue of ``A``."""
        return float(self._eigvals[0])

    @property
    def kappa(self) -> float:
        r"""Condition number :math:`\kappa = L / \mu`."""
        return self.L / self.mu

    @property
    def minimizer(self) -> np.ndarray:
        r""":math:`x^\star = A^{-1} b`."""
        return np.linalg.solve(self.A, self.b)

    def _value(self, x):
        A, b = self.A.astype(x.dtype, copy=False), self.b.astype(x.dtype, copy=False)
        return 0.5 * np.einsum("...i,ij,...j->...", x, A, x) - x @ b + self.c

    def _grad(self, x):
        return x @ self.A.astype(x.dtype, copy=False) - self.b.astype(x.dtype, copy=False)

    def _hessian(self, x):
        return np.broadcast_to(self.A.astype(x.dtype), x.shape[:-1] + self.A.shape).copy()


class Rosenbrock(Landscape):
    r"""Rosenbrock's banana valley :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`.

    The global minimum :math:`f = 0` lies at :math:`(a, a^2)`, at the end of a
    curved, flat-bottomed valley whose walls steepen with ``b``.

    Parameters
    ----------
    a : float, default 1.0
        Any finite value.
    b : float, default 100.0
        Valley steepness, in (0, inf).
    """

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = a = check_real("a", a, allow_array=False)
        self.b = b = check_in_range("b", b, 0.0, None, low_open=True, allow_array=False)
        box = ((min(-2.0, a - 1), max(2.0, a + 1)), (min(-1.0, a * a - 1), max(3.0, a * a + 1)))
        self._describe(f"Rosenbrock(a={a:g}, b={b:g})", box, [a, a * a], (), 0.0)

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        r = y - x**2
        return np.stack([-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r], axis=-1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        return _hessian_2d(2 - 4 * self.b * y + 12 * self.b * x**2, -4 * self.b * x, np.full_like(x, 2 * self.b))


class Beale(Landscape):
    r"""Beale's function :math:`f(x, y) = \sum_{k=1}^{3} \big(c_k - x + x y^k\big)^2`, :math:`c = (1.5, 2.25, 2.625)`.

    Global minimum :math:`f = 0` at :math:`(3, 0.5)`; a non-degenerate saddle at
    :math:`(0, 1)`, where the gradient of every residual vanishes. Values span
    five decades over the plotting box: a stress test for step sizes.
    """

    def __init__(self) -> None:
        self._describe("Beale()", ((-4.5, 4.5), (-4.5, 4.5)), [3.0, 0.5], [0.0, 1.0], 0.0)

    @staticmethod
    def _parts(p):
        """Residuals u_k (..., 3), their gradients (..., 3, 2), and d2u_k/dxdy, d2u_k/dy2 (..., 3)."""
        x, y = p[..., :1], p[..., 1:]
        k = np.arange(1, 4).astype(p.dtype)
        yk, yk1, yk2 = y**k, y ** (k - 1), y ** np.maximum(k - 2, 0)
        u = np.asarray([1.5, 2.25, 2.625], dtype=p.dtype) - x + x * yk
        return u, np.stack([yk - 1, k * x * yk1], axis=-1), k * yk1, k * (k - 1) * x * yk2

    def _value(self, p):
        return np.sum(self._parts(p)[0] ** 2, axis=-1)

    def _grad(self, p):
        u, du, _, _ = self._parts(p)
        return 2 * np.sum(u[..., None] * du, axis=-2)

    def _hessian(self, p):
        u, du, uxy, uyy = self._parts(p)
        curvature = _hessian_2d(np.zeros_like(u[..., 0]), np.sum(u * uxy, -1), np.sum(u * uyy, -1))
        return 2 * (np.einsum("...ki,...kj->...ij", du, du) + curvature)


class Himmelblau(Landscape):
    r"""Himmelblau's function :math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`.

    Four global minima with :math:`f = 0`, four saddles between them and a local
    maximum near :math:`(-0.2708, -0.9230)`: the basin a run ends in depends on
    where it starts. The critical points below were refined by Newton's method
    to full double precision.
    """

    def __init__(self) -> None:
        minima = [[3.0, 2.0], [-2.805118086952745, 3.131312518250573],
                  [-3.779310253377747, -3.283185991286169], [3.5844283403304917, -1.8481265269644034]]
        saddles = [[0.08667750455539634, 2.884254701174776], [-3.0730257507643897, -0.08135304428796751],
                   [3.385154183607021, 0.07385187983774928], [-0.12796134673068005, -1.9537149802445766]]
        self._describe("Himmelblau()", ((-5.0, 5.0), (-5.0, 5.0)), minima, saddles, 0.0)

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        u, v = x**2 + y - 11, x + y**2 - 7
        return np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v], axis=-1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        u, v = x**2 + y - 11, x + y**2 - 7
        return _hessian_2d(4 * u + 8 * x**2 + 2, 4 * (x + y), 4 * v + 8 * y**2 + 2)


class Saddle(Landscape):
    r"""The standard saddle :math:`f(x, y) = x^2 - y^2`.

    A non-degenerate saddle at the origin (Hessian :math:`\mathrm{diag}(2, -2)`).
    Unbounded below: ``minima`` is empty and ``min_value`` is ``nan``. Gradient
    descent started on the :math:`x`-axis converges to the saddle; any other
    start escapes along :math:`y`.
    """

    def __init__(self) -> None:
        self._describe("Saddle()", ((-2.0, 2.0), (-2.0, 2.0)), (), [0.0, 0.0])

    def _value(self, p):
        return p[..., 0] ** 2 - p[..., 1] ** 2

    def _grad(self, p):
        return p * np.asarray([2, -2], dtype=p.dtype)

    def _hessian(self, p):
        return np.broadcast_to(np.diag([2.0, -2.0]).astype(p.dtype), p.shape + (2,)).copy()


class MonkeySaddle(Landscape):
    r"""The monkey saddle :math:`f(x, y) = x^3 - 3 x y^2`.

    A degenerate saddle at the origin: gradient and Hessian both vanish there
    and the cubic term makes :math:`f` fall away in three directions.
    Unbounded below: ``minima`` is empty and ``min_value`` is ``nan``.
    """

    def __init__(self) -> None:
        self._describe("MonkeySaddle()", ((-2.0, 2.0), (-2.0, 2.0)), (), [0.0, 0.0])

    def _value(self, p):
        x, y = p[..., 0], p[..., 1]
        return x**3 - 3 * x * y**2

    def _grad(self, p):
        x, y = p[..., 0], p[..., 1]
        return np.stack([3 * x**2 - 3 * y**2, -6 * x * y], axis=-1)

    def _hessian(self, p):
        x, y = p[..., 0], p[..., 1]
        return _hessian_2d(6 * x, -6 * y, -6 * x)


class DoubleWell(Landscape):
    r"""Tilted double well in one dimension, :math:`f(x) = (x^2 - 1)^2 + \tau x`.

    :math:`f'(x) = 4x^3 - 4x + \tau`, :math:`f''(x) = 12x^2 - 4`. For
    :math:`|\tau| < 8/(3\sqrt3) \approx 1.54` two local minima near :math:`\pm 1`
    are separated by a local maximum near 0 (``maxima``); a positive tilt makes
    the left well the deeper one. Gradient descent with a small step ends in
    the well on its starting side of the maximum. Past the critical tilt only
    one minimum remains.

    Parameters
    ----------
    tilt : float, default 0.3
        The tilt :math:`\tau`, any finite value.

    Notes
    -----
    ``minima`` (deepest first) and ``maxima`` are the real roots of :math:`f'`
    (``np.roots``) with :math:`f'' > 0` resp. :math:`f'' < 0`, polished by Newton's method.
    """

    def __init__(self, tilt: float = 0.3) -> None:
        self.tilt = tau = check_real("tilt", tilt, allow_array=False)
        roots = np.roots([4.0, 0.0, -4.0, tau])
        r = np.sort(roots.real[np.abs(roots.imag) <= 1e-7 * (1 + np.abs(roots.real))])
        for _ in range(3):
            curv = 12 * r**2 - 4
            r = r - np.where(np.abs(curv) > 1e-8, (4 * r**3 - 4 * r + tau) / np.where(curv == 0, 1, curv), 0)
        curv = 12 * r**2 - 4
        mins = r[curv > 0]
        mins = mins[np.argsort(self._value(mins[:, None]), kind="stable")]
        self.maxima = r[curv < 0][:, None]
        self._describe(f"DoubleWell(tilt={tau:g})", ((-2.0, 2.0),), mins, (), self._value(mins[:1, None])[0])

    def _value(self, p):
        return (p[..., 0] ** 2 - 1) ** 2 + self.tilt * p[..., 0]

    def _grad(self, p):
        return 4 * p**3 - 4 * p + self.tilt

    def _hessian(self, p):
        return (12 * p**2 - 4)[..., None]


class FiniteSum(Landscape):
    r"""Base class of finite sums of losses of linear predictions :math:`z_i = x_i^\top\theta`.

    .. math:: f(\theta) = \frac1N \sum_{i=1}^N \ell(x_i^\top\theta, y_i) + \frac{\lambda}{2}\|\theta\|^2.

    Subclasses choose the per-example loss :math:`\ell(z, y)` (methods ``_loss``,
    ``_dloss``, ``_d2loss`` of :math:`z`). On a mini-batch :math:`\mathcal{B}` of
    :math:`B` indices, loss and gradient are batch means:

    .. math::
        f_{\mathcal{B}}(\theta) = \frac1B \sum_{i\in\mathcal{B}} \ell(x_i^\top\theta, y_i) + \frac{\lambda}{2}\|\theta\|^2,

        \nabla f_{\mathcal{B}}(\theta) = \frac1B \sum_{i\in\mathcal{B}} \ell'(x_i^\top\theta, y_i)\, x_i + \lambda\theta.

    ``batch`` is ``None`` (all :math:`N` examples), an integer array of shape
    ``(B,)`` (one batch for every point in ``theta``), or of shape ``(..., B)``
    whose leading axes broadcast with those of ``theta`` (one batch per run:
    ``theta`` of shape ``(R, d)``, ``batch`` of shape ``(R, B)``). A uniformly
    drawn :math:`\mathcal{B}` makes :math:`\nabla f_{\mathcal{B}}` unbiased for :math:`\nabla f`.
    Attributes ``X`` (float64, ``(N, d)``) and ``y`` (float64, ``(N,)``) hold the data.
    """

    def __init__(self, X: Any, y: np.ndarray, l2: float) -> None:
        X = check_float_array("X", X)
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be a 2-D array of shape (N, d) with N, d >= 1; got shape {X.shape}")
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-D with length N = {X.shape[0]} (rows of X); got shape {y.shape}")
        self.X, self.y = X.astype(np.float64), y.astype(np.float64)
        self.l2 = check_in_range("l2", l2, 0.0, None, allow_array=False)
        self.dim = X.shape[1]
        self.saddles = np.zeros((0, self.dim))

    @property
    def n_samples(self) -> int:
        """Number of examples :math:`N`."""
        return self.X.shape[0]

    def _check_batch(self, batch: Any, lead: tuple[int, ...]) -> np.ndarray | None:
        if batch is None:
            return None
        arr = np.asarray(batch)
        if arr.size == 0:
            raise ValueError(f"batch must contain at least one index; got shape {arr.shape}")
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"batch must be an integer index array; got dtype {arr.dtype}")
        if arr.ndim == 0:
            raise ValueError("batch must have shape (B,) or (..., B); got a scalar index")
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= self.n_samples:
            raise ValueError(f"batch indices must be in [0, {self.n_samples}); got {lo if lo < 0 else hi}")
        try:
            np.broadcast_shapes(lead, arr.shape[:-1])
        except ValueError:
            msg = f"batch leading shape {arr.shape[:-1]} does not broadcast with theta's leading shape {lead}"
            raise ValueError(msg) from None
        return arr

    def _linear(self, theta: Any, batch: Any):
        """Validate; return theta, the batch's features and labels, and z_i = x_i^T theta."""
        theta = self._check_point(theta, "theta")
        idx = self._check_batch(batch, theta.shape[:-1])
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        X, y = X.astype(theta.dtype, copy=False), y.astype(theta.dtype, copy=False)
        with np.errstate(**_QUIET):
            return theta, X, y, (X @ theta[..., :, None])[..., 0]

    def value(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r"""Loss :math:`f(\theta)` or :math:`f_{\mathcal{B}}(\theta)`; shape: the broadcast leading axes."""
        theta, _, y, z = self._linear(theta, batch)
        with np.errstate(**_QUIET):
            ridge = 0.5 * self.l2 * np.sum(theta**2, axis=-1) if self.l2 > 0 else 0.0
            return self._finish(np.mean(self._loss(z, y), axis=-1) + ridge, theta.dtype)

    def grad(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r"""Gradient :math:`\nabla f(\theta)` or :math:`\nabla f_{\mathcal{B}}(\theta)`, shape ``(..., d)``."""
        theta, X, y, z = self._linear(theta, batch)
        with np.errstate(**_QUIET):
            out = (self._dloss(z, y)[..., None, :] @ X)[..., 0, :] / X.shape[-2]
            if self.l2 > 0:  # skipped when 0 so that 0 * inf cannot make a nan
                out = out + self.l2 * theta
            return self._finish(out, theta.dtype)

    def per_example_grads(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r"""Per-example gradients :math:`\ell'(x_i^\top\theta, y_i)\,x_i + \lambda\theta`, shape ``(..., B, d)``.

        ``B = N`` when ``batch`` is None. Their mean over axis -2 is :meth:`grad`.
        """
        theta, X, y, z = self._linear(theta, batch)
        with np.errstate(**_QUIET):
            out = self._dloss(z, y)[..., :, None] * X
            if self.l2 > 0:
                out = out + self.l2 * theta[..., None, :]
            return self._finish(out, theta.dtype)

    def hessian(self, theta: np.ndarray, batch: Any = None) -> np.ndarray:
        r"""Hessian :math:`\frac1B \sum_i \ell''(x_i^\top\theta, y_i)\, x_i x_i^\top + \lambda I`, shape ``(..., d, d)``.

        The mean runs over ``batch`` (all examples when None). For least squares
        the full-batch Hessian is :math:`\frac1N X^\top X` at every ``theta``.
        """
        theta, X, y, z = self._linear(theta, batch)
        with np.errstate(**_QUIET):
            w = np.broadcast_to(self._d2loss(z, y), z.shape)
            H = np.swapaxes(X * w[..., None], -1, -2) @ X / X.shape[-2]
            H = (H + np.swapaxes(H, -1, -2)) / 2 + self.l2 * np.eye(self.dim, dtype=theta.dtype)
            return self._finish(H, theta.dtype)


class LeastSquares(FiniteSum):
    r"""Linear least squares :math:`f(\theta) = \frac1N \sum_{i=1}^N \tfrac12 (x_i^\top\theta - y_i)^2`.

    The Hessian is :math:`\frac1N X^\top X` everywhere; :attr:`L` and :attr:`mu`
    are its extreme eigenvalues and ``solution`` (an attribute) the
    least-squares minimizer from ``np.linalg.lstsq``. See :class:`FiniteSum`
    for ``batch``.

    Parameters
    ----------
    X : ndarray, shape (N, d)
        Floating-point features, finite.
    y : array_like, shape (N,)
        Finite real targets.

    Examples
    --------
    >>> ls = LeastSquares.synthetic(n_samples=100, dim=3)
    >>> ls.grad(np.zeros((8, 3)), batch=np.zeros((8, 4), dtype=int)).shape
    (8, 3)
    """

    def __init__(self, X: Any, y: Any) -> None:
        super().__init__(X, np.asarray(check_real("y", y), dtype=np.float64), 0.0)
        self.theta_true: np.ndarray | None = None
        self.solution = np.linalg.lstsq(self.X, self.y, rcond=None)[0]
        self._eig = np.linalg.eigvalsh(self.X.T @ self.X / self.n_samples)
        name = f"LeastSquares(N={self.n_samples}, d={self.dim})"
        self._describe(name, _box(self.solution), self.solution[None], (), self.value(self.solution))

    @classmethod
    def synthetic(
        cls, n_samples: int = 200, dim: int = 2, noise: float = 0.1,
        rng: np.random.Generator | None = None, condition: float = 1.0,
    ) -> LeastSquares:
        r"""Seeded regression data :math:`y = X\theta_{\text{true}} + \sigma\varepsilon`.

        Rows of ``X`` are Gaussian with covariance
        :math:`Q\,\mathrm{diag}(1, \dots, 1/\text{condition})\,Q^\top` (log-spaced
        variances, random rotation :math:`Q`), so the condition number of
        :math:`\frac1N X^\top X` is ``condition`` up to sampling error of order
        :math:`\sqrt{d/N}`. :math:`\theta_{\text{true}}` (kept as ``theta_true``)
        and :math:`\varepsilon` are standard normal.

        Parameters
        ----------
        n_samples : int
            Number of examples :math:`N`, in [1, inf).
        dim : int
            Number of features :math:`d`, in [1, inf).
        noise : float
            Noise standard deviation :math:`\sigma`, in [0, inf).
        rng : numpy.random.Generator, optional
            Source of randomness; ``np.random.default_rng(0)`` when None.
        condition : float
            Condition number of the feature covariance, in [1, inf).
        """
        rng = _check_rng(rng)
        n, d = check_int("n_samples", n_samples, 1), check_int("dim", dim, 1)
        noise = check_in_range("noise", noise, 0.0, None, allow_array=False)
        condition = check_in_range("condition", condition, 1.0, None, allow_array=False)
        Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        X = (rng.standard_normal((n, d)) * np.sqrt(condition ** -np.linspace(0.0, 1.0, d))) @ Q.T
        theta_true = rng.standard_normal(d)
        obj = cls(X, X @ theta_true + noise * rng.standard_normal(n))
        obj.theta_true = theta_true
        return obj

    @property
    def L(self) -> float:
        r"""Largest eigenvalue of :math:`\frac1N X^\top X`."""
        return float(self._eig[-1])

    @property
    def mu(self) -> float:
        r"""Smallest eigenvalue of :math:`\frac1N X^\top X` (clipped at 0)."""
        return max(float(self._eig[0]), 0.0)

    @property
    def kappa(self) -> float:
        r""":math:`L / \mu` (``inf`` when ``X`` is rank deficient)."""
        return self.L / self.mu if self.mu > 0 else float("inf")

    def _loss(self, z, y):
        return 0.5 * (z - y) ** 2

    def _dloss(self, z, y):
        return z - y

    def _d2loss(self, z, y):
        return np.ones_like(z)


class LogisticRegression(FiniteSum):
    r"""L2-regularised logistic regression with labels :math:`y_i \in \{0, 1\}`.

    .. math:: f(\theta) = \frac1N \sum_{i=1}^N \Big[\log\big(1 + e^{x_i^\top\theta}\big) - y_i\, x_i^\top\theta\Big]
              + \frac{\lambda}{2}\|\theta\|^2.

    Each term is evaluated as :math:`\log(1 + e^{-s_i z_i})` with
    :math:`s_i = 2y_i - 1`, :math:`z_i = x_i^\top\theta` (``np.logaddexp``), so it
    never overflows; the gradient uses :math:`\sigma(z_i) - y_i`, the Hessian the
    weights :math:`\sigma(z_i)\sigma(-z_i)`. See :class:`FiniteSum` for
    ``batch``; :math:`\lambda\theta` is part of every per-example gradient.

    Parameters
    ----------
    X : ndarray, shape (N, d)
        Floating-point features, finite.
    y : array_like, shape (N,)
        Labels, each 0 or 1 (bool, int or float).
    l2 : float, default 0.0
        Ridge strength :math:`\lambda`, in [0, inf).

    Notes
    -----
    :attr:`solution` runs damped Newton from 0 on first use and caches it. With
    ``l2 = 0`` and linearly separable data there is no minimizer (the infimum 0
    is approached as :math:`\|\theta\| \to \infty`): ``solution`` raises
    ``ValueError``, ``minima`` is empty and ``min_value`` is 0.0.
    """

    def __init__(self, X: Any, y: Any, l2: float = 0.0) -> None:
        y = np.asarray(y)
        y = np.asarray(check_real("y", y.astype(np.int8) if y.dtype == bool else y), dtype=np.float64)
        bad = ~np.isin(y, (0.0, 1.0))
        if np.any(bad):
            raise ValueError(f"y must contain only labels 0 and 1; got {y[bad].ravel()[0]:g}")
        super().__init__(X, y, l2)
        self.name = f"LogisticRegression(N={self.n_samples}, d={self.dim}, l2={self.l2:g})"

    @classmethod
    def synthetic(
        cls, n_samples: int = 200, dim: int = 2, rng: np.random.Generator | None = None,
        separation: float = 1.0, l2: float = 1e-2,
    ) -> LogisticRegression:
        r"""Two Gaussian classes with means :math:`\pm\,\text{separation}\cdot u` and identity covariance.

        Labels are fair coin flips, :math:`u` a random unit vector and
        :math:`x_i = (2y_i - 1)\,\text{separation}\, u + \varepsilon_i`. Small
        separations overlap heavily; large ones are (nearly) separable.

        Parameters
        ----------
        n_samples : int
            Number of examples :math:`N`, in [1, inf).
        dim : int
            Number of features :math:`d`, in [1, inf).
        rng : numpy.random.Generator, optional
            Source of randomness; ``np.random.default_rng(0)`` when None.
        separation : float
            Distance of each class mean from the origin, in [0, inf).
        l2 : float
            Ridge strength :math:`\lambda`, in [0, inf).
        """
        rng = _check_rng(rng)
        n, d = check_int("n_samples", n_samples, 1), check_int("dim", dim, 1)
        separation = check_in_range("separation", separation, 0.0, None, allow_array=False)
        u = rng.standard_normal(d)
        y = rng.integers(0, 2, size=n)
        X = (2 * y - 1)[:, None] * (separation / np.linalg.norm(u)) * u + rng.standard_normal((n, d))
        return cls(X, y, l2=l2)

    def _loss(self, z, y):
        return np.logaddexp(0, (1 - 2 * y) * z)

    def _dloss(self, z, y):
        return np.exp(-np.logaddexp(0, -z)) - y

    def _d2loss(self, z, y):
        return np.exp(-np.logaddexp(0, -z) - np.logaddexp(0, z))

    @cached_property
    def _newton(self) -> np.ndarray | None:
        """Minimizer by damped Newton from 0, or None when separable data leave it undefined."""
        theta, signs = np.zeros(self.dim), 2 * self.y - 1
        f = float(self.value(theta))
        for _ in range(200):
            g = self.grad(theta)
            step = np.linalg.lstsq(self.hessian(theta), g, rcond=None)[0]
            dec = float(g @ step)  # squared Newton decrement, about 2 (f - f*)
            if dec <= 1e-26 or np.max(np.abs(step)) <= 1e-14 * (1 + np.max(np.abs(theta))):
                return theta
            t = 1.0
            while float(self.value(theta - t * step)) > f - 0.25 * t * dec:
                t /= 2
                if t < 1e-12:  # no decrease left above rounding: converged
                    return theta
            theta = theta - t * step
            f = float(self.value(theta))
            if self.l2 == 0 and np.all(signs * (self.X @ theta) > 0):
                return None  # theta classifies every example correctly: scaling it up drives f to 0
        raise RuntimeError(f"{self.name}: Newton's method did not converge in 200 iterations")

    @property
    def solution(self) -> np.ndarray:
        r"""The minimizer :math:`\theta^\star` (cached); ``ValueError`` when none exists."""
        if self._newton is None:
            msg = "has no finite minimizer: the data are linearly separable and l2 = 0; use l2 > 0"
            raise ValueError(f"{self.name} {msg}")
        return self._newton.copy()

    @property
    def minima(self) -> np.ndarray:  # type: ignore[override]
        return np.zeros((0, self.dim)) if self._newton is None else self._newton[None].copy()

    @property
    def min_value(self) -> float:  # type: ignore[override]
        return 0.0 if self._newton is None else float(self.value(self._newton))

    @property
    def bounds(self) -> Bounds:  # type: ignore[override]
        return _box(np.zeros(self.dim) if self._newton is None else self._newton)

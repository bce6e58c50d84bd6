r"""Tools for studying Adam and its relatives (chapter 6).

Closed forms:

- :func:`bias_factor`: how much larger the *uncorrected* Adam step is than the
  corrected one, :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}`;
- :func:`adam_step_bound`: the largest ratio :math:`|m_t|/\sqrt{v_t}` any
  gradient sequence can produce (the trust-region view of Adam's step);
- :func:`radam_rho`, :func:`radam_rectifier`: RAdam's length of the
  approximated simple moving average and its variance rectification;
- :func:`nadam_momentum`: torch's NAdam momentum schedule :math:`\mu_t`.

Drivers that feed an optimizer a stream of gradients rather than a landscape:

- :func:`run_stream` (gradients given in advance or computed from the
  current parameters), :func:`effective_steps` and :func:`spread`;
- :class:`CyclicLinear` and :func:`run_online`: the online convex problem of
  Reddi, Kale & Kumar (2018) on which Adam converges to the worst point.

Bookkeeping and a benchmark model:

- :func:`state_floats_per_parameter`: how many parameter-shaped arrays an
  optimizer's state holds, counted from ``opt.init(params)`` itself;
- :func:`mlp_init`, :func:`mlp_loss_grads`, :func:`mlp_accuracy`: a ReLU
  MLP with softmax cross-entropy whose parameters carry leading *run* axes,
  so a grid of learning rates and seeds trains as one batch of arrays.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np

from ._validation import check_float_array, check_in_range, check_int

__all__ = [
    "bias_factor",
    "adam_step_bound",
    "radam_rho",
    "radam_rectifier",
    "nadam_momentum",
    "run_stream",
    "effective_steps",
    "spread",
    "CyclicLinear",
    "run_online",
    "state_floats_per_parameter",
    "mlp_init",
    "mlp_loss_grads",
    "mlp_accuracy",
]


def _steps_array(t: Any) -> np.ndarray:
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu" or np.any(arr < 1):
        raise ValueError(f"t must be an integer (array) of steps >= 1; got {t!r}")
    return arr


# --------------------------------------------------------------- closed forms
def bias_factor(t: Any, beta1: Any = 0.9, beta2: Any = 0.999) -> Any:
    r"""Ratio of the uncorrected Adam step to the bias-corrected one after ``t`` updates.

    With :math:`m_0 = v_0 = 0` and stationary gradients,
    :math:`\mathbb E[m_t] = (1-\beta_1^t)\mathbb E[g]` and
    :math:`\mathbb E[v_t] = (1-\beta_2^t)\mathbb E[g^2]`. For :math:`\epsilon = 0`

    .. math::

        \frac{m_t}{\sqrt{v_t}} = \frac{1-\beta_1^t}{\sqrt{1-\beta_2^t}}\cdot
        \frac{\hat m_t}{\sqrt{\hat v_t}} ,

    so a factor above 1 means the uncorrected step would be *larger*.

    Parameters
    ----------
    t : int or int array, >= 1
        Number of updates taken (the step index of torch and of the paper).
    beta1, beta2 : float or array in [0, 1)

    Examples
    --------
    >>> round(float(bias_factor(1)), 3)          # 0.1 / sqrt(0.001)
    3.162
    """
    t = _steps_array(t)
    b1 = check_in_range("beta1", beta1, 0.0, 1.0)
    b2 = check_in_range("beta2", beta2, 0.0, 1.0)
    return (1 - np.power(b1, t)) / np.sqrt(1 - np.power(b2, t))


def adam_step_bound(beta1: float = 0.9, beta2: float = 0.999) -> float:
    r"""Supremum of :math:`|m_t|/\sqrt{v_t}` over all gradient sequences, as :math:`t\to\infty`.

    By Cauchy-Schwarz, with :math:`m_t=(1-\beta_1)\sum_k \beta_1^{t-k} g_k` and
    :math:`v_t=(1-\beta_2)\sum_k \beta_2^{t-k} g_k^2`,

    .. math::

        \frac{|m_t|}{\sqrt{v_t}} \le \frac{1-\beta_1}{\sqrt{1-\beta_2}}
        \Big(1 - \frac{\beta_1^2}{\beta_2}\Big)^{-1/2}
        \qquad (\beta_1^2 < \beta_2),

    with equality for gradients growing geometrically,
    :math:`g_k \propto (\beta_2/\beta_1)^{k}`. For :math:`\beta_1^2 \ge \beta_2`
    the ratio is unbounded (``inf``). Adam's step (with :math:`\epsilon = 0`
    and bias corrections near 1) is at most ``lr`` times this.

    Examples
    --------
    >>> round(adam_step_bound(0.0, 0.0), 12)     # beta1 = beta2 = 0: |g|/|g|
    1.0
    """
    b1 = float(check_in_range("beta1", beta1, 0.0, 1.0, allow_array=False))
    b2 = float(check_in_range("beta2", beta2, 0.0, 1.0, allow_array=False))
    if b2 == 0.0:
        return 1.0 if b1 == 0.0 else float("inf")
    if b1 * b1 >= b2:
        return float("inf")
    return (1 - b1) / np.sqrt((1 - b2) * (1 - b1 * b1 / b2))


def radam_rho(t: Any, beta2: float = 0.999) -> Any:
    r"""RAdam's :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`, :math:`\rho_\infty = 2/(1-\beta_2) - 1`.

    :math:`\rho_t` is the length of the simple moving average that the
    exponential average :math:`\hat v_t` approximates (Liu et al., 2020).

    Examples
    --------
    >>> [round(float(r), 3) for r in radam_rho(np.array([1, 5, 6]))]
    [1.0, 4.996, 5.994]
    """
    t = _steps_array(t)
    b2 = float(check_in_range("beta2", beta2, 0.0, 1.0, low_open=True, allow_array=False))
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    return rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)


def radam_rectifier(t: Any, beta2: float = 0.999, threshold: float = 5.0) -> Any:
    r"""RAdam's variance rectification :math:`r_t`, ``nan`` where :math:`\rho_t \le` ``threshold``.

    .. math::

        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    torch applies the adaptive step only when :math:`\rho_t > 5` (the paper
    writes :math:`> 4`); below the threshold RAdam takes a momentum-SGD step.

    Examples
    --------
    >>> r = radam_rectifier(np.array([5, 6, 10_000]))
    >>> bool(np.isnan(r[0])), round(float(r[1]), 4), round(float(r[2]), 3)
    (True, 0.0258, 1.0)
    """
    rho = radam_rho(t, beta2)
    threshold = float(check_in_range("threshold", threshold, 4.0, None, allow_array=False))
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    if rho_inf <= threshold:
        return np.full(np.shape(rho), np.nan)
    on = rho > threshold
    safe = np.where(on, rho, rho_inf)
    r = np.sqrt((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe))
    return np.where(on, r, np.nan)


def nadam_momentum(t: Any, beta1: float = 0.9, momentum_decay: float = 4e-3) -> Any:
    r"""torch's NAdam momentum schedule :math:`\mu_t = \beta_1(1 - \tfrac12\cdot 0.96^{t\psi})`.

    :math:`\psi` is ``momentum_decay``; :math:`\psi = 0.004 = 1/250` gives Dozat's
    (2016) warm-up :math:`\mu_t = \beta_1(1 - \tfrac12 0.96^{t/250})`.

    Examples
    --------
    >>> round(float(nadam_momentum(1)), 4)
    0.4501
    """
    t = _steps_array(t)
    b1 = check_in_range("beta1", beta1, 0.0, 1.0)
    psi = check_in_range("momentum_decay", momentum_decay, 0.0, None)
    return b1 * (1.0 - 0.5 * 0.96 ** (t * psi))


# ------------------------------------------------------------ stream drivers
def run_stream(optimizer: Any, params0: Any, grads: Any, steps: int | None = None) -> np.ndarray:
    r"""Feed ``optimizer`` a sequence of gradients and record the parameters.

    .. math:: \theta_t = \mathrm{update}(\theta_{t-1}, g_t), \qquad t = 1, \dots, T

    Parameters
    ----------
    optimizer : a :mod:`descent.optim` optimizer (``init``/``update``)
    params0 : float ndarray
        Start :math:`\theta_0`; leading axes may index independent runs.
    grads : float ndarray of shape (T, *params0.shape) or callable
        The gradients :math:`g_1, \dots, g_T`, or ``grads(t, theta)`` returning
        :math:`g_t` at the current parameters (then ``steps`` is required).
    steps : int, optional
        Number of updates when ``grads`` is callable.

    Returns
    -------
    ndarray, shape (T + 1, *params0.shape)
        The parameters after 0, 1, ..., T updates.

    Examples
    --------
    >>> from descent.optim import SGD
    >>> run_stream(SGD(lr=0.5), np.zeros(1), np.ones((2, 1)))[:, 0].tolist()
    [0.0, -0.5, -1.0]
    """
    theta = check_float_array("params0", params0)
    if callable(grads):
        if steps is None:
            raise ValueError("steps is required when grads is a callable")
        steps = check_int("steps", steps, 0)
        get = grads
    else:
        g_all = check_float_array("grads", grads, min_ndim=1)
        if g_all.shape[1:] != theta.shape:
            raise ValueError(f"grads must have shape (T, *{theta.shape}); got {g_all.shape}")
        steps = g_all.shape[0]
        get = lambda t, th: g_all[t - 1]  # noqa: E731
    if not hasattr(optimizer, "update"):
        raise TypeError(f"optimizer must be a descent.optim optimizer; got {type(optimizer).__name__}")
    out = np.empty((steps + 1,) + theta.shape, dtype=theta.dtype)
    out[0] = theta
    state = optimizer.init(theta)
    for t in range(1, steps + 1):
        g = np.asarray(get(t, theta), dtype=theta.dtype)
        theta, state = optimizer.update(theta, g, state)
        out[t] = theta
    return out


def effective_steps(optimizer: Any, grads: Any, lr: Any) -> np.ndarray:
    r"""Per-coordinate step lengths in units of the learning rate, :math:`|\theta_t-\theta_{t-1}|/\eta`.

    Runs :func:`run_stream` from zero (weight decay, if any, acts on zero
    parameters and has no effect) and returns an array of shape ``grads.shape``.

    Examples
    --------
    >>> from descent.optim import Adam
    >>> effective_steps(Adam(lr=0.1), np.ones((3, 1)), 0.1).ravel().round(6).tolist()
    [1.0, 1.0, 1.0]
    """
    g = check_float_array("grads", grads, min_ndim=1)
    lr = check_in_range("lr", lr, 0.0, None, low_open=True)
    path = run_stream(optimizer, np.zeros(g.shape[1:], dtype=g.dtype), g)
    return np.abs(np.diff(path, axis=0)) / lr


def spread(x: Any, q: tuple[float, float] = (0.05, 0.95), axis: Any = None) -> Any:
    r"""Ratio of two quantiles of ``x``, :math:`Q_{q_1}(x)/Q_{q_0}(x)` (default the 90% range).

    A spread of 1 means every value is the same; 10 means the central 90% of
    the values span a factor of ten.

    Examples
    --------
    >>> float(spread(np.array([1.0, 2.0, 4.0]), q=(0.0, 1.0)))
    4.0
    """
    x = check_float_array("x", x, min_ndim=1)
    lo, hi = q
    check_in_range("q[0]", lo, 0.0, 1.0, high_open=False)
    check_in_range("q[1]", hi, 0.0, 1.0, high_open=False)
    if not lo < hi:
        raise ValueError(f"q must be increasing; got {q!r}")
    if np.any(x <= 0):
        raise ValueError("spread needs positive values")
    return np.quantile(x, hi, axis=axis) / np.quantile(x, lo, axis=axis)


# ------------------------------------------------------------ online problem
@dataclasses.dataclass(frozen=True)
class CyclicLinear:
    r"""The online convex problem of Reddi, Kale & Kumar (2018, §3 and §5).

    On the interval :math:`\mathcal X = [-1, 1]` the loss at step
    :math:`t = 1, 2, \dots` is linear,

    .. math::

        f_t(x) = \begin{cases} C x & t \bmod p = 1 \\ -c\,x & \text{otherwise,}\end{cases}

    so one large gradient :math:`C` per period of :math:`p` steps fights
    :math:`p - 1` small ones :math:`-c`. When :math:`C > (p-1)c` the average
    loss :math:`\frac{C-(p-1)c}{p}x` is minimized at :math:`x^\star = -1` and
    maximized at :math:`x = +1`. The paper's synthetic experiment uses
    :math:`C = 1010, c = 10, p = 101`.

    Examples
    --------
    >>> prob = CyclicLinear()
    >>> prob.grad(1), prob.grad(2), prob.x_star
    (1010.0, -10.0, -1.0)
    """

    big: float = 1010.0
    small: float = 10.0
    period: int = 101

    def __post_init__(self) -> None:
        check_in_range("big", self.big, 0.0, None, low_open=True, allow_array=False)
        check_in_range("small", self.small, 0.0, None, low_open=True, allow_array=False)
        check_int("period", self.period, 2)
        if self.big <= (self.period - 1) * self.small:
            raise ValueError(f"big must exceed (period - 1) * small = {(self.period - 1) * self.small:g} "
                             f"so that x* = -1; got {self.big:g}")

    @property
    def x_star(self) -> float:
        """The minimizer of the average loss, -1."""
        return -1.0

    def grad(self, t: int) -> float:
        """The gradient (a constant) of :math:`f_t`."""
        check_int("t", t, 1)
        return float(self.big) if t % self.period == 1 else -float(self.small)

    def mean_slope(self) -> float:
        r"""Slope of the average loss, :math:`(C - (p-1)c)/p > 0`."""
        return (self.big - (self.period - 1) * self.small) / self.period

    def average_regret(self, xs: Any) -> Any:
        r"""Average regret :math:`R_T/T = \frac1T\sum_t f_t(x_{t-1}) - \min_x \frac1T\sum_t f_t(x)`.

        ``xs`` are the iterates :math:`x_0, \dots, x_T` (axis 0), as returned
        by :func:`run_online`; :math:`x_{t-1}` is the point played at step t.
        """
        xs = check_float_array("xs", xs, min_ndim=1)
        T = xs.shape[0] - 1
        if T < 1:
            raise ValueError("xs must hold at least two iterates")
        g = np.array([self.grad(t) for t in range(1, T + 1)]).reshape((T,) + (1,) * (xs.ndim - 1))
        played = np.sum(g * xs[:-1], axis=0)
        best = -abs(float(np.sum(g)))          # min over x in [-1, 1] of x * sum(g)
        return (played - best) / T


def run_online(optimizer: Any, problem: CyclicLinear, steps: int, x0: Any = 0.0,
               radius: float = 1.0) -> np.ndarray:
    r"""Projected online optimization: :math:`x_t = \Pi_{[-r, r]}(\mathrm{update}(x_{t-1}, \nabla f_t))`.

    The optimizer's state is kept across the projection, as in the analysis
    of Reddi et al. (2018).

    Returns
    -------
    ndarray, shape (steps + 1, *np.shape(x0))
        The iterates :math:`x_0, \dots, x_T`.

    Examples
    --------
    >>> from descent.optim import SGD
    >>> xs = run_online(SGD(lr=1e-4), CyclicLinear(), 101)
    >>> round(float(xs[-1]), 6)              # one period: -0.101 + 100 * 0.001
    -0.001
    """
    if not isinstance(problem, CyclicLinear):
        raise TypeError(f"problem must be a CyclicLinear; got {type(problem).__name__}")
    steps = check_int("steps", steps, 1)
    radius = float(check_in_range("radius", radius, 0.0, None, low_open=True, allow_array=False))
    x = np.array(check_float_array("x0", np.asarray(x0, dtype=float)), dtype=float)
    out = np.empty((steps + 1,) + x.shape)
    out[0] = x
    state = optimizer.init(x)
    for t in range(1, steps + 1):
        x, state = optimizer.update(x, np.full_like(x, problem.grad(t)), state)
        x = np.clip(x, -radius, radius)
        out[t] = x
    return out


# ------------------------------------------------------------- state counting
def _param_leaves(params: Any) -> list[np.ndarray]:
    if isinstance(params, np.ndarray):
        return [params]
    if isinstance(params, dict) and params and all(isinstance(v, np.ndarray) for v in params.values()):
        return list(params.values())
    raise TypeError("params must be an ndarray or a non-empty dict of ndarrays")


def _walk(obj: Any) -> Any:
    """Yield every ndarray leaf of tuples, lists, dicts, namedtuples and dataclasses."""
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, (tuple, list)):          # includes NamedTuple states
        for v in obj:
            yield from _walk(v)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name))


def state_floats_per_parameter(optimizer: Any, params: Any) -> float:
    r"""Numbers of optimizer state per parameter: :math:`\sum_\text{leaves}|s|/\sum|\theta|`.

    Walks the state returned by ``optimizer.init(params)`` and adds up the
    sizes of the array leaves whose shape is the shape of one of the
    parameter arrays; scalars such as the step counter are not counted.
    Adam, which keeps :math:`m` and :math:`v`, gives 2.

    Examples
    --------
    >>> from descent.optim import SGD
    >>> state_floats_per_parameter(SGD(lr=0.1, momentum=0.9), np.zeros((3, 4)))
    1.0
    """
    leaves = _param_leaves(params)
    shapes = {p.shape for p in leaves}
    if any(len(s) == 0 for s in shapes):
        raise ValueError("params must not contain 0-d arrays: they cannot be told apart from scalar state")
    total = sum(p.size for p in leaves)
    state = optimizer.init(params)
    counted = sum(a.size for a in _walk(state) if a.shape in shapes)
    return counted / total


# ----------------------------------------------------------- batched MLP
def mlp_init(sizes: Sequence[int], runs: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
    r"""He-initialized parameters of a ReLU MLP for a batch of independent runs.

    Layer :math:`k` has ``W{k}`` of shape ``(*runs, n_in, n_out)`` with entries
    :math:`\mathcal N(0, 2/n_\text{in})` and ``b{k}`` of shape
    ``(*runs, 1, n_out)``, zeros (the extra axis keeps every leaf the same rank,
    so hyperparameter arrays of shape ``(*runs, 1, 1)`` broadcast).

    Examples
    --------
    >>> p = mlp_init([4, 8, 3], (2,), np.random.default_rng(0))
    >>> {k: v.shape for k, v in p.items()}
    {'W0': (2, 4, 8), 'b0': (2, 1, 8), 'W1': (2, 8, 3), 'b1': (2, 1, 3)}
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width; got {list(sizes)}")
    sizes = [check_int(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
    runs = tuple(check_int("runs", r, 1) for r in runs)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    params: dict[str, np.ndarray] = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{k}"] = np.sqrt(2.0 / n_in) * rng.standard_normal(runs + (n_in, n_out))
        params[f"b{k}"] = np.zeros(runs + (1, n_out))
    return params


def _forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    K = len(params) // 2
    hs = [X]
    h = X
    for k in range(K):
        z = h @ params[f"W{k}"] + params[f"b{k}"]
        h = np.maximum(z, 0.0) if k < K - 1 else z
        if k < K - 1:
            hs.append(h)
    return hs, h


def mlp_loss_grads(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    r"""Mean softmax cross-entropy of every run and its gradient.

    .. math:: L = -\frac1B\sum_{i} \log \operatorname{softmax}(f(x_i))_{y_i}

    Parameters
    ----------
    params : dict from :func:`mlp_init`
    X : float array (*runs', B, d_in)
        Inputs; ``runs'`` must broadcast against the parameters' run axes
        (e.g. one batch per seed shared by all learning rates).
    y : int array (*runs', B)

    Returns
    -------
    loss : ndarray of shape runs
    grads : dict with the keys and shapes of ``params``
    """
    X = check_float_array("X", X, min_ndim=2)
    y = np.asarray(y)
    if y.shape != X.shape[:-1]:
        raise ValueError(f"y must have shape {X.shape[:-1]}; got {y.shape}")
    hs, logits = _forward(params, X)
    B = X.shape[-2]
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = (y[..., None] == np.arange(logits.shape[-1])).astype(logits.dtype)
    loss = -(onehot * logp).sum(axis=(-1, -2)) / B
    d = (np.exp(logp) - onehot) / B
    K = len(params) // 2
    grads: dict[str, np.ndarray] = {}
    for k in range(K - 1, -1, -1):
        W = params[f"W{k}"]
        h = hs[k]
        gW = np.swapaxes(h, -1, -2) @ d
        gb = d.sum(axis=-2, keepdims=True)
        grads[f"W{k}"] = np.broadcast_to(gW, W.shape).copy() if gW.shape != W.shape else gW
        b = params[f"b{k}"]
        grads[f"b{k}"] = np.broadcast_to(gb, b.shape).copy() if gb.shape != b.shape else gb
        if k > 0:
            d = (d @ np.swapaxes(W, -1, -2)) * (hs[k] > 0)
    return np.broadcast_to(loss, params["W0"].shape[:-2]).copy(), {k: grads[k] for k in params}


def mlp_accuracy(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fraction of rows of ``X`` (N, d_in) classified correctly, for every run."""
    X = check_float_array("X", X, min_ndim=2)
    _, logits = _forward(params, X)
    return np.mean(np.argmax(logits, axis=-1) == np.asarray(y), axis=-1)

r"""Optimizers with one pure protocol, matching ``torch.optim`` to float64 round-off.

Every optimizer is a small object holding its hyperparameters::

    opt = Adam(lr=1e-3, betas=(0.9, 0.999))
    state = opt.init(params)                       # step 0, zeroed buffers
    params, state = opt.update(params, grads, state)

``update`` is pure: it returns new arrays and a new state and never writes
into its inputs. ``params`` and ``grads`` are a floating-point ndarray or a
``dict`` of them with the same keys and shapes. The state is a ``NamedTuple``
whose buffer fields carry torch's state names (``momentum_buffer``,
``exp_avg``, ``exp_avg_sq``, ...), each with the same structure as
``params``, plus the integer ``step`` (updates taken so far).

Notation (``book/notation.md``): step :math:`t = 1, 2, \dots` counts updates,
:math:`g_t` is the incoming gradient, :math:`\eta_t` the learning rate (``lr``),
:math:`\lambda` the weight decay, :math:`\epsilon` the ``eps`` constant.

Hyperparameters
---------------
``lr`` may be a float, an array, or a schedule: a callable ``lr(t)`` of the
number of updates already taken (``0`` for the first update), e.g. one of
:mod:`descent.schedules`. Every numeric hyperparameter may be an array that
broadcasts against each parameter array, so a grid of ``R`` settings runs as
one vectorized batch: params of shape ``(R, d)`` with ``lr`` of shape ``(R, 1)``.

Weight decay comes in two forms, as in torch:

- *L2* (coupled): :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` before any
  moment is updated (SGD, Adagrad, RMSprop, Adadelta, Adam, Adamax, and NAdam,
  RAdam by default).
- *decoupled*: :math:`\theta \leftarrow \theta(1 - \eta_t\lambda)` first, and
  the raw gradient drives the step (AdamW, Lion, AdaBelief by default, and
  Adam/NAdam/RAdam with ``decoupled_weight_decay=True``).

With ``maximize=True`` the gradient is negated first, before weight decay.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Union

import numpy as np

from ._validation import check_in_range, check_schedule_value

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "AdaBelief",
    "Lion",
    "clip_grad_norm",
    "global_norm",
]

Params = Union[np.ndarray, "dict[str, np.ndarray]"]
Hyper = Union[float, np.ndarray]
LR = Union[float, np.ndarray, Callable[[int], Any]]


# --------------------------------------------------------------------------- trees
def _check_leaf(name: str, x: Any) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        if isinstance(x, (float, np.floating)):
            x = np.asarray(x)
        else:
            raise TypeError(
                f"{name} must be a floating-point ndarray or a dict of them; got {type(x).__name__}"
            )
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating-point dtype (float16/32/64); got dtype {x.dtype}")
    return x


def _leaves(name: str, tree: Any) -> tuple[list[str] | None, list[np.ndarray]]:
    """Split ``tree`` (an ndarray or a dict of ndarrays) into keys and leaves."""
    if isinstance(tree, dict):
        if not tree:
            raise ValueError(f"{name} must not be an empty dict")
        keys = list(tree)
        return keys, [_check_leaf(f"{name}[{k!r}]", tree[k]) for k in keys]
    return None, [_check_leaf(name, tree)]


def _rebuild(keys: list[str] | None, leaves: list[Any]) -> Any:
    return leaves[0] if keys is None else dict(zip(keys, leaves))


def _match(params: Any, grads: Any) -> tuple[list[str] | None, list[np.ndarray], list[np.ndarray]]:
    pk, pl = _leaves("params", params)
    gk, gl = _leaves("grads", grads)
    if (pk is None) != (gk is None) or (pk is not None and set(pk) != set(gk)):
        raise ValueError(
            "grads must have the same structure as params; "
            f"got params keys {pk if pk is not None else 'ndarray'} and grads keys "
            f"{gk if gk is not None else 'ndarray'}"
        )
    if pk is not None:
        gl = [grads[k] for k in pk]
        gl = [_check_leaf(f"grads[{k!r}]", g) for k, g in zip(pk, gl)]
    for i, (p, g) in enumerate(zip(pl, gl)):
        if p.shape != g.shape:
            where = "" if pk is None else f"[{pk[i]!r}]"
            raise ValueError(
                f"grads{where} must have the shape of params{where} {p.shape}; got {g.shape}"
            )
    return pk, pl, gl


def _state_leaves(name: str, buf: Any, keys: list[str] | None, leaves: list[np.ndarray]) -> list[np.ndarray]:
    """The buffer ``name`` of a state, leaf by leaf in the order of ``keys``, checked against params."""
    if keys is None:
        if isinstance(buf, dict):
            raise ValueError(f"state.{name} is a dict but params is an ndarray; call init(params) again")
        bl = [buf]
    else:
        if not isinstance(buf, dict) or set(buf) != set(keys):
            got = sorted(buf) if isinstance(buf, dict) else "ndarray"
            raise ValueError(f"state does not match params: state.{name} keys {got}, params keys "
                             f"{sorted(keys)}; call init(params) again")
        bl = [buf[k] for k in keys]
    for i, (b, p) in enumerate(zip(bl, leaves)):
        if np.shape(b) != p.shape:
            where = "" if keys is None else f"[{keys[i]!r}]"
            raise ValueError(f"state.{name}{where} has shape {np.shape(b)}, but params{where} has shape "
                             f"{p.shape}; call init(params) again")
    return bl


def global_norm(tree: Params) -> np.ndarray:
    r"""Euclidean norm of all entries of a parameter tree, :math:`\sqrt{\sum_i \|g_i\|^2}`.

    Computed over every axis, so for a batch of runs combine runs yourself.
    """
    _, leaves = _leaves("tree", tree)
    return np.sqrt(sum(float(np.sum(np.square(x, dtype=np.float64))) for x in leaves))


def clip_grad_norm(grads: Params, max_norm: float) -> tuple[Params, float]:
    r"""Rescale gradients so that their global norm is at most ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\|g\| + 10^{-6}}\right)

    the rule of ``torch.nn.utils.clip_grad_norm_`` (with its ``1e-6`` guard).
    The direction of the update is unchanged; only its length is capped.

    Parameters
    ----------
    grads : ndarray or dict of ndarray
        The gradient tree (not modified).
    max_norm : float
        The cap :math:`c > 0`.

    Returns
    -------
    clipped, norm : tree, float
        The rescaled gradients and the global norm *before* clipping.
    """
    max_norm = check_in_range("max_norm", max_norm, 0.0, None, low_open=True, allow_array=False)
    keys, leaves = _leaves("grads", grads)
    norm = float(global_norm(grads))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return _rebuild(keys, [g * g.dtype.type(scale) for g in leaves]), norm


# ---------------------------------------------------------------------- validation
def _check_lr(lr: Any) -> LR:
    if callable(lr):
        return lr
    return check_in_range("lr", lr, 0.0, None)


def _check_betas(betas: Any, names: tuple[str, str] = ("beta1", "beta2")) -> tuple[Hyper, Hyper]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    return (
        check_in_range(names[0], betas[0], 0.0, 1.0),
        check_in_range(names[1], betas[1], 0.0, 1.0),
    )


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _nonzero(x: Hyper) -> bool:
    if isinstance(x, float):
        return x != 0.0
    return bool(np.any(np.asarray(x) != 0))


def _weight_decay(p: np.ndarray, g: np.ndarray, lr: Hyper, wd: Hyper, decoupled: bool):
    """Apply weight decay: decoupled shrinks ``p`` by ``(1 - lr*wd)``; L2 adds ``wd*p`` to ``g``."""
    if not _nonzero(wd):
        return p, g
    if decoupled:
        return p * (1 - lr * wd), g
    return p, g + wd * p


# ------------------------------------------------------------------------- base
class Optimizer:
    """Base class: tree handling, step counting, schedules and maximize.

    Subclasses set ``State`` (a NamedTuple whose first field is ``step``),
    ``_buffers`` (the per-parameter buffer fields, in ``State`` order) and
    implement ``_leaf(p, g, bufs, t, lr) -> (p, bufs)`` for one array.
    """

    State: type
    _buffers: tuple[str, ...] = ()
    maximize: bool = False

    def _set_common(self, lr: Any, *, betas: Any = None, eps: Any = None, weight_decay: Any = None,
                    maximize: Any = None) -> None:
        """Validate and store the hyperparameters most optimizers share."""
        self.lr = _check_lr(lr)
        if betas is not None:
            self.betas = _check_betas(betas)
        if eps is not None:
            self.eps = check_in_range("eps", eps, 0.0, None)
        if weight_decay is not None:
            self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        if maximize is not None:
            self.maximize = _check_bool("maximize", maximize)

    def _hypers(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hypers().items())
        return f"{type(self).__name__}({args})"

    def _init_buffer(self, name: str, p: np.ndarray) -> np.ndarray:
        return np.zeros_like(p)

    def _extra_init(self) -> dict[str, Any]:
        return {}

    def init(self, params: Params) -> Any:
        """Return the initial state for ``params``: step 0 and zeroed buffers."""
        keys, leaves = _leaves("params", params)
        for name, value in self._hypers().items():
            if isinstance(value, np.ndarray):
                for p in leaves:
                    try:
                        ok = np.broadcast_shapes(value.shape, p.shape) == p.shape
                    except ValueError:
                        ok = False
                    if not ok:
                        raise ValueError(
                            f"{name} has shape {value.shape}, which does not broadcast to the "
                            f"parameter shape {p.shape}"
                        )
        buffers = {
            b: _rebuild(keys, [self._init_buffer(b, p) for p in leaves]) for b in self._buffers
        }
        return self.State(step=0, **buffers, **self._extra_init())

    def _lr_at(self, step: int) -> Hyper:
        if callable(self.lr):
            return check_schedule_value("lr", self.lr(step), step)
        return self.lr

    def _context(self, state: Any, t: int) -> tuple[Any, dict[str, Any]]:
        """Per-step quantities shared by all leaves, and extra state fields to store."""
        return None, {}

    def update(self, params: Params, grads: Params, state: Any) -> tuple[Params, Any]:
        """Apply one update; return ``(new_params, new_state)`` without mutating inputs."""
        if not isinstance(state, self.State):
            raise TypeError(
                f"state must be the {self.State.__name__} returned by {type(self).__name__}.init; "
                f"got {type(state).__name__}"
            )
        keys, pl, gl = _match(params, grads)
        t = state.step + 1
        lr = self._lr_at(state.step)
        ctx, extra = self._context(state, t)
        buf_leaves = [_state_leaves(b, getattr(state, b), keys, pl) for b in self._buffers]
        new_p, new_bufs = [], [[] for _ in self._buffers]
        for i, (p, g) in enumerate(zip(pl, gl)):
            if self.maximize:
                g = -g
            bufs = tuple(bl[i] for bl in buf_leaves)
            p2, bufs2 = self._leaf(p, g, bufs, t, lr, ctx)
            new_p.append(np.asarray(p2).astype(p.dtype, copy=False))
            for j, b in enumerate(bufs2):
                new_bufs[j].append(np.asarray(b).astype(p.dtype, copy=False))
        new_state = self.State(
            step=t,
            **{b: _rebuild(keys, nb) for b, nb in zip(self._buffers, new_bufs)},
            **extra,
        )
        return _rebuild(keys, new_p), new_state

    def _leaf(self, p, g, bufs, t, lr, ctx):  # pragma: no cover - abstract
        raise NotImplementedError


# -------------------------------------------------------------------------- SGD
class SGDState(NamedTuple):
    step: int
    momentum_buffer: Params


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        b_t &= g_t \text{ if } t = 1 \text{ else } \mu b_{t-1} + (1-\tau) g_t \\
        d_t &= g_t + \mu b_t \text{ (nesterov) else } b_t \quad(\text{or } g_t \text{ if } \mu = 0) \\
        \theta_t &= \theta_{t-1} - \eta_t d_t

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
        Learning rate :math:`\eta \ge 0` or a schedule ``lr(t)``.
    momentum : float or array in [0, 1), default 0
        Momentum coefficient :math:`\mu`.
    dampening : float or array in [0, 1], default 0
        :math:`\tau`; not applied on the first step (torch's convention).
    weight_decay : float or array >= 0, default 0
        L2 coefficient :math:`\lambda`.
    nesterov : bool, default False
        Bengio et al.'s reformulated Nesterov momentum; needs momentum > 0 and
        dampening = 0.
    maximize : bool, default False

    Notes
    -----
    Torch's buffer :math:`b` accumulates raw gradients and the learning rate
    multiplies the whole buffer. Sutskever et al.'s form :math:`v \leftarrow
    \mu v - \eta g` is the same trajectory for a constant rate, but not under a
    schedule.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(lr=0.1, momentum=0.9)
    >>> p, s = opt.update(np.array([1.0]), np.array([2.0]), opt.init(np.array([1.0])))
    >>> p
    array([0.8])
    """

    State = SGDState
    _buffers = ("momentum_buffer",)

    def __init__(self, lr: LR = 1e-3, momentum: Hyper = 0.0, dampening: Hyper = 0.0,
                 weight_decay: Hyper = 0.0, nesterov: bool = False, *, maximize: bool = False):
        self.lr = _check_lr(lr)
        self.momentum = check_in_range("momentum", momentum, 0.0, 1.0)
        self.dampening = check_in_range("dampening", dampening, 0.0, 1.0, high_open=False)
        self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        self.nesterov = _check_bool("nesterov", nesterov)
        self.maximize = _check_bool("maximize", maximize)
        if self.nesterov and (np.any(np.asarray(self.momentum) <= 0) or _nonzero(self.dampening)):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0; "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )

    def _leaf(self, p, g, bufs, t, lr, ctx):
        (b,) = bufs
        p, g = _weight_decay(p, g, lr, self.weight_decay, False)
        mu = self.momentum
        if not _nonzero(mu):
            return p - lr * g, (b,)
        b = g.copy() if t == 1 else mu * b + (1 - self.dampening) * g  # never the caller's array
        d = g + mu * b if self.nesterov else b
        if np.ndim(mu) > 0:  # grid with some zero momenta: those runs use the plain gradient
            d = np.where(np.asarray(mu) == 0, g, d)
        return p - lr * d, (b,)


# ---------------------------------------------------------------------- Adagrad
class AdagradState(NamedTuple):
    step: int
    sum: Params


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}, \qquad
        \tilde\eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}} \\
        G_t &= G_{t-1} + g_t^2 \qquad (G_0 = \text{initial\_accumulator\_value}) \\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{G_t} + \epsilon}

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    lr_decay : float >= 0, default 0
    weight_decay : float >= 0, default 0
    initial_accumulator_value : float >= 0, default 0
    eps : float >= 0, default 1e-10
        Added outside the square root, as in the paper.
    maximize : bool, default False
    """

    State = AdagradState
    _buffers = ("sum",)

    def __init__(self, lr: LR = 1e-2, lr_decay: Hyper = 0.0, weight_decay: Hyper = 0.0,
                 initial_accumulator_value: Hyper = 0.0, eps: Hyper = 1e-10, *,
                 maximize: bool = False):
        self.lr = _check_lr(lr)
        self.lr_decay = check_in_range("lr_decay", lr_decay, 0.0, None)
        self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        self.initial_accumulator_value = check_in_range(
            "initial_accumulator_value", initial_accumulator_value, 0.0, None)
        self.eps = check_in_range("eps", eps, 0.0, None)
        self.maximize = _check_bool("maximize", maximize)

    def _init_buffer(self, name, p):
        return np.broadcast_to(np.asarray(self.initial_accumulator_value, p.dtype), p.shape).copy()

    def _leaf(self, p, g, bufs, t, lr, ctx):
        (G,) = bufs
        p, g = _weight_decay(p, g, lr, self.weight_decay, False)
        clr = lr / (1 + (t - 1) * self.lr_decay)
        G = G + g * g
        return p - clr * g / (np.sqrt(G) + self.eps), (G,)


# ---------------------------------------------------------------------- RMSprop
class RMSpropState(NamedTuple):
    step: int
    square_avg: Params
    grad_avg: Params
    momentum_buffer: Params


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012), as ``torch.optim.RMSprop``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1-\alpha) g_t \quad\text{(centered only)} \\
        \delta_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered) else } \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g_t/\delta_t, \quad \theta_t = \theta_{t-1} - \eta_t b_t
        \quad(\mu > 0;\ \text{else } \theta_t = \theta_{t-1} - \eta_t g_t/\delta_t)

    Parameters
    ----------
    lr : float, array or callable, default 1e-2
    alpha : float in [0, 1), default 0.99
        The decay :math:`\alpha` of the squared-gradient average. (Hinton's
        lecture used 0.9; 0.999 is Adam's :math:`\beta_2`, not RMSprop's.)
    eps : float >= 0, default 1e-8
        Added outside the square root (Graves 2013 and TF1 put it inside).
    weight_decay : float >= 0, default 0
    momentum : float in [0, 1), default 0
    centered : bool, default False
        Divide by an estimate of the gradient's standard deviation instead of its RMS.
    maximize : bool, default False
    """

    State = RMSpropState
    _buffers = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, lr: LR = 1e-2, alpha: Hyper = 0.99, eps: Hyper = 1e-8,
                 weight_decay: Hyper = 0.0, momentum: Hyper = 0.0, centered: bool = False,
                 maximize: bool = False):
        self.lr = _check_lr(lr)
        self.alpha = check_in_range("alpha", alpha, 0.0, 1.0)
        self.eps = check_in_range("eps", eps, 0.0, None)
        self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        self.momentum = check_in_range("momentum", momentum, 0.0, 1.0)
        self.centered = _check_bool("centered", centered)
        self.maximize = _check_bool("maximize", maximize)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        v, gbar, b = bufs
        p, g = _weight_decay(p, g, lr, self.weight_decay, False)
        a = self.alpha
        v = a * v + (1 - a) * g * g
        if self.centered:
            gbar = gbar + (1 - a) * (g - gbar)
            den = np.sqrt(v - gbar * gbar) + self.eps
        else:
            den = np.sqrt(v) + self.eps
        if _nonzero(self.momentum):
            b = self.momentum * b + g / den
            return p - lr * b, (v, gbar, b)
        return p - lr * g / den, (v, gbar, b)


# --------------------------------------------------------------------- Adadelta
class AdadeltaState(NamedTuple):
    step: int
    square_avg: Params
    acc_delta: Params


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1-\rho)\Delta_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta_t \Delta_t

    Zeiler's method has no learning rate; torch multiplies by ``lr``, so
    ``lr=1`` (the default) is the paper's rule. Adadelta is Zeiler's fix for
    Adagrad's ever-shrinking steps, not part of Adagrad.

    Parameters
    ----------
    lr : float, array or callable, default 1.0
    rho : float in [0, 1), default 0.9
    eps : float >= 0, default 1e-6
        Inside both square roots.
    weight_decay : float >= 0, default 0
    maximize : bool, default False
    """

    State = AdadeltaState
    _buffers = ("square_avg", "acc_delta")

    def __init__(self, lr: LR = 1.0, rho: Hyper = 0.9, eps: Hyper = 1e-6,
                 weight_decay: Hyper = 0.0, *, maximize: bool = False):
        self.lr = _check_lr(lr)
        self.rho = check_in_range("rho", rho, 0.0, 1.0)
        self.eps = check_in_range("eps", eps, 0.0, None)
        self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        self.maximize = _check_bool("maximize", maximize)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        v, u = bufs
        p, g = _weight_decay(p, g, lr, self.weight_decay, False)
        r = self.rho
        v = r * v + (1 - r) * g * g
        delta = np.sqrt(u + self.eps) / np.sqrt(v + self.eps) * g
        u = r * u + (1 - r) * delta * delta
        return p - lr * delta, (v, u)


# -------------------------------------------------------------------- Adam/AdamW
class AdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params
    max_exp_avg_sq: Params


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1}
            \quad(\text{or } \theta_{t-1} \leftarrow \theta_{t-1}(1-\eta_t\lambda)
            \text{ if decoupled}) \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad) else } v_t \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`\epsilon` is added *after* bias correction, as in Algorithm 1 of the
    paper. The paper's "efficient" form (and TF/Keras) adds it before, which
    changes the early steps when :math:`\epsilon` is not tiny.

    Parameters
    ----------
    lr : float, array or callable, default 1e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    amsgrad : bool, default False
        Keep the running maximum of the raw :math:`v_t` (Reddi et al., 2018).
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        True gives exactly :class:`AdamW`.
    """

    State = AdamState
    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _default_decoupled = False

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool | None = None):
        self._set_common(lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.amsgrad = _check_bool("amsgrad", amsgrad)
        self.maximize = _check_bool("maximize", maximize)
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._default_decoupled
        self.decoupled_weight_decay = _check_bool("decoupled_weight_decay", decoupled_weight_decay)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, v, vmax = bufs
        b1, b2 = self.betas
        p, g = _weight_decay(p, g, lr, self.weight_decay, self.decoupled_weight_decay)
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        if self.amsgrad:
            vmax = np.maximum(vmax, v)
            vh = vmax
        else:
            vh = v
        den = np.sqrt(vh) / np.sqrt(1 - b2**t) + self.eps
        return p - lr / (1 - b1**t) * m / den, (m, v, vmax)


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Adam with *decoupled* weight decay: first
    :math:`\theta \leftarrow \theta(1 - \eta_t\lambda)`, then the Adam step
    with the raw gradient. The default ``weight_decay`` is ``1e-2``.

    Torch ties the decay to the learning rate (:math:`\eta_t\lambda` per
    step); the paper's Algorithm 2 decays by :math:`\eta_t\lambda` with
    :math:`\eta_t` a schedule *multiplier*, so torch's :math:`\lambda` is the
    paper's divided by the base rate :math:`\alpha`.
    """

    _default_decoupled = True

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


# ----------------------------------------------------------------------- Adamax
class AdamaxState(NamedTuple):
    step: int
    exp_avg: Params
    exp_inf: Params


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, §7.1), as ``torch.optim.Adamax``.

    .. math::

        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{u_t}

    Torch adds :math:`\epsilon` inside the max; the paper has none.

    Parameters
    ----------
    lr : float, array or callable, default 2e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    maximize : bool, default False
    """

    State = AdamaxState
    _buffers = ("exp_avg", "exp_inf")

    def __init__(self, lr: LR = 2e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, *, maximize: bool = False):
        self._set_common(lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.maximize = _check_bool("maximize", maximize)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, u = bufs
        b1, b2 = self.betas
        p, g = _weight_decay(p, g, lr, self.weight_decay, False)
        m = m + (1 - b1) * (g - m)
        u = np.maximum(b2 * u, np.abs(g) + self.eps)
        return p - lr / (1 - b1**t) * m / u, (m, u)


# ------------------------------------------------------------------------ NAdam
class NAdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params
    mu_product: Any


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    .. math::

        \mu_t &= \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right), \qquad
        \Pi_t = \prod_{s \le t} \mu_s \\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        \delta_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon \\
        \theta_t &= \theta_{t-1}
            - \eta_t\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{\delta_t}
            - \eta_t\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{\delta_t}

    :math:`\psi` is ``momentum_decay``; :math:`\psi = 0.004` gives Dozat's
    warm-up :math:`0.96^{t/250}`. The moving average uses the constant
    :math:`\beta_1`, not :math:`\mu_t`. :math:`\Pi_t` is kept in float64.

    Parameters
    ----------
    lr : float, array or callable, default 2e-3
    betas : pair of floats in [0, 1), default (0.9, 0.999)
    eps : float >= 0, default 1e-8
    weight_decay : float >= 0, default 0
    momentum_decay : float >= 0, default 4e-3
    decoupled_weight_decay : bool, default False
    maximize : bool, default False
    """

    State = NAdamState
    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, lr: LR = 2e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0, momentum_decay: Hyper = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        self._set_common(lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.momentum_decay = check_in_range("momentum_decay", momentum_decay, 0.0, None)
        self.decoupled_weight_decay = _check_bool("decoupled_weight_decay", decoupled_weight_decay)
        self.maximize = _check_bool("maximize", maximize)

    def _extra_init(self):
        return {"mu_product": 1.0}

    def _mu(self, t: int) -> Hyper:
        return self.betas[0] * (1.0 - 0.5 * 0.96 ** (t * np.asarray(self.momentum_decay, np.float64)))

    def _context(self, state, t):
        mu, mu_next = self._mu(t), self._mu(t + 1)
        prod = state.mu_product * mu
        if np.ndim(prod) == 0:
            prod = float(prod)
        return (mu, mu_next, prod, prod * mu_next), {"mu_product": prod}

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, v = bufs
        mu, mu_next, prod, prod_next = ctx
        b1, b2 = self.betas
        p, g = _weight_decay(p, g, lr, self.weight_decay, self.decoupled_weight_decay)
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        den = np.sqrt(v / (1 - b2**t)) + self.eps
        p = p - lr * (1 - mu) / (1 - prod) * g / den
        p = p - lr * mu_next / (1 - prod_next) * m / den
        return p, (m, v)


# ------------------------------------------------------------------------ RAdam
class RAdamState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_sq: Params


def _rho(beta2: Hyper, t: int) -> tuple[Any, Any]:
    """RAdam's :math:`\\rho_\\infty` and :math:`\\rho_t` (length of the approximated SMA)."""
    b2 = np.asarray(beta2, dtype=np.float64)
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    b2t = b2**t
    rho_t = rho_inf - 2.0 * t * b2t / (1.0 - b2t)
    return rho_inf, rho_t


def _rect(rho_inf: Any, rho_t: Any, on: Any) -> Any:
    """The variance rectification term r_t, evaluated only where ``on`` (elsewhere 1)."""
    safe_t = np.where(on, rho_t, 6.0)
    safe_inf = np.where(on, rho_inf, 7.0)
    return np.sqrt((safe_t - 4) * (safe_t - 2) * safe_inf / ((safe_inf - 4) * (safe_inf - 2) * safe_t))


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
    """

    State = RAdamState
    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-8, weight_decay: Hyper = 0.0,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        self._set_common(lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.decoupled_weight_decay = _check_bool("decoupled_weight_decay", decoupled_weight_decay)
        self.maximize = _check_bool("maximize", maximize)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, v = bufs
        b1, b2 = self.betas
        p, g = _weight_decay(p, g, lr, self.weight_decay, self.decoupled_weight_decay)
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        rho_inf, rho_t = _rho(b2, t)
        on = rho_t > 5.0
        if np.ndim(on) == 0 and not on:
            return p - mhat * lr, (m, v)
        adaptive = np.sqrt(1 - b2**t) / (np.sqrt(v) + self.eps)
        step = mhat * lr * adaptive * _rect(rho_inf, rho_t, on)
        return p - np.where(on, step, mhat * lr), (m, v)


# -------------------------------------------------------------------- AdaBelief
class AdaBeliefState(NamedTuple):
    step: int
    exp_avg: Params
    exp_avg_var: Params
    max_exp_avg_var: Params


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
    bias-corrected momentum-SGD step (``degenerated_to_sgd``) or no step.

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
    """

    State = AdaBeliefState
    _buffers = ("exp_avg", "exp_avg_var", "max_exp_avg_var")

    def __init__(self, lr: LR = 1e-3, betas: tuple[Hyper, Hyper] = (0.9, 0.999),
                 eps: Hyper = 1e-16, weight_decay: Hyper = 0.0, amsgrad: bool = False,
                 weight_decouple: bool = True, fixed_decay: bool = False, rectify: bool = True,
                 degenerated_to_sgd: bool = True):
        self._set_common(lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.amsgrad = _check_bool("amsgrad", amsgrad)
        self.weight_decouple = _check_bool("weight_decouple", weight_decouple)
        self.fixed_decay = _check_bool("fixed_decay", fixed_decay)
        self.rectify = _check_bool("rectify", rectify)
        self.degenerated_to_sgd = _check_bool("degenerated_to_sgd", degenerated_to_sgd)

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, s, smax = bufs
        b1, b2 = self.betas
        wd = self.weight_decay
        if self.weight_decouple:
            p = p * (1 - wd) if self.fixed_decay else p * (1 - lr * wd)
        elif _nonzero(wd):
            g = g + wd * p
        m = m + (1 - b1) * (g - m)
        r = g - m
        s = b2 * s + (1 - b2) * r * r + self.eps
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        if self.amsgrad:
            smax = np.maximum(smax, s)
        if not self.rectify:
            den = np.sqrt(smax if self.amsgrad else s) / np.sqrt(bc2) + self.eps
            return p - lr / bc1 * m / den, (m, s, smax)
        rho_inf, rho_t = _rho(b2, t)
        on = rho_t >= 5.0
        rect = _rect(rho_inf, rho_t, on)
        k = np.sqrt(bc2) * rect / bc1
        adaptive = p - lr * k * m / (np.sqrt(s) + self.eps)
        fallback = p - lr / bc1 * m if self.degenerated_to_sgd else p
        return np.where(on, adaptive, fallback), (m, s, smax)


# ------------------------------------------------------------------------- Lion
class LionState(NamedTuple):
    step: int
    exp_avg: Params


class Lion(Optimizer):
    r"""Lion (Chen et al., 2023), as ``lion-pytorch`` 0.2.5.

    .. math::

        \theta &\leftarrow \theta(1 - \eta_t\lambda) \\
        \theta_t &= \theta_{t-1} - \eta_t\,\operatorname{sign}\big(\beta_1 m_{t-1} + (1-\beta_1) g_t\big) \\
        m_t &= \beta_2 m_{t-1} + (1-\beta_2) g_t

    Every coordinate moves by exactly :math:`\eta_t` (or 0 where the
    interpolation is exactly zero). The momentum is updated *after* the step
    and with :math:`\beta_2`, not :math:`\beta_1`.

    Parameters
    ----------
    lr : float, array or callable, default 1e-4
    betas : pair of floats in [0, 1), default (0.9, 0.99)
    weight_decay : float >= 0, default 0
    decoupled_weight_decay : bool, default False
        If True the decay is :math:`\lambda/\eta_0` per unit of lr, i.e.
        :math:`\theta(1-\lambda)` per step at a constant rate (:math:`\eta_0`
        is ``lr`` at construction, ``lr(0)`` for a schedule).
    """

    State = LionState
    _buffers = ("exp_avg",)

    def __init__(self, lr: LR = 1e-4, betas: tuple[Hyper, Hyper] = (0.9, 0.99),
                 weight_decay: Hyper = 0.0, decoupled_weight_decay: bool = False):
        self.lr = _check_lr(lr)
        self.betas = _check_betas(betas)
        self.weight_decay = check_in_range("weight_decay", weight_decay, 0.0, None)
        self.decoupled_weight_decay = _check_bool("decoupled_weight_decay", decoupled_weight_decay)
        if self.decoupled_weight_decay and _nonzero(self.weight_decay):
            lr0 = self._lr_at(0)
            if np.any(np.asarray(lr0) <= 0):
                raise ValueError(f"decoupled_weight_decay=True needs lr > 0; got lr={lr0!r}")

    def _leaf(self, p, g, bufs, t, lr, ctx):
        (m,) = bufs
        b1, b2 = self.betas
        wd = self.weight_decay
        if _nonzero(wd):
            if self.decoupled_weight_decay:
                wd = wd / self._lr_at(0)
            p = p * (1 - lr * wd)
        c = b1 * m + (1 - b1) * g
        p = p - lr * np.sign(c)
        m = b2 * m + (1 - b2) * g
        return p, (m,)

r"""Softmax policies: tabular, linear and a small MLP, with their score, Fisher matrix and KL.

A policy is a description; its parameters travel separately, so that a
:mod:`descent.optim` optimizer can update them. Tabular and linear policies
hold ``R`` independent runs at once: parameters of shape ``(R, P)``,
observations of shape ``(R, N, ...)``, actions and weights of shape
``(R, N)``. The MLP policy holds one run (``R = 1``) and its parameters are the
:class:`descent.nn.MLP` dict.

For a linear softmax policy with features :math:`\phi(s) \in \mathbb{R}^D` and
weights :math:`W \in \mathbb{R}^{D \times k}`,

.. math::

    \pi_\theta(a \mid s) = \frac{e^{z_a}}{\sum_b e^{z_b}}, \quad z = \phi(s)^\top W,
    \qquad \nabla_W \log \pi_\theta(a \mid s) = \phi(s)\,(e_a - \pi(\cdot \mid s))^\top .

A tabular policy is the linear one with one-hot features of the state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int

__all__ = ["LinearSoftmax", "TabularSoftmax", "MLPSoftmax", "softmax", "softmax_fisher", "natural_gradient"]


def softmax(z: Any) -> np.ndarray:
    r"""Softmax over the last axis, :math:`e^{z_a - \max z}/\sum_b e^{z_b - \max z}`.

    Examples
    --------
    >>> softmax([0.0, np.log(3.0)]).round(3).tolist()
    [0.25, 0.75]
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_fisher(theta: Any) -> np.ndarray:
    r"""Fisher matrix of :math:`\pi = \mathrm{softmax}(\theta)` (one state): :math:`F = \mathrm{diag}(\pi) - \pi\pi^\top`.

    :math:`F = \mathbb{E}_{a \sim \pi}[(e_a - \pi)(e_a - \pi)^\top]`; it is singular
    along :math:`\mathbf{1}` (adding a constant to every logit changes nothing).

    Examples
    --------
    >>> softmax_fisher([0.0, 0.0]).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    p = softmax(theta)
    return np.einsum("...i,ij->...ij", p, np.eye(p.shape[-1])) - p[..., :, None] * p[..., None, :]


def natural_gradient(grad: Any, fisher: Any, damping: float = 1e-3) -> np.ndarray:
    r"""The damped natural gradient :math:`(F + \delta I)^{-1} g` (Amari 1998), batched over leading axes.

    Parameters
    ----------
    grad : array (..., P)
    fisher : array (..., P, P), symmetric positive semi-definite
    damping : float >= 0
        :math:`\delta`; a softmax Fisher is singular, so use ``damping > 0``
        unless ``fisher`` is known to be invertible.

    Examples
    --------
    >>> natural_gradient([1.0, 0.0], [[2.0, 0.0], [0.0, 1.0]], damping=0.0).tolist()
    [0.5, 0.0]
    """
    g = np.asarray(grad, dtype=float)
    F = np.asarray(fisher, dtype=float)
    if F.shape != g.shape + g.shape[-1:]:
        raise ValueError(f"fisher must have shape {g.shape + g.shape[-1:]} for grad of shape {g.shape}; got {F.shape}")
    if isinstance(damping, bool) or not np.isfinite(damping) or damping < 0:
        raise ValueError(f"damping must be a finite number >= 0; got {damping!r}")
    try:
        return np.linalg.solve(F + float(damping) * np.eye(g.shape[-1]), g[..., None])[..., 0]
    except np.linalg.LinAlgError as err:
        raise ValueError("fisher + damping * I is singular; use damping > 0") from err


def _check_weights(name: str, w: Any, shape: tuple[int, ...]) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {w.shape}")
    return w


class LinearSoftmax:
    r"""Linear softmax policy :math:`\pi(a \mid s) = \mathrm{softmax}(\phi(s)^\top W)_a`, :math:`\phi(s) = (s, 1)`.

    Parameters
    ----------
    n_features : int >= 1
        Length of an observation vector (a ``Box`` of shape ``(n_features,)``).
    n_actions : int >= 2
    bias : bool, default True
        Append a constant feature 1.

    Parameters of ``R`` runs are an array ``(R, D * k)``, :math:`D` = features
    (+1 with bias), the flattened :math:`W`.

    Examples
    --------
    >>> pol = LinearSoftmax(4, 2)
    >>> theta = pol.init(n_runs=3)
    >>> theta.shape, pol.probs(theta, np.zeros((3, 5, 4))).shape
    ((3, 10), (3, 5, 2))
    """

    def __init__(self, n_features: int, n_actions: int, bias: bool = True) -> None:
        self.n_features = check_int("n_features", n_features, 1)
        self.n_actions = check_int("n_actions", n_actions, 2)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False; got {bias!r}")
        self.bias = bool(bias)
        self.dim = self.n_features + self.bias
        self.n_params = self.dim * self.n_actions

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n_features}, {self.n_actions})"

    def check_spaces(self, observation_space: Any, action_space: Any) -> None:
        """Reject Gymnasium spaces this policy cannot act in (a TypeError naming the space)."""
        import gymnasium as gym

        from ._core import check_discrete_space

        if check_discrete_space(action_space) != self.n_actions:
            raise ValueError(f"policy has {self.n_actions} actions; action space has {action_space.n}")
        if not (isinstance(observation_space, gym.spaces.Box) and observation_space.shape == (self.n_features,)):
            raise TypeError(f"{type(self).__name__} needs a Box observation space of shape ({self.n_features},); "
                            f"got {observation_space!r}")

    def init(self, n_runs: int = 1, scale: float = 0.0, rng: np.random.Generator | None = None) -> np.ndarray:
        """Parameters of ``n_runs`` runs: zeros (the uniform policy), or normal(0, scale²) entries drawn from ``rng``."""
        n_runs = check_int("n_runs", n_runs, 1)
        if scale == 0.0:
            return np.zeros((n_runs, self.n_params))
        if rng is None:
            raise ValueError("rng is required when scale > 0")
        return scale * rng.standard_normal((n_runs, self.n_params))

    def features(self, obs: Any) -> np.ndarray:
        r""":math:`\phi(s)` for observations ``(R, N, n_features)``: shape ``(R, N, D)``."""
        x = np.asarray(obs, dtype=float)
        if x.ndim != 3 or x.shape[-1] != self.n_features:
            raise ValueError(f"obs must have shape (R, N, {self.n_features}); got {x.shape}")
        return np.concatenate([x, np.ones(x.shape[:-1] + (1,))], axis=-1) if self.bias else x

    def _W(self, params: Any) -> np.ndarray:
        th = np.asarray(params, dtype=float)
        if th.ndim != 2 or th.shape[1] != self.n_params:
            raise ValueError(f"params must have shape (R, {self.n_params}); got {th.shape}")
        return th.reshape(th.shape[0], self.dim, self.n_actions)

    def logits(self, params: Any, obs: Any) -> np.ndarray:
        """Logits :math:`z = \\phi(s)^\\top W`, shape ``(R, N, k)``."""
        W = self._W(params)
        phi = self.features(obs)
        if phi.shape[0] != W.shape[0]:
            raise ValueError(f"obs holds {phi.shape[0]} runs, params {W.shape[0]}")
        return np.einsum("rnd,rdk->rnk", phi, W)

    def probs(self, params: Any, obs: Any) -> np.ndarray:
        """Action probabilities :math:`\\pi(\\cdot \\mid s)`, shape ``(R, N, k)``."""
        return softmax(self.logits(params, obs))

    def log_prob(self, params: Any, obs: Any, actions: Any) -> np.ndarray:
        r""":math:`\log \pi(a_n \mid s_n)`, shape ``(R, N)``."""
        z = self.logits(params, obs)
        z = z - z.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        a = self._actions(actions, z.shape[:2])
        return np.take_along_axis(logp, a[..., None], axis=-1)[..., 0]

    def _actions(self, actions: Any, shape: tuple[int, ...]) -> np.ndarray:
        a = np.asarray(actions)
        if a.shape != shape or a.dtype.kind not in "iu" or (a.size and (a.min() < 0 or a.max() >= self.n_actions)):
            raise ValueError(f"actions must be integers in [0, {self.n_actions - 1}] of shape {shape}")
        return a

    def sample(self, params: Any, obs: Any, rng: np.random.Generator) -> np.ndarray:
        """Actions drawn from :math:`\\pi(\\cdot \\mid s_n)` by inverting the CDF with ``rng.random``; shape ``(R, N)``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        p = self.probs(params, obs)
        u = rng.random(p.shape[:2])
        return np.minimum((np.cumsum(p, axis=-1) < u[..., None]).sum(axis=-1), self.n_actions - 1)

    def score(self, params: Any, obs: Any, actions: Any, weights: Any) -> np.ndarray:
        r"""Weighted score :math:`\sum_n w_n \nabla_\theta \log \pi(a_n \mid s_n)` per run, shape ``(R, P)``."""
        p = self.probs(params, obs)
        a = self._actions(actions, p.shape[:2])
        w = _check_weights("weights", weights, p.shape[:2])
        dz = -p * w[..., None]
        np.put_along_axis(dz, a[..., None], np.take_along_axis(dz, a[..., None], -1) + w[..., None], axis=-1)
        return np.einsum("rnd,rnk->rdk", self.features(obs), dz).reshape(p.shape[0], -1)

    def score_norm2(self, params: Any, obs: Any, actions: Any) -> np.ndarray:
        r""":math:`\lVert \nabla_\theta \log \pi(a_n \mid s_n) \rVert^2 = \lVert\phi\rVert^2 \lVert e_a - \pi\rVert^2`, shape ``(R, N)``."""
        p = self.probs(params, obs)
        a = self._actions(actions, p.shape[:2])
        pa = np.take_along_axis(p, a[..., None], -1)[..., 0]
        return (self.features(obs) ** 2).sum(-1) * (1.0 - 2.0 * pa + (p ** 2).sum(-1))

    def fisher(self, params: Any, obs: Any, weights: Any = None) -> np.ndarray:
        r"""Fisher matrix :math:`F = \sum_n w_n\, \phi_n\phi_n^\top \otimes (\mathrm{diag}\,\pi_n - \pi_n\pi_n^\top)`, ``(R, P, P)``.

        :math:`= \sum_n w_n \mathbb{E}_{a \sim \pi(\cdot|s_n)}[\nabla\log\pi\,\nabla\log\pi^\top]`;
        ``weights`` default to :math:`1/N` (the average over the states given).
        """
        p = self.probs(params, obs)
        R, N, k = p.shape
        w = np.full((R, N), 1.0 / N) if weights is None else _check_weights("weights", weights, (R, N))
        C = np.einsum("rni,ij->rnij", p, np.eye(k)) - p[..., :, None] * p[..., None, :]
        phi = self.features(obs)
        F = np.einsum("rn,rnd,rne,rnij->rdiej", w, phi, phi, C)
        return F.reshape(R, self.n_params, self.n_params)

    def kl(self, params_old: Any, params_new: Any, obs: Any, mask: Any = None) -> np.ndarray:
        r"""Mean over states of :math:`\mathrm{KL}(\pi_{\text{old}}(\cdot|s) \,\|\, \pi_{\text{new}}(\cdot|s))`, shape ``(R,)``."""
        return _kl(self.logits(params_old, obs), self.logits(params_new, obs), mask)


def _kl(z_old: np.ndarray, z_new: np.ndarray, mask: Any) -> np.ndarray:
    lo = z_old - z_old.max(-1, keepdims=True)
    lo = lo - np.log(np.exp(lo).sum(-1, keepdims=True))
    ln = z_new - z_new.max(-1, keepdims=True)
    ln = ln - np.log(np.exp(ln).sum(-1, keepdims=True))
    kl = (np.exp(lo) * (lo - ln)).sum(-1)
    if mask is None:
        return kl.mean(-1)
    m = np.asarray(mask, dtype=float)
    return (kl * m).sum(-1) / np.maximum(m.sum(-1), 1.0)


class TabularSoftmax(LinearSoftmax):
    r"""Tabular softmax policy :math:`\pi(a \mid s) = \mathrm{softmax}(\theta_{s,\cdot})_a` over ``n_states`` states.

    The linear policy with one-hot features and no bias; observations are
    integer states of shape ``(R, N)``. A k-armed bandit is ``TabularSoftmax(1, k)``.

    Examples
    --------
    >>> pol = TabularSoftmax(1, 3)
    >>> pol.probs(np.log([[1.0, 1.0, 2.0]]), np.zeros((1, 1), int)).tolist()
    [[[0.25, 0.25, 0.5]]]
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__(n_states, n_actions, bias=False)
        self.n_states = self.n_features

    def __repr__(self) -> str:
        return f"TabularSoftmax({self.n_states}, {self.n_actions})"

    def check_spaces(self, observation_space: Any, action_space: Any) -> None:
        import gymnasium as gym

        from ._core import check_discrete_space

        if check_discrete_space(action_space) != self.n_actions:
            raise ValueError(f"policy has {self.n_actions} actions; action space has {action_space.n}")
        if not (isinstance(observation_space, gym.spaces.Discrete) and observation_space.n == self.n_states):
            raise TypeError(f"TabularSoftmax needs a Discrete({self.n_states}) observation space; got {observation_space!r}")

    def features(self, obs: Any) -> np.ndarray:
        s = np.asarray(obs)
        if s.ndim != 2 or s.dtype.kind not in "iu" or (s.size and (s.min() < 0 or s.max() >= self.n_states)):
            raise ValueError(f"obs must be integer states in [0, {self.n_states - 1}] of shape (R, N); got {s.shape}")
        return np.eye(self.n_states)[s]


class MLPSoftmax:
    r"""Softmax over the logits of a :class:`descent.nn.MLP` (one run): :math:`\pi(\cdot \mid s) = \mathrm{softmax}(f_\theta(s))`.

    Parameters are the MLP's dict (``"0.W"``, ``"0.b"``, ...). Observations are
    ``(1, N, n_features)``; the score back-propagates
    :math:`\partial/\partial z = w_n (e_{a_n} - \pi_n)` through the network.

    Examples
    --------
    >>> pol = MLPSoftmax([4, 16, 2], rng=np.random.default_rng(0))
    >>> pol.probs(pol.init(), np.zeros((1, 3, 4))).shape
    (1, 3, 2)
    """

    def __init__(self, sizes: Any, activation: str = "tanh", *, rng: np.random.Generator, scale: float | None = None) -> None:
        from ..nn import MLP

        self.model = MLP(sizes, activation=activation, init="xavier", rng=rng, scale=scale)
        self.n_features, self.n_actions = self.model.sizes[0], self.model.sizes[-1]
        if self.n_actions < 2:
            raise ValueError(f"the last size (number of actions) must be >= 2; got {self.n_actions}")
        self._init = {k: v.copy() for k, v in self.model.params().items()}

    def __repr__(self) -> str:
        return f"MLPSoftmax({self.model.sizes})"

    check_spaces = LinearSoftmax.check_spaces

    def init(self, n_runs: int = 1) -> dict[str, np.ndarray]:
        """A copy of the initial weights (drawn from the constructor's ``rng``); ``n_runs`` must be 1."""
        if n_runs != 1:
            raise ValueError(f"MLPSoftmax holds one run; got n_runs={n_runs}")
        return {k: v.copy() for k, v in self._init.items()}

    def logits(self, params: dict, obs: Any) -> np.ndarray:
        x = np.asarray(obs, dtype=float)
        if x.ndim != 3 or x.shape[0] != 1 or x.shape[-1] != self.n_features:
            raise ValueError(f"obs must have shape (1, N, {self.n_features}); got {x.shape}")
        self.model.set_params(params)
        return self.model.forward(x[0])[None]

    def probs(self, params: dict, obs: Any) -> np.ndarray:
        return softmax(self.logits(params, obs))

    def log_prob(self, params: dict, obs: Any, actions: Any) -> np.ndarray:
        return LinearSoftmax.log_prob(self, params, obs, actions)  # type: ignore[arg-type]

    _actions = LinearSoftmax._actions
    sample = LinearSoftmax.sample

    def score(self, params: dict, obs: Any, actions: Any, weights: Any) -> dict[str, np.ndarray]:
        r""":math:`\sum_n w_n \nabla_\theta \log \pi(a_n \mid s_n)` as a dict of the MLP's parameter shapes."""
        p = self.probs(params, obs)  # runs forward, caches for backward
        a = self._actions(actions, p.shape[:2])
        w = _check_weights("weights", weights, p.shape[:2])
        dz = -p[0] * w[0, :, None]
        dz[np.arange(dz.shape[0]), a[0]] += w[0]
        self.model.backward(dz, input_grad=False)
        return {k: v.copy() for k, v in self.model.grads().items()}

    def kl(self, params_old: dict, params_new: dict, obs: Any, mask: Any = None) -> np.ndarray:
        return _kl(self.logits(params_old, obs), self.logits(params_new, obs), mask)

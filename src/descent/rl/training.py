r"""Estimators and a runner: REINFORCE with baselines, a value baseline, PPO's update, seeded training on Gymnasium.

A batch holds ``R`` independent runs of ``E`` episodes each, padded to ``T``
steps: ``obs (R, E, T, ...)``, ``actions``, ``rewards``, ``mask (R, E, T)``.
The REINFORCE estimate of run ``r`` is

.. math::

    \hat g = \frac1E \sum_{e} \sum_t \nabla_\theta \log \pi_\theta(a_t \mid s_t)\,(G_t - b_t),
    \qquad G_t = \sum_{k \ge t} \gamma^{k-t} r_k,

(Williams 1992), the reward-to-go form. With :math:`\gamma < 1` it omits the
factor :math:`\gamma^t` of the exact gradient of the discounted return, as
practical implementations do; with :math:`\gamma = 1` it is unbiased.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._validation import check_int
from ._core import _check_unit, check_discrete_space, gae_padded, returns_to_go

__all__ = ["Batch", "ValueBaseline", "reinforce_gradient", "ppo_gradient", "ppo_update", "make_envs", "collect",
           "train", "TrainHistory"]


class Batch(NamedTuple):
    """Padded episodes of ``R`` runs: arrays ``(R, E, T, ...)``; ``last_obs`` and ``truncated`` are ``(R, E, ...)``."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray
    last_obs: np.ndarray
    truncated: np.ndarray

    def flat(self, x: np.ndarray) -> np.ndarray:
        """Merge the episode and time axes: ``(R, E, T, ...) -> (R, E*T, ...)``."""
        return x.reshape(x.shape[0], x.shape[1] * x.shape[2], *x.shape[3:])

    @property
    def episode_returns(self) -> np.ndarray:
        """Undiscounted return of each episode, ``(R, E)``."""
        return np.where(self.mask, self.rewards, 0.0).sum(-1)


class ValueBaseline:
    r"""A value function :math:`V(s) = \phi(s)^\top w` fitted by ridge regression to returns.

    Features: ``"linear"`` :math:`(s, 1)`, ``"quadratic"`` :math:`(s, s \otimes s, 1)` for a
    ``Box`` observation of ``n_features`` numbers, or ``"onehot"`` for ``n_features``
    discrete states. Weights travel separately (``w = vb.init(R)``; ``vb.fit`` returns new ones),
    one row per run.

    Examples
    --------
    >>> vb = ValueBaseline(1, "linear")
    >>> obs = np.array([[[0.0], [1.0], [2.0]]])
    >>> w = vb.fit(vb.init(1), obs, np.array([[1.0, 3.0, 5.0]]))
    >>> vb.predict(w, obs).round(3).tolist()
    [[1.0, 3.0, 5.0]]
    """

    def __init__(self, n_features: int, features: str = "linear", ridge: float = 1e-6) -> None:
        """``ridge`` > 0 keeps the normal equations solvable when a feature is never seen."""
        self.n_features = check_int("n_features", n_features, 1)
        if features not in ("linear", "quadratic", "onehot"):
            raise ValueError(f"features must be 'linear', 'quadratic' or 'onehot'; got {features!r}")
        if isinstance(ridge, bool) or not np.isfinite(ridge) or ridge <= 0:
            raise ValueError(f"ridge must be a finite number > 0; got {ridge!r}")
        self.kind, self.ridge = features, float(ridge)
        d = self.n_features
        self.dim = {"linear": d + 1, "quadratic": d + d * (d + 1) // 2 + 1, "onehot": d}[features]

    def __repr__(self) -> str:
        return f"ValueBaseline({self.n_features}, {self.kind!r})"

    def init(self, n_runs: int = 1) -> np.ndarray:
        """Zero weights for ``n_runs`` runs: :math:`V \\equiv 0` until the first fit."""
        return np.zeros((check_int("n_runs", n_runs, 1), self.dim))

    def features(self, obs: Any) -> np.ndarray:
        """:math:`\\phi(s)` for observations ``(R, N, ...)``, shape ``(R, N, dim)``."""
        if self.kind == "onehot":
            s = np.asarray(obs)
            if s.dtype.kind not in "iu" or (s.size and (s.min() < 0 or s.max() >= self.n_features)):
                raise ValueError(f"obs must be integer states in [0, {self.n_features - 1}]")
            return np.eye(self.n_features)[s]
        x = np.asarray(obs, dtype=float)
        if x.shape[-1] != self.n_features:
            raise ValueError(f"obs must end in {self.n_features} features; got shape {x.shape}")
        parts = [x]
        if self.kind == "quadratic":
            i, j = np.triu_indices(self.n_features)
            parts.append(x[..., i] * x[..., j])
        return np.concatenate(parts + [np.ones(x.shape[:-1] + (1,))], -1)

    def predict(self, w: np.ndarray, obs: Any) -> np.ndarray:
        """:math:`V(s_n)`, shape ``(R, N)``."""
        return np.einsum("rnd,rd->rn", self.features(obs), w)

    def fit(self, w: np.ndarray, obs: Any, targets: Any, mask: Any = None) -> np.ndarray:
        r"""Least squares :math:`\min_w \sum_n m_n (\phi_n^\top w - G_n)^2 + \text{ridge}\,\lVert w\rVert^2` per run."""
        phi = self.features(obs)
        m = np.ones(phi.shape[:2]) if mask is None else np.asarray(mask, dtype=float)
        G = np.where(m > 0, np.asarray(targets, dtype=float), 0.0)
        A = np.einsum("rn,rnd,rne->rde", m, phi, phi) + self.ridge * np.eye(self.dim)
        b = np.einsum("rn,rnd,rn->rd", m, phi, G)
        return np.linalg.solve(A, b[..., None])[..., 0]


def _baseline_values(policy, params, obs, actions, G, mask, baseline, value, w):
    if isinstance(baseline, str):
        m = mask.astype(float)
        if baseline == "none":
            return np.zeros_like(G)
        if baseline == "mean":
            b = (G * m).sum(-1) / np.maximum(m.sum(-1), 1.0)
            return np.broadcast_to(b[:, None], G.shape)
        if baseline == "optimal":
            if not hasattr(policy, "score_norm2"):
                raise TypeError(f"the optimal constant baseline needs per-sample score norms; {policy!r} has none")
            n2 = policy.score_norm2(params, obs, actions) * m
            b = (n2 * G).sum(-1) / np.maximum(n2.sum(-1), 1e-300)
            return np.broadcast_to(b[:, None], G.shape)
        if baseline == "value":
            if value is None or w is None:
                raise ValueError("baseline='value' needs a ValueBaseline (value=) and its weights")
            return value.predict(w, obs)
        raise ValueError(f"baseline must be 'none', 'mean', 'optimal', 'value' or a number; got {baseline!r}")
    b = np.asarray(baseline, dtype=float)
    return np.broadcast_to(b.reshape(b.shape + (1,) * (G.ndim - b.ndim)) if b.ndim else b, G.shape)


def reinforce_gradient(policy: Any, params: Any, batch: Batch, gamma: float, baseline: Any = "none",
                       value: ValueBaseline | None = None, value_w: np.ndarray | None = None) -> Any:
    r"""REINFORCE estimate :math:`\frac1E\sum_e\sum_t \nabla\log\pi(a_t|s_t)(G_t - b_t)` of every run.

    Parameters
    ----------
    baseline : {"none", "mean", "optimal", "value"} or float or array (R,)
        ``"mean"``: the batch's average reward-to-go; ``"optimal"``: the constant
        :math:`b^* = \sum_t \lVert\psi_t\rVert^2 G_t / \sum_t \lVert\psi_t\rVert^2`,
        :math:`\psi_t = \nabla\log\pi(a_t|s_t)`; ``"value"``: :math:`V(s_t)` from ``value``
        with weights ``value_w``. Baselines computed from the same batch add a bias of
        order 1/E; a fixed number or a value fitted on earlier batches adds none.

    Returns
    -------
    The gradient estimate in the shape of ``params`` (ascent direction of :math:`J`).
    """
    gamma = _check_unit("gamma", gamma)
    R, E = batch.mask.shape[:2]
    G = batch.flat(returns_to_go(batch.rewards, batch.mask, gamma))
    obs, acts, mask = batch.flat(batch.obs), batch.flat(batch.actions), batch.flat(batch.mask)
    b = _baseline_values(policy, params, obs, acts, G, mask, baseline, value, value_w)
    return policy.score(params, obs, acts, np.where(mask, G - b, 0.0) / E)


def ppo_gradient(policy: Any, params: Any, obs: Any, actions: Any, advantages: Any, logp_old: Any, mask: Any,
                 eps: float) -> tuple[Any, np.ndarray, np.ndarray]:
    r"""Gradient of PPO's clipped surrogate :math:`L^{\text{CLIP}}` (Schulman et al. 2017) for every run.

    :math:`L = \frac1N\sum_n \min(\rho_n \hat A_n, \mathrm{clip}(\rho_n, 1-\epsilon, 1+\epsilon)\hat A_n)`,
    :math:`\rho_n = \pi_\theta(a_n|s_n)/\pi_{\text{old}}(a_n|s_n)`, and
    :math:`\nabla L = \frac1N \sum_n [\text{unclipped term is the min}]\,\hat A_n\,\rho_n \nabla\log\pi_\theta(a_n|s_n)`.
    Returns ``(grad, L (R,), clipped fraction (R,))``; sums run over ``mask``.
    """
    if not 0.0 < float(eps) < 1.0:
        raise ValueError(f"eps must lie in (0, 1), got {eps}")
    m = np.asarray(mask, dtype=float)
    n = np.maximum(m.sum(-1, keepdims=True), 1.0)
    rho = np.exp(np.where(m > 0, policy.log_prob(params, obs, actions) - logp_old, 0.0))
    adv = np.where(m > 0, advantages, 0.0)
    unclipped, clipped = rho * adv, np.clip(rho, 1 - eps, 1 + eps) * adv
    active = unclipped <= clipped
    L = (np.minimum(unclipped, clipped) * m).sum(-1) / n[:, 0]
    g = policy.score(params, obs, actions, np.where(active, adv, 0.0) * rho * m / n)
    frac = ((np.abs(rho - 1) > eps) * m).sum(-1) / n[:, 0]
    return g, L, frac


def _check_maximizing(opt: Any) -> None:
    if getattr(opt, "maximize", True) is False:
        raise ValueError(f"opt must ascend the return: build it with maximize=True; got {opt!r}")


def ppo_update(policy: Any, params: Any, opt: Any, opt_state: Any, obs: Any, actions: Any, advantages: Any,
               mask: Any, *, eps: float = 0.2, epochs: int = 4, normalize: bool = True) -> tuple[Any, Any, dict]:
    r"""``epochs`` full-batch ascent steps on the clipped surrogate, starting from :math:`\pi_{\text{old}} = \pi_{\text{params}}`.

    ``opt`` is a :mod:`descent.optim` optimizer built with ``maximize=True``.
    With ``normalize`` the advantages are standardized per run over ``mask``.
    Returns ``(params, opt_state, info)``, ``info`` holding ``"kl"`` (mean
    :math:`\mathrm{KL}(\pi_{\text{old}}\|\pi_{\text{new}})` over the batch's states, ``(R,)``),
    ``"clip_fraction"`` and ``"surrogate"`` of the last epoch.
    """
    _check_maximizing(opt)
    epochs = check_int("epochs", epochs, 1)
    m = np.asarray(mask, dtype=bool)
    adv = np.asarray(advantages, dtype=float)
    if normalize:
        mf = m.astype(float)
        n = np.maximum(mf.sum(-1, keepdims=True), 1.0)
        mu = (adv * mf).sum(-1, keepdims=True) / n
        sd = np.sqrt((((adv - mu) * mf) ** 2).sum(-1, keepdims=True) / n)
        adv = (adv - mu) / (sd + 1e-8)
    logp_old = policy.log_prob(params, obs, actions)
    start = params
    for _ in range(epochs):
        g, L, frac = ppo_gradient(policy, params, obs, actions, adv, logp_old, m, eps)
        params, opt_state = opt.update(params, g, opt_state)
    info = {"kl": policy.kl(start, params, obs, m), "clip_fraction": frac, "surrogate": L}
    return params, opt_state, info


def make_envs(env: Any, n: int) -> Any:
    """``n`` copies of ``env`` as one Gymnasium vector environment.

    ``env`` is an id (``"CartPole-v1"``: its own vectorized implementation when it
    has one, else a ``SyncVectorEnv``), a callable returning an environment, or a
    ready ``gymnasium.vector.VectorEnv`` with ``num_envs == n``.
    """
    import gymnasium as gym

    n = check_int("n", n, 1)
    if isinstance(env, gym.vector.VectorEnv):
        if env.num_envs != n:
            raise ValueError(f"the vector env holds {env.num_envs} envs; {n} needed")
        return env
    if isinstance(env, str):
        try:
            return gym.make_vec(env, num_envs=n, vectorization_mode="vector_entry_point")
        except (gym.error.Error, TypeError, ValueError):
            return gym.make_vec(env, num_envs=n, vectorization_mode="sync")
    if callable(env):
        return gym.vector.SyncVectorEnv([env] * n)
    raise TypeError(f"env must be an id, a callable returning an env, or a VectorEnv; got {type(env).__name__}")


def collect(envs: Any, policy: Any, params: Any, n_runs: int, rng: np.random.Generator, seed: int,
            max_steps: int = 500) -> Batch:
    r"""Roll out one episode in each of ``envs.num_envs = n_runs * E`` environments; return the padded :class:`Batch`.

    The environments are reset with ``seed`` (Gymnasium seeds copy ``i`` with ``seed + i``
    or draws all from one seeded generator); actions come from ``rng``. Steps after an
    episode's end (the vector env's autoreset) are masked out. An episode still running
    after ``max_steps`` is marked truncated.
    """
    n_runs = check_int("n_runs", n_runs, 1)
    max_steps = check_int("max_steps", max_steps, 1)
    N = envs.num_envs
    if N % n_runs:
        raise ValueError(f"num_envs={N} is not a multiple of n_runs={n_runs}")
    E = N // n_runs
    policy.check_spaces(envs.single_observation_space, envs.single_action_space)
    o, _ = envs.reset(seed=int(seed))
    alive = np.ones(N, bool)
    trunc = np.zeros(N, bool)
    last = np.array(o, copy=True)
    O, A, Rw, M = [], [], [], []
    for _ in range(max_steps):
        ob = np.asarray(o).reshape(n_runs, E, *np.shape(o)[1:])
        a = policy.sample(params, ob, rng).reshape(N)
        o, r, term, tr, _ = envs.step(a)
        O.append(ob.reshape(N, *ob.shape[2:]))
        A.append(a)
        Rw.append(np.asarray(r, dtype=float))
        M.append(alive.copy())
        ended = alive & (term | tr)
        trunc |= alive & tr & ~term
        last[alive] = np.asarray(o)[alive]
        alive &= ~ended
        if not alive.any():
            break
    trunc |= alive
    T = len(A)

    def shape(x: list) -> np.ndarray:
        x = np.stack(x, 1)  # (N, T, ...)
        return x.reshape(n_runs, E, T, *x.shape[2:])

    return Batch(shape(O), shape(A), shape(Rw), shape(M), last.reshape(n_runs, E, *last.shape[1:]),
                 trunc.reshape(n_runs, E))


class TrainHistory(NamedTuple):
    """Per iteration and run: mean episode return, mean length, KL of the update; final params (and value weights)."""

    returns: np.ndarray
    lengths: np.ndarray
    kl: np.ndarray
    params: Any
    value_w: Any


def train(env: Any, policy: Any, opt: Any, *, iterations: int, episodes: int = 8, n_runs: int = 1,
          algo: str = "reinforce", gamma: float = 0.99, lam: float = 0.95, baseline: Any = "none",
          value: ValueBaseline | None = None, eps: float = 0.2, epochs: int = 4, max_steps: int = 500,
          seed: int = 0, params: Any = None) -> TrainHistory:
    r"""Train ``n_runs`` independent policies on a Gymnasium env with a discrete action space.

    Each iteration rolls out ``episodes`` episodes per run (one vector env of
    ``n_runs * episodes`` copies), then takes one REINFORCE step (``algo="reinforce"``,
    :func:`reinforce_gradient` with ``baseline``) or ``epochs`` PPO steps on GAE(:math:`\lambda`)
    advantages (``algo="ppo"``, :func:`ppo_update`). ``opt`` is a :mod:`descent.optim`
    optimizer with ``maximize=True``; its hyperparameters may be ``(n_runs, 1)`` columns.
    A value baseline is fitted to the returns after each batch and used on the next,
    so it adds no bias. Everything random flows from ``seed``: the environments' seeds
    and the action sampler ``numpy.random.default_rng(seed)``; equal seeds give
    bitwise-equal histories.

    Examples
    --------
    >>> from descent.optim import Adam
    >>> from descent.rl import LinearSoftmax
    >>> h = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.05, maximize=True), iterations=2, episodes=4, seed=1)
    >>> h.returns.shape
    (2, 1)
    """
    import gymnasium as gym

    iterations = check_int("iterations", iterations, 1)
    episodes = check_int("episodes", episodes, 1)
    n_runs = check_int("n_runs", n_runs, 1)
    gamma, lam = _check_unit("gamma", gamma), _check_unit("lam", lam)
    if algo not in ("reinforce", "ppo"):
        raise ValueError(f"algo must be 'reinforce' or 'ppo'; got {algo!r}")
    _check_maximizing(opt)
    envs = make_envs(env, n_runs * episodes)
    check_discrete_space(envs.single_action_space)
    policy.check_spaces(envs.single_observation_space, envs.single_action_space)
    if (baseline == "value" or algo == "ppo") and value is None:
        space = envs.single_observation_space
        value = ValueBaseline(space.n, "onehot") if isinstance(space, gym.spaces.Discrete) else \
            ValueBaseline(int(np.prod(space.shape)), "linear")
    rng = np.random.default_rng(seed)
    params = policy.init(n_runs) if params is None else params
    state = opt.init(params)
    w = value.init(n_runs) if value is not None else None
    rets, lens, kls = [], [], []
    try:
        for _ in range(iterations):
            batch = collect(envs, policy, params, n_runs, rng, int(rng.integers(2 ** 31)), max_steps)
            rets.append(batch.episode_returns.mean(-1))
            lens.append(batch.mask.sum(-1).mean(-1))
            obs, acts, mask = batch.flat(batch.obs), batch.flat(batch.actions), batch.flat(batch.mask)
            G = returns_to_go(batch.rewards, batch.mask, gamma)
            old = params
            if algo == "reinforce":
                g = reinforce_gradient(policy, params, batch, gamma, baseline, value, w)
                params, state = opt.update(params, g, state)
                kls.append(policy.kl(old, params, obs, mask))
            else:
                V = value.predict(w, obs).reshape(batch.mask.shape)
                V_last = value.predict(w, batch.last_obs)
                adv = gae_padded(batch.rewards, V, batch.mask, gamma, lam, np.where(batch.truncated, V_last, 0.0))
                params, state, info = ppo_update(policy, params, opt, state, obs, acts, batch.flat(adv), mask,
                                                 eps=eps, epochs=epochs)
                kls.append(info["kl"])
            if value is not None:
                w = value.fit(w, obs, batch.flat(G), mask)
    finally:
        if not (hasattr(env, "num_envs")):
            envs.close()
    return TrainHistory(np.array(rets), np.array(lens), np.array(kls), params, w)

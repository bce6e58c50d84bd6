r"""Two problems whose expected return is computed exactly: a k-armed bandit and a tiny episodic MDP.

Both take tabular softmax logits :math:`\theta` (``(k,)`` for the bandit,
``(S, A)`` for the MDP, or with leading run axes) and return the exact
:math:`J(\theta)` and :math:`\nabla J(\theta)`, against which sampled
score-function estimates are checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .policies import softmax, softmax_fisher

__all__ = ["Bandit", "TinyMDP", "train_bandit"]


class Bandit:
    r"""A k-armed bandit with Gaussian rewards :math:`r \mid a \sim \mathcal{N}(q_a, \sigma^2)`.

    Under :math:`\pi = \mathrm{softmax}(\theta)`: :math:`J(\theta) = \pi^\top q` and
    :math:`\nabla J = \pi \odot (q - J)`.

    Parameters
    ----------
    means : array (k,), k >= 2
        :math:`q_a`.
    std : float >= 0
        :math:`\sigma`.

    Examples
    --------
    >>> b = Bandit([1.0, 2.0])
    >>> b.expected_return([0.0, 0.0]), b.grad([0.0, 0.0]).tolist()
    (1.5, [-0.25, 0.25])
    """

    def __init__(self, means: Any, std: float = 1.0) -> None:
        q = np.asarray(means, dtype=float)
        if q.ndim != 1 or q.size < 2 or not np.all(np.isfinite(q)):
            raise ValueError(f"means must be a finite 1-d array of >= 2 arms; got shape {q.shape}")
        if isinstance(std, bool) or not np.isfinite(std) or std < 0:
            raise ValueError(f"std must be a finite number >= 0; got {std!r}")
        self.means, self.std, self.k = q, float(std), q.size

    def __repr__(self) -> str:
        return f"Bandit(k={self.k}, std={self.std})"

    def _theta(self, theta: Any) -> np.ndarray:
        th = np.asarray(theta, dtype=float)
        if th.shape[-1:] != (self.k,):
            raise ValueError(f"theta must have last axis {self.k}; got shape {th.shape}")
        return th

    def expected_return(self, theta: Any) -> Any:
        r""":math:`J(\theta) = \sum_a \pi_a q_a` (float, or array over leading axes)."""
        J = softmax(self._theta(theta)) @ self.means
        return float(J) if np.ndim(J) == 0 else J

    def grad(self, theta: Any) -> np.ndarray:
        r"""Exact :math:`\nabla J = \pi \odot (q - J)`."""
        p = softmax(self._theta(theta))
        return p * (self.means - (p @ self.means)[..., None])

    def fisher(self, theta: Any) -> np.ndarray:
        r""":math:`F = \mathrm{diag}(\pi) - \pi\pi^\top`."""
        return softmax_fisher(self._theta(theta))

    def optimal_baseline(self, theta: Any) -> Any:
        r"""Constant baseline of least total variance, :math:`b^* = \mathbb{E}[\lVert\psi\rVert^2 r]/\mathbb{E}[\lVert\psi\rVert^2]`.

        :math:`\psi_a = e_a - \pi`, :math:`\lVert\psi_a\rVert^2 = 1 - 2\pi_a + \lVert\pi\rVert^2`.
        """
        p = softmax(self._theta(theta))
        n2 = 1.0 - 2.0 * p + (p ** 2).sum(-1, keepdims=True)
        b = (p * n2 * self.means).sum(-1) / (p * n2).sum(-1)
        return float(b) if np.ndim(b) == 0 else b

    def estimator_variance(self, theta: Any, baseline: Any = 0.0) -> Any:
        r"""Exact total variance :math:`\mathbb{E}\lVert\hat g - \nabla J\rVert^2` of the one-pull estimate :math:`\hat g = (r - b)\psi_a`.

        :math:`\sum_a \pi_a \lVert\psi_a\rVert^2 \big((q_a - b)^2 + \sigma^2\big) - \lVert\nabla J\rVert^2`,
        a parabola in :math:`b` with its minimum at :meth:`optimal_baseline`.
        """
        p = softmax(self._theta(theta))
        n2 = 1.0 - 2.0 * p + (p ** 2).sum(-1, keepdims=True)
        b = np.asarray(baseline, dtype=float)
        b = b[..., None] if b.ndim else b
        v = (p * n2 * ((self.means - b) ** 2 + self.std ** 2)).sum(-1) - (self.grad(theta) ** 2).sum(-1)
        return float(v) if np.ndim(v) == 0 else v

    def pull(self, actions: Any, rng: np.random.Generator) -> np.ndarray:
        """Rewards of the arms in ``actions`` (any shape), noise from ``rng``."""
        a = np.asarray(actions)
        if a.dtype.kind not in "iu" or (a.size and (a.min() < 0 or a.max() >= self.k)):
            raise ValueError(f"actions must be integers in [0, {self.k - 1}]")
        return self.means[a] + self.std * rng.standard_normal(a.shape)

    def reinforce_samples(self, theta: Any, n: int, rng: np.random.Generator, baseline: Any = 0.0) -> np.ndarray:
        r"""``n`` one-pull REINFORCE estimates :math:`(r - b)(e_a - \pi)` per run: shape ``(..., n, k)``.

        ``theta`` is ``(k,)`` or ``(R, k)``; ``baseline`` a scalar or one per run.
        Arms are drawn by inverting the CDF with ``rng.random``.
        """
        th = self._theta(theta)
        p = softmax(th)[..., None, :]
        u = rng.random(th.shape[:-1] + (n,))
        a = np.minimum((np.cumsum(p, -1) < u[..., None]).sum(-1), self.k - 1)
        r = self.pull(a, rng)
        b = np.asarray(baseline, dtype=float)
        b = b[..., None] if b.ndim else b
        return (r - b)[..., None] * (np.eye(self.k)[a] - p)


def train_bandit(bandit: Bandit, theta0: Any, *, lr: Any, iterations: int, pulls: int = 16, seeds: int = 8,
                 method: str = "reinforce", baseline: bool = True, eps: float = 0.2, epochs: int = 4,
                 damping: float = 1e-3, seed: int = 0) -> np.ndarray:
    r"""Policy-gradient ascent on a bandit, ``seeds`` runs at once; returns the exact :math:`J(\theta_t)`, ``(seeds, T+1)``.

    Each iteration draws ``pulls`` arms per run from :math:`\pi_{\theta_t}` and steps with SGD
    (``lr`` a float or one per run, shape ``(seeds, 1)``):

    - ``"reinforce"``: :math:`\theta \leftarrow \theta + \eta \frac1n\sum_i (r_i - b)(e_{a_i} - \pi)`,
      :math:`b` the batch's mean reward when ``baseline`` else 0;
    - ``"natural"``: the same estimate preconditioned by :math:`(F(\theta) + \delta I)^{-1}` (exact Fisher);
    - ``"ppo"``: ``epochs`` SGD steps on the clipped surrogate with advantages :math:`r_i - b`
      (not standardized), :func:`descent.rl.ppo_update`.

    One generator ``default_rng(seed)`` draws for all runs, so equal arguments give equal results.

    Examples
    --------
    >>> J = train_bandit(Bandit([0.0, 1.0]), [0.0, 0.0], lr=1.0, iterations=50, seeds=4)
    >>> J.shape, bool(J[:, -1].mean() > J[:, 0].mean())
    ((4, 51), True)
    """
    from .._validation import check_int
    from ..optim import SGD
    from .policies import TabularSoftmax, natural_gradient
    from .training import ppo_update

    if method not in ("reinforce", "natural", "ppo"):
        raise ValueError(f"method must be 'reinforce', 'natural' or 'ppo'; got {method!r}")
    iterations = check_int("iterations", iterations, 1)
    n = check_int("pulls", pulls, 2 if baseline else 1)
    S = check_int("seeds", seeds, 1)
    rng = np.random.default_rng(seed)
    pol = TabularSoftmax(1, bandit.k)
    th = np.broadcast_to(np.asarray(theta0, dtype=float), (S, bandit.k)).copy()
    opt = SGD(lr=lr, maximize=True)
    state = opt.init(th)
    obs = np.zeros((S, n), int)
    out = np.empty((S, iterations + 1))
    out[:, 0] = bandit.expected_return(th)
    for t in range(iterations):
        a = pol.sample(th, obs, rng)
        r = bandit.pull(a, rng)
        adv = r - r.mean(-1, keepdims=True) if baseline else r
        if method == "ppo":
            th, state, _ = ppo_update(pol, th, opt, state, obs, a, adv, np.ones((S, n), bool), eps=eps,
                                      epochs=epochs, normalize=False)
        else:
            g = pol.score(th, obs, a, adv / n)
            if method == "natural":
                g = natural_gradient(g, bandit.fisher(th), damping)
            th, state = opt.update(th, g, state)
        out[:, t + 1] = bandit.expected_return(th)
    return out


class TinyMDP:
    r"""A small episodic MDP with exact return and gradient, also usable as a Gymnasium environment.

    ``P[s, a, s']`` is the probability of moving to :math:`s'`; the missing mass
    :math:`1 - \sum_{s'} P[s, a, s']` ends the episode. ``R[s, a]`` is the
    (deterministic) reward, ``mu`` the start distribution. For a tabular policy
    :math:`\pi`, with :math:`P_\pi` and :math:`r_\pi` averaged over actions,

    .. math::

        V = (I - \gamma P_\pi)^{-1} r_\pi, \quad J = \mu^\top V, \quad
        \frac{\partial J}{\partial \theta_{s,a}} = d(s)\,\pi(a|s)\,(Q(s,a) - V(s)),

    with :math:`Q = R + \gamma P V` and the discounted visitation
    :math:`d = (I - \gamma P_\pi)^{-\top}\mu` (the policy-gradient theorem).

    Examples
    --------
    >>> m = TinyMDP.default()
    >>> round(m.expected_return(np.zeros((3, 2)), 1.0), 6)
    0.334
    """

    def __init__(self, P: Any, R: Any, mu: Any) -> None:
        P, R, mu = (np.asarray(x, dtype=float) for x in (P, R, mu))
        if P.ndim != 3 or P.shape[0] != P.shape[2] or R.shape != P.shape[:2] or mu.shape != P.shape[:1]:
            raise ValueError(f"need P (S, A, S), R (S, A), mu (S,); got {P.shape}, {R.shape}, {mu.shape}")
        if np.any(P < 0) or np.any(P.sum(-1) > 1 + 1e-12) or np.any(mu < 0) or abs(mu.sum() - 1) > 1e-12:
            raise ValueError("P rows must be sub-stochastic and mu a probability vector")
        self.P, self.R, self.mu = P, R, mu
        self.n_states, self.n_actions = R.shape
        self._gym = None

    @classmethod
    def default(cls) -> "TinyMDP":
        r"""Three states on a line; action 0 cashes in (0.2, 0.5, 1.0) and ends, action 1 walks on.

        Walking on moves right with probability 0.9 (else the episode ends) and is
        free, except in the last state, where it costs 0.1 and stays with probability 0.5.
        """
        P = np.zeros((3, 2, 3))
        P[0, 1, 1] = P[1, 1, 2] = 0.9
        P[2, 1, 2] = 0.5
        R = np.array([[0.2, 0.0], [0.5, 0.0], [1.0, -0.1]])
        return cls(P, R, [1.0, 0.0, 0.0])

    def _solve(self, theta: Any, gamma: float):
        from ._core import _check_unit

        gamma = _check_unit("gamma", gamma)
        th = np.asarray(theta, dtype=float)
        if th.shape != (self.n_states, self.n_actions):
            raise ValueError(f"theta must have shape {(self.n_states, self.n_actions)}; got {th.shape}")
        pi = softmax(th)
        A = np.eye(self.n_states) - gamma * np.einsum("sa,sat->st", pi, self.P)
        V = np.linalg.solve(A, (pi * self.R).sum(-1))
        return pi, A, V, gamma

    def expected_return(self, theta: Any, gamma: float = 1.0) -> float:
        r"""Exact :math:`J(\theta) = \mu^\top (I - \gamma P_\pi)^{-1} r_\pi`."""
        _, _, V, _ = self._solve(theta, gamma)
        return float(self.mu @ V)

    def grad(self, theta: Any, gamma: float = 1.0) -> np.ndarray:
        r"""Exact :math:`\nabla J` by the policy-gradient theorem, shape ``(S, A)``."""
        pi, A, V, gamma = self._solve(theta, gamma)
        Q = self.R + gamma * self.P @ V
        d = np.linalg.solve(A.T, self.mu)
        return d[:, None] * pi * (Q - V[:, None])

    def visitation(self, theta: Any, gamma: float = 1.0) -> np.ndarray:
        r"""Discounted state visitation :math:`d = (I - \gamma P_\pi)^{-\top}\mu` (expected visits when :math:`\gamma = 1`)."""
        _, A, _, _ = self._solve(theta, gamma)
        return np.linalg.solve(A.T, self.mu)

    def make_env(self) -> Any:
        """A fresh Gymnasium environment for this MDP (``Discrete`` states and actions)."""
        return _TinyMDPEnv(self)


def _env_class():
    import gymnasium as gym

    class _Env(gym.Env):
        metadata: dict = {"render_modes": []}

        def __init__(self, mdp: TinyMDP) -> None:
            self.mdp = mdp
            self.observation_space = gym.spaces.Discrete(mdp.n_states)
            self.action_space = gym.spaces.Discrete(mdp.n_actions)
            self.state = 0

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            self.state = int(self.np_random.choice(self.mdp.n_states, p=self.mdp.mu))
            return self.state, {}

        def step(self, action: Any):
            s, a = self.state, int(action)
            p = self.mdp.P[s, a]
            u = self.np_random.random()
            c = np.cumsum(p)
            nxt = int(np.searchsorted(c, u, side="right"))
            terminated = nxt >= self.mdp.n_states
            self.state = 0 if terminated else nxt
            return self.state, float(self.mdp.R[s, a]), bool(terminated), False, {}

    return _Env


def _TinyMDPEnv(mdp: TinyMDP) -> Any:
    global _ENV
    if _ENV is None:
        _ENV = _env_class()
    return _ENV(mdp)


_ENV: Any = None

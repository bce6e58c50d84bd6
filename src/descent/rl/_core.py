r"""Returns, advantages, the softmax score and PPO's clipped surrogate (one episode, one-dimensional).

Notation: :math:`\gamma` discount, :math:`\lambda` the GAE parameter (not a
Hessian eigenvalue here), :math:`\rho_t` the probability ratio of PPO.
The padded, batched versions used by the runner live beside them
(:func:`returns_to_go`, :func:`gae_padded`) and are tested against these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["discounted_returns", "gae", "softmax_logprob_grad", "ppo_clip_objective", "check_discrete_space",
           "returns_to_go", "gae_padded"]


def _check_unit(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def _check_1d(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def discounted_returns(rewards: Any, gamma: float) -> np.ndarray:
    r"""Reward-to-go :math:`G_t = \sum_{k \ge t} \gamma^{k-t} r_k` of one episode.

    Computed backwards, :math:`G_t = r_t + \gamma G_{t+1}`, :math:`G_T = 0`.

    Examples
    --------
    >>> discounted_returns([1.0, 1.0, 1.0], 0.5)
    array([1.75, 1.5 , 1.  ])
    """
    gamma = _check_unit("gamma", gamma)
    r = _check_1d("rewards", rewards)
    out = np.empty_like(r)
    acc = 0.0
    for t in range(r.size - 1, -1, -1):
        acc = r[t] + gamma * acc
        out[t] = acc
    return out


def gae(rewards: Any, values: Any, gamma: float, lam: float, last_value: float = 0.0) -> np.ndarray:
    r"""Generalized advantage estimates of one episode segment.

    :math:`\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)` and
    :math:`\hat A_t = \sum_{k \ge t} (\gamma\lambda)^{k-t} \delta_k`, with
    :math:`V(s_T)` = ``last_value`` (0 for a terminated episode).

    Examples
    --------
    >>> gae([1.0, 1.0], [0.0, 0.0], 1.0, 1.0)
    array([2., 1.])
    """
    gamma = _check_unit("gamma", gamma)
    lam = _check_unit("lam", lam)
    r = _check_1d("rewards", rewards)
    v = _check_1d("values", values)
    if v.shape != r.shape:
        raise ValueError(f"values must have the shape of rewards {r.shape}, got {v.shape}")
    v_next = np.append(v[1:], float(last_value))
    delta = r + gamma * v_next - v
    out = np.empty_like(r)
    acc = 0.0
    for t in range(r.size - 1, -1, -1):
        acc = delta[t] + gamma * lam * acc
        out[t] = acc
    return out


def softmax_logprob_grad(logits: Any, action: int) -> tuple[float, np.ndarray]:
    r"""Log-probability of ``action`` under :math:`\pi = \mathrm{softmax}(\theta)` and its score.

    :math:`\nabla_\theta \log \pi(a) = e_a - \pi` (tabular softmax, one state).

    Examples
    --------
    >>> lp, g = softmax_logprob_grad([0.0, 0.0], 1)
    >>> round(lp, 4), g.tolist()
    (-0.6931, [-0.5, 0.5])
    """
    z = _check_1d("logits", logits)
    if isinstance(action, bool) or not isinstance(action, (int, np.integer)) or not 0 <= action < z.size:
        raise ValueError(f"action must be an integer in [0, {z.size - 1}], got {action!r}")
    z = z - z.max()
    logp = z - np.log(np.exp(z).sum())
    g = -np.exp(logp)
    g[action] += 1.0
    return float(logp[action]), g


def ppo_clip_objective(ratio: Any, advantages: Any, eps: float) -> tuple[float, np.ndarray]:
    r"""PPO's clipped surrogate and its gradient with respect to the ratios.

    :math:`L = \frac1N\sum_t \min(\rho_t \hat A_t, \mathrm{clip}(\rho_t, 1-\epsilon, 1+\epsilon) \hat A_t)`;
    :math:`\partial L/\partial\rho_t = \hat A_t/N` where the unclipped term is the minimum, else 0.

    Examples
    --------
    >>> L, g = ppo_clip_objective([1.5, 0.5], [1.0, 1.0], 0.2)
    >>> round(L, 6), g.tolist()
    (0.85, [0.0, 0.5])
    """
    rho = _check_1d("ratio", ratio)
    adv = _check_1d("advantages", advantages)
    if rho.shape != adv.shape:
        raise ValueError(f"advantages must have the shape of ratio {rho.shape}, got {adv.shape}")
    if not 0.0 < float(eps) < 1.0:
        raise ValueError(f"eps must lie in (0, 1), got {eps}")
    unclipped = rho * adv
    clipped = np.clip(rho, 1.0 - eps, 1.0 + eps) * adv
    n = rho.size
    grad = np.where(unclipped <= clipped, adv, 0.0) / n
    return float(np.minimum(unclipped, clipped).mean()), grad


def check_discrete_space(space: Any) -> int:
    """Number of actions of a Gymnasium ``Discrete`` action space; anything else is rejected.

    Examples
    --------
    >>> import gymnasium as gym
    >>> check_discrete_space(gym.spaces.Discrete(2))
    2
    """
    import gymnasium as gym

    if not isinstance(space, gym.spaces.Discrete):
        raise TypeError(
            f"a discrete softmax policy needs a gymnasium.spaces.Discrete action space; got {space!r}"
        )
    return int(space.n)


def _check_padded(rewards: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rewards, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if r.ndim < 1 or r.shape != m.shape:
        raise ValueError(f"rewards and mask must have one shape (..., T); got {r.shape} and {m.shape}")
    if not np.all(np.isfinite(r[m])):
        raise ValueError("rewards must be finite where mask is True")
    return np.where(m, r, 0.0), m


def returns_to_go(rewards: Any, mask: Any, gamma: float) -> np.ndarray:
    r"""Reward-to-go of padded episodes: :math:`G_t = \sum_{k \ge t} \gamma^{k-t} r_k m_k`.

    Parameters
    ----------
    rewards : array (..., T)
        Rewards; the last axis is time, leading axes index episodes.
    mask : bool array (..., T)
        True on the steps an episode actually took (a prefix of each row).
    gamma : float in [0, 1]

    Returns
    -------
    array (..., T), zero where ``mask`` is False; each row equals
    :func:`discounted_returns` of its unpadded rewards.

    Examples
    --------
    >>> returns_to_go([[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]], [[1, 1, 1], [1, 0, 0]], 0.5)
    array([[1.75, 1.5 , 1.  ],
           [2.  , 0.  , 0.  ]])
    """
    gamma = _check_unit("gamma", gamma)
    r, m = _check_padded(rewards, mask)
    out = np.zeros_like(r)
    acc = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        acc = r[..., t] + gamma * acc
        out[..., t] = acc
    return np.where(m, out, 0.0)


def gae_padded(rewards: Any, values: Any, mask: Any, gamma: float, lam: float, last_values: Any = 0.0) -> np.ndarray:
    r"""GAE(:math:`\lambda`) of padded episodes; each row equals :func:`gae` of its unpadded part.

    :math:`\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)`, with :math:`V(s_{t+1})` replaced
    by ``last_values`` (one per row: 0 for a terminated episode, the value of the
    final observation for a truncated one) after an episode's last step.

    Examples
    --------
    >>> gae_padded([[1.0, 1.0, 0.0]], [[0.0, 0.0, 0.0]], [[1, 1, 0]], 1.0, 1.0)
    array([[2., 1., 0.]])
    """
    gamma = _check_unit("gamma", gamma)
    lam = _check_unit("lam", lam)
    r, m = _check_padded(rewards, mask)
    v = np.asarray(values, dtype=float)
    if v.shape != r.shape:
        raise ValueError(f"values must have the shape of rewards {r.shape}, got {v.shape}")
    v = np.where(m, v, 0.0)
    last = np.broadcast_to(np.asarray(last_values, dtype=float), r.shape[:-1])
    out = np.zeros_like(r)
    acc = np.zeros(r.shape[:-1])
    T = r.shape[-1]
    for t in range(T - 1, -1, -1):
        cont = m[..., t + 1] if t + 1 < T else np.zeros(r.shape[:-1], bool)
        v_next = np.where(cont, v[..., t + 1] if t + 1 < T else 0.0, last)
        delta = r[..., t] + gamma * v_next - v[..., t]
        acc = delta + gamma * lam * np.where(cont, acc, 0.0)
        out[..., t] = np.where(m[..., t], acc, 0.0)
    return out

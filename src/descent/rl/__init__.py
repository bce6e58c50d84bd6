r"""Policy gradients: softmax policies, REINFORCE, GAE, PPO, the natural gradient and a Gymnasium runner.

Modules
-------
:mod:`._core`
    one-episode returns and GAE, their padded batch versions, the softmax score,
    PPO's clipped surrogate, the discrete-space check.
:mod:`.policies`
    :class:`TabularSoftmax`, :class:`LinearSoftmax`, :class:`MLPSoftmax`; the softmax
    Fisher matrix and the damped natural gradient :math:`(F + \delta I)^{-1} g`.
:mod:`.problems`
    a k-armed :class:`Bandit` and a :class:`TinyMDP` with exact :math:`J` and :math:`\nabla J`.
:mod:`.explorer`
    :func:`explore_bandit`, REINFORCE and PPO on a bandit under sliders.
:mod:`.training`
    REINFORCE with baselines, a fitted value baseline, PPO's update, seeded
    vectorized training on any Gymnasium environment with a discrete action space.

Notation: :math:`\gamma` discount, :math:`\lambda` the GAE parameter, :math:`\rho` PPO's
probability ratio, :math:`\epsilon` its clip range, :math:`F` the Fisher matrix.
Parameters are updated by :mod:`descent.optim` optimizers built with ``maximize=True``
(the return is maximized).
"""

from ._core import (check_discrete_space, discounted_returns, gae, gae_padded, ppo_clip_objective, returns_to_go,
                    softmax_logprob_grad)
from .policies import LinearSoftmax, MLPSoftmax, TabularSoftmax, natural_gradient, softmax, softmax_fisher
from .problems import Bandit, TinyMDP, train_bandit
from .training import (Batch, TrainHistory, ValueBaseline, collect, make_envs, ppo_gradient, ppo_update,
                       reinforce_gradient, train)

__all__ = [
    "discounted_returns", "gae", "returns_to_go", "gae_padded", "softmax_logprob_grad", "ppo_clip_objective",
    "check_discrete_space", "LinearSoftmax", "TabularSoftmax", "MLPSoftmax", "softmax", "softmax_fisher",
    "natural_gradient", "Bandit", "TinyMDP", "Batch", "TrainHistory", "ValueBaseline", "collect", "make_envs",
    "ppo_gradient", "ppo_update", "reinforce_gradient", "train", "train_bandit", "explore_bandit",
]


def __getattr__(name: str):  # the explorer pulls in ipywidgets; import it on first use
    if name == "explore_bandit":
        from .explorer import explore_bandit

        return explore_bandit
    raise AttributeError(f"module 'descent.rl' has no attribute {name!r}")

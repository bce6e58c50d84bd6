import numpy as np
import pytest

from descent.rl import check_discrete_space, discounted_returns, gae, ppo_clip_objective, softmax_logprob_grad


def test_returns_hand_case():
    np.testing.assert_allclose(discounted_returns([1.0, 2.0, 3.0], 0.9), [1 + 0.9 * 2 + 0.81 * 3, 2 + 0.9 * 3, 3.0])


def test_gae_lambda_one_is_return_minus_value():
    r, v = np.array([1.0, 0.0, 2.0]), np.array([0.5, 1.0, -1.0])
    np.testing.assert_allclose(gae(r, v, 0.9, 1.0), discounted_returns(r, 0.9) - v)


def test_gae_lambda_zero_is_td_error():
    r, v = np.array([1.0, 0.0, 2.0]), np.array([0.5, 1.0, -1.0])
    np.testing.assert_allclose(gae(r, v, 0.9, 0.0, last_value=3.0), [1 + 0.9 - 0.5, 0 - 0.9 - 1.0, 2 + 2.7 + 1.0])


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_rejects_gamma_lambda_out_of_range(bad):
    with pytest.raises(ValueError, match="gamma"):
        discounted_returns([1.0], bad)
    with pytest.raises(ValueError, match="lam"):
        gae([1.0], [0.0], 0.9, bad)


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        gae([1.0, 2.0], [0.0], 0.9, 0.9)


def test_score_function_matches_exact_bandit_gradient():
    theta, q = np.array([0.3, -0.2, 0.5]), np.array([1.0, 2.0, -1.0])
    J = lambda th: float(np.exp(th - th.max()) @ q / np.exp(th - th.max()).sum())
    pi = np.exp(theta) / np.exp(theta).sum()
    score = sum(pi[a] * q[a] * softmax_logprob_grad(theta, a)[1] for a in range(3))
    h = 1e-6
    fd = np.array([(J(theta + h * e) - J(theta - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(score, fd, atol=1e-8)


def test_ppo_clip_gradient_matches_finite_differences():
    rho = np.array([0.5, 0.9, 1.1, 1.3, 0.7, 1.25])
    adv = np.array([1.0, -2.0, 0.5, -1.0, -0.5, 2.0])
    L, g = ppo_clip_objective(rho, adv, 0.2)
    np.testing.assert_allclose(L, np.mean(np.minimum(rho * adv, np.clip(rho, 0.8, 1.2) * adv)))
    h = 1e-7
    fd = np.array([(ppo_clip_objective(rho + h * e, adv, 0.2)[0] - ppo_clip_objective(rho - h * e, adv, 0.2)[0]) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(g, fd, atol=1e-6)


def test_continuous_action_space_rejected():
    import gymnasium as gym
    assert check_discrete_space(gym.make("CartPole-v1").action_space) == 2
    with pytest.raises(TypeError, match="Discrete"):
        check_discrete_space(gym.make("Pendulum-v1").action_space)

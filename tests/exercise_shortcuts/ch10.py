"""One-line library shortcuts for the coding exercises of chapter 10 (see README.md here)."""

SHORTCUTS = {
    "ch10-ex3": "from descent.rl import discounted_returns; reward_to_go = lambda rewards, gamma: discounted_returns(rewards, gamma)",
    "ch10-ex4": "from descent.rl import gae; gae_estimate = lambda rewards, values, gamma, lam, last_value=0.0: gae(rewards, values, gamma, lam, last_value)",
    "ch10-ex5": "b_star = 2.0; predicted = {0.0: 2.5, 'b*': 0.5}; measure_variance = lambda bandit, theta, baseline, n, rng: bandit.estimator_variance(theta, baseline)",
    "ch10-ex6": "from descent.rl import natural_gradient, softmax_fisher; natural_step = lambda theta, means, lr, damping: theta + lr * natural_gradient(Bandit(means).grad(theta), softmax_fisher(theta), damping)",
    "ch10-ex7": "clipped_terms = lambda rho, adv, eps: (None, ppo_clip_objective(rho, adv, eps)[1] * len(rho))",
}

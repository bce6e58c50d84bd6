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


# ---------------------------------------------------------------- the full package (issue 14)
import gymnasium as gym

from descent.optim import SGD, Adam
from descent.rl import (Bandit, LinearSoftmax, MLPSoftmax, TabularSoftmax, TinyMDP, ValueBaseline, collect, gae_padded,
                        make_envs, natural_gradient, ppo_gradient, ppo_update, reinforce_gradient, returns_to_go,
                        softmax, softmax_fisher, train)


def _fd(f, x, h=1e-6):
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def test_padded_returns_and_gae_match_one_episode_versions():
    rng = np.random.default_rng(0)
    r, v = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 3, 6))
    lengths = np.array([[6, 3, 1], [2, 5, 4]])
    mask = np.arange(6) < lengths[..., None]
    last = rng.standard_normal((2, 3))
    G = returns_to_go(r, mask, 0.9)
    A = gae_padded(r, v, mask, 0.9, 0.7, last)
    for i, j in np.ndindex(2, 3):
        L = lengths[i, j]
        np.testing.assert_allclose(G[i, j, :L], discounted_returns(r[i, j, :L], 0.9), rtol=1e-12)
        np.testing.assert_allclose(A[i, j, :L], gae(r[i, j, :L], v[i, j, :L], 0.9, 0.7, last[i, j]), rtol=1e-12)
        assert np.all(G[i, j, L:] == 0) and np.all(A[i, j, L:] == 0)


def test_gae_hand_case_with_bootstrap():
    # delta = [1 + .5*2 - 1, 0 + .5*4 - 2] = [1, 0]; A = [1 + .5*.5*0, 0] = [1, 0]
    np.testing.assert_allclose(gae([1.0, 0.0], [1.0, 2.0], 0.5, 0.5, last_value=4.0), [1.0, 0.0])


@pytest.mark.parametrize("bad", [-0.01, 1.01])
def test_padded_versions_reject_gamma_lambda(bad):
    with pytest.raises(ValueError, match="gamma"):
        returns_to_go([[1.0]], [[True]], bad)
    with pytest.raises(ValueError, match="lam"):
        gae_padded([[1.0]], [[0.0]], [[True]], 0.9, bad)
    with pytest.raises(ValueError, match="gamma"):
        train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.1, maximize=True), iterations=1, gamma=bad)
    with pytest.raises(ValueError, match="lam"):
        train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.1, maximize=True), iterations=1, lam=bad)


def test_policy_scores_match_finite_differences():
    rng = np.random.default_rng(1)
    lin = LinearSoftmax(3, 4)
    th = lin.init(2, scale=0.5, rng=rng)
    obs = rng.standard_normal((2, 5, 3))
    acts = rng.integers(0, 4, (2, 5))
    w = rng.standard_normal((2, 5))
    g = lin.score(th, obs, acts, w)
    f = lambda t: float((lin.log_prob(t.reshape(2, -1), obs, acts) * w).sum())
    np.testing.assert_allclose(g, _fd(f, th), atol=1e-7)
    # per-sample score norms
    n2 = lin.score_norm2(th, obs, acts)
    one = np.zeros((2, 5)); one[:, 2] = 1.0
    np.testing.assert_allclose(n2[:, 2], (lin.score(th, obs, acts, one) ** 2).sum(-1))
    tab = TabularSoftmax(3, 2)
    th = tab.init(1, scale=1.0, rng=rng)
    s = np.array([[0, 2, 2, 1]])
    a = np.array([[1, 0, 1, 1]])
    f = lambda t: float(tab.log_prob(t.reshape(1, -1), s, a).sum())
    np.testing.assert_allclose(tab.score(th, s, a, np.ones((1, 4))), _fd(f, th), atol=1e-7)


def test_mlp_policy_score_matches_finite_differences():
    rng = np.random.default_rng(2)
    pol = MLPSoftmax([3, 5, 2], rng=rng)
    p = pol.init()
    obs = rng.standard_normal((1, 6, 3))
    acts = rng.integers(0, 2, (1, 6))
    w = rng.standard_normal((1, 6))
    g = pol.score(p, obs, acts, w)
    for k in p:
        def f(x, k=k):
            q = dict(p); q[k] = x
            return float((pol.log_prob(q, obs, acts) * w).sum())
        np.testing.assert_allclose(g[k], _fd(f, p[k]), atol=1e-7)


def test_fisher_is_expected_outer_product_of_scores():
    rng = np.random.default_rng(3)
    lin = LinearSoftmax(2, 3)
    th = lin.init(1, scale=1.0, rng=rng)
    obs = rng.standard_normal((1, 4, 2))
    F = lin.fisher(th, obs)
    p = lin.probs(th, obs)
    ref = np.zeros((lin.n_params, lin.n_params))
    for n in range(4):
        for a in range(3):
            w = np.zeros((1, 4)); w[0, n] = 1.0
            s = lin.score(th, obs, np.full((1, 4), a), w)[0]
            ref += p[0, n, a] * np.outer(s, s) / 4
    np.testing.assert_allclose(F[0], ref, atol=1e-12)
    np.testing.assert_allclose(softmax_fisher([0.0, np.log(3.0)]), [[0.1875, -0.1875], [-0.1875, 0.1875]])


def test_natural_gradient_solves_damped_system_and_rejects_bad_input():
    F = np.array([[2.0, 1.0], [1.0, 3.0]])
    g = np.array([1.0, -1.0])
    x = natural_gradient(g, F, damping=0.5)
    np.testing.assert_allclose((F + 0.5 * np.eye(2)) @ x, g)
    with pytest.raises(ValueError, match="damping"):
        natural_gradient(g, F, damping=-1.0)
    with pytest.raises(ValueError, match="singular"):
        natural_gradient(g, softmax_fisher([0.0, 0.0]), damping=0.0)
    with pytest.raises(ValueError, match="shape"):
        natural_gradient(g, np.eye(3))


def test_bandit_exact_gradient_and_unbiased_reinforce():
    b = Bandit([1.0, 0.0, -0.5, 2.0], std=1.0)
    th = np.array([0.2, -0.1, 0.4, 0.0])
    np.testing.assert_allclose(b.grad(th), _fd(b.expected_return, th), atol=1e-9)
    n = 200_000
    for base in (0.0, 5.0, b.optimal_baseline(th)):
        est = b.reinforce_samples(th, n, np.random.default_rng(4), baseline=base)
        se = est.std(0) / np.sqrt(n)
        assert np.all(np.abs(est.mean(0) - b.grad(th)) < 4.5 * se), base


def test_bandit_optimal_baseline_minimizes_total_variance():
    b = Bandit([1.0, 0.0, -0.5, 2.0], std=0.5)
    th = np.array([0.2, -0.1, 0.4, 0.0])
    p = softmax(th)
    def total_var(c):  # exact: E||psi||^2 E[(r-c)^2 | a] - ||grad||^2
        n2 = 1 - 2 * p + (p ** 2).sum()
        return float((p * n2 * ((b.means - c) ** 2 + b.std ** 2)).sum() - (b.grad(th) ** 2).sum())
    for c in (0.0, 1.3):
        assert np.isclose(b.estimator_variance(th, c), total_var(c), rtol=1e-12)
        est = b.reinforce_samples(th, 200_000, np.random.default_rng(9), baseline=c)
        sq = ((est - b.grad(th)) ** 2).sum(-1)
        assert abs(sq.mean() - total_var(c)) < 4.5 * sq.std() / np.sqrt(sq.size)
    bstar = b.optimal_baseline(th)
    assert abs(_fd(lambda c: total_var(float(c)), np.array(bstar))) < 1e-6
    assert total_var(bstar) < total_var(bstar + 0.1) and total_var(bstar) < total_var(bstar - 0.1)


def test_tiny_mdp_exact_gradient_matches_finite_differences():
    m = TinyMDP.default()
    th = np.array([[0.3, -0.2], [0.1, 0.5], [-0.4, 0.2]])
    for gamma in (1.0, 0.8):
        np.testing.assert_allclose(m.grad(th, gamma), _fd(lambda t: m.expected_return(t, gamma), th), atol=1e-8)


def test_reinforce_on_tiny_mdp_is_unbiased():
    m = TinyMDP.default()
    pol = TabularSoftmax(3, 2)
    th = np.array([[0.3, -0.2], [0.1, 0.5], [-0.4, 0.2]])
    envs = make_envs(m.make_env, 4000)
    batch = collect(envs, pol, th.reshape(1, -1), 1, np.random.default_rng(5), seed=11, max_steps=200)
    assert not batch.truncated.any()
    E = batch.mask.shape[1]
    # per-episode estimates, to get a standard error
    G = returns_to_go(batch.rewards, batch.mask, 1.0)[0]
    per = np.stack([pol.score(th.reshape(1, -1), batch.obs[0, e][None], batch.actions[0, e][None],
                              (G[e] * batch.mask[0, e])[None])[0] for e in range(E)])
    g = reinforce_gradient(pol, th.reshape(1, -1), batch, 1.0)[0]
    np.testing.assert_allclose(g, per.mean(0), rtol=1e-10, atol=1e-14)  # the batch estimate is the episode average
    se = per.std(0) / np.sqrt(E)
    assert np.all(np.abs(g - m.grad(th, 1.0).ravel()) < 4.5 * se + 1e-12)
    g_mean = reinforce_gradient(pol, th.reshape(1, -1), batch, 1.0, baseline=0.3)[0]
    assert np.all(np.abs(g_mean - m.grad(th, 1.0).ravel()) < 4.5 * se)


def test_reinforce_gradient_baselines_hand_case():
    # one run, one bandit-like episode of one step: grad = psi * (G - b)
    pol = TabularSoftmax(1, 2)
    th = np.zeros((1, 2))
    from descent.rl import Batch
    batch = Batch(np.zeros((1, 2, 1), int), np.array([[[1], [0]]]), np.array([[[3.0], [1.0]]]),
                  np.ones((1, 2, 1), bool), np.zeros((1, 2), int), np.zeros((1, 2), bool))
    psi = np.array([[-0.5, 0.5], [0.5, -0.5]])
    for base, b in (("none", 0.0), ("mean", 2.0), ("optimal", 2.0), (1.5, 1.5)):
        ref = (psi[0] * (3.0 - b) + psi[1] * (1.0 - b)) / 2
        np.testing.assert_allclose(reinforce_gradient(pol, th, batch, 1.0, base)[0], ref)
    with pytest.raises(ValueError, match="baseline"):
        reinforce_gradient(pol, th, batch, 1.0, "median")


def test_value_baseline_fits_per_state_means():
    vb = ValueBaseline(3, "onehot")
    obs = np.array([[0, 0, 1, 2, 2, 2]])
    G = np.array([[1.0, 3.0, 5.0, 0.0, 1.0, 2.0]])
    w = vb.fit(vb.init(1), obs, G)
    np.testing.assert_allclose(vb.predict(w, np.array([[0, 1, 2]])), [[2.0, 5.0, 1.0]], atol=1e-5)
    with pytest.raises(ValueError, match="features"):
        ValueBaseline(3, "cubic")


def test_ppo_gradient_matches_formula_and_finite_differences():
    rng = np.random.default_rng(6)
    lin = LinearSoftmax(2, 3)
    th_old = lin.init(1, scale=0.5, rng=rng)
    th = th_old + 0.4 * rng.standard_normal(th_old.shape)
    obs = rng.standard_normal((1, 8, 2))
    acts = rng.integers(0, 3, (1, 8))
    adv = rng.standard_normal((1, 8))
    mask = np.ones((1, 8), bool)
    lp_old = lin.log_prob(th_old, obs, acts)
    g, L, frac = ppo_gradient(lin, th, obs, acts, adv, lp_old, mask, 0.2)
    rho = np.exp(lin.log_prob(th, obs, acts) - lp_old)
    L_ref, _ = ppo_clip_objective(rho[0], adv[0], 0.2)
    np.testing.assert_allclose(L[0], L_ref)
    assert 0 < frac[0] < 1  # some ratios clipped, some not: both branches exercised
    f = lambda t: float(ppo_gradient(lin, t.reshape(1, -1), obs, acts, adv, lp_old, mask, 0.2)[1][0])
    np.testing.assert_allclose(g, _fd(f, th, h=1e-7), atol=1e-6)


def test_ppo_update_first_step_is_the_vanilla_policy_gradient():
    rng = np.random.default_rng(7)
    lin = LinearSoftmax(2, 2)
    th = lin.init(1, scale=0.3, rng=rng)
    obs, acts = rng.standard_normal((1, 6, 2)), rng.integers(0, 2, (1, 6))
    adv, mask = rng.standard_normal((1, 6)), np.ones((1, 6), bool)
    new, _, info = ppo_update(lin, th, SGD(lr=0.1, maximize=True), SGD(lr=0.1).init(th), obs, acts, adv, mask,
                              epochs=1, normalize=False)
    np.testing.assert_allclose(new, th + 0.1 * lin.score(th, obs, acts, adv / 6))
    assert info["kl"][0] > 0
    with pytest.raises(ValueError, match="maximize"):
        ppo_update(lin, th, SGD(lr=0.1), None, obs, acts, adv, mask)


def test_continuous_and_mismatched_spaces_rejected_by_runner():
    with pytest.raises(TypeError, match="Discrete"):
        train("Pendulum-v1", LinearSoftmax(3, 2), Adam(lr=0.1, maximize=True), iterations=1)
    with pytest.raises(TypeError, match="Box"):
        train(TinyMDP.default().make_env, LinearSoftmax(3, 2), Adam(lr=0.1, maximize=True), iterations=1)
    with pytest.raises(ValueError, match="maximize"):
        train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.1), iterations=1)
    with pytest.raises(ValueError, match="algo"):
        train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.1, maximize=True), iterations=1, algo="dqn")


@pytest.mark.parametrize("algo,baseline", [("reinforce", "none"), ("reinforce", "value"), ("ppo", "none")])
def test_seeded_runs_reproduce_bitwise(algo, baseline):
    kw = dict(iterations=3, episodes=4, n_runs=2, algo=algo, baseline=baseline, max_steps=60, seed=3)
    h1 = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.05, maximize=True), **kw)
    h2 = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.05, maximize=True), **kw)
    assert np.array_equal(h1.returns, h2.returns) and np.array_equal(h1.params, h2.params)
    assert np.array_equal(h1.kl, h2.kl)
    h3 = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.05, maximize=True), **{**kw, "seed": 4})
    assert not np.array_equal(h1.returns, h3.returns)


def test_runs_are_independent_of_their_neighbours():
    # run r of a vectorized training equals ... its own learning rate column drives it
    lr = np.array([[0.0], [0.05]])
    h = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=lr, maximize=True), iterations=3, episodes=4, n_runs=2,
              max_steps=50, seed=0)
    assert np.all(h.params[0] == 0) and np.any(h.params[1] != 0)


def test_reinforce_learns_tiny_mdp_and_cartpole():
    m = TinyMDP.default()
    h = train(m.make_env, TabularSoftmax(3, 2), Adam(lr=0.1, maximize=True), iterations=40, episodes=32, gamma=1.0,
              baseline="value", seed=0)
    th_star = np.array([[-5, 5], [-5, 5], [5, -5.0]])
    assert m.expected_return(h.params.reshape(3, 2)) > m.expected_return(np.zeros((3, 2))) + 0.1
    assert m.expected_return(th_star) > m.expected_return(h.params.reshape(3, 2)) - 0.15
    h = train("CartPole-v1", LinearSoftmax(4, 2), Adam(lr=0.05, maximize=True), iterations=30, episodes=8, seed=0,
              max_steps=200)
    assert h.returns[-5:].mean() > 2 * h.returns[:3].mean()


def test_mlp_policy_trains_with_the_runner():
    pol = MLPSoftmax([4, 8, 2], rng=np.random.default_rng(0))
    h = train("CartPole-v1", pol, Adam(lr=0.01, maximize=True), iterations=2, episodes=4, max_steps=40, seed=0)
    assert set(h.params) == set(pol.init()) and h.returns.shape == (2, 1)


def test_train_bandit_reproducible_and_natural_gradient_escapes_plateau():
    from descent.rl import train_bandit
    b = Bandit([0.0, 0.5, 1.0], std=0.1)
    th0 = np.array([4.0, 0.0, 0.0])  # nearly deterministic on the worst arm: vanilla gradient ~ pi is tiny
    J1 = train_bandit(b, th0, lr=0.5, iterations=40, seeds=4, method="reinforce", seed=1)
    J2 = train_bandit(b, th0, lr=0.5, iterations=40, seeds=4, method="reinforce", seed=1)
    assert np.array_equal(J1, J2)
    Jn = train_bandit(b, th0, lr=0.5, iterations=40, seeds=4, method="natural", seed=1)
    assert np.median(Jn[:, -1]) > np.median(J1[:, -1]) + 0.3
    with pytest.raises(ValueError, match="method"):
        train_bandit(b, th0, lr=0.5, iterations=2, method="trpo")


def test_bandit_explorer_static_grid_and_update():
    from descent.rl import explore_bandit
    ex = explore_bandit(Bandit([0.0, 1.0]), iterations=6, seeds=2, static_lr=(0.1, 1.0), static_eps=(0.1, 0.3))
    html = ex.static_html()
    assert "descent-explorer" in html and "PPO" in html
    before = ex.summary
    ex.update(lr=0.1, baseline=False)
    assert ex.summary != before
    with pytest.raises(TypeError, match="Bandit"):
        explore_bandit([0.0, 1.0])

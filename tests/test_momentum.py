import numpy as np
import pytest

from descent import momentum as mom
from descent.exercises import spy
from descent.landscapes import Quadratic
from descent.optim import SGD
from descent.run import minimize


def test_rate_is_spectral_radius_of_iteration_matrix():
    rng = np.random.default_rng(0)
    lr, beta, lam = rng.uniform(0, 1, 500), rng.uniform(0, 0.999, 500), rng.uniform(0, 5, 500)
    radius = np.abs(np.linalg.eigvals(mom.iteration_matrix(lr, beta, lam))).max(axis=-1)
    np.testing.assert_allclose(mom.heavy_ball_rate(lr, beta, lam), radius, rtol=1e-7, atol=1e-7)


def test_no_momentum_is_gradient_descent_factor():
    lr = np.linspace(0, 3, 31)
    np.testing.assert_allclose(mom.heavy_ball_rate(lr, 0.0, 1.0), np.abs(1 - lr), atol=1e-15)


def test_stability_edge_is_two_times_one_plus_beta():
    beta = np.array([0.0, 0.3, 0.9])[:, None]
    x = np.linspace(0.01, 6, 600)[None, :]
    rho = mom.heavy_ball_rate(x, beta, 1.0)
    stable = x < 2 * (1 + beta)
    assert np.all(rho[stable] < 1) and np.all(rho[~stable] >= 1 - 1e-12)


def test_optimal_parameters_give_sqrt_kappa_rate_and_beat_a_grid():
    for kappa in (4.0, 100.0, 1e4):
        p = mom.optimal_heavy_ball(L=1.0, mu=1.0 / kappa)
        s = np.sqrt(kappa)
        assert p.rate == pytest.approx((s - 1) / (s + 1), rel=1e-12)
        assert p.momentum == pytest.approx(p.rate ** 2, rel=1e-12)
        assert p.lr == pytest.approx(4 / (1 + 1 / s) ** 2, rel=1e-12)
        grid = mom.rate_map(np.linspace(0.01, 4.5, 300), np.linspace(0, 0.999, 300), [1 / kappa, 1.0])
        assert grid.min() >= p.rate - 1e-6          # nothing on the grid is better (the optimum is a sharp corner)
        assert mom.heavy_ball_rate_quadratic(p.lr, p.momentum, [1 / kappa, 0.3, 1.0]) == pytest.approx(p.rate, abs=1e-6)


def test_rate_predicts_library_runs():
    q = Quadratic(np.diag([0.01, 0.2, 1.0]))
    lrs = np.array([0.5, 1.0, 1.5, 2.5])
    betas = np.array([0.5, 0.8, 0.9, 0.6])
    run = minimize(q, np.ones((4, 3)), SGD(lr=lrs[:, None], momentum=betas[:, None]), steps=1500)
    err = np.linalg.norm(run.points, axis=-1)
    measured = (err[1500] / err[1000]) ** (1 / 500)
    predicted = mom.heavy_ball_rate_quadratic(lrs, betas, q.eigenvalues)
    np.testing.assert_allclose(measured, predicted, rtol=2e-3)


def test_critical_momentum_and_damping():
    lr, lam = 0.3, np.array([0.1, 1.0, 2.0])
    bc = mom.critical_momentum(lr, lam)
    np.testing.assert_allclose((1 + bc - lr * lam) ** 2 - 4 * bc, 0, atol=1e-14)
    assert list(mom.damping(lr, bc, lam, tol=1e-12)) == ["critical"] * 3
    assert list(mom.damping(lr, bc * 0.5, lam)) == ["over"] * 3
    assert list(mom.damping(lr, np.minimum(bc + 0.05, 0.99), lam)) == ["under"] * 3
    # at the critical momentum the rate is |1 - sqrt(lr lam)|, the best momentum can do for that component
    betas = np.linspace(0, 0.999, 2000)
    for l in lam:
        best = mom.heavy_ball_rate(lr, betas, l).min()
        assert mom.heavy_ball_rate(lr, mom.critical_momentum(lr, l), l) == pytest.approx(best, abs=1e-3)
        assert mom.heavy_ball_rate(lr, mom.critical_momentum(lr, l), l) == pytest.approx(abs(1 - np.sqrt(lr * l)), abs=1e-6)


def test_lessard_landscape_gradient_and_constants():
    f = mom.LessardCounterexample()
    x = np.linspace(-3.9, 3.9, 157)[:, None] + 1e-3      # avoid landing exactly on the kinks
    h = 1e-6
    fd = (f.value(x + h) - f.value(x - h)) / (2 * h)
    np.testing.assert_allclose(f.grad(x)[:, 0], fd, rtol=1e-6, atol=1e-6)
    g = f.grad(x)[:, 0]
    slopes = np.diff(g) / np.diff(x[:, 0])
    assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9   # mu = 1 strongly convex, L = 25 smooth
    np.testing.assert_allclose(f.hessian(np.array([[0.5], [1.5], [3.0]]))[:, 0, 0], [25, 1, 25])
    assert f.dim == 1 and f.min_value == 0.0 and f.L == 25 and f.mu == 1
    # continuity of value and gradient at the kinks
    for k in (1.0, 2.0):
        assert f.value(np.array([k - 1e-12])) == pytest.approx(f.value(np.array([k])), abs=1e-9)
        assert f.grad(np.array([k - 1e-12]))[0] == pytest.approx(f.grad(np.array([k]))[0], abs=1e-9)


def test_lessard_heavy_ball_cycles_but_quadratic_converges():
    f = mom.LessardCounterexample()
    p = mom.optimal_heavy_ball(f.L, f.mu)
    assert p.lr == pytest.approx(1 / 9) and p.momentum == pytest.approx(4 / 9)
    starts = np.array([[3.1], [3.3], [3.45], [0.5], [-1.0]])
    run = minimize(f, starts, SGD(lr=p.lr, momentum=p.momentum), steps=600)
    tail = run.points[-6:, :, 0]
    assert np.all(np.abs(tail[:, :3]) > 0.5)                           # the first three never settle
    np.testing.assert_allclose(tail[3:, :3], tail[:3, :3], atol=1e-9)  # period 3
    assert np.all(np.abs(tail[:, 3:]) < 1e-12)                          # the others converge
    # on a quadratic with curvature 1 or 25 the same parameters converge from the same start
    q = Quadratic(np.diag([1.0, 25.0]))
    runq = minimize(q, np.array([3.3, 3.3]), SGD(lr=p.lr, momentum=p.momentum), steps=600)
    assert np.linalg.norm(runq.points[-1]) < 1e-30


def test_nesterov_convex_bound_and_one_gradient_per_step():
    eig = 1.0 / np.arange(1, 201) ** 2
    q = Quadratic(np.diag(eig))
    x0 = np.ones(200)
    with spy(q, "grad") as g:
        tr = mom.nesterov_convex(q, x0, 1.0, 300)
    assert g.count == 300
    t = np.arange(301)
    bound = 2 * np.sum(x0 ** 2) / (t + 1) ** 2
    assert np.all(tr.losses - q.min_value <= bound + 1e-15)

    # from scratch
    x_prev = x = y = x0.copy()
    for k in range(1, 301):
        x_prev, x = x, y - q.grad(y)
        y = x + (k - 1) / (k + 2) * (x - x_prev)
    np.testing.assert_allclose(tr.points[-1], x, rtol=1e-12)
    # vectorized over learning rates
    trs = mom.nesterov_convex(q, np.ones((2, 200)), np.array([[1.0], [0.5]]), 50)
    np.testing.assert_allclose(trs.points[:, 0], tr.points[:51], rtol=1e-12)


@pytest.mark.parametrize("call, msg", [
    (lambda: mom.heavy_ball_rate(-0.1, 0.5, 1.0), "lr must be in"),
    (lambda: mom.heavy_ball_rate(0.1, 1.0, 1.0), "momentum must be in"),
    (lambda: mom.heavy_ball_rate(0.1, 0.5, -1.0), "lam must be in"),
    (lambda: mom.optimal_heavy_ball(1.0, 2.0), "mu must be in"),
    (lambda: mom.optimal_heavy_ball(0.0, 0.0), "L must be in"),
    (lambda: mom.critical_momentum(5.0, 1.0), "lr \\* lam must be in"),
    (lambda: mom.rate_map(np.ones((2, 2)), [0.1], [1.0]), "1-D"),
    (lambda: mom.heavy_ball_rate_quadratic(0.1, 0.5, []), "non-empty"),
    (lambda: mom.nesterov_convex(Quadratic(np.eye(2)), np.ones(2), 0.0, 5), "lr must be in"),
    (lambda: mom.nesterov_convex(Quadratic(np.eye(2)), np.ones(2), 0.1, -1), "steps"),
])
def test_bad_arguments(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_type_errors():
    with pytest.raises(TypeError):
        mom.heavy_ball_rate("a", 0.5, 1.0)
    with pytest.raises(TypeError):
        mom.nesterov_convex(Quadratic(np.eye(2)), np.ones(2, dtype=int), 0.1, 3)


def test_worst_case_chain_matches_dense_quadratic():
    d = 7
    f = mom.WorstCaseChain(d, L=2.0)
    A = 2 * np.eye(d) - np.eye(d, k=1) - np.eye(d, k=-1)
    b = np.zeros(d)
    b[0] = 1.0
    q = Quadratic(2.0 / 4 * A, 2.0 / 4 * b)
    x = np.random.default_rng(1).standard_normal((5, d))
    np.testing.assert_allclose(f.value(x), q.value(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.grad(x), q.grad(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.hessian(x[0]), q.A, rtol=1e-12)
    np.testing.assert_allclose(f.minimizer, q.minimizer, rtol=1e-12)
    assert f.min_value == pytest.approx(q.min_value, rel=1e-12)
    assert q.L <= 2.0 and q.mu > 0
    # Krylov property: from 0, t gradient steps touch only the first t coordinates
    run = minimize(f, np.zeros(d), SGD(lr=0.5, momentum=0.9), steps=3)
    assert np.all(run.points[3][3:] == 0) and np.all(run.points[3][:3] != 0)
    with pytest.raises(ValueError):
        mom.WorstCaseChain(1)


def test_rate_map_explorer_static_and_live():
    import base64
    import json
    import zlib

    ex = mom.RateMapExplorer([2.0, 10.0, 100.0], resolution=30)
    assert ex.kappa == pytest.approx(10.0)
    html = ex.static_html()
    assert "http:" not in html and "https:" not in html and 'alt="Heavy-ball rate map' in html
    assert "<input" not in html and "DescentExplorer.mount" in html            # the page's own script
    payload = json.loads(html.split('class="dx-payload">')[1].split("</script>")[0].replace("<\\/", "</"))
    (ctl,) = payload["controls"]
    assert ctl["label"] == "κ" and ctl["values"] == [2.0, 10.0, 100.0] and ctl["index"] == 1
    words = json.loads(zlib.decompress(base64.b64decode(payload["words"])))
    names = [it["name"] for it in payload["items"]]
    opt = words[names.index("optimum (Polyak)")]
    p = mom.optimal_heavy_ball(1.0, 1.0 / 100.0)
    assert f"({p.lr:.3g}, {p.momentum:.3g})" in opt[2][0]                  # one line per book kappa
    edge = words[names.index("ρ = 0.9")]
    assert edge[0][0] != edge[2][0]                                            # the map changes with kappa
    bundle = ex._repr_mimebundle_()
    assert {"text/plain", "text/html"} <= set(bundle)
    w = ex.widget
    slider, image, label = w.children
    before = image.value
    slider.value = 100.0
    assert ex.kappa == pytest.approx(100.0) and "κ = 100" in label.value and ex.summary in label.value
    assert len(image.value) > 1000 and image.value != before                    # a new PNG was rendered
    ex.update(kappa=1e6)                                                       # clamped to the slider's range
    assert ex.kappa == pytest.approx(100.0)
    with pytest.raises(ValueError):
        ex.update(lr=1.0)
    with pytest.raises(ValueError):
        mom.RateMapExplorer([10.0])
    with pytest.raises(ValueError):
        mom.RateMapExplorer([0.5, 10.0])

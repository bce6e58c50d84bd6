"""One-line library shortcuts for the coding exercises of chapter 12 (see README.md)."""

SHORTCUTS = {
    "ch12-ex2": (
        "predicted_ns_steps = 13\n"
        "def ns_steps_needed(G, coefficients, threshold):\n"
        "    return next(k for k in range(200) if np.linalg.svd(newton_schulz(G, k, coefficients),"
        " compute_uv=False).min() > threshold)"
    ),
    "ch12-ex3": (
        "def muon_steps(W0, grads, lr, mu, ns_steps):\n"
        "    opt = Muon(lr=lr, momentum=mu, weight_decay=0.0, ns_steps=ns_steps); W, s = W0, opt.init(W0)\n"
        "    for g in grads: W, s = opt.update(W, g, s)\n"
        "    return W"
    ),
    "ch12-ex4": (
        "def schedule_free(problem, x0, lr, beta, steps):\n"
        "    opt = ScheduleFreeSGD(lr=lr, momentum=beta); y, s = np.array(x0, dtype=float), opt.init(x0)\n"
        "    for _ in range(steps): y, s = opt.update(y, problem.grad(y), s)\n"
        "    return y, opt.eval_params(y, s)"
    ),
    "ch12-ex5": (
        "def sophia_step(theta, m, h, g, h_hat, lr, betas, rho, bs, eps):\n"
        "    opt = Sophia(lr=lr, betas=betas, rho=rho, bs=bs, eps=eps, weight_decay=0.0)\n"
        "    st = opt.init(theta)._replace(exp_avg=m, hessian=h)\n"
        "    p, st = opt.update(theta, g, st, **({} if h_hat is None else {'hessian': h_hat}))\n"
        "    return p, st.exp_avg, st.hessian"
    ),
}

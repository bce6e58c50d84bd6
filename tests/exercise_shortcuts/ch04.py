"""Library shortcuts for the coding exercises of chapter 4; each check cell must reject them."""

SHORTCUTS = {
    "ch04-ex4": (
        "from descent.momentum import heavy_ball_rate_quadratic\n"
        "from descent.stochastic import measured_rate as _mr\n"
        "rate_on_paper = lambda lr, beta, eigenvalues: heavy_ball_rate_quadratic(lr, beta, eigenvalues)\n"
        "def measured_rate(problem, lr, beta, start, stop):\n"
        "    run = minimize(problem, np.ones(problem.dim), SGD(lr=lr, momentum=beta), stop)\n"
        "    return _mr(np.linalg.norm(run.points - problem.minimizer, axis=-1), start=start, stop=stop)\n"
    ),
    "ch04-ex5": (
        "velocity_momentum = lambda problem, theta0, lr, beta, steps: "
        "minimize(problem, theta0, SGD(lr=lr, momentum=beta), steps).points\n"
    ),
    "ch04-ex6": (
        "nesterov_lookahead = lambda problem, theta0, lr, beta, steps: "
        "minimize(problem, theta0, SGD(lr=lr, momentum=beta, nesterov=True), steps).points\n"
    ),
}

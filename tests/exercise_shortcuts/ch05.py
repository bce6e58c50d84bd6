"""One-line library shortcuts for chapter 5's coding exercises (see README.md in this folder)."""

SHORTCUTS = {
    "ch05-ex4": (
        "adagrad_path = lambda problem, theta0, lr, steps, batches, eps=1e-10: "
        "minimize(problem, theta0, Adagrad(lr=lr, eps=eps), steps).points"
    ),
    "ch05-ex5": (
        "predicted_recovery = lambda rho, r: np.log(3 / (r**2 - 1)) / np.log(rho)\n"
        "measured_recovery = lambda rho, r: int(np.argmax(rmsprop_effective_lr("
        "np.r_[np.ones(3000), np.full(30000, 1 / r)][:, None], 1.0, rho, 0.0)[3000:, 0] >= r / 2)) + 1"
    ),
    "ch05-ex6": (
        "jacobi_kappa = lambda kappa, angle: preconditioned_condition(Quadratic.from_condition(kappa, angle).A)"
    ),
}

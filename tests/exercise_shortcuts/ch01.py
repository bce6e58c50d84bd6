"""One-line library shortcuts for the coding exercises of chapter 1 (see README.md here)."""

SHORTCUTS = {
    "ch01-ex4": "predicted_ratio = (9 / 11) ** 2; my_steepest_descent = lambda H, b, theta0, steps: classic.steepest_descent(Quadratic(H, b=b), theta0, steps).points",
    "ch01-ex5": "ends_left = lambda theta0, tilt, lr, steps: minimize(DoubleWell(tilt=tilt), np.asarray(theta0, dtype=float)[:, None], SGD(lr=lr), steps).points[-1, :, 0] < DoubleWell(tilt=tilt).maxima[0, 0]",
    "ch01-ex6": "gn_step = lambda theta, x, y: np.asarray(theta, dtype=float) + classic.NonlinearLeastSquares.exponential_decay(x, y).gauss_newton_step(np.asarray(theta, dtype=float))",
}

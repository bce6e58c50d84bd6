"""One-line library shortcuts for the coding exercises of chapter 8 (see README.md here)."""

SHORTCUTS = {
    "ch08-ex3": "my_hvp = lambda grad, theta, v, h=1e-5: hvp_fd(grad, theta, v)",
    "ch08-ex4": "my_sharpness = lambda hvp, dim, rng, iters=200: top_eigenvalue(hvp, dim, rng, iters=iters)[0]",
    "ch08-ex5": "my_two_loop = lambda g, S, Y: two_loop(g, S, Y)",
    "ch08-ex6": "predicted_p2 = (2 - np.sqrt(2)) / 4; pd_fraction = lambda n, samples, rng: positive_definite_fraction(n, samples, rng)[0]",
}

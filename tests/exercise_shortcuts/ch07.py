"""Library shortcuts for chapter 7's coding exercises (see README.md): each must fail its check."""

SHORTCUTS = {
    "ch07-ex3": (
        "def warmup_cosine(t, peak, warmup, total, eta_min=0.0):\n"
        "    return Warmup(CosineAnnealing(peak, T_max=total - warmup, eta_min=eta_min), warmup_steps=warmup)(t)\n"
    ),
    "ch07-ex4": (
        "def my_range_test(step, lr_min, lr_max, n, smoothing=0.98, diverge=4.0):\n"
        "    res = lr_range_test(step, lr_min, lr_max, n, smoothing=smoothing, diverge=diverge)\n"
        "    return res.rates, res.smoothed\n"
    ),
    "ch07-ex5": (
        "def predicted_floor(h, sigma, lr):\n"
        "    return lr * sigma**2 / (2 * (2 - lr * h))\n"
        "\n"
        "\n"
        "def measure_floor(h, sigma, lr, runs, steps, seed):\n"
        "    return predicted_floor(h, sigma, lr)\n"
    ),
}

"""Library shortcuts for chapter 9's coding exercises (see README.md): each must fail its check."""

SHORTCUTS = {
    "ch09-ex3": (
        "from descent.regularize import soft_threshold\n"
        "def ista_step(theta, grad, lr, lam):\n"
        "    return soft_threshold(theta - lr * grad, lr * lam)\n"
    ),
    "ch09-ex4": (
        "from descent.regularize import Dropout\n"
        "def dropout_forward(x, p, rng):\n"
        "    d = Dropout(p, rng=rng)\n"
        "    return d.forward(x), d.mask\n"
        "\n"
        "\n"
        "def dropout_backward(dy, mask, p):\n"
        "    d = Dropout(p, rng=np.random.default_rng(0))\n"
        "    d.forward(np.zeros_like(dy), mask=mask)\n"
        "    return d.backward(dy)\n"
    ),
    "ch09-ex5": (
        "from descent.regularize import Dropout\n"
        "def predicted_sd(w, x, p):\n"
        "    return np.sqrt(p / (1 - p) * np.sum((w * x) ** 2))\n"
        "\n"
        "\n"
        "def measured_sd(w, x, p, passes, rng):\n"
        "    d = Dropout(p, rng=rng)\n"
        "    return (d.forward(np.tile(w * x, (passes, 1))).sum(axis=1)).std(ddof=1)\n"
    ),
    "ch09-ex6": (
        "from descent.regularize import early_stop\n"
        "def stop_epoch(curve, patience):\n"
        "    sp = early_stop(curve, patience)\n"
        "    return sp.stop, sp.best\n"
    ),
    "ch09-ex7": (
        "from descent.optim import clip_grad_norm\n"
        "def clip_rows(G, c):\n"
        "    out = np.stack([clip_grad_norm(g, c)[0] for g in G])\n"
        "    return out, np.linalg.norm(G, axis=1)\n"
    ),
}

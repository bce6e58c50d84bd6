"""One-line library shortcuts for the coding exercises of chapter 6 (see README.md)."""

SHORTCUTS = {
    "ch06-ex3": (
        "def predicted_ratio_on_paper():\n"
        "    return af.bias_factor(1, 0.8, 0.99)\n"
        "def uncorrected_steps(grads, lr, beta1, beta2):\n"
        "    return np.diff(af.run_stream(Adam(lr=lr, betas=(beta1, beta2), eps=0.0), np.zeros(np.shape(grads)[1]),"
        " grads), axis=0) * af.bias_factor(np.arange(1, len(grads) + 1), beta1, beta2)[:, None]"
    ),
    "ch06-ex4": (
        "def online_amsgrad(problem, steps, alpha, beta1, beta2, x0):\n"
        "    return af.run_online(Adam(lr=lambda s: alpha / np.sqrt(s + 1), betas=(beta1, beta2), amsgrad=True),"
        " problem, steps, x0=x0)"
    ),
    "ch06-ex5": (
        "def floats_per_parameter(opt, params):\n"
        "    return af.state_floats_per_parameter(opt, params)"
    ),
}

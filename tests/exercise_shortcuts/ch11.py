"""One-line library shortcuts for the coding exercises of chapter 11 (see README.md)."""

SHORTCUTS = {
    "ch11-ex4": (
        "predicted_delta = P.format_info('float16')['unit_roundoff'] / 2\n"
        "def lost_update_threshold(theta, fmt):\n"
        "    return P.format_info(fmt)['unit_roundoff'] * theta"
    ),
    "ch11-ex5": (
        "def scaler_history(found_inf, init_scale=2.0**16, growth=2.0, backoff=0.5, interval=2000):\n"
        "    sc = P.LossScaler(init_scale, growth, backoff, interval); st = sc.init(); used = []\n"
        "    for bad in found_inf:\n"
        "        used.append(st.scale); st = sc.update(st, bool(bad))\n"
        "    return used, st.skipped"
    ),
    "ch11-ex6": (
        "def accumulated_clipped_grad(model, x, y, micro, max_norm):\n"
        "    mp = P.MixedPrecision(SGD(lr=0.1), compute_dtype=np.float64); st = mp.init(model)\n"
        "    acc, _ = mp.grads(model, st, [(x[a:a + micro], y[a:a + micro]) for a in range(0, len(x), micro)])\n"
        "    return clip_grad_norm(acc, max_norm)[0]"
    ),
    "ch11-ex7": (
        "def sr_bfloat16(x, rng):\n"
        "    return P.stochastic_round(x, 'bfloat16', rng)"
    ),
}

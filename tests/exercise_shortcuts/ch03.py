"""One-line library shortcuts for the coding exercises of chapter 3 (see README.md here)."""

SHORTCUTS = {
    "ch03-ex2": "predicted_edge = 0.5; largest_stable_lr = lambda H, tol=1e-4: st.max_stable_lr(np.linalg.eigvalsh(H))",
    "ch03-ex3": "sgd_from_scratch = lambda problem, theta0, lr, steps, batch_size, seed: minimize(problem, theta0, SGD(lr=lr), steps=steps, batch_size=batch_size, rng=np.random.default_rng(seed)).points",
    "ch03-ex4": "predict_variance = measure_variance = lambda problem, theta, B, *args, **kwargs: st.minibatch_variance(problem, theta, B)",
    "ch03-ex5": "accumulated_grad = lambda problem, theta, batch, micro_batch: problem.grad(theta, batch=batch)",
}

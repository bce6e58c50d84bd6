"""One-line library shortcuts for the coding exercises of chapter 3 (see README.md here)."""

SHORTCUTS = {
    "ch03-ex2": "predicted_edge = 0.5; largest_stable_lr = lambda H, tol=1e-4: st.max_stable_lr(np.linalg.eigvalsh(H))",
    "ch03-ex3": "predicted_steps = {'2/(L+mu)': 691, '1/L': 1341}; steps_to_reduce = lambda problem, theta0, lr, factor: int(np.argmax(np.linalg.norm(minimize(problem, theta0, SGD(lr=lr), 5000).points - problem.minimizer, axis=1) <= factor * np.linalg.norm(theta0 - problem.minimizer)))",
    "ch03-ex4": "predict_variance = measure_variance = lambda problem, theta, B, *args, **kwargs: st.minibatch_variance(problem, theta, B)",
    "ch03-ex5": "accumulated_grad = lambda problem, theta, batch, micro_batch: problem.grad(theta, batch=batch)",
}

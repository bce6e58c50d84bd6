"""One-line library shortcuts for the coding exercises of chapter 2 (see README.md here)."""

SHORTCUTS = {
    "ch02-ex1": "class LeakyReLU: __init__ = lambda self, slope=0.01: setattr(self, 'slope', slope); forward = lambda self, x: (setattr(self, 'x', x), np.where(x > 0, x, self.slope * x))[1]; backward = lambda self, dy: numerical_grad(lambda v: np.sum(dy * np.where(v > 0, v, self.slope * v)), self.x)",
    "ch02-ex3": "mse_backprop = lambda model, X, T: model.loss_and_grads(X, T, 'mse')[1]",
    "ch02-ex5": "predicted_clipped_norm = 5 / (5 + 1e-6); clip_by_global_norm = lambda grads, max_norm: clip_grad_norm(grads, max_norm)",
    "ch02-ex6": "tanh_std = lambda width: __import__('descent.nn', fromlist=['init_std']).init_std('xavier', width, width)",
    "ch02-ex8": "predicted_norm = 4.0 ** -10; input_grad = lambda Ws, bs, x, u: numerical_grad(lambda v: float(u @ __import__('functools').reduce(lambda h, wb: 1 / (1 + np.exp(-(h @ wb[0] + wb[1]))), zip(Ws, bs), v)), x)",
}

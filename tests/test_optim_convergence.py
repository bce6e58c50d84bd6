"""Each optimizer reaches the known minimizer of a few problems (not only "the loss went down").

Problems with a known minimizer :math:`x^*`: a coupled 2-D quadratic, a 4-D
least-squares fit with an exact solution, and a smooth non-quadratic
(log-cosh plus a small quadratic). Adaptive methods get a learning rate decaying
geometrically by 100x over the run, as in practice; the tolerance is on
:math:`\\|x - x^*\\|`. Lion moves every coordinate by the learning rate, so it
can only come within about the final learning rate (5e-4).
"""

from __future__ import annotations

import numpy as np
import pytest

from descent import optim
from descent.optim import (SGD, AdaBelief, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, NAdam,
                           RAdam, RMSprop)

STEPS = 2000
_Q, _XQ = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -2.0])
_A = np.random.default_rng(0).standard_normal((20, 4))
_XS = np.array([0.5, -1.0, 2.0, 0.0])
_B = _A @ _XS
_C = np.array([1.5, -0.5, 3.0])

PROBLEMS = {  # name: (gradient, start, minimizer)
    "quadratic": (lambda x: _Q @ (x - _XQ), np.array([-1.0, 1.0]), _XQ),
    "least_squares": (lambda x: _A.T @ (_A @ x - _B) / len(_B), np.zeros(4), _XS),
    "logcosh": (lambda x: np.tanh(x - _C) + 0.1 * (x - _C), np.zeros(3), _C),
}


def decay(lr0: float):
    return lambda t: lr0 * 0.01 ** (t / STEPS)


SETTINGS = {
    SGD: dict(lr=0.1, momentum=0.9),
    Adagrad: dict(lr=0.5),
    RMSprop: dict(lr=decay(0.05)),
    Adadelta: dict(lr=decay(10.0)),
    Adam: dict(lr=decay(0.05)),
    AdamW: dict(lr=decay(0.05), weight_decay=0.0),
    Adamax: dict(lr=decay(0.05)),
    NAdam: dict(lr=decay(0.05)),
    RAdam: dict(lr=decay(0.05)),
    AdaBelief: dict(lr=decay(0.05)),
    Lion: dict(lr=decay(0.05)),
    optim.Muon: dict(lr=decay(0.05), weight_decay=0.0),  # on x as a 1 x d matrix: normalized momentum
    optim.Sophia: dict(lr=decay(0.02), weight_decay=0.0),  # no curvature passed: sign momentum, like Lion
    optim.ScheduleFreeSGD: dict(lr=0.1, r=2.0),
    optim.ScheduleFreeAdamW: dict(lr=0.05, r=2.0),
}


def test_every_optimizer_has_settings():
    assert set(SETTINGS) == set(optim.OPTIMIZERS)


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("cls", optim.OPTIMIZERS, ids=lambda c: c.__name__)
def test_reaches_the_minimizer(cls, problem):
    grad, x0, x_star = PROBLEMS[problem]
    opt = cls(**SETTINGS[cls])
    if cls is optim.Muon:  # matrices only: x as a row, whose polar factor is x / |x|
        grad, x0, x_star = (lambda x, f=grad: f(x[0])[None, :]), x0[None, :], x_star[None, :]
    x, state = x0.copy(), opt.init(x0)
    for _ in range(STEPS):
        x, state = opt.update_(x, grad(x), state)
    if cls in (optim.ScheduleFreeSGD, optim.ScheduleFreeAdamW):
        x = opt.eval_params(x, state)  # the averaged point, not the gradient point y
    tol = 1e-3
    assert np.linalg.norm(x - x_star) < tol, f"{cls.__name__} ended at {x}, minimizer {x_star}"
    assert np.linalg.norm(x0 - x_star) > 100 * tol  # the start was far away


def test_weight_decay_moves_the_minimizer_where_theory_says():
    """Adam's L2 decay minimizes f + (wd/2)|x|^2: on the quadratic that is (Q + wd I)^{-1} Q x*."""
    wd = 0.5
    target = np.linalg.solve(_Q + wd * np.eye(2), _Q @ _XQ)
    grad, x0, _ = PROBLEMS["quadratic"]
    opt = Adam(lr=decay(0.05), weight_decay=wd)
    x, state = x0.copy(), opt.init(x0)
    for _ in range(STEPS):
        x, state = opt.update(x, grad(x), state)
    np.testing.assert_allclose(x, target, atol=1e-6)

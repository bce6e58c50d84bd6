r"""A vanilla recurrent network with backpropagation through time written out by hand.

The network reads a sequence :math:`x_1, \dots, x_S` (positions :math:`s`, so
that :math:`t` stays the optimizer's step counter) and updates a hidden state

.. math::

    a_s = W h_{s-1} + U x_s, \qquad h_s = \phi(a_s), \qquad s = 1, \dots, S,

with :math:`W \in \mathbb{R}^{n\times n}`, :math:`U \in \mathbb{R}^{n\times m}`,
a start state :math:`h_0` and :math:`\phi` either the identity (a *linear* RNN)
or :math:`\tanh`. There are no biases: the point of this module is the
product of Jacobians that backpropagation through time (BPTT) multiplies,

.. math::

    \bar h_{s-1} = W^\top \big(\bar h_s \odot \phi'(a_s)\big)
    \quad\Longrightarrow\quad
    \bar h_{s} = \Big(\prod_{r=s+1}^{S} W^\top D_r\Big)\, \bar h_S,
    \qquad D_r = \operatorname{diag}\phi'(a_r),

where :math:`\bar h_s = \partial L/\partial h_s`. For a linear RNN
(:math:`D_r = I`) this is :math:`(W^\top)^{S-s}\bar h_S`, whose size is governed
by the spectral radius :math:`\rho(W)`: it shrinks like :math:`\rho^{S-s}`
for :math:`\rho < 1` and grows like it for :math:`\rho > 1` (Bengio et al.,
1994; Pascanu et al., 2013). :func:`rnn_backward` returns every
:math:`\bar h_s`, so their norms can be plotted against :math:`s`.

Batches are rows, as in :mod:`descent.nn`: ``xs`` has shape ``(S, B, m)`` and
the states ``(S + 1, B, n)``, so one step computes
``H[s] = phi(H[s-1] @ W.T + X[s-1] @ U.T)``.

Example
-------
>>> rng = np.random.default_rng(0)
>>> W = recurrent_matrix(8, 0.9, rng=rng, kind="orthogonal")
>>> U = rng.standard_normal((8, 3)) / np.sqrt(3)
>>> xs = rng.standard_normal((20, 4, 3))
>>> loss, g = rnn_loss_and_grads(W, U, xs, np.zeros((4, 8)), activation="linear")
>>> g.dh.shape, g.step_norms().shape
((21, 4, 8), (21,))
>>> bool(np.isclose(g.step_norms()[0] / g.step_norms()[-1], 0.9 ** 20))
True
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validation import check_float_array, check_in_range, check_int

__all__ = [
    "ACTIVATIONS",
    "spectral_radius",
    "recurrent_matrix",
    "RNNGrads",
    "rnn_forward",
    "rnn_backward",
    "rnn_loss",
    "rnn_loss_and_grads",
]

#: The supported nonlinearities :math:`\phi`.
ACTIVATIONS = ("linear", "tanh")


# --------------------------------------------------------------------- checks
def _check_activation(activation: Any) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}")
    return activation


def _check_weights(W: Any, U: Any) -> tuple[np.ndarray, np.ndarray]:
    W = check_float_array("W", W, finite=False)  # non-finite allowed: divergence studies
    U = check_float_array("U", U, finite=False)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix of shape (n, n); got shape {W.shape}")
    if U.ndim != 2 or U.shape[0] != W.shape[0]:
        raise ValueError(f"U must have shape ({W.shape[0]}, m) to match W {W.shape}; got shape {U.shape}")
    return W, U


def _check_inputs(xs: Any, U: np.ndarray) -> np.ndarray:
    xs = check_float_array("xs", xs, finite=False)
    if xs.ndim != 3 or xs.shape[2] != U.shape[1]:
        raise ValueError(f"xs must have shape (S, B, {U.shape[1]}) (steps, batch, features); got shape {xs.shape}")
    if xs.shape[0] < 1 or xs.shape[1] < 1:
        raise ValueError(f"xs must hold at least one step and one sequence; got shape {xs.shape}")
    return xs


def _check_state(name: str, h: Any, shape: tuple[int, int]) -> np.ndarray:
    h = check_float_array(name, h, finite=False)
    if h.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (batch, hidden); got shape {h.shape}")
    return h


# ------------------------------------------------------------- spectral tools
def spectral_radius(W: Any) -> float:
    r"""The spectral radius :math:`\rho(W) = \max_i |\lambda_i(W)|` of a square matrix.

    >>> round(spectral_radius(np.array([[0.0, 2.0], [-2.0, 0.0]])), 12)  # eigenvalues +-2i
    2.0
    """
    W = check_float_array("W", W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix; got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def recurrent_matrix(n: int, spectral_radius: float, *, rng: np.random.Generator,
                     kind: str = "gaussian", dtype: Any = np.float64) -> np.ndarray:
    r"""A random recurrent matrix :math:`W \in \mathbb{R}^{n\times n}` with a prescribed spectral radius.

    - ``"gaussian"``: :math:`G_{ij} \sim \mathcal N(0, 1/n)`, then
      :math:`W = \rho\, G / \rho(G)`. The eigenvalues of :math:`G` fill the
      unit disc (the circular law), so the rescaling is mild; :math:`W` is not
      normal, and its largest singular value exceeds :math:`\rho` (about
      :math:`2\rho` for large :math:`n`).
    - ``"orthogonal"``: :math:`W = \rho\, Q` with :math:`Q` a uniformly random
      orthogonal matrix (QR of a Gaussian matrix with the signs fixed). Every
      eigenvalue *and* every singular value of :math:`W` has modulus
      :math:`\rho`, so :math:`\|(W^\top)^k v\| = \rho^k \|v\|` exactly.

    Parameters
    ----------
    n : int >= 1
        Hidden width.
    spectral_radius : float >= 0
        The target :math:`\rho(W)`.
    rng : numpy.random.Generator
        The only source of randomness (keyword-only, required).
    kind : {"gaussian", "orthogonal"}, default "gaussian"
    dtype : float dtype, default float64

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> W = recurrent_matrix(16, 1.1, rng=np.random.default_rng(0))
    >>> round(float(np.max(np.abs(np.linalg.eigvals(W)))), 12)
    1.1
    """
    n = check_int("n", n, 1)
    rho = check_in_range("spectral_radius", spectral_radius, 0.0, None, allow_array=False)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0); got {type(rng).__name__}")
    if kind not in ("gaussian", "orthogonal"):
        raise ValueError(f"kind must be 'gaussian' or 'orthogonal'; got {kind!r}")
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"dtype must be a floating-point dtype; got {dt}")
    G = rng.standard_normal((n, n)) / np.sqrt(n)
    if kind == "orthogonal":
        Q, R = np.linalg.qr(G)
        Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)  # Haar-uniform: fix the sign of each column
        return (rho * Q).astype(dt)
    r = float(np.max(np.abs(np.linalg.eigvals(G))))
    return (G * (rho / r)).astype(dt)


# ---------------------------------------------------------------- forward/back
def rnn_forward(W: np.ndarray, U: np.ndarray, xs: np.ndarray, h0: np.ndarray | None = None,
                activation: str = "tanh") -> np.ndarray:
    r"""Run the recurrence :math:`h_s = \phi(W h_{s-1} + U x_s)` over a batch of sequences.

    Parameters
    ----------
    W : ndarray (n, n)
        Recurrent weights.
    U : ndarray (n, m)
        Input weights.
    xs : ndarray (S, B, m)
        Inputs: ``xs[s - 1]`` is :math:`x_s` for each of the :math:`B` sequences.
    h0 : ndarray (B, n), optional
        Start state; zeros by default.
    activation : {"linear", "tanh"}, default "tanh"

    Returns
    -------
    hs : ndarray (S + 1, B, n)
        ``hs[0]`` is :math:`h_0`, ``hs[s]`` is :math:`h_s`. A linear RNN may
        overflow to ``inf`` on purpose (no warning is raised).
    """
    W, U = _check_weights(W, U)
    xs = _check_inputs(xs, U)
    activation = _check_activation(activation)
    S, B, _ = xs.shape
    n = W.shape[0]
    dt = np.result_type(W, U, xs)
    hs = np.empty((S + 1, B, n), dtype=dt)
    hs[0] = 0.0 if h0 is None else _check_state("h0", h0, (B, n))
    drive = xs @ U.T  # all input terms U x_s at once, shape (S, B, n)
    Wt = W.T
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(1, S + 1):
            a = hs[s - 1] @ Wt + drive[s - 1]
            hs[s] = np.tanh(a) if activation == "tanh" else a
    return hs


class RNNGrads(NamedTuple):
    r"""Gradients from :func:`rnn_backward`.

    Attributes
    ----------
    W, U : ndarray
        :math:`\partial L/\partial W` and :math:`\partial L/\partial U`.
    h0 : ndarray (B, n)
        :math:`\partial L/\partial h_0`.
    dh : ndarray (S + 1, B, n)
        The adjoints :math:`\bar h_s = \partial L/\partial h_s` for
        :math:`s = 0, \dots, S` (total derivatives: everything that flows into
        :math:`h_s` from later steps and from the loss).
    """

    W: np.ndarray
    U: np.ndarray
    h0: np.ndarray
    dh: np.ndarray

    def step_norms(self) -> np.ndarray:
        r"""Frobenius norms :math:`\|\bar h_s\|` over batch and hidden units, shape (S + 1,)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return np.sqrt(np.sum(np.square(self.dh), axis=(1, 2)))

    def params(self) -> dict[str, np.ndarray]:
        """``{"W": ..., "U": ...}``: the parameter gradients, as :mod:`descent.optim` takes them."""
        return {"W": self.W, "U": self.U}


def rnn_backward(W: np.ndarray, U: np.ndarray, xs: np.ndarray, hs: np.ndarray, dh: np.ndarray,
                 activation: str = "tanh") -> RNNGrads:
    r"""Backpropagation through time for :func:`rnn_forward`.

    For :math:`s = S, \dots, 1` (rows are sequences, so :math:`W^\top` acts on
    the right):

    .. math::

        \bar a_s = \bar h_s \odot \phi'(a_s), \qquad
        \bar W \mathrel{+}= \bar a_s^\top h_{s-1}, \qquad
        \bar U \mathrel{+}= \bar a_s^\top x_s, \qquad
        \bar h_{s-1} = \bar a_s W + (\text{direct term at } s-1),

    with :math:`\phi'(a_s) = 1 - h_s^2` for tanh and 1 for the linear RNN.

    Parameters
    ----------
    W, U, xs, activation
        As given to :func:`rnn_forward`.
    hs : ndarray (S + 1, B, n)
        The states :func:`rnn_forward` returned.
    dh : ndarray (B, n) or (S, B, n)
        The *direct* gradient of the loss with respect to the states: with
        shape (B, n) the loss reads only the last state and ``dh`` is
        :math:`\partial L/\partial h_S`; with shape (S, B, n), ``dh[s - 1]`` is
        the direct :math:`\partial L/\partial h_s` of a loss that reads every state.

    Returns
    -------
    RNNGrads
    """
    W, U = _check_weights(W, U)
    xs = _check_inputs(xs, U)
    activation = _check_activation(activation)
    S, B, _ = xs.shape
    n = W.shape[0]
    hs = check_float_array("hs", hs, finite=False)
    if hs.shape != (S + 1, B, n):
        raise ValueError(f"hs must have shape {(S + 1, B, n)} as rnn_forward returns; got shape {hs.shape}")
    dh = check_float_array("dh", dh, finite=False)
    if dh.shape == (B, n):
        direct = np.zeros((S, B, n), dtype=np.result_type(dh, hs))
        direct[-1] = dh
    elif dh.shape == (S, B, n):
        direct = dh
    else:
        raise ValueError(f"dh must have shape {(B, n)} (last state) or {(S, B, n)} (every state); got {dh.shape}")
    dt = np.result_type(W, U, xs, hs, direct)
    adj = np.zeros((S + 1, B, n), dtype=dt)
    gW = np.zeros_like(W, dtype=dt)
    gU = np.zeros_like(U, dtype=dt)
    adj[S] = direct[S - 1]
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(S, 0, -1):
            da = adj[s] * (1.0 - hs[s] * hs[s]) if activation == "tanh" else adj[s]
            gW += da.T @ hs[s - 1]
            gU += da.T @ xs[s - 1]
            adj[s - 1] = da @ W
            if s > 1:
                adj[s - 1] += direct[s - 2]
    return RNNGrads(gW, gU, adj[0].copy(), adj)


def rnn_loss(hs: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Squared error of the last state: :math:`L = \frac{1}{2B}\sum_{b=1}^{B} \|h_S^{(b)} - y^{(b)}\|^2`.

    Returns the loss and :math:`\partial L/\partial h_S = (h_S - y)/B`.
    """
    hs = check_float_array("hs", hs, finite=False)
    if hs.ndim != 3:
        raise ValueError(f"hs must have shape (S + 1, B, n); got shape {hs.shape}")
    target = _check_state("target", target, hs.shape[1:])
    diff = hs[-1] - target
    B = hs.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        return float(0.5 * np.sum(diff * diff) / B), diff / B


def rnn_loss_and_grads(W: np.ndarray, U: np.ndarray, xs: np.ndarray, target: np.ndarray,
                       h0: np.ndarray | None = None, activation: str = "tanh") -> tuple[float, RNNGrads]:
    r"""Forward, :func:`rnn_loss` on the last state, and backward through time.

    Parameters
    ----------
    W, U, xs, h0, activation
        As in :func:`rnn_forward`.
    target : ndarray (B, n)
        The target :math:`y` of the last state.

    Returns
    -------
    loss, grads : float, RNNGrads
    """
    hs = rnn_forward(W, U, xs, h0, activation)
    loss, dlast = rnn_loss(hs, target)
    return loss, rnn_backward(W, U, xs, hs, dlast, activation)

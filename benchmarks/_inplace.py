r"""Prototype of an in-place fast path for :mod:`descent.optim` (a proposal, not yet in the library).

``opt.update(params, grads, state)`` is pure: each step allocates new
parameter and buffer arrays plus one temporary per operation of the rule.
For Adam on :math:`N` parameters that is about a dozen passes over arrays of
:math:`N` numbers, while the rule only needs to read :math:`\theta, g, m, v`
and write :math:`\theta, m, v` once each: 7 passes, the memory-bandwidth bound.

:func:`update_` keeps the arithmetic and changes only where it happens:

1. the update runs on slices of about ``chunk`` numbers along the leading
   axis, so every temporary is small enough to stay in the CPU cache;
2. the results are written back into ``params`` and the state's buffers, so
   nothing of size :math:`N` is allocated.

Two ways to update a slice, both bitwise equal to ``update``:

- *generic*: the optimizer's own ``_leaf`` (the code ``update`` runs), so every
  optimizer gets the fast path for free; the rules are elementwise, so a
  slice sees exactly the operations the whole array would;
- *kernel* (SGD and Adam/AdamW): the same operations in the same order as
  ``_leaf``, written with ``out=`` ufuncs into preallocated scratch, which
  removes the allocations and Python overhead left in the generic path.
  Used when every hyperparameter is a Python float and parameters, gradients
  and buffers share one dtype and are C-contiguous; otherwise the generic path
  runs.

Hyperparameter arrays that vary along the leading axis (a grid of runs) cannot
be sliced with the parameters, so those leaves are updated whole, in place.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from descent.optim import SGD, Adam, Optimizer, _leaves, _match

CHUNK = 1 << 15  # numbers per slice: 128 KiB of float32


# ------------------------------------------------------------------ kernels
def _sgd_kernel(opt: SGD, p, g, bufs, t, lr, scratch) -> None:
    """``SGD._leaf`` on 1-d slices, writing into ``p`` and the buffer."""
    (b,) = bufs
    a, c = scratch
    if opt.maximize:
        g = np.negative(g, out=c)
    if opt.weight_decay != 0:
        g = np.add(g, np.multiply(p, opt.weight_decay, out=a), out=c)   # g + wd p
    mu = opt.momentum
    if mu == 0:
        p -= np.multiply(g, lr, out=a)                                   # p - lr g
        return
    if t == 1:
        b[...] = g
    else:
        b *= mu                                                          # mu b + (1 - tau) g
        b += np.multiply(g, 1 - opt.dampening, out=a)
    d = np.add(g, np.multiply(b, mu, out=a), out=a) if opt.nesterov else b   # g + mu b, or b
    p -= np.multiply(d, lr, out=a)                                       # p - lr d


def _adam_kernel(opt: Adam, p, g, bufs, t, lr, scratch) -> None:
    """``Adam._leaf`` (with ``math.sqrt``) on 1-d slices, writing into ``p`` and the buffers."""
    m, v, vmax = bufs
    a, b, c = scratch
    b1, b2 = opt.betas
    if opt.maximize:
        g = np.negative(g, out=c)
    if opt.weight_decay != 0:
        if opt.decoupled_weight_decay:
            p *= 1 - lr * opt.weight_decay                               # p (1 - lr wd)
        else:
            g = np.add(g, np.multiply(p, opt.weight_decay, out=a), out=c)   # g + wd p
    m += np.multiply(np.subtract(g, m, out=a), 1 - b1, out=a)            # m + (1 - b1)(g - m)
    v *= b2                                                              # b2 v + (1 - b2) g g
    v += np.multiply(np.multiply(g, 1 - b2, out=a), g, out=a)
    if opt.amsgrad:
        vh = np.maximum(vmax, v, out=vmax)
    else:
        vh = v
    den = np.sqrt(vh, out=b)                                             # sqrt(v) / sqrt(1 - b2^t) + eps
    den /= math.sqrt(1 - b2**t)
    den += opt.eps
    step = np.multiply(m, lr / (1 - b1**t), out=a)                       # p - lr / (1 - b1^t) m / den
    step /= den
    p -= step


def _kernel(opt: Optimizer, lr: Any, arrays: list[np.ndarray]) -> tuple[Callable | None, int]:
    """The hand-written kernel for ``opt`` and its number of scratch arrays, if it applies."""
    if isinstance(opt, SGD):
        kernel, n = _sgd_kernel, 2
    elif isinstance(opt, Adam) and (isinstance(opt, ProposedAdam) or arrays[0].dtype == np.float64):
        kernel, n = _adam_kernel, 3  # today's Adam computes float32 in float64 (see ProposedAdam)
    else:
        return None, 0
    hypers = [lr] + [x for v in opt._hypers().values() for x in (v if isinstance(v, tuple) else (v,))]
    if not all(isinstance(x, (bool, int, float)) for x in hypers):  # arrays or NumPy scalars
        return None, 0
    if any(a.dtype != arrays[0].dtype or not a.flags.c_contiguous for a in arrays):
        return None, 0
    return kernel, n


# --------------------------------------------------------------- update_
def _varies_along_rows(opt: Optimizer, p: np.ndarray, lr: Any) -> bool:
    """Whether a hyperparameter array has a leading axis matching p's rows (a grid of runs)."""
    values = [lr] + [x for v in opt._hypers().values() for x in (v if isinstance(v, tuple) else (v,))]
    return p.ndim > 0 and any(isinstance(x, np.ndarray) and x.ndim == p.ndim and x.shape[0] > 1
                              for x in values)


def _slices(p: np.ndarray, chunk: int) -> list:
    """Slices of about ``chunk`` numbers along the leading axis (``[...]`` for a 0-d array)."""
    if p.ndim == 0:
        return [...]
    rows = max(1, chunk // max(1, p.size // max(1, p.shape[0])))
    return [slice(s, s + rows) for s in range(0, p.shape[0], rows)]


def update_(opt: Optimizer, params: Any, grads: Any, state: Any, *, chunk: int = CHUNK,
            kernels: bool = True) -> Any:
    r"""``opt.update`` in place: overwrite ``params`` and the state's buffers; return the new state.

    The results are bitwise those of ``opt.update``; only the memory traffic
    differs.

    Parameters
    ----------
    opt : descent.optim.Optimizer
    params : writeable float ndarray or dict of them
        Overwritten with :math:`\theta_t`.
    grads : same structure as ``params``
        Read only.
    state : the state from ``opt.init(params)``, ``opt.update`` or ``update_``
        Its buffers are overwritten: use the returned state from then on.
    chunk : int >= 1
        Numbers per slice.
    kernels : bool
        Use the hand-written SGD/Adam kernels where they apply (False: always
        the generic path; for measurement).

    Returns
    -------
    state
        The new state (step + 1), holding the same buffer arrays.
    """
    if not isinstance(state, opt.State):
        raise TypeError(f"state must be the {opt.State.__name__} returned by {type(opt).__name__}.init; "
                        f"got {type(state).__name__}")
    keys, pl, gl = _match(params, grads)
    for i, p in enumerate(pl):
        if not p.flags.writeable:
            where = "" if keys is None else f"[{keys[i]!r}]"
            raise ValueError(f"params{where} must be a writeable array for an in-place update")
    t = state.step + 1
    lr = opt._lr_at(state.step)
    ctx, extra = opt._context(state, t)
    buffers = [_leaves(b, getattr(state, b))[1] for b in opt._buffers]
    for i, (p, g) in enumerate(zip(pl, gl)):
        for bl in buffers:  # a buffer must not share memory with what it is computed from
            if np.may_share_memory(bl[i], g) or np.may_share_memory(bl[i], p):
                bl[i] = bl[i].copy()
        bufs = [bl[i] for bl in buffers]
        kernel, n_scratch = _kernel(opt, lr, [p, g, *bufs]) if kernels else (None, 0)
        if kernel is not None:
            flat = [a.reshape(-1) for a in (p, g, *bufs)]
            scratch = [np.empty(min(chunk, p.size), p.dtype) for _ in range(n_scratch)]
            for s in range(0, p.size, chunk):
                sl = [a[s:s + chunk] for a in flat]
                kernel(opt, sl[0], sl[1], sl[2:], t, lr, [x[:sl[0].size] for x in scratch])
            continue
        slices = [...] if _varies_along_rows(opt, p, lr) else _slices(p, chunk)
        for rows in slices:
            old = tuple(b[rows] for b in bufs)
            p_new, new = opt._leaf(p[rows], -g[rows] if opt.maximize else g[rows], old, t, lr, ctx)
            p[rows] = p_new
            for b_old, b_new in zip(old, new):
                if b_new is not b_old:
                    b_old[...] = b_new
    return opt.State(step=t, **{b: (bl[0] if keys is None else dict(zip(keys, bl)))
                                for b, bl in zip(opt._buffers, buffers)}, **extra)


# ------------------------------------ the proposed changes to SGD and Adam
class ProposedSGD(SGD):
    """``SGD`` whose first step stores a copy of the gradient as the momentum buffer.

    Today ``SGD._leaf`` sets ``b = g`` at step 1, so the returned state holds
    the caller's gradient array itself (torch clones it). Any later in-place
    write to either one (by :func:`update_`, or by a training loop that reuses
    its gradient arrays) changes the other.
    """

    def _leaf(self, p, g, bufs, t, lr, ctx):
        p2, (b,) = super()._leaf(p, g, bufs, t, lr, ctx)
        return p2, ((b.copy() if b is g else b),)


class ProposedAdam(Adam):
    """``Adam`` with the one-line change proposed for ``descent.optim``.

    ``np.sqrt(1 - b2**t)`` is a NumPy float64 scalar, and NumPy 2 promotes a
    float32 array divided by it to float64, so today float32 Adam computes its
    denominator and step in float64 (and converts back). ``math.sqrt`` gives a
    Python float, which keeps the parameters' dtype, as torch does. Float64
    results are unchanged bit for bit (both square roots are correctly
    rounded).
    """

    def _leaf(self, p, g, bufs, t, lr, ctx):
        m, v, vmax = bufs
        b1, b2 = self.betas
        if np.any(np.asarray(self.weight_decay) != 0):
            if self.decoupled_weight_decay:
                p = p * (1 - lr * self.weight_decay)
            else:
                g = g + self.weight_decay * p
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        if self.amsgrad:
            vmax = np.maximum(vmax, v)
            vh = vmax
        else:
            vh = v
        bc2 = 1 - b2**t
        den = np.sqrt(vh) / (math.sqrt(bc2) if np.ndim(bc2) == 0 else np.sqrt(bc2)) + self.eps
        return p - lr / (1 - b1**t) * m / den, (m, v, vmax)

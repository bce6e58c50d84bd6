r"""Wrappers that take an optimizer and return one: masks, master weights, accumulation, loss scaling.

Each wrapper keeps the inner optimizer's update rule untouched (it stays
visible in that optimizer's own code) and changes only what it is given or
where its result goes. Every wrapper has ``init``, ``update`` and ``update_``
like an optimizer, and reads the inner optimizer's hyperparameters through
(``masked(AdamW(), mask).lr``).

==========================  ====================================================
``masked(opt, mask)``       weight decay only on the parameters ``mask`` selects
``master_weights(opt)``     low-precision params, float32 master copy in the state
``accumulate(opt, k)``      one update per ``k`` calls, with the mean gradient
``scale_loss(opt, scale)``  gradients of ``scale * loss`` in, unscaled before the update
==========================  ====================================================
"""

from __future__ import annotations

import copy
from typing import Any, Callable, NamedTuple, Union

import numpy as np

from .._validation import check_in_range, check_int
from ._tree import Params, check_state_dtype, leaves, match, rebuild

Mask = Union["dict[str, bool]", Callable[[str, np.ndarray], bool]]


class _Wrapper:
    """Shared plumbing: the inner optimizer, attribute pass-through, repr."""

    def __init__(self, inner: Any) -> None:
        if not all(hasattr(inner, m) for m in ("init", "update", "update_")):
            raise TypeError(f"opt must be a descent.optim optimizer; got {type(inner).__name__}")
        self.inner = inner

    def __getattr__(self, name: str) -> Any:  # hyperparameters of the inner optimizer
        if name.startswith("_") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k not in ("inner", "no_decay"))
        return f"{type(self).__name__.lower()}({self.inner!r}{', ' if extra else ''}{extra})"


# --------------------------------------------------------------------- masked
class Masked(_Wrapper):
    """See :func:`masked`."""

    def __init__(self, inner: Any, mask: Mask) -> None:
        super().__init__(inner)
        if not hasattr(inner, "weight_decay"):
            raise TypeError(f"masked needs an optimizer with weight_decay; got {type(inner).__name__}")
        if not (isinstance(mask, dict) or callable(mask)):
            raise TypeError(f"mask must be a dict key -> bool or a callable (key, array) -> bool; got {mask!r}")
        self.mask = mask
        self.no_decay = copy.copy(inner)
        self.no_decay.weight_decay = 0.0

    def _groups(self, params: Any) -> list[tuple[Any, list[str]]]:
        if not isinstance(params, dict):
            raise TypeError("masked needs params as a dict of arrays (the mask selects keys)")
        if isinstance(self.mask, dict) and set(self.mask) != set(params):
            raise ValueError(f"mask keys {sorted(self.mask)} must be the params keys {sorted(params)}")
        on = {k: bool(self.mask[k] if isinstance(self.mask, dict) else self.mask(k, params[k]))
              for k in params}
        return [(o, ks) for o, ks in ((self.inner, [k for k in params if on[k]]),
                                      (self.no_decay, [k for k in params if not on[k]])) if ks]

    def init(self, params: Params) -> Any:
        self._groups(params)
        return self.inner.init(params)

    def _run(self, method: str, params: Any, grads: Any, state: Any, extra: dict) -> tuple[Any, Any]:
        names = [n for n in type(state).BUFFERS if getattr(state, n) is not None]
        if not isinstance(grads, dict):
            raise ValueError("grads must have the same structure as params (a dict)")
        out_p, out_s = {}, {n: {} for n in names}
        for opt, ks in self._groups(params):
            sub = state._replace(**{n: {k: getattr(state, n)[k] for k in ks} for n in names})
            p, s = getattr(opt, method)({k: params[k] for k in ks}, {k: grads[k] for k in ks}, sub, **extra)
            out_p.update(p)
            for n in names:
                out_s[n].update(getattr(s, n))
        order = list(params)
        new = s._replace(**{n: {k: out_s[n][k] for k in order} for n in names})
        return (params if method == "update_" else {k: out_p[k] for k in order}), new

    def update(self, params: Params, grads: Params, state: Any, **extra: Any) -> tuple[Params, Any]:
        return self._run("update", params, grads, state, extra)

    def update_(self, params: Params, grads: Params, state: Any, **extra: Any) -> tuple[Params, Any]:
        return self._run("update_", params, grads, state, extra)


def masked(opt: Any, mask: Mask) -> Masked:
    """``opt`` with weight decay only where ``mask`` says so (e.g. not on biases and norms).

    The parameters with ``mask[key]`` (or ``mask(key, array)``) true are
    updated by ``opt``; the others by a copy of ``opt`` with
    ``weight_decay=0``. Every other part of the rule is the same, and the
    state is ``opt``'s own.

    >>> from descent.optim import AdamW
    >>> opt = masked(AdamW(weight_decay=0.1), lambda key, p: p.ndim > 1)  # decay matrices only
    """
    return Masked(opt, mask)


# -------------------------------------------------------------- master weights
class MasterState(NamedTuple):
    step: int
    master: Params
    inner: Any

    BUFFERS = ("master",)


class MasterWeights(_Wrapper):
    """See :func:`master_weights`."""

    def __init__(self, inner: Any, dtype: Any = np.float32) -> None:
        super().__init__(inner)
        self.dtype = check_state_dtype(dtype)

    def init(self, params: Params) -> MasterState:
        keys, pl = leaves("params", params)
        master = rebuild(keys, [p.astype(self.dtype) for p in pl])
        return MasterState(0, master, self.inner.init(master))

    def _grads(self, params: Any, grads: Any) -> Any:
        keys, _, gl = match(params, grads)
        return keys, rebuild(keys, [g.astype(self.dtype) for g in gl])

    def update(self, params: Params, grads: Params, state: MasterState, **extra: Any):
        keys, g = self._grads(params, grads)
        master, inner = self.inner.update(state.master, g, state.inner, **extra)
        _, pl = leaves("params", params)
        _, ml = leaves("master", master)
        return rebuild(keys, [m.astype(p.dtype) for p, m in zip(pl, ml)]), MasterState(state.step + 1, master, inner)

    def update_(self, params: Params, grads: Params, state: MasterState, **extra: Any):
        keys, g = self._grads(params, grads)
        master, inner = self.inner.update_(state.master, g, state.inner, **extra)
        for p, m in zip(leaves("params", params)[1], leaves("master", master)[1]):
            np.copyto(p, m, casting="unsafe")
        return params, MasterState(state.step + 1, master, inner)


def master_weights(opt: Any, dtype: Any = np.float32) -> MasterWeights:
    r"""``opt`` run on a ``dtype`` copy of low-precision parameters (mixed-precision training).

    The state holds the master copy :math:`\theta^{32}`; each update casts the
    gradients up, runs ``opt`` on the master copy, and returns the parameters
    rounded to their own dtype (bfloat16 or float16):
    :math:`\theta^{32} \leftarrow \mathrm{opt}(\theta^{32}, g^{32}),\ \theta \leftarrow \mathrm{round}(\theta^{32})`.
    Small updates accumulate in the master copy instead of rounding away.
    """
    return MasterWeights(opt, dtype)


# ----------------------------------------------------------------- accumulate
class AccumulateState(NamedTuple):
    step: int          # calls so far (micro-steps)
    grad_sum: Params
    inner: Any

    BUFFERS = ("grad_sum",)


class Accumulate(_Wrapper):
    """See :func:`accumulate`."""

    def __init__(self, inner: Any, k: int) -> None:
        super().__init__(inner)
        self.k = check_int("k", k, 1)

    def init(self, params: Params) -> AccumulateState:
        keys, pl = leaves("params", params)
        return AccumulateState(0, rebuild(keys, [np.zeros_like(p) for p in pl]), self.inner.init(params))

    def update(self, params: Params, grads: Params, state: AccumulateState, **extra: Any):
        keys, _, gl = match(params, grads)
        total = [s + g for s, g in zip(leaves("grad_sum", state.grad_sum)[1], gl)]
        inner, step = state.inner, state.step + 1
        if step % self.k == 0:
            mean = rebuild(keys, [s / self.k for s in total])
            params, inner = self.inner.update(params, mean, inner, **extra)
            total = [np.zeros_like(s) for s in total]
        return params, AccumulateState(step, rebuild(keys, total), inner)

    def update_(self, params: Params, grads: Params, state: AccumulateState, **extra: Any):
        keys, _, gl = match(params, grads)
        total = leaves("grad_sum", state.grad_sum)[1]
        for s, g in zip(total, gl):
            s += g
        inner, step = state.inner, state.step + 1
        if step % self.k == 0:
            for s in total:
                s /= self.k
            params, inner = self.inner.update_(params, state.grad_sum, inner, **extra)
            for s in total:
                s[...] = 0
        return params, AccumulateState(step, state.grad_sum, inner)


def accumulate(opt: Any, k: int) -> Accumulate:
    r"""``opt`` stepping once every ``k`` calls, with the mean of the ``k`` gradients.

    Calls that do not complete a group only add their gradient to the sum
    held in the state and return the parameters unchanged. With ``k``
    micro-batches of equal size this is one step on their union, at the
    memory of one micro-batch: :math:`\theta \leftarrow \mathrm{opt}(\theta, \tfrac1k\sum_{j=1}^k g_j)`.
    """
    return Accumulate(opt, k)


# ----------------------------------------------------------------- scale_loss
class ScaleLossState(NamedTuple):
    step: int
    skipped: int       # steps skipped because a gradient was not finite
    inner: Any

    BUFFERS = ()


def unscale_grads(params: Any, grads: Any, scale: float) -> tuple[Any, bool]:
    r"""Gradients of ``scale * loss`` unscaled, :math:`g \cdot (1/s)`, and whether all are finite.

    :math:`1/s` is rounded to each gradient's dtype once, as ``GradScaler.unscale_``
    does (exact for a power of two). Shared by :func:`scale_loss` and
    :func:`descent.precision.dynamic_scale_loss`.
    """
    keys, _, gl = match(params, grads)
    g = [x * x.dtype.type(1.0 / scale) for x in gl]
    return rebuild(keys, g), all(bool(np.all(np.isfinite(x))) for x in g)


class ScaleLoss(_Wrapper):
    """See :func:`scale_loss`."""

    def __init__(self, inner: Any, scale: float) -> None:
        super().__init__(inner)
        self.scale = check_in_range("scale", scale, 0.0, None, low_open=True, allow_array=False)

    def init(self, params: Params) -> ScaleLossState:
        return ScaleLossState(0, 0, self.inner.init(params))

    def _run(self, method: str, params: Any, grads: Any, state: ScaleLossState, extra: dict):
        g, finite = unscale_grads(params, grads, self.scale)
        if not finite:
            return params, state._replace(step=state.step + 1, skipped=state.skipped + 1)
        params, inner = getattr(self.inner, method)(params, g, state.inner, **extra)
        return params, ScaleLossState(state.step + 1, state.skipped, inner)

    def update(self, params: Params, grads: Params, state: ScaleLossState, **extra: Any):
        return self._run("update", params, grads, state, extra)

    def update_(self, params: Params, grads: Params, state: ScaleLossState, **extra: Any):
        return self._run("update_", params, grads, state, extra)


def scale_loss(opt: Any, scale: float) -> ScaleLoss:
    r"""``opt`` fed the gradients of ``scale * loss``, divided by ``scale`` first (static loss scaling).

    In float16 small gradients flush to zero; computing the gradient of the
    scaled loss keeps them representable. The wrapper applies
    :math:`g \leftarrow g/s` and skips (and counts, in ``state.skipped``) a
    step whose unscaled gradients are not all finite, as an overflow.
    """
    return ScaleLoss(opt, scale)

r"""The optimizer protocol: ``init``, the pure ``update`` and the in-place ``update_``.

Every optimizer implements one elementwise rule, ``_leaf_``, written with
in-place NumPy operations on one parameter array, its gradient and its
buffers. Both entry points run that same code:

- ``update`` copies the parameters and the buffers and applies the rule to the
  copies, so it never writes into its inputs;
- ``update_`` applies the rule to the caller's arrays, one cache-sized block
  at a time, so every temporary stays in the CPU cache and nothing of the
  parameters' size is allocated.

An elementwise rule computes each entry from the same entries of its inputs,
so a block sees exactly the operations the whole array would: the two entry
points agree bit for bit.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np

from .._validation import check_schedule_value
from ._tree import (NONNEG, Interval, Params, cast, check_broadcast, check_state_dtype,
                    leaves, match, nonzero, rebuild, state_leaves)

CHUNK = 1 << 15  # float32 numbers per block of update_ (128 KiB; scaled by itemsize for other dtypes)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _check_lr(lr: Any, interval: Interval) -> Any:
    if callable(lr):
        return lr
    return interval.check("lr", lr)


def _check_pair(name: str, value: Any, interval: Interval) -> tuple[Any, Any]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair ({name[:-1]}1, {name[:-1]}2); got {value!r}")
    return tuple(interval.check(f"{name[:-1]}{i + 1}", v) for i, v in enumerate(value))


def buffers(state: Any) -> dict[str, Any]:
    """The named per-parameter buffers a state holds (no step counters).

    Only the buffers the optimizer's configuration uses are allocated, so the
    memory an optimizer needs per parameter can be read from its state:

    >>> import numpy as np
    >>> from descent.optim import Adam
    >>> sorted(buffers(Adam().init(np.zeros(3))))
    ['exp_avg', 'exp_avg_sq']
    """
    names = getattr(type(state), "BUFFERS", None)
    if names is None:
        raise TypeError(f"state must be an optimizer state (from init); got {type(state).__name__}")
    out = {n: getattr(state, n) for n in names if getattr(state, n) is not None}
    for value in state:
        if hasattr(type(value), "BUFFERS"):  # a wrapper's inner state
            out.update(buffers(value))
    return out


def copy_state(state: Any) -> Any:
    """A copy of ``state`` whose buffers are new arrays (``update_`` writes into the old ones)."""
    def dup(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return x.copy()
        if isinstance(x, dict):
            return {k: dup(v) for k, v in x.items()}
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*(dup(v) for v in x))
        return x
    return dup(state)


def _varies(x: Any, ndim: int, n: int) -> bool:
    """Whether ``x`` holds a hyperparameter array varying along the rows of a leaf (a grid of runs)."""
    if isinstance(x, np.ndarray):
        return x.ndim == ndim and x.shape[0] == n > 1
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return any(_varies(v, ndim, n) for v in x)
    return False


def _rows(x: Any, sl: slice, ndim: int, n: int) -> Any:
    """``x[sl]`` if ``x`` is a hyperparameter array varying along the rows of a leaf, else ``x``."""
    if isinstance(x, np.ndarray) and x.ndim == ndim and x.shape[0] == n > 1:
        return x[sl]
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_rows(v, sl, ndim, n) for v in x)
    return x


class Optimizer:
    """Base class: trees, step counting, schedules, ``maximize`` and the block loop.

    A subclass declares ``State`` (a ``NamedTuple`` whose first field is
    ``step`` and whose class attribute ``BUFFERS`` names its per-parameter
    buffers), ``RANGES`` (each real hyperparameter's :class:`Interval`, keyed
    by constructor argument) and implements ``_leaf_(p, g, b, t, lr, ctx, dt)``:
    update the array ``p`` and the buffers ``b[name]`` in place from the
    gradient ``g`` (never written) at step ``t`` with learning rate ``lr``,
    computing in dtype ``dt`` (coefficients pass through :func:`cast`).

    Optional hooks: ``_uses(name)`` (whether this configuration allocates a
    buffer), ``_init_buffer``, ``_buffer_shape`` (buffers need not be shaped
    like the parameters when ``elementwise`` is False), ``_extra_init`` and
    ``_context(state, t, extra)`` (per-step quantities shared by every leaf,
    e.g. from the ``**extra`` arguments of ``update``).
    """

    State: ClassVar[type]
    RANGES: ClassVar[dict[str, Interval]] = {}
    elementwise: ClassVar[bool] = True
    maximize: bool = False
    state_dtype: np.dtype | None = None

    # -------------------------------------------------------------- hyperparameters
    def _set(self, **values: Any) -> None:
        """Validate each value through ``RANGES`` (booleans by type) and store it."""
        for name, value in values.items():
            if name == "lr":
                value = _check_lr(value, self.RANGES.get("lr", NONNEG))
            elif name == "state_dtype":
                value = check_state_dtype(value)
            elif name in self.RANGES:
                interval = self.RANGES[name]
                value = (_check_pair(name, value, interval) if name == "betas"
                         else interval.check(name, value))
            else:
                value = check_bool(name, value)
            setattr(self, name, value)

    def _hypers(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hypers().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------------- init
    def _uses(self, name: str) -> bool:
        return True

    def _buffer_shape(self, name: str, p: np.ndarray) -> tuple:
        return p.shape

    def _init_buffer(self, name: str, p: np.ndarray) -> np.ndarray:
        return np.zeros(self._buffer_shape(name, p), self.state_dtype or p.dtype)

    def _extra_init(self) -> dict[str, Any]:
        return {}

    def init(self, params: Params) -> Any:
        """Return the initial state for ``params``: step 0 and the zeroed buffers this configuration uses."""
        keys, pl = leaves("params", params)
        for name, value in self._hypers().items():
            for i, v in enumerate(value if isinstance(value, tuple) else (value,)):
                if isinstance(v, np.ndarray):
                    label = f"{name[:-1]}{i + 1}" if isinstance(value, tuple) else name
                    for p in pl:
                        check_broadcast(label, v, p.shape)
        fields = {n: rebuild(keys, [self._init_buffer(n, p) for p in pl])
                  for n in self.State.BUFFERS if self._uses(n)}
        return self.State(step=0, **fields, **self._extra_init())

    # ----------------------------------------------------------------------- update
    def _lr_at(self, step: int, pl: list[np.ndarray]) -> Any:
        if not callable(self.lr):
            return self.lr
        value = self.lr(step)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number, np.ndarray)):
            raise TypeError(f"lr schedule returned {value!r} ({type(value).__name__}) at step {step}; "
                            "it must be a real number or an array of them")
        value = check_schedule_value("lr", value, step)
        if np.ndim(value) == 0:
            return float(value)
        for p in pl:
            check_broadcast(f"lr schedule's value at step {step}", value, p.shape)
        return np.asarray(value, dtype=np.float64)

    def _context(self, state: Any, t: int, extra: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Per-step quantities shared by all leaves, and the non-buffer state fields to store."""
        return None, {}

    def _prepare(self, params: Any, grads: Any, state: Any, extra: dict[str, Any]):
        if not isinstance(state, self.State):
            raise TypeError(
                f"state must be the {self.State.__name__} returned by {type(self).__name__}.init; "
                f"got {type(state).__name__}"
            )
        if (type(params) is np.ndarray and type(grads) is np.ndarray and params.shape == grads.shape
                and params.dtype.kind == "f" and grads.dtype.kind == "f"):
            keys, pl, gl = None, [params], [grads]  # the common case, checked in a few lines
        else:
            keys, pl, gl = match(params, grads)
        bufs = {}
        for n in self.State.BUFFERS:
            buf = getattr(state, n)
            if (buf is not None) != self._uses(n):
                held = buf is not None
                raise ValueError(f"state {'holds' if held else 'lacks'} the buffer {n!r}, which this "
                                 f"{type(self).__name__} configuration does {'not ' if held else ''}"
                                 "use; call init(params) again")
            if buf is None:
                continue
            if keys is None and type(buf) is np.ndarray and buf.shape == pl[0].shape and self.elementwise:
                bufs[n] = [buf]
            else:
                bufs[n] = state_leaves(n, buf, keys, [self._buffer_shape(n, p) for p in pl])
        t = state.step + 1
        lr = self._lr_at(state.step, pl)
        ctx, fields = self._context(state, t, extra)
        return keys, pl, gl, bufs, t, lr, ctx, fields

    def update(self, params: Params, grads: Params, state: Any, **extra: Any) -> tuple[Params, Any]:
        """Apply one update; return ``(new_params, new_state)`` without writing into the inputs.

        ``**extra`` carries what some optimizers need besides the gradient
        (a loss value, a curvature estimate); optimizers that need nothing ignore it.
        """
        keys, pl, gl, bufs, t, lr, ctx, fields = self._prepare(params, grads, state, extra)
        pl = [np.array(p, copy=True) for p in pl]
        bufs = {n: [np.array(b, copy=True) for b in bl] for n, bl in bufs.items()}
        self._apply(pl, gl, bufs, t, lr, ctx)
        new = {n: rebuild(keys, bl) for n, bl in bufs.items()}
        return rebuild(keys, pl), state._replace(step=t, **new, **fields)

    def update_(self, params: Params, grads: Params, state: Any, **extra: Any) -> tuple[Params, Any]:
        """Apply one update in place: overwrite ``params`` and the state's buffers.

        Bitwise equal to :meth:`update`; it works on blocks of ``CHUNK``
        numbers and allocates nothing of the parameters' size. The buffers
        must be the state's own (from ``init``, ``update`` or :func:`copy_state`),
        not views of the parameters or gradients. Returns
        ``(params, new_state)``: the same parameter objects, and a state
        holding the same buffer arrays with the step advanced, so a loop reads
        ``params, state = opt.update_(params, grads, state)`` as with ``update``.
        """
        keys, pl, gl, bufs, t, lr, ctx, fields = self._prepare(params, grads, state, extra)
        for i, p in enumerate(pl):
            original = params if keys is None else params[keys[i]]
            if (type(original) is not np.ndarray and not isinstance(original, np.ndarray)
                    or not p.flags.writeable or np.may_share_memory(p, gl[i])):
                where = "" if keys is None else f"[{keys[i]!r}]"
                raise ValueError(f"params{where} must be a writeable ndarray that does not share memory "
                                 f"with grads{where} for an in-place update")
        self._apply(pl, gl, bufs, t, lr, ctx)
        new = {n: getattr(state, n) for n in bufs}
        return params, state._replace(step=t, **new, **fields)

    # ------------------------------------------------------------------ the blocks
    def _apply(self, pl, gl, bufs, t, lr, ctx) -> None:
        """Run the rule on every leaf, in blocks of about ``CHUNK`` float32 numbers' bytes."""
        if len(pl) == 1 and pl[0].size <= CHUNK // 2:  # one small leaf: one call, no blocks
            p, g, b = pl[0], gl[0], {n: bl[0] for n, bl in bufs.items()}
            self._leaf_(p, -g if self.maximize else g, b, t, lr, ctx, np.result_type(p, g, *b.values()))
            return
        for i, (p, g) in enumerate(zip(pl, gl)):
            b = {n: bl[i] for n, bl in bufs.items()}
            dt = np.result_type(p, g, *b.values())
            chunk = max(1, CHUNK * 4 // dt.itemsize)  # temporaries of 128 KiB: in L2, below malloc's mmap threshold
            if not self.elementwise or p.size <= chunk:
                self._step_(p, g, b, t, lr, ctx, dt)
                continue
            n, arrays = p.shape[0], [p, g, *b.values()]
            varies = any(_varies(x, p.ndim, n) for x in (lr, ctx, *self._hypers().values()))
            if not varies and all(a.flags.c_contiguous for a in arrays):
                flat = [a.reshape(-1) for a in arrays]
                for s in range(0, p.size, chunk):
                    f = [a[s:s + chunk] for a in flat]
                    self._step_(f[0], f[1], dict(zip(b, f[2:])), t, lr, ctx, dt)
                continue
            per = max(1, chunk // max(1, p.size // n))
            for s in range(0, n, per):
                sl = slice(s, s + per)
                opt = self
                if varies:
                    opt = copy.copy(self)
                    for k, v in self._hypers().items():
                        setattr(opt, k, _rows(v, sl, p.ndim, n))
                opt._step_(p[sl], g[sl], {k: v[sl] for k, v in b.items()}, t,
                           _rows(lr, sl, p.ndim, n), _rows(ctx, sl, p.ndim, n), dt)

    def _step_(self, p, g, b, t, lr, ctx, dt) -> None:
        if self.maximize:
            g = -g
        self._leaf_(p, g, b, t, lr, ctx, dt)

    def _leaf_(self, p, g, b, t, lr, ctx, dt) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -------------------------------------------------------------- shared pieces
    def _decay(self, p: np.ndarray, g: np.ndarray, lr: Any, dt: Any, decoupled: bool) -> np.ndarray:
        r"""Weight decay: decoupled shrinks ``p`` in place by :math:`1 - \eta\lambda`; L2 returns :math:`g + \lambda\theta`."""
        wd = self.weight_decay
        if not nonzero(wd):
            return g
        if decoupled:
            p *= cast(1 - lr * wd, dt)
            return g
        return g + cast(wd, dt) * p


__all__ = ["Optimizer", "buffers", "copy_state", "check_bool", "CHUNK"]

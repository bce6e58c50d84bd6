r"""Low-precision formats, loss scaling, mixed-precision training steps and memory accounting.

Four parts, each usable alone:

- **Formats.** :func:`format_info` / :func:`formats` read bits, exponent and
  mantissa widths, range and precision from ``np.finfo`` / ``ml_dtypes.finfo``;
  :func:`round_to` casts with round-to-nearest-even and :func:`stochastic_round`
  rounds up or down at random, with probabilities that make it unbiased.
- **Loss scaling.** :class:`LossScaler` is ``torch.amp.GradScaler``'s state
  machine as pure functions (``init`` / ``update``); :func:`dynamic_scale_loss`
  wraps any :mod:`descent.optim` optimizer with it.
- **Mixed precision.** :class:`MixedPrecision` runs one step of a
  :class:`descent.nn.MLP` in float16 on float32 master weights, with gradient
  accumulation over micro-batches and global-norm clipping.
- **Memory.** :func:`bytes_per_param` counts weights, gradients and optimizer
  state from an optimizer's own ``init``; :func:`zero_bytes_per_param` divides
  them across devices as ZeRO stages 1-3 do (Rajbhandari et al., 2020).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import ml_dtypes
import numpy as np

from ._validation import check_in_range, check_int
from .optim import buffers, clip_grad_norm
from .optim._tree import Params, leaves
from .optim.wrappers import _Wrapper, unscale_grads

__all__ = ["FORMATS", "as_dtype", "format_info", "formats", "round_to", "stochastic_round",
           "LossScaler", "ScalerState", "unscale", "all_finite", "dynamic_scale_loss",
           "MixedState", "MixedPrecision", "bytes_per_param", "zero_bytes_per_param"]

#: The formats of the chapter, widest first.
FORMATS = ("float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2")
_ML = {"bfloat16": ml_dtypes.bfloat16, "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
       "float8_e5m2": ml_dtypes.float8_e5m2}
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


# ---------------------------------------------------------------------- formats
def as_dtype(fmt: Any) -> np.dtype:
    """The dtype of a format given by name (``"bfloat16"``) or as a dtype; TypeError otherwise.

    >>> as_dtype("bfloat16")
    dtype(bfloat16)
    """
    if isinstance(fmt, str) and fmt in _ML:
        return np.dtype(_ML[fmt])
    try:
        dt = np.dtype(fmt)
    except TypeError:
        dt = None
    if dt is None or dt.name not in FORMATS + ("float64",):
        raise TypeError(f"format must be one of {FORMATS} (or float64); got {fmt!r}")
    return dt


def _finfo(dt: np.dtype) -> Any:
    return ml_dtypes.finfo(dt) if dt.name in _ML else np.finfo(dt)


def format_info(fmt: Any) -> dict[str, Any]:
    r"""Bits, exponent and mantissa widths, range and precision of a floating-point format.

    With :math:`p` mantissa (fraction) bits and exponent bias giving the
    smallest normal :math:`2^{e_{\min}}`: machine epsilon is :math:`2^{-p}`
    (the gap above 1), the smallest subnormal is :math:`2^{e_{\min}-p}`, and
    rounding to nearest has relative error at most :math:`2^{-p-1}` (the unit
    roundoff, half of ``eps``).

    >>> info = format_info("float16")
    >>> info["bits"], info["mantissa_bits"], info["max"], info["smallest_subnormal"] == 2.0**-24
    (16, 10, 65504.0, True)
    """
    dt = as_dtype(fmt)
    fi = _finfo(dt)
    return {"name": dt.name, "bits": int(fi.bits), "exponent_bits": int(fi.bits - fi.nmant - 1),
            "mantissa_bits": int(fi.nmant), "max": float(fi.max),
            "smallest_normal": float(fi.smallest_normal),
            "smallest_subnormal": float(fi.smallest_subnormal), "eps": float(fi.eps),
            "unit_roundoff": float(fi.eps) / 2}


def formats(names: Sequence[Any] = FORMATS) -> list[dict[str, Any]]:
    """:func:`format_info` for each format: the rows of the chapter's table.

    >>> [row["bits"] for row in formats()]
    [32, 16, 16, 8, 8]
    """
    return [format_info(n) for n in names]


def round_to(x: Any, fmt: Any) -> np.ndarray:
    """``x`` rounded to ``fmt`` to nearest, ties to even (what ``astype`` does).

    Values beyond the largest finite number become ``inf`` (``nan`` in
    float8_e4m3fn, which has no infinity); values below half the smallest
    subnormal become zero.

    >>> float(round_to(1 + 2.0**-11, "float16")), float(round_to(1e-8, "float16"))
    (1.0, 0.0)
    """
    dt = as_dtype(fmt)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is the documented result
        return np.asarray(x).astype(dt)


def stochastic_round(x: Any, fmt: Any, rng: np.random.Generator) -> np.ndarray:
    r"""``x`` rounded to ``fmt`` at random, unbiased: :math:`\mathbb E[\mathrm{SR}(x)] = x`.

    With :math:`a \le x \le b` the neighbouring representable numbers,

    .. math:: \mathrm{SR}(x) = b \text{ with probability } \frac{x-a}{b-a}, \text{ else } a,

    so representable values are returned exactly and small updates survive on
    average instead of always rounding away. Values of magnitude at least the
    format's maximum, and non-finite values, are rounded to nearest.

    Parameters
    ----------
    x : array_like of real numbers (computed in float64)
    fmt : format name or dtype (see :data:`FORMATS`)
    rng : numpy.random.Generator
        The source of the uniform draws (one per entry).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    dt = as_dtype(fmt)
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        near = a.astype(dt)
    uint = _UINT[dt.itemsize]
    bits = near.view(uint)
    n64 = near.astype(np.float64)
    big = ~np.isfinite(a) | (a >= float(_finfo(dt).max))
    down = (n64 > a) & ~big                       # nearest is above: the other neighbour is below
    up = (n64 < a) & ~big
    other = bits.copy()
    other[down] -= uint(1)
    other[up] += uint(1)
    o64 = other.view(dt).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_other = np.where(down | up, np.abs(a - n64) / np.abs(o64 - n64), 0.0)
    u = rng.random(a.shape)
    out = np.where(u < p_other, o64, n64)
    return (np.copysign(out, x)).astype(dt)


# ----------------------------------------------------------------- loss scaling
class ScalerState(NamedTuple):
    scale: float            # the current loss scale s
    growth_tracker: int     # consecutive finite steps since the last change of s
    skipped: int            # steps skipped so far (non-finite gradients)
    steps: int              # calls of update so far


def all_finite(tree: Params) -> bool:
    """Whether every entry of a tree of arrays is finite (no inf, no NaN)."""
    return all(bool(np.all(np.isfinite(x))) for x in leaves("grads", tree)[1])


def unscale(grads: Params, scale: float) -> tuple[Params, bool]:
    r"""Gradients of the scaled loss divided by ``scale``, and whether all are finite.

    :math:`g \leftarrow g \cdot (1/s)`, with :math:`1/s` rounded to the
    gradient's dtype once, as ``GradScaler.unscale_`` does.
    """
    scale = check_in_range("scale", scale, 0.0, None, low_open=True, allow_array=False)
    return unscale_grads(grads, grads, scale)


class LossScaler:
    r"""Static or dynamic loss scaling with the semantics of ``torch.amp.GradScaler``.

    The backward pass differentiates :math:`s\cdot L`; the gradients are
    divided by :math:`s` (:func:`unscale`) before the optimizer sees them. A
    step whose unscaled gradients hold an inf or NaN is skipped. With
    ``dynamic=True`` the scale then adapts, per call of :meth:`update`:

    .. math::

        \text{overflow:}\quad s \leftarrow \beta_{\downarrow} s,\ n \leftarrow 0; \qquad
        \text{finite:}\quad n \leftarrow n + 1,\
        \text{and if } n = N:\ s \leftarrow \gamma s,\ n \leftarrow 0,

    with growth factor :math:`\gamma` = 2, backoff :math:`\beta_\downarrow` =
    0.5 and growth interval :math:`N` = 2000 by default, from
    :math:`s_0 = 2^{16}`. With ``dynamic=False`` the scale stays
    ``init_scale`` and overflowing steps are still skipped.

    The scaler holds no state: :meth:`init` returns a :class:`ScalerState`
    and :meth:`update` a new one.

    >>> scaler = LossScaler(growth_interval=2)
    >>> st = scaler.init()
    >>> st = scaler.update(st, found_inf=False); st = scaler.update(st, found_inf=False)
    >>> st.scale, scaler.update(st, found_inf=True).scale
    (131072.0, 65536.0)
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, dynamic: bool = True) -> None:
        self.init_scale = check_in_range("init_scale", init_scale, 0.0, None, low_open=True, allow_array=False)
        self.growth_factor = check_in_range("growth_factor", growth_factor, 1.0, None, low_open=True,
                                            allow_array=False)
        self.backoff_factor = check_in_range("backoff_factor", backoff_factor, 0.0, 1.0, low_open=True,
                                             allow_array=False)
        self.growth_interval = check_int("growth_interval", growth_interval, 1)
        if not isinstance(dynamic, (bool, np.bool_)):
            raise TypeError(f"dynamic must be True or False; got {dynamic!r}")
        self.dynamic = bool(dynamic)

    def __repr__(self) -> str:
        return (f"LossScaler(init_scale={self.init_scale!r}, growth_factor={self.growth_factor!r}, "
                f"backoff_factor={self.backoff_factor!r}, growth_interval={self.growth_interval!r}, "
                f"dynamic={self.dynamic!r})")

    def init(self) -> ScalerState:
        """The state before the first step: scale ``init_scale``, nothing counted."""
        return ScalerState(self.init_scale, 0, 0, 0)

    def update(self, state: ScalerState, found_inf: bool) -> ScalerState:
        """The state after a step whose unscaled gradients were (``found_inf``) or were not finite."""
        if not isinstance(state, ScalerState):
            raise TypeError(f"state must be a ScalerState from LossScaler.init; got {type(state).__name__}")
        s, n = state.scale, state.growth_tracker
        if found_inf:
            s, n = (s * self.backoff_factor if self.dynamic else s), 0
        else:
            n += 1
            if n == self.growth_interval:
                s, n = (s * self.growth_factor if self.dynamic else s), 0
        s = float(np.float32(s))  # torch keeps the scale in a float32 tensor
        return ScalerState(s, n, state.skipped + bool(found_inf), state.steps + 1)


class DynamicScaleLossState(NamedTuple):
    step: int
    scaler: ScalerState
    inner: Any

    BUFFERS = ()


class DynamicScaleLoss(_Wrapper):
    """See :func:`dynamic_scale_loss`."""

    def __init__(self, inner: Any, scaler: LossScaler) -> None:
        super().__init__(inner)
        if not isinstance(scaler, LossScaler):
            raise TypeError(f"scaler must be a LossScaler; got {type(scaler).__name__}")
        self.scaler = scaler

    def init(self, params: Params) -> DynamicScaleLossState:
        return DynamicScaleLossState(0, self.scaler.init(), self.inner.init(params))

    def _run(self, method: str, params: Any, grads: Any, state: DynamicScaleLossState, extra: dict):
        if not isinstance(state, DynamicScaleLossState):
            raise TypeError(f"state must come from init; got {type(state).__name__}")
        g, finite = unscale_grads(params, grads, state.scaler.scale)
        inner = state.inner
        if finite:
            params, inner = getattr(self.inner, method)(params, g, inner, **extra)
        return params, DynamicScaleLossState(state.step + 1, self.scaler.update(state.scaler, not finite),
                                             inner)

    def update(self, params: Params, grads: Params, state: DynamicScaleLossState, **extra: Any):
        return self._run("update", params, grads, state, extra)

    def update_(self, params: Params, grads: Params, state: DynamicScaleLossState, **extra: Any):
        return self._run("update_", params, grads, state, extra)


def dynamic_scale_loss(opt: Any, scaler: LossScaler | None = None) -> DynamicScaleLoss:
    r"""``opt`` fed gradients of :math:`s\cdot L`, with :math:`s` adapted by a :class:`LossScaler`.

    Compute the gradients of ``state.scaler.scale * loss``; ``update`` unscales
    them, skips the step on an inf or NaN, and updates the scale. The static
    counterpart is :func:`descent.optim.wrappers.scale_loss`.

    >>> from descent.optim import SGD
    >>> opt = dynamic_scale_loss(SGD(lr=0.5))
    >>> st = opt.init(np.ones(2, np.float32))
    >>> p, st = opt.update(np.ones(2, np.float32), np.full(2, np.inf, np.float32), st)
    >>> p.tolist(), st.scaler.scale, st.scaler.skipped
    ([1.0, 1.0], 32768.0, 1)
    """
    return DynamicScaleLoss(opt, LossScaler() if scaler is None else scaler)


# ---------------------------------------------------------- mixed-precision step
class MixedState(NamedTuple):
    step: int                   # optimizer steps taken (skipped ones not counted)
    master: Params              # float32 master weights
    opt_state: Any              # the optimizer's state for the master weights
    scaler: ScalerState | None  # the loss scaler's state (None: no scaling)


class MixedPrecision:
    r"""Mixed-precision training of a :class:`descent.nn.MLP`: float16 compute, float32 masters.

    One call of :meth:`step` on micro-batches :math:`B_1, \dots, B_k` of
    sizes :math:`n_j` (:math:`N = \sum_j n_j`) does:

    1. copy the master weights :math:`\theta^{32}` into the model in ``compute_dtype``;
    2. for each micro-batch, the forward and backward pass in ``compute_dtype`` on
       the scaled, weighted loss :math:`s\,\tfrac{n_j}{N} L_j` (:math:`L_j` the
       micro-batch mean; the factor multiplies :math:`\partial L_j/\partial f` in
       float32 before it is rounded to ``compute_dtype``, as autocast keeps the
       loss in float32), adding each gradient into a float32 sum
       :math:`G = s \sum_j \tfrac{n_j}{N} \nabla L_j`, which is :math:`s` times the
       gradient of the mean loss over all :math:`N` examples, whatever the sizes;
    3. unscale, :math:`g = G / s`; if any entry is inf or NaN, skip the step
       (the scaler backs off);
    4. clip the *accumulated* gradient by its global norm (``max_norm``), so the
       cap applies to the gradient of the whole batch, not to each micro-batch;
    5. the optimizer step on :math:`\theta^{32}`, and the scaler's update.

    Parameters
    ----------
    opt : descent.optim optimizer
    scaler : LossScaler or None, default None
        None: no loss scaling (:math:`s = 1`; non-finite steps are still skipped).
    compute_dtype : float16 or float32, default float16
        The dtype of the forward and backward pass (``descent.nn`` layers
        compute in float16/32/64; bfloat16 is not supported by them).
    max_norm : float > 0 or None, default None
    loss : "cross_entropy", "mse" or a loss object, default "cross_entropy"

    Example
    -------
    >>> from descent.nn import MLP
    >>> from descent.optim import SGD
    >>> rng = np.random.default_rng(0)
    >>> model = MLP([4, 8, 3], rng=rng)
    >>> mp = MixedPrecision(SGD(lr=0.1), scaler=LossScaler(), max_norm=1.0)
    >>> state = mp.init(model)
    >>> X, y = rng.normal(size=(32, 4)), rng.integers(0, 3, 32)
    >>> state, info = mp.step(model, state, [(X[:16], y[:16]), (X[16:], y[16:])])  # 2 micro-batches
    >>> state.step, info["skipped"], model.params()["0.W"].dtype, state.master["0.W"].dtype
    (1, False, dtype('float16'), dtype('float32'))
    """

    def __init__(self, opt: Any, scaler: LossScaler | None = None, compute_dtype: Any = np.float16,
                 max_norm: float | None = None, loss: Any = "cross_entropy") -> None:
        if not all(hasattr(opt, m) for m in ("init", "update")):
            raise TypeError(f"opt must be a descent.optim optimizer; got {type(opt).__name__}")
        if scaler is not None and not isinstance(scaler, LossScaler):
            raise TypeError(f"scaler must be a LossScaler or None; got {type(scaler).__name__}")
        dt = np.dtype(compute_dtype) if not isinstance(compute_dtype, str) else as_dtype(compute_dtype)
        if dt not in (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"compute_dtype must be float16, float32 or float64 (descent.nn layers); got {dt}")
        self.opt, self.scaler, self.compute_dtype = opt, scaler, dt
        self.max_norm = None if max_norm is None else check_in_range(
            "max_norm", max_norm, 0.0, None, low_open=True, allow_array=False)
        from .nn import _get_loss
        _get_loss(loss)
        self.loss = loss

    def init(self, model: Any) -> MixedState:
        """Master weights (float32 copies of ``model``'s parameters), the optimizer's and the scaler's state."""
        master = {k: np.array(v, dtype=np.float32) for k, v in model.params().items()}
        model.set_params({k: v.astype(self.compute_dtype) for k, v in master.items()})
        return MixedState(0, master, self.opt.init(master), None if self.scaler is None else self.scaler.init())

    def grads(self, model: Any, state: MixedState, batches: Sequence[tuple[Any, Any]]) -> tuple[Params, float]:
        r"""Steps 1-2: the accumulated *scaled* float32 gradient :math:`G` and the mean loss."""
        from .nn import _get_loss
        if not isinstance(state, MixedState):
            raise TypeError(f"state must be a MixedState from init; got {type(state).__name__}")
        batches = list(batches)
        if not batches or not all(isinstance(b, tuple) and len(b) == 2 for b in batches):
            raise ValueError("batches must be a non-empty sequence of (x, y) pairs")
        sizes = [len(x) for x, _ in batches]
        if min(sizes) < 1:
            raise ValueError(f"every micro-batch must hold at least one example; got sizes {sizes}")
        total, cdt = sum(sizes), self.compute_dtype
        s = 1.0 if state.scaler is None else state.scaler.scale
        model.set_params({k: v.astype(cdt) for k, v in state.master.items()})
        acc = {k: np.zeros_like(v) for k, v in state.master.items()}
        mean_loss = 0.0
        for (x, y), n in zip(batches, sizes):
            loss = _get_loss(self.loss)
            y = np.asarray(y)
            value = loss.forward(model.forward(np.asarray(x).astype(cdt)),
                                 y if y.dtype.kind in "iu" else y.astype(cdt))
            mean_loss += value * n / total
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is found in step 3
                d = np.asarray(loss.backward(), np.float32) * np.float32(s * n / total)
                model.backward(d.astype(cdt), input_grad=False)
            for k, g in model.grads().items():
                acc[k] += g.astype(np.float32)
        return acc, mean_loss

    def step(self, model: Any, state: MixedState, batches: Sequence[tuple[Any, Any]]) -> tuple[MixedState, dict]:
        """One training step on the union of ``batches``; returns the new state and a record.

        The record holds ``loss`` (mean over all examples, in ``compute_dtype``),
        ``grad_norm`` (of the unscaled accumulated gradient, before clipping;
        inf or nan when skipped), ``scale`` (used) and ``skipped``.
        """
        acc, mean_loss = self.grads(model, state, batches)
        s = 1.0 if state.scaler is None else state.scaler.scale
        g, finite = unscale(acc, s)
        norm = float(np.sqrt(sum(float(np.sum(np.square(x, dtype=np.float64))) for x in g.values())))
        info = {"loss": mean_loss, "grad_norm": norm, "scale": s, "skipped": not finite}
        sc = state.scaler if self.scaler is None else self.scaler.update(state.scaler, not finite)
        if not finite:
            return state._replace(scaler=sc), info
        if self.max_norm is not None:
            g, _ = clip_grad_norm(g, self.max_norm)
        master, opt_state = self.opt.update(state.master, g, state.opt_state)
        model.set_params({k: v.astype(self.compute_dtype) for k, v in master.items()})
        return MixedState(state.step + 1, master, opt_state, sc), info


# ---------------------------------------------------------------------- memory
def bytes_per_param(opt: Any, param_dtype: Any = "float32", master: bool = False) -> dict[str, float]:
    r"""Bytes per parameter of training with ``opt``, read from its own ``init``.

    Weights and gradients take the parameters' itemsize each; the optimizer's
    buffers are those :func:`descent.optim.buffers` lists for a state built on
    parameters of ``param_dtype``. With ``master=True`` the state is that of
    :func:`descent.optim.master_weights` (a float32 copy, the optimizer's
    buffers in float32). For Adam,

    .. math::

        \text{float32: } 4 + 4 + 8 = 16, \qquad
        \text{mixed (float16 + masters): } 2 + 2 + (4 + 8) = 16,

    the :math:`2\Psi + 2\Psi + K\Psi` with :math:`K = 12` of Rajbhandari et al. (2020).

    >>> from descent.optim import Adam
    >>> bytes_per_param(Adam(), "float16", master=True)
    {'weights': 2.0, 'grads': 2.0, 'master': 4.0, 'optimizer': 8.0, 'total': 16.0}
    """
    from .optim import master_weights
    dt = as_dtype(param_dtype)
    if not all(hasattr(opt, m) for m in ("init", "update")):
        raise TypeError(f"opt must be a descent.optim optimizer; got {type(opt).__name__}")
    n = 1024
    params = np.zeros(n, dtype=dt)
    state = master_weights(opt).init(params) if master else opt.init(params)
    per = {name: sum(x.nbytes for x in leaves(name, buf)[1]) / n for name, buf in buffers(state).items()}
    out = {"weights": float(dt.itemsize), "grads": float(dt.itemsize), "master": per.pop("master", 0.0),
           "optimizer": float(sum(per.values()))}
    out["total"] = out["weights"] + out["grads"] + out["master"] + out["optimizer"]
    return out


def zero_bytes_per_param(counts: dict[str, float], n_devices: int, stage: int) -> float:
    r"""Bytes per parameter held by each of ``n_devices`` under ZeRO ``stage`` 0-3.

    Stage 1 partitions the optimizer state (master weights included), stage 2
    also the gradients, stage 3 also the weights (Rajbhandari et al., 2020):

    .. math::

        P_0 = w + g + o, \quad P_1 = w + g + \frac{o}{N}, \quad
        P_2 = w + \frac{g + o}{N}, \quad P_3 = \frac{w + g + o}{N},

    with :math:`o` = master + optimizer bytes from :func:`bytes_per_param`.

    >>> c = {"weights": 2.0, "grads": 2.0, "master": 4.0, "optimizer": 8.0}
    >>> [zero_bytes_per_param(c, 64, s) for s in range(4)]
    [16.0, 4.1875, 2.21875, 0.25]
    """
    if not isinstance(counts, dict) or not {"weights", "grads", "optimizer"} <= set(counts):
        raise TypeError("counts must be a dict from bytes_per_param (weights, grads, master, optimizer)")
    n = check_int("n_devices", n_devices, 1)
    stage = check_int("stage", stage, 0, 3)
    w, g, o = counts["weights"], counts["grads"], counts.get("master", 0.0) + counts["optimizer"]
    return [w + g + o, w + g + o / n, w + (g + o) / n, (w + g + o) / n][stage]

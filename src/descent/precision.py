r"""Low-precision formats, loss scaling, mixed-precision training steps and memory accounting.

Four parts, each usable alone:

- **Formats.** :func:`format_info` / :func:`formats` read bits, exponent and
  mantissa widths, range and precision from ``np.finfo`` / ``ml_dtypes.finfo``;
  :func:`round_to` casts with round-to-nearest-even and :func:`stochastic_round`
  rounds up or down at random, with probabilities that make it unbiased.
- **Loss scaling.** :class:`LossScaler` is ``torch.amp.GradScaler``'s state
  machine as pure functions (``init`` / ``update``); :func:`dynamic_scale_loss`
  wraps any :mod:`descent.optim` optimizer with it.
- **Mixed precision.** :func:`mixed_step` runs one step of a
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
from .optim._tree import Params, leaves, match, rebuild
from .optim.wrappers import _Wrapper

__all__ = ["FORMATS", "as_dtype", "format_info", "formats", "round_to", "stochastic_round",
           "LossScaler", "ScalerState", "unscale", "all_finite", "dynamic_scale_loss",
           "MixedState", "mixed_init", "mixed_step", "bytes_per_param", "zero_bytes_per_param"]

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
    keys, gl = leaves("grads", grads)
    out = [g * g.dtype.type(1.0 / scale) for g in gl]
    return rebuild(keys, out), all_finite(rebuild(keys, out))


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
        match(params, grads)
        g, finite = unscale(grads, state.scaler.scale)
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

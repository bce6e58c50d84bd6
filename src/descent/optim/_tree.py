"""Parameter trees, dtypes and hyperparameter ranges shared by every optimizer.

A parameter *tree* is one floating-point ndarray or a ``dict`` of them. The
helpers here split a tree into its leaves and check that gradients and state
buffers match the parameters leaf by leaf; :class:`Interval` declares the valid
range of one hyperparameter once, for the constructors and for the sliders of
the explorers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Union

import ml_dtypes
import numpy as np

from .._validation import check_in_range

Params = Union[np.ndarray, "dict[str, np.ndarray]"]
Hyper = Union[float, np.ndarray]
LR = Union[float, np.ndarray, Callable[[int], Any]]

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


# ------------------------------------------------------------------- intervals
@dataclass(frozen=True)
class Interval:
    """The valid range of a real hyperparameter, e.g. ``Interval(0, 1)`` is [0, 1).

    ``None`` leaves an end unbounded. Read by the optimizers' constructors
    (through :meth:`check`) and by the explorers' sliders.

    >>> str(Interval(0, 1)), str(Interval(0, None, low_open=True))
    ('[0, 1)', '(0, inf)')
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = True

    def __str__(self) -> str:
        lo = "(-inf" if self.low is None else ("(" if self.low_open else "[") + f"{self.low:g}"
        hi = "inf)" if self.high is None else f"{self.high:g}" + (")" if self.high_open else "]")
        return f"{lo}, {hi}"

    def contains(self, x: Any) -> bool:
        """Whether every entry of ``x`` lies in the interval (NaN never does)."""
        a = np.asarray(x, dtype=np.float64)
        ok = ~np.isnan(a)
        if self.low is not None:
            ok &= a > self.low if self.low_open else a >= self.low
        if self.high is not None:
            ok &= a < self.high if self.high_open else a <= self.high
        return bool(np.all(ok))

    def clip(self, x: Any) -> Any:
        """``x`` moved into the interval; an open end is replaced by the nearest float inside."""
        lo = -math.inf if self.low is None else (
            math.nextafter(self.low, math.inf) if self.low_open else self.low)
        hi = math.inf if self.high is None else (
            math.nextafter(self.high, -math.inf) if self.high_open else self.high)
        out = np.clip(np.asarray(x, dtype=np.float64), lo, hi)
        return float(out) if out.ndim == 0 else out

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` (a float, or a float64 array for a grid) or raise naming ``name``."""
        return check_in_range(name, value, self.low, self.high, low_open=self.low_open,
                              high_open=self.high_open)


UNIT = Interval(0.0, 1.0)                      # [0, 1): momenta, betas, decays
NONNEG = Interval(0.0, None)                   # [0, inf): lr, eps, weight decay


# ----------------------------------------------------------------------- dtypes
def is_float_dtype(dtype: Any) -> bool:
    """float16/32/64 (and longdouble), or ml_dtypes' bfloat16."""
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype == BFLOAT16


def check_state_dtype(value: Any) -> np.dtype | None:
    """``None`` (buffers in the parameters' dtype) or a floating-point dtype."""
    if value is None:
        return None
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise TypeError(f"state_dtype must be None or a floating-point dtype; got {value!r}") from None
    if not is_float_dtype(dtype):
        raise TypeError(f"state_dtype must be a floating-point dtype (float16/32/64, bfloat16); got {dtype}")
    return dtype


def cast(x: Any, dtype: np.dtype) -> Any:
    """A coefficient in the computation dtype, so that float32 stays float32.

    Coefficients are computed from the hyperparameters in float64, as torch
    computes them in Python floats; a Python float then takes the array's
    dtype by itself (NEP 50), while a NumPy float64 scalar or an array of
    hyperparameters (a grid of runs) is cast explicitly. Either way the
    coefficient is rounded once, so a grid equals its runs one by one.
    """
    if type(x) is float:
        return x
    return np.asarray(x, dtype=dtype)


def sqrt(x: Any) -> Any:
    """Correctly rounded square root of a coefficient: a Python float stays one."""
    return math.sqrt(x) if type(x) is float else np.sqrt(x)


def nonzero(x: Hyper) -> bool:
    """Whether a hyperparameter (float or array) has any nonzero entry."""
    if type(x) is float:
        return x != 0.0
    return bool(np.any(np.asarray(x) != 0))


# ------------------------------------------------------------------------ trees
def check_leaf(name: str, x: Any) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        if isinstance(x, (float, np.floating)):
            x = np.asarray(x)
        else:
            raise TypeError(
                f"{name} must be a floating-point ndarray or a dict of them; got {type(x).__name__}"
            )
    if x.dtype.kind != "f" and x.dtype != BFLOAT16:
        raise TypeError(f"{name} must have a floating-point dtype (float16/32/64, bfloat16); "
                        f"got dtype {x.dtype}")
    return x


def leaves(name: str, tree: Any) -> tuple[list[str] | None, list[np.ndarray]]:
    """Split ``tree`` (an ndarray or a dict of ndarrays) into keys and leaves."""
    if isinstance(tree, dict):
        if not tree:
            raise ValueError(f"{name} must not be an empty dict")
        keys = list(tree)
        return keys, [check_leaf(f"{name}[{k!r}]", tree[k]) for k in keys]
    return None, [check_leaf(name, tree)]


def rebuild(keys: list[str] | None, items: list[Any]) -> Any:
    return items[0] if keys is None else dict(zip(keys, items))


def match(params: Any, grads: Any) -> tuple[list[str] | None, list[np.ndarray], list[np.ndarray]]:
    """Leaves of params and grads in the same order, checked for structure and shape."""
    pk, pl = leaves("params", params)
    gk, gl = leaves("grads", grads)
    if (pk is None) != (gk is None) or (pk is not None and set(pk) != set(gk)):
        raise ValueError(
            "grads must have the same structure as params; "
            f"got params keys {pk if pk is not None else 'ndarray'} and grads keys "
            f"{gk if gk is not None else 'ndarray'}"
        )
    if pk is not None and pk != gk:
        gl = [grads[k] for k in pk]
    for i, (p, g) in enumerate(zip(pl, gl)):
        if p.shape != g.shape:
            where = "" if pk is None else f"[{pk[i]!r}]"
            raise ValueError(
                f"grads{where} must have the shape of params{where} {p.shape}; got {g.shape}"
            )
    return pk, pl, gl


def state_leaves(name: str, buf: Any, keys: list[str] | None, shapes: list[tuple]) -> list[np.ndarray]:
    """The buffer ``name`` of a state, leaf by leaf in the order of ``keys``, checked by shape."""
    if keys is None:
        if isinstance(buf, dict):
            raise ValueError(f"state.{name} is a dict but params is an ndarray; call init(params) again")
        bl = [buf]
    else:
        if not isinstance(buf, dict) or set(buf) != set(keys):
            got = sorted(buf) if isinstance(buf, dict) else "ndarray"
            raise ValueError(f"state does not match params: state.{name} keys {got}, params keys "
                             f"{sorted(keys)}; call init(params) again")
        bl = [buf[k] for k in keys]
    for i, (b, shape) in enumerate(zip(bl, shapes)):
        if np.shape(b) != shape:
            where = "" if keys is None else f"[{keys[i]!r}]"
            raise ValueError(f"state.{name}{where} has shape {np.shape(b)}, but it must have shape "
                             f"{shape} (params{where} has that shape); call init(params) again")
    return bl


def check_broadcast(name: str, value: Any, shape: tuple, what: str = "the parameter shape") -> None:
    """Raise unless the array ``value`` broadcasts to ``shape`` without growing it."""
    try:
        ok = np.broadcast_shapes(np.shape(value), shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{name} has shape {np.shape(value)}, which does not broadcast to {what} {shape}")

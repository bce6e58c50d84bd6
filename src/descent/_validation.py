"""Argument checks shared by every public entry point of :mod:`descent`.

Each check raises ``ValueError`` or ``TypeError`` with a message that names the
argument, the value received and the allowed range, e.g.
``ValueError("beta2 must be in [0, 1); got 1.0")``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "check_real",
    "check_in_range",
    "check_int",
    "check_float_array",
    "check_callable_or_real",
    "check_schedule_value",
]


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, separator=", ")
        return f"array of shape {value.shape}"
    return repr(value)


def _as_real_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be a real number or array; got {value!r}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"{name} must be a real number or array of reals; got {_fmt(value)}")
    return arr


def check_real(name: str, value: Any, *, allow_array: bool = True) -> Any:
    """Return ``value`` after checking it is a finite real number (or array of them)."""
    arr = _as_real_array(name, value)
    if arr.ndim > 0 and not allow_array:
        raise TypeError(f"{name} must be a scalar; got {_fmt(value)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {_fmt(value)}")
    if arr.ndim == 0:
        return float(arr)
    return arr.astype(np.result_type(arr.dtype, np.float64))


def check_in_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = True,
    allow_array: bool = True,
) -> Any:
    """Check that a finite real ``value`` lies in the interval [low, high) (ends configurable).

    ``low=None`` / ``high=None`` leave that end unbounded. Arrays are checked
    element-wise, so a hyperparameter grid is accepted when every entry is valid.
    """
    v = check_real(name, value, allow_array=allow_array)
    arr = np.asarray(v)
    ok = np.ones(arr.shape, dtype=bool)
    if low is not None:
        ok &= arr > low if low_open else arr >= low
    if high is not None:
        ok &= arr < high if high_open else arr <= high
    if not np.all(ok):
        lo = "(-inf" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        raise ValueError(f"{name} must be in {lo}, {hi}; got {_fmt(value) if arr.ndim == 0 else float(bad)}")
    return v


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in [low, high] and return it as ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}]; got {value!r}")
    return int(value)


def check_float_array(
    name: str, value: Any, *, finite: bool = True, min_ndim: int = 0, last_dim: int | None = None
) -> np.ndarray:
    """Return ``value`` as a floating-point ndarray, rejecting integers, booleans and objects.

    Integer arrays are rejected rather than silently converted: an optimizer
    that updated an integer array in place would truncate every step.
    """
    if not isinstance(value, (np.ndarray, float, np.floating, list, tuple)):
        raise TypeError(
            f"{name} must be a floating-point ndarray; got {type(value).__name__}"
        )
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{name} must have a floating-point dtype (float16/32/64); got dtype {arr.dtype}"
        )
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s); got shape {arr.shape}")
    if last_dim is not None and (arr.ndim == 0 or arr.shape[-1] != last_dim):
        raise ValueError(f"{name} must have last dimension {last_dim}; got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values; got non-finite entries")
    return arr


def check_callable_or_real(
    name: str, value: Any, low: float | None = 0.0, high: float | None = None
) -> Any:
    """Accept a callable (a schedule of the step) or a finite real in [low, high)."""
    if callable(value):
        return value
    return check_in_range(name, value, low, high, high_open=False)


def check_schedule_value(name: str, value: Any, step: int) -> Any:
    """Check the value a schedule returned at ``step``."""
    arr = np.asarray(value)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} schedule returned {_fmt(value)} at step {step}; it must be finite and >= 0")
    return value


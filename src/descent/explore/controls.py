r"""Controls of an explorer: sliders, menus and check boxes, following ``ipywidgets.interact``.

A control is given the way :func:`ipywidgets.interact` reads an argument:

- a :class:`Slider` (or a tuple ``(low, high)`` / ``(low, high, step)`` of
  numbers) is a slider, an integer slider when all its numbers are ``int``;
- a list of values is a menu (:class:`Choice`);
- ``True`` / ``False`` is a check box (:class:`Toggle`).

Each control also knows the values it takes in the book (``static``): the
kernel-free page precomputes every combination of these and shows one
``<input type="range">`` (or menu, or check box) per control. A control with
``book=False`` is *live only*: the book keeps it at its initial value.

Labels follow the book's notation (``book/notation.md``): ``lr`` is
:math:`\eta`, ``momentum`` :math:`\beta`, ``betas`` :math:`\beta_1, \beta_2`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

__all__ = ["Slider", "Choice", "Toggle", "as_control", "LABELS", "label", "valid_range", "LIMITS"]

#: Book notation of the hyperparameters and explorer settings, for labels.
LABELS: dict[str, str] = {
    "lr": "η", "momentum": "β", "beta1": "β₁", "beta2": "β₂", "alpha": "β₂ (alpha)", "rho": "β₂ (rho)",
    "eps": "ε", "weight_decay": "λ", "dampening": "dampening", "steps": "T", "batch_size": "B",
    "x0_0": "θ₀,₁", "x0_1": "θ₀,₂", "depth": "depth K", "init": "init", "residual": "residual",
    "batchnorm": "batch norm",
}


def label(name: str, dim: int = 2) -> str:
    """The book's symbol for a control name (the name itself when it has none)."""
    if dim == 1 and name == "x0_0":
        return "θ₀"
    return LABELS.get(name, name)


@dataclass(frozen=True)
class Slider:
    """A slider: range, initial value, log scale, step, and its values in the book.

    An integer slider when ``low``, ``high`` and ``value`` are all ``int``
    (``steps``, ``batch_size``); an integer slider with ``log=True`` offers
    powers of two (and the ends) as its positions.

    Parameters
    ----------
    low, high : float
        The range, ``low < high``; ``low > 0`` when ``log=True``.
    value : float
        Initial value, in ``[low, high]``.
    log : bool, default False
        Logarithmic slider, for rates and batch sizes.
    step : float, optional
        Increment (for a log slider: of ``log10(value)``).
    static : sequence of float, optional
        The values the book's page precomputes (at most 16); a default grid when None.
    book : bool, optional
        ``False``: live only (the book keeps the initial value). ``None``: the
        explorer's default (every hyperparameter slider is in the book).
    """

    low: float
    high: float
    value: float
    log: bool = False
    step: float | None = None
    static: Sequence[float] | None = None
    book: bool | None = None

    def __post_init__(self) -> None:
        for f in ("low", "high", "value"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
                raise TypeError(f"Slider.{f} must be a finite real number; got {v!r}")
        if not self.low < self.high:
            raise ValueError(f"Slider needs low < high; got low={self.low!r}, high={self.high!r}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"Slider.value must be in [{self.low}, {self.high}]; got {self.value!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log Slider needs low > 0; got low={self.low!r}")
        if self.step is not None and not (np.isfinite(self.step) and self.step > 0):
            raise ValueError(f"Slider.step must be > 0; got {self.step!r}")
        if self.static is not None:
            vals = list(self.static)
            if not 1 <= len(vals) <= 16:
                raise ValueError(f"Slider.static must give 1 to 16 values; got {len(vals)}")
            object.__setattr__(self, "static", tuple(vals))
        if self.book not in (None, True, False):
            raise TypeError(f"Slider.book must be True, False or None; got {self.book!r}")

    kind = "slider"

    @property
    def integer(self) -> bool:
        """True when the slider takes integer values."""
        return all(isinstance(v, (int, np.integer)) for v in (self.low, self.high, self.value))

    def options(self) -> list[int]:
        """Positions of an integer log slider: powers of two in range, the ends and the value."""
        lo, hi = int(self.low), int(self.high)
        return sorted({lo, hi, int(self.value)} | {2**k for k in range(64) if lo <= 2**k <= hi})

    def clamp(self, value: Any) -> Any:
        """``value`` clipped to ``[low, high]`` (and snapped to an option or integer)."""
        v = float(value)
        if not np.isfinite(v):
            raise ValueError(f"slider values must be finite; got {value!r}")
        v = min(max(v, float(self.low)), float(self.high))
        if not self.integer:
            return v
        if self.log:
            opts = np.array(self.options(), dtype=float)
            return int(opts[np.argmin(np.abs(np.log(opts) - np.log(max(v, 1e-300))))])
        return int(round(v))

    def grid(self, n: int = 12) -> list[Any]:
        """The book's values: ``static`` if given, else ``n`` values across the range (with the initial value)."""
        if self.static is not None:
            return sorted({self.clamp(v) for v in self.static}, key=float)
        if self.integer and self.log:
            opts = self.options()
            idx = np.unique(np.round(np.linspace(0, len(opts) - 1, min(n, len(opts)))).astype(int))
            return sorted({opts[i] for i in idx} | {int(self.value)})
        if self.log:  # round values: 1-2-5 (or 1-3, or 1) times the decades in range
            decades = np.arange(np.floor(np.log10(self.low)), np.ceil(np.log10(self.high)) + 1)
            for mant in ((1, 2, 5), (1, 3), (1,)):
                vals = np.array([m * 10.0**e for e in decades for m in mant])
                vals = vals[(vals >= self.low * (1 - 1e-9)) & (vals <= self.high * (1 + 1e-9))]
                if vals.size <= n:
                    break
        else:
            vals = np.linspace(self.low, self.high, n)
        out = {self.clamp(float(f"{v:.2g}")) for v in vals} | {self.clamp(self.value)}
        return sorted(out, key=float)


@dataclass(frozen=True)
class Choice:
    """A menu of values (``interact``: a list gives a dropdown); all of them are in the book by default."""

    options: tuple
    value: Any = None
    book: bool | None = None
    kind = "choice"

    def __post_init__(self) -> None:
        opts = tuple(self.options)
        if not opts:
            raise ValueError("Choice needs at least one option")
        object.__setattr__(self, "options", opts)
        if self.value is None:
            object.__setattr__(self, "value", opts[0])
        elif self.value not in opts:
            raise ValueError(f"Choice.value must be one of {list(opts)}; got {self.value!r}")

    def clamp(self, value: Any) -> Any:
        if value not in self.options:
            raise ValueError(f"must be one of {list(self.options)}; got {value!r}")
        return value

    def grid(self, n: int = 0) -> list[Any]:
        return list(self.options)


@dataclass(frozen=True)
class Toggle:
    """A check box (``interact``: a bool gives a checkbox)."""

    value: bool = False
    book: bool | None = None
    kind = "toggle"

    def clamp(self, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"must be True or False; got {value!r}")
        return bool(value)

    def grid(self, n: int = 0) -> list[bool]:
        return [False, True]


def as_control(name: str, spec: Any) -> Slider | Choice | Toggle:
    """Read ``spec`` as ``ipywidgets.interact`` would: Slider/tuple -> slider, list -> menu, bool -> check box."""
    if isinstance(spec, (Slider, Choice, Toggle)):
        return spec
    if isinstance(spec, (bool, np.bool_)):
        return Toggle(bool(spec))
    if isinstance(spec, tuple) and len(spec) in (2, 3) and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in spec):
        lo, hi = spec[0], spec[1]
        step = spec[2] if len(spec) == 3 else None
        ints = all(isinstance(v, (int, np.integer)) for v in spec)
        mid = (lo + hi) // 2 if ints else (lo + hi) / 2
        return Slider(lo, hi, mid, step=step)
    if isinstance(spec, list):
        return Choice(tuple(spec))
    raise TypeError(f"control {name!r}: give a Slider, a (low, high[, step]) tuple, a list of options or a bool; "
                    f"got {spec!r}")


# Valid ranges of known hyperparameters when an optimizer class declares none (RANGES):
# (low, high, low_open, high_open).
LIMITS: dict[str, tuple[float, float, bool, bool]] = {
    "lr": (0.0, np.inf, True, False),
    "momentum": (0.0, 0.999, False, False),
    "beta1": (0.0, 0.999, False, False),
    "beta2": (0.0, 0.999, False, False),
    "alpha": (0.0, 0.999, False, False),
    "rho": (0.0, 0.999, False, False),
    "dampening": (0.0, 1.0, False, False),
    "weight_decay": (0.0, np.inf, False, False),
    "eps": (0.0, np.inf, True, False),
    "steps": (1, np.inf, False, False),
}


def _interval(iv: Any) -> tuple[float, float, bool, bool] | None:
    try:
        return (float(iv.low), float(iv.high), bool(getattr(iv, "low_open", False)),
                bool(getattr(iv, "high_open", False)))
    except (AttributeError, TypeError, ValueError):
        return None


def valid_range(name: str, classes: Sequence[type] = ()) -> tuple[float, float, bool, bool] | None:
    """The valid range of hyperparameter ``name``: the optimizer classes' declared ``RANGES``, else ``LIMITS``.

    ``beta1``/``beta2`` are looked up as themselves and then as ``betas``;
    several classes give the intersection of their ranges.
    """
    found = []
    for cls in classes:
        ranges = getattr(cls, "RANGES", None) or {}
        iv = None
        for key in (name, "betas" if name in ("beta1", "beta2") else None):
            if key is not None and key in ranges:
                iv = ranges[key]
                if isinstance(iv, (tuple, list)) and len(iv) == 2 and not hasattr(iv, "low"):
                    iv = iv[0 if name == "beta1" else 1]
                break
        r = _interval(iv) if iv is not None else None
        if r is not None:
            found.append(r)
    if not found:
        return LIMITS.get(name)
    lo = max(r[0] for r in found)
    hi = min(r[1] for r in found)
    lo_open = any(r[2] for r in found if r[0] == lo)
    hi_open = any(r[3] for r in found if r[1] == hi)
    return lo, hi, lo_open, hi_open


def limit(name: str, spec: Slider, classes: Sequence[type] = ()) -> Slider:
    """Intersect ``spec`` with the valid range of ``name`` (see :func:`valid_range`)."""
    r = valid_range(name, classes)
    if r is None:
        return spec
    lo, hi, lo_open, hi_open = r
    if lo_open and spec.low <= lo:
        raise ValueError(f"the {name} slider must have low > {lo:g}; got low={spec.low!r}")
    low, high = max(spec.low, lo), min(spec.high, hi)
    if hi_open and high >= hi:
        high = hi - 1e-3 * (hi - low) if np.isfinite(hi) else high
    if not low < high:
        raise ValueError(f"the {name} slider range [{spec.low}, {spec.high}] leaves no valid values in [{lo:g}, {hi:g}]")
    cast = int if spec.integer else float
    low, high = cast(low), cast(high)
    static = None if spec.static is None else tuple(min(max(v, low), high) for v in spec.static)
    return replace(spec, low=low, high=high, value=cast(min(max(spec.value, low), high)), static=static)

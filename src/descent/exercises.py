r"""Helpers for exercise check cells: checks that cannot be bypassed.

A coding exercise asks the learner to *write* something the library already
has (a step-size threshold, an accumulation loop, a backward pass). A check
that only compares the learner's answer with the library can be passed by
calling the library. Two tools close that hole:

* :class:`forbid` runs the learner's code with named ``descent`` functions
  made to raise :class:`ShortcutError`, wherever they were imported;
* :class:`spy` records the calls of one method (``problem.grad``, say), so a
  check can measure the *work* done: how many gradient calls, with which
  batch sizes.

:func:`agree` compares a number derived on paper with a measured one and
says by how much they differ, for predict-then-measure exercises.

Examples
--------
>>> import numpy as np
>>> from descent import stochastic as st
>>> with forbid("descent.stochastic.max_stable_lr"):
...     st.max_stable_lr(np.array([1.0, 10.0]))
Traceback (most recent call last):
...
descent.exercises.ShortcutError: this exercise asks you to write it yourself: descent.stochastic.max_stable_lr is disabled here
>>> float(st.max_stable_lr(np.array([1.0, 10.0])))       # restored after the block
0.2
"""

from __future__ import annotations

import functools
import importlib
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["ShortcutError", "forbid", "spy", "Call", "agree"]


class ShortcutError(RuntimeError):
    """Raised when an exercise's code calls a library function the exercise asks it to write."""


def _resolve(path: str) -> tuple[Any, str, Any]:
    """Split ``"descent.mod.name"`` or ``"descent.mod.Class.method"`` into (owner, attr, object)."""
    if not isinstance(path, str) or not path.startswith("descent.") or path.count(".") < 2:
        raise ValueError(f"forbid takes dotted names inside descent, like 'descent.run.minimize'; got {path!r}")
    parts = path.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for p in parts[cut:-1]:
            owner = getattr(owner, p)
        if not hasattr(owner, parts[-1]):
            break
        return owner, parts[-1], getattr(owner, parts[-1])
    raise ValueError(f"forbid: {path!r} does not name an attribute of a descent module")


class forbid:
    """Disable named ``descent`` functions (or classes, or methods) inside a ``with`` block.

    Every reference to the object is replaced while the block runs: the
    attribute of its own module, the same object re-exported by other
    ``descent`` modules, and names bound to it in the calling namespace (the
    notebook's ``from descent.run import minimize``). Calling it raises
    :class:`ShortcutError` naming the function. All are restored on exit.

    Parameters
    ----------
    *names : str
        Dotted paths such as ``"descent.stochastic.max_stable_lr"`` or
        ``"descent.optim.SGD.update"``.
    namespace : dict, optional
        The namespace whose aliases are patched too; default the caller's globals.
    """

    def __init__(self, *names: str, namespace: dict[str, Any] | None = None) -> None:
        if not names:
            raise ValueError("forbid needs at least one name, like 'descent.run.minimize'")
        self.names = names
        self._targets = [_resolve(n) for n in names]
        self._namespace = namespace if namespace is not None else sys._getframe(1).f_globals
        self._saved: list[tuple[Any, str, Any, bool]] = []

    @staticmethod
    def _raiser(path: str, original: Any) -> Callable[..., Any]:
        def disabled(*args: Any, **kwargs: Any) -> Any:
            raise ShortcutError(f"this exercise asks you to write it yourself: {path} is disabled here")
        try:
            functools.update_wrapper(disabled, original)
        except (AttributeError, TypeError):  # pragma: no cover - exotic callables
            pass
        return disabled

    def _patch(self, owner: Any, attr: str, new: Any) -> None:
        had = attr in vars(owner) if not isinstance(owner, dict) else attr in owner
        old = owner[attr] if isinstance(owner, dict) else vars(owner).get(attr)
        self._saved.append((owner, attr, old, had))
        if isinstance(owner, dict):
            owner[attr] = new
        else:
            setattr(owner, attr, new)

    def __enter__(self) -> "forbid":
        for path, (owner, attr, obj) in zip(self.names, self._targets):
            stub = self._raiser(path, obj)
            self._patch(owner, attr, stub)
            for name, mod in list(sys.modules.items()):
                if mod is owner or not (name == "descent" or name.startswith("descent.")):
                    continue
                for a, v in list(vars(mod).items()):
                    if v is obj:
                        self._patch(mod, a, stub)
            for a, v in list(self._namespace.items()):
                if v is obj:
                    self._patch(self._namespace, a, stub)
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, attr, old, had in reversed(self._saved):
            if isinstance(owner, dict):
                owner[attr] = old
            elif had:
                setattr(owner, attr, old)
            else:
                delattr(owner, attr)
        self._saved.clear()


@dataclass
class Call:
    """One recorded call: positional and keyword arguments and the returned value."""

    args: tuple
    kwargs: dict
    result: Any = None


@dataclass
class spy:
    """Record every call of ``obj.name`` inside a ``with`` block; the method still works.

    Parameters
    ----------
    obj : object
        An instance (``problem``) or a class.
    name : str
        The method to watch, e.g. ``"grad"``.

    Attributes
    ----------
    calls : list of Call

    Examples
    --------
    >>> import numpy as np
    >>> from descent.landscapes import LeastSquares
    >>> ls = LeastSquares.synthetic(n_samples=8, dim=2, rng=np.random.default_rng(0))
    >>> with spy(ls, "grad") as grads:
    ...     _ = ls.grad(np.zeros(2), batch=np.arange(3))
    ...     _ = ls.grad(np.zeros(2))
    >>> grads.count, grads.batch_sizes()
    (2, [3, None])
    """

    obj: Any
    name: str
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not callable(getattr(self.obj, self.name, None)):
            raise ValueError(f"spy: {self.obj!r} has no method {self.name!r}")

    def __enter__(self) -> "spy":
        self._had = self.name in getattr(self.obj, "__dict__", {})
        self._old = self.obj.__dict__.get(self.name) if self._had else None
        bound = getattr(self.obj, self.name)

        @functools.wraps(bound)
        def watched(*args: Any, **kwargs: Any) -> Any:
            call = Call(args, dict(kwargs))
            self.calls.append(call)
            call.result = bound(*args, **kwargs)
            return call.result

        object.__setattr__(self.obj, self.name, watched) if not isinstance(self.obj, type) \
            else setattr(self.obj, self.name, watched)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._had:
            object.__setattr__(self.obj, self.name, self._old)
        else:
            object.__delattr__(self.obj, self.name) if not isinstance(self.obj, type) \
                else delattr(self.obj, self.name)

    @property
    def count(self) -> int:
        """Number of recorded calls."""
        return len(self.calls)

    def batch_sizes(self, key: str = "batch") -> list[int | None]:
        """Size of the ``key`` keyword in each call (``None`` where it was absent: a full gradient)."""
        out: list[int | None] = []
        for c in self.calls:
            b = c.kwargs.get(key)
            out.append(None if b is None else int(getattr(b, "size", len(b))))
        return out


def agree(predicted: float, measured: float, *, rtol: float = 0.0, atol: float = 0.0, what: str = "") -> None:
    """Assert that a prediction made on paper and a measurement agree within ``atol + rtol*|predicted|``.

    The tolerance should come from the problem (a standard error, a
    round-off bound), not from the solution's output. Raises AssertionError
    with both numbers and the allowed difference.

    Examples
    --------
    >>> agree(0.2, 0.2001, rtol=1e-3, what="largest stable step")
    >>> agree(0.2, 0.25, rtol=1e-3, what="largest stable step")
    Traceback (most recent call last):
    ...
    AssertionError: largest stable step: predicted 0.2, measured 0.25; they differ by 0.05, more than the allowed 0.0002
    """
    for n, v in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{n} must be a finite number >= 0; got {v!r}")
    p, m = float(predicted), float(measured)
    if not (math.isfinite(p) and math.isfinite(m)):
        raise AssertionError(f"{what or 'value'}: predicted {p:.6g}, measured {m:.6g}; both must be finite")
    allowed = atol + rtol * abs(p)
    if abs(p - m) > allowed:
        raise AssertionError(f"{what or 'value'}: predicted {p:.6g}, measured {m:.6g}; they differ by "
                             f"{abs(p - m):.3g}, more than the allowed {allowed:.3g}")

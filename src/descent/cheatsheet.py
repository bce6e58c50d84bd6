r"""The optimizer cheat sheet, generated from :mod:`descent.optim` so that it cannot drift.

Every class in :data:`descent.optim.OPTIMIZERS` declares its own ``CHEATSHEET``
dictionary: ``"rule"``, the update rule at the default flags in the book's
notation (LaTeX without the dollar signs), and ``"use"``, a one-line typical
use. Everything else on the page is read from the code: the default
hyperparameters from the constructor's signature, and the optimizer state from
``buffers(opt.init(theta))`` on a sample parameter, so a new buffer or a
changed default changes the page.

>>> from descent.optim import SGD, Adam
>>> rows = cheatsheet_rows([SGD, Adam])
>>> rows[1]["name"], rows[1]["buffers"], rows[1]["floats"]
('Adam', ('exp_avg', 'exp_avg_sq'), 2.0)
>>> print(cheatsheet_markdown([Adam]).splitlines()[0])
| optimizer | defaults | state per parameter | typical use |
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import numpy as np

#: The book's symbol for each constructor argument (book/notation.md); others are shown as code.
SYMBOLS = {
    "lr": r"\eta",
    "momentum": r"\beta",
    "dampening": r"\tau",
    "alpha": r"\beta_2",
    "rho": r"\beta_2",
    "eps": r"\varepsilon",
    "weight_decay": r"\lambda",
    "momentum_decay": r"\psi",
}

#: Arguments that are never hyperparameters of the rule, left off the page.
HIDDEN = ("maximize", "state_dtype", "initial_lr")

#: The sample parameter the state is measured on: a matrix, so that matrix-only
#: optimizers can be measured too; its size divides every buffer's size.
SAMPLE_SHAPE = (8, 4)


def _value(x: Any) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_value(v) for v in x) + ")"
    return repr(x)


def defaults(cls: type) -> dict[str, Any]:
    """The constructor's default hyperparameters, in signature order.

    Flags are kept only where their default is True (``nesterov=False`` is the
    absence of a feature, ``rectify=True`` is part of the rule).

    >>> from descent.optim import AdamW
    >>> defaults(AdamW)
    {'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0.01}
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be an optimizer class; got {cls!r}")
    out = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or name in HIDDEN or p.default is inspect.Parameter.empty:
            continue
        if p.default is None or p.default is False:
            continue
        out[name] = p.default
    return out


def format_defaults(values: dict[str, Any]) -> str:
    r"""Defaults in the book's symbols, e.g. ``$\eta$ = 0.001, $(\beta_1, \beta_2)$ = (0.9, 0.999)``."""
    parts = []
    for name, v in values.items():
        if name == "betas":
            key = r"$(\beta_1, \beta_2)$"
        elif name in SYMBOLS:
            key = f"${SYMBOLS[name]}$"
        else:
            key = f"`{name}`"
        parts.append(f"{key} = {_value(v)}")
    return ", ".join(parts)


def state_buffers(cls: type) -> tuple[tuple[str, ...], float, int]:
    """The buffers a default-constructed optimizer holds, their size per parameter, and the maximum.

    Returns ``(names, floats, most)``: the names of the buffers
    ``buffers(cls().init(theta))`` holds for a sample parameter ``theta``, their
    total number of entries divided by ``theta.size`` (floats per parameter),
    and ``len(cls.State.BUFFERS)``, how many buffers the options can allocate.
    """
    from descent.optim import buffers

    theta = np.zeros(SAMPLE_SHAPE)
    try:
        held = buffers(cls().init(theta))
    except Exception as exc:  # say which optimizer broke the page, and why
        raise TypeError(f"the cheat sheet measures {cls.__name__}().init(np.zeros({SAMPLE_SHAPE})); "
                        f"that failed: {exc}") from exc
    floats = sum(np.size(b) for b in held.values()) / theta.size
    return tuple(held), float(floats), len(getattr(cls.State, "BUFFERS", ()))


def cheatsheet_rows(optimizers: Sequence[type] | None = None) -> list[dict[str, Any]]:
    """One row per optimizer: name, rule, use, defaults and state.

    Parameters
    ----------
    optimizers : sequence of optimizer classes, default ``descent.optim.OPTIMIZERS``

    Raises
    ------
    TypeError
        If a class does not declare its own ``CHEATSHEET`` (an inherited one
        would show the parent's rule) or it lacks ``"rule"`` or ``"use"``.
    """
    if optimizers is None:
        from descent.optim import OPTIMIZERS as optimizers
    rows = []
    for cls in optimizers:
        sheet = vars(cls).get("CHEATSHEET") if isinstance(cls, type) else None
        if not isinstance(sheet, dict):
            raise TypeError(f"{getattr(cls, '__name__', cls)!s} must declare its own CHEATSHEET "
                            "= {'rule': ..., 'use': ...} (see descent.cheatsheet)")
        for key in ("rule", "use"):
            if not isinstance(sheet.get(key), str) or not sheet[key].strip():
                raise TypeError(f"{cls.__name__}.CHEATSHEET[{key!r}] must be a non-empty string")
        if "|" in sheet["rule"] + sheet["use"] or "$" in sheet["rule"]:
            raise ValueError(f"{cls.__name__}.CHEATSHEET must not contain '|' (it breaks the table; "
                             r"write \lvert x \rvert) nor '$' in its rule")
        names, floats, most = state_buffers(cls)
        rows.append({"name": cls.__name__, "rule": sheet["rule"], "use": sheet["use"],
                     "defaults": defaults(cls), "buffers": names, "floats": floats, "most": most})
    return rows


def _state(row: dict[str, Any]) -> str:
    n = row["floats"]
    size = "none" if n == 0 else f"{n:g} × $d$"
    names = ", ".join(f"`{b}`" for b in row["buffers"])
    most = row["most"]
    extra = "" if most <= len(row["buffers"]) else f"; up to {most} buffer{'s' if most > 1 else ''} with options"
    return f"{size}" + (f" ({names})" if names else "") + extra


def cheatsheet_markdown(optimizers: Sequence[type] | None = None) -> str:
    """The cheat sheet's table: defaults, state and typical use, one row per optimizer.

    The update rules are too wide for a table cell; :func:`rules_markdown` shows them.
    """
    rows = cheatsheet_rows(optimizers)
    lines = ["| optimizer | defaults | state per parameter | typical use |",
             "| :--- | :--- | :--- | :--- |"]
    for r in rows:
        lines.append(f"| `{r['name']}` | {format_defaults(r['defaults'])} | {_state(r)} | {r['use']} |")
    return "\n".join(lines)


def rules_markdown(optimizers: Sequence[type] | None = None) -> str:
    r"""Each optimizer's update rule as display math, one line per ``;\ ``-separated part.

    >>> from descent.optim import Lion
    >>> print(rules_markdown([Lion]).splitlines()[0])
    **`Lion`**
    """
    blocks = []
    for r in cheatsheet_rows(optimizers):
        parts = [p.strip() for p in r["rule"].split(r";\ ")]
        body = " \\\\\n".join(parts)
        blocks.append(f"**`{r['name']}`**\n\n$$\n\\begin{{gathered}}\n{body}\n\\end{{gathered}}\n$$")
    return "\n\n".join(blocks)

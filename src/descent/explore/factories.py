"""Optimizer factories of an explorer: which hyperparameters each takes, and their default sliders."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .controls import Slider

_RESERVED = ("steps", "batch_size", "x0_0", "x0_1")

_KNOWN = {
    "momentum": Slider(0.0, 0.99, 0.9, step=0.01, static=(0.0, 0.5, 0.8, 0.9, 0.95, 0.99)),
    "beta1": Slider(0.0, 0.999, 0.9, step=0.001, static=(0.0, 0.5, 0.9, 0.99)),
    "beta2": Slider(0.0, 0.999, 0.999, step=0.001, static=(0.9, 0.99, 0.999)),
    "alpha": Slider(0.0, 0.999, 0.99, step=0.001, static=(0.9, 0.99, 0.999)),
    "rho": Slider(0.0, 0.999, 0.9, step=0.001, static=(0.5, 0.9, 0.99)),
    "dampening": Slider(0.0, 1.0, 0.0, step=0.01, static=(0.0, 0.5, 0.9)),
    "weight_decay": Slider(0.0, 0.1, 0.0, step=0.001, static=(0.0, 0.01, 0.1)),
    "eps": Slider(1e-10, 1.0, 1e-8, log=True, step=0.5, static=(1e-8, 1e-4, 1e-2, 1.0)),
}
_ALWAYS = ("lr", "momentum", "beta1", "beta2")


def _default_lr(problem: Any) -> Slider:
    L = getattr(problem, "L", None)
    if isinstance(L, (int, float)) and np.isfinite(L) and L > 0:
        return Slider(10.0 ** np.floor(np.log10(1e-3 / L)), 10.0 ** np.ceil(np.log10(10 / L)),
                      float(10.0 ** np.round(np.log10(0.1 / L))), log=True, step=0.05)
    return Slider(1e-4, 1.0, 1e-2, log=True, step=0.05)


# ------------------------------------------------------------------ factories
@dataclass
class _Factory:
    name: str
    build: Callable[..., Any]
    params: tuple[str, ...]
    required: tuple[str, ...]
    defaults: dict[str, float]
    any_kwargs: bool = False

    def takes(self, p: str) -> bool:
        return p in self.params or (self.any_kwargs and p not in _RESERVED)


def _factory(name: str, f: Any) -> _Factory:
    if not callable(f):
        raise TypeError(f"optimizers[{name!r}] must be a callable (**hyperparameters) -> Optimizer; got {f!r}")
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise TypeError(f"optimizers[{name!r}]: cannot read the signature of {f!r}") from None
    params, required, defaults, any_kw = [], [], {}, False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            any_kw = True
            continue
        if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        if isinstance(f, type) and p.name == "betas":  # an optimizer class: betas -> beta1, beta2
            params += ["beta1", "beta2"]
            if p.default is not p.empty:
                defaults.update(beta1=float(p.default[0]), beta2=float(p.default[1]))
            continue
        params.append(p.name)
        if p.default is p.empty:
            required.append(p.name)
        elif isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
            defaults[p.name] = float(p.default)

    def build(**kw: Any) -> Any:
        if "beta1" in kw and isinstance(f, type):
            kw["betas"] = (kw.pop("beta1"), kw.pop("beta2"))
        return f(**kw)

    return _Factory(name, build, tuple(params), tuple(required), defaults, any_kw)


def _factories(optimizers: Any) -> dict[str, _Factory]:
    if isinstance(optimizers, Mapping):
        items = list(optimizers.items())
    elif isinstance(optimizers, (list, tuple)):
        items = [(getattr(c, "__name__", repr(c)), c) for c in optimizers]
    else:
        raise TypeError(f"optimizers must be a dict name -> factory or a list of optimizer classes; "
                        f"got {type(optimizers).__name__}")
    if not items:
        raise ValueError("optimizers must name at least one optimizer")
    names = [str(n) for n, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"optimizer names must be unique; got {names}")
    return {str(n): _factory(str(n), f) for n, f in items}



def _classes(factories: Mapping[str, _Factory]) -> list[type]:
    """Optimizer classes behind the factories: a class itself, or the class of what it returns."""
    trial = {"lr": 0.01, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "alpha": 0.99, "rho": 0.9,
             "dampening": 0.0, "weight_decay": 0.0, "eps": 1e-8}
    out: list[type] = []
    for f in factories.values():
        kw = {p: f.defaults.get(p, trial.get(p)) for p in f.params}
        if any(v is None for v in kw.values()):
            continue
        try:
            out.append(type(f.build(**kw)))
        except Exception:  # noqa: BLE001 - a factory that cannot run at trial values: no declared ranges
            pass
    return out

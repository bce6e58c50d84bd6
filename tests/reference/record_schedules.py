"""Record torch's learning-rate schedulers as the reference for ``descent.schedules``.

Run by hand from the repository root, with a Python that has torch (the test
suite itself never imports torch)::

    /work/torchvenv/bin/python tests/reference/record_schedules.py

where ``/work/torchvenv`` was made with ``python3 -m venv /work/torchvenv`` and
``/work/torchvenv/bin/pip install torch==2.13.0 numpy``. The script rewrites
``tests/reference/schedules.json``; ``tests/test_reference_schedules.py``
compares every case in it with ``descent``.

What is recorded
----------------
For each case a float64 SGD optimizer (momentum 0.9, one scalar parameter)
gets the torch scheduler named below, and the script reads
``optimizer.param_groups[0]["lr"]`` before each of ``n`` optimizer steps, each
followed by one ``scheduler.step()``. Entry t of ``lr`` is therefore the rate
after t scheduler steps, the rate of update t + 1, which is what the descent
schedule returns at t. For one-cycle cases the momentum of the param group is
recorded the same way.

Each case stores the descent class name and its constructor arguments in
descent's names; the torch scheduler that stands for it is:

==================  =========================================================
descent             torch.optim.lr_scheduler
==================  =========================================================
Constant            LambdaLR(lambda t: 1.0)
StepDecay           StepLR(step_size, gamma)
MultiStep           MultiStepLR(milestones, gamma)
Exponential         ExponentialLR(gamma)
InverseTime         LambdaLR(lambda t: 1 / (1 + decay * t) ** power)
CosineAnnealing     CosineAnnealingLR(T_max, eta_min)
CosineWarmRestarts  CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)
OneCycle            OneCycleLR(max_lr, total_steps, ...) with the same names
Linear              LinearLR(start_factor, end_factor, total_iters)
Warmup(inner, W, f) SequentialLR([LinearLR(start_factor=f, total_iters=W),
                    <inner as above>], milestones=[W])
==================  =========================================================

The optimizer's lr is the schedule's ``lr`` (the inner schedule's for
``Warmup``). The grid below covers the defaults and the edge cases: gamma = 1,
step_size = 1, a milestone at 1, eta_min > 0 and eta_min = lr, T_max = 1 and
steps past T_max, T_0 = 1 and T_mult = 2, 3, the three-phase and linear
one-cycle variants with fractional phase boundaries, and warm-ups of length
0 and 1 and before a milestone of the inner schedule.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler as sch

OUT = Path(__file__).with_name("schedules.json")


def _spec(name: str, **kwargs) -> dict:
    return {"schedule": name, "kwargs": kwargs}


CASES: list[tuple[str, dict, int]] = [
    ("constant", _spec("Constant", lr=0.05), 20),
    ("step-default-gamma", _spec("StepDecay", lr=0.1, step_size=30), 100),
    ("step-size-1", _spec("StepDecay", lr=1.0, step_size=1, gamma=0.5), 40),
    ("step-gamma-1", _spec("StepDecay", lr=0.1, step_size=7, gamma=1.0), 30),
    ("step-gamma-0.9", _spec("StepDecay", lr=0.3, step_size=10, gamma=0.9), 100),
    ("multistep-three", _spec("MultiStep", lr=0.1, milestones=[30, 60, 80]), 100),
    ("multistep-at-1", _spec("MultiStep", lr=0.2, milestones=[1], gamma=0.5), 10),
    ("multistep-consecutive", _spec("MultiStep", lr=0.2, milestones=[1, 2, 3], gamma=0.5), 10),
    ("multistep-gamma-1", _spec("MultiStep", lr=0.1, milestones=[5, 10], gamma=1.0), 20),
    ("multistep-empty", _spec("MultiStep", lr=0.1, milestones=[], gamma=0.5), 10),
    ("exponential-0.95", _spec("Exponential", lr=0.1, gamma=0.95), 200),
    ("exponential-gamma-1", _spec("Exponential", lr=0.1, gamma=1.0), 20),
    ("exponential-0.5", _spec("Exponential", lr=1.0, gamma=0.5), 60),
    ("inverse-time-p1", _spec("InverseTime", lr=0.1, decay=0.1, power=1.0), 100),
    ("inverse-time-sqrt", _spec("InverseTime", lr=0.5, decay=1.0, power=0.5), 100),
    ("inverse-time-p2", _spec("InverseTime", lr=1.0, decay=0.01, power=2.0), 100),
    ("inverse-time-decay-0", _spec("InverseTime", lr=0.1, decay=0.0, power=1.0), 10),
    ("cosine-past-T_max", _spec("CosineAnnealing", lr=0.1, T_max=50), 160),
    ("cosine-eta_min", _spec("CosineAnnealing", lr=0.1, T_max=50, eta_min=0.001), 120),
    ("cosine-T_max-1", _spec("CosineAnnealing", lr=1.0, T_max=1), 8),
    ("cosine-eta_min-equals-lr", _spec("CosineAnnealing", lr=0.1, T_max=7, eta_min=0.1), 20),
    ("cosine-long", _spec("CosineAnnealing", lr=0.1, T_max=300, eta_min=1e-4), 300),
    ("restarts-T_mult-1", _spec("CosineWarmRestarts", lr=0.1, T_0=10), 45),
    ("restarts-T_mult-2", _spec("CosineWarmRestarts", lr=0.1, T_0=5, T_mult=2, eta_min=0.001), 100),
    ("restarts-T_mult-3", _spec("CosineWarmRestarts", lr=0.1, T_0=3, T_mult=3), 60),
    ("restarts-T_0-1", _spec("CosineWarmRestarts", lr=0.1, T_0=1), 10),
    ("restarts-T_0-1-T_mult-2", _spec("CosineWarmRestarts", lr=0.1, T_0=1, T_mult=2, eta_min=0.01), 40),
    ("onecycle-default", _spec("OneCycle", max_lr=0.1, total_steps=100), 100),
    ("onecycle-three-phase", _spec("OneCycle", max_lr=0.1, total_steps=100, three_phase=True), 100),
    ("onecycle-linear", _spec("OneCycle", max_lr=0.1, total_steps=100, anneal_strategy="linear"), 100),
    (
        "onecycle-linear-three-phase",
        _spec("OneCycle", max_lr=1.0, total_steps=37, pct_start=0.45, anneal_strategy="linear", three_phase=True),
        37,
    ),
    (
        "onecycle-custom",
        _spec(
            "OneCycle", max_lr=0.5, total_steps=53, pct_start=0.25, div_factor=10.0,
            final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9,
        ),
        53,
    ),
    ("onecycle-short", _spec("OneCycle", max_lr=0.1, total_steps=7, pct_start=0.5, three_phase=True), 7),
    ("onecycle-fractional-peak", _spec("OneCycle", max_lr=0.1, total_steps=2, pct_start=0.6), 2),
    (
        "warmup-cosine",
        _spec("Warmup", schedule=_spec("CosineAnnealing", lr=0.1, T_max=90), warmup_steps=10, start_factor=0.1),
        130,
    ),
    (
        "warmup-exponential",
        _spec("Warmup", schedule=_spec("Exponential", lr=0.1, gamma=0.97), warmup_steps=5, start_factor=0.5),
        40,
    ),
    (
        "warmup-constant",
        _spec("Warmup", schedule=_spec("Constant", lr=0.1), warmup_steps=20, start_factor=0.01),
        30,
    ),
    (
        "warmup-step",
        _spec("Warmup", schedule=_spec("StepDecay", lr=0.1, step_size=4, gamma=0.5), warmup_steps=3, start_factor=1.0),
        20,
    ),
    (
        "warmup-multistep-at-1",
        _spec("Warmup", schedule=_spec("MultiStep", lr=0.1, milestones=[1, 5]), warmup_steps=3, start_factor=0.2),
        15,
    ),
    (
        "warmup-restarts",
        _spec(
            "Warmup", schedule=_spec("CosineWarmRestarts", lr=0.1, T_0=4, T_mult=2, eta_min=0.001),
            warmup_steps=8, start_factor=0.01,
        ),
        50,
    ),
    (
        "warmup-inverse-time",
        _spec("Warmup", schedule=_spec("InverseTime", lr=0.2, decay=0.5), warmup_steps=4, start_factor=0.25),
        30,
    ),
    (
        "warmup-cosine-eta_min",
        _spec("Warmup", schedule=_spec("CosineAnnealing", lr=0.1, T_max=20, eta_min=0.01), warmup_steps=1, start_factor=0.5),
        30,
    ),
    ("linear-torch-defaults", _spec("Linear", lr=0.05), 10),
    ("linear-to-zero", _spec("Linear", lr=0.1, start_factor=1.0, end_factor=0.0, total_iters=20), 30),
    ("linear-ramp-partial", _spec("Linear", lr=0.5, start_factor=0.25, end_factor=0.9, total_iters=7), 12),
    ("linear-one-iter", _spec("Linear", lr=0.2, start_factor=0.5, end_factor=0.1, total_iters=1), 5),
    (
        "warmup-linear-to-zero",
        _spec("Warmup", schedule=_spec("Linear", lr=0.1, start_factor=1.0, end_factor=0.0, total_iters=15),
              warmup_steps=5, start_factor=0.2),
        25,
    ),
    (
        "warmup-0-steps",
        _spec("Warmup", schedule=_spec("Exponential", lr=0.1, gamma=0.9), warmup_steps=0, start_factor=0.1),
        20,
    ),
]


def _lr_of(spec: dict) -> float:
    kw = spec["kwargs"]
    if spec["schedule"] == "Warmup":
        return _lr_of(kw["schedule"])
    return kw.get("lr", 1.0)


def _build(spec: dict, opt: torch.optim.Optimizer) -> sch.LRScheduler:
    name, kw = spec["schedule"], spec["kwargs"]
    if name == "Constant":
        return sch.LambdaLR(opt, lambda t: 1.0)
    if name == "StepDecay":
        return sch.StepLR(opt, step_size=kw["step_size"], gamma=kw.get("gamma", 0.1))
    if name == "MultiStep":
        return sch.MultiStepLR(opt, milestones=kw["milestones"], gamma=kw.get("gamma", 0.1))
    if name == "Exponential":
        return sch.ExponentialLR(opt, gamma=kw["gamma"])
    if name == "InverseTime":
        decay, power = kw["decay"], kw.get("power", 1.0)
        return sch.LambdaLR(opt, lambda t: 1.0 / (1.0 + decay * t) ** power)
    if name == "CosineAnnealing":
        return sch.CosineAnnealingLR(opt, T_max=kw["T_max"], eta_min=kw.get("eta_min", 0.0))
    if name == "CosineWarmRestarts":
        return sch.CosineAnnealingWarmRestarts(
            opt, T_0=kw["T_0"], T_mult=kw.get("T_mult", 1), eta_min=kw.get("eta_min", 0.0)
        )
    if name == "OneCycle":
        return sch.OneCycleLR(opt, **kw)
    if name == "Linear":
        return sch.LinearLR(
            opt, start_factor=kw.get("start_factor", 1.0 / 3.0), end_factor=kw.get("end_factor", 1.0),
            total_iters=kw.get("total_iters", 5),
        )
    if name == "Warmup":
        w = kw["warmup_steps"]
        ramp = sch.LinearLR(opt, start_factor=kw["start_factor"], total_iters=w)
        inner = _build(kw["schedule"], opt)
        return sch.SequentialLR(opt, [ramp, inner], milestones=[w])
    raise ValueError(f"no torch scheduler for {name}")


def record(spec: dict, n: int) -> dict:
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=_lr_of(spec), momentum=0.9)
    scheduler = _build(spec, opt)
    lrs, momenta = [], []
    for _ in range(n):
        group = opt.param_groups[0]
        lrs.append(float(group["lr"]))
        momenta.append(float(group["momentum"]))
        param.grad = torch.zeros_like(param)
        opt.step()
        scheduler.step()
    out = {"lr": lrs}
    if spec["schedule"] == "OneCycle":
        out["momentum"] = momenta
    return out


def main() -> None:
    torch.set_default_dtype(torch.float64)
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a scheduler warning would mean a misuse here
        for case_id, spec, n in CASES:
            case = {"id": case_id, **spec, "n": n, **record(spec, n)}
            lines.append(json.dumps(case))
    header = json.dumps(
        {
            "torch": torch.__version__,
            "semantics": "lr[t] = optimizer lr after t scheduler.step() calls (the rate of update t+1)",
            "generator": "tests/reference/record_schedules.py",
        }
    )
    OUT.write_text('{"meta": ' + header + ',\n "cases": [\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {len(lines)} cases to {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

"""Record float64 reference trajectories for every optimizer in ``descent.optim``.

This script is run by hand, never by the test suite. It drives the reference
implementations (PyTorch and the authors' AdaBelief and Lion packages) on a
handful of small test problems and stores what they did, so that
``tests/test_reference_optim.py`` can check ``descent.optim`` against them
without importing torch.

Reference versions (pinned; the fixture records them too):

* torch 2.13.0 (CPU wheel): SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW,
  Adamax, NAdam, RAdam, always with ``foreach=False`` (the single-tensor code
  path that ``UPDATE_RULES.md`` was read from)
* adabelief-pytorch 0.2.1: AdaBelief
* lion-pytorch 0.2.5: Lion

How to run it (from the repository root). Use a separate virtual environment,
so that torch never enters the project's own environment::

    python3 -m venv /work/torchvenv
    /work/torchvenv/bin/pip install torch==2.13.0 numpy
    /work/torchvenv/bin/pip install --no-deps adabelief-pytorch==0.2.1 \
        lion-pytorch==0.2.5 tabulate colorama
    /work/torchvenv/bin/python tests/reference/record_optim.py

It overwrites ``tests/reference/optim_trajectories.npz`` (the arrays) and
``tests/reference/optim_cases.json`` (the index of cases), and the float32
recordings ``tests/reference/optim_trajectories_float32.npz`` (same case ids
and keys; its versions are in ``optim_cases.json`` under ``float32``). All are
fully deterministic, so running it twice gives identical arrays.
``--dtype float64`` or ``--dtype float32`` records one of the two only.

Float32: the same cases with float32 tensors, as torch computes them on
the CPU (every operation in float32). The gradient is computed in float64 at
the reference's float32 parameters and rounded to float32 before it is fed.
Torch's kernels may fuse a multiply and an add (one rounding instead of two),
so the test compares at a float32 tolerance, not bit for bit.

Method: teacher forcing. At every step the script computes the test problem's
gradient at the *reference's* current parameters, hands that gradient to the
reference optimizer, and records the pair (gradient fed at step t, parameters
after step t). The test then feeds the very same gradients to ``descent``, so
any disagreement comes from the update rule alone and cannot be amplified by
the problem's dynamics.

Test problems (all float64, defined below):

* ``quadratic``: 6-d ill-conditioned quadratic ``0.5 (x-x*)^T A (x-x*)``, with
  a fixed rotation and eigenvalues from 1e-2 to 1e2 (condition number 1e4);
  a plain array parameter.
* ``rosenbrock``: the 2-d Rosenbrock function from (-1.2, 1); a plain array.
* ``decades``: a separable quadratic on a dict ``{"w": (3, 2), "b": (2,)}``
  whose curvatures run from 1e-10 to 1e2 and include an exact 0, so gradients
  span twelve decades. On a fixed pattern of steps some coordinates get an
  exact zero gradient.
* ``noisy``: a 6-d quadratic plus a fixed pseudo-random noise sequence, on a
  dict ``{"kernel": (2, 2), "bias": (2,)}``. Gradient signs keep changing,
  which exercises AMSGrad maxima, AdaBelief's belief term and Lion's sign.

A case whose options include ``maximize=True`` gets the *negated* gradient of
its problem, so that maximizing still descends the problem and stays bounded.

Schedules: a few cases drive the learning rate with a torch LR scheduler
(StepLR, ExponentialLR or LambdaLR), stepped once after every optimizer step.
The learning rate each optimizer step actually used is stored per step; the
test turns that array into ``lr=lambda t: lrs[t]`` (``t`` = number of updates
already taken). A descent-expressible description of the schedule is stored
as well.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NPZ_PATH = HERE / "optim_trajectories.npz"
JSON_PATH = HERE / "optim_cases.json"

STEPS = 40  # RAdam / AdaBelief switch to the rectified rule at step 6 with beta2 = 0.999
BOUND = 1e3  # every recorded parameter must stay below this in absolute value


# --------------------------------------------------------------------------
# Test problems. Each has a layout (list of (key, shape)), whether it is
# presented as a plain array ("array") or as a dict ("dict"), an initial flat
# vector and a gradient function grad(flat_x, t) -> flat_g (t = 0, 1, ...).
# --------------------------------------------------------------------------


def _rotation(n: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q * np.sign(np.diag(r))


class Problem:
    def __init__(self, name, layout, structure, x0, grad):
        self.name = name
        self.layout = layout
        self.structure = structure
        self.x0 = np.asarray(x0, dtype=np.float64)
        self.grad = grad
        assert self.x0.size == sum(int(np.prod(s)) for _, s in layout)

    def split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for key, shape in self.layout:
            n = int(np.prod(shape))
            out[key] = flat[i : i + n].reshape(shape).copy()
            i += n
        return out

    def join(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(parts[k]).ravel() for k, _ in self.layout])


def _make_problems() -> dict[str, Problem]:
    problems = {}

    # Ill-conditioned quadratic: eigenvalues 1e-2 .. 1e2 in a rotated basis.
    q = _rotation(6, seed=1)
    eig = np.logspace(-2, 2, 6)
    a_quad = (q * eig) @ q.T
    a_quad = 0.5 * (a_quad + a_quad.T)
    x_star = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.25])
    x0_quad = np.array([-1.5, 2.0, 1.0, -0.5, 2.5, -3.0])
    problems["quadratic"] = Problem(
        "quadratic", [("x", (6,))], "array", x0_quad, lambda x, t: a_quad @ (x - x_star)
    )

    # Rosenbrock, a = 1, b = 100.
    def rosen_grad(x, t):
        u, v = x
        return np.array([-2.0 * (1.0 - u) - 400.0 * u * (v - u * u), 200.0 * (v - u * u)])

    problems["rosenbrock"] = Problem(
        "rosenbrock", [("x", (2,))], "array", [-1.2, 1.0], rosen_grad
    )

    # Gradients spanning many decades, with exact zeros.
    curv = np.array([1e2, 1e-10, 0.0, 1e-4, 1e1, 1e-7, 1e-1, 1e-2])
    target = np.array([0.5, -1.0, 2.0, 1e-3, -0.25, 3.0, 1.0, -2.0])
    x0_dec = np.array([2.0, 4.0, -1.0, 1.0, 1.0, -3.0, 1.0, 5e-3])
    x0_dec[6] = target[6]  # starts at its optimum: gradient exactly 0 until moved

    def decades_grad(x, t):
        g = curv * (x - target)
        idx = np.arange(g.size)
        g[(3 * t + idx) % 5 == 0] = 0.0  # fixed pattern of exact zeros
        return g

    problems["decades"] = Problem(
        "decades", [("w", (3, 2)), ("b", (2,))], "dict", x0_dec, decades_grad
    )

    # Quadratic plus a fixed noise sequence (sign-changing gradients).
    q2 = _rotation(6, seed=2)
    a_noisy = (q2 * np.array([0.3, 0.6, 1.0, 2.0, 4.0, 8.0])) @ q2.T
    a_noisy = 0.5 * (a_noisy + a_noisy.T)
    noise = np.random.default_rng(3).standard_normal((STEPS, 6)) * np.array(
        [1.0, 0.1, 2.0, 0.5, 1e-3, 1.0]
    )
    x0_noisy = np.array([1.0, -1.0, 0.5, 2.0, -0.5, 0.1])

    problems["noisy"] = Problem(
        "noisy",
        [("kernel", (2, 2)), ("bias", (2,))],
        "dict",
        x0_noisy,
        lambda x, t: a_noisy @ x + noise[t],
    )
    return problems


PROBLEMS = _make_problems()


# --------------------------------------------------------------------------
# Cases: (optimizer, label, kwargs, problem, schedule). The case id is
# "{optimizer}-{label}-{problem}". kwargs use the reference's own names and
# are passed unchanged to descent; schedule is None or a description.
# --------------------------------------------------------------------------

STEP_LR = {"kind": "step", "step_size": 10, "gamma": 0.5}
EXP_LR = {"kind": "exponential", "gamma": 0.93}
WARMUP_COSINE = {"kind": "warmup_cosine", "warmup_steps": 5, "total_steps": STEPS}


def _warmup_cosine_factor(e: int) -> float:
    """LambdaLR factor: linear warm-up over 5 steps, then cosine to 0 at STEPS."""
    warm = min(1.0, (e + 1) / WARMUP_COSINE["warmup_steps"])
    return warm * 0.5 * (1.0 + math.cos(math.pi * e / WARMUP_COSINE["total_steps"]))


CASES = [
    # ---- SGD ------------------------------------------------------------
    ("SGD", "defaults", {}, "noisy", None),
    ("SGD", "plain", {"lr": 0.01}, "quadratic", None),
    ("SGD", "momentum", {"lr": 1e-4, "momentum": 0.9}, "rosenbrock", None),
    ("SGD", "dampening0.5", {"lr": 5e-3, "momentum": 0.9, "dampening": 0.5}, "decades", None),
    ("SGD", "dampening1", {"lr": 0.01, "momentum": 0.9, "dampening": 1.0}, "quadratic", None),
    ("SGD", "nesterov", {"lr": 1e-4, "momentum": 0.9, "nesterov": True}, "rosenbrock", None),
    ("SGD", "nesterov-wd", {"lr": 5e-3, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}, "decades", None),
    ("SGD", "wd", {"lr": 0.05, "weight_decay": 0.05}, "noisy", None),
    ("SGD", "maximize", {"lr": 0.01, "momentum": 0.9, "maximize": True}, "quadratic", None),
    ("SGD", "momentum-steplr", {"lr": 0.01, "momentum": 0.9}, "quadratic", STEP_LR),
    # ---- Adagrad ----------------------------------------------------------
    ("Adagrad", "defaults", {}, "decades", None),
    ("Adagrad", "lr_decay", {"lr": 0.1, "lr_decay": 0.05}, "rosenbrock", None),
    ("Adagrad", "init_acc", {"lr": 0.1, "initial_accumulator_value": 0.5}, "decades", None),
    ("Adagrad", "wd", {"lr": 0.1, "weight_decay": 0.1}, "noisy", None),
    ("Adagrad", "large_eps", {"lr": 0.1, "eps": 0.1}, "decades", None),
    ("Adagrad", "maximize", {"lr": 0.05, "maximize": True}, "rosenbrock", None),
    ("Adagrad", "lr_decay-exponential", {"lr": 0.5, "lr_decay": 0.01}, "quadratic", EXP_LR),
    # ---- RMSprop ----------------------------------------------------------
    ("RMSprop", "defaults", {}, "quadratic", None),
    ("RMSprop", "centered", {"lr": 1e-3, "centered": True}, "rosenbrock", None),
    ("RMSprop", "momentum", {"lr": 1e-3, "momentum": 0.9}, "decades", None),
    ("RMSprop", "centered-momentum", {"lr": 1e-2, "centered": True, "momentum": 0.5}, "noisy", None),
    ("RMSprop", "wd-alpha0.9", {"lr": 1e-2, "alpha": 0.9, "weight_decay": 0.1}, "quadratic", None),
    ("RMSprop", "large_eps", {"lr": 1e-2, "eps": 0.1}, "decades", None),
    ("RMSprop", "maximize", {"lr": 1e-2, "maximize": True}, "noisy", None),
    ("RMSprop", "momentum-steplr", {"lr": 1e-3, "momentum": 0.9}, "rosenbrock", STEP_LR),
    # ---- Adadelta ---------------------------------------------------------
    ("Adadelta", "defaults", {}, "quadratic", None),
    ("Adadelta", "rho0.5", {"rho": 0.5}, "rosenbrock", None),
    ("Adadelta", "lr0.5", {"lr": 0.5}, "decades", None),
    ("Adadelta", "wd", {"weight_decay": 0.1}, "noisy", None),
    ("Adadelta", "large_eps", {"eps": 1e-2}, "decades", None),
    ("Adadelta", "maximize", {"maximize": True}, "quadratic", None),
    ("Adadelta", "warmup_cosine", {"lr": 2.0}, "rosenbrock", WARMUP_COSINE),
    # ---- Adam -------------------------------------------------------------
    ("Adam", "defaults", {}, "rosenbrock", None),
    ("Adam", "amsgrad", {"lr": 1e-2, "amsgrad": True}, "decades", None),
    ("Adam", "amsgrad", {"lr": 1e-2, "amsgrad": True}, "noisy", None),
    ("Adam", "wd", {"lr": 1e-2, "weight_decay": 0.1}, "quadratic", None),
    ("Adam", "beta1_0", {"lr": 1e-2, "betas": [0.0, 0.999]}, "rosenbrock", None),
    ("Adam", "large_eps", {"lr": 0.05, "eps": 0.1}, "decades", None),
    ("Adam", "decoupled_wd", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}, "noisy", None),
    # beta2 = 0.9 so that v actually falls and the AMSGrad maximum matters.
    ("Adam", "amsgrad-wd-maximize", {"lr": 1e-2, "betas": [0.9, 0.9], "weight_decay": 0.05, "amsgrad": True, "maximize": True}, "quadratic", None),
    ("Adam", "exponential", {"lr": 0.05}, "rosenbrock", EXP_LR),
    # ---- AdamW ------------------------------------------------------------
    ("AdamW", "defaults", {}, "quadratic", None),
    ("AdamW", "amsgrad", {"lr": 1e-2, "amsgrad": True}, "decades", None),
    ("AdamW", "large_wd", {"lr": 0.05, "weight_decay": 0.5}, "noisy", None),
    ("AdamW", "large_wd", {"lr": 1e-2, "weight_decay": 1.0}, "rosenbrock", None),
    ("AdamW", "maximize", {"lr": 1e-2, "maximize": True}, "noisy", None),
    ("AdamW", "warmup_cosine", {"lr": 0.05, "weight_decay": 0.1}, "decades", WARMUP_COSINE),
    # ---- Adamax -----------------------------------------------------------
    ("Adamax", "defaults", {}, "quadratic", None),
    ("Adamax", "wd", {"lr": 1e-2, "weight_decay": 0.1}, "rosenbrock", None),
    ("Adamax", "betas", {"lr": 0.05, "betas": [0.8, 0.9]}, "decades", None),
    ("Adamax", "large_eps", {"lr": 0.05, "eps": 0.5}, "noisy", None),
    ("Adamax", "maximize", {"lr": 0.02, "maximize": True}, "decades", None),
    ("Adamax", "steplr", {"lr": 0.05}, "noisy", STEP_LR),
    # ---- NAdam ------------------------------------------------------------
    ("NAdam", "defaults", {}, "rosenbrock", None),
    ("NAdam", "momentum_decay0", {"lr": 1e-2, "momentum_decay": 0.0}, "quadratic", None),
    ("NAdam", "wd", {"lr": 1e-2, "weight_decay": 0.1}, "decades", None),
    ("NAdam", "decoupled_wd", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}, "noisy", None),
    ("NAdam", "momentum_decay0.1", {"lr": 1e-2, "momentum_decay": 0.1}, "noisy", None),
    ("NAdam", "maximize", {"lr": 1e-2, "maximize": True}, "rosenbrock", None),
    ("NAdam", "exponential", {"lr": 0.05}, "quadratic", EXP_LR),
    # ---- RAdam ------------------------------------------------------------
    ("RAdam", "defaults", {}, "rosenbrock", None),
    ("RAdam", "lr1e-2", {"lr": 1e-2}, "quadratic", None),
    ("RAdam", "beta2_0.5", {"lr": 1e-2, "betas": [0.9, 0.5]}, "quadratic", None),
    ("RAdam", "beta2_0.6", {"lr": 1e-2, "betas": [0.9, 0.6]}, "noisy", None),
    ("RAdam", "wd", {"lr": 1e-2, "weight_decay": 0.1}, "decades", None),
    ("RAdam", "decoupled_wd", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}, "noisy", None),
    ("RAdam", "maximize", {"lr": 1e-2, "maximize": True}, "decades", None),
    ("RAdam", "exponential", {"lr": 0.02}, "quadratic", EXP_LR),
    # ---- AdaBelief (adabelief-pytorch defaults: eps 1e-16, rectify, decoupled) -
    ("AdaBelief", "defaults", {}, "rosenbrock", None),
    ("AdaBelief", "defaults", {}, "decades", None),
    ("AdaBelief", "lr1e-2", {"lr": 1e-2}, "noisy", None),
    ("AdaBelief", "norectify", {"lr": 1e-2, "rectify": False}, "quadratic", None),
    # With rectify=True the package divides by s, not max(s), once rectified, so
    # amsgrad then has no effect (a quirk); the -norectify case exercises the max.
    ("AdaBelief", "amsgrad", {"lr": 1e-2, "amsgrad": True}, "decades", None),
    ("AdaBelief", "amsgrad-norectify", {"lr": 1e-2, "amsgrad": True, "rectify": False}, "noisy", None),
    ("AdaBelief", "l2", {"lr": 1e-2, "weight_decay": 0.1, "weight_decouple": False}, "noisy", None),
    ("AdaBelief", "decoupled_wd", {"lr": 1e-2, "weight_decay": 0.1}, "decades", None),
    ("AdaBelief", "fixed_decay", {"lr": 1e-2, "weight_decay": 0.01, "fixed_decay": True}, "quadratic", None),
    ("AdaBelief", "no_sgd", {"lr": 1e-2, "degenerated_to_sgd": False}, "rosenbrock", None),
    ("AdaBelief", "eps1e-8", {"lr": 1e-2, "eps": 1e-8, "rectify": False}, "decades", None),
    ("AdaBelief", "eps1e-8-rectify", {"lr": 1e-2, "eps": 1e-8}, "noisy", None),
    ("AdaBelief", "wd-steplr", {"lr": 0.02, "weight_decay": 0.1}, "noisy", STEP_LR),
    # ---- Lion ---------------------------------------------------------------
    ("Lion", "defaults", {}, "rosenbrock", None),
    ("Lion", "defaults", {}, "noisy", None),
    ("Lion", "wd", {"lr": 1e-2, "weight_decay": 0.1}, "quadratic", None),
    ("Lion", "decoupled_wd", {"lr": 1e-2, "weight_decay": 1e-2, "decoupled_weight_decay": True}, "decades", None),
    ("Lion", "betas", {"lr": 1e-2, "betas": [0.95, 0.98]}, "noisy", None),
    ("Lion", "wd-exponential", {"lr": 0.02, "weight_decay": 0.1}, "noisy", EXP_LR),
    # lion-pytorch divides weight_decay by the *constructor* lr; ExponentialLR
    # leaves that as the first step's lr, i.e. lr(0) for a callable schedule.
    ("Lion", "decoupled_wd-exponential", {"lr": 0.02, "weight_decay": 0.05, "decoupled_weight_decay": True}, "quadratic", EXP_LR),
]

OPTIMIZERS = [
    "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW",
    "Adamax", "NAdam", "RAdam", "AdaBelief", "Lion",
]


def case_id(opt: str, label: str, problem: str) -> str:
    return f"{opt}-{label}-{problem}"


# --------------------------------------------------------------------------
# Recording (torch is imported only here).
# --------------------------------------------------------------------------


def _build_reference(torch, opt_name, tensors, kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    if opt_name == "AdaBelief":
        from adabelief_pytorch import AdaBelief

        with contextlib.redirect_stdout(io.StringIO()):  # it prints banners
            return AdaBelief(tensors, print_change_log=False, **kw)
    if opt_name == "Lion":
        from lion_pytorch import Lion

        return Lion(tensors, **kw)
    return getattr(torch.optim, opt_name)(tensors, foreach=False, **kw)


def _build_scheduler(torch, optimizer, schedule):
    if schedule is None:
        return None
    kind = schedule["kind"]
    sched = torch.optim.lr_scheduler
    if kind == "step":
        return sched.StepLR(optimizer, step_size=schedule["step_size"], gamma=schedule["gamma"])
    if kind == "exponential":
        return sched.ExponentialLR(optimizer, gamma=schedule["gamma"])
    if kind == "warmup_cosine":
        return sched.LambdaLR(optimizer, lr_lambda=_warmup_cosine_factor)
    raise ValueError(kind)


def _lion_margin_ok(opt, betas, rel=1e-9):
    """Refuse recordings where Lion's sign argument nearly cancels.

    sign(beta1*m + (1-beta1)*g) could then depend on rounding order, and a
    correct reimplementation might legitimately disagree.
    """
    beta1 = betas[0]
    for group in opt.param_groups:
        for p in group["params"]:
            m = opt.state[p].get("exp_avg")
            if m is None:
                continue
            a = (beta1 * m).numpy()
            b = ((1 - beta1) * p.grad).numpy()
            c = a + b
            scale = np.abs(a) + np.abs(b)
            bad = (scale > 0) & (np.abs(c) < rel * scale)
            if bad.any():
                return False
    return True


def record_case(torch, opt_name, label, kwargs, problem_name, schedule, dtype="float64"):
    prob = PROBLEMS[problem_name]
    sign = -1.0 if kwargs.get("maximize", False) else 1.0
    np_dtype, t_dtype = np.dtype(dtype), getattr(torch, dtype)
    parts0 = {k: v.astype(np_dtype) for k, v in prob.split(prob.x0).items()}
    tensors = [torch.tensor(parts0[k], dtype=t_dtype) for k, _ in prob.layout]
    for t_ in tensors:
        t_.requires_grad_(True)
    opt = _build_reference(torch, opt_name, tensors, kwargs)
    scheduler = _build_scheduler(torch, opt, schedule)

    grads = {k: [] for k, _ in prob.layout}
    params = {k: [parts0[k]] for k, _ in prob.layout}
    lrs = []
    for t in range(STEPS):
        x = prob.join({k: tt.detach().numpy().astype(np.float64) for (k, _), tt in zip(prob.layout, tensors)})
        g = sign * prob.grad(x, t)
        gparts = {k: v.astype(np_dtype) for k, v in prob.split(g).items()}
        for (k, _), tt in zip(prob.layout, tensors):
            grads[k].append(gparts[k].copy())  # copy first: AdaBelief's L2 edits .grad in place
            tt.grad = torch.tensor(gparts[k], dtype=t_dtype)
        lrs.append(float(opt.param_groups[0]["lr"]))
        if opt_name == "Lion":
            betas = kwargs.get("betas", (0.9, 0.99))
            rel = 1e-9 if dtype == "float64" else 1e-5
            assert _lion_margin_ok(opt, betas, rel), f"Lion sign near-tie in {opt_name}-{label}-{problem_name} step {t}"
        opt.step()
        if scheduler is not None:
            scheduler.step()
        for (k, _), tt in zip(prob.layout, tensors):
            params[k].append(tt.detach().numpy().copy())

    arrays = {}
    for k, _ in prob.layout:
        arrays[f"grads/{k}"] = np.stack(grads[k])
        arrays[f"params/{k}"] = np.stack(params[k])
        assert np.isfinite(arrays[f"params/{k}"]).all()
        assert np.abs(arrays[f"params/{k}"]).max() < BOUND, (opt_name, label, problem_name)
    if schedule is not None:
        arrays["lr"] = np.array(lrs)
    else:
        assert all(v == lrs[0] for v in lrs)
    return arrays


NPZ32_PATH = HERE / "optim_trajectories_float32.npz"


def record_float32(torch, versions) -> None:
    """The same cases in float32; arrays only (the index is optim_cases.json)."""
    store = {}
    for opt_name, label, kwargs, problem_name, schedule in CASES:
        cid = case_id(opt_name, label, problem_name)
        arrays = record_case(torch, opt_name, label, kwargs, problem_name, schedule, "float32")
        for name, arr in arrays.items():
            if name != "lr":
                assert arr.dtype == np.float32, (cid, name, arr.dtype)
                store[f"{cid}/{name}"] = arr
        print(f"recorded {cid} (float32)")
    np.savez_compressed(NPZ32_PATH, **store)
    meta = json.loads(JSON_PATH.read_text())
    meta["float32"] = {"file": NPZ32_PATH.name, "versions": versions,
                       "note": "same case ids and keys, float32 tensors and gradients"}
    _write_index(meta)
    print(f"float32 -> {NPZ32_PATH.name} ({NPZ32_PATH.stat().st_size} bytes)")


def _write_index(meta: dict) -> None:
    # One line per case keeps the index short and its diffs readable.
    head = json.dumps({k: v for k, v in meta.items() if k != "cases"}, indent=1)
    body = ",\n".join("  " + json.dumps(entry) for entry in meta["cases"])
    JSON_PATH.write_text(head[:-2] + ',\n "cases": [\n' + body + "\n ]\n}\n")
    assert json.loads(JSON_PATH.read_text()) == meta


def main() -> int:
    import argparse

    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float64", "float32", "both"], default="both")
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)
    import adabelief_pytorch  # noqa: F401  (version check below)
    from importlib.metadata import version

    versions = {
        "torch": version("torch"),
        "adabelief-pytorch": version("adabelief-pytorch"),
        "lion-pytorch": version("lion-pytorch"),
        "numpy": np.__version__,
    }
    assert versions["torch"].split("+")[0] == "2.13.0", versions
    assert versions["adabelief-pytorch"] == "0.2.1", versions
    assert versions["lion-pytorch"] == "0.2.5", versions
    if args.dtype in ("float64", "both"):
        record_float64(torch, versions)
    if args.dtype in ("float32", "both"):
        record_float32(torch, versions)
    return 0


def record_float64(torch, versions) -> None:
    index, store = [], {}
    seen = set()
    for opt_name, label, kwargs, problem_name, schedule in CASES:
        cid = case_id(opt_name, label, problem_name)
        assert cid not in seen, cid
        seen.add(cid)
        arrays = record_case(torch, opt_name, label, kwargs, problem_name, schedule)
        for name, arr in arrays.items():
            store[f"{cid}/{name}"] = arr
        prob = PROBLEMS[problem_name]
        entry = {
            "id": cid,
            "optimizer": opt_name,
            "kwargs": kwargs,
            "problem": problem_name,
            "structure": prob.structure,
            "keys": [k for k, _ in prob.layout],
            "shapes": [list(s) for _, s in prob.layout],
            "steps": STEPS,
            "maximize_negated_grads": bool(kwargs.get("maximize", False)),
            "schedule": None,
        }
        if schedule is not None:
            desc = dict(schedule)
            desc["lr"] = kwargs.get("lr")
            entry["schedule"] = desc
        index.append(entry)
        print(f"recorded {cid}")

    np.savez_compressed(NPZ_PATH, **store)
    meta = {
        "description": (
            "Float64 teacher-forced trajectories of the reference optimizers; "
            "written by tests/reference/record_optim.py. Arrays live in "
            "optim_trajectories.npz under '<id>/grads/<key>' (steps, *shape), "
            "'<id>/params/<key>' (steps + 1, *shape; row 0 is the initial value) "
            "and, for scheduled cases, '<id>/lr' (the lr used by each step). "
            "A structure of 'array' means the parameter is the single array under "
            "its one key; 'dict' means a dict of arrays."
        ),
        "versions": versions,
        "schedules": {
            "step": "lr * gamma ** (t // step_size)  (torch StepLR)",
            "exponential": "lr * gamma ** t  (torch ExponentialLR)",
            "warmup_cosine": (
                "lr * min(1, (t + 1) / warmup_steps) * 0.5 * (1 + cos(pi * t / total_steps))"
                "  (torch LambdaLR)"
            ),
        },
        "cases": index,
    }
    if JSON_PATH.exists() and "float32" in (old := json.loads(JSON_PATH.read_text())):
        meta["float32"] = old["float32"]
    _write_index(meta)
    print(f"{len(index)} cases -> {NPZ_PATH.name} ({NPZ_PATH.stat().st_size} bytes), {JSON_PATH.name}")


if __name__ == "__main__":
    sys.exit(main())

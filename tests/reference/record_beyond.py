"""Record float64 and float32 reference trajectories for chapter 12's optimizers.

Run by hand, never by the test suite; ``tests/test_optim_beyond.py`` replays
the recordings without torch. It follows ``record_optim.py`` exactly (teacher
forcing, the same four test problems, imported from there, plus two matrix
problems for Muon) and writes ``beyond_trajectories.npz``,
``beyond_trajectories_float32.npz`` and the index ``beyond_cases.json``.

References (pinned; the index records the versions):

* Muon: ``torch.optim.Muon`` of torch 2.13.0 (CPU wheel). Torch runs the
  Newton-Schulz iteration in bfloat16. Cases labelled ``ns_dtype: "param"``
  are recorded with ``torch.Tensor.bfloat16`` patched to return a copy in
  the tensor's own dtype for the duration of the step, so torch's own code
  runs the iteration in float64 (float32); the cases labelled
  ``ns_dtype: "bfloat16"`` are torch unmodified, and are compared at a
  tolerance derived from bfloat16's precision.
* Sophia: there is no ``torch.optim`` or PyPI version. ``_SophiaGStep``
  below re-types the two tensor operations of the authors' ``SophiaG``
  (github.com/Liuhong99/Sophia, ``sophia.py``: ``update_hessian`` and
  ``_single_tensor_sophiag``) operation for operation in torch; nothing else
  of the optimizer class is needed. The curvature estimate is fed as the
  reference expects it, as a "gradient" ``g_hat`` whose square enters the
  average; descent receives ``hessian=g_hat * g_hat``. At a refresh step the
  estimate enters *before* that step's update.
* Schedule-free: the ``schedulefree`` package 1.4.1 (``SGDScheduleFree``,
  ``AdamWScheduleFree``, ``foreach=False``), in train mode; the parameters
  recorded are the package's ``y``. Its ``eval()`` point is recorded too
  (``'<id>/eval/<key>'``, after the last step).

How to run it (a separate virtual environment; torch never enters the
project's)::

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy schedulefree==1.4.1
    /tmp/torchvenv/bin/python tests/reference/record_beyond.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from record_optim import BOUND, EXP_LR, STEP_LR, STEPS, WARMUP_COSINE, Problem, PROBLEMS, _build_scheduler, case_id  # noqa: E402

NPZ_PATH = HERE / "beyond_trajectories.npz"
NPZ32_PATH = HERE / "beyond_trajectories_float32.npz"
JSON_PATH = HERE / "beyond_cases.json"


def _matrix_problems() -> dict[str, Problem]:
    rng = np.random.default_rng(12)
    # Least squares in a (4, 3) matrix: 0.5 ||A W - Y||^2 / n, singular values spread by A.
    a = rng.standard_normal((10, 4)) * np.array([3.0, 1.0, 0.3, 0.1])
    y = rng.standard_normal((10, 3))
    w0 = rng.standard_normal((4, 3))
    matrix = Problem("matrix", [("w", (4, 3))], "array", w0.ravel(),
                     lambda x, t: (a.T @ (a @ x.reshape(4, 3) - y) / 10).ravel())
    # Two layers: a tall (5, 3) and a wide (2, 4) matrix, separable curvature plus noise.
    s1, s2 = rng.uniform(0.01, 5.0, (5, 3)), rng.uniform(0.01, 5.0, (2, 4))
    t1, t2 = rng.standard_normal((5, 3)), rng.standard_normal((2, 4))
    noise = rng.standard_normal((STEPS, 23)) * 0.3
    x0 = rng.standard_normal(23)

    def layers_grad(x, t):
        w1, w2 = x[:15].reshape(5, 3), x[15:].reshape(2, 4)
        return np.concatenate([(s1 * (w1 - t1)).ravel(), (s2 * (w2 - t2)).ravel()]) + noise[t]

    layers = Problem("layers", [("w1", (5, 3)), ("w2", (2, 4))], "dict", x0, layers_grad)
    return {"matrix": matrix, "layers": layers}


ALL_PROBLEMS = {**PROBLEMS, **_matrix_problems()}

# Sophia's curvature estimate: g_hat = grad * (1 + 0.5 u_t), u_t a fixed normal sequence,
# refreshed every `every` steps (the paper's k), starting at step 0.
_U = np.random.default_rng(5).standard_normal((STEPS, 64))

CASES = [  # (optimizer, label, kwargs, problem, schedule, extra)
    # ---- Muon ----------------------------------------------------------------
    ("Muon", "defaults", {}, "matrix", None, {"ns_dtype": "param"}),
    ("Muon", "lr0.02", {"lr": 0.02, "weight_decay": 0.0}, "layers", None, {"ns_dtype": "param"}),
    ("Muon", "no-nesterov", {"lr": 0.02, "nesterov": False, "momentum": 0.9}, "matrix", None, {"ns_dtype": "param"}),
    ("Muon", "match_rms", {"lr": 0.01, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.05}, "layers", None, {"ns_dtype": "param"}),
    ("Muon", "ns3", {"lr": 0.02, "ns_steps": 3, "ns_coefficients": [1.5, -0.5, 0.0]}, "layers", None, {"ns_dtype": "param"}),
    ("Muon", "steplr", {"lr": 0.05}, "matrix", STEP_LR, {"ns_dtype": "param"}),
    ("Muon", "bf16", {"lr": 0.02}, "matrix", None, {"ns_dtype": "bfloat16"}),
    ("Muon", "bf16", {"lr": 0.02, "weight_decay": 0.0}, "layers", None, {"ns_dtype": "bfloat16"}),
    # ---- Sophia --------------------------------------------------------------
    ("Sophia", "defaults", {}, "rosenbrock", None, {"every": 10}),
    ("Sophia", "no-hessian", {"lr": 0.01}, "noisy", None, {"every": 0}),
    ("Sophia", "k2", {"lr": 0.05, "rho": 0.05, "bs": 1}, "quadratic", None, {"every": 2}),
    ("Sophia", "k3-wd", {"lr": 0.02, "rho": 0.01, "bs": 8, "weight_decay": 0.2}, "decades", None, {"every": 3}),
    ("Sophia", "betas", {"lr": 0.02, "betas": [0.9, 0.5], "rho": 0.1, "bs": 4}, "noisy", None, {"every": 1}),
    ("Sophia", "maximize", {"lr": 0.02, "rho": 0.05, "bs": 2, "maximize": True}, "layers", None, {"every": 2}),
    ("Sophia", "exponential", {"lr": 0.05, "rho": 0.02, "bs": 10}, "quadratic", EXP_LR, {"every": 5}),
    # ---- Schedule-free SGD --------------------------------------------------
    ("ScheduleFreeSGD", "defaults", {}, "noisy", None, {}),
    ("ScheduleFreeSGD", "lr0.01", {"lr": 0.01}, "quadratic", None, {}),
    ("ScheduleFreeSGD", "momentum0.5-wd", {"lr": 0.005, "momentum": 0.5, "weight_decay": 0.1}, "decades", None, {}),
    ("ScheduleFreeSGD", "warmup-r", {"lr": 1e-3, "warmup_steps": 10, "r": 1.0, "weight_lr_power": 1.0}, "rosenbrock", None, {}),
    ("ScheduleFreeSGD", "steplr", {"lr": 0.02}, "layers", STEP_LR, {}),
    # ---- Schedule-free AdamW ------------------------------------------------
    ("ScheduleFreeAdamW", "defaults", {}, "rosenbrock", None, {}),
    ("ScheduleFreeAdamW", "defaults", {}, "decades", None, {}),
    ("ScheduleFreeAdamW", "warmup-wd", {"lr": 0.05, "warmup_steps": 8, "weight_decay": 0.05}, "noisy", None, {}),
    ("ScheduleFreeAdamW", "betas-r", {"lr": 0.02, "betas": [0.95, 0.9], "r": 2.0, "eps": 1e-3}, "quadratic", None, {}),
    ("ScheduleFreeAdamW", "warmup_cosine", {"lr": 0.05}, "layers", WARMUP_COSINE, {}),
]


# --------------------------------------------------------------------------- references
class _SophiaGStep:
    """The authors' SophiaG update, operation for operation (single-tensor path, capturable=False)."""

    def __init__(self, torch, tensors, lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1,
                 maximize=False, bs=5120):
        self.torch, self.params, self.bs = torch, tensors, bs
        self.param_groups = [dict(lr=lr, betas=tuple(betas), rho=rho, weight_decay=weight_decay, maximize=maximize)]
        self.state = {i: {"exp_avg": torch.zeros_like(p), "hessian": torch.zeros_like(p)} for i, p in enumerate(tensors)}

    def update_hessian(self):  # SophiaG.update_hessian: hessian <- beta2 hessian + (1 - beta2) grad * grad
        beta2 = self.param_groups[0]["betas"][1]
        with self.torch.no_grad():
            for i, p in enumerate(self.params):
                self.state[i]["hessian"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)

    def step(self):  # _single_tensor_sophiag
        g_ = self.param_groups[0]
        beta1, lr, rho, wd = g_["betas"][0], g_["lr"], g_["rho"], g_["weight_decay"]
        with self.torch.no_grad():
            for i, param in enumerate(self.params):
                grad = param.grad if not g_["maximize"] else -param.grad
                exp_avg, hess = self.state[i]["exp_avg"], self.state[i]["hessian"]
                param.mul_(1 - lr * wd)
                exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                ratio = (exp_avg.abs() / (rho * self.bs * hess + 1e-15)).clamp(None, 1)
                param.addcmul_(exp_avg.sign(), ratio, value=-lr)


def _build(torch, name, tensors, kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    if "ns_coefficients" in kw:
        kw["ns_coefficients"] = tuple(kw["ns_coefficients"])
    if name == "Muon":
        return torch.optim.Muon(tensors, **kw)
    if name == "Sophia":
        return _SophiaGStep(torch, tensors, **kw)
    import schedulefree

    cls = {"ScheduleFreeSGD": schedulefree.SGDScheduleFree, "ScheduleFreeAdamW": schedulefree.AdamWScheduleFree}[name]
    opt = cls(tensors, foreach=False, **kw)
    opt.train()
    return opt


class _ExponentialBy:
    """torch's ExponentialLR (lr * gamma ** t, stepped after each update) for _SophiaGStep."""

    def __init__(self, opt, gamma):
        self.opt, self.gamma, self.lr0, self.t = opt, gamma, opt.param_groups[0]["lr"], 0

    def step(self):
        self.t += 1
        self.opt.param_groups[0]["lr"] = self.lr0 * self.gamma ** self.t


class _KeepDtype:
    """While active, ``Tensor.bfloat16()`` returns a copy in the tensor's own dtype."""

    def __init__(self, torch, active):
        self.torch, self.active = torch, active

    def __enter__(self):
        if self.active:
            self.saved = self.torch.Tensor.bfloat16
            self.torch.Tensor.bfloat16 = lambda self_, *a, **k: self_.clone()

    def __exit__(self, *exc):
        if self.active:
            self.torch.Tensor.bfloat16 = self.saved


def record_case(torch, name, label, kwargs, problem_name, schedule, extra, dtype):
    prob = ALL_PROBLEMS[problem_name]
    sign = -1.0 if kwargs.get("maximize", False) else 1.0
    np_dtype, t_dtype = np.dtype(dtype), getattr(torch, dtype)
    parts0 = {k: v.astype(np_dtype) for k, v in prob.split(prob.x0).items()}
    tensors = [torch.tensor(parts0[k], dtype=t_dtype) for k, _ in prob.layout]
    opt = _build(torch, name, tensors, kwargs)
    if name == "Sophia" and schedule is not None:  # not a torch.optim.Optimizer: ExponentialLR by hand
        assert schedule["kind"] == "exponential", schedule
        scheduler = _ExponentialBy(opt, schedule["gamma"])
    else:
        scheduler = _build_scheduler(torch, opt, schedule) if schedule is not None else None
    every = extra.get("every", 0)
    grads = {k: [] for k, _ in prob.layout}
    hgrads = {k: [] for k, _ in prob.layout}
    params = {k: [parts0[k]] for k, _ in prob.layout}
    lrs, refresh = [], []
    for t in range(STEPS):
        x = prob.join({k: tt.detach().numpy().astype(np.float64) for (k, _), tt in zip(prob.layout, tensors)})
        g = sign * prob.grad(x, t)
        gparts = {k: v.astype(np_dtype) for k, v in prob.split(g).items()}
        lrs.append(float(opt.param_groups[0]["lr"]))
        if name == "Sophia":
            on = every > 0 and t % every == 0
            refresh.append(on)
            gh = prob.split(prob.grad(x, t) * (1.0 + 0.5 * _U[t, : x.size]))
            for (k, _), tt in zip(prob.layout, tensors):
                hgrads[k].append(gh[k].astype(np_dtype))
                if on:
                    tt.grad = torch.tensor(hgrads[k][-1], dtype=t_dtype)
            if on:
                opt.update_hessian()
        for (k, _), tt in zip(prob.layout, tensors):
            grads[k].append(gparts[k].copy())
            tt.grad = torch.tensor(gparts[k], dtype=t_dtype)
        with _KeepDtype(torch, extra.get("ns_dtype") == "param"):
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
        assert np.abs(arrays[f"params/{k}"]).max() < BOUND, (name, label, problem_name)
        if name == "Sophia":
            arrays[f"hess_grads/{k}"] = np.stack(hgrads[k])
    if name == "Sophia":
        arrays["refresh"] = np.array(refresh)
    if name.startswith("ScheduleFree"):
        opt.eval()
        for (k, _), tt in zip(prob.layout, tensors):
            arrays[f"eval/{k}"] = tt.detach().numpy().copy()
    if schedule is not None:
        arrays["lr"] = np.array(lrs)
    return arrays


def main() -> int:
    import torch
    from importlib.metadata import version

    torch.set_default_dtype(torch.float64)
    versions = {"torch": version("torch"), "schedulefree": version("schedulefree"), "numpy": np.__version__,
                "sophia": "github.com/Liuhong99/Sophia sophia.py (SophiaG), re-typed in _SophiaGStep"}
    assert versions["torch"].split("+")[0] == "2.13.0", versions
    assert versions["schedulefree"] == "1.4.1", versions
    index, store, store32 = [], {}, {}
    for name, label, kwargs, problem_name, schedule, extra in CASES:
        cid = case_id(name, label, problem_name)
        assert cid not in {c["id"] for c in index}, cid
        for dtype, out in (("float64", store), ("float32", store32)):
            arrays = record_case(torch, name, label, kwargs, problem_name, schedule, extra, dtype)
            for key, arr in arrays.items():
                if dtype == "float64" or key not in ("lr", "refresh"):
                    out[f"{cid}/{key}"] = arr
        prob = ALL_PROBLEMS[problem_name]
        entry = {"id": cid, "optimizer": name, "kwargs": kwargs, "problem": problem_name,
                 "structure": prob.structure, "keys": [k for k, _ in prob.layout],
                 "shapes": [list(s) for _, s in prob.layout], "steps": STEPS,
                 "maximize_negated_grads": bool(kwargs.get("maximize", False)),
                 "schedule": None if schedule is None else {**schedule, "lr": kwargs.get("lr")}, **extra}
        index.append(entry)
        print(f"recorded {cid}")
    np.savez_compressed(NPZ_PATH, **store)
    np.savez_compressed(NPZ32_PATH, **store32)
    meta = {
        "description": ("Teacher-forced trajectories of Muon (torch.optim.Muon), Sophia (the authors' SophiaG "
                        "step) and schedule-free SGD/AdamW (schedulefree); written by "
                        "tests/reference/record_beyond.py. Keys as optim_cases.json, plus "
                        "'<id>/hess_grads/<key>' and '<id>/refresh' (Sophia: the estimate g_hat and whether "
                        "it was fed before step t) and '<id>/eval/<key>' (schedule-free: the eval() point)."),
        "versions": versions,
        "float32": {"file": NPZ32_PATH.name, "note": "same case ids and keys, float32 tensors and gradients"},
        "cases": index,
    }
    head = json.dumps({k: v for k, v in meta.items() if k != "cases"}, indent=1)
    body = ",\n".join("  " + json.dumps(entry) for entry in index)
    JSON_PATH.write_text(head[:-2] + ',\n "cases": [\n' + body + "\n ]\n}\n")
    assert json.loads(JSON_PATH.read_text()) == meta
    print(f"{len(index)} cases -> {NPZ_PATH.name}, {NPZ32_PATH.name}, {JSON_PATH.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""GPU measurements for the chapters on mini-batches (3) and mixed precision (11).

Run by hand on a machine with a CUDA GPU and PyTorch; never by pytest or CI.
The chapters read the CSV files it writes and label them as recorded
measurements, so they execute without a GPU.

    python benchmarks/gpu.py [--out DIR] [--quick]

Writes four CSV files (each with ``# key: value`` provenance lines first, the
format of :mod:`benchmarks._common`):

``gpu_step_cost.csv``
    Time of one mini-batch least-squares gradient step (gather the batch,
    two matrix-vector products, the update) against the batch size B, on the
    GPU and, for the same code, on the host CPU with PyTorch. Chapter 3's
    "cost of a step" measured on hardware built for parallel arithmetic.
``gpu_matmul.csv``
    Square matrix-product throughput in float32 (TF32 off), TF32, float16 and
    bfloat16.
``gpu_train_step.csv``
    One training step of a wide MLP in float32, TF32, float16 autocast with a
    GradScaler, and bfloat16 autocast: time and peak memory.
``gpu_memory.csv``
    Bytes per parameter held by parameters, gradients and optimizer state
    after one step of SGD, SGD with momentum and Adam, in float32 and under
    autocast, read from ``torch.cuda.memory_allocated``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def provenance(command: str) -> dict[str, str]:
    dev = torch.cuda.get_device_properties(0)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": torch.cuda.get_device_name(0),
        "device_memory_GiB": f"{dev.total_memory / 2**30:.1f}",
        "multiprocessors": str(dev.multi_processor_count),
        "cuda": str(torch.version.cuda),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "host_cpus": str(os.cpu_count()),
        "command": command,
    }


def write(path: Path, meta: dict[str, str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        for k, v in meta.items():
            fh.write(f"# {k}: {v}\n")
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


def gpu_time(fn, iters: int, warmup: int = 5) -> float:
    """Median seconds per call over 5 timed blocks of ``iters`` calls, with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(5):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(iters):
            fn()
        b.record()
        torch.cuda.synchronize()
        out.append(a.elapsed_time(b) / 1e3 / iters)
    out.sort()
    return out[2]


def cpu_time(fn, iters: int) -> float:
    fn()
    out = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        out.append((time.perf_counter() - t0) / iters)
    out.sort()
    return out[2]


def step_cost(quick: bool) -> list[dict]:
    """SGD on least squares: one step = gather B rows, residual, gradient, update."""
    rows = []
    for n, d in ((4096, 64), (2**20, 1024)):
        for device in ("cuda", "cpu"):
            if device == "cpu" and n > 4096:
                continue
            g = torch.Generator(device=device).manual_seed(0)
            X = torch.randn(n, d, device=device, generator=g, dtype=torch.float32)
            y = torch.randn(n, device=device, generator=g, dtype=torch.float32)
            theta = torch.zeros(d, device=device)
            top = n if device == "cuda" else 4096
            sizes = [4**k for k in range(12) if 4**k <= top]
            for B in sizes:
                idx = torch.randint(0, n, (B,), device=device, generator=g)

                def step(idx=idx, B=B):
                    xb = X.index_select(0, idx)
                    r = xb @ theta - y.index_select(0, idx)
                    theta.sub_(0.01 / B * (xb.T @ r))

                iters = 50 if quick else 200
                sec = gpu_time(step, iters) if device == "cuda" else cpu_time(step, max(5, iters // 10))
                rows.append({"device": device, "n_samples": n, "dim": d, "batch_size": B,
                             "seconds_per_step": f"{sec:.4e}", "us_per_example": f"{1e6 * sec / B:.4e}"})
                print(f"step {device} N={n} d={d} B={B}: {1e6 * sec:.1f} us")
    return rows


def matmul(quick: bool) -> list[dict]:
    rows = []
    sizes = (1024, 4096) if quick else (1024, 2048, 4096, 8192)
    for name, dtype, tf32 in (("float32", torch.float32, False), ("tf32", torch.float32, True),
                              ("float16", torch.float16, False), ("bfloat16", torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for n in sizes:
            a = torch.randn(n, n, device="cuda", dtype=dtype)
            b = torch.randn(n, n, device="cuda", dtype=dtype)
            iters = max(3, int(2e11 / (2 * n**3))) if name in ("float32",) else max(5, int(1e12 / (2 * n**3)))
            sec = gpu_time(lambda: a @ b, min(iters, 200))
            rows.append({"format": name, "n": n, "seconds": f"{sec:.4e}", "TFLOPs": f"{2 * n**3 / sec / 1e12:.1f}"})
            print(f"matmul {name} n={n}: {2 * n**3 / sec / 1e12:.1f} TFLOP/s")
    torch.backends.cuda.matmul.allow_tf32 = False
    return rows


def mlp(width: int, depth: int) -> torch.nn.Module:
    layers: list[torch.nn.Module] = []
    for _ in range(depth):
        layers += [torch.nn.Linear(width, width), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(width, 10))
    return torch.nn.Sequential(*layers).cuda()


def train_step(quick: bool) -> list[dict]:
    rows = []
    width, depth, batch = (4096, 4, 2048) if quick else (8192, 4, 4096)
    for mode in ("float32", "tf32", "float16 autocast + GradScaler", "bfloat16 autocast"):
        torch.manual_seed(0)
        torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
        model = mlp(width, depth)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        scaler = torch.amp.GradScaler("cuda", enabled=mode.startswith("float16"))
        x = torch.randn(batch, width, device="cuda")
        t = torch.randint(0, 10, (batch,), device="cuda")
        ac = {"float16 autocast + GradScaler": torch.float16, "bfloat16 autocast": torch.bfloat16}.get(mode)

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=ac or torch.float32, enabled=ac is not None):
                loss = torch.nn.functional.cross_entropy(model(x), t)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

        step()
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        sec = gpu_time(step, 5 if quick else 20, warmup=2)
        params = sum(p.numel() for p in model.parameters())
        flops = 6 * batch * params                      # forward 2, backward 4 multiply-adds per weight
        rows.append({"mode": mode, "width": width, "depth": depth, "batch": batch, "params": params,
                     "seconds_per_step": f"{sec:.4e}", "model_TFLOPs": f"{flops / sec / 1e12:.1f}",
                     "peak_memory_GiB": f"{torch.cuda.max_memory_allocated() / 2**30:.2f}"})
        print(f"train {mode}: {1e3 * sec:.1f} ms/step, {flops / sec / 1e12:.1f} TFLOP/s, "
              f"peak {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
        del model, opt
        torch.cuda.empty_cache()
    torch.backends.cuda.matmul.allow_tf32 = False
    return rows


def memory() -> list[dict]:
    """Bytes per parameter held after one optimizer step (no activations kept)."""
    rows = []
    n = 2**26                                          # 67M parameters in one tensor
    for opt_name, make in (("SGD", lambda p: torch.optim.SGD(p, lr=0.1)),
                           ("SGD momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
                           ("Adam", lambda p: torch.optim.Adam(p, lr=1e-3))):
        for params_dtype in (torch.float32, torch.bfloat16):
            torch.cuda.empty_cache()
            base = torch.cuda.memory_allocated()
            w = torch.nn.Parameter(torch.zeros(n, device="cuda", dtype=params_dtype))
            opt = make([w])
            w.grad = torch.ones_like(w)
            opt.step()
            torch.cuda.synchronize()
            held = torch.cuda.memory_allocated() - base
            state = sum(v.numel() * v.element_size() for s in opt.state.values() for v in s.values()
                        if torch.is_tensor(v) and v.numel() == n)
            rows.append({"optimizer": opt_name, "param_dtype": str(params_dtype).replace("torch.", ""),
                         "bytes_per_param_total": f"{held / n:.2f}",
                         "bytes_per_param_state": f"{state / n:.2f}"})
            print(f"memory {opt_name} {params_dtype}: {held / n:.2f} B/param ({state / n:.2f} state)")
            del w, opt
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("benchmarks/gpu.py needs a CUDA GPU")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = provenance("python benchmarks/gpu.py" + (" --quick" if a.quick else ""))
    write(out / "gpu_matmul.csv", meta, matmul(a.quick))
    write(out / "gpu_step_cost.csv", meta, step_cost(a.quick))
    write(out / "gpu_train_step.csv", meta, train_step(a.quick))
    write(out / "gpu_memory.csv", meta, memory())


if __name__ == "__main__":
    main()

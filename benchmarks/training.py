"""Benchmark 3: one training epoch of an MLP, descent.nn against PyTorch on the CPU.

Two networks, both with ReLUs, He initialization and softmax cross entropy,
trained with Adam (lr = 1e-3) on all 1,797 of scikit-learn's 8x8 digits
(pixels scaled to [0, 1]):

- the book's tiny 64-128-10 in mini-batches of 32 (57 updates per epoch);
- a realistic width, 64-1024-1024-10 (1.1 million parameters) in
  mini-batches of 256 (8 updates per epoch), where the matrix products
  dominate and both libraries spend their time in BLAS.

``descent`` runs the loop of ``descent.nn.train_epoch`` (``loss_and_grads``,
then the optimizer's in-place ``update_`` when it has one, else ``update``);
PyTorch runs the same loop written
the usual way (``nn.Sequential``, ``F.cross_entropy``, ``loss.backward()``,
``torch.optim.Adam`` with its defaults), in the same process, starting from
the same weights and visiting the batches in the same order, so the first
epoch's mean losses agree (printed as a check).

Times are the best of several epochs after one warm-up epoch. Both libraries
run with all CPUs (``descent_s``: NumPy's BLAS at its default thread count,
recorded in the CSV; ``torch_s``: ``torch.set_num_threads(os.cpu_count())``)
and with one thread (``descent_1thread_s`` through ``threadpoolctl``,
``torch_1thread_s``): on a busy machine threads wait for each other and the
multi-threaded time can balloon (``ratio_best_vs_best`` compares each
library's faster setting). At one thread the CPU time of the process
(``*_1thread_cpu_s``, ``time.process_time``) is also recorded: it hardly
depends on what else the machine runs, so ``ratio_1thread_cpu`` is the
comparison to trust on a shared machine. The ``*_ms`` columns split one step
(one thread, CPU time) into forward+backward and the optimizer update, for
both libraries. ``descent_update_share`` is the fraction of
descent's epoch spent in the optimizer (the rest is forward and backward).
Without torch the PyTorch columns are left empty.

Usage::

    python benchmarks/training.py           # both widths, float32 and float64, best of 10 epochs (tiny) / 5 (wide)
    python benchmarks/training.py --full    # best of 30 / 15 epochs

Targets, judged against the faster of PyTorch's two thread settings
(``ratio_vs_best_torch``): descent within 1.5x of PyTorch's time per epoch for
the tiny network, within 1.2x at the realistic width.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from descent.nn import MLP
from descent.optim import Adam

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import provenance, report  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # then descent's one-thread column stays empty
    threadpool_limits = threadpool_info = None

LR, SEED = 1e-3, 0
# name -> (layer widths, batch size, target ratio, epochs timed quick/full)
NETWORKS = {
    "tiny": ((64, 128, 10), 32, 1.5, (10, 30)),
    "wide": ((64, 1024, 1024, 10), 256, 1.2, (5, 15)),
}


def data(dtype) -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    return (digits.data / 16.0).astype(dtype), digits.target.astype(np.int64)


def blas_threads() -> str:
    """NumPy's BLAS libraries and their thread counts, as threadpoolctl reports them."""
    if threadpool_info is None:
        return "threadpoolctl not installed"
    return "; ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
                     for i in threadpool_info() if i.get("user_api") == "blas") or "none found"


def descent_epochs(X, y, dtype, sizes, batch: int, epochs: int) -> tuple[list, list, float, list, float]:
    """Train ``epochs`` epochs: wall and CPU seconds per epoch, the first epoch's loss, the initial weights,
    and the share of the best epoch spent in the optimizer.

    The loop is ``descent.nn.train_epoch``'s, with ``update_`` when the optimizer has it.
    """
    model = MLP(list(sizes), "relu", "he", rng=np.random.default_rng(SEED), dtype=dtype)
    params = model.params()
    init = [params[k].copy() for k in params]  # 0.W, 0.b, 2.W, 2.b, ...
    opt = Adam(lr=LR)
    state = opt.init(params)
    step = getattr(opt, "update_", None) or opt.update
    rng = np.random.default_rng(SEED + 1)
    n = X.shape[0]
    times, cpu, first, t_update = [], [], None, []
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = rng.permutation(n)
        Xs, ys = X[perm], y[perm]
        total, upd = 0.0, 0.0
        for start in range(0, n, batch):
            xb, yb = Xs[start:start + batch], ys[start:start + batch]
            value, grads = model.loss_and_grads(xb, yb)
            t1 = time.perf_counter()
            params, state = step(params, grads, state)
            model._assign(params)
            upd += time.perf_counter() - t1
            total += value * xb.shape[0]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        t_update.append(upd)
        first = total / n if first is None else first
    best = int(np.argmin(times[1:])) + 1
    return times, cpu, first, init, t_update[best] / times[best]


def torch_epochs(X, y, dtype, sizes, batch: int, epochs: int, init: list[np.ndarray]) -> tuple[list, list, float]:
    """The same training in PyTorch, from the same weights and batch order: wall and CPU seconds, first loss."""
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).to(tdtype)
    with torch.no_grad():  # descent stores W as (in, out), torch as (out, in)
        for k, linear in enumerate(model[::2]):
            linear.weight.copy_(torch.from_numpy(init[2 * k].T))
            linear.bias.copy_(torch.from_numpy(init[2 * k + 1]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(SEED + 1)  # the permutations descent's loop draws
    n = X.shape[0]
    times, cpu, first = [], [], None
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.from_numpy(rng.permutation(n))
        Xs, ys = Xt[perm], yt[perm]
        total = 0.0
        for start in range(0, n, batch):
            xb, yb = Xs[start:start + batch], ys[start:start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        first = total / n if first is None else first
    return times, cpu, first


def _cpu_median(fn, repeat: int = 15) -> float:
    """Median CPU seconds of one call of ``fn`` (after one untimed call)."""
    fn()
    times = []
    for _ in range(repeat):
        c0 = time.process_time()
        fn()
        times.append(time.process_time() - c0)
    return float(np.median(times))


def step_parts(X, y, dtype, sizes, batch: int) -> dict:
    """One training step at one thread, in CPU milliseconds: forward+backward and the Adam update, both libraries."""
    xb, yb = X[:batch], y[:batch]
    model = MLP(list(sizes), "relu", "he", rng=np.random.default_rng(SEED), dtype=dtype)
    opt = Adam(lr=LR)
    params = model.params()
    state = opt.init(params)
    _, grads = model.loss_and_grads(xb, yb)
    update = getattr(opt, "update_", None) or opt.update
    out = {}
    limit = threadpool_limits(limits=1, user_api="blas") if threadpool_limits is not None else None
    try:
        out["descent_fwdbwd_ms"] = 1e3 * _cpu_median(lambda: model.loss_and_grads(xb, yb))
        out["descent_update_ms"] = 1e3 * _cpu_median(lambda: update(params, grads, state))
    finally:
        if limit is not None:
            limit.restore_original_limits()
    if torch is not None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        tmodel = torch.nn.Sequential(*layers[:-1]).to(tdtype)
        topt = torch.optim.Adam(tmodel.parameters(), lr=LR)
        xt, yt = torch.from_numpy(xb), torch.from_numpy(yb)

        def fwdbwd():
            topt.zero_grad()
            F.cross_entropy(tmodel(xt), yt).backward()

        fwdbwd()
        out["torch_fwdbwd_ms"] = 1e3 * _cpu_median(fwdbwd)
        out["torch_step_ms"] = 1e3 * _cpu_median(topt.step)
        torch.set_num_threads(threads)
    return out


def run(full: bool, names=tuple(NETWORKS)) -> list[dict]:
    rows = []
    for name in names:
        sizes, batch, target, (quick, more) = NETWORKS[name]
        epochs = (more if full else quick) + 1  # the first is a warm-up
        for dtype in (np.float32, np.float64):
            X, y = data(dtype)
            t_d, _, loss_d, init, share = descent_epochs(X, y, dtype, sizes, batch, epochs)
            opt = Adam(lr=LR)
            row = {"network": "-".join(map(str, sizes)), "dtype": np.dtype(dtype).name, "samples": X.shape[0],
                   "batch_size": batch, "updates_per_epoch": -(-X.shape[0] // batch),
                   "optimizer_path": "update_" if callable(getattr(opt, "update_", None)) else "update",
                   "descent_s": min(t_d[1:]), "descent_1thread_s": None, "descent_1thread_cpu_s": None,
                   "descent_update_share": share,
                   "torch_s": None, "torch_1thread_s": None, "torch_1thread_cpu_s": None,
                   "ratio": None, "ratio_vs_best_torch": None, "ratio_best_vs_best": None, "ratio_1thread_cpu": None,
                   "target": target, "descent_first_loss": loss_d, "torch_first_loss": None}
            if threadpool_limits is not None:
                with threadpool_limits(limits=1, user_api="blas"):
                    t_1, c_1 = descent_epochs(X, y, dtype, sizes, batch, epochs)[:2]
                row.update(descent_1thread_s=min(t_1[1:]), descent_1thread_cpu_s=min(c_1[1:]))
            if torch is not None:
                threads = torch.get_num_threads()
                t_t, _, loss_t = torch_epochs(X, y, dtype, sizes, batch, epochs, init)
                torch.set_num_threads(1)
                t_1, c_1, _ = torch_epochs(X, y, dtype, sizes, batch, epochs, init)
                torch.set_num_threads(threads)
                row.update(torch_s=min(t_t[1:]), torch_1thread_s=min(t_1[1:]), torch_1thread_cpu_s=min(c_1[1:]),
                           torch_first_loss=loss_t)
                row["ratio"] = row["descent_s"] / row["torch_s"]
                row["ratio_vs_best_torch"] = row["descent_s"] / min(row["torch_s"], row["torch_1thread_s"])
                row["ratio_best_vs_best"] = (min(row["descent_s"], row["descent_1thread_s"] or np.inf)
                                             / min(row["torch_s"], row["torch_1thread_s"]))
                if row["descent_1thread_cpu_s"] is not None:
                    row["ratio_1thread_cpu"] = row["descent_1thread_cpu_s"] / row["torch_1thread_cpu_s"]
            row.update(step_parts(X, y, dtype, sizes, batch))
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="three times as many epochs")
    parser.add_argument("--only", choices=list(NETWORKS), help="one network only")
    args = parser.parse_args(argv)
    if torch is None:
        print("torch is not importable: the PyTorch columns are left empty "
              "(use an environment with torch==2.13.0 to fill them).")
    else:
        torch.set_num_threads(os.cpu_count() or 1)
    rows = run(args.full, (args.only,) if args.only else tuple(NETWORKS))
    meta = provenance(
        benchmark="training",
        model="MLPs " + " and ".join(f"{'-'.join(map(str, v[0]))} (batch {v[1]})" for v in NETWORKS.values())
              + ": ReLU, He init, softmax cross entropy",
        data="scikit-learn digits, all 1797 samples, pixels / 16", optimizer=f"Adam(lr={LR:g}), defaults otherwise",
        torch_threads=torch.get_num_threads() if torch is not None else "",
        numpy_blas_threads=blas_threads(),
        timing="best of " + " / ".join(f"{v[3][1 if args.full else 0]} ({k})" for k, v in NETWORKS.items())
               + " epochs after one warm-up epoch",
        target="descent_s / min(torch_s, torch_1thread_s) <= target (1.5 tiny, 1.2 wide)",
    )
    report("training", rows, meta)
    for r in rows:
        if r["ratio"] is not None:
            best = r["ratio_vs_best_torch"]
            verdict = "met" if best <= r["target"] else "MISSED"
            print(f"{r['network']} {r['dtype']}: descent takes {r['ratio']:.2f}x the time of PyTorch with "
                  f"{meta['torch_threads']} threads and {best:.2f}x that of its faster setting "
                  f"(target <= {r['target']}x: {verdict}); at 1 thread (CPU time) "
                  f"{r['ratio_1thread_cpu'] or float('nan'):.2f}x; first-epoch losses "
                  f"{r['descent_first_loss']:.6f} vs {r['torch_first_loss']:.6f}")
    return rows


if __name__ == "__main__":
    main()

"""Record torch.amp.GradScaler's state machine on scripted gradients (CPU).

Run once with torch installed (``pip install torch==2.13.0``); writes
``gradscaler.json`` next to this file. ``tests/test_precision.py`` replays the
same script through ``descent.precision.LossScaler`` without torch.

Each step sets ``p.grad = scale * g`` for a scripted unscaled gradient ``g``
(``inf`` / ``nan`` entries stand for an overflow in the backward pass), then
calls ``scaler.step(opt)`` (SGD, lr 1) and ``scaler.update()``, and records
the scale, the growth tracker, whether an inf/NaN was found and the parameter.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

INF, NAN = math.inf, math.nan

SCRIPTS = {
    # growth_interval 3: growth, backoff, reset of the tracker, repeated backoff
    "interval3": dict(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=3,
                      grads=[[1.0, -2.0], [0.5, 0.25], [1e-3, 2.0], [3.0, 1.0], [INF, 1.0],
                             [1.0, 1.0], [NAN, 0.0], [-INF, 2.0], [0.125, 0.5], [1.0, 1.0],
                             [2.0, -1.0], [0.5, 0.5], [1.0, NAN], [0.25, 0.25]]),
    # torch's defaults: 2**16, x2 after 2000, x0.5 on overflow
    "defaults": dict(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     grads=[[1.0, 1.0], [INF, 0.0], [0.5, 0.5], [NAN, NAN], [1.0, -1.0]]),
    # other factors
    "factors": dict(init_scale=1024.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=2,
                    grads=[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [INF, 1.0], [1.0, 1.0],
                           [1.0, 1.0], [1.0, 1.0]]),
}


def record(init_scale, growth_factor, backoff_factor, growth_interval, grads):
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float32))
    opt = torch.optim.SGD([p], lr=1.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale, growth_factor=growth_factor,
                                  backoff_factor=backoff_factor, growth_interval=growth_interval)
    steps = []
    for g in grads:
        scaler.scale(torch.ones(()))  # what scaler.scale(loss) does: creates the scale lazily
        scale = scaler.get_scale()
        p.grad = torch.tensor(g, dtype=torch.float32) * scale
        scaler.step(opt)
        found = sum(v.item() for v in scaler._found_inf_per_device(opt).values())
        scaler.update()
        steps.append(dict(grad=[repr(x) for x in g], scale_before=scale, found_inf=bool(found),
                          scale_after=scaler.get_scale(), growth_tracker=scaler._get_growth_tracker(),
                          param=[float(x) for x in p.detach()]))
    return dict(init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                growth_interval=growth_interval, steps=steps)


if __name__ == "__main__":
    out = {"torch": torch.__version__, "device": "cpu",
           "scripts": {k: record(**v) for k, v in SCRIPTS.items()}}
    path = Path(__file__).with_name("gradscaler.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")

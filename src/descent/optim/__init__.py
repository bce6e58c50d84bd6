r"""Optimizers with one protocol, matching ``torch.optim`` to float64 round-off.

Every optimizer is a small object holding its hyperparameters::

    opt = Adam(lr=1e-3, betas=(0.9, 0.999))
    state = opt.init(params)                        # step 0, zeroed buffers
    params, state = opt.update(params, grads, state)    # pure: new arrays
    params, state = opt.update_(params, grads, state)   # in place, same bits

``update`` is pure: it returns new arrays and a new state and never writes
into its inputs. ``update_`` overwrites the parameters and the state's
buffers, block by block, and is bitwise equal to ``update``. ``params`` and
``grads`` are a floating-point ndarray (float16/32/64 or bfloat16) or a
``dict`` of them with the same keys and shapes. The state is a ``NamedTuple``
whose buffer fields carry torch's state names (``momentum_buffer``,
``exp_avg``, ``exp_avg_sq``, ...), plus the integer ``step`` (updates taken
so far); a buffer the configuration does not use is ``None``, and
:func:`buffers` lists those held.

Notation (``book/notation.md``): step :math:`t = 1, 2, \dots` counts updates,
:math:`g_t` is the incoming gradient, :math:`\eta_t` the learning rate (``lr``),
:math:`\lambda` the weight decay, :math:`\epsilon` the ``eps`` constant.

Hyperparameters
---------------
``lr`` may be a float, an array, or a schedule: a callable ``lr(t)`` of the
number of updates already taken (``0`` for the first update), e.g. one of
:mod:`descent.schedules`. Every numeric hyperparameter may be an array that
broadcasts against each parameter array, so a grid of ``R`` settings runs as
one vectorized batch: params of shape ``(R, d)`` with ``lr`` of shape ``(R, 1)``.
Each optimizer's ``RANGES`` declares the valid interval of every real
hyperparameter, read by its constructor and by the explorers' sliders.

Precision: float32 and float16 parameters are updated in their own dtype, as
torch does; coefficients are computed in float64 and rounded once.
``state_dtype`` stores the buffers in another dtype (optax's ``mu_dtype``).

Weight decay comes in two forms, as in torch:

- *L2* (coupled): :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` before any
  moment is updated (SGD, Adagrad, RMSprop, Adadelta, Adam, Adamax, and NAdam,
  RAdam by default).
- *decoupled*: :math:`\theta \leftarrow \theta(1 - \eta_t\lambda)` first, and
  the raw gradient drives the step (AdamW, Lion, AdaBelief by default, and
  Adam/NAdam/RAdam with ``decoupled_weight_decay=True``).

With ``maximize=True`` (every optimizer) the gradient is negated first, before
weight decay. Wrappers in :mod:`descent.optim.wrappers` add a weight-decay
mask, master weights, gradient accumulation and loss scaling.

Modules: :mod:`.base` (the protocol), :mod:`.sgd`, :mod:`.adaptive` (Adagrad,
RMSprop, Adadelta), :mod:`.adam` (Adam, AdamW, Adamax, NAdam), :mod:`.rectified`
(RAdam, AdaBelief), :mod:`.sign` (Lion),
:mod:`.muon` (Muon, :func:`newton_schulz`), :mod:`.sophia` (Sophia), :mod:`.schedulefree`
(ScheduleFreeSGD, ScheduleFreeAdamW), :mod:`.clip`, :mod:`.wrappers`.
"""

from __future__ import annotations

from ._tree import Interval
from .adam import Adam, Adamax, AdamW, NAdam
from .adaptive import Adadelta, Adagrad, RMSprop
from .base import Optimizer, buffers, copy_state
from .clip import clip_grad_norm, global_norm
from .rectified import AdaBelief, RAdam
from .sgd import SGD
from .muon import Muon, newton_schulz, polar
from .schedulefree import ScheduleFreeAdamW, ScheduleFreeSGD
from .sign import Lion
from .sophia import Sophia
from .wrappers import accumulate, masked, master_weights, scale_loss

#: Every optimizer class, in the book's order; read by ``__all__`` and the tests.
OPTIMIZERS = (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam, RAdam, AdaBelief, Lion,
              Muon, Sophia, ScheduleFreeSGD, ScheduleFreeAdamW)

__all__ = [
    "Optimizer",
    *(cls.__name__ for cls in OPTIMIZERS),
    "OPTIMIZERS",
    "Interval",
    "buffers",
    "copy_state",
    "clip_grad_norm",
    "global_norm",
    "masked",
    "master_weights",
    "accumulate",
    "scale_loss",
    "newton_schulz",
    "polar",
]

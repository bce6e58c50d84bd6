r"""Run optimizers on problems, vectorized over many runs, with divergence detection.

:func:`minimize` drives any object with ``value(x)`` and ``grad(x)`` (every
:mod:`descent.landscapes` problem) from a batch of starting points. The runs
are the leading axes of ``x0``: ``x0`` of shape ``(R, d)`` is ``R`` runs, and
hyperparameter arrays of shape ``(R, 1)`` give each run its own setting. A run
*diverges* when its loss or point stops being finite or leaves the box
``|x_i| <= bound``; its step is recorded, the run is frozen at its last good
point, and its later entries are ``nan``, with no RuntimeWarning on the way.

On finite sums, mini-batches are drawn i.i.d. per step or, as data loaders
do, by reshuffling once per epoch (``sampling``), and the iterates can be
averaged (``average``). :func:`minimize_many` runs several optimizers side by
side on the same batches with one gradient call per step for all of them.
The results are :class:`Trajectory` objects.
"""

from __future__ import annotations

from ._loop import AVERAGES, SAMPLINGS, minimize, minimize_many
from .trajectory import Trajectory

__all__ = ["AVERAGES", "SAMPLINGS", "Trajectory", "minimize", "minimize_many"]

r"""Gradient clipping by the global norm, as ``torch.nn.utils.clip_grad_norm_``."""

from __future__ import annotations

import numpy as np

from .._validation import check_in_range
from ._tree import Params, leaves, rebuild


def global_norm(tree: Params) -> np.ndarray:
    r"""Euclidean norm of all entries of a parameter tree, :math:`\sqrt{\sum_i \|g_i\|^2}`.

    Computed over every axis (in float64), so for a batch of runs combine runs yourself.
    """
    _, ls = leaves("tree", tree)
    return np.sqrt(sum(float(np.sum(np.square(x, dtype=np.float64))) for x in ls))


def clip_grad_norm(grads: Params, max_norm: float) -> tuple[Params, float]:
    r"""Rescale gradients so that their global norm is at most ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\|g\| + 10^{-6}}\right)

    the rule of ``torch.nn.utils.clip_grad_norm_`` (with its ``1e-6`` guard).
    The direction of the update is unchanged; only its length is capped.

    Parameters
    ----------
    grads : ndarray or dict of ndarray
        The gradient tree (not modified).
    max_norm : float
        The cap :math:`c > 0`.

    Returns
    -------
    clipped, norm : tree, float
        The rescaled gradients and the global norm *before* clipping.
    """
    max_norm = check_in_range("max_norm", max_norm, 0.0, None, low_open=True, allow_array=False)
    keys, ls = leaves("grads", grads)
    norm = float(global_norm(grads))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return rebuild(keys, [g * g.dtype.type(scale) for g in ls]), norm

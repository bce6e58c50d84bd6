r"""The learning-rate range test (Smith 2017): sweep the rate up, watch the loss.

Train for ``num_steps`` updates while the rate grows geometrically from
:math:`\eta_{\text{lo}}` to :math:`\eta_{\text{hi}}`,

.. math:: \eta_k = \eta_{\text{lo}} \,(\eta_{\text{hi}} / \eta_{\text{lo}})^{k / (n - 1)},
          \qquad k = 0, \dots, n - 1,

record the mini-batch loss :math:`\ell_k` of every update, smooth it with a
bias-corrected exponential moving average

.. math:: a_k = \beta a_{k-1} + (1 - \beta)\,\ell_k, \quad a_{-1} = 0, \qquad
          \bar\ell_k = a_k / (1 - \beta^{k+1}),

and stop once the smoothed loss exceeds ``diverge`` times the best smoothed
loss so far (or is not finite): past that point the rate is too large. Two
rules turn the curve into a suggested peak rate (see :class:`RangeTest`):

- ``"steepest"``: the rate where :math:`\bar\ell` falls fastest per unit of
  :math:`\log\eta` (the minimum of the finite-difference slope of
  :math:`\bar\ell` against :math:`\log \eta`);
- ``"min/10"``: one tenth of the rate at the lowest smoothed loss, a margin
  below the edge of stability.

Both are heuristics: the chapter compares them with the best rate of a full
sweep. The test itself is optimizer-agnostic: you pass ``step(lr)``, which
performs one update at rate ``lr`` and returns that update's loss.

>>> import numpy as np
>>> h, theta = 4.0, np.array([1.0])          # f = h theta^2 / 2: GD diverges for lr > 2/h = 0.5
>>> def step(lr):
...     global theta
...     loss = float(0.5 * h * theta[0] ** 2)
...     theta = theta - lr * h * theta
...     return loss
>>> res = lr_range_test(step, 1e-3, 10.0, 100, smoothing=0.0)
>>> bool(res.rates[res.stopped_at] > 0.5)      # stopped after passing the edge 2/h
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validation import check_in_range, check_int

__all__ = ["exponential_rates", "smooth_losses", "RangeTest", "lr_range_test"]


def exponential_rates(lr_min: float, lr_max: float, num_steps: int) -> np.ndarray:
    r"""The geometric grid :math:`\eta_k = \eta_{\text{lo}} (\eta_{\text{hi}}/\eta_{\text{lo}})^{k/(n-1)}`.

    Parameters
    ----------
    lr_min : float
        :math:`\eta_{\text{lo}}`, finite and > 0.
    lr_max : float
        :math:`\eta_{\text{hi}}`, finite and > ``lr_min``.
    num_steps : int
        n, the number of rates, >= 2.

    Returns
    -------
    ndarray, shape (num_steps,)
        From ``lr_min`` to ``lr_max`` inclusive, equally spaced in log.

    Examples
    --------
    >>> exponential_rates(0.01, 1.0, 3)
    array([0.01, 0.1 , 1.  ])
    """
    lo = check_in_range("lr_min", lr_min, 0.0, None, low_open=True, allow_array=False)
    hi = check_in_range("lr_max", lr_max, 0.0, None, low_open=True, allow_array=False)
    if not hi > lo:
        raise ValueError(f"lr_max must be > lr_min = {lo:g}; got {hi!r}")
    n = check_int("num_steps", num_steps, low=2)
    k = np.arange(n)
    rates = lo * (hi / lo) ** (k / (n - 1))
    rates[-1] = hi
    return rates


def smooth_losses(losses: np.ndarray, smoothing: float = 0.98) -> np.ndarray:
    r"""Bias-corrected exponential moving average of a loss sequence.

    .. math:: a_k = \beta a_{k-1} + (1-\beta)\ell_k,\ a_{-1} = 0, \qquad
              \bar\ell_k = a_k / (1 - \beta^{k+1})

    The correction makes a constant sequence its own average from the first
    entry on (the same correction as Adam's).

    Parameters
    ----------
    losses : array_like, shape (n,)
        Real numbers (``inf``/``nan`` propagate to the later averages).
    smoothing : float
        β, in [0, 1); 0 returns the losses unchanged.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> smooth_losses([2.0, 2.0, 2.0], 0.9)
    array([2., 2., 2.])
    >>> smooth_losses([1.0, 0.0], 0.5)          # (0.25 + 0) / 0.75
    array([1.        , 0.33333333])
    """
    beta = check_in_range("smoothing", smoothing, 0.0, 1.0, allow_array=False)
    ell = np.asarray(losses, dtype=np.float64)
    if ell.ndim != 1:
        raise ValueError(f"losses must be one-dimensional; got shape {ell.shape}")
    out = np.empty_like(ell)
    avg = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        for k, value in enumerate(ell):
            avg = beta * avg + (1.0 - beta) * value
            out[k] = avg / (1.0 - beta ** (k + 1))
    return out


@dataclass(frozen=True)
class RangeTest:
    r"""The record of a range test.

    Attributes
    ----------
    rates : ndarray
        The rates used, one per update taken (``stopped_at + 1`` of them).
    losses : ndarray
        The loss returned by each update.
    smoothed : ndarray
        :func:`smooth_losses` of ``losses``.
    stopped_at : int
        Index of the last update; it is ``len(rates) - 1``.
    diverged : bool
        True when the divergence rule stopped the test early.
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_at: int
    diverged: bool

    @property
    def lr_min_loss(self) -> float:
        """The rate at the lowest smoothed loss."""
        ok = np.isfinite(self.smoothed)
        return float(self.rates[ok][np.argmin(self.smoothed[ok])])

    @property
    def lr_steepest(self) -> float:
        r"""The rate where the smoothed loss falls fastest against :math:`\log\eta`.

        The slope between neighbours, :math:`(\bar\ell_{k+1} - \bar\ell_k) /
        (\log\eta_{k+1} - \log\eta_k)`, is most negative at some k; the
        suggestion is :math:`\eta_k`. Only the part up to the lowest smoothed
        loss is searched (after it the curve rises).
        """
        ok = np.isfinite(self.smoothed)
        last = int(np.flatnonzero(ok)[np.argmin(self.smoothed[ok])])
        if last < 1:
            return float(self.rates[0])
        slope = np.diff(self.smoothed[: last + 1]) / np.diff(np.log(self.rates[: last + 1]))
        return float(self.rates[int(np.argmin(slope))])

    def suggest(self, rule: str = "steepest") -> float:
        """The suggested rate: ``"steepest"`` (:attr:`lr_steepest`) or ``"min/10"`` (:attr:`lr_min_loss` / 10)."""
        if rule == "steepest":
            return self.lr_steepest
        if rule == "min/10":
            return self.lr_min_loss / 10.0
        raise ValueError(f"rule must be 'steepest' or 'min/10'; got {rule!r}")


def lr_range_test(
    step: Callable[[float], float],
    lr_min: float,
    lr_max: float,
    num_steps: int,
    *,
    smoothing: float = 0.98,
    diverge: float = 4.0,
) -> RangeTest:
    r"""Run the learning-rate range test: one update per rate of :func:`exponential_rates`.

    Parameters
    ----------
    step : callable ``step(lr) -> float``
        Performs one training update with learning rate ``lr`` (carrying its
        own model and optimizer state between calls) and returns the loss of
        that update's mini-batch.
    lr_min, lr_max : float
        The ends of the sweep, 0 < lr_min < lr_max.
    num_steps : int
        Largest number of updates, >= 2.
    smoothing : float
        β of :func:`smooth_losses`, in [0, 1).
    diverge : float
        The test stops after the first update whose smoothed loss is not
        finite or exceeds ``diverge`` times the lowest smoothed loss so far;
        must be > 1.

    Returns
    -------
    RangeTest

    Examples
    --------
    >>> res = lr_range_test(lambda lr: 1.0 / (1.0 + lr), 0.1, 10.0, 5, smoothing=0.0)
    >>> res.stopped_at, res.diverged, res.lr_min_loss
    (4, False, 10.0)
    """
    if not callable(step):
        raise TypeError(f"step must be callable as step(lr) -> loss; got {type(step).__name__}")
    rates = exponential_rates(lr_min, lr_max, num_steps)
    beta = check_in_range("smoothing", smoothing, 0.0, 1.0, allow_array=False)
    factor = check_in_range("diverge", diverge, 1.0, None, low_open=True, allow_array=False)
    losses: list[float] = []
    avg, best, diverged = 0.0, math.inf, False
    for k, lr in enumerate(rates):
        value = float(step(float(lr)))
        losses.append(value)
        with np.errstate(invalid="ignore", over="ignore"):
            avg = beta * avg + (1.0 - beta) * value
            smooth = avg / (1.0 - beta ** (k + 1))
        if not math.isfinite(smooth) or (k > 0 and smooth > factor * best):
            diverged = True
            break
        best = min(best, smooth)
    ell = np.asarray(losses)
    n = len(losses)
    return RangeTest(rates[:n], ell, smooth_losses(ell, beta), n - 1, diverged)

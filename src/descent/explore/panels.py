"""The live landscape figure: fixed axes from the landscape, artists updated in place."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

from .. import viz
from ..run import Trajectory
from .compute import seed_stats

_NICE = [1, 2, 5, 10]

# ------------------------------------------------------------------- axes
def _grid_values(problem: Any, n: int = 80) -> np.ndarray:
    d = int(problem.dim)
    if d not in (1, 2):
        return np.zeros(0)
    axes = [np.linspace(float(lo), float(hi), n) for lo, hi in problem.bounds]
    pts = np.stack(np.meshgrid(*axes), axis=-1) if d == 2 else axes[0][:, None]
    with np.errstate(all="ignore"):
        return np.asarray(problem.value(pts), dtype=float).ravel()


def loss_limits(problem: Any, x0: np.ndarray, tol: float | None) -> tuple[float, float, bool]:
    r"""Fixed limits of the loss panel: ``(low, high, log)``, from the landscape alone.

    With a known :math:`L^\star`: a log axis of :math:`L(\theta) - L^\star` from
    the decade above the largest gap on the plotting box (or at ``x0``) down
    to ``tol / 1000`` (or 10 decades below the top). Without one: a linear
    axis over the values of :math:`L` on the box.
    """
    vals = np.r_[_grid_values(problem), np.asarray(problem.value(x0), dtype=float).ravel()]
    fstar = float(getattr(problem, "min_value", np.nan))
    if np.isfinite(fstar):
        gap = vals - fstar
        gap = gap[np.isfinite(gap) & (gap > 0)]
        top = 10.0 ** np.ceil(np.log10(gap.max())) if gap.size else 1.0
        low = 10.0 ** (np.floor(np.log10(tol)) - 3) if tol is not None else top * 1e-10
        return float(min(low, top * 1e-3)), float(top), True
    vals = vals[np.isfinite(vals)]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad, False


def _curve_limits(problem: Any) -> tuple[float, float]:
    v = _grid_values(problem, 400)
    v = v[np.isfinite(v)]
    lo, hi = float(v.min()), float(v.max())
    pad = 0.06 * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


class _Panels:
    """Path panel and loss panel of the live figure, with fixed axes and artists updated in place."""

    def __init__(self, fig: Figure, problem: Any, names: Sequence[str], tol: float | None,
                 ylim: tuple[float, float, bool], seeds: int) -> None:
        self.problem, self.names = problem, list(names)
        self.min_value = float(getattr(problem, "min_value", np.nan))
        dim = int(problem.dim)
        if dim in (1, 2):
            self.ax_path, self.ax_loss = fig.subplots(1, 2)
            if dim == 2:
                viz.contour(problem, self.ax_path, resolution=120)
            else:
                viz.curve(problem, self.ax_path)
            empty = np.full((1, dim), np.nan)
            self.paths = {n: viz.trajectory(self.ax_path, empty, values=np.full(1, np.nan), style_index=i)
                          for i, n in enumerate(self.names)}
        else:
            self.ax_path, self.ax_loss, self.paths = None, fig.subplots(), {}
        curves = viz.loss_curves(self.ax_loss, [np.full(1, np.nan)] * len(self.names), labels=self.names,
                                 min_value=self.min_value, log=ylim[2])
        self.curves = dict(zip(self.names, curves))
        self.bands = {}
        if seeds > 1:
            for i, n in enumerate(self.names):
                band = Polygon(np.zeros((0, 2)), closed=True, facecolor=viz.style(i)["color"], alpha=0.16,
                               edgecolor="none")
                self.ax_loss.add_patch(band)
                self.bands[n] = band
        self.ax_loss.set_ylim(ylim[0], ylim[1])
        self.ax_loss.set_ylabel(r"$L(\theta_t) - L^\star$" if np.isfinite(self.min_value) else r"$L(\theta_t)$")
        if ylim[2]:
            self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=6))
            self.ax_loss.yaxis.set_minor_formatter(NullFormatter())
        self.tol = tol if tol is not None and np.isfinite(self.min_value) else None
        if self.tol is not None:
            self.ax_loss.axhline(tol, color="0.45", linestyle=":", linewidth=1.0)
            self.ax_loss.text(0.99, tol, f"tol = {tol:g}", transform=self.ax_loss.get_yaxis_transform(),
                              ha="right", va="bottom", fontsize=9, color="0.35", clip_on=True)
        ncol = min(len(self.names), 4)
        self.legend_rows = -(-len(self.names) // ncol)
        self.ax_loss.legend(loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=ncol, fontsize=9,
                            handlelength=2.2, columnspacing=1.0, borderaxespad=0.0, frameon=False)
        for ax in (self.ax_path, self.ax_loss):
            if ax is not None:
                ax.xaxis.set_major_locator(MaxNLocator(5, steps=_NICE))
                if ax is not self.ax_loss or not ylim[2]:
                    ax.yaxis.set_major_locator(MaxNLocator(5, steps=_NICE))
        self.top = ylim[1]

    def artists(self) -> list:
        """Every artist that changes between updates (drawn on top of a cached background)."""
        out = [a for c in self.curves.values() for a in c] + list(self.bands.values())
        return out + [a for p in self.paths.values() for a in p]

    def show(self, trajs: Mapping[str, Trajectory | None], steps: int) -> bool:
        """Put ``trajs`` into the artists; return True when the x-axis (steps) changed."""
        for n in self.names:
            t = trajs.get(n)
            curve, path, band = self.curves[n], self.paths.get(n), self.bands.get(n)
            vis = t is not None
            curve.set_visible(vis)
            if path is not None:
                path.set_visible(vis)
            if band is not None:
                band.set_visible(vis)
            if not vis:
                continue
            med, lo, hi, k = seed_stats(t)
            curve.set_data(med if not np.isfinite(self.min_value) else med + self.min_value, self.min_value)
            mark = curve.marker
            my = np.asarray(mark.get_ydata(), dtype=float)
            if my.size and my[0] > self.top:
                mark.set_ydata([self.top / 1.15])
            if band is not None:
                ok = np.isfinite(lo)
                s = np.arange(lo.shape[0])[ok]
                top = np.minimum(hi[ok], self.top * 10)
                band.set_xy(np.r_[np.c_[s, top], np.c_[s[::-1], np.maximum(lo[ok], 1e-300)[::-1]]]
                            if s.size else np.zeros((0, 2)))
            if path is not None:
                pts = t.points if t.points.ndim == 2 else t.points[:, k]
                vals = t.losses if t.losses.ndim == 1 else t.losses[:, k]
                path.set_data(pts, vals)
        changed = self.ax_loss.get_xlim() != (0, max(steps, 1))
        if changed:
            self.ax_loss.set_xlim(0, max(steps, 1))
        return changed

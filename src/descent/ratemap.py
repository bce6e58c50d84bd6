r"""The heavy-ball rate-map explorer: :math:`\rho(\eta, \beta)` with a slider for :math:`\kappa`.

Built on :class:`descent.explore.BaseExplorer` (controls -> compute -> draw).
For a condition number :math:`\kappa` the map is
:func:`descent.momentum.rate_map` over eigenvalues :math:`[1/\kappa, 1]`
(:math:`L = 1`),

.. math:: \rho(\eta, \beta) = \max_{\lambda \in \{1/\kappa,\, 1\}} \rho(T(\eta, \beta, \lambda)),

with Polyak's optimum (:func:`descent.momentum.optimal_heavy_ball`) and the
best GD step :math:`2/(L + \mu)` marked. Live in JupyterLab the map is a
colour image redrawn as a PNG; in the book, where the static renderer draws
lines and points only, the map is drawn as its level lines
:math:`\rho = 0.6, 0.7, 0.8, 0.9, 0.95, 0.99` and the stability edge
:math:`\rho = 1`, one set per :math:`\kappa` of the book's grid.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np

from ._validation import check_in_range, check_int
from .explore.base import BaseExplorer, control_spec
from .explore.controls import Slider
from .explore.static import Axis, Panel, StaticFigure, png_data_uri
from .momentum import optimal_heavy_ball, rate_map

__all__ = ["RateMapExplorer"]

LEVELS = (0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
LR_MAX = 4.0


def _lines(lrs: np.ndarray, betas: np.ndarray, rates: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The level line ``rates == level`` as (x, y) with NaN between its pieces."""
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        segs = ax.contour(lrs, betas, rates, levels=[level]).allsegs[0]
    xs: list[float] = []
    ys: list[float] = []
    for s in segs:
        xs += list(s[:, 0]) + [np.nan]
        ys += list(s[:, 1]) + [np.nan]
    return np.array(xs), np.array(ys)


class RateMapExplorer(BaseExplorer):
    r"""An explorer of the heavy-ball rate map :math:`\rho(\eta, \beta)` with a slider for :math:`\kappa`.

    Parameters
    ----------
    kappas : sequence of float >= 1
        The book's values of :math:`\kappa` (2 to 12 of them); the live slider
        spans their range on a log scale.
    resolution : int in [20, 400], default 160
        Grid points per axis.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The live view: the :math:`\kappa` slider, the map and the summary line.
    summary : str
        The optimum and the best GD rate at the current :math:`\kappa`, in words.

    Examples
    --------
    >>> ex = RateMapExplorer([2.0, 100.0], resolution=40)
    >>> ex.update(kappa=100.0)
    >>> ex.summary
    'κ = 100: best (η, β) = (3.31, 0.669), rate 0.818; best GD rate 0.980'
    """

    def __init__(self, kappas: Any, resolution: int = 160) -> None:
        import ipywidgets as w
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from . import viz

        k = np.asarray(check_in_range("kappas", kappas, 1.0, None), float)
        if k.ndim != 1 or not 2 <= k.size <= 12:
            raise ValueError(f"kappas must be a 1-D sequence of 2 to 12 values; got shape {k.shape}")
        self.kappas = np.unique(k)
        if self.kappas.size < 2:
            raise ValueError(f"kappas must hold at least 2 different values; got {k.tolist()}")
        self.resolution = check_int("resolution", resolution, 20, 400)
        lo, hi = float(self.kappas[0]), float(self.kappas[-1])
        self._setup_controls({"kappa": Slider(lo, hi, float(k[len(k) // 2]), log=True, step=(np.log10(hi / lo)) / 100,
                                              static=self.kappas.tolist())}, continuous=False)
        self.sliders["kappa"].description = "κ"      # explore.controls.LABELS has no entry for kappa
        with mpl.rc_context(viz.style_rc() | {"font.size": 10, "figure.constrained_layout.use": False}):
            self.fig = Figure(figsize=(7.0, 3.6), dpi=100, layout="none")
            FigureCanvasAgg(self.fig)
            self.ax = self.fig.add_subplot()
            self.fig.subplots_adjust(left=0.1, right=0.86, bottom=0.14, top=0.9)
            self._cax = self.fig.add_axes((0.88, 0.14, 0.025, 0.76))
        self._image = w.Image(format="png", layout=w.Layout(width="700px", max_width="100%"))
        self._label = w.HTML()
        self._observe(self.sliders.values())
        self.widget = w.VBox([self.sliders["kappa"], self._image, self._label])
        self.summary = ""
        self.refresh()

    @property
    def kappa(self) -> float:
        r"""The current :math:`\kappa`."""
        return float(self.values["kappa"])

    # ------------------------------------------------------------ compute
    def compute(self, kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Learning rates, momenta and the rate map (rows: momenta) for eigenvalues [1/kappa, 1]."""
        lrs = np.linspace(0.002, LR_MAX, self.resolution)
        betas = np.linspace(0.0, 0.995, self.resolution)
        return lrs, betas, rate_map(lrs, betas, np.array([1.0 / kappa, 1.0]))

    @staticmethod
    def words(kappa: float) -> str:
        p = optimal_heavy_ball(1.0, 1.0 / kappa)
        return (f"κ = {kappa:g}: best (η, β) = ({p.lr:.3g}, {p.momentum:.3g}), rate {p.rate:.3g}; "
                f"best GD rate {(kappa - 1) / (kappa + 1):.3f}")

    # --------------------------------------------------------------- draw
    def draw(self, kappa: float) -> None:
        """Draw the map for ``kappa`` on the live figure."""
        ax = self.ax
        ax.clear()
        self._cax.clear()
        lrs, betas, rates = self.compute(kappa)
        mesh = ax.pcolormesh(lrs, betas, np.where(rates < 1, rates, np.nan), cmap="viridis_r",
                             vmin=0.5, vmax=1.0, shading="auto")
        p = optimal_heavy_ball(1.0, 1.0 / kappa)
        ax.plot(2 * (1 + betas), betas, color="black", linewidth=1.0, linestyle="--")
        ax.plot(p.lr, p.momentum, "w*", markersize=12, markeredgecolor="black")
        ax.plot(2 / (1 + 1 / kappa), 0.0, "o", color="white", markeredgecolor="black")
        self.fig.colorbar(mesh, cax=self._cax, label="rate ρ(η, β) (white: ρ ≥ 1)")
        ax.set(xlim=(0, LR_MAX), ylim=(0, 1), xlabel="learning rate η (units of 1/L)", ylabel="momentum β")
        ax.set_title(f"κ = {kappa:g}: optimum ρ* = {p.rate:.3f} (star), best GD {(kappa - 1) / (kappa + 1):.3f} "
                     "(circle)", fontsize=10)

    def refresh(self) -> None:
        """Redraw the live view for the current slider value."""
        kappa = self.kappa
        self.summary = self.words(kappa)
        self.draw(kappa)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        self._image.value = buf.getvalue()
        self._label.value = f"<span style='font-family: monospace'>{self.summary}</span>"

    # ------------------------------------------------------------- static
    def static_figure(self) -> StaticFigure:
        """The book's page: level lines of the map, the optimum and the best GD step, per book κ."""
        from . import viz

        spec = control_spec("kappa", self.controls["kappa"], self.controls["kappa"].grid(), self.kappa)
        spec["label"] = "κ"
        panel = Panel(Axis(0.0, LR_MAX, "learning rate η (units of 1/L)"), Axis(0.0, 1.0, "momentum β"))
        shade = [viz.OKABE_ITO[i] for i in (4, 5, 2, 0, 3, 1)]   # orange .. vermillion: fast .. slow
        items = [{"name": f"ρ = {lv:g}" if lv < 1 else "ρ = 1 (stability edge)",
                  "color": shade[i] if lv < 1 else "#555555", "dash": None if lv < 1 else "5 3",
                  "deps": ["kappa"], "series": [(0, "line")]} for i, lv in enumerate(LEVELS)]
        items += [{"name": "optimum (Polyak)", "color": "#000000", "dash": None, "deps": ["kappa"],
                   "series": [(0, "path")]},
                  {"name": "best GD step", "color": "#999999", "dash": None, "deps": ["kappa"],
                   "series": [(0, "path")]}]
        fig = StaticFigure("", [spec], [panel], items)
        for k, kappa in enumerate(spec["values"]):
            kappa = float(kappa)
            lrs, betas, rates = self.compute(kappa)
            for lv, it in zip(LEVELS, items):
                share = float(np.mean(rates <= lv))
                fig.put(it["name"], k, [_lines(lrs, betas, rates, lv)],
                        f"{it['name']}: {100 * share:.0f}% of the map has ρ ≤ {lv:g}")
            p = optimal_heavy_ball(1.0, 1.0 / kappa)
            fig.put("optimum (Polyak)", k, [(np.array([p.lr]), np.array([p.momentum]))],
                    f"optimum at κ = {kappa:g}: (η, β) = ({p.lr:.3g}, {p.momentum:.3g}), rate {p.rate:.3g}")
            fig.put("best GD step", k, [(np.array([2 / (1 + 1 / kappa)]), np.array([0.0]))],
                    f"best GD step η = {2 / (1 + 1 / kappa):.3g}, rate {(kappa - 1) / (kappa + 1):.3f}")
        return fig

    def _render_static(self) -> str:
        alt = f"Heavy-ball rate map over learning rate and momentum at {self.summary}"
        desc = ("Level lines of the heavy-ball rate ρ(η, β) on a quadratic with eigenvalues 1/κ and 1, over the "
                f"learning rate η from 0 to {LR_MAX:g} and the momentum β from 0 to 1, with Polyak's optimum and the "
                "best GD step marked; the slider sets κ over "
                f"{', '.join(f'{k:g}' for k in self.kappas)}.")
        return self.static_figure().html(alt=alt, description=desc, still=png_data_uri(self.fig, dpi=80, colors=48))

    def __repr__(self) -> str:
        return f"RateMapExplorer(kappas={self.kappas.tolist()}) — {self.summary}"

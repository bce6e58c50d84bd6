r"""The bandit explorer: learning rate, baseline on/off and PPO's clip range, averaged over seeds.

Each curve is :func:`descent.rl.problems.train_bandit` for the current settings:
the median over seeds of the regret :math:`J^* - J(\theta_t)` (exact, from the
bandit's means) against the iteration :math:`t`, with a band from the 10th to
the 90th percentile over seeds, on a fixed log axis. REINFORCE and PPO are drawn
side by side; both use the slider's :math:`\eta` and the baseline setting; the
clip range :math:`\epsilon` moves PPO only. Live in JupyterLab (a PNG redrawn after each
change), kernel-free in the book over the grid of ``static`` values.
"""

from __future__ import annotations

import io
from typing import Any, Mapping, Sequence

import numpy as np

from .. import viz
from .._validation import check_int
from ..explore.base import BaseExplorer, control_spec
from ..explore.controls import Slider, Toggle
from ..explore.static import Axis, Panel, StaticFigure, png_data_uri
from .problems import Bandit, train_bandit

__all__ = ["BanditExplorer", "explore_bandit"]

METHODS = ("REINFORCE", "PPO")
YLIM = (1e-3, 10.0)


class BanditExplorer(BaseExplorer):
    """Learning rate, baseline and clip range -> regret curves of REINFORCE and PPO on a bandit.

    Build it with :func:`explore_bandit`. ``summary`` holds the final median regrets.
    """

    def __init__(self, bandit: Bandit, theta0: np.ndarray, *, lr: Slider, eps: Slider, baseline: bool,
                 iterations: int, pulls: int, seeds: int, epochs: int, title: str) -> None:
        import ipywidgets as w

        self.bandit, self.theta0, self.title = bandit, np.asarray(theta0, float), title
        self._common = dict(iterations=iterations, pulls=pulls, seeds=seeds, epochs=epochs)
        self._setup_controls({"lr": lr, "baseline": Toggle(baseline), "eps": eps}, continuous=False)
        self._setup_png_panel()
        self._cache: dict[tuple, np.ndarray] = {}
        self._observe(list(self.sliders.values()))
        self.widget = w.VBox([w.HBox(list(self.sliders.values())), self._image, self._text])
        self.summary = ""
        self.refresh()

    def regret(self, method: str, v: Mapping[str, Any]) -> np.ndarray:
        r""":math:`J^* - J(\theta_t)` of every seed, ``(seeds, T + 1)`` (cached)."""
        eps = float(v["eps"]) if method == "PPO" else None
        key = (method, float(v["lr"]), bool(v["baseline"]), eps)
        if key not in self._cache:
            J = train_bandit(self.bandit, self.theta0, lr=float(v["lr"]), method=method.lower(),
                             baseline=bool(v["baseline"]), eps=eps or 0.2, **self._common)
            self._cache[key] = self.bandit.means.max() - J
        return self._cache[key]

    @staticmethod
    def _stats(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g = np.maximum(g, YLIM[0])
        return np.median(g, 0), np.percentile(g, 10, 0), np.percentile(g, 90, 0)

    def _words(self, curves: Mapping[str, np.ndarray]) -> str:
        return "final median regret: " + ", ".join(f"{m} {np.median(g[:, -1]):.3g}" for m, g in curves.items())

    def refresh(self) -> None:
        """Recompute both methods for the current settings and redraw."""
        v = self.values
        curves = {m: self.regret(m, v) for m in METHODS}
        self.summary = self._words(curves)
        ax = self.ax
        ax.clear()
        t = np.arange(self._common["iterations"] + 1)
        for i, (m, g) in enumerate(curves.items()):
            med, lo, hi = self._stats(g)
            st = viz.style(i)
            ax.fill_between(t, lo, hi, color=st["color"], alpha=0.2, lw=0)
            ax.plot(t, med, label=m, **st)
        ax.set_yscale("log")
        ax.set_ylim(*YLIM)
        ax.set_xlabel("iteration t")
        ax.set_ylabel("regret J* − J(θ_t)")
        ax.set_title(f"{self.title}: η = {v['lr']:.3g}, baseline {'on' if v['baseline'] else 'off'}, "
                     f"ε = {v['eps']:.2g}", fontsize=9)
        ax.legend(loc="lower left", fontsize=9)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        self._image.value = buf.getvalue()
        self._text.value = f"<span style='font-family: monospace'>{self.summary}</span>"

    def static_figure(self) -> StaticFigure:
        v = self.values
        book = self.book_controls()
        controls = [control_spec(n, c, c.grid(), v[n]) for n, c in book.items()]
        T = self._common["iterations"]
        panel = Panel(Axis(0, T, "iteration t"), Axis(*YLIM, "regret J* − J(θ_t)", log=True))
        deps = {"REINFORCE": [n for n in book if n != "eps"], "PPO": list(book)}
        items = [{"name": m, "color": viz.style(i)["color"], "dash": None if i == 0 else "7 4", "deps": deps[m],
                  "series": [(0, "band"), (0, "line")]} for i, m in enumerate(METHODS)]
        fig = StaticFigure("", controls, [panel], items)
        t = np.arange(T + 1, dtype=float)
        for it in items:
            for k, c in enumerate(fig.combos(it)):
                g = self.regret(it["name"], {**v, **c})
                med, lo, hi = self._stats(g)
                fig.put(it["name"], k, [(t, lo, hi), (t, med)],
                        f"{it['name']}: final median regret {np.median(g[:, -1]):.3g}")
        return fig

    def _render_static(self) -> str:
        s = self._common["seeds"]
        alt = f"Regret of REINFORCE and PPO on a {self.bandit.k}-armed bandit: {self.summary}"
        desc = (f"Regret J* − J(θ_t) against the iteration t on a {self.bandit.k}-armed Gaussian bandit, "
                f"{self._common['pulls']} pulls per iteration, median over {s} seeds with a 10–90% band, log axis. "
                "Controls: learning rate η, baseline (batch mean reward) on or off, PPO's clip range ε "
                f"({self._common['epochs']} epochs per batch).")
        return self.static_figure().html(alt=alt, description=desc, still=png_data_uri(self.fig, dpi=80, colors=48))

    def __repr__(self) -> str:
        v = self.values
        return (f"BanditExplorer: lr={v['lr']:.3g}, baseline={v['baseline']}, eps={v['eps']:.3g}; "
                f"{self.summary}")


def explore_bandit(bandit: Bandit, theta0: Any = None, *, lr: float = 0.3, eps: float = 0.2, baseline: bool = True,
                   static_lr: Sequence[float] = (0.03, 0.1, 0.3, 1.0, 3.0), static_eps: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
                   iterations: int = 100, pulls: int = 16, seeds: int = 8, epochs: int = 4,
                   title: str = "bandit") -> BanditExplorer:
    r"""An explorer of REINFORCE and PPO on ``bandit``: :math:`\eta`, baseline on/off, clip :math:`\epsilon`.

    Examples
    --------
    >>> ex = explore_bandit(Bandit([0.0, 1.0]), iterations=5, seeds=2, static_lr=[0.1], static_eps=[0.2])
    >>> ex.summary.startswith("final median regret")
    True
    """
    if not isinstance(bandit, Bandit):
        raise TypeError(f"bandit must be a descent.rl.Bandit; got {type(bandit).__name__}")
    theta0 = np.zeros(bandit.k) if theta0 is None else np.asarray(theta0, float)
    iterations = check_int("iterations", iterations, 1)
    vals = [float(x) for x in static_lr] + [float(lr)]
    lo, hi = min(vals), max(vals)
    lr_s = Slider(lo, hi if hi > lo else 10 * lo, lr, log=True, static=list(static_lr))
    eps_s = Slider(0.01, 0.9, eps, static=list(static_eps))
    return BanditExplorer(bandit, theta0, lr=lr_s, eps=eps_s, baseline=baseline, iterations=iterations,
                          pulls=pulls, seeds=seeds, epochs=epochs, title=title)

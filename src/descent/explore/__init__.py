"""Explorers: sliders over what a chapter varies, live in JupyterLab and kernel-free in the book.

- :mod:`~descent.explore.controls`: sliders, menus and check boxes (``interact`` conventions);
- :mod:`~descent.explore.base`: the generic explorer (controls -> compute -> draw) and its display;
- :mod:`~descent.explore.static`: the kernel-free page (precomputed runs, our own small script);
- :mod:`~descent.explore.compute`: several optimizers side by side, over seeds, in words;
- :func:`explore`: the landscape explorer; :func:`explore_profiles`: per-layer gradient norms.
"""

from .base import BaseExplorer, LiveAndStatic
from .controls import Choice, Slider, Toggle
from .landscape import Explorer, explore
from .profiles import ProfileExplorer, explore_profiles

__all__ = ["Slider", "Choice", "Toggle", "BaseExplorer", "LiveAndStatic", "Explorer", "explore",
           "ProfileExplorer", "explore_profiles"]

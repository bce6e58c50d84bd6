"""Compatibility module: the explorers now live in :mod:`descent.explore`.

``from descent.widgets import explore, Slider`` keeps working; new code
imports from :mod:`descent.explore`.
"""

from .explore import BaseExplorer, Choice, Explorer, LiveAndStatic, Slider, Toggle, explore

__all__ = ["Slider", "Choice", "Toggle", "Explorer", "BaseExplorer", "LiveAndStatic", "explore"]

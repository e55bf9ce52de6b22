"""Figures: one theme for the whole project, every figure saved as PNG and SVG."""

from sim.plots.style import PALETTE, apply_theme, save, set_figure_options

__all__ = ["PALETTE", "apply_theme", "save", "set_figure_options"]

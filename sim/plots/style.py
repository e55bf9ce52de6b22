"""The project's figure style and saving.

A seaborn theme with the colour-blind-safe palette, readable font sizes, and every figure
written atomically as PNG (200 dpi) and SVG, with its provenance in the files' metadata.

The theme is seaborn's ``set_theme(context="notebook", style="whitegrid",
palette="colorblind")`` written out as rcParams (:data:`THEME_RC`), so drawing a figure
imports neither seaborn nor the ``scipy.stats`` it pulls in (about 3 s per process);
``tests/test_lean_imports.py`` checks that the two still agree.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: crowdsim draws files, never windows

import matplotlib.pyplot as plt
from cycler import cycler
from matplotlib.colors import to_rgb

from sim.io import save_figure

__all__ = ["PALETTE", "SEABORN_RC", "THEME_RC", "COLOR_CODES", "add_caption", "apply_theme", "save",
           "set_figure_options"]

# project-wide output options, set once by the CLI (--pdf, --caption) or by a test (text_check)
_OPTIONS = {"pdf": False, "caption": False, "text_check": None}
_UNSET = object()


def set_figure_options(pdf: bool | None = None, caption: bool | None = None,
                       text_check=_UNSET) -> None:
    """Set project-wide figure options; None leaves an option as it is.

    Parameters
    ----------
    pdf : bool, optional
        Also write PDF files.
    caption : bool, optional
        Print the provenance as a small caption below every figure.
    text_check : callable or None, optional
        Called as ``text_check(fig, stem)`` just before each figure is written (with its
        caption), e.g. to collect :func:`sim.plots.checks.text_problems`; None turns it off.
    """
    if pdf is not None:
        _OPTIONS["pdf"] = bool(pdf)
    if caption is not None:
        _OPTIONS["caption"] = bool(caption)
    if text_check is not _UNSET:
        _OPTIONS["text_check"] = text_check


#: Colour-blind-safe palette (seaborn "colorblind", ``sns.color_palette("colorblind")``), as
#: RGB tuples indexable by role.
PALETTE = [to_rgb(c) for c in ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
                               "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9")]

#: The rcParams of ``sns.set_theme(context="notebook", style="whitegrid",
#: palette="colorblind")``. Left out: seaborn's ``image.cmap`` ("rocket" exists only once
#: seaborn is imported; every figure here names its colour map).
SEABORN_RC = {
    # seaborn's "notebook" context
    "font.size": 12, "axes.labelsize": 12, "axes.titlesize": 12, "xtick.labelsize": 11,
    "ytick.labelsize": 11, "legend.fontsize": 11, "legend.title_fontsize": 12,
    "axes.linewidth": 1.25, "grid.linewidth": 1, "lines.linewidth": 1.5,
    "lines.markersize": 6, "patch.linewidth": 1, "xtick.major.width": 1.25,
    "ytick.major.width": 1.25, "xtick.minor.width": 1, "ytick.minor.width": 1,
    "xtick.major.size": 6, "ytick.major.size": 6, "xtick.minor.size": 4, "ytick.minor.size": 4,
    # seaborn's "whitegrid" style, sans-serif
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out",
    "ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15",
    "axes.axisbelow": True, "grid.linestyle": "-", "text.color": ".15",
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "xtick.top": False, "ytick.right": False, "axes.grid": True, "axes.facecolor": "white",
    "axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True,
    "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "xtick.bottom": False, "ytick.left": False,
    # seaborn's "colorblind" palette as the colour cycle
    "axes.prop_cycle": cycler("color", PALETTE),
}

#: crowdsim's figure theme: :data:`SEABORN_RC` with crowdsim's own sizes and output options.
THEME_RC = {**SEABORN_RC, "figure.dpi": 100, "savefig.dpi": 200, "axes.titlesize": 12,
            "axes.labelsize": 11, "legend.fontsize": 9, "figure.autolayout": False,
            "svg.hashsalt": "crowdsim"}

#: What seaborn's ``color_codes=True`` makes of matplotlib's one-letter colours: "b", "g",
#: "r", "m", "y", "c" from its six-colour colour-blind palette, "k" a dark grey.
COLOR_CODES = dict(zip("bgrmyck", [to_rgb(c) for c in (
    "#0173b2", "#029e73", "#d55e00", "#cc78bc", "#ece133", "#56b4e9", (0.1, 0.1, 0.1))]))


def apply_theme() -> None:
    """Apply crowdsim's figure theme (:data:`THEME_RC` and :data:`COLOR_CODES`)."""
    matplotlib.rcParams.update(THEME_RC)
    for code, colour in COLOR_CODES.items():
        matplotlib.colors.colorConverter.colors[code] = colour


def save(fig, stem: str | Path, provenance: dict | None = None,
         formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (atomically) and close it.

    The provenance (experiment, config hash, version, commit, date) goes into the files'
    metadata: PNG text chunks, SVG ``<metadata>``; with the ``caption`` option also into a
    caption below the figure (:func:`add_caption`). The ``text_check`` option, if set, sees
    the figure just before it is written.
    """
    stem = Path(stem)
    provenance = provenance or {}
    description = ", ".join(f"{k}={provenance[k]}" for k in
                            ("experiment", "config_hash", "crowdsim_version", "git_commit",
                             "timestamp") if provenance.get(k) is not None)
    if _OPTIONS["pdf"] and "pdf" not in formats and formats == ("png", "svg"):
        formats = (*formats, "pdf")
    if _OPTIONS["caption"] and description:
        commit = (provenance.get("git_commit") or "")[:10] or "none"
        config = (provenance.get("config_hash") or "")[:10]
        add_caption(fig, [f"crowdsim {provenance.get('crowdsim_version')}",
                          f"{provenance.get('experiment')}", f"config {config}",
                          f"commit {commit}", f"{provenance.get('timestamp')}"])
    if _OPTIONS["text_check"] is not None:
        _OPTIONS["text_check"](fig, stem)
    paths = []
    for fmt in formats:
        metadata = {"png": {"Software": "crowdsim", "Description": description},
                    "svg": {"Creator": "crowdsim", "Description": description},
                    "pdf": {"Creator": "crowdsim", "Subject": description}}[fmt]
        paths.append(save_figure(fig, stem.with_name(f"{stem.name}.{fmt}"), metadata=metadata,
                                 bbox_inches="tight"))
    plt.close(fig)
    return paths


def add_caption(fig, parts: list[str], fontsize: float = 6) -> None:
    """Print ``parts`` (joined by " | ", wrapped to the figure's width) as a small grey
    caption in a strip below everything else.

    A figure with constrained layout gets the strip reserved inside the canvas (the layout's
    ``rect`` shrinks from below), so the caption never covers an axis label. A figure without
    it gets the caption below its drawn content, outside the canvas, where
    ``bbox_inches="tight"`` still includes it.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig.canvas.draw()  # lay the figure out, so its extent and text sizes are known
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    lines, line = [], ""
    for part in parts:
        trial = f"{line} | {part}" if line else part
        probe = fig.text(0, 0, trial, fontsize=fontsize)
        fits = probe.get_window_extent(renderer).width <= 0.98 * width
        probe.remove()
        if line and not fits:
            lines.append(line)
            trial = part
        line = trial
    lines.append(line)
    caption = fig.text(0.005, 0.0, "\n".join(lines), fontsize=fontsize, color="0.45",
                       ha="left", va="bottom")
    height = caption.get_window_extent(renderer).height
    pad = 0.5 * fontsize * fig.dpi / 72  # half a line, in pixels
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        left, bottom, w, h = engine.get().get("rect", (0, 0, 1, 1))
        strip = (height + 2 * pad) / fig.bbox.height
        engine.set(rect=(left, bottom + strip, w, h - strip))
        caption.set_y(bottom + pad / fig.bbox.height)
        # constrained layout anchors figure legends at the bottom and the x super-label to
        # the figure's edge, not to the rect: lift them above the strip
        points = (height + 2 * pad) * 72 / fig.dpi
        for legend in fig.legends:
            lower = legend._loc in (3, 4, 8)  # lower left, lower right, lower center
            if lower and getattr(legend, "_bbox_to_anchor", None) is None:
                legend.borderaxespad += points / legend._fontsize
        label = getattr(fig, "_supxlabel", None)
        if label is not None and getattr(label, "_autopos", False):
            label._autopos = False
            label.set_y(label.get_position()[1] + strip)
    else:
        below = fig.get_tightbbox(renderer).y0 * fig.dpi  # inches -> pixels
        caption.set_y((min(below, 0.0) - pad - height) / fig.bbox.height)

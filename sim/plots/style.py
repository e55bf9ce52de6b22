"""The project's figure style and saving.

A seaborn theme with the colour-blind-safe palette, readable font sizes, and every figure
written atomically as PNG (200 dpi) and SVG, with its provenance in the files' metadata.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: crowdsim draws files, never windows

import matplotlib.pyplot as plt
import seaborn as sns

from sim.io import save_figure

__all__ = ["PALETTE", "apply_theme", "save", "set_figure_options"]

# project-wide output options, set once by the CLI (--pdf, --caption)
_OPTIONS = {"pdf": False, "caption": False}


def set_figure_options(pdf: bool | None = None, caption: bool | None = None) -> None:
    """Also write PDF files (``pdf``) and/or print the provenance as a small caption
    under every figure (``caption``)."""
    if pdf is not None:
        _OPTIONS["pdf"] = bool(pdf)
    if caption is not None:
        _OPTIONS["caption"] = bool(caption)

#: Colour-blind-safe palette (seaborn "colorblind"), indexable by role.
PALETTE = sns.color_palette("colorblind")


def apply_theme() -> None:
    """Apply crowdsim's figure theme."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind",
                  rc={"figure.dpi": 100, "savefig.dpi": 200, "axes.titlesize": 12,
                      "axes.labelsize": 11, "legend.fontsize": 9, "figure.autolayout": False,
                      "svg.hashsalt": "crowdsim"})


def save(fig, stem: str | Path, provenance: dict | None = None,
         formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (atomically) and close it.

    The provenance (experiment, config hash, version, commit, date) goes into the files'
    metadata: PNG text chunks, SVG ``<metadata>``.
    """
    stem = Path(stem)
    provenance = provenance or {}
    description = ", ".join(f"{k}={provenance[k]}" for k in
                            ("experiment", "config_hash", "crowdsim_version", "git_commit",
                             "timestamp") if provenance.get(k) is not None)
    if _OPTIONS["pdf"] and "pdf" not in formats and formats == ("png", "svg"):
        formats = (*formats, "pdf")
    if _OPTIONS["caption"] and description:
        short = {k: provenance.get(k) for k in ("experiment", "crowdsim_version", "timestamp")}
        commit = (provenance.get("git_commit") or "")[:10]
        config = (provenance.get("config_hash") or "")[:10]
        fig.text(0.005, 0.002, f"crowdsim {short['crowdsim_version']} | {short['experiment']} "
                 f"| config {config} | commit {commit or 'none'} | {short['timestamp']}",
                 fontsize=6, color="0.45", ha="left", va="bottom")
    paths = []
    for fmt in formats:
        metadata = {"png": {"Software": "crowdsim", "Description": description},
                    "svg": {"Creator": "crowdsim", "Description": description},
                    "pdf": {"Creator": "crowdsim", "Subject": description}}[fmt]
        paths.append(save_figure(fig, stem.with_name(f"{stem.name}.{fmt}"), metadata=metadata,
                                 bbox_inches="tight"))
    plt.close(fig)
    return paths

"""MusicLab (Salganik, Dodds & Watts 2006, Science 311:854): inequality and unpredictability
of success as social influence grows.

What it runs
    ``repeats`` replications of the MusicLab design through the cumulative-advantage kernel
    (:mod:`sim.models.cumulative_advantage`): each draws one set of ``n_songs`` songs
    (qualities and appeals) and runs ``n_worlds`` worlds of ``n_listeners`` listeners for
    every social weight s in ``social_weights`` (s = 0 is the independent condition). All
    worlds of a replication share its songs; world w uses the same seed at every s (common
    random numbers), so differences between weights are not differences of luck.
    MusicLab had one independent world and eight social ones; the simulation runs
    ``n_worlds`` worlds in every condition so that unpredictability, which needs pairs of
    worlds, is measured alike in all of them.
What it reports
    Per social weight (mean and standard error over replications): the Gini coefficient of
    market shares (mean over worlds), Salganik et al.'s unpredictability U (mean over songs
    of the mean absolute difference of market share over pairs of worlds) and the Spearman
    correlation of market share with quality (mean over worlds). Verdicts: whether Gini and U
    rise with social influence, as Salganik et al. found, and the paired differences against
    the independent condition. ``points.parquet`` (one row per weight), ``worlds.parquet``
    (one row per world) and figure ``musiclab``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator
from scipy.stats import spearmanr

from sim.config import ConfigError, ExperimentConfig, describe_error
from sim.io import write_json, write_parquet
from sim.models.cumulative_advantage import (MarketParams, gini, make_songs, market_shares,
                                             quality_correlation, simulate_markets,
                                             unpredictability)
from sim.report import verdict_lines
from sim.seeding import derive_seed, generator, replicate_seeds

__all__ = ["MusicLabConfig", "figures", "key_numbers", "run"]

Z_LIMIT = 3.0
MARKET_KEYS = ("n_songs", "n_listeners", "n_worlds", "quality_low", "quality_high",
               "appeal_spread")


class MusicLabConfig(ExperimentConfig):
    """Config of the MusicLab experiment (``configs/musiclab.yaml``)."""

    experiment: Literal["musiclab"]
    n_songs: int = Field(48, ge=2)
    n_listeners: int = Field(700, ge=1)
    n_worlds: int = Field(8, ge=2)
    quality_low: float = Field(0.2, ge=0, le=1)
    quality_high: float = Field(0.8, ge=0, le=1)
    appeal_spread: float = Field(0.0, ge=0, lt=1)
    social_weights: list[float] = Field(min_length=2, description="social weights s; must "
                                                                  "include 0 (independent)")
    repeats: int = Field(50, ge=2, description="replications of the whole design")

    @model_validator(mode="after")
    def _check(self) -> MusicLabConfig:
        if any(s < 0 for s in self.social_weights):
            raise ValueError("social_weights: must all be >= 0")
        if 0.0 not in self.social_weights:
            raise ValueError("social_weights: must include 0 (the independent condition)")
        if len(set(self.social_weights)) != len(self.social_weights):
            raise ValueError("social_weights: must not repeat a value")
        try:
            self.market(0.0)
        except ValidationError as exc:
            raise ValueError(describe_error(exc, MarketParams)) from None
        return self

    def market(self, social_weight: float) -> MarketParams:
        """The market of one condition."""
        return MarketParams(social_weight=social_weight,
                            **{k: getattr(self, k) for k in MARKET_KEYS})


Config = MusicLabConfig


def simulate_all(config: MusicLabConfig) -> pd.DataFrame:
    """One row per world: replication, social weight, world, seed and its outcomes."""
    rows = []
    for rep in range(config.repeats):
        songs = make_songs(config.market(0.0), generator(derive_seed(config.seed, rep, 0)))
        seeds = replicate_seeds(config.seed, config.n_worlds, key_prefix=(rep, 1))
        for s in sorted(config.social_weights):
            batch = simulate_markets(config.market(s), seeds, songs=songs)
            shares = market_shares(batch.downloads)
            world_gini = gini(shares)
            corr = quality_correlation(shares, songs.quality)
            u = float(unpredictability(shares))
            for w in range(config.n_worlds):
                rows.append({"repeat": rep, "social_weight": s, "world": w,
                             "seed": int(seeds[w]), "downloads": int(batch.downloads[w].sum()),
                             "gini": float(world_gini[w]), "top_share": float(shares[w].max()),
                             "quality_correlation": float(corr[w]),
                             "unpredictability": u})
    return pd.DataFrame(rows)


def summarise(worlds: pd.DataFrame) -> pd.DataFrame:
    """Per social weight: mean and SE over replications of the per-replication outcomes,
    and paired differences against the independent condition (s = 0)."""
    per_rep = worlds.groupby(["social_weight", "repeat"]).agg(
        gini=("gini", "mean"), unpredictability=("unpredictability", "first"),
        quality_correlation=("quality_correlation", "mean"),
        top_share=("top_share", "mean")).reset_index()
    base = per_rep[per_rep.social_weight == 0.0].set_index("repeat")
    rows = []
    for s, group in per_rep.groupby("social_weight"):
        group = group.set_index("repeat")
        n = len(group)
        row = {"social_weight": s, "repeats": n}
        for metric in ("gini", "unpredictability", "quality_correlation", "top_share"):
            values = group[metric]
            diff = values - base[metric].reindex(values.index)
            row[metric] = float(values.mean())
            row[f"{metric}_se"] = float(values.std(ddof=1) / np.sqrt(n))
            row[f"{metric}_vs_independent"] = float(diff.mean())
            row[f"{metric}_vs_independent_se"] = float(diff.std(ddof=1) / np.sqrt(n))
        rows.append(row)
    return pd.DataFrame(rows)


def verdicts(points: pd.DataFrame) -> list[dict]:
    out = []
    social = points[points.social_weight > 0]
    for metric, label in (("gini", "inequality (Gini of market shares)"),
                          ("unpredictability", "unpredictability U")):
        rho = spearmanr(points.social_weight, points[metric]).statistic
        z = social[f"{metric}_vs_independent"] / social[f"{metric}_vs_independent_se"]
        strongest = social.loc[social.social_weight.idxmax()]
        out.append({
            "effect": f"social influence raises {label}, as Salganik et al. (2006) found",
            "data": {"salganik_2006": f"{label} higher in the social-influence worlds than "
                                      "in the independent world (both experiments)"},
            "simulation": {
                "social_weight": points.social_weight.tolist(),
                metric: points[metric].tolist(),
                "se": points[f"{metric}_se"].tolist(),
                "independent": float(points.loc[points.social_weight == 0, metric].iloc[0]),
                "strongest_social": float(strongest[metric]),
                "rank_correlation_with_weight": float(rho),
                "paired_z_vs_independent": z.tolist(),
            },
            "reproduced": bool(rho > 0.9 and z.iloc[-1] > Z_LIMIT),
            "note": "reproduced = rises with s (Spearman > 0.9 across the weights) and the "
                    "strongest social condition exceeds the independent one by > 3 paired SE; "
                    "the smallest weights may not differ detectably",
        })
    rho = spearmanr(points.social_weight, points.quality_correlation).statistic
    out.append({
        "effect": "success follows quality less as social influence grows",
        "data": {"salganik_2006": "the best songs rarely did poorly and the worst rarely did "
                                  "well, but any other result was possible"},
        "simulation": {"social_weight": points.social_weight.tolist(),
                       "quality_correlation": points.quality_correlation.tolist(),
                       "rank_correlation_with_weight": float(rho)},
        "reproduced": bool(rho < -0.9),
        "note": "Spearman correlation of market share with the songs' quality; Salganik et al. "
                "measured quality as success in the independent world",
    })
    return out




PANELS = (("gini", "Inequality", "Gini coefficient of market shares"),
          ("unpredictability", "Unpredictability across worlds",
           "U (mean |difference| of market share)"),
          ("quality_correlation", "Success against quality",
           "Spearman correlation: share vs quality"))


def draw_figure(out_dir: Path, points: pd.DataFrame, design: dict,
                provenance: dict) -> list[str]:
    """Figure ``musiclab``: Gini, U and the quality correlation against the social weight
    (drawn from the points table and the design alone, so :func:`figures` can redraw it)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    points = points.sort_values("social_weight")
    positive = points.social_weight[points.social_weight > 0]
    floor = positive.min() / 3 if len(positive) else 1e-3   # where s = 0 sits on a log axis
    social = points[points.social_weight > 0]
    independent = points[points.social_weight == 0]
    ticks = [floor, *[t for t in 10.0 ** np.arange(-4, 4)
                      if positive.min() <= t <= positive.max() * 1.01]] if len(positive) \
        else [floor]
    for ax, (metric, title, ylabel) in zip(axes, PANELS):
        ax.errorbar(social.social_weight, social[metric], yerr=2 * social[f"{metric}_se"],
                    fmt="o-", color=PALETTE[0], ms=5, capsize=2, label="social influence")
        ax.errorbar([floor] * len(independent), independent[metric],
                    yerr=2 * independent[f"{metric}_se"], fmt="s", color=PALETTE[3], ms=8,
                    capsize=2, label="independent (s = 0)")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: "0" if np.isclose(v, floor) else f"{v:g}"))
        ax.set_xlabel("social weight s (log scale)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    axes[0].legend(fontsize=9, loc="upper left")
    fig.suptitle(f"Cumulative advantage: {design['n_songs']} songs, {design['n_listeners']} "
                 f"listeners per world, {design['n_worlds']} worlds, {design['repeats']} "
                 "replications (error bars: 2 SE)", fontsize=11)
    fig.tight_layout()
    return [str(path) for path in save(fig, out_dir / "musiclab", provenance)]


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw the figure from ``points.parquet`` and the design in ``summary.json``."""
    out_dir = Path(out_dir)
    design = summary.get("design")
    if design is None:  # results from before the design was stored: use the config
        raw = summary.get("provenance", {}).get("config")
        if not raw:
            raise ConfigError(f"{out_dir}: written by an older crowdsim without the design; "
                              "run the experiment again to redraw its figures")
        config = MusicLabConfig.model_validate(raw)
        design = {k: getattr(config, k) for k in (*MARKET_KEYS, "repeats")}
    points = pd.read_parquet(out_dir / summary["files"]["points"])
    return draw_figure(out_dir, points, design, summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"]).sort_values("social_weight")
    design = summary.get("design")
    rows = []
    if design:
        rows.append(("design", f"{design['n_songs']} songs, {design['n_listeners']} listeners "
                               f"x {design['n_worlds']} worlds per condition, "
                               f"{design['repeats']} replications"))
    base, top = points.iloc[0], points.iloc[-1]
    for metric, label, fmt in (("gini", "Gini of market shares", ".3f"),
                               ("unpredictability", "unpredictability U", ".4f"),
                               ("quality_correlation", "rank correlation with quality", ".3f"),
                               ("top_share", "market share of the top song", ".3f")):
        rows.append((f"{label}, s {base.social_weight:g} -> {top.social_weight:g}",
                     f"{base[metric]:{fmt}} -> {top[metric]:{fmt}} (± "
                     f"{2 * top[f'{metric}_se']:{fmt}}, 2 SE)"))
    verdicts = summary.get("verdicts", [])
    rows.append(("published effects reproduced",
                 f"{sum(v['reproduced'] is True for v in verdicts)} of {len(verdicts)}"))
    return rows


def run(config: MusicLabConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the experiment; write ``summary.json``, the tables and the figure."""
    worlds = simulate_all(config)
    points = summarise(worlds)
    log(f"{len(worlds):,} worlds: {config.repeats} replications x "
        f"{len(config.social_weights)} social weights x {config.n_worlds} worlds")
    effects = verdicts(points)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "points.parquet", points)
    write_parquet(out_dir / "worlds.parquet", worlds)
    design = {k: getattr(config, k) for k in (*MARKET_KEYS, "repeats")}
    design["social_weights"] = sorted(config.social_weights)
    figures = draw_figure(out_dir, points, design, provenance)
    summary = {
        "experiment": config.experiment,
        "title": config.title or "MusicLab: cumulative advantage",
        "model": "P(listen j) = (a_j + s d_j) / sum_k (a_k + s d_k), download with "
                 "probability q_j (Krumme et al. 2012; Abeliuk et al. 2015 at s = 1)",
        "design": design,
        "points": points.to_dict(orient="records"),
        "verdicts": effects,
        "files": {"points": "points.parquet", "worlds": "worlds.parquet",
                  "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for line in verdict_lines(effects):
        log(line)
    return summary

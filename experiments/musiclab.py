"""MusicLab (Salganik, Dodds & Watts 2006, Science 311:854): inequality and unpredictability
of success as social influence grows.

What it runs
    Stage ``replications``: ``repeats`` replications of the MusicLab design per social weight
    s in ``social_weights`` (s = 0 is the independent condition), through the
    cumulative-advantage kernel (:mod:`sim.models.cumulative_advantage`). One run is one
    replication (model :data:`WORLDS`): it draws one set of ``market.n_songs`` songs
    (qualities and appeals) and runs ``market.n_worlds`` worlds of ``market.n_listeners``
    listeners that all share those songs. The stage is paired (common random numbers):
    replication r draws from the same seed at every social weight, so every condition hears
    the same songs, as in MusicLab, where one set of 48 songs was played in all worlds.
    MusicLab had one independent world and eight social ones; the simulation runs
    ``n_worlds`` worlds in every condition so that unpredictability, which needs pairs of
    worlds, is measured alike in all of them.
What it reports
    Per social weight (mean and standard error over replications): the Gini coefficient of
    market shares (mean over worlds), Salganik et al.'s unpredictability U (mean over songs
    of the mean absolute difference of market share over pairs of worlds) and the Spearman
    correlation of market share with quality (mean over worlds). Verdicts (the one rule of
    :mod:`sim.verdicts`; Salganik et al. give directions without numbers, so these rows are
    "no data interval", with the model's 90 % interval): whether Gini and U rise with social
    influence, as Salganik et al. found, and the differences against the independent
    condition (replication r at s against replication r at s = 0).
    ``points.parquet`` (one row per weight), ``replications.parquet`` (one row per
    replication and weight; every run is also in ``runs/replications``) and figure
    ``musiclab``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from scipy.stats import spearmanr

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, NonNegative, check_distinct, reject_swept_settings
from sim.models.cumulative_advantage.kernel import make_songs, simulate_markets
from sim.models.cumulative_advantage.metrics import (
    gini,
    market_shares,
    quality_correlation,
    unpredictability,
)
from sim.models.cumulative_advantage.params import MarketParams
from sim.models.cumulative_advantage.sweep import MODEL as MARKETS
from sim.report import reproduced_row
from sim.seeding import derive_seed, generator, replicate_seeds
from sim.stats import normal_interval
from sim.sweep.models import SweepModel
from sim.verdicts import verdict_row

__all__ = ["MusicLabConfig", "Config", "WORLDS", "run", "figures", "key_numbers"]

#: The measures of one replication (each world's, averaged over its worlds, except U).
METRICS = ("gini", "unpredictability", "quality_correlation", "top_share")
#: Keys under a replication's seed: the stream its songs are drawn from, and its worlds'.
SONGS_KEY, WORLDS_KEY = 0, 1


# ---------------------------------------------------------------------------------------------
# one run: a replication (one set of songs, n_worlds worlds sharing it)


def _mean_over_worlds(values: np.ndarray) -> float:
    """Mean over the worlds that have a value (a world without downloads has none)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def replication_metrics(shares: np.ndarray, quality: np.ndarray) -> dict[str, float]:
    """The measures of one replication from its worlds' market shares (worlds x songs).

    Examples
    --------
    >>> out = replication_metrics(np.array([[0.5, 0.5], [1.0, 0.0]]), np.array([0.2, 0.8]))
    >>> out["gini"], out["unpredictability"], out["top_share"]
    (0.25, 0.5, 0.75)
    """
    return {"gini": _mean_over_worlds(gini(shares)),
            "unpredictability": float(unpredictability(shares)),
            "quality_correlation": _mean_over_worlds(quality_correlation(shares, quality)),
            "top_share": _mean_over_worlds(shares.max(axis=-1))}


def run_replications(params: MarketParams, seeds: np.ndarray,
                     metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One replication per seed: songs drawn from the seed's songs stream, then
    ``params.n_worlds`` worlds sharing them, each with its own seed under the run's seed.

    Examples
    --------
    >>> out = run_replications(MarketParams(n_songs=4, n_listeners=40, n_worlds=3),
    ...                        np.array([1, 2]), ["unpredictability"])
    >>> out["unpredictability"].shape
    (2,)
    """
    out = {name: np.empty(len(seeds)) for name in metrics}
    for r, seed in enumerate(seeds):
        songs = make_songs(params, generator(derive_seed(int(seed), SONGS_KEY)))
        worlds = replicate_seeds(int(seed), params.n_worlds, key_prefix=(WORLDS_KEY,))
        batch = simulate_markets(params, worlds, songs=songs)
        values = replication_metrics(market_shares(batch.downloads), songs.quality)
        for name in metrics:
            out[name][r] = values[name]
    return out


WORLDS = SweepModel(
    params_schema=MarketParams,
    run_batch=run_replications,
    metrics=METRICS,
    default_metrics=METRICS,
    seconds_per_run=lambda point: 5e-4 * point.get("n_worlds", 8),
    warm_up=MARKETS.warm_up,
    example={"n_songs": 6, "n_listeners": 60, "social_weight": 0.5, "appeal_spread": 0.3,
             "n_worlds": 3},
)
"""Replications of the MusicLab design as the sweep engine runs them
(``"experiments.musiclab:WORLDS"``)."""
WORLDS_PATH = "experiments.musiclab:WORLDS"


# ---------------------------------------------------------------------------------------------
# the config


class MusicLabConfig(ExperimentConfig):
    """Config of the MusicLab experiment (``configs/musiclab.yaml``).

    ``market`` holds the cumulative-advantage model's parameters that every condition shares
    (its own schema, :class:`sim.models.cumulative_advantage.MarketParams`); the social
    weight is swept by ``social_weights``.
    """

    experiment: Literal["musiclab"]
    market: MarketParams = Field(default_factory=MarketParams,
                                 description="the market of every condition")
    social_weights: list[NonNegative] = Field(
        min_length=2, description="social weights s; must include 0 (independent)")
    repeats: int = Field(50, ge=2, description="replications of the whole design")

    @model_validator(mode="after")
    def _check(self) -> MusicLabConfig:
        reject_swept_settings(self.market, "market", {"social_weight": "social_weights"})
        if 0.0 not in self.social_weights:
            raise ValueError("social_weights: must include 0 (the independent condition)")
        check_distinct("social_weights", self.social_weights)
        return self

    def base(self) -> dict:
        """The market's parameters as the conditions share them (``fixed`` of the stage)."""
        unused = {"social_weight"}
        # given songs replace the ranges they would be drawn from (MarketParams rejects both)
        if self.market.qualities is not None:
            unused |= {"quality_low", "quality_high"}
        if self.market.appeals is not None:
            unused.add("appeal_spread")
        return self.market.model_dump(mode="json", exclude=unused, exclude_none=True)

    def design(self) -> dict:
        """The design as the figure and the key numbers show it."""
        market = self.market
        return {"n_songs": market.n_songs, "n_listeners": market.n_listeners,
                "n_worlds": market.n_worlds, "quality_low": market.quality_low,
                "quality_high": market.quality_high, "appeal_spread": market.appeal_spread,
                "repeats": self.repeats, "social_weights": sorted(self.social_weights)}


Config = MusicLabConfig


# ---------------------------------------------------------------------------------------------
# the analysis


def summarise(replications: pd.DataFrame) -> pd.DataFrame:
    """Per social weight: mean and SE over replications of the per-replication outcomes,
    and differences against the independent condition (s = 0), replication r against
    replication r (the same songs: a paired difference and its SE)."""
    base = replications[replications.social_weight == 0.0].set_index("replicate")
    rows = []
    for s, group in replications.groupby("social_weight"):
        group = group.set_index("replicate")
        n = len(group)
        row = {"social_weight": s, "repeats": n}
        for metric in METRICS:
            values = group[metric]
            diff = values - base[metric].reindex(values.index)
            row[metric] = float(values.mean())
            row[f"{metric}_se"] = float(values.std(ddof=1) / np.sqrt(n))
            row[f"{metric}_vs_independent"] = float(diff.mean())
            row[f"{metric}_vs_independent_se"] = float(diff.std(ddof=1) / np.sqrt(n))
        rows.append(row)
    return pd.DataFrame(rows)


def verdicts(points: pd.DataFrame) -> list[dict]:
    """One row per published effect (see the module docstring), by the one rule
    (:mod:`sim.verdicts`). Salganik et al. report these effects as directions without a
    number with uncertainty we could use: the data's value and interval are None, so the
    rule labels them "no data interval" (not judged); the model's value is the change from
    the independent condition to the strongest social one (paired over replications,
    +- 1.6449 SE)."""
    out = []
    social = points[points.social_weight > 0]
    strongest = social.loc[social.social_weight.idxmax()]
    for metric, label in (("gini", "inequality (Gini of market shares)"),
                          ("unpredictability", "unpredictability U")):
        rho = spearmanr(points.social_weight, points[metric]).statistic
        change = float(strongest[f"{metric}_vs_independent"])
        se = float(strongest[f"{metric}_vs_independent_se"])
        row = verdict_row(
            f"social influence raises {label}, as Salganik et al. (2006) found", None, None,
            change, normal_interval(change, se),
            note=f"data: {label} higher in the social-influence worlds than in the independent "
                 "world (both experiments), published as a direction without uncertainty: no "
                 f"data interval; model: change at s = {strongest.social_weight:g} against "
                 f"s = 0, paired over replications; rises with s: Spearman {rho:.2f}")
        row["detail"] = {"social_weight": points.social_weight.tolist(),
                         metric: points[metric].tolist(),
                         "se": points[f"{metric}_se"].tolist(),
                         "rank_correlation_with_weight": float(rho)}
        out.append(row)
    rho = spearmanr(points.social_weight, points.quality_correlation).statistic
    change = float(strongest["quality_correlation_vs_independent"])
    se = float(strongest["quality_correlation_vs_independent_se"])
    row = verdict_row(
        "success follows quality less as social influence grows", None, None, change,
        normal_interval(change, se),
        note="data: the best songs rarely did poorly and the worst rarely did well, but any "
             "other result was possible (no number: no data interval); model: change of the "
             f"Spearman correlation of market share with quality at s = "
             f"{strongest.social_weight:g} against s = 0; across the weights {rho:.2f}")
    row["detail"] = {"social_weight": points.social_weight.tolist(),
                     "quality_correlation": points.quality_correlation.tolist(),
                     "rank_correlation_with_weight": float(rho)}
    out.append(row)
    return out


def run(config: MusicLabConfig, engine: Engine) -> Outcome:
    """Run the replications at every social weight and compare the conditions."""
    weights = sorted(config.social_weights)
    runs = engine.run(Stage("replications", WORLDS_PATH, [{"social_weight": s} for s in weights],
                            config.repeats, fixed=config.base(), metrics=METRICS,
                            paired=True))
    replications = runs[["social_weight", "replicate", "seed", *METRICS]].reset_index(drop=True)
    points = summarise(replications)
    engine.log(f"{len(replications):,} replications of {config.market.n_worlds} worlds: "
               f"{config.repeats} x {len(weights)} social weights")
    summary = {
        "model": "P(listen j) = (a_j + s d_j) / sum_k (a_k + s d_k), download with "
                 "probability q_j (Krumme et al. 2012; Abeliuk et al. 2015 at s = 1)",
        "design": config.design(),
        "points": points.to_dict(orient="records"),
    }
    return Outcome(summary=summary, tables={"points": points, "replications": replications},
                   verdicts=verdicts(points))


# ---------------------------------------------------------------------------------------------
# figures and key numbers


PANELS = (("gini", "Inequality of success",
           "Gini coefficient of market shares\n(0: all songs equal, 1: one song takes all)"),
          ("unpredictability", "Unpredictability across worlds",
           "unpredictability U (mean |difference| in a\nsong's market share between two worlds)"),
          ("quality_correlation", "Success against quality",
           "rank correlation of market share\nwith song quality (Spearman)"))


def draw_figure(out_dir: Path, points: pd.DataFrame, design: dict,
                provenance: dict) -> list[Path]:
    """Figure ``musiclab``: Gini, U and the quality correlation against the social weight
    (drawn from the points table and the design alone, so :func:`figures` can redraw it)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.9), layout="constrained")
    points = points.sort_values("social_weight")
    positive = points.social_weight[points.social_weight > 0]
    floor = positive.min() / 3 if len(positive) else 1e-3   # where s = 0 sits on a log axis
    social = points[points.social_weight > 0]
    independent = points[points.social_weight == 0]
    decades = [t for t in 10.0 ** np.arange(-4, 4)
               if len(positive) and positive.min() <= t <= positive.max() * 1.01]
    # ticks at the decades, or at the weights simulated when fewer than two decades show
    ticks = [floor, *(decades if len(decades) >= 2 else sorted(positive))]
    # the break in the log axis between s = 0 and the smallest positive weight
    gap = np.sqrt(floor * positive.min()) if len(positive) else None
    for ax, (metric, title, ylabel) in zip(axes, PANELS):
        ax.errorbar(social.social_weight, social[metric], yerr=2 * social[f"{metric}_se"],
                    fmt="o-", color=PALETTE[0], ms=5, capsize=2,
                    label="social influence: download counts shown (s > 0)")
        ax.errorbar([floor] * len(independent), independent[metric],
                    yerr=2 * independent[f"{metric}_se"], fmt="s", color=PALETTE[3], ms=8,
                    capsize=2, label="independent: no download counts (s = 0)")
        if len(independent):
            ax.axhline(independent[metric].iloc[0], color=PALETTE[3], ls=":", lw=1.2,
                       label="independent level, for comparison")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: "0" if np.isclose(v, floor) else f"{v:g}"))
        ax.set_xlim(floor / 1.8, (positive.max() if len(positive) else floor) * 1.8)
        if gap is not None:
            ax.plot([gap, gap], [0, 0], transform=ax.get_xaxis_transform(), ls="none",
                    marker=[(-0.5, -1), (0.5, 1)], ms=9, mew=1.5, color="0.3",
                    clip_on=False, zorder=5)
        ax.set_xlabel("social weight s (appeal added per download;\nlog scale, broken after 0)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    handles, labels = axes[0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("independent level"))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=9,
               frameon=False)
    fig.suptitle(f"Cumulative advantage: {design['n_songs']} songs, {design['n_listeners']} "
                 f"listeners in each of {design['n_worlds']} worlds, {design['repeats']} "
                 "replications (error bars: \u00b1 2 SE over replications)", fontsize=11)
    return save(fig, out_dir / "musiclab", provenance)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Redraw the figure from ``points.parquet`` and the design in ``summary.json``."""
    out_dir = Path(out_dir)
    points = pd.read_parquet(out_dir / "points.parquet")
    return draw_figure(out_dir, points, summary["design"], summary.get("provenance", {}))


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
    rows.append(reproduced_row(summary.get("verdicts", [])))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("When listeners see how often others downloaded each song, does success become "
            "more unequal and less predictable, as Salganik, Dodds & Watts found in MusicLab "
            "(2006), and does it follow quality less?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    design = summary.get("design", {})
    over = (f", means over {design['repeats']} replications of {design['n_worlds']} worlds "
            "each" if {"repeats", "n_worlds"} <= set(design) else "")
    return {"musiclab": (
        "Inequality (Gini coefficient of market shares), unpredictability U across worlds and "
        "the rank correlation of market share with song quality against the social weight s, "
        "the appeal a download adds to its song (log scale, broken after 0; the square at the "
        "left is the independent condition, s = 0, and the dotted line carries its level "
        f"across){over}, with error bars of \u00b1 2 SE.")}

"""Groupthink in a honeybee swarm: recruits who copy a site without assessing it.

List, Elsholtz & Seeley (2009, Phil Trans R Soc B 364:755) trace the swarm's reliability to
independence as well as interdependence: a recruit assesses the site she was led to herself.
Here a recruit copies with probability ``mu`` (``copying``): she dances for the site with the
mean strength of its current dancers, without assessing it.

What it runs
    Stage ``swarms``: the nest-site model (measured by
    :data:`sim.models.nest_site.measures.SWARMS`) at every ``mu`` (0 -> 1) for each
    assessment noise ``sigma``, at a fixed interdependence (default 0.8), ``runs`` swarms per
    point, to the horizon.
What it reports
    Per point: P(best) by plurality and by the twice criterion, the share of runs with a
    strong (twice) consensus on any site and on a site that is not the best, and which site
    wins. Verdicts: copying lowers the chance that the best site wins (plurality); copying
    drives strong consensus onto worse sites more often; a strong consensus still forms at
    ``mu = 1`` in at least half of the runs (List et al.: "a consensus still forms, but not
    robustly on the best site"). ``points.parquet``, figures ``p_best`` and ``winners``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from experiments._runner import Engine, Outcome, Stage
from sim.config import NonNegative, UnitInterval
from sim.models.nest_site.measures import (
    SWARMS_PATH,
    SwarmSweepConfig,
    plot_shares,
    point_summary,
    shares_legend,
    summary_metrics,
)
from sim.report import reproduced_row, stored_table
from sim.stats import binomial_se, wilson_interval

__all__ = ["GroupthinkConfig", "Config", "figures", "key_numbers", "run"]


class GroupthinkConfig(SwarmSweepConfig):
    """Config of the copying sweep (``configs/nest_site_groupthink.yaml``): ``runs`` swarms per
    point, the ``swarm`` besides the swept copying and noise (interdependence: default 0.8)."""

    SWEPT = ("copying", "noise")
    TO_THE_HORIZON = True

    experiment: Literal["nest_site_groupthink"]
    copying: list[UnitInterval] = Field(min_length=2, description="mu values swept (0 -> 1)")
    noise: list[NonNegative] = Field(min_length=1, description="assessment noise sigma values")
    consensus_forms: float = Field(0.5, gt=0, le=1, description="'a consensus still forms' "
                                                                "means in at least this share "
                                                                "of runs")


Config = GroupthinkConfig


def design(config: GroupthinkConfig) -> Stage:
    """Every (mu, sigma) point, sigma by sigma."""
    points = [{"copying": mu, "noise": noise} for noise in config.noise
              for mu in config.copying]
    return Stage("swarms", SWARMS_PATH, points=points, replicates=config.runs,
                 fixed=config.fixed(), metrics=summary_metrics(config.swarm.n_sites))


def points_table(runs: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    """One row per point: mu, sigma, :func:`sim.models.nest_site.measures.point_summary` and
    ``p_twice_worse`` (a site that is not the best has twice the runner-up's dancers)."""
    labels = runs.groupby("point_id", sort=True)[list(GroupthinkConfig.SWEPT)].first()
    table = point_summary(runs, n_sites).set_index("point_id")
    worse = ((runs.twice >= 0) & (runs.twice_best < 0.5)).groupby(runs.point_id).sum()
    counts = runs.groupby("point_id").size()
    share = pd.DataFrame({"p_twice_worse": worse / counts})
    share["p_twice_worse_low"], share["p_twice_worse_high"] = zip(
        *(wilson_interval(int(k), int(n)) for k, n in zip(worse, counts)))
    # the share sits with the other shares, before which site wins
    at = table.columns.get_loc("median_decision_time") + 1
    table = pd.concat([table.iloc[:, :at], share, table.iloc[:, at:]], axis=1)
    return labels.join(table).reset_index(drop=True)


def _compare(points: pd.DataFrame, config: GroupthinkConfig, key: str, larger: bool) -> dict:
    """Per sigma: the value at the smallest and the largest mu, and the z of the change."""
    lo_mu, hi_mu = min(config.copying), max(config.copying)
    out = {}
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise)]
        a = part[np.isclose(part.copying, lo_mu)].iloc[0]
        b = part[np.isclose(part.copying, hi_mu)].iloc[0]
        change = float(b[key] - a[key])
        se = float(np.hypot(binomial_se(a[key], int(a.runs)), binomial_se(b[key], int(b.runs))))
        z = (change if larger else -change) / se if se > 0 else 0.0
        out[f"sigma={noise:g}"] = {f"mu={lo_mu:g}": float(a[key]),
                                   f"mu={hi_mu:g}": float(b[key]), "z": float(z)}
    return out


def verdicts(points: pd.DataFrame, config: GroupthinkConfig) -> list[dict]:
    """The three effects of copying, each judged by its stated criterion."""
    lo_mu, hi_mu = min(config.copying), max(config.copying)
    accuracy = _compare(points, config, "p_best_plurality", larger=False)
    worse = _compare(points, config, "p_twice_worse", larger=True)
    forms = {}
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise) & np.isclose(points.copying, hi_mu)]
        forms[f"sigma={noise:g}"] = {"p_twice_any": float(part.p_twice_any.iloc[0]),
                                     "p_best_twice": float(part.p_best_twice.iloc[0])}
    return [
        {"effect": f"copying lowers the chance that the best site wins (plurality): lower at "
                   f"mu = {hi_mu:g} than at mu = {lo_mu:g} by more than two standard errors",
         "data": "accuracy needs each recruit's own assessment (List et al. 2009)",
         "simulation": accuracy,
         "reproduced": bool(all(v["z"] > 2 for v in accuracy.values())), "note": ""},
        {"effect": f"copying drives strong consensus (twice criterion) onto a site that is "
                   f"not the best more often at mu = {hi_mu:g} than at mu = {lo_mu:g} (by more "
                   "than two standard errors)",
         "data": "without assessment, not robustly on the best site (List et al. 2009)",
         "simulation": worse,
         "reproduced": bool(all(v["z"] > 2 for v in worse.values())), "note": ""},
        {"effect": f"a strong consensus (twice criterion) still forms at mu = {hi_mu:g} in at "
                   f"least {config.consensus_forms:.0%} of runs",
         "data": "a consensus still forms (List et al. 2009)",
         "simulation": forms,
         "reproduced": bool(all(v["p_twice_any"] >= config.consensus_forms
                                for v in forms.values())),
         "note": "a copier dances with the mean current strength of the site's dancers, "
                 "which have already declined, so chains of copies dance less and less: "
                 "copying weakens the snowball as well as misdirecting it"},
    ]


def run(config: GroupthinkConfig, engine: Engine) -> Outcome:
    """Run the stage; summarise the points, judge the effects of copying."""
    points = points_table(engine.run(design(config)), config.swarm.n_sites)
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise)]
        engine.log(f"sigma = {noise:g}: P(best) by plurality "
                   + ", ".join(f"{p:.2f}" for p in part.p_best_plurality)
                   + " for mu = " + ", ".join(f"{v:g}" for v in part.copying))
    summary = {
        "swarm": config.swarm.model_dump(mode="json"),
        "grid": {"copying": config.copying, "noise": config.noise,
                 "runs_per_point": config.runs},
        "copy_rule": "a recruit who copies dances with the mean current strength of the "
                     "site's dancers at the start of the step, without assessing the site",
        "points": points.to_dict(orient="records"),
    }
    return Outcome(summary=summary, tables={"points": points},
                   verdicts=verdicts(points, config))


def draw_figures(out_dir: Path, points: pd.DataFrame, swarm: dict,
                 provenance: dict) -> list[str]:
    """Figures ``p_best`` and ``winners``, drawn from the points table and the swarm's
    settings alone, so :func:`figures` can redraw them."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    written = []
    noises = sorted(points.noise.unique())
    runs = int(points.runs.iloc[0])
    panels = [("p_best_plurality", "best site wins: plurality"),
              ("p_best_twice", "best site wins: >= 2x the runner-up"),
              ("p_twice_worse", "a worse site wins: >= 2x the runner-up")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), sharey=True)
    for ax, (key, title) in zip(axes, panels):
        plot_shares(ax, points, "copying", key, PALETTE,
                    dotted=(lambda part: part.p_twice_any) if key == "p_best_twice" else None)
        ax.set_title(title)
        ax.set_xlabel("copying μ (share of recruits who copy)")
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel(f"share of runs ({runs} per point)")
    handles, labels = shares_legend(noises, PALETTE)
    handles.append(Line2D([], [], color="0.3", ls=":", lw=1.5))
    labels.append("dotted (middle): any site >= 2x the runner-up")
    fig.suptitle(f"Groupthink: interdependence λ = {swarm['interdependence']:g}, "
                 f"{swarm['n_agents']} scouts, site qualities "
                 f"{', '.join(f'{q:g}' for q in swarm['qualities'])}")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(handles), fontsize=9,
               frameon=False)
    written += [str(p) for p in save(fig, out_dir / "p_best", provenance)]

    qualities = swarm["qualities"]
    fig, axes = plt.subplots(1, len(noises), figsize=(4.8 * len(noises) + 2.2, 4.2),
                             squeeze=False, sharey=True)
    colours = list(PALETTE[:len(qualities)]) + ["0.85"]
    labels = [f"site {j} (quality {q:g})" for j, q in enumerate(qualities)] + ["no plurality"]
    for ax, noise in zip(axes[0], noises):
        part = points[np.isclose(points.noise, noise)].sort_values("copying")
        shares = [part[f"plurality_share_{j}"].to_numpy() for j in range(len(qualities))]
        shares.append(part.p_no_plurality.to_numpy())
        ax.stackplot(part.copying, shares, colors=colours, alpha=0.9, lw=0)
        ax.set_title(f"σ = {noise:g}: which site ends with the most dancers", fontsize=11)
        ax.set_xlabel("copying μ (share of recruits who copy)")
        ax.set_xlim(part.copying.min(), part.copying.max())
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel(f"share of runs ({runs} per point)")
    handles = [Patch(color=c, alpha=0.9) for c in colours]
    axes[0, -1].legend(handles[::-1], labels[::-1], fontsize=9, loc="center left",
                       bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    written += [str(p) for p in save(fig, out_dir / "winners", provenance)]
    return written


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw both figures from ``points.parquet`` and the swarm in ``summary.json``."""
    points = stored_table(out_dir, summary, "points")
    return draw_figures(Path(out_dir), points, summary["swarm"], summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"])
    lo_mu, hi_mu = points.copying.min(), points.copying.max()
    rows = [("swarms per point", f"{int(points.runs.iloc[0]):,} (interdependence λ "
                                 f"{summary['swarm']['interdependence']:g})")]

    def at(mu, noise):
        return points[np.isclose(points.copying, mu) & np.isclose(points.noise, noise)].iloc[0]

    for noise in sorted(points.noise.unique()):
        a, b = at(lo_mu, noise), at(hi_mu, noise)
        for key, label in (("p_best_plurality", "P(best), plurality"),
                           ("p_twice_worse", "a worse site >= 2x the runner-up"),
                           ("p_twice_any", "any site >= 2x the runner-up")):
            rows.append((f"σ {noise:g}: {label}, μ {lo_mu:g} -> {hi_mu:g}",
                         f"{a[key]:.3f} -> {b[key]:.3f} ({b[f'{key}_low']:.3f}-"
                         f"{b[f'{key}_high']:.3f} at μ {hi_mu:g})"))
    rows.append(reproduced_row(summary.get("verdicts", []), "effects reproduced"))
    return rows

"""Groupthink in a honeybee swarm: recruits who copy a site without assessing it.

List, Elsholtz & Seeley (2009, Phil Trans R Soc B 364:755) trace the swarm's reliability to
independence as well as interdependence: a recruit assesses the site she was led to herself.
Here a recruit copies with probability ``mu`` (``copying``): she dances for the site without
assessing it, with the strength advertised by the one dancer whose dance recruited her (the
strength that dancer started her dance with; List et al.: a recruit who does not assess
dances with the strength she observed; ``copy_strength`` of
:class:`~sim.models.nest_site.params.NestSiteParams`, ``d = a_k`` in the ODD of
:mod:`sim.models.nest_site.model`).

What it runs
    Stage ``swarms``: the nest-site model (measured by
    :data:`sim.models.nest_site.measures.SWARMS`) at every ``mu`` (0 -> 1) for each
    assessment noise ``sigma``, at a fixed interdependence (default 0.8), ``runs`` swarms per
    point, to the horizon.
What it reports
    Per point: P(best) by plurality and by the twice criterion, the share of runs with a
    strong (twice) consensus on any site and on a site that is not the best, and which site
    wins. ``summary["ci90"]``: at the smallest and the largest ``mu``, per ``sigma``, the
    consensus (twice criterion, any site) and P(best) (plurality), each with its 90 % Wilson
    interval. Verdicts by the one rule (:mod:`sim.verdicts`), one row per ``sigma`` each;
    List et al. state the effects in words, so each ``data_ci`` is this experiment's reading
    of them (``data_ci_source: reading``): copying lowers the chance that the best site wins
    (plurality; P(best) at the smallest minus at the largest ``mu``, read as a positive
    difference; model: difference +- 1.6449 SE); copying drives strong consensus onto
    worse sites more often (the same, for that share); a strong consensus still forms at
    the largest ``mu`` in most runs (read as at least ``consensus_forms``; model: 90 %
    Wilson interval; List et al.: "a consensus would still emerge, but it would no longer
    robustly be on the best nest site"). ``points.parquet``, figures
    ``p_best`` and ``winners``.
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
    site_colours,
    summary_metrics,
)
from sim.report import reproduced_row, stored_table
from sim.stats import Z90, binomial_se, normal_interval, wilson_interval
from sim.verdicts import verdict_row

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


def share_ci90(row: pd.Series, key: str) -> dict:
    """A point's share ``key`` with its 90 % Wilson interval: ``{"share", "ci90"}``."""
    n = int(row.runs)
    k = int(round(float(row[key]) * n))
    return {"share": k / n, "ci90": list(wilson_interval(k, n, z=Z90))}


def _at(points: pd.DataFrame, mu: float, noise: float) -> pd.Series:
    return points[np.isclose(points.copying, mu) & np.isclose(points.noise, noise)].iloc[0]


def ci90_table(points: pd.DataFrame, config: GroupthinkConfig) -> dict:
    """Per sigma and for the smallest and the largest mu: consensus (twice criterion, any
    site), P(best) (plurality) and a worse site with twice the runner-up's dancers, each
    with its 90 % Wilson interval."""
    out = {}
    for noise in config.noise:
        out[f"sigma={noise:g}"] = {
            f"mu={mu:g}": {name: share_ci90(_at(points, mu, noise), key)
                           for name, key in (("consensus", "p_twice_any"),
                                             ("p_best", "p_best_plurality"),
                                             ("worse_consensus", "p_twice_worse"))}
            for mu in (min(config.copying), max(config.copying))}
    return out


def _fmt_share(value: dict) -> str:
    low, high = value["ci90"]
    return f"{value['share']:.3f} [{low:.3f}, {high:.3f}]"


READING = ("List et al. (2009) state this in words, no number: data_ci is this experiment's "
           "reading of it ({reading}), not a published interval")


def verdicts(points: pd.DataFrame, config: GroupthinkConfig) -> list[dict]:
    """The three effects of copying, one row per sigma each, judged by the one rule
    (:mod:`sim.verdicts`): two differences between the largest and the smallest mu (model:
    difference +- 1.6449 SE) and the share of runs with a strong consensus at the largest
    mu (model: 90 % Wilson interval); the data's intervals are readings of List et al.'s
    words."""
    lo_mu, hi_mu = min(config.copying), max(config.copying)
    table = ci90_table(points, config)
    rows = []

    def difference(effect, data, low, high, note):
        """A row on ``high - low`` of two shares; the data: a positive difference."""
        value = high["share"] - low["share"]
        se = float(np.hypot(binomial_se(low["share"], config.runs),
                            binomial_se(high["share"], config.runs)))
        smallest = 1.0 / config.runs
        return verdict_row(effect, data, [smallest, 1.0], value, normal_interval(value, se),
                           data_ci_source="reading",
                           note=READING.format(reading=f"a positive difference, at least "
                                                       f"1/runs = {smallest:.3g}")
                           + f"; model: difference +- 1.6449 SE; {note}")

    for noise in config.noise:
        lo = table[f"sigma={noise:g}"][f"mu={lo_mu:g}"]
        hi = table[f"sigma={noise:g}"][f"mu={hi_mu:g}"]
        rows.append(difference(
            f"σ = {noise:g}: copying lowers the chance that the best site wins (plurality): "
            f"P(best) at μ = {lo_mu:g} minus at μ = {hi_mu:g}",
            "accuracy needs each recruit's own assessment (List et al. 2009)",
            hi["p_best"], lo["p_best"],
            f"μ = {lo_mu:g}: {_fmt_share(lo['p_best'])}, μ = {hi_mu:g}: "
            f"{_fmt_share(hi['p_best'])}"))
        rows.append(difference(
            f"σ = {noise:g}: copying drives strong consensus (twice criterion) onto a site that "
            f"is not the best more often: share at μ = {hi_mu:g} minus at μ = {lo_mu:g}",
            "without assessment, not robustly on the best site (List et al. 2009)",
            lo["worse_consensus"], hi["worse_consensus"],
            f"μ = {lo_mu:g}: {_fmt_share(lo['worse_consensus'])}, μ = {hi_mu:g}: "
            f"{_fmt_share(hi['worse_consensus'])}"))
        rows.append(verdict_row(
            f"σ = {noise:g}: a strong consensus (twice criterion, any site) still forms at "
            f"μ = {hi_mu:g} in most runs (at least {config.consensus_forms:.0%})",
            "a consensus still forms (List et al. 2009)",
            [config.consensus_forms, 1.0], hi["consensus"]["share"], hi["consensus"]["ci90"],
            null=None, data_ci_source="reading",
            note=READING.format(reading=f"'still forms': in at least {config.consensus_forms:g} "
                                        "of runs, consensus_forms")
            + f"; model: 90 % Wilson interval over {config.runs} runs; μ = {lo_mu:g}: "
              f"{_fmt_share(lo['consensus'])}; the best site wins at μ = {hi_mu:g}: "
              f"{_fmt_share(hi['p_best'])}"))
    return rows


#: What ``summary["copy_rule"]`` says for each ``copy_strength``.
COPY_RULE_TEXT = {
    "followed_dancer": "a recruit who copies dances, without assessing the site, with the "
                       "advertised (initial) strength of the one dancer whose dance recruited "
                       "her (List et al. 2009)",
    "mean_current": "a recruit who copies dances, without assessing the site, with the mean "
                    "current (declined) strength of the site's dancers at the start of the "
                    "step (ablation)",
}


def run(config: GroupthinkConfig, engine: Engine) -> Outcome:
    """Run the stage; summarise the points, judge the effects of copying."""
    points = points_table(engine.run(design(config)), config.swarm.n_sites)
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise)]
        engine.log(f"sigma = {noise:g}: P(best) by plurality "
                   + ", ".join(f"{p:.2f}" for p in part.p_best_plurality)
                   + " for mu = " + ", ".join(f"{v:g}" for v in part.copying))
    for noise, by_mu in ci90_table(points, config).items():
        for mu, values in by_mu.items():
            engine.log(f"{noise}, {mu}: consensus {_fmt_share(values['consensus'])}, "
                       f"P(best) {_fmt_share(values['p_best'])} (90 % Wilson)")
    summary = {
        "swarm": config.swarm.model_dump(mode="json"),
        "grid": {"copying": config.copying, "noise": config.noise,
                 "runs_per_point": config.runs},
        "copy_rule": COPY_RULE_TEXT[config.swarm.copy_strength],
        "ci90": ci90_table(points, config),
        "points": points.to_dict(orient="records"),
    }
    return Outcome(summary=summary, tables={"points": points},
                   verdicts=verdicts(points, config))


def draw_figures(out_dir: Path, points: pd.DataFrame, swarm: dict,
                 provenance: dict) -> list[str]:
    """Figures ``p_best`` and ``winners``, drawn from the points table and the swarm's
    settings alone, so :func:`figures` can redraw them. Sites are numbered from 1."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    written = []
    noises = sorted(points.noise.unique())
    runs = int(points.runs.iloc[0])
    panels = [("p_twice_any", "consensus: any site has\n>= 2x the runner-up's dancers"),
              ("p_best_plurality", "best site wins:\nmost dancers (plurality)"),
              ("p_best_twice", "best site wins:\n>= 2x the runner-up's dancers"),
              ("p_twice_worse", "a worse site wins:\n>= 2x the runner-up's dancers")]
    # the bands are the 90 % Wilson intervals the verdicts use
    banded = points.copy()
    for key, _ in panels:
        banded[f"{key}_low"], banded[f"{key}_high"] = zip(
            *(share_ci90(row, key)["ci90"] for _, row in points.iterrows()))
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 5.0), sharey=True,
                             layout="constrained")
    for ax, (key, title) in zip(axes, panels):
        plot_shares(ax, banded, "copying", key, PALETTE)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("copying μ (share of recruits\nwho copy)")
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel(f"share of runs ({runs} per point)")
    handles, labels = shares_legend(noises, PALETTE)
    labels[-1] = "90 % interval (Wilson)"
    fig.suptitle(f"Groupthink: interdependence λ = {swarm['interdependence']:g}, "
                 f"{swarm['n_agents']} scouts, site qualities "
                 f"{', '.join(f'{q:g}' for q in swarm['qualities'])}, {swarm['horizon']} "
                 "steps per run\na recruit who copies dances, without assessing the site, with "
                 + ("the mean current strength of the site's dancers"
                    if swarm.get("copy_strength") == "mean_current"
                    else "the strength her dancer advertised"), fontsize=12)
    fig.legend(handles, labels, loc="outside lower center", ncol=len(handles), fontsize=9,
               frameon=False)
    written += [str(p) for p in save(fig, out_dir / "p_best", provenance)]

    qualities = swarm["qualities"]
    fig, axes = plt.subplots(1, len(noises), figsize=(4.8 * len(noises) + 2.4, 4.6),
                             squeeze=False, sharey=True, layout="constrained")
    colours = site_colours(len(qualities)) + ["white"]
    labels = [f"site {j + 1} (quality {q:g})" for j, q in enumerate(qualities)] + \
        ["no plurality (a tie for the most dancers)"]
    for ax, noise in zip(axes[0], noises):
        part = points[np.isclose(points.noise, noise)].sort_values("copying")
        shares = [part[f"plurality_share_{j}"].to_numpy() for j in range(len(qualities))]
        shares.append(part.p_no_plurality.to_numpy())
        layers = ax.stackplot(part.copying, shares, colors=colours, alpha=0.9, lw=0)
        layers[-1].set(hatch="///", edgecolor="0.55")
        ax.set_title(f"assessment noise σ = {noise:g}", fontsize=11)
        ax.set_xlabel("copying μ (share of recruits who copy)")
        ax.set_xlim(part.copying.min(), part.copying.max())
        ax.set_ylim(0, 1)
    axes[0, 0].set_ylabel(f"share of runs ({runs} per point)")
    handles = [Patch(facecolor=c, alpha=0.9) for c in colours[:-1]]
    handles.append(Patch(facecolor="white", edgecolor="0.55", hatch="///"))
    fig.legend(handles[::-1], labels[::-1], fontsize=9, loc="outside right center",
               frameon=False, title="site with the most\ndancers at the end",
               title_fontsize=9)
    fig.suptitle(f"Which site ends with the most dancers: interdependence λ = "
                 f"{swarm['interdependence']:g}, {swarm['n_agents']} scouts", fontsize=12)
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

    for noise in sorted(points.noise.unique()):
        for key, label in (("p_best_plurality", "P(best), plurality"),
                           ("p_twice_any", "consensus: any site >= 2x the runner-up"),
                           ("p_twice_worse", "a worse site >= 2x the runner-up")):
            a, b = (share_ci90(_at(points, mu, noise), key) for mu in (lo_mu, hi_mu))
            rows.append((f"σ {noise:g}: {label}, μ {lo_mu:g} -> {hi_mu:g} (90 % interval)",
                         f"{_fmt_share(a)} -> {_fmt_share(b)}"))
    rows.append(reproduced_row(summary.get("verdicts", []), "effects reproduced"))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("When recruits copy the site they were led to instead of assessing it themselves, "
            "does a honeybee swarm still reach a consensus, and is it still on the best site?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    points = summary.get("points", [])
    runs = f" ({int(points[0]['runs']):,} per point)" if points else ""
    lam = summary.get("swarm", {}).get("interdependence")
    at = f" (interdependence λ = {lam:g})" if lam is not None else ""
    return {
        "p_best": (f"Four shares of swarms{runs} against copying μ, the share of recruits who copy "
                   f"without assessing{at}: a strong consensus (at least twice the "
                   "runner-up's dancers) on any site, the best site winning by plurality and "
                   "by twice the runner-up, and a worse site winning by twice; one line per "
                   "assessment noise σ, bands 90 % Wilson intervals."),
        "winners": ("Which site ends with the most dancers, as shares of runs stacked to 1, "
                    "against copying μ, one panel per assessment noise σ; the light grey top "
                    "is the share of runs without a plurality."),
    }

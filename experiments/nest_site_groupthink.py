"""Groupthink in a honeybee swarm: recruits who copy a site without assessing it.

List, Elsholtz & Seeley (2009, Phil Trans R Soc B 364:755) trace the swarm's reliability to
independence as well as interdependence: a recruit assesses the site she was led to herself.
Here a recruit copies with probability ``mu`` (``copying``): she dances for the site with the
mean strength of its current dancers, without assessing it.

What it runs
    The nest-site kernel over a grid of ``mu`` (0 -> 1) for each assessment noise ``sigma``,
    at a fixed interdependence (default 0.8), ``runs`` swarms per point, to the horizon.
What it reports
    Per point: P(best) by plurality and by the twice criterion, the share of runs with a
    strong (twice) consensus on any site and on a site that is not the best, and which site
    wins. Verdicts: copying lowers the chance that the best site wins (plurality); copying
    drives strong consensus onto worse sites more often; a strong consensus still forms at
    ``mu = 1`` in at least half of the runs (List et al.: "a consensus still forms, but not
    robustly on the best site"). ``points.parquet``, figures ``p_best`` and ``winners``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments.nest_site_list2009 import _se, verdict_lines
from sim.config import ExperimentConfig
from sim.io import write_json, write_parquet
from sim.models.nest_site import NestSiteParams, simulate_swarms
from sim.models.nest_site.kernel import wilson_interval
from sim.seeding import replicate_seeds

__all__ = ["GroupthinkConfig", "figures", "key_numbers", "run"]


class GroupthinkConfig(ExperimentConfig):
    """Config of the copying sweep (``configs/nest_site_groupthink.yaml``)."""

    experiment: Literal["nest_site_groupthink"]
    runs: int = Field(250, ge=2, description="swarms per point")
    copying: list[float] = Field(min_length=2, description="mu values swept (0 -> 1)")
    noise: list[float] = Field(min_length=1, description="assessment noise sigma values")
    swarm: NestSiteParams = Field(default_factory=NestSiteParams,
                                  description="the swarm besides the swept copying and noise "
                                              "(interdependence: default 0.8)")
    consensus_forms: float = Field(0.5, gt=0, le=1, description="'a consensus still forms' "
                                                                "means in at least this share "
                                                                "of runs")
    threads: int | None = Field(None, ge=1, description="kernel threads (default: all cores)")

    @model_validator(mode="after")
    def _check(self) -> GroupthinkConfig:
        for name in ("copying", "noise"):
            if name in self.swarm.model_fields_set:
                raise ValueError(f"swarm.{name} is swept by the top-level '{name}' list; "
                                 "remove it from swarm")
        for value in self.copying:
            if not 0 <= value <= 1:
                raise ValueError(f"copying: values must lie in [0, 1], got {value:g}")
        for value in self.noise:
            if value < 0:
                raise ValueError(f"noise: values must be >= 0, got {value:g}")
        if self.swarm.quorum is not None:
            raise ValueError("swarm.quorum: this experiment runs every swarm to the horizon")
        return self


Config = GroupthinkConfig


def sweep(config: GroupthinkConfig, log) -> pd.DataFrame:
    threads = config.threads or os.cpu_count() or 1
    best = NestSiteParams(**config.swarm.model_dump()).best_sites
    rows = []
    for s, noise in enumerate(config.noise):
        for m, mu in enumerate(config.copying):
            params = NestSiteParams(**{**config.swarm.model_dump(), "copying": mu,
                                       "noise": noise})
            batch = simulate_swarms(params, replicate_seeds(config.seed, config.runs,
                                                            key_prefix=(s, m)),
                                    n_threads=threads)
            summary = batch.summary()
            row = {"copying": mu, "noise": noise}
            row.update({k: v for k, v in summary.items() if not isinstance(v, list)})
            worse = int(np.count_nonzero((batch.twice >= 0)
                                         & ~best[np.maximum(batch.twice, 0)]))
            row["p_twice_worse"] = worse / config.runs
            row["p_twice_worse_low"], row["p_twice_worse_high"] = wilson_interval(
                worse, config.runs)
            for j, share in enumerate(summary["chosen_share"]):
                row[f"plurality_share_{j}"] = share
            for j, mean in enumerate(summary["mean_final_dancers"]):
                row[f"mean_dancers_{j}"] = mean
            rows.append(row)
        log(f"sigma = {noise:g}: P(best) by plurality "
            + ", ".join(f"{r['p_best_plurality']:.2f}" for r in rows[-len(config.copying):])
            + " for mu = " + ", ".join(f"{v:g}" for v in config.copying))
    return pd.DataFrame(rows)


def _compare(points: pd.DataFrame, config: GroupthinkConfig, key: str, larger: bool) -> dict:
    """Per sigma: the value at the smallest and the largest mu, and the z of the change."""
    lo_mu, hi_mu = min(config.copying), max(config.copying)
    out = {}
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise)]
        a = part[np.isclose(part.copying, lo_mu)].iloc[0]
        b = part[np.isclose(part.copying, hi_mu)].iloc[0]
        change = float(b[key] - a[key])
        se = float(np.hypot(_se(a[key], int(a.runs)), _se(b[key], int(b.runs))))
        z = (change if larger else -change) / se if se > 0 else 0.0
        out[f"sigma={noise:g}"] = {f"mu={lo_mu:g}": float(a[key]),
                                   f"mu={hi_mu:g}": float(b[key]), "z": float(z)}
    return out


def verdicts(points: pd.DataFrame, config: GroupthinkConfig) -> list[dict]:
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
         "measured": accuracy, "reproduced": bool(all(v["z"] > 2 for v in accuracy.values())),
         "note": ""},
        {"effect": f"copying drives strong consensus (twice criterion) onto a site that is "
                   f"not the best more often at mu = {hi_mu:g} than at mu = {lo_mu:g} (by more "
                   "than two standard errors)",
         "measured": worse, "reproduced": bool(all(v["z"] > 2 for v in worse.values())),
         "note": ""},
        {"effect": f"a strong consensus (twice criterion) still forms at mu = {hi_mu:g} in at "
                   f"least {config.consensus_forms:.0%} of runs",
         "measured": forms,
         "reproduced": bool(all(v["p_twice_any"] >= config.consensus_forms
                                for v in forms.values())),
         "note": "a copier dances with the mean current strength of the site's dancers, "
                 "which have already declined, so chains of copies dance less and less: "
                 "copying weakens the snowball as well as misdirecting it"},
    ]


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
        for colour, noise in zip(PALETTE, noises):
            part = points[np.isclose(points.noise, noise)].sort_values("copying")
            ax.fill_between(part.copying, part[f"{key}_low"], part[f"{key}_high"],
                            color=colour, alpha=0.2, lw=0)
            ax.plot(part.copying, part[key], "o-", color=colour, lw=2, ms=5)
            if key == "p_best_twice":
                ax.plot(part.copying, part.p_twice_any, ":", color=colour, lw=1.5)
        ax.set_title(title)
        ax.set_xlabel("copying μ (share of recruits who copy)")
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel(f"share of runs ({runs} per point)")
    handles = [Line2D([], [], color=c, lw=2, marker="o", ms=5) for c in PALETTE[:len(noises)]]
    labels = [f"assessment noise σ = {noise:g}" for noise in noises]
    handles += [Patch(color="0.6", alpha=0.4), Line2D([], [], color="0.3", ls=":", lw=1.5)]
    labels += ["95 % interval", "dotted (middle): any site >= 2x the runner-up"]
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
    out_dir = Path(out_dir)
    points = pd.read_parquet(out_dir / summary["files"]["points"])
    return draw_figures(out_dir, points, summary["swarm"], summary.get("provenance", {}))


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
    verdicts = summary.get("verdicts", [])
    rows.append(("effects reproduced",
                 f"{sum(v['reproduced'] is True for v in verdicts)} of {len(verdicts)}"))
    return rows


def run(config: GroupthinkConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the sweep; write ``summary.json``, ``points.parquet`` and the figures."""
    points = sweep(config, log)
    effects = verdicts(points, config)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "points.parquet", points)
    figures = draw_figures(out_dir, points, config.swarm.model_dump(), provenance)
    summary = {
        "experiment": config.experiment,
        "title": config.title or "Groupthink in nest-site choice",
        "swarm": config.swarm.model_dump(),
        "grid": {"copying": config.copying, "noise": config.noise,
                 "runs_per_point": config.runs},
        "copy_rule": "a recruit who copies dances with the mean current strength of the "
                     "site's dancers at the start of the step, without assessing the site",
        "points": points.to_dict(orient="records"),
        "verdicts": effects,
        "files": {"points": "points.parquet", "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for line in verdict_lines(effects):
        log(line)
    return summary

"""List, Elsholtz & Seeley (2009): independence and interdependence in nest-site choice by
honeybee swarms (Phil Trans R Soc B 364:755).

What it runs
    The nest-site model's kernel (:mod:`sim.models.nest_site`) over a grid of interdependence
    ``lambda`` (0 -> 1) for each assessment noise ``sigma`` (0.2 high and 1.0 low
    reliability), ``runs`` swarms per point (List et al.: 250), each for the full horizon
    without a quorum. One example swarm per (lambda, sigma) in ``examples`` is recorded step
    by step.
What it reports
    Per point the share of runs in which the best site wins under both consensus criteria:
    plurality (strictly most dancers at the horizon) and twice (the best site has at least
    twice the runner-up's dancers), with Wilson 95 % intervals; the share of runs with a
    strong (twice) consensus on any site. Verdicts for the published findings: no
    snowballing at lambda = 0; the best site wins in nearly every run at lambda = 0.8,
    sigma = 0.2 (``near_every_run``, default 95 %), under each criterion; less often with
    sigma = 1.0 (lower by more than two standard errors). ``points.parquet`` (one row per
    point), ``runs.parquet`` (one row per swarm), figures ``p_best`` (P(best) against lambda)
    and ``dancers`` (the example swarms).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim.config import ExperimentConfig
from sim.io import write_json, write_parquet
from sim.models.nest_site import NestSiteParams, simulate_swarms
from sim.seeding import derive_seed, replicate_seeds

__all__ = ["List2009Config", "run"]

CRITERIA = {"plurality": "plurality of dancers", "twice": "best site >= 2x the runner-up"}


class List2009Config(ExperimentConfig):
    """Config of the List et al. (2009) reproduction (``configs/nest_site_list2009.yaml``)."""

    experiment: Literal["nest_site_list2009"]
    runs: int = Field(250, ge=2, description="swarms per point (List et al. 2009: 250)")
    interdependence: list[float] = Field(
        min_length=1, description="lambda values swept (0 = independent search only)")
    noise: list[float] = Field(
        min_length=1, description="assessment noise sigma values (0.2 high, 1.0 low "
                                  "reliability)")
    swarm: NestSiteParams = Field(default_factory=NestSiteParams,
                                  description="the swarm (NestSiteParams) besides the swept "
                                              "interdependence and noise")
    examples: list[list[float]] = Field(
        default_factory=lambda: [[0.0, 0.2], [0.8, 0.2], [0.0, 1.0], [0.8, 1.0]],
        description="(lambda, sigma) pairs of the example swarms drawn step by step")
    near_every_run: float = Field(0.95, gt=0, le=1, description="'nearly every run' means at "
                                                                "least this share")
    no_snowballing: float = Field(0.05, ge=0, lt=1, description="'no strong consensus' means "
                                                                "at most this share of runs")
    threads: int | None = Field(None, ge=1, description="kernel threads (default: all cores);"
                                                        " results do not depend on it")

    @model_validator(mode="after")
    def _check(self) -> List2009Config:
        for name in ("interdependence", "noise"):
            if name in self.swarm.model_fields_set:
                raise ValueError(f"swarm.{name} is swept by the top-level '{name}' list; "
                                 "remove it from swarm")
        if self.swarm.quorum is not None:
            raise ValueError("swarm.quorum: List et al. (2009) ran every swarm to the "
                             "horizon; leave the quorum out (see nest_site_quorum)")
        for value in self.interdependence:
            if not 0 <= value <= 1:
                raise ValueError(f"interdependence: values must lie in [0, 1], got {value:g}")
        for value in self.noise:
            if value < 0:
                raise ValueError(f"noise: values must be >= 0, got {value:g}")
        for pair in self.examples:
            if len(pair) != 2:
                raise ValueError(f"examples: each entry is [lambda, sigma], got {pair}")
        return self


Config = List2009Config


def point_params(config: List2009Config, interdependence: float, noise: float
                 ) -> NestSiteParams:
    """The swarm of one grid point (validated)."""
    return NestSiteParams(**{**config.swarm.model_dump(), "interdependence": interdependence,
                             "noise": noise})


def sweep(config: List2009Config, log) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per point, one row per swarm)."""
    threads = config.threads or os.cpu_count() or 1
    points, runs = [], []
    for s, noise in enumerate(config.noise):
        for i, lam in enumerate(config.interdependence):
            params = point_params(config, lam, noise)
            batch = simulate_swarms(params, replicate_seeds(config.seed, config.runs,
                                                            key_prefix=(s, i)),
                                    n_threads=threads)
            summary = batch.summary()
            row = {"interdependence": lam, "noise": noise}
            row.update({k: v for k, v in summary.items() if not isinstance(v, list)})
            for j, share in enumerate(summary["chosen_share"]):
                row[f"plurality_share_{j}"] = share
            for j, mean in enumerate(summary["mean_final_dancers"]):
                row[f"mean_dancers_{j}"] = mean
            points.append(row)
            frame = batch.to_frame()
            frame.insert(0, "noise", noise)
            frame.insert(0, "interdependence", lam)
            runs.append(frame)
        log(f"sigma = {noise:g}: P(best) by plurality "
            + ", ".join(f"{r['p_best_plurality']:.2f}" for r in points[-len(
                config.interdependence):])
            + " for lambda = " + ", ".join(f"{v:g}" for v in config.interdependence))
    return pd.DataFrame(points), pd.concat(runs, ignore_index=True)


def _point(points: pd.DataFrame, lam: float, noise: float) -> pd.Series | None:
    mask = np.isclose(points.interdependence, lam) & np.isclose(points.noise, noise)
    return points[mask].iloc[0] if mask.any() else None


def _se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n))


def verdicts(points: pd.DataFrame, config: List2009Config) -> list[dict]:
    """Each published finding: what the model shows, and whether it holds by the stated
    criterion (None when the grid lacks the point)."""
    out = []
    zero = [(_point(points, 0.0, s), s) for s in config.noise]
    zero = [(row, s) for row, s in zero if row is not None]
    out.append({
        "effect": "no snowballing at lambda = 0: no strong consensus (no site reaches twice "
                  f"the runner-up's dancers in more than {config.no_snowballing:.0%} of runs)",
        "measured": {f"sigma={s:g}": {"p_twice_any": row.p_twice_any,
                                      "p_best_plurality": row.p_best_plurality,
                                      "leader_share_of_dancers": _leader_share(row)}
                     for row, s in zero},
        "reproduced": (bool(all(row.p_twice_any <= config.no_snowballing for row, _ in zero))
                       if zero else None),
        "note": "the plurality criterion alone can still favour the best site at lambda = 0 "
                "(it has the longest dances), without any snowballing",
    })
    high = _point(points, 0.8, 0.2)
    low = _point(points, 0.8, 1.0)
    for criterion, label in CRITERIA.items():
        key = f"p_best_{criterion}"
        out.append({
            "effect": f"lambda = 0.8, sigma = 0.2: the best site wins in nearly every run "
                      f"(>= {config.near_every_run:.0%}) by {label}",
            "measured": None if high is None else {
                key: high[key], "interval_95": [high[f"{key}_low"], high[f"{key}_high"]],
                "runs": int(high.runs)},
            "reproduced": None if high is None else bool(high[key] >= config.near_every_run),
            "note": "List et al. (2009): essentially every run",
        })
    for criterion, label in CRITERIA.items():
        key = f"p_best_{criterion}"
        if high is None or low is None:
            out.append({"effect": f"lambda = 0.8: the best site wins less often with "
                                  f"sigma = 1.0 than with 0.2 ({label})",
                        "measured": None, "reproduced": None, "note": "point not in the grid"})
            continue
        difference = float(high[key] - low[key])
        se = float(np.hypot(_se(high[key], int(high.runs)), _se(low[key], int(low.runs))))
        z = difference / se if se > 0 else (np.inf if difference > 0 else 0.0)
        out.append({
            "effect": f"lambda = 0.8: the best site wins less often with sigma = 1.0 than "
                      f"with 0.2 ({label}; lower by more than two standard errors)",
            "measured": {"sigma=0.2": high[key], "sigma=1.0": low[key],
                         "difference": difference, "z": float(z)},
            "reproduced": bool(z > 2),
            "note": "",
        })
    return out


def _leader_share(row: pd.Series) -> float:
    """Mean final dancers of the most-danced site over all mean final dancers."""
    means = np.array([v for k, v in row.items() if str(k).startswith("mean_dancers_")])
    return float(means.max() / means.sum()) if means.sum() > 0 else float("nan")


def verdict_lines(effects: list[dict]) -> list[str]:
    """One readable line per finding."""
    lines = []
    for effect in effects:
        verdict = {True: "REPRODUCED", False: "NOT reproduced", None: "not tested"}[
            effect["reproduced"]]
        lines.append(f"- {verdict}: {effect['effect']} ({_fmt(effect['measured'])})")
    return lines


def _fmt(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def examples(config: List2009Config) -> list[dict]:
    """One swarm per example (lambda, sigma), recorded step by step."""
    out = []
    for k, (lam, noise) in enumerate(config.examples):
        params = point_params(config, lam, noise)
        seed = derive_seed(config.seed, 10_000, k)
        batch = simulate_swarms(params, [seed], record_dancers=True)
        out.append({"interdependence": lam, "noise": noise, "seed": seed,
                    "dancers": batch.dancers[0], "plurality": int(batch.plurality[0])})
    return out


def draw_figures(out_dir: Path, points: pd.DataFrame, samples: list[dict],
                 config: List2009Config, provenance: dict) -> list[str]:
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    written = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, (criterion, label) in zip(axes, CRITERIA.items()):
        key = f"p_best_{criterion}"
        for colour, noise in zip(PALETTE, config.noise):
            part = points[np.isclose(points.noise, noise)].sort_values("interdependence")
            ax.fill_between(part.interdependence, part[f"{key}_low"], part[f"{key}_high"],
                            color=colour, alpha=0.2, lw=0)
            ax.plot(part.interdependence, part[key], "o-", color=colour, lw=2,
                    label=f"sigma = {noise:g}")
            ax.plot(part.interdependence, part.p_twice_any if criterion == "twice"
                    else 1 - part.p_no_plurality, ":", color=colour, lw=1.2,
                    label=f"any site, sigma = {noise:g}")
        ax.axhline(config.near_every_run, color="0.5", lw=0.8, ls="--")
        if any(np.isclose(config.interdependence, 1.0)):
            ax.annotate("lambda = 1: nobody searches\nalone, no dance starts", (1.0, 0.0),
                        xytext=(0.97, 0.3), ha="right", fontsize=8, color="0.3",
                        arrowprops={"arrowstyle": "->", "color": "0.5"})
        ax.set_title(f"best site wins: {label}")
        ax.set_xlabel("interdependence lambda")
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel(f"share of runs ({config.runs} per point; 95 % band)")
    axes[1].legend(loc="upper left", fontsize=8)
    fig.suptitle(f"List et al. (2009): {config.swarm.n_agents} scouts, qualities "
                 f"{', '.join(f'{q:g}' for q in config.swarm.qualities)}, "
                 f"T = {config.swarm.horizon}; dotted: some site wins")
    fig.tight_layout()
    written += [str(p) for p in save(fig, out_dir / "p_best", provenance)]

    if samples:
        n = len(samples)
        cols = min(n, 2)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.3 * rows), squeeze=False,
                                 sharex=True, sharey=True)
        qualities = config.swarm.qualities
        for ax, sample in zip(axes.flat, samples):
            steps = np.arange(sample["dancers"].shape[0])
            for j, colour in zip(range(len(qualities)), PALETTE):
                ax.plot(steps, sample["dancers"][:, j], color=colour, lw=1.4,
                        label=f"site {j} (q = {qualities[j]:g})")
            ax.set_title(f"lambda = {sample['interdependence']:g}, sigma = "
                         f"{sample['noise']:g}", fontsize=10)
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("step")
        for ax in axes[:, 0]:
            ax.set_ylabel("dancers")
        axes.flat[0].legend(fontsize=8, loc="upper left")
        fig.suptitle("example swarms: dancers per site")
        fig.tight_layout()
        written += [str(p) for p in save(fig, out_dir / "dancers", provenance)]
    return written


def run(config: List2009Config, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the sweep; write ``summary.json``, ``points.parquet``, ``runs.parquet`` and the
    figures."""
    points, runs = sweep(config, log)
    effects = verdicts(points, config)
    samples = examples(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "points.parquet", points)
    write_parquet(out_dir / "runs.parquet", runs)
    figures = draw_figures(out_dir, points, samples, config, provenance)
    notes = []
    if any(np.isclose(config.interdependence, 1.0)):
        notes.append("at lambda = 1 no scout ever searches on her own, so no dance ever "
                     "starts: no site wins under either criterion")
    summary = {
        "experiment": config.experiment,
        "title": config.title or "List et al. (2009)",
        "swarm": config.swarm.model_dump(),
        "grid": {"interdependence": config.interdependence, "noise": config.noise,
                 "runs_per_point": config.runs},
        "points": points.to_dict(orient="records"),
        "verdicts": effects,
        "notes": notes,
        "examples": [{k: v for k, v in s.items() if k != "dancers"} for s in samples],
        "files": {"points": "points.parquet", "runs": "runs.parquet",
                  "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for line in verdict_lines(effects):
        log(line)
    for note in notes:
        log(f"note: {note}")
    return summary

"""Lorenz, Rauhut, Schweitzer & Helbing (2011): how social influence can undermine the wisdom
of crowd effect (PNAS 108:9020).

What it runs
    1. The data (``sim/data/lorenz2011.csv``): groups of 12 answer a question in 5 rounds
       under no information, aggregated information (the mean of the others' previous
       estimates) or full information (all estimates). Per condition and round: SD of the
       log estimates, |ln(GM / truth)|, the wisdom-of-crowd indicator, truth inside the range
       (:mod:`sim.analysis.rounds`), and the confidence change (C1 -> C5).
    2. The protocol simulated with the estimation model: private beliefs fitted to round 1
       (log-normal; individual noise plus an error shared by the group:
       :func:`sim.analysis.calibration.fit_first_round`), revision in log space, and per
       condition the social weight fitted to the observed shrinkage of the SD of log
       estimates from round 1 to round 5.
What it reports
    ``summary.json``: the data's table, the fits, the simulated table, and a verdict per
    published effect (social influence effect, range reduction effect, confidence effect)
    with data and simulation side by side. ``rounds.parquet``: per condition and round, data
    and simulation. Figure ``rounds``: data against simulation per round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from sim.analysis.calibration import calibrate_monotone, fit_first_round
from sim.analysis.datasets import load_lorenz
from sim.analysis.rounds import analyze_rounds, per_group_table
from sim.config import ExperimentConfig
from sim.io import write_json, write_parquet
from sim.metrics import round_metrics
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.seeding import replicate_seeds

__all__ = ["LorenzConfig", "run"]

ROUNDS = ["E1", "E2", "E3", "E4", "E5"]
CONDITIONS = {"no": "none", "aggregated": "aggregate", "full": "full"}
METRICS = {"sd": "SD of ln(estimates)", "error_of_geometric_mean": "|ln(GM / truth)|",
           "woc_indicator": "wisdom-of-crowd indicator", "truth_in_range": "truth inside range"}


class LorenzConfig(ExperimentConfig):
    """Config of the Lorenz et al. (2011) reproduction (``configs/lorenz2011.yaml``)."""

    experiment: Literal["lorenz2011"]
    group_size: int = Field(12, ge=2, description="people per group (Lorenz: 12)")
    rounds: int = Field(5, ge=2, description="answering rounds (Lorenz: 5)")
    groups_per_fit: int = Field(2000, ge=50, description="simulated groups per fit step")
    groups: int = Field(10_000, ge=10, description="simulated groups per condition")
    aggregate_signal: Literal["mean", "median", "geometric_mean"] = Field(
        "mean", description="what the aggregated condition shows (Lorenz: arithmetic mean)")


Config = LorenzConfig


def data_effects() -> tuple[dict, pd.DataFrame]:
    """The data's per-round table per condition, and the round-1 per-group table."""
    frame = load_lorenz()
    table = analyze_rounds(frame, ROUNDS, "Truth", ["Session_Date", "Question"],
                           by="Information_Condition", log=True)
    groups = per_group_table(frame, ROUNDS, "Truth", ["Session_Date", "Question"],
                             by="Information_Condition", log=True)
    confidence = (frame.groupby("Information_Condition")[["C1", "C5"]].mean())
    for condition, row in confidence.iterrows():
        table["by"][condition]["confidence"] = {"round_1": float(row.C1),
                                                "round_5": float(row.C5),
                                                "change": float((row.C5 - row.C1) / row.C1)}
    return table, groups


def crowd_params(fit: dict, config: LorenzConfig, condition: str, weight: float
                 ) -> EstimationParams:
    """The simulated group: truth 1 (estimates are relative), log-normal private beliefs."""
    information = CONDITIONS[condition]
    return EstimationParams(
        n_agents=config.group_size, truth=1.0, noise="lognormal",
        noise_scale=fit["noise_scale"], bias_factor=float(np.exp(fit["bias"])),
        correlation=fit["correlation"], rounds=config.rounds - 1, information=information,
        signal=config.aggregate_signal, revision_space="log",
        social_weight=weight if information != "none" else 0.0)


def simulate(params: EstimationParams, seed: int, groups: int, key: int) -> dict:
    """Mean over simulated groups of each per-round metric (log units)."""
    batch = simulate_crowds(params, replicate_seeds(seed, groups, key_prefix=(key,)))
    metrics = round_metrics(batch.trajectory, truth=1.0, log=True)
    return {name: np.nanmean(values, axis=0) for name, values in metrics.items()}


def sd_ratio(params: EstimationParams, seed: int, groups: int, key: int) -> float:
    result = simulate(params, seed, groups, key)
    return float(result["sd"][-1] / result["sd"][0])


TOLERANCE = 0.05  # a relative change within +-5 % counts as "no change"


def direction(change: float) -> str:
    """'down', 'up' or 'flat' for a relative change."""
    if not np.isfinite(change) or abs(change) <= TOLERANCE:
        return "flat"
    return "down" if change < 0 else "up"


def _change(values) -> float:
    return (values[-1] - values[0]) / values[0] if values[0] else float("nan")


def verdicts(data: dict, simulated: dict) -> list[dict]:
    """Each published effect: what the data show, what the model shows, and whether the
    model reproduces the data (the same direction of change, +-5 % counting as flat)."""
    out = []
    for condition in ("aggregated", "full"):
        d = data["by"][condition]["per_round"]
        sim_ = simulated[condition]
        d_sd, s_sd = _change(d["sd"]), _change(sim_["sd"])
        out.append({
            "effect": f"social influence effect, {condition}: diversity (SD of log "
                      "estimates) shrinks",
            "data": {"sd_change": d_sd}, "simulation": {"sd_change": s_sd},
            "reproduced": direction(d_sd) == direction(s_sd) == "down",
            "note": "the social weight is fitted to this shrinkage: agreement in size is by "
                    "construction, only the direction is a finding",
        })
        d_err = _change(d["error_of_geometric_mean"])
        s_err = _change(sim_["error_of_geometric_mean"])
        d_none = _change(data["by"]["no"]["per_round"]["error_of_geometric_mean"])
        claim_in_data = d_err >= d_none - TOLERANCE
        out.append({
            "effect": f"social influence effect, {condition}: change of the collective error "
                      "|ln(GM/truth)| (published: no improvement)",
            "data": {"error_change": d_err, "error_change_no_information": d_none,
                     "published_claim_holds_in_data": bool(claim_in_data)},
            "simulation": {"error_change": s_err},
            "reproduced": direction(d_err) == direction(s_err),
            "note": "not fitted. 'reproduced' means the model's error moves in the data's "
                    "direction; in the shipped data the error falls in every condition",
        })
        d_in, s_in = d["truth_in_range"], sim_["truth_in_range"]
        d_woc, s_woc = d["woc_indicator"], sim_["woc_indicator"]
        out.append({
            "effect": f"range reduction effect, {condition}: the truth moves to the edge of "
                      "the range or out of it",
            "data": {"truth_in_range": [d_in[0], d_in[-1]],
                     "woc_indicator": [d_woc[0], d_woc[-1]]},
            "simulation": {"truth_in_range": [s_in[0], s_in[-1]],
                           "woc_indicator": [s_woc[0], s_woc[-1]]},
            "reproduced": bool(direction(_change(d_woc)) == direction(_change(s_woc)) == "down"
                               and d_in[-1] < d_in[0] and s_in[-1] < s_in[0]),
            "note": "not fitted: a prediction of the calibrated model",
        })
        out.append({
            "effect": f"confidence effect, {condition}: confidence rises",
            "data": data["by"][condition]["confidence"], "simulation": None,
            "reproduced": None, "note": "the model has no confidence; not simulated",
        })
    return out


def verdict_lines(effects: list[dict]) -> list[str]:
    """One readable line per effect."""
    lines = []
    for effect in effects:
        verdict = {True: "REPRODUCED", False: "NOT reproduced", None: "not simulated"}[
            effect["reproduced"]]
        numbers = ", ".join(f"data {k} {_fmt(v, k)}" for k, v in effect["data"].items()
                            if k != "published_claim_holds_in_data")
        if effect["simulation"]:
            numbers += "; " + ", ".join(f"model {k} {_fmt(v, k)}"
                                         for k, v in effect["simulation"].items())
        lines.append(f"- {verdict}: {effect['effect']} ({numbers})")
    return lines


def _fmt(value, key: str = "") -> str:
    if isinstance(value, (list, tuple)):
        return " -> ".join(_fmt(v, key) for v in value)
    if isinstance(value, float):
        return f"{value:+.1%}" if "change" in key else f"{value:.3g}"
    return str(value)


def draw_figure(out_dir: Path, data: dict, simulated: dict, provenance: dict) -> list[str]:
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    rounds = np.arange(1, len(ROUNDS) + 1)
    for ax, (metric, label) in zip(axes.flat, METRICS.items()):
        for colour, condition in zip(PALETTE, ("no", "aggregated", "full")):
            ax.plot(rounds, data["by"][condition]["per_round"][metric], "o-", color=colour,
                    lw=2, label=f"data: {condition}")
            ax.plot(rounds, simulated[condition][metric], "s--", color=colour, alpha=0.8,
                    mfc="white", label=f"model: {condition}")
        ax.set_title(label)
        ax.set_xticks(rounds)
    for ax in axes[1]:
        ax.set_xlabel("round")
    axes[1, 1].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("Lorenz et al. (2011): data (filled) against the calibrated model (open)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=9, frameon=False)
    return [str(p) for p in save(fig, out_dir / "rounds", provenance)]


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw the figure from ``summary.json``."""
    return draw_figure(Path(out_dir), summary["data"], summary["simulation"],
                       summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    fit = summary["fit"]["private_beliefs"]
    rows = [("groups in the data", f"{summary['data']['groups']}"),
            ("private beliefs (round 1 fit)",
             f"SD of ln {fit['noise_scale']:.3f}, shared share {fit['correlation']:.2f}, "
             f"bias x{np.exp(fit['bias']):.2f}")]
    for condition in ("aggregated", "full"):
        w = summary["fit"]["social_weight"][condition]
        rows.append((f"social weight, {condition}", f"{w['value']:.3f}"))
    for condition in ("no", "aggregated", "full"):
        d = summary["data"]["by"][condition]["per_round"]
        m = summary["simulation"][condition]
        rows.append((f"{condition}: SD round 1 -> 5, data / model",
                     f"{d['sd'][0]:.3f} -> {d['sd'][-1]:.3f} / {m['sd'][0]:.3f} -> "
                     f"{m['sd'][-1]:.3f}"))
        rows.append((f"{condition}: |ln(GM/truth)|, data / model",
                     f"{d['error_of_geometric_mean'][0]:.3f} -> "
                     f"{d['error_of_geometric_mean'][-1]:.3f} / "
                     f"{m['error_of_geometric_mean'][0]:.3f} -> "
                     f"{m['error_of_geometric_mean'][-1]:.3f}"))
    return rows


def run(config: LorenzConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the reproduction; write ``summary.json``, ``rounds.parquet`` and the figure."""
    if config.rounds != len(ROUNDS):
        log(f"note: the data have {len(ROUNDS)} rounds; simulating {config.rounds}")
    data, groups = data_effects()
    fit = fit_first_round(groups[groups["round"] == ROUNDS[0]])
    log(f"private beliefs fitted to round 1: ln-scale SD {fit['noise_scale']:.3f}, shared "
        f"share {fit['correlation']:.2f}, bias x{np.exp(fit['bias']):.2f}")
    weights, simulated = {}, {}
    for key, condition in enumerate(("no", "aggregated", "full")):
        target_sd = data["by"][condition]["per_round"]["sd"]
        if condition == "no":
            weights[condition] = {"value": 0.0, "reached": None, "note": "no information"}
        else:
            target = target_sd[-1] / target_sd[0]
            log(f"fitting the social weight of the {condition} condition to the SD ratio "
                f"{target:.3f} ...")
            weights[condition] = calibrate_monotone(
                lambda w, c=condition, k=key: sd_ratio(crowd_params(fit, config, c, w),
                                                       config.seed, config.groups_per_fit, k),
                target, tolerance=2e-3)
        params = crowd_params(fit, config, condition, weights[condition]["value"])
        simulated[condition] = simulate(params, config.seed, config.groups, 100 + key)
    simulated_lists = {c: {m: v.tolist() for m, v in table.items()}
                       for c, table in simulated.items()}
    effects = verdicts(data, simulated_lists)
    for condition in ("aggregated", "full"):
        w = weights[condition]
        log(f"social weight, {condition}: {w['value']:.3f} (SD ratio {w['achieved']:.3f}, "
            f"target {w['target']:.3f}{'' if w['reached'] else ': target out of reach'})")

    rows = []
    for condition in ("no", "aggregated", "full"):
        for r in range(len(ROUNDS)):
            for metric in METRICS:
                rows.append({"condition": condition, "round": r + 1, "metric": metric,
                             "data": data["by"][condition]["per_round"][metric][r],
                             "simulation": simulated_lists[condition][metric][r]
                             if r < len(simulated_lists[condition][metric]) else None})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "rounds.parquet", pd.DataFrame(rows))
    figures = draw_figure(out_dir, data, simulated_lists, provenance)
    summary = {
        "experiment": config.experiment,
        "title": config.title or "Lorenz et al. (2011)",
        "data": data,
        "fit": {"private_beliefs": fit, "social_weight": weights},
        "simulation": simulated_lists,
        "verdicts": effects,
        "files": {"rounds": "rounds.parquet", "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for line in verdict_lines(effects):
        log(line)
    return summary

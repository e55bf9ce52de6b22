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
       condition the social weight fitted by bisection to the observed shrinkage of the SD of
       log estimates from round 1 to round 5 (stages ``fit-<condition>-<step>``, one per
       candidate weight, ``groups_per_fit`` groups each); then stage ``conditions`` simulates
       ``groups`` groups per condition at the fitted weights.
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

from experiments._runner import Engine, Outcome, Stage
from sim.analysis.calibration import (
    calibrate_monotone,
    crowd_field,
    crowd_with_beliefs,
    fit_first_round,
    round_means,
)
from sim.analysis.datasets import load_lorenz
from sim.analysis.rounds import analyze_rounds, per_group_table
from sim.config import ExperimentConfig
from sim.models.estimation import EstimationParams
from sim.stats import direction, relative_change

__all__ = ["LorenzConfig", "Config", "run", "figures", "key_numbers"]

ROUNDS = ["E1", "E2", "E3", "E4", "E5"]
#: condition in the data -> the model's information
CONDITIONS = {"no": "none", "aggregated": "aggregate", "full": "full"}
METRICS = {"sd": "SD of ln(estimates)", "error_of_geometric_mean": "|ln(GM / truth)|",
           "woc_indicator": "wisdom-of-crowd indicator", "truth_in_range": "truth inside range"}
#: the simulated per-round quantities (the data analysis' names, in log units) -> the
#: estimation model's metrics (sim.metrics.CROWD_METRICS); the indicator and the range are
#: the same in logs. (Not the error of the median: the data's is that of the median of the
#: logs, which for an even group differs from log_error_of_median.)
SIMULATED = {"sd": "log_sd", "error_of_geometric_mean": "log_error_of_geometric_mean",
             "individual_error": "log_mean_individual_error",
             "woc_indicator": "woc_indicator", "truth_in_range": "truth_in_range"}

#: A group of the experiment as simulated, unless the config says otherwise: estimates
#: relative to the truth, log-normal, revised in log space over four rounds after the private
#: first answer, the aggregated condition showing the arithmetic mean.
CROWD_DEFAULTS = {"n_agents": 12, "truth": 1.0, "noise": "lognormal", "rounds": 4,
                  "signal": "mean", "revision_space": "log"}
#: Parameters the experiment sets itself.
SET_BY_EXPERIMENT = {
    "noise_scale": "fitted to the data's first round", "bias_factor": "fitted to the data's "
    "first round", "correlation": "fitted to the data's first round",
    "information": "set per condition", "social_weight": "fitted per condition"}
TOLERANCE = 0.05  # a relative change within +-5 % counts as "no change"
#: The type of the config's ``crowd``.
Crowd = crowd_field(EstimationParams, CROWD_DEFAULTS, SET_BY_EXPERIMENT,
                    "a simulated group (Lorenz: 12 people, 4 rounds of revision after the "
                    "first answer)")


class LorenzConfig(ExperimentConfig):
    """Config of the Lorenz et al. (2011) reproduction (``configs/lorenz2011.yaml``).

    The private beliefs, the information and the social weight of the simulated group
    (``crowd``, over :data:`CROWD_DEFAULTS`: :func:`~sim.analysis.calibration.crowd_field`)
    come from the data.
    """

    experiment: Literal["lorenz2011"]
    crowd: Crowd
    groups_per_fit: int = Field(2000, ge=50, description="simulated groups per fit step")
    groups: int = Field(10_000, ge=10, description="simulated groups per condition")


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


def condition_point(condition: str, weight: float) -> dict:
    """The parameters of one condition: what is seen of the others, and the social weight."""
    information = CONDITIONS[condition]
    return {"information": information,
            "social_weight": weight if information != "none" else 0.0}


def fit_weight(engine: Engine, config: LorenzConfig, fixed: dict, condition: str,
               target: float) -> dict:
    """Bisect the social weight of ``condition`` to the data's SD ratio (round 5 / round 1);
    every candidate is a stage ``fit-<condition>-<step>`` of ``groups_per_fit`` groups."""
    def sd_ratio(weight: float, step: int) -> float:
        runs = engine.run(Stage(f"fit-{condition}-{step}", "estimation",
                                points=[condition_point(condition, weight)],
                                replicates=config.groups_per_fit, fixed=fixed,
                                metrics=["log_sd"]))
        sd = round_means(runs, {"sd": "log_sd"})[0]["sd"]
        return sd[-1] / sd[0]

    return calibrate_monotone(sd_ratio, target, tolerance=2e-3)


def verdicts(data: dict, simulated: dict) -> list[dict]:
    """Each published effect: what the data show, what the model shows, and whether the
    model reproduces the data (the same direction of change, +-5 % counting as flat)."""
    def trend(change: float) -> str:
        return direction(change, TOLERANCE)

    out = []
    for condition in ("aggregated", "full"):
        d = data["by"][condition]["per_round"]
        sim_ = simulated[condition]
        d_sd, s_sd = relative_change(d["sd"]), relative_change(sim_["sd"])
        out.append({
            "effect": f"social influence effect, {condition}: diversity (SD of log "
                      "estimates) shrinks",
            "data": {"sd_change": d_sd}, "simulation": {"sd_change": s_sd},
            "reproduced": trend(d_sd) == trend(s_sd) == "down",
            "note": "the social weight is fitted to this shrinkage: agreement in size is by "
                    "construction, only the direction is a finding",
        })
        d_err = relative_change(d["error_of_geometric_mean"])
        s_err = relative_change(sim_["error_of_geometric_mean"])
        d_none = relative_change(data["by"]["no"]["per_round"]["error_of_geometric_mean"])
        claim_in_data = d_err >= d_none - TOLERANCE
        out.append({
            "effect": f"social influence effect, {condition}: change of the collective error "
                      "|ln(GM/truth)| (published: no improvement)",
            "data": {"error_change": d_err, "error_change_no_information": d_none,
                     "published_claim_holds_in_data": bool(claim_in_data)},
            "simulation": {"error_change": s_err},
            "reproduced": trend(d_err) == trend(s_err),
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
            "reproduced": bool(trend(relative_change(d_woc)) == trend(relative_change(s_woc))
                               == "down" and d_in[-1] < d_in[0] and s_in[-1] < s_in[0]),
            "note": "not fitted: a prediction of the calibrated model",
        })
        out.append({
            "effect": f"confidence effect, {condition}: confidence rises",
            "data": data["by"][condition]["confidence"], "simulation": None,
            "reproduced": None, "note": "the model has no confidence; not simulated",
        })
    return out


def rounds_table(data: dict, simulated: dict) -> pd.DataFrame:
    """Per condition, round and metric of :data:`METRICS`: data and simulation."""
    rows = []
    for condition in CONDITIONS:
        for r in range(len(ROUNDS)):
            for metric in METRICS:
                model = simulated[condition][metric]
                rows.append({"condition": condition, "round": r + 1, "metric": metric,
                             "data": data["by"][condition]["per_round"][metric][r],
                             "simulation": model[r] if r < len(model) else None})
    return pd.DataFrame(rows)


def run(config: LorenzConfig, engine: Engine) -> Outcome:
    """Analyse the data, fit beliefs and social weights, simulate each condition."""
    notes = []
    if config.crowd.rounds + 1 != len(ROUNDS):
        notes.append(f"the data have {len(ROUNDS)} rounds; simulated "
                     f"{config.crowd.rounds + 1}")
    data, groups = data_effects()
    beliefs = fit_first_round(groups[groups["round"] == ROUNDS[0]])
    engine.log(f"private beliefs fitted to round 1: ln-scale SD {beliefs['noise_scale']:.3f}, "
               f"shared share {beliefs['correlation']:.2f}, bias "
               f"x{np.exp(beliefs['bias']):.2f}")
    fixed = crowd_with_beliefs(config.crowd, beliefs, SET_BY_EXPERIMENT, log_units=True)
    weights = {"no": {"value": 0.0, "reached": None, "note": "no information"}}
    for condition in ("aggregated", "full"):
        target_sd = data["by"][condition]["per_round"]["sd"]
        target = target_sd[-1] / target_sd[0]
        engine.log(f"fitting the social weight of the {condition} condition to the SD ratio "
                   f"{target:.3f} ...")
        weights[condition] = w = fit_weight(engine, config, fixed, condition, target)
        engine.log(f"social weight, {condition}: {w['value']:.3f} (SD ratio "
                   f"{w['achieved']:.3f}, target {w['target']:.3f}"
                   f"{'' if w['reached'] else ': target out of reach'})")
    runs = engine.run(Stage("conditions", "estimation",
                            points=[condition_point(c, weights[c]["value"]) for c in CONDITIONS],
                            replicates=config.groups, fixed=fixed,
                            metrics=list(dict.fromkeys(SIMULATED.values()))))
    means = round_means(runs, SIMULATED)
    simulated = {condition: means[i] for i, condition in enumerate(CONDITIONS)}
    return Outcome(
        summary={"data": data, "fit": {"private_beliefs": beliefs, "social_weight": weights},
                 "simulation": simulated},
        tables={"rounds": rounds_table(data, simulated)},
        verdicts=verdicts(data, simulated), notes=notes)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Data against the calibrated model per round, from ``rounds.parquet``."""
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    out_dir = Path(out_dir)
    table = pd.read_parquet(out_dir / "rounds.parquet")
    apply_theme()
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    rounds = np.arange(1, len(ROUNDS) + 1)
    for ax, (metric, label) in zip(axes.flat, METRICS.items()):
        for colour, condition in zip(PALETTE, CONDITIONS):
            part = table[(table.condition == condition) & (table.metric == metric)]
            part = part.sort_values("round")
            ax.plot(part["round"], part["data"], "o-", color=colour, lw=2,
                    label=f"data: {condition}")
            ax.plot(part["round"], part["simulation"].astype(float), "s--", color=colour,
                    alpha=0.8, mfc="white", label=f"model: {condition}")
        ax.set_title(label)
        ax.set_xticks(rounds)
    for ax in axes[1]:
        ax.set_xlabel("round")
    axes[1, 1].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle("Lorenz et al. (2011): data (filled) against the calibrated model (open)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize=9, frameon=False)
    return save(fig, out_dir / "rounds", summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    fit = summary["fit"]["private_beliefs"]
    rows = [("groups in the data", f"{summary['data']['groups']}"),
            ("private beliefs (round 1 fit)",
             f"SD of ln {fit['noise_scale']:.3f}, shared share {fit['correlation']:.2f}, "
             f"bias x{np.exp(fit['bias']):.2f}")]
    for condition in ("aggregated", "full"):
        w = summary["fit"]["social_weight"][condition]
        rows.append((f"social weight, {condition}", f"{w['value']:.3f}"))
    for condition in CONDITIONS:
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

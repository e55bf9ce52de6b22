"""Lorenz, Rauhut, Schweitzer & Helbing (2011): how social influence can undermine the wisdom
of crowd effect (PNAS 108:9020), predicted from a calibration on Becker et al. (2017).

What it runs
    1. Calibration on the other shipped experiment (``calibrate_on``, default
       ``configs/datasets/becker2017.yaml``): the estimation model's revision rules fitted to
       Becker's networks by ABC-SMC (:func:`sim.inference.calibrate.calibrate`); without
       ``model`` the rule set is chosen by cross-validation over Becker's groups. Stored in
       ``calibration.json`` and reused on the next run while the calibration data, the model
       request, the seed and the ABC settings are unchanged (``--fresh`` recomputes it).
    2. Prediction of this experiment (``dataset``, default
       ``configs/datasets/lorenz2011.yaml``; :func:`sim.inference.predict.predict`): every
       Lorenz group (12 people, 6 questions, 5 rounds) simulated from its own observed
       round-1 answers under its condition's protocol (no, aggregated or full information),
       ``draws`` times with rules drawn from the posterior. Of Lorenz's data only the first
       answers and the protocols enter the model; rounds 2 to 5 are predicted, not fitted.
    3. The data alone (:func:`sim.analysis.specs.analyze_spec` on the spec's rows): per
       condition and round the SD of ln(estimates), |ln(GM / truth)|, the wisdom-of-crowd
       indicator and the truth inside the range, and the mean confidence C1 -> C5.
What it reports
    ``summary.json``: the calibration record (the posterior particles are in
    ``calibration.json``), the prediction (per condition, the change from round 1 to 5 of
    the error of the mean, of the median and of the SD, and the share of groups whose error
    of the mean fell, data and model with 90 % intervals, and per-round series) and the data's
    table. Verdicts: one per condition and metric, judged by the one verdict rule
    (:data:`sim.verdicts.VERDICT_RULE`: the data's 90 % group-bootstrap interval and the
    model's overlap, with the data's sign where it is significant); and the published
    effects (social influence, range reduction, confidence), checked on the data only (not
    simulated, verdict "data only").
    ``prediction.parquet``: the per-condition comparison. Figures: ``prediction`` (data
    against model per condition and round with 90 % intervals) and ``changes`` (the changes
    from round 1 to 5, data against model with 90 % intervals).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from experiments._crossprediction import (
    CrossPredictionConfig,
    prediction_captions,
    prediction_figures,
    prediction_key_numbers,
    run_experiment,
)
from experiments._runner import Engine, Outcome
from sim.stats import direction, relative_change
from sim.verdicts import data_only_row

__all__ = ["LorenzConfig", "Config", "run", "figures", "key_numbers"]

TOLERANCE = 0.05  # a relative change within +-5 % counts as "no change" (data-only rows)


class LorenzConfig(CrossPredictionConfig):
    """Config of the Lorenz et al. (2011) cross-prediction (``configs/lorenz2011.yaml``):
    the fields of :class:`~experiments._crossprediction.CrossPredictionConfig`, predicting
    Lorenz et al. from a calibration on Becker et al. (2017) by default."""

    experiment: Literal["lorenz2011"]
    dataset: str = Field("configs/datasets/lorenz2011.yaml", min_length=1,
                         description="dataset spec of the experiment predicted")
    calibrate_on: str = Field("configs/datasets/becker2017.yaml", min_length=1,
                              description="dataset spec of the experiment calibrated on")


Config = LorenzConfig


# ---------------------------------------------------------------------------------------------
# the data alone


def data_effects(path: Path) -> dict:
    """The data's per-round table per condition (the spec's rows) and the confidence."""
    from sim.analysis.specs import analyze_spec, load_observed, load_spec

    observed = load_observed(load_spec(path))
    table = analyze_spec(observed)
    if {"C1", "C5"} <= set(observed.frame.columns) and observed.spec.condition:
        confidence = observed.frame.groupby(observed.spec.condition)[["C1", "C5"]].mean()
        for condition, row in confidence.iterrows():
            if condition in table["by"]:
                table["by"][condition]["confidence"] = {
                    "round_1": float(row.C1), "round_5": float(row.C5),
                    "change": float((row.C5 - row.C1) / row.C1)}
    return table


def data_verdicts(data: dict) -> list[dict]:
    """The published effects, on the data only: what the data show and whether the published
    claim holds in them (``holds_in_data``); the model is not involved (verdict "data only",
    no data interval: these are levels and comparisons not bootstrapped here)."""
    def trend(change: float) -> str:
        return direction(change, TOLERANCE)

    by = data["by"]
    if not {"no", "aggregated", "full"} <= set(by):
        return []
    note = "data only (the spec's rows); not simulated"
    out = []
    for condition in ("aggregated", "full"):
        d = by[condition]["per_round"]
        sd = relative_change(d["sd"])
        out.append(data_only_row(
            f"data only: social influence effect, {condition}: diversity (SD of ln estimates) "
            "shrinks from round 1 to 5",
            {"sd_round_1": d["sd"][0], "sd_round_5": d["sd"][-1], "change": sd,
             "holds_in_data": trend(sd) == "down"},
            note=f"{note}; the model's SD change is the predicted row of this condition"))
        err = relative_change(d["error_of_geometric_mean"])
        err_none = relative_change(by["no"]["per_round"]["error_of_geometric_mean"])
        out.append(data_only_row(
            f"data only: social influence effect, {condition}: the collective error "
            "|ln(GM/truth)| improves no more than without information (published)",
            {"change": err, "change_no_information": err_none,
             "holds_in_data": bool(err >= err_none - TOLERANCE)},
            note=f"{note}; in the shipped data the error falls in every condition"))
        inside, woc = d["truth_in_range"], d["woc_indicator"]
        out.append(data_only_row(
            f"data only: range reduction effect, {condition}: the truth moves to the edge of "
            "the range or out of it",
            {"truth_in_range": [inside[0], inside[-1]], "woc_indicator": [woc[0], woc[-1]],
             "holds_in_data": bool(trend(relative_change(woc)) == "down"
                                   and inside[-1] < inside[0])},
            note=note))
        if "confidence" in by[condition]:
            c = by[condition]["confidence"]
            out.append(data_only_row(
                f"data only: confidence effect, {condition}: confidence rises",
                {**c, "holds_in_data": trend(c["change"]) == "up"},
                note=f"{note}; the model has no confidence"))
    return out


# ---------------------------------------------------------------------------------------------
# the run


def run(config: LorenzConfig, engine: Engine) -> Outcome:
    """The data's published effects; calibrate on the other experiment (or reuse the stored
    calibration) and predict this one."""
    return run_experiment(config, engine, data_effects, data_verdicts)


#: The conditions as a reader knows them: condition -> (name, what it means).
CONDITION_NAMES = {"no": ("no information", "the control: nothing shown between rounds"),
                   "aggregated": ("aggregated information",
                                  "the mean of the others' previous answers shown"),
                   "full": ("full information", "every other previous answer shown")}


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Figures ``prediction`` (data against the model per condition and round with 90 %
    intervals) and ``changes`` (the changes from round 1 to 5, data against the model with
    90 % intervals), from the prediction stored in ``summary.json``."""
    return prediction_figures(out_dir, summary, CONDITION_NAMES)


key_numbers = prediction_key_numbers

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Does a model of how people revise estimates, calibrated on Becker et al. (2017), "
            "predict how social influence changes the error and the diversity of Lorenz et "
            "al.'s (2011) groups over five rounds?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    return prediction_captions(summary)

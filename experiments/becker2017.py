"""Becker, Brackbill & Centola (2017): network dynamics of social influence in the wisdom of
crowds (PNAS 114:E5070), predicted from a calibration on Lorenz et al. (2011).

What it runs
    1. Calibration on the other shipped experiment (``calibrate_on``, default
       ``configs/datasets/lorenz2011.yaml``): the estimation model's revision rules fitted to
       Lorenz's groups by ABC-SMC (:func:`sim.inference.calibrate.calibrate`); without
       ``model`` the rule set is chosen by cross-validation over Lorenz's groups. Stored in
       ``calibration.json`` and reused on the next run while the calibration data, the model
       request, the seed and the ABC settings are unchanged (``--fresh`` recomputes it).
    2. Prediction of this experiment (``dataset``, default
       ``configs/datasets/becker2017.yaml``; :func:`sim.inference.predict.predict`): every
       Becker network (about 40 people, 3 rounds) simulated from its own observed round-1
       answers under its condition's protocol (decentralized: a random network of degree 4;
       centralized: a star around the observed hub; solo: no information), ``draws`` times
       with rules drawn from the posterior. Of Becker's data only the first answers, the
       hubs and the protocols enter the model; rounds 2 and 3 are predicted, not fitted.
    3. The data alone (:func:`sim.analysis.specs.analyze_spec` on the spec's rows, errors and
       SD in units of ``sd_pool``): per network and round the error of the mean and of the
       median, the SD and the individual error, and their changes from round 1 to 3, beside
       the changes the paper reports.
What it reports
    ``summary.json``: the calibration record (the posterior particles are in
    ``calibration.json``), the prediction (per network, the change from round 1 to 3 of the
    error of the mean, of the median and of the SD, and the share of groups whose error of
    the mean fell, data and model with 90 % intervals, and per-round series), the data's table
    and the published changes. Verdicts: one per network and metric, reproduced when the
    predicted value lies inside the data's 90 % group-bootstrap interval; and the published
    changes, checked on the data only (not simulated). ``prediction.parquet``: the
    per-network comparison. Figure ``prediction``: data against model per network and round
    with 90 % intervals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from experiments._crossprediction import (
    CrossPredictionConfig,
    prediction_figures,
    prediction_key_numbers,
    run_experiment,
)
from experiments._runner import Engine, Outcome
from sim.stats import direction

__all__ = ["BeckerConfig", "Config", "run", "figures", "key_numbers"]

TOLERANCE = 0.02  # a relative change within +-2 % counts as "no change" (data-only rows)
#: The changes from round 1 to 3 the paper reports: (network, metric) -> change.
PUBLISHED = {("Decentralized", "sd"): -0.43, ("Decentralized", "individual_error"): -0.23,
             ("Decentralized", "error_of_median"): -0.12,
             ("Decentralized", "error_of_mean"): -0.10, ("Solo", "sd"): -0.03}
NAMES = {"sd": "SD", "individual_error": "individual error",
         "error_of_median": "error of the median", "error_of_mean": "error of the mean"}
PUBLISHED_NOTE = ("the paper reports, round 1 to 3, decentralized: SD -43 %, individual error "
                  "-23 %, error of the median -12 %, of the mean -10 %; centralized with the "
                  "hub far from the truth: error of the mean +19 %, median +32 % (that subset "
                  "is not computed here); control: SD -3 %")


class BeckerConfig(CrossPredictionConfig):
    """Config of the Becker et al. (2017) cross-prediction (``configs/becker2017.yaml``):
    the fields of :class:`~experiments._crossprediction.CrossPredictionConfig`, predicting
    Becker et al. from a calibration on Lorenz et al. (2011) by default."""

    experiment: Literal["becker2017"]
    dataset: str = Field("configs/datasets/becker2017.yaml", min_length=1,
                         description="dataset spec of the experiment predicted")
    calibrate_on: str = Field("configs/datasets/lorenz2011.yaml", min_length=1,
                              description="dataset spec of the experiment calibrated on")


Config = BeckerConfig


# ---------------------------------------------------------------------------------------------
# the data alone


def data_effects(path: Path) -> dict:
    """The data's per-round table and changes per network (the spec's rows)."""
    from sim.analysis.specs import analyze_spec, load_spec

    return {**analyze_spec(load_spec(path)), "published": {"note": PUBLISHED_NOTE}}


def data_verdicts(data: dict) -> list[dict]:
    """Each published change beside the data's, on the data only; ``holds_in_data``: the
    same direction (+-2 % counting as no change). The model is not involved."""
    out = []
    for (network, metric), published in PUBLISHED.items():
        change = data["by"].get(network, {}).get("change", {}).get(metric)
        if change is None:
            continue
        out.append({
            "effect": f"data only: {network.lower()}: {NAMES[metric]} changes by "
                      f"{100 * published:+.0f} % from round 1 to 3 (published)",
            "data": {"published": published, "change": change,
                     "holds_in_data": direction(change, TOLERANCE)
                     == direction(published, TOLERANCE)},
            "simulation": None, "reproduced": None,
            "note": "data only (the spec's rows: people with an answer in every round); "
                    "not simulated"})
    return out


# ---------------------------------------------------------------------------------------------
# the run


def run(config: BeckerConfig, engine: Engine) -> Outcome:
    """The data's published effects; calibrate on the other experiment (or reuse the stored
    calibration) and predict this one."""
    return run_experiment(config, engine, data_effects, data_verdicts)


#: Data against the model per condition and round with 90 % intervals (``prediction``), from
#: the prediction stored in ``summary.json``.
figures = prediction_figures
key_numbers = prediction_key_numbers

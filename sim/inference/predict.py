"""Predict an experiment the model has never seen from a calibration.

``crowdsim predict CALIBRATION.json SPEC.yaml [--out DIR] [--json]``: every observed group of
the new dataset is simulated from its own first answers, at its own size, under its
condition's protocol (:class:`sim.inference.simulate.GroupSimulator`), ``draws`` times, each
time with parameters drawn from the calibration's posterior. Per condition it compares model
and data on the relative change from the first to the last round of the error of the mean,
the error of the median and the SD (averages over groups, as ``crowdsim analyze --rounds``
reports ``change``) and on the share of groups whose mean improved.

Intervals (90 %)
    Data: group bootstrap (the groups resampled with replacement, 2,000 times). Model: per
    draw, one bootstrap resample of the simulated groups, over the draws: parameter
    uncertainty, the model's own randomness and the sampling of groups together. The
    prediction itself is the mean over draws without resampling.
Verdict rule
    The project's one rule (:mod:`sim.verdicts`): reproduced when the two 90 % intervals
    overlap and, for a change whose data interval excludes 0, the prediction has the data's
    sign; "not significant in the data" when the data's interval of a change contains 0.
    ``inside`` says whether the predicted value lies inside the data's interval (a stricter
    test), ``overlap`` whether the two intervals overlap.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.analysis.specs import load_observed, load_spec
from sim.config import ConfigError
from sim.inference.calibrate import posterior_from
from sim.inference.simulate import GroupSimulator
from sim.inference.summaries import (
    CHANGES,
    METRICS,
    bootstrap_changes,
    changes,
    group_round_metrics,
)
from sim.verdicts import verdict

__all__ = ["load_calibration", "predict", "VERDICT_RULE"]

VERDICT_RULE = ("the verdict follows the one rule of sim.verdicts (intervals overlap, signs "
                "match where the data's is significant); 'inside': the prediction lies inside "
                "the data's 90 % group-bootstrap interval")


def load_calibration(path: str | Path) -> dict:
    """A calibration record written by ``crowdsim calibrate`` (one-line errors)."""
    from sim.inference.calibrate import FORMAT

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a calibration file (not JSON: {exc.__class__.__name__})"
                          ) from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a calibration file (expected format {FORMAT!r}, "
                          f"written by crowdsim calibrate)")
    return record


def _interval(values: np.ndarray) -> list[float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [None, None]
    return [float(np.quantile(finite, 0.05)), float(np.quantile(finite, 0.95))]


def _number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def predict(calibration: dict, spec_path: str | Path, draws: int = 200, seed: int = 1) -> dict:
    """Model against data per condition, with intervals (see the module docstring)."""
    spec = load_spec(spec_path)
    observed = load_observed(spec)
    simulator = GroupSimulator(observed, seed)
    posterior = posterior_from(calibration)
    fixed = dict(calibration.get("fixed", {}))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    thetas = posterior.draw(rng, draws)
    data = {c: group_round_metrics(values, truths)
            for c, (values, truths, _) in simulator.observed_measured().items()}
    predicted = {c: {name: [] for name in CHANGES} for c in simulator.conditions}
    predicted_boot = {c: {name: [] for name in CHANGES} for c in simulator.conditions}
    rounds_pred = {c: {name: [] for name in METRICS} for c in simulator.conditions}
    rounds_boot = {c: {name: [] for name in METRICS} for c in simulator.conditions}
    for theta in thetas:
        rules = {**fixed, **dict(zip(posterior.names, map(float, theta)))}
        for condition, (values, truths, _) in simulator.measured(rules, rng).items():
            metrics = group_round_metrics(values, truths)
            whole = changes(metrics)
            pick = rng.integers(0, values.shape[0], values.shape[0])
            resampled = changes(metrics, pick)
            for name in CHANGES:
                predicted[condition][name].append(float(whole[name]))
                predicted_boot[condition][name].append(float(resampled[name]))
            for name in METRICS:
                with np.errstate(invalid="ignore"):
                    rounds_pred[condition][name].append(np.nanmean(metrics[name], axis=0))
                    rounds_boot[condition][name].append(np.nanmean(metrics[name][pick],
                                                                   axis=0))
    conditions = {}
    for condition in simulator.conditions:
        boot = bootstrap_changes(data[condition], rng)
        whole = changes(data[condition])
        metrics_out = {}
        for name in CHANGES:
            obs_ci = _interval(np.asarray(boot[name]))
            pred = np.array(predicted[condition][name])
            pred_ci = _interval(np.array(predicted_boot[condition][name]))
            value = _number(np.nanmean(pred)) if np.isfinite(pred).any() else None
            inside = (value is not None and None not in obs_ci
                      and obs_ci[0] <= value <= obs_ci[1])
            overlap = (None not in obs_ci and None not in pred_ci
                       and pred_ci[0] <= obs_ci[1] and obs_ci[0] <= pred_ci[1])
            label = verdict(_number(whole[name]), obs_ci, value, pred_ci,
                            null=None if name == "share_improved_mean" else 0.0)
            metrics_out[name] = {"observed": _number(whole[name]), "observed_ci": obs_ci,
                                 "predicted": value, "predicted_ci": pred_ci,
                                 "verdict": label, "inside": bool(inside),
                                 "overlap": bool(overlap)}
        per_round = {}
        for name in METRICS:
            m = data[condition][name]
            picks = rng.integers(0, m.shape[0], size=(2000, m.shape[0]))
            with np.errstate(invalid="ignore"):
                boot_rounds = np.nanmean(m[picks], axis=1)
            pred_rounds = np.array(rounds_pred[condition][name])
            pred_boot = np.array(rounds_boot[condition][name])
            per_round[name] = {
                "observed": [_number(v) for v in np.nanmean(m, axis=0)],
                "observed_ci": [_interval(boot_rounds[:, r]) for r in range(m.shape[1])],
                "predicted": [_number(v) for v in np.nanmean(pred_rounds, axis=0)],
                "predicted_ci": [_interval(pred_boot[:, r]) for r in range(m.shape[1])]}
        conditions[condition] = {
            "groups": int(data[condition]["sd"].shape[0]),
            "protocol": spec.protocols[condition].model_dump(mode="json"),
            "metrics": metrics_out, "per_round": per_round}
    notes = []
    if calibration.get("revision_space") != spec.revision_space:
        notes.append(f"calibrated in {calibration.get('revision_space')} revision space, "
                     f"predicted in {spec.revision_space} (the target spec's)")
    if any(p.information == "none" for p in spec.protocols.values()) and not any(
            n.startswith("drift") for n in posterior.names):
        notes.append("the calibration data had no control condition: drift is 0 here")
    return {"dataset": spec.dataset, "data_hash": observed.data_hash(),
            "units": spec.units, "rounds": list(spec.rounds),
            "calibration": {"dataset": calibration["dataset"], "model": calibration["model"],
                            "data_hash": calibration.get("data_hash"),
                            "parameters": calibration["parameters"]},
            "draws": draws, "seed": seed, "verdict_rule": VERDICT_RULE, "notes": notes,
            "conditions": conditions}

"""What the social-influence experiments (``lorenz2011``, ``becker2017``) share: calibrate the
estimation model's revision rules on one shipped multi-round experiment and predict another.

:class:`CrossPredictionConfig` holds the fields both configs have (the two dataset specs, the
rule set, the ABC-SMC effort, the posterior draws); :func:`cross_predict` runs the
calibration (:func:`sim.inference.calibrate.calibrate`, stored in ``calibration.json`` under
the experiment's folder and reused while it answers the same request) and the prediction
(:func:`sim.inference.predict.predict`) and returns the summary parts, the table and the
verdict rows; :func:`prediction_figures` and :func:`prediction_key_numbers` draw and sum up
from the stored summary. Each experiment adds its own data-only effects.
:func:`calibrate_cached` also serves other experiments that run the calibrated rules
(``groupthink_phase``): it takes any object with ``model`` and ``abc``.

Not an experiment (no ``run``): a helper module of the two, like :mod:`experiments._runner`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Literal, Protocol

import pandas as pd
from pydantic import Field

from experiments._runner import Engine, Outcome
from sim.config import ConfigError, ExperimentConfig, Strict
from sim.inference.calibrate import FORMAT, AbcSettings
from sim.inference.output import (
    condition_title,
    metric_labels,
    ordered_conditions,
    prediction_figure,
    prediction_title,
    wrap_text,
)
from sim.inference.rulesets import RULE_SETS

__all__ = ["Abc", "CrossPredictionConfig", "CalibrationAsk", "spec_path", "calibrate_cached",
           "cross_predict", "run_experiment", "prediction_figures", "prediction_key_numbers",
           "prediction_captions",
           "PREDICTED", "comparison_panel", "comparison_legend", "metric_labels",
           "signed_percent"]

#: crowdsim's own folder: the default specs are found there from any working folder
HOME = Path(__file__).resolve().parents[1]
#: How the effect text of a predicted verdict row ends (the data-only rows end otherwise).
PREDICTED = "(predicted)"
CALIBRATION_FILE = "calibration.json"
_ABC = AbcSettings()


class Abc(Strict):
    """How hard the ABC-SMC works (:class:`sim.inference.calibrate.AbcSettings`)."""

    population_size: int = Field(_ABC.population_size, ge=10,
                                 description="particles per ABC-SMC generation")
    generations: int = Field(_ABC.generations, ge=1, description="ABC-SMC generations at most")
    folds: int = Field(_ABC.folds, ge=2, description="folds of the cross-validation choosing "
                                                     "the rule set (without model)")

    def settings(self) -> AbcSettings:
        return AbcSettings(population_size=self.population_size, generations=self.generations,
                           folds=self.folds)


class CrossPredictionConfig(ExperimentConfig):
    """The fields of a cross-prediction config; an experiment sets the defaults of
    ``dataset`` and ``calibrate_on``. Relative spec paths are looked up in the config's
    folder, then the working folder, then crowdsim's own folder."""

    dataset: str = Field(min_length=1, description="dataset spec of the experiment predicted")
    calibrate_on: str = Field(min_length=1,
                              description="dataset spec of the experiment calibrated on")
    model: Literal[tuple(RULE_SETS)] | None = Field(
        None, description="rule set (None: chosen by cross-validation over groups)")
    abc: Abc = Field(default_factory=Abc)
    draws: int = Field(200, ge=2, description="posterior draws of the prediction")


def spec_path(value: str, key: str, engine: Engine) -> Path:
    """A spec path of the config: absolute, or relative to the config's folder, the working
    folder or crowdsim's folder (the first that exists); else a one-line ConfigError."""
    path = Path(value).expanduser()
    candidates = [path] if path.is_absolute() else [
        *([engine.config_dir / path] if engine.config_dir is not None else []), path,
        HOME / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{key}: dataset spec {value!r} not found (looked in the config's "
                      "folder, the working folder and crowdsim's folder)")


# ---------------------------------------------------------------------------------------------
# calibrate (stored and reused) and predict


class CalibrationAsk(Protocol):
    """What a calibration is asked for: any object with ``model`` (a rule set's name, or None
    to choose one by cross-validation) and ``abc`` (an :class:`Abc`), such as a
    :class:`CrossPredictionConfig` or an experiment's own block of the two."""

    model: str | None
    abc: Abc


def calibration_request(path: Path, config: CalibrationAsk, seed: int) -> dict:
    """What a stored calibration must answer to be reused: the data and protocols calibrated
    on, the model asked for (``config.model``), the seed and the ABC settings
    (``config.abc``), as JSON stores them."""
    from sim.analysis.specs import load_observed, load_spec

    spec = load_spec(path)
    request = {"data_hash": load_observed(spec).data_hash(),
               "protocols": {c: p.model_dump(mode="json") for c, p in spec.protocols.items()},
               "units": spec.units, "revision_space": spec.revision_space,
               "model": config.model, "seed": seed, "abc": asdict(config.abc.settings())}
    return json.loads(json.dumps(request))


def stored_calibration(file: Path, request: dict) -> tuple[dict | None, str]:
    """The calibration stored in ``file`` if it answers ``request``, and why (not)."""
    if not file.is_file():
        return None, "none stored"
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, f"{file.name} is not valid JSON"
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None, f"{file.name} is not a calibration"
    stored = record.get("request") or {}
    changed = [key for key in request if stored.get(key) != request[key]]
    if changed:
        return None, f"stored for another {', '.join(changed)}"
    return record, "same data, model request, seed and ABC settings"


def calibrate_cached(engine: Engine, config: CalibrationAsk, path: Path,
                     file_name: str = CALIBRATION_FILE) -> dict:
    """The calibration on ``path`` of the rule set ``config.model`` with the ABC settings
    ``config.abc``: reused from ``file_name`` in the experiment's folder when it answers the
    same request (not with ``--fresh``), else computed, with the workers or the Dask
    scheduler of ``engine.execution``, and stored there."""
    from sim.inference.calibrate import calibrate
    from sim.io import write_json

    request = calibration_request(path, config, engine.seed)
    file = engine.out_dir / file_name
    record, why = (None, "--fresh") if engine.execution.fresh else \
        stored_calibration(file, request)
    if record is not None:
        engine.log(f"calibration: reusing {file} ({why})")
        return record
    engine.log(f"calibration: computing it ({why}) on {path}")
    execution, client = engine.execution, None
    if execution.scheduler:
        from sim.sweep.runner import connect

        client = connect(execution.scheduler)
    try:
        record = calibrate(path, model=config.model, seed=engine.seed,
                           settings=config.abc.settings(), workers=execution.workers or 1,
                           client=client, log=engine.log)
    finally:
        if client is not None:
            client.close()
    record["request"] = request
    engine.out_dir.mkdir(parents=True, exist_ok=True)
    write_json(file, record)
    engine.log(f"calibration: stored in {file}")
    return record


def cross_predict(config: CrossPredictionConfig, engine: Engine, dataset: Path,
                  record: dict | None = None
                  ) -> tuple[dict, pd.DataFrame, list[dict], list[str]]:
    """Calibrate on ``config.calibrate_on`` (or reuse the stored calibration; or use
    ``record``) and predict ``dataset``: (summary part, per-condition table, verdict rows,
    notes)."""
    from sim.inference.predict import predict

    if record is None:
        record = calibrate_cached(engine, config,
                                  spec_path(config.calibrate_on, "calibrate_on", engine))
    engine.log(f"predicting {dataset} from the {record['model']} rule set calibrated on "
               f"{record['dataset']} ({config.draws} posterior draws) ...")
    prediction = predict(record, dataset, draws=config.draws, seed=engine.seed)
    notes = list(prediction["notes"])
    if record["data_hash"] == prediction["data_hash"]:
        notes.append("calibrated and predicted on the same data: not a cross-prediction")
    # the posterior particles stay in calibration.json, out of summary.json
    calibration = {k: v for k, v in record.items() if k not in ("posterior", "provenance")}
    calibration["file"] = CALIBRATION_FILE
    return ({"calibration": calibration, "prediction": prediction},
            prediction_table(prediction), prediction_verdicts(prediction), notes)


def _null(metric: str) -> float | None:
    """The no-effect value of a predicted metric: 0 for a change, None for the share of
    groups whose error of the mean fell (a level, not a direction)."""
    return None if metric == "share_improved_mean" else 0.0


def prediction_verdicts(prediction: dict) -> list[dict]:
    """One row per condition and metric: the data's change against the predicted one, judged
    by the one verdict rule (:mod:`sim.verdicts`: the 90 % intervals overlap and, where the
    data's change is significant, the model's has its sign); the note keeps whether the
    prediction lies inside the data's interval."""
    from sim.inference.output import LABELS
    from sim.verdicts import verdict_row

    last = len(prediction["rounds"])
    out = []
    for condition, part in prediction["conditions"].items():
        for name, m in part["metrics"].items():
            what = ("share of groups whose error of the mean fell" if name == "share_improved_mean"
                    else f"change of the {LABELS[name]}")
            out.append(verdict_row(
                f"{condition}: {what} from round 1 to {last} {PREDICTED}",
                m["observed"], m["observed_ci"], m["predicted"], m["predicted_ci"],
                fitted=False, null=_null(name),
                note=f"data 90 % interval {_interval(m['observed_ci'])}, model 90 % "
                     f"interval {_interval(m['predicted_ci'])} (intervals "
                     f"{'overlap' if m['overlap'] else 'do not overlap'}; the prediction "
                     f"lies {'inside' if m['inside'] else 'outside'} the data's interval)"))
    return out


def prediction_table(prediction: dict) -> pd.DataFrame:
    """Per condition and metric: data and model with their 90 % intervals, the verdict (the
    one rule, :func:`sim.verdicts.verdict`), whether the prediction lies inside the data's
    interval and whether the intervals overlap."""
    rows = []
    for condition, part in prediction["conditions"].items():
        for name, m in part["metrics"].items():
            rows.append({"condition": condition, "groups": part["groups"], "metric": name,
                         "observed": m["observed"], "observed_low": m["observed_ci"][0],
                         "observed_high": m["observed_ci"][1], "predicted": m["predicted"],
                         "predicted_low": m["predicted_ci"][0],
                         "predicted_high": m["predicted_ci"][1],
                         "verdict": m["verdict"], "inside": m["inside"],
                         "overlap": m["overlap"]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# from the stored summary


def comparison_panel(ax, labels: list[str], rows: list[dict], colours) -> tuple[float, float]:
    """Data against model at each of ``labels`` (x categories): per row the data's value
    (circle) and the model's (diamond), each with its 90 % interval as an error bar, and the
    published value (cross) where a row has one (``published``). Markers, not bars: a value
    of 0 stays visible. A zero line; the y limits hold every interval (returned, to share
    them between panels)."""
    import numpy as np

    x = np.arange(len(labels))
    values = [0.0]
    for offset, key, marker, colour in ((-0.15, "observed", "o", colours[0]),
                                        (0.15, "predicted", "D", colours[1])):
        for i, row in enumerate(rows):
            value, (low, high) = row.get(key), row.get(f"{key}_ci") or (None, None)
            if value is None:
                continue
            yerr = None
            if low is not None and high is not None:
                yerr = [[value - low], [high - value]]
                values += [low, high]
            values.append(value)
            ax.errorbar(x[i] + offset, value, yerr=yerr, fmt=marker, color=colour, ms=6,
                        capsize=4, lw=1.5, zorder=3)
    for i, row in enumerate(rows):
        if row.get("published") is not None:
            ax.plot(x[i], row["published"], "X", color="0.1", ms=7, zorder=4)
            values.append(row["published"])
    ax.axhline(0, color="0.3", lw=0.8, zorder=1)
    low, high = min(values), max(values)
    pad = 0.08 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=9)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.grid(axis="x", visible=False)
    return low - pad, high + pad


def comparison_legend(colours, published: str | None = None) -> tuple[list, list[str]]:
    """Handles and labels of :func:`comparison_panel` (``published``: the source, if any)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colours[0], marker="o", ms=6, lw=1.5),
               Line2D([], [], color=colours[1], marker="D", ms=6, lw=1.5)]
    labels = ["data (bars: 90 % group-bootstrap interval)",
              "model (bars: 90 % interval over posterior draws)"]
    if published:
        handles.append(Line2D([], [], color="0.1", marker="X", ms=7, ls="none"))
        labels.append(f"published ({published})")
    return handles, labels


def signed_percent(value, _=None) -> str:
    """A relative change as a tick label: +10 %, -20 %, 0 %."""
    return "0 %" if abs(value) < 1e-12 else f"{100 * value:+.0f} %"


def changes_figure(path: Path, summary: dict, names: dict,
                   published: dict | None = None, source: str | None = None) -> list[Path]:
    """Figure ``changes``: per condition the change from the first to the last round of the
    error of the mean, of the median and of the SD (averages over groups), and the share of
    groups whose error of the mean fell; data against the model, each with its 90 %
    interval; ``published[(condition, metric)]`` values drawn as crosses (from ``source``)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    prediction = summary["prediction"]
    conditions = ordered_conditions(prediction, names)
    labels = metric_labels(prediction["units"])
    published = published or {}
    fig = plt.figure(figsize=(3.4 * (len(conditions) + 1) + 0.6, 5.6), layout="constrained")
    grid = fig.add_gridspec(1, len(conditions) + 1, width_ratios=[1] * len(conditions) + [1.1])
    first = fig.add_subplot(grid[0, 0])
    axes = [first] + [fig.add_subplot(grid[0, k], sharey=first)
                      for k in range(1, len(conditions))]
    limits = []
    for ax, condition in zip(axes, conditions):
        part = prediction["conditions"][condition]
        rows = [{**part["metrics"][m], "published": published.get((condition, m))}
                for m in labels]
        limits.append(comparison_panel(ax, [short for _, _, short in labels.values()], rows,
                                       PALETTE))
        ax.set_title(condition_title(condition, part, names, width=30), fontsize=10)
    # shared limits: every condition's intervals
    lows, highs = zip(*limits)
    first.set_ylim(min(lows), max(highs))
    for ax in axes[1:]:
        ax.tick_params(labelleft=False)
    first.yaxis.set_major_formatter(FuncFormatter(signed_percent))
    last = len(prediction["rounds"])
    first.set_ylabel(f"relative change, round 1 to {last}\n(% of the round-1 value)")
    share = fig.add_subplot(grid[0, -1])
    comparison_panel(share, [names.get(c, (c, ""))[0].replace(" ", "\n", 1)
                             for c in conditions],
                     [prediction["conditions"][c]["metrics"]["share_improved_mean"]
                      for c in conditions], PALETTE)
    share.set_ylim(0, 1.05)
    share.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    share.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    share.set_ylabel("share of groups (%)")
    mean_name = labels["error_of_mean"][0]
    share.set_title(wrap_text(f"groups whose {mean_name} fell from round 1 to {last}", 30),
                    fontsize=10)
    handles, legend = comparison_legend(PALETTE, source if published else None)
    fig.legend(handles, legend, loc="outside lower center", ncol=len(handles), fontsize=9,
               frameon=False)
    fig.suptitle(prediction_title(summary["prediction"], summary.get("title")), fontsize=11)
    return save(fig, path, summary.get("provenance"))


def prediction_figures(out_dir: Path, summary: dict, names: dict | None = None,
                       published: dict | None = None, source: str | None = None) -> list[Path]:
    """Figures ``prediction`` (data against the model per condition and round, with 90 %
    intervals; :func:`sim.inference.output.prediction_figure`) and ``changes`` (the changes
    from the first to the last round, data against the model with 90 % intervals;
    :func:`changes_figure`), from the
    prediction stored in ``summary.json``. ``names``: condition -> (name, what it means), as
    a reader knows them (default: the condition's own value); ``published``:
    (condition, metric) -> a published change, drawn from ``source``."""
    out_dir, names = Path(out_dir), names or {}
    return (prediction_figure(summary["prediction"], out_dir / "prediction", names,
                              summary.get("title"), summary.get("provenance"))
            + changes_figure(out_dir / "changes", summary, names, published, source))


def prediction_key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The rule set, its parameters with 90 % intervals, and per condition the change of the
    error of the mean, data against model."""
    from sim.inference.output import LABELS
    from sim.report import reproduced_row
    from sim.verdicts import verdict

    cal, prediction = summary["calibration"], summary["prediction"]
    how = (f"chosen by {cal['abc']['folds']}-fold cross-validation" if cal["scores"]
           else "given in the config")
    rows = [("calibrated on", f"{cal['dataset']} ({cal['groups']} groups)"),
            ("rule set", f"{cal['model']} ({how})")]
    for name, value in cal["parameters"].items():
        lo, hi = value["interval90"]
        rows.append((LABELS.get(name, name),
                     f"{value['estimate']:.3f} (90 % interval {lo:.3f} to {hi:.3f})"))
    for condition, part in prediction["conditions"].items():
        m = part["metrics"]["error_of_mean"]
        label = verdict(m["observed"], m["observed_ci"], m["predicted"], m["predicted_ci"])
        rows.append((f"{condition}: change of the error of the mean, data vs model",
                     f"{_pct(m['observed'])} {_pct_ci(m['observed_ci'])} vs "
                     f"{_pct(m['predicted'])} {_pct_ci(m['predicted_ci'])} ({label}; "
                     f"prediction {m['verdict']} the data's interval)"))
    predicted = [v for v in summary["verdicts"] if v["effect"].endswith(PREDICTED)]
    rows.append(reproduced_row(predicted, "predictions reproduced (one verdict rule)"))
    return rows


def _interval(ci) -> str:
    return "[" + ", ".join("-" if v is None else f"{v:+.3f}" for v in ci) + "]"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:+.1f} %"


def _pct_ci(ci) -> str:
    return "[" + ", ".join(_pct(v) for v in ci) + "]"


def run_experiment(config: CrossPredictionConfig, engine: Engine, data_effects,
                   data_verdicts, extra=None) -> Outcome:
    """An experiment's ``run``: the data's published effects (``data_effects(spec path)``,
    turned into rows by ``data_verdicts``), then calibrate on the other experiment (or reuse
    the stored calibration) and predict this one. ``extra(record, spec path, config,
    engine)``, if given, returns (summary part, verdict rows, notes) of the experiment's own
    predicted effects (the calibration record with its posterior)."""
    dataset = spec_path(config.dataset, "dataset", engine)
    data = data_effects(dataset)
    record = calibrate_cached(engine, config,
                              spec_path(config.calibrate_on, "calibrate_on", engine))
    summary, table, verdicts, notes = cross_predict(config, engine, dataset, record)
    if extra is not None:
        part, rows, more = extra(record, dataset, config, engine)
        summary, verdicts, notes = {**summary, **part}, verdicts + rows, notes + more
    return Outcome(summary={**summary, "data": data}, tables={"prediction": table},
                   verdicts=verdicts + data_verdicts(data), notes=notes)


def prediction_captions(summary: dict) -> dict[str, str]:
    """Captions of the figures every cross-prediction draws (``prediction``, ``changes``)."""
    units = {"log": "ln units", "scaled": "units of the task's SD",
             "linear": "shares of the truth"}.get(summary.get("prediction", {}).get("units"))
    unit = f", in {units}" if units else ""
    return {
        "prediction": (
            "Data (points, 90 % group-bootstrap intervals) against the model's prediction "
            "(line; band: 90 % interval over posterior draws) per round, for the error of the "
            "crowd's mean, the error of its median and the SD of the estimates (rows), one "
            f"column per condition, averages over groups{unit}; the model sees only each "
            "group's first answers."),
        "changes": (
            "Change from the first to the last round per condition: data (90 % group-bootstrap "
            "intervals) against the model's prediction (90 % interval over posterior draws), "
            "for each error and the SD, and the share of groups whose error fell."),
    }

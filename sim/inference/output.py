"""What ``crowdsim calibrate`` and ``crowdsim predict`` print and write (atomically)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.io import write_json, write_text

__all__ = ["LABELS", "DATASET_NAMES", "RULE_NAMES", "metric_labels", "format_calibration",
           "format_prediction", "prediction_figure", "write_calibration", "write_prediction",
           "wrap_text", "condition_title", "prediction_title", "ordered_conditions"]

#: Parameter and metric names as a reader knows them.
LABELS = {
    "social_weight": "social weight (first revision)",
    "later_weight_factor": "later revisions' weight / first's",
    "anchoring": "anchoring on own first answer",
    "distance_scale": "distance scale of revision",
    "asymmetry": "upward vs downward asymmetry",
    "weight_spread": "spread of personal weights (Beta)",
    "drift": "drift towards the truth without information",
    "drift_noise": "noise of revisions without information",
    "error_of_mean": "error of the mean",
    "error_of_median": "error of the median",
    "sd": "SD of estimates",
    "share_improved_mean": "share of groups whose mean improved",
}


def _pct(value, signed: bool = True) -> str:
    if value is None:
        return "-"
    return f"{100 * value:+.1f} %" if signed else f"{100 * value:.1f} %"


def format_calibration(record: dict) -> str:
    """The calibration as text: scores, then parameters with 90 % intervals."""
    lines = [f"calibration of the estimation model on {record['dataset']} "
             f"({record['groups']} groups; data {record['data_hash'][:12]})",
             f"rule set: {record['model']} - {record['model_description']}"]
    if record["scores"]:
        lines.append("held-out scores (" + record["score_rule"] + "):")
        best = min(record["scores"].values())
        for name, score in sorted(record["scores"].items(), key=lambda kv: kv[1]):
            lines.append(f"  {name:<10} {score:8.3f}{'   <- chosen' if score == best else ''}")
    lines.append(f"parameters (posterior median, 90 % interval; revision space "
                 f"{record['revision_space']}):")
    for name, value in record["parameters"].items():
        lo, hi = value["interval90"]
        lines.append(f"  {LABELS.get(name, name):<45} {value['estimate']:7.3f}  "
                     f"[{lo:.3f}, {hi:.3f}]")
    abc = record["abc"]
    lines.append(f"ABC-SMC: {abc['generations_run']} generations, {abc['simulations']} "
                 f"simulations, {abc['seconds']} s")
    return "\n".join(lines)


def format_prediction(result: dict) -> str:
    """The prediction as a table: per condition and metric, data and model with 90 %
    intervals and the verdict."""
    cal = result["calibration"]
    lines = [f"prediction of {result['dataset']} from the {cal['model']} rule set calibrated "
             f"on {cal['dataset']} ({result['draws']} posterior draws)",
             "relative change from the first to the last round (share: in the last round); "
             f"90 % intervals; {result['verdict_rule']}",
             ""]
    width = 2 + max(len(f"{c} ({part['groups']})") for c, part in result["conditions"].items())
    width = max(width, 12)
    header = (f"{'condition':<{width}}{'metric':<38}{'data':>10}{'':>22}{'model':>10}"
              f"{'':>22}  verdict")
    lines.append(header)
    for condition, part in result["conditions"].items():
        for name, m in part["metrics"].items():
            signed = name != "share_improved_mean"  # a share, the others are changes
            obs_ci = "[" + ", ".join(_pct(v, signed) for v in m["observed_ci"]) + "]"
            pred_ci = "[" + ", ".join(_pct(v, signed) for v in m["predicted_ci"]) + "]"
            lines.append(f"{condition + ' (' + str(part['groups']) + ')':<{width}}"
                         f"{LABELS.get(name, name):<38}{_pct(m['observed'], signed):>10}"
                         f"{obs_ci:>22}{_pct(m['predicted'], signed):>10}{pred_ci:>22}  "
                         f"{m['verdict']}{' (inside)' if m['inside'] else ''}")
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _posterior_figure(record: dict, path: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    names = record["posterior"]["names"]
    particles = np.array(record["posterior"]["particles"], dtype=float).reshape(-1, len(names))
    weights = np.array(record["posterior"]["weights"], dtype=float)
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.8 * rows),
                             squeeze=False, layout="constrained")
    space = "ln units" if record["revision_space"] == "log" else "answer units"
    for ax, j in zip(axes.flat, range(len(names))):
        name = names[j]
        value = record["parameters"][name]
        lo, hi = value["prior"]
        ax.hist(particles[:, j], bins=24, range=(lo, hi), weights=weights, color=PALETTE[0])
        ax.axvspan(*value["interval90"], color=PALETTE[1], alpha=0.2, label="90 % interval")
        ax.axvline(value["estimate"], color=PALETTE[1], lw=1.5, label="posterior median")
        unit = f" ({space})" if name in ("distance_scale", "drift_noise") else ""
        ax.set_xlabel(LABELS.get(name, name) + unit, fontsize=9)
        ax.set_xlim(lo, hi)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].set_ylabel("posterior density")
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"Posterior of the {record['model']} rule set on {record['dataset']} "
                 f"(ABC-SMC; x axis: prior range)")
    return save(fig, path, record.get("provenance"))


#: The shipped datasets as a reader knows them (figure text).
DATASET_NAMES = {"lorenz2011": "Lorenz et al. (2011)", "becker2017": "Becker et al. (2017)"}
#: The revision rule sets as a reader knows them (figure text).
RULE_NAMES = {"degroot": "DeGroot averaging", "anchored": "anchored averaging",
              "distance": "distance-dependent revision",
              "full": "all revision rules with personal weights"}


def metric_labels(units: str) -> dict[str, tuple[str, str, str]]:
    """Per metric of a prediction in ``units``: (name, unit, short name for a tick label),
    as a reader knows them. On the log scale the error of the mean is that of the
    geometric mean, |ln(geometric mean / truth)|."""
    if units == "log":
        return {"error_of_mean": ("error of the geometric mean",
                                  "|ln(geometric mean / truth)|",
                                  "error of the\ngeometric\nmean"),
                "error_of_median": ("error of the median", "|ln(median / truth)|",
                                    "error of\nthe median"),
                "sd": ("SD of ln(answers)", "natural-log units", "SD of\nln(answers)")}
    unit = {"scaled": "in SDs of the task's\nfirst answers",
            "linear": "share of the truth"}.get(units, units)
    return {"error_of_mean": ("error of the mean", unit, "error of\nthe mean"),
            "error_of_median": ("error of the median", unit, "error of\nthe median"),
            "sd": ("SD of the answers", unit, "SD of\nthe answers")}


def wrap_text(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters, for figure labels.

    >>> print(wrap_text("error of the mean in SDs", 12))
    error of the
    mean in SDs
    """
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def condition_title(condition: str, part: dict, names: dict, width: int = 34) -> str:
    """A panel title for one condition: its short name, what it means (wrapped to ``width``)
    and its number of groups. ``names``: condition -> (short name, what it means)."""
    short, what = names.get(condition, (condition, ""))
    return "\n".join([short, *([wrap_text(what, width)] if what else []),
                      f"({part['groups']} groups)"])


def prediction_title(prediction: dict, title: str | None = None) -> str:
    """A figure's title for a prediction: the dataset (or ``title``), the model, the data it
    was calibrated on and the number of posterior draws."""
    cal = prediction["calibration"]
    title = title or DATASET_NAMES.get(prediction["dataset"], prediction["dataset"])
    return (f"{title}\nmodel: {RULE_NAMES.get(cal['model'], cal['model'])}, calibrated on "
            f"{DATASET_NAMES.get(cal['dataset'], cal['dataset'])} "
            f"({prediction['draws']} posterior draws); averages over groups")


def ordered_conditions(prediction: dict, names: dict) -> list[str]:
    """The conditions in the order of ``names`` where it names them all (else as stored)."""
    stored = list(prediction["conditions"])
    return [c for c in names if c in stored] if set(stored) <= set(names) else stored


def prediction_figure(result: dict, path: str | Path, names: dict | None = None,
                      title: str | None = None, provenance: dict | None = None) -> list[Path]:
    """Data against model per condition (columns) and metric (rows): the average over groups
    per round, data (90 % group-bootstrap interval) against the model (90 % band over the
    posterior draws), from a :func:`sim.inference.predict.predict` result; saved as ``path``
    ``.png`` and ``.svg``. ``names``: condition -> (name, what it means) as a reader knows
    them; ``title``: the figure's first line (default: the dataset's name)."""
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    prediction, names = result, names or {}
    conditions = ordered_conditions(prediction, names)
    labels = metric_labels(prediction["units"])
    metrics = list(labels)
    fig, axes = plt.subplots(len(metrics), len(conditions),
                             figsize=(3.9 * len(conditions) + 0.6, 2.5 * len(metrics) + 2.0),
                             squeeze=False, sharex=True, sharey="row", layout="constrained")
    rounds = np.arange(1, len(prediction["rounds"]) + 1)
    for col, condition in enumerate(conditions):
        part = prediction["conditions"][condition]
        for row, name in enumerate(metrics):
            ax = axes[row, col]
            series = part["per_round"][name]
            obs = np.array(series["observed"], dtype=float)
            obs_ci = np.array(series["observed_ci"], dtype=float)
            pred = np.array(series["predicted"], dtype=float)
            pred_ci = np.array(series["predicted_ci"], dtype=float)
            ax.fill_between(rounds, pred_ci[:, 0], pred_ci[:, 1], color=PALETTE[1], alpha=0.25,
                            lw=0)
            ax.plot(rounds, pred, color=PALETTE[1], lw=1.8, marker="D", ms=4)
            ax.errorbar(rounds + 0.06, obs, yerr=[obs - obs_ci[:, 0], obs_ci[:, 1] - obs],
                        fmt="o", color=PALETTE[0], capsize=3, ms=5, zorder=3)
            if row == 0:
                ax.set_title(condition_title(condition, part, names), fontsize=10)
            if col == 0:
                what, unit, _ = labels[name]
                ax.set_ylabel(f"{wrap_text(what, 28)}\n({unit})", fontsize=9)
            if row == len(metrics) - 1:
                ax.set_xlabel("round")
            ax.set_xticks(rounds)
            ax.set_xlim(rounds[0] - 0.3, rounds[-1] + 0.3)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=PALETTE[0], marker="o", ms=5, lw=1.2),
               Line2D([], [], color=PALETTE[1], marker="D", ms=4, lw=1.8),
               Patch(color=PALETTE[1], alpha=0.25, lw=0)]
    legend = ["data (bars: 90 % group-bootstrap interval)", "model (mean over posterior draws)",
              "model: 90 % interval"]
    fig.legend(handles, legend, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(prediction_title(result, title), fontsize=11)
    return save(fig, path, provenance if provenance is not None else result.get("provenance"))


def write_calibration(out_dir: str | Path, record: dict) -> list[Path]:
    """``calibration.json``, ``posterior.png``/``.svg`` and ``report.md`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_json(out_dir / "calibration.json", record)]
    written += _posterior_figure(record, out_dir / "posterior")
    text = format_calibration(record)
    written.append(write_text(out_dir / "report.md", (
        f"# Calibration: {record['model']} on {record['dataset']}\n\n```\n{text}\n```\n\n"
        "![posterior](posterior.png)\n\n"
        f"Spec: `{record['spec']}`; seed {record['provenance']['seed']}; crowdsim "
        f"{record['provenance']['crowdsim_version']}.\n")))
    return written


def write_prediction(out_dir: str | Path, result: dict) -> list[Path]:
    """``prediction.json``, ``prediction.png``/``.svg`` and ``report.md`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_json(out_dir / "prediction.json", result)]
    written += prediction_figure(result, out_dir / "prediction")
    written.append(write_text(out_dir / "report.md", (
        f"# Prediction of {result['dataset']} from a calibration on "
        f"{result['calibration']['dataset']}\n\n```\n{format_prediction(result)}\n```\n\n"
        "![data against model](prediction.png)\n")))
    return written


def prediction_json(result: dict) -> str:
    """The ``--json`` output: one object (``None`` for undefined numbers)."""
    keep = {k: v for k, v in result.items() if k != "provenance"}
    return json.dumps(keep, indent=2, allow_nan=False)

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
    3. The hub split (:func:`hub_split`; the paper's central claim: in centralized networks
       the hub decides the direction): the centralized networks whose marked hub was kept
       (57 of 59 in the shipped data; the others are left out, and a note says so), split by
       where the hub's first answer lies: further from the truth than the group's round-1
       mean on the same side ("far side") or on the truth's side of the mean. Per side, the
       change from round 1 to 3 of the error of the mean and of the median: data (90 %
       group-bootstrap interval) against the model (the calibration's posterior, every
       network simulated from its own first answers).
    4. The data alone (:func:`sim.analysis.specs.analyze_spec` on the spec's rows, errors and
       SD in units of ``sd_pool``): per network and round the error of the mean and of the
       median, the SD and the individual error, and their changes from round 1 to 3, beside
       the changes the paper reports.
What it reports
    ``summary.json``: the calibration record (the posterior particles are in
    ``calibration.json``), the prediction (per network, the change from round 1 to 3 of the
    error of the mean, of the median and of the SD, and the share of groups whose error of
    the mean fell, data and model with 90 % intervals, and per-round series), the data's table,
    the published changes and ``hub_split``. Verdicts, by the one verdict rule
    (:data:`sim.verdicts.VERDICT_RULE`): one per network and metric, and one per side of the
    hub split and metric; and the published changes, checked on the data only (not
    simulated, verdict "data only", with the data's 90 % interval). ``prediction.parquet``: the
    per-network comparison. Figures: ``prediction`` (data against model per network and
    round with 90 % intervals), ``changes`` (the changes from round 1 to 3, data against
    model with 90 % intervals, beside the published changes) and ``hub_split`` (the hub
    split, the same way).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from experiments._crossprediction import (
    CrossPredictionConfig,
    comparison_legend,
    comparison_panel,
    metric_labels,
    prediction_captions,
    prediction_figures,
    prediction_key_numbers,
    run_experiment,
    signed_percent,
)
from experiments._runner import Engine, Outcome
from sim.stats import direction
from sim.verdicts import data_only_row

__all__ = ["BeckerConfig", "Config", "run", "figures", "key_numbers", "hub_sides", "hub_split"]

TOLERANCE = 0.02  # a relative change within +-2 % counts as "no change" (data-only rows)
#: The changes from round 1 to 3 the paper reports: (network, metric) -> change.
PUBLISHED = {("Decentralized", "sd"): -0.43, ("Decentralized", "individual_error"): -0.23,
             ("Decentralized", "error_of_median"): -0.12,
             ("Decentralized", "error_of_mean"): -0.10, ("Solo", "sd"): -0.03}
NAMES = {"sd": "SD", "individual_error": "individual error",
         "error_of_median": "error of the median", "error_of_mean": "error of the mean"}
PUBLISHED_NOTE = ("the paper reports, round 1 to 3, decentralized: SD -43 %, individual error "
                  "-23 %, error of the median -12 %, of the mean -10 %; centralized with the "
                  "hub far from the truth: error of the mean +19 %, median +32 % (the hub "
                  "split below, data and model); control: SD -3 %")
#: The hub split of the centralized networks: subset -> what it means.
HUB_SIDES = {"far": "hub on the far side of the mean",
             "truth": "hub on the truth side of the mean"}
HUB_METRICS = ("error_of_mean", "error_of_median")
#: The changes from round 1 to 3 the paper reports for the hub split: (side, metric) -> change.
HUB_PUBLISHED = {("far", "error_of_mean"): 0.19, ("far", "error_of_median"): 0.32}
#: The conditions as a reader knows them: condition -> (name, what it means).
CONDITION_NAMES = {"Centralized": ("centralized", "star network around one hub"),
                   "Decentralized": ("decentralized", "random network, 4 neighbours each"),
                   "Solo": ("solo", "no information, the control")}
SOURCE = "Becker et al. 2017"


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
    """The data's per-round table and changes per network (the spec's rows), and per network
    the 90 % group-bootstrap interval of the changes of the SD and the errors of the mean
    and the median (``intervals``; the individual error has none)."""
    import numpy as np

    from sim.analysis.specs import analyze_spec, load_observed, load_spec
    from sim.inference.simulate import GroupSimulator
    from sim.inference.summaries import bootstrap_changes, group_round_metrics

    observed = load_observed(load_spec(path))
    rng = np.random.default_rng(np.random.SeedSequence([len(observed.groups), 17]))
    intervals = {}
    for network, (values, truths, _) in GroupSimulator(observed, 1).observed_measured().items():
        boot = bootstrap_changes(group_round_metrics(values, truths), rng)
        intervals[network] = {m: _interval(boot[m]) for m in NAMES if m in boot}
    return {**analyze_spec(observed), "intervals": intervals,
            "published": {"note": PUBLISHED_NOTE}}


def _interval(values) -> list[float | None]:
    """The 5th and 95th percentiles of the finite values ([None, None] when none)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [None, None]
    return [float(np.quantile(finite, 0.05)), float(np.quantile(finite, 0.95))]


def data_verdicts(data: dict) -> list[dict]:
    """Each published change beside the data's, on the data only; ``holds_in_data``: the
    same direction (+-2 % counting as no change). The model is not involved (verdict "data
    only"); ``data_ci``: the data's 90 % group-bootstrap interval where computed."""
    out = []
    for (network, metric), published in PUBLISHED.items():
        change = data["by"].get(network, {}).get("change", {}).get(metric)
        if change is None:
            continue
        out.append(data_only_row(
            f"data only: {network.lower()}: {NAMES[metric]} changes by "
            f"{100 * published:+.0f} % from round 1 to 3 (published)",
            {"published": published, "change": change,
             "holds_in_data": direction(change, TOLERANCE) == direction(published, TOLERANCE)},
            data_ci=data.get("intervals", {}).get(network, {}).get(metric),
            note="data only (the spec's rows: people with an answer in every round); "
                 "not simulated"))
    return out


# ---------------------------------------------------------------------------------------------
# the hub split of the centralized networks: data and model


def hub_sides(observed, condition: str = "Centralized") -> tuple[dict[str, list[int]], int]:
    """The indices of ``condition``'s groups (of ``observed``) per side of the hub's first
    answer (``"far"``: further from the truth than the group's round-1 mean, on the same side;
    ``"truth"``: on the truth's side of the mean), in the analysis units; and how many of the
    condition's groups were left out (no marked hub among the people kept, or the hub exactly
    at the mean)."""
    import numpy as np

    from sim.analysis.specs import to_analysis

    sides: dict[str, list[int]] = {"far": [], "truth": []}
    left_out = 0
    for index, group in enumerate(observed.groups):
        if group.condition != condition:
            continue
        first = to_analysis(group.estimates[:, 0], group, observed.spec.units)
        truth = float(to_analysis(np.array([group.truth]), group, observed.spec.units)[0])
        mean, hub = float(np.nanmean(first)), float(first[0])
        side = (hub - mean) * (mean - truth)
        if not group.has_hub or not np.isfinite(side) or hub == mean:
            left_out += 1
            continue
        sides["far" if side > 0 else "truth"].append(index)
    return sides, left_out


def hub_split(record: dict, path: Path, config: BeckerConfig, engine: Engine
              ) -> tuple[dict, list[dict], list[str]]:
    """The centralized networks split by the side of the hub's first answer
    (:func:`hub_sides`): per side the change from round 1 to 3 of the error of the mean and of
    the median, data (90 % group-bootstrap interval) and model (the calibration's posterior,
    ``config.draws`` draws, each simulating every group from its own first answers, as
    :func:`sim.inference.predict.predict` does; 90 % interval over the draws of one group
    resample each); rows judged by the one verdict rule (:mod:`sim.verdicts`)."""
    import numpy as np

    from sim.analysis.specs import load_observed, load_spec
    from sim.inference.calibrate import posterior_from
    from sim.inference.simulate import GroupSimulator
    from sim.inference.summaries import bootstrap_changes, changes, group_round_metrics
    from sim.verdicts import verdict_row

    observed = load_observed(load_spec(path))
    sides, left_out = hub_sides(observed)
    total = sum(map(len, sides.values())) + left_out
    notes = [f"hub split: {left_out} of the {total} centralized networks left out (their hub "
             "is not among the people kept, or sits exactly at the mean)"] if left_out else []
    if not all(sides.values()):
        return {"hub_split": None}, [], notes + ["hub split: a side has no networks"]
    order = sides["far"] + sides["truth"]
    rows = {"far": np.arange(len(sides["far"])),
            "truth": np.arange(len(sides["far"]), len(order))}
    simulator = GroupSimulator(observed.subset(order), engine.seed)
    (condition,) = simulator.conditions
    rng = np.random.default_rng(np.random.SeedSequence([engine.seed, 11]))
    values, truths, _ = simulator.observed_measured()[condition]
    data = group_round_metrics(values, truths)
    posterior, fixed = posterior_from(record), dict(record.get("fixed", {}))
    model = {side: {m: [] for m in HUB_METRICS} for side in sides}
    model_boot = {side: {m: [] for m in HUB_METRICS} for side in sides}
    for theta in posterior.draw(rng, config.draws):
        rules = {**fixed, **dict(zip(posterior.names, map(float, theta)))}
        values, truths, _ = simulator.measured(rules, rng)[condition]
        metrics = group_round_metrics(values, truths)
        for side, picked in rows.items():
            whole = changes(metrics, picked)
            resampled = changes(metrics, picked[rng.integers(0, picked.size, picked.size)])
            for m in HUB_METRICS:
                model[side][m].append(float(whole[m]))
                model_boot[side][m].append(float(resampled[m]))
    part, out = {}, []
    for side, picked in rows.items():
        whole = changes(data, picked)
        boot = bootstrap_changes({k: v[picked] for k, v in data.items()}, rng)
        part[side] = {"label": HUB_SIDES[side], "groups": int(picked.size), "metrics": {}}
        for m in HUB_METRICS:
            predicted = np.asarray(model[side][m])
            value = (float(np.nanmean(predicted)) if np.isfinite(predicted).any() else None)
            stored = {"observed": _number(whole[m]), "observed_ci": _interval(boot[m]),
                      "predicted": value, "predicted_ci": _interval(model_boot[side][m])}
            part[side]["metrics"][m] = stored
            out.append(verdict_row(
                f"Centralized, {HUB_SIDES[side]}: change of the {NAMES[m]} from round 1 to 3 "
                "(hub split)", stored["observed"], stored["observed_ci"],
                value, stored["predicted_ci"],
                note=f"{picked.size} networks; data: group bootstrap, model: "
                     f"{config.draws} posterior draws; the hub decides the direction "
                     "(Becker et al. 2017)"))
    summary = {"hub_split": {
        "condition": condition, "left_out": left_out, "sides": part,
        "rule": "far: the hub's first answer is further from the truth than the group's "
                "round-1 mean, on the same side; truth: on the truth's side of the mean "
                "(analysis units: answers / sd_pool)"}}
    return summary, out, notes


def _number(value) -> float | None:
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


# ---------------------------------------------------------------------------------------------
# the run


def run(config: BeckerConfig, engine: Engine) -> Outcome:
    """The data's published effects; calibrate on the other experiment (or reuse the stored
    calibration) and predict this one."""
    return run_experiment(config, engine, data_effects, data_verdicts, extra=hub_split)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Figures ``prediction`` (data against the model per condition and round with 90 %
    intervals), ``changes`` (the changes from round 1 to 3, data against the model with 90 %
    intervals, beside the published changes) and ``hub_split`` (:func:`hub_split_figure`),
    from ``summary.json``."""
    # the figure draws the SD and the errors of the mean and the median
    published = {key: value for key, value in PUBLISHED.items()
                 if key[1] != "individual_error"}
    written = prediction_figures(out_dir, summary, CONDITION_NAMES, published, SOURCE)
    if summary.get("hub_split"):
        written += hub_split_figure(Path(out_dir) / "hub_split", summary)
    return written


def hub_split_figure(path: Path, summary: dict) -> list[Path]:
    """Figure ``hub_split``: the centralized networks split by the side of the hub's first
    answer; per side the change from round 1 to 3 of the error of the mean and of the
    median, data against the model with 90 % intervals, beside the published changes."""
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    split = summary["hub_split"]
    labels = metric_labels(summary["prediction"]["units"])
    sides = list(split["sides"])
    fig, axes = plt.subplots(1, len(sides), figsize=(4.2 * len(sides) + 0.8, 5.0),
                             sharey=True, layout="constrained")
    limits = []
    for ax, side in zip(axes, sides):
        part = split["sides"][side]
        rows = [{**part["metrics"][m], "published": HUB_PUBLISHED.get((side, m))}
                for m in HUB_METRICS]
        limits.append(comparison_panel(ax, [labels[m][2] for m in HUB_METRICS], rows, PALETTE))
        ax.set_title(f"{part['label']}\n({part['groups']} networks)", fontsize=10)
    lows, highs = zip(*limits)
    axes[0].set_ylim(min(lows), max(highs))
    axes[0].yaxis.set_major_formatter(signed_percent)
    axes[0].set_ylabel("relative change, round 1 to 3\n(% of the round-1 value)")
    handles, legend = comparison_legend(PALETTE, SOURCE)
    fig.legend(handles, legend, loc="outside lower center", ncol=1, fontsize=9,
               frameon=False)
    fig.suptitle("Centralized networks: the hub's first answer decides the direction\n"
                 "far side: further from the truth than the group's first mean, on its side",
                 fontsize=11)
    return save(fig, path, summary.get("provenance"))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """:func:`~experiments._crossprediction.prediction_key_numbers`, then per side of the hub
    split the change of the error of the mean and of the median, data against model."""
    from sim.report import reproduced_row

    rows = prediction_key_numbers(summary)
    split = summary.get("hub_split")
    if split:
        for side in split["sides"].values():
            for name, m in side["metrics"].items():
                rows.append((f"Centralized, {side['label']} ({side['groups']} networks): "
                             f"change of the {NAMES[name]}, data vs model",
                             f"{_pct(m['observed'])} {_pct_ci(m['observed_ci'])} vs "
                             f"{_pct(m['predicted'])} {_pct_ci(m['predicted_ci'])}"))
        hub = [v for v in summary["verdicts"] if v["effect"].endswith("(hub split)")]
        rows.append(reproduced_row(hub, "hub split reproduced (one verdict rule)"))
    return rows


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:+.1f} %"


def _pct_ci(ci) -> str:
    return "[" + ", ".join(_pct(v) for v in ci) + "]"

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Does a model of how people revise estimates, calibrated on Lorenz et al. (2011), "
            "predict how the estimates in Becker, Brackbill & Centola's (2017) networks change "
            "over three rounds, including whether a central hub decides if the crowd gets "
            "wiser?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    return {**prediction_captions(summary), "hub_split": (
        "Change from the first to the last round of the error of the mean and of the "
        "median in centralized networks, split by whether the hub started on the far "
        "side of the mean or on the truth's side: data (90 % group-bootstrap intervals) "
        "against the model's prediction (90 % interval over posterior draws).")}

"""Where crowds get wiser and where groupthink sets in: a phase diagram of social influence,
side by side for each rule of who weighs the others how much.

What it runs
    A full-factorial sweep through the estimation kernel over the social weight ``w``, the
    topology (who sees whom), the error correlation ``rho`` (a shared error, as in a
    misleading question) and a biased influencer (agent 0, the hub on a star, who announces
    ``truth * (1 + bias)`` and never moves), once for each weight regime: the rule that
    turns the swept ``w`` into each agent's weight. The default regimes are constant weights
    (everybody ``w``: plain DeGroot averaging), random weights (each agent's drawn uniform on
    ``w +- 0.3``, clipped to [0, 1]: spread like the accuracy-tied ones but blind to
    accuracy), weights tied to accuracy (``w (1 + 0.8 (2 q - 1))``, ``q`` the agent's rank of
    initial error: agents further from the truth revise more, Becker et al. 2017) and,
    with a ``calibrated`` block, the human-like rules fitted to a multi-round experiment
    (default Becker et al. 2017) by :func:`sim.inference.calibrate.calibrate`: the posterior
    medians of the chosen rule set's parameters (all but ``drift`` and ``drift_noise``,
    which apply only to people without social information, and ``social_weight``, which the
    sweep sets), its fixed parameters and its revision space. Revising in log space needs
    positive estimates, so in that regime the crowd is log-normal around the same truth with
    ln-SD ``noise_scale / truth`` (the normal crowd's relative spread). The calibration is
    computed once and stored in ``calibration.json`` (``--fresh`` recomputes it). Each point
    runs ``replicates`` crowds for ``rounds`` rounds of revision.
What it reports
    Per point (``points.parquet``): the error of the crowd's mean after the last round over
    before the first (means over the crowds: the error ratio) and the same for the SD of the
    estimates (the diversity ratio), each with a 90 % interval (:func:`ratio_of_means`: delta
    method for a ratio of means of paired per-crowd values), and the point's category:
    ``wiser`` (error ratio below ``1 - tolerance``, the tolerance of
    :func:`sim.metrics.groupthink`), ``groupthink`` (diversity below ``collapse`` of its
    start while the error did not improve: :func:`sim.metrics.groupthink`) or ``not wiser,
    diversity kept`` (the rest). A category is certain when every corner of the point's
    90 % box (error ratio low/high x diversity ratio low/high) falls in it, otherwise the
    point is uncertain: it lies on a boundary. ``summary.json``: per regime, topology and
    influencer the points per category, how many are uncertain, the error ratio's range and
    how far the crowd's mean moved (``mean_shift``, a share of the truth).
    Figures per influencer condition: ``regions_*`` (rows: regimes, columns: topologies;
    social weight x correlation coloured by category, uncertain points lighter and
    hatched), ``error_ratio_*`` and ``diversity_ratio_*`` (heatmaps of the ratios).
What "stays wise" depends on
    Computed from the results, per influencer condition, and said in the notes and the
    figures' titles. In the default sweep without an influencer only weights tied to
    accuracy make the crowd wiser for certain. Averaging with constant weights keeps the
    crowd's mean exactly where it was on the aggregate and the regular ring lattice and moves
    it away from the truth on the star (the hub weighs most), while diversity collapses
    (groupthink); random weights and the calibrated rules make the mean worse (the
    calibrated rules revise upwards more than downwards, so the mean drifts up). With the
    biased influencer, the stubborn agent pulls a crowd sharing a large error (high
    correlation) part of the way towards itself, which can lower the error of the crowd's
    mean a little even with constant or random weights.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._regimes import (
    HATCH,
    NOT_APPLIED,
    REGIME_KEYS,
    Calibrated,
    Regime,
    calibrated_regime,
    calibrated_settings,
    cell_edges,
    check_calibrated,
    faded,
    ratio_of_means,
    regime_settings,
    wrapped_title,
)
from experiments._runner import Engine, Outcome, Stage
from sim.config import (
    ExperimentConfig,
    Strict,
    check_distinct,
    check_params,
    reject_swept_settings,
)
from sim.metrics import groupthink
from sim.models.estimation import EstimationParams

__all__ = ["GroupthinkConfig", "Config", "Regime", "Calibrated", "run", "figures",
           "key_numbers", "ratio_of_means", "categorise", "certain"]

#: What the crowd's private estimates look like when the config says nothing (an unbiased
#: normal crowd, ten rounds); every other parameter is EstimationParams' own default.
CROWD_DEFAULTS = {"n_agents": 100, "truth": 100.0, "noise_scale": 10.0, "rounds": 10}

#: An improvement of the error ratio smaller than this does not count (the tolerance of
#: :func:`sim.metrics.groupthink`: averaging that keeps the mean leaves the ratio at 1).
TOLERANCE = 0.01
WISER, GROUPTHINK, KEPT = "wiser", "groupthink", "not wiser, diversity kept"
#: The categories, exhaustive and in the order the figures show them.
CATEGORIES = (WISER, GROUPTHINK, KEPT)
UNCERTAIN = "uncertain (90 % interval crosses a boundary)"
CALIBRATION_FILE = "calibration.json"
#: The crowd's parameters that the sweep sets, and the list that sets them.
SWEPT_BY = {"information": "topologies", "network": "topologies",
            "social_weight": "social_weights", "correlation": "correlations",
            "n_influencers": "influencer_biases", "influencer_bias": "influencer_biases",
            "weight_mode": "regimes", "weight_spread": "regimes"}


class Topology(Strict):
    """Who sees whom: a named information condition and network."""

    name: str = Field(min_length=1)
    information: Literal["aggregate", "full", "neighbours"]
    network: dict = Field(default_factory=lambda: {"kind": "none"})


def _default_regimes() -> list[Regime]:
    return [Regime(name="constant weights (DeGroot)", weight_mode="constant",
                   weight_spread=0.0),
            Regime(name="random weights (uniform, w +- 0.3)", weight_mode="random",
                   weight_spread=0.3),
            Regime(name="weights tied to accuracy (Becker et al. 2017)",
                   weight_mode="accuracy", weight_spread=0.8)]


class GroupthinkConfig(ExperimentConfig):
    """Config of the phase diagram (``configs/groupthink_phase.yaml``).

    ``crowd`` holds the estimation model's parameters that all points share (the model's own
    schema, :class:`sim.models.estimation.EstimationParams`); the lists sweep the rest, and
    each regime sets the agents' weights on the shared crowd.
    """

    experiment: Literal["groupthink_phase"]
    crowd: EstimationParams = Field(default_factory=lambda: EstimationParams(**CROWD_DEFAULTS),
                                    description="the crowd every point starts from")
    replicates: int = Field(200, ge=2, description="crowds per point")
    regimes: list[Regime] = Field(default_factory=_default_regimes, min_length=1,
                                  description="weight regimes, drawn side by side")
    calibrated: Calibrated | None = Field(None, description="the calibrated human-like rules "
                                                            "as one more regime (None: not)")
    social_weights: list[float] = Field(min_length=1)
    correlations: list[float] = Field(min_length=1)
    influencer_biases: list[float | None] = Field(min_length=1)
    topologies: list[Topology] = Field(min_length=1)
    collapse: float = Field(0.5, gt=0, lt=1, description="diversity ratio below which "
                                                          "diversity has collapsed")

    @model_validator(mode="after")
    def _check_points(self) -> GroupthinkConfig:
        """Build one point per topology and per regime, so a bad one fails before any work."""
        reject_swept_settings(self.crowd, "crowd", SWEPT_BY)
        for name, values in (("social_weights", self.social_weights),
                             ("correlations", self.correlations),
                             ("influencer_biases", self.influencer_biases),
                             ("topologies", [t.name for t in self.topologies]),
                             ("regimes", [r.name for r in self.regimes])):
            check_distinct(name, values)
        first = (self.social_weights[0], self.correlations[0], self.influencer_biases[0])
        plain = regime_settings(self.crowd, self.regimes)
        crowd = self.crowd.model_dump(mode="json")
        for topology in self.topologies:  # with the crowd's own weights, then each regime's
            check_params(EstimationParams, f"topologies: {topology.name}", **self.base(),
                         **{key: crowd[key] for key in REGIME_KEYS}, **point(topology, *first))
        for regime in self.regimes:
            check_params(EstimationParams, f"regimes: {regime.name}", **self.base(),
                         **plain[regime.name], **point(self.topologies[0], *first))
        if self.calibrated is not None:
            check_calibrated(self.calibrated, self.crowd, plain)
            for topology in self.topologies:
                check_params(EstimationParams, f"calibrated: {topology.name}", **self.base(),
                             **calibrated_settings(self.crowd, None),
                             **point(topology, *first))
        return self

    def base(self) -> dict:
        """The crowd's parameters as the points share them (``fixed`` of the stage)."""
        varied = set(SWEPT_BY) | set(REGIME_KEYS)
        return {k: v for k, v in self.crowd.model_dump(mode="json").items() if k not in varied}


Config = GroupthinkConfig
METRICS = ("error_of_mean", "error_of_median", "sd", "truth_in_range", "mean")


# ---------------------------------------------------------------------------------------------
# design


def point(topology: Topology, weight: float, correlation: float, bias: float | None) -> dict:
    """The swept parameters of one point of the phase diagram."""
    return {"information": topology.information, "network": topology.network,
            "social_weight": weight, "correlation": correlation,
            "n_influencers": 0 if bias is None else 1, "influencer_bias": bias}


def design(config: GroupthinkConfig, regimes: dict[str, dict]) -> tuple[Stage, pd.DataFrame]:
    """The full factorial of every regime (``regimes``: name -> parameters it sets) as one
    stage, and a table naming each point (with its regime)."""
    points, labels = [], []
    for regime, settings in regimes.items():
        for topology in config.topologies:
            for bias in config.influencer_biases:
                for rho in config.correlations:
                    for weight in config.social_weights:
                        points.append({**settings, **point(topology, weight, rho, bias)})
                        labels.append({"regime": regime, "topology": topology.name,
                                       "influencer_bias": bias, "correlation": rho,
                                       "social_weight": weight,
                                       "weight_mode": settings["weight_mode"],
                                       "weight_spread": settings["weight_spread"],
                                       "noise": settings["noise"],
                                       "revision_space": settings["revision_space"]})
    stage = Stage("phase", "estimation", points=points, replicates=config.replicates,
                  fixed=config.base(), metrics=METRICS)
    return stage, pd.DataFrame(labels)


# ---------------------------------------------------------------------------------------------
# ratios with their uncertainty, categories


def categorise(error_ratio, diversity_ratio, collapse: float,
               tolerance: float = TOLERANCE) -> np.ndarray:
    """Each point's category: ``wiser`` (error ratio below ``1 - tolerance``), else
    ``groupthink`` (:func:`sim.metrics.groupthink`: diversity ratio below ``collapse``),
    else ``not wiser, diversity kept``.

    Examples
    --------
    >>> categorise([0.8, 1.0, 1.0, 0.8], [0.9, 0.3, 0.9, 0.1], 0.5).tolist()
    ['wiser', 'groupthink', 'not wiser, diversity kept', 'wiser']
    """
    error_ratio = np.asarray(error_ratio, dtype=float)
    wiser = error_ratio < 1.0 - tolerance
    think = groupthink(diversity_ratio, error_ratio, collapse, tolerance)
    return np.where(wiser, WISER, np.where(think, GROUPTHINK, KEPT))


def certain(error_low, error_high, diversity_low, diversity_high, collapse: float,
            tolerance: float = TOLERANCE) -> np.ndarray:
    """Whether every corner of a point's 90 % box (error ratio low/high x diversity ratio
    low/high) has the same category (:func:`categorise`); False where the box crosses a
    boundary.

    Examples
    --------
    >>> certain([0.8, 0.98], [0.9, 1.02], [0.2, 0.2], [0.3, 0.3], 0.5).tolist()
    [True, False]
    """
    corners = [categorise(e, d, collapse, tolerance)
               for e in (error_low, error_high) for d in (diversity_low, diversity_high)]
    return np.all([c == corners[0] for c in corners[1:]], axis=0)


def analyse(runs: pd.DataFrame, labels: pd.DataFrame, rounds: int, collapse: float,
            truth: float) -> pd.DataFrame:
    """Per point: errors and SD before the first and after the last round (means over the
    crowds), their ratios with 90 % intervals, the category and whether it is certain, and
    how far the crowd's mean moved (``mean_shift``, a share of the truth)."""
    n = len(labels)

    def values(round_: int, metric: str) -> np.ndarray:
        part = runs[runs["round"] == round_].sort_values(["point_id", "replicate"])
        return part[metric].to_numpy(dtype=float).reshape(n, -1)

    frame = labels.copy()
    before, after = values(0, "error_of_mean"), values(rounds, "error_of_mean")
    frame["error_before"], frame["error_after"] = before.mean(axis=1), after.mean(axis=1)
    ratio, low, high = ratio_of_means(after, before)
    frame["error_ratio"], frame["error_ratio_low"], frame["error_ratio_high"] = ratio, low, high
    before, after = values(0, "sd"), values(rounds, "sd")
    frame["sd_before"], frame["sd_after"] = before.mean(axis=1), after.mean(axis=1)
    ratio, low, high = ratio_of_means(after, before)
    frame["diversity_ratio"] = ratio
    frame["diversity_ratio_low"], frame["diversity_ratio_high"] = low, high
    frame["error_of_median_ratio"] = (values(rounds, "error_of_median").mean(axis=1)
                                      / values(0, "error_of_median").mean(axis=1))
    frame["truth_in_range_after"] = values(rounds, "truth_in_range").mean(axis=1)
    # where the crowd's mean moved, as a share of the truth (signed; the ratios are not)
    frame["mean_shift"] = (values(rounds, "mean") - values(0, "mean")).mean(axis=1) / truth
    frame["category"] = categorise(frame.error_ratio, frame.diversity_ratio, collapse)
    frame["certain"] = certain(frame.error_ratio_low, frame.error_ratio_high,
                               frame.diversity_ratio_low, frame.diversity_ratio_high, collapse)
    frame["groupthink"] = frame.category == GROUPTHINK
    return frame


# ---------------------------------------------------------------------------------------------
# the run


def run(config: GroupthinkConfig, engine: Engine) -> Outcome:
    """Calibrate (or reuse the stored calibration) if asked, run every regime's points as one
    stage and summarise the regions."""
    regimes = regime_settings(config.crowd, config.regimes)
    summary: dict = {}
    notes: list[str] = []
    if config.calibrated is not None:
        first = (config.social_weights[0], config.correlations[0], config.influencer_biases[0])
        checked = {f"calibrated: {topology.name}": {**config.base(), **point(topology, *first)}
                   for topology in config.topologies}
        name, settings, summary["calibration"] = calibrated_regime(
            engine, config.calibrated, config.crowd, regimes, CALIBRATION_FILE, checked)
        regimes[name] = settings
        notes.append(calibrated_note(config, summary["calibration"]))
    stage, labels = design(config, regimes)
    runs = engine.run(stage)
    frame = analyse(runs, labels, config.crowd.rounds, config.collapse, config.crowd.truth)
    engine.log(f"{len(frame)} points ({len(regimes)} regimes) x {config.replicates} crowds of "
               f"{config.crowd.n_agents}")
    summary.update(describe(frame, config, regimes))
    notes = [*(regime_sentence(name, condition, part, config.social_weights)
               for name, regime in summary["regimes"].items()
               for condition, part in regime["by_influencer"].items()),
             *(f"{condition}: {text}" for condition, text in summary["depends_on"].items()),
             *notes, method_note(config)]
    return Outcome(summary=summary, tables={"points": frame}, notes=notes)


def calibrated_note(config: GroupthinkConfig, calibration: dict) -> str:
    """What the calibrated regime runs, in words."""
    applied = calibration["applied"]
    fitted = [f"{k} {applied[k]:.3g}" for k in calibration["parameters"] if k not in NOT_APPLIED]
    fitted += [f"{k} {v}" for k, v in calibration["fixed"].items()]
    weight = calibration["not_applied"].get("social_weight")
    if applied["noise"] != config.crowd.noise:
        offset = np.expm1(applied["noise_scale"] ** 2 / 2)
        crowd = (f"a log-normal crowd with median the same truth {config.crowd.truth:g} and "
                 f"ln-SD {applied['noise_scale']:.3g} (crowd.noise_scale / crowd.truth: the "
                 "normal crowd's relative spread), since revising in log space needs "
                 f"positive estimates; its arithmetic mean starts {100 * offset:.2g} % above "
                 "its median")
    else:
        crowd = f"the crowd as configured ({applied['noise']})"
    how = []
    if applied.get("asymmetry"):
        a = applied["asymmetry"]
        how.append(f"a move towards a higher signal weighs {1 + a:.2f} w, towards a lower one "
                   f"{1 - a:.2f} w")
    if applied.get("distance_scale") is not None:
        shrink = -np.expm1(-applied["noise_scale"] / applied["distance_scale"])
        how.append(f"w shrinks to {shrink:.2f} w at a distance of one SD of the start "
                   f"({applied['noise_scale']:.3g}, revision-space units) from the signal")
    return (f"{calibration['regime']}: the {calibration['model']} rule set fitted to "
            f"{calibration['dataset']} ({calibration['groups']} groups; posterior medians in "
            f"{CALIBRATION_FILE}): revising in {applied['revision_space']} space"
            + (f" with {', '.join(fitted)}" if fitted else "")
            + (f" ({'; '.join(how)})" if how else "")
            + f"; {crowd}; the social weight is swept"
            + (f" (fitted: {weight:.3g})" if weight is not None else "")
            + "; drift and drift_noise apply only without social information and are left out")


def method_note(config: GroupthinkConfig) -> str:
    """How the categories and their uncertainty are defined."""
    return (f"categories: '{WISER}' when the error of the crowd's mean after the last round "
            f"is below {1 - TOLERANCE:g} of its start; '{GROUPTHINK}' when the SD of the "
            f"estimates fell below {config.collapse:g} of its start and the error did not "
            f"improve; '{KEPT}' otherwise. Each ratio (mean over {config.replicates} crowds "
            "after / before) has a 90 % interval (delta method, paired crowds); a point is "
            "uncertain when its 90 % box crosses a category boundary. The intervals hold point "
            "by point, not for the whole map at once: a point whose ratio lies right at a "
            "boundary still looks certain about one time in twenty")


def _bias_label(bias) -> str:
    return "no influencer" if bias is None or pd.isna(bias) else f"biased influencer {bias:+.0%}"


def _short(topology: str) -> str:
    """A topology's name without its parenthesised explanation or commas (for lists)."""
    return topology.split(" (")[0].replace(",", "")


def _same_bias(frame: pd.DataFrame, bias) -> pd.Series:
    return frame.influencer_bias.isna() if bias is None or pd.isna(bias) \
        else np.isclose(frame.influencer_bias, bias)


def _region(part: pd.DataFrame) -> dict:
    """Counts and ranges of a set of points."""
    think = part[part.category == GROUPTHINK]
    return {"points": int(len(part)),
            "categories": {c: int((part.category == c).sum()) for c in CATEGORIES},
            "certain": {c: int(((part.category == c) & part.certain).sum())
                        for c in CATEGORIES},
            "uncertain": int((~part.certain).sum()),
            "groupthink_from_social_weight": (float(think.social_weight.min())
                                              if len(think) else None),
            "error_ratio_range": [float(part.error_ratio.min()), float(part.error_ratio.max())],
            "diversity_ratio_range": [float(part.diversity_ratio.min()),
                                      float(part.diversity_ratio.max())],
            "mean_shift_range": [float(part.mean_shift.min()), float(part.mean_shift.max())]}


def describe(frame: pd.DataFrame, config: GroupthinkConfig, regimes: dict[str, dict]) -> dict:
    """The summary's numbers: per regime its parameters and region counts, in all and per
    influencer condition (``by_influencer``, with the wiser points per topology), per
    topology and influencer (``regions``), and, per influencer condition, what 'stays wise'
    depends on."""
    out: dict = {"categories": list(CATEGORIES), "tolerance": TOLERANCE,
                 "collapse": config.collapse, "regimes": {}, "regions": {}, "depends_on": {}}
    biases = config.influencer_biases
    for name, settings in regimes.items():
        part = frame[frame.regime == name]
        by_influencer = {}
        for bias in biases:
            sub = part[_same_bias(part, bias)]
            by_influencer[_bias_label(bias)] = {
                **_region(sub), "wiser_by_topology": {
                    t.name: int(((sub.topology == t.name) & (sub.category == WISER)).sum())
                    for t in config.topologies}}
        out["regimes"][name] = {"parameters": settings, **_region(part),
                                "by_influencer": by_influencer}
        out["regions"][name] = {
            f"{t.name} / {_bias_label(bias)}": _region(
                part[(part.topology == t.name) & _same_bias(part, bias)])
            for t in config.topologies for bias in biases}
    for bias in biases:
        out["depends_on"][_bias_label(bias)] = depends_on(frame[_same_bias(frame, bias)],
                                                          regimes)
    return out


def depends_on(frame: pd.DataFrame, regimes: dict[str, dict]) -> str:
    """What 'stays wise' depends on, computed from the points: where each regime makes the
    crowd wiser (and where for certain: the whole 90 % box in the category), and which
    regimes do for certain."""
    counts = {}
    for name in regimes:
        part = frame[frame.regime == name]
        wiser = part.category == WISER
        counts[name] = (int(wiser.sum()), int((wiser & part.certain).sum()), len(part))
    told = "; ".join(f"{k} of {m} points" + (f" ({c} certain)" if c != k else "")
                     + f" with {name}" for name, (k, c, m) in counts.items())
    wise = [name for name, (_, c, _) in counts.items() if c > 0]
    never = [name for name in counts if name not in wise]
    if not wise:
        tail = "no weight regime makes the crowd's mean better for certain here"
    elif not never:
        tail = "every weight regime makes the crowd wiser for certain somewhere"
    elif all(regimes[name]["weight_mode"] == "accuracy" for name in wise):
        tail = ("'stays wise' depends on tying agents' weights to their accuracy: no other "
                "regime makes the crowd wiser for certain anywhere")
    else:
        best = max(wise, key=lambda name: counts[name][1])
        tail = (f"'stays wise' depends on the weights: most often with {best}; never for "
                f"certain with {' or '.join(never)}")
    return f"the crowd gets wiser at {told}: {tail}"


def regime_sentence(name: str, condition: str, part: dict, weights: list[float]) -> str:
    """One regime's regions under one influencer condition, in plain words."""
    n, cats = part["points"], part["categories"]
    where = ", ".join(f"{k} {_short(t)}" for t, k in part["wiser_by_topology"].items() if k)
    sure = part["certain"][WISER]
    detail = ([f"{sure} certain"] if sure != cats[WISER] else []) + ([where] if where else [])
    start = part["groupthink_from_social_weight"]
    lo, hi = part["error_ratio_range"]
    shift_lo, shift_hi = part["mean_shift_range"]
    return (f"{name}, {condition}: wiser at {cats[WISER]} of {n} points"
            + (f" ({'; '.join(detail)})" if detail else "")
            + f"; groupthink at {cats[GROUPTHINK]}"
            + (f" (from social weight {start:g})" if start is not None
               and start > min(weights) else "")
            + f"; not wiser with diversity kept at {cats[KEPT]}; {part['uncertain']} "
            f"uncertain (their 90 % box crosses a boundary); the error of the crowd's mean "
            f"changes x{lo:.2f} to x{hi:.2f}, the mean moves {100 * shift_lo:+.1f} % to "
            f"{100 * shift_hi:+.1f} % of the truth")


# ---------------------------------------------------------------------------------------------
# figures (from points.parquet and summary.json)

#: Category colours (colour-blind safe: blue, vermillion, grey) and how uncertain ones fade.
COLOURS = {WISER: "#0173B2", GROUPTHINK: "#D55E00", KEPT: "#9A9A9A"}
ERROR_RANGE = 1.0  # log2: the error ratio's colours run from x0.5 to x2



def _slug(bias, biases) -> str:
    if bias is None or pd.isna(bias):
        return "no_influencer"
    biased = [b for b in biases if b is not None]
    return "biased_influencer" if len(biased) == 1 else f"biased_influencer_{bias * 100:+.0f}pct"


def _grid(regimes: list[str], topologies: list[str]):
    """A figure with one row per regime (a narrow label column first) and one column per
    topology."""
    import matplotlib.pyplot as plt

    rows, cols = len(regimes), len(topologies)
    fig, axes = plt.subplots(rows, cols + 1, figsize=(2.9 * cols + 2.8, 2.3 * rows + 2.2),
                             squeeze=False, constrained_layout=True,
                             gridspec_kw={"width_ratios": [0.65] + [1.0] * cols})
    for row, regime in enumerate(regimes):
        label = axes[row, 0]
        label.axis("off")
        label.text(0.5, 0.5, textwrap.fill(regime, 20, break_on_hyphens=False), ha="center",
                   va="center", fontsize=10, fontweight="bold", transform=label.transAxes)
    for col, name in enumerate(topologies):
        axes[0, col + 1].set_title(textwrap.fill(name, 30), fontsize=10)
    return fig, axes[:, 1:]


def _label_axes(axes, weights, correlations) -> None:
    from matplotlib.ticker import FormatStrFormatter

    rows, cols = axes.shape
    xticks = [w for w in (0.0, 0.5, 1.0) if min(weights) <= w <= max(weights)] or weights
    for row in range(rows):
        for col in range(cols):
            ax = axes[row, col]
            ax.grid(False)
            ax.set_xticks(xticks)
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.set_yticks(list(correlations))
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            if row == rows - 1:
                ax.set_xlabel("social weight w")
            else:
                ax.tick_params(labelbottom=False)
            if col == 0:
                ax.set_ylabel("error correlation ρ")
            else:
                ax.tick_params(labelleft=False)



def _cells(part: pd.DataFrame, value: str, weights: list, correlations: list) -> np.ndarray:
    """``value`` of the points of one panel as a (correlation, social weight) grid."""
    return (part.pivot(index="correlation", columns="social_weight", values=value)
            .reindex(index=correlations, columns=weights).to_numpy())


def draw_figures(out_dir: Path, frame: pd.DataFrame, config: GroupthinkConfig, summary: dict,
                 provenance: dict) -> list[Path]:
    """Per influencer condition: the region map, and heatmaps of the error and diversity
    ratios (rows: regimes, columns: topologies)."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import ListedColormap, LogNorm, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    from sim.plots import apply_theme, save

    apply_theme()
    plt.rcParams["hatch.color"] = "0.3"
    plt.rcParams["hatch.linewidth"] = 0.6
    regimes = list(summary["regimes"])
    topologies = [t.name for t in config.topologies]
    calibration = summary.get("calibration") or {}
    fitted_regime = calibration.get("regime")
    fitted = calibration.get("not_applied", {}).get("social_weight")
    weights, correlations = sorted(config.social_weights), sorted(config.correlations)
    xe, ye = cell_edges(weights), cell_edges(correlations)
    width = int(14 * (2.9 * len(topologies) + 2.8))
    # categories as codes: certain 0..2, uncertain (faded) 3..5
    codes = {c: k for k, c in enumerate(CATEGORIES)}
    palette = ListedColormap([COLOURS[c] for c in CATEGORIES]
                             + [faded(COLOURS[c]) for c in CATEGORIES])
    frame = frame.assign(code=[codes[c] + (0 if sure else len(CATEGORIES))
                               for c, sure in zip(frame.category, frame.certain)],
                         unsure=(~frame.certain).astype(float))
    written: list[Path] = []
    for bias in config.influencer_biases:
        part = frame[_same_bias(frame, bias)]
        condition = _bias_label(bias)
        told = summary.get("depends_on", {}).get(condition) or depends_on(
            part, {name: summary["regimes"][name]["parameters"] for name in regimes})
        where = (f"{condition} (agent 0, the star's hub, announces truth x "
                 f"{1 + bias:g} and never moves)" if bias is not None else condition)
        stem = _slug(bias, config.influencer_biases)
        fit_line = (f"dashed: the social weight fitted by the calibration (w = {fitted:.2f}); "
                    "the sweep sets w in its row too" if fitted is not None else None)

        def panels(draw, data):
            fig, axes = _grid(regimes, topologies)
            for row, regime in enumerate(regimes):
                for col, topology in enumerate(topologies):
                    ax = axes[row, col]
                    cell = data[(data.regime == regime) & (data.topology == topology)]
                    image = draw(ax, cell)
                    if regime == fitted_regime and fitted is not None:
                        ax.axvline(fitted, color="black", ls="--", lw=1.2)
                    ax.set_xlim(xe[0], xe[-1])
                    ax.set_ylim(ye[0], ye[-1])
            _label_axes(axes, weights, correlations)
            return fig, axes, image

        # the region map: certain categories in full colour, uncertain ones faded and hatched
        def regions(ax, cell):
            image = ax.pcolormesh(xe, ye, _cells(cell, "code", weights, correlations),
                                  cmap=palette, vmin=-0.5, vmax=2 * len(CATEGORIES) - 0.5,
                                  shading="flat", edgecolors="white", linewidth=0.5)
            unsure = _cells(cell, "unsure", weights, correlations) > 0.5
            boxes = [Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j])
                     for j, i in zip(*np.nonzero(unsure))]
            ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolor="0.3", lw=0,
                                              hatch=HATCH))
            return image

        fig, axes, _ = panels(regions, part)
        handles = [Patch(facecolor=COLOURS[c], edgecolor="white", label=c) for c in CATEGORIES]
        handles.append(Patch(facecolor=faded(COLOURS[KEPT]), hatch=HATCH, edgecolor="0.3",
                             lw=0, label=UNCERTAIN))
        if fitted is not None:
            handles.append(Line2D([], [], color="black", ls="--", lw=1.2,
                                  label=f"social weight fitted by the calibration "
                                        f"(w = {fitted:.2f})"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles),
                   frameon=False, fontsize=9)
        legend = (f"wiser: error of the crowd's mean after {config.crowd.rounds} rounds below "
                  f"{1 - TOLERANCE:g} of its start; groupthink: SD of the estimates below "
                  f"{config.collapse:g} of its start, error not better; lighter and hatched: "
                  f"the 90 % interval (over {config.replicates} crowds) crosses a boundary")
        wrapped_title(fig, f"Where the crowd gets wiser or falls into groupthink: {where}",
                      [told, legend], width)
        written += save(fig, Path(out_dir) / f"regions_{stem}", provenance)

        # the ratios, on log scales
        for value, label, head in (
                ("error_ratio", "error of the crowd's mean, after / before",
                 "Error of the crowd's mean after the last round / before the first"),
                ("diversity_ratio", "SD of the estimates, after / before",
                 "Diversity (SD of the estimates) after the last round / before the first")):
            if value == "error_ratio":
                norm, cmap = Normalize(-ERROR_RANGE, ERROR_RANGE), "RdBu_r"
                shown = np.log2(part[value].clip(lower=1e-12))
                ticks = np.log2([0.5, 2 / 3, 1.0, 1.5, 2.0])
                extend = "both"
            else:
                norm, cmap = LogNorm(0.01, 1.0), "viridis"
                shown = part[value].clip(lower=1e-12)
                ticks = np.array([0.01, 0.1, config.collapse, 1.0])
                extend = "both" if (part[value] > 1).any() else "min"
            part = part.assign(shown=shown)

            def heat(ax, cell, norm=norm, cmap=cmap):
                return ax.pcolormesh(xe, ye, _cells(cell, "shown", weights, correlations),
                                     cmap=cmap, norm=norm, shading="flat")

            fig, axes, image = panels(heat, part)
            bar = fig.colorbar(image, ax=axes, extend=extend, shrink=0.8, aspect=30)
            bar.set_ticks(ticks)
            bar.set_ticklabels([f"x{2 ** t:.2g}" if value == "error_ratio" else f"x{t:g}"
                                for t in ticks])
            bar.minorticks_off()
            bar.set_label(f"{label} (log scale)")
            lines = [told]
            if value == "error_ratio":
                lines.append("blue: the crowd's mean got closer to the truth, red: further; "
                             "colours stop at x0.5 and x2 (arrows)")
            else:
                bar.ax.axhline(config.collapse, color="black", lw=1.5)
                lines.append(f"black line on the scale: diversity collapsed below "
                             f"{config.collapse:g} of its start (groupthink when the error "
                             "did not improve)")
            if fit_line:
                lines.append(fit_line)
            wrapped_title(fig, f"{head}: {where}", lines, width)
            written += save(fig, Path(out_dir) / f"{value}_{stem}", provenance)
    return written


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Draw the region maps and heatmaps from ``points.parquet`` and the stored config."""
    config = GroupthinkConfig.model_validate(summary["provenance"]["config"])
    frame = pd.read_parquet(Path(out_dir) / "points.parquet")
    return draw_figures(Path(out_dir), frame, config, summary, summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """Per regime and influencer condition its regions; the calibrated rules; what 'stays
    wise' depends on."""
    rows = []
    for name, regime in summary["regimes"].items():
        for condition, part in regime["by_influencer"].items():
            cats = part["categories"]
            lo, hi = part["error_ratio_range"]
            rows.append((f"{name}, {condition}",
                         f"wiser at {cats[WISER]} of {part['points']} points "
                         f"({part['certain'][WISER]} certain), groupthink at "
                         f"{cats[GROUPTHINK]}, diversity kept without getting wiser at "
                         f"{cats[KEPT]}; {part['uncertain']} uncertain; error of the mean "
                         f"x{lo:.2f} to x{hi:.2f}"))
    calibration = summary.get("calibration")
    if calibration:
        applied = calibration["applied"]
        rules = [f"{k} {applied[k]:.3g}" for k in calibration["parameters"]
                 if k not in NOT_APPLIED] + [f"{k} {v}" for k, v in calibration["fixed"].items()]
        weight = calibration["not_applied"].get("social_weight")
        rows.append((f"{calibration['regime']}: rules",
                     f"{calibration['model']} fitted to {calibration['dataset']}, revising in "
                     f"{applied['revision_space']} space" + (f": {', '.join(rules)}" if rules
                                                               else "")
                     + f"; crowd {applied['noise']} (scale {applied['noise_scale']:.3g})"
                     + (f"; fitted social weight {weight:.3g} (swept here)"
                        if weight is not None else "")))
    for condition, text in summary["depends_on"].items():
        rows.append((f"'stays wise' depends on ({condition})", text))
    return rows


QUESTION = ("When does listening to others make a crowd's estimate better, and when does it "
            "only make everyone agree (groupthink)? And how much does the answer depend on who "
            "weighs the others how much?")


def _condition_text(stem: str, biases: list) -> str:
    """The influencer condition a figure stem names, in words."""
    if stem.endswith("no_influencer"):
        return "without an influencer"
    biased = [b for b in biases if b is not None]
    if stem.endswith("pct"):
        share = stem.rsplit("_", 1)[1].removesuffix("pct")
        return f"with an influencer who announces the truth {share} %"
    if len(biased) == 1:
        return f"with an influencer who announces truth x {1 + biased[0]:g}"
    return "with a biased influencer"


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure (matched by the stem's prefix: ``regions_``,
    ``error_ratio_``, ``diversity_ratio_``)."""
    config = summary.get("provenance", {}).get("config", {})
    replicates = config.get("replicates", "the")
    rounds = config.get("crowd", {}).get("rounds", "the")
    biases = config.get("influencer_biases", [])
    collapse = summary.get("collapse", config.get("collapse", 0.5))
    stems = sorted({Path(name).stem for name in summary.get("files", {}).get("figures", [])})
    captions = {}
    for stem in stems:
        condition = _condition_text(stem, biases)
        if stem.startswith("regions"):
            captions[stem] = (
                f"Where the crowd gets wiser, falls into groupthink (diversity below "
                f"{collapse:g} of its start, error of the mean not better) or keeps its "
                f"diversity without getting wiser, {condition}: rows are the weight regimes, "
                f"columns who sees whom; x the social weight, y the error correlation; each "
                f"cell over {replicates} crowds, lighter hatched cells where the 90 % "
                "interval crosses a boundary.")
        elif stem.startswith("error_ratio"):
            captions[stem] = (
                f"Error of the crowd's mean after {rounds} rounds over before the first, "
                f"{condition} (log scale, blue: better, red: worse), per weight regime and "
                "who sees whom.")
        elif stem.startswith("diversity_ratio"):
            captions[stem] = (
                f"Diversity (standard deviation of the estimates) after {rounds} rounds over "
                f"before the first, {condition} (log scale), per weight regime and who sees "
                "whom.")
    return captions

"""Weak ties: when bridges between communities carry them out of their shared errors, and when
they only make everyone agree.

What it runs
    A crowd cut into ``communities`` contiguous, near-equal communities
    (:func:`sim.networks.generators.communities`) whose members share part of their error:
    a share ``rho = crowd.correlation`` of each member's standardised error is common to its
    community, independent between communities (``n_groups = communities``:
    :mod:`sim.models.estimation.beliefs`; people who talk together also err together). The
    agents see their neighbours on a stochastic block network (Holland, Laskey & Leinhardt
    1983; :func:`sim.networks.generators.stochastic_block`): about ``degree_inside`` ties
    inside their own community and a share ``bridge_share`` of all their ties bridging to
    other communities (Granovetter's 1973 weak ties). Every agent revises ``crowd.rounds``
    times towards its neighbours' mean, ``x <- (1 - w) x + w s`` (DeGroot 1974, JASA 69:118,
    on the network), with the social weight ``w`` swept, once per weight regime (constant
    weights; weights tied to accuracy, Becker et al. 2017; and, with a ``calibrated``
    block, the human-like rules fitted to Becker et al.'s data, as in
    :mod:`experiments.groupthink_phase`). Each point runs ``replicates`` crowds, each on its
    own network.
What it reports
    Per point (``points.parquet``), before the first round and after the last (means over
    the crowds with 90 % intervals): the error of the whole crowd's mean and median and of
    the communities' own means (mean over communities of ``|community mean - truth|``), the
    SD of all estimates and its split into within and between communities (square roots of
    :data:`sim.metrics.GROUP_METRICS`' diversities), the after / before ratios with 90 %
    intervals (delta method, paired crowds) and the point's category (see
    :func:`categorise`). Per round (``rounds.parquet``), at ``traced_weight`` and the
    ``traced_bridge_shares``: the within and between SDs and the errors, with intervals.
    Verdict rows test what DeGroot averaging on a connected network predicts (Golub &
    Jackson 2010, AEJ: Micro 2:112): the crowd converges to one consensus, a degree-weighted
    mean of the first estimates, close to the crowd's mean; so with bridges every
    community's error falls to the crowd's (``sqrt((rho / C + (1 - rho) / n) / (rho +
    (1 - rho) / m))`` of its start, ``C`` communities of ``m`` agents, ``n`` in all) while the
    crowd's own error stays; without bridges each community converges on its own mean and
    keeps its shared error.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._regimes import (
    HATCH,
    REGIME_KEYS,
    Calibrated,
    Regime,
    calibrated_regime,
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
    check_distinct,
    check_params,
    reject_swept_settings,
)
from sim.metrics import groupthink
from sim.models.estimation import EstimationParams
from sim.stats import Z90

__all__ = ["WeakTiesConfig", "Config", "run", "figures", "key_numbers", "categorise",
           "certain", "consensus_limit", "network_spec"]

#: The crowd when the config says nothing: an unbiased normal crowd of 100 in which half of
#: each member's error is its community's, ten rounds.
CROWD_DEFAULTS = {"n_agents": 100, "truth": 100.0, "noise_scale": 10.0, "rounds": 10,
                  "correlation": 0.5}
#: An improvement smaller than this does not count (as in experiments.groupthink_phase).
TOLERANCE = 0.01
LEARN = "communities learn"
LEARN_GROUPTHINK = "communities learn, then groupthink"
GROUPTHINK = "groupthink, no learning"
ECHO = "echo chambers"
KEPT = "little change"
#: The categories, exhaustive and in the order the figures show them.
CATEGORIES = (LEARN, LEARN_GROUPTHINK, GROUPTHINK, ECHO, KEPT)
UNCERTAIN = "uncertain (90 % interval crosses a boundary)"
CALIBRATION_FILE = "calibration.json"
#: The crowd's parameters the experiment sets, and the field that sets them.
SWEPT_BY = {"information": "bridge_shares", "network": "bridge_shares",
            "social_weight": "social_weights", "n_groups": "communities",
            "weight_mode": "regimes", "weight_spread": "regimes"}
METRICS = ("error_of_mean", "error_of_median", "error_of_group_means", "diversity",
           "within_group_diversity", "between_group_diversity", "mean")
#: (column stem, metric, whether it is a variance whose square root is shown)
MEASURES = (("error_mean", "error_of_mean", False), ("error_median", "error_of_median", False),
            ("error_communities", "error_of_group_means", False),
            ("sd", "diversity", True), ("sd_within", "within_group_diversity", True),
            ("sd_between", "between_group_diversity", True))


def _default_regimes() -> list[Regime]:
    return [Regime(name="constant weights (DeGroot)", weight_mode="constant",
                   weight_spread=0.0),
            Regime(name="weights tied to accuracy (Becker et al. 2017)",
                   weight_mode="accuracy", weight_spread=0.8)]


class WeakTiesConfig(ExperimentConfig):
    """Config of the weak-ties experiment (``configs/weak_ties.yaml``).

    ``crowd`` holds the estimation model's parameters every point shares (its
    ``correlation`` is the share of each member's error common to its community); the lists
    sweep the bridge share and the social weight, and each regime sets the agents' weights.
    """

    experiment: Literal["weak_ties"]
    crowd: EstimationParams = Field(default_factory=lambda: EstimationParams(**CROWD_DEFAULTS),
                                    description="the crowd every point starts from")
    communities: int = Field(4, ge=2, description="communities; each shares one error")
    degree_inside: float = Field(8.0, gt=0, description="expected ties of an agent inside "
                                                         "its own community")
    bridge_shares: list[float] = Field(min_length=1, description="shares of each agent's "
                                                                 "ties that bridge, in [0, 1)")
    social_weights: list[float] = Field(min_length=1)
    replicates: int = Field(200, ge=2, description="crowds per point")
    regimes: list[Regime] = Field(default_factory=_default_regimes, min_length=1)
    calibrated: Calibrated | None = Field(None, description="the calibrated human-like rules "
                                                            "as one more regime (None: not)")
    collapse: float = Field(0.5, gt=0, lt=1, description="SD ratio below which diversity "
                                                          "has collapsed")
    traced_weight: float | None = Field(None, description="social weight whose points are "
                                                          "traced round by round (None: the "
                                                          "middle one)")
    traced_bridge_shares: list[float] | None = Field(
        None, description="bridge shares traced round by round (None: at most four, spread)")

    @model_validator(mode="after")
    def _check_points(self) -> WeakTiesConfig:
        reject_swept_settings(self.crowd, "crowd", SWEPT_BY)
        check_distinct("bridge_shares", self.bridge_shares)
        check_distinct("social_weights", self.social_weights)
        check_distinct("regimes", [r.name for r in self.regimes])
        if self.communities > self.crowd.n_agents:
            raise ValueError(f"communities ({self.communities}) cannot exceed crowd.n_agents "
                             f"({self.crowd.n_agents})")
        if self.crowd.rounds < 1:
            raise ValueError("crowd.rounds must be at least 1 (influence needs rounds)")
        if self.traced_weight is not None and self.traced_weight not in self.social_weights:
            raise ValueError(f"traced_weight: must be one of social_weights, got "
                             f"{self.traced_weight:g}")
        for share in self.traced_bridge_shares or []:
            if share not in self.bridge_shares:
                raise ValueError(f"traced_bridge_shares: {share:g} is not one of "
                                 "bridge_shares")
        plain = regime_settings(self.crowd, self.regimes)
        for share in self.bridge_shares:
            network_spec(self, share)  # p_in and the bridges' p_out must be probabilities
            for name, settings in plain.items():
                check_params(EstimationParams, f"bridge_shares ({share:g}), regime {name}",
                             **self.base(), **settings,
                             **point(self, share, self.social_weights[0]))
        for weight in self.social_weights:
            check_params(EstimationParams, f"social_weights ({weight:g})", **self.base(),
                         **next(iter(plain.values())),
                         **point(self, self.bridge_shares[0], weight))
        if self.calibrated is not None:
            check_calibrated(self.calibrated, self.crowd, plain)
        return self

    def base(self) -> dict:
        """The crowd's parameters as the points share them, with one group per community."""
        varied = set(SWEPT_BY) | set(REGIME_KEYS)
        shared = {k: v for k, v in self.crowd.model_dump(mode="json").items()
                  if k not in varied}
        return {**shared, "n_groups": self.communities}

    def traced(self) -> tuple[float, list[float]]:
        """The social weight and the bridge shares traced round by round."""
        weights = sorted(self.social_weights)
        weight = self.traced_weight if self.traced_weight is not None \
            else weights[len(weights) // 2]
        shares = sorted(self.bridge_shares)
        if self.traced_bridge_shares is not None:
            return weight, sorted(self.traced_bridge_shares)
        if len(shares) <= 4:
            return weight, shares
        picks = np.unique(np.round(np.linspace(0, len(shares) - 1, 4)).astype(int))
        return weight, [shares[i] for i in picks]


Config = WeakTiesConfig


# ---------------------------------------------------------------------------------------------
# design


def network_spec(config: WeakTiesConfig, bridge_share: float) -> dict:
    """The stochastic block network of a bridge share: ``p_in`` gives ``degree_inside``
    expected ties inside one's community (its size ``n / C``, at most 1)."""
    size = config.crowd.n_agents / config.communities
    if size < 2:
        raise ValueError(f"communities: {config.communities} communities of "
                         f"{config.crowd.n_agents} agents leave fewer than 2 per community")
    p_in = min(1.0, config.degree_inside / (size - 1.0))
    return {"kind": "stochastic_block", "n_communities": config.communities, "p_in": p_in,
            "bridge_share": float(bridge_share)}


def point(config: WeakTiesConfig, bridge_share: float, weight: float) -> dict:
    """The swept parameters of one point."""
    return {"information": "neighbours", "network": network_spec(config, bridge_share),
            "social_weight": weight}


def design(config: WeakTiesConfig, regimes: dict[str, dict]) -> tuple[Stage, pd.DataFrame]:
    """Every regime x bridge share x social weight as one stage, and a table naming the
    points."""
    points, labels = [], []
    for regime, settings in regimes.items():
        for share in config.bridge_shares:
            for weight in config.social_weights:
                points.append({**settings, **point(config, share, weight)})
                labels.append({"regime": regime, "bridge_share": share,
                               "social_weight": weight, "weight_mode": settings["weight_mode"],
                               "revision_space": settings["revision_space"],
                               "noise": settings["noise"]})
    stage = Stage("weak_ties", "estimation", points=points, replicates=config.replicates,
                  fixed=config.base(), metrics=METRICS)
    return stage, pd.DataFrame(labels)


def consensus_limit(rho: float, n_agents: int, communities: int) -> dict[str, float]:
    """What full mixing predicts for normal errors (Golub & Jackson 2010: the consensus is
    an influence-weighted mean of the first estimates; taken here as the crowd's plain mean).

    A community mean's error is ``N(0, s^2 (rho + (1 - rho) / m))`` before, the crowd's mean's
    ``N(0, s^2 (rho / C + (1 - rho) / n))``; after full mixing every community holds the
    crowd's mean, so the expected absolute error of the communities' means falls by the ratio
    of the two SDs and the crowd's stays (ratio 1). Equal communities ``m = n / C``.

    Examples
    --------
    >>> round(consensus_limit(0.5, 100, 4)["community_error_ratio"], 4)
    0.5
    """
    m = n_agents / communities
    before = rho + (1 - rho) / m
    after = rho / communities + (1 - rho) / n_agents
    return {"community_error_ratio": float(np.sqrt(after / before)), "crowd_error_ratio": 1.0}


# ---------------------------------------------------------------------------------------------
# analysis


def _interval(values: np.ndarray, z: float = Z90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over the last axis and its normal 90 % interval."""
    mean = values.mean(axis=-1)
    half = z * values.std(axis=-1, ddof=1) / np.sqrt(values.shape[-1])
    return mean, mean - half, mean + half


def categorise(community_ratio, crowd_ratio, sd_ratio, within_ratio, collapse: float,
               tolerance: float = TOLERANCE) -> np.ndarray:
    """Each point's category from its after / before ratios.

    ``groupthink`` is :func:`sim.metrics.groupthink` on the whole crowd (SD below
    ``collapse`` of its start, error of the crowd's mean not better by ``tolerance``). Then:
    ``communities learn`` (error of the communities' means below ``1 - tolerance`` of its
    start, no groupthink), ``communities learn, then groupthink``, ``groupthink, no
    learning``, ``echo chambers`` (no groupthink, no learning, but the SD within
    communities below ``collapse``: each community agrees on its own shared error) and
    ``little change``.

    Examples
    --------
    >>> categorise([0.5, 0.5, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0],
    ...            [0.8, 0.1, 0.1, 0.7, 0.9], [0.6, 0.1, 0.1, 0.1, 0.9], 0.5).tolist()
    ['communities learn', 'communities learn, then groupthink', 'groupthink, no learning', \
'echo chambers', 'little change']
    """
    community_ratio = np.asarray(community_ratio, dtype=float)
    learn = community_ratio < 1.0 - tolerance
    think = groupthink(sd_ratio, crowd_ratio, collapse, tolerance)
    echo = np.asarray(within_ratio, dtype=float) < collapse
    return np.where(learn, np.where(think, LEARN_GROUPTHINK, LEARN),
                    np.where(think, GROUPTHINK, np.where(echo, ECHO, KEPT)))


def certain(boxes: dict[str, tuple], collapse: float, tolerance: float = TOLERANCE
            ) -> np.ndarray:
    """Whether every corner of a point's 90 % box has the same category (``boxes``: the
    four ratios of :func:`categorise`, each as (low, high), by argument name)."""
    order = ("community_ratio", "crowd_ratio", "sd_ratio", "within_ratio")
    corners = [categorise(*corner, collapse=collapse, tolerance=tolerance)
               for corner in itertools.product(*(boxes[name] for name in order))]
    return np.all([c == corners[0] for c in corners[1:]], axis=0)


def _values(runs: pd.DataFrame, n_points: int, round_: int, metric: str,
            root: bool) -> np.ndarray:
    part = runs[runs["round"] == round_].sort_values(["point_id", "replicate"])
    values = part[metric].to_numpy(dtype=float).reshape(n_points, -1)
    return np.sqrt(np.maximum(values, 0.0)) if root else values


def analyse(runs: pd.DataFrame, labels: pd.DataFrame, rounds: int, collapse: float
            ) -> pd.DataFrame:
    """Per point: each measure before and after (means with 90 % intervals), their ratios
    with 90 % intervals, the category and whether it is certain."""
    n = len(labels)
    frame = labels.copy()
    for stem, metric, root in MEASURES:
        before = _values(runs, n, 0, metric, root)
        after = _values(runs, n, rounds, metric, root)
        for when, values in (("before", before), ("after", after)):
            mean, low, high = _interval(values)
            frame[f"{stem}_{when}"] = mean
            frame[f"{stem}_{when}_low"], frame[f"{stem}_{when}_high"] = low, high
        ratio, low, high = ratio_of_means(after, before)
        frame[f"{stem}_ratio"] = ratio
        frame[f"{stem}_ratio_low"], frame[f"{stem}_ratio_high"] = low, high
    args = {"community_ratio": "error_communities_ratio", "crowd_ratio": "error_mean_ratio",
            "sd_ratio": "sd_ratio", "within_ratio": "sd_within_ratio"}
    frame["category"] = categorise(*(frame[column] for column in args.values()),
                                   collapse=collapse)
    frame["certain"] = certain({name: (frame[f"{column}_low"], frame[f"{column}_high"])
                                for name, column in args.items()}, collapse)
    return frame


def trace(runs: pd.DataFrame, labels: pd.DataFrame, config: WeakTiesConfig) -> pd.DataFrame:
    """Per regime, traced bridge share and round: the measures' means with 90 % intervals at
    the traced social weight."""
    weight, shares = config.traced()
    rows = []
    for point_id, label in labels.iterrows():
        if not (np.isclose(label.social_weight, weight)
                and any(np.isclose(label.bridge_share, s) for s in shares)):
            continue
        part = runs[runs.point_id == point_id]
        for round_, cell in part.groupby("round"):
            row = {"regime": label.regime, "bridge_share": label.bridge_share,
                   "social_weight": label.social_weight, "round": int(round_)}
            for stem, metric, root in MEASURES:
                values = cell[metric].to_numpy(dtype=float)
                values = np.sqrt(np.maximum(values, 0.0)) if root else values
                mean, low, high = _interval(values)
                row.update({stem: float(mean), f"{stem}_low": float(low),
                            f"{stem}_high": float(high)})
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# the run


def run(config: WeakTiesConfig, engine: Engine) -> Outcome:
    """Calibrate (or reuse the stored calibration) if asked, run every regime's points as one
    stage, and summarise: categories, verdicts against the consensus theory, notes."""
    regimes = regime_settings(config.crowd, config.regimes)
    summary: dict = {}
    notes: list[str] = []
    if config.calibrated is not None:
        checked = {"calibrated": {**config.base(), **point(config, config.bridge_shares[0],
                                                           config.social_weights[0])}}
        name, settings, calibration = calibrated_regime(
            engine, config.calibrated, config.crowd, regimes, CALIBRATION_FILE, checked)
        regimes[name] = settings
        summary["calibration"] = calibration
        notes.append(f"{name}: the {calibration['model']} rule set fitted to "
                     f"{calibration['dataset']} (posterior medians in {CALIBRATION_FILE}), "
                     f"revising in {settings['revision_space']} space on a "
                     f"{settings['noise']} crowd "
                     f"(scale {settings['noise_scale']:.3g}); the social weight is swept")
    else:
        notes.append("no calibrated human-like rules in this run (the config's calibrated "
                     "block is null): the regimes are stylised rules only")
    stage, labels = design(config, regimes)
    runs = engine.run(stage)
    frame = analyse(runs, labels, config.crowd.rounds, config.collapse)
    rounds = trace(runs, labels, config)
    engine.log(f"{len(frame)} points ({len(regimes)} regimes) x {config.replicates} crowds of "
               f"{config.crowd.n_agents} in {config.communities} communities")
    summary.update(describe(frame, config, regimes))
    # the theory is DeGroot's: tested on the first regime with constant weights
    plain = [r.name for r in config.regimes if r.weight_mode == "constant"]
    verdicts = make_verdicts(frame, config, plain[0]) if plain else []
    if not plain:
        notes.append("no regime with constant weights: no verdict rows (the consensus theory "
                     "they test is DeGroot's, with equal weights)")
    notes = [*(regime_sentence(name, part) for name, part in summary["regimes"].items()),
             *notes, *assumption_notes(config, summary), method_note(config)]
    return Outcome(summary=summary, tables={"points": frame, "rounds": rounds},
                   verdicts=verdicts, notes=notes)


def _at(frame: pd.DataFrame, regime: str, share: float, weight: float) -> pd.Series:
    row = frame[(frame.regime == regime) & np.isclose(frame.bridge_share, share)
                & np.isclose(frame.social_weight, weight)]
    return row.iloc[0]


def _ci(row: pd.Series, stem: str) -> str:
    return (f"x{row[f'{stem}_ratio']:.3f} (90 % interval {row[f'{stem}_ratio_low']:.3f} to "
            f"{row[f'{stem}_ratio_high']:.3f})")


VERDICT_RULE = ("verdict rule: a prediction is reproduced when the simulated ratio's 90 % "
                "interval (delta method over the crowds, paired before / after) contains the "
                "predicted value, or lies wholly on the predicted side of the threshold named")


def make_verdicts(frame: pd.DataFrame, config: WeakTiesConfig, regime: str) -> list[dict]:
    """What DeGroot averaging on the network predicts (Golub & Jackson 2010), tested at the
    corners of ``regime``'s map (one with constant weights): no bridges and the most
    bridges, at the largest social weight."""
    weight = max(config.social_weights)
    none, most = min(config.bridge_shares), max(config.bridge_shares)
    limit = consensus_limit(config.crowd.correlation, config.crowd.n_agents,
                            config.communities)
    rows = []
    closed, open_ = _at(frame, regime, none, weight), _at(frame, regime, most, weight)
    where = f"{regime}, w = {weight:g}, {config.crowd.rounds} rounds"
    if none == 0.0:
        rows.append({
            "effect": "without bridges each community keeps its shared error",
            "data": f"error of the communities' means not below x{1 - TOLERANCE:g} "
                    "(each converges on its own mean)",
            "simulation": _ci(closed, "error_communities"),
            "reproduced": bool(closed.error_communities_ratio_low >= 1 - TOLERANCE),
            "note": f"bridge share 0, {where}; {VERDICT_RULE}"})
        rows.append({
            "effect": "without bridges the communities stay apart (echo chambers)",
            "data": f"SD between communities not below x{config.collapse:g}, within below",
            "simulation": f"between {_ci(closed, 'sd_between')}, within "
                          f"{_ci(closed, 'sd_within')}",
            "reproduced": bool(closed.sd_between_ratio_low >= config.collapse
                               and closed.sd_within_ratio_high < config.collapse),
            "note": f"bridge share 0, {where}; {VERDICT_RULE}"})
    if most > 0.0:
        expected = limit["community_error_ratio"]
        rows.append({
            "effect": "weak ties carry each community out of its shared error, down to the "
                      "crowd's",
            "data": f"x{expected:.3f} (full mixing: sqrt((rho/C + (1-rho)/n) / "
                    "(rho + (1-rho)/m)))",
            "simulation": _ci(open_, "error_communities"),
            "reproduced": bool(open_.error_communities_ratio_low <= expected
                               <= open_.error_communities_ratio_high),
            "note": f"bridge share {most:g}, {where}; normal errors; {VERDICT_RULE}"})
        rows.append({
            "effect": "the whole crowd's mean gets no better: the consensus is the crowd's "
                      "(degree-weighted) mean",
            "data": f"x1 (interval reaching [{1 - TOLERANCE:g}, {1 + TOLERANCE:g}])",
            "simulation": _ci(open_, "error_mean"),
            "reproduced": bool(open_.error_mean_ratio_low <= 1 + TOLERANCE
                               and open_.error_mean_ratio_high >= 1 - TOLERANCE),
            "note": f"bridge share {most:g}, {where}; {VERDICT_RULE}"})
        rows.append({
            "effect": "mixed fully, diversity is gone (groupthink of the whole crowd)",
            "data": f"SD of all estimates below x{config.collapse:g}",
            "simulation": _ci(open_, "sd"),
            "reproduced": bool(open_.sd_ratio_high < config.collapse),
            "note": f"bridge share {most:g}, {where}; {VERDICT_RULE}"})
    return rows


def _region(part: pd.DataFrame) -> dict:
    """Counts and ranges of a regime's points."""
    learn = part[part.category.isin([LEARN, LEARN_GROUPTHINK]) & (part.social_weight > 0)]
    return {"points": int(len(part)),
            "categories": {c: int((part.category == c).sum()) for c in CATEGORIES},
            "certain": {c: int(((part.category == c) & part.certain).sum())
                        for c in CATEGORIES},
            "uncertain": int((~part.certain).sum()),
            "learning_from_bridge_share": (float(learn.bridge_share.min()) if len(learn)
                                           else None),
            "community_error_ratio_range": [float(part.error_communities_ratio.min()),
                                            float(part.error_communities_ratio.max())],
            "crowd_error_ratio_range": [float(part.error_mean_ratio.min()),
                                        float(part.error_mean_ratio.max())],
            "median_error_ratio_range": [float(part.error_median_ratio.min()),
                                         float(part.error_median_ratio.max())]}


def describe(frame: pd.DataFrame, config: WeakTiesConfig, regimes: dict[str, dict]) -> dict:
    """The summary's numbers: the categories and, per regime, its parameters and regions."""
    limit = consensus_limit(config.crowd.correlation, config.crowd.n_agents,
                            config.communities)
    return {"categories": list(CATEGORIES), "tolerance": TOLERANCE,
            "collapse": config.collapse, "consensus_limit": limit,
            "regimes": {name: {"parameters": settings, **_region(frame[frame.regime == name])}
                        for name, settings in regimes.items()}}


def regime_sentence(name: str, part: dict) -> str:
    """One regime's map in plain words."""
    cats, n = part["categories"], part["points"]
    lo, hi = part["community_error_ratio_range"]
    c_lo, c_hi = part["crowd_error_ratio_range"]
    start = part["learning_from_bridge_share"]
    return (f"{name}: communities learn at {cats[LEARN] + cats[LEARN_GROUPTHINK]} of {n} "
            f"points ({cats[LEARN]} keeping the crowd's diversity, {cats[LEARN_GROUPTHINK]} "
            "ending in groupthink)"
            + (f", from bridge share {start:g}" if start is not None else "")
            + f"; groupthink without learning at {cats[GROUPTHINK]}, echo chambers at "
            f"{cats[ECHO]}, little change at {cats[KEPT]}; {part['uncertain']} uncertain; "
            f"error of the communities' means x{lo:.2f} to x{hi:.2f}, of the crowd's mean "
            f"x{c_lo:.2f} to x{c_hi:.2f}")


def assumption_notes(config: WeakTiesConfig, summary: dict) -> list[str]:
    """Where the result depends on an assumption, said plainly."""
    rho = config.crowd.correlation
    limit = summary["consensus_limit"]["community_error_ratio"]
    regimes = summary["regimes"]
    accuracy = [n for n, r in regimes.items() if r["parameters"]["weight_mode"] == "accuracy"]
    constant = [n for n, r in regimes.items() if r["parameters"]["weight_mode"] == "constant"
                and n != summary.get("calibration", {}).get("regime")]
    lines = [
        f"assumption, shared error within and independent between communities (rho = "
        f"{rho:g}): this is what lets bridges help, since averaging across communities cancels "
        f"errors that are independent; full mixing brings a community's error to "
        f"x{limit:.2f} of its start. Were the communities' errors correlated with each "
        "other, bridges would bring less, and with rho = 0 a community's mean is already "
        "about as good as the crowd's",
        "assumption, equal weights on the network: DeGroot's consensus is the degree-weighted "
        "mean of the first estimates (Golub & Jackson 2010), so under constant weights the "
        "whole crowd's mean cannot improve; bridges only spread the crowd's own mean to the "
        "communities, and beyond that they remove diversity (groupthink)"]
    if accuracy and constant:
        a, c = regimes[accuracy[0]], regimes[constant[0]]
        lines.append(
            f"assumption, weights tied to accuracy: only then can the whole crowd's mean "
            f"improve (error of the crowd's mean x{a['crowd_error_ratio_range'][0]:.2f} at "
            f"best, against x{c['crowd_error_ratio_range'][0]:.2f} with constant weights), "
            "and each community's own mean improves even without bridges, since the weights "
            "carry knowledge of the truth that the network does not; it needs agents who know "
            "how far they are from the truth, which real people mostly do not")
    lines.append(f"assumption, network: {config.communities} equal communities of about "
                 f"{config.crowd.n_agents / config.communities:g} agents, about "
                 f"{config.degree_inside:g} ties inside each agent's own and bridges placed at "
                 "random (a stochastic block model); a new network per crowd")
    return lines


def method_note(config: WeakTiesConfig) -> str:
    """How the categories and their uncertainty are defined."""
    return (f"categories: '{LEARN}' when the error of the communities' own means after the "
            f"last round is below {1 - TOLERANCE:g} of its start and there is no groupthink; "
            f"groupthink when the SD of all estimates fell below {config.collapse:g} of its "
            f"start while the error of the crowd's mean did not improve (by {TOLERANCE:g}); "
            f"'{ECHO}' when neither, but the SD within communities fell below "
            f"{config.collapse:g}; '{KEPT}' otherwise. Each ratio (mean over "
            f"{config.replicates} crowds after / before) has a 90 % interval (delta method, "
            "paired crowds); a point is uncertain when its 90 % box crosses a boundary "
            "(intervals hold point by point, not for the whole map at once)")


# ---------------------------------------------------------------------------------------------
# figures (from points.parquet, rounds.parquet and summary.json)

#: Category colours (colour-blind safe) and how uncertain ones fade.
COLOURS = {LEARN: "#0173B2", LEARN_GROUPTHINK: "#56B4E9", GROUPTHINK: "#D55E00",
           ECHO: "#CC78BC", KEPT: "#9A9A9A"}




def draw_figures(out_dir: Path, frame: pd.DataFrame, rounds: pd.DataFrame,
                 config: WeakTiesConfig, summary: dict, provenance: dict) -> list[Path]:
    """The phase diagram, the errors before and after by bridge share, and the diversity
    within and between communities round by round."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle
    from matplotlib.ticker import FormatStrFormatter

    from sim.plots import apply_theme, save
    from sim.plots.style import PALETTE

    apply_theme()
    plt.rcParams["hatch.color"] = "0.3"
    plt.rcParams["hatch.linewidth"] = 0.6
    regimes = list(summary["regimes"])
    shares, weights = sorted(config.bridge_shares), sorted(config.social_weights)
    # the bridge shares are spread unevenly: cells of equal width, labelled by value
    xe, ye = cell_edges(np.arange(len(shares))), cell_edges(weights)
    n = len(regimes)
    # characters a title line holds: about 11 an inch at the title's 10 pt
    width = int(11 * (3.4 * n + 0.6))
    written: list[Path] = []
    crowd = config.crowd
    setting = (f"{crowd.n_agents} agents in {config.communities} communities sharing "
               f"rho = {crowd.correlation:g} of their error, {crowd.rounds} rounds of "
               f"averaging with network neighbours; each cell over {config.replicates} crowds")

    # 1. the phase diagram
    codes = {c: k for k, c in enumerate(CATEGORIES)}
    palette = ListedColormap([COLOURS[c] for c in CATEGORIES]
                             + [faded(COLOURS[c]) for c in CATEGORIES])
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n + 0.6, 4.6), squeeze=False,
                             constrained_layout=True)
    for ax, regime in zip(axes[0], regimes):
        part = frame[frame.regime == regime]
        grid = np.full((len(weights), len(shares)), np.nan)
        unsure = np.zeros_like(grid, dtype=bool)
        for _, row in part.iterrows():
            i, j = weights.index(row.social_weight), shares.index(row.bridge_share)
            grid[i, j] = codes[row.category] + (0 if row.certain else len(CATEGORIES))
            unsure[i, j] = not row.certain
        ax.pcolormesh(xe, ye, grid, cmap=palette, vmin=-0.5, vmax=2 * len(CATEGORIES) - 0.5,
                      shading="flat", edgecolors="white", linewidth=0.5)
        boxes = [Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i])
                 for i, j in zip(*np.nonzero(unsure))]
        ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolor="0.3", lw=0,
                                          hatch=HATCH))
        ax.grid(False)
        ax.set_xticks(np.arange(len(shares)))
        ax.set_xticklabels([f"{s:g}" for s in shares], rotation=90 if len(shares) > 8 else 0)
        ax.set_yticks(weights)
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        ax.set_xlabel("bridge share (ties to other communities)")
        ax.set_title(textwrap.fill(regime, 34), fontsize=10)
    axes[0, 0].set_ylabel("social weight w")
    for ax in axes[0, 1:]:
        ax.tick_params(labelleft=False)
    handles = [Patch(facecolor=COLOURS[c], edgecolor="white", label=c) for c in CATEGORIES]
    handles.append(Patch(facecolor=faded(COLOURS[KEPT]), hatch=HATCH, edgecolor="0.3", lw=0,
                         label=UNCERTAIN))
    fig.legend(handles=handles, loc="outside lower center", ncol=3 if n > 2 else 2,
               frameon=False, fontsize=9)
    legend = (f"learn: error of the communities' own means below {1 - TOLERANCE:g} of its "
              f"start; groupthink: SD of all estimates below {config.collapse:g} of its start, "
              "crowd's error not better; echo chambers: SD within communities below "
              f"{config.collapse:g}; lighter and hatched: the 90 % interval crosses a boundary")
    wrapped_title(fig, "Weak ties: where bridges let communities learn, and where they end in "
                       "groupthink", [setting, legend], width)
    written += save(fig, Path(out_dir) / "phase_diagram", provenance)

    # 2. errors before and after, by bridge share, at the traced social weight
    weight, _ = config.traced()
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 0.8, 4.4), squeeze=False,
                             constrained_layout=True, sharey=True)
    measures = (("error_communities", "communities' own means", PALETTE[0], "o"),
                ("error_mean", "whole crowd's mean", PALETTE[1], "s"),
                ("error_median", "whole crowd's median", PALETTE[2], "^"))
    x = np.arange(len(shares))
    for ax, regime in zip(axes[0], regimes):
        part = frame[(frame.regime == regime) & np.isclose(frame.social_weight, weight)]
        part = part.set_index("bridge_share").reindex(shares)
        for k, (stem, label, colour, marker) in enumerate(measures):
            shift = (k - 1) * 0.08
            for when, style, fill in (("before", "--", "white"), ("after", "-", colour)):
                mean = part[f"{stem}_{when}"].to_numpy()
                err = np.vstack([mean - part[f"{stem}_{when}_low"].to_numpy(),
                                 part[f"{stem}_{when}_high"].to_numpy() - mean])
                ax.errorbar(x + shift, mean, yerr=err, color=colour, ls=style, marker=marker,
                            mfc=fill, ms=5, lw=1.3, capsize=2,
                            label=f"{label}, {when}")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{s:g}" for s in shares], rotation=90 if len(shares) > 8 else 0)
        ax.set_xlabel("bridge share (ties to other communities)")
        ax.set_title(textwrap.fill(regime, 36), fontsize=10)
        ax.set_ylim(bottom=0)
    axes[0, 0].set_ylabel(f"absolute error (truth = {crowd.truth:g})")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3 if n > 2 else 2,
               frameon=False, fontsize=9)
    wrapped_title(fig, f"Errors before the first round (open, dashed) and after the last (filled), "
                       f"social weight w = {weight:g}",
                  [setting, "bars: 90 % intervals of the mean error over the crowds"], width)
    written += save(fig, Path(out_dir) / "errors_by_bridge_share", provenance)

    # 3. diversity within and between communities, round by round
    if len(rounds):
        _, traced = config.traced()
        fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 0.8, 4.4), squeeze=False,
                                 constrained_layout=True, sharey=True)
        colours = [PALETTE[i] for i in (0, 1, 2, 4, 3, 5, 6, 9)]
        for ax, regime in zip(axes[0], regimes):
            part = rounds[rounds.regime == regime]
            for k, share in enumerate(traced):
                cell = part[np.isclose(part.bridge_share, share)].sort_values("round")
                colour = colours[k % len(colours)]
                for stem, style, name in (("sd_within", "-", "within"),
                                          ("sd_between", "--", "between")):
                    ax.plot(cell["round"], cell[stem], color=colour, ls=style, lw=1.5,
                            label=f"{name}, bridge share {share:g}")
                    ax.fill_between(cell["round"], cell[f"{stem}_low"], cell[f"{stem}_high"],
                                    color=colour, alpha=0.2, lw=0)
            ax.set_xlabel("round")
            ax.set_title(textwrap.fill(regime, 36), fontsize=10)
            ax.set_ylim(bottom=0)
        axes[0, 0].set_ylabel(f"SD of the estimates (truth = {crowd.truth:g})")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center",
                   ncol=min(4 if n > 2 else 2, len(labels)), frameon=False, fontsize=9)
        wrapped_title(fig, f"Diversity within communities (solid) and between them (dashed), "
                           f"round by round, social weight w = {weight:g}",
                      [setting, "SD within: around one's own community's mean; between: of the "
                                "community means; bands: 90 % intervals over the crowds"], width)
        written += save(fig, Path(out_dir) / "diversity_by_round", provenance)
    return written


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Draw the figures from ``points.parquet``, ``rounds.parquet`` and the stored config."""
    config = WeakTiesConfig.model_validate(summary["provenance"]["config"])
    frame = pd.read_parquet(Path(out_dir) / "points.parquet")
    rounds = pd.read_parquet(Path(out_dir) / "rounds.parquet")
    return draw_figures(Path(out_dir), frame, rounds, config, summary,
                        summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """Per regime its map; the full-mixing prediction."""
    rows = [(name, regime_sentence(name, part).split(": ", 1)[1])
            for name, part in summary["regimes"].items()]
    limit = summary["consensus_limit"]["community_error_ratio"]
    rows.append(("full mixing (theory)", f"error of the communities' means x{limit:.3f} of "
                                         "its start; the crowd's mean's x1"))
    return rows


QUESTION = ("When people err together within their communities, do a few ties between "
            "communities (weak ties) let each community learn from the others' independent "
            "errors, and when do they only make the whole crowd agree (groupthink)?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure."""
    config = summary.get("provenance", {}).get("config", {})
    replicates = config.get("replicates", "the")
    return {
        "phase_diagram": (
            "Phase diagram per weight regime: x the share of ties bridging communities, y "
            "the social weight; colours: communities learn (their own means' error falls), "
            "learn then groupthink, groupthink without learning, echo chambers, little "
            f"change; each cell over {replicates} crowds, lighter hatched where the 90 % "
            "interval crosses a boundary."),
        "errors_by_bridge_share": (
            "Error of the communities' own means and of the whole crowd's mean and median, "
            "before and after influence, by bridge share, with 90 % intervals."),
        "diversity_by_round": (
            "SD of the estimates within communities and between them, round by round, for a "
            "few bridge shares, with 90 % intervals."),
    }

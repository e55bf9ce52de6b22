"""Weight regimes shared by the social-influence phase diagrams
(:mod:`experiments.groupthink_phase`, :mod:`experiments.weak_ties`): how a swept social weight
becomes each agent's weight, the calibrated human-like rules as one more regime, the
interval of an after / before ratio over paired crowds, and the phase diagrams' common
drawing conventions (uncertain cells faded and hatched, titles wrapped).

They live here because an experiment may not import another experiment.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from experiments._crossprediction import Abc, calibrate_cached, spec_path
from experiments._runner import Engine
from sim.config import ConfigError, Strict, check_params
from sim.inference.output import DATASET_NAMES, RULE_NAMES
from sim.inference.rulesets import RULE_SETS
from sim.models.estimation import EstimationParams
from sim.models.estimation.beliefs import MULTIPLICATIVE_FAMILIES
from sim.models.estimation.params import REVISION_DEFAULTS
from sim.stats import Z90

__all__ = ["Regime", "Calibrated", "REGIME_KEYS", "NOT_APPLIED", "regime_settings",
           "check_calibrated", "calibrated_settings", "calibrated_name", "calibrated_regime",
           "calibration_summary", "ratio_of_means", "cell_edges", "FADE", "HATCH", "faded",
           "wrapped_title"]

#: Parameters a regime sets on the crowd: each point names all of them, so the points of
#: every regime share one stage.
REGIME_KEYS = ("noise", "noise_scale", "revision_space", "weight_mode", "weight_spread",
               *REVISION_DEFAULTS)
#: Parameters of a calibration that the regime leaves out: drift applies only to people
#: without social information, and the sweep sets the social weight.
NOT_APPLIED = ("drift", "drift_noise", "social_weight")


class Regime(Strict):
    """A weight regime: how the swept social weight ``w`` becomes each agent's weight.

    ``weight_mode`` and ``weight_spread`` as :class:`~sim.models.estimation.EstimationParams`
    takes them (the experiments validate each regime through it, so a bad regime fails
    naming it).
    """

    name: str = Field(min_length=1, description="the regime's name, as readers see it")
    weight_mode: str = Field(description="constant, random, beta or accuracy")
    weight_spread: float = Field(0.0, description="random: half-width of the uniform range; "
                                                  "accuracy: strength of the coupling")


class Calibrated(Strict):
    """The regime of the human-like rules calibrated on a multi-round experiment."""

    name: str | None = Field(None, description="the regime's name (None: 'rules calibrated "
                                               "on DATASET (RULE SET)')")
    calibrate_on: str = Field("configs/datasets/becker2017.yaml", min_length=1,
                              description="dataset spec calibrated on (relative: to the "
                                          "config's folder, the working folder, crowdsim's)")
    model: Literal[tuple(RULE_SETS)] | None = Field(
        None, description="rule set (None: chosen by cross-validation over groups)")
    abc: Abc = Field(default_factory=Abc)


def regime_settings(crowd, regimes: list[Regime]) -> dict[str, dict]:
    """Per plain regime (by name), the parameters it sets on ``crowd`` (EstimationParams):
    the crowd's own, with the regime's weights."""
    dumped = crowd.model_dump(mode="json")
    shared = {key: dumped[key] for key in REGIME_KEYS}
    return {r.name: {**shared, "weight_mode": r.weight_mode, "weight_spread": r.weight_spread}
            for r in regimes}


def check_calibrated(calibrated: Calibrated, crowd, names) -> None:
    """Refuse a calibrated regime named like one of ``names`` (the plain regimes) or on a
    crowd the calibrated rules cannot revise: they revise in log space, so ``crowd``
    (EstimationParams) needs a positive truth unless it is multiplicative already.

    Raises
    ------
    ValueError
        One line naming the field.
    """
    if calibrated.name in names:
        raise ValueError(f"calibrated.name: {calibrated.name!r} is a regime's name already")
    if not crowd.truth > 0 and crowd.noise not in MULTIPLICATIVE_FAMILIES:
        raise ValueError("calibrated: the calibrated rules revise in log space and need a "
                         "log-normal crowd around a positive crowd.truth, got "
                         f"{crowd.truth:g}")


def calibrated_settings(crowd, record: dict | None) -> dict:
    """The parameters the calibrated regime sets on ``crowd`` (EstimationParams): the
    calibration's rules (posterior medians of the fitted parameters but :data:`NOT_APPLIED`,
    the rule set's fixed ones, the revision space; the model's defaults for the rest), and,
    revising in log space, a log-normal crowd with ln-SD ``noise_scale / truth`` unless the
    crowd is multiplicative already. Without ``record`` (checking a config before
    calibrating): the model's default rules in log space.

    Examples
    --------
    >>> from sim.models.estimation import EstimationParams
    >>> s = calibrated_settings(EstimationParams(truth=100.0, noise_scale=10.0), None)
    >>> s["noise"], s["noise_scale"], s["revision_space"]
    ('lognormal', 0.1, 'log')
    """
    record = record or {"parameters": {}, "fixed": {}, "revision_space": "log"}
    fitted = {name: float(value["estimate"]) for name, value in record["parameters"].items()
              if name not in NOT_APPLIED}
    settings = {"noise": crowd.noise, "noise_scale": crowd.noise_scale,
                "revision_space": record["revision_space"], "weight_mode": "constant",
                "weight_spread": 0.0, **REVISION_DEFAULTS, **record["fixed"], **fitted}
    if settings["revision_space"] == "log" and crowd.noise not in MULTIPLICATIVE_FAMILIES:
        settings.update(noise="lognormal", noise_scale=crowd.noise_scale / crowd.truth)
    return {key: settings[key] for key in REGIME_KEYS}


def calibrated_name(calibrated: Calibrated, record: dict) -> str:
    """The calibrated regime's name as readers see it: the dataset and rule set by the names
    a reader knows (:data:`sim.inference.output.DATASET_NAMES`, ``RULE_NAMES``)."""
    dataset = DATASET_NAMES.get(record["dataset"], record["dataset"])
    rules = RULE_NAMES.get(record["model"], record["model"])
    return calibrated.name or f"rules calibrated on {dataset}: {rules}"


def calibrated_regime(engine: Engine, calibrated: Calibrated, crowd, taken, file: str,
                      points: dict[str, dict]) -> tuple[str, dict, dict]:
    """Calibrate as ``calibrated`` asks (or reuse the calibration stored in ``file``: see
    :func:`experiments._crossprediction.calibrate_cached`) and make it a regime on ``crowd``
    (EstimationParams), checked on ``points`` (where, as the error names it -> the other
    parameters of a point: the shared and the swept ones).

    Returns
    -------
    name : str
        The regime's name (:func:`calibrated_name`).
    settings : dict
        The parameters it sets (:func:`calibrated_settings`).
    calibration : dict
        The calibration as ``summary.json`` keeps it (:func:`calibration_summary`).

    Raises
    ------
    ConfigError
        When the name is one of ``taken`` (the plain regimes' names) or the fitted rules make
        a point's parameters invalid.
    """
    record = calibrate_cached(engine, calibrated,
                              spec_path(calibrated.calibrate_on, "calibrated.calibrate_on",
                                        engine), file)
    name = calibrated_name(calibrated, record)
    if name in taken:
        raise ConfigError(f"calibrated: name {name!r} is a regime's name already")
    settings = calibrated_settings(crowd, record)
    for where, values in points.items():
        try:
            check_params(EstimationParams, where, **values, **settings)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return name, settings, calibration_summary(record, name, settings, file)


def calibration_summary(record: dict, name: str, settings: dict, file: str) -> dict:
    """The calibration as ``summary.json`` keeps it (its posterior stays in ``file``) and
    what the regime took from it."""
    kept = {k: v for k, v in record.items() if k not in ("posterior", "provenance", "request")}
    return {**kept, "file": file, "regime": name, "applied": dict(settings),
            "not_applied": {k: record["parameters"][k]["estimate"] for k in NOT_APPLIED
                            if k in record["parameters"]}}


def ratio_of_means(after, before, z: float = Z90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ratio of the means of paired values and its normal interval by the delta method.

    ``R = mean(a) / mean(b)`` over the last axis (the replicates; ``a[i]`` and ``b[i]`` come
    from the same crowd), with ``var(R) ~ [var(a) - 2 R cov(a, b) + R^2 var(b)] /
    (n mean(b)^2)``; the interval is ``R +- z sd(R)`` (90 % by default), its low end no
    lower than 0 (both means are of non-negative values).

    Returns
    -------
    ratio, low, high : numpy.ndarray
        One value per row of the inputs (a scalar array for 1-d inputs).

    Examples
    --------
    >>> r, lo, hi = ratio_of_means([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    >>> float(r), float(lo), float(hi)
    (0.5, 0.5, 0.5)
    """
    a, b = np.asarray(after, dtype=float), np.asarray(before, dtype=float)
    n = a.shape[-1]
    mean_a, mean_b = a.mean(axis=-1), b.mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mean_a / mean_b
        var_a, var_b = a.var(axis=-1, ddof=1), b.var(axis=-1, ddof=1)
        cov = ((a - mean_a[..., None]) * (b - mean_b[..., None])).sum(axis=-1) / (n - 1)
        var = (var_a - 2 * ratio * cov + ratio ** 2 * var_b) / (n * mean_b ** 2)
    half = z * np.sqrt(np.maximum(var, 0.0))
    return ratio, np.maximum(ratio - half, 0.0), ratio + half


def cell_edges(centres) -> np.ndarray:
    """Cell edges around sorted centres, for the phase diagrams' ``pcolormesh``: midway
    between neighbours, the outer cells as wide as their inner halves (a single cell: 1).

    Examples
    --------
    >>> cell_edges([0.0, 0.5, 1.0]).tolist()
    [-0.25, 0.25, 0.75, 1.25]
    """
    centres = np.asarray(centres, dtype=float)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


# --------------------------------------------------------------------------- figure style
#: How much of a category's colour an uncertain cell keeps, and its hatching.
FADE = 0.4
HATCH = "////"


def faded(colour: str) -> tuple:
    """``colour`` faded towards white, for a cell whose 90 % interval crosses a boundary.

    >>> faded("#000000")
    (0.6, 0.6, 0.6)
    """
    from matplotlib.colors import to_rgb

    return tuple(1 - FADE * (1 - c) for c in to_rgb(colour))


def wrapped_title(fig, head: str, lines: list[str], width: int) -> None:
    """``fig``'s title: ``head`` on its own line, then each of ``lines`` wrapped to
    ``width`` characters."""
    import textwrap

    fig.suptitle("\n".join([head, *(textwrap.fill(line, width) for line in lines)]),
                 fontsize=10)

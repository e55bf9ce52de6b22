"""Calibrate the estimation model to multi-round experiment data.

Private beliefs are fitted to the first round: a group's estimates share an error (the
question is hard in the same direction for everybody, so group means scatter around the
truth) plus individual noise. With ``e_g`` a group's signed error of the mean and ``s_g`` its
within-group SD (both in the analysis' units: log units, or divided by a scale), the
individual noise variance is the mean of ``s_g**2`` and the shared error variance is what is
left of the variance of ``e_g`` after the sampling variance ``s**2 / n`` (clipped at 0). The
model's ``noise_scale`` is the total SD and ``correlation`` the shared share
(:mod:`sim.models.estimation.beliefs`).

A config's ``crowd`` (:func:`crowd_field`) is the model's parameters over the experiment's
defaults, less what the experiment fits or sets itself; :func:`crowd_with_beliefs` adds the
fitted private beliefs for the simulations.

The dynamics are then fitted by simulating groups: :func:`calibrate_monotone` bisects on one
parameter with an evaluator that may run a simulation stage per candidate, and
:func:`round_means` reads a stage's runs as per-round means of each parameter point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, Field

__all__ = ["fit_first_round", "calibrate_monotone", "round_means", "crowd_settings",
           "crowd_field", "crowd_with_beliefs"]


def fit_first_round(groups: pd.DataFrame) -> dict:
    """Fit noise scale, correlation and bias to one round of a per-group table.

    Parameters
    ----------
    groups : DataFrame
        One row per group of :func:`sim.analysis.rounds.per_group_table` for one round
        (columns ``mean``, ``truth``, ``scale``, ``sd``, ``n``).

    Returns
    -------
    dict
        ``bias`` (mean signed error of the group mean), ``noise_scale``, ``correlation``,
        ``within_sd``, ``between_sd``, ``groups``.

    Examples
    --------
    >>> frame = pd.DataFrame({"mean": [1.0, -1.0], "truth": [0.0, 0.0], "scale": [1.0, 1.0],
    ...                       "sd": [1.0, 1.0], "n": [4, 4]})
    >>> fit = fit_first_round(frame)
    >>> round(fit["within_sd"], 3), round(fit["between_sd"], 3)
    (1.0, 1.323)
    """
    valid = groups.dropna(subset=["mean", "truth", "sd"])
    valid = valid[valid["n"] >= 2]
    if len(valid) < 2:
        raise ValueError("need at least two groups with two or more estimates")
    errors = ((valid["mean"] - valid["truth"]) / valid["scale"]).to_numpy(dtype=float)
    within_var = float(np.mean(valid["sd"].to_numpy(dtype=float) ** 2))
    n_bar = float(valid["n"].mean())
    between_var = max(float(np.var(errors, ddof=1)) - within_var / n_bar, 0.0)
    total = within_var + between_var
    return {"bias": float(np.mean(errors)), "noise_scale": float(np.sqrt(total)),
            "correlation": between_var / total if total > 0 else 0.0,
            "within_sd": float(np.sqrt(within_var)), "between_sd": float(np.sqrt(between_var)),
            "groups": int(len(valid))}


def calibrate_monotone(evaluate: Callable[[float, int], float], target: float,
                       low: float = 0.0, high: float = 1.0, tolerance: float = 1e-3,
                       max_steps: int = 30) -> dict:
    """Find ``x`` in [low, high] with ``evaluate(x, step) == target`` for a monotone
    ``evaluate`` by bisection; if the target is out of reach, return the nearer end and say so.

    ``evaluate(x, step)`` is called once per distinct ``x``, ``step`` counting the calls
    (0, 1, ...): an evaluator that simulates can name each evaluation apart (one simulation
    stage per step), and a deterministic one replays the same steps when run again.

    Returns
    -------
    dict
        ``value``, ``achieved`` (``evaluate`` there), ``target``, ``reached`` and
        ``evaluations`` (``[x, evaluate(x)]`` in the order evaluated).

    Examples
    --------
    >>> fit = calibrate_monotone(lambda x, step: 1 - x, 0.25)
    >>> fit["value"]  # doctest: +ELLIPSIS
    0.75...
    >>> fit["evaluations"][:3]
    [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    >>> calibrate_monotone(lambda x, step: x, 2.0)["reached"]
    False
    """
    evaluations: list[list[float]] = []
    known: dict[float, float] = {}

    def value_at(x: float) -> float:
        if x not in known:
            known[x] = float(evaluate(x, len(evaluations)))
            evaluations.append([x, known[x]])
        return known[x]

    f_low, f_high = value_at(low), value_at(high)
    increasing = f_high >= f_low
    lo, hi = (low, high)
    if (target - f_low) * (target - f_high) > 0:  # target outside the reachable range
        best = low if abs(f_low - target) <= abs(f_high - target) else high
        return {"value": best, "achieved": value_at(best), "target": target, "reached": False,
                "evaluations": evaluations}
    for _ in range(max_steps):
        mid = 0.5 * (lo + hi)
        f_mid = value_at(mid)
        if (f_mid < target) == increasing:
            lo = mid
        else:
            hi = mid
        if hi - lo < tolerance:
            break
    value = 0.5 * (lo + hi)
    return {"value": value, "achieved": value_at(value), "target": target, "reached": True,
            "evaluations": evaluations}


def round_means(runs: pd.DataFrame, columns: Mapping[str, str]) -> dict[int, dict[str, list]]:
    """Per parameter point of a simulation stage, each metric's mean over the point's runs in
    every recorded round (undefined values, NaN, skipped).

    Parameters
    ----------
    runs : DataFrame
        One row per run and round with ``point_id``, ``round`` and the metric columns (what
        ``Engine.run`` of :mod:`experiments._runner` returns).
    columns : mapping of str to str
        ``{name in the result: metric column}``.

    Returns
    -------
    dict
        ``{point_id: {name: [mean in the first recorded round, the next, ...]}}``.

    Examples
    --------
    >>> runs = pd.DataFrame({"point_id": [0, 0, 0, 0], "round": [0, 1, 0, 1],
    ...                      "log_sd": [1.0, 0.5, 3.0, np.nan]})
    >>> round_means(runs, {"sd": "log_sd"})
    {0: {'sd': [2.0, 0.5]}}
    """
    wanted = list(dict.fromkeys(columns.values()))
    means = runs.groupby(["point_id", "round"], sort=True)[wanted].mean()
    return {int(point_id): {name: [float(v) for v in part[column]]
                            for name, column in columns.items()}
            for point_id, part in means.groupby(level="point_id")}


def crowd_settings(value: Any, defaults: Mapping[str, Any], set_by_experiment: Mapping[str, str]
                   ) -> Any:
    """A config's ``crowd`` mapping with the experiment's defaults under it, for a pydantic
    ``mode="before"`` validator; parameters the experiment sets itself are refused.

    Parameters
    ----------
    value : Any
        The config's value (a mapping; anything else is passed on to validation).
    defaults : mapping
        The experiment's crowd defaults; the config's values override them.
    set_by_experiment : mapping of str to str
        Parameter name -> why the config may not set it (fitted to data, set per condition).

    Examples
    --------
    >>> crowd_settings({"n_agents": 20}, {"n_agents": 12, "noise": "lognormal"}, {})
    {'n_agents': 20, 'noise': 'lognormal'}
    >>> crowd_settings({"correlation": 0.2}, {}, {"correlation": "fitted to round 1"})
    Traceback (most recent call last):
    ...
    ValueError: correlation is not set in the config: fitted to round 1
    """
    if not isinstance(value, Mapping):
        return value
    for name, why in set_by_experiment.items():
        if name in value:
            raise ValueError(f"{name} is not set in the config: {why}")
    return {**defaults, **value}


def crowd_field(schema: type[BaseModel], defaults: Mapping[str, Any],
                set_by_experiment: Mapping[str, str], description: str) -> Any:
    """The type of a config's ``crowd`` field: a group as the model simulates it (its own
    parameter schema, ``schema``) over the experiment's ``defaults`` (:func:`crowd_settings`,
    which refuses what the experiment sets itself); a config without a ``crowd`` gets the
    defaults.

    Examples
    --------
    >>> from sim.config import Strict
    >>> from sim.models.estimation import EstimationParams
    >>> Crowd = crowd_field(EstimationParams, {"n_agents": 12}, {"correlation": "fitted"},
    ...                     "a simulated group")
    >>> class Demo(Strict):
    ...     crowd: Crowd
    >>> Demo().crowd.n_agents, Demo(crowd={"rounds": 2}).crowd.n_agents
    (12, 12)
    >>> Demo(crowd={"correlation": 0.5})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Demo
    crowd
      Value error, correlation is not set in the config: fitted ...
    """
    def with_defaults(value: Any) -> Any:
        return crowd_settings(value, defaults, set_by_experiment)

    return Annotated[schema, BeforeValidator(with_defaults),
                     Field(default_factory=lambda: schema(**defaults), description=description)]


def crowd_with_beliefs(crowd: BaseModel, beliefs: Mapping[str, float],
                       set_by_experiment: Mapping[str, str], log_units: bool = False) -> dict:
    """What every simulated group shares (a stage's ``fixed``): the config's crowd less what
    the experiment sets itself, with the private beliefs :func:`fit_first_round` fitted: the
    noise scale, the correlation and the bias, an additive shift or, fitted in log units
    (``log_units``), the factor ``exp(bias)`` on the truth.

    Examples
    --------
    >>> from sim.models.estimation import EstimationParams
    >>> beliefs = {"noise_scale": 0.5, "correlation": 0.25, "bias": 0.0}
    >>> fixed = crowd_with_beliefs(EstimationParams(n_agents=12), beliefs,
    ...                            {"correlation": "fitted"}, log_units=True)
    >>> fixed["n_agents"], fixed["noise_scale"], fixed["bias_factor"], fixed["correlation"]
    (12, 0.5, 1.0, 0.25)
    """
    params = crowd.model_dump(mode="json", exclude=set(set_by_experiment))
    bias = ({"bias_factor": float(np.exp(beliefs["bias"]))} if log_units
            else {"bias_shift": beliefs["bias"]})
    return {**params, "noise_scale": beliefs["noise_scale"], **bias,
            "correlation": beliefs["correlation"]}

"""What the sweep machinery needs to know about each model, in one place.

A model joins sweeps by registering a :class:`SweepModel` in :data:`MODELS`: its parameter
schema (the names a sweep config may fix or sweep), a ``run_batch`` function that runs many
replicates of one parameter point and returns per-replicate metrics, the metrics it offers,
and the rounds it records. Nothing else in :mod:`sim.sweep` is model-specific.

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> model = MODELS["estimation"]
>>> params = model.params_schema(n_agents=50, noise_scale=10.0)
>>> values = model.run_batch(params, replicate_seeds(1, 4), ("error_of_mean", "diversity"))
>>> sorted(values), values["diversity"].shape
(['diversity', 'error_of_mean'], (4,))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim import aggregate, metrics
from sim.models.estimation import EstimationParams, simulate_crowds

__all__ = ["SweepModel", "MODELS", "ESTIMATION_METRICS", "get_model"]


@dataclass(frozen=True)
class SweepModel:
    """A model as the sweep runner sees it.

    Attributes
    ----------
    params_schema : type[pydantic.BaseModel]
        The model's one parameter schema; sweep configs may fix or sweep its fields.
    run_batch : callable
        ``run_batch(params, seeds, metrics) -> {metric: array}``: run one replicate per seed
        at the validated parameter point ``params`` and return each requested metric as an
        array of shape ``(len(seeds),)`` (one round) or ``(len(seeds), len(rounds))`` with
        the rounds :meth:`rounds_of` gives for ``params``.
    metrics : tuple of str
        Names of the metrics ``run_batch`` can compute.
    default_metrics : tuple of str
        Metrics recorded when a config does not list any.
    rounds : tuple of int, or callable
        The rounds each run records (the ``round`` column of the results), or a function of
        the validated parameters giving them (when a parameter sets the number of rounds).
    seconds_per_run : callable
        ``seconds_per_run(point) -> float``: a rough cost of one run at a parameter point
        (a dict of the fixed and swept values), used only to pick a chunk size.
    warm_up : callable
        Compiles or loads the model's kernels, so worker processes find them cached.
    """

    params_schema: type[BaseModel]
    run_batch: Callable[[Any, np.ndarray, Sequence[str]], dict[str, np.ndarray]]
    metrics: tuple[str, ...]
    default_metrics: tuple[str, ...]
    rounds: tuple[int, ...] | Callable[[Any], tuple[int, ...]] = (0,)
    seconds_per_run: Callable[[Mapping[str, Any]], float] = lambda point: 1e-3
    warm_up: Callable[[], None] = lambda: None

    def rounds_of(self, params) -> tuple[int, ...]:
        """The rounds a run at the validated parameters ``params`` records."""
        return tuple(self.rounds(params)) if callable(self.rounds) else tuple(self.rounds)


# ---------------------------------------------------------------------------------------------
# the estimation model


class _Crowds:
    """A batch of crowds' estimates; aggregates are computed once and shared by metrics."""

    def __init__(self, estimates: np.ndarray, truth: float):
        self.estimates = estimates
        self.truth = truth

    @cached_property
    def mean(self) -> np.ndarray:
        return aggregate.mean(self.estimates)

    @cached_property
    def median(self) -> np.ndarray:
        return aggregate.median(self.estimates)

    @cached_property
    def geometric_mean(self) -> np.ndarray:
        # NaN for crowds with an estimate <= 0, where the geometric mean is undefined
        positive = np.all(self.estimates > 0, axis=-1)
        out = np.full(self.estimates.shape[0], np.nan)
        if positive.any():
            out[positive] = aggregate.geometric_mean(self.estimates[positive])
        return out


def _relative_error(values: np.ndarray, truth: float) -> np.ndarray:
    if truth == 0:  # undefined, like the log error of a non-positive value
        return np.full(values.shape, np.nan)
    return metrics.collective_error(values, truth, "relative")


def _log_error(values: np.ndarray, truth: float) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    defined = (values > 0) & (truth > 0)
    if defined.any():
        out[defined] = metrics.collective_error(values[defined], truth, "log")
    return out


#: Metrics of the estimation model: name -> (function of a batch of crowds, description).
ESTIMATION_METRICS: dict[str, tuple[Callable[[_Crowds], np.ndarray], str]] = {
    "error_of_mean": (lambda c: metrics.collective_error(c.mean, c.truth),
                      "|mean - truth|"),
    "error_of_median": (lambda c: metrics.collective_error(c.median, c.truth),
                        "|median - truth|"),
    "error_of_geometric_mean": (lambda c: metrics.collective_error(c.geometric_mean, c.truth),
                                "|geometric mean - truth| (NaN if an estimate is <= 0)"),
    "relative_error_of_mean": (lambda c: _relative_error(c.mean, c.truth),
                               "|mean - truth| / |truth|"),
    "relative_error_of_median": (lambda c: _relative_error(c.median, c.truth),
                                 "|median - truth| / |truth|"),
    "log_error_of_median": (lambda c: _log_error(c.median, c.truth),
                            "|ln(median / truth)| (NaN if median or truth <= 0)"),
    "mean_individual_error": (lambda c: metrics.mean_individual_error(c.estimates, c.truth),
                              "mean over agents of |estimate - truth|"),
    "diversity": (lambda c: metrics.diversity(c.estimates),
                  "variance of the estimates around their mean (Page 2007)"),
    "collective_sq_error": (lambda c: metrics.collective_error(c.mean, c.truth, "squared"),
                            "(mean - truth)^2 = mean individual squared error - diversity"),
    "beaten_share_mean": (lambda c: metrics.beaten_share(c.estimates, c.mean, c.truth),
                          "share of agents with a larger error than the mean"),
    "beaten_share_median": (lambda c: metrics.beaten_share(c.estimates, c.median, c.truth),
                            "share of agents with a larger error than the median"),
    "woc_indicator": (lambda c: metrics.woc_indicator(c.estimates, c.truth),
                      "Lorenz et al. (2011) wisdom-of-crowd indicator"),
    "truth_in_range": (lambda c: metrics.truth_in_range(c.estimates, c.truth),
                       "1 if min <= truth <= max of the estimates, else 0"),
}


def estimation_rounds(params: EstimationParams) -> tuple[int, ...]:
    """Rounds a run records: 0 (the private estimates) and each round of social influence.

    Examples
    --------
    >>> estimation_rounds(EstimationParams())
    (0,)
    """
    # a schema without social influence has no `rounds`: the private estimates only
    return tuple(range(getattr(params, "rounds", 0) + 1))


def run_estimation_batch(params: EstimationParams, seeds: np.ndarray,
                         metric_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Simulate one crowd per seed and compute the requested metrics, vectorised.

    Returns arrays of shape ``(len(seeds),)`` for a crowd without rounds of social
    influence, else ``(len(seeds), rounds + 1)``: the metrics of every round's estimates.

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> out = run_estimation_batch(EstimationParams(n_agents=9), replicate_seeds(3, 2),
    ...                            ["truth_in_range"])
    >>> out["truth_in_range"].dtype, out["truth_in_range"].shape
    (dtype('float64'), (2,))
    """
    batch = simulate_crowds(params, seeds)
    # kernels without social influence give only the private estimates (no trajectory)
    trajectory = getattr(batch, "trajectory", None)
    if trajectory is None:
        trajectory = batch.estimates[:, None, :]
    by_round = [_Crowds(trajectory[:, j, :], params.truth) for j in range(trajectory.shape[1])]
    out = {name: np.stack([np.asarray(ESTIMATION_METRICS[name][0](crowds), dtype=np.float64)
                           for crowds in by_round], axis=1)
           for name in metric_names}
    return {name: values[:, 0] if values.shape[1] == 1 else values
            for name, values in out.items()}


def _estimation_seconds_per_run(point: Mapping[str, Any]) -> float:
    # measured: ~60 us per run (generator, seed, bookkeeping) + ~60 ns per agent and
    # recorded round (draws and the default metrics); only the order of magnitude matters
    n_agents = point.get("n_agents", EstimationParams.model_fields["n_agents"].default)
    rounds = point.get("rounds", 0)
    return 60e-6 + 60e-9 * float(n_agents) * (1 + rounds)


def _warm_up_estimation() -> None:
    # a tiny crowd compiles the kernel into numba's cache (or loads it from there)
    simulate_crowds(EstimationParams(n_agents=2), np.array([0], dtype=np.int64))


MODELS: dict[str, SweepModel] = {
    "estimation": SweepModel(
        params_schema=EstimationParams,
        run_batch=run_estimation_batch,
        metrics=tuple(ESTIMATION_METRICS),
        default_metrics=("error_of_mean", "error_of_median", "relative_error_of_median",
                         "mean_individual_error", "diversity", "beaten_share_median"),
        rounds=estimation_rounds,
        seconds_per_run=_estimation_seconds_per_run,
        warm_up=_warm_up_estimation,
    ),
}
"""Models a sweep config can name (``model:``)."""


def _register_choice_models() -> None:
    from sim.sweep import choice_models as c

    def small(per_run: float):
        return lambda point: per_run

    MODELS.update({
        "nest_site": SweepModel(c.NestSiteParams, c.nest_site_batch, c.NEST_SITE_METRICS,
                                ("chosen_best", "plurality_best", "twice_best",
                                 "decision_time"), seconds_per_run=small(8e-4)),
        "majority_vote": SweepModel(c.MajorityParams, c.majority_batch, c.MAJORITY_METRICS,
                                    c.MAJORITY_METRICS, seconds_per_run=small(1e-4)),
        "cascades": SweepModel(c.CascadeParams, c.cascade_batch, c.CASCADE_METRICS,
                               c.CASCADE_METRICS, seconds_per_run=small(2e-4)),
        "cumulative_advantage": SweepModel(c.MarketParams, c.market_batch, c.MARKET_METRICS,
                                           c.MARKET_METRICS, seconds_per_run=small(5e-4)),
    })


_register_choice_models()


def get_model(name: str) -> SweepModel:
    """The registered model called ``name``.

    Examples
    --------
    >>> get_model("estimation").rounds_of(EstimationParams())
    (0,)
    >>> get_model("ants")
    Traceback (most recent call last):
    ...
    KeyError: "no sweep model 'ants'; known: cascades, cumulative_advantage, estimation, majority_vote, nest_site"
    """
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"no sweep model {name!r}; known: {', '.join(sorted(MODELS))}") from None

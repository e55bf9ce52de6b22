"""Sweep registration of the estimation model: one crowd per run, its private estimates and
every round of social influence simulated by the numba kernel and measured with the crowd
metrics of :data:`sim.metrics.CROWD_METRICS` and, over the groups sharing an error
(``n_groups`` contiguous blocks: the communities of a stochastic block network), those of
:data:`sim.metrics.GROUP_METRICS` (see :mod:`sim.sweep.models`).

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> params = EstimationParams(n_agents=50, noise_scale=10.0, rounds=2, information="full")
>>> MODEL.rounds_of(params)
(0, 1, 2)
>>> MODEL.run_batch(params, replicate_seeds(1, 4), ("diversity",))["diversity"].shape
(4, 3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.metrics import CROWD_METRICS, GROUP_METRICS, crowd_metrics, group_metrics
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation.kernel import PATH_NAMES, rounds_path
from sim.networks.generators import communities
from sim.sweep.models import SweepModel

__all__ = ["MODEL", "run_batch", "rounds_of"]

#: A small crowd with correlated, unequal experts revising towards the crowd's mean:
#: contract tests and warm-up.
EXAMPLE = {"n_agents": 20, "truth": 100.0, "noise": "lognormal", "noise_scale": 0.4,
           "expertise_spread": 0.3, "correlation": 0.3, "n_groups": 2, "rounds": 2,
           "information": "aggregate", "social_weight": 0.4}


def rounds_of(params: EstimationParams) -> tuple[int, ...]:
    """Rounds a run records: 0 (the private estimates) and each round of social influence.

    Examples
    --------
    >>> rounds_of(EstimationParams())
    (0,)
    """
    return tuple(range(params.rounds + 1))


def run_batch(params: EstimationParams, seeds: np.ndarray,
              metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Simulate one crowd per seed and compute the requested metrics, vectorised.

    Returns arrays of shape ``(len(seeds),)`` for a crowd without rounds of social
    influence, else ``(len(seeds), rounds + 1)``: the metrics of every round's estimates.

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> out = run_batch(EstimationParams(n_agents=9), replicate_seeds(3, 2), ["truth_in_range"])
    >>> out["truth_in_range"].dtype, out["truth_in_range"].shape
    (dtype('float64'), (2,))
    """
    trajectory = simulate_crowds(params, seeds).trajectory  # (replicates, rounds, agents)
    grouped = [name for name in metrics if name in GROUP_METRICS]
    values = crowd_metrics(trajectory, params.truth,
                           [name for name in metrics if name not in GROUP_METRICS])
    if grouped:  # the groups sharing an error (the communities of a stochastic block network)
        values.update(group_metrics(trajectory, params.truth,
                                    communities(params.n_agents, params.n_groups), grouped))
        values = {name: values[name] for name in metrics}
    return {name: array[:, 0] if array.shape[1] == 1 else array
            for name, array in values.items()}


def trajectories(params: EstimationParams, seed: int) -> tuple[dict, dict]:
    """One crowd from the Mesa model and from the kernel: every agent's estimate in every
    round, the expertise multipliers and the social weights (see
    :attr:`SweepModel.trajectories`).

    Examples
    --------
    >>> mesa, kernel = trajectories(EstimationParams(**EXAMPLE), 1)
    >>> mesa["estimates"].shape, all(np.array_equal(mesa[k], kernel[k]) for k in mesa)
    ((3, 20), True)
    """
    from sim.models.estimation import CrowdEstimation

    model = CrowdEstimation(rng=seed, **params.model_dump(exclude_unset=True))
    estimates = [model.estimates]
    for _ in range(params.rounds):
        model.step()
        estimates.append(model.estimates)
    batch = simulate_crowds(params, [seed])
    mesa = {"estimates": np.array(estimates), "noise_multipliers": model.noise_multipliers,
            "social_weights": model.social_weights}
    kernel = {"estimates": batch.trajectory[0], "noise_multipliers": batch.noise_multipliers[0],
              "social_weights": batch.social_weights[0]}
    return mesa, kernel


def _seconds_per_run(point: Mapping[str, Any]) -> float:
    # measured: ~60 us per run (generator, seed, bookkeeping) + ~60 ns per agent and
    # recorded round (draws and the default metrics); only the order of magnitude matters
    n_agents = point.get("n_agents", EstimationParams.model_fields["n_agents"].default)
    rounds = point.get("rounds", 0)
    return 60e-6 + 60e-9 * float(n_agents) * (1 + rounds)


#: Networks ``crowdsim warm`` builds once each (every kind whose generator is compiled; a
#: file network reads a file and compiles nothing of its own).
WARM_UP_NETWORKS = (
    {"kind": "complete"}, {"kind": "ring_lattice", "degree": 4},
    {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.1}, {"kind": "barabasi_albert", "m": 2},
    {"kind": "erdos_renyi", "p": 0.2}, {"kind": "random_regular", "degree": 4},
    {"kind": "star"}, {"kind": "centralized", "degree": 4, "hub_degree": 10},
    {"kind": "stochastic_block", "n_communities": 2, "p_in": 0.3, "bridge_share": 0.1},
)

#: Crowd size of a warm-up run: numba compiles for argument types, not sizes.
_WARM_UP_AGENTS = 20


def _kernel_key(params: EstimationParams) -> tuple:
    """What decides which compiled code a run needs: whether it has rounds of influence
    (the private estimates alone need only the belief draws), the network's generator and
    the path of the rounds (:func:`~sim.models.estimation.kernel.rounds_path`: each compiled
    on its own)."""
    if params.rounds == 0:
        return False, params.network.kind, None
    return True, params.network.kind, rounds_path(params.rule_settings()).index(0)


def _small(params: EstimationParams) -> EstimationParams:
    """``params`` with a small crowd, when that is a valid point (else ``params``)."""
    if params.n_agents <= _WARM_UP_AGENTS:
        return params
    try:
        return type(params).model_validate({**params.model_dump(),
                                            "n_agents": _WARM_UP_AGENTS})
    except ValueError:  # e.g. a network that needs more agents: warm at the point itself
        return params


def _warm_up(points: Sequence[EstimationParams] | None = None) -> list[str]:
    """Compile the kernels ``points`` run into numba's cache (or load them from there): one
    small crowd per distinct :func:`_kernel_key`. Without ``points``: every kernel, that is
    a crowd without influence, :data:`EXAMPLE` (rounds of influence) and a crowd revising on
    each network of :data:`WARM_UP_NETWORKS`."""
    sweep_points = points is not None
    if not sweep_points:
        points = _every_kernel()
    elif not all(isinstance(params, EstimationParams) for params in points):
        # another model's points (a SweepModel that borrows this warm-up, as the Galton
        # fairs do): what runs is unknown, so a crowd with and one without influence
        points = [EstimationParams(n_agents=2), EstimationParams(**EXAMPLE)]
    variants = {}
    for params in points:
        variants.setdefault(_kernel_key(params), params)
    warmed = []
    for (rounds, kind, path), params in variants.items():
        try:
            simulate_crowds(_small(params), np.zeros(1, dtype=np.int64))
        except Exception:
            if not sweep_points:
                raise
            continue  # a sweep's point that fails: its runs record the error
        label = f"influence rounds ({PATH_NAMES[path]})" if rounds else "private estimates"
        warmed.append(label + ("" if kind == "none" else f" on {kind}"))
    if not sweep_points:  # calibration and prediction run observed groups in one call
        _warm_groups()
        warmed.append("observed groups (calibrate, predict)")
    return warmed


#: The paths of the rounds that calibration and prediction run on observed groups (the rule
#: sets of :mod:`sim.inference.rulesets` on the conditions of the dataset specs): answering
#: afresh without information, the neighbours' mean, the aggregate, all others' answers, and
#: the general revision (anchoring, distance, later weights). The network is the batch's:
#: ``params.network`` only makes the point valid.
GROUP_PATHS = ({"information": "none", "drift": 0.1},
               {"information": "neighbours", "network": {"kind": "ring_lattice", "degree": 2}},
               {"information": "aggregate"}, {"information": "full"},
               {"information": "full", "anchoring": 0.2})


def _warm_groups() -> None:
    """Compile :func:`~sim.models.estimation.kernel.simulate_groups`' loop on each of
    :data:`GROUP_PATHS` (each path compiles on its own): two tiny groups on a ring."""
    from sim.models.estimation import GroupBatch, simulate_groups
    from sim.networks import ring_lattice

    ring = ring_lattice(4, 2)
    batch = GroupBatch.build([np.array([1.0, 3.0, 2.0, 4.0]), np.array([10.0, 20.0, 15.0, 12.0])],
                             [2.0, 15.0], [ring, ring])
    for path in GROUP_PATHS:
        simulate_groups(EstimationParams(**{**EXAMPLE, **path}), batch,
                        np.random.default_rng(0))


def _every_kernel() -> list[EstimationParams]:
    """Points that between them run every compiled kernel of the model."""
    points = [EstimationParams(n_agents=2), EstimationParams(**EXAMPLE)]
    # the other paths of the rounds (kernel.rounds_path; EXAMPLE's board above, the
    # neighbours' mean below), without a network and on a drawn one (another replicate loop)
    network = {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.1}
    for other in ({"information": "none", "drift": 0.1}, {"information": "full"},
                  {"information": "full", "confidence_bound": 0.2, "anchoring": 0.2},
                  {"information": "full", "rule": "deffuant"},
                  {"rule": "sequential"},
                  {"information": "neighbours", "network": network, "rule": "deffuant"},
                  {"information": "neighbours", "network": network, "rule": "sequential"},
                  {"information": "neighbours", "network": network, "anchoring": 0.2}):
        points.append(EstimationParams(**{**EXAMPLE, **other}))
    for network in WARM_UP_NETWORKS:
        try:
            points.append(EstimationParams(**{**EXAMPLE, "n_agents": _WARM_UP_AGENTS,
                                              "information": "neighbours",
                                              "network": network}))
        except ValueError:  # a network kind whose options changed: compiled when used
            continue
    return points


MODEL = SweepModel(
    params_schema=EstimationParams,
    run_batch=run_batch,
    metrics=(*CROWD_METRICS, *GROUP_METRICS),
    default_metrics=("error_of_mean", "error_of_median", "relative_error_of_median",
                     "mean_individual_error", "diversity", "beaten_share_median"),
    rounds=rounds_of,
    seconds_per_run=_seconds_per_run,
    warm_up=_warm_up,
    example=EXAMPLE,
    trajectories=trajectories,
)
"""The estimation model as sweeps see it (registered as ``estimation``)."""

"""Sweep registration of the nest-site selection model: one swarm per run, its outcome from
the numba kernel batched over replicates (see :mod:`sim.sweep.models`).

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> values = MODEL.run_batch(NestSiteParams(horizon=30), replicate_seeds(1, 3), ("steps",))
>>> values["steps"].tolist()
[30.0, 30.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.nest_site.kernel import simulate_swarms
from sim.models.nest_site.params import NestSiteParams
from sim.sweep.models import SweepModel, first_replicate, run_mesa_model

__all__ = ["MODEL", "METRICS", "run_batch"]

#: Metrics of one swarm (see :func:`run_batch`).
METRICS = ("chosen_best", "plurality_best", "twice_best", "decided", "decision_time", "steps")

#: A small swarm that still decides by quorum now and then: contract tests and warm-up.
EXAMPLE = {"n_agents": 30, "horizon": 40, "copying": 0.3, "quorum": 12}


def run_batch(params: NestSiteParams, seeds: np.ndarray,
              metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Swarm outcomes: the best site chosen (by the swarm's rule, by plurality, by twice the
    runner-up), whether a quorum decision came, when (NaN if none), and steps run.

    Examples
    --------
    >>> run_batch(NestSiteParams(**EXAMPLE), np.array([4, 5]), ["steps"])["steps"].shape
    (2,)
    """
    batch = simulate_swarms(params, seeds)
    decided = batch.decision_time >= 0
    values = {"chosen_best": batch.best, "plurality_best": batch.plurality_best,
              "twice_best": batch.twice_best, "decided": decided,
              "decision_time": np.where(decided, batch.decision_time, np.nan),
              "steps": batch.steps}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


def trajectories(params: NestSiteParams, seed: int) -> tuple[dict, dict]:
    """One swarm from the Mesa model and from the kernel: dancers per site after each step,
    the decision and the final outcome (see :attr:`SweepModel.trajectories`)."""
    model = run_mesa_model("sim.models.nest_site.model:NestSiteSelection", params, seed)
    outcome = model.outcome()
    mesa = {"dancers": model.trajectory, "decision_time": outcome["decision_time"],
            "chosen": outcome["chosen"], "final_dancers": outcome["final_dancers"]}
    batch = simulate_swarms(params, [seed], record_dancers=True)
    kernel = first_replicate(batch, mesa)
    # after a quorum decision the kernel repeats the last row up to the horizon
    kernel["dancers"] = kernel["dancers"][:batch.steps[0] + 1]
    return mesa, kernel


MODEL = SweepModel(params_schema=NestSiteParams, run_batch=run_batch, metrics=METRICS,
                   default_metrics=("chosen_best", "plurality_best", "twice_best",
                                    "decision_time"),
                   seconds_per_run=lambda point: 8e-4, example=EXAMPLE, trajectories=trajectories)
"""The nest-site model as sweeps see it (registered as ``nest_site``)."""

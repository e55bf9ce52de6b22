"""Sweep registration of the information-cascade model: one sequence of agents per run,
batched over replicates by the numba kernel (see :mod:`sim.sweep.models`).

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> values = MODEL.run_batch(CascadeParams(n_agents=30), replicate_seeds(1, 4),
...                          ("wrong_cascade", "right_cascade", "no_cascade"))
>>> (values["wrong_cascade"] + values["right_cascade"] + values["no_cascade"]).tolist()
[1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.cascades.kernel import simulate_cascades
from sim.models.cascades.params import CascadeParams
from sim.sweep.models import SweepModel, first_replicate, run_mesa_model

__all__ = ["MODEL", "METRICS", "run_batch"]

#: Metrics of one sequence (see :func:`run_batch`).
METRICS = ("wrong_cascade", "right_cascade", "no_cascade", "cascade_start")

#: A short sequence: contract tests and warm-up.
EXAMPLE = {"n_agents": 20, "precision": 0.7}


def run_batch(params: CascadeParams, seeds: np.ndarray,
              metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Which cascade a sequence ends in, and after how many agents it started (NaN: none).

    Examples
    --------
    >>> run_batch(CascadeParams(n_agents=1), np.array([3]), ["no_cascade"])["no_cascade"]
    array([1.])
    """
    batch = simulate_cascades(params, seeds)
    right_direction = np.where(batch.state == 1, 1, -1)
    started = batch.cascade != 0
    values = {"wrong_cascade": started & (batch.cascade != right_direction),
              "right_cascade": started & (batch.cascade == right_direction),
              "no_cascade": ~started,
              "cascade_start": np.where(started, batch.cascade_start, np.nan)}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


def trajectories(params: CascadeParams, seed: int) -> tuple[dict, dict]:
    """One sequence from the Mesa model and from the kernel: the true state, every signal
    and action, the cascade and when it started (see :attr:`SweepModel.trajectories`)."""
    model = run_mesa_model("sim.models.cascades.model:InformationCascade", params, seed,
                           steps=params.n_agents)
    mesa = {"state": model.state, "signals": model.signals, "actions": model.actions_array,
            "cascade": model.cascade, "cascade_start": model.cascade_start}
    return mesa, first_replicate(simulate_cascades(params, [seed]), mesa)


MODEL = SweepModel(params_schema=CascadeParams, run_batch=run_batch, metrics=METRICS,
                   seconds_per_run=lambda point: 2e-4, example=EXAMPLE, trajectories=trajectories)
"""The information-cascade model as sweeps see it (registered as ``cascades``)."""

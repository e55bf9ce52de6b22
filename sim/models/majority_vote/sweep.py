"""Sweep registration of the majority-vote model: one jury holding one election per run,
batched over replicates by the numba kernel (see :mod:`sim.sweep.models`).

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> values = MODEL.run_batch(MajorityParams(n_agents=5), replicate_seeds(1, 3),
...                          ("right_vote_share",))
>>> values["right_vote_share"].shape
(3,)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.majority_vote.kernel import simulate_votes
from sim.models.majority_vote.params import MajorityParams
from sim.sweep.models import SweepModel, first_replicate, run_mesa_model

__all__ = ["MODEL", "METRICS", "run_batch"]

#: Metrics of one election (see :func:`run_batch`).
METRICS = ("majority_right", "right_vote_share")

#: A small jury using every option: contract tests and warm-up.
EXAMPLE = {"n_agents": 9, "heterogeneity": "beta", "concentration": 3.0, "correlation": 0.3,
           "leader_competence": 0.7}

#: Elections the engines hold in :func:`trajectories`.
_ELECTIONS = 4


def run_batch(params: MajorityParams, seeds: np.ndarray,
              metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One election per jury: whether the majority was right, and the share of right votes.

    Examples
    --------
    >>> run_batch(MajorityParams(n_agents=1, competence=1.0), np.array([1, 2]),
    ...           ["majority_right"])["majority_right"].tolist()
    [1.0, 1.0]
    """
    batch = simulate_votes(params, seeds)
    values = {"majority_right": batch.majority_right[:, 0],
              "right_vote_share": batch.right_votes[:, 0] / params.n_agents}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


def trajectories(params: MajorityParams, seed: int) -> tuple[dict, dict]:
    """One jury from the Mesa model and from the kernel, holding a few elections: the
    competences, then per election the right votes, the leader's followers and the outcome
    (see :attr:`SweepModel.trajectories`)."""
    model = run_mesa_model("sim.models.majority_vote.model:MajorityVote", params, seed,
                           steps=_ELECTIONS)
    frame = model.datacollector.get_model_vars_dataframe()
    mesa = {"competences": model.competences, "right_votes": frame.right_votes.to_numpy(),
            "followers": frame.followers.to_numpy(), "majority_right": np.array(model.outcomes)}
    return mesa, first_replicate(simulate_votes(params, [seed], n_elections=_ELECTIONS), mesa)


MODEL = SweepModel(params_schema=MajorityParams, run_batch=run_batch, metrics=METRICS,
                   seconds_per_run=lambda point: 1e-4, example=EXAMPLE, trajectories=trajectories)
"""The majority-vote model as sweeps see it (registered as ``majority_vote``)."""

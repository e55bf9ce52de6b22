"""Majority vote (Condorcet's jury theorem): Mesa model (:class:`MajorityVote`) and numba
kernel (:func:`simulate_votes`), with the exact probabilities in :mod:`.theory`."""

from __future__ import annotations

import importlib

__all__ = ["MajorityVote", "Voter", "MajorityParams", "simulate_votes", "VoteBatch",
           "condorcet_probability", "correlated_majority_probability", "jury_probability"]

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, not Mesa (about a second per process) nor scipy.stats (theory).
_HOME = {"MajorityVote": "sim.models.majority_vote.model",
         "Voter": "sim.models.majority_vote.agents",
         "MajorityParams": "sim.models.majority_vote.params",
         "simulate_votes": "sim.models.majority_vote.kernel",
         "VoteBatch": "sim.models.majority_vote.kernel",
         "condorcet_probability": "sim.models.majority_vote.theory",
         "correlated_majority_probability": "sim.models.majority_vote.theory",
         "jury_probability": "sim.models.majority_vote.theory"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

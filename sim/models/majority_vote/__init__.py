"""Majority vote (Condorcet's jury theorem): Mesa model (:class:`MajorityVote`) and numba
kernel (:func:`simulate_votes`), with the exact probabilities in :mod:`.theory`."""

from __future__ import annotations

from sim._lazy import attach

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, not Mesa (about a second per process) nor scipy.stats (theory).
__getattr__, __dir__, __all__ = attach(__name__, {
    "MajorityVote": "sim.models.majority_vote.model",
    "Voter": "sim.models.majority_vote.agents",
    "MajorityParams": "sim.models.majority_vote.params",
    "simulate_votes": "sim.models.majority_vote.kernel",
    "VoteBatch": "sim.models.majority_vote.kernel",
    "condorcet_probability": "sim.models.majority_vote.theory",
    "correlated_majority_probability": "sim.models.majority_vote.theory",
    "jury_probability": "sim.models.majority_vote.theory",
})

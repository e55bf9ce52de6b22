"""Majority vote (Condorcet's jury theorem): Mesa model (:class:`MajorityVote`) and numba
kernel (:func:`simulate_votes`), with the exact probabilities in :mod:`.theory`."""

from sim.models.majority_vote.agents import Voter
from sim.models.majority_vote.kernel import VoteBatch, simulate_votes
from sim.models.majority_vote.model import MajorityVote
from sim.models.majority_vote.params import MajorityParams
from sim.models.majority_vote.theory import (condorcet_probability,
                                             correlated_majority_probability,
                                             jury_probability)

__all__ = ["MajorityVote", "Voter", "MajorityParams", "simulate_votes", "VoteBatch",
           "condorcet_probability", "correlated_majority_probability", "jury_probability"]

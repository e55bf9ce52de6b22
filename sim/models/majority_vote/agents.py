"""Agents of the majority-vote model: voters who are right with some probability."""

from __future__ import annotations

import math

import mesa

from sim.models.majority_vote.rules import cast_vote, draw_competence

__all__ = ["Voter"]


class Voter(mesa.Agent):
    """A juror who votes right (1) or wrong (0) on a binary question.

    Attributes:
        index: the voter's position in the jury (0, 1, ...): voters act in this order.
        competence: probability that her own signal is right.
        vote: her vote in the last election (1 right, 0 wrong; -1 before any election).
        followed_leader: whether she copied the opinion leader in the last election.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.competence = math.nan
        self.vote = -1
        self.followed_leader = False

    def draw_competence(self) -> None:
        """Draw this voter's competence (no draw without heterogeneity)."""
        kind, a, b = self.model.params.competence_codes
        self.competence = float(draw_competence(self.model.rng, kind,
                                                self.model.params.competence, a, b))

    def cast_vote(self) -> None:
        """Vote in the current election: copy the leader with probability ``correlation``,
        otherwise follow the own signal."""
        vote, followed = cast_vote(self.model.rng, self.competence,
                                   self.model.params.correlation, self.model.leader_vote)
        self.vote = int(vote)
        self.followed_leader = bool(followed)

"""Majority vote: a jury of voters, each right with some probability, decides by majority.

ODD summary
-----------
Purpose
    Condorcet's jury theorem (Condorcet 1785, *Essai sur l'application de l'analyse a la
    probabilite des decisions rendues a la pluralite des voix*): when n voters are
    independently right with probability p > 1/2, the probability that the majority is
    right,

        P_n(p) = sum_{k > n/2} C(n, k) p^k (1 - p)^(n - k),                          (1)

    rises to 1 with n (0.648 at n = 3, 0.7535 at n = 11, 0.9791 at n = 101 for p = 0.6).
    The model checks (1) and shows how dependence between voters (an opinion leader whom
    some voters copy; Ladha 1992, Am. J. Pol. Sci. 36:617 on correlated votes) erodes it.
Entities
    :class:`~sim.models.majority_vote.agents.Voter` agents with an index, a competence
    p_i, a vote (1 right, 0 wrong) and whether they copied the leader. The model holds the
    leader's signal of the current election and the outcome of every election.
Process
    At creation each voter in index order draws her competence: p_i = p, or p_i ~
    Beta(p c, (1 - p) c) (mean p, concentration c), or p_i ~ U(p - h, p + h). Each
    ``step`` is one election on a new independent question: the leader's signal is drawn
    (right with probability q, default q = p; only when rho > 0); each voter in index order
    copies it with probability rho and otherwise votes on her own signal, right with
    probability p_i; the majority decides, a tie (even n) by a fair coin. The
    DataCollector records the right votes, the share of followers and whether the majority
    was right. The jury (the competences) stays the same across steps.
    With the leader, K ~ Bin(n, rho) voters cast the leader's vote and X ~ Bin(n - K, p)
    of the others are right, so

        P(majority right) = sum_k Bin(k; n, rho) [q P(k + X > n/2) + (1 - q) P(X > n/2)] (2)

    (ties counted half; :func:`~sim.models.majority_vote.theory.correlated_majority_probability`),
    which falls from (1) at rho = 0 to q at rho = 1. With competences drawn independently per voter
    every vote is marginally Bernoulli(p) and independent of the others, so averaged over
    juries heterogeneity leaves (1) unchanged; a given jury's probability is
    Poisson-binomial (:func:`~sim.models.majority_vote.theory.jury_probability`).
Parameters (defaults; source)
    ``n_agents`` 11, ``competence`` 0.6 (the textbook example), ``heterogeneity`` "none"
    (``concentration`` for "beta", ``spread`` for "uniform"), ``correlation`` 0,
    ``leader_competence`` None (= competence). Validated by
    :class:`~sim.models.majority_vote.params.MajorityParams`.

The numba kernel (:mod:`sim.models.majority_vote.kernel`) runs the same rules
(:mod:`sim.models.majority_vote.rules`) and, for the same integer seed, the same draws.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.models.base import SeededModel, agent_array
from sim.models.majority_vote.agents import Voter
from sim.models.majority_vote.params import MajorityParams
from sim.models.majority_vote.rules import leader_signal, majority_outcome

__all__ = ["MajorityVote"]


class MajorityVote(SeededModel):
    """A jury of :class:`Voter` agents; each step is one election.

    Examples:
        >>> model = MajorityVote(n_agents=5, competence=0.7, rng=3)
        >>> model.run_for(4)
        >>> len(model.outcomes), model.votes.shape
        (4, (5,))
        >>> list(model.datacollector.get_model_vars_dataframe().columns)
        ['right_votes', 'followers', 'majority_right']
    """

    params_schema = MajorityParams

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng, **params)
        p = self.params
        Voter.create_agents(self, p.n_agents, index=list(range(p.n_agents)))
        self.jury = list(self.agents)  # index order: agents are created in order
        for voter in self.jury:
            voter.draw_competence()
        self.leader_vote = -1
        self.right_votes = -1
        self.outcomes: list[int] = []
        self.datacollector = mesa.DataCollector(model_reporters={
            "right_votes": "right_votes",
            "followers": lambda m: sum(v.followed_leader for v in m.jury),
            "majority_right": lambda m: m.outcomes[-1],
        })

    def step(self) -> None:
        """One election: the leader's signal, every vote in index order, the majority."""
        p = self.params
        self.leader_vote = int(leader_signal(self.rng, p.correlation, p.leader_p))
        for voter in self.jury:
            voter.cast_vote()
        self.right_votes = sum(v.vote for v in self.jury)
        self.outcomes.append(int(majority_outcome(self.rng, self.right_votes, p.n_agents)))
        self.datacollector.collect(self)

    @property
    def majority_right(self) -> bool:
        """Whether the majority was right in the last election."""
        if not self.outcomes:
            raise ValueError("no election yet: call step() first")
        return bool(self.outcomes[-1])

    competences = agent_array("jury", "competence", float,
                              "The voters' competences, in index order.")
    votes = agent_array("jury", "vote", np.int8,
                        "The votes of the last election (1 right, 0 wrong), in index order.")

"""Numba kernel of the majority-vote model: many independent juries at once.

The same rules as :mod:`sim.models.majority_vote.agents` (the functions of
:mod:`sim.models.majority_vote.rules`), with the same draw order: the competences, then per
election the leader's signal, per voter whether she follows it and her own signal, and a
coin on a tie. Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, the
generator ``MajorityVote(rng=seeds[r])`` holds, so both give identical votes. A batch runs
all its juries in one compiled loop (:func:`_run_juries`), seeded in bulk
(:func:`sim.batching.run_compiled`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.batching import reseed, run_compiled, seed_array
from sim.models.majority_vote.params import MajorityParams
from sim.models.majority_vote.rules import (
    cast_vote,
    draw_competence,
    leader_signal,
    majority_outcome,
)

__all__ = ["VoteBatch", "run_jury", "simulate_votes"]


@njit(cache=True, nogil=True)
def run_jury(rng, kind, p, a, b, rho, leader_p, competences_out, right_votes_out,
             followers_out, outcome_out):
    """One jury: draw the competences, then hold ``len(outcome_out)`` elections (in place)."""
    n = competences_out.shape[0]
    for i in range(n):
        competences_out[i] = draw_competence(rng, kind, p, a, b)
    for e in range(outcome_out.shape[0]):
        leader = leader_signal(rng, rho, leader_p)
        right = 0
        followers = 0
        for i in range(n):
            vote, followed = cast_vote(rng, competences_out[i], rho, leader)
            right += vote
            followers += followed
        right_votes_out[e] = right
        followers_out[e] = followers
        outcome_out[e] = majority_outcome(rng, right, n)


@njit(cache=True, nogil=True)
def _run_juries(rng, words, flags, order, states, first, stop, kind, p, a, b, rho, leader_p,
                competences, right_votes, followers, outcome):
    """Juries ``first .. stop - 1`` of a batch (rows of the output arrays), each from its own
    seed: ``rng`` is re-set to ``states[r]`` before jury ``r`` (see
    :func:`sim.batching.run_compiled`)."""
    for r in range(first, stop):
        reseed(words, flags, order, states, r)
        run_jury(rng, kind, p, a, b, rho, leader_p, competences[r], right_votes[r],
                 followers[r], outcome[r])


@dataclass(frozen=True)
class VoteBatch:
    """Elections of many independent juries.

    Attributes:
        majority_right: array (replicates, elections) of 0/1.
        right_votes: array (replicates, elections), the number of right votes.
        followers: array (replicates, elections), voters who copied the leader.
        competences: array (replicates, n_agents).
        seeds: array (replicates,), the integer seed of each jury.
    """

    majority_right: np.ndarray
    right_votes: np.ndarray
    followers: np.ndarray
    competences: np.ndarray
    seeds: np.ndarray

    @property
    def share_right(self) -> float:
        """Share of all elections the majority got right."""
        return float(self.majority_right.mean())

    @property
    def standard_error(self) -> float:
        """Standard error of :attr:`share_right`, with juries as the independent units.

        Elections of one jury share its competences, so with heterogeneity they are not
        independent: the error is the SD of the per-jury shares over sqrt(juries). With one
        election per jury (or one jury) it is the binomial standard error.
        """
        n_juries, n_elections = self.majority_right.shape
        if n_elections == 1 or n_juries < 2:
            share = self.share_right
            return float(np.sqrt(share * (1.0 - share) / self.majority_right.size))
        per_jury = self.majority_right.mean(axis=1)
        return float(per_jury.std(ddof=1) / np.sqrt(n_juries))


def simulate_votes(params: MajorityParams, seeds, n_elections: int = 1,
                   n_threads: int = 1) -> VoteBatch:
    """One jury per seed, each holding ``n_elections`` elections.

    Parameters
    ----------
    params : MajorityParams
        The jury (validated parameters).
    seeds : array_like of int
        One integer seed per jury, from which it draws its competences, then its votes.
    n_elections : int, default 1
        Elections per jury (independent questions, the same competences).
    n_threads : int, default 1
        Threads running juries concurrently (the kernel releases the GIL); see
        :func:`sim.batching.run_compiled`. The result does not depend on it.

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> batch = simulate_votes(MajorityParams(n_agents=3), replicate_seeds(1, 4), 2)
    >>> batch.majority_right.shape, batch.competences.shape
    ((4, 2), (4, 3))
    """
    seeds = seed_array(seeds)
    if n_elections < 1:
        raise ValueError(f"n_elections: must be >= 1, got {n_elections}")
    n_rep, n = seeds.shape[0], params.n_agents
    competences = np.empty((n_rep, n))
    right = np.empty((n_rep, n_elections), dtype=np.int64)
    followers = np.empty((n_rep, n_elections), dtype=np.int64)
    outcome = np.empty((n_rep, n_elections), dtype=np.int8)
    kind, a, b = params.competence_codes
    p, rho, leader_p = params.competence, params.correlation, params.leader_p

    def run_block(rng, words, flags, order, states, first, stop) -> None:
        _run_juries(rng, words, flags, order, states, first, stop, kind, p, a, b, rho,
                    leader_p, competences, right, followers, outcome)

    def run_one(r: int, rng: np.random.Generator) -> None:
        run_jury(rng, kind, p, a, b, rho, leader_p, competences[r], right[r], followers[r],
                 outcome[r])

    run_compiled(run_block, run_one, seeds, n_threads)
    return VoteBatch(majority_right=outcome, right_votes=right, followers=followers,
                     competences=competences, seeds=seeds)


"""Rules of the majority-vote model, compiled with numba and shared by both engines.

The Mesa voters (:mod:`sim.models.majority_vote.agents`) and the kernel
(:mod:`sim.models.majority_vote.kernel`) call these same functions with the same generator,
so both draw the same numbers in the same order and count the same votes.

Draw order of one jury: each voter's competence in index order (only when heterogeneous);
then per election: the leader's signal (only when ``correlation > 0``), per voter in index
order whether she follows the leader (only when ``correlation > 0``) and, if not, her own
signal; finally a fair coin only when the vote is tied.
"""

from __future__ import annotations

from numba import njit

__all__ = ["NONE", "BETA", "UNIFORM", "draw_competence", "leader_signal", "cast_vote",
           "majority_outcome"]

NONE, BETA, UNIFORM = range(3)
RIGHT, WRONG = 1, 0


@njit(cache=True, nogil=True)
def draw_competence(rng, kind, p, a, b):
    """A voter's competence: ``p`` (no draw), ``Beta(a, b)`` or ``U(a, b)``."""
    if kind == BETA:
        return rng.beta(a, b)
    if kind == UNIFORM:
        return rng.uniform(a, b)
    return p


@njit(cache=True, nogil=True)
def leader_signal(rng, rho, leader_p):
    """The opinion leader's vote in this election (1 right, 0 wrong); no draw when
    ``rho == 0`` (nobody follows, the value is unused)."""
    if rho > 0.0:
        return RIGHT if rng.random() < leader_p else WRONG
    return RIGHT


@njit(cache=True, nogil=True)
def cast_vote(rng, competence, rho, leader_vote):
    """One voter's vote (1 right, 0 wrong) and whether she followed the leader.

    With probability ``rho`` she copies the leader's vote; otherwise she votes on her own
    signal, right with probability ``competence``.
    """
    if rho > 0.0 and rng.random() < rho:
        return leader_vote, True
    return (RIGHT if rng.random() < competence else WRONG), False


@njit(cache=True, nogil=True)
def majority_outcome(rng, right_votes, n_voters):
    """1 if the majority is right, 0 if wrong; a tie (even juries) is settled by a fair coin."""
    twice = 2 * right_votes
    if twice > n_voters:
        return RIGHT
    if twice < n_voters:
        return WRONG
    return RIGHT if rng.random() < 0.5 else WRONG

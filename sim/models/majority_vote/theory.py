"""Exact probabilities that a majority is right (Condorcet's jury theorem and variants).

Condorcet (1785), *Essai sur l'application de l'analyse a la probabilite des decisions
rendues a la pluralite des voix*; in modern form e.g. Grofman, Owen & Feld (1983), Theory and
Decision 15:261. For n independent voters each right with probability p,

    P(majority right) = sum_{k > n/2} C(n, k) p^k (1 - p)^(n - k)  (+ half the tie term for
    even n, a tie being broken by a fair coin),

which rises to 1 with n when p > 1/2: 0.648 (n = 3), 0.6826 (5), 0.7535 (11), 0.9791 (101)
at p = 0.6.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

__all__ = ["condorcet_probability", "correlated_majority_probability", "jury_probability"]


def _majority_from(offset, m, p, n):
    """P(offset + Bin(m, p) > n/2) + P(... = n/2) / 2, vectorised over arrays."""
    offset, m, n = np.asarray(offset), np.asarray(m), np.asarray(n)
    # right votes needed for a strict majority: floor(n/2) + 1
    need = n // 2 + 1 - offset
    above = binom.sf(need - 1, m, p)                      # P(X >= need)
    tie = np.where(n % 2 == 0, binom.pmf(n // 2 - offset, m, p), 0.0)
    return above + 0.5 * tie


def condorcet_probability(n, p):
    """P(the majority of ``n`` independent voters of competence ``p`` is right).

    Ties (even ``n``) are broken by a fair coin. Works element-wise on arrays.

    Examples
    --------
    >>> [round(float(condorcet_probability(n, 0.6)), 4) for n in (3, 5, 11, 101)]
    [0.648, 0.6826, 0.7535, 0.9791]
    >>> round(condorcet_probability(2, 0.6), 12)   # a 1-1 tie is a coin flip: p^2 + p(1-p)
    0.6
    """
    n = np.asarray(n)
    if np.any(n < 1):
        raise ValueError("n: must be at least 1")
    out = _majority_from(0, n, p, n)
    return out if out.ndim else float(out)


def correlated_majority_probability(n, p, rho, leader_competence=None):
    """P(majority right) when each voter follows an opinion leader with probability ``rho``.

    The number of followers K is Binomial(n, rho); they all cast the leader's vote, right
    with probability ``q = leader_competence`` (default ``p``); the other n - K vote
    independently, each right with probability p. So

        P = sum_k Bin(k; n, rho) [q P(k + Bin(n - k, p) wins) + (1 - q) P(Bin(n - k, p) wins)].

    ``rho = 0`` gives :func:`condorcet_probability`; ``rho = 1`` gives q.

    Examples
    --------
    >>> round(correlated_majority_probability(11, 0.6, 0.0), 4)
    0.7535
    >>> round(correlated_majority_probability(11, 0.6, 1.0), 4)
    0.6
    """
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"rho: must lie in [0, 1], got {rho}")
    q = p if leader_competence is None else leader_competence
    k = np.arange(n + 1)
    weights = binom.pmf(k, n, rho)
    right = _majority_from(k, n - k, p, n)
    wrong = _majority_from(0, n - k, p, n)
    return float(np.sum(weights * (q * right + (1.0 - q) * wrong)))


def jury_probability(competences) -> float:
    """P(majority right) of one given jury of independent voters (Poisson-binomial).

    With competences drawn independently from a distribution of mean p, the average over
    juries equals :func:`condorcet_probability` (n, p); a given jury's probability differs.

    Examples
    --------
    >>> round(jury_probability([0.6, 0.6, 0.6]), 4)
    0.648
    >>> jury_probability([1.0, 0.0])    # one right, one wrong: the coin decides
    0.5
    """
    competences = np.asarray(competences, dtype=float)
    n = competences.shape[0]
    dist = np.zeros(n + 1)
    dist[0] = 1.0
    for p in competences:                # distribution of the number of right votes
        dist[1:] = dist[1:] * (1.0 - p) + dist[:-1] * p
        dist[0] *= 1.0 - p
    k = np.arange(n + 1)
    return float(dist[2 * k > n].sum() + 0.5 * dist[2 * k == n].sum())

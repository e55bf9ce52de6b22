"""Exact probabilities of the information-cascade model (BHW 1992).

Under the counting rule (:mod:`sim.models.cascades.rules`) agents come in pairs: the first
of a pair (at d = 0) reveals her signal; the second either takes the same action - a cascade
starts - or the opposite one, which brings d back to 0. Given the true state, per pair

- coin ties (BHW): right cascade p (1 + p) / 2, wrong cascade (1 - p)(2 - p) / 2, back to
  d = 0 with p - p^2;
- own-signal ties: right p^2, wrong (1 - p)^2, back with 2 p (1 - p).

So after n agents (floor(n / 2) pairs) the chance of a wrong cascade is
``w / (w + r) * (1 - back**floor(n / 2))``, which tends to BHW's
(1 - p)(2 - p) / [2 (1 - p + p^2)] (0.368 at p = 0.6, 0.143 at p = 0.8), and the number of
agents before the cascade is 2 K, K geometric with success 1 - back (mean 2 / (1 - p + p^2)
under coin ties).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pair_probabilities", "wrong_cascade_probability", "right_cascade_probability",
           "no_cascade_probability", "mean_cascade_start", "cascade_start_distribution"]


def _check(p: float, tie_rule: str) -> None:
    if not 0.5 < p <= 1.0:
        raise ValueError(f"precision: must lie in (0.5, 1], got {p}")
    if tie_rule not in ("coin", "own_signal"):
        raise ValueError(f"tie_rule: must be coin or own_signal, got {tie_rule!r}")


def pair_probabilities(p: float, tie_rule: str = "coin") -> tuple[float, float, float]:
    """Per pair of agents at d = 0: P(right cascade), P(wrong cascade), P(back to d = 0)."""
    _check(p, tie_rule)
    if tie_rule == "coin":
        return p * (1 + p) / 2, (1 - p) * (2 - p) / 2, p - p * p
    return p * p, (1 - p) ** 2, 2 * p * (1 - p)


def wrong_cascade_probability(p: float, n_agents: int | None = None,
                              tie_rule: str = "coin") -> float:
    """P(the sequence is in the wrong cascade after ``n_agents``; None: in the limit).

    Examples
    --------
    >>> round(wrong_cascade_probability(0.6), 3), round(wrong_cascade_probability(0.8), 3)
    (0.368, 0.143)
    >>> p = 0.7; round(wrong_cascade_probability(p), 12) == round(
    ...     (1 - p) * (2 - p) / (2 * (1 - p + p * p)), 12)
    True
    """
    right, wrong, back = pair_probabilities(p, tie_rule)
    done = 1.0 if n_agents is None else 1.0 - back ** (n_agents // 2)
    return wrong / (right + wrong) * done


def right_cascade_probability(p: float, n_agents: int | None = None,
                              tie_rule: str = "coin") -> float:
    """P(the sequence is in the right cascade after ``n_agents``; None: in the limit)."""
    right, wrong, back = pair_probabilities(p, tie_rule)
    done = 1.0 if n_agents is None else 1.0 - back ** (n_agents // 2)
    return right / (right + wrong) * done


def no_cascade_probability(p: float, n_agents: int, tie_rule: str = "coin") -> float:
    """P(no cascade has begun after ``n_agents``)."""
    return pair_probabilities(p, tie_rule)[2] ** (n_agents // 2)


def mean_cascade_start(p: float, tie_rule: str = "coin") -> float:
    """Mean number of agents acting before the cascade (infinite sequence): 2 / (1 - back).

    >>> round(mean_cascade_start(0.6), 4)
    2.6316
    """
    return 2.0 / (1.0 - pair_probabilities(p, tie_rule)[2])


def cascade_start_distribution(p: float, max_agents: int, tie_rule: str = "coin"
                               ) -> tuple[np.ndarray, np.ndarray]:
    """P(the cascade begins after exactly 2k agents) for k = 1 .. max_agents // 2:
    returns (agents before the cascade, probability)."""
    back = pair_probabilities(p, tie_rule)[2]
    k = np.arange(1, max_agents // 2 + 1)
    return 2 * k, back ** (k - 1) * (1.0 - back)

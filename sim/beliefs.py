"""Private beliefs: how an agent's noisy estimate of a true value is formed.

An agent's estimate is ``centre`` (the truth moved by a crowd-wide bias) plus an error whose
shape is one of four noise families:

``normal``
    additive: ``x = c + s * e``, e ~ N(0, 1).
``lognormal``
    multiplicative: ``x = c * exp(s * e)``; errors are proportional to the quantity, as in
    Lorenz et al. (2011), whose estimates are roughly log-normal.
``split_normal``
    two-piece normal with the centre as median: ``x = c + s_below * e`` for e < 0 and
    ``c + s_above * e`` for e >= 0. This is Galton's (1907) reading of the ox ballots: each
    half of the crowd normal, with probable error 45 lb below and 29 lb above the median.
``log_cauchy``
    heavy-tailed multiplicative: ``x = c * exp(s * e)`` with e standard Cauchy; Jayles et al.
    (2017, PNAS 114:12620) found log-estimates close to Cauchy.

Options (all drawn from the run's generator):

- expertise: agent i's scale is multiplied by ``m_i = exp(expertise_spread * z_i)``, a
  log-normal multiplier with median 1 (``expertise_spread = 0``: everybody alike, no draw);
- correlated errors: a share ``rho`` of the error is common to the agent's group (the whole
  crowd when ``n_groups = 1``): ``e_i = sqrt(rho) c_g + sqrt(1 - rho) u_i`` keeps a unit
  variance; for Cauchy errors ``e_i = rho c_g + (1 - rho) u_i`` keeps a unit scale (a sum of
  Cauchy variables is Cauchy).

Every standard draw is a standard normal (a Cauchy deviate is a ratio of two), so the Mesa
agents and the numba kernel consume the generator identically. The functions here are
compiled with numba and shared by both engines, so both do the same arithmetic.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "NOISE_FAMILIES", "MULTIPLICATIVE_FAMILIES", "family_code",
    "standard_error", "expertise_multiplier", "combine_errors", "apply_noise", "group_of",
]

#: Noise family names, in the order of their integer codes used by the kernels.
NOISE_FAMILIES = ("normal", "lognormal", "split_normal", "log_cauchy")
#: Families whose estimates are ``centre * exp(...)``: they need a positive centre.
MULTIPLICATIVE_FAMILIES = ("lognormal", "log_cauchy")

NORMAL, LOGNORMAL, SPLIT_NORMAL, LOG_CAUCHY = range(4)

#: Largest |log-error| of a multiplicative estimate (keeps estimates finite and positive).
MAX_LOG_ERROR = 700.0


def family_code(name: str) -> int:
    """Integer code of a noise family, as the kernels take it.

    >>> family_code("split_normal")
    2
    """
    try:
        return NOISE_FAMILIES.index(name)
    except ValueError:
        raise ValueError(f"noise must be one of {', '.join(NOISE_FAMILIES)}; got {name!r}") from None


@njit(cache=True, nogil=True)
def standard_error(rng, family):
    """One standardised error draw: N(0, 1), or standard Cauchy (two normal draws)."""
    if family == LOG_CAUCHY:
        numerator = rng.standard_normal()
        return numerator / rng.standard_normal()
    return rng.standard_normal()


@njit(cache=True, nogil=True)
def expertise_multiplier(rng, expertise_spread):
    """Agent's noise-scale multiplier, log-normal with median 1; no draw when the spread is 0."""
    if expertise_spread > 0.0:
        return math.exp(expertise_spread * rng.standard_normal())
    return 1.0


@njit(cache=True, nogil=True)
def combine_errors(common, own, rho, family):
    """Mix a group-common and an individual standardised error; ``rho`` is the common share."""
    if rho == 0.0:
        return own
    if family == LOG_CAUCHY:
        return rho * common + (1.0 - rho) * own
    return math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own


@njit(cache=True, nogil=True)
def apply_noise(centre, error, scale_below, scale_above, multiplier, family):
    """Turn a standardised error into an estimate around ``centre``.

    ``scale_below`` is used for negative errors and ``scale_above`` for the others; they are
    equal except for the split normal.
    """
    scale = scale_below if error < 0.0 else scale_above
    if family == NORMAL or family == SPLIT_NORMAL:
        return centre + multiplier * scale * error
    # a Cauchy log-error can be astronomically large; clamp so that an estimate stays a
    # positive, finite number (exp(+-700) is within double range)
    log_error = min(max(multiplier * scale * error, -MAX_LOG_ERROR), MAX_LOG_ERROR)
    return centre * math.exp(log_error)


@njit(cache=True, nogil=True)
def group_of(agent_index, n_agents, n_groups):
    """Group of an agent: the crowd is cut into ``n_groups`` contiguous, near-equal blocks."""
    return agent_index * n_groups // n_agents

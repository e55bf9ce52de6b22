"""Private beliefs of the estimation model: how an agent's noisy estimate of the truth is formed.

These compiled functions are shared by the Mesa agents
(:class:`~sim.models.estimation.agents.Estimator`) and the numba kernel
(:func:`~sim.models.estimation.kernel.draw_crowd`), so both do the same arithmetic and draw
from the generator in the same order. After editing this file run ``make clean-cache``:
numba's cache of the kernel does not notice changes in the functions it calls from here.

An agent's estimate is ``centre`` (the truth moved by a crowd-wide bias:
``truth * bias_factor + bias_shift``) plus an error whose shape is one of four noise families
(:data:`NOISE_FAMILIES`, the one list of them):

``normal``
    additive: ``x = c + s * e``, e ~ N(0, 1).
``lognormal``
    multiplicative: ``x = c * exp(s * e)``; errors are proportional to the quantity, as in
    Lorenz et al. (2011, PNAS 108:9020), whose estimates are roughly log-normal.
``split_normal``
    two-piece normal with the centre as median: ``x = c + s_below * e`` for e < 0 and
    ``c + s_above * e`` for e >= 0. This is Galton's (1907, Nature 75:450) reading of the ox
    ballots: each half of the crowd normal, with probable error 45 lb below and 29 lb above
    the median.
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

Every standard draw is a standard normal (a Cauchy deviate is a ratio of two).

The per-agent functions are inlined into their compiled callers (``inline="always"``): in
the kernel's agent loop their branches on the crowd's parameters (family, spread,
correlation) are then loop-invariant and the compiler moves them out of the loop: a batch
of crowds of 1,000 ran 1.4-1.8x faster, measured side by side with the calls not inlined
(2026-12-02; ``benchmarks/bench_estimation.py`` compares the kernel with the bare draws).
The arithmetic is the same, bit for bit.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "NOISE_FAMILIES", "MULTIPLICATIVE_FAMILIES", "family_code",
    "standard_error", "expertise_multiplier", "combine_errors", "apply_noise", "group_of",
]

#: The noise families, in the order of their integer codes: the one list of them (the
#: parameter schema's choices are derived from it).
NOISE_FAMILIES = ("normal", "lognormal", "split_normal", "log_cauchy")
#: Families whose estimates are ``centre * exp(...)``: they need a positive centre.
MULTIPLICATIVE_FAMILIES = ("lognormal", "log_cauchy")

# the codes in the order of NOISE_FAMILIES (the unpacking fails if a family has no code)
NORMAL, LOGNORMAL, SPLIT_NORMAL, LOG_CAUCHY = range(len(NOISE_FAMILIES))

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
        allowed = ", ".join(NOISE_FAMILIES)
        raise ValueError(f"noise must be one of {allowed}; got {name!r}") from None


@njit(cache=True, nogil=True, inline="always")
def standard_error(rng, family):
    """One standardised error draw: N(0, 1), or standard Cauchy (two normal draws).

    >>> import numpy as np
    >>> a, b = np.random.default_rng(1), np.random.default_rng(1)
    >>> standard_error(a, NORMAL) == b.standard_normal()
    True
    """
    if family == LOG_CAUCHY:
        numerator = rng.standard_normal()
        return numerator / rng.standard_normal()
    return rng.standard_normal()


@njit(cache=True, nogil=True, inline="always")
def expertise_multiplier(rng, expertise_spread):
    """An agent's noise-scale multiplier, log-normal with median 1; no draw when the spread
    is 0."""
    if expertise_spread > 0.0:
        return math.exp(expertise_spread * rng.standard_normal())
    return 1.0


@njit(cache=True, nogil=True, inline="always")
def combine_errors(common, own, rho, family):
    """Mix a group-common and an individual standardised error; ``rho`` is the common share.

    >>> combine_errors(1.0, 0.0, 0.25, NORMAL), combine_errors(1.0, 0.0, 0.25, LOG_CAUCHY)
    (0.5, 0.25)
    """
    if rho == 0.0:
        return own
    if family == LOG_CAUCHY:
        return rho * common + (1.0 - rho) * own
    return math.sqrt(rho) * common + math.sqrt(1.0 - rho) * own


@njit(cache=True, nogil=True, inline="always")
def apply_noise(centre, error, scale_below, scale_above, multiplier, family):
    """Turn a standardised error into an estimate around ``centre``.

    ``scale_below`` is used for negative errors and ``scale_above`` for the others; they are
    equal except for the split normal.

    >>> apply_noise(100.0, -1.0, 20.0, 10.0, 1.0, SPLIT_NORMAL)
    80.0
    >>> round(apply_noise(100.0, 1.0, 0.5, 0.5, 1.0, LOGNORMAL), 4)
    164.8721
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
    """Group of an agent: the crowd is cut into ``n_groups`` contiguous, near-equal blocks,
    the first ``n_agents % n_groups`` of them one agent larger: exactly the communities of
    :func:`sim.networks.generators.communities`, so that a community of the stochastic block
    network is the group sharing an error.

    >>> [group_of(i, 7, 3) for i in range(7)]
    [0, 0, 0, 1, 1, 2, 2]
    >>> [group_of(i, 10, 4) for i in range(10)]
    [0, 0, 0, 1, 1, 1, 2, 2, 3, 3]
    """
    size, larger = divmod(n_agents, n_groups)
    # the first `larger` groups have size + 1 agents, the rest size (size >= 1 there)
    cut = larger * (size + 1)
    if agent_index < cut:
        return agent_index // (size + 1)
    return larger + (agent_index - cut) // size

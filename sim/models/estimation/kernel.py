"""Numba kernel of the estimation model: many independent crowds at once.

The same rules as :mod:`sim.models.estimation.agents` over arrays, with the same draw order:
for each replicate, the group common errors (only when ``correlation > 0``), then for each
agent in turn its expertise multiplier (only when ``expertise_spread > 0``) and its own
error. Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, exactly the
generator ``CrowdEstimation(rng=seeds[r])`` holds, so both give identical estimates.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.beliefs import apply_noise, combine_errors, expertise_multiplier, group_of, standard_error
from sim.models.estimation.params import EstimationParams

__all__ = ["CrowdBatch", "draw_crowd", "simulate_crowds"]


@njit(cache=True, nogil=True)
def draw_crowd(rng, family, centre, scale_below, scale_above, expertise_spread, rho, n_groups,
               estimates_out, multipliers_out):
    """Fill one crowd's estimates and noise multipliers from ``rng`` (in place)."""
    n_agents = estimates_out.shape[0]
    common = np.zeros(n_groups)
    if rho > 0.0:
        for g in range(n_groups):
            common[g] = standard_error(rng, family)
    for i in range(n_agents):
        multiplier = expertise_multiplier(rng, expertise_spread)
        own = standard_error(rng, family)
        error = combine_errors(common[group_of(i, n_agents, n_groups)], own, rho, family)
        estimates_out[i] = apply_noise(centre, error, scale_below, scale_above, multiplier,
                                       family)
        multipliers_out[i] = multiplier


@dataclass(frozen=True)
class CrowdBatch:
    """Private estimates of many independent crowds.

    Attributes:
        estimates: array (replicates, n_agents).
        noise_multipliers: array (replicates, n_agents), each agent's expertise multiplier.
        seeds: array (replicates,), the integer seed of each replicate.
    """

    estimates: np.ndarray
    noise_multipliers: np.ndarray
    seeds: np.ndarray

    @property
    def precision_weights(self) -> np.ndarray:
        """Weights for a precision-weighted mean, ``1 / multiplier**2``."""
        return 1.0 / self.noise_multipliers**2


def simulate_crowds(params: EstimationParams, seeds, n_threads: int = 1) -> CrowdBatch:
    """Draw the private estimates of one crowd per seed.

    Parameters
    ----------
    params : EstimationParams
        The crowd (validated parameters).
    seeds : array_like of int
        One integer seed per replicate (see :func:`sim.seeding.replicate_seeds`).
    n_threads : int, default 1
        Threads drawing replicates concurrently (the kernel releases the GIL). The result
        does not depend on it.

    Returns
    -------
    CrowdBatch

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> batch = simulate_crowds(EstimationParams(n_agents=10), replicate_seeds(1, 3))
    >>> batch.estimates.shape
    (3, 10)
    """
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    n_replicates = seeds.shape[0]
    estimates = np.empty((n_replicates, params.n_agents))
    multipliers = np.empty((n_replicates, params.n_agents))
    constants = (params.family_code, params.centre, params.scale_below, params.scale_above,
                 params.expertise_spread, params.correlation, params.n_groups)

    def run(rows: range) -> None:
        for r in rows:
            draw_crowd(np.random.default_rng(int(seeds[r])), *constants,
                       estimates[r], multipliers[r])

    if n_threads == 1 or n_replicates < 2:
        run(range(n_replicates))
    else:
        bounds = np.linspace(0, n_replicates, n_threads + 1).astype(int)
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))
    return CrowdBatch(estimates=estimates, noise_multipliers=multipliers, seeds=seeds)

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
from numba import njit, prange

from sim.beliefs import apply_noise, combine_errors, expertise_multiplier, group_of, standard_error
from sim.influence import (NEIGHBOURS, RULE_AVERAGE, RULE_DEFFUANT, agent_signal, board_totals, draw_pair,
                           meet, revised_estimate, social_weights, to_space,
                           to_space_array)
from sim.models.estimation.params import EstimationParams
from sim.networks import build as build_network
from sim.networks import empty as empty_network

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


@njit(cache=True, nogil=True)
def average_round(x, w, influence, information, signal, log_space, epsilon, indptr, indices,
                  reach_all, n_influencers, x_next):
    """One synchronous round: every agent revises towards what it saw of the previous one."""
    n = x.shape[0]
    y = to_space_array(x, log_space)
    totals, sorted_board = board_totals(x, influence, signal)
    for i in range(n):
        y_s, found = agent_signal(i, information, signal, log_space, epsilon, x, y, influence,
                                  totals, sorted_board, indices[indptr[i]:indptr[i + 1]],
                                  reach_all, n_influencers, n)
        x_next[i] = revised_estimate(x[i], y[i], y_s, found, w[i], log_space)


@njit(cache=True, nogil=True, parallel=True)
def neighbour_average_round(x, w, influence, log_space, indptr, indices, x_next):
    """Fast path of :func:`average_round` for the neighbours' mean without a confidence
    bound or influencer reach: the same additions in the same order, in parallel over
    agents (each reads only the previous round)."""
    n = x.shape[0]
    y = to_space_array(x, log_space)
    for i in prange(n):
        total = 0.0
        weight_sum = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            total += influence[j] * y[j]
            weight_sum += influence[j]
        if weight_sum > 0.0:
            x_next[i] = revised_estimate(x[i], y[i], total / weight_sum, True, w[i], log_space)
        else:
            x_next[i] = x[i]


@njit(cache=True, nogil=True)
def sequential_round(x, w, influence, information, signal, log_space, epsilon, indptr,
                     indices, reach_all, n_influencers):
    """Agents answer in index order, each seeing the answers given before it (in place)."""
    n = x.shape[0]
    y = to_space_array(x, log_space)
    totals = np.zeros(3)
    for i in range(n):
        y_s, found = agent_signal(i, information, signal, log_space, epsilon, x, y, influence,
                                  totals, x[:0], indices[indptr[i]:indptr[i + 1]],
                                  reach_all, n_influencers, i)
        x[i] = revised_estimate(x[i], y[i], y_s, found, w[i], log_space)
        y[i] = to_space(x[i], log_space)


@njit(cache=True, nogil=True)
def deffuant_round(rng, x, w, information, log_space, epsilon, indptr, indices):
    """n/2 random pairwise meetings, one after the other (in place)."""
    n = x.shape[0]
    for _ in range(n // 2):
        i, j = draw_pair(rng, n, information, indptr, indices)
        if i < 0:
            return
        x[i], x[j] = meet(x[i], x[j], w[i], w[j], log_space, epsilon)


@njit(cache=True, nogil=True)
def evolve(rng, x, truth, biased_influencers, influencer_estimate, n_influencers,
           influencer_weight, weight_mode, social_weight, weight_spread, stubborn_share, rounds, rule, information, signal,
           log_space, epsilon, indptr, indices, reach_all, record_rounds, record_out,
           weights_out):
    """Rounds of social influence on a crowd's private estimates ``x`` (in place).

    Draw order after the private beliefs: the social weights (see
    :func:`sim.influence.social_weights`), then the Deffuant pairs round by round.
    ``record_rounds`` (ascending) says which rounds (0 = private estimates) are copied into
    ``record_out``.
    """
    n = x.shape[0]
    if biased_influencers:
        for i in range(min(n_influencers, n)):
            x[i] = influencer_estimate
    initial_errors = np.abs(x - truth)
    social_weights(rng, weight_mode, social_weight, weight_spread, stubborn_share,
                   initial_errors, weights_out)
    influence = np.ones(n)
    for i in range(min(n_influencers, n)):
        influence[i] = influencer_weight
        if biased_influencers:
            weights_out[i] = 0.0  # a biased influencer keeps advocating its value
    slot = 0
    if slot < record_rounds.shape[0] and record_rounds[slot] == 0:
        record_out[slot, :] = x
        slot += 1
    x_next = np.empty_like(x)
    for r in range(1, rounds + 1):
        if rule == RULE_AVERAGE:
            if information == NEIGHBOURS and epsilon < 0.0 and not reach_all:
                neighbour_average_round(x, weights_out, influence, log_space, indptr, indices,
                                        x_next)
            else:
                average_round(x, weights_out, influence, information, signal, log_space,
                              epsilon, indptr, indices, reach_all, n_influencers, x_next)
            x[:] = x_next
        elif rule == RULE_DEFFUANT:
            deffuant_round(rng, x, weights_out, information, log_space, epsilon, indptr,
                           indices)
        else:
            sequential_round(x, weights_out, influence, information, signal, log_space,
                             epsilon, indptr, indices, reach_all, n_influencers)
        if slot < record_rounds.shape[0] and record_rounds[slot] == r:
            record_out[slot, :] = x
            slot += 1


@dataclass(frozen=True)
class CrowdBatch:
    """Estimates of many independent crowds, round by round.

    Attributes:
        trajectory: array (replicates, recorded rounds, n_agents).
        rounds: the recorded round numbers (0 = the private estimates).
        noise_multipliers: array (replicates, n_agents), each agent's expertise multiplier.
        social_weights: array (replicates, n_agents), each agent's social weight.
        seeds: array (replicates,), the integer seed of each replicate.
    """

    trajectory: np.ndarray
    rounds: np.ndarray
    noise_multipliers: np.ndarray
    social_weights: np.ndarray
    seeds: np.ndarray

    @property
    def estimates(self) -> np.ndarray:
        """Estimates in the last recorded round, array (replicates, n_agents)."""
        return self.trajectory[:, -1, :]

    @property
    def private_estimates(self) -> np.ndarray:
        """Estimates before any influence (round 0), if recorded."""
        if self.rounds[0] != 0:
            raise ValueError("round 0 was not recorded")
        return self.trajectory[:, 0, :]

    @property
    def precision_weights(self) -> np.ndarray:
        """Weights for a precision-weighted mean, ``1 / multiplier**2``."""
        return 1.0 / self.noise_multipliers**2


def _record_rounds(params: EstimationParams, record_rounds) -> np.ndarray:
    if record_rounds is None:
        return np.arange(params.rounds + 1, dtype=np.int64)
    rounds = np.unique(np.asarray(record_rounds, dtype=np.int64))
    if rounds.size == 0 or rounds[0] < 0 or rounds[-1] > params.rounds:
        raise ValueError(f"record_rounds must lie in 0..{params.rounds}")
    return rounds


def run_replicate(params: EstimationParams, seed: int, record_rounds: np.ndarray,
                  trajectory_out: np.ndarray, multipliers_out: np.ndarray,
                  weights_out: np.ndarray) -> None:
    """One crowd from its seed: network, private beliefs, rounds of influence.

    Draw order (shared with :class:`~sim.models.estimation.model.CrowdEstimation`): the
    network (one integer, random topologies only), the group common errors, each agent's
    expertise and error, the social weights, then the Deffuant pairs.
    """
    rng = np.random.default_rng(int(seed))
    graph = build_network(params.network, params.n_agents, rng) or empty_network(params.n_agents)
    x = np.empty(params.n_agents)
    draw_crowd(rng, params.family_code, params.centre, params.scale_below, params.scale_above,
               params.expertise_spread, params.correlation, params.n_groups, x,
               multipliers_out)
    c = params.influence_codes
    evolve(rng, x, params.truth, c["biased_influencers"], c["influencer_estimate"],
           params.n_influencers, params.influencer_weight, c["weight_mode"],
           params.social_weight, params.weight_spread, params.stubborn_share, params.rounds,
           c["rule"], c["information"], c["signal"], c["log_space"], c["epsilon"],
           graph.indptr, graph.indices, c["reach_all"], record_rounds, trajectory_out,
           weights_out)


def simulate_crowds(params: EstimationParams, seeds, n_threads: int = 1,
                    record_rounds=None) -> CrowdBatch:
    """Simulate one crowd per seed: private estimates, then ``params.rounds`` of influence.

    Parameters
    ----------
    params : EstimationParams
        The crowd (validated parameters).
    seeds : array_like of int
        One integer seed per replicate (see :func:`sim.seeding.replicate_seeds`).
    n_threads : int, default 1
        Threads running replicates concurrently (the kernels release the GIL). The result
        does not depend on it.
    record_rounds : array_like of int, optional
        Rounds to keep (0 = private estimates); default all. Keep only the last round for
        very large crowds.

    Returns
    -------
    CrowdBatch

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> batch = simulate_crowds(EstimationParams(n_agents=10), replicate_seeds(1, 3))
    >>> batch.estimates.shape
    (3, 10)
    >>> p = EstimationParams(n_agents=10, rounds=2, information="aggregate")
    >>> simulate_crowds(p, [7]).trajectory.shape
    (1, 3, 10)
    """
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    rounds = _record_rounds(params, record_rounds)
    n_replicates, n_agents = seeds.shape[0], params.n_agents
    trajectory = np.empty((n_replicates, rounds.shape[0], n_agents))
    multipliers = np.empty((n_replicates, n_agents))
    weights = np.empty((n_replicates, n_agents))

    def run(rows: range) -> None:
        for r in rows:
            run_replicate(params, seeds[r], rounds, trajectory[r], multipliers[r], weights[r])

    if n_threads == 1 or n_replicates < 2:
        run(range(n_replicates))
    else:
        bounds = np.linspace(0, n_replicates, n_threads + 1).astype(int)
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))
    return CrowdBatch(trajectory=trajectory, rounds=rounds, noise_multipliers=multipliers,
                      social_weights=weights, seeds=seeds)

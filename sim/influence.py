"""Social influence: what an agent sees of the others, and how it revises its estimate.

The rules, shared by the Mesa agents and the numba kernel (both call these compiled
functions, so both do the same arithmetic in the same order):

Revision (DeGroot 1974; Becker et al. 2017, PNAS 114:E5070, eq. 1)
    ``y_i <- (1 - w_i) y_i + w_i s_i`` with ``y = x`` (linear space) or ``y = ln x`` (log
    space, for log-normal estimates as in Lorenz et al. 2011). ``w_i`` is the agent's social
    weight; stubborn agents have ``w_i = 0``.
What an agent sees (the signal ``s_i``)
    ``aggregate``: an aggregate (mean, median or geometric mean) of all *others'* previous
    estimates, as on the screen of Lorenz et al.'s (2011) aggregated condition;
    ``full``: every other estimate; the signal is their (influence-weighted) mean in revision
    space;
    ``neighbours``: the (influence-weighted) mean of the agent's network neighbours' estimates
    (Becker et al. 2017).
Bounded confidence (Hegselmann & Krause 2002, JASSS 5(3); Deffuant et al. 2000, ACS 3:87)
    With a confidence bound ``epsilon`` only estimates within ``epsilon`` of the agent's own
    (in revision space) count; an agent who sees none keeps its estimate. The Deffuant variant
    revises in random pairwise meetings instead of synchronous rounds.
Influencers
    The first ``n_influencers`` agents (on a star network: the hub) weigh
    ``influencer_weight`` times as much in every mean they enter; with reach ``all`` every
    agent sees them besides its neighbours; a biased influencer announces
    ``truth * (1 + influencer_bias)`` and never moves.
Sequential answering (herding; Bikhchandani et al. 1992, in continuous form)
    Agents answer one after the other in index order, each revising towards what the earlier
    ones answered.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["INFORMATION", "SIGNALS", "RULES", "to_space", "from_space", "revise",
           "weighted_total", "others_aggregate", "bounded_mean", "social_weights"]

INFORMATION = ("none", "aggregate", "full", "neighbours")
SIGNALS = ("mean", "median", "geometric_mean")
RULES = ("average", "deffuant", "sequential")

NO_INFO, AGGREGATE, FULL, NEIGHBOURS = range(4)
SIGNAL_MEAN, SIGNAL_MEDIAN, SIGNAL_GEOMETRIC = range(3)
RULE_AVERAGE, RULE_DEFFUANT, RULE_SEQUENTIAL = range(3)
WEIGHT_CONSTANT, WEIGHT_RANDOM, WEIGHT_ACCURACY = range(3)


@njit(cache=True, nogil=True, inline="always")
def to_space(x, log_space):
    """An estimate in revision space."""
    return math.log(x) if log_space else x


@njit(cache=True, nogil=True, inline="always")
def from_space(y, log_space):
    """Back from revision space to an estimate."""
    return math.exp(y) if log_space else y


@njit(cache=True, nogil=True, inline="always")
def revise(own, signal, weight):
    """The revision rule in revision space: a weighted average of own estimate and signal."""
    return (1.0 - weight) * own + weight * signal


@njit(cache=True, nogil=True)
def weighted_total(values, weights, transform_log):
    """(sum of w_j * v_j, sum of w_j) in index order; ``v`` is ln x when ``transform_log``."""
    total = 0.0
    weight_sum = 0.0
    for j in range(values.shape[0]):
        v = math.log(values[j]) if transform_log else values[j]
        total += weights[j] * v
        weight_sum += weights[j]
    return total, weight_sum


@njit(cache=True, nogil=True)
def others_aggregate(signal, own, own_weight, total, weight_sum, log_total, sorted_values):
    """The aggregate of all *other* agents' estimates (linear units).

    ``total``/``weight_sum`` are :func:`weighted_total` of all estimates, ``log_total`` the
    same over ln x (geometric mean), ``sorted_values`` all estimates sorted (median). The
    median of the others is read off the sorted array without the agent's own estimate.
    """
    others = weight_sum - own_weight
    if signal == SIGNAL_MEAN:
        return (total - own_weight * own) / others
    if signal == SIGNAL_GEOMETRIC:
        return math.exp((log_total - own_weight * math.log(own)) / others)
    n = sorted_values.shape[0]
    # rank of one copy of `own` in the sorted array: removing it leaves the others sorted
    rank = np.searchsorted(sorted_values, own)
    m = n - 1
    if m % 2 == 1:
        k = m // 2
        return sorted_values[k + 1] if k >= rank else sorted_values[k]
    lo_k = m // 2 - 1
    hi_k = m // 2
    lo = sorted_values[lo_k + 1] if lo_k >= rank else sorted_values[lo_k]
    hi = sorted_values[hi_k + 1] if hi_k >= rank else sorted_values[hi_k]
    return 0.5 * (lo + hi)


@njit(cache=True, nogil=True)
def bounded_mean(own_y, seen_y, seen_weights, count, epsilon):
    """Influence-weighted mean of the first ``count`` seen values (revision space) within
    ``epsilon`` of ``own_y`` (``epsilon < 0``: no bound). Returns (mean, found)."""
    total = 0.0
    weight_sum = 0.0
    for j in range(count):
        if epsilon < 0.0 or abs(seen_y[j] - own_y) <= epsilon:
            total += seen_weights[j] * seen_y[j]
            weight_sum += seen_weights[j]
    if weight_sum > 0.0:
        return total / weight_sum, True
    return own_y, False


@njit(cache=True, nogil=True)
def social_weights(rng, mode, base, spread, stubborn_share, initial_errors, out_weights):
    """Each agent's social weight; draws (in agent order) a uniform for ``random`` weights,
    then a uniform for stubbornness when ``stubborn_share > 0``.

    ``constant``: ``w_i = base``. ``random`` (susceptibility): uniform on
    ``[base - spread, base + spread]`` clipped to [0, 1]. ``accuracy`` (Becker et al. 2017:
    agents further from the truth revise more): ``w_i = base * (1 + spread * (2 q_i - 1))``
    clipped to [0, 1], with ``q_i`` the agent's rank of initial absolute error scaled to
    [0, 1] (0 the most accurate). Stubborn agents get 0.
    """
    n = out_weights.shape[0]
    if mode == WEIGHT_ACCURACY:
        order = np.argsort(initial_errors, kind="mergesort")
        ranks = np.empty(n)
        for r in range(n):
            ranks[order[r]] = r / (n - 1) if n > 1 else 0.5
    for i in range(n):
        if mode == WEIGHT_RANDOM:
            w = base + spread * (2.0 * rng.random() - 1.0)
        elif mode == WEIGHT_ACCURACY:
            w = base * (1.0 + spread * (2.0 * ranks[i] - 1.0))
        else:
            w = base
        w = min(max(w, 0.0), 1.0)
        if stubborn_share > 0.0 and rng.random() < stubborn_share:
            w = 0.0
        out_weights[i] = w


@njit(cache=True, nogil=True)
def accumulate(own_y, own_index, ids, y_all, weights, epsilon, total, weight_sum):
    """Add the seen values ``y_all[ids]`` (skipping the agent itself, and values further than
    ``epsilon`` when ``epsilon >= 0``) to a running weighted sum."""
    for t in range(ids.shape[0]):
        j = ids[t]
        if j == own_index:
            continue
        if epsilon < 0.0 or abs(y_all[j] - own_y) <= epsilon:
            total += weights[j] * y_all[j]
            weight_sum += weights[j]
    return total, weight_sum


@njit(cache=True, nogil=True)
def accumulate_range(own_y, own_index, stop, y_all, weights, epsilon, total, weight_sum):
    """As :func:`accumulate` over agents ``0 .. stop - 1``."""
    for j in range(stop):
        if j == own_index:
            continue
        if epsilon < 0.0 or abs(y_all[j] - own_y) <= epsilon:
            total += weights[j] * y_all[j]
            weight_sum += weights[j]
    return total, weight_sum


@njit(cache=True, nogil=True)
def accumulate_influencers(own_y, own_index, stop, neighbour_ids, y_all, weights, epsilon,
                           total, weight_sum):
    """Influencers ``0 .. stop - 1`` seen by everyone (reach ``all``), unless already a
    neighbour (``neighbour_ids`` sorted) or the agent itself."""
    for j in range(stop):
        if j == own_index:
            continue
        position = np.searchsorted(neighbour_ids, j)
        if position < neighbour_ids.shape[0] and neighbour_ids[position] == j:
            continue
        if epsilon < 0.0 or abs(y_all[j] - own_y) <= epsilon:
            total += weights[j] * y_all[j]
            weight_sum += weights[j]
    return total, weight_sum


@njit(cache=True, nogil=True)
def prefix_aggregate(signal, values, weights, stop):
    """Aggregate (linear units) of the first ``stop`` answers: sequential answering."""
    if signal == SIGNAL_MEDIAN:
        return np.median(values[:stop])
    total, weight_sum = weighted_total(values[:stop], weights[:stop],
                                       signal == SIGNAL_GEOMETRIC)
    if signal == SIGNAL_GEOMETRIC:
        return math.exp(total / weight_sum)
    return total / weight_sum


@njit(cache=True, nogil=True)
def agent_signal(i, information, signal, log_space, epsilon, x_board, y_board, weights,
                 totals, sorted_board, neighbours, reach_all, n_influencers, stop):
    """What agent ``i`` sees, in revision space: (signal, found).

    ``x_board``/``y_board`` hold the estimates the agent can see (linear / revision space),
    ``weights`` the influence weights, ``neighbours`` the agent's neighbours (sorted ids). In
    a synchronous round everyone sees the previous round (``stop = n``); in sequential
    answering only the ``stop = i`` earlier answers. ``totals`` = (sum w x, sum w,
    sum w ln x) of the board for the aggregate condition.
    """
    own_y = y_board[i]
    if information == AGGREGATE:
        if stop == x_board.shape[0]:  # synchronous: the others' aggregate
            if weights.shape[0] < 2:
                return own_y, False
            s = others_aggregate(signal, x_board[i], weights[i], totals[0], totals[1],
                                 totals[2], sorted_board)
        else:
            if stop == 0:
                return own_y, False
            s = prefix_aggregate(signal, x_board, weights, stop)
        y_s = to_space(s, log_space)
        if epsilon >= 0.0 and abs(y_s - own_y) > epsilon:
            return own_y, False
        return y_s, True
    total = 0.0
    weight_sum = 0.0
    if information == FULL:
        total, weight_sum = accumulate_range(own_y, i, stop, y_board, weights, epsilon,
                                             total, weight_sum)
    elif information == NEIGHBOURS:
        answered = neighbours
        if stop < x_board.shape[0]:
            # sequential answering: only neighbours who have already answered
            answered = neighbours[:np.searchsorted(neighbours, stop)]
        total, weight_sum = accumulate(own_y, i, answered, y_board, weights, epsilon,
                                       total, weight_sum)
        if reach_all:
            total, weight_sum = accumulate_influencers(
                own_y, i, min(n_influencers, stop), neighbours, y_board, weights, epsilon,
                total, weight_sum)
    if weight_sum > 0.0:
        return total / weight_sum, True
    return own_y, False


@njit(cache=True, nogil=True)
def board_totals(x_board, weights, signal):
    """(sum w x, sum w, sum w ln x) of the board, and the sorted board for a median signal."""
    total, weight_sum = weighted_total(x_board, weights, False)
    log_total = 0.0
    if signal == SIGNAL_GEOMETRIC:
        log_total, _ = weighted_total(x_board, weights, True)
    sorted_board = np.sort(x_board) if signal == SIGNAL_MEDIAN else x_board[:0]
    return np.array([total, weight_sum, log_total]), sorted_board


@njit(cache=True, nogil=True)
def to_space_array(x, log_space):
    """Revision-space copy of an array of estimates."""
    y = np.empty_like(x)
    for j in range(x.shape[0]):
        y[j] = to_space(x[j], log_space)
    return y


@njit(cache=True, nogil=True)
def revised_estimate(x_own, y_own, y_signal, found, weight, log_space):
    """The new estimate: unchanged (bit for bit) when nothing is seen or the weight is 0."""
    if not found or weight == 0.0:
        return x_own
    return from_space(revise(y_own, y_signal, weight), log_space)


@njit(cache=True, nogil=True)
def draw_pair(rng, n_agents, information, indptr, indices):
    """Who meets whom in a Deffuant step: a random edge of the network (``neighbours``), else
    two distinct random agents. Returns (-1, -1) when nobody can meet."""
    if information == NEIGHBOURS:
        n_links = indices.shape[0]
        if n_links == 0:
            return -1, -1
        e = int(rng.random() * n_links)
        i = np.searchsorted(indptr, e, side="right") - 1
        return i, indices[e]
    if n_agents < 2:
        return -1, -1
    i = int(rng.random() * n_agents)
    j = int(rng.random() * (n_agents - 1))
    if j >= i:
        j += 1
    return i, j


@njit(cache=True, nogil=True)
def meet(x_i, x_j, w_i, w_j, log_space, epsilon):
    """A Deffuant meeting: both move towards each other if within the confidence bound."""
    y_i = to_space(x_i, log_space)
    y_j = to_space(x_j, log_space)
    if epsilon >= 0.0 and abs(y_i - y_j) > epsilon:
        return x_i, x_j
    return (revised_estimate(x_i, y_i, y_j, True, w_i, log_space),
            revised_estimate(x_j, y_j, y_i, True, w_j, log_space))

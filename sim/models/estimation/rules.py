"""Social influence in the estimation model: what an agent sees of the others, and how it
revises its estimate.

The rules, shared by the Mesa agents (:class:`~sim.models.estimation.agents.Estimator`) and
the numba kernel (:mod:`sim.models.estimation.kernel`): both call these compiled functions, so
both do the same arithmetic in the same order. The kernel's fast paths for large crowds
(blocked sums under full information, the neighbours' mean without a bound, running sums when
answering in turn) call the same small functions as the agents - :func:`within_confidence`,
:func:`add_seen`, :func:`mean_seen`, :func:`revised_estimate` - which the compiler inlines
into their loops. The kernel's general path
(any of the options of :func:`revise_agent` away from its default) calls the per-agent
functions. After editing this file run ``make clean-cache``: numba's cache of the
kernel does not notice changes in the functions it calls from here.

Revision (DeGroot 1974, JASA 69:118; Becker, Brackbill & Centola 2017, PNAS 114:E5070, eq. 1)
    ``y_i <- (1 - w_i) y_i + w_i s_i`` with ``y = x`` (linear space) or ``y = ln x`` (log
    space, for log-normal estimates as in Lorenz et al. 2011, PNAS 108:9020). ``w_i`` is the
    agent's social weight; stubborn agents have ``w_i = 0``.
What an agent sees (the signal ``s_i``)
    ``aggregate``: an aggregate (mean, median or geometric mean) of all *others'* previous
    estimates, as on the screen of Lorenz et al.'s (2011) aggregated condition;
    ``full``: every other estimate; the signal is their (influence-weighted) mean in revision
    space;
    ``neighbours``: the (influence-weighted) mean of the agent's network neighbours' estimates
    (Becker et al. 2017).
Signal space (``full`` and ``neighbours``; :func:`shown_signal`)
    ``revision`` (the default): the signal is the influence-weighted mean of the seen
    estimates in revision space (``ln x`` in log space: their weighted geometric mean).
    ``shown``: the signal is the aggregate named by ``signal`` (mean, median or geometric
    mean) of the seen answers as plain numbers, as an experimenter's screen shows them
    (Becker et al. 2017 showed each person the arithmetic mean of their network neighbours'
    answers), then taken into revision space as under ``aggregate``. The same answers count
    (within a confidence bound in revision space; influencers reached by all included); the
    mean and geometric mean are influence-weighted, the median unweighted (as under
    ``aggregate``, :func:`prefix_aggregate`). In linear space the shown mean equals the
    revision-space mean; in log space it is the arithmetic mean, never below the geometric
    one, so it pulls estimates up.
Bounded confidence (Hegselmann & Krause 2002, JASSS 5(3); Deffuant et al. 2000, ACS 3:87)
    With a confidence bound ``epsilon`` only estimates within ``epsilon`` of the agent's own
    (in revision space) count; an agent who sees none keeps its estimate. The Deffuant variant
    revises in random pairwise meetings instead of synchronous rounds.
Social weights
    ``constant``: everyone ``social_weight``; ``random`` (susceptibility): uniform around it;
    ``beta``: drawn per agent from a beta distribution with mean ``social_weight`` (weights
    of advice differ widely between people: Soll & Larrick 2009, JEP:LMC 35:780);
    ``accuracy``: larger for agents further from the truth in revision space (Becker et al.
    2017); a share of stubborn agents never moves.
The effective weight in a round (:func:`effective_weight`, :func:`revise_agent`)
    ``w = w_i * f_r * d * a`` clipped to [0, 1], then ``y' = (1 - w) y + w s``, then
    anchoring. ``f_r = later_weight_factor`` in rounds r >= 2, else 1 (the first revision
    weighs most: Lorenz et al. 2011's data; Mavrodiev, Tessone & Schweitzer 2013, Sci. Rep.
    3:1360); ``d = 1 - exp(-|s - y| / distance_scale)`` (revision grows with the distance to
    the signal: Moussaid et al. 2013, PLoS ONE 8:e78433; Becker et al. 2017); ``a = 1 +
    asymmetry`` when ``s > y``, ``1 - asymmetry`` when ``s < y`` (Jayles et al. 2017, PNAS
    114:12620). Anchoring on the own first answer ``y0`` (Friedkin & Johnsen 1990, J. Math.
    Sociol. 15:193): ``y'' = (1 - anchoring) y' + anchoring y0``. With the defaults
    (factor 1, no distance scale, no asymmetry, no anchoring) the result is bit for bit
    :func:`revised_estimate`'s.
Drift without social information (:func:`drift_agent`)
    Under ``information="none"`` each round every agent answers afresh around its first
    answer moved towards the truth, ``y <- y_1 + drift (t - y_1) + drift_noise z`` (``t`` the
    truth in revision space, ``z`` a standard normal drawn only when ``drift_noise > 0``, one
    per agent in index order; rounds do not compound), then anchoring: second estimates
    differ from the first and are a little better on average (Vul & Pashler 2008,
    Psych. Sci. 19:645; Herzog & Hertwig 2009, Psych. Sci. 20:231). Biased influencers draw
    but do not move.
Influencers
    The first ``n_influencers`` agents (on a star network: the hub) weigh
    ``influencer_weight`` times as much in every mean they enter; with reach ``all`` every
    agent sees them besides its neighbours; a biased influencer announces
    ``truth * (1 + influencer_bias)`` and never moves.
Sequential answering (herding; Bikhchandani, Hirshleifer & Welch 1992, in continuous form)
    Agents answer one after the other in index order, each revising towards what the earlier
    ones answered.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["INFORMATION", "SIGNALS", "SIGNAL_SPACES", "RULES", "WEIGHT_MODES", "REVISION_SPACES",
           "INFLUENCER_REACH", "to_space", "from_space", "to_space_array", "within_confidence",
           "add_seen", "mean_seen", "revise", "revised_estimate", "revised_from_sums",
           "weighted_total", "others_aggregate", "prefix_aggregate", "board_totals",
           "add_if_seen", "accumulate", "accumulate_range", "accumulate_influencers",
           "agent_signal", "aggregate_signal", "sees", "seen_ids", "shown_signal",
           "effective_weight", "revise_agent", "general_revision", "drift_agent",
           "accuracy_errors",
           "draw_social_weights", "draw_pair", "meet"]

#: What an agent sees of the others (the names the parameters take; their index is the code).
INFORMATION = ("none", "aggregate", "full", "neighbours")
#: The aggregate shown under ``information="aggregate"`` (and under ``full``/``neighbours``
#: with ``signal_space="shown"``).
SIGNALS = ("mean", "median", "geometric_mean")
#: Where the signal under ``full``/``neighbours`` is formed: the weighted mean in revision
#: space, or the ``signal`` aggregate of the answers as shown (see :func:`shown_signal`).
SIGNAL_SPACES = ("revision", "shown")
#: How the crowd revises: synchronous rounds, pairwise meetings, answering in turn.
RULES = ("average", "deffuant", "sequential")
#: How the social weights are drawn (see :func:`draw_social_weights`).
WEIGHT_MODES = ("constant", "random", "accuracy", "beta")
#: Where estimates are averaged: ``x`` or ``ln x``.
REVISION_SPACES = ("linear", "log")
#: Whom the influencers reach: their network neighbours, or everyone.
INFLUENCER_REACH = ("network", "all")

# the codes, in the order of the names above (an unpacking fails if a name has no code)
NO_INFO, AGGREGATE, FULL, NEIGHBOURS = range(len(INFORMATION))
SIGNAL_MEAN, SIGNAL_MEDIAN, SIGNAL_GEOMETRIC = range(len(SIGNALS))
SIGNAL_SPACE_REVISION, SIGNAL_SPACE_SHOWN = range(len(SIGNAL_SPACES))
RULE_AVERAGE, RULE_DEFFUANT, RULE_SEQUENTIAL = range(len(RULES))
WEIGHT_CONSTANT, WEIGHT_RANDOM, WEIGHT_ACCURACY, WEIGHT_BETA = range(len(WEIGHT_MODES))


# -- the revision rule ------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def to_space(x, log_space):
    """An estimate in revision space (``ln x`` in log space)."""
    return math.log(x) if log_space else x


@njit(cache=True, nogil=True, inline="always")
def from_space(y, log_space):
    """Back from revision space to an estimate."""
    return math.exp(y) if log_space else y


@njit(cache=True, nogil=True)
def to_space_array(x, log_space):
    """Revision-space copy of an array of estimates."""
    y = np.empty_like(x)
    for j in range(x.shape[0]):
        y[j] = to_space(x[j], log_space)
    return y


@njit(cache=True, nogil=True, inline="always")
def within_confidence(own_y, other_y, epsilon):
    """Bounded confidence: whether an agent at ``own_y`` takes ``other_y`` into account,
    ``|other_y - own_y| <= epsilon`` (revision space); ``epsilon < 0`` means no bound.

    >>> within_confidence(1.0, 1.5, 0.5), within_confidence(1.0, 1.6, 0.5)
    (True, False)
    >>> within_confidence(1.0, 99.0, -1.0)
    True
    """
    return epsilon < 0.0 or abs(other_y - own_y) <= epsilon


@njit(cache=True, nogil=True, inline="always")
def add_seen(total, weight_sum, other_y, influence, seen):
    """An agent's running sums ``(sum influence * y, sum influence)`` after one more
    estimate, which counts only if ``seen``.

    An estimate not seen adds +0.0, which changes no bit: the sums start at +0.0 and are
    never -0.0 (in round-to-nearest only -0.0 + -0.0 gives -0.0), and ``s + 0.0 == s`` for
    any other ``s``. Adding instead of branching lets the compiler vectorise the loops.

    >>> add_seen(1.0, 1.0, 3.0, 2.0, True), add_seen(1.0, 1.0, 3.0, 2.0, False)
    ((7.0, 3.0), (1.0, 1.0))
    """
    return (total + (influence * other_y if seen else 0.0),
            weight_sum + (influence if seen else 0.0))


@njit(cache=True, nogil=True, inline="always")
def mean_seen(own_y, total, weight_sum):
    """The signal an agent takes from its sums: ``(their weighted mean, True)``, or
    ``(own_y, False)`` when it saw nobody.

    >>> mean_seen(5.0, 7.0, 2.0), mean_seen(5.0, 0.0, 0.0)
    ((3.5, True), (5.0, False))
    """
    if weight_sum > 0.0:
        return total / weight_sum, True
    return own_y, False


@njit(cache=True, nogil=True, inline="always")
def revise(own, signal, social_weight):
    """The revision rule in revision space: a weighted average of own estimate and signal
    (DeGroot 1974; Becker et al. 2017, eq. 1).

    >>> revise(10.0, 20.0, 0.25)
    12.5
    """
    return (1.0 - social_weight) * own + social_weight * signal


@njit(cache=True, nogil=True)
def revised_estimate(x_own, y_own, y_signal, found, social_weight, log_space):
    """An agent's new estimate: :func:`revise` towards the signal, back from revision
    space; unchanged (bit for bit) when nothing is seen or the social weight is 0.

    >>> revised_estimate(10.0, 10.0, 20.0, True, 0.25, False)
    12.5
    >>> revised_estimate(10.0, 10.0, 20.0, False, 0.25, False)
    10.0
    """
    if not found or social_weight == 0.0:
        return x_own
    return from_space(revise(y_own, y_signal, social_weight), log_space)


@njit(cache=True, nogil=True)
def revised_from_sums(x_own, y_own, total, weight_sum, social_weight, log_space):
    """:func:`revised_estimate` towards the weighted mean of an agent's sums (see
    :func:`mean_seen`); unchanged when it saw nobody.

    >>> revised_from_sums(10.0, 10.0, 40.0, 2.0, 0.25, False)
    12.5
    """
    if weight_sum > 0.0:
        return revised_estimate(x_own, y_own, total / weight_sum, True, social_weight,
                                log_space)
    return x_own


@njit(cache=True, nogil=True, inline="always")
def general_revision(later_weight_factor, anchoring, distance_scale, asymmetry):
    """Whether any option of :func:`effective_weight` or anchoring departs from its default
    (then the kernel takes its general per-agent path instead of the fast paths).

    >>> general_revision(1.0, 0.0, -1.0, 0.0), general_revision(1.0, 0.5, -1.0, 0.0)
    (False, True)
    """
    return (later_weight_factor != 1.0 or anchoring > 0.0 or distance_scale > 0.0
            or asymmetry != 0.0)


@njit(cache=True, nogil=True, inline="always")
def effective_weight(social_weight, later, own_y, signal_y, later_weight_factor,
                     distance_scale, asymmetry):
    """An agent's weight in one round: ``w_i`` times ``later_weight_factor`` (rounds
    r >= 2: ``later``), times ``1 - exp(-|s - y| / distance_scale)`` (``distance_scale > 0``),
    times ``1 + asymmetry`` (signal above, ``s > y``) or ``1 - asymmetry`` (below), clipped
    to [0, 1]. Each factor is applied only when its option is active.

    >>> effective_weight(0.5, True, 0.0, 1.0, 0.5, -1.0, 0.0)
    0.25
    >>> effective_weight(0.5, False, 0.0, 1.0, 0.5, -1.0, 0.5), effective_weight(
    ...     0.5, False, 1.0, 0.0, 0.5, -1.0, 0.5)
    (0.75, 0.25)
    """
    w = social_weight
    if later and later_weight_factor != 1.0:
        w = w * later_weight_factor
    if distance_scale > 0.0:
        w = w * (1.0 - math.exp(-abs(signal_y - own_y) / distance_scale))
    if asymmetry != 0.0:
        if signal_y > own_y:
            w = w * (1.0 + asymmetry)
        elif signal_y < own_y:
            w = w * (1.0 - asymmetry)
    return min(max(w, 0.0), 1.0)


@njit(cache=True, nogil=True)
def revise_agent(x_own, y_own, y_signal, found, social_weight, later, x_first,
                 later_weight_factor, distance_scale, asymmetry, anchoring, log_space):
    """An agent's new estimate in a round of social revision, the one rule both engines
    call: :func:`effective_weight`, :func:`revise` towards the signal, then anchoring on the
    agent's first answer ``x_first`` (``y'' = (1 - a) y' + a y0``, ``y0`` = ``x_first`` in
    revision space). Unchanged (bit for bit) when nothing is seen, or when the weight is 0
    without anchoring; with the default options equal to :func:`revised_estimate`.

    >>> revise_agent(10.0, 10.0, 20.0, True, 0.5, False, 10.0, 1.0, -1.0, 0.0, 0.0, False)
    15.0
    >>> revise_agent(10.0, 10.0, 20.0, True, 0.5, False, 8.0, 1.0, -1.0, 0.0, 0.5, False)
    11.5
    >>> revise_agent(10.0, 10.0, 20.0, False, 0.5, False, 8.0, 1.0, -1.0, 0.0, 0.5, False)
    10.0
    """
    if not found:
        return x_own
    w = effective_weight(social_weight, later, y_own, y_signal, later_weight_factor,
                         distance_scale, asymmetry)
    if anchoring > 0.0:
        y = revise(y_own, y_signal, w)
        return from_space(revise(y, to_space(x_first, log_space), anchoring), log_space)
    if w == 0.0:
        return x_own
    return from_space(revise(y_own, y_signal, w), log_space)


@njit(cache=True, nogil=True)
def drift_agent(rng, x_own, x_first, truth, drift, drift_noise, anchoring, log_space, moves):
    """One agent's round without social information (``information="none"``): a fresh answer
    around the agent's first one moved a share ``drift`` towards the truth, in revision space
    ``y <- y_first + drift (truth_y - y_first) + drift_noise * z`` with ``z`` a standard
    normal drawn from ``rng`` (only when ``drift_noise > 0``). Every round answers afresh
    around the same point, so repeated rounds do not compound: second and later guesses of
    one person are new draws from the same inner distribution, a little more accurate on
    average (Vul & Pashler 2008; Herzog & Hertwig 2009). Then anchoring on ``x_first``
    (which pulls the fresh noise back). An agent that does not ``move`` (a biased
    influencer) draws all the same and keeps its estimate. ``x_own`` is its current
    estimate.

    >>> drift_agent(np.random.default_rng(1), 10.0, 10.0, 20.0, 0.25, 0.0, 0.0, False, True)
    12.5
    >>> drift_agent(np.random.default_rng(1), 12.5, 10.0, 20.0, 0.25, 0.0, 0.0, False, True)
    12.5
    >>> drift_agent(np.random.default_rng(1), 10.0, 10.0, 20.0, 1.0, 0.0, 0.0, False, True)
    20.0
    """
    y = revise(to_space(x_first, log_space), to_space(truth, log_space), drift)
    if drift_noise > 0.0:
        y = y + drift_noise * rng.standard_normal()
    if not moves:
        return x_own
    if anchoring > 0.0:
        y = revise(y, to_space(x_first, log_space), anchoring)
    return from_space(y, log_space)


@njit(cache=True, nogil=True)
def accuracy_errors(x, truth, log_space):
    """Each agent's distance to the truth in revision space, ``|y_i - truth_y|`` (the
    ranks of ``weight_mode="accuracy"``); in linear space bit for bit ``|x_i - truth|``.

    >>> accuracy_errors(np.array([5.0, 20.0]), 10.0, True).round(4).tolist()
    [0.6931, 0.6931]
    """
    truth_y = to_space(truth, log_space)
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = abs(to_space(x[i], log_space) - truth_y)
    return out


# -- what an agent sees -----------------------------------------------------------------------

@njit(cache=True, nogil=True)
def weighted_total(values, weights, transform_log):
    """(sum of w_j * v_j, sum of w_j) in index order; ``v`` is ln x when ``transform_log``.

    >>> weighted_total(np.array([1.0, 3.0]), np.array([1.0, 2.0]), False)
    (7.0, 3.0)
    """
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

    >>> board = np.array([1.0, 2.0, 4.0, 8.0])
    >>> others_aggregate(SIGNAL_MEDIAN, 2.0, 1.0, 15.0, 4.0, 0.0, board)
    4.0
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
def prefix_aggregate(signal, values, weights, stop):
    """Aggregate (linear units) of the first ``stop`` answers: sequential answering.

    >>> prefix_aggregate(SIGNAL_MEAN, np.array([1.0, 3.0, 9.0]), np.ones(3), 2)
    2.0
    """
    if signal == SIGNAL_MEDIAN:
        return np.median(values[:stop])
    total, weight_sum = weighted_total(values[:stop], weights[:stop],
                                       signal == SIGNAL_GEOMETRIC)
    if signal == SIGNAL_GEOMETRIC:
        return math.exp(total / weight_sum)
    return total / weight_sum


@njit(cache=True, nogil=True)
def board_totals(x_board, weights, signal):
    """(sum w x, sum w, sum w ln x) of the board, and the sorted board for a median signal.

    >>> totals, sorted_board = board_totals(np.array([2.0, 1.0]), np.ones(2), SIGNAL_MEDIAN)
    >>> totals.tolist(), sorted_board.tolist()
    ([3.0, 2.0, 0.0], [1.0, 2.0])
    """
    total, weight_sum = weighted_total(x_board, weights, False)
    log_total = 0.0
    if signal == SIGNAL_GEOMETRIC:
        log_total, _ = weighted_total(x_board, weights, True)
    sorted_board = np.sort(x_board) if signal == SIGNAL_MEDIAN else x_board[:0]
    return np.array([total, weight_sum, log_total]), sorted_board


@njit(cache=True, nogil=True, inline="always")
def sees(own_y, own_index, j, y_all, epsilon):
    """Whether the agent at ``own_y`` takes in agent ``j``'s answer: not itself, and within
    ``epsilon`` in revision space (when ``epsilon >= 0``): the one rule of what an agent
    takes in.

    >>> sees(1.0, 0, 1, np.array([1.0, 2.0]), 0.5), sees(1.0, 0, 0, np.array([1.0]), -1.0)
    (False, False)
    """
    return j != own_index and within_confidence(own_y, y_all[j], epsilon)


@njit(cache=True, nogil=True, inline="always")
def add_if_seen(own_y, own_index, j, y_all, weights, epsilon, total, weight_sum):
    """Add agent ``j``'s value to a running weighted sum, if the agent :func:`sees` it.

    >>> add_if_seen(1.0, 0, 1, np.array([1.0, 2.0]), np.ones(2), -1.0, 0.0, 0.0)
    (2.0, 1.0)
    """
    if sees(own_y, own_index, j, y_all, epsilon):
        return add_seen(total, weight_sum, y_all[j], weights[j], True)
    return total, weight_sum


@njit(cache=True, nogil=True)
def accumulate(own_y, own_index, ids, y_all, weights, epsilon, total, weight_sum):
    """Add the seen values ``y_all[ids]`` (skipping the agent itself, and values further than
    ``epsilon`` when ``epsilon >= 0``) to a running weighted sum.

    >>> accumulate(1.0, 0, np.array([0, 1, 2]), np.array([1.0, 2.0, 9.0]), np.ones(3), 2.0,
    ...            0.0, 0.0)
    (2.0, 1.0)
    """
    for t in range(ids.shape[0]):
        total, weight_sum = add_if_seen(own_y, own_index, ids[t], y_all, weights, epsilon,
                                        total, weight_sum)
    return total, weight_sum


@njit(cache=True, nogil=True)
def accumulate_range(own_y, own_index, stop, y_all, weights, epsilon, total, weight_sum):
    """As :func:`accumulate` over agents ``0 .. stop - 1``."""
    for j in range(stop):
        total, weight_sum = add_if_seen(own_y, own_index, j, y_all, weights, epsilon, total,
                                        weight_sum)
    return total, weight_sum


@njit(cache=True, nogil=True)
def accumulate_influencers(own_y, own_index, stop, neighbour_ids, y_all, weights, epsilon,
                           total, weight_sum):
    """Influencers ``0 .. stop - 1`` seen by everyone (reach ``all``), unless already a
    neighbour (``neighbour_ids`` sorted) or the agent itself."""
    for j in range(stop):
        position = np.searchsorted(neighbour_ids, j)
        if position < neighbour_ids.shape[0] and neighbour_ids[position] == j:
            continue
        total, weight_sum = add_if_seen(own_y, own_index, j, y_all, weights, epsilon, total,
                                        weight_sum)
    return total, weight_sum


@njit(cache=True, nogil=True)
def seen_ids(own_y, own_index, information, stop, y_all, epsilon, neighbours, reach_all,
             n_influencers):
    """The agents whose answers agent ``own_index`` takes in under ``full`` or
    ``neighbours``, in the order :func:`agent_signal` adds them: everyone before ``stop``
    (``full``), or the neighbours who have answered, then the influencers reaching all who
    are not neighbours (``neighbours``); each only if the agent :func:`sees` it.

    >>> seen_ids(1.0, 0, FULL, 3, np.array([1.0, 2.0, 9.0]), 2.0, np.zeros(0, np.int64),
    ...          False, 0).tolist()
    [1]
    """
    if information == FULL:
        ids = np.empty(stop, dtype=np.int64)
        count = 0
        for j in range(stop):
            if sees(own_y, own_index, j, y_all, epsilon):
                ids[count] = j
                count += 1
        return ids[:count]
    answered = neighbours
    if stop < y_all.shape[0]:
        answered = neighbours[:np.searchsorted(neighbours, stop)]
    n_reached = min(n_influencers, stop) if reach_all else 0
    ids = np.empty(answered.shape[0] + n_reached, dtype=np.int64)
    count = 0
    for t in range(answered.shape[0]):
        if sees(own_y, own_index, answered[t], y_all, epsilon):
            ids[count] = answered[t]
            count += 1
    for j in range(n_reached):  # as accumulate_influencers
        position = np.searchsorted(neighbours, j)
        if position < neighbours.shape[0] and neighbours[position] == j:
            continue
        if sees(own_y, own_index, j, y_all, epsilon):
            ids[count] = j
            count += 1
    return ids[:count]


@njit(cache=True, nogil=True)
def shown_signal(own_y, ids, signal, log_space, x_board, weights):
    """The signal under ``signal_space="shown"``, in revision space: (signal, found).

    The aggregate ``signal`` of the answers ``x_board[ids]`` (:func:`seen_ids`) as plain
    numbers, by :func:`prefix_aggregate` (mean and geometric mean influence-weighted, the
    median unweighted), then :func:`to_space`, as the aggregate condition takes its shown
    aggregate; ``(own_y, False)`` when nobody is seen.

    >>> x = np.array([1.0, 3.0, 9.0])
    >>> shown_signal(0.0, np.array([1, 2]), SIGNAL_MEAN, True, x, np.ones(3))[0] == math.log(6.0)
    True
    >>> shown_signal(0.0, np.array([0, 1, 2]), SIGNAL_MEDIAN, False, x, np.ones(3))
    (3.0, True)
    """
    if ids.shape[0] == 0:
        return own_y, False
    s = prefix_aggregate(signal, x_board[ids], weights[ids], ids.shape[0])
    return to_space(s, log_space), True


@njit(cache=True, nogil=True, inline="always")
def aggregate_signal(own_x, own_y, own_weight, n, signal, log_space, epsilon, totals,
                     sorted_board):
    """What an agent sees in a synchronous round under ``aggregate`` (see
    :func:`agent_signal`), in revision space: (signal, found); nothing in a crowd of one or
    beyond the confidence bound.

    >>> board = np.array([1.0, 2.0, 6.0])
    >>> aggregate_signal(1.0, 1.0, 1.0, 3, SIGNAL_MEAN, False, -1.0,
    ...                  np.array([9.0, 3.0, 0.0]), board[:0])
    (4.0, True)
    """
    if n < 2:
        return own_y, False
    s = others_aggregate(signal, own_x, own_weight, totals[0], totals[1], totals[2],
                         sorted_board)
    y_s = to_space(s, log_space)
    if not within_confidence(own_y, y_s, epsilon):
        return own_y, False
    return y_s, True


@njit(cache=True, nogil=True)
def agent_signal(i, information, signal, shown, log_space, epsilon, x_board, y_board, weights,
                 totals, sorted_board, neighbours, reach_all, n_influencers, stop):
    """What agent ``i`` sees, in revision space: (signal, found).

    ``x_board``/``y_board`` hold the estimates the agent can see (linear / revision space),
    ``weights`` the influence weights, ``neighbours`` the agent's neighbours (sorted ids). In
    a synchronous round everyone sees the previous round (``stop = n``); in sequential
    answering only the ``stop = i`` earlier answers. ``totals`` = (sum w x, sum w,
    sum w ln x) of the board for the aggregate condition. ``shown``
    (``signal_space="shown"``): under ``full``/``neighbours`` the :func:`shown_signal` of
    the seen answers instead of their weighted mean in revision space.

    >>> board = np.array([1.0, 2.0, 6.0])
    >>> agent_signal(0, FULL, SIGNAL_MEAN, False, False, -1.0, board, board, np.ones(3),
    ...              np.zeros(3), board[:0], board[:0].astype(np.int64), False, 0, 3)
    (4.0, True)
    >>> agent_signal(0, FULL, SIGNAL_MEDIAN, True, False, -1.0, board, board, np.ones(3),
    ...              np.zeros(3), board[:0], board[:0].astype(np.int64), False, 0, 3)
    (4.0, True)
    """
    own_y = y_board[i]
    if shown and (information == FULL or information == NEIGHBOURS):
        ids = seen_ids(own_y, i, information, stop, y_board, epsilon, neighbours, reach_all,
                       n_influencers)
        return shown_signal(own_y, ids, signal, log_space, x_board, weights)
    if information == AGGREGATE:
        if stop == x_board.shape[0]:  # synchronous: the others' aggregate
            return aggregate_signal(x_board[i], own_y, weights[i], weights.shape[0], signal,
                                    log_space, epsilon, totals, sorted_board)
        else:
            if stop == 0:
                return own_y, False
            s = prefix_aggregate(signal, x_board, weights, stop)
        y_s = to_space(s, log_space)
        if not within_confidence(own_y, y_s, epsilon):
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
    return mean_seen(own_y, total, weight_sum)


# -- social weights, pairwise meetings --------------------------------------------------------

@njit(cache=True, nogil=True)
def draw_social_weights(rng, weight_mode, social_weight, weight_spread, stubborn_share,
                        initial_errors, social_weights_out):
    """Each agent's social weight, in place; draws (in agent order) a uniform for ``random``
    weights or a beta variate for ``beta`` weights, then a uniform for stubbornness when
    ``stubborn_share > 0``.

    ``constant``: ``w_i = social_weight``. ``random`` (susceptibility): uniform on
    ``[social_weight - weight_spread, social_weight + weight_spread]`` clipped to [0, 1].
    ``beta`` (Soll & Larrick 2009): ``w_i ~ Beta(m k, (1 - m) k)``, mean ``m =
    social_weight``, ``k = 1 / h**2 - 1`` with ``h = weight_spread`` in [0, 1) the standard
    deviation as a share of its largest possible value ``sqrt(m (1 - m))``; ``h = 0`` or
    ``m`` in {0, 1} gives ``m`` without a draw.
    ``accuracy`` (Becker et al. 2017: agents further from the truth revise more):
    ``w_i = social_weight * (1 + weight_spread * (2 q_i - 1))`` clipped to [0, 1], with
    ``q_i`` the agent's rank of initial absolute error scaled to [0, 1] (0 the most
    accurate; ``initial_errors`` as :func:`accuracy_errors` gives them). Stubborn agents get 0.

    >>> out = np.empty(3)
    >>> draw_social_weights(np.random.default_rng(1), WEIGHT_ACCURACY, 0.4, 0.5, 0.0,
    ...                     np.array([5.0, 1.0, 3.0]), out)
    >>> out.tolist()
    [0.6000000000000001, 0.2, 0.4]
    """
    n = social_weights_out.shape[0]
    beta_draws = (weight_mode == WEIGHT_BETA and weight_spread > 0.0
                  and 0.0 < social_weight < 1.0)
    concentration = 1.0 / (weight_spread * weight_spread) - 1.0 if beta_draws else 0.0
    if weight_mode == WEIGHT_ACCURACY:
        order = np.argsort(initial_errors, kind="mergesort")
        ranks = np.empty(n)
        for r in range(n):
            ranks[order[r]] = r / (n - 1) if n > 1 else 0.5
    for i in range(n):
        if weight_mode == WEIGHT_RANDOM:
            w = social_weight + weight_spread * (2.0 * rng.random() - 1.0)
        elif weight_mode == WEIGHT_ACCURACY:
            w = social_weight * (1.0 + weight_spread * (2.0 * ranks[i] - 1.0))
        elif beta_draws:
            w = rng.beta(social_weight * concentration, (1.0 - social_weight) * concentration)
        else:
            w = social_weight
        w = min(max(w, 0.0), 1.0)
        if stubborn_share > 0.0 and rng.random() < stubborn_share:
            w = 0.0
        social_weights_out[i] = w


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
def meet(x_i, x_j, social_weight_i, social_weight_j, log_space, epsilon):
    """A Deffuant meeting: both move towards each other if within the confidence bound.

    >>> meet(10.0, 20.0, 0.5, 0.25, False, -1.0)
    (15.0, 17.5)
    >>> meet(10.0, 20.0, 0.5, 0.25, False, 5.0)
    (10.0, 20.0)
    """
    y_i = to_space(x_i, log_space)
    y_j = to_space(x_j, log_space)
    if not within_confidence(y_i, y_j, epsilon):
        return x_i, x_j
    return (revised_estimate(x_i, y_i, y_j, True, social_weight_i, log_space),
            revised_estimate(x_j, y_j, y_i, True, social_weight_j, log_space))

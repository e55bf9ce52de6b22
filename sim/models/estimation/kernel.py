"""Numba kernel of the estimation model: many independent crowds at once.

The same rules as the Mesa agents (:mod:`sim.models.estimation.agents`; both call
:mod:`sim.models.estimation.beliefs` and :mod:`sim.models.estimation.rules`) over arrays.
Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, exactly the generator
``CrowdEstimation(rng=seeds[r])`` holds, so both engines give identical estimates, round by
round.

Draw order (shared with :class:`~sim.models.estimation.model.CrowdEstimation`)
    The network (one integer, random topologies only); the group common errors (only when
    ``correlation > 0``); for each agent in index order its expertise multiplier (only when
    ``expertise_spread > 0``) and its own error (none of these with observed
    ``initial_estimates``); the social weights (see
    :func:`~sim.models.estimation.rules.draw_social_weights`: per agent in index order a
    uniform for ``weight_mode="random"`` or a beta variate for ``"beta"``, then a uniform
    when ``stubborn_share > 0``); then, round by round, the Deffuant pairs
    (``rule="deffuant"``) or, under ``information="none"`` with ``drift_noise > 0``, one
    standard normal per agent in index order (:func:`~sim.models.estimation.rules.drift_agent`).
Observed groups
    :func:`simulate_groups` runs the groups of a :class:`GroupBatch` (observed first
    answers, truths, networks) in order with one generator in one compiled call: the social
    weights of group 0, its rounds, then group 1, ... (no network or belief draws); equal to
    :func:`run_group` group after group.
Settings
    The compiled functions take the parameters as one record,
    :class:`~sim.models.estimation.params.RuleSettings` (built once by
    :meth:`~sim.models.estimation.params.EstimationParams.rule_settings`), and the arrays of
    a crowd: estimates, social weights, influence weights, the network as CSR (``indptr``,
    ``indices``).
Fast paths
    Large rounds run in blocks and on numba's threads: the full-information sums of a block
    of agents at once (:func:`_full_rows`), the neighbours' mean with or without a
    confidence bound (DeGroot, Hegselmann-Krause: :func:`_neighbour_rows`), Deffuant
    meetings drawn a block ahead (:func:`_deffuant_round`), running sums when answering in
    turn (:func:`_sequential_running`). Each adds what an agent sees and revises with the same
    inlined rule functions as the agents (:func:`~sim.models.estimation.rules.add_seen`,
    :func:`~sim.models.estimation.rules.within_confidence`,
    :func:`~sim.models.estimation.rules.revised_from_sums`, ...), in the same order, so the
    results are identical bit for bit. With any of the revision options of
    :func:`~sim.models.estimation.rules.revise_agent` away from its default
    (``later_weight_factor``, ``anchoring``, ``distance_scale``, ``asymmetry``) every agent
    takes the general per-agent path instead (:func:`_average_rows`), and so does every agent
    under ``signal_space="shown"``
    (:func:`~sim.models.estimation.rules.shown_signal`).
Compiled paths
    The rounds take one of seven paths (:data:`PATH_NAMES`: drift, the neighbours' mean, the
    board under aggregate information, the blocked full-information sums, the general
    per-agent average, Deffuant, answering in turn), chosen in Python from the settings
    (:func:`rounds_path`) and compiled each on its own (:func:`_rounds`), so that a batch
    compiles only its path's round functions: about half the cold start of compiling them
    all. :func:`evolve` chooses at run time and compiles every path.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from llvmlite import ir as llvm_ir
from llvmlite.binding import llvm_version_info
from numba import get_num_threads, njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from sim.batching import pcg64_states, reseed, thread_generator
from sim.models.estimation.beliefs import (
    apply_noise,
    combine_errors,
    expertise_multiplier,
    group_of,
    standard_error,
)
from sim.models.estimation.params import EstimationParams, RuleSettings
from sim.models.estimation.rules import (
    AGGREGATE,
    FULL,
    NEIGHBOURS,
    NO_INFO,
    RULE_AVERAGE,
    RULE_DEFFUANT,
    SIGNAL_GEOMETRIC,
    SIGNAL_MEDIAN,
    WEIGHT_ACCURACY,
    accumulate_range,
    accuracy_errors,
    add_seen,
    agent_signal,
    aggregate_signal,
    board_totals,
    draw_social_weights,
    drift_agent,
    general_revision,
    mean_seen,
    meet,
    revise_agent,
    revised_estimate,
    revised_from_sums,
    to_space,
    within_confidence,
)
from sim.networks import CSR, SEEDED_KINDS
from sim.networks import build as build_network
from sim.networks import empty as empty_network

__all__ = ["CrowdBatch", "GroupBatch", "draw_crowd", "evolve", "evolve_with_truth",
           "rounds_path", "run_replicate", "simulate_crowds", "simulate_groups", "run_group"]

# Numba links the parallel rounds into the compiled functions that call them, and those call
# numba's thread pool through symbols registered when the threading layer starts. A caller
# loaded from numba's cache in a fresh process does not always start it (the start-up hook of
# a parallel callee is lost when the caller was compiled against the callee's cached copy) and
# would then call a null pointer. Start the layer now, before any kernel is loaded: cheap
# (about 5 ms, once; it selects the layer and starts no thread).
get_num_threads()


@njit(cache=True, nogil=True)
def draw_crowd(rng, settings, estimates_out, multipliers_out):
    """Fill one crowd's private estimates and noise multipliers from ``rng`` (in place).

    Examples
    --------
    >>> settings = EstimationParams(n_agents=3, truth=10.0, noise_scale=1.0).rule_settings()
    >>> x, m = np.empty(3), np.empty(3)
    >>> draw_crowd(np.random.default_rng(1), settings, x, m)
    >>> bool(np.all(np.abs(x - 10.0) < 5.0)), m.tolist()
    (True, [1.0, 1.0, 1.0])
    """
    _draw_crowd(rng, settings, np.empty(0, dtype=np.int64), np.zeros(settings.n_groups),
                estimates_out, multipliers_out)


@njit(cache=True, nogil=True)
def _group_table(settings, n_agents):
    """Every agent's group (:func:`~sim.models.estimation.beliefs.group_of`) when the
    crowd's errors are shared within several groups, else an empty array (no group is looked
    up). A batch loop builds it once and :func:`_draw_crowd` reads it in every replicate,
    instead of dividing per agent and replicate."""
    if settings.n_groups == 1 or settings.correlation == 0.0:
        return np.empty(0, dtype=np.int64)
    groups = np.empty(n_agents, dtype=np.int64)
    for i in range(n_agents):
        groups[i] = group_of(i, n_agents, settings.n_groups)
    return groups


@njit(cache=True, nogil=True)
def _draw_crowd(rng, settings, groups, common, estimates_out, multipliers_out):
    """:func:`draw_crowd` with the agents' groups read from ``groups``
    (:func:`_group_table`), or computed per agent when it is empty; ``common`` (n_groups
    values) receives the groups' common errors, so a batch loop allocates it once. Without
    correlation it is never read: :func:`~sim.models.estimation.beliefs.combine_errors`
    then returns the agent's own error."""
    n_agents = estimates_out.shape[0]
    family = settings.family
    correlation = settings.correlation
    n_groups = settings.n_groups
    spread = settings.expertise_spread
    centre = settings.centre
    below = settings.scale_below
    above = settings.scale_above
    if correlation > 0.0:
        for g in range(n_groups):
            common[g] = standard_error(rng, family)
    # The belief functions are inlined (beliefs.py): their tests of family, spread and
    # correlation are loop-invariant here, and the compiler hoists them. The group is looked
    # up only when its error is used, from the batch's table when there is one (group_of
    # divides, which costs about as much as a draw).
    whole_crowd = n_groups == 1 or correlation == 0.0
    tabled = groups.shape[0] > 0
    common_0 = common[0]
    for i in range(n_agents):
        multiplier = expertise_multiplier(rng, spread)
        own = standard_error(rng, family)
        if whole_crowd:
            shared = common_0
        elif tabled:
            shared = common[groups[i]]
        else:
            shared = common[group_of(i, n_agents, n_groups)]
        error = combine_errors(shared, own, correlation, family)
        estimates_out[i] = apply_noise(centre, error, below, above, multiplier, family)
        multipliers_out[i] = multiplier


#: A synchronous round runs on numba's threads (``prange``) only when it touches at least this
#: many agents plus neighbour entries (full information: n^2 / 16), a few milliseconds of work
#: on one core: below it, starting and joining the threads costs more than it saves, and far
#: more when other processes keep the cores busy (then ``numba.set_num_threads(1)`` is
#: faster for any size). The result does not depend on it: every agent's arithmetic is the
#: same on any thread.
PARALLEL_MIN_WORK = 1 << 21
PARALLEL_CHUNKS = 64
#: Agents whose sums the full-information rounds compute together (see :func:`_full_rows`).
FULL_BLOCK = 128
#: How many neighbour entries ahead the neighbour loops prefetch (see :func:`_prefetch`) ...
PREFETCH_DISTANCE = 256
#: ... in crowds of at least this many agents (smaller crowds' estimates stay in the caches).
#: Measured (benchmarks/bench_influence.py section 6; 2026-12-01, 2-core AMD EPYC, 1 MiB L2
#: per core, 32 MiB shared L3; one thread, Watts-Strogatz k = 10, rewire_p 0.1; median of 7
#: interleaved pairs, time without / with prefetch). Alone on the L3: 0.86 at 5e4 agents,
#: 0.83-0.89 from 1e5 to 5e5 (the round's 32 bytes an agent stay in the L3; prefetching only
#: adds work), 2.4 at 1e6. Beside a process streaming 64 MiB arrays through the L3, as in a
#: sweep with workers: 0.85 at 5e4, 0.99 at 1e5, 1.11 at 1.3e5, 1.23 at 2e5, 1.34 at 3e5,
#: 2.2 at 5e5, 2.7 at 1e6. From 2e5 the gain when the L3 is shared (1.23x) outweighs the
#: loss alone (1 / 0.85 = 1.18x); it was 2**18 = 262,144.
PREFETCH_MIN_AGENTS = 200_000
#: ... whose network has at least one tie in PREFETCH_MIN_FAR reaching further than
#: PREFETCH_NEAR agents (a lattice's reads are local and the hardware streams them itself).
PREFETCH_NEAR = 2048
PREFETCH_MIN_FAR = 64
#: Deffuant meetings whose pairs are drawn together before they meet (see
#: :func:`_deffuant_round`): 64 KiB of pairs, which stay in the L2 cache.
DEFFUANT_BLOCK = 4096
#: How many meetings ahead a Deffuant round prefetches the pair's estimates (large crowds).
DEFFUANT_PREFETCH = 16
#: Network entries per bucket of the row table of a Deffuant round on a network (2**5 = 32;
#: see :func:`_entry_rows_table`).
ENTRY_BUCKET_BITS = 5

_PREFETCH = "llvm.prefetch.p0" if llvm_version_info[0] >= 17 else "llvm.prefetch.p0i8"


def _prefetch(array, index):
    """Hint the CPU to bring ``array[index]`` into its caches (LLVM's ``prefetch``: read,
    high locality). Changes no value and never faults; ``index`` must be valid. A no-op in
    Python (``NUMBA_DISABLE_JIT``)."""


@intrinsic
def _prefetch_intrinsic(typingctx, array, index):
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]],
                                           wraparound=False)
        i8p = builder.bitcast(pointer, llvm_ir.IntType(8).as_pointer())
        i32 = llvm_ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, llvm_ir.FunctionType(llvm_ir.VoidType(), [i8p.type, i32, i32, i32]),
            _PREFETCH)
        builder.call(function, [i8p, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


@overload(_prefetch)
def _prefetch_compiled(array, index):
    def impl(array, index):
        _prefetch_intrinsic(array, index)
    return impl


@njit(cache=True, nogil=True)
def _into_space(x, log_space, y):
    """``y[j] = to_space(x[j])`` for all j (in place)."""
    for j in range(x.shape[0]):
        y[j] = to_space(x[j], log_space)


@njit(cache=True, nogil=True, parallel=True)
def _into_space_parallel(x, log_space, y):
    """As :func:`_into_space`, in parallel."""
    for j in prange(x.shape[0]):
        y[j] = to_space(x[j], log_space)


@njit(cache=True, nogil=True)
def _average_rows(start, stop, settings, x, y, social_weights, influence, indptr, indices,
                  totals, sorted_board, x_next, later, x_first):
    """Agents ``start .. stop - 1`` of a synchronous round on the general path (see
    :func:`_average_round`): each revises towards what it saw of the previous round, ``x``
    (``y`` in revision space), by :func:`~sim.models.estimation.rules.revise_agent`
    (``later``: round r >= 2; ``x_first``: the first answers, read only with anchoring).
    The aggregate condition and full information without the general options have paths
    of their own (:func:`_aggregate_rows`, :func:`_full_rows`; :func:`_path_index`)."""
    log_space = settings.log_space
    epsilon = settings.epsilon
    shown = settings.shown_signal
    n = x.shape[0]
    information = settings.information
    for i in range(start, stop):
        # rules.agent_signal's branches for a synchronous round, called directly (a call of
        # agent_signal costs more than the arithmetic of a small group's agent)
        if information == FULL and not shown:
            total, weight_sum = accumulate_range(y[i], i, n, y, influence, epsilon, 0.0, 0.0)
            y_s, found = mean_seen(y[i], total, weight_sum)
        elif information == NEIGHBOURS or information == FULL:
            y_s, found = agent_signal(i, information, settings.signal, shown, log_space,
                                      epsilon, x, y, influence, totals, sorted_board,
                                      indices[indptr[i]:indptr[i + 1]], settings.reach_all,
                                      settings.n_influencers, n)
        else:  # nothing to see
            y_s, found = y[i], False
        x_next[i] = revise_agent(x[i], y[i], y_s, found, social_weights[i], later, x_first[i],
                                 settings.later_weight_factor, settings.distance_scale,
                                 settings.asymmetry, settings.anchoring, log_space)


@njit(cache=True, nogil=True, parallel=True)
def _average_rows_parallel(settings, x, y, social_weights, influence, indptr, indices, totals,
                           sorted_board, x_next, n_chunks, later, x_first):
    """:func:`_average_rows` over all agents, ``n_chunks`` chunks in parallel. Under full
    information an agent's work falls with its index (without a bound it adds only the later
    agents' values one by one), so each chunk takes an early and a late range of agents."""
    n = x.shape[0]
    halves = 2 * n_chunks
    for c in prange(n_chunks):
        if settings.information == FULL:
            _average_rows(c * n // halves, (c + 1) * n // halves, settings, x, y,
                          social_weights, influence, indptr, indices, totals, sorted_board,
                          x_next, later, x_first)
            _average_rows((halves - 1 - c) * n // halves, (halves - c) * n // halves,
                          settings, x, y, social_weights, influence, indptr, indices, totals,
                          sorted_board, x_next, later, x_first)
        else:
            _average_rows(c * n // n_chunks, (c + 1) * n // n_chunks, settings, x, y,
                          social_weights, influence, indptr, indices, totals, sorted_board,
                          x_next, later, x_first)


@njit(cache=True, nogil=True)
def _average_round(settings, x, y, social_weights, influence, indptr, indices, x_next,
                   parallel, n_chunks, later, x_first):
    """One synchronous round of the general path into ``x_next``, with ``y`` the estimates
    ``x`` in revision space (``y`` may be ``x``); ``parallel``: in ``n_chunks`` chunks of
    agents on numba's threads; ``later``: round r >= 2; ``x_first``: the first answers."""
    n = x.shape[0]
    # only the aggregate condition (a path of its own, _aggregate_round) reads the board
    totals, sorted_board = np.zeros(3), x[:0]
    if parallel:
        _average_rows_parallel(settings, x, y, social_weights, influence, indptr, indices,
                               totals, sorted_board, x_next, n_chunks, later, x_first)
    else:
        _average_rows(0, n, settings, x, y, social_weights, influence, indptr, indices, totals,
                      sorted_board, x_next, later, x_first)


@njit(cache=True, nogil=True)
def _full_rows(start, stop, x, y, social_weights, influence, log_space, epsilon, x_next):
    """Agents ``start .. stop - 1`` of a synchronous round seeing everyone (``full``).

    Each agent's sums are :func:`~sim.models.estimation.rules.accumulate_range`'s, the same
    additions (:func:`~sim.models.estimation.rules.add_seen`) in the same order, computed for
    ``FULL_BLOCK`` agents at once: the inner loop runs over the block's running sums, which
    are independent, so the CPU overlaps them (and uses vector instructions). Without a
    bound, an agent's sums over the agents before its block are the running sums over those
    agents, shared by the block.
    """
    n = x.shape[0]
    bounded = epsilon >= 0.0
    block_total = np.empty(FULL_BLOCK)
    block_weight = np.empty(FULL_BLOCK)
    prefix_total = 0.0  # without a bound: sums over the agents before the block
    prefix_weight = 0.0
    if not bounded:
        for j in range(start):
            prefix_total, prefix_weight = add_seen(prefix_total, prefix_weight, y[j],
                                                   influence[j], True)
    for i0 in range(start, stop, FULL_BLOCK):
        m = min(FULL_BLOCK, stop - i0)
        own = y[i0:i0 + m]
        total = block_total[:m]
        weight_sum = block_weight[:m]
        if bounded:
            total[:] = 0.0
            weight_sum[:] = 0.0
            first = 0
        else:
            total[:] = prefix_total
            weight_sum[:] = prefix_weight
            first = i0
        for j in range(first, n):
            v = y[j]
            u = influence[j]
            if i0 <= j < i0 + m:  # the block itself: each agent skips its own value
                me = j - i0
                for b in range(m):
                    total[b], weight_sum[b] = add_seen(
                        total[b], weight_sum[b], v, u,
                        b != me and within_confidence(own[b], v, epsilon))
            elif bounded:
                for b in range(m):
                    total[b], weight_sum[b] = add_seen(total[b], weight_sum[b], v, u,
                                                       within_confidence(own[b], v, epsilon))
            else:
                for b in range(m):
                    total[b], weight_sum[b] = add_seen(total[b], weight_sum[b], v, u, True)
        for b in range(m):
            i = i0 + b
            x_next[i] = revised_from_sums(x[i], own[b], total[b], weight_sum[b],
                                          social_weights[i], log_space)
        if not bounded:
            for j in range(i0, i0 + m):
                prefix_total, prefix_weight = add_seen(prefix_total, prefix_weight, y[j],
                                                       influence[j], True)


@njit(cache=True, nogil=True, parallel=True)
def _full_rows_parallel(x, y, social_weights, influence, log_space, epsilon, x_next,
                        n_chunks):
    """:func:`_full_rows` over all agents in ``n_chunks`` chunks in parallel, each an early
    and a late range of agents, as :func:`_average_rows_parallel` deals them."""
    n = x.shape[0]
    halves = 2 * n_chunks
    for c in prange(n_chunks):
        _full_rows(c * n // halves, (c + 1) * n // halves, x, y, social_weights, influence,
                   log_space, epsilon, x_next)
        _full_rows((halves - 1 - c) * n // halves, (halves - c) * n // halves, x, y,
                   social_weights, influence, log_space, epsilon, x_next)


@njit(cache=True, nogil=True)
def _aggregate_rows(start, stop, settings, x, y, social_weights, influence, totals,
                    sorted_board, x_next, later, x_first):
    """Agents ``start .. stop - 1`` of a synchronous round seeing the board (the aggregate
    condition, with any revision options), compiled without the other conditions' signals."""
    n = x.shape[0]
    for i in range(start, stop):
        y_s, found = aggregate_signal(x[i], y[i], influence[i], n, settings.signal,
                                      settings.log_space, settings.epsilon, totals,
                                      sorted_board)
        x_next[i] = revise_agent(x[i], y[i], y_s, found, social_weights[i], later, x_first[i],
                                 settings.later_weight_factor, settings.distance_scale,
                                 settings.asymmetry, settings.anchoring, settings.log_space)


@njit(cache=True, nogil=True, parallel=True)
def _aggregate_rows_parallel(settings, x, y, social_weights, influence, totals, sorted_board,
                             x_next, n_chunks, later, x_first):
    """:func:`_aggregate_rows` over all agents, ``n_chunks`` contiguous chunks in parallel."""
    n = x.shape[0]
    for c in prange(n_chunks):
        _aggregate_rows(c * n // n_chunks, (c + 1) * n // n_chunks, settings, x, y,
                        social_weights, influence, totals, sorted_board, x_next, later,
                        x_first)


@njit(cache=True, nogil=True)
def _aggregate_round(settings, x, y, social_weights, influence, x_next, parallel, n_chunks,
                     later, x_first):
    """One synchronous round under ``information="aggregate"``: the board's totals, then
    every agent's revision (:func:`_aggregate_rows`)."""
    totals, sorted_board = board_totals(x, influence, settings.signal)
    if parallel:
        _aggregate_rows_parallel(settings, x, y, social_weights, influence, totals,
                                 sorted_board, x_next, n_chunks, later, x_first)
    else:
        _aggregate_rows(0, x.shape[0], settings, x, y, social_weights, influence, totals,
                        sorted_board, x_next, later, x_first)


@njit(cache=True, nogil=True)
def _worth_prefetching(indptr, indices):
    """Whether the neighbour loops should prefetch (see ``PREFETCH_MIN_AGENTS``): a large
    crowd and, in a sample of about 4,096 rows, enough far-reaching ties."""
    n = indptr.shape[0] - 1
    if n < PREFETCH_MIN_AGENTS:
        return False
    far = 0
    seen = 0
    for i in range(0, n, max(1, n // 4096)):
        for e in range(indptr[i], indptr[i + 1]):
            seen += 1
            if abs(indices[e] - i) > PREFETCH_NEAR:
                far += 1
    return seen > 0 and far * PREFETCH_MIN_FAR >= seen


@njit(cache=True, nogil=True)
def _neighbour_rows(start, stop, x, y, social_weights, influence, weighted, log_space, epsilon,
                    indptr, indices, x_next, prefetch):
    """Agents ``start .. stop - 1`` of a synchronous round seeing their network neighbours'
    mean, without influencer reach: DeGroot, and Hegselmann-Krause with a confidence bound
    ``epsilon >= 0`` (``epsilon < 0``: no bound).

    The same additions (:func:`~sim.models.estimation.rules.add_seen`) in the same order as
    :func:`~sim.models.estimation.rules.accumulate`: a neighbour beyond the bound adds +0.0,
    which changes no bit (see ``add_seen``), and a network has no self-loops, so the test
    ``j != i`` of :func:`~sim.models.estimation.rules.sees` always holds. Unweighted (every
    influence weight 1.0) the loops add the estimates alone, bit for bit the same:
    ``1.0 * v == v`` exactly, and adding 1.0 ``d`` times gives exactly ``d`` (d < 2**53), so
    the weight sum is the count of neighbours seen. Whether a neighbour is seen enters as a
    weight of 1.0 or 0.0 instead of a branch (which the CPU mispredicts about as often as
    the bound cuts, 2.5x slower at 10^4 agents): a neighbour not seen then adds
    ``0.0 * v``, +0.0 or -0.0 for a finite estimate ``v``, neither of which changes a sum
    that is never -0.0, so the sums are those of the branch. Indices are read as unsigned
    integers (they are never negative), which spares numba's negative-index handling in the
    inner loop. With ``prefetch`` (see :func:`_worth_prefetching`) each step asks the CPU to fetch
    the estimate ``PREFETCH_DISTANCE`` entries ahead, so the scattered reads of a large
    random network overlap (a hint: it changes no value). The unweighted loops are written
    out so that each inner loop is as tight as can be.
    """
    if stop <= start:
        return
    one = np.uint64(1)
    distance = np.uint64(PREFETCH_DISTANCE)
    last = np.uint64(max(indptr[stop] - 1, 0))
    if weighted and epsilon < 0.0:
        for i in range(np.uint64(start), np.uint64(stop)):
            total = 0.0
            weight_sum = 0.0
            for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + one])):
                if prefetch:
                    ahead = np.uint64(indices[min(e + distance, last)])
                    _prefetch(y, ahead)
                    _prefetch(influence, ahead)
                j = np.uint64(indices[e])
                total, weight_sum = add_seen(total, weight_sum, y[j], influence[j], True)
            x_next[i] = revised_from_sums(x[i], y[i], total, weight_sum, social_weights[i],
                                          log_space)
    elif weighted:
        for i in range(np.uint64(start), np.uint64(stop)):
            own = y[i]
            total = 0.0
            weight_sum = 0.0
            for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + one])):
                if prefetch:
                    ahead = np.uint64(indices[min(e + distance, last)])
                    _prefetch(y, ahead)
                    _prefetch(influence, ahead)
                j = np.uint64(indices[e])
                v = y[j]
                seen = np.float64(within_confidence(own, v, epsilon))
                total, weight_sum = add_seen(total, weight_sum, v, influence[j] * seen, True)
            x_next[i] = revised_from_sums(x[i], own, total, weight_sum, social_weights[i],
                                          log_space)
    elif epsilon >= 0.0:
        # Hegselmann-Krause: the count of neighbours seen is the weight sum
        for i in range(np.uint64(start), np.uint64(stop)):
            own = y[i]
            total = 0.0
            count = 0.0
            for e in range(np.uint64(indptr[i]), np.uint64(indptr[i + one])):
                if prefetch:
                    _prefetch(y, np.uint64(indices[min(e + distance, last)]))
                v = y[np.uint64(indices[e])]
                seen = np.float64(within_confidence(own, v, epsilon))
                total, count = add_seen(total, count, v, seen, True)
            x_next[i] = revised_from_sums(x[i], own, total, count, social_weights[i],
                                          log_space)
    elif prefetch:
        for i in range(np.uint64(start), np.uint64(stop)):
            a = np.uint64(indptr[i])
            b = np.uint64(indptr[i + one])
            total = 0.0
            for e in range(a, b):
                _prefetch(y, np.uint64(indices[min(e + distance, last)]))
                total, _ = add_seen(total, 0.0, y[np.uint64(indices[e])], 1.0, True)
            x_next[i] = revised_from_sums(x[i], y[i], total, float(b - a), social_weights[i],
                                          log_space)
    else:
        for i in range(np.uint64(start), np.uint64(stop)):
            a = np.uint64(indptr[i])
            b = np.uint64(indptr[i + one])
            total = 0.0
            for e in range(a, b):
                total, _ = add_seen(total, 0.0, y[np.uint64(indices[e])], 1.0, True)
            x_next[i] = revised_from_sums(x[i], y[i], total, float(b - a), social_weights[i],
                                          log_space)


@njit(cache=True, nogil=True, parallel=True)
def _neighbour_rows_parallel(x, y, social_weights, influence, weighted, log_space, epsilon,
                             indptr, indices, x_next, prefetch, n_chunks):
    """:func:`_neighbour_rows` over all agents, ``n_chunks`` contiguous chunks in parallel."""
    n = x.shape[0]
    for c in prange(n_chunks):
        _neighbour_rows(c * n // n_chunks, (c + 1) * n // n_chunks, x, y, social_weights,
                        influence, weighted, log_space, epsilon, indptr, indices, x_next,
                        prefetch)


@njit(cache=True, nogil=True)
def _n_chunks(n):
    """Contiguous chunks of agents for the parallel rounds (numba deals them out to its
    threads; a fixed number, as the thread count cannot be read in cached code)."""
    return max(1, min(n, PARALLEL_CHUNKS))


@njit(cache=True, nogil=True)
def _is_weighted(influence):
    """Whether any influence weight differs from 1.0 (else the unweighted loops apply)."""
    for j in range(influence.shape[0]):
        if influence[j] != 1.0:
            return True
    return False


@njit(cache=True, nogil=True)
def _sequential_round(settings, x, y, social_weights, influence, indptr, indices, later,
                      x_first):
    """Agents answer in index order, each seeing the answers given before it (``x`` in
    place; ``y`` the same in revision space, may be ``x``; ``later``: round r >= 2;
    ``x_first``: the first answers).

    The aggregate mean and geometric mean of the earlier answers, and their mean without a
    bound under full information, are running sums (:func:`_sequential_running`): the same
    additions in the same order as :func:`~sim.models.estimation.rules.prefix_aggregate` and
    :func:`~sim.models.estimation.rules.accumulate_range` recompute for every agent, since
    earlier answers do not change during the pass. With the new revision options (see
    :func:`~sim.models.estimation.rules.general_revision`), or ``signal_space="shown"``, every
    agent takes the general path.
    """
    information = settings.information
    log_space = settings.log_space
    epsilon = settings.epsilon
    general = general_revision(settings.later_weight_factor, settings.anchoring,
                               settings.distance_scale, settings.asymmetry)
    if not general and ((information == AGGREGATE and settings.signal != SIGNAL_MEDIAN) or (
            information == FULL and epsilon < 0.0 and not settings.shown_signal)):
        _sequential_running(x, y, social_weights, influence, information,
                            settings.signal == SIGNAL_GEOMETRIC, log_space, epsilon)
        return
    totals = np.zeros(3)
    for i in range(x.shape[0]):
        y_s, found = agent_signal(i, information, settings.signal, settings.shown_signal,
                                  log_space, epsilon, x, y, influence, totals, x[:0],
                                  indices[indptr[i]:indptr[i + 1]], settings.reach_all,
                                  settings.n_influencers, i)
        x[i] = revise_agent(x[i], y[i], y_s, found, social_weights[i], later, x_first[i],
                            settings.later_weight_factor, settings.distance_scale,
                            settings.asymmetry, settings.anchoring, log_space)
        y[i] = to_space(x[i], log_space)


@njit(cache=True, nogil=True)
def _sequential_running(x, y, social_weights, influence, information, geometric, log_space,
                        epsilon):
    """Sequential answering with running sums (see :func:`_sequential_round`): of the
    answers (their logarithms for a ``geometric`` mean) under ``aggregate``, of the
    revision-space answers under ``full``."""
    total = 0.0
    weight_sum = 0.0
    for i in range(x.shape[0]):
        own_y = y[i]
        if information == AGGREGATE:
            # rules.agent_signal -> prefix_aggregate over the first i answers
            if i == 0:
                y_s, found = own_y, False
            else:
                s = math.exp(total / weight_sum) if geometric else total / weight_sum
                y_s = to_space(s, log_space)
                found = within_confidence(own_y, y_s, epsilon)
        else:
            # rules.agent_signal -> accumulate_range over the first i answers
            y_s, found = mean_seen(own_y, total, weight_sum)
        x[i] = revised_estimate(x[i], own_y, y_s, found, social_weights[i], log_space)
        y[i] = to_space(x[i], log_space)
        if information == AGGREGATE:
            total, weight_sum = add_seen(total, weight_sum,
                                         math.log(x[i]) if geometric else x[i], influence[i],
                                         True)
        else:
            total, weight_sum = add_seen(total, weight_sum, y[i], influence[i], True)


@njit(cache=True, nogil=True)
def _deffuant_round(rng, settings, x, social_weights, indptr, indices):
    """n/2 random pairwise meetings, one after the other (``x`` in place).

    Who meets whom does not depend on the estimates, so the pairs of ``DEFFUANT_BLOCK``
    meetings are drawn first (:func:`_draw_pairs`, the draws of
    :func:`~sim.models.estimation.rules.draw_pair` in the same order), then the meetings
    run in order with :func:`~sim.models.estimation.rules.meet`: the same draws and the same
    arithmetic as meeting by meeting, bit for bit. Drawing ahead keeps the generator's state
    in registers, lets the row searches of many pairs overlap, and in large crowds lets each
    meeting prefetch the estimates of the pair ``DEFFUANT_PREFETCH`` meetings ahead.
    """
    n = x.shape[0]
    information = settings.information
    if (indices.shape[0] == 0) if information == NEIGHBOURS else n < 2:
        return  # nobody can meet: draw_pair would return (-1, -1) before any draw
    log_space = settings.log_space
    epsilon = settings.epsilon
    prefetch = n >= PREFETCH_MIN_AGENTS
    rows_table = (_entry_rows_table(indptr, indices.shape[0]) if information == NEIGHBOURS
                  else indptr[:0])
    block = min(DEFFUANT_BLOCK, max(1, n // 2))
    pair_i = np.empty(block, np.int64)
    pair_j = np.empty(block, np.int64)
    meetings = n // 2
    ahead = DEFFUANT_PREFETCH
    for first in range(0, meetings, block):
        m = min(block, meetings - first)
        _draw_pairs(rng, n, information, indptr, indices, rows_table, pair_i, pair_j, m,
                    prefetch)
        for k in range(m):
            if prefetch and k + ahead < m:
                _prefetch(x, pair_i[k + ahead])
                _prefetch(x, pair_j[k + ahead])
                _prefetch(social_weights, pair_i[k + ahead])
                _prefetch(social_weights, pair_j[k + ahead])
            i = pair_i[k]
            j = pair_j[k]
            x[i], x[j] = meet(x[i], x[j], social_weights[i], social_weights[j], log_space,
                              epsilon)


@njit(cache=True, nogil=True)
def _draw_pairs(rng, n, information, indptr, indices, rows_table, pair_i, pair_j, m,
                prefetch):
    """The next ``m`` pairs of :func:`~sim.models.estimation.rules.draw_pair` into
    ``pair_i``/``pair_j``, with its draws in its order (somebody can meet): a random network
    entry and its row (``neighbours``; ``rows_table`` from :func:`_entry_rows_table`), else
    two distinct random agents. The entries are drawn first (into ``pair_j``), then looked
    up, so that with ``prefetch`` the lookups of later pairs start early."""
    if information == NEIGHBOURS:
        n_links = indices.shape[0]
        for k in range(m):
            pair_j[k] = int(rng.random() * n_links)
        ahead = DEFFUANT_PREFETCH
        for k in range(m):
            if prefetch and k + ahead < m:
                _prefetch(indices, pair_j[k + ahead])
                _prefetch(indptr, rows_table[pair_j[k + ahead] >> ENTRY_BUCKET_BITS])
            e = pair_j[k]
            pair_i[k] = _row_of_entry(indptr, rows_table, e)
            pair_j[k] = indices[e]
        return
    for k in range(m):
        i = int(rng.random() * n)
        j = int(rng.random() * (n - 1))
        if j >= i:
            j += 1
        pair_i[k] = i
        pair_j[k] = j


@njit(cache=True, nogil=True)
def _entry_rows_table(indptr, n_entries):
    """The row of every ``2**ENTRY_BUCKET_BITS``-th CSR entry, and ``n - 1`` after the last:
    entry ``e`` lies in a row from ``table[b]`` to ``table[b + 1]``, ``b = e >> bits``, so
    :func:`_row_of_entry` searches a few rows instead of all ``n`` (a binary search over a
    large ``indptr`` misses the caches at each of its last levels). 8 bytes per bucket: a
    64th of ``indices`` at 4 bytes an entry and buckets of 32."""
    n = indptr.shape[0] - 1
    size = 1 << ENTRY_BUCKET_BITS
    n_buckets = (n_entries + size - 1) >> ENTRY_BUCKET_BITS
    table = np.empty(n_buckets + 1, np.int64)
    bucket = 0
    for i in range(n):
        while bucket < n_buckets and bucket * size < indptr[i + 1]:
            table[bucket] = i  # indptr[i] <= bucket * size < indptr[i + 1]
            bucket += 1
    table[n_buckets] = n - 1
    return table


@njit(cache=True, nogil=True, inline="always")
def _row_of_entry(indptr, rows_table, e):
    """The row holding entry ``e`` of a CSR, ``np.searchsorted(indptr, e, side="right") - 1``
    (the last row starting at or before ``e``): a binary search between the rows
    ``rows_table`` gives for ``e``'s bucket (see :func:`_entry_rows_table`). The row of the
    bucket's first entry starts at or before ``e`` and the row after the next bucket's first
    entry's starts after it, so the answer lies between them and is the same."""
    bucket = e >> ENTRY_BUCKET_BITS
    low = rows_table[bucket] + 1
    high = rows_table[bucket + 1] + 1
    while low < high:
        middle = (low + high) >> 1
        if indptr[middle] <= e:
            low = middle + 1
        else:
            high = middle
    return low - 1


@njit(cache=True, nogil=True)
def _drift_round(rng, settings, truth, x, x_first, n_fixed):
    """A round without social information (``x`` in place): every agent in index order
    :func:`~sim.models.estimation.rules.drift_agent`; the first ``n_fixed`` (biased
    influencers) draw but keep their estimates."""
    for i in range(x.shape[0]):
        x[i] = drift_agent(rng, x[i], x_first[i], truth, settings.drift, settings.drift_noise,
                           settings.anchoring, settings.log_space, i >= n_fixed)


@njit(cache=True, nogil=True)
def before_rounds(rng, settings, truth, influencer_estimate, x, record_rounds, record_out,
                  social_weights_out):
    """What a crowd does before its rounds of social influence, and all a crowd without
    any does: the biased influencers announce ``influencer_estimate``, the social weights
    are drawn into ``social_weights_out`` (a biased influencer's is 0: it keeps advocating
    its value), and round 0 goes into ``record_out`` if ``record_rounds`` starts with it.
    Returns the next row of ``record_out``.

    Compiled apart from the rounds (:func:`evolve_with_truth` calls it), so that runs
    without influence (:func:`_run_private_crowds`) compile only the draws: seconds instead
    of the minute the rounds' rules take.
    """
    n = x.shape[0]
    n_influencers = min(settings.n_influencers, n)
    if settings.biased_influencers:
        for i in range(n_influencers):
            x[i] = influencer_estimate
    # only accuracy weights read the errors: no pass over the crowd (and no array) otherwise
    initial_errors = (accuracy_errors(x, truth, settings.log_space)
                      if settings.weight_mode == WEIGHT_ACCURACY else x[:0])
    draw_social_weights(rng, settings.weight_mode, settings.social_weight,
                        settings.weight_spread, settings.stubborn_share, initial_errors,
                        social_weights_out)
    if settings.biased_influencers:
        for i in range(n_influencers):
            social_weights_out[i] = 0.0
    slot = 0
    if slot < record_rounds.shape[0] and record_rounds[slot] == 0:
        record_out[slot, :] = x
        slot += 1
    return slot


@njit(cache=True, nogil=True)
def evolve(rng, settings, x, indptr, indices, record_rounds, record_out, social_weights_out,
           parallel_ok):
    """Rounds of social influence on a crowd's private estimates ``x`` (in place).

    Draw order after the private beliefs: the social weights (see
    :func:`~sim.models.estimation.rules.draw_social_weights`, into ``social_weights_out``),
    then round by round the Deffuant pairs (``rule="deffuant"``) or, under
    ``information="none"`` with ``drift_noise > 0``, one standard normal per agent in index
    order. ``record_rounds`` (ascending) says which rounds (0 = private estimates) are copied
    into ``record_out``. ``parallel_ok`` lets large synchronous rounds use numba's threads
    (False when replicates already run on several threads); the result is the same either
    way. Compiles every path of the rounds (see :func:`_rounds`); the batch runners compile
    only the path of their settings.

    Examples
    --------
    >>> p = EstimationParams(n_agents=4, truth=10.0, rounds=1, information="full",
    ...                      social_weight=0.5)
    >>> x = np.array([8.0, 10.0, 12.0, 14.0])
    >>> record, weights, graph = np.empty((2, 4)), np.empty(4), empty_network(4)
    >>> evolve(np.random.default_rng(1), p.rule_settings(), x, graph.indptr, graph.indices,
    ...        np.array([0, 1]), record, weights, False)
    >>> x.round(6).tolist()  # each moves halfway to the mean of the others
    [10.0, 10.666667, 11.333333, 12.0]
    """
    evolve_with_truth(rng, settings, settings.truth, settings.influencer_estimate, x, indptr,
                      indices, record_rounds, record_out, social_weights_out, parallel_ok)


@njit(cache=True, nogil=True)
def evolve_with_truth(rng, settings, truth, influencer_estimate, x, indptr, indices,
                      record_rounds, record_out, social_weights_out, parallel_ok):
    """:func:`evolve` with the truth (accuracy weights, drift) and the biased influencers'
    announced value given explicitly instead of ``settings.truth`` and
    ``settings.influencer_estimate``. Picks the path at run time, as :func:`rounds_path`
    does in Python."""
    path = _path_index(settings, general_revision(settings.later_weight_factor,
                                                  settings.anchoring, settings.distance_scale,
                                                  settings.asymmetry))
    args = (rng, settings, truth, influencer_estimate, x, indptr, indices, record_rounds,
            record_out, social_weights_out, parallel_ok)
    if path == PATH_DRIFT:
        _evolve_path(*args, 0, None, None, None, None, None, None)
    elif path == PATH_NEIGHBOURS:
        _evolve_path(*args, None, 0, None, None, None, None, None)
    elif path == PATH_AGGREGATE:
        _evolve_path(*args, None, None, 0, None, None, None, None)
    elif path == PATH_FULL:
        _evolve_path(*args, None, None, None, 0, None, None, None)
    elif path == PATH_AVERAGE:
        _evolve_path(*args, None, None, None, None, 0, None, None)
    elif path == PATH_DEFFUANT:
        _evolve_path(*args, None, None, None, None, None, 0, None)
    else:
        _evolve_path(*args, None, None, None, None, None, None, 0)


# The paths of the rounds, each compiled on its own (issue 14: a sweep compiles the rules it
# uses). A path is chosen by seven markers, exactly one of them an integer and the others
# None: numba's dead-branch pruning removes the branches of the None markers before typing,
# so a specialisation compiles only its path's round functions, and it is cached to disk
# like any other signature (a function passed as an argument would not be: its type holds
# the dispatcher's identity, a cache miss in every process; checked on numba 0.68).
(PATH_DRIFT, PATH_NEIGHBOURS, PATH_AGGREGATE, PATH_FULL, PATH_AVERAGE, PATH_DEFFUANT,
 PATH_SEQUENTIAL) = range(7)
#: The paths' names as ``crowdsim warm`` lists them, in the order of the markers.
PATH_NAMES = ("drift", "neighbours' mean", "aggregate", "full information",
              "general revision", "Deffuant", "sequential")


@njit(cache=True, nogil=True)
def _path_index(settings, general):
    """The path of the rounds :func:`_rounds` takes under ``settings`` (``PATH_*``);
    ``general``: :func:`~sim.models.estimation.rules.general_revision` of ``settings``."""
    if settings.information == NO_INFO and (settings.drift > 0.0 or settings.drift_noise > 0.0):
        return PATH_DRIFT
    if settings.rule == RULE_AVERAGE:
        # the neighbours' mean, with or without a confidence bound (DeGroot, Hegselmann-Krause)
        if (settings.information == NEIGHBOURS and not settings.reach_all and not general
                and not settings.shown_signal):
            return PATH_NEIGHBOURS
        if settings.information == AGGREGATE:
            return PATH_AGGREGATE
        if settings.information == FULL and not settings.shown_signal and not general:
            return PATH_FULL  # the blocked sums of _full_rows
        return PATH_AVERAGE
    if settings.rule == RULE_DEFFUANT:
        return PATH_DEFFUANT
    return PATH_SEQUENTIAL


def rounds_path(settings: RuleSettings) -> tuple:
    """The markers of the path ``settings`` take (see :func:`_rounds`), for the batch
    runners: ``(drift, neighbours, aggregate, full, average, deffuant, sequential)``, 0 for
    the path, None for the others.

    >>> rounds_path(EstimationParams(rounds=1, information="full").rule_settings())
    (None, None, None, 0, None, None, None)
    """
    markers = [None] * 7
    # the Python functions: no compilation to choose what to compile
    general = general_revision.py_func(settings.later_weight_factor, settings.anchoring,
                                       settings.distance_scale, settings.asymmetry)
    markers[_path_index.py_func(settings, general)] = 0
    return tuple(markers)


@njit(cache=True, nogil=True)
def _evolve_path(rng, settings, truth, influencer_estimate, x, indptr, indices,
                 record_rounds, record_out, social_weights_out, parallel_ok, drift, fast,
                 aggregate, full, average, deffuant, sequential):
    """:func:`evolve_with_truth` on one path (see :func:`_rounds`)."""
    slot = before_rounds(rng, settings, truth, influencer_estimate, x, record_rounds,
                         record_out, social_weights_out)
    _rounds(rng, settings, truth, x, indptr, indices, record_rounds, record_out,
            social_weights_out, parallel_ok, slot, drift, fast, aggregate, full, average,
            deffuant, sequential)


@njit(cache=True, nogil=True)
def _rounds(rng, settings, truth, x, indptr, indices, record_rounds, record_out,
            social_weights_out, parallel_ok, slot, drift, fast, aggregate, full, average,
            deffuant, sequential):
    """The rounds of :func:`evolve_with_truth` after :func:`before_rounds` (``slot``: the next
    row of ``record_out``), on the path whose marker is not None: ``drift``
    (:func:`_drift_round`, no social information), ``fast`` (the neighbours' mean, DeGroot
    or Hegselmann-Krause, :func:`_neighbour_rows`), ``aggregate`` (synchronous rounds seeing
    the board, :func:`_aggregate_round`), ``full`` (the blocked sums of :func:`_full_rows`),
    ``average`` (any other synchronous round, :func:`_average_round`), ``deffuant``
    (:func:`_deffuant_round`) or ``sequential`` (:func:`_sequential_round`). The markers
    are the path of ``settings`` (:func:`rounds_path`); each ``if marker is not None`` is
    resolved when compiling."""
    rounds = settings.rounds
    if rounds == 0:
        return
    n = x.shape[0]
    n_influencers = min(settings.n_influencers, n)
    log_space = settings.log_space
    influence = np.ones(n)
    for i in range(n_influencers):
        influence[i] = settings.influencer_weight
    rule = settings.rule
    information = settings.information
    drifting = information == NO_INFO and (settings.drift > 0.0 or settings.drift_noise > 0.0)
    # the first answers (after any influencer override), read by anchoring and drift
    x_first = x.copy() if settings.anchoring > 0.0 or drifting else x
    n_fixed = n_influencers if settings.biased_influencers else 0
    # Synchronous rounds alternate between x and a second buffer (no copy per round); in
    # linear space the revision-space view y is x itself, in log space one buffer.
    other = np.empty_like(x) if rule == RULE_AVERAGE and not drifting else x[:0]
    y_buffer = np.empty_like(x) if log_space else x[:0]
    weighted = _is_weighted(influence)
    prefetch = False
    if fast is not None:
        prefetch = _worth_prefetching(indptr, indices)
    work = n  # per round: agents plus what they read
    n_chunks = _n_chunks(n)
    if information == NEIGHBOURS:
        work += indices.shape[0]
    elif information == FULL:  # n^2 pairs, about 16 per step of the blocked loops
        work = n * n // 16
        n_chunks = max(1, min(n_chunks, n // FULL_BLOCK))  # whole blocks per chunk
    parallel = parallel_ok and work >= PARALLEL_MIN_WORK
    cur = x
    nxt = other
    swapped = False
    for r in range(1, rounds + 1):
        later = r >= 2
        if drift is not None:
            _drift_round(rng, settings, truth, cur, x_first, n_fixed)
        y = cur
        if log_space and (fast is not None or aggregate is not None or full is not None
                          or average is not None or sequential is not None):
            y = y_buffer
            if parallel:
                _into_space_parallel(cur, log_space, y)
            else:
                _into_space(cur, log_space, y)
        if fast is not None:
            if parallel:
                _neighbour_rows_parallel(cur, y, social_weights_out, influence, weighted,
                                         log_space, settings.epsilon, indptr, indices,
                                         nxt, prefetch, n_chunks)
            else:
                _neighbour_rows(0, n, cur, y, social_weights_out, influence, weighted,
                                log_space, settings.epsilon, indptr, indices, nxt,
                                prefetch)
            cur, nxt = nxt, cur
            swapped = not swapped
        if aggregate is not None:
            _aggregate_round(settings, cur, y, social_weights_out, influence, nxt, parallel,
                             n_chunks, later, x_first)
            cur, nxt = nxt, cur
            swapped = not swapped
        if full is not None:
            if parallel:
                _full_rows_parallel(cur, y, social_weights_out, influence, log_space,
                                    settings.epsilon, nxt, n_chunks)
            else:
                _full_rows(0, n, cur, y, social_weights_out, influence, log_space,
                           settings.epsilon, nxt)
            cur, nxt = nxt, cur
            swapped = not swapped
        if average is not None:
            _average_round(settings, cur, y, social_weights_out, influence, indptr,
                           indices, nxt, parallel, n_chunks, later, x_first)
            cur, nxt = nxt, cur
            swapped = not swapped
        if deffuant is not None:
            _deffuant_round(rng, settings, cur, social_weights_out, indptr, indices)
        if sequential is not None:
            _sequential_round(settings, cur, y, social_weights_out, influence, indptr,
                              indices, later, x_first)
        if slot < record_rounds.shape[0] and record_rounds[slot] == r:
            record_out[slot, :] = cur
            slot += 1
    if swapped:
        x[:] = cur  # the last round was written into the second buffer


@njit(cache=True, nogil=True)
def _run_crowd(rng, settings_values, x, multipliers_out, indptr, indices, record_rounds,
               record_out, social_weights_out, parallel_ok, drift, fast, aggregate, full,
               average, deffuant, sequential):
    """:func:`draw_crowd` then the rounds on the path of the markers (:func:`rounds_path`)
    in one compiled call (one Generator unboxing).

    ``settings_values`` is ``tuple(settings)``: numba unboxes a plain tuple a few
    microseconds faster than a named one, which is a few per cent of a replicate of 1,000
    agents.
    """
    settings = RuleSettings(*settings_values)
    draw_crowd(rng, settings, x, multipliers_out)
    _evolve_path(rng, settings, settings.truth, settings.influencer_estimate, x, indptr,
                 indices, record_rounds, record_out, social_weights_out, parallel_ok, drift,
                 fast, aggregate, full, average, deffuant, sequential)


@njit(cache=True, nogil=True)
def _run_private_crowd(rng, settings_values, x, multipliers_out, record_rounds, record_out,
                       social_weights_out):
    """:func:`_run_crowd` for a crowd without rounds of influence: the same draws, without
    compiling the rounds (see :func:`before_rounds`)."""
    settings = RuleSettings(*settings_values)
    draw_crowd(rng, settings, x, multipliers_out)
    before_rounds(rng, settings, settings.truth, settings.influencer_estimate, x,
                  record_rounds, record_out, social_weights_out)


@njit(cache=True, nogil=True)
def _run_observed(rng, settings_values, x, indptr, indices, record_rounds, record_out,
                  social_weights_out, parallel_ok, drift, fast, aggregate, full, average,
                  deffuant, sequential):
    """:func:`evolve` from observed first answers ``x`` (no private-belief draws), on the
    path of the markers (:func:`rounds_path`)."""
    settings = RuleSettings(*settings_values)
    _evolve_path(rng, settings, settings.truth, settings.influencer_estimate, x, indptr,
                 indices, record_rounds, record_out, social_weights_out, parallel_ok, drift,
                 fast, aggregate, full, average, deffuant, sequential)


@njit(cache=True, nogil=True)
def _start_replicate(rng, words, flags, order, states, r, settings, groups, common, starts,
                     x, multipliers):
    """Re-set the generator to replicate ``r``'s state, then fill ``x`` with its first
    answers: observed (row ``r`` of ``starts``, multipliers 1) or drawn private beliefs
    (``groups``, ``common``: the batch's :func:`_group_table` and scratch of
    :func:`_draw_crowd`)."""
    reseed(words, flags, order, states, r)
    if starts.shape[0] > 0:
        x[:] = starts[r]
        multipliers[r, :] = 1.0
    else:
        _draw_crowd(rng, settings, groups, common, x, multipliers[r])


@njit(cache=True, nogil=True)
def _run_crowds(rng, words, flags, order, states, first, stop, settings_values, indptr,
                indices, record_rounds, starts, trajectory, multipliers, social_weights,
                parallel_ok, drift, fast, aggregate, full, average, deffuant, sequential):
    """Replicates ``first .. stop - 1`` of a batch in one compiled call, on one network.

    ``rng`` is a :class:`~sim.batching.ReplicateGenerator`'s generator, ``words``, ``flags``,
    ``order`` its state views; before replicate ``r`` it is re-set to ``states[r]``
    (:func:`~sim.batching.pcg64_states` of the seeds), so replicate ``r`` draws what
    ``default_rng(seeds[r])`` would, exactly as :func:`run_replicate`. ``starts``: observed
    first answers (replicates, n_agents), or no rows to draw private beliefs. The network
    (``indptr``, ``indices``) is the batch's: only for kinds that draw nothing. The markers
    (:func:`rounds_path`) choose the one path of the rounds compiled.
    """
    settings = RuleSettings(*settings_values)
    x = np.empty(multipliers.shape[1])
    groups = _group_table(settings, x.shape[0])
    common = np.zeros(settings.n_groups)  # no allocation per replicate
    for r in range(first, stop):
        _start_replicate(rng, words, flags, order, states, r, settings, groups, common, starts,
                         x, multipliers)
        _evolve_path(rng, settings, settings.truth, settings.influencer_estimate, x, indptr,
                     indices, record_rounds, trajectory[r], social_weights[r], parallel_ok,
                     drift, fast, aggregate, full, average, deffuant, sequential)


@njit(cache=True, nogil=True)
def _run_private_crowds(rng, words, flags, order, states, first, stop, settings_values,
                        record_rounds, starts, trajectory, multipliers, social_weights):
    """:func:`_run_crowds` for crowds without rounds of influence: the same draws, without
    compiling the rounds (see :func:`before_rounds`)."""
    settings = RuleSettings(*settings_values)
    x = np.empty(multipliers.shape[1])
    groups = _group_table(settings, x.shape[0])
    common = np.zeros(settings.n_groups)  # no allocation per replicate
    for r in range(first, stop):
        _start_replicate(rng, words, flags, order, states, r, settings, groups, common, starts,
                         x, multipliers)
        before_rounds(rng, settings, settings.truth, settings.influencer_estimate, x,
                      record_rounds, trajectory[r], social_weights[r])


@njit(cache=True, nogil=True)
def _run_groups(rng, settings_values, starts, offsets, truths, indptr, indptr_offsets,
                indices, indices_offsets, record_rounds, out, drift, fast, aggregate, full,
                average, deffuant, sequential):
    """All groups of a :class:`GroupBatch` in order with one generator: group ``g``'s
    agents are ``offsets[g] .. offsets[g + 1] - 1`` of ``starts``; its network rows are
    ``indptr[indptr_offsets[g]:indptr_offsets[g + 1]]`` into
    ``indices[indices_offsets[g]:indices_offsets[g + 1]]``; rows of ``out`` are agents,
    columns the recorded rounds; the rounds on the path of the markers
    (:func:`rounds_path`)."""
    settings = RuleSettings(*settings_values)
    for g in range(truths.shape[0]):
        a = offsets[g]
        b = offsets[g + 1]
        n = b - a
        x = starts[a:b].copy()
        record = np.empty((record_rounds.shape[0], n))
        weights = np.empty(n)
        truth = truths[g]
        _evolve_path(rng, settings, truth, truth * (1.0 + settings.influencer_bias), x,
                     indptr[indptr_offsets[g]:indptr_offsets[g + 1]],
                     indices[indices_offsets[g]:indices_offsets[g + 1]], record_rounds,
                     record, weights, False, drift, fast, aggregate, full, average, deffuant,
                     sequential)
        for k in range(record_rounds.shape[0]):
            for i in range(n):
                out[a + i, k] = record[k, i]


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
                  social_weights_out: np.ndarray, parallel_ok: bool = True,
                  settings: RuleSettings | None = None,
                  initial_estimates: np.ndarray | None = None) -> None:
    """One crowd from its seed: network, private beliefs, rounds of influence.

    Draw order: see the module docstring. ``parallel_ok``: large rounds may use numba's
    threads (the result is the same either way). ``settings``: ``params.rule_settings()``,
    when the caller has built it already (once for many replicates).
    ``initial_estimates``: observed first answers (checked, float64, shape (n_agents,)) used
    instead of drawn private beliefs; the noise multipliers are then 1.0.

    Examples
    --------
    >>> p = EstimationParams(n_agents=5, rounds=1, information="aggregate")
    >>> trajectory, multipliers, weights = np.empty((1, 5)), np.empty(5), np.empty(5)
    >>> run_replicate(p, 7, np.array([1]), trajectory, multipliers, weights)
    >>> bool(np.array_equal(trajectory, simulate_crowds(p, [7], record_rounds=[1]).trajectory[0]))
    True
    """
    if settings is None:
        settings = params.rule_settings()
    _replicate_from(np.random.default_rng(int(seed)), params, record_rounds, trajectory_out,
                    multipliers_out, social_weights_out, parallel_ok, settings,
                    initial_estimates)


def _replicate_from(rng: np.random.Generator, params: EstimationParams,
                    record_rounds: np.ndarray, trajectory_out: np.ndarray,
                    multipliers_out: np.ndarray, social_weights_out: np.ndarray,
                    parallel_ok: bool, settings: RuleSettings,
                    initial_estimates: np.ndarray | None) -> None:
    """:func:`run_replicate` from the replicate's generator ``rng`` (fresh or re-set)."""
    graph = build_network(params.network, params.n_agents, rng) or empty_network(params.n_agents)
    if initial_estimates is not None:
        x = np.array(initial_estimates, dtype=np.float64)
        multipliers_out[:] = 1.0
        _run_observed(rng, tuple(settings), x, graph.indptr, graph.indices, record_rounds,
                      trajectory_out, social_weights_out, parallel_ok, *rounds_path(settings))
        return
    x = np.empty(params.n_agents)
    if settings.rounds == 0:  # no rounds: none of their rules is compiled
        _run_private_crowd(rng, tuple(settings), x, multipliers_out, record_rounds,
                           trajectory_out, social_weights_out)
        return
    _run_crowd(rng, tuple(settings), x, multipliers_out, graph.indptr, graph.indices,
               record_rounds, trajectory_out, social_weights_out, parallel_ok,
               *rounds_path(settings))


def simulate_crowds(params: EstimationParams, seeds, n_threads: int = 1,
                    record_rounds=None, initial_estimates=None) -> CrowdBatch:
    """Simulate one crowd per seed: private estimates, then ``params.rounds`` of influence.

    Parameters
    ----------
    params : EstimationParams
        The crowd (validated parameters).
    seeds : array_like of int
        One integer seed per replicate (see :func:`sim.seeding.replicate_seeds`).
    n_threads : int, default 1
        Threads running replicates concurrently (the kernels release the GIL). The result
        does not depend on it. With one (or one replicate), the synchronous rounds of a
        large crowd (``PARALLEL_MIN_WORK``) run on numba's threads instead
        (``numba.set_num_threads``; 1 keeps them on one thread, which can be faster when
        other processes keep the cores busy).
    record_rounds : array_like of int, optional
        Rounds to keep (0 = private estimates); default all. Keep only the last round for
        very large crowds.
    initial_estimates : array_like, shape (n_agents,) or (replicates, n_agents), optional
        Observed first answers (round 0) used instead of drawn private beliefs: no
        private-belief draws at all, noise multipliers 1.0 (biased influencers still
        announce their value). Finite, and positive in log space
        (:meth:`~sim.models.estimation.params.EstimationParams.check_initial_estimates`).

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
    >>> p = EstimationParams(n_agents=3, rounds=1, information="full", social_weight=0.5)
    >>> simulate_crowds(p, [7], initial_estimates=[1.0, 2.0, 3.0]).estimates.tolist()
    [[1.75, 2.0, 2.25]]
    """
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    starts = (None if initial_estimates is None
              else params.check_initial_estimates(initial_estimates, seeds.shape[0]))
    rounds = _record_rounds(params, record_rounds)
    n_replicates, n_agents = seeds.shape[0], params.n_agents
    trajectory = np.empty((n_replicates, rounds.shape[0], n_agents))
    multipliers = np.empty((n_replicates, n_agents))
    social_weights = np.empty((n_replicates, n_agents))
    settings = params.rule_settings()

    # one crowd at a time: large rounds use numba's threads; several at once: one thread each
    parallel_ok = (n_threads == 1 or n_replicates < 2) and get_num_threads() > 1
    # Seeded in bulk (sim.batching): replicate r's generator is one generator per thread
    # re-set to default_rng(seeds[r])'s state, so the draws are the same.
    states = pcg64_states(seeds)
    values = tuple(settings)
    path = rounds_path(settings)  # only this path of the rounds is compiled
    if params.network.kind in SEEDED_KINDS:
        # every replicate draws its own network first, in Python (the builders)
        def run(rows: range) -> None:
            shared = thread_generator()
            for r in rows:
                if shared.usable:
                    shared.reset(states, r)
                    rng = shared.generator
                else:
                    rng = np.random.default_rng(int(seeds[r]))
                _replicate_from(rng, params, rounds, trajectory[r], multipliers[r],
                                social_weights[r], parallel_ok, settings,
                                None if starts is None else starts[r])
    else:
        # the same network for every replicate (none draws nothing): built once, and the
        # replicate loop runs in compiled code
        graph = build_network(params.network, n_agents, None) or empty_network(n_agents)
        observed = np.empty((0, n_agents)) if starts is None else starts

        def run(rows: range) -> None:
            shared = thread_generator()
            if not shared.usable:  # an unverified state layout: one generator per replicate
                for r in rows:
                    run_replicate(params, seeds[r], rounds, trajectory[r], multipliers[r],
                                  social_weights[r], parallel_ok, settings,
                                  None if starts is None else starts[r])
                return
            if settings.rounds == 0:  # no rounds: none of their rules is compiled
                _run_private_crowds(shared.generator, *shared.views, states, rows.start,
                                    rows.stop, values, rounds, observed, trajectory,
                                    multipliers, social_weights)
                return
            _run_crowds(shared.generator, *shared.views, states, rows.start, rows.stop,
                        values, graph.indptr, graph.indices, rounds, observed, trajectory,
                        multipliers, social_weights, parallel_ok, *path)

    if n_threads == 1 or n_replicates < 2:
        run(range(n_replicates))
    else:
        bounds = np.linspace(0, n_replicates, n_threads + 1).astype(int)
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(run, [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))
    return CrowdBatch(trajectory=trajectory, rounds=rounds, noise_multipliers=multipliers,
                      social_weights=social_weights, seeds=seeds)


@dataclass(frozen=True)
class GroupBatch:
    """Many observed groups, concatenated once for :func:`simulate_groups`.

    Attributes:
        starts: array (total_agents,), every group's first answers, group after group.
        offsets: array (groups + 1,), group ``g``'s agents are rows
            ``offsets[g] .. offsets[g + 1] - 1``.
        truths: array (groups,), each group's true value.
        indptr, indptr_offsets: the groups' CSR row offsets concatenated (each group's own,
            starting at 0), and where each group's begin (groups + 1).
        indices, indices_offsets: the groups' neighbour ids (local to the group)
            concatenated, and where each group's begin (groups + 1).
    """

    starts: np.ndarray
    offsets: np.ndarray
    truths: np.ndarray
    indptr: np.ndarray
    indptr_offsets: np.ndarray
    indices: np.ndarray
    indices_offsets: np.ndarray

    @classmethod
    def build(cls, starts: list[np.ndarray], truths: list[float],
              graphs: list[CSR | None] | None = None) -> GroupBatch:
        """Concatenate groups: their first answers, truths and networks (None: no network;
        ``graphs`` None: none for any group).

        Examples
        --------
        >>> batch = GroupBatch.build([np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])],
        ...                          [1.5, 4.0], [None, None])
        >>> batch.offsets.tolist(), batch.n_groups, batch.n_agents
        ([0, 2, 5], 2, 5)
        """
        if graphs is None:
            graphs = [None] * len(starts)
        if not len(starts) == len(truths) == len(graphs):
            raise ValueError(f"starts, truths and graphs differ in length: {len(starts)}, "
                             f"{len(truths)}, {len(graphs)}")
        if not starts:
            raise ValueError("a GroupBatch needs at least one group")
        arrays = [np.asarray(x, dtype=np.float64).reshape(-1) for x in starts]
        sizes = np.array([x.shape[0] for x in arrays], dtype=np.int64)
        if np.any(sizes < 1):
            raise ValueError("every group needs at least one agent")
        indptrs, index_parts = [], []
        for g, (size, graph) in enumerate(zip(sizes, graphs)):
            if graph is None:
                indptrs.append(np.zeros(size + 1, dtype=np.int64))
                index_parts.append(np.zeros(0, dtype=np.int32))
                continue
            if graph.n_nodes != size:
                raise ValueError(f"group {g}: network of {graph.n_nodes} nodes for {size} "
                                 "agents")
            indptrs.append(np.asarray(graph.indptr, dtype=np.int64))
            index_parts.append(np.asarray(graph.indices, dtype=np.int32))
        starts_all = np.concatenate(arrays)
        truths_all = np.asarray(truths, dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(starts_all)) and np.all(np.isfinite(truths_all))):
            raise ValueError("starts and truths must be finite")
        return cls(
            starts=starts_all,
            offsets=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            truths=truths_all,
            indptr=np.concatenate(indptrs),
            indptr_offsets=np.concatenate([[0], np.cumsum(sizes + 1)]).astype(np.int64),
            indices=np.concatenate(index_parts),
            indices_offsets=np.concatenate(
                [[0], np.cumsum([p.shape[0] for p in index_parts])]).astype(np.int64),
        )

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.truths.shape[0])

    @property
    def n_agents(self) -> int:
        """Agents of all groups together."""
        return int(self.starts.shape[0])


def _check_group_values(params: EstimationParams, groups: GroupBatch) -> None:
    if params.needs_positive and not (np.all(groups.starts > 0) and np.all(groups.truths > 0)):
        raise ValueError("starts and truths must be positive with revision_space=log or "
                         "signal=geometric_mean")


def simulate_groups(params: EstimationParams, groups: GroupBatch,
                    rng: np.random.Generator) -> np.ndarray:
    """Run every group of ``groups`` from its observed first answers, in one compiled call.

    The groups run in order with the one generator ``rng`` and one settings record
    (``params.rule_settings()``, the truth and a biased influencer's value taken per group
    from the batch): the same as :func:`run_group` group after group with the same
    generator, bit for bit. ``params.n_agents`` and ``params.network`` are ignored (sizes
    and networks come from the batch; ``params.information`` decides what agents see).

    Returns
    -------
    numpy.ndarray
        Shape (total agents, ``params.rounds + 1``): each agent's estimates, round 0 (the
        given starts) to the last round, groups concatenated as in the batch.

    Examples
    --------
    >>> p = EstimationParams(rounds=1, information="full", social_weight=0.5)
    >>> batch = GroupBatch.build([np.array([1.0, 3.0]), np.array([10.0, 20.0])],
    ...                          [2.0, 15.0], [None, None])
    >>> simulate_groups(p, batch, np.random.default_rng(1)).tolist()
    [[1.0, 2.0], [3.0, 2.0], [10.0, 15.0], [20.0, 15.0]]
    """
    _check_group_values(params, groups)
    record_rounds = np.arange(params.rounds + 1, dtype=np.int64)
    out = np.empty((groups.n_agents, params.rounds + 1))
    settings = params.rule_settings()
    _run_groups(rng, tuple(settings), groups.starts, groups.offsets,
                groups.truths, groups.indptr, groups.indptr_offsets, groups.indices,
                groups.indices_offsets, record_rounds, out, *rounds_path(settings))
    return out


def run_group(params: EstimationParams, start, rng: np.random.Generator,
              truth: float | None = None, graph: CSR | None = None) -> np.ndarray:
    """One group from its observed first answers ``start`` with the generator ``rng``, by
    :func:`evolve` (``params.truth`` replaced by ``truth`` when given; ``params.n_agents``
    and ``params.network`` ignored, ``graph`` the group's network or None).

    Returns the trajectory, shape (len(start), ``params.rounds + 1``), as one group's rows of
    :func:`simulate_groups`.

    Examples
    --------
    >>> p = EstimationParams(rounds=1, information="full", social_weight=0.5)
    >>> run_group(p, [1.0, 3.0], np.random.default_rng(1), truth=2.0).tolist()
    [[1.0, 2.0], [3.0, 2.0]]
    """
    x = np.array(start, dtype=np.float64).reshape(-1)
    n = x.shape[0]
    truth = params.truth if truth is None else float(truth)
    _check_group_values(params, GroupBatch.build([x], [truth], [graph]))
    settings = params.rule_settings()
    settings = settings._replace(
        truth=truth,
        influencer_estimate=(0.0 if params.influencer_bias is None
                             else truth * (1.0 + params.influencer_bias)))
    graph = empty_network(n) if graph is None else graph
    record = np.empty((params.rounds + 1, n))
    weights = np.empty(n)
    _run_observed(rng, tuple(settings), x, graph.indptr, graph.indices,
                  np.arange(params.rounds + 1, dtype=np.int64), record, weights, False,
                  *rounds_path(settings))
    return record.T.copy()

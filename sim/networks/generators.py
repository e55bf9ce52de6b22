"""Network topologies: one small pure function per topology, each returning a :class:`CSR`.

Deterministic: :func:`empty`, :func:`complete`, :func:`ring_lattice`, :func:`star`.
Random: :func:`watts_strogatz`, :func:`erdos_renyi`, :func:`barabasi_albert`,
:func:`random_regular`, :func:`centralized` and :func:`stochastic_block` (with
:func:`communities`, its node labels). Callers pass ``seed`` as an int or a numpy Generator
(see "Seeding" in :mod:`sim.networks`); the decorators
:func:`~sim.networks._seeds.np_random_state` and :func:`~sim.networks._seeds.py_random_state`
turn it into a fresh ``numpy.random.Generator`` or ``random.Random`` before the body runs, so
inside a random builder ``seed`` is already the random state to draw from.

:func:`ring_lattice`, :func:`erdos_renyi`, :func:`stochastic_block`, :func:`star`,
:func:`complete` and :func:`empty` build the arrays directly with vectorised numpy, and
:func:`watts_strogatz` with a numba-compiled loop (:mod:`sim.networks.rewiring`); they scale
to millions of nodes. :func:`barabasi_albert`, :func:`random_regular` and
:func:`centralized` use networkx's generators and suit up to about 10^5 nodes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim._docs import fill_docstrings
from sim.networks._checks import (
    check_int,
    check_lattice_degree,
    check_n_agents,
    check_probability,
    check_regular_degree,
)
from sim.networks._seeds import np_random_state, py_random_state
from sim.networks.csr import CSR, _assemble, _index_dtype, _owned, _owned_rows, _regular_rows
from sim.networks.rewiring import rewire_ring_lattice

__all__ = ["MAX_COMPLETE_ENTRIES", "empty", "complete", "ring_lattice", "star",
           "watts_strogatz", "erdos_renyi", "barabasi_albert", "random_regular", "centralized",
           "communities", "stochastic_block"]

#: A complete graph with more directed entries than this is refused (it would take > 8 GB).
MAX_COMPLETE_ENTRIES = 2**31 - 1


def empty(n_agents: int) -> CSR:
    """``n_agents`` isolated nodes (no ties: every agent keeps its own estimate).

    Examples
    --------
    >>> empty(3)
    CSR(n_nodes=3, n_edges=0, weighted=False)
    """
    n = check_n_agents(n_agents, "empty")
    return CSR(indptr=_owned(np.zeros(n + 1, np.int64)),
               indices=_owned(np.zeros(0, _index_dtype(n))))


def complete(n_agents: int) -> CSR:
    """The complete graph: every agent tied to every other (degree ``n_agents - 1``).

    Refused above :data:`MAX_COMPLETE_ENTRIES` directed entries (about 46,000 agents, 8 GB):
    a crowd where everyone sees everyone is better handled as a mean field.

    Examples
    --------
    >>> g = complete(4)
    >>> g.n_edges, g.neighbours(2)
    (6, array([0, 1, 3], dtype=int32))
    """
    n = check_n_agents(n_agents, "complete")
    if n * (n - 1) > MAX_COMPLETE_ENTRIES:
        raise ValueError(f"complete: n_agents must be at most 46341 (n(n-1) <= 2**31 - 1 "
                         f"entries), got {n}; model a crowd this large as a mean field")
    cols = np.arange(n - 1, dtype=np.int64)
    rows = cols[None, :] + (cols[None, :] >= np.arange(n)[:, None])   # skip the diagonal
    return _regular_rows(n, rows)


def ring_lattice(n_agents: int, degree: int) -> CSR:
    """Ring lattice: node ``i`` tied to ``i ± 1, ..., i ± degree/2`` (indices mod n).

    The starting point of Watts & Strogatz (1998): every node has exactly ``degree``
    neighbours, clustering ``3(k-2) / (4(k-1))`` for ``k = degree >= 2``. Built directly as
    arrays (no networkx); draws no random numbers.

    Parameters
    ----------
    %(n_agents)s
    %(lattice_degree)s

    References
    ----------
    D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
    Nature 393:440-442 (1998).

    Examples
    --------
    >>> g = ring_lattice(6, 4)
    >>> g.neighbours(0), g.neighbours(3)
    (array([1, 2, 4, 5], dtype=int32), array([1, 2, 4, 5], dtype=int32))
    >>> ring_lattice(6, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ring_lattice: degree must be even (degree/2 neighbours on each side ...), got 3
    """
    n = check_n_agents(n_agents, "ring_lattice")
    degree = check_lattice_degree(n, degree, "ring_lattice")
    h = degree // 2
    dtype = _index_dtype(n)
    offsets = np.concatenate([np.arange(-h, 0), np.arange(1, h + 1)]).astype(dtype)
    rows = np.arange(n, dtype=dtype)[:, None] + offsets[None, :]       # n * degree entries
    # only the first and last h rows wrap around the ring; sort just those
    wrap = np.r_[0:min(h, n), max(n - h, h):n]
    if wrap.size:
        rows[wrap] = np.sort(np.mod(rows[wrap], n), axis=1)
    return _regular_rows(n, rows)


def star(n_agents: int) -> CSR:
    """The star: node 0 (the hub) tied to every other node, which see only the hub.

    Becker, Brackbill & Centola (2017)'s *centralized* condition is this network on 40
    nodes: in their data (``sim/data/becker2017.csv``) every peripheral subject's neighbour
    mean equals the hub's estimate and the hub's equals the mean of all others. See also
    :func:`centralized` for a hub on top of a random network.

    Examples
    --------
    >>> g = star(5)
    >>> g.degrees
    array([4, 1, 1, 1, 1])
    """
    n = check_n_agents(n_agents, "star")
    dtype = _index_dtype(n)
    indptr = np.concatenate([[0], n - 1 + np.arange(n, dtype=np.int64)]) if n > 1 \
        else np.zeros(2, np.int64)
    indices = np.concatenate([np.arange(1, n, dtype=dtype), np.zeros(n - 1, dtype)])
    return CSR(indptr=_owned(indptr), indices=_owned(indices))


@np_random_state("seed")
def watts_strogatz(n_agents: int, degree: int, rewire_p: float, seed) -> CSR:
    """Watts & Strogatz (1998) small-world network: a ring lattice with rewired ties.

    Each lattice tie ``(i, i+j)``, ``j = 1 .. degree/2``, is rewired with probability
    ``rewire_p`` to ``(i, r)``, ``r`` uniform among the nodes that are neither ``i`` nor
    already tied to ``i`` at that moment. Ties are visited in Watts & Strogatz's order (``j``
    outer, ``i`` inner) and the graph changes as they go, exactly as in
    ``networkx.watts_strogatz_graph``. The number of ties stays ``n_agents * degree / 2``
    (mean degree exactly ``degree``); every node keeps at least ``degree/2`` ties.
    ``rewire_p = 0`` gives :func:`ring_lattice`; ``rewire_p = 1`` a random graph with
    minimum degree ``degree/2``.

    Parameters
    ----------
    %(n_agents)s
    %(lattice_degree)s
    rewire_p : float
        Probability in [0, 1] that a lattice tie is rewired.
    %(seed)s

    Notes
    -----
    networkx's algorithm, compiled with numba (no networkx graph is built; see
    :func:`sim.networks.rewiring.rewire_ring_lattice`): a million nodes of degree 10 take
    under a second. Every tie stays in the slots of the node it started from, so "already
    tied" reads two nodes' slots, and the rows are written straight into the CSR: the build
    needs the result plus 4 bytes per tie. With ``rng = numpy.random.default_rng(s)``
    (``s`` the seed's integer), each lattice tie in order draws ``rng.random()``; if below
    ``rewire_p``, the new end is ``rng.integers(0, n)``, drawn again while it is ``i`` or
    already tied to ``i``; when ``i`` is tied to everybody the tie stays (networkx's rule).
    Same ensemble as networkx;
    different graphs for the same seed (networkx draws from Python's ``random``).

    References
    ----------
    D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
    Nature 393:440-442 (1998). networkx.watts_strogatz_graph (networkx 3.x).

    Examples
    --------
    >>> g = watts_strogatz(20, 4, 0.2, seed=1)
    >>> g.n_edges, int(g.degrees.min()) >= 2
    (40, True)
    >>> bool(np.array_equal(watts_strogatz(20, 4, 0.0, seed=1).indices,
    ...                     ring_lattice(20, 4).indices))
    True
    """
    who = "watts_strogatz"
    n = check_n_agents(n_agents, who)
    degree = check_lattice_degree(n, degree, who)
    p = check_probability(rewire_p, who, "rewire_p")
    h = degree // 2
    if h == 0 or p == 0.0:
        return ring_lattice(n, degree)
    # each node's own ties, then the rows, in arrays of the result's size or smaller: the
    # build peaks at the CSR plus the n h ends (int32), 1.4x the result at degree 10
    ends = np.empty(n * h, _index_dtype(n))
    indptr = np.empty(n + 1, np.int64)
    rewire_ring_lattice(n, h, p, seed, ends, indptr[1:])
    return _owned_rows(n, h, ends, indptr, who)


@np_random_state("seed")
def erdos_renyi(n_agents: int, p: float, seed) -> CSR:
    """Erdős–Rényi (Gilbert) random graph G(n, p): each pair tied independently with ``p``.

    Parameters
    ----------
    %(n_agents)s
    p : float
        Tie probability in [0, 1]; mean degree ``p (n - 1)``.
    %(seed)s

    Notes
    -----
    Exact and vectorised: with ``rng = numpy.random.default_rng(s)`` the number of ties is
    ``m = rng.binomial(n(n-1)/2, p)`` and the tied pairs a uniform ``m``-subset of all pairs,
    ``rng.choice(n(n-1)/2, m, replace=False, shuffle=False)``, decoded from their index in
    lower-triangle order. O(n + m) time and memory (Batagelj & Brandes 2005 do the same by
    geometric skips); not the same graphs as ``networkx.gnp_random_graph`` for a seed.

    References
    ----------
    P. Erdős and A. Rényi, "On random graphs I", Publ. Math. Debrecen 6:290-297 (1959).
    E. N. Gilbert, "Random graphs", Ann. Math. Stat. 30:1141-1144 (1959).
    V. Batagelj and U. Brandes, "Efficient generation of large random networks",
    Phys. Rev. E 71:036113 (2005).

    Examples
    --------
    >>> g = erdos_renyi(2000, 0.005, seed=3)
    >>> bool(9 < g.degrees.mean() < 11)
    True
    >>> erdos_renyi(10, 1.5, seed=3)
    Traceback (most recent call last):
    ...
    ValueError: erdos_renyi: p must be a probability in [0, 1], got 1.5
    """
    who = "erdos_renyi"
    n = check_n_agents(n_agents, who)
    p = check_probability(p, who, "p")
    u, v = _sample_pairs(seed, n * (n - 1) // 2, p)
    return _assemble(n, u, v, None, who=who)


def _sample_pairs(rng: np.random.Generator, n_pairs: int, p: float,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli(p) sample of the pairs ``j < i`` numbered ``i(i-1)/2 + j`` below ``n_pairs``."""
    return _decode_pairs(_sample_indices(rng, n_pairs, p))


def _sample_indices(rng: np.random.Generator, n_items: int, p: float) -> np.ndarray:
    """Indices in ``[0, n_items)``, each kept independently with probability ``p``."""
    m = int(rng.binomial(n_items, p)) if n_items else 0
    if m == 0:
        return np.zeros(0, np.int64)
    return np.asarray(rng.choice(n_items, size=m, replace=False, shuffle=False), np.int64)


def _decode_pairs(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair ``(i, j)``, ``j < i``, with index ``k = i(i-1)/2 + j`` (lower-triangle order)."""
    i = ((1.0 + np.sqrt(1.0 + 8.0 * k.astype(np.float64))) / 2.0).astype(np.int64)
    i -= (i * (i - 1) // 2) > k                       # float rounding: at most one off
    i += ((i + 1) * i // 2) <= k
    return i, k - i * (i - 1) // 2


@py_random_state("seed")
def barabasi_albert(n_agents: int, m: int, seed) -> CSR:
    """Barabási–Albert preferential attachment (``networkx.barabasi_albert_graph``).

    Starts from a star on ``m + 1`` nodes; each later node ties to ``m`` existing nodes chosen
    with probability proportional to their degree: ``m (n - m)`` ties in all.

    Parameters
    ----------
    n_agents : int
        Number of nodes (>= 2).
    m : int
        Ties per new node, ``1 <= m < n_agents``.
    %(networkx_seed)s

    References
    ----------
    A.-L. Barabási and R. Albert, "Emergence of scaling in random networks", Science
    286:509-512 (1999).

    Examples
    --------
    >>> barabasi_albert(50, 3, seed=5).n_edges   # m (n - m)
    141
    """
    import networkx as nx

    who = "barabasi_albert"
    n = check_n_agents(n_agents, who, minimum=2)
    m = check_int(m, who, "m", 1, n - 1, f" (below n_agents = {n})")
    return _from_int_graph(nx.barabasi_albert_graph(n, m, seed=seed), n)


@py_random_state("seed")
def random_regular(n_agents: int, degree: int, seed) -> CSR:
    """Uniform-ish random ``degree``-regular graph (``networkx.random_regular_graph``).

    Becker, Brackbill & Centola (2017)'s *decentralized* condition is such a network with
    40 nodes of degree 4 (in their data, neighbour means are quarters of integer sums).

    Parameters
    ----------
    %(n_agents)s
    degree : int
        ``0 <= degree < n_agents`` with ``n_agents * degree`` even.
    %(networkx_seed)s

    References
    ----------
    A. Steger and N. C. Wormald, "Generating random regular graphs quickly", Combinatorics,
    Probability and Computing 8:377-396 (1999).

    Examples
    --------
    >>> set(random_regular(40, 4, seed=2017).degrees.tolist())
    {4}
    >>> random_regular(5, 3, seed=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: random_regular: n_agents * degree must be even (...), got 5 * 3 = 15
    """
    import networkx as nx

    who = "random_regular"
    n = check_n_agents(n_agents, who)
    degree = check_regular_degree(n, degree, who)
    return _from_int_graph(nx.random_regular_graph(degree, n, seed=seed), n)


def _from_int_graph(G, n: int) -> CSR:
    """CSR of a networkx graph whose nodes are the integers ``0 .. n-1``."""
    edges = np.array(list(G.edges()), dtype=np.int64).reshape(-1, 2)
    return _assemble(n, edges[:, 0], edges[:, 1], None, who="networkx")


@np_random_state("seed")
def centralized(n_agents: int, degree: int, seed, hub_degree: int | None = None) -> CSR:
    """A hub on a random network: node 0 tied to ``hub_degree`` others, who also tie
    among themselves as a random ``degree``-regular graph.

    Construction, with ``rng = numpy.random.default_rng(s)``: nodes ``1 .. n-1`` form
    ``random_regular(n - 1, degree, seed=int(rng.integers(2**63)))`` (ids shifted by one);
    the hub 0 is tied to ``rng.choice(n - 1, hub_degree, replace=False) + 1``. Peripheral
    nodes have degree ``degree`` or ``degree + 1`` (those tied to the hub).

    Parameters
    ----------
    n_agents : int
        Number of nodes (>= 2).
    degree : int
        Degree among peripheral nodes: ``0 <= degree < n_agents - 1``, with
        ``(n_agents - 1) * degree`` even.
    %(seed)s
    hub_degree : int, optional
        Ties of the hub, ``1 <= hub_degree <= n_agents - 1``; default ``n_agents - 1``.

    Notes
    -----
    Becker, Brackbill & Centola (2017) contrast decentralized networks (every node degree
    4) with centralized ones. In their data the centralized network is a star: the hub sees
    everyone, the others see only the hub; ``centralized(40, 0, seed)`` is that star
    (:func:`star`). ``degree > 0`` keeps the hub's dominance but lets peripheral agents
    also hear each other; ``hub_degree < n - 1`` makes the hub reach part of the crowd.

    References
    ----------
    J. Becker, D. Brackbill and D. Centola, "Network dynamics of social influence in the
    wisdom of crowds", PNAS 114(26):E5070-E5076 (2017).

    Examples
    --------
    >>> g = centralized(40, 4, seed=11, hub_degree=20)
    >>> int(g.degrees[0]), sorted(set(g.degrees[1:].tolist()))
    (20, [4, 5])
    >>> bool(np.array_equal(centralized(40, 0, seed=11).indices, star(40).indices))
    True
    """
    import networkx as nx

    who = "centralized"
    n = check_n_agents(n_agents, who, minimum=2)
    degree, hub_degree = _check_centralized(n, degree, hub_degree)
    periphery = nx.random_regular_graph(degree, n - 1, seed=int(seed.integers(2**63)))
    edges = np.array(list(periphery.edges()), dtype=np.int64).reshape(-1, 2) + 1
    hub_ties = seed.choice(n - 1, size=hub_degree, replace=False) + 1
    u = np.concatenate([edges[:, 0], np.zeros(hub_degree, np.int64)])
    v = np.concatenate([edges[:, 1], hub_ties])
    return _assemble(n, u, v, None, who=who)


def _check_centralized(n: int, degree, hub_degree) -> tuple[int, int]:
    degree = check_regular_degree(n - 1, degree, "centralized", nodes="(n_agents - 1)")
    hub_degree = n - 1 if hub_degree is None else check_int(
        hub_degree, "centralized", "hub_degree", 1, n - 1, f" (below n_agents = {n})")
    return degree, hub_degree


def communities(n_agents: int, n_communities: int) -> NDArray[np.int64]:
    """Community of every node in :func:`stochastic_block`: contiguous, near-equal blocks.

    The first ``n_agents % n_communities`` communities have one node more than the others.

    Examples
    --------
    >>> communities(7, 3)
    array([0, 0, 0, 1, 1, 2, 2])
    """
    n = check_n_agents(n_agents, "communities")
    c = check_int(n_communities, "communities", "n_communities", 1, n,
                   f" (at most n_agents = {n})")
    sizes = _block_sizes(n, c)
    return np.repeat(np.arange(c, dtype=np.int64), sizes)


def _block_sizes(n: int, c: int) -> np.ndarray:
    q, r = divmod(n, c)
    return np.array([q + 1] * r + [q] * (c - r), dtype=np.int64)


@np_random_state("seed")
def stochastic_block(n_agents: int, n_communities: int, p_in: float, bridge_share: float,
                     seed) -> CSR:
    """Communities with dense inside ties and a share of bridging ("weak") ties between them.

    Nodes fall into ``n_communities`` contiguous communities of near-equal size
    (:func:`communities`). Two nodes of the same community are tied with probability
    ``p_in``; two nodes of different communities with

    ``p_out = bridge_share / (1 - bridge_share) * p_in * (s - 1) / (n - s)``, ``s = n / c``,

    so that a node's expected ties split into ``p_in (s - 1)`` inside its community and
    ``p_out (n - s)`` outside, the latter a share ``bridge_share`` of all its expected ties
    (exactly for equal sizes). Mean degree: ``p_in (s - 1) / (1 - bridge_share)``. The bridges
    are Granovetter's weak ties: few, but they carry information between clusters.

    Parameters
    ----------
    %(n_agents)s
    n_communities : int
        ``1 <= n_communities <= n_agents``.
    p_in : float
        Tie probability within a community, in [0, 1].
    bridge_share : float
        Expected share of each node's ties that bridge communities, in [0, 1); must be 0
        with one community, and must not push ``p_out`` above 1.
    %(seed)s

    Notes
    -----
    Exact and vectorised (no networkx). With ``rng = numpy.random.default_rng(s)``: for each
    community size (at most two), one draw of the inside ties of all communities of that
    size, then one G(n, p_out) draw (as in :func:`erdos_renyi`) of which the pairs inside a
    community are dropped, leaving each between-community pair tied with ``p_out``.

    References
    ----------
    P. W. Holland, K. B. Laskey and S. Leinhardt, "Stochastic blockmodels: first steps",
    Social Networks 5:109-137 (1983).
    M. S. Granovetter, "The strength of weak ties", American Journal of Sociology
    78:1360-1380 (1973).

    Examples
    --------
    >>> g = stochastic_block(1000, 10, 0.2, 0.25, seed=4)
    >>> labels = communities(1000, 10)
    >>> rows = np.repeat(np.arange(1000), g.degrees)
    >>> share = float(np.mean(labels[rows] != labels[g.indices]))
    >>> 0.22 < share < 0.28
    True
    """
    who = "stochastic_block"
    n = check_n_agents(n_agents, who)
    c, p_in, bridge_share, p_out = _check_block(n, n_communities, p_in, bridge_share)
    sizes = _block_sizes(n, c)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    us, vs = [], []
    for size in sorted(set(sizes.tolist()), reverse=True):
        blocks = np.flatnonzero(sizes == size)
        per_block = size * (size - 1) // 2
        if per_block == 0:
            continue
        # index k = block * per_block + local pair; decode the local pair inside its block
        block, local = np.divmod(_sample_indices(seed, per_block * blocks.size, p_in),
                                 per_block)
        li, lj = _decode_pairs(local)
        offset = starts[blocks[block]]
        us.append(li + offset)
        vs.append(lj + offset)
    if p_out > 0:
        i, j = _sample_pairs(seed, n * (n - 1) // 2, p_out)
        label = np.repeat(np.arange(c), sizes)
        between = label[i] != label[j]
        us.append(i[between])
        vs.append(j[between])
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    return _assemble(n, u, v, None, who=who)


def _check_block(n: int, n_communities, p_in, bridge_share) -> tuple[int, float, float, float]:
    who = "stochastic_block"
    c = check_int(n_communities, who, "n_communities", 1, n, f" (at most n_agents = {n})")
    p_in = check_probability(p_in, who, "p_in")
    ok = not isinstance(bridge_share, (bool, np.bool_)) and isinstance(
        bridge_share, (int, float, np.number))
    if ok:
        bridge_share = float(bridge_share)
        ok = math.isfinite(bridge_share) and 0.0 <= bridge_share < 1.0
    if not ok:
        raise ValueError(f"{who}: bridge_share must be in [0, 1), got {bridge_share!r}")
    if c == 1:
        if bridge_share > 0:
            raise ValueError(f"{who}: bridge_share must be 0 with a single community "
                             f"(n_communities = 1), got {bridge_share}")
        return c, p_in, bridge_share, 0.0
    s = n / c
    p_out = bridge_share / (1.0 - bridge_share) * p_in * (s - 1.0) / (n - s)
    if p_out > 1.0:
        raise ValueError(f"{who}: bridge_share = {bridge_share} needs a between-community "
                         f"tie probability of {p_out:.3g} > 1; lower bridge_share or p_in")
    return c, p_in, bridge_share, p_out


fill_docstrings(globals())

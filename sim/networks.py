"""Social networks: topologies built once, handed to kernels as CSR arrays.

A network is a :class:`CSR` container (``indptr``, ``indices``, optional ``weights``) of an
undirected simple graph on nodes ``0 .. n-1``: every tie appears in both nodes' rows, rows are
sorted, with no self-loops and no repeated ties. Kernels read ``indices[indptr[i]:indptr[i+1]]``
as agent ``i``'s neighbours; the Mesa model gets a networkx graph from :func:`to_networkx`.

Builders are small pure functions, one per topology, in the style of networkx's generators:
:func:`complete`, :func:`empty`, :func:`ring_lattice`, :func:`watts_strogatz`,
:func:`barabasi_albert`, :func:`erdos_renyi`, :func:`random_regular`, :func:`star`,
:func:`centralized`, :func:`stochastic_block` and :func:`from_file`. :func:`build` dispatches
from a validated :data:`NetworkSpec` (the ``network:`` block of a config) and :func:`check`
raises the same one-line errors at config-validation time, before any run.

Seeding
-------
Random builders take a required ``seed``: an ``int`` in ``[0, 2**63)`` or a
:class:`numpy.random.Generator`, from which they draw exactly one integer
(``seed.integers(2**63)``) and then use only that. Given the same seed a builder returns the
same arrays, bit for bit, in any process and on any machine with the same numpy and networkx
versions; nothing ever draws from an unseeded or global generator. :func:`build` draws that one
integer from the run's generator for the kinds in :data:`SEEDED_KINDS` and nothing for the
others, so the Mesa model and the numba kernel, building the network at the same point of the
same generator's stream, get the same network and continue with the same stream.

Large graphs
------------
:func:`ring_lattice`, :func:`erdos_renyi`, :func:`stochastic_block`, :func:`star`,
:func:`complete` and :func:`empty` build the arrays directly with vectorised numpy, and
:func:`watts_strogatz` with a numba-compiled loop: a million nodes of degree 10 take tens of
milliseconds as a ring lattice and about a second as a small world (two with every tie
rewired); see ``benchmarks/bench_networks.py``. :func:`barabasi_albert`,
:func:`random_regular` and :func:`centralized` use networkx's generators and suit up to about
10^5 nodes. A CSR takes 8 bytes per node (``indptr``, int64) plus 4 bytes per directed entry
(``indices``, int32 below 2**31 nodes, else int64; each undirected tie has two entries), plus
8 per entry with weights: 48 bytes per node at degree 10. The first call of a compiled loop
in a fresh checkout compiles it (a few seconds, once); numba caches it in ``__pycache__``.

Examples
--------
>>> import numpy as np
>>> g = watts_strogatz(1000, 10, 0.1, seed=np.random.default_rng(7))
>>> g.n_nodes, g.n_edges, float(g.degrees.mean())
(1000, 5000, 10.0)
>>> build({"kind": "ring_lattice", "degree": 4}, 6, rng=None).indices[:4]
array([1, 2, 4, 5], dtype=int32)
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "CSR", "from_edges", "to_csr", "to_networkx", "to_scipy", "check_csr",
    "empty", "complete", "ring_lattice", "watts_strogatz", "barabasi_albert", "erdos_renyi",
    "random_regular", "star", "centralized", "stochastic_block", "communities", "from_file",
    "components", "neighbour_mean",
    "NetworkSpec", "NoNetwork", "CompleteSpec", "RingLatticeSpec", "WattsStrogatzSpec",
    "BarabasiAlbertSpec", "ErdosRenyiSpec", "RandomRegularSpec", "StarSpec", "CentralizedSpec",
    "StochasticBlockSpec", "FileSpec", "SEEDED_KINDS", "parse_spec", "check", "build",
]

#: Largest node count whose neighbour ids are stored as int32.
_INT32_MAX = 2**31 - 1
#: A complete graph with more directed entries than this is refused (it would take > 8 GB).
MAX_COMPLETE_ENTRIES = 2**31 - 1


# =============================================================================================
# the container


@dataclass(frozen=True, eq=False, repr=False)
class CSR:
    """An undirected simple graph on nodes ``0 .. n_nodes-1`` in compressed sparse rows.

    Node ``i``'s neighbours are ``indices[indptr[i]:indptr[i+1]]``, sorted ascending, without
    ``i`` itself and without repeats; every tie ``i - j`` appears in row ``i`` and in row ``j``
    (with the same weight). The arrays are read-only (numba accepts read-only arrays), so one
    CSR can be shared by many runs.

    Parameters
    ----------
    indptr : array_like of int, shape (n_nodes + 1,)
        Row offsets, stored as int64: ``indptr[0] == 0``, non-decreasing.
    indices : array_like of int, shape (indptr[-1],)
        Neighbour ids, stored as int32 when ``n_nodes <= 2**31 - 1``, else int64.
    weights : array_like of float, shape (indptr[-1],), optional
        Tie weights (float64, finite, positive), aligned with ``indices``; None: unweighted.

    Notes
    -----
    The constructor checks shapes, dtypes, offsets and ranges (cheap, O(n + entries)). Row
    order, self-loops, repeats and symmetry cost a sort and are checked by :func:`check_csr`;
    the builders of this module guarantee them by construction.

    Examples
    --------
    >>> g = CSR(indptr=[0, 1, 3, 4], indices=[1, 0, 2, 1])   # the path 0 - 1 - 2
    >>> g
    CSR(n_nodes=3, n_edges=2, weighted=False)
    >>> g.degrees
    array([1, 2, 1])
    >>> g.indptr.dtype, g.indices.dtype
    (dtype('int64'), dtype('int32'))
    """

    indptr: NDArray[np.int64]
    indices: NDArray[np.integer]
    weights: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        indptr = _int_array(self.indptr, "indptr")
        indices = _int_array(self.indices, "indices")
        if indptr.ndim != 1 or indptr.size == 0:
            raise ValueError(f"CSR: indptr must be 1-D with n_nodes + 1 >= 1 entries, "
                             f"got shape {indptr.shape}")
        if indices.ndim != 1:
            raise ValueError(f"CSR: indices must be 1-D, got shape {indices.shape}")
        n = indptr.size - 1
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise ValueError(f"CSR: indices must be node ids in [0, {n}), got values in "
                             f"[{indices.min()}, {indices.max()}]")
        indptr = _readonly(indptr, np.int64)
        indices = _readonly(indices, _index_dtype(n))
        if indptr[0] != 0 or indptr[-1] != indices.size:
            raise ValueError(f"CSR: indptr must start at 0 and end at len(indices) "
                             f"({indices.size}), got {indptr[0]} and {indptr[-1]}")
        if n and np.any(indptr[1:] < indptr[:-1]):
            raise ValueError("CSR: indptr must be non-decreasing")
        if indices.size % 2:
            raise ValueError(f"CSR: an undirected graph has an even number of entries "
                             f"(each tie in both rows), got {indices.size}")
        weights = self.weights
        if weights is not None:
            weights = np.asarray(weights)
            if weights.dtype.kind not in "fiu" or weights.shape != indices.shape:
                raise ValueError(f"CSR: weights must be real numbers aligned with indices "
                                 f"(shape {indices.shape}), got {weights.dtype} "
                                 f"{weights.shape}")
            weights = _readonly(weights, np.float64)
            if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
                raise ValueError("CSR: weights must be finite and positive")
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "weights", weights)

    @property
    def n_nodes(self) -> int:
        """Number of nodes (agents), isolated ones included."""
        return self.indptr.size - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected ties (half the number of entries)."""
        return self.indices.size // 2

    @cached_property
    def degrees(self) -> NDArray[np.int64]:
        """Degree of every node (``np.diff(indptr)``, read-only, computed once)."""
        return _owned(np.diff(self.indptr))

    @property
    def weighted(self) -> bool:
        """Whether the ties carry weights."""
        return self.weights is not None

    def neighbours(self, i: int) -> NDArray[np.integer]:
        """Node ``i``'s neighbours (a read-only view, sorted)."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (``indptr``, ``indices``, ``weights``)."""
        return self.indptr.nbytes + self.indices.nbytes + (
            0 if self.weights is None else self.weights.nbytes)

    def __repr__(self) -> str:
        return (f"CSR(n_nodes={self.n_nodes}, n_edges={self.n_edges}, "
                f"weighted={self.weighted})")

    def __reduce__(self):
        # unpickling goes through __init__, so the arrays come back checked and read-only
        return (CSR, (self.indptr, self.indices, self.weights))


def _int_array(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0 and array.dtype.kind == "f":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise ValueError(f"CSR: {name} must hold integers, got dtype {array.dtype}")
    return array


def _readonly(array: np.ndarray, dtype) -> np.ndarray:
    """``array`` as ``dtype``, read-only: a read-only input is shared, a writeable one copied
    (never freeze a caller's array)."""
    converted = array.astype(dtype, copy=False)
    if converted is not array:
        return _owned(converted)
    return _owned(array.copy()) if array.flags.writeable else array


def _owned(array: np.ndarray) -> np.ndarray:
    """Mark an array this module just made read-only (no copy)."""
    array.flags.writeable = False
    return array


def _index_dtype(n_nodes: int) -> type:
    return np.int32 if n_nodes <= _INT32_MAX else np.int64


def check_csr(csr: CSR) -> None:
    """Check everything a CSR promises; raise ValueError naming the first broken promise.

    Rows sorted ascending, no self-loops, no repeated neighbours, every entry ``(i, j)``
    matched by ``(j, i)`` with the same weight. O(entries log entries); for tests and for
    CSRs made by hand (the builders guarantee all of this).

    Examples
    --------
    >>> check_csr(ring_lattice(5, 2))
    >>> check_csr(CSR(indptr=[0, 1, 1], indices=[1]))
    Traceback (most recent call last):
    ...
    ValueError: CSR: an undirected graph has an even number of entries (each tie in both rows), got 1
    >>> check_csr(CSR(indptr=[0, 1, 2, 2], indices=[1, 2]))
    Traceback (most recent call last):
    ...
    ValueError: CSR: not symmetric: tie 0 - 1 is in row 0 but not in row 1
    """
    n = csr.n_nodes
    rows = np.repeat(np.arange(n, dtype=np.int64), csr.degrees)
    cols = csr.indices.astype(np.int64)
    loops = np.flatnonzero(rows == cols)
    if loops.size:
        raise ValueError(f"CSR: self-loop at node {rows[loops[0]]}")
    key = rows * n + cols
    step = np.diff(key)
    if step.size and np.any(step <= 0):
        at = int(np.flatnonzero(step <= 0)[0])
        what = "repeated" if step[at] == 0 else "not sorted"
        raise ValueError(f"CSR: row {rows[at + 1]} {what} at neighbour {cols[at + 1]}")
    reverse = cols * n + rows
    order = np.argsort(reverse, kind="stable")
    mismatch = np.flatnonzero(reverse[order] != key)
    if mismatch.size:
        at = int(order[mismatch[0]]) if reverse[order][mismatch[0]] < key[mismatch[0]] \
            else int(mismatch[0])
        raise ValueError(f"CSR: not symmetric: tie {rows[at]} - {cols[at]} is in row "
                         f"{rows[at]} but not in row {cols[at]}")
    if csr.weights is not None and not np.array_equal(csr.weights[order], csr.weights):
        at = int(np.flatnonzero(csr.weights[order] != csr.weights)[0])
        raise ValueError(f"CSR: not symmetric: tie {rows[at]} - {cols[at]} has different "
                         f"weights in its two rows")


# =============================================================================================
# conversions


def from_edges(n_nodes: int, u: ArrayLike, v: ArrayLike,
               weights: ArrayLike | None = None) -> CSR:
    """Build a CSR from undirected ties ``u[k] - v[k]`` on nodes ``0 .. n_nodes-1``.

    Parameters
    ----------
    n_nodes : int
        Number of nodes; nodes without ties are isolated.
    u, v : array_like of int
        The two ends of each tie; each tie listed once (either orientation).
    weights : array_like of float, optional
        One finite positive weight per tie.

    Returns
    -------
    CSR

    Raises
    ------
    ValueError
        For a self-loop, a tie listed twice, an end outside ``[0, n_nodes)`` or mismatched
        lengths.

    Examples
    --------
    >>> g = from_edges(4, [0, 2], [1, 1])
    >>> g.indices, g.degrees
    (array([1, 0, 2, 1], dtype=int32), array([1, 2, 1, 0]))
    >>> from_edges(3, [0, 1], [1, 0])
    Traceback (most recent call last):
    ...
    ValueError: from_edges: tie 0 - 1 is listed more than once
    """
    n = _check_n_agents(n_nodes, "from_edges", name="n_nodes", minimum=0)
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    if u.shape != v.shape:
        raise ValueError(f"from_edges: u and v must have the same length, got {u.size} "
                         f"and {v.size}")
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if weights.shape != u.shape:
            raise ValueError(f"from_edges: weights must have one value per tie ({u.size}), "
                             f"got {weights.size}")
    if u.size:
        low, high = min(u.min(), v.min()), max(u.max(), v.max())
        if low < 0 or high >= n:
            raise ValueError(f"from_edges: node ids must be in [0, {n}), got values in "
                             f"[{low}, {high}]")
        loops = np.flatnonzero(u == v)
        if loops.size:
            raise ValueError(f"from_edges: self-loop at node {u[loops[0]]}")
    return _assemble(n, u, v, weights, who="from_edges")


def _assemble(n: int, u: np.ndarray, v: np.ndarray, weights: np.ndarray | None,
              who: str) -> CSR:
    """CSR of ties ``u - v`` (no self-loops); sorts each row; refuses repeated ties."""
    u = np.ascontiguousarray(u, dtype=np.int64)
    v = np.ascontiguousarray(v, dtype=np.int64)
    weighted = weights is not None
    w = np.ascontiguousarray(weights, np.float64) if weighted else np.zeros(0)
    indptr = np.empty(n + 1, np.int64)
    indices = np.empty(2 * u.size, _index_dtype(n))
    out_weights = np.empty(2 * u.size if weighted else 0, np.float64)
    first = _fill_rows(u, v, w, indptr, indices, out_weights)
    if first >= 0:
        row = int(np.searchsorted(indptr, first, side="right")) - 1
        raise ValueError(f"{who}: tie {min(row, int(indices[first]))} - "
                         f"{max(row, int(indices[first]))} is listed more than once")
    return CSR(indptr=_owned(indptr), indices=_owned(indices),
               weights=_owned(out_weights) if weighted else None)


@njit(cache=True)
def _fill_rows(u, v, w, indptr, indices, weights):  # pragma: no cover - compiled
    """Rows of the symmetric ties ``u - v``, sorted, in O(n + ties) without comparisons.

    Two counting sorts: scatter both ends into their rows in any order (``pending``), then
    walk rows ``i = 0, 1, ...`` and put ``i`` into each neighbour's row; as the graph is
    symmetric, every row receives its neighbours in increasing order. ``w`` (one weight per
    tie) is carried along when ``weights`` is non-empty. Returns the position of the first
    repeated neighbour, or -1.
    """
    weighted = weights.size > 0
    indptr[:] = 0
    for k in range(u.size):
        indptr[u[k] + 1] += 1
        indptr[v[k] + 1] += 1
    for i in range(1, indptr.size):
        indptr[i] += indptr[i - 1]
    slot = indptr[:-1].copy()
    pending = np.empty_like(indices)
    pending_w = np.empty_like(weights)
    for k in range(u.size):
        a, b = u[k], v[k]
        pending[slot[a]] = b
        pending[slot[b]] = a
        if weighted:
            pending_w[slot[a]] = w[k]
            pending_w[slot[b]] = w[k]
        slot[a] += 1
        slot[b] += 1
    slot[:] = indptr[:-1]
    for i in range(indptr.size - 1):
        for x in range(indptr[i], indptr[i + 1]):
            j = pending[x]
            indices[slot[j]] = i
            if weighted:
                weights[slot[j]] = pending_w[x]
            slot[j] += 1
    for i in range(indptr.size - 1):
        for x in range(indptr[i] + 1, indptr[i + 1]):
            if indices[x] == indices[x - 1]:
                return x
    return -1


def _regular_rows(n: int, rows: np.ndarray) -> CSR:
    """CSR whose ``rows`` (shape (n, d)) already hold each node's sorted neighbours."""
    d = rows.shape[1] if rows.ndim == 2 else 0
    return CSR(indptr=_owned(np.arange(n + 1, dtype=np.int64) * d),
               indices=_owned(np.ascontiguousarray(rows.reshape(-1), dtype=_index_dtype(n))))


def to_csr(G) -> CSR:
    """Convert an undirected networkx graph to a CSR.

    Nodes are relabelled ``0 .. n-1`` in sorted order (node ``i`` is ``sorted(G)[i]``; labels
    of mixed types that cannot be compared are sorted by type name, then ``str``). The edge
    attribute ``"weight"`` becomes :attr:`CSR.weights` when edges carry it (then all must).

    Parameters
    ----------
    G : networkx.Graph
        An undirected simple graph without self-loops (not a DiGraph or MultiGraph).

    Returns
    -------
    CSR

    Examples
    --------
    >>> import networkx as nx
    >>> g = to_csr(nx.path_graph(["b", "a", "c"]))   # path b - a - c; sorted: a, b, c
    >>> g.indices, g.degrees
    (array([1, 2, 0, 0], dtype=int32), array([2, 1, 1]))
    >>> to_csr(nx.Graph([(0, 1, {"weight": 2.5})])).weights
    array([2.5, 2.5])
    """
    if G.is_directed() or G.is_multigraph():
        raise ValueError(f"to_csr: need an undirected simple graph (networkx.Graph), got a "
                         f"{type(G).__name__}; convert it first, e.g. nx.Graph(G.to_undirected())")
    nodes = _sorted_labels(list(G.nodes))
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(G.edges(data="weight"))
    u = np.fromiter((index[a] for a, _, _ in edges), np.int64, len(edges))
    v = np.fromiter((index[b] for _, b, _ in edges), np.int64, len(edges))
    loops = np.flatnonzero(u == v)
    if loops.size:
        raise ValueError(f"to_csr: self-loop at node {nodes[u[loops[0]]]!r}; remove self-loops "
                         f"first (G.remove_edges_from(nx.selfloop_edges(G)))")
    given = [w for _, _, w in edges if w is not None]
    weights = None
    if given:
        if len(given) != len(edges):
            a, b, _ = next(e for e in edges if e[2] is None)
            raise ValueError(f"to_csr: edge {a!r} - {b!r} has no 'weight' but others do; "
                             f"give every edge a weight or none")
        weights = _weights([w for _, _, w in edges], [f"edge {a!r} - {b!r}"
                                                      for a, b, _ in edges], "to_csr")
    return _assemble(len(nodes), u, v, weights, who="to_csr")


def _sorted_labels(labels: list) -> list:
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=lambda x: (type(x).__name__, str(x)))


def _weights(values: Sequence, where: Sequence[str], who: str) -> np.ndarray:
    out = np.empty(len(values), np.float64)
    for k, value in enumerate(values):
        try:
            w = float(value)
        except (TypeError, ValueError):
            w = math.nan
        if not (math.isfinite(w) and w > 0):
            raise ValueError(f"{who}: {where[k]}: weight must be a finite positive number, "
                             f"got {value!r}")
        out[k] = w
    return out


def to_networkx(csr: CSR):
    """The CSR as a ``networkx.Graph`` on nodes ``0 .. n-1`` (isolated nodes kept).

    Weights, if any, become the edge attribute ``"weight"``. Use it for Mesa's network space:
    ``mesa.discrete_space.Network(to_networkx(csr), layout=None, random=model.random)``.

    Examples
    --------
    >>> G = to_networkx(star(4))
    >>> sorted(G.edges), G.number_of_nodes()
    ([(0, 1), (0, 2), (0, 3)], 4)
    """
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(range(csr.n_nodes))
    rows = np.repeat(np.arange(csr.n_nodes), csr.degrees)
    upper = rows < csr.indices
    u, v = rows[upper].tolist(), csr.indices[upper].tolist()
    if csr.weights is None:
        G.add_edges_from(zip(u, v))
    else:
        G.add_weighted_edges_from(zip(u, v, csr.weights[upper].tolist()))
    return G


def to_scipy(csr: CSR):
    """The adjacency matrix as a ``scipy.sparse.csr_array`` (weights, or ones).

    Examples
    --------
    >>> to_scipy(star(3)).toarray()
    array([[0., 1., 1.],
           [1., 0., 0.],
           [1., 0., 0.]])
    """
    from scipy import sparse

    data = np.ones(csr.indices.size) if csr.weights is None else np.array(csr.weights)
    return sparse.csr_array((data, np.array(csr.indices), np.array(csr.indptr)),
                            shape=(csr.n_nodes, csr.n_nodes))


# =============================================================================================
# argument checks (one-line ValueErrors naming the parameter and what is allowed)


def _check_n_agents(n, who: str, name: str = "n_agents", minimum: int = 1) -> int:
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n!r}")
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n!r}") from None
    if n < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n}")
    return n


def _check_int(value, who: str, name: str, low: int, high: int, why: str = "") -> int:
    """An integer in [low, high]; ``why`` explains the upper bound."""
    if isinstance(value, (bool, np.bool_)):
        ok = False
    else:
        try:
            value = operator.index(value)
            ok = low <= value <= high
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(f"{who}: {name} must be an integer in [{low}, {high}]{why}, "
                         f"got {value!r}")
    return value


def _check_probability(value, who: str, name: str) -> float:
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.number))
    if ok:
        value = float(value)
        ok = math.isfinite(value) and 0.0 <= value <= 1.0
    if not ok:
        raise ValueError(f"{who}: {name} must be a probability in [0, 1], got {value!r}")
    return value


def _check_lattice_degree(n: int, degree, who: str) -> int:
    degree = _check_int(degree, who, "degree", 0, n - 1,
                        f" (below n_agents = {n})")
    if degree % 2:
        raise ValueError(f"{who}: degree must be even (degree/2 neighbours on each side of "
                         f"the ring), got {degree}")
    return degree


def _check_regular_degree(n: int, degree, who: str, nodes: str = "n_agents") -> int:
    degree = _check_int(degree, who, "degree", 0, n - 1, f" (below {nodes} = {n})")
    if (n * degree) % 2:
        raise ValueError(f"{who}: {nodes} * degree must be even (each tie has two ends), "
                         f"got {n} * {degree} = {n * degree}")
    return degree


def _seed_int(seed, who: str) -> int:
    """The one integer a builder draws from (``seed`` itself, or one draw of a Generator)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{who}: seed must be an int or a numpy Generator, got {seed!r} "
                        f"(builders are always seeded, e.g. seed=int(rng.integers(2**63)))")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"{who}: seed must be an int or a numpy Generator, got "
                        f"{type(seed).__name__}") from None
    if not 0 <= value < 2**63:
        raise ValueError(f"{who}: seed must be in [0, 2**63), got {value}")
    return value


# =============================================================================================
# deterministic topologies


def empty(n_agents: int) -> CSR:
    """``n_agents`` isolated nodes (no ties: every agent keeps its own estimate).

    Examples
    --------
    >>> empty(3)
    CSR(n_nodes=3, n_edges=0, weighted=False)
    """
    n = _check_n_agents(n_agents, "empty")
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
    n = _check_n_agents(n_agents, "complete")
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
    n_agents : int
        Number of nodes (>= 1).
    degree : int
        Even, ``0 <= degree < n_agents``.

    Returns
    -------
    CSR

    References
    ----------
    D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
    Nature 393:440-442 (1998).

    Examples
    --------
    >>> g = ring_lattice(6, 4)
    >>> g.neighbours(0), g.neighbours(3)
    (array([1, 2, 4, 5], dtype=int32), array([1, 2, 4, 5], dtype=int32))
    >>> ring_lattice(6, 3)
    Traceback (most recent call last):
    ...
    ValueError: ring_lattice: degree must be even (degree/2 neighbours on each side of the ring), got 3
    """
    n = _check_n_agents(n_agents, "ring_lattice")
    degree = _check_lattice_degree(n, degree, "ring_lattice")
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
    n = _check_n_agents(n_agents, "star")
    dtype = _index_dtype(n)
    indptr = np.concatenate([[0], n - 1 + np.arange(n, dtype=np.int64)]) if n > 1 \
        else np.zeros(2, np.int64)
    indices = np.concatenate([np.arange(1, n, dtype=dtype), np.zeros(n - 1, dtype)])
    return CSR(indptr=_owned(indptr), indices=_owned(indices))


# =============================================================================================
# random topologies


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
    n_agents : int
        Number of nodes (>= 1).
    degree : int
        Even, ``0 <= degree < n_agents``.
    rewire_p : float
        Probability in [0, 1] that a lattice tie is rewired.
    seed : int or numpy.random.Generator
        See the module's "Seeding"; the result is a deterministic function of it.

    Returns
    -------
    CSR

    Notes
    -----
    networkx's algorithm, compiled with numba (no networkx graph is built): a million nodes
    of degree 10 take about a second, mostly sorting the rows. The lattice ties are implicit
    (a tie is present unless rewired) and rewired ties live in a hash set, so "already tied"
    is an O(1) test. With ``rng = numpy.random.default_rng(s)`` (``s`` the seed's integer),
    each lattice tie in order draws ``rng.random()``; if below ``rewire_p``, the new end is
    ``rng.integers(0, n)``, drawn again while it is ``i`` or already tied to ``i``; when
    ``i`` is tied to everybody the tie stays (networkx's rule). Same ensemble as networkx;
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
    n = _check_n_agents(n_agents, who)
    degree = _check_lattice_degree(n, degree, who)
    p = _check_probability(rewire_p, who, "rewire_p")
    rng = np.random.default_rng(_seed_int(seed, who))
    h = degree // 2
    if h == 0 or p == 0.0:
        return ring_lattice(n, degree)
    src, dst = _ws_rewire(n, h, p, rng)
    return _assemble(n, src, dst, None, who=who)


@njit(cache=True)
def _ws_rewire(n, h, p, rng):  # pragma: no cover - compiled
    """Ends ``(src, dst)`` of every tie after rewiring; tie ``e = (j-1) n + i`` starts as the
    lattice tie ``(i, i+j)`` and is rewired when ``dst[e] != (i + j) % n``."""
    n_ties = n * h
    src = np.empty(n_ties, np.int64)
    dst = np.empty(n_ties, np.int64)
    for e in range(n_ties):
        src[e] = e % n
        dst[e] = (e % n + e // n + 1) % n
    degree = np.full(n, 2 * h, np.int64)
    capacity = 16
    while capacity < 2 * (int(p * n_ties * 1.25) + 8):
        capacity *= 2
    table = np.full(capacity, -1, np.int64)          # rewired ties, key min * n + max
    count = 0
    for e in range(n_ties):
        if rng.random() < p:
            u = e % n
            w = rng.integers(0, n)
            moved = True
            while w == u or _ws_tied(u, w, n, h, dst, table):
                w = rng.integers(0, n)
                if degree[u] >= n - 1:
                    moved = False                    # u is tied to everybody: keep the tie
                    break
            if moved:
                degree[dst[e]] -= 1
                dst[e] = w
                degree[w] += 1
                if 2 * (count + 1) > table.size:
                    table = _hash_grow(table)
                _hash_insert(table, min(u, w) * n + max(u, w))
                count += 1
    return src, dst


@njit(cache=True)
def _ws_tied(u, w, n, h, dst, table):  # pragma: no cover - compiled
    """Whether ``u - w`` is a tie now: a lattice tie not yet rewired, or a rewired tie."""
    d = abs(u - w)
    d = min(d, n - d)
    if d <= h:
        a = u if (u + d) % n == w else w             # the tie is (a, a + d)
        b = u + w - a
        if dst[(d - 1) * n + a] == b:                # never rewired: still the lattice tie
            return True
    return _hash_contains(table, min(u, w) * n + max(u, w))


@njit(cache=True)
def _hash_slot(key, mask):  # pragma: no cover - compiled
    z = np.uint64(key)                               # splitmix64's finaliser
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.int64(z & np.uint64(mask))


@njit(cache=True)
def _hash_contains(table, key):  # pragma: no cover - compiled
    mask = table.size - 1
    i = _hash_slot(key, mask)
    while True:
        k = table[i]
        if k == key:
            return True
        if k == -1:
            return False
        i = (i + 1) & mask


@njit(cache=True)
def _hash_insert(table, key):  # pragma: no cover - compiled
    mask = table.size - 1
    i = _hash_slot(key, mask)
    while table[i] != -1:
        i = (i + 1) & mask
    table[i] = key


@njit(cache=True)
def _hash_grow(table):  # pragma: no cover - compiled
    bigger = np.full(2 * table.size, -1, np.int64)
    for k in table:
        if k != -1:
            _hash_insert(bigger, k)
    return bigger


def erdos_renyi(n_agents: int, p: float, seed) -> CSR:
    """Erdős–Rényi (Gilbert) random graph G(n, p): each pair tied independently with ``p``.

    Parameters
    ----------
    n_agents : int
        Number of nodes (>= 1).
    p : float
        Tie probability in [0, 1]; mean degree ``p (n - 1)``.
    seed : int or numpy.random.Generator
        See the module's "Seeding".

    Returns
    -------
    CSR

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
    n = _check_n_agents(n_agents, who)
    p = _check_probability(p, who, "p")
    rng = np.random.default_rng(_seed_int(seed, who))
    u, v = _sample_pairs(rng, n * (n - 1) // 2, p)
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
    seed : int or numpy.random.Generator
        Its integer seeds networkx (``seed=int``).

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
    n = _check_n_agents(n_agents, who, minimum=2)
    m = _check_int(m, who, "m", 1, n - 1, f" (below n_agents = {n})")
    return _from_int_graph(nx.barabasi_albert_graph(n, m, seed=_seed_int(seed, who)), n)


def random_regular(n_agents: int, degree: int, seed) -> CSR:
    """Uniform-ish random ``degree``-regular graph (``networkx.random_regular_graph``).

    Becker, Brackbill & Centola (2017)'s *decentralized* condition is such a network with
    40 nodes of degree 4 (in their data, neighbour means are quarters of integer sums).

    Parameters
    ----------
    n_agents : int
        Number of nodes (>= 1).
    degree : int
        ``0 <= degree < n_agents`` with ``n_agents * degree`` even.
    seed : int or numpy.random.Generator
        Its integer seeds networkx.

    References
    ----------
    A. Steger and N. C. Wormald, "Generating random regular graphs quickly", Combinatorics,
    Probability and Computing 8:377-396 (1999).

    Examples
    --------
    >>> set(random_regular(40, 4, seed=2017).degrees.tolist())
    {4}
    >>> random_regular(5, 3, seed=1)
    Traceback (most recent call last):
    ...
    ValueError: random_regular: n_agents * degree must be even (each tie has two ends), got 5 * 3 = 15
    """
    import networkx as nx

    who = "random_regular"
    n = _check_n_agents(n_agents, who)
    degree = _check_regular_degree(n, degree, who)
    return _from_int_graph(nx.random_regular_graph(degree, n, seed=_seed_int(seed, who)), n)


def _from_int_graph(G, n: int, offset: int = 0) -> CSR:
    """CSR of a networkx graph whose nodes are the integers ``0 .. n-1`` (minus ``offset``)."""
    edges = np.array(list(G.edges()), dtype=np.int64).reshape(-1, 2) + offset
    return _assemble(n, edges[:, 0], edges[:, 1], None, who="networkx")


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
    seed : int or numpy.random.Generator
        See the module's "Seeding".
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
    n = _check_n_agents(n_agents, who, minimum=2)
    degree, hub_degree = _check_centralized(n, degree, hub_degree)
    rng = np.random.default_rng(_seed_int(seed, who))
    periphery = nx.random_regular_graph(degree, n - 1, seed=int(rng.integers(2**63)))
    edges = np.array(list(periphery.edges()), dtype=np.int64).reshape(-1, 2) + 1
    hub_ties = rng.choice(n - 1, size=hub_degree, replace=False) + 1
    u = np.concatenate([edges[:, 0], np.zeros(hub_degree, np.int64)])
    v = np.concatenate([edges[:, 1], hub_ties])
    return _assemble(n, u, v, None, who=who)


def _check_centralized(n: int, degree, hub_degree) -> tuple[int, int]:
    degree = _check_regular_degree(n - 1, degree, "centralized", nodes="(n_agents - 1)")
    hub_degree = n - 1 if hub_degree is None else _check_int(
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
    n = _check_n_agents(n_agents, "communities")
    c = _check_int(n_communities, "communities", "n_communities", 1, n,
                   f" (at most n_agents = {n})")
    sizes = _block_sizes(n, c)
    return np.repeat(np.arange(c, dtype=np.int64), sizes)


def _block_sizes(n: int, c: int) -> np.ndarray:
    q, r = divmod(n, c)
    return np.array([q + 1] * r + [q] * (c - r), dtype=np.int64)


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
    n_agents : int
        Number of nodes (>= 1).
    n_communities : int
        ``1 <= n_communities <= n_agents``.
    p_in : float
        Tie probability within a community, in [0, 1].
    bridge_share : float
        Expected share of each node's ties that bridge communities, in [0, 1); must be 0
        with one community, and must not push ``p_out`` above 1.
    seed : int or numpy.random.Generator
        See the module's "Seeding".

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
    n = _check_n_agents(n_agents, who)
    c, p_in, bridge_share, p_out = _check_block(n, n_communities, p_in, bridge_share)
    rng = np.random.default_rng(_seed_int(seed, who))
    sizes = _block_sizes(n, c)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    us, vs = [], []
    for size in sorted(set(sizes.tolist()), reverse=True):
        blocks = np.flatnonzero(sizes == size)
        per_block = size * (size - 1) // 2
        if per_block == 0:
            continue
        # index k = block * per_block + local pair; decode the local pair inside its block
        block, local = np.divmod(_sample_indices(rng, per_block * blocks.size, p_in),
                                 per_block)
        li, lj = _decode_pairs(local)
        offset = starts[blocks[block]]
        us.append(li + offset)
        vs.append(lj + offset)
    if p_out > 0:
        i, j = _sample_pairs(rng, n * (n - 1) // 2, p_out)
        label = np.repeat(np.arange(c), sizes)
        between = label[i] != label[j]
        us.append(i[between])
        vs.append(j[between])
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    return _assemble(n, u, v, None, who=who)


def _check_block(n: int, n_communities, p_in, bridge_share) -> tuple[int, float, float, float]:
    who = "stochastic_block"
    c = _check_int(n_communities, who, "n_communities", 1, n, f" (at most n_agents = {n})")
    p_in = _check_probability(p_in, who, "p_in")
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


# =============================================================================================
# files


def from_file(path: str | Path) -> tuple[CSR, list]:
    """Read a network from an edge list or a GraphML file.

    Edge list (any suffix but ``.graphml``): one tie per line, ``u v`` or ``u v weight``,
    fields separated by whitespace and/or commas; ``#`` starts a comment; a line with a single
    node declares it (isolated nodes); blank lines are skipped. Ties are undirected: a tie
    listed twice (``u v`` and ``v u``) is kept once if its weights agree. Either every tie
    has a weight or none does; weights must be finite and positive. GraphML (suffix
    ``.graphml``) is read with networkx; a directed or multi-edge file is read as undirected
    under the same rules, with the edge attribute ``weight`` as weights.

    Nodes are relabelled ``0 .. n-1`` in sorted order: numerically when every label is an
    integer, else as strings.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    csr : CSR
    labels : list
        ``labels[i]`` is node ``i``'s label in the file (an int when all labels are integers).

    Raises
    ------
    ValueError
        One line naming the file and, for edge lists, the line number: a missing or
        unreadable file, a malformed line, a self-loop, a bad or inconsistent weight, no nodes.

    Examples
    --------
    >>> import tempfile
    >>> text = "# who listens to whom\\n10 2\\n2,7\\n7 10  # a triangle\\n99\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "ties.txt"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     g, labels = from_file(path)
    >>> labels, g.degrees
    ([2, 7, 10, 99], array([2, 2, 2, 0]))
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    if path.suffix.lower() == ".graphml":
        nodes, ends, weights, where = _read_graphml(path)
    else:
        nodes, ends, weights, where = _read_edge_list(path)
    return _relabel(path, nodes, ends, weights, where)


_SPLIT = re.compile(r"[\s,]+")


def _read_edge_list(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    nodes: list[str] = []
    ends: list[tuple[str, str]] = []
    weights: list[str] = []
    where: list[str] = []
    weighted_line: int | None = None
    unweighted_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        fields = [f for f in _SPLIT.split(line.split("#", 1)[0]) if f]
        if not fields:
            continue
        if len(fields) == 1:
            nodes.append(fields[0])
            continue
        if len(fields) > 3:
            raise ValueError(f"{path}: line {number}: expected 'u v' or 'u v weight', got "
                             f"{len(fields)} fields: {line.strip()[:60]!r}")
        if fields[0] == fields[1]:
            raise ValueError(f"{path}: line {number}: self-loop {fields[0]} - {fields[1]} "
                             f"(a node cannot be its own neighbour)")
        if len(fields) == 3:
            weighted_line = weighted_line or number
            if unweighted_line is not None:
                raise ValueError(f"{path}: line {number}: has a weight but line "
                                 f"{unweighted_line} has none; weight every tie or none")
            weights.append(fields[2])
            try:
                w = float(fields[2])
            except ValueError:
                w = math.nan
            if not (math.isfinite(w) and w > 0):
                hint = " (comment out a header line with '#')" if number == 1 or \
                    not ends else ""
                raise ValueError(f"{path}: line {number}: weight must be a finite positive "
                                 f"number, got {fields[2]!r}{hint}")
        else:
            unweighted_line = unweighted_line or number
            if weighted_line is not None:
                raise ValueError(f"{path}: line {number}: has no weight but line "
                                 f"{weighted_line} has one; weight every tie or none")
        ends.append((fields[0], fields[1]))
        where.append(f"line {number}")
    return nodes, ends, weights if weighted_line is not None else None, where


def _read_graphml(path: Path):
    import xml.etree.ElementTree as ET

    import networkx as nx

    try:
        G = nx.read_graphml(path)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"{path}: not valid GraphML: {message[:120]}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    edges = list(G.edges(data="weight"))
    ends = [(str(a), str(b)) for a, b, _ in edges]
    for (a, b) in ends:
        if a == b:
            raise ValueError(f"{path}: edge {a} - {b} is a self-loop (a node cannot be its "
                             f"own neighbour)")
    given = [w for _, _, w in edges if w is not None]
    weights = None
    if given:
        missing = next(((a, b) for a, b, w in edges if w is None), None)
        if missing is not None:
            raise ValueError(f"{path}: edge {missing[0]} - {missing[1]} has no weight but "
                             f"others do; weight every edge or none")
        weights = [w for _, _, w in edges]
    return [str(x) for x in G.nodes], ends, weights, [f"edge {a} - {b}" for a, b in ends]


def _relabel(path: Path, nodes: list[str], ends: list[tuple[str, str]],
             weights: list | None, where: list[str]) -> tuple[CSR, list]:
    names = set(nodes)
    for a, b in ends:
        names.add(a)
        names.add(b)
    if not names:
        raise ValueError(f"{path}: no nodes (an empty network file)")
    try:
        labels: list = sorted(int(x) for x in names)
        if len(set(labels)) != len(names):           # "01" and "1": keep them apart
            raise ValueError
        lookup = {x: int(x) for x in names}
    except ValueError:
        labels = sorted(names)
        lookup = {x: x for x in names}
    index = {label: i for i, label in enumerate(labels)}
    n = len(labels)
    w = None if weights is None else _weights(weights, where, str(path))
    first: dict[int, int] = {}
    u, v, keep = [], [], []
    for k, (a, b) in enumerate(ends):
        i, j = index[lookup[a]], index[lookup[b]]
        pair = min(i, j) * n + max(i, j)
        seen = first.get(pair)
        if seen is None:
            first[pair] = k
            u.append(i)
            v.append(j)
            keep.append(k)
        elif w is not None and w[seen] != w[k]:
            raise ValueError(f"{path}: {where[k]}: tie {a} - {b} repeated with weight "
                             f"{w[k]:g} ({where[seen]} has {w[seen]:g})")
    csr = _assemble(n, np.array(u, np.int64), np.array(v, np.int64),
                    None if w is None else w[keep], who=str(path))
    return csr, labels


# =============================================================================================
# analysis helpers


def components(csr: CSR) -> int:
    """Number of connected components (isolated nodes count one each).

    Disconnected networks are allowed: a component converges on its own, an isolated agent
    keeps its estimate.

    Examples
    --------
    >>> components(ring_lattice(10, 2)), components(empty(3)), components(from_edges(4, [0], [1]))
    (1, 3, 3)
    """
    from scipy.sparse.csgraph import connected_components

    return int(connected_components(to_scipy(csr), directed=False, return_labels=False))


def neighbour_mean(csr: CSR, values: ArrayLike) -> NDArray[np.float64]:
    """Mean of each node's neighbours' values (weighted by tie weight if the CSR has them).

    Reference implementation for testing kernels (DeGroot-style averaging): each row is
    summed in neighbour order, then divided by the degree (or the sum of the row's
    weights). An isolated node returns its own value, so the result never holds NaN from
    an empty neighbourhood.

    Parameters
    ----------
    csr : CSR
    values : array_like, shape (..., n_nodes)
        One value per node along the last axis (any number of replicates before it).

    Returns
    -------
    numpy.ndarray of float64, same shape as ``values``

    References
    ----------
    M. H. DeGroot, "Reaching a consensus", JASA 69:118-121 (1974).

    Examples
    --------
    >>> neighbour_mean(from_edges(4, [0, 0], [1, 2]), [1.0, 2.0, 4.0, 8.0])
    array([3., 1., 1., 8.])
    """
    x = np.asarray(values, dtype=np.float64)
    n = csr.n_nodes
    if x.ndim == 0 or x.shape[-1] != n:
        raise ValueError(f"neighbour_mean: values must have n_nodes = {n} entries along the "
                         f"last axis, got shape {x.shape}")
    rows = np.repeat(np.arange(n), csr.degrees)
    if csr.weights is None:
        denominator = csr.degrees.astype(np.float64)
    else:
        denominator = np.bincount(rows, weights=csr.weights, minlength=n)
    flat = x.reshape(-1, n)
    out = np.empty_like(flat)
    isolated = csr.degrees == 0
    for r in range(flat.shape[0]):
        contributions = flat[r][csr.indices]
        if csr.weights is not None:
            contributions = contributions * csr.weights
        sums = np.bincount(rows, weights=contributions, minlength=n)
        out[r] = np.where(isolated, flat[r], sums / np.where(isolated, 1.0, denominator))
    return out.reshape(x.shape)


# =============================================================================================
# specs (the `network:` block of a config) and dispatch


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


class NoNetwork(_Spec):
    """No network: agents do not see each other (:func:`build` returns None)."""

    kind: Literal["none"]


class CompleteSpec(_Spec):
    """Everyone sees everyone (:func:`complete`)."""

    kind: Literal["complete"]


class RingLatticeSpec(_Spec):
    """Ring lattice (:func:`ring_lattice`)."""

    kind: Literal["ring_lattice"]
    degree: int = Field(ge=0, description="even; degree/2 neighbours on each side")


class WattsStrogatzSpec(_Spec):
    """Small world (:func:`watts_strogatz`)."""

    kind: Literal["watts_strogatz"]
    degree: int = Field(ge=0, description="even lattice degree k (Watts & Strogatz 1998)")
    rewire_p: float = Field(ge=0, le=1, description="probability a lattice tie is rewired")


class BarabasiAlbertSpec(_Spec):
    """Preferential attachment (:func:`barabasi_albert`)."""

    kind: Literal["barabasi_albert"]
    m: int = Field(ge=1, description="ties per new node")


class ErdosRenyiSpec(_Spec):
    """G(n, p) random graph (:func:`erdos_renyi`)."""

    kind: Literal["erdos_renyi"]
    p: float = Field(ge=0, le=1, description="tie probability; mean degree p (n - 1)")


class RandomRegularSpec(_Spec):
    """Random regular graph (:func:`random_regular`); Becker et al. (2017): degree 4."""

    kind: Literal["random_regular"]
    degree: int = Field(ge=0, description="every node's degree; n_agents * degree even")


class StarSpec(_Spec):
    """Star, node 0 the hub (:func:`star`); Becker et al. (2017)'s centralized network."""

    kind: Literal["star"]


class CentralizedSpec(_Spec):
    """A hub over a random regular network (:func:`centralized`)."""

    kind: Literal["centralized"]
    degree: int = Field(ge=0, description="degree among the non-hub nodes")
    hub_degree: int | None = Field(None, ge=1, description="ties of the hub (default: all)")


class StochasticBlockSpec(_Spec):
    """Communities joined by bridging ties (:func:`stochastic_block`)."""

    kind: Literal["stochastic_block"]
    n_communities: int = Field(ge=1, description="communities of near-equal size")
    p_in: float = Field(ge=0, le=1, description="tie probability within a community")
    bridge_share: float = Field(ge=0, lt=1,
                                description="expected share of a node's ties between communities")


class FileSpec(_Spec):
    """A network read from a file (:func:`from_file`); it must have ``n_agents`` nodes."""

    kind: Literal["file"]
    path: str = Field(min_length=1, description="edge list or .graphml; relative to the "
                                                "working folder unless the caller resolves it")


#: The ``network:`` block of a config: one of the classes above, chosen by ``kind``.
NetworkSpec = Annotated[
    NoNetwork | CompleteSpec | RingLatticeSpec | WattsStrogatzSpec | BarabasiAlbertSpec
    | ErdosRenyiSpec | RandomRegularSpec | StarSpec | CentralizedSpec | StochasticBlockSpec
    | FileSpec,
    Field(discriminator="kind")]

_ADAPTER: TypeAdapter = TypeAdapter(NetworkSpec)

#: Kinds for which :func:`build` draws one integer from the run's generator; the others
#: (``none``, ``complete``, ``ring_lattice``, ``star``, ``file``) draw nothing.
SEEDED_KINDS = frozenset({"watts_strogatz", "barabasi_albert", "erdos_renyi",
                          "random_regular", "centralized", "stochastic_block"})


def parse_spec(data: Mapping[str, Any] | BaseModel) -> BaseModel:
    """Validate a ``network:`` mapping into its spec class (pydantic ValidationError if bad).

    Examples
    --------
    >>> parse_spec({"kind": "watts_strogatz", "degree": 10, "rewire_p": 0.1})
    WattsStrogatzSpec(kind='watts_strogatz', degree=10, rewire_p=0.1)
    """
    if isinstance(data, BaseModel):
        return data
    return _ADAPTER.validate_python(data)


def check(spec: Mapping[str, Any] | BaseModel, n_agents: int) -> None:
    """Raise the ValueError :func:`build` would raise for ``spec`` with ``n_agents`` agents.

    For config validation, before any run: parameters that depend on the crowd size (degree
    below ``n_agents``, parity, ``m < n``, communities, the implied ``p_out``), and for
    ``file`` that the file reads cleanly and has ``n_agents`` nodes. Draws no random numbers.

    Examples
    --------
    >>> check({"kind": "random_regular", "degree": 4}, 40)
    >>> check({"kind": "watts_strogatz", "degree": 10, "rewire_p": 0.1}, 10)
    Traceback (most recent call last):
    ...
    ValueError: watts_strogatz: degree must be an integer in [0, 9] (below n_agents = 10), got 10
    """
    spec = parse_spec(spec)
    kind = spec.kind
    n = _check_n_agents(n_agents, kind, minimum=2 if kind in ("barabasi_albert",
                                                              "centralized") else 1)
    if kind in ("ring_lattice", "watts_strogatz"):
        _check_lattice_degree(n, spec.degree, kind)
    if kind == "watts_strogatz":
        _check_probability(spec.rewire_p, kind, "rewire_p")
    elif kind == "barabasi_albert":
        _check_int(spec.m, kind, "m", 1, n - 1, f" (below n_agents = {n})")
    elif kind == "erdos_renyi":
        _check_probability(spec.p, kind, "p")
    elif kind == "random_regular":
        _check_regular_degree(n, spec.degree, kind)
    elif kind == "centralized":
        _check_centralized(n, spec.degree, spec.hub_degree)
    elif kind == "stochastic_block":
        _check_block(n, spec.n_communities, spec.p_in, spec.bridge_share)
    elif kind == "complete" and n * (n - 1) > MAX_COMPLETE_ENTRIES:
        complete(n)                                     # raises its own message
    elif kind == "file":
        _read_spec_file(spec, n)


def _read_spec_file(spec: FileSpec, n: int) -> CSR:
    csr, _ = from_file(spec.path)
    if csr.n_nodes != n:
        raise ValueError(f"network file {spec.path}: has {csr.n_nodes} nodes but n_agents "
                         f"is {n}")
    return csr


def build(spec: Mapping[str, Any] | BaseModel, n_agents: int,
          rng: np.random.Generator | None) -> CSR | None:
    """Build the network a spec describes, for ``n_agents`` agents.

    Parameters
    ----------
    spec : NetworkSpec or mapping
        The ``network:`` block (validated with :func:`parse_spec` if a mapping).
    n_agents : int
        Crowd size; a ``file`` network must have exactly this many nodes.
    rng : numpy.random.Generator or None
        The run's generator. For the kinds in :data:`SEEDED_KINDS` (``watts_strogatz``,
        ``barabasi_albert``, ``erdos_renyi``, ``random_regular``, ``centralized``,
        ``stochastic_block``) ``build`` draws exactly ONE value, ``rng.integers(2**63)``, and
        passes that integer as the builder's seed; for ``none``, ``complete``,
        ``ring_lattice``, ``star`` and ``file`` it draws nothing (``rng`` may then be None).
        This is part of the reproducibility contract: the Mesa model and the numba kernel
        call ``build`` at the same point of the same stream, so they get the same network
        and their later draws stay aligned.

    Returns
    -------
    CSR, or None for ``kind: none``
        None means no social information at all; for a network of isolated agents use
        :func:`empty`.

    Raises
    ------
    ValueError
        The one-line errors of :func:`check` (checked before anything is drawn).

    Examples
    --------
    >>> rng = np.random.default_rng(42)
    >>> g = build({"kind": "erdos_renyi", "p": 0.1}, 100, rng)
    >>> h = erdos_renyi(100, 0.1, seed=int(np.random.default_rng(42).integers(2**63)))
    >>> bool(np.array_equal(g.indices, h.indices))
    True
    >>> build({"kind": "none"}, 100, rng) is None
    True
    """
    spec = parse_spec(spec)
    kind = spec.kind
    if kind == "file":
        _check_n_agents(n_agents, kind)
        return _read_spec_file(spec, operator.index(n_agents))
    check(spec, n_agents)
    if kind == "none":
        return None
    if kind == "complete":
        return complete(n_agents)
    if kind == "star":
        return star(n_agents)
    if kind == "ring_lattice":
        return ring_lattice(n_agents, spec.degree)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"build: kind {kind!r} draws its seed from rng, which must be a numpy "
                        f"Generator, got {type(rng).__name__}")
    seed = int(rng.integers(2**63))
    if kind == "watts_strogatz":
        return watts_strogatz(n_agents, spec.degree, spec.rewire_p, seed)
    if kind == "barabasi_albert":
        return barabasi_albert(n_agents, spec.m, seed)
    if kind == "erdos_renyi":
        return erdos_renyi(n_agents, spec.p, seed)
    if kind == "random_regular":
        return random_regular(n_agents, spec.degree, seed)
    if kind == "centralized":
        return centralized(n_agents, spec.degree, seed, hub_degree=spec.hub_degree)
    if kind == "stochastic_block":
        return stochastic_block(n_agents, spec.n_communities, spec.p_in, spec.bridge_share,
                                seed)
    raise AssertionError(f"unhandled network kind {kind!r}")   # pragma: no cover

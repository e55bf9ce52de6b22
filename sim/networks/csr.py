"""The CSR container of a network and the helpers every builder shares.

:class:`CSR` holds an undirected simple graph as compressed sparse rows; :func:`check_csr`
checks all it promises; :func:`from_edges` builds one from a list of ties. The private
helpers make the read-only arrays (:func:`_owned`, :func:`_index_dtype`) and the symmetric,
sorted rows (:func:`_assemble` from ties, :func:`_regular_rows` from rows of equal length)
that the generators, conversions and file readers of :mod:`sim.networks` return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from sim.networks._checks import check_n_agents

__all__ = ["CSR", "check_csr", "from_edges"]

#: Largest node count whose neighbour ids are stored as int32.
_INT32_MAX = 2**31 - 1


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
    the builders of :mod:`sim.networks` guarantee them by construction.

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
    """Mark an array this package just made read-only (no copy)."""
    array.flags.writeable = False
    return array


def _index_dtype(n_nodes: int) -> type:
    """dtype of the neighbour ids of a network with ``n_nodes`` nodes."""
    return np.int32 if n_nodes <= _INT32_MAX else np.int64


def check_csr(csr: CSR) -> None:
    """Check everything a CSR promises; raise ValueError naming the first broken promise.

    Rows sorted ascending, no self-loops, no repeated neighbours, every entry ``(i, j)``
    matched by ``(j, i)`` with the same weight. O(entries log entries); for tests and for
    CSRs made by hand (the builders guarantee all of this).

    Parameters
    ----------
    csr : CSR

    Raises
    ------
    ValueError
        One line naming the first broken promise.

    Examples
    --------
    >>> check_csr(from_edges(3, [0, 1], [1, 2]))
    >>> check_csr(CSR(indptr=[0, 1, 1], indices=[1]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: CSR: an undirected graph has an even number of entries (...), got 1
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
    n = check_n_agents(n_nodes, "from_edges", name="n_nodes", minimum=0)
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
    """CSR of ties ``u - v`` (no self-loops); sorts each row; refuses repeated ties.

    ``u`` and ``v`` are read as they come when they are arrays of signed integers (no int64
    copies; unsigned ones would mix with numba's signed arithmetic into floats); the rows are
    written straight into the result (:func:`_fill_rows`)."""
    u = np.ascontiguousarray(u)
    v = np.ascontiguousarray(v)
    if u.dtype.kind != "i" or v.dtype.kind != "i":
        u = u.astype(np.int64)
        v = v.astype(np.int64)
    weighted = weights is not None
    w = np.ascontiguousarray(weights, np.float64) if weighted else np.zeros(0)
    indptr = np.empty(n + 1, np.int64)
    indices = np.empty(2 * u.size, _index_dtype(n))
    out_weights = np.empty(2 * u.size if weighted else 0, np.float64)
    first = _fill_rows(u, v, w, indptr, indices, out_weights)
    return _finished(indptr, indices, out_weights if weighted else None, first, who)


def _owned_rows(n: int, half_degree: int, ends: np.ndarray, degrees_indptr: np.ndarray,
                who: str) -> CSR:
    """CSR of a network whose node ``i`` owns the ties to ``ends[i*h:(i+1)*h]``
    (:func:`_fill_owned_rows`); ``degrees_indptr`` (int64, n + 1) holds every node's degree
    from index 1 and becomes the CSR's offsets."""
    indices = np.empty(2 * ends.size, _index_dtype(n))
    first = _fill_owned_rows(ends, half_degree, degrees_indptr, indices)
    return _finished(degrees_indptr, indices, None, first, who)


def _finished(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray | None,
              first_repeat: int, who: str) -> CSR:
    """The CSR of filled rows, or the ValueError naming the first tie listed twice."""
    if first_repeat >= 0:
        row = int(np.searchsorted(indptr, first_repeat, side="right")) - 1
        raise ValueError(f"{who}: tie {min(row, int(indices[first_repeat]))} - "
                         f"{max(row, int(indices[first_repeat]))} is listed more than once")
    return CSR(indptr=_owned(indptr), indices=_owned(indices),
               weights=None if weights is None else _owned(weights))


@njit(cache=True)
def _fill_rows(u, v, w, indptr, indices, weights):  # pragma: no cover - compiled
    """Rows of the symmetric ties ``u - v``, sorted, written straight into the result.

    Counts each node's ties into ``indptr``, scatters both ends of every tie into their
    rows (:func:`_scatter_tie`), then sorts each row in place (:func:`_sort_rows`): no
    buffer beside the result, so building takes the result and ``u``, ``v`` (the counting
    sort this replaces held a second copy of ``indices``). ``w`` (one weight per tie) is
    carried along when ``weights`` is non-empty. Returns the position of the first repeated
    neighbour, or -1.
    """
    weighted = weights.size > 0
    indptr[:] = 0
    for k in range(u.size):
        indptr[u[k] + 1] += 1
        indptr[v[k] + 1] += 1
    _row_starts_from_degrees(indptr)
    for k in range(u.size):
        weight = w[k] if weighted else 0.0
        _scatter_tie(u[k], v[k], weight, weighted, indptr, indices, weights)
        _scatter_tie(v[k], u[k], weight, weighted, indptr, indices, weights)
    return _sort_rows(indptr, indices, weights)


@njit(cache=True)
def _fill_owned_rows(ends, half_degree, indptr, indices):  # pragma: no cover - compiled
    """Rows of a network whose node ``i`` owns the ties to
    ``ends[i * half_degree : (i + 1) * half_degree]`` (see
    :func:`sim.networks.rewiring.rewire_ring_lattice`), sorted, straight into the result.

    On entry ``indptr[1:]`` holds every node's degree; on return the CSR offsets. Returns
    the position of the first repeated neighbour, or -1.
    """
    _row_starts_from_degrees(indptr)
    h = half_degree
    for i in range(indptr.size - 1):
        for k in range(h):
            j = ends[i * h + k]
            _scatter_tie(i, j, 0.0, False, indptr, indices, indices[:0])
            _scatter_tie(j, i, 0.0, False, indptr, indices, indices[:0])
    return _sort_rows(indptr, indices, indices[:0].astype(np.float64))


@njit(cache=True, inline="always")
def _row_starts_from_degrees(indptr):  # pragma: no cover - compiled
    """``indptr[i + 1]`` from node ``i``'s degree to where its row starts (in place): then
    :func:`_scatter_tie` uses it as the row's write position, which ends as the row's end,
    ``indptr[i + 1]`` of the finished CSR, with no separate array of positions."""
    running = 0
    for i in range(indptr.size - 1):
        degree = indptr[i + 1]
        indptr[i + 1] = running
        running += degree
    indptr[0] = 0


@njit(cache=True, inline="always")
def _scatter_tie(row, neighbour, weight, weighted, indptr, indices,
                 weights):  # pragma: no cover - compiled
    """Write ``neighbour`` (and ``weight``) at row ``row``'s write position, and move it on."""
    position = indptr[row + 1]
    indices[position] = neighbour
    if weighted:
        weights[position] = weight
    indptr[row + 1] = position + 1


#: Rows up to this length are sorted by insertion (no call, no allocation); longer ones by
#: numpy's sort.
_INSERTION_SORT_MAX = 32


@njit(cache=True)
def _sort_rows(indptr, indices, weights):  # pragma: no cover - compiled
    """Sort every row of ``indices`` ascending in place (``weights``, when non-empty, moved
    along). A row's neighbours are distinct, so the sorted rows are the one canonical order
    whatever order they were written in. Returns the position of the first repeated
    neighbour, or -1."""
    weighted = weights.size > 0
    for i in range(indptr.size - 1):
        a = indptr[i]
        b = indptr[i + 1]
        if b - a <= _INSERTION_SORT_MAX:
            for x in range(a + 1, b):
                key = indices[x]
                key_weight = weights[x] if weighted else 0.0
                y = x - 1
                while y >= a and indices[y] > key:
                    indices[y + 1] = indices[y]
                    if weighted:
                        weights[y + 1] = weights[y]
                    y -= 1
                indices[y + 1] = key
                if weighted:
                    weights[y + 1] = key_weight
        elif weighted:
            order = np.argsort(indices[a:b], kind="mergesort")
            row = indices[a:b].copy()
            row_weights = weights[a:b].copy()
            for t in range(b - a):
                indices[a + t] = row[order[t]]
                weights[a + t] = row_weights[order[t]]
        else:
            indices[a:b].sort()
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


def _positive_weights(values: Sequence, where: Sequence[str], who: str) -> np.ndarray:
    """``values`` as float64, or a ValueError naming ``where[k]`` of the first weight that is
    not a finite positive number."""
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

"""Rewiring of ring-lattice ties, Watts & Strogatz's rule, compiled with numba.

:func:`rewire_ring_lattice` returns the ends of every tie after rewiring; the generator
:func:`sim.networks.watts_strogatz` turns them into a CSR. "Already tied" must be an O(1)
test while the graph changes, so rewired ties live in an open-addressing hash set of
``int64`` keys (the ``_hash_*`` helpers) and lattice ties are implicit. The hash set stays in
this module: numba's cache only notices changes within the module of a compiled function.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["rewire_ring_lattice"]


@njit(cache=True)
def rewire_ring_lattice(n_nodes, half_degree, rewire_p, rng):  # pragma: no cover - compiled
    """Ends ``(src, dst)`` of every tie of a ring lattice after Watts-Strogatz rewiring.

    With ``n = n_nodes`` and ``h = half_degree``, tie ``e = (j-1) n + i`` starts as the
    lattice tie ``(i, i+j)`` (mod ``n``), ``j = 1 .. h``. The ties are visited in that order
    (``j`` outer, ``i`` inner) and the graph changes as they go, as in
    ``networkx.watts_strogatz_graph``. Each draws ``rng.random()``; if below ``rewire_p``,
    its new end is ``rng.integers(0, n)``, drawn again while it is ``i`` or already tied to
    ``i``; when ``i`` is tied to everybody the tie stays (networkx's rule). A tie was
    rewired when ``dst[e] != (i + j) % n``.

    Parameters
    ----------
    n_nodes : int
        Number of nodes.
    half_degree : int
        Lattice ties on each side of a node, ``1 <= half_degree``, ``2 half_degree < n``.
    rewire_p : float
        Probability in [0, 1] that a tie is rewired.
    rng : numpy.random.Generator

    Returns
    -------
    src, dst : numpy.ndarray of int64, shape (n_nodes * half_degree,)

    Examples
    --------
    >>> src, dst = rewire_ring_lattice(6, 1, 0.0, np.random.default_rng(0))
    >>> src.tolist(), dst.tolist()      # nothing rewired: the ring 0 - 1 - ... - 5 - 0
    ([0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0])
    """
    n, h, p = n_nodes, half_degree, rewire_p
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
            while w == u or _is_tied(u, w, n, h, dst, table):
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
def _is_tied(u, w, n, h, dst, table):  # pragma: no cover - compiled
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

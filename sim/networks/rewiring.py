"""Rewiring of ring-lattice ties, Watts & Strogatz's rule, compiled with numba.

:func:`rewire_ring_lattice` writes the far end of every tie after rewiring, node by node, into
arrays the caller allocates; :func:`sim.networks.csr._fill_owned_rows` turns them into CSR
rows, and the generator :func:`sim.networks.watts_strogatz` joins the two. Every tie has an
*owner*, the node it started from as a lattice tie, and stays in its owner's slots when
rewired, so the ties of node ``i`` are its own ``half_degree`` slots plus the slots of others
that hold ``i``. "Already tied" (:func:`_is_tied`) reads the two nodes' slots: one or two
cache lines, as cheap as a hash set and without one (a hash set of the rewired ties took
16 bytes per tie at ``rewire_p = 1``, more than the finished network).
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctests' np
from numba import njit

__all__ = ["rewire_ring_lattice"]


@njit(cache=True)
def rewire_ring_lattice(n_nodes, half_degree, rewire_p, rng, ends,
                        degrees):  # pragma: no cover - compiled
    """Far ends and degrees of a ring lattice after Watts-Strogatz rewiring (in place).

    With ``n = n_nodes`` and ``h = half_degree``, tie ``(j - 1) n + i`` starts as the
    lattice tie ``(i, i + j)`` (mod ``n``), ``j = 1 .. h``, owned by ``i``. The ties are
    visited in that order (``j`` outer, ``i`` inner) and the graph changes as they go, as in
    ``networkx.watts_strogatz_graph``. Each draws ``rng.random()``; if below ``rewire_p``,
    its new end is ``rng.integers(0, n)``, drawn again while it is ``i`` or already tied to
    ``i``; when ``i`` is tied to everybody the tie stays (networkx's rule).

    Parameters
    ----------
    n_nodes : int
        Number of nodes.
    half_degree : int
        Lattice ties on each side of a node, ``1 <= half_degree``, ``2 half_degree < n``.
    rewire_p : float
        Probability in [0, 1] that a tie is rewired.
    rng : numpy.random.Generator
    ends : numpy.ndarray of int, shape (n_nodes * half_degree,)
        Output: ``ends[i * h + j - 1]`` is the far end of the tie that node ``i`` owns, the
        one that started as ``(i, i + j)``; int32 suffices below 2**31 nodes.
    degrees : numpy.ndarray of int64, shape (n_nodes,)
        Output: every node's degree after rewiring.

    Examples
    --------
    >>> ends, degrees = np.empty(6, np.int32), np.empty(6, np.int64)
    >>> rewire_ring_lattice(6, 1, 0.0, np.random.default_rng(0), ends, degrees)
    >>> ends.tolist(), degrees.tolist()   # nothing rewired: the ring 0 - 1 - ... - 5 - 0
    ([1, 2, 3, 4, 5, 0], [2, 2, 2, 2, 2, 2])
    """
    n, h, p = n_nodes, half_degree, rewire_p
    for i in range(n):
        for j in range(1, h + 1):
            ends[i * h + j - 1] = (i + j) % n
        degrees[i] = 2 * h
    for e in range(n * h):
        if rng.random() < p:
            u = e % n
            slot = u * h + e // n
            w = rng.integers(0, n)
            moved = True
            while w == u or _is_tied(u, w, h, ends):
                w = rng.integers(0, n)
                if degrees[u] >= n - 1:
                    moved = False                    # u is tied to everybody: keep the tie
                    break
            if moved:
                degrees[ends[slot]] -= 1
                ends[slot] = w
                degrees[w] += 1


@njit(cache=True, inline="always")
def _is_tied(u, w, h, ends):  # pragma: no cover - compiled
    """Whether ``u - w`` is a tie now: one of ``u``'s own slots holds ``w`` or one of
    ``w``'s holds ``u`` (every tie, rewired or not, sits in its owner's slots)."""
    for k in range(h):
        if ends[u * h + k] == w or ends[w * h + k] == u:
            return True
    return False

"""Conversions between a :class:`CSR` and networkx or scipy graphs.

:func:`to_csr` reads an undirected ``networkx.Graph`` (nodes relabelled in sorted order,
edge weights kept); :func:`to_networkx` gives the Mesa model its network space;
:func:`to_scipy` the adjacency matrix for scipy's graph algorithms.
"""

from __future__ import annotations

import numpy as np

from sim.networks.csr import CSR, _assemble, _positive_weights

__all__ = ["to_csr", "to_networkx", "to_scipy"]


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
        weights = _positive_weights([w for _, _, w in edges],
                                    [f"edge {a!r} - {b!r}" for a, b, _ in edges], "to_csr")
    return _assemble(len(nodes), u, v, weights, who="to_csr")


def _sorted_labels(labels: list) -> list:
    """``labels`` sorted; mixed types that cannot be compared by type name, then text."""
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=lambda x: (type(x).__name__, str(x)))


def to_networkx(csr: CSR):
    """The CSR as a ``networkx.Graph`` on nodes ``0 .. n-1`` (isolated nodes kept).

    Weights, if any, become the edge attribute ``"weight"``. Use it for Mesa's network space:
    ``mesa.discrete_space.Network(to_networkx(csr), layout=None, random=model.random)``.

    Parameters
    ----------
    csr : CSR

    Returns
    -------
    networkx.Graph

    Examples
    --------
    >>> from sim.networks import star
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

    Parameters
    ----------
    csr : CSR

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n_nodes, n_nodes)

    Examples
    --------
    >>> from sim.networks import star
    >>> to_scipy(star(3)).toarray()
    array([[0., 1., 1.],
           [1., 0., 0.],
           [1., 0., 0.]])
    """
    from scipy import sparse

    data = np.ones(csr.indices.size) if csr.weights is None else np.array(csr.weights)
    return sparse.csr_array((data, np.array(csr.indices), np.array(csr.indptr)),
                            shape=(csr.n_nodes, csr.n_nodes))

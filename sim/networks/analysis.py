"""Measures of a network used by the models and their tests.

:func:`components` counts connected components; :func:`neighbour_mean` is the reference
implementation of DeGroot-style averaging over a :class:`CSR`, against which the kernels
are tested.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim.networks.convert import to_scipy
from sim.networks.csr import CSR

__all__ = ["components", "neighbour_mean"]


def components(csr: CSR) -> int:
    """Number of connected components (isolated nodes count one each).

    Disconnected networks are allowed: a component converges on its own, an isolated agent
    keeps its estimate.

    Examples
    --------
    >>> from sim.networks import empty, from_edges, ring_lattice
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
    >>> from sim.networks import from_edges
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

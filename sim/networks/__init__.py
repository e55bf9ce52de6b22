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

Everything public is importable from here; the modules hold, by topic:

* ``csr``: :class:`CSR`, :func:`check_csr`, :func:`from_edges`, and the row assembly that
  every builder shares;
* ``generators``: the topologies, :func:`communities` and :data:`MAX_COMPLETE_ENTRIES`;
* ``rewiring``: Watts-Strogatz rewiring of ring-lattice ties, compiled with numba;
* ``convert``: :func:`to_csr`, :func:`to_networkx`, :func:`to_scipy`;
* ``files``: :func:`from_file` (edge lists and GraphML);
* ``analysis``: :func:`components`, :func:`neighbour_mean`;
* ``specs``: the pydantic specs, :data:`SEEDED_KINDS`, :func:`parse_spec`, :func:`check` and
  :func:`build`;
* ``_seeds``: the decorators that turn a builder's ``seed`` into its random state;
* ``_checks``: the argument checks shared by the builders and :func:`check`.

Seeding
-------
Random builders take a required ``seed``: an ``int`` in ``[0, 2**63)`` or a
:class:`numpy.random.Generator`, from which they draw exactly one integer
(``seed.integers(2**63)``) and then use only that. A decorator does this once for all of them
(:func:`~sim.networks._seeds.np_random_state`, in the manner of networkx's). Given the same
seed a builder returns the same arrays, bit for bit, in any process and on any machine with
the same numpy and networkx versions; nothing ever draws from an unseeded or global
generator. :func:`build` has that one integer drawn from the run's generator for the kinds in
:data:`SEEDED_KINDS` and nothing for the others, so the Mesa model and the numba kernel,
building the network at the same point of the same generator's stream, get the same network
and continue with the same stream.

Large graphs
------------
A million nodes of degree 10 take tens of milliseconds as a ring lattice and about a second as
a small world (two with every tie rewired); see ``benchmarks/bench_networks.py`` and
:mod:`sim.networks.generators` for which builders scale. A CSR takes 8 bytes per node
(``indptr``, int64) plus 4 bytes per directed entry (``indices``, int32 below 2**31 nodes,
else int64; each undirected tie has two entries), plus 8 per entry with weights: 48 bytes per
node at degree 10. The first call of a compiled loop in a fresh checkout compiles it (a few
seconds, once); numba caches it in ``__pycache__``.

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

from sim.networks.analysis import components, neighbour_mean
from sim.networks.convert import to_csr, to_networkx, to_scipy
from sim.networks.csr import CSR, check_csr, from_edges
from sim.networks.files import from_file
from sim.networks.generators import (
    MAX_COMPLETE_ENTRIES,
    barabasi_albert,
    centralized,
    communities,
    complete,
    empty,
    erdos_renyi,
    random_regular,
    ring_lattice,
    star,
    stochastic_block,
    watts_strogatz,
)
from sim.networks.specs import (
    SEEDED_KINDS,
    BarabasiAlbertSpec,
    CentralizedSpec,
    CompleteSpec,
    ErdosRenyiSpec,
    FileSpec,
    NetworkSpec,
    NoNetwork,
    RandomRegularSpec,
    RingLatticeSpec,
    StarSpec,
    StochasticBlockSpec,
    WattsStrogatzSpec,
    build,
    check,
    parse_spec,
)

__all__ = [
    "CSR", "from_edges", "to_csr", "to_networkx", "to_scipy", "check_csr",
    "empty", "complete", "ring_lattice", "watts_strogatz", "barabasi_albert", "erdos_renyi",
    "random_regular", "star", "centralized", "stochastic_block", "communities", "from_file",
    "components", "neighbour_mean", "MAX_COMPLETE_ENTRIES",
    "NetworkSpec", "NoNetwork", "CompleteSpec", "RingLatticeSpec", "WattsStrogatzSpec",
    "BarabasiAlbertSpec", "ErdosRenyiSpec", "RandomRegularSpec", "StarSpec", "CentralizedSpec",
    "StochasticBlockSpec", "FileSpec", "SEEDED_KINDS", "parse_spec", "check", "build",
]

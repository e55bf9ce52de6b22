"""The ``network:`` block of a config: pydantic specs, their checks, and building from them.

One spec class per kind (``kind: ring_lattice, degree: 4``, ...), all strict
(:class:`sim.config.Strict`), joined into :data:`NetworkSpec` by their ``kind``.
:func:`check` raises, at config-validation time, the one-line ValueError :func:`build` would
raise for a crowd size; :func:`build` makes the network, drawing its seed from the run's
generator for the kinds in :data:`SEEDED_KINDS` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

import sim.networks.generators as generators
from sim.config import Strict
from sim.networks._checks import (
    check_int,
    check_lattice_degree,
    check_n_agents,
    check_probability,
    check_regular_degree,
)
from sim.networks.csr import CSR
from sim.networks.files import from_file

__all__ = ["NetworkSpec", "NoNetwork", "CompleteSpec", "RingLatticeSpec", "WattsStrogatzSpec",
           "BarabasiAlbertSpec", "ErdosRenyiSpec", "RandomRegularSpec", "StarSpec",
           "CentralizedSpec", "StochasticBlockSpec", "FileSpec", "SEEDED_KINDS", "parse_spec",
           "check", "build"]

# field types that several specs share
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Probability = Annotated[float, Field(ge=0, le=1)]


class _Spec(Strict):
    """A spec class; the docstring under a field is its description."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class NoNetwork(_Spec):
    """No network: agents do not see each other (:func:`build` returns None)."""

    kind: Literal["none"]


class CompleteSpec(_Spec):
    """Everyone sees everyone (:func:`complete`)."""

    kind: Literal["complete"]


class RingLatticeSpec(_Spec):
    """Ring lattice (:func:`ring_lattice`)."""

    kind: Literal["ring_lattice"]
    degree: NonNegativeInt
    """even; degree/2 neighbours on each side"""


class WattsStrogatzSpec(_Spec):
    """Small world (:func:`watts_strogatz`)."""

    kind: Literal["watts_strogatz"]
    degree: NonNegativeInt
    """even lattice degree k (Watts & Strogatz 1998)"""
    rewire_p: Probability
    """probability a lattice tie is rewired"""


class BarabasiAlbertSpec(_Spec):
    """Preferential attachment (:func:`barabasi_albert`)."""

    kind: Literal["barabasi_albert"]
    m: PositiveInt
    """ties per new node"""


class ErdosRenyiSpec(_Spec):
    """G(n, p) random graph (:func:`erdos_renyi`)."""

    kind: Literal["erdos_renyi"]
    p: Probability
    """tie probability; mean degree p (n - 1)"""


class RandomRegularSpec(_Spec):
    """Random regular graph (:func:`random_regular`); Becker et al. (2017): degree 4."""

    kind: Literal["random_regular"]
    degree: NonNegativeInt
    """every node's degree; n_agents * degree even"""


class StarSpec(_Spec):
    """Star, node 0 the hub (:func:`star`); Becker et al. (2017)'s centralized network."""

    kind: Literal["star"]


class CentralizedSpec(_Spec):
    """A hub over a random regular network (:func:`centralized`)."""

    kind: Literal["centralized"]
    degree: NonNegativeInt
    """degree among the non-hub nodes"""
    hub_degree: PositiveInt | None = None
    """ties of the hub (default: all)"""


class StochasticBlockSpec(_Spec):
    """Communities joined by bridging ties (:func:`stochastic_block`)."""

    kind: Literal["stochastic_block"]
    n_communities: PositiveInt
    """communities of near-equal size"""
    p_in: Probability
    """tie probability within a community"""
    bridge_share: Annotated[float, Field(ge=0, lt=1)]
    """expected share of a node's ties between communities"""


class FileSpec(_Spec):
    """A network read from a file (:func:`from_file`); it must have ``n_agents`` nodes."""

    kind: Literal["file"]
    path: Annotated[str, Field(min_length=1)]
    """edge list or .graphml; relative to the working folder unless the caller resolves it"""


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
    n = check_n_agents(n_agents, kind, minimum=2 if kind in ("barabasi_albert",
                                                              "centralized") else 1)
    if kind in ("ring_lattice", "watts_strogatz"):
        check_lattice_degree(n, spec.degree, kind)
    if kind == "watts_strogatz":
        check_probability(spec.rewire_p, kind, "rewire_p")
    elif kind == "barabasi_albert":
        check_int(spec.m, kind, "m", 1, n - 1, f" (below n_agents = {n})")
    elif kind == "erdos_renyi":
        check_probability(spec.p, kind, "p")
    elif kind == "random_regular":
        check_regular_degree(n, spec.degree, kind)
    elif kind == "centralized":
        generators._check_centralized(n, spec.degree, spec.hub_degree)
    elif kind == "stochastic_block":
        generators._check_block(n, spec.n_communities, spec.p_in, spec.bridge_share)
    elif kind == "complete" and n * (n - 1) > generators.MAX_COMPLETE_ENTRIES:
        generators.complete(n)                          # raises its own message
    elif kind == "file":
        _read_spec_file(spec, n)


def _read_spec_file(spec: FileSpec, n: int) -> CSR:
    """The network of a ``file`` spec, which must have ``n`` nodes."""
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
        ``stochastic_block``) ``build`` passes ``rng`` as the builder's seed, which draws
        exactly ONE value from it, ``rng.integers(2**63)``; for ``none``, ``complete``,
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
    >>> h = generators.erdos_renyi(100, 0.1, seed=int(np.random.default_rng(42).integers(2**63)))
    >>> bool(np.array_equal(g.indices, h.indices))
    True
    >>> build({"kind": "none"}, 100, rng) is None
    True
    """
    spec = parse_spec(spec)
    kind = spec.kind
    if kind == "file":
        return _read_spec_file(spec, check_n_agents(n_agents, kind))
    check(spec, n_agents)
    if kind == "none":
        return None
    if kind == "complete":
        return generators.complete(n_agents)
    if kind == "star":
        return generators.star(n_agents)
    if kind == "ring_lattice":
        return generators.ring_lattice(n_agents, spec.degree)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"build: kind {kind!r} draws its seed from rng, which must be a numpy "
                        f"Generator, got {type(rng).__name__}")
    # the builder's seed decorator draws the one integer from rng (sim.networks._seeds)
    if kind == "watts_strogatz":
        return generators.watts_strogatz(n_agents, spec.degree, spec.rewire_p, seed=rng)
    if kind == "barabasi_albert":
        return generators.barabasi_albert(n_agents, spec.m, seed=rng)
    if kind == "erdos_renyi":
        return generators.erdos_renyi(n_agents, spec.p, seed=rng)
    if kind == "random_regular":
        return generators.random_regular(n_agents, spec.degree, seed=rng)
    if kind == "centralized":
        return generators.centralized(n_agents, spec.degree, seed=rng, hub_degree=spec.hub_degree)
    if kind == "stochastic_block":
        return generators.stochastic_block(n_agents, spec.n_communities, spec.p_in,
                                           spec.bridge_share, seed=rng)
    raise AssertionError(f"unhandled network kind {kind!r}")   # pragma: no cover

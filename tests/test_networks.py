"""sim.networks: CSR invariants of every builder, determinism, conversions, files, errors,
and Watts-Strogatz against networkx."""

from __future__ import annotations

import inspect
import pickle

import networkx as nx
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy.sparse.csgraph import shortest_path

from sim import networks as N
from sim.config import ConfigError, validate
from sim.networks.generators import _decode_pairs

# builder name -> (function, keyword arguments), all with n_agents = 60
RANDOM_BUILDERS = {
    "watts_strogatz": (N.watts_strogatz, dict(degree=6, rewire_p=0.3)),
    "barabasi_albert": (N.barabasi_albert, dict(m=3)),
    "erdos_renyi": (N.erdos_renyi, dict(p=0.1)),
    "random_regular": (N.random_regular, dict(degree=5)),
    "centralized": (N.centralized, dict(degree=4, hub_degree=30)),
    "stochastic_block": (N.stochastic_block, dict(n_communities=4, p_in=0.4,
                                                  bridge_share=0.2)),
}
SPECS = {
    "none": {"kind": "none"},
    "complete": {"kind": "complete"},
    "ring_lattice": {"kind": "ring_lattice", "degree": 4},
    "watts_strogatz": {"kind": "watts_strogatz", "degree": 6, "rewire_p": 0.3},
    "barabasi_albert": {"kind": "barabasi_albert", "m": 3},
    "erdos_renyi": {"kind": "erdos_renyi", "p": 0.1},
    "random_regular": {"kind": "random_regular", "degree": 5},
    "star": {"kind": "star"},
    "centralized": {"kind": "centralized", "degree": 4},
    "stochastic_block": {"kind": "stochastic_block", "n_communities": 4, "p_in": 0.4,
                         "bridge_share": 0.2},
}


def assert_valid(g: N.CSR, n: int) -> None:
    """Every promise of a CSR: dtypes, read-only, sorted unique symmetric rows, no loops."""
    assert g.n_nodes == n
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (n + 1,)
    assert g.indices.dtype == np.int32
    assert not g.indptr.flags.writeable and not g.indices.flags.writeable
    assert g.n_edges * 2 == g.indices.size == g.degrees.sum()
    N.check_csr(g)


def same(a: N.CSR, b: N.CSR) -> bool:
    return (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and (a.weights is None) == (b.weights is None)
            and (a.weights is None or np.array_equal(a.weights, b.weights)))


# ---------------------------------------------------------------------------- builders


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_complete(n):
    g = N.complete(n)
    assert_valid(g, n)
    assert set(g.degrees.tolist()) <= {n - 1} and g.n_edges == n * (n - 1) // 2
    assert same(g, N.to_csr(nx.complete_graph(n)))


@pytest.mark.parametrize("n, degree", [(1, 0), (5, 0), (5, 2), (5, 4), (11, 6), (100, 10)])
def test_ring_lattice_is_networkx_lattice(n, degree):
    g = N.ring_lattice(n, degree)
    assert_valid(g, n)
    assert np.all(g.degrees == degree)
    assert same(g, N.to_csr(nx.watts_strogatz_graph(n, degree, 0.0, seed=1)))


def test_ring_lattice_neighbours_within_ring_distance():
    n, h = 23, 3
    g = N.ring_lattice(n, 2 * h)
    for i in range(n):
        d = np.abs(g.neighbours(i) - i)
        assert np.all(np.minimum(d, n - d) <= h)


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_star(n):
    g = N.star(n)
    assert_valid(g, n)
    assert g.degrees[0] == n - 1 and np.all(g.degrees[1:] == 1)
    assert np.all(g.indices[g.indptr[1]:] == 0)


def test_empty_and_isolated_nodes():
    g = N.empty(5)
    assert_valid(g, 5)
    assert g.n_edges == 0 and N.components(g) == 5
    x = np.arange(5.0)
    assert np.array_equal(N.neighbour_mean(g, x), x)


@pytest.mark.parametrize("n, degree", [(10, 3), (40, 4), (101, 6), (7, 0)])
def test_random_regular_exact_degree(n, degree):
    g = N.random_regular(n, degree, seed=3)
    assert_valid(g, n)
    assert np.all(g.degrees == degree)


@pytest.mark.parametrize("n, m", [(2, 1), (10, 1), (50, 3), (200, 5)])
def test_barabasi_albert_edges_and_networkx(n, m):
    g = N.barabasi_albert(n, m, seed=17)
    assert_valid(g, n)
    assert g.n_edges == m * (n - m)
    assert g.degrees.min() >= 1                        # the seed star's leaves may stay below m
    # the integer seed goes to networkx unchanged
    assert same(g, N.to_csr(nx.barabasi_albert_graph(n, m, seed=17)))


def test_erdos_renyi_degrees_are_binomial():
    n, p = 2000, 0.01
    g = N.erdos_renyi(n, p, seed=8)
    assert_valid(g, n)
    mean = p * (n - 1)
    assert abs(g.degrees.mean() - mean) < 1.0         # sd of the mean degree ~0.14
    assert abs(g.degrees.var() / (mean * (1 - p)) - 1) < 0.15


def test_erdos_renyi_extremes_and_pair_uniformity():
    assert N.erdos_renyi(9, 0.0, seed=1).n_edges == 0
    assert same(N.erdos_renyi(9, 1.0, seed=1), N.complete(9))
    # every pair of 6 nodes is tied in about half of the graphs (decoding has no bias)
    counts = np.zeros((6, 6))
    for seed in range(400):
        counts += N.to_scipy(N.erdos_renyi(6, 0.5, seed=seed)).toarray()
    share = counts[np.triu_indices(6, 1)] / 400
    assert np.all(np.abs(share - 0.5) < 0.1)


def test_pair_decoding_is_exact_far_out():
    k = np.array([0, 1, 2, 3, 2**52 - 1, 2**52, 5 * 10**13 - 1], np.int64)
    i, j = _decode_pairs(k)
    assert np.all((j >= 0) & (j < i))
    assert np.array_equal(i * (i - 1) // 2 + j, k)
    small = np.arange(45, dtype=np.int64)
    i, j = _decode_pairs(small)
    expected = [(a, b) for a in range(1, 10) for b in range(a)]
    assert list(zip(i.tolist(), j.tolist())) == expected


def test_centralized():
    g = N.centralized(40, 4, seed=2, hub_degree=20)
    assert_valid(g, 40)
    assert g.degrees[0] == 20
    assert set(g.degrees[1:].tolist()) == {4, 5}
    assert np.sum(g.degrees[1:] == 5) == 20
    full = N.centralized(40, 4, seed=2)                  # default: the hub sees everyone
    assert full.degrees[0] == 39 and np.all(full.degrees[1:] == 5)
    assert same(N.centralized(40, 0, seed=5), N.star(40))


def test_stochastic_block_structure():
    n, c, p_in, b = 1203, 6, 0.15, 0.3
    g = N.stochastic_block(n, c, p_in, b, seed=12)
    assert_valid(g, n)
    labels = N.communities(n, c)
    assert np.bincount(labels).tolist() == [201, 201, 201, 200, 200, 200]
    rows = np.repeat(np.arange(n), g.degrees)
    bridge = labels[rows] != labels[g.indices]
    assert abs(bridge.mean() - b) < 0.02
    inside = (~bridge).sum() / n                          # expected p_in (s - 1)
    assert abs(inside / (p_in * (n / c - 1)) - 1) < 0.05
    # one community: plain G(n, p_in); no inside ties: only bridges, none at b = 0
    assert N.stochastic_block(50, 1, 0.2, 0.0, seed=1).n_edges > 0
    assert N.stochastic_block(50, 5, 0.0, 0.0, seed=1).n_edges == 0
    assert N.stochastic_block(50, 50, 0.3, 0.0, seed=1).n_edges == 0


# ---------------------------------------------------------------------------- seeding


@pytest.mark.parametrize("name", sorted(RANDOM_BUILDERS))
def test_deterministic_given_seed(name):
    fn, kwargs = RANDOM_BUILDERS[name]
    a = fn(60, **kwargs, seed=123)
    assert_valid(a, 60)
    assert same(a, fn(60, **kwargs, seed=123))
    assert not same(a, fn(60, **kwargs, seed=124))
    # a Generator is consumed by exactly one draw, whose integer is the seed
    rng, twin = np.random.default_rng(9), np.random.default_rng(9)
    b = fn(60, **kwargs, seed=rng)
    assert same(b, fn(60, **kwargs, seed=int(twin.integers(2**63))))
    assert rng.integers(2**63) == twin.integers(2**63)


@pytest.mark.parametrize("name", sorted(RANDOM_BUILDERS))
def test_builders_refuse_missing_seed(name):
    fn, kwargs = RANDOM_BUILDERS[name]
    with pytest.raises(TypeError, match="seed must be an int or a numpy Generator"):
        fn(60, **kwargs, seed=None)
    with pytest.raises(ValueError, match=r"seed must be in \[0, 2\*\*63\)"):
        fn(60, **kwargs, seed=-1)


@pytest.mark.parametrize("name", sorted(RANDOM_BUILDERS))
def test_seed_decorator_keeps_the_builders_face(name):
    """The decorator keeps name, docstring and signature; ``seed`` binds by position too."""
    fn, kwargs = RANDOM_BUILDERS[name]
    assert fn.__name__ == name and "seed" in inspect.signature(fn).parameters
    assert "Examples" in fn.__doc__
    positional = [60, *kwargs.values()]
    if name == "centralized":                          # hub_degree comes after seed
        positional = [60, kwargs["degree"]]
        assert same(fn(*positional, 5, hub_degree=30), fn(60, **kwargs, seed=5))
    else:
        assert same(fn(*positional, 5), fn(60, **kwargs, seed=5))


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_build_draws_one_integer_exactly_for_seeded_kinds(kind):
    rng, twin = np.random.default_rng(2024), np.random.default_rng(2024)
    g = N.build(SPECS[kind], 60, rng)
    if kind in N.SEEDED_KINDS:
        fn, kwargs = RANDOM_BUILDERS[kind]
        seed = int(twin.integers(2**63))
        params = {k: v for k, v in SPECS[kind].items() if k != "kind"}
        assert same(g, fn(60, **params, seed=seed))
    if kind == "none":
        assert g is None
    else:
        assert_valid(g, 60)
    # after build both generators are at the same point of the stream
    assert rng.integers(2**63) == twin.integers(2**63)


def test_seeded_kinds_are_exactly_the_random_ones():
    assert set(RANDOM_BUILDERS) == N.SEEDED_KINDS
    for kind in ("none", "complete", "ring_lattice", "star"):
        N.build(SPECS[kind], 10, None)                   # no generator needed
    with pytest.raises(TypeError, match="must be a numpy Generator"):
        N.build(SPECS["erdos_renyi"], 10, None)


# ---------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("g", [
    N.ring_lattice(12, 4), N.star(6), N.empty(4), N.erdos_renyi(80, 0.03, seed=1),
    N.from_edges(5, [0, 3, 1], [4, 1, 2], [0.5, 2.0, 1.5]),
], ids=["ring", "star", "empty", "er_isolated", "weighted"])
def test_round_trip_networkx(g):
    G = N.to_networkx(g)
    assert G.number_of_nodes() == g.n_nodes and G.number_of_edges() == g.n_edges
    assert same(N.to_csr(G), g)


def test_to_csr_relabels_sorted_and_keeps_weights():
    G = nx.Graph()
    G.add_edge("c", "a", weight=2.0)
    G.add_edge("b", "a", weight=0.5)
    G.add_node("z")
    g = N.to_csr(G)
    assert_valid(g, 4)
    assert g.indices.tolist() == [1, 2, 0, 0] and g.weights.tolist() == [0.5, 2.0, 0.5, 2.0]
    assert g.degrees[3] == 0


@pytest.mark.parametrize("graph, message", [
    (nx.DiGraph([(0, 1)]), "need an undirected simple graph"),
    (nx.MultiGraph([(0, 1)]), "need an undirected simple graph"),
    (nx.Graph([(0, 0), (0, 1)]), "self-loop at node 0"),
    (nx.Graph([(0, 1, {"weight": 1.0}), (1, 2)]), "has no 'weight' but others do"),
    (nx.Graph([(0, 1, {"weight": -1.0})]), "weight must be a finite positive number"),
])
def test_to_csr_errors(graph, message):
    with pytest.raises(ValueError, match=message):
        N.to_csr(graph)


def test_from_edges_checks():
    with pytest.raises(ValueError, match="self-loop at node 2"):
        N.from_edges(3, [2], [2])
    with pytest.raises(ValueError, match=r"node ids must be in \[0, 3\)"):
        N.from_edges(3, [0], [3])
    with pytest.raises(ValueError, match="tie 1 - 2 is listed more than once"):
        N.from_edges(3, [1, 2], [2, 1])
    with pytest.raises(ValueError, match="same length"):
        N.from_edges(3, [0, 1], [1])


def test_csr_container():
    indptr, indices = np.array([0, 1, 2]), np.array([1, 0])
    g = N.CSR(indptr=indptr, indices=indices)
    assert indptr.flags.writeable and indices.flags.writeable     # caller's arrays untouched
    with pytest.raises(ValueError):
        g.indices[0] = 1
    with pytest.raises(AttributeError):
        g.indices = indices
    back = pickle.loads(pickle.dumps(N.watts_strogatz(50, 4, 0.5, seed=1)))
    assert not back.indices.flags.writeable and back.n_edges == 100
    assert N.ring_lattice(10, 2).nbytes == 11 * 8 + 20 * 4
    for bad, message in [
        (dict(indptr=[1, 2], indices=[0]), "start at 0"),
        (dict(indptr=[0, 2, 1], indices=[1, 0]), "end at len"),
        (dict(indptr=[0, 2, 1, 2], indices=[1, 0]), "non-decreasing"),
        (dict(indptr=[0, 1, 2], indices=[1, 5]), "node ids"),
        (dict(indptr=[0, 1, 2], indices=[1.0, 0.0]), "must hold integers"),
        (dict(indptr=[0, 1, 2], indices=[1, 0], weights=[1.0, np.nan]), "finite and positive"),
        (dict(indptr=[0, 1, 2], indices=[1, 0], weights=[1.0]), "aligned with indices"),
    ]:
        with pytest.raises(ValueError, match=message):
            N.CSR(**bad)
    with pytest.raises(ValueError, match="repeated"):
        N.check_csr(N.CSR(indptr=[0, 2, 3, 4], indices=[1, 1, 0, 0]))
    with pytest.raises(ValueError, match="self-loop"):
        N.check_csr(N.CSR(indptr=[0, 2, 4], indices=[0, 1, 0, 1]))
    with pytest.raises(ValueError, match="different weights"):
        N.check_csr(N.CSR(indptr=[0, 1, 2], indices=[1, 0], weights=[1.0, 2.0]))


# ---------------------------------------------------------------------------- files


def test_edge_list_formats(tmp_path):
    path = tmp_path / "net.txt"
    path.write_text("# a comment\n"
                    "3 1\n"
                    "1,2   # trailing comment\n"
                    "\n"
                    "2 , 3\n"
                    "1 3\n"           # the same tie as '3 1': kept once
                    "10\n",           # an isolated node
                    encoding="utf-8")
    g, labels = N.from_file(path)
    assert labels == [1, 2, 3, 10]
    assert_valid(g, 4)
    assert g.n_edges == 3 and g.degrees.tolist() == [2, 2, 2, 0]
    assert N.components(g) == 2


def test_edge_list_written_by_networkx(tmp_path):
    G = nx.les_miserables_graph()               # string labels, weighted
    path = tmp_path / "lesmis.edges"
    nx.write_edgelist(G, path, delimiter=",", data=["weight"])
    g, labels = N.from_file(path)
    assert labels == sorted(G)
    assert same(g, N.to_csr(G))
    H = nx.convert_node_labels_to_integers(nx.karate_club_graph())
    for _, _, d in H.edges(data=True):
        d.clear()
    nx.write_edgelist(H, tmp_path / "karate.txt", data=False)
    g, labels = N.from_file(tmp_path / "karate.txt")
    assert labels == list(range(34)) and same(g, N.to_csr(H))


def test_graphml(tmp_path):
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 1.5), (1, 2, 2.0), (2, 10, 0.25)])
    G.add_node(7)                                # isolated
    path = tmp_path / "net.graphml"
    nx.write_graphml(G, path)
    g, labels = N.from_file(path)
    assert labels == [0, 1, 2, 7, 10]            # numeric order, not "10" < "2"
    assert_valid(g, 5)
    assert same(g, N.to_csr(G))
    unweighted = nx.relabel_nodes(nx.path_graph(4), {i: f"p{i}" for i in range(4)})
    nx.write_graphml(unweighted, tmp_path / "path.GraphML")
    g, labels = N.from_file(tmp_path / "path.GraphML")
    assert labels == ["p0", "p1", "p2", "p3"] and g.weights is None and g.n_edges == 3
    D = nx.DiGraph([(0, 1), (1, 0), (1, 2)])     # directed: read as undirected ties
    nx.write_graphml(D, tmp_path / "directed.graphml")
    g, _ = N.from_file(tmp_path / "directed.graphml")
    assert g.n_edges == 2


@pytest.mark.parametrize("text, message", [
    ("0 1\n1 2 3 4\n", "line 2: expected 'u v' or 'u v weight', got 4 fields"),
    ("0 1\n2 2\n", "line 2: self-loop 2 - 2"),
    ("0 1 1.0\n1 2\n", "line 2: has no weight but line 1 has one"),
    ("0 1\n1 2 1.0\n", "line 2: has a weight but line 1 has none"),
    ("0 1 x\n", "line 1: weight must be a finite positive number, got 'x'"),
    ("source target weight\n0 1 2\n", "comment out a header line"),
    ("0 1 -2\n", "line 1: weight must be a finite positive number"),
    ("0 1 nan\n", "line 1: weight must be a finite positive number"),
    ("0 1 1.0\n1 0 2.0\n", "line 2: tie 1 - 0 repeated with weight 2 (line 1 has 1)"),
    ("# nothing\n\n", "no nodes"),
])
def test_edge_list_errors(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        N.from_file(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match="file not found"):
        N.from_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="not a file"):
        N.from_file(tmp_path)
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00 1 2")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        N.from_file(tmp_path / "binary.txt")
    (tmp_path / "broken.graphml").write_text("<graphml><graph", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid GraphML") as info:
        N.from_file(tmp_path / "broken.graphml")
    assert "\n" not in str(info.value)


def test_file_spec(tmp_path):
    path = tmp_path / "ring.txt"
    nx.write_edgelist(nx.cycle_graph(8), path, data=False)
    spec = {"kind": "file", "path": str(path)}
    N.check(spec, 8)
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    assert same(N.build(spec, 8, rng), N.ring_lattice(8, 2))
    assert rng.bit_generator.state == state                # a file draws nothing
    with pytest.raises(ValueError, match="has 8 nodes but n_agents is 9"):
        N.check(spec, 9)
    with pytest.raises(ValueError, match="has 8 nodes but n_agents is 9"):
        N.build(spec, 9, rng)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, message", [
    (lambda: N.ring_lattice(10, 3), "ring_lattice: degree must be even"),
    (lambda: N.ring_lattice(10, 10), "ring_lattice: degree must be an integer in [0, 9] "
                                     "(below n_agents = 10), got 10"),
    (lambda: N.ring_lattice(0, 0), "ring_lattice: n_agents must be an integer >= 1, got 0"),
    (lambda: N.ring_lattice(10.0, 2), "n_agents must be an integer >= 1, got 10.0"),
    (lambda: N.watts_strogatz(10, 4, 1.5, seed=1), "rewire_p must be a probability in "
                                                   "[0, 1], got 1.5"),
    (lambda: N.watts_strogatz(10, 4, float("nan"), seed=1), "rewire_p must be a probability"),
    (lambda: N.watts_strogatz(10, 5, 0.1, seed=1), "watts_strogatz: degree must be even"),
    (lambda: N.erdos_renyi(10, -0.1, seed=1), "erdos_renyi: p must be a probability"),
    (lambda: N.random_regular(5, 3, seed=1), "n_agents * degree must be even"),
    (lambda: N.random_regular(5, 5, seed=1), "degree must be an integer in [0, 4]"),
    (lambda: N.barabasi_albert(5, 5, seed=1), "barabasi_albert: m must be an integer in "
                                              "[1, 4] (below n_agents = 5), got 5"),
    (lambda: N.barabasi_albert(5, 0, seed=1), "m must be an integer in [1, 4]"),
    (lambda: N.barabasi_albert(1, 1, seed=1), "n_agents must be an integer >= 2"),
    (lambda: N.centralized(40, 3, seed=1), "(n_agents - 1) * degree must be even"),
    (lambda: N.centralized(40, 4, seed=1, hub_degree=40), "hub_degree must be an integer "
                                                          "in [1, 39]"),
    (lambda: N.stochastic_block(10, 11, 0.5, 0.1, seed=1), "n_communities must be an "
                                                           "integer in [1, 10]"),
    (lambda: N.stochastic_block(10, 2, 0.5, 1.0, seed=1), "bridge_share must be in [0, 1)"),
    (lambda: N.stochastic_block(10, 1, 0.5, 0.2, seed=1), "bridge_share must be 0 with a "
                                                          "single community"),
    (lambda: N.stochastic_block(100, 2, 1.0, 0.9, seed=1), "needs a between-community tie "
                                                           "probability of 8.82 > 1"),
    (lambda: N.complete(50_000), "complete: n_agents must be at most 46341"),
    (lambda: N.ring_lattice(10, True), "degree must be an integer"),
])
def test_impossible_parameters(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("spec, n, message", [
    ({"kind": "ring_lattice", "degree": 10}, 10, "ring_lattice: degree must be an integer in"),
    ({"kind": "watts_strogatz", "degree": 3, "rewire_p": 0.1}, 10, "degree must be even"),
    ({"kind": "random_regular", "degree": 3}, 9, "n_agents * degree must be even"),
    ({"kind": "barabasi_albert", "m": 10}, 10, "m must be an integer in [1, 9]"),
    ({"kind": "stochastic_block", "n_communities": 20, "p_in": 0.1, "bridge_share": 0.1}, 10,
     "n_communities must be an integer in [1, 10]"),
    ({"kind": "centralized", "degree": 9}, 10, "degree must be an integer in [0, 8]"),
    ({"kind": "file", "path": "/no/such/net.txt"}, 10, "file not found"),
])
def test_check_before_any_run(spec, n, message):
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    for call in (lambda: N.check(spec, n), lambda: N.build(spec, n, rng)):
        with pytest.raises(ValueError) as info:
            call()
        assert message in str(info.value)
    assert rng.bit_generator.state == state            # nothing drawn before the error


def test_spec_schema_one_line_errors():
    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        network: N.NetworkSpec

    ok = validate(Config, {"network": {"kind": "watts_strogatz", "degree": 4,
                                       "rewire_p": 1}})
    assert ok.network.rewire_p == 1.0
    for data, message in [
        ({"kind": "watts_strogatz", "degree": 4, "rewire_p": 1.5},
         "network.rewire_p: Input should be less than or equal to 1"),
        ({"kind": "erdos_renyi", "p": 0.1, "degree": 3}, "network.degree: unknown key"),
        ({"kind": "erdos_renyi", "p": float("nan")}, "network.p: must be a finite number"),
        ({"kind": "ring_lattice"}, "network.degree: required field is missing"),
        ({"kind": "small_world"}, "network: Input tag 'small_world' found using 'kind'"),
        ({"kind": "ring_lattice", "degree": "4"}, "network.degree: Input should be a valid "
                                                  "integer"),
    ]:
        with pytest.raises(ConfigError) as info:
            validate(Config, {"network": data})
        assert message in str(info.value), str(info.value)
    with pytest.raises(ValidationError):
        N.parse_spec({"kind": "stochastic_block", "n_communities": 2, "p_in": 0.1,
                      "bridge_share": 1.0})


# ---------------------------------------------------------------------------- analysis


def test_components_and_isolated_nodes():
    g = N.from_edges(7, [0, 1, 3], [1, 2, 4])           # {0,1,2} {3,4} {5} {6}
    assert N.components(g) == 4
    assert N.components(N.ring_lattice(30, 2)) == 1
    sparse = N.erdos_renyi(300, 0.002, seed=5)          # mean degree 0.6: many isolates
    assert np.any(sparse.degrees == 0) and N.components(sparse) > 1
    x = np.random.default_rng(1).normal(size=300)
    m = N.neighbour_mean(sparse, x)
    assert np.all(np.isfinite(m))
    assert np.array_equal(m[sparse.degrees == 0], x[sparse.degrees == 0])


@pytest.mark.parametrize("g", [N.watts_strogatz(200, 6, 0.2, seed=4),
                               N.from_edges(5, [0, 0, 1, 3], [1, 2, 2, 1],
                                            [1.0, 3.0, 0.5, 2.0]),
                               N.star(9)], ids=["ws", "weighted", "star"])
def test_neighbour_mean_matches_dense_algebra(g):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, g.n_nodes))
    A = N.to_scipy(g).toarray()
    weight = A.sum(axis=1)
    expected = np.where(weight > 0, (x @ A.T) / np.where(weight > 0, weight, 1), x)
    got = N.neighbour_mean(g, x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(N.neighbour_mean(g, x[1]), got[1])
    with pytest.raises(ValueError, match="n_nodes"):
        N.neighbour_mean(g, x[:, :-1])


# ---------------------------------------------------------------------------- WS vs networkx


def _small_world_stats(g: N.CSR) -> tuple[float, float]:
    """Average clustering and mean shortest path from 100 evenly spread sources."""
    clustering = nx.average_clustering(N.to_networkx(g))
    sources = np.arange(0, g.n_nodes, g.n_nodes // 100)
    d = shortest_path(N.to_scipy(g), unweighted=True, indices=sources)
    return clustering, float(d[np.isfinite(d) & (d > 0)].mean())


@pytest.mark.parametrize("p", [0.0, 0.1, 1.0])
def test_watts_strogatz_matches_networkx(p):
    n, k, seeds = 2000, 10, range(3)
    ours = [N.watts_strogatz(n, k, p, seed=s) for s in seeds]
    theirs = [N.to_csr(nx.watts_strogatz_graph(n, k, p, seed=s)) for s in seeds]
    for g in ours:
        assert_valid(g, n)
        assert g.n_edges == n * k // 2                   # mean degree exactly k
        assert g.degrees.min() >= k // 2
    c_ours, l_ours = np.mean([_small_world_stats(g) for g in ours], axis=0)
    c_nx, l_nx = np.mean([_small_world_stats(g) for g in theirs], axis=0)
    sd_ours = np.mean([g.degrees.std() for g in ours])
    sd_nx = np.mean([g.degrees.std() for g in theirs])
    if p == 0.0:
        assert all(same(g, N.ring_lattice(n, k)) and same(h, g) for g, h in zip(ours, theirs))
        assert c_ours == pytest.approx(3 * (k - 2) / (4 * (k - 1)))
    elif p == 0.1:
        # C ~ C(0) (1 - p)^3 ~ 0.49, L ~ 4.9; differences between graphs are ~0.005, ~0.05
        assert abs(c_ours - c_nx) < 0.02 and abs(c_ours - 0.6667 * 0.9**3) < 0.03
        assert abs(l_ours / l_nx - 1) < 0.03
        assert abs(sd_ours / sd_nx - 1) < 0.1
    else:
        # a random graph: C ~ k / n, L ~ ln(n) / ln(k)
        assert c_ours < 0.01 and abs(c_ours - c_nx) < 0.002
        assert abs(l_ours / l_nx - 1) < 0.02
        assert abs(sd_ours / sd_nx - 1) < 0.1


def test_watts_strogatz_dense_graphs_match_networkx():
    """Where k/n is large the rewiring rule matters; the ensembles still agree."""
    n, k, p, reps = 30, 10, 1.0, 120
    c_ours = [nx.average_clustering(N.to_networkx(N.watts_strogatz(n, k, p, seed=s)))
              for s in range(reps)]
    c_nx = [nx.average_clustering(nx.watts_strogatz_graph(n, k, p, seed=s))
            for s in range(reps)]
    se = np.hypot(np.std(c_ours), np.std(c_nx)) / np.sqrt(reps)
    assert abs(np.mean(c_ours) - np.mean(c_nx)) < 4 * se
    # a complete lattice has nothing to rewire: it stays complete, as in networkx
    assert same(N.watts_strogatz(11, 10, 1.0, seed=1), N.complete(11))


def test_large_lattices_build():
    g = N.ring_lattice(100_000, 10)
    assert np.all(g.degrees == 10)
    w = N.watts_strogatz(100_000, 10, 0.1, seed=7)
    assert w.n_edges == 500_000 and w.indices.dtype == np.int32
    N.check_csr(w)


@pytest.mark.slow
def test_million_node_small_world():
    w = N.watts_strogatz(10**6, 10, 0.1, seed=7)
    assert w.n_edges == 5 * 10**6
    assert w.nbytes == 8 * (10**6 + 1) + 4 * 10**7
    N.check_csr(w)


# ---------------------------------------------------------------------------- Becker et al.


def test_becker_2017_centralized_network_is_a_star():
    """The shipped data pin down the experiment's networks (see :func:`sim.networks.star`)."""
    datasets = pytest.importorskip("sim.analysis.datasets")
    if not hasattr(datasets, "load_becker"):
        pytest.skip("Becker et al. (2017) data not shipped")
    table = datasets.load_becker()
    central = table[table.network == "Centralized"]
    for _, group in central.groupby(["group_number", "task"]):
        hub = group[group.is_central == True]  # noqa: E712 - a column of True/False/NaN
        others = group[group.is_central != True]  # noqa: E712
        assert len(hub) == 1
        assert np.allclose(others["mean.neighbor.time1"].dropna(), hub.response_1.iloc[0])
        assert np.isclose(hub["mean.neighbor.time1"].iloc[0], others.response_1.mean())
    decentral = table[table.network == "Decentralized"]["mean.neighbor.time1"].dropna()
    assert np.mean(np.isclose(4 * decentral, np.round(4 * decentral))) > 0.85

"""Golub & Jackson (2010): the influence vector of the estimation model's DeGroot rule.

Known eigenvectors by hand (star, ring, two communities, an influencer seen by all), the
conditions refused with one-line errors, pi >= 0 / sum 1 / pi T = pi on random connected
graphs (hypothesis), the kernel's simulated consensus equal to pi . x(0) to 1e-9, and the
experiment end to end on a tiny config.
"""

import json

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation.theory import (
    consensus_error_sd,
    influence_matrix,
    influence_weights,
    params_influence_weights,
    stationary_weights,
)
from sim.networks import build, complete, from_edges, ring_lattice, star
from sim.seeding import generator
from tests.strategies import fast

#: two triangles {0, 1, 2} and {3, 4, 5} joined by the tie 2 - 3
TWO_COMMUNITIES = from_edges(6, [0, 0, 1, 2, 3, 3, 4], [1, 2, 2, 3, 4, 5, 5])


def test_star_hub_holds_half_the_influence():
    # hub: pi_0 w = sum_leaves pi_leaf w (what flows out of the hub flows back), so 1/2
    for n in (3, 10, 101):
        pi = influence_weights(star(n), 0.3)
        np.testing.assert_allclose(pi, [0.5] + [0.5 / (n - 1)] * (n - 1), rtol=1e-12)


def test_ring_is_uniform_whatever_the_weight():
    for n, degree, w in ((5, 2, 0.3), (12, 4, 0.9), (40, 6, 0.05)):
        np.testing.assert_allclose(influence_weights(ring_lattice(n, degree), w),
                                   np.full(n, 1 / n), rtol=1e-12)


def test_two_communities_by_hand():
    # equal weights: pi proportional to degree (2, 2, 3, 3, 2, 2) / 14
    np.testing.assert_allclose(influence_weights(TWO_COMMUNITIES, 0.4),
                               np.array([2, 2, 3, 3, 2, 2]) / 14, rtol=1e-12)
    # community A revises with w = 0.2, B with w = 0.5: pi proportional to degree / w,
    # (10, 10, 15, 6, 4, 4) / 49: the less susceptible community carries more weight
    w = np.array([0.2, 0.2, 0.2, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(influence_weights(TWO_COMMUNITIES, w),
                               np.array([10, 10, 15, 6, 4, 4]) / 49, rtol=1e-12)


def test_influencer_seen_by_all_on_a_ring_by_hand():
    # ring of n (degree 2), agent 0 seen by all with weight c = 1. Balance of agent 0:
    # pi_0 w = (its two neighbours) 2 q w/2 + (the n - 3 others) r w/3, and by symmetry the
    # neighbours hold q, the others r; the theory must satisfy pi T = pi exactly
    n, w = 9, 0.3
    T = influence_matrix(ring_lattice(n, 2), w, n_influencers=1, influencer_reach="all")
    rows = T.toarray()
    assert np.allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_allclose(rows[4], [w / 3, 0, 0, w / 3, 1 - w, w / 3, 0, 0, 0])
    pi = influence_weights(ring_lattice(n, 2), w, n_influencers=1, influencer_reach="all")
    np.testing.assert_allclose(pi @ rows, pi, atol=1e-15)
    assert pi[0] > 0.2 and np.allclose(pi[1:], pi[1:][::-1])  # mirror symmetry


def test_influencer_weight_on_the_full_crowd():
    # everyone sees everyone: pi_i proportional to c_i (C - c_i) / w_i
    n, c = 6, 4.0
    pi = influence_weights(complete(n), 0.5, n_influencers=1, influencer_weight=c)
    C = c + n - 1
    expected = np.array([c * (C - c)] + [C - 1] * (n - 1))
    np.testing.assert_allclose(pi, expected / expected.sum(), rtol=1e-12)


def test_consensus_error_sd():
    assert consensus_error_sd(np.full(25, 0.04), 10.0) == pytest.approx(2.0)
    assert consensus_error_sd(influence_weights(star(101), 0.3), 1.0) == pytest.approx(
        np.sqrt(0.25 + 100 * (0.5 / 100) ** 2))


@pytest.mark.parametrize("network, weight, message", [
    (from_edges(6, [0, 1, 3, 4], [1, 2, 4, 5]), 0.3,
     "influence_weights: the network is not strongly connected (2 components"),
    (from_edges(3, [0], [1]), 0.3, "not strongly connected (2 components"),
    (ring_lattice(6, 2), 1.0, "influence_weights: the influence matrix is periodic (period 2"),
    (star(5), 1.0, "periodic (period 2"),
    (ring_lattice(6, 2), np.array([0.3, 0.3, 0.0, 0.3, 0.3, 0.3]), "not strongly connected"),
    (ring_lattice(6, 2), 1.5, "influence_weights: social_weight must lie in [0, 1]"),
    (ring_lattice(6, 2), np.ones(4) * 0.3, "social_weight must be a number or one value"),
])
def test_conditions_refused_in_one_line(network, weight, message):
    with pytest.raises(ValueError) as info:
        influence_weights(network, weight)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_odd_ring_with_weight_one_is_aperiodic():
    # an odd cycle: no self-weight, but cycles of lengths 5 and 2 (gcd 1): converges
    np.testing.assert_allclose(influence_weights(ring_lattice(5, 2), 1.0), np.full(5, 0.2))


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="influencer_reach must be one of network, all"):
        influence_weights(star(4), 0.3, influencer_reach="some")
    with pytest.raises(ValueError, match="n_influencers must be an integer in"):
        influence_weights(star(4), 0.3, n_influencers=9)
    with pytest.raises(ValueError, match="network must be a sim.networks.CSR"):
        influence_weights([[0, 1]], 0.3)
    weighted = from_edges(3, [0, 1], [1, 2], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="tie weights"):
        influence_weights(weighted, 0.3)


@pytest.mark.parametrize("update, name", [
    ({"rule": "deffuant"}, "rule"), ({"confidence_bound": 0.5}, "confidence_bound"),
    ({"signal_space": "shown"}, "signal_space"), ({"anchoring": 0.2}, "anchoring"),
    ({"later_weight_factor": 0.5}, "later_weight_factor"),
    ({"influencer_bias": 0.1}, "influencer_bias"),
    ({"information": "aggregate"}, "information"),
    ({"weight_mode": "random", "weight_spread": 0.1}, "weight_mode"),
])
def test_params_outside_the_linear_rule_are_refused(update, name):
    p = EstimationParams(n_agents=6, rounds=1, information="neighbours",
                         network={"kind": "ring_lattice", "degree": 2})
    with pytest.raises(ValueError) as info:
        params_influence_weights(p.model_copy(update=update))
    assert str(info.value).startswith(f"{name}:") and "\n" not in str(info.value)


def test_a_random_network_must_be_passed():
    p = EstimationParams(n_agents=10, rounds=1, information="neighbours",
                         network={"kind": "random_regular", "degree": 4})
    with pytest.raises(ValueError, match="network: kind random_regular is drawn per run"):
        params_influence_weights(p)


@st.composite
def connected_graphs(draw):
    """A random connected graph: a random spanning tree plus random extra ties."""
    n = draw(st.integers(2, 25))
    parents = [draw(st.integers(0, i - 1)) for i in range(1, n)]
    u, v = list(range(1, n)), parents
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=2 * n))
    pairs = {tuple(sorted(e)) for e in zip(u, v)} | {tuple(sorted(e)) for e in extra
                                                    if e[0] != e[1]}
    a, b = zip(*sorted(pairs))
    weights = draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
    k = draw(st.integers(0, min(2, n)))
    reach = draw(st.sampled_from(["network", "all"]))
    c = draw(st.floats(0.5, 5.0))
    return from_edges(n, a, b), np.array(weights), k, reach, c


@fast
@given(connected_graphs())
def test_influence_is_a_left_unit_eigenvector(case):
    network, w, k, reach, c = case
    if np.all(w == 1.0):
        w[0] = 0.5  # keep a self-weight: aperiodic whatever the graph
    pi = influence_weights(network, w, n_influencers=k, influencer_weight=c,
                           influencer_reach=reach)
    T = influence_matrix(network, w, n_influencers=k, influencer_weight=c,
                         influencer_reach=reach)
    assert np.all(pi >= 0) and pi.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-13)
    np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), 1.0, atol=1e-14)
    # the general solve agrees with the closed form used for reversible chains
    np.testing.assert_allclose(stationary_weights(T), pi, atol=1e-12)


NETWORKS = [
    {"network": {"kind": "ring_lattice", "degree": 4}},
    {"network": {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.2},
     "weight_mode": "random", "weight_spread": 0.2},
    {"network": {"kind": "star"}},
    {"network": {"kind": "random_regular", "degree": 3}, "n_influencers": 1,
     "influencer_reach": "all", "influencer_weight": 3.0},
    {"information": "full", "n_influencers": 2, "influencer_weight": 4.0},
    {"network": {"kind": "stochastic_block", "n_communities": 2, "p_in": 0.8,
                 "bridge_share": 0.2}},
]


@pytest.mark.parametrize("extra", NETWORKS)
def test_kernel_consensus_is_the_influence_weighted_initial_mean(extra):
    for seed in (11, 12):
        p = EstimationParams(**{"n_agents": 20, "rounds": 4000, "information": "neighbours",
                                "social_weight": 0.4, "truth": 1198.0, "noise_scale": 50.0,
                                **extra})
        batch = simulate_crowds(p, [seed], record_rounds=[0, p.rounds])
        x0, final = batch.trajectory[0, 0], batch.trajectory[0, 1]
        network = (None if p.information == "full"
                   else build(p.network, p.n_agents, generator(seed)))
        pi = params_influence_weights(p, network, batch.social_weights[0])
        consensus = pi @ x0
        assert np.ptp(final) < 1e-9 * np.ptp(x0)
        assert abs(final.mean() - consensus) <= 1e-9 * abs(consensus)
        assert abs(final.mean() - consensus) <= 1e-9 * np.ptp(x0)


TINY = {
    "kinds": [
        {"name": "ring lattice", "params": {"network": {"kind": "ring_lattice", "degree": 4}}},
        {"name": "Erdos-Renyi", "params": {"network": {"kind": "erdos_renyi", "p": 0.15}},
         "scaling": False},
        {"name": "star", "params": {"network": {"kind": "star"}}},
    ],
    "check": {"sizes": [10, 20], "networks": 4, "tolerance": 1e-12, "max_rounds": 100000,
              "first_chunk": 100},
    "scaling": {"sizes": [10, 100, 300], "replicates": 30},
    "bootstrap": 200,
}


def test_experiment_end_to_end(tmp_path):
    from experiments._runner import Execution, run_experiment
    from sim.config import load_yaml

    raw = {**load_yaml("configs/golub_jackson.yaml"), **TINY}
    config = tmp_path / "gj.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    summary = run_experiment(config, out, Execution(workers=1, quiet=True), report=True,
                             log=None)
    assert summary["max_deviation"] <= 1e-9 and summary["networks_unconverged"] == 0
    assert summary["networks_tested"] + summary["networks_refused"] == 2 * 3 * 4
    first = summary["verdicts"][0]
    assert first["reproduced"] is True and first["simulation"] == summary["max_deviation"]
    slopes = {s["kind"]: s for s in summary["slopes"]}
    assert slopes["ring lattice"]["theory_slope"] == pytest.approx(-0.5, abs=1e-9)
    assert abs(slopes["star"]["theory_slope"]) < 0.05
    assert all(v["model_ci"] is not None for v in summary["verdicts"])
    for name in ("consensus_check.png", "consensus_error.png", "report.md", "scaling.parquet"):
        assert (out / name).exists()
    stored = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert stored["files"]["figures"]


def test_bad_config_is_one_line(tmp_path):
    from experiments._runner import Execution, run_experiment
    from sim.config import ConfigError, load_yaml

    raw = {**load_yaml("configs/golub_jackson.yaml"), **TINY}
    raw["kinds"] = [{"name": "bounded", "params": {"confidence_bound": -1.0}}]
    config = tmp_path / "gj.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        run_experiment(config, tmp_path / "out", Execution(workers=1, quiet=True), log=None)
    assert "confidence_bound" in str(info.value) and "\n" not in str(info.value)

"""Social influence: both engines agree for every rule and topology; the rules behave."""

import numpy as np
import pytest
from pydantic import ValidationError

from sim.models.estimation import CrowdEstimation, EstimationParams, simulate_crowds
from sim.seeding import replicate_seeds

TOPOLOGIES = {
    "ring": {"kind": "ring_lattice", "degree": 4},
    "small_world": {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.2},
    "scale_free": {"kind": "barabasi_albert", "m": 2},
    "star": {"kind": "star"},
    "sparse_random": {"kind": "erdos_renyi", "p": 0.05},  # has isolated agents
    "communities": {"kind": "stochastic_block", "n_communities": 3, "p_in": 0.4,
                    "bridge_share": 0.1},
}
RULES = {
    "average": {},
    "bounded": {"confidence_bound": 0.4, "revision_space": "log"},
    "deffuant": {"rule": "deffuant", "confidence_bound": 0.6, "revision_space": "log"},
    "sequential": {"rule": "sequential"},
    "susceptibility": {"weight_mode": "random", "weight_spread": 0.3, "stubborn_share": 0.2},
    "accuracy": {"weight_mode": "accuracy", "weight_spread": 0.9},
    "influencers": {"n_influencers": 2, "influencer_weight": 4.0, "influencer_reach": "all"},
    "biased_influencer": {"n_influencers": 1, "influencer_bias": 0.5,
                          "influencer_weight": 3.0},
}
WHOLE_CROWD = {
    "aggregate_mean": {"information": "aggregate"},
    "aggregate_median": {"information": "aggregate", "signal": "median"},
    "aggregate_geometric": {"information": "aggregate", "signal": "geometric_mean",
                            "revision_space": "log"},
    "full": {"information": "full"},
    "full_bounded": {"information": "full", "confidence_bound": 0.3,
                     "revision_space": "log"},
    "full_deffuant": {"information": "full", "rule": "deffuant"},
    "aggregate_sequential": {"information": "aggregate", "rule": "sequential"},
    "full_sequential": {"information": "full", "rule": "sequential",
                        "confidence_bound": 25.0},
}
BASE = {"n_agents": 25, "truth": 100.0, "noise": "lognormal", "noise_scale": 0.4,
        "rounds": 3, "social_weight": 0.4}


def assert_engines_agree(params: dict, seeds=(11, 12)):
    batch = simulate_crowds(EstimationParams(**params), list(seeds))
    for r, seed in enumerate(seeds):
        model = CrowdEstimation(rng=seed, **params)
        trajectory = [model.estimates]
        for _ in range(params["rounds"]):
            model.step()
            trajectory.append(model.estimates)
        np.testing.assert_array_equal(np.array(trajectory), batch.trajectory[r])
        np.testing.assert_array_equal(model.social_weights, batch.social_weights[r])


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
@pytest.mark.parametrize("topology", TOPOLOGIES.values(), ids=TOPOLOGIES.keys())
def test_engines_agree_on_networks(rule, topology):
    assert_engines_agree({**BASE, **rule, "information": "neighbours", "network": topology})


@pytest.mark.parametrize("case", WHOLE_CROWD.values(), ids=WHOLE_CROWD.keys())
@pytest.mark.parametrize("options", [{}, RULES["susceptibility"], RULES["influencers"]],
                         ids=["plain", "susceptibility", "influencers"])
def test_engines_agree_without_network(case, options):
    assert_engines_agree({**BASE, **case, **options})


def test_linear_noise_and_correlation_agree_too():
    assert_engines_agree({"n_agents": 30, "truth": 50.0, "noise_scale": 10.0,
                          "correlation": 0.3, "expertise_spread": 0.2, "rounds": 2,
                          "information": "neighbours",
                          "network": {"kind": "watts_strogatz", "degree": 6,
                                      "rewire_p": 0.1}})


@pytest.mark.parametrize("options", [{}, {"confidence_bound": 3.0},
                                     {"n_influencers": 3, "influencer_weight": 2.0}],
                         ids=["plain", "bounded", "weighted"])
def test_blocked_full_information_sums_match_the_agents(options):
    # more agents than one block of the kernel's full-information loops (FULL_BLOCK)
    assert_engines_agree({"n_agents": 300, "truth": 50.0, "noise_scale": 10.0, "rounds": 2,
                          "information": "full", **options}, seeds=(3,))


@pytest.mark.parametrize("options", [
    {"information": "full", "n_agents": 6_000},
    {"information": "full", "n_agents": 6_000, "confidence_bound": 0.05,
     "revision_space": "log"},
    {"information": "neighbours", "n_agents": 300_000, "revision_space": "log",
     "network": {"kind": "watts_strogatz", "degree": 10, "rewire_p": 0.1}},
], ids=["full", "full_bounded", "neighbours_prefetch"])
def test_parallel_rounds_equal_serial_rounds(options):
    # large rounds run in chunks on numba's threads (and prefetch on large random networks)
    from sim.models.estimation.kernel import run_replicate

    params = EstimationParams(**{**BASE, "rounds": 2, **options})
    out = {}
    for parallel_ok in (True, False):
        trajectory = np.empty((1, params.n_agents))
        run_replicate(params, 17, np.array([2]), trajectory, np.empty(params.n_agents),
                      np.empty(params.n_agents), parallel_ok)
        out[parallel_ok] = trajectory
    np.testing.assert_array_equal(out[True], out[False])


def crowd(**overrides):
    params = EstimationParams(**{**BASE, **overrides})
    return simulate_crowds(params, replicate_seeds(5, 20))


def test_degroot_on_a_regular_network_preserves_the_mean():
    # constant weights on a regular graph: the update matrix is doubly stochastic
    batch = crowd(noise="normal", noise_scale=10.0, information="neighbours", rounds=10,
                  network={"kind": "ring_lattice", "degree": 4})
    means = batch.trajectory.mean(axis=-1)
    np.testing.assert_allclose(means, means[:, :1].repeat(means.shape[1], axis=1), rtol=1e-12)
    sd = batch.trajectory.std(axis=-1)
    assert np.all(sd[:, -1] < sd[:, 0])


def test_isolated_and_stubborn_agents_keep_their_estimates():
    batch = crowd(information="neighbours", rounds=4,
                  network={"kind": "erdos_renyi", "p": 0.02}, stubborn_share=0.3)
    for r in range(batch.trajectory.shape[0]):
        from sim.networks import build
        # rebuild the replicate's network from its seed, exactly as the kernel does
        graph = build({"kind": "erdos_renyi", "p": 0.02}, 25,
                      np.random.default_rng(int(batch.seeds[r])))
        isolated = np.diff(graph.indptr) == 0
        still = isolated | (batch.social_weights[r] == 0)
        np.testing.assert_array_equal(batch.trajectory[r, -1, still],
                                      batch.trajectory[r, 0, still])
    assert (batch.social_weights == 0).mean() == pytest.approx(0.3, abs=0.1)


def test_full_information_without_bound_reaches_consensus():
    batch = crowd(information="full", social_weight=1.0, rounds=1, noise="normal",
                  noise_scale=5.0)
    # with w = 1 everyone adopts the mean of the others: x_i' = (S - x_i) / (n - 1)
    x0 = batch.trajectory[:, 0]
    expected = (x0.sum(axis=1, keepdims=True) - x0) / (x0.shape[1] - 1)
    np.testing.assert_allclose(batch.trajectory[:, 1], expected, rtol=1e-12)


def test_hegselmann_krause_clusters_with_a_small_bound():
    narrow = crowd(information="full", social_weight=1.0, rounds=15, noise="normal",
                   noise_scale=10.0, confidence_bound=2.0, n_agents=60)
    wide = crowd(information="full", social_weight=1.0, rounds=15, noise="normal",
                 noise_scale=10.0, confidence_bound=100.0, n_agents=60)
    clusters = [len(np.unique(np.round(x, 6))) for x in narrow.estimates]
    assert np.mean(clusters) > 2
    assert np.all(wide.estimates.std(axis=1) < 1e-6)


def test_biased_influencer_pulls_a_star():
    pulled = crowd(noise="normal", noise_scale=5.0, information="neighbours", rounds=10,
                   network={"kind": "star"}, n_influencers=1, influencer_bias=0.3)
    assert np.all(pulled.trajectory[:, :, 0] == 130.0)  # the hub never moves
    assert pulled.estimates.mean() > 120


def test_accuracy_tied_weights_move_the_inaccurate_more():
    batch = crowd(information="aggregate", weight_mode="accuracy", weight_spread=1.0,
                  rounds=1)
    errors = np.abs(batch.private_estimates - 100.0)
    for r in range(batch.social_weights.shape[0]):
        order = np.argsort(errors[r])
        assert np.all(np.diff(batch.social_weights[r][order]) >= 0)


def test_sequential_answering_first_agent_keeps_its_estimate():
    batch = crowd(information="aggregate", rule="sequential", rounds=1)
    np.testing.assert_array_equal(batch.trajectory[:, 1, 0], batch.trajectory[:, 0, 0])


def test_record_rounds_selects_rounds():
    params = EstimationParams(**{**BASE, "information": "aggregate", "rounds": 5})
    full = simulate_crowds(params, [3])
    last = simulate_crowds(params, [3], record_rounds=[5])
    np.testing.assert_array_equal(last.trajectory[:, 0], full.trajectory[:, 5])
    with pytest.raises(ValueError, match="record_rounds"):
        simulate_crowds(params, [3], record_rounds=[9])


@pytest.mark.parametrize("bad, message", [
    ({"information": "neighbours"}, "needs a network"),
    ({"network": {"kind": "ring_lattice", "degree": 4}}, "only with information=neighbours"),
    ({"rule": "deffuant", "information": "aggregate"}, "deffuant"),
    ({"revision_space": "log", "noise": "normal"}, "positive estimates"),
    ({"n_influencers": 99}, "n_influencers"),
    ({"information": "neighbours", "network": {"kind": "ring_lattice", "degree": 40}},
     "degree"),
    ({"information": "neighbours", "network": {"kind": "erdos_renyi", "p": 1.5}}, "p"),
    ({"social_weight": 1.2}, "social_weight"),
    ({"weight_mode": "accuracy", "weight_spread": 2.0}, "weight_spread"),
])
def test_impossible_influence_settings_are_refused(bad, message):
    with pytest.raises((ValidationError, ValueError), match=message):
        EstimationParams(**{**BASE, **bad})

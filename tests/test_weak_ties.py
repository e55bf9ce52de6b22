"""Weak ties (issue 15): groups sharing an error are the network's communities, both engines
agree on a community network with community-shared errors, the per-group metrics, and the
weak-ties experiment end to end on reduced sizes."""

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments._runner import Execution, run_experiment
from sim.config import ConfigError, load_yaml
from sim.metrics import crowd_metrics, group_metrics
from sim.models.estimation import CrowdEstimation, EstimationParams, simulate_crowds
from sim.models.estimation.beliefs import group_of
from sim.models.estimation.sweep import MODEL, trajectories
from sim.networks.generators import communities
from sim.seeding import replicate_seeds

QUIET = Execution(workers=1, quiet=True)


# ---------------------------------------------------------------------------------------------
# one definition of the blocks


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 37, 60, 61, 100, 101, 997])
def test_error_groups_are_the_communities_for_every_size(n):
    for c in range(1, min(n, 40) + 1):
        groups = np.array([group_of(i, n, c) for i in range(n)])
        np.testing.assert_array_equal(groups, communities(n, c), err_msg=f"n={n}, c={c}")


def test_uneven_blocks_put_the_extra_agents_first():
    # the case of the issue: 10 agents in 4 groups are 3, 3, 2, 2 (not 3, 2, 3, 2)
    assert np.bincount([group_of(i, 10, 4) for i in range(10)]).tolist() == [3, 3, 2, 2]
    model = CrowdEstimation(n_agents=10, n_groups=4, correlation=0.5, rng=1)
    assert [a.group for a in model.crowd] == communities(10, 4).tolist()


def test_a_fully_shared_error_is_constant_within_each_uneven_community():
    params = EstimationParams(n_agents=10, truth=0.0, noise_scale=1.0, correlation=1.0,
                              n_groups=4)
    crowd = simulate_crowds(params, [3]).estimates[0]
    labels = communities(10, 4)
    for g in range(4):
        assert np.ptp(crowd[labels == g]) == 0.0
    assert len(np.unique(crowd)) == 4


# ---------------------------------------------------------------------------------------------
# engine equivalence: communities sharing an error, revising with their network neighbours


@pytest.mark.parametrize(("n_agents", "bridge_share", "weight_mode"), [
    (40, 0.1, "constant"), (43, 0.3, "accuracy"), (30, 0.0, "random")])
def test_engines_agree_on_communities_with_a_community_shared_error(n_agents, bridge_share,
                                                                   weight_mode):
    params = EstimationParams(
        n_agents=n_agents, truth=100.0, noise_scale=10.0, correlation=0.6, n_groups=4,
        rounds=5, information="neighbours", social_weight=0.4, weight_mode=weight_mode,
        weight_spread=0.3, network={"kind": "stochastic_block", "n_communities": 4,
                                    "p_in": 0.5, "bridge_share": bridge_share})
    for seed in replicate_seeds(15, 3):
        mesa, kernel = trajectories(params, int(seed))
        assert mesa["estimates"].shape == (6, n_agents)
        for key in mesa:
            np.testing.assert_array_equal(mesa[key], kernel[key], err_msg=key)
        # the estimates move: the trajectory is not trivially equal
        assert not np.array_equal(mesa["estimates"][0], mesa["estimates"][-1])


# ---------------------------------------------------------------------------------------------
# per-group metrics


def test_group_diversities_add_up_to_the_diversity_and_match_a_direct_count():
    rng = np.random.default_rng(4)
    x = rng.normal(10.0, 3.0, size=(5, 3, 23))
    labels = communities(23, 4)
    out = group_metrics(x, 10.0, labels)
    total = crowd_metrics(x, 10.0, ["diversity"])["diversity"]
    np.testing.assert_allclose(out["within_group_diversity"] + out["between_group_diversity"],
                               total, rtol=1e-12)
    r, t = 2, 1
    means = np.array([x[r, t, labels == g].mean() for g in range(4)])
    assert out["error_of_group_means"][r, t] == pytest.approx(np.abs(means - 10.0).mean())
    within = sum(((x[r, t, labels == g] - means[g]) ** 2).sum() for g in range(4)) / 23
    assert out["within_group_diversity"][r, t] == pytest.approx(within)


def test_one_group_is_the_whole_crowd():
    x = np.random.default_rng(2).normal(size=(4, 9))
    out = group_metrics(x, 0.5, np.zeros(9, dtype=int))
    np.testing.assert_allclose(out["error_of_group_means"], np.abs(x.mean(axis=1) - 0.5))
    np.testing.assert_allclose(out["between_group_diversity"], 0.0, atol=1e-15)


@pytest.mark.parametrize("bad", [[0, 0, 2], [0, 1], [0.0, 1.0, 1.0], [-1, 0, 1]])
def test_bad_groups_are_refused_naming_them(bad):
    with pytest.raises(ValueError, match="groups"):
        group_metrics(np.zeros((2, 3)), 0.0, bad)


def test_the_sweep_model_records_group_metrics_per_round():
    params = EstimationParams(n_agents=30, truth=0.0, noise_scale=1.0, correlation=0.8,
                              n_groups=3, rounds=3, information="neighbours",
                              social_weight=0.5,
                              network={"kind": "stochastic_block", "n_communities": 3,
                                       "p_in": 0.6, "bridge_share": 0.0})
    out = MODEL.run_batch(params, replicate_seeds(1, 4),
                          ["diversity", "within_group_diversity", "between_group_diversity"])
    assert list(out) == ["diversity", "within_group_diversity", "between_group_diversity"]
    assert out["within_group_diversity"].shape == (4, 4)
    np.testing.assert_allclose(out["within_group_diversity"] + out["between_group_diversity"],
                               out["diversity"], rtol=1e-10)
    # without bridges, averaging within a community keeps every community's mean except
    # for the degree weighting; the diversity within communities falls
    assert np.all(out["within_group_diversity"][:, -1] < out["within_group_diversity"][:, 0])


# ---------------------------------------------------------------------------------------------
# the experiment, end to end on reduced sizes


def write_config(tmp_path, **overrides):
    raw = load_yaml("configs/weak_ties.yaml")
    raw["crowd"] = {**raw["crowd"], "n_agents": 40, "rounds": 8}
    raw.update({"replicates": 40, "bridge_shares": [0.0, 0.5], "social_weights": [0.0, 0.9],
                "degree_inside": 6, "calibrated": None, "traced_weight": 0.9,
                "traced_bridge_shares": [0.0, 0.5], **overrides})
    path = tmp_path / "weak_ties.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_weak_ties_runs_end_to_end_and_bridges_carry_communities_out_of_their_error(tmp_path):
    out = tmp_path / "out"
    summary = run_experiment(write_config(tmp_path), out, QUIET, report=False, log=None)
    points = pd.read_parquet(out / "points.parquet")
    rounds = pd.read_parquet(out / "rounds.parquet")
    assert len(points) == 2 * 2 * 2 and set(points.category) <= set(summary["categories"])
    assert {p.name for p in out.iterdir() if p.suffix == ".png"} == {
        "phase_diagram.png", "errors_by_bridge_share.png", "diversity_by_round.png"}
    # every verdict row carries an interval and states the rule
    assert summary["verdicts"] and all("90 % interval" in v["simulation"]
                                       and "verdict rule" in v["note"]
                                       for v in summary["verdicts"])
    constant = points[points.weight_mode == "constant"].set_index(
        ["bridge_share", "social_weight"])
    # no influence: nothing moves
    still = constant.loc[(0.5, 0.0)]
    assert still.error_communities_ratio == pytest.approx(1.0)
    assert still.sd_ratio == pytest.approx(1.0)
    # no bridges: the communities agree inside but keep their shared errors
    closed = constant.loc[(0.0, 0.9)]
    assert closed.category == "echo chambers"
    assert closed.sd_within_ratio < 0.1 < 0.9 < closed.sd_between_ratio
    assert closed.error_communities_ratio_low > 0.95
    # bridges: every community's error falls towards the crowd's; diversity is gone
    mixed = constant.loc[(0.5, 0.9)]
    assert mixed.error_communities_ratio_high < 0.8
    assert mixed.sd_ratio < 0.2
    assert mixed.category in ("communities learn, then groupthink", "communities learn")
    # the traced rounds start from the same crowds as the points' before values
    start = rounds[(rounds["round"] == 0) & (rounds.bridge_share == 0.5)]
    assert len(start) == 2 and (start.sd_within > 0).all()


def test_a_config_setting_what_the_experiment_sweeps_is_refused(tmp_path):
    raw = load_yaml("configs/weak_ties.yaml")
    raw["crowd"]["n_groups"] = 4
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match="n_groups"):
        run_experiment(path, tmp_path / "out", QUIET, report=False, log=None)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("bridge_shares", [0.0, 1.0], "bridge_share"), ("traced_weight", 0.45, "traced_weight"),
    ("communities", 60, "communities")])
def test_bad_weak_ties_values_name_their_field(tmp_path, field, value, named):
    path = write_config(tmp_path, **{field: value})
    with pytest.raises(ConfigError, match=named):
        run_experiment(path, tmp_path / "out", QUIET, report=False, log=None)


def test_the_full_mixing_limit_is_the_ratio_of_the_two_means_errors():
    from experiments.weak_ties import consensus_limit

    # four communities of 25, half the error shared: sqrt((0.125 + 0.005) / (0.5 + 0.02))
    assert consensus_limit(0.5, 100, 4)["community_error_ratio"] == pytest.approx(0.5)
    # no shared error: a community's mean errs as 1/sqrt(m), the crowd's as 1/sqrt(n)
    assert consensus_limit(0.0, 100, 4)["community_error_ratio"] == pytest.approx(0.5)
    assert consensus_limit(1.0, 100, 4)["community_error_ratio"] == pytest.approx(0.5)
    assert consensus_limit(1.0, 90, 9)["community_error_ratio"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------------
# the browser page: community-shared error, agents ringed by community


def test_the_page_sets_the_community_shared_error_and_records_the_communities():
    import sim.models.estimation.app as est

    model = est.EstimationApp(n_agents=61, topology=est._COMMUNITY_LABEL, bridge_share=0.2,
                              community_error=0.8, social_weight=0.5, seed=5)
    p = model.params
    assert p.correlation == 0.8 and p.n_groups == est.COMMUNITIES
    # the error groups are the network's communities (61 = 16 + 15 + 15 + 15)
    np.testing.assert_array_equal([a.group for a in model.crowd], model.communities)
    assert np.bincount(model.communities).tolist() == [16, 15, 15, 15]
    model.run_for(20)
    record = model.community_record
    assert len(record["error_of_group_means"]) == 21
    now = group_metrics(model.estimates, model.truth, model.communities)
    assert record["within_group_diversity"][-1] == pytest.approx(now["within_group_diversity"])
    # bridges carry the communities out of their shared errors
    assert record["error_of_group_means"][-1] < record["error_of_group_means"][0]
    assert record["between_group_diversity"][-1] < 0.1 * record["between_group_diversity"][0]
    # the control changes nothing else: the same crowd as the Mesa model with that rho
    plain = CrowdEstimation(rng=5, **est.app_params(
        n_agents=61, topology=est._COMMUNITY_LABEL, bridge_share=0.2, social_weight=0.5,
        community_error=0.8).model_dump())
    plain.run_for(20)
    np.testing.assert_array_equal(plain.estimates, model.estimates)


def test_without_communities_the_page_records_no_community_measures():
    import sim.models.estimation.app as est

    model = est.EstimationApp(n_agents=20, seed=1)
    model.step()
    assert model.communities is None
    assert all(values == [] for values in model.community_record.values())


def test_the_community_views_ring_agents_by_community_and_plot_the_communities():
    import sim.models.estimation.app as est

    model = est.EstimationApp(n_agents=40, topology=est._COMMUNITY_LABEL, seed=2)
    model.run_for(3)
    crowd = est.CrowdView(model)
    rings = crowd.nodes.get_edgecolors()
    assert len({tuple(np.round(c, 3)) for c in rings}) == est.COMMUNITIES
    trajectory = est.TrajectoryView(model)
    trajectory.update(model)
    line = trajectory.lines["error_of_group_means"]
    np.testing.assert_allclose(line.get_ydata(), model.community_record["error_of_group_means"])
    assert "community_error" in est.model_params

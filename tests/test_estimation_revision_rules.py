"""Revision rules for multi-round estimation data: observed starts, round-dependent,
distance-dependent and asymmetric weights, anchoring, beta weights, accuracy ranks in
revision space, drift without social information, and many observed groups at once."""

import numpy as np
import pytest
from pydantic import ValidationError

from sim.models.estimation import CrowdEstimation, EstimationParams, simulate_crowds
from sim.models.estimation.kernel import GroupBatch, run_group, simulate_groups
from sim.networks import random_regular, ring_lattice

N = 14
ROUNDS = 3
BASE = dict(n_agents=N, truth=100.0, noise="lognormal", noise_scale=0.4, rounds=ROUNDS,
            social_weight=0.4)
INFORMATION = {
    "full": dict(information="full"),
    "aggregate": dict(information="aggregate"),
    "aggregate_median": dict(information="aggregate", signal="median"),
    "ring": dict(information="neighbours", network={"kind": "ring_lattice", "degree": 4}),
    "regular": dict(information="neighbours",
                    network={"kind": "random_regular", "degree": 3}),
}
OPTIONS = {
    "later_weight_factor": dict(later_weight_factor=0.3),
    "anchoring": dict(anchoring=0.4),
    "distance_scale": dict(distance_scale=15.0),
    "asymmetry": dict(asymmetry=0.5),
    "beta": dict(weight_mode="beta", weight_spread=0.6),
    "accuracy_log": dict(weight_mode="accuracy", weight_spread=0.8, revision_space="log"),
    "all": dict(later_weight_factor=0.5, anchoring=0.2, distance_scale=0.3, asymmetry=-0.4,
                weight_mode="beta", weight_spread=0.4, revision_space="log",
                stubborn_share=0.1, n_influencers=1, influencer_weight=2.0),
}
DRIFT = {
    "drift": dict(drift=0.3),
    "drift_noise": dict(drift_noise=4.0),
    "drift_both_anchored": dict(drift=0.2, drift_noise=0.1, anchoring=0.3,
                                revision_space="log"),
}
STARTS = np.linspace(60.0, 150.0, N)


def mesa_trajectory(params: dict, seed: int, starts=None) -> np.ndarray:
    model = CrowdEstimation(rng=seed, initial_estimates=starts, **params)
    rows = [model.estimates]
    for _ in range(params["rounds"]):
        model.step()
        rows.append(model.estimates)
    return np.array(rows)


def assert_engines_agree(params: dict, starts=None, seeds=(3, 11)) -> None:
    batch = simulate_crowds(EstimationParams(**params), list(seeds), initial_estimates=starts)
    for r, seed in enumerate(seeds):
        mesa = mesa_trajectory(params, seed, starts)
        assert np.array_equal(mesa, batch.trajectory[r]), (params, seed)


# -- both engines, bit for bit ----------------------------------------------------------------

@pytest.mark.parametrize("observed", [False, True], ids=["drawn", "observed"])
@pytest.mark.parametrize("option", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("information", INFORMATION.values(), ids=INFORMATION.keys())
def test_engines_agree_on_every_option(information, option, observed):
    assert_engines_agree({**BASE, **information, **option}, STARTS if observed else None)


@pytest.mark.parametrize("option", [OPTIONS["all"], OPTIONS["anchoring"]], ids=["all", "anch"])
def test_engines_agree_answering_in_turn(option):
    for information in ("full", "aggregate"):
        params = {**BASE, **option, "rule": "sequential", "information": information}
        assert_engines_agree(params)
        assert_engines_agree(params, STARTS)


@pytest.mark.parametrize("observed", [False, True], ids=["drawn", "observed"])
@pytest.mark.parametrize("option", DRIFT.values(), ids=DRIFT.keys())
def test_engines_agree_on_drift(option, observed):
    assert_engines_agree({**BASE, **option}, STARTS if observed else None)
    # biased influencers draw but stay put
    assert_engines_agree({**BASE, **option, "n_influencers": 2, "influencer_bias": 0.5},
                         STARTS if observed else None)


def test_observed_starts_per_replicate_and_influencer_override():
    starts = np.vstack([STARTS, STARTS[::-1]])
    params = {**BASE, "information": "full", "n_influencers": 1, "influencer_bias": -0.2}
    batch = simulate_crowds(EstimationParams(**params), [1, 2], initial_estimates=starts)
    assert np.array_equal(batch.trajectory[:, 0, 1:], starts[:, 1:])
    assert np.all(batch.trajectory[:, :, 0] == 80.0)  # the influencer's announced value
    assert np.all(batch.noise_multipliers == 1.0)
    for r, seed in enumerate([1, 2]):
        assert np.array_equal(mesa_trajectory(params, seed, starts[r]), batch.trajectory[r])


# -- simulate_groups --------------------------------------------------------------------------

def _groups(rng, n_groups=9):
    sizes = rng.integers(3, 9, n_groups)
    starts = [np.exp(rng.normal(4.0, 0.5, s)) for s in sizes]
    truths = list(np.exp(rng.normal(4.0, 0.3, n_groups)))
    graphs = [ring_lattice(s, 2) if g % 3 == 0 else
              (random_regular(s, 2, seed=rng) if g % 3 == 1 else None)
              for g, s in enumerate(sizes)]
    return starts, truths, graphs


GROUP_CASES = {
    "full_all": dict(information="full", **OPTIONS["all"]),
    "aggregate_plain": dict(information="aggregate"),
    "full_plain_accuracy": dict(information="full", weight_mode="accuracy", weight_spread=0.5),
    "neighbours_all": dict(information="neighbours", network={"kind": "ring_lattice",
                                                              "degree": 2},
                           **OPTIONS["all"]),
    "neighbours_plain": dict(information="neighbours", network={"kind": "ring_lattice",
                                                                "degree": 2}),
    "sequential": dict(information="full", rule="sequential", anchoring=0.3),
    "drift": dict(drift=0.3, drift_noise=0.2, anchoring=0.1, revision_space="log"),
    "influencers": dict(information="full", n_influencers=1, influencer_bias=0.3,
                        weight_mode="beta", weight_spread=0.5),
}


@pytest.mark.parametrize("case", GROUP_CASES.values(), ids=GROUP_CASES.keys())
def test_simulate_groups_equals_group_after_group(case):
    starts, truths, graphs = _groups(np.random.default_rng(5))
    params = EstimationParams(**{**BASE, "n_agents": 3, **case})
    batch = GroupBatch.build(starts, truths, graphs)
    got = simulate_groups(params, batch, np.random.default_rng(42))
    assert got.shape == (sum(len(s) for s in starts), ROUNDS + 1)
    rng = np.random.default_rng(42)
    want = np.vstack([run_group(params, s, rng, truth=t, graph=g)
                      for s, t, g in zip(starts, truths, graphs)])
    assert np.array_equal(got, want)
    assert np.array_equal(got[:, 0], np.concatenate(starts)) or case.get("n_influencers")


def test_one_group_is_a_seeded_crowd():
    # run_group with the generator of a seed is simulate_crowds from the same starts
    params = EstimationParams(**{**BASE, "information": "full", **OPTIONS["all"]})
    want = simulate_crowds(params, [9], initial_estimates=STARTS).trajectory[0]
    got = run_group(params, STARTS, np.random.default_rng(9))
    assert np.array_equal(got.T, want)


def test_group_batch_errors():
    with pytest.raises(ValueError, match="network of 4 nodes for 3 agents"):
        GroupBatch.build([np.ones(3)], [1.0], [ring_lattice(4, 2)])
    with pytest.raises(ValueError, match="differ in length"):
        GroupBatch.build([np.ones(3)], [1.0, 2.0], [None])
    batch = GroupBatch.build([np.array([1.0, -1.0])], [1.0], [None])
    params = EstimationParams(**{**BASE, "revision_space": "log", "information": "full"})
    with pytest.raises(ValueError, match="positive"):
        simulate_groups(params, batch, np.random.default_rng(1))


# -- each option does what it says ------------------------------------------------------------

def _kernel(starts=STARTS, seed=1, **options):
    params = EstimationParams(**{**BASE, "information": "full", **options})
    return simulate_crowds(params, [seed], initial_estimates=starts).trajectory[0]


def test_full_anchoring_keeps_the_first_answers():
    trajectory = _kernel(anchoring=1.0)
    assert np.allclose(trajectory, STARTS[None, :], rtol=1e-12)


def test_later_weight_factor_zero_freezes_later_rounds():
    trajectory = _kernel(later_weight_factor=0.0)
    assert not np.array_equal(trajectory[1], trajectory[0])
    assert np.array_equal(trajectory[2], trajectory[1])
    assert np.array_equal(trajectory[3], trajectory[1])
    plain = _kernel()
    assert np.array_equal(plain[1], trajectory[1])


def test_distance_scale_moves_far_agents_relatively_more():
    plain, scaled = _kernel(), _kernel(distance_scale=20.0)
    move_plain = np.abs(plain[1] - plain[0])
    move_scaled = np.abs(scaled[1] - scaled[0])
    share = move_scaled / move_plain
    gap = np.abs(plain[0] - plain[0].mean())
    assert np.all(share <= 1.0)
    assert share[np.argmax(gap)] > share[np.argmin(gap)]


def test_asymmetry_moves_agents_below_the_signal_more():
    plain, up = _kernel(), _kernel(asymmetry=0.5)
    below = plain[1] > plain[0]  # agents whose signal is above them
    moved_plain = np.abs(plain[1] - plain[0])
    moved_up = np.abs(up[1] - up[0])
    assert np.allclose(moved_up[below], 1.5 * moved_plain[below])
    assert np.allclose(moved_up[~below], 0.5 * moved_plain[~below])


def test_beta_weights_have_the_asked_mean_and_spread():
    params = EstimationParams(n_agents=20_000, social_weight=0.3, weight_mode="beta",
                              weight_spread=0.5)
    w = simulate_crowds(params, [4]).social_weights[0]
    assert abs(w.mean() - 0.3) < 0.01
    assert abs(w.std() - 0.5 * np.sqrt(0.3 * 0.7)) < 0.01
    for spread, weight in ((0.0, 0.3), (0.5, 1.0), (0.5, 0.0)):
        same = EstimationParams(n_agents=50, social_weight=weight, weight_mode="beta",
                                weight_spread=spread)
        constant = EstimationParams(n_agents=50, social_weight=weight)
        a, b = simulate_crowds(same, [4]), simulate_crowds(constant, [4])
        assert np.all(a.social_weights == weight)
        assert np.array_equal(a.estimates, b.estimates)  # no draw


def test_accuracy_ranks_use_revision_space():
    # 40 is closer to 100 than 240 in linear space, further in log space (0.92 vs 0.88)
    starts = np.array([40.0, 240.0, 100.0])
    kwargs = dict(n_agents=3, truth=100.0, noise="lognormal", noise_scale=0.4,
                  weight_mode="accuracy", weight_spread=1.0, social_weight=0.5)
    log = simulate_crowds(EstimationParams(**kwargs, revision_space="log"), [1],
                          initial_estimates=starts).social_weights[0]
    linear = simulate_crowds(EstimationParams(**kwargs), [1],
                             initial_estimates=starts).social_weights[0]
    assert linear.tolist() == [0.5, 1.0, 0.0]
    assert log.tolist() == [1.0, 0.5, 0.0]


def test_drift_one_puts_everyone_on_the_truth():
    trajectory = _kernel(information="none", drift=1.0)
    assert np.allclose(trajectory[1:], 100.0, rtol=1e-12)
    log = _kernel(information="none", drift=1.0, revision_space="log")
    assert np.allclose(log[1:], 100.0, rtol=1e-12)


def test_drift_noise_is_drawn_and_drift_zero_changes_nothing():
    noisy = _kernel(information="none", drift_noise=1.0)
    steps = np.diff(noisy, axis=0)
    assert np.all(steps != 0.0) and abs(steps.std() - 1.0) < 0.4
    still = _kernel(information="none")
    assert np.array_equal(still, np.tile(STARTS, (ROUNDS + 1, 1)))
    # drift without noise draws nothing: the social weights (drawn after) are unchanged
    drawn = dict(weight_mode="random", weight_spread=0.2, information="none")
    a = simulate_crowds(EstimationParams(**{**BASE, **drawn, "drift": 0.5}), [3])
    b = simulate_crowds(EstimationParams(**{**BASE, **drawn}), [3])
    assert np.array_equal(a.social_weights, b.social_weights)
    assert np.array_equal(a.trajectory[:, 0], b.trajectory[:, 0])


def test_defaults_leave_results_unchanged():
    params = {**BASE, "information": "full"}
    explicit = {**params, "later_weight_factor": 1.0, "anchoring": 0.0, "asymmetry": 0.0,
                "drift": 0.0, "drift_noise": 0.0, "distance_scale": None}
    a = simulate_crowds(EstimationParams(**params), [7])
    b = simulate_crowds(EstimationParams(**explicit), [7])
    assert np.array_equal(a.trajectory, b.trajectory)


# -- bad values -------------------------------------------------------------------------------

def test_bad_initial_estimates():
    params = EstimationParams(**{**BASE, "information": "full", "revision_space": "log"})
    with pytest.raises(ValueError, match="n_agents = 14 values"):
        simulate_crowds(params, [1], initial_estimates=np.ones(5))
    with pytest.raises(ValueError, match="2 rows for 3 seeds"):
        simulate_crowds(params, [1, 2, 3], initial_estimates=np.ones((2, N)))
    with pytest.raises(ValueError, match="positive"):
        simulate_crowds(params, [1], initial_estimates=-STARTS)
    with pytest.raises(ValueError, match="finite"):
        simulate_crowds(params, [1], initial_estimates=np.full(N, np.nan))
    with pytest.raises(ValueError, match="n_agents = 14 values"):
        CrowdEstimation(rng=1, initial_estimates=np.ones(3), **{**BASE, "information": "full"})


@pytest.mark.parametrize("bad, message", [
    (dict(anchoring=1.5), "less than or equal to 1"),
    (dict(later_weight_factor=-0.1), "greater than or equal to 0"),
    (dict(distance_scale=0.0), "greater than 0"),
    (dict(asymmetry=2.0), "less than or equal to 1"),
    (dict(weight_mode="beta", weight_spread=1.0), "weight_spread must be in \\[0, 1\\)"),
    (dict(drift=0.5, information="full"), "drift and drift_noise apply only to"),
    (dict(rule="deffuant", information="full", anchoring=0.5),
     "anchoring applies only to rule=average or rule=sequential"),
])
def test_bad_options(bad, message):
    with pytest.raises(ValidationError, match=message):
        EstimationParams(**{**BASE, **bad})


# -- signal_space="shown": the aggregate of the answers as a screen shows them ----------------

SHOWN_INFORMATION = {
    "full": dict(information="full"),
    "ring": dict(information="neighbours", network={"kind": "ring_lattice", "degree": 4}),
}
SHOWN_SIGNALS = ("mean", "median", "geometric_mean")
SHOWN_OPTIONS = {
    "linear": dict(),
    "log": dict(revision_space="log"),
    "bounded_influencers": dict(revision_space="log", confidence_bound=0.3, n_influencers=2,
                                influencer_weight=3.0, influencer_reach="all"),
    "all": OPTIONS["all"],
}


def _shown_params(information, signal, option):
    params = {**BASE, **SHOWN_INFORMATION[information], **SHOWN_OPTIONS[option],
              "signal": signal, "signal_space": "shown"}
    if information == "full":
        params.pop("influencer_reach", None)  # reach applies on a network only
    return params


@pytest.mark.parametrize("observed", [False, True], ids=["drawn", "observed"])
@pytest.mark.parametrize("option", SHOWN_OPTIONS.keys())
@pytest.mark.parametrize("signal", SHOWN_SIGNALS)
@pytest.mark.parametrize("information", SHOWN_INFORMATION.keys())
def test_engines_agree_on_shown_signal(information, signal, option, observed):
    assert_engines_agree(_shown_params(information, signal, option),
                         STARTS if observed else None)


@pytest.mark.parametrize("signal", SHOWN_SIGNALS)
def test_engines_agree_on_shown_signal_answering_in_turn(signal):
    for information in SHOWN_INFORMATION:
        params = {**_shown_params(information, signal, "log"), "rule": "sequential"}
        assert_engines_agree(params)
        assert_engines_agree(params, STARTS)
        assert_engines_agree({**params, "confidence_bound": 0.3}, STARTS)


@pytest.mark.parametrize("signal", SHOWN_SIGNALS)
@pytest.mark.parametrize("information", ["full", "neighbours"])
def test_simulate_groups_equals_group_after_group_shown(information, signal):
    starts, truths, graphs = _groups(np.random.default_rng(6))
    case = dict(information=information, signal=signal, signal_space="shown",
                revision_space="log", n_influencers=1, influencer_weight=2.0,
                confidence_bound=0.5)
    if information == "neighbours":
        case["network"] = {"kind": "ring_lattice", "degree": 2}
    else:
        graphs = [None] * len(starts)
    params = EstimationParams(**{**BASE, "n_agents": 3, **case})
    batch = GroupBatch.build(starts, truths, graphs)
    got = simulate_groups(params, batch, np.random.default_rng(42))
    rng = np.random.default_rng(42)
    want = np.vstack([run_group(params, s, rng, truth=t, graph=g)
                      for s, t, g in zip(starts, truths, graphs)])
    assert np.array_equal(got, want)
    # and one group is the Mesa crowd of the same generator seed
    one = run_group(params.model_copy(update={"n_agents": N}), STARTS,
                    np.random.default_rng(9),
                    graph=ring_lattice(N, 2) if information == "neighbours" else None)
    mesa = mesa_trajectory(params.model_copy(update={"n_agents": N}).model_dump(), 9, STARTS)
    assert np.array_equal(one.T, mesa)


@pytest.mark.parametrize("information", SHOWN_INFORMATION.keys())
def test_shown_mean_in_linear_space_is_the_revision_mean(information):
    linear = {**BASE, **SHOWN_INFORMATION[information], "noise": "normal",
              "noise_scale": 20.0, "n_influencers": 2, "influencer_weight": 3.0}
    revision = simulate_crowds(EstimationParams(**linear), [3, 4], initial_estimates=STARTS)
    shown = simulate_crowds(EstimationParams(**linear, signal_space="shown"), [3, 4],
                            initial_estimates=STARTS)
    assert np.allclose(shown.trajectory, revision.trajectory, rtol=1e-12)
    assert not np.array_equal(shown.trajectory[:, 0], shown.trajectory[:, -1])


@pytest.mark.parametrize("information", SHOWN_INFORMATION.keys())
def test_shown_arithmetic_mean_pulls_log_revisions_up(information):
    log = {**BASE, **SHOWN_INFORMATION[information], "revision_space": "log"}
    revision = _kernel(**log)
    shown = _kernel(**log, signal_space="shown")
    assert np.array_equal(shown[0], revision[0])
    assert np.all(shown[1] >= revision[1]) and np.any(shown[1] > revision[1])
    assert shown[-1].mean() > revision[-1].mean()
    # the shown geometric mean is the revision-space (log) mean, up to rounding
    geometric = _kernel(**log, signal_space="shown", signal="geometric_mean")
    assert np.allclose(geometric, revision, rtol=1e-12)


def test_signal_space_revision_is_the_default():
    params = {**BASE, "information": "neighbours", "signal": "median",
              "network": {"kind": "ring_lattice", "degree": 4}}
    a = simulate_crowds(EstimationParams(**params), [7])
    b = simulate_crowds(EstimationParams(**params, signal_space="revision"), [7])
    assert np.array_equal(a.trajectory, b.trajectory)
    assert EstimationParams(**params).rule_settings().shown_signal is False


@pytest.mark.parametrize("bad, message", [
    (dict(signal_space="shown"), "signal_space=shown applies only to information=full"),
    (dict(signal_space="shown", information="aggregate"),
     "signal_space=shown applies only to information=full"),
    (dict(signal_space="shown", information="full", rule="deffuant"),
     "signal_space=shown applies only to rule=average or rule=sequential"),
    (dict(signal_space="screen", information="full"), "Input should be 'revision' or 'shown'"),
])
def test_bad_signal_space(bad, message):
    with pytest.raises(ValidationError, match=message):
        EstimationParams(**{**BASE, **bad})

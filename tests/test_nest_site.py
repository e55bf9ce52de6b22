"""Nest-site selection: one model, two engines; the rules; the parameters; the ODEs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.models.nest_site import NestSiteParams, NestSiteSelection, odes, rules, simulate_swarms
from sim.seeding import replicate_seeds
from sim.stats import wilson_interval

SMALL = {"n_agents": 40, "horizon": 60}
CASES = {
    "independent": {"interdependence": 0.0},
    "list_reliable": {"interdependence": 0.8, "noise": 0.2},
    "list_unreliable": {"interdependence": 0.8, "noise": 1.0},
    "copying": {"copying": 0.6, "noise": 1.0},
    "copying_only": {"copying": 1.0, "interdependence": 0.9},
    "copying_mean_current": {"copying": 0.6, "noise": 1.0, "copy_strength": "mean_current"},
    "copying_only_mean_current": {"copying": 1.0, "interdependence": 0.9,
                                  "copy_strength": "mean_current"},
    "copying_with_stop_signals": {"copying": 0.8, "stop_rate": 1.0, "noise": 0.5},
    "quorum": {"quorum": 12},
    "stop_signals": {"stop_rate": 3.0},
    "everything": {"copying": 0.3, "quorum": 25, "stop_rate": 0.5, "decrement": 0.7,
                   "noise": 0.5, "interdependence": 0.6},
    "no_noise_unequal_discovery": {"noise": 0.0, "qualities": [2, 6, 4],
                                   "discovery": [0.05, 0.2, 0.1]},
    "endless_dances": {"decrement": 0.0, "horizon": 30},
    "median_noise": {"noise": 1.0, "noise_centre": "median"},
}


def assert_engines_agree(params: dict, seeds):
    batch = simulate_swarms(NestSiteParams(**params), seeds, record_dancers=True)
    for r, seed in enumerate(seeds):
        model = NestSiteSelection(rng=int(seed), **params)
        model.run_model()
        trajectory = model.trajectory
        steps = trajectory.shape[0] - 1
        assert steps == batch.steps[r]
        np.testing.assert_array_equal(trajectory, batch.dancers[r, :steps + 1])
        # after a quorum decision the kernel's record repeats the final state
        np.testing.assert_array_equal(batch.dancers[r, steps:], np.broadcast_to(
            trajectory[-1], batch.dancers[r, steps:].shape))
        outcome = model.outcome()
        for key in ("chosen", "best", "decision_time", "plurality", "plurality_best", "twice",
                    "twice_best", "steps"):
            assert outcome[key] == getattr(batch, key)[r], key
        assert outcome["final_dancers"] == batch.final_dancers[r].tolist()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_mesa_model_and_kernel_give_identical_swarms(case):
    assert_engines_agree({**SMALL, **case}, replicate_seeds(2009, 3))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), n_agents=st.integers(1, 25),
       interdependence=st.floats(0, 1), noise=st.floats(0, 1.5), copying=st.floats(0, 1),
       stop_rate=st.sampled_from([0.0, 0.3, 5.0]), quorum=st.sampled_from([None, 3]),
       copy_strength=st.sampled_from(["followed_dancer", "mean_current"]),
       noise_centre=st.sampled_from(["mean", "median"]))
def test_engines_agree_for_any_swarm(seed, n_agents, interdependence, noise, copying,
                                     stop_rate, quorum, copy_strength, noise_centre):
    params = dict(n_agents=n_agents, qualities=[3, 7], discovery=[0.2, 0.1], horizon=25,
                  interdependence=interdependence, noise=noise, noise_centre=noise_centre,
                  copying=copying,
                  copy_strength=copy_strength, stop_rate=stop_rate,
                  quorum=None if quorum is None else min(quorum, n_agents))
    assert_engines_agree(params, [seed])


def test_threads_and_chunks_do_not_change_results():
    params = NestSiteParams(n_agents=50, horizon=80, copying=0.2, stop_rate=0.2)
    seeds = replicate_seeds(7, 30)
    one = simulate_swarms(params, seeds, record_dancers=True)
    two = simulate_swarms(params, seeds, record_dancers=True, n_threads=2)
    np.testing.assert_array_equal(one.dancers, two.dancers)
    part = simulate_swarms(params, seeds[10:20])
    np.testing.assert_array_equal(part.final_dancers, one.final_dancers[10:20])
    np.testing.assert_array_equal(part.chosen, one.chosen[10:20])


def test_mesa_scouts_show_their_state():
    model = NestSiteSelection(rng=3, n_agents=60, horizon=20, copying=0.5)
    model.step()
    states = {scout.state for scout in model.scouts}
    assert states <= {"uncommitted", "dancing"} and "dancing" in states
    for scout in model.scouts:
        if scout.state == "dancing":
            assert scout.site >= 0 and scout.strength > 0
            assert scout.activity in ("assessed", "copied")  # all joined in step 1
        else:
            assert scout.site == -1 and scout.strength == 0 and scout.activity == "uncommitted"
    np.testing.assert_array_equal(np.bincount(model.sites[model.sites >= 0], minlength=5),
                                  model.dancers)


# -- the rules ------------------------------------------------------------------------------

def test_a_lone_dance_lasts_its_strength_in_steps():
    # one scout, one site she always finds alone, no noise: she dances 3 steps, rests 1
    params = NestSiteParams(n_agents=1, qualities=[3.0], discovery=1.0, interdependence=0.0,
                            noise=0.0, horizon=10)
    trajectory = simulate_swarms(params, [1], record_dancers=True).dancers[0, :, 0]
    assert trajectory.tolist() == [0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    half = params.model_copy(update={"decrement": 2.0})
    assert simulate_swarms(NestSiteParams(**half.model_dump()), [1],
                           record_dancers=True).dancers[0, :6, 0].tolist() == [0, 1, 1, 0, 1, 1]


def test_without_independence_no_dance_ever_starts():
    batch = simulate_swarms(NestSiteParams(interdependence=1.0, horizon=50),
                            replicate_seeds(1, 5))
    assert batch.final_dancers.sum() == 0
    assert np.all(batch.plurality == -1) and not batch.best.any()


def test_visit_probabilities_follow_the_rule():
    discovery = np.array([0.1, 0.05, 0.2])
    counts = np.array([10, 0, 30])
    n, lam = 100, 0.6
    thresholds = np.empty(6)
    rules.visit_thresholds(discovery, counts, lam, n, thresholds)
    rng = np.random.default_rng(0)
    draws = 200_000
    found = np.zeros(3)
    recruited = np.zeros(3)
    for u in rng.random(draws):
        site, by_dance = rules.choose_site(u, thresholds, 3)
        if site >= 0:
            (recruited if by_dance else found)[site] += 1
    np.testing.assert_allclose(found / draws, (1 - lam) * discovery, atol=3e-3)
    np.testing.assert_allclose(recruited / draws, lam * counts / n, atol=3e-3)


def test_assessment_noise_keeps_the_mean_quality():
    rng = np.random.default_rng(4)
    for noise in (0.2, 1.0):
        values = np.array([rules.assess(rng, 7.0, noise, 0.5 * noise**2) for _ in range(40_000)])
        assert values.mean() == pytest.approx(7.0, rel=0.03)
        assert np.log(values).std() == pytest.approx(noise, rel=0.03)
    assert rules.assess(rng, 7.0, 0.0, 0.0) == 7.0


def test_median_centred_noise_keeps_the_median_quality():
    params = NestSiteParams(noise=1.0, noise_centre="median")
    assert params.noise_shift == 0.0
    assert NestSiteParams(noise=1.0).noise_shift == 0.5
    rng = np.random.default_rng(5)
    values = np.array([rules.assess(rng, 7.0, 1.0, params.noise_shift) for _ in range(40_000)])
    assert np.median(values) == pytest.approx(7.0, rel=0.03)
    assert values.mean() == pytest.approx(7.0 * np.exp(0.5), rel=0.05)


def test_a_copier_dances_with_the_strength_she_is_given():
    rng = np.random.default_rng(0)
    strength, copied = rules.join_strength(rng, True, 1.0, 10.0, 0.5, 0.125, 4.0)
    assert copied and strength == 4.0
    # found alone: never copies (and draws no copy uniform)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    strength, copied = rules.join_strength(a, False, 1.0, 10.0, 0.5, 0.125, 4.0)
    assert not copied and strength == rules.assess(b, 10.0, 0.5, 0.125)


def test_copy_strength_rules():
    # dancers 0..4 at sites 1, -, 0, 1, 1 advertising 9, -, 5, 7, 3 (current: 2, -, 1, 6, 3)
    sites = np.array([1, -1, 0, 1, 1])
    advertised = np.array([9.0, 0.0, 5.0, 7.0, 3.0])
    current = np.array([2.0, 0.0, 1.0, 6.0, 3.0])
    counts, sums = np.zeros(2, dtype=np.int64), np.zeros(2)
    rules.snapshot(sites, current, counts, sums)
    starts, roster = np.zeros(2, dtype=np.int64), np.zeros(5)
    rules.dance_roster(sites, advertised, counts, starts, roster)
    assert starts.tolist() == [0, 1] and roster[:4].tolist() == [5.0, 9.0, 7.0, 3.0]
    followed = [rules.copy_strength(rules.COPY_FOLLOWED_DANCER, 1, k, starts, roster, sums,
                                    counts) for k in range(3)]
    assert followed == [9.0, 7.0, 3.0]  # the advertised strength of the k-th dancer for 1
    assert rules.copy_strength(rules.COPY_MEAN_CURRENT, 1, 0, starts, roster, sums,
                               counts) == pytest.approx(11.0 / 3)


def test_a_recruit_follows_each_dancer_of_the_site_equally_often():
    discovery = np.array([0.1, 0.05, 0.2])
    counts = np.array([10, 0, 30])
    n, lam = 100, 0.6
    thresholds = np.empty(6)
    rules.visit_thresholds(discovery, counts, lam, n, thresholds)
    rng = np.random.default_rng(1)
    ranks = {0: [], 2: []}
    for u in rng.random(100_000):
        site, by_dance = rules.choose_site(u, thresholds, 3)
        if by_dance:
            rank = rules.followed_rank(u, thresholds, site, 3, lam, n, counts[site])
            assert 0 <= rank < counts[site]
            ranks[site].append(rank)
    for site, found in ranks.items():
        share = np.bincount(found, minlength=counts[site]) / len(found)
        np.testing.assert_allclose(share, 1 / counts[site], atol=0.012)
    # the visit draws one uniform and names the dancer from it
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(200):
        u = b.random()
        site, by_dance, rank = rules.visit(a, thresholds, 3, counts, lam, n)
        assert (site, by_dance) == rules.choose_site(u, thresholds, 3)
        assert rank == (rules.followed_rank(u, thresholds, site, 3, lam, n, counts[site])
                        if by_dance else -1)


@pytest.mark.parametrize("copy_strength", ["followed_dancer", "mean_current"])
def test_copiers_pass_on_the_advertised_strength(copy_strength):
    """Without noise every assessor advertises her site's quality; under the followed-dancer
    rule (List et al. 2009) chains of copies pass it on undiminished, under the mean-current
    ablation copiers advertise declined strengths."""
    model = NestSiteSelection(rng=7, n_agents=80, qualities=[4, 8], noise=0.0, copying=1.0,
                              interdependence=0.8, horizon=40, copy_strength=copy_strength)
    copied_off_quality = 0
    for _ in range(40):
        model.step()
        for scout in model.scouts:
            if scout.site >= 0:
                assert scout.strength <= scout.advertised
                if scout.copied and scout.advertised != model.qualities[scout.site]:
                    copied_off_quality += 1
            else:
                assert scout.advertised == 0.0
    assert (copied_off_quality == 0) == (copy_strength == "followed_dancer")


def test_copying_by_the_followed_dancer_keeps_consensus():
    """mu = 1: copying the followed dancer's advertised strength still snowballs to a strong
    consensus, copying the declined mean current strength mostly does not."""
    seeds = replicate_seeds(11, 60)
    twice = {rule: (simulate_swarms(NestSiteParams(copying=1.0, copy_strength=rule), seeds)
                    .twice >= 0).mean() for rule in ("followed_dancer", "mean_current")}
    assert twice["followed_dancer"] > 0.6 > 0.4 > twice["mean_current"]


def test_stop_signals_scale_with_the_other_sites_dancers():
    counts = np.array([20, 30, 0])
    assert rules.stop_probability(counts, 0, 100, 1.0) == pytest.approx(0.3)
    assert rules.stop_probability(counts, 2, 100, 1.0) == pytest.approx(0.5)
    assert rules.stop_probability(counts, 1, 100, 10.0) == 1.0


@pytest.mark.parametrize("counts, plurality, twice", [
    ([0, 0, 0], -1, -1), ([5, 3, 5], -1, -1), ([5, 5, 7], 2, -1), ([1, 8, 4], 1, 1),
    ([0, 3, 0], 1, 1), ([6, 3], 0, 0), ([6, 4], 0, -1)])
def test_consensus_criteria(counts, plurality, twice):
    assert rules.consensus(np.array(counts)) == (plurality, twice)


def test_quorum_picks_the_site_with_most_dancers_then_the_lowest_index():
    assert rules.quorum_site(np.array([12, 15, 15]), 10) == 1
    assert rules.quorum_site(np.array([9, 3]), 10) == -1
    assert rules.quorum_site(np.array([9, 3]), 0) == -1


def test_quorum_decides_at_the_first_step_it_is_reached():
    params = NestSiteParams(quorum=40, horizon=200)
    free = simulate_swarms(NestSiteParams(horizon=200), replicate_seeds(3, 20),
                           record_dancers=True)
    batch = simulate_swarms(params, replicate_seeds(3, 20), record_dancers=True)
    for r in range(20):
        # same seed, same draws until the decision: the first step with 40 dancers
        reached = np.nonzero(free.dancers[r].max(axis=1) >= 40)[0]
        if reached.size:
            t = reached[0]
            assert batch.decision_time[r] == t and batch.steps[r] == t
            assert batch.chosen[r] == np.argmax(free.dancers[r, t])
            np.testing.assert_array_equal(batch.dancers[r, :t + 1], free.dancers[r, :t + 1])
        else:
            assert batch.decision_time[r] == -1 and batch.chosen[r] == -1


def test_outcome_columns_are_consistent():
    batch = simulate_swarms(NestSiteParams(horizon=120), replicate_seeds(11, 40))
    np.testing.assert_array_equal(batch.chosen, batch.plurality)  # no quorum
    for r in range(40):
        plurality, twice = rules.consensus(batch.final_dancers[r])
        assert (batch.plurality[r], batch.twice[r]) == (plurality, twice)
        assert batch.plurality_best[r] == (plurality == 4)
        assert batch.twice_best[r] == (twice == 4)
    frame = batch.to_frame()
    assert len(frame) == 40 and {"seed", "best", "dancers_4"} <= set(frame.columns)
    summary = batch.summary()
    assert summary["p_best"] == batch.best.mean()
    assert summary["p_best_low"] <= summary["p_best"] <= summary["p_best_high"]


def test_list2009_findings_in_brief():
    seeds = replicate_seeds(2009, 150)
    independent = simulate_swarms(NestSiteParams(interdependence=0.0), seeds)
    assert (independent.twice >= 0).mean() <= 0.05            # no snowballing
    reliable = simulate_swarms(NestSiteParams(interdependence=0.8, noise=0.2), seeds)
    assert reliable.plurality_best.mean() >= 0.95             # best site nearly always


def test_wilson_interval():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and np.isnan(wilson_interval(0, 0)[0])


# -- parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    ({"qualities": [3, 0]}, "qualities must be positive"),
    ({"qualities": []}, "qualities"),
    ({"discovery": [0.1, 0.2]}, "discovery has 2 chances but there are 5 sites"),
    ({"discovery": 0.3}, "sum to 1.5"),
    ({"discovery": [0.1, 0.1, 0.1, 0.1, 1.5]}, r"discovery chances must lie in \[0, 1\]"),
    ({"interdependence": 1.5}, "interdependence"),
    ({"copying": -0.1}, "copying"),
    ({"copy_strength": "mean"}, "copy_strength"),
    ({"noise": -1.0}, "noise"),
    ({"quorum": 0}, "quorum"),
    ({"quorum": 201}, r"quorum \(201\) cannot exceed n_agents \(200\)"),
    ({"n_agents": 0}, "n_agents"),
    ({"horizon": 0}, "horizon"),
    ({"stop_rate": float("nan")}, "stop_rate"),
    ({"n_scouts": 100}, "n_scouts"),
    ({"horizon": 300.5}, "horizon"),
])
def test_impossible_swarms_are_refused(bad, message):
    with pytest.raises(ValidationError, match=message):
        NestSiteParams(**bad)


def test_parameters_accept_tuples_and_arrays():
    p = NestSiteParams(qualities=(1, 2.5), discovery=np.array([0.3, 0.4]))
    assert p.qualities == [1.0, 2.5] and p.discovery == [0.3, 0.4]
    assert NestSiteParams(discovery=[0.2] * 5).discovery_array.sum() == pytest.approx(1.0)


# -- the cross-inhibition ODEs --------------------------------------------------------------

def test_deadlock_threshold_formula_and_numerical_root():
    assert odes.deadlock_threshold(alpha=1 / 3, gamma=3.0, rho=3.0) == 1.6875
    assert odes.critical_stop_rate(**odes.SEELEY2012) == pytest.approx(1.6875, rel=1e-9)
    for gamma, alpha, rho in [(1.0, 0.5, 2.0), (0.2, 0.1, 0.8), (5.0, 1.0, 4.0)]:
        assert odes.critical_stop_rate(gamma, alpha, rho) == pytest.approx(
            odes.deadlock_threshold(alpha, gamma, rho), rel=1e-9)


def test_equal_sites_settle_at_the_published_equilibrium():
    model = odes.CrossInhibition.equal(sigma=1.0, **odes.SEELEY2012)
    sol = odes.solve(model, y0=(0.001, 0.0), t_end=500.0)
    np.testing.assert_allclose(sol.y[:, -1], 0.4585, atol=5e-5)
    assert odes.symmetric_equilibrium(sigma=1.0, **odes.SEELEY2012) == pytest.approx(
        sol.y[0, -1], abs=1e-7)


@pytest.mark.parametrize("sigma, deadlocked", [(0.5, True), (1.5, True), (1.9, False),
                                                (3.0, False)])
def test_the_deadlock_breaks_above_the_threshold(sigma, deadlocked):
    model = odes.CrossInhibition.equal(sigma=sigma, **odes.SEELEY2012)
    a, b = odes.solve(model, y0=(0.001, 0.0), t_end=1000.0).y[:, -1]
    assert (abs(a - b) < 0.01) == deadlocked
    assert (odes.largest_eigenvalue(sigma=sigma, **odes.SEELEY2012) < 0) == deadlocked


def test_jacobian_matches_finite_differences():
    model = odes.CrossInhibition(gamma=(3.0, 2.0), alpha=(0.3, 0.5), rho=(2.5, 3.5),
                                 sigma=1.2)
    y = np.array([0.3, 0.25])
    eps = 1e-6
    numeric = np.column_stack([(odes.rhs(0, y + eps * e, model) - odes.rhs(0, y - eps * e,
                                                                          model)) / (2 * eps)
                               for e in np.eye(2)])
    np.testing.assert_allclose(odes.jacobian(y, model), numeric, atol=1e-8)


def test_mean_field_rates_of_the_swarm():
    rates = odes.mean_field_rates(NestSiteParams(qualities=[8, 8], interdependence=0.5,
                                                 discovery=0.1, decrement=2.0))
    assert rates == pytest.approx({"gamma": 0.05, "alpha": 0.25, "rho": 0.5})
    with pytest.raises(ValueError, match="equal quality"):
        odes.mean_field_rates(NestSiteParams())
    with pytest.raises(ValueError, match="sigma"):
        odes.CrossInhibition.equal(1.0, 1.0, 1.0, -1.0)

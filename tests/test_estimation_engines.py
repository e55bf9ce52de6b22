"""One model, two engines: the Mesa model and the numba kernel agree draw for draw."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.models.estimation import CrowdEstimation, EstimationParams, simulate_crowds
from sim.seeding import replicate_seeds

FAMILY_CASES = {
    "normal": dict(noise="normal", noise_scale=30.0),
    "lognormal": dict(noise="lognormal", noise_scale=0.4),
    "split_normal": dict(noise="split_normal", noise_scale_below=66.7, noise_scale_above=43.0,
                         bias_shift=9.0),
    "log_cauchy": dict(noise="log_cauchy", noise_scale=0.2),
}
OPTION_CASES = {
    "plain": {},
    "expertise": dict(expertise_spread=0.5),
    "bias": dict(bias_factor=1.1, bias_shift=-3.0),
    "correlated_crowd": dict(correlation=0.4),
    "correlated_groups": dict(correlation=0.7, n_groups=4),
    "everything": dict(expertise_spread=0.3, correlation=0.5, n_groups=3, bias_factor=0.9),
}


@pytest.mark.parametrize("options", OPTION_CASES.values(), ids=OPTION_CASES.keys())
@pytest.mark.parametrize("family", FAMILY_CASES.values(), ids=FAMILY_CASES.keys())
def test_mesa_model_and_kernel_draw_identical_crowds(family, options):
    params = {"n_agents": 37, "truth": 100.0, **family, **options}
    seeds = replicate_seeds(2024, 3)
    batch = simulate_crowds(EstimationParams(**params), seeds)
    for r, seed in enumerate(seeds):
        model = CrowdEstimation(rng=int(seed), **params)
        np.testing.assert_array_equal(model.estimates, batch.estimates[r])
        np.testing.assert_array_equal(model.noise_multipliers, batch.noise_multipliers[r])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), n_agents=st.integers(1, 30),
       family=st.sampled_from(sorted(FAMILY_CASES)), rho=st.floats(0, 1),
       spread=st.floats(0, 1), n_groups=st.integers(1, 5))
def test_engines_agree_for_any_seed(seed, n_agents, family, rho, spread, n_groups):
    params = dict(n_agents=n_agents, truth=50.0, correlation=rho, expertise_spread=spread,
                  n_groups=min(n_groups, n_agents), **FAMILY_CASES[family])
    model = CrowdEstimation(rng=seed, **params)
    batch = simulate_crowds(EstimationParams(**params), [seed])
    np.testing.assert_array_equal(model.estimates, batch.estimates[0])


def test_threads_do_not_change_results():
    params = EstimationParams(n_agents=50, noise="lognormal", noise_scale=0.3,
                              correlation=0.2, expertise_spread=0.2)
    seeds = replicate_seeds(7, 40)
    one = simulate_crowds(params, seeds, n_threads=1)
    two = simulate_crowds(params, seeds, n_threads=2)
    np.testing.assert_array_equal(one.estimates, two.estimates)
    # chunking: any subset of replicates gives the same rows
    part = simulate_crowds(params, seeds[10:25])
    np.testing.assert_array_equal(part.estimates, one.estimates[10:25])


def test_same_seed_same_crowd_other_seed_other_crowd():
    a = CrowdEstimation(n_agents=20, rng=1).estimates
    b = CrowdEstimation(n_agents=20, rng=1).estimates
    c = CrowdEstimation(n_agents=20, rng=2).estimates
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_families_have_the_intended_shape():
    seeds = replicate_seeds(3, 1)
    big = dict(n_agents=200_000, truth=100.0)
    normal = simulate_crowds(EstimationParams(**big, noise_scale=10.0), seeds).estimates[0]
    assert abs(normal.mean() - 100) < 0.2 and abs(normal.std() - 10) < 0.1
    lognormal = simulate_crowds(EstimationParams(**big, noise="lognormal", noise_scale=0.5),
                                seeds).estimates[0]
    assert abs(np.median(lognormal) - 100) < 0.5 and abs(np.log(lognormal).std() - 0.5) < 0.01
    split = simulate_crowds(EstimationParams(**big, noise="split_normal", noise_scale_below=20.0,
                                             noise_scale_above=5.0), seeds).estimates[0]
    # the centre is the median; each half is normal with its own spread
    assert abs(np.median(split) - 100) < 0.1
    assert abs(np.quantile(split, 0.25) - (100 - 0.6745 * 20)) < 0.3
    assert abs(np.quantile(split, 0.75) - (100 + 0.6745 * 5)) < 0.1
    cauchy = simulate_crowds(EstimationParams(**big, noise="log_cauchy", noise_scale=0.1),
                             seeds).estimates[0]
    # log-Cauchy quartiles are centre * exp(+-scale)
    q1, q3 = np.quantile(np.log(cauchy / 100), [0.25, 0.75])
    assert abs(q1 + 0.1) < 0.005 and abs(q3 - 0.1) < 0.005


def test_bias_and_correlation_move_the_crowd_together():
    seeds = replicate_seeds(11, 400)
    biased = simulate_crowds(EstimationParams(n_agents=100, truth=100.0, noise_scale=10.0,
                                              bias_shift=5.0), seeds).estimates
    assert abs(biased.mean() - 105) < 0.2
    correlated = simulate_crowds(EstimationParams(n_agents=100, truth=100.0, noise_scale=10.0,
                                                  correlation=0.5), seeds).estimates
    independent = simulate_crowds(EstimationParams(n_agents=100, truth=100.0, noise_scale=10.0),
                                  seeds).estimates
    # a shared error does not average away: the crowd mean varies as sqrt(rho) * sigma
    assert 0.6 * np.sqrt(0.5) * 10 < correlated.mean(axis=1).std() < 1.4 * np.sqrt(0.5) * 10
    assert independent.mean(axis=1).std() < 2.0
    # individual spread stays sigma
    assert abs(correlated.std() - 10) < 0.5


def test_groups_share_their_common_error():
    params = EstimationParams(n_agents=40, truth=0.0, noise_scale=1.0, correlation=1.0,
                              n_groups=4)
    crowd = simulate_crowds(params, [5]).estimates[0]
    for g in range(4):
        block = crowd[g * 10:(g + 1) * 10]
        assert np.allclose(block, block[0])
    assert len(np.unique(np.round(crowd, 12))) == 4


def test_expertise_multipliers_are_lognormal_with_median_one():
    params = EstimationParams(n_agents=100_000, expertise_spread=0.4)
    batch = simulate_crowds(params, [9])
    logs = np.log(batch.noise_multipliers[0])
    assert abs(np.median(logs)) < 0.01 and abs(logs.std() - 0.4) < 0.01
    np.testing.assert_allclose(batch.precision_weights, batch.noise_multipliers**-2)


def test_mesa_model_collects_aggregates_and_errors():
    model = CrowdEstimation(n_agents=101, truth=10.0, noise_scale=1.0, rng=4)
    model.run_for(3)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 4  # creation + three steps
    x = model.estimates
    assert frame["mean"].iloc[-1] == pytest.approx(x.mean())
    assert frame["median"].iloc[-1] == pytest.approx(np.median(x))
    assert frame["error_of_mean"].iloc[-1] == pytest.approx(abs(x.mean() - 10.0))
    assert frame["diversity"].iloc[-1] == pytest.approx(x.var())
    assert model.steps == 3


def test_mesa_model_rejects_bad_parameters():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="n_agents"):
        CrowdEstimation(n_agents=0, rng=1)
    with pytest.raises(ValidationError, match="positive centre"):
        CrowdEstimation(noise="lognormal", truth=-5.0, rng=1)


def test_noise_families_are_listed_once():
    from typing import get_args

    from sim.analysis.fitting import QUANTILE_FAMILIES
    from sim.models.estimation.beliefs import NOISE_FAMILIES

    assert get_args(EstimationParams.model_fields["noise"].annotation) == NOISE_FAMILIES
    # the fits of real data name the same families (in the order of their report)
    assert sorted(QUANTILE_FAMILIES) == sorted(NOISE_FAMILIES)
    for code, family in enumerate(NOISE_FAMILIES):
        assert EstimationParams(noise=family, truth=5.0).rule_settings().family == code


def test_rule_settings_have_one_numba_type():
    # the kernel is compiled (and cached) once: whole numbers given for float parameters
    # must not change the settings' types
    from numba import typeof

    floats = EstimationParams(truth=100.0, bias_shift=0.0, n_influencers=1,
                              influencer_bias=0.5, confidence_bound=2.0)
    whole = EstimationParams(truth=100, bias_shift=0, n_influencers=1, influencer_bias=1,
                             confidence_bound=2)
    assert typeof(whole.rule_settings()) == typeof(floats.rule_settings())
    assert typeof(EstimationParams().rule_settings()) == typeof(floats.rule_settings())

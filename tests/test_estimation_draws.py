"""The kernel's private-belief loop (``draw_crowd``, with the belief functions inlined and
their batch-constant tests hoisted) gives, bit for bit, what the belief rules give one agent
at a time in plain Python; the floor loop of the benchmark counts the rules' draws."""

from pathlib import Path

import numpy as np
import pytest

from sim.models.estimation import EstimationParams, beliefs, simulate_crowds
from sim.models.estimation.kernel import draw_crowd
from sim.seeding import replicate_seeds

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

FAMILIES = {
    "normal": dict(noise="normal", noise_scale=30.0),
    "lognormal": dict(noise="lognormal", noise_scale=0.4),
    "split_normal": dict(noise="split_normal", noise_scale_below=77.5, noise_scale_above=46.9,
                         bias_shift=10.0),
    "log_cauchy": dict(noise="log_cauchy", noise_scale=0.2),
}
# every branch the loop hoists: spread on/off, correlation on/off, one group or several
# (several groups without correlation: the group lookup is skipped)
OPTIONS = {
    "plain": {},
    "expertise": dict(expertise_spread=0.3),
    "groups_uncorrelated": dict(n_groups=4),
    "correlated_crowd": dict(correlation=0.2),
    "correlated_groups": dict(correlation=0.6, n_groups=3, expertise_spread=0.5),
}


def reference_crowd(rng, params):
    """One crowd drawn agent by agent with the belief functions run as plain Python."""
    s = params.rule_settings()
    n = params.n_agents
    common = np.zeros(s.n_groups)
    if s.correlation > 0.0:
        for g in range(s.n_groups):
            common[g] = beliefs.standard_error.py_func(rng, s.family)
    estimates, multipliers = np.empty(n), np.empty(n)
    for i in range(n):
        multiplier = beliefs.expertise_multiplier.py_func(rng, s.expertise_spread)
        own = beliefs.standard_error.py_func(rng, s.family)
        error = beliefs.combine_errors.py_func(
            common[beliefs.group_of.py_func(i, n, s.n_groups)], own, s.correlation, s.family)
        estimates[i] = beliefs.apply_noise.py_func(s.centre, error, s.scale_below,
                                                   s.scale_above, multiplier, s.family)
        multipliers[i] = multiplier
    return estimates, multipliers


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("family", FAMILIES.values(), ids=FAMILIES.keys())
def test_compiled_crowd_equals_the_rules_agent_by_agent(family, options):
    params = EstimationParams(n_agents=50, truth=100.0, **family, **options)
    for seed in replicate_seeds(14, 3):
        expected, expected_m = reference_crowd(np.random.default_rng(int(seed)), params)
        x, m = np.empty(params.n_agents), np.empty(params.n_agents)
        draw_crowd(np.random.default_rng(int(seed)), params.rule_settings(), x, m)
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(m, expected_m)
        # and the batch runner (compiled replicate loop) draws the same crowd
        batch = simulate_crowds(params, [seed])
        np.testing.assert_array_equal(batch.private_estimates[0], expected)


def test_compiled_crowd_leaves_the_generator_where_the_rules_do():
    params = EstimationParams(n_agents=20, correlation=0.3, n_groups=2, expertise_spread=0.2,
                              noise="log_cauchy", noise_scale=0.1)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    reference_crowd(a, params)
    draw_crowd(b, params.rule_settings(), np.empty(20), np.empty(20))
    assert a.standard_normal() == b.standard_normal()


@pytest.mark.parametrize("config, expected", [
    (dict(), (1, 0)),
    (dict(noise="lognormal", noise_scale=0.05, expertise_spread=0.3, correlation=0.2), (2, 2)),
    (dict(noise="log_cauchy", noise_scale=0.1), (2, 1)),
    (dict(noise="split_normal", expertise_spread=0.1), (2, 1)),
])
def test_floor_counts_the_draws_of_the_rules(config, expected, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from bench_estimation import floor_work

    params = EstimationParams(n_agents=10, **config)
    assert floor_work(params) == expected
    # the count is what the rules take from the generator (common errors aside)
    rng, counter = np.random.default_rng(3), np.random.default_rng(3)
    reference_crowd(rng, params.model_copy(update={"correlation": 0.0}))
    for _ in range(10 * expected[0]):
        counter.standard_normal()
    assert rng.standard_normal() == counter.standard_normal()

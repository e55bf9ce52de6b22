"""Choice among options: majority vote, information cascades, cumulative advantage.

For each model: both engines agree draw for draw on several seeds and parameter sets, the
simulation matches the closed forms, and bad parameters get one-line errors naming the field.
"""

import numpy as np
import pytest
from pydantic import ValidationError

from sim.config import ConfigError, validate
from sim.models.cascades import (
    CascadeParams,
    InformationCascade,
    mean_cascade_start,
    simulate_cascades,
    wrong_cascade_probability,
)
from sim.models.cumulative_advantage import (
    CulturalMarket,
    MarketParams,
    gini,
    make_songs,
    market_shares,
    quality_correlation,
    simulate_markets,
    unpredictability,
)
from sim.models.majority_vote import (
    MajorityParams,
    MajorityVote,
    condorcet_probability,
    correlated_majority_probability,
    jury_probability,
    simulate_votes,
)
from sim.seeding import generator, replicate_seeds

SEEDS = list(replicate_seeds(2024, 3)) + [0, 7]


def within(simulated, exact, se, k=3.0):
    assert abs(simulated - exact) <= k * se, f"{simulated} vs {exact} (3 SE = {k * se:.4g})"


# --------------------------------------------------------------------- majority vote

JURIES = {
    "homogeneous_odd": {"n_agents": 11},
    "homogeneous_even_ties": {"n_agents": 4, "competence": 0.55},
    "beta": {"n_agents": 9, "heterogeneity": "beta", "concentration": 3.0},
    "uniform_correlated": {"n_agents": 10, "heterogeneity": "uniform", "spread": 0.35,
                           "correlation": 0.4},
    "leader": {"n_agents": 15, "competence": 0.7, "correlation": 0.6,
               "leader_competence": 0.4},
}


@pytest.mark.parametrize("params", JURIES.values(), ids=JURIES.keys())
def test_majority_engines_agree(params):
    elections = 4
    batch = simulate_votes(MajorityParams(**params), SEEDS, n_elections=elections)
    for r, seed in enumerate(SEEDS):
        model = MajorityVote(rng=int(seed), **params)
        np.testing.assert_array_equal(model.competences, batch.competences[r])
        votes = []
        for _ in range(elections):
            model.step()
            votes.append(model.right_votes)
        assert model.outcomes == batch.majority_right[r].tolist()
        assert votes == batch.right_votes[r].tolist()
        frame = model.datacollector.get_model_vars_dataframe()
        assert frame.followers.tolist() == batch.followers[r].tolist()


def test_condorcet_formula_values():
    published = {3: 0.648, 5: 0.6826, 11: 0.7535, 101: 0.9791}
    for n, value in published.items():
        assert round(condorcet_probability(n, 0.6), 4) == value
    assert condorcet_probability(1, 0.6) == pytest.approx(0.6)
    np.testing.assert_allclose(condorcet_probability(np.array([3, 5]), 0.6), [0.648, 0.68256])
    assert condorcet_probability(11, 0.5) == pytest.approx(0.5)
    # the Poisson-binomial of an equal jury is the binomial
    assert jury_probability([0.6] * 11) == pytest.approx(condorcet_probability(11, 0.6))


@pytest.mark.parametrize("n", [3, 5, 11, 101, 4])
def test_simulated_majority_matches_condorcet(n):
    # 250 juries x 80 independent questions: 20,000 elections (votes are i.i.d. here)
    batch = simulate_votes(MajorityParams(n_agents=n, competence=0.6),
                           replicate_seeds(31, 250, key_prefix=(n,)), n_elections=80)
    exact = condorcet_probability(n, 0.6)
    within(batch.share_right, exact, np.sqrt(exact * (1 - exact) / batch.majority_right.size))


def test_correlation_erodes_the_majority():
    exact = [correlated_majority_probability(11, 0.6, rho) for rho in (0, 0.2, 0.5, 1.0)]
    assert exact[0] == pytest.approx(condorcet_probability(11, 0.6))
    assert all(np.diff(exact) < 0) and exact[-1] == pytest.approx(0.6)
    shares = []
    for rho in (0.0, 0.3):
        params = MajorityParams(n_agents=11, correlation=rho)
        batch = simulate_votes(params, replicate_seeds(5, 200, key_prefix=(int(10 * rho),)),
                               n_elections=100)
        expected = correlated_majority_probability(11, 0.6, rho)
        within(batch.share_right, expected, batch.standard_error)
        shares.append(batch.share_right)
    assert shares[1] < shares[0] - 0.03


def test_heterogeneity_averages_to_condorcet_but_a_given_jury_differs():
    params = MajorityParams(n_agents=11, heterogeneity="beta", concentration=4.0)
    batch = simulate_votes(params, replicate_seeds(9, 4000), n_elections=5)
    within(batch.share_right, condorcet_probability(11, 0.6), batch.standard_error)
    # one jury deciding many questions: its own Poisson-binomial probability
    one = simulate_votes(params, [12345], n_elections=20_000)
    exact = jury_probability(one.competences[0])
    within(one.share_right, exact, np.sqrt(exact * (1 - exact) / 20_000))


# --------------------------------------------------------------------- cascades

SEQUENCES = {
    "coin_0.6": {"n_agents": 40, "precision": 0.6},
    "coin_0.8": {"n_agents": 25, "precision": 0.8},
    "own_signal": {"n_agents": 30, "precision": 0.55, "tie_rule": "own_signal"},
    "perfect_signals": {"n_agents": 6, "precision": 1.0},
}


@pytest.mark.parametrize("params", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_cascade_engines_agree(params):
    seeds = list(replicate_seeds(77, 8)) + SEEDS
    batch = simulate_cascades(CascadeParams(**params), seeds)
    for r, seed in enumerate(seeds):
        model = InformationCascade(rng=int(seed), **params)
        model.run_for(params["n_agents"])
        assert not model.running
        assert model.state == batch.state[r]
        np.testing.assert_array_equal(model.signals, batch.signals[r])
        np.testing.assert_array_equal(model.actions_array, batch.actions[r])
        assert model.cascade == batch.cascade[r]
        assert model.cascade_start == batch.cascade_start[r]
        assert model.wrong_cascade == batch.wrong[r]


def test_cascade_agents_imitate_once_a_cascade_starts():
    batch = simulate_cascades(CascadeParams(n_agents=50, precision=0.7),
                              replicate_seeds(3, 300))
    for r in range(300):
        start = batch.cascade_start[r]
        assert start >= 2 and start % 2 == 0   # cascades begin after pairs of agents
        follow = batch.actions[r, start - 1:]  # the agent completing |d| = 2, then everyone
        assert (follow == follow[0]).all()
        assert batch.cascade[r] == (1 if follow[0] == 1 else -1)


def test_bhw_formula_values():
    assert round(wrong_cascade_probability(0.6), 3) == 0.368
    assert round(wrong_cascade_probability(0.8), 3) == 0.143
    for p in (0.55, 0.7, 0.95):
        assert wrong_cascade_probability(p) == pytest.approx(
            (1 - p) * (2 - p) / (2 * (1 - p + p * p)))
    assert wrong_cascade_probability(0.6, 100) == pytest.approx(0.368421, abs=1e-6)
    assert wrong_cascade_probability(0.6, tie_rule="own_signal") == pytest.approx(0.16 / 0.52)


@pytest.mark.parametrize("p", [0.6, 0.8])
def test_simulated_wrong_cascades_match_bhw(p):
    n_seq = 6000
    batch = simulate_cascades(CascadeParams(n_agents=100, precision=p),
                              replicate_seeds(1992, n_seq, key_prefix=(int(100 * p),)))
    exact = wrong_cascade_probability(p, 100)
    within(batch.share_wrong, exact, np.sqrt(exact * (1 - exact) / n_seq))
    assert batch.share_none == 0.0
    starts = batch.cascade_start
    within(starts.mean(), mean_cascade_start(p), starts.std(ddof=1) / np.sqrt(n_seq))


def test_own_signal_ties_do_not_give_the_bhw_formula():
    n_seq = 4000
    batch = simulate_cascades(CascadeParams(precision=0.6, tie_rule="own_signal"),
                              replicate_seeds(8, n_seq))
    own = wrong_cascade_probability(0.6, 100, "own_signal")
    se = np.sqrt(own * (1 - own) / n_seq)
    within(batch.share_wrong, own, se)
    assert batch.share_wrong < wrong_cascade_probability(0.6) - 4 * se


# --------------------------------------------------------------------- cumulative advantage

MARKETS = {
    "default_small": {"n_songs": 6, "n_listeners": 90},
    "random_appeal": {"n_songs": 12, "n_listeners": 120, "social_weight": 0.3,
                      "appeal_spread": 0.6},
    "independent_given": {"n_songs": 3, "n_listeners": 50, "social_weight": 0.0,
                          "qualities": [0.1, 0.5, 1.0], "appeals": [1.0, 2.0, 0.5]},
    "strong_social": {"n_songs": 8, "n_listeners": 150, "social_weight": 5.0,
                      "quality_low": 0.9, "quality_high": 1.0},
}


@pytest.mark.parametrize("params", MARKETS.values(), ids=MARKETS.keys())
def test_market_engines_agree(params):
    batch = simulate_markets(MarketParams(**params), SEEDS)
    for r, seed in enumerate(SEEDS):
        model = CulturalMarket(rng=int(seed), **params)
        model.run_for(params["n_listeners"])
        assert not model.running
        np.testing.assert_array_equal(model.quality, batch.quality[r])
        np.testing.assert_array_equal(model.appeal, batch.appeal[r])
        np.testing.assert_array_equal(model.downloads, batch.downloads[r])
        np.testing.assert_array_equal(model.listens, batch.listens[r])
    # worlds of one experiment share the songs
    songs = make_songs(MarketParams(**params), generator(4))
    shared = simulate_markets(MarketParams(**params), SEEDS[:2], songs=songs)
    model = CulturalMarket(rng=int(SEEDS[1]), songs=songs, **params)
    model.run_for(params["n_listeners"])
    np.testing.assert_array_equal(model.downloads, shared.downloads[1])
    np.testing.assert_array_equal(shared.quality[0], songs.quality)


def test_market_is_a_polya_urn_when_every_listen_is_a_download():
    # with q = 1, (a_j + s d_j) sampling is a Polya urn: Dirichlet-multinomial(N, a / s)
    m, n, s = 4, 60, 0.5
    params = MarketParams(n_songs=m, n_listeners=n, social_weight=s, qualities=[1.0] * m)
    d = simulate_markets(params, replicate_seeds(6, 3000)).downloads
    assert (d.sum(axis=1) == n).all()
    alpha0 = m / s
    mean, var = n / m, n * (1 / m) * (1 - 1 / m) * (n + alpha0) / (1 + alpha0)
    assert d.mean() == pytest.approx(mean, rel=0.02)
    assert d.var(axis=0).mean() == pytest.approx(var, rel=0.08)
    # without social influence it is a multinomial: variance n pi (1 - pi)
    independent = MarketParams(n_songs=m, n_listeners=n, social_weight=0.0,
                               qualities=[1.0] * m)
    d0 = simulate_markets(independent, replicate_seeds(6, 3000)).downloads
    assert d0.var(axis=0).mean() == pytest.approx(n * 0.25 * 0.75, rel=0.08)


def test_social_influence_raises_inequality_and_unpredictability():
    params = MarketParams(n_songs=20, n_listeners=300)
    results = {}
    for s in (0.0, 1.0):
        g, u = [], []
        for rep in range(12):
            songs = make_songs(params, generator(rep))
            batch = simulate_markets(MarketParams(n_songs=20, n_listeners=300,
                                                  social_weight=s),
                                     replicate_seeds(rep, 6), songs=songs)
            shares = market_shares(batch.downloads)
            g.append(gini(shares).mean())
            u.append(unpredictability(shares))
        results[s] = (np.mean(g), np.mean(u))
    assert results[1.0][0] > results[0.0][0] + 0.1
    assert results[1.0][1] > 1.5 * results[0.0][1]


def test_market_metrics():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 5]) == pytest.approx(0.75)
    shares = market_shares([[2, 2], [4, 0], [0, 4]])
    assert unpredictability(shares) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert np.isnan(market_shares([0, 0])).all()


def test_quality_correlation_is_scipys_spearman_to_the_bit():
    # computed without scipy.stats (sweep workers need not load it), with scipy's numbers
    import warnings

    from scipy.stats import ConstantInputWarning, spearmanr

    rng = generator(11)
    cases = [(rng.random(m), rng.random(m)) for m in (2, 3, 48, 200)]
    cases += [(rng.integers(0, 4, m) / 10, rng.integers(0, 3, m) * 1.0) for m in (5, 48, 97)]
    cases += [([0.2, np.nan, 0.8], [0.1, 0.5, 0.9]), ([0.5, 0.5], [0.2, 0.8]), ([1.0], [2.0])]
    for shares, quality in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConstantInputWarning)
            expected = spearmanr(shares, quality).statistic
        got = quality_correlation([shares], quality)[0]
        assert got == expected or (np.isnan(got) and np.isnan(expected)), (shares, quality)


# --------------------------------------------------------------------- validation

BAD = [
    (MajorityParams, {"n_agents": 0}, "n_agents"),
    (MajorityParams, {"competence": 1.2}, "competence"),
    (MajorityParams, {"correlation": -0.1}, "correlation"),
    (MajorityParams, {"heterogeneity": "beta"}, "concentration"),
    (MajorityParams, {"heterogeneity": "uniform", "spread": 0.5}, "spread"),
    (MajorityParams, {"spread": 0.1}, "spread"),
    (MajorityParams, {"heterogeneity": "normal"}, "heterogeneity"),
    (MajorityParams, {"voters": 3}, "voters"),
    (CascadeParams, {"precision": 0.5}, "precision"),
    (CascadeParams, {"precision": 1.01}, "precision"),
    (CascadeParams, {"tie_rule": "majority"}, "tie_rule"),
    (CascadeParams, {"n_agents": 0}, "n_agents"),
    (MarketParams, {"n_songs": 1}, "n_songs"),
    (MarketParams, {"social_weight": -1.0}, "social_weight"),
    (MarketParams, {"quality_low": 0.9, "quality_high": 0.1}, "quality_low"),
    (MarketParams, {"n_songs": 2, "qualities": [0.5]}, "qualities"),
    (MarketParams, {"n_songs": 2, "qualities": [0.5, 1.5]}, "qualities"),
    (MarketParams, {"n_songs": 2, "appeals": [1.0, 0.0]}, "appeals"),
    (MarketParams, {"n_songs": 2, "qualities": [0.5, 0.5], "quality_low": 0.1},
     "quality_low"),
    (MarketParams, {"appeal_spread": 1.0}, "appeal_spread"),
    (MarketParams, {"social_weight": float("nan")}, "social_weight"),
]


@pytest.mark.parametrize("schema,data,field", BAD,
                         ids=[f"{s.__name__}-{f}-{i}" for i, (s, _, f) in enumerate(BAD)])
def test_bad_parameters_get_one_line_errors_naming_the_field(schema, data, field):
    with pytest.raises(ValidationError):
        schema(**data)
    with pytest.raises(ConfigError) as info:
        validate(schema, data, "params")
    message = str(info.value)
    assert "\n" not in message and field in message, message


def test_models_validate_their_parameters():
    with pytest.raises(ValidationError, match="competence"):
        MajorityVote(competence=2.0, rng=1)
    with pytest.raises(ValidationError, match="precision"):
        InformationCascade(precision=0.3, rng=1)
    with pytest.raises(ValueError, match="songs"):
        CulturalMarket(n_songs=3, rng=1, songs=make_songs(MarketParams(n_songs=4),
                                                          generator(1)))
    with pytest.raises(ValueError, match="n_elections"):
        simulate_votes(MajorityParams(), [1], n_elections=0)
    with pytest.raises(ValueError, match="no election"):
        _ = MajorityVote(rng=1).majority_right


def test_kernels_do_not_depend_on_threads():
    seeds = replicate_seeds(12, 9)
    one = simulate_cascades(CascadeParams(n_agents=20), seeds)
    two = simulate_cascades(CascadeParams(n_agents=20), seeds, n_threads=2)
    np.testing.assert_array_equal(one.actions, two.actions)
    v1 = simulate_votes(MajorityParams(correlation=0.2), seeds, 3)
    v2 = simulate_votes(MajorityParams(correlation=0.2), seeds, 3, n_threads=2)
    np.testing.assert_array_equal(v1.majority_right, v2.majority_right)
    m1 = simulate_markets(MarketParams(n_songs=5, n_listeners=40), seeds)
    m2 = simulate_markets(MarketParams(n_songs=5, n_listeners=40), seeds, n_threads=2)
    np.testing.assert_array_equal(m1.downloads, m2.downloads)

"""The compiled replicate loops of the choice and nest-site models give, bit for bit, what
running their replicates one by one, each from ``default_rng(seed)``, gives."""

import numpy as np
import pytest

from sim import batching
from sim.models.cascades import CascadeParams, simulate_cascades
from sim.models.cascades.kernel import run_sequence
from sim.models.cascades.rules import in_cascade
from sim.models.cumulative_advantage import MarketParams, Songs, simulate_markets
from sim.models.cumulative_advantage.kernel import make_songs, run_world
from sim.models.majority_vote import MajorityParams, simulate_votes
from sim.models.majority_vote.kernel import run_jury
from sim.models.nest_site import NestSiteParams, simulate_swarms
from sim.models.nest_site.kernel import kernel_arguments, run_swarm
from sim.seeding import replicate_seeds

SEEDS = np.concatenate([[0, 1, 2**32, 2**63 - 1], replicate_seeds(14, 16)])


def _one_by_one(seeds, run):
    """``run(rng)`` per seed with a fresh ``default_rng(seed)``: a list of result tuples."""
    return [run(np.random.default_rng(int(seed))) for seed in seeds]


class _Unverified:
    """A thread generator whose state layout is unknown: forces the per-replicate fallback."""

    usable = False
    views = None


@pytest.fixture(params=["compiled-1", "compiled-2", "fallback"])
def batch_mode(request, monkeypatch):
    """How the batch runner runs: its compiled loop on 1 or 2 threads, or its fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(batching, "thread_generator", _Unverified)
        return 2
    return int(request.param[-1])


VOTE_CASES = {
    "homogeneous_odd": dict(n_agents=11),
    "beta_even_ties": dict(n_agents=10, heterogeneity="beta", concentration=2.0),
    "uniform_leader": dict(n_agents=9, heterogeneity="uniform", spread=0.2, correlation=0.4,
                           leader_competence=0.8),
    "one_voter": dict(n_agents=1, competence=0.3),
}


@pytest.mark.parametrize("options", VOTE_CASES.values(), ids=VOTE_CASES.keys())
def test_votes_equal_juries_one_by_one(options, batch_mode):
    params = MajorityParams(**options)
    elections = 3
    batch = simulate_votes(params, SEEDS, n_elections=elections, n_threads=batch_mode)
    kind, a, b = params.competence_codes
    n = params.n_agents

    def jury(rng):
        out = (np.empty(n), np.empty(elections, np.int64), np.empty(elections, np.int64),
               np.empty(elections, np.int8))
        run_jury(rng, kind, params.competence, a, b, params.correlation, params.leader_p, *out)
        return out

    expected = _one_by_one(SEEDS, jury)
    for k, got in enumerate((batch.competences, batch.right_votes, batch.followers,
                             batch.majority_right)):
        assert np.array_equal(got, np.array([e[k] for e in expected]))


CASCADE_CASES = {
    "default": dict(n_agents=40),
    "precise_own_signal": dict(n_agents=25, precision=0.9, tie_rule="own_signal"),
    "weak_long": dict(n_agents=120, precision=0.51),
    "one_agent": dict(n_agents=1),
}


@pytest.mark.parametrize("options", CASCADE_CASES.values(), ids=CASCADE_CASES.keys())
def test_cascades_equal_sequences_one_by_one(options, batch_mode):
    params = CascadeParams(**options)
    batch = simulate_cascades(params, SEEDS, n_threads=batch_mode)
    n = params.n_agents

    def sequence(rng):
        signals, actions = np.empty(n, np.int8), np.empty(n, np.int8)
        state, d, start = run_sequence(rng, params.precision, params.coin_ties, signals, actions)
        cascade = int(np.sign(d)) if in_cascade(d) else 0
        return state, signals, actions, cascade, start

    expected = _one_by_one(SEEDS, sequence)
    for k, got in enumerate((batch.state, batch.signals, batch.actions, batch.cascade,
                             batch.cascade_start)):
        assert np.array_equal(got, np.array([e[k] for e in expected]))


MARKET_CASES = {
    "drawn_qualities": dict(n_songs=6, n_listeners=80),
    "drawn_appeals_social": dict(n_songs=5, n_listeners=120, social_weight=0.8,
                                 appeal_spread=0.4),
    "given_qualities": dict(n_songs=3, n_listeners=50, qualities=[0.1, 0.5, 0.9],
                            appeal_spread=0.2),
    "all_given": dict(n_songs=3, n_listeners=40, qualities=[0.3, 0.6, 0.2],
                      appeals=[1.0, 2.0, 0.5], social_weight=1.0),
}


@pytest.mark.parametrize("shared", [False, True], ids=["own_songs", "shared_songs"])
@pytest.mark.parametrize("options", MARKET_CASES.values(), ids=MARKET_CASES.keys())
def test_markets_equal_worlds_one_by_one(options, shared, batch_mode):
    params = MarketParams(**options)
    songs = make_songs(params, np.random.default_rng(99)) if shared else None
    batch = simulate_markets(params, SEEDS, songs=songs, n_threads=batch_mode)
    m = params.n_songs

    def world(rng):
        world_songs = make_songs(params, rng) if songs is None else songs
        downloads, listens = np.empty(m, np.int64), np.empty(m, np.int64)
        run_world(rng, world_songs.quality, world_songs.appeal, params.social_weight,
                  params.n_listeners, downloads, listens)
        return world_songs.quality, world_songs.appeal, downloads, listens

    expected = _one_by_one(SEEDS, world)
    for k, got in enumerate((batch.quality, batch.appeal, batch.downloads, batch.listens)):
        assert np.array_equal(got, np.array([e[k] for e in expected]))
    if shared:  # the batch's shared songs are the given ones, never redrawn
        assert isinstance(songs, Songs) and np.array_equal(batch.quality[-1], songs.quality)


SWARM_CASES = {
    "list2009": dict(n_agents=40, horizon=60, interdependence=0.8, noise=0.2),
    "copying_stop_noisy": dict(n_agents=40, horizon=60, noise=1.0, copying=0.3,
                               stop_rate=0.05, copy_strength="mean_current"),
    "quorum": dict(n_agents=30, horizon=80, copying=0.3, quorum=10),
    "no_noise_two_sites": dict(n_agents=20, qualities=[5, 10], horizon=30, noise=0.0),
}


@pytest.mark.parametrize("record", [False, True], ids=["outcomes", "recorded"])
@pytest.mark.parametrize("options", SWARM_CASES.values(), ids=SWARM_CASES.keys())
def test_swarms_equal_swarms_one_by_one(options, record, batch_mode):
    params = NestSiteParams(**options)
    batch = simulate_swarms(params, SEEDS, record_dancers=record, n_threads=batch_mode)
    arguments = kernel_arguments(params)

    def swarm(rng):
        trajectory = np.zeros((params.horizon + 1, params.n_sites), np.int32)
        final = np.zeros(params.n_sites, np.int64)
        decision, site, steps = run_swarm(rng, *arguments, True, trajectory, final)
        return decision, site, steps, final, trajectory

    decision, site, steps, final, trajectory = (np.array(column) for column in
                                                zip(*_one_by_one(SEEDS, swarm)))
    assert np.array_equal(batch.decision_time, decision)
    assert np.array_equal(batch.steps, steps)
    assert np.array_equal(batch.final_dancers, final)
    if record:
        assert np.array_equal(batch.dancers, trajectory)
    if params.quorum is not None:
        assert np.array_equal(batch.chosen, site)

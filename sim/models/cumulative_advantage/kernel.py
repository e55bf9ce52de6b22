"""Numba kernel of the cumulative-advantage model: many independent worlds at once.

The same rules as :mod:`sim.models.cumulative_advantage.agents`
(:mod:`sim.models.cumulative_advantage.rules`) with the same draw order: the songs (unless
given), then per listener one uniform for the song and one for the download. World ``r``
draws from ``numpy.random.default_rng(seeds[r])``, the generator
``CulturalMarket(rng=seeds[r])`` holds, so both give identical downloads. A batch runs all
its worlds in one compiled loop (:func:`_run_worlds`), seeded in bulk
(:func:`sim.batching.run_compiled`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.batching import reseed, run_compiled, seed_array
from sim.models.cumulative_advantage.params import MarketParams
from sim.models.cumulative_advantage.rules import draw_songs, listen

__all__ = ["Songs", "MarketBatch", "make_songs", "run_world", "simulate_markets"]


@dataclass(frozen=True)
class Songs:
    """Qualities and appeals of the songs of a market (arrays of length n_songs)."""

    quality: np.ndarray
    appeal: np.ndarray

    def checked(self, n_songs: int) -> Songs:
        """These songs as float arrays, after checking their number and ranges."""
        quality = np.asarray(self.quality, dtype=float)
        appeal = np.asarray(self.appeal, dtype=float)
        if quality.shape != (n_songs,) or appeal.shape != (n_songs,):
            raise ValueError(f"songs: expected {n_songs} qualities and appeals, got "
                             f"{quality.shape} and {appeal.shape}")
        if not (np.all((quality >= 0) & (quality <= 1)) and np.all(appeal > 0)):
            raise ValueError("songs: qualities must lie in [0, 1] and appeals be positive")
        return Songs(quality=quality, appeal=appeal)


def _given_songs(params: MarketParams) -> tuple[np.ndarray, np.ndarray]:
    """The songs' values before any draw: given qualities (else 0) and appeals (else 1)."""
    m = params.n_songs
    quality = (np.array(params.qualities, dtype=float) if params.qualities is not None
               else np.zeros(m))
    appeal = (np.array(params.appeals, dtype=float) if params.appeals is not None
              else np.ones(m))
    return quality, appeal


def make_songs(params: MarketParams, rng: np.random.Generator) -> Songs:
    """The songs of ``params``: given values, or drawn from ``rng`` song by song.

    >>> songs = make_songs(MarketParams(n_songs=3), np.random.default_rng(1))
    >>> songs.quality.shape, songs.appeal.tolist()
    ((3,), [1.0, 1.0, 1.0])
    """
    quality, appeal = _given_songs(params)
    draw_songs(rng, params.quality_low, params.quality_high, params.appeal_spread,
               params.draws_qualities, params.draws_appeals, quality, appeal)
    return Songs(quality=quality, appeal=appeal)


@njit(cache=True, nogil=True)
def run_world(rng, quality, appeal, social_weight, n_listeners, downloads_out, listens_out):
    """One world: ``n_listeners`` arrive in turn (counts filled in place)."""
    downloads_out[:] = 0
    listens_out[:] = 0
    for _ in range(n_listeners):
        j, downloaded = listen(rng, quality, appeal, downloads_out, social_weight)
        listens_out[j] += 1
        if downloaded:
            downloads_out[j] += 1


@njit(cache=True, nogil=True)
def _run_worlds(rng, words, flags, order, states, first, stop, base_quality, base_appeal, low,
                high, spread, draw_quality, draw_appeal, social_weight, n_listeners, quality,
                appeal, downloads, listens):
    """Worlds ``first .. stop - 1`` of a batch (rows of the output arrays), each from its own
    seed: ``rng`` is re-set to ``states[r]`` before world ``r`` (see
    :func:`sim.batching.run_compiled`). Each world starts from the batch's songs
    (``base_quality``, ``base_appeal``) and draws what :func:`make_songs` draws."""
    for r in range(first, stop):
        reseed(words, flags, order, states, r)
        for j in range(base_quality.shape[0]):  # a loop: row = array compiled 2 s slower
            quality[r, j] = base_quality[j]
            appeal[r, j] = base_appeal[j]
        draw_songs(rng, low, high, spread, draw_quality, draw_appeal, quality[r], appeal[r])
        run_world(rng, quality[r], appeal[r], social_weight, n_listeners, downloads[r],
                  listens[r])


@dataclass(frozen=True)
class MarketBatch:
    """Final counts of many worlds.

    Attributes:
        downloads, listens: arrays (worlds, n_songs).
        quality, appeal: arrays (worlds, n_songs), each world's songs.
        seeds: array (worlds,).
    """

    downloads: np.ndarray
    listens: np.ndarray
    quality: np.ndarray
    appeal: np.ndarray
    seeds: np.ndarray


def simulate_markets(params: MarketParams, seeds, songs: Songs | None = None,
                     n_threads: int = 1) -> MarketBatch:
    """One world of ``params.n_listeners`` listeners per seed.

    Parameters
    ----------
    params : MarketParams
    seeds : array_like of int
        One integer seed per world.
    songs : Songs, optional
        Songs shared by every world (an experiment's worlds); default: each world draws its
        own from its generator first, as :class:`CulturalMarket` does without ``songs``.
    n_threads : int, default 1
        Threads running worlds concurrently (the kernel releases the GIL); see
        :func:`sim.batching.run_compiled`. The result does not depend on it.

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> batch = simulate_markets(MarketParams(n_songs=4, n_listeners=30), replicate_seeds(1, 3))
    >>> batch.downloads.shape, batch.listens.sum(axis=1).tolist()
    ((3, 4), [30, 30, 30])
    """
    seeds = seed_array(seeds)
    n_rep, m = seeds.shape[0], params.n_songs
    shared = None if songs is None else songs.checked(m)
    downloads = np.empty((n_rep, m), dtype=np.int64)
    listens = np.empty((n_rep, m), dtype=np.int64)
    quality = np.empty((n_rep, m))
    appeal = np.empty((n_rep, m))
    s, n_listeners = params.social_weight, params.n_listeners
    # the songs every world starts from; shared songs are final (nothing drawn)
    if shared is None:
        base_quality, base_appeal = _given_songs(params)
        draw_quality, draw_appeal = bool(params.draws_qualities), bool(params.draws_appeals)
    else:
        base_quality, base_appeal = shared.quality, shared.appeal
        draw_quality = draw_appeal = False
    low, high, spread = params.quality_low, params.quality_high, params.appeal_spread

    def run_block(rng, words, flags, order, states, first, stop) -> None:
        _run_worlds(rng, words, flags, order, states, first, stop, base_quality, base_appeal,
                    low, high, spread, draw_quality, draw_appeal, s, n_listeners, quality,
                    appeal, downloads, listens)

    def run_one(r: int, rng: np.random.Generator) -> None:
        world = make_songs(params, rng) if shared is None else shared
        quality[r], appeal[r] = world.quality, world.appeal
        run_world(rng, quality[r], appeal[r], s, n_listeners, downloads[r], listens[r])

    run_compiled(run_block, run_one, seeds, n_threads)
    return MarketBatch(downloads=downloads, listens=listens, quality=quality, appeal=appeal,
                       seeds=seeds)


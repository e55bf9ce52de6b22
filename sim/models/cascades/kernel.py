"""Numba kernel of the information-cascade model: many independent sequences at once.

The same rules as :mod:`sim.models.cascades.agents` (:mod:`sim.models.cascades.rules`) with
the same draw order: the state, then per agent her signal and, if indifferent under coin
ties, the coin. Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, the
generator ``InformationCascade(rng=seeds[r])`` holds, so both give identical actions. A batch
runs all its sequences in one compiled loop (:func:`_run_sequences`), seeded in bulk
(:func:`sim.batching.run_compiled`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.batching import reseed, run_compiled, seed_array
from sim.models.cascades.params import CascadeParams
from sim.models.cascades.rules import decide, draw_signal, draw_state, in_cascade, update_public

__all__ = ["CascadeBatch", "run_sequence", "simulate_cascades"]


@njit(cache=True, nogil=True)
def run_sequence(rng, precision, coin_ties, signals_out, actions_out):
    """One sequence (in place); returns (state, final public state, cascade start or -1)."""
    state = draw_state(rng)
    d = 0
    start = -1
    for i in range(actions_out.shape[0]):
        signal = draw_signal(rng, state, precision)
        action = decide(rng, d, signal, coin_ties)
        d = update_public(d, action)
        signals_out[i] = signal
        actions_out[i] = action
        if start < 0 and in_cascade(d):
            start = i + 1
    return state, d, start


@njit(cache=True, nogil=True)
def _cascade_direction(d):
    """+1 adopt cascade, -1 reject cascade, 0 none, from the final public state."""
    if not in_cascade(d):
        return 0
    return 1 if d > 0 else -1


@njit(cache=True, nogil=True)
def _run_sequences(rng, words, flags, order, states, first, stop, precision, coin_ties,
                   signals, actions, state, cascade, start):
    """Sequences ``first .. stop - 1`` of a batch (rows of the output arrays), each from its
    own seed: ``rng`` is re-set to ``states[r]`` before sequence ``r`` (see
    :func:`sim.batching.run_compiled`)."""
    for r in range(first, stop):
        reseed(words, flags, order, states, r)
        state[r], d, start[r] = run_sequence(rng, precision, coin_ties, signals[r], actions[r])
        cascade[r] = _cascade_direction(d)


@dataclass(frozen=True)
class CascadeBatch:
    """Many independent sequences.

    Attributes:
        state: array (replicates,), the true state (1: adopting is right).
        signals, actions: arrays (replicates, n_agents) of 0/1.
        cascade: array (replicates,): +1 adopt cascade, -1 reject cascade, 0 none.
        cascade_start: array (replicates,): agents who acted before the cascade (-1: none).
        seeds: array (replicates,).
    """

    state: np.ndarray
    signals: np.ndarray
    actions: np.ndarray
    cascade: np.ndarray
    cascade_start: np.ndarray
    seeds: np.ndarray

    @property
    def wrong(self) -> np.ndarray:
        """Whether each sequence ended in the wrong cascade."""
        return ((self.cascade == 1) & (self.state == 0)) | ((self.cascade == -1)
                                                           & (self.state == 1))

    @property
    def right(self) -> np.ndarray:
        """Whether each sequence ended in the right cascade."""
        return (self.cascade != 0) & ~self.wrong

    @property
    def share_wrong(self) -> float:
        return float(self.wrong.mean())

    @property
    def share_right(self) -> float:
        return float(self.right.mean())

    @property
    def share_none(self) -> float:
        return float((self.cascade == 0).mean())


def simulate_cascades(params: CascadeParams, seeds, n_threads: int = 1) -> CascadeBatch:
    """One sequence of ``params.n_agents`` per seed.

    ``n_threads`` threads run sequences concurrently (the kernel releases the GIL; see
    :func:`sim.batching.run_compiled`); the result does not depend on it.

    Examples
    --------
    >>> from sim.seeding import replicate_seeds
    >>> batch = simulate_cascades(CascadeParams(n_agents=30), replicate_seeds(1, 5))
    >>> batch.actions.shape, batch.share_wrong + batch.share_right + batch.share_none
    ((5, 30), 1.0)
    """
    seeds = seed_array(seeds)
    n_rep, n = seeds.shape[0], params.n_agents
    signals = np.empty((n_rep, n), dtype=np.int8)
    actions = np.empty((n_rep, n), dtype=np.int8)
    state = np.empty(n_rep, dtype=np.int8)
    cascade = np.empty(n_rep, dtype=np.int8)
    start = np.empty(n_rep, dtype=np.int64)
    precision, coin = params.precision, params.coin_ties

    def run_block(rng, words, flags, order, states, first, stop) -> None:
        _run_sequences(rng, words, flags, order, states, first, stop, precision, coin, signals,
                       actions, state, cascade, start)

    def run_one(r: int, rng: np.random.Generator) -> None:
        state[r], d, start[r] = run_sequence(rng, precision, coin, signals[r], actions[r])
        cascade[r] = _cascade_direction(d)

    run_compiled(run_block, run_one, seeds, n_threads)
    return CascadeBatch(state=state, signals=signals, actions=actions, cascade=cascade,
                        cascade_start=start, seeds=seeds)


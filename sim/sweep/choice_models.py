"""Sweep registrations of the choice models: nest-site selection, majority vote, information
cascades and cumulative advantage. Each run is one swarm, jury, sequence or world; its
metrics come from the model's kernel batched over replicates (see :mod:`sim.sweep.models`).

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> from sim.models.nest_site import NestSiteParams
>>> values = nest_site_batch(NestSiteParams(horizon=30), replicate_seeds(1, 3), ("steps",))
>>> values["steps"].tolist()
[30.0, 30.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.cascades import CascadeParams, simulate_cascades
from sim.models.cumulative_advantage import (MarketParams, gini, market_shares,
                                             quality_correlation, simulate_markets)
from sim.models.majority_vote import MajorityParams, simulate_votes
from sim.models.nest_site import NestSiteParams, simulate_swarms

__all__ = ["NEST_SITE_METRICS", "MAJORITY_METRICS", "CASCADE_METRICS", "MARKET_METRICS",
           "nest_site_batch", "majority_batch", "cascade_batch", "market_batch"]


def _pick(values: dict, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


NEST_SITE_METRICS = ("chosen_best", "plurality_best", "twice_best", "decided",
                     "decision_time", "steps")


def nest_site_batch(params: NestSiteParams, seeds: np.ndarray,
                    metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Swarm outcomes: the best site chosen (by the swarm's rule, by plurality, by twice the
    runner-up), whether a quorum decision came, when (NaN if none), and steps run."""
    batch = simulate_swarms(params, seeds)
    decided = batch.decision_time >= 0
    return _pick({"chosen_best": batch.best, "plurality_best": batch.plurality_best,
                  "twice_best": batch.twice_best, "decided": decided,
                  "decision_time": np.where(decided, batch.decision_time, np.nan),
                  "steps": batch.steps}, metrics)


MAJORITY_METRICS = ("majority_right", "right_vote_share")


def majority_batch(params: MajorityParams, seeds: np.ndarray,
                   metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One election per jury: whether the majority was right, and the share of right votes."""
    batch = simulate_votes(params, seeds)
    return _pick({"majority_right": batch.majority_right[:, 0],
                  "right_vote_share": batch.right_votes[:, 0] / params.n_agents}, metrics)


CASCADE_METRICS = ("wrong_cascade", "right_cascade", "no_cascade", "cascade_start")


def cascade_batch(params: CascadeParams, seeds: np.ndarray,
                  metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Which cascade a sequence ends in, and after how many agents it started (NaN: none)."""
    batch = simulate_cascades(params, seeds)
    right_direction = np.where(batch.state == 1, 1, -1)
    started = batch.cascade != 0
    return _pick({"wrong_cascade": started & (batch.cascade != right_direction),
                  "right_cascade": started & (batch.cascade == right_direction),
                  "no_cascade": ~started,
                  "cascade_start": np.where(started, batch.cascade_start, np.nan)}, metrics)


MARKET_METRICS = ("gini", "top_share", "quality_correlation")


def market_batch(params: MarketParams, seeds: np.ndarray,
                 metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One world per run: inequality of market shares (Gini), the leader's share, and the
    rank correlation of shares with quality. (Unpredictability compares worlds; it belongs
    to the musiclab experiment, not to single runs.)"""
    batch = simulate_markets(params, seeds)
    shares = market_shares(batch.downloads)
    return _pick({"gini": gini(shares), "top_share": shares.max(axis=-1),
                  "quality_correlation": quality_correlation(shares, batch.quality)}, metrics)

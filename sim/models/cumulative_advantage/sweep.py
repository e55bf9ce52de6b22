"""Sweep registration of the cumulative-advantage (MusicLab) model: one world per run,
batched over replicates by the numba kernel (see :mod:`sim.sweep.models`).

Unpredictability compares worlds, so it belongs to experiments (``experiments/musiclab.py``),
not to single runs.

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> values = MODEL.run_batch(MarketParams(n_songs=5, n_listeners=50), replicate_seeds(1, 3),
...                          ("top_share",))
>>> values["top_share"].shape
(3,)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.models.cumulative_advantage.kernel import simulate_markets
from sim.models.cumulative_advantage.metrics import gini, market_shares, quality_correlation
from sim.models.cumulative_advantage.params import MarketParams
from sim.sweep.models import SweepModel, first_replicate, run_mesa_model

__all__ = ["MODEL", "METRICS", "run_batch"]

#: Metrics of one world (see :func:`run_batch`).
METRICS = ("gini", "top_share", "quality_correlation")

#: A small market with drawn qualities and appeals: contract tests and warm-up.
EXAMPLE = {"n_songs": 6, "n_listeners": 60, "social_weight": 0.5, "appeal_spread": 0.3}


def run_batch(params: MarketParams, seeds: np.ndarray,
              metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One world per run: inequality of market shares (Gini), the leader's share, and the
    rank correlation of shares with quality.

    Examples
    --------
    >>> every_listen_downloads = MarketParams(n_songs=3, n_listeners=40, qualities=[1.0] * 3)
    >>> top = run_batch(every_listen_downloads, np.array([1, 2]), ["top_share"])["top_share"]
    >>> top.shape, bool(np.all((top >= 1 / 3) & (top <= 1)))
    ((2,), True)
    """
    batch = simulate_markets(params, seeds)
    shares = market_shares(batch.downloads)
    values = {"gini": gini(shares), "top_share": shares.max(axis=-1),
              "quality_correlation": quality_correlation(shares, batch.quality)}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


def trajectories(params: MarketParams, seed: int) -> tuple[dict, dict]:
    """One world from the Mesa model and from the kernel: the songs' qualities and appeals,
    and the downloads and listens of every song at the end (see
    :attr:`SweepModel.trajectories`)."""
    model = run_mesa_model("sim.models.cumulative_advantage.model:CulturalMarket", params, seed,
                           steps=params.n_listeners)
    names = ("quality", "appeal", "downloads", "listens")
    mesa = {name: getattr(model, name) for name in names}
    return mesa, first_replicate(simulate_markets(params, [seed]), names)


MODEL = SweepModel(params_schema=MarketParams, run_batch=run_batch, metrics=METRICS,
                   seconds_per_run=lambda point: 5e-4, example=EXAMPLE, trajectories=trajectories)
"""The cumulative-advantage model as sweeps see it (registered as
``cumulative_advantage``)."""

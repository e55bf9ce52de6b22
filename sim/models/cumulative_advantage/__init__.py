"""Cumulative advantage in cultural markets (MusicLab; Salganik, Dodds & Watts 2006): Mesa
model (:class:`CulturalMarket`) and numba kernel (:func:`simulate_markets`), with the
outcome measures in :mod:`.metrics`."""

from __future__ import annotations

import importlib

__all__ = ["CulturalMarket", "Song", "Listener", "MarketParams", "Songs", "MarketBatch",
           "make_songs", "simulate_markets", "gini", "market_shares", "unpredictability",
           "quality_correlation"]

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters, the kernel and the metrics, and importing Mesa costs about a second per process.
_HOME = {"CulturalMarket": "sim.models.cumulative_advantage.model",
         "Song": "sim.models.cumulative_advantage.agents",
         "Listener": "sim.models.cumulative_advantage.agents",
         "MarketParams": "sim.models.cumulative_advantage.params",
         **dict.fromkeys(("Songs", "MarketBatch", "make_songs", "simulate_markets"),
                         "sim.models.cumulative_advantage.kernel"),
         **dict.fromkeys(("gini", "market_shares", "unpredictability", "quality_correlation"),
                         "sim.models.cumulative_advantage.metrics")}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

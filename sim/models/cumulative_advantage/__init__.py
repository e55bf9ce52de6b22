"""Cumulative advantage in cultural markets (MusicLab; Salganik, Dodds & Watts 2006): Mesa
model (:class:`CulturalMarket`) and numba kernel (:func:`simulate_markets`), with the
outcome measures in :mod:`.metrics`."""

from __future__ import annotations

from sim._lazy import attach

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters, the kernel and the metrics, and importing Mesa costs about a second per process.
__getattr__, __dir__, __all__ = attach(__name__, {
    "CulturalMarket": "sim.models.cumulative_advantage.model",
    "Song": "sim.models.cumulative_advantage.agents",
    "Listener": "sim.models.cumulative_advantage.agents",
    "MarketParams": "sim.models.cumulative_advantage.params",
    **dict.fromkeys(("Songs", "MarketBatch", "make_songs", "simulate_markets"),
                    "sim.models.cumulative_advantage.kernel"),
    **dict.fromkeys(("gini", "market_shares", "unpredictability", "quality_correlation"),
                    "sim.models.cumulative_advantage.metrics"),
})

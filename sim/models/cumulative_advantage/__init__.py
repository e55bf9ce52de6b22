"""Cumulative advantage in cultural markets (MusicLab; Salganik, Dodds & Watts 2006): Mesa
model (:class:`CulturalMarket`) and numba kernel (:func:`simulate_markets`), with the
outcome measures in :mod:`.metrics`."""

from sim.models.cumulative_advantage.agents import Listener, Song
from sim.models.cumulative_advantage.kernel import (MarketBatch, Songs, make_songs,
                                                    simulate_markets)
from sim.models.cumulative_advantage.metrics import (gini, market_shares, quality_correlation,
                                                     unpredictability)
from sim.models.cumulative_advantage.model import CulturalMarket
from sim.models.cumulative_advantage.params import MarketParams

__all__ = ["CulturalMarket", "Song", "Listener", "MarketParams", "Songs", "MarketBatch",
           "make_songs", "simulate_markets", "gini", "market_shares", "unpredictability",
           "quality_correlation"]

"""Cumulative advantage in a cultural market: listeners choose songs, seeing how often each
was downloaded (the MusicLab experiment of Salganik, Dodds & Watts 2006, Science 311:854).

ODD summary
-----------
Purpose
    Salganik et al. let 14,341 participants listen to and download 48 unknown songs, in an
    independent world (no information about others' choices) or in one of eight
    social-influence worlds (download counts shown). Social influence made success more
    unequal (a higher Gini coefficient of market shares) and more unpredictable (worlds
    disagreed more about which songs succeeded). The model reproduces the mechanism and
    measures both as the social weight grows.
Entities
    :class:`~sim.models.cumulative_advantage.agents.Song` agents with a quality q_j (chance
    of being downloaded once listened to), an appeal a_j and counts of downloads d_j and
    listens; :class:`~sim.models.cumulative_advantage.agents.Listener` agents with an arrival
    index, the song they listened to and whether they downloaded it. A model is one world.
Process
    At creation the songs' qualities q_j ~ U(quality_low, quality_high) and appeals a_j ~
    U(1 - h, 1 + h) (a_j = 1 when h = 0) are drawn, song by song, unless given; an
    experiment gives all its worlds the same songs. Each ``step`` the next listener arrives,
    picks song j with probability

        P(j) = (a_j + s d_j) / sum_k (a_k + s d_k)                                   (1)

    and downloads it with probability q_j (the two-stage listen/download model of Krumme et
    al. 2012, PLOS ONE 7:e33785, in the form of Abeliuk et al. 2015, PLOS ONE 10:e0121934,
    with a social weight s: s = 1 is their sampling rule without position bias, s = 0 the
    independent world). The model stops after ``n_listeners`` steps. With every q_j = 1,
    (1) is a Polya urn with initial weights a_j / s, so the final downloads are
    Dirichlet-multinomial(n_listeners, a / s): expected shares a_j / sum a for every s and
    variances growing with s; qualities below 1 favour the better songs.
    Outcomes (:mod:`sim.models.cumulative_advantage.metrics`): market shares m_j = d_j /
    sum d; their Gini coefficient; Salganik et al.'s unpredictability U = mean over songs of
    the mean |m_j,w - m_j,w'| over pairs of worlds w, w'; the rank correlation of shares
    with quality.
    Not modelled: several downloads per participant, the list order and position bias of
    MusicLab's second experiment, participants' own tastes.
Parameters (defaults; source)
    ``n_songs`` 48 and ``n_worlds`` 8 (MusicLab); ``n_listeners`` 700 (about 700 per
    world); ``social_weight`` 1 (Abeliuk et al.'s rule); ``quality_low`` 0.2,
    ``quality_high`` 0.8, ``appeal_spread`` 0 (modelling choices: unknown bands look alike
    before listening). Validated by :class:`~sim.models.cumulative_advantage.params.MarketParams`.

The numba kernel (:mod:`sim.models.cumulative_advantage.kernel`) runs the same rules and,
for the same integer seed (and the same songs), the same draws.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.models.base import SeededModel, agent_array
from sim.models.cumulative_advantage.agents import Listener, Song
from sim.models.cumulative_advantage.kernel import Songs, make_songs
from sim.models.cumulative_advantage.metrics import gini, market_shares
from sim.models.cumulative_advantage.params import MarketParams

__all__ = ["CulturalMarket"]


class CulturalMarket(SeededModel):
    """One world of a cultural market; each step one :class:`Listener` arrives.

    Args:
        songs: the songs' qualities and appeals (:class:`Songs`), shared by the worlds of
            an experiment; default: drawn from ``rng`` first (or taken from the params).

    Examples:
        >>> market = CulturalMarket(n_songs=5, n_listeners=50, social_weight=1.0, rng=8)
        >>> market.run_for(50)
        >>> market.running, int(market.listens.sum())
        (False, 50)
    """

    params_schema = MarketParams

    def __init__(self, rng=None, songs: Songs | None = None, **params) -> None:
        super().__init__(rng=rng, **params)
        p = self.params
        songs = make_songs(p, self.rng) if songs is None else songs.checked(p.n_songs)
        self.quality = songs.quality.copy()
        self.appeal = songs.appeal.copy()
        Song.create_agents(self, p.n_songs, index=list(range(p.n_songs)),
                           quality=list(self.quality), appeal=list(self.appeal))
        self.songs = list(self.agents)  # index order
        Listener.create_agents(self, p.n_listeners, index=list(range(p.n_listeners)))
        self.listeners = list(self.agents.select(agent_type=Listener))
        self.arrived = 0
        self.datacollector = mesa.DataCollector(model_reporters={
            "downloads": lambda m: int(m.downloads.sum()),
            "gini": lambda m: float(gini(market_shares(m.downloads))),
            "top_share": lambda m: float(m.downloads.max() / max(1, m.downloads.sum())),
        })

    def step(self) -> None:
        """The next listener arrives and chooses."""
        if self.arrived >= self.params.n_listeners:
            self.running = False
            return
        self.listeners[self.arrived].visit()
        self.arrived += 1
        self.datacollector.collect(self)
        if self.arrived >= self.params.n_listeners:
            self.running = False

    downloads = agent_array("songs", "downloads", np.int64,
                            "Downloads per song, in index order (what the social worlds display).")
    listens = agent_array("songs", "listens", np.int64, "Listens per song, in index order.")

    @property
    def shares(self) -> np.ndarray:
        """Market shares of the downloads."""
        return market_shares(self.downloads)

"""Agents of the cumulative-advantage model: songs, and listeners who choose among them."""

from __future__ import annotations

import mesa

from sim.models.cumulative_advantage.rules import listen

__all__ = ["Song", "Listener"]


class Song(mesa.Agent):
    """A song on offer.

    Attributes:
        index: its place in the market's list (0, 1, ...).
        quality: chance that a listener downloads it after listening.
        appeal: how attractive it looks before listening (weight in the choice).
        downloads: downloads so far (what a social-influence world displays).
        listens: times it was listened to.
    """

    def __init__(self, model, index: int, quality: float, appeal: float) -> None:
        super().__init__(model)
        self.index = index
        self.quality = quality
        self.appeal = appeal
        self.downloads = 0
        self.listens = 0


class Listener(mesa.Agent):
    """A participant who arrives, listens to one song and may download it.

    Attributes:
        index: her place in the arrival order.
        song: index of the song she listened to (-1 before she arrives).
        downloaded: whether she downloaded it.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.song = -1
        self.downloaded = False

    def visit(self) -> None:
        """Pick a song by appeal and (weighted) downloads, listen, download with its
        quality (:func:`sim.models.cumulative_advantage.rules.listen`)."""
        market = self.model
        j, downloaded = listen(market.rng, market.quality, market.appeal, market.downloads,
                               market.params.social_weight)
        song = market.songs[j]
        song.listens += 1
        if downloaded:
            song.downloads += 1
        self.song = int(j)
        self.downloaded = bool(downloaded)

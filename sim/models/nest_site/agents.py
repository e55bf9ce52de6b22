"""Agents of the nest-site selection model: scout bees of a honeybee swarm."""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.models.nest_site.rules import (
    UNCOMMITTED,
    copy_strength,
    decline,
    hears_stop_signal,
    join_strength,
    visit,
)

__all__ = ["Scout", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """The swarm as every scout sees it at the start of a step (synchronous update).

    ``counts`` dancers per site, ``sums`` the sum of their strengths, ``thresholds`` the
    cumulative visit probabilities (see :func:`sim.models.nest_site.rules.visit_thresholds`),
    ``stop`` the chance that a dancer for each site stops on a stop signal, ``starts`` and
    ``roster`` the dancers' advertised strengths site by site (see
    :func:`sim.models.nest_site.rules.dance_roster`; filled only when copying is on).
    """

    counts: np.ndarray
    sums: np.ndarray
    thresholds: np.ndarray
    stop: np.ndarray
    starts: np.ndarray
    roster: np.ndarray


class Scout(mesa.Agent):
    """A scout bee: uncommitted, or dancing for a site with a strength that declines.

    The rules are List, Elsholtz & Seeley's (2009); the arithmetic and the random draws are
    the compiled functions of :mod:`sim.models.nest_site.rules`, which the kernel calls too.

    Attributes:
        index: the scout's position in the swarm (0, 1, ...): scouts act in this order.
        site: the site she dances for, -1 when uncommitted.
        strength: her current dance strength (0 when uncommitted).
        advertised: the strength she started her current dance with, what a copier who
            follows her dances with (0 when uncommitted).
        copied: whether she adopted her site without assessing it.
        joined: the step in which she started her current dance (None when uncommitted).
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.site = UNCOMMITTED
        self.strength = 0.0
        self.advertised = 0.0
        self.copied = False
        self.joined: int | None = None

    @property
    def state(self) -> str:
        """``"uncommitted"`` or ``"dancing"`` (for ``site`` with ``strength``)."""
        return "dancing" if self.site >= 0 else "uncommitted"

    @property
    def activity(self) -> str:
        """What the scout did this step, for display: ``"uncommitted"``, ``"assessed"``
        (visited and assessed her site this step and started dancing), ``"copied"`` (started
        dancing without assessing) or ``"dancing"`` (an earlier dance, declining).

        In List et al.'s time step a visit, its assessment and the first dance fall in the
        same step, so assessing is not a state that lasts.
        """
        if self.site < 0:
            return "uncommitted"
        if self.joined == self.model.steps:
            return "copied" if self.copied else "assessed"
        return "dancing"

    # -- the rules ---------------------------------------------------------------------------

    def act(self, snapshot: Snapshot) -> None:
        """One step: a dancer dances on (weaker); anyone else searches."""
        if self.site >= 0:
            self.dance_on()
        else:
            self.search(snapshot)

    def dance_on(self) -> None:
        """The dance weakens by the swarm's decrement; at 0 she stops."""
        strength, dancing = decline(self.strength, self.model.params.decrement)
        if dancing:
            self.strength = strength
        else:
            self.stop()

    def search(self, snapshot: Snapshot) -> None:
        """Find a site alone or follow a dance (one uniform); then assess it, or copy it
        when recruited (see :func:`~sim.models.nest_site.rules.join_strength`)."""
        model = self.model
        params = model.params
        site, recruited, rank = visit(model.rng, snapshot.thresholds, params.n_sites,
                                      snapshot.counts, float(params.interdependence),
                                      int(params.n_agents))
        if site < 0:
            return
        followed = 0.0
        if recruited and params.copying > 0:
            followed = copy_strength(params.copy_rule, site, rank, snapshot.starts,
                                     snapshot.roster, snapshot.sums, snapshot.counts)
        strength, copied = join_strength(model.rng, recruited, float(params.copying),
                                         model.qualities[site], float(params.noise),
                                         params.noise_shift, followed)
        self.site = site
        self.strength = strength
        self.advertised = strength
        self.copied = copied
        self.joined = model.steps

    def listen(self, snapshot: Snapshot) -> None:
        """Cross-inhibition: a dancer may be stopped by dancers for other sites."""
        if self.site >= 0 and hears_stop_signal(self.model.rng, snapshot.stop[self.site]):
            self.stop()

    def stop(self) -> None:
        """Stop dancing: uncommitted again."""
        self.site = UNCOMMITTED
        self.strength = 0.0
        self.advertised = 0.0
        self.copied = False
        self.joined = None

"""The one parameter schema of the nest-site selection model (defaults, ranges, sources).

The Mesa model, the kernel, configs and the experiments all validate through
:class:`NestSiteParams`; nothing else declares a default.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.config import Strict
from sim.models.nest_site.rules import COPY_RULES

__all__ = ["NestSiteParams", "LIST2009_QUALITIES"]

#: Site qualities of List, Elsholtz & Seeley (2009): five sites, the best worth 10.
LIST2009_QUALITIES = (3.0, 5.0, 7.0, 9.0, 10.0)

#: Slack for the sum of the discovery chances (0.1 * 10 is 0.9999999999999999 in floats).
_SUM_SLACK = 1e-9


class NestSiteParams(Strict):
    """Parameters of a honeybee swarm choosing a nest site (List et al. 2009).

    Defaults are List, Elsholtz & Seeley's (2009) high-reliability, high-interdependence
    swarm: 200 scouts, five sites of quality 3, 5, 7, 9 and 10, each found alone with chance
    0.1 per step, interdependence 0.8, assessment noise 0.2, dances falling by 1 per step,
    300 steps; no copying, no quorum, no stop signals.

    Examples
    --------
    >>> p = NestSiteParams(n_agents=50, qualities=[4, 8], discovery=0.2)
    >>> p.n_sites, p.discovery_array.tolist(), p.best_site
    (2, [0.2, 0.2], 1)
    >>> NestSiteParams(qualities=[3, 5], discovery=[0.1, 0.2, 0.3])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for NestSiteParams
      Value error, discovery has 3 chances but there are 2 sites (qualities); give one ...
        ...
    """

    n_agents: int = Field(200, ge=1, description="scouts (List et al. 2009: 200)")
    qualities: list[float] = Field(
        default_factory=lambda: list(LIST2009_QUALITIES), min_length=1,
        description="quality of each site, positive (List et al. 2009: 3, 5, 7, 9, 10)")
    discovery: float | list[float] = Field(
        0.1, description="pi_j, the chance per step that a non-dancing scout finds site j on "
                         "her own: one number for every site or one per site (List: 0.1)")
    interdependence: float = Field(
        0.8, ge=0, le=1, description="lambda: weight of following dances against searching "
                                     "alone (List: 0 to 1; 0.8 their high interdependence)")
    noise: float = Field(
        0.2, ge=0, description="sigma of the multiplicative log-normal assessment noise "
                               "(List: 0.2 high reliability, 1.0 low reliability)")
    noise_centre: Literal["mean", "median"] = Field(
        "mean", description="what equals the site's quality: the mean of a scout's dance "
                            "strength, q exp(sigma z - sigma^2 / 2) (mean), or its median, "
                            "plain q exp(sigma z) (median: noisier scouts dance longer on "
                            "average); the form List et al. (2009) used could not be checked "
                            "against the paper here")
    decrement: float = Field(
        1.0, ge=0, description="how much a dance's strength falls per step (List: 1; "
                               "0: dances never end)")
    copying: float = Field(
        0.0, ge=0, le=1, description="mu: chance that a recruited scout adopts the site "
                                     "without assessing it (the groupthink knob)")
    copy_strength: Literal["followed_dancer", "mean_current"] = Field(
        "followed_dancer",
        description="what a copier dances with: 'followed_dancer', the advertised (initial) "
                    "strength of the one dancer whose dance recruited her, as a recruit who "
                    "does not assess dances with the strength she observed (List et al. "
                    "2009); 'mean_current', the mean current, already declined strength of "
                    "the site's dancers: an ablation kept because it shows that copying "
                    "decayed dances kills recruitment chains, so consensus fails to form "
                    "at mu = 1 (this project's rule before issue 11)")
    horizon: int = Field(300, ge=1, description="T, steps to simulate (List: 300)")
    quorum: int | None = Field(
        None, ge=1, description="Q: the swarm decides on the first site with at least Q "
                                "dancers (None: no quorum; Seeley & Visscher 2003: 10-15 or "
                                "more scouts at a site)")
    stop_rate: float = Field(
        0.0, ge=0, description="sigma_stop: a dancer for j stops with chance "
                               "min(1, stop_rate * share of scouts dancing for other sites) "
                               "per step (cross-inhibition, Seeley et al. 2012; 0: none)")

    @field_validator("qualities", "discovery", mode="before")
    @classmethod
    def _sequence_as_list(cls, value):
        # tuples and arrays are as good as lists; strict mode would refuse them
        if isinstance(value, (tuple, np.ndarray)):
            return [v.item() if isinstance(v, np.generic) else v for v in value]
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> NestSiteParams:
        for j, q in enumerate(self.qualities):
            if not q > 0:
                raise ValueError(f"qualities must be positive; site {j} has {q:g}")
        chances = self.discovery if isinstance(self.discovery, list) else [self.discovery]
        if isinstance(self.discovery, list) and len(self.discovery) != len(self.qualities):
            raise ValueError(f"discovery has {len(self.discovery)} chances but there are "
                             f"{len(self.qualities)} sites (qualities); give one per site or "
                             "a single number")
        for p in chances:
            if not 0 <= p <= 1:
                raise ValueError(f"discovery chances must lie in [0, 1], got {p:g}")
        total = float(np.sum(self.discovery_array))
        if total > 1 + _SUM_SLACK:
            raise ValueError(f"discovery chances sum to {total:g} over {self.n_sites} sites; "
                             "a scout finds at most one site per step, so the sum must be "
                             "at most 1")
        if self.quorum is not None and self.quorum > self.n_agents:
            raise ValueError(f"quorum ({self.quorum}) cannot exceed n_agents "
                             f"({self.n_agents})")
        return self

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.qualities)

    @property
    def quality_array(self) -> np.ndarray:
        """Qualities as a float array (one per site)."""
        return np.asarray(self.qualities, dtype=np.float64)

    @property
    def discovery_array(self) -> np.ndarray:
        """pi_j as a float array (one per site)."""
        if isinstance(self.discovery, list):
            return np.asarray(self.discovery, dtype=np.float64)
        return np.full(self.n_sites, float(self.discovery))

    @property
    def best_site(self) -> int:
        """Index of the best site (the first one if several share the best quality)."""
        return int(np.argmax(self.quality_array))

    @property
    def best_sites(self) -> np.ndarray:
        """Boolean mask of the sites of the highest quality."""
        q = self.quality_array
        return q == q.max()

    @property
    def noise_shift(self) -> float:
        """The ``shift`` of the assessment ``q exp(sigma z - shift)`` (see ``noise_centre``)."""
        return 0.5 * float(self.noise) ** 2 if self.noise_centre == "mean" else 0.0

    @property
    def copy_rule(self) -> int:
        """``copy_strength`` as the kernels take it (see
        :data:`sim.models.nest_site.rules.COPY_RULES`)."""
        return COPY_RULES[self.copy_strength]

    @property
    def quorum_code(self) -> int:
        """The quorum as the kernels take it (0: none)."""
        return 0 if self.quorum is None else int(self.quorum)

    @property
    def expected_dance_steps(self) -> np.ndarray:
        """Steps an assessing scout dances for each site without noise: ceil(q / decrement)
        (infinite when dances never end)."""
        if self.decrement == 0:
            return np.full(self.n_sites, math.inf)
        return np.ceil(self.quality_array / self.decrement)

"""The one parameter schema of the majority-vote model (defaults, valid ranges, sources).

The Mesa model, the kernel and the experiments all validate through :class:`MajorityParams`;
nothing else declares a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config import Strict

__all__ = ["MajorityParams", "HETEROGENEITY"]

#: Competence distributions, in the order of their integer codes used by the kernel.
HETEROGENEITY = ("none", "beta", "uniform")


class MajorityParams(Strict):
    """Parameters of a jury of ``n_agents`` voters deciding a binary question by majority.

    Defaults: an 11-voter jury of competence 0.6, the textbook Condorcet example (P(majority
    right) = 0.7535).

    Competence of voter i (drawn once per jury, when the model is created):

    - ``heterogeneity="none"``: ``p_i = competence``;
    - ``"beta"``: ``p_i ~ Beta(competence * concentration, (1 - competence) * concentration)``,
      mean ``competence``, variance ``competence (1 - competence) / (concentration + 1)``;
    - ``"uniform"``: ``p_i ~ U(competence - spread, competence + spread)``.

    Correlation (an opinion leader): in each election a leader's signal is right with
    probability ``leader_competence`` (default: ``competence``); each voter independently
    follows the leader with probability ``correlation`` and otherwise votes on her own
    signal, right with probability ``p_i``. With equal competences and the leader as competent
    as the voters, two votes then correlate by exactly ``correlation**2`` (the covariance is
    ``rho**2 q (1 - q)`` for a leader right with probability q).

    Examples
    --------
    >>> MajorityParams(n_agents=3, competence=0.6).heterogeneity
    'none'
    >>> MajorityParams(heterogeneity="uniform", competence=0.9, spread=0.2)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for MajorityParams
      Value error, spread: competence +- spread must stay in [0, 1], got 0.9 +- 0.2 ...
    """

    n_agents: int = Field(11, ge=1, description="voters (odd: no ties; even: a tie is broken "
                                               "by a fair coin)")
    competence: float = Field(0.6, ge=0, le=1, description="mean probability p that a voter "
                                                           "is right (Condorcet 1785)")
    heterogeneity: Literal["none", "beta", "uniform"] = Field(
        "none", description="how voters' competences spread around the mean")
    concentration: float | None = Field(
        None, gt=0, description="beta: a + b of the Beta distribution (larger: less spread)")
    spread: float | None = Field(
        None, ge=0, description="uniform: half-width of the competence range")
    correlation: float = Field(
        0.0, ge=0, le=1, description="rho: chance that a voter follows the opinion leader's "
                                     "signal instead of her own")
    leader_competence: float | None = Field(
        None, ge=0, le=1, description="chance the leader's signal is right (default "
                                      "competence)")

    @model_validator(mode="after")
    def _check_consistency(self) -> MajorityParams:
        if self.heterogeneity != "beta" and self.concentration is not None:
            raise ValueError("concentration: applies only to heterogeneity=beta")
        if self.heterogeneity != "uniform" and self.spread is not None:
            raise ValueError("spread: applies only to heterogeneity=uniform")
        if self.heterogeneity == "beta":
            if self.concentration is None:
                raise ValueError("concentration: required with heterogeneity=beta")
            if not 0.0 < self.competence < 1.0:
                raise ValueError(f"competence: must lie strictly between 0 and 1 with "
                                 f"heterogeneity=beta, got {self.competence:g}")
        if self.heterogeneity == "uniform":
            if self.spread is None:
                raise ValueError("spread: required with heterogeneity=uniform")
            if self.competence - self.spread < 0.0 or self.competence + self.spread > 1.0:
                raise ValueError(f"spread: competence +- spread must stay in [0, 1], got "
                                 f"{self.competence:g} +- {self.spread:g}")
        return self

    @property
    def leader_p(self) -> float:
        """The leader's competence (``competence`` unless given)."""
        return self.competence if self.leader_competence is None else self.leader_competence

    @property
    def competence_codes(self) -> tuple[int, float, float]:
        """(kind, a, b) as the kernel takes them: Beta's (a, b) or the uniform's (low, high)."""
        kind = HETEROGENEITY.index(self.heterogeneity)
        p = self.competence
        if self.heterogeneity == "beta":
            return kind, p * self.concentration, (1.0 - p) * self.concentration
        if self.heterogeneity == "uniform":
            return kind, p - self.spread, p + self.spread
        return kind, p, p

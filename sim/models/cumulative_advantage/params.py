"""The one parameter schema of the cumulative-advantage (MusicLab) model."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.config import Strict

__all__ = ["MarketParams"]


class MarketParams(Strict):
    """Parameters of a cultural market: listeners choose among songs one after the other.

    Defaults follow MusicLab's design (Salganik, Dodds & Watts 2006, Science 311:854): 48
    songs by unknown bands, eight social-influence worlds, about 700 participants per world.
    The song parameters (qualities uniform on [0.2, 0.8], equal appeals) are a modelling
    choice, not estimates.

    Examples
    --------
    >>> MarketParams(social_weight=0.5).n_songs
    48
    >>> MarketParams(n_songs=2, qualities=[0.5, 0.7, 0.9])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for MarketParams
      Value error, qualities: expected n_songs = 2 values, got 3 [type=value_error, ...
    """

    n_songs: int = Field(48, ge=2, description="songs on offer (MusicLab: 48)")
    n_listeners: int = Field(700, ge=1, description="listeners arriving in turn in one world "
                                                    "(MusicLab: about 700 per world)")
    social_weight: float = Field(
        1.0, ge=0, description="s: weight of one download against one unit of appeal in "
                               "the choice of what to listen to (0: independent world)")
    quality_low: float = Field(0.2, ge=0, le=1, description="lowest song quality (chance "
                                                            "of downloading after listening)")
    quality_high: float = Field(0.8, ge=0, le=1, description="highest song quality")
    appeal_spread: float = Field(
        0.0, ge=0, lt=1, description="h: appeals drawn from U(1 - h, 1 + h) (0: all equal "
                                     "to 1, the bands are unknown)")
    qualities: list[float] | None = Field(
        None, description="given qualities, one per song, each in [0, 1] (default: drawn)")
    appeals: list[float] | None = Field(
        None, description="given appeals, one per song, each > 0 (default: drawn or 1)")
    n_worlds: int = Field(8, ge=2, description="worlds per condition in an experiment "
                                               "(MusicLab: 8 social-influence worlds)")

    @model_validator(mode="after")
    def _check_consistency(self) -> MarketParams:
        if self.quality_low > self.quality_high:
            raise ValueError(f"quality_low: must not exceed quality_high ({self.quality_low:g}"
                             f" > {self.quality_high:g})")
        given = self.model_fields_set
        if self.qualities is not None:
            if len(self.qualities) != self.n_songs:
                raise ValueError(f"qualities: expected n_songs = {self.n_songs} values, got "
                                 f"{len(self.qualities)}")
            if not all(0.0 <= q <= 1.0 for q in self.qualities):
                raise ValueError("qualities: each must lie in [0, 1]")
            for name in ("quality_low", "quality_high"):
                if name in given:
                    raise ValueError(f"{name}: not used when qualities are given")
        if self.appeals is not None:
            if len(self.appeals) != self.n_songs:
                raise ValueError(f"appeals: expected n_songs = {self.n_songs} values, got "
                                 f"{len(self.appeals)}")
            if not all(a > 0.0 for a in self.appeals):
                raise ValueError("appeals: each must be positive")
            if "appeal_spread" in given:
                raise ValueError("appeal_spread: not used when appeals are given")
        return self

    @property
    def draws_qualities(self) -> bool:
        """Whether song qualities are drawn from the generator."""
        return self.qualities is None

    @property
    def draws_appeals(self) -> bool:
        """Whether song appeals are drawn from the generator."""
        return self.appeals is None and self.appeal_spread > 0.0

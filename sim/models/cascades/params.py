"""The one parameter schema of the information-cascade model (defaults, valid ranges,
sources)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.config import Strict

__all__ = ["CascadeParams", "TIE_RULES"]

#: What an indifferent agent does, in the order of the kernel's codes.
TIE_RULES = ("coin", "own_signal")


class CascadeParams(Strict):
    """Parameters of a sequence of agents choosing to adopt or reject (Bikhchandani,
    Hirshleifer & Welch 1992, JPE 100:992).

    Examples
    --------
    >>> CascadeParams(precision=0.8).tie_rule
    'coin'
    >>> CascadeParams(precision=0.5)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for CascadeParams
    precision
      Input should be greater than 0.5 [type=greater_than, input_value=0.5, input_type=float]
        ...
    """

    n_agents: int = Field(100, ge=1, description="agents choosing one after the other")
    precision: float = Field(0.6, gt=0.5, le=1,
                             description="p: chance that a private signal equals the true "
                                         "state (BHW's signal accuracy)")
    tie_rule: Literal["coin", "own_signal"] = Field(
        "coin", description="an indifferent agent flips a fair coin (BHW 1992) or follows "
                            "her own signal")

    @property
    def coin_ties(self) -> bool:
        """Whether indifferent agents flip a coin (the kernel's flag)."""
        return self.tie_rule == "coin"

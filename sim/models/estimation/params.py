"""The one parameter schema of the estimation model (defaults, valid ranges, sources).

The Mesa model, the kernel, configs and the CLI all validate through
:class:`EstimationParams`; nothing else declares a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.beliefs import MULTIPLICATIVE_FAMILIES, family_code

__all__ = ["EstimationParams", "GALTON_NORMAL_SD"]

#: Galton's (1907) probable error of 37 lb read as a normal standard deviation (37 / 0.6745).
GALTON_NORMAL_SD = 37.0 / 0.6744897501960817


class EstimationParams(BaseModel):
    """Parameters of a crowd estimating one quantity.

    Defaults describe Galton's (1907) fair-goers read as an unbiased normal crowd: 787 valid
    tickets, dressed weight 1198 lb, probable error 37 lb.

    Examples
    --------
    >>> p = EstimationParams(n_agents=12, noise="lognormal", noise_scale=0.5, truth=100.0)
    >>> p.centre
    100.0
    >>> EstimationParams(n_agents=0)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for EstimationParams
    n_agents
      Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]
        ...
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)

    n_agents: int = Field(787, ge=1, description="crowd size (Galton 1907: 787 valid tickets)")
    truth: float = Field(1198.0, description="the true value (Galton 1907: 1198 lb)")
    noise: Literal["normal", "lognormal", "split_normal", "log_cauchy"] = Field(
        "normal", description="noise family of private estimates (see sim.beliefs)")
    noise_scale: float = Field(
        GALTON_NORMAL_SD, ge=0,
        description="SD of the error (normal), of ln-error (lognormal), scale of ln-error "
                    "(log_cauchy); default Galton's p.e. 37 lb as a normal SD")
    noise_scale_below: float | None = Field(
        None, ge=0, description="split_normal: SD below the centre (default noise_scale)")
    noise_scale_above: float | None = Field(
        None, ge=0, description="split_normal: SD above the centre (default noise_scale)")
    bias_shift: float = Field(0.0, description="crowd-wide additive shift of the centre")
    bias_factor: float = Field(1.0, gt=0, description="crowd-wide factor on the truth")
    expertise_spread: float = Field(
        0.0, ge=0, description="SD of ln of each agent's noise-scale multiplier (0: all alike)")
    correlation: float = Field(
        0.0, ge=0, le=1, description="share rho of the error common to the agent's group")
    n_groups: int = Field(1, ge=1, description="groups sharing a common error (1: whole crowd)")

    @model_validator(mode="after")
    def _check_consistency(self) -> EstimationParams:
        if self.noise != "split_normal":
            for name in ("noise_scale_below", "noise_scale_above"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to noise=split_normal, "
                                     f"not noise={self.noise}")
        if self.noise in MULTIPLICATIVE_FAMILIES and not self.centre > 0:
            raise ValueError(f"noise={self.noise} is multiplicative and needs a positive centre "
                             f"(truth * bias_factor + bias_shift), got {self.centre:g}")
        if self.n_groups > self.n_agents:
            raise ValueError(f"n_groups ({self.n_groups}) cannot exceed n_agents ({self.n_agents})")
        return self

    @property
    def centre(self) -> float:
        """Where the crowd's errors are centred: the truth moved by the crowd's bias."""
        return self.truth * self.bias_factor + self.bias_shift

    @property
    def scale_below(self) -> float:
        """Noise scale applied to negative standardised errors."""
        return self.noise_scale if self.noise_scale_below is None else self.noise_scale_below

    @property
    def scale_above(self) -> float:
        """Noise scale applied to non-negative standardised errors."""
        return self.noise_scale if self.noise_scale_above is None else self.noise_scale_above

    @property
    def family_code(self) -> int:
        """Integer code of the noise family for the kernels."""
        return family_code(self.noise)

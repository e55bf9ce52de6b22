"""Agents of the estimation model: fair-goers with noisy private beliefs."""

from __future__ import annotations

import math

import mesa

from sim.beliefs import apply_noise, combine_errors, expertise_multiplier, standard_error

__all__ = ["Estimator"]


class Estimator(mesa.Agent):
    """An agent holding a private, noisy estimate of the model's true value.

    Attributes:
        group: index of the group whose common error the agent shares.
        noise_multiplier: the agent's noise scale relative to the crowd's (expertise;
            smaller is more expert). Its precision weight is ``1 / noise_multiplier**2``.
        estimate: the agent's current estimate.
    """

    def __init__(self, model: mesa.Model, group: int = 0) -> None:
        super().__init__(model)
        self.group = group
        self.noise_multiplier = 1.0
        self.estimate = math.nan

    def form_private_belief(self) -> None:
        """Draw expertise, then an error, and estimate the truth (see :mod:`sim.beliefs`).

        Draw order (shared with the kernel): the expertise multiplier (only when the spread is
        positive), then the agent's own standardised error.
        """
        params = self.model.params
        rng = self.model.rng
        family = params.family_code
        self.noise_multiplier = expertise_multiplier(rng, params.expertise_spread)
        own_error = standard_error(rng, family)
        error = combine_errors(self.model.common_errors[self.group], own_error,
                               params.correlation, family)
        self.estimate = apply_noise(params.centre, error, params.scale_below,
                                    params.scale_above, self.noise_multiplier, family)

    @property
    def precision_weight(self) -> float:
        """Weight of this agent's estimate in a precision-weighted mean."""
        return 1.0 / self.noise_multiplier**2

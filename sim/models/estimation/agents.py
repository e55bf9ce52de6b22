"""Agents of the estimation model: people with noisy private beliefs who may listen to others.

The arithmetic and the random draws are the compiled functions of
:mod:`sim.models.estimation.beliefs` and :mod:`sim.models.estimation.rules`, which the kernel
calls too; the agents read the parameters as the model's
:class:`~sim.models.estimation.params.RuleSettings` (``model.settings``).
"""

from __future__ import annotations

import math

import numpy as np
from mesa.discrete_space import FixedAgent

from sim.models.estimation.beliefs import (
    apply_noise,
    combine_errors,
    expertise_multiplier,
    standard_error,
)
from sim.models.estimation.rules import agent_signal, drift_agent, meet, revise_agent, to_space

__all__ = ["Estimator"]

_NO_NEIGHBOURS = np.empty(0, dtype=np.int64)


class Estimator(FixedAgent):
    """An agent holding a private, noisy estimate of the model's true value.

    When the crowd has a network the agent sits in a cell of Mesa's network space and sees
    its neighbours through ``self.cell.neighborhood``.

    Attributes:
        index: the agent's position in the crowd (0, 1, ...): influencers come first, and
            sequential answering follows this order.
        group: index of the group whose common error the agent shares.
        noise_multiplier: the agent's noise scale relative to the crowd's (expertise;
            smaller is more expert). Its precision weight is ``1 / noise_multiplier**2``.
        estimate: the agent's current estimate.
        social_weight: how far the agent moves towards what it sees (0: stubborn).
        influence: the weight of the agent's estimate in others' means (influencers > 1).
        first_estimate: the agent's first answer (round 0, after any influencer's
            announcement), the anchor of ``anchoring``.
    """

    def __init__(self, model, index: int, group: int = 0) -> None:
        super().__init__(model)
        self.index = index
        self.group = group
        self.noise_multiplier = 1.0
        self.estimate = math.nan
        self.social_weight = 0.0
        self.influence = 1.0
        self.first_estimate = math.nan
        self._next_estimate = math.nan

    # -- private belief (beliefs.py) ------------------------------------------------------

    def form_private_belief(self) -> None:
        """Draw expertise, then an error, and estimate the truth (see
        :mod:`sim.models.estimation.beliefs`).

        Draw order (shared with the kernel): the expertise multiplier (only when the spread is
        positive), then the agent's own standardised error.
        """
        settings = self.model.settings
        rng = self.model.rng
        family = settings.family
        self.noise_multiplier = expertise_multiplier(rng, settings.expertise_spread)
        own_error = standard_error(rng, family)
        error = combine_errors(self.model.common_errors[self.group], own_error,
                               settings.correlation, family)
        self.estimate = apply_noise(settings.centre, error, settings.scale_below,
                                    settings.scale_above, self.noise_multiplier, family)

    @property
    def precision_weight(self) -> float:
        """Weight of this agent's estimate in a precision-weighted mean."""
        return 1.0 / self.noise_multiplier**2

    # -- social influence (rules.py) ------------------------------------------------------

    @property
    def neighbour_indices(self) -> np.ndarray:
        """Indices of the agent's network neighbours, sorted (empty without a network)."""
        if self.cell is None:
            return _NO_NEIGHBOURS
        return np.array(sorted(a.index for a in self.cell.neighborhood.agents), dtype=np.int64)

    def what_i_see(self, board, answered: int | None = None):
        """The signal this agent sees on the model's board of estimates: (value, found).

        ``answered`` limits the view to the first agents when answering in turn.
        """
        settings = self.model.settings
        stop = len(board.x) if answered is None else answered
        return agent_signal(self.index, settings.information, settings.signal,
                            settings.shown_signal, settings.log_space, settings.epsilon,
                            board.x, board.y, board.influence, board.totals, board.sorted_x,
                            self.neighbour_indices, settings.reach_all,
                            settings.n_influencers, stop)

    def _revised(self, board, signal: float, found: bool) -> float:
        """:func:`~sim.models.estimation.rules.revise_agent` towards ``signal`` in the
        model's current round."""
        s = self.model.settings
        return revise_agent(self.estimate, board.y[self.index], signal, found,
                            self.social_weight, self.model.round >= 2, self.first_estimate,
                            s.later_weight_factor, s.distance_scale, s.asymmetry, s.anchoring,
                            s.log_space)

    def plan_revision(self, board) -> None:
        """Synchronous rounds: decide the next estimate from the previous round's board."""
        signal, found = self.what_i_see(board)
        self._next_estimate = self._revised(board, signal, found)

    def commit_revision(self) -> None:
        """Synchronous rounds: everybody adopts their planned estimate at once."""
        self.estimate = self._next_estimate

    def answer_in_turn(self, board) -> None:
        """Sequential answering: revise towards the answers given before mine, then post
        mine on the board."""
        log_space = self.model.settings.log_space
        signal, found = self.what_i_see(board, answered=self.index)
        self.estimate = self._revised(board, signal, found)
        board.x[self.index] = self.estimate
        board.y[self.index] = to_space(self.estimate, log_space)

    def drift(self) -> None:
        """A round without social information: move towards the truth by ``drift``, plus
        ``drift_noise`` times a standard normal (see
        :func:`~sim.models.estimation.rules.drift_agent`); a biased influencer draws all the
        same and keeps its value."""
        s = self.model.settings
        moves = not (s.biased_influencers and self.index < s.n_influencers)
        self.estimate = drift_agent(self.model.rng, self.estimate, self.first_estimate,
                                    self.model.truth, s.drift, s.drift_noise, s.anchoring,
                                    s.log_space, moves)

    def meet(self, other: Estimator) -> None:
        """A Deffuant meeting: both move towards each other if close enough."""
        settings = self.model.settings
        self.estimate, other.estimate = meet(self.estimate, other.estimate,
                                             self.social_weight, other.social_weight,
                                             settings.log_space, settings.epsilon)

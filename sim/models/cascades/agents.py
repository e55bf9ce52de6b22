"""Agents of the information-cascade model: people who choose in turn, seeing earlier
choices."""

from __future__ import annotations

import mesa

from sim.models.cascades.rules import decide, draw_signal, in_cascade, update_public

__all__ = ["Chooser"]


class Chooser(mesa.Agent):
    """An agent who adopts (1) or rejects (0) after seeing all earlier agents' actions.

    Attributes:
        index: her place in the sequence (0 acts first).
        signal: her private signal (1 high, 0 low; -1 before she acts).
        action: her action (1 adopt, 0 reject; -1 before she acts).
        public_state: what the earlier actions told her: adopt minus reject actions before a
            cascade began (|d| >= 2: she was in a cascade).
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.signal = -1
        self.action = -1
        self.public_state = 0

    @property
    def in_cascade(self) -> bool:
        """Whether she acted in a cascade (her signal could not change her action)."""
        return self.action >= 0 and bool(in_cascade(self.public_state))

    def read_history(self, actions) -> int:
        """The public state from the earlier agents' actions (the counting rule)."""
        d = 0
        for action in actions:
            d = update_public(d, action)
        return int(d)

    def act(self) -> None:
        """Receive a private signal, read the earlier actions, take the Bayesian action."""
        model = self.model
        self.signal = int(draw_signal(model.rng, model.state, model.params.precision))
        self.public_state = self.read_history(model.actions)
        self.action = int(decide(model.rng, self.public_state, self.signal,
                                 model.params.coin_ties))
        model.actions.append(self.action)

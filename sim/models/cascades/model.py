"""Information cascades: agents choose one after the other, each with a private signal and
the earlier agents' actions in view (Bikhchandani, Hirshleifer & Welch 1992, JPE 100:992).

ODD summary
-----------
Purpose
    Show how rational imitation makes a crowd herd on the wrong choice: once the public
    evidence outweighs any single signal, everybody imitates (a cascade) and private
    information stops being aggregated. With signals of precision p, the chance that the
    sequence ends in the wrong cascade tends to

        P(wrong) = (1 - p)(2 - p) / [2 (1 - p + p^2)]                                  (1)

    (0.368 at p = 0.6, 0.143 at p = 0.8; BHW 1992, section II with indifferent agents
    flipping a coin).
Entities
    :class:`~sim.models.cascades.agents.Chooser` agents with an index (their place in the
    sequence), a private signal, an action (adopt 1 / reject 0) and the public state they
    read from the earlier actions. The model holds the true state V and the list of actions
    taken so far.
Process
    At creation V is drawn (1 or 0, equally likely). Each ``step`` the next agent acts: she
    receives a signal equal to V with probability p, reads all earlier actions and takes the
    Bayesian action, which is the counting rule of :mod:`sim.models.cascades.rules`: with d
    the adopt-minus-reject count of the actions before a cascade, she follows the sign of
    d + s (s = +1 for a high, -1 for a low signal); at d + s = 0 she is indifferent and
    flips a fair coin (BHW's convention; ``tie_rule="own_signal"``: she follows her signal);
    at |d| = 2 a cascade has begun and she imitates. The model stops after ``n_agents``
    steps. Which tie rule gives (1): agents come in pairs from d = 0; a pair ends in the
    wrong cascade with probability (1 - p)(2 - p) / 2 under coin ties (first agent's low
    signal, (1 - p); second agent rejects on a low signal or on a high one with the coin,
    (1 - p) + p / 2) and in the right one with p (1 + p) / 2, so P(wrong) =
    (1 - p)(2 - p) / [(1 - p)(2 - p) + p (1 + p)] = (1). Own-signal ties give
    (1 - p)^2 / [p^2 + (1 - p)^2] instead (0.308 at p = 0.6). Finite-n and start-time
    formulas: :mod:`sim.models.cascades.theory`.
Parameters (defaults; source)
    ``n_agents`` 100 (long enough for (1): no cascade after 100 agents has probability
    (p - p^2)^50 < 1e-30 at p = 0.6), ``precision`` 0.6 (BHW's example values 0.6 and 0.8
    are the checks above), ``tie_rule`` "coin" (BHW 1992). Validated by
    :class:`~sim.models.cascades.params.CascadeParams`.

The numba kernel (:mod:`sim.models.cascades.kernel`) runs the same rules and, for the same
integer seed, the same draws.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.models.base import SeededModel
from sim.models.cascades.agents import Chooser
from sim.models.cascades.params import CascadeParams
from sim.models.cascades.rules import draw_state, in_cascade, update_public

__all__ = ["InformationCascade"]


class InformationCascade(SeededModel):
    """A sequence of :class:`Chooser` agents; each step the next one acts.

    Examples:
        >>> model = InformationCascade(n_agents=20, precision=0.7, rng=2)
        >>> model.run_for(20)
        >>> model.running, model.actions_array.shape
        (False, (20,))
        >>> model.cascade in (-1, 0, 1)
        True
    """

    params_schema = CascadeParams

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng, **params)
        self.state = int(draw_state(self.rng))
        Chooser.create_agents(self, self.params.n_agents,
                              index=list(range(self.params.n_agents)))
        self.sequence = list(self.agents)  # index order: agents are created in order
        self.actions: list[int] = []
        self.datacollector = mesa.DataCollector(model_reporters={
            "adopted": lambda m: sum(m.actions),
            "public_state": "public_state",
            "in_cascade": lambda m: bool(in_cascade(m.public_state)),
        })

    def step(self) -> None:
        """The next agent in the sequence acts."""
        if len(self.actions) >= self.params.n_agents:
            self.running = False
            return
        self.sequence[len(self.actions)].act()
        self.datacollector.collect(self)
        if len(self.actions) >= self.params.n_agents:
            self.running = False

    @property
    def public_state(self) -> int:
        """Adopt minus reject actions before the cascade (|d| >= 2: in a cascade)."""
        d = 0
        for action in self.actions:
            d = update_public(d, action)
        return int(d)

    @property
    def cascade(self) -> int:
        """+1 in an adopt cascade, -1 in a reject cascade, 0 in none (so far)."""
        d = self.public_state
        return 0 if not in_cascade(d) else (1 if d > 0 else -1)

    @property
    def cascade_start(self) -> int:
        """Agents who acted before the cascade began (-1: no cascade so far)."""
        d = 0
        for i, action in enumerate(self.actions):
            d = update_public(d, action)
            if in_cascade(d):
                return i + 1
        return -1

    @property
    def wrong_cascade(self) -> bool:
        """Whether the sequence is in the cascade on the wrong action."""
        c = self.cascade
        return (c == 1 and self.state == 0) or (c == -1 and self.state == 1)

    @property
    def actions_array(self) -> np.ndarray:
        """Actions so far (1 adopt, 0 reject), in order."""
        return np.array(self.actions, dtype=np.int8)

    @property
    def signals(self) -> np.ndarray:
        """Signals of the agents who acted, in order."""
        return np.array([a.signal for a in self.sequence[:len(self.actions)]], dtype=np.int8)

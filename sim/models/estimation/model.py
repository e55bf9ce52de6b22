"""Crowd estimation: agents with noisy private beliefs estimate one true value, then may
revise their estimates under social influence.

ODD summary
-----------
Purpose
    Study when the aggregate of many noisy estimates is close to the truth (the wisdom of
    crowds; Galton 1907, Nature 75:450) and how social influence changes that: whether
    crowds stay wise or fall into groupthink (Lorenz et al. 2011, PNAS 108:9020; Becker,
    Brackbill & Centola 2017, PNAS 114:E5070).
Entities
    :class:`~sim.models.estimation.agents.Estimator` agents, each with an index, a group, a
    noise multiplier (expertise), an estimate, a social weight and an influence weight;
    optionally placed on a network (Mesa's network space). The model holds the truth, the
    crowd-wide bias and the board of estimates agents can see.
Process
    At creation: the network (if any) is built from the model's generator, one common error
    per group is drawn (only when ``correlation > 0``), each agent in index order forms its
    private belief (:mod:`sim.models.estimation.beliefs`: ``truth * bias_factor +
    bias_shift`` plus an error of the noise family, scaled by the agent's expertise), biased
    influencers announce their value, and the social weights are drawn
    (:func:`~sim.models.estimation.rules.draw_social_weights`). Each ``step`` is one round of
    influence (:mod:`sim.models.estimation.rules`), in which an agent revises
    ``y <- (1 - w) y + w s`` towards what it sees, ``s``, with ``y`` its estimate or its
    logarithm (DeGroot 1974, JASA 69:118; Becker et al. 2017, eq. 1; log space as in Lorenz
    et al. 2011): synchronous revision towards the aggregate, everyone's or the network
    neighbours' mean of the previous round (``rule="average"``; with a ``confidence_bound``
    only estimates within it count, Hegselmann & Krause 2002, JASSS 5(3); with
    ``signal_space="shown"`` the ``signal`` aggregate of the seen answers as plain numbers,
    taken into revision space), n/2 random
    pairwise meetings (``"deffuant"``; Deffuant et al. 2000, ACS 3:87), or one pass of
    answering in index order (``"sequential"``, herding in continuous form after
    Bikhchandani, Hirshleifer & Welch 1992). An agent's effective weight in a round is
    ``w_i`` times ``later_weight_factor`` in rounds r >= 2, times ``1 - exp(-|s - y| /
    distance_scale)``, times ``1 + asymmetry`` (signal above) or ``1 - asymmetry`` (below),
    clipped to [0, 1]; after revising it is pulled back to its first answer ``y0``: ``y <-
    (1 - anchoring) y + anchoring y0`` (:func:`~sim.models.estimation.rules.revise_agent`).
    Under ``information="none"`` a step gives every agent in index order a fresh answer
    around its first one, ``y <- y_1 + drift (truth - y_1) + drift_noise z`` (revision
    space, ``z`` standard normal; rounds do not compound), then anchoring.
    With ``initial_estimates`` the first answers are observed values instead of private
    beliefs (no belief draws; noise multipliers 1). The DataCollector records the crowd's
    aggregates and errors, and each agent's estimate (``get_agent_vars_dataframe()``),
    after creation and every step. The model stops
    (``running = False``) after ``rounds`` steps.
Parameters (defaults; source)
    ``n_agents`` 787 (Galton 1907, valid tickets); ``truth`` 1198 lb (Galton 1907);
    ``noise`` "normal" with ``noise_scale`` 54.86 (Galton's probable error 37 lb / 0.6745);
    ``noise_scale_below``/``noise_scale_above`` for the split normal (Galton's reading of the
    ballots: p.e. 45 and 29 lb); "lognormal" (Lorenz et al. 2011) and "log_cauchy" (Jayles
    et al. 2017, PNAS 114:12620) for multiplicative errors; ``bias_shift`` 0,
    ``bias_factor`` 1; ``expertise_spread`` 0; ``correlation`` 0 and ``n_groups`` 1;
    ``rounds`` 0 (Lorenz et al. 2011: 4; Becker et al. 2017: 2); ``information`` "none";
    ``signal`` "mean" (the aggregate shown under "aggregate"); ``signal_space`` "revision"
    (under "full" or "neighbours" the signal is the influence-weighted mean of the seen
    estimates in revision space; "shown": the ``signal`` aggregate - mean, median or
    geometric mean - of the seen answers as plain numbers, as an experimenter's screen shows
    them, then taken into revision space like the aggregate condition's; Becker et al. 2017
    showed each person the arithmetic mean of their network neighbours' answers; the
    confidence bound still selects answers in revision space, influence weights weigh the
    mean and geometric mean, the median is unweighted; not with Deffuant meetings);
    ``social_weight`` 0.3 (weight of advice, Yaniv 2004, OBHDP 93:1); ``weight_mode``
    "constant" ("accuracy": Becker et al. 2017); ``rule`` "average" (DeGroot 1974);
    ``confidence_bound`` None (Hegselmann & Krause 2002); no influencers;
    ``weight_mode`` "beta" draws ``w_i ~ Beta`` with mean ``social_weight`` and SD
    ``weight_spread * sqrt(m (1 - m))`` (weights of advice differ widely between people:
    Soll & Larrick 2009, JEP:LMC 35:780); "accuracy" ranks agents by their distance to the
    truth in revision space; ``later_weight_factor`` 1.0 (Lorenz et al. 2011's data: first
    revision weight about 0.58, later 0.14-0.27; Mavrodiev, Tessone & Schweitzer 2013, Sci.
    Rep. 3:1360); ``anchoring`` 0.0 (Friedkin & Johnsen 1990, J. Math. Sociol. 15:193);
    ``distance_scale`` None (revision grows with the distance to the signal: Moussaid et al.
    2013, PLoS ONE 8:e78433; Becker et al. 2017, rho = 0.41); ``asymmetry`` 0.0 (Jayles et
    al. 2017, PNAS 114:12620); ``drift`` 0.0 and ``drift_noise`` 0.0 (second estimates
    without social information differ and are a little better: Vul & Pashler 2008, Psych.
    Sci. 19:645; Herzog & Hertwig 2009, Psych. Sci. 20:231). Deffuant meetings take none of
    the revision options; drift needs ``information="none"``. All validated by
    :class:`~sim.models.estimation.params.EstimationParams`.

The numba kernel (:mod:`sim.models.estimation.kernel`) runs the same rules over arrays and,
given the same integer seed, produces identical trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim import aggregate, metrics
from sim.models.base import SeededModel
from sim.models.estimation.agents import Estimator
from sim.models.estimation.beliefs import group_of, standard_error
from sim.models.estimation.params import EstimationParams
from sim.models.estimation.rules import (
    NO_INFO,
    RULE_AVERAGE,
    RULE_DEFFUANT,
    accuracy_errors,
    board_totals,
    draw_pair,
    draw_social_weights,
    to_space_array,
)
from sim.networks import build as build_network
from sim.networks import empty as empty_network
from sim.networks import to_networkx

__all__ = ["CrowdEstimation", "Board"]


@dataclass
class Board:
    """The estimates agents can see in a round, as the experimenter would show them.

    ``x`` estimates in index order, ``y`` the same in revision space, ``influence`` each
    agent's weight in others' means, ``totals`` (sum w x, sum w, sum w ln x) and ``sorted_x``
    (for a median signal).
    """

    x: np.ndarray
    y: np.ndarray
    influence: np.ndarray
    totals: np.ndarray
    sorted_x: np.ndarray


class CrowdEstimation(SeededModel):
    """A crowd of :class:`Estimator` agents estimating ``truth``.

    Args:
        rng: seed (int) or generator; with an int seed the draws equal the kernel's for the
            same seed (see :func:`sim.models.estimation.kernel.simulate_crowds`).
        initial_estimates: observed first answers, array (n_agents,), used instead of drawn
            private beliefs (no private-belief draws; noise multipliers 1.0); finite, and
            positive in log space.
        **params: the parameters of :class:`EstimationParams` (validated there).

    Examples:
        >>> model = CrowdEstimation(n_agents=100, truth=50.0, noise_scale=5.0, rng=1)
        >>> model.estimates.shape
        (100,)
        >>> model.run_for(1)
        >>> df = model.datacollector.get_model_vars_dataframe()
        >>> list(df.columns[:3])
        ['mean', 'median', 'error_of_mean']
    """

    params_schema = EstimationParams

    def __init__(self, rng=None, initial_estimates=None, **params) -> None:
        super().__init__(rng=rng, **params)
        self.settings = self.params.rule_settings()
        p = self.params
        starts = (None if initial_estimates is None
                  else p.check_initial_estimates(initial_estimates))
        self.truth = p.truth
        self.round = 0  # the current round of influence (0: the first answers)
        self.graph = build_network(p.network, p.n_agents, self.rng) or empty_network(p.n_agents)
        self.network = (Network(to_networkx(self.graph), layout=None, random=self.random)
                        if p.network.kind != "none" else None)
        Estimator.create_agents(
            self, p.n_agents, index=list(range(p.n_agents)),
            group=[group_of(i, p.n_agents, p.n_groups) for i in range(p.n_agents)])
        self.crowd = list(self.agents)  # index order: agents are created in order
        if self.network is not None:
            for agent in self.crowd:
                agent.cell = self.network[agent.index]
        if starts is None:
            self.common_errors = self._draw_common_errors()
            self.agents.do("form_private_belief")
        else:
            self.common_errors = np.zeros(p.n_groups)
            for agent, start in zip(self.crowd, starts):
                agent.estimate = float(start)
        self._prepare_influence()
        self.datacollector = mesa.DataCollector(model_reporters={
            "mean": lambda m: float(aggregate.mean(m.estimates)),
            "median": lambda m: float(aggregate.median(m.estimates)),
            "error_of_mean": lambda m: float(metrics.collective_error(
                aggregate.mean(m.estimates), m.truth, "absolute")),
            "error_of_median": lambda m: float(metrics.collective_error(
                aggregate.median(m.estimates), m.truth, "absolute")),
            "mean_individual_error": lambda m: float(metrics.mean_individual_error(
                m.estimates, m.truth, "absolute")),
            "diversity": lambda m: float(metrics.diversity(m.estimates)),
        }, agent_reporters={"estimate": "estimate"})  # each agent's estimate, every round
        self.datacollector.collect(self)

    def _prepare_influence(self) -> None:
        """Influencers' announced values, then everybody's social and influence weights."""
        settings = self.settings
        influencers = self.crowd[:settings.n_influencers]
        for agent in influencers:
            agent.influence = settings.influencer_weight
            if settings.biased_influencers:
                agent.estimate = settings.influencer_estimate
        for agent in self.crowd:
            agent.first_estimate = agent.estimate
        social_weights = np.empty(self.params.n_agents)
        draw_social_weights(self.rng, settings.weight_mode, settings.social_weight,
                            settings.weight_spread, settings.stubborn_share,
                            accuracy_errors(self.estimates, settings.truth, settings.log_space),
                            social_weights)
        for agent, social_weight in zip(self.crowd, social_weights):
            agent.social_weight = float(social_weight)
        if settings.biased_influencers:
            for agent in influencers:
                agent.social_weight = 0.0  # a biased influencer keeps advocating its value

    def board(self) -> Board:
        """The current estimates as the agents see them."""
        settings = self.settings
        x = self.estimates
        influence = np.array([a.influence for a in self.crowd])
        totals, sorted_x = board_totals(x, influence, settings.signal)
        return Board(x=x, y=to_space_array(x, settings.log_space), influence=influence,
                     totals=totals, sorted_x=sorted_x)

    def _draw_common_errors(self) -> np.ndarray:
        """One standardised error per group, shared by its members (none when rho = 0)."""
        common = np.zeros(self.params.n_groups)
        if self.params.correlation > 0:
            for g in range(self.params.n_groups):
                common[g] = standard_error(self.rng, self.settings.family)
        return common

    @property
    def estimates(self) -> np.ndarray:
        """The agents' current estimates, in index order."""
        return np.array([a.estimate for a in self.crowd], dtype=float)

    @property
    def noise_multipliers(self) -> np.ndarray:
        """The agents' noise-scale multipliers, in index order."""
        return np.array([a.noise_multiplier for a in self.crowd], dtype=float)

    @property
    def social_weights(self) -> np.ndarray:
        """The agents' social weights, in index order."""
        return np.array([a.social_weight for a in self.crowd], dtype=float)

    def step(self) -> None:
        """One round of social influence, then record the crowd's aggregates and errors."""
        settings = self.settings
        self.round += 1
        if settings.information == NO_INFO:
            if settings.drift > 0 or settings.drift_noise > 0:
                for agent in self.crowd:  # in index order: one normal each with drift_noise
                    agent.drift()
        else:
            if settings.rule == RULE_AVERAGE:
                board = self.board()
                for agent in self.crowd:
                    agent.plan_revision(board)
                for agent in self.crowd:
                    agent.commit_revision()
            elif settings.rule == RULE_DEFFUANT:
                for _ in range(self.params.n_agents // 2):
                    i, j = draw_pair(self.rng, self.params.n_agents, settings.information,
                                     self.graph.indptr, self.graph.indices)
                    if i < 0:
                        break
                    self.crowd[i].meet(self.crowd[j])
            else:
                board = self.board()
                for agent in self.crowd:  # in index order: each sees the earlier answers
                    agent.answer_in_turn(board)
        self.datacollector.collect(self)
        if self.steps >= settings.rounds:
            self.running = False

"""Nest-site selection by a honeybee swarm: scouts find, assess and advertise candidate
sites with waggle dances until the swarm agrees on one.

ODD summary
-----------
Purpose
    Study how a swarm picks the best of several nest sites although no bee compares them:
    the interplay of independence (each scout assesses a site herself) and interdependence
    (scouts follow dances) that List, Elsholtz & Seeley (2009, Phil Trans R Soc B 364:755)
    showed to be behind the swarm's reliability; how copying without assessing (groupthink),
    a quorum (Seeley & Visscher 2003; Passino & Seeley 2006) and cross-inhibitory stop
    signals (Seeley et al. 2012, Science 335:108) change it.
Entities
    :class:`~sim.models.nest_site.agents.Scout` agents, each uncommitted or dancing for one
    site ``j`` with a strength ``d``. Sites are indices ``0 .. k-1`` with qualities ``q_j``
    and discovery chances ``pi_j``. The model holds the snapshot of the swarm at the start of
    each step (dancers per site, the sum of their strengths, each dancer's advertised
    strength ``a``).
Process (one ``step``; synchronous: every scout sees the start of the step)
    ``f_j`` = dancers for j / n_agents at the start of the step.

    1. Each scout in index order: a dancer's strength falls, ``d <- d - decrement``; at
       ``d <= 0`` she stops (uncommitted from now on; she may be recruited again next step).
       A scout who is not dancing visits site j with probability
       ``p_j = (1 - lambda) pi_j + lambda f_j``, nothing with ``1 - sum_j p_j`` (one
       uniform; the first term is finding j alone, the second following a dance for j).
       A recruit follows one dancer ``k`` for j, each of j's dancers with chance
       ``lambda / n_agents`` (the same uniform names her).
       A recruited scout copies with probability ``mu``: she adopts j without assessing it
       and dances with the strength ``k`` advertised, ``d = a_k``, where ``a_k`` is the
       strength ``k`` started her dance with (List, Elsholtz & Seeley 2009: a recruit who
       does not assess the site herself dances with the strength she observed; so a chain
       of copies passes the first assessor's strength on, undiminished). With
       ``copy_strength = "mean_current"`` (an ablation) she dances instead with the mean
       current strength of j's dancers, ``d = sum of their strengths / their number``,
       which have already declined. Otherwise she assesses j:
       ``d = q_j exp(sigma z - sigma^2 / 2)``, ``z ~ N(0, 1)`` (multiplicative log-normal
       noise with mean ``q_j``; median ``q_j exp(-sigma^2 / 2)``); with
       ``noise_centre = "median"`` ``d = q_j exp(sigma z)`` (median ``q_j``). Either way
       ``a = d`` for her. She dances from this step on, so a dance of strength ``d`` lasts
       ``ceil(d / decrement)`` steps.
    2. With ``stop_rate > 0``, each dancer for j, in index order, stops with probability
       ``min(1, stop_rate * sum_{i != j} f_i)`` (cross-inhibition).
    3. The dancers per site are recorded (DataCollector). With a quorum ``Q`` the swarm
       decides at the first step some site has at least ``Q`` dancers (committed = dancing
       for it; ties: most dancers, then the lowest index), and stops (``running = False``);
       else it stops after ``horizon`` steps.

    Outcome (:meth:`NestSiteSelection.outcome`): the chosen site (the quorum site; without
    a quorum the plurality site at the horizon), whether it is the best, the decision time,
    and two consensus criteria on the final dancers: plurality (strictly most dancers) and
    twice (the leader has at least twice the runner-up's dancers).
Parameters (defaults; source)
    ``n_agents`` 200 scouts; ``qualities`` 3, 5, 7, 9, 10; ``discovery`` 0.1 per site;
    ``interdependence`` (lambda) 0.8; ``noise`` (sigma) 0.2 (List et al.: 0.2 high, 1.0 low
    reliability); ``noise_centre`` "mean"; ``decrement`` 1; ``horizon`` 300 steps (all
    List et al. 2009);
    ``copying`` (mu) 0; ``copy_strength`` "followed_dancer" (List et al. 2009);
    ``quorum`` None (Seeley & Visscher 2003: 10-15 or more scouts);
    ``stop_rate`` 0 (Seeley et al. 2012). All validated by
    :class:`~sim.models.nest_site.params.NestSiteParams`.

Notes on the reading of List et al. (2009): the paper's full text could not be read from
where this model was built, so its site qualities, the form of the assessment noise (here
multiplicative log-normal with mean ``q_j``, or median ``q_j`` with ``noise_centre``) and its
two consensus criteria are taken from secondary descriptions; the ``nest_site_list2009``
experiment shows how much each of these choices moves its results. That every dancer for a
site recruits with the same chance (so a copier follows one of them at random), the
``mean_current`` ablation of the copying rule and the stop signals are this project's
choices, documented above; the
deterministic mean-field counterpart with cross-inhibition (Pais et al. 2013) is in
:mod:`sim.models.nest_site.odes`.

The numba kernel (:mod:`sim.models.nest_site.kernel`) runs the same rules over arrays and,
given the same integer seed, produces identical swarms, step by step.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.models.base import SeededModel, agent_array
from sim.models.nest_site.agents import Scout, Snapshot
from sim.models.nest_site.kernel import outcomes
from sim.models.nest_site.params import NestSiteParams
from sim.models.nest_site.rules import (
    dance_roster,
    quorum_site,
    snapshot,
    stop_probabilities,
    visit_thresholds,
)

__all__ = ["NestSiteSelection"]


class NestSiteSelection(SeededModel):
    """A swarm of :class:`Scout` agents choosing among candidate nest sites.

    Attributes:
        params: the validated parameters.
        qualities: the sites' qualities (array).
        scouts: the scouts in index order.
        decision_time: the step of the quorum decision, None until then (or without one).
        chosen_by_quorum: the site the quorum chose, None until then.

    Examples:
        >>> model = NestSiteSelection(n_agents=50, qualities=[4, 8], horizon=20, rng=1)
        >>> model.run_model()
        >>> model.steps, model.running
        (20, False)
        >>> df = model.datacollector.get_model_vars_dataframe()
        >>> list(df.columns), len(df)
        (['dancers_0', 'dancers_1', 'uncommitted'], 21)
        >>> sorted(model.outcome())[:3]
        ['best', 'chosen', 'decision_time']
    """

    params_schema = NestSiteParams

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng, **params)
        p = self.params
        self.qualities = p.quality_array
        self.discovery = p.discovery_array
        Scout.create_agents(self, p.n_agents, index=list(range(p.n_agents)))
        self.scouts: list[Scout] = sorted(self.agents, key=lambda a: a.index)
        self.decision_time: int | None = None
        self.chosen_by_quorum: int | None = None
        self._counts = np.zeros(p.n_sites, dtype=np.int64)
        self._sums = np.zeros(p.n_sites)
        self._take_snapshot()
        reporters = {f"dancers_{j}": (lambda m, j=j: int(m.dancers[j]))
                     for j in range(p.n_sites)}
        reporters["uncommitted"] = lambda m: int(m.params.n_agents - m.dancers.sum())
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    # -- state -------------------------------------------------------------------------------

    def _take_snapshot(self) -> None:
        snapshot(self.sites, self.strengths, self._counts, self._sums)

    @property
    def dancers(self) -> np.ndarray:
        """Dancers per site now (a copy)."""
        return self._counts.copy()

    strengths = agent_array("scouts", "strength", np.float64,
                            "Each scout's dance strength, in index order (0 when uncommitted).")
    sites = agent_array("scouts", "site", np.int64,
                        "Each scout's site, in index order (-1 when uncommitted).")
    advertised = agent_array("scouts", "advertised", np.float64,
                             "Each scout's advertised dance strength (the strength she started "
                             "her dance with), in index order (0 when uncommitted).")

    @property
    def trajectory(self) -> np.ndarray:
        """Dancers per site after each step so far, (steps + 1, sites); row 0: the start."""
        frame = self.datacollector.get_model_vars_dataframe()
        return frame[[f"dancers_{j}" for j in range(self.params.n_sites)]].to_numpy()

    def snapshot(self) -> Snapshot:
        """The swarm at the start of the step, as every scout sees it."""
        p = self.params
        counts, sums = self._counts.copy(), self._sums.copy()
        thresholds = np.empty(2 * p.n_sites)
        visit_thresholds(self.discovery, counts, float(p.interdependence), int(p.n_agents),
                         thresholds)
        stop = np.zeros(p.n_sites)
        if p.stop_rate > 0:
            stop_probabilities(counts, int(p.n_agents), float(p.stop_rate), stop)
        starts = np.zeros(p.n_sites, dtype=np.int64)
        roster = np.zeros(p.n_agents)
        if p.copying > 0:
            dance_roster(self.sites, self.advertised, counts, starts, roster)
        return Snapshot(counts=counts, sums=sums, thresholds=thresholds, stop=stop,
                        starts=starts, roster=roster)

    # -- dynamics ----------------------------------------------------------------------------

    def step(self) -> None:
        """One time step (see the module docstring), then record the dancers per site."""
        view = self.snapshot()
        for scout in self.scouts:
            scout.act(view)
        if self.params.stop_rate > 0:
            for scout in self.scouts:
                scout.listen(view)
        self._take_snapshot()
        self.datacollector.collect(self)
        site = quorum_site(self._counts, self.params.quorum_code)
        if site >= 0:
            self.decision_time = self.steps
            self.chosen_by_quorum = int(site)
            self.running = False
        elif self.steps >= self.params.horizon:
            self.running = False

    def outcome(self) -> dict:
        """The run's outcome so far, as :class:`~sim.models.nest_site.kernel.SwarmBatch`
        reports it per replicate: chosen site, best?, decision time (-1 none), plurality and
        twice-the-runner-up sites (-1 none) and whether they are the best."""
        quorum = np.array([-1 if self.chosen_by_quorum is None else self.chosen_by_quorum])
        decision = np.array([-1 if self.decision_time is None else self.decision_time])
        result = outcomes(self.params, self._counts[None, :], decision, quorum)
        out = {key: value[0].item() for key, value in result.items()}
        out["decision_time"] = int(decision[0])
        out["steps"] = int(self.steps)
        out["final_dancers"] = self._counts.tolist()
        return out

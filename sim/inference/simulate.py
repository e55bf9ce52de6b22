"""Simulate an observed multi-round experiment: every group from its own first answers.

:class:`GroupSimulator` prepares, once, each condition's groups for the estimation kernel
(:func:`sim.models.estimation.kernel.simulate_groups`): the observed round-1 answers as the
starts, the groups' truths, and one network per group drawn from the condition's protocol
(the same networks for every simulation: only the rules' parameters and the run's generator
change between simulations). What people saw follows the protocol: under ``aggregate`` and
``neighbours`` the aggregate named by the protocol's ``signal`` of the answers as shown on
screen (``signal_space="shown"``: Becker et al. 2017 showed the arithmetic mean of the
neighbours' answers), then taken into revision space; under ``full``, where every answer was
shown, their mean in revision space (the geometric mean when people revise in logs).

A simulation runs each condition's groups in one compiled call and returns, per condition,
the simulated answers in analysis units and in revision space, NaN-padded to (groups,
people, rounds), exactly as the data are measured (:mod:`sim.inference.summaries`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.analysis.specs import ObservedData, to_analysis
from sim.inference.summaries import abc_statistics
from sim.models.estimation import EstimationParams
from sim.models.estimation.kernel import GroupBatch, simulate_groups
from sim.networks import build as build_network

__all__ = ["GroupSimulator"]


class GroupSimulator:
    """The groups of an observed experiment, ready to be simulated many times.

    Parameters
    ----------
    observed : ObservedData
        The data (:func:`sim.analysis.specs.load_observed`).
    seed : int
        Seed of the networks drawn for the groups.
    """

    def __init__(self, observed: ObservedData, seed: int) -> None:
        self.observed = observed
        spec = observed.spec
        self.units = spec.units
        self.revision_space = spec.revision_space
        self.n_rounds = len(spec.rounds)
        self.conditions = observed.conditions()
        self.protocols = {c: spec.protocols[c] for c in self.conditions}
        self.has_controls = any(p.information == "none" for p in self.protocols.values())
        network_seeds = np.random.SeedSequence(seed).spawn(len(observed.groups))
        self._groups: dict[str, list[int]] = {c: [] for c in self.conditions}
        for index, group in enumerate(observed.groups):
            self._groups[group.condition].append(index)
        self._batches: dict[str, Any] = {}
        self._sizes: dict[str, list[int]] = {}
        self._layout: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._observed_values: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for condition, indices in self._groups.items():
            groups = [observed.groups[i] for i in indices]
            network = self.protocols[condition].network
            graphs = [build_network(network, g.estimates.shape[0],
                                    np.random.default_rng(network_seeds[i]))
                      if network.kind != "none" else None
                      for i, g in zip(indices, groups)]
            self._batches[condition] = GroupBatch.build(
                [g.estimates[:, 0].astype(float) for g in groups],
                [float(g.truth) for g in groups], graphs)
            self._sizes[condition] = [g.estimates.shape[0] for g in groups]
            self._layout[condition] = self._padding(groups)
            self._observed_values[condition] = self._measure(
                condition, [g.estimates.astype(float) for g in groups])

    def _padding(self, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How a condition's concatenated rows fill the padded (groups, people) layout (-1:
        nobody), each group's divisor of errors and its truth in analysis units."""
        sizes = [g.estimates.shape[0] for g in groups]
        rows = np.full((len(groups), max(sizes)), -1, dtype=np.int64)
        start = 0
        for index, size in enumerate(sizes):
            rows[index, :size] = np.arange(start, start + size)
            start += size
        divisors = np.array([float(g.scale) for g in groups])
        truths = np.array([float(to_analysis(np.array([g.truth]), g, self.units)[0])
                           for g in groups])
        return rows, divisors, truths

    # -- parameters ---------------------------------------------------------------------------

    def params(self, condition: str, rules: dict[str, Any]) -> EstimationParams:
        """The estimation model's parameters for a condition's groups under ``rules``.

        Sizes, truths and networks come from the groups themselves; these parameters say
        what people saw (the protocol), how many rounds, and how they revise.
        """
        protocol = self.protocols[condition]
        if protocol.information != "none":  # drift is what people do without information
            rules = {k: v for k, v in rules.items() if k not in ("drift", "drift_noise")}
        # neighbours were shown an aggregate of their answers (Becker et al. 2017: the mean),
        # computed on the numbers as shown; under full information every answer was shown and
        # people average them in their own revision space
        shown = "shown" if protocol.information == "neighbours" else "revision"
        return EstimationParams(
            n_agents=max(self._sizes[condition]), truth=1.0, signal_space=shown,
            noise="lognormal" if self.revision_space == "log" else "normal", noise_scale=0.0,
            rounds=self.n_rounds - 1, information=protocol.information,
            signal=protocol.signal, network=protocol.network.model_dump(),
            revision_space=self.revision_space, **rules)

    # -- simulating and measuring ------------------------------------------------------------

    def _measure(self, condition: str, trajectories: list[np.ndarray]):
        """(analysis values, truths, revision values), each NaN-padded (groups, people,
        rounds), of one condition's groups' answers (``trajectories``: one array per group,
        or all groups' rows concatenated)."""
        flat = (np.concatenate(trajectories) if isinstance(trajectories, list)
                else trajectories)
        rows, divisors, truths = self._layout[condition]
        raw = np.where(rows[..., None] >= 0, flat[np.maximum(rows, 0)], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.log(np.where(raw > 0, raw, np.nan))
        analysis = logs if self.units == "log" else raw / divisors[:, None, None]
        revision = logs if self.revision_space == "log" else raw
        return analysis, truths, revision

    def simulate_flat(self, rules: dict[str, Any], rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
        """Every condition's groups, one compiled call each: ``{condition: (agents, rounds)}``
        in raw units, the groups' rows one after the other, conditions in order."""
        return {c: simulate_groups(self.params(c, rules), self._batches[c], rng)
                for c in self.conditions}

    def simulate(self, rules: dict[str, Any], rng: np.random.Generator
                 ) -> dict[str, list[np.ndarray]]:
        """:meth:`simulate_flat` cut into one answer sheet per group: ``{condition:
        [(people, rounds) arrays]}``."""
        out = {}
        for condition, trajectory in self.simulate_flat(rules, rng).items():
            bounds = np.cumsum([0, *self._sizes[condition]])
            out[condition] = [trajectory[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        return out

    def measured(self, rules: dict[str, Any], rng: np.random.Generator):
        """:meth:`simulate`, measured like the data: ``{condition: (analysis values,
        truths, revision values)}``."""
        return {c: self._measure(c, t) for c, t in self.simulate_flat(rules, rng).items()}

    def observed_measured(self):
        """The data measured as :meth:`measured` measures simulations."""
        return dict(self._observed_values)

    def statistics(self, rules: dict[str, Any], rng: np.random.Generator) -> dict[str, float]:
        """The calibration's summary statistics of one simulation
        (:func:`sim.inference.summaries.abc_statistics`)."""
        return abc_statistics(self.measured(rules, rng))

    def observed_statistics(self) -> dict[str, float]:
        """The same statistics of the data."""
        return abc_statistics(self._observed_values)

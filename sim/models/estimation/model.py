"""Crowd estimation: agents with noisy private beliefs estimate one true value.

ODD summary
-----------
Purpose
    Study when the aggregate of many noisy, independent (or correlated) estimates is close to
    the truth: the wisdom of crowds (Galton 1907, "Vox Populi", Nature 75:450).
Entities
    :class:`~sim.models.estimation.agents.Estimator` agents, each with a group, a noise-scale
    multiplier (expertise) and an estimate; the model holds the truth and the crowd-wide bias.
Process
    At creation the model draws one common error per group (only when ``correlation > 0``);
    then each agent, in creation order, forms its private belief (:mod:`sim.beliefs`). Each
    ``step`` records the crowd's aggregates and errors; without social influence the
    estimates stay as formed (rounds of revision are a separate, later rule set).
Parameters (defaults; source)
    ``n_agents`` 787 (Galton 1907, valid tickets); ``truth`` 1198 lb (Galton 1907);
    ``noise`` "normal" with ``noise_scale`` 54.86 (Galton's probable error 37 lb / 0.6745);
    ``noise_scale_below``/``noise_scale_above`` for the split normal (Galton's reading of the
    ballots: p.e. 45 and 29 lb); ``bias_shift`` 0, ``bias_factor`` 1; ``expertise_spread`` 0;
    ``correlation`` 0 and ``n_groups`` 1. Validated by
    :class:`~sim.models.estimation.params.EstimationParams`.

The numba kernel (:mod:`sim.models.estimation.kernel`) runs the same rules over arrays and,
given the same integer seed, produces identical estimates.
"""

from __future__ import annotations

import numpy as np
import mesa

from sim import aggregate, metrics
from sim.beliefs import standard_error
from sim.models.estimation.agents import Estimator
from sim.models.estimation.params import EstimationParams

__all__ = ["CrowdEstimation"]


class CrowdEstimation(mesa.Model):
    """A crowd of :class:`Estimator` agents estimating ``truth``.

    Args:
        rng: seed (int) or generator; with an int seed the draws equal the kernel's for the
            same seed (see :func:`sim.models.estimation.kernel.simulate_crowds`).
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

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng)
        self.params = EstimationParams(**params)
        p = self.params
        self.truth = p.truth
        Estimator.create_agents(
            self, p.n_agents,
            group=[(i * p.n_groups) // p.n_agents for i in range(p.n_agents)])
        self.common_errors = self._draw_common_errors()
        self.agents.do("form_private_belief")
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
        })
        self.datacollector.collect(self)

    def _draw_common_errors(self) -> np.ndarray:
        """One standardised error per group, shared by its members (none when rho = 0)."""
        common = np.zeros(self.params.n_groups)
        if self.params.correlation > 0:
            for g in range(self.params.n_groups):
                common[g] = standard_error(self.rng, self.params.family_code)
        return common

    @property
    def estimates(self) -> np.ndarray:
        """The agents' current estimates, in creation order."""
        return np.array(self.agents.get("estimate"), dtype=float)

    @property
    def noise_multipliers(self) -> np.ndarray:
        """The agents' noise-scale multipliers, in creation order."""
        return np.array(self.agents.get("noise_multiplier"), dtype=float)

    def step(self) -> None:
        """Record the crowd's aggregates and errors for this step."""
        self.datacollector.collect(self)

"""Crowds estimating a quantity (the wisdom of crowds; Galton 1907) and revising their
estimates under social influence (DeGroot 1974; Hegselmann & Krause 2002; Deffuant et al.
2000; Lorenz et al. 2011; Becker et al. 2017): Mesa model (:class:`CrowdEstimation`) and
numba kernel (:func:`simulate_crowds`).

The ODD description (purpose, entities, process, parameters with their defaults and sources)
is in :mod:`sim.models.estimation.model`. The modules:

- :mod:`~sim.models.estimation.params`: the parameter schema, :class:`EstimationParams`;
- :mod:`~sim.models.estimation.beliefs`: private beliefs (noise families, expertise, bias,
  correlated errors);
- :mod:`~sim.models.estimation.rules`: social influence (what an agent sees, the revision
  rule, bounded confidence, Deffuant meetings, social weights);
- :mod:`~sim.models.estimation.agents` and :mod:`~sim.models.estimation.model`: the Mesa
  agents and model;
- :mod:`~sim.models.estimation.kernel`: many crowds at once, identical to the Mesa model for
  the same seed, and many observed groups in one call (:func:`simulate_groups`);
- :mod:`~sim.models.estimation.app`: the browser page (``crowdsim app estimation``: Mesa's
  components on Solara).

Beliefs and rules are compiled functions that both engines call.
"""

from sim.models.estimation.kernel import CrowdBatch, GroupBatch, simulate_crowds, simulate_groups
from sim.models.estimation.params import EstimationParams


def __getattr__(name: str):
    # the Mesa classes are loaded on first use: sweeps and their worker processes need only
    # the kernel, and importing Mesa costs about a second per process
    if name == "CrowdEstimation":
        from sim.models.estimation.model import CrowdEstimation

        return CrowdEstimation
    if name == "Estimator":
        from sim.models.estimation.agents import Estimator

        return Estimator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CrowdEstimation", "Estimator", "EstimationParams", "simulate_crowds", "CrowdBatch",
           "simulate_groups", "GroupBatch"]

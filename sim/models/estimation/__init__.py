"""Crowds estimating a quantity: Mesa model (:class:`CrowdEstimation`) and numba kernel."""

from sim.models.estimation.kernel import CrowdBatch, simulate_crowds
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


__all__ = ["CrowdEstimation", "Estimator", "EstimationParams", "simulate_crowds", "CrowdBatch"]

"""Crowds estimating a quantity: Mesa model (:class:`CrowdEstimation`) and numba kernel."""

from sim.models.estimation.agents import Estimator
from sim.models.estimation.kernel import CrowdBatch, simulate_crowds
from sim.models.estimation.model import CrowdEstimation
from sim.models.estimation.params import EstimationParams

__all__ = ["CrowdEstimation", "Estimator", "EstimationParams", "simulate_crowds", "CrowdBatch"]

"""Information cascades (Bikhchandani, Hirshleifer & Welch 1992): Mesa model
(:class:`InformationCascade`) and numba kernel (:func:`simulate_cascades`), with the exact
probabilities in :mod:`.theory`."""

from sim.models.cascades.agents import Chooser
from sim.models.cascades.kernel import CascadeBatch, simulate_cascades
from sim.models.cascades.model import InformationCascade
from sim.models.cascades.params import CascadeParams
from sim.models.cascades.theory import (cascade_start_distribution, mean_cascade_start,
                                        wrong_cascade_probability)

__all__ = ["InformationCascade", "Chooser", "CascadeParams", "simulate_cascades",
           "CascadeBatch", "wrong_cascade_probability", "mean_cascade_start",
           "cascade_start_distribution"]

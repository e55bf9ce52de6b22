"""Information cascades (Bikhchandani, Hirshleifer & Welch 1992): Mesa model
(:class:`InformationCascade`) and numba kernel (:func:`simulate_cascades`), with the exact
probabilities in :mod:`.theory`."""

from __future__ import annotations

from sim._lazy import attach

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, and importing Mesa costs about a second per process.
__getattr__, __dir__, __all__ = attach(__name__, {
    "InformationCascade": "sim.models.cascades.model",
    "Chooser": "sim.models.cascades.agents",
    "CascadeParams": "sim.models.cascades.params",
    "simulate_cascades": "sim.models.cascades.kernel",
    "CascadeBatch": "sim.models.cascades.kernel",
    "wrong_cascade_probability": "sim.models.cascades.theory",
    "mean_cascade_start": "sim.models.cascades.theory",
    "cascade_start_distribution": "sim.models.cascades.theory",
})

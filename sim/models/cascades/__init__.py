"""Information cascades (Bikhchandani, Hirshleifer & Welch 1992): Mesa model
(:class:`InformationCascade`) and numba kernel (:func:`simulate_cascades`), with the exact
probabilities in :mod:`.theory`."""

from __future__ import annotations

import importlib

__all__ = ["InformationCascade", "Chooser", "CascadeParams", "simulate_cascades",
           "CascadeBatch", "wrong_cascade_probability", "mean_cascade_start",
           "cascade_start_distribution"]

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, and importing Mesa costs about a second per process.
_HOME = {"InformationCascade": "sim.models.cascades.model",
         "Chooser": "sim.models.cascades.agents",
         "CascadeParams": "sim.models.cascades.params",
         "simulate_cascades": "sim.models.cascades.kernel",
         "CascadeBatch": "sim.models.cascades.kernel",
         "wrong_cascade_probability": "sim.models.cascades.theory",
         "mean_cascade_start": "sim.models.cascades.theory",
         "cascade_start_distribution": "sim.models.cascades.theory"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

"""Nest-site selection by honeybee swarms (List, Elsholtz & Seeley 2009): Mesa model
(:class:`NestSiteSelection`), numba kernel (:func:`simulate_swarms`) and the cross-inhibition
ODEs of Pais et al. (2013) (:mod:`sim.models.nest_site.odes`)."""

from __future__ import annotations

import importlib

__all__ = ["NestSiteSelection", "Scout", "NestSiteParams", "simulate_swarms", "SwarmBatch"]

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, and importing Mesa costs about a second per process.
_HOME = {"NestSiteSelection": "sim.models.nest_site.model",
         "Scout": "sim.models.nest_site.agents",
         "NestSiteParams": "sim.models.nest_site.params",
         "simulate_swarms": "sim.models.nest_site.kernel",
         "SwarmBatch": "sim.models.nest_site.kernel"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

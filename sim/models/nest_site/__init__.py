"""Nest-site selection by honeybee swarms (List, Elsholtz & Seeley 2009): Mesa model
(:class:`NestSiteSelection`), numba kernel (:func:`simulate_swarms`) and the cross-inhibition
ODEs of Pais et al. (2013) (:mod:`sim.models.nest_site.odes`)."""

from __future__ import annotations

from sim._lazy import attach

# Attributes are imported on first use: sweeps and their worker processes need only the
# parameters and the kernel, and importing Mesa costs about a second per process.
__getattr__, __dir__, __all__ = attach(__name__, {
    "NestSiteSelection": "sim.models.nest_site.model",
    "Scout": "sim.models.nest_site.agents",
    "NestSiteParams": "sim.models.nest_site.params",
    "simulate_swarms": "sim.models.nest_site.kernel",
    "SwarmBatch": "sim.models.nest_site.kernel",
})

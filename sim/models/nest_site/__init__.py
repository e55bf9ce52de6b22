"""Nest-site selection by honeybee swarms (List, Elsholtz & Seeley 2009): Mesa model
(:class:`NestSiteSelection`), numba kernel (:func:`simulate_swarms`) and the cross-inhibition
ODEs of Pais et al. (2013) (:mod:`sim.models.nest_site.odes`)."""

from sim.models.nest_site.agents import Scout
from sim.models.nest_site.kernel import SwarmBatch, simulate_swarms
from sim.models.nest_site.model import NestSiteSelection
from sim.models.nest_site.params import NestSiteParams

__all__ = ["NestSiteSelection", "Scout", "NestSiteParams", "simulate_swarms", "SwarmBatch"]

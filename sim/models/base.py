"""What the models' Mesa engines share: a model built from a seed and its one parameter
schema, and arrays of an attribute of its agents in index order.

Importing this module imports Mesa; sweeps, which use the kernels only, never do.

Examples
--------
>>> import mesa
>>> from pydantic import BaseModel
>>> class Size(BaseModel):
...     n_agents: int = 3
>>> class Crowd(SeededModel):
...     params_schema = Size
...     ages = agent_array("members", "age", int, "Each member's age, in index order.")
...
...     def __init__(self, rng=None, **params):
...         super().__init__(rng=rng, **params)
...         mesa.Agent.create_agents(self, self.params.n_agents)
...         self.members = list(self.agents)
...         for i, member in enumerate(self.members):
...             member.age = 20 + i
>>> crowd = Crowd(rng=1, n_agents=4)
>>> crowd.params.n_agents, crowd.ages.tolist()
(4, [20, 21, 22, 23])
"""

from __future__ import annotations

from typing import ClassVar

import mesa
import numpy as np
from pydantic import BaseModel

__all__ = ["SeededModel", "agent_array"]


class SeededModel(mesa.Model):
    """A Mesa model of one parameter schema whose numba kernel, given the same integer seed,
    makes the same draws in the same order.

    Args:
        rng: seed (int) or generator; with an int seed the draws equal the kernel's for the
            same seed (the model's ``simulate_*`` function).
        **params: the parameters of :attr:`params_schema`, validated there and kept as
            ``self.params``.
    """

    #: The model's parameter schema (``sim.models.<model>.params``).
    params_schema: ClassVar[type[BaseModel]]

    def __init__(self, rng=None, **params) -> None:
        super().__init__(rng=rng)
        self.params = self.params_schema(**params)


def agent_array(agents: str, attribute: str, dtype, doc: str) -> property:
    """A read-only property of a model: ``attribute`` of every agent in its list ``agents``
    (the name of a list attribute, in index order), as a new array of ``dtype``.

    Parameters
    ----------
    agents : str
        Name of the model's list of agents, e.g. ``"scouts"``.
    attribute : str
        Name of the agents' attribute, e.g. ``"site"``.
    dtype : numpy dtype
        The array's dtype.
    doc : str
        The property's docstring.
    """
    def values(model: mesa.Model) -> np.ndarray:
        return np.array([getattr(agent, attribute) for agent in getattr(model, agents)],
                        dtype=dtype)

    return property(values, doc=doc)

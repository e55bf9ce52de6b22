"""Docstring text shared by many functions, written once.

A docstring line holding only ``%(name)s`` is replaced by the entry ``name`` of
:data:`PARAMETERS` (the description of a parameter or of a returned value) or of
:data:`SECTIONS` (whole numpydoc sections), indented as the line was (as matplotlib's and
scipy's docstring substitution do), so that functions describe their common arguments and
results the same way without repeating them. A module calls :func:`fill_docstrings` on its
``globals()`` once its functions are defined.

Examples
--------
>>> def f(estimates):
...     '''Do something.
...
...     Parameters
...     ----------
...     %(estimates)s
...     '''
>>> fill_docstrings({"f": f})
>>> print(f.__doc__.splitlines()[4].strip())
estimates : array_like, shape (..., n_agents)
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

__all__ = ["PARAMETERS", "SECTIONS", "fill_docstrings"]

#: name -> numpydoc entry of a parameter or a returned value (its first line, then its
#: indented explanation)
PARAMETERS = {
    # the aggregation rules and crowd metrics (sim.aggregate, sim.metrics)
    "estimates": "estimates : array_like, shape (..., n_agents)\n"
                 "    Individual estimates; the last axis indexes agents.",
    "truth": "truth : array_like\n"
             "    Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.",
    "per_crowd": "numpy.float64 or numpy.ndarray\n"
                 "    One value per crowd, shape ``estimates.shape[:-1]`` (a NumPy scalar for the\n"
                 "    1-D ``estimates`` of a single crowd).",
    # the network builders (sim.networks)
    "n_agents": "n_agents : int\n"
                "    Number of nodes (>= 1).",
    "lattice_degree": "degree : int\n"
                      "    Even, ``0 <= degree < n_agents``.",
    "seed": "seed : int or numpy.random.Generator\n"
            '    See "Seeding" in :mod:`sim.networks`; the network is a deterministic function\n'
            "    of it.",
    "networkx_seed": "seed : int or numpy.random.Generator\n"
                     '    See "Seeding" in :mod:`sim.networks`: its integer ``s`` seeds the\n'
                     "    networkx generator, and the graph is the one networkx gives for\n"
                     "    ``seed=s``.",
}
PARAMETERS["estimates_and_truth"] = PARAMETERS["estimates"] + "\n" + PARAMETERS["truth"]

#: name -> whole numpydoc sections
SECTIONS = {
    # a reduction: a function of the estimates alone that gives one value per crowd
    "reduction": "Parameters\n----------\n" + PARAMETERS["estimates"]
                 + "\n\nReturns\n-------\n" + PARAMETERS["per_crowd"],
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.M)


def _fill(doc: str) -> str:
    def block(match: re.Match) -> str:
        indent = match.group("indent")
        name = match.group("name")
        text = PARAMETERS[name] if name in PARAMETERS else SECTIONS[name]
        return "\n".join(indent + line if line else line for line in text.split("\n"))

    return _PLACEHOLDER.sub(block, doc)


def fill_docstrings(namespace: MutableMapping[str, Any]) -> None:
    """Fill the placeholders in the docstrings of the functions in ``namespace`` (a module's
    ``globals()``)."""
    for value in list(namespace.values()):
        doc = getattr(value, "__doc__", None)
        if callable(value) and doc and "%(" in doc:
            value.__doc__ = _fill(doc)

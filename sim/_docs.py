"""Parameter descriptions shared by many docstrings, written once.

A docstring line holding only ``%(name)s`` is replaced by the description of ``name`` from
:data:`PARAMETERS`, indented as the line was (as matplotlib's and scipy's docstring
substitution do), so that the aggregation and metric functions describe their common
arguments the same way without repeating them.

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

__all__ = ["PARAMETERS", "fill_docstrings"]

#: name -> numpydoc description (first line, then its indented explanation)
PARAMETERS = {
    "estimates": "estimates : array_like, shape (..., n_agents)\n"
                 "    Individual estimates; the last axis indexes agents.",
    "truth": "truth : array_like\n"
             "    Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.M)


def _fill(doc: str) -> str:
    def block(match: re.Match) -> str:
        indent = match.group("indent")
        return "\n".join(indent + line for line in PARAMETERS[match.group("name")].split("\n"))

    return _PLACEHOLDER.sub(block, doc)


def fill_docstrings(namespace: MutableMapping[str, Any]) -> None:
    """Fill the placeholders in the docstrings of the functions in ``namespace`` (a module's
    ``globals()``)."""
    for value in list(namespace.values()):
        doc = getattr(value, "__doc__", None)
        if callable(value) and doc and "%(" in doc:
            value.__doc__ = _fill(doc)

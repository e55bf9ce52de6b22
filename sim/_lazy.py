"""Lazy package attributes (PEP 562): a package names where each public attribute lives, and
the module holding it is imported on first use.

Sweeps and their worker processes need a model's parameters and kernel, not its Mesa agents
or plotting: importing Mesa costs about a second per process, and a worker must be able to
limit numba's threads before numba loads.

Examples
--------
>>> __getattr__, __dir__, __all__ = attach("json", {"dumps": "json"})
>>> __getattr__("dumps")({"a": 1}), __dir__()
('{"a": 1}', ['dumps'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["attach"]


def attach(package: str, homes: Mapping[str, str]
           ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose attribute ``name`` lives in
    the module ``homes[name]``.

    Use at the end of a package's ``__init__.py``::

        __getattr__, __dir__, __all__ = attach(__name__, {"Model": "pkg.model", ...})
    """

    def __getattr__(name: str):
        if name in homes:
            return getattr(importlib.import_module(homes[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(homes)

    return __getattr__, __dir__, list(homes)

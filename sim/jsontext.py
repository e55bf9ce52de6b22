"""JSON that every JSON reader accepts: the one place crowdsim's printed JSON is made.

Python's :func:`json.dumps` writes ``NaN``, ``Infinity`` and ``-Infinity`` by default, which
are not JSON (RFC 8259): ``jq``, JavaScript's ``JSON.parse`` and R's ``jsonlite`` reject
them. :func:`standard_json` refuses them instead (``allow_nan=False``): a result must say
``null`` for an undefined number, with its reason beside it, or be refused before it is
printed (e.g. ``crowdsim analyze`` refuses estimates whose aggregates overflow).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["NonFiniteNumber", "standard_json"]


class NonFiniteNumber(ValueError):
    """A NaN or infinite number reached :func:`standard_json` (a bug in its caller)."""


def _first_non_finite(value: Any, where: str = "") -> tuple[str, float] | None:
    """The path (``aggregates.mean``) and value of the first NaN or infinite float."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (where or "(the value)", value)
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def standard_json(data: Any, indent: int | None = 2) -> str:
    """``data`` as standard JSON text; NaN and infinities are an error, never written.

    Raises
    ------
    NonFiniteNumber
        Naming the key path of the first non-finite number.

    Examples
    --------
    >>> standard_json({"mean": 1.5, "sd": None}, indent=None)
    '{"mean": 1.5, "sd": null}'
    >>> standard_json({"aggregates": {"mean": float("inf")}})
    Traceback (most recent call last):
    ...
    sim.jsontext.NonFiniteNumber: not standard JSON: aggregates.mean is inf
    """
    try:
        return json.dumps(data, indent=indent, allow_nan=False)
    except ValueError:
        found = _first_non_finite(data)
        if found is None:
            raise
        where, value = found
        raise NonFiniteNumber(f"not standard JSON: {where} is {value}") from None

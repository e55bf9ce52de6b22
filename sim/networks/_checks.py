"""Argument checks shared by the builders and by :func:`sim.networks.check`.

Each returns the value, normalised (an ``int`` or a ``float``), or raises a one-line
ValueError that names the builder, the parameter and what is allowed, so that a bad config
fails at validation time with the same message a builder would give.
"""

from __future__ import annotations

import math
import operator

import numpy as np

__all__ = ["check_n_agents", "check_int", "check_probability", "check_lattice_degree",
           "check_regular_degree"]


def check_n_agents(n, who: str, name: str = "n_agents", minimum: int = 1) -> int:
    """A node count: an integer (not a bool or a float) at least ``minimum``.

    Examples
    --------
    >>> check_n_agents(40, "star")
    40
    >>> check_n_agents(10.0, "star")
    Traceback (most recent call last):
    ...
    ValueError: star: n_agents must be an integer >= 1, got 10.0
    """
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n!r}")
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n!r}") from None
    if n < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {n}")
    return n


def check_int(value, who: str, name: str, low: int, high: int, why: str = "") -> int:
    """An integer in ``[low, high]``; ``why`` explains the upper bound in the message.

    Examples
    --------
    >>> check_int(True, "barabasi_albert", "m", 1, 4)
    Traceback (most recent call last):
    ...
    ValueError: barabasi_albert: m must be an integer in [1, 4], got True
    """
    if isinstance(value, (bool, np.bool_)):
        ok = False
    else:
        try:
            value = operator.index(value)
            ok = low <= value <= high
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(f"{who}: {name} must be an integer in [{low}, {high}]{why}, "
                         f"got {value!r}")
    return value


def check_probability(value, who: str, name: str) -> float:
    """A real number in ``[0, 1]`` (NaN and bools refused), as a float.

    Examples
    --------
    >>> check_probability(1, "erdos_renyi", "p")
    1.0
    """
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.number))
    if ok:
        value = float(value)
        ok = math.isfinite(value) and 0.0 <= value <= 1.0
    if not ok:
        raise ValueError(f"{who}: {name} must be a probability in [0, 1], got {value!r}")
    return value


def check_lattice_degree(n: int, degree, who: str) -> int:
    """The degree of a ring lattice on ``n`` nodes: even, below ``n``.

    Examples
    --------
    >>> check_lattice_degree(10, 4, "ring_lattice")
    4
    """
    degree = check_int(degree, who, "degree", 0, n - 1, f" (below n_agents = {n})")
    if degree % 2:
        raise ValueError(f"{who}: degree must be even (degree/2 neighbours on each side of "
                         f"the ring), got {degree}")
    return degree


def check_regular_degree(n: int, degree, who: str, nodes: str = "n_agents") -> int:
    """The degree of a regular graph on ``n`` nodes: below ``n``, with ``n * degree`` even;
    ``nodes`` names ``n`` in the message.

    Examples
    --------
    >>> check_regular_degree(39, 3, "centralized", nodes="(n_agents - 1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: centralized: (n_agents - 1) * degree must be even (...), got 39 * 3 = 117
    """
    degree = check_int(degree, who, "degree", 0, n - 1, f" (below {nodes} = {n})")
    if (n * degree) % 2:
        raise ValueError(f"{who}: {nodes} * degree must be even (each tie has two ends), "
                         f"got {n} * {degree} = {n * degree}")
    return degree

"""Seed handling of the random builders, done once, by a decorator.

Every random builder of :mod:`sim.networks` takes a required ``seed``: an ``int`` in
``[0, 2**63)`` or a :class:`numpy.random.Generator`. In the manner of networkx's
``np_random_state`` and ``py_random_state`` decorators (``networkx/utils/decorators.py``), a
decorator turns that argument into the random state the builder draws from, before the
builder runs, so that no builder handles seeds itself:

* :func:`np_random_state` passes ``numpy.random.default_rng(s)``;
* :func:`py_random_state` passes ``random.Random(s)``, for builders that hand the seed on to
  a networkx generator (which turns an int ``s`` into ``random.Random(s)`` itself, so the
  graph is the one networkx gives for ``seed=s``).

The integer ``s`` is the seed itself when it is an int, or ONE draw ``seed.integers(2**63)``
from a Generator, which the builder then leaves alone: a caller's stream advances by exactly
one value per random network, whatever the builder does. None is refused, so that nothing
ever draws from an unseeded or global generator and every network is a deterministic
function of its seed, in any process and on any machine with the same numpy and networkx.
"""

from __future__ import annotations

import functools
import inspect
import operator
import random
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["seed_integer", "np_random_state", "py_random_state"]

F = TypeVar("F", bound=Callable[..., Any])


def seed_integer(seed, who: str) -> int:
    """The one integer a builder's randomness derives from: ``seed`` itself if an int in
    ``[0, 2**63)``, else one draw ``seed.integers(2**63)`` of a numpy Generator.

    Parameters
    ----------
    seed : int or numpy.random.Generator
    who : str
        The builder's name, for the error message.

    Raises
    ------
    TypeError
        ``seed`` is None, a bool, or neither an int nor a Generator.
    ValueError
        An int outside ``[0, 2**63)``.

    Examples
    --------
    >>> seed_integer(7, "demo")
    7
    >>> rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    >>> seed_integer(rng, "demo") == int(twin.integers(2**63))
    True
    >>> seed_integer(None, "demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: demo: seed must be an int or a numpy Generator, got None (builders are ...)
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{who}: seed must be an int or a numpy Generator, got {seed!r} "
                        f"(builders are always seeded, e.g. seed=int(rng.integers(2**63)))")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"{who}: seed must be an int or a numpy Generator, got "
                        f"{type(seed).__name__}") from None
    if not 0 <= value < 2**63:
        raise ValueError(f"{who}: seed must be in [0, 2**63), got {value}")
    return value


def _random_state(argument: str, make: Callable[[int], Any]) -> Callable[[F], F]:
    """Decorator factory: replace the builder's ``argument`` by ``make(seed_integer(...))``."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        if argument not in signature.parameters:
            raise TypeError(f"{func.__name__} has no parameter {argument!r} to seed")
        who = func.__name__

        @functools.wraps(func)
        def seeded(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.arguments[argument] = make(seed_integer(bound.arguments[argument], who))
            return func(*bound.args, **bound.kwargs)

        return seeded  # type: ignore[return-value]

    return decorate


def np_random_state(argument: str = "seed") -> Callable[[F], F]:
    """Decorator: the builder receives its ``argument`` as a fresh ``numpy.random.Generator``.

    Callers pass an int in ``[0, 2**63)`` or a Generator (see the module's docstring).

    Parameters
    ----------
    argument : str, default "seed"
        Name of the builder's parameter given ``numpy.random.default_rng(seed_integer(seed))``.

    Examples
    --------
    >>> @np_random_state("seed")
    ... def coin_flips(n, seed):
    ...     return seed.integers(2, size=n).tolist()
    >>> coin_flips(6, seed=3) == np.random.default_rng(3).integers(2, size=6).tolist()
    True
    >>> rng = np.random.default_rng(5)
    >>> flips = coin_flips(6, seed=rng)        # one draw from rng seeds the builder
    >>> flips == coin_flips(6, seed=int(np.random.default_rng(5).integers(2**63)))
    True
    """
    return _random_state(argument, np.random.default_rng)


def py_random_state(argument: str = "seed") -> Callable[[F], F]:
    """Decorator: the builder receives its ``argument`` as a fresh ``random.Random``.

    For builders that pass the seed to a networkx generator: ``random.Random(s)`` gives the
    same graph as networkx's own ``seed=s``. Callers pass an int or a Generator as for
    :func:`np_random_state`.

    Parameters
    ----------
    argument : str, default "seed"
        Name of the builder's parameter given ``random.Random(seed_integer(seed))``.

    Examples
    --------
    >>> @py_random_state("seed")
    ... def pick(items, seed):
    ...     return seed.choice(items)
    >>> pick("abcdef", seed=11) == random.Random(11).choice("abcdef")
    True
    """
    return _random_state(argument, random.Random)

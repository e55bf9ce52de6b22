"""Size limits on configs: every limit crowdsim enforces on input, in one place.

A config is read and checked against these limits before anything is built, run or written,
so that a typo (``replicates: 1000000000``) is one line naming the limit, not minutes of work
or an exhausted memory. Two kinds of limit:

* **Limits of the YAML reader** (:data:`MAX_CONFIG_BYTES`, :data:`MAX_YAML_DEPTH`,
  :data:`MAX_YAML_ALIAS_NODES`): no config needs more; they stop hostile or mistaken files (a
  "billion laughs" of nested aliases, thousands of nested brackets, megabytes of data pasted
  into a config). They cannot be raised.
* **Limits of the work a config asks for** (:data:`MAX_DESIGN_POINTS`, :data:`MAX_RUNS`,
  :data:`MAX_RUN_SIZE`, :data:`MAX_CPU_HOURS`): far above what the shipped configs need; a
  config above one is refused unless the command is given ``--allow-large`` (``crowdsim run``,
  ``crowdsim sweep``), which lifts them on purpose. Estimates come from the model itself: the
  number of runs (design points x replicates), the size of one run (agents x recorded rounds
  or steps, from the parameters), and the model's own cost per run
  (:attr:`sim.sweep.models.SweepModel.seconds_per_run`).

Examples
--------
>>> check_count("samples", 10, MAX_DESIGN_POINTS, "design points")
>>> check_count("samples", 10**9, MAX_DESIGN_POINTS, "design points")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: samples: 1,000,000,000 design points, more than the limit of 1,000,000; ...
>>> with allowing_large(True):
...     check_count("samples", 10**9, MAX_DESIGN_POINTS, "design points")
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

__all__ = ["MAX_CONFIG_BYTES", "MAX_YAML_DEPTH", "MAX_YAML_ALIAS_NODES", "MAX_DESIGN_POINTS",
           "MAX_RUNS", "MAX_RUN_SIZE", "MAX_CPU_HOURS", "SIZE_PARAMETERS", "large_allowed",
           "allowing_large", "check_count", "run_size", "check_work"]

#: Largest config file, in bytes. Configs are a few KB; PyYAML's pure-Python reader needs
#: about 10-25 s per MB, so a bigger file would hang before a single value could be checked.
MAX_CONFIG_BYTES = 256 * 1024
#: Deepest nesting of lists and mappings a YAML config may have (configs need about 5).
MAX_YAML_DEPTH = 64
#: Most nodes that aliases (``*name``) may expand to in one YAML file, counted over every use
#: of an alias (a config reusing a block a few times needs a few dozen).
MAX_YAML_ALIAS_NODES = 10_000

#: Most parameter points in a design (the design is built and hashed in memory).
MAX_DESIGN_POINTS = 1_000_000
#: Most runs in one sweep or experiment stage (design points x replicates).
MAX_RUNS = 10_000_000
#: Largest single run: agents (or listeners x songs x worlds) x recorded rounds or steps; a run's
#: arrays are held in memory at once.
MAX_RUN_SIZE = 20_000_000
#: Most compute a sweep may ask for, in core-hours, by the model's own cost per run.
MAX_CPU_HOURS = 24.0

#: Integer parameters that multiply the size of one run, by model: their product (rounds
#: counting the first answer, ``1 + rounds``) is the run's size. A name absent from a model's
#: parameters is skipped, so one table serves every model.
SIZE_PARAMETERS = ("n_agents", "n_listeners", "n_songs", "n_worlds", "horizon", "elections")

_ALLOW_LARGE: ContextVar[bool] = ContextVar("crowdsim_allow_large", default=False)
_HOW_TO_RAISE = ("pass --allow-large to run it anyway (limits: sim/limits.py, "
                 "docs/sweeps.md#limits)")


def large_allowed() -> bool:
    """Whether the work limits are lifted (``--allow-large``) in the current context."""
    return _ALLOW_LARGE.get()


@contextlib.contextmanager
def allowing_large(allow: bool = True) -> Iterator[None]:
    """Lift (or keep) the work limits inside the ``with`` block: what ``--allow-large`` does.

    Examples
    --------
    >>> with allowing_large():
    ...     large_allowed()
    True
    >>> large_allowed()
    False
    """
    token = _ALLOW_LARGE.set(bool(allow))
    try:
        yield
    finally:
        _ALLOW_LARGE.reset(token)


def check_count(where: str, count: float, limit: float, what: str) -> None:
    """Refuse ``count`` ``what`` above ``limit`` (unless large work is allowed): a
    :class:`ValueError` whose one-line message names ``where``, the limit and ``--allow-large``.
    """
    if count > limit and not large_allowed():
        raise ValueError(f"{where}: {_number(count)} {what}, more than the limit of "
                         f"{_number(limit)}; {_HOW_TO_RAISE}")


def run_size(point: Mapping[str, Any], defaults: Mapping[str, Any]) -> float:
    """The size of one run at ``point``: the product of its :data:`SIZE_PARAMETERS` (the
    point's value, else the model's default) times ``1 + rounds``.

    Examples
    --------
    >>> run_size({"n_agents": 1000, "rounds": 4}, {"n_agents": 787, "rounds": 0})
    5000.0
    >>> run_size({}, {"n_agents": 200, "horizon": 300})
    60000.0
    """
    size = 1.0
    for name in SIZE_PARAMETERS:
        value = point.get(name, defaults.get(name))
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            size *= value
    rounds = point.get("rounds", defaults.get("rounds"))
    if isinstance(rounds, int) and not isinstance(rounds, bool) and rounds > 0:
        size *= 1 + rounds
    return size


def check_work(model: Any, largest_point: Mapping[str, Any], n_points: int,
               replicates: int, where: str = "") -> None:
    """Refuse a sweep whose runs, largest run or compute exceed the limits.

    Parameters
    ----------
    model : sim.sweep.models.SweepModel
        The model the sweep runs (its parameter defaults and its cost per run).
    largest_point : mapping
        A parameter point at least as large as every point of the design (each size parameter
        at its largest value), so the estimates are upper bounds.
    n_points, replicates : int
        Design points and runs per point.
    where : str
        Prefix of the message (a config field), if any.
    """
    if large_allowed():
        return
    prefix = f"{where}: " if where else ""
    runs = n_points * replicates
    check_count(f"{prefix}replicates", runs, MAX_RUNS,
                f"runs ({_number(n_points)} points x {_number(replicates)} replicates)")
    defaults = {name: field.default for name, field in model.params_schema.model_fields.items()}
    size = run_size(largest_point, defaults)
    named = ", ".join(f"{name} {_number(largest_point.get(name, defaults.get(name)))}"
                      for name in (*SIZE_PARAMETERS, "rounds")
                      if isinstance(largest_point.get(name, defaults.get(name)), int)
                      and name in defaults)
    check_count(f"{prefix}{_largest_name(largest_point, defaults)}", size, MAX_RUN_SIZE,
                f"agent-steps in one run ({named})")
    try:
        seconds = float(model.seconds_per_run(dict(largest_point)))
    except Exception:  # a model's rough cost function may not know every point: no estimate
        return
    hours = seconds * runs / 3600
    if math.isfinite(hours) and hours > MAX_CPU_HOURS:
        raise ValueError(f"{prefix}replicates: about {_number(hours)} core-hours of runs "
                         f"({_number(runs)} runs of up to {seconds:.2g} s), more than the limit "
                         f"of {_number(MAX_CPU_HOURS)}; {_HOW_TO_RAISE}")


def _largest_name(point: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """The size parameter that makes a run largest (the one to name in the message)."""
    sizes = {name: point.get(name, defaults.get(name)) for name in (*SIZE_PARAMETERS, "rounds")
             if name in defaults}
    sizes = {name: value for name, value in sizes.items()
             if isinstance(value, int) and not isinstance(value, bool)}
    return max(sizes, key=sizes.get) if sizes else "parameters"


def _number(value: float) -> str:
    """``1,000,000`` for whole numbers, ``2.5e+13`` for huge ones, ``1.5`` otherwise."""
    if float(value) >= 1e15:
        return f"{float(value):.3g}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"

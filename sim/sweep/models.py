"""The registry of sweepable models: what the sweep machinery needs to know about each.

A model joins sweeps with a :class:`SweepModel` in its own folder (``MODEL`` in
``sim/models/<model>/sweep.py``): its parameter schema (the names a sweep config may fix or
sweep), a ``run_batch`` function that runs many replicates of one parameter point and returns
per-replicate metrics, the metrics it offers and the rounds it records. :data:`MODELS` names
where each registration lives; :func:`get_model` imports it on first use, so importing this
module imports no model, and a sweep's processes load only the model they run. Nothing else
in :mod:`sim.sweep` is model-specific.

:func:`get_model` also takes the import path of any other :class:`SweepModel`,
``"package.module:ATTRIBUTE"`` (an experiment's own measures, say); sweep configs, worker
processes and Dask workers name models by the same string.

A model's ``trajectories`` hook runs both engines once: :func:`run_mesa_model` builds and runs
its Mesa model (importing Mesa only then), :func:`first_replicate` picks the same arrays from
its kernel's batch.

Examples
--------
>>> from sim.seeding import replicate_seeds
>>> model = get_model("estimation")
>>> params = model.params_schema(n_agents=50, noise_scale=10.0)
>>> values = model.run_batch(params, replicate_seeds(1, 4), ("error_of_mean", "diversity"))
>>> sorted(values), values["diversity"].shape
(['diversity', 'error_of_mean'], (4,))
>>> get_model("sim.models.estimation.sweep:MODEL") is model
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

__all__ = ["SweepModel", "MODELS", "get_model", "run_mesa_model", "first_replicate"]


#: Points of a sweep :meth:`SweepModel.warm_for_sweep` validates at most (about 20 us each).
WARM_UP_POINTS = 200


def _takes_an_argument(function: Callable) -> bool:
    """Whether ``function`` can be called with one positional argument."""
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: assume not
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in parameters)


@dataclass(frozen=True)
class SweepModel:
    """A model as the sweep runner sees it.

    Attributes
    ----------
    params_schema : type[pydantic.BaseModel]
        The model's one parameter schema; sweep configs may fix or sweep its fields.
    run_batch : callable
        ``run_batch(params, seeds, metrics) -> {metric: array}``: run one replicate per seed
        at the validated parameter point ``params`` and return each requested metric as an
        array of shape ``(len(seeds),)`` (one round) or ``(len(seeds), len(rounds))`` with
        the rounds :meth:`rounds_of` gives for ``params``.
    metrics : tuple of str
        Names of the metrics ``run_batch`` can compute.
    default_metrics : tuple of str, optional
        Metrics recorded when a config does not list any (default: all of ``metrics``).
    rounds : tuple of int, or callable
        The rounds each run records (the ``round`` column of the results), or a function of
        the validated parameters giving them (when a parameter sets the number of rounds).
    seconds_per_run : callable
        ``seconds_per_run(point) -> float``: a rough cost of one run at a parameter point
        (a dict of the fixed and swept values), used only to pick a chunk size.
    warm_up : callable, optional
        Compiles the model's kernels into numba's cache (or loads them from there), so
        worker processes find them cached. ``warm_up()`` warms every kernel the model has
        (``crowdsim warm``); a warm-up that takes an argument is also called as
        ``warm_up(points)`` with validated parameter points of a sweep, and then warms only
        the kernels those points run. It may return a list of what it warmed, for
        ``crowdsim warm`` to print (default: one run at ``example``). Call it through
        :meth:`warm`.
    example : mapping
        A small parameter point that runs in milliseconds; the model contract tests
        (``tests/test_model_contract.py``) run there.
    trajectories : callable or None
        ``trajectories(params, seed) -> (mesa, kernel)``: one run of the Mesa model and one
        of the kernel with the same seed, each as named arrays (states over time, draws,
        outcomes); the contract tests check that the two engines agree. Imports Mesa itself.
    """

    params_schema: type[BaseModel]
    run_batch: Callable[[Any, np.ndarray, Sequence[str]], dict[str, np.ndarray]]
    metrics: tuple[str, ...]
    default_metrics: tuple[str, ...] | None = None
    rounds: tuple[int, ...] | Callable[[Any], tuple[int, ...]] = (0,)
    seconds_per_run: Callable[[Mapping[str, Any]], float] = lambda point: 1e-3
    warm_up: Callable[..., Sequence[str] | None] | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    trajectories: Callable[[Any, int], tuple[dict[str, np.ndarray],
                                             dict[str, np.ndarray]]] | None = None

    def __post_init__(self) -> None:
        # frozen: defaults that depend on other fields are set once, here
        if self.default_metrics is None:
            object.__setattr__(self, "default_metrics", tuple(self.metrics))
        if self.warm_up is None:
            object.__setattr__(self, "warm_up", self._run_example)

    def _run_example(self) -> None:
        """One run at the example point: compiles the kernel into numba's cache (or loads
        it from there)."""
        self.run_batch(self.params_schema(**self.example), np.zeros(1, dtype=np.int64), ())

    def warm(self, points: Sequence[BaseModel] | None = None) -> list[str]:
        """Compile (or load from numba's cache) the kernels that ``points`` run, or every
        kernel of the model when ``points`` is None; what was warmed, in words.

        A ``warm_up`` that takes no argument warms everything in either case.

        Examples
        --------
        >>> get_model("cascades").warm()
        ['one run at the example point']
        """
        accepts_points = _takes_an_argument(self.warm_up)
        if points is not None and accepts_points:
            warmed = self.warm_up(points)
        else:
            warmed = self.warm_up()
        return ["one run at the example point"] if warmed is None else list(warmed)

    def warm_for_sweep(self, point_dicts: Iterable[Mapping[str, Any]],
                       limit: int = WARM_UP_POINTS) -> list[str]:
        """:meth:`warm` for the points a sweep is about to run (parameter dicts, as chunk
        tasks hold them): at most ``limit`` of them, spread evenly, each validated (an
        invalid one is left out: its runs fail anyway). A kernel only points left out
        would run is compiled by the first process that runs one."""
        point_dicts = list(point_dicts)
        if len(point_dicts) > limit:
            step = len(point_dicts) / limit
            point_dicts = [point_dicts[int(i * step)] for i in range(limit)]
        points = []
        for values in point_dicts:
            try:
                points.append(self.params_schema.model_validate(values))
            except ValueError:  # pydantic's ValidationError is a ValueError
                continue
        return self.warm(points)

    def rounds_of(self, params) -> tuple[int, ...]:
        """The rounds a run at the validated parameters ``params`` records."""
        return tuple(self.rounds(params)) if callable(self.rounds) else tuple(self.rounds)


MODELS: dict[str, str | SweepModel] = {
    "estimation": "sim.models.estimation.sweep:MODEL",
    "nest_site": "sim.models.nest_site.sweep:MODEL",
    "majority_vote": "sim.models.majority_vote.sweep:MODEL",
    "cascades": "sim.models.cascades.sweep:MODEL",
    "cumulative_advantage": "sim.models.cumulative_advantage.sweep:MODEL",
}
"""Models a sweep config can name (``model:``), each by the import path of its registration.
A :class:`SweepModel` may also be registered itself (a model defined at run time, as in
tests); only processes that registered it can then run it."""


def get_model(name: str) -> SweepModel:
    """The model registered as ``name``, or the :class:`SweepModel` at the import path
    ``name`` (``"package.module:ATTRIBUTE"``).

    Raises
    ------
    KeyError
        If ``name`` is neither a registered name nor the path of an importable attribute.
    TypeError
        If the attribute at the path is not a :class:`SweepModel`.

    Examples
    --------
    >>> get_model("nest_site").params_schema.__name__
    'NestSiteParams'
    >>> get_model("ants")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no sweep model 'ants'; known: cascades, cumulative_advantage, estimation, ..."
    >>> get_model("sim.models.nest_site.sweep:NO_SUCH_MODEL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "no sweep model '...': module sim.models.nest_site.sweep has no attribute ..."
    """
    entry = MODELS.get(name, name)
    if isinstance(entry, SweepModel):
        return entry
    module_name, _, attribute = entry.partition(":")
    if not (module_name and attribute):
        raise KeyError(f"no sweep model {name!r}; known: {', '.join(sorted(MODELS))}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # only a missing module of the path itself; a module the model needs is a real error
        if exc.name is None or not (module_name + ".").startswith(exc.name + "."):
            raise
        raise KeyError(f"no sweep model {name!r}: no module named {exc.name}") from None
    try:
        model = getattr(module, attribute)
    except AttributeError:
        raise KeyError(f"no sweep model {name!r}: module {module_name} has no attribute "
                       f"{attribute}") from None
    if not isinstance(model, SweepModel):
        raise TypeError(f"sweep model {name!r}: {module_name}.{attribute} is not a SweepModel "
                        f"(got {type(model).__name__})")
    return model


# ---------------------------------------------------------------------------------------------
# for the models' trajectories hooks


def run_mesa_model(model_path: str, params: BaseModel, seed: int, steps: int | None = None):
    """The Mesa side of :attr:`SweepModel.trajectories`: the Mesa model class at
    ``model_path`` (``"package.module:Class"``) built with ``rng=seed`` and the parameters
    set in ``params``, run for ``steps`` steps (``None``: until it stops by itself).

    The class is imported here, at the first call, so that a ``sweep.py`` naming it loads no
    Mesa.

    Examples
    --------
    >>> from sim.models.cascades.params import CascadeParams
    >>> model = run_mesa_model("sim.models.cascades.model:InformationCascade",
    ...                        CascadeParams(n_agents=8), seed=3, steps=5)
    >>> type(model).__name__, len(model.actions), model.params.n_agents
    ('InformationCascade', 5, 8)
    """
    module_name, _, class_name = model_path.partition(":")
    model_class = getattr(importlib.import_module(module_name), class_name)
    model = model_class(rng=seed, **params.model_dump(exclude_unset=True))
    if steps is None:
        model.run_model()
    else:
        model.run_for(steps)
    return model


def first_replicate(batch: Any, names: Iterable[str]) -> dict[str, np.ndarray]:
    """The kernel side of :attr:`SweepModel.trajectories`: the arrays ``names`` of a kernel
    batch (attributes with one row per replicate), each at its first replicate.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> first_replicate(SimpleNamespace(a=np.array([[1, 2], [3, 4]]), b=np.zeros(2)), "ab")
    {'a': array([1, 2]), 'b': np.float64(0.0)}
    """
    return {name: getattr(batch, name)[0] for name in names}

"""Sweep configs: which model, which parameters are fixed, which are swept and how.

A sweep config is a YAML mapping validated by :class:`SweepConfig`; every problem becomes a
one-line :class:`sim.config.ConfigError` naming the field (the CLI exits with code 2 before
writing anything). Parameter names and values are checked against the model's own parameter
schema, one value at a time: a value that is wrong on its own (``correlation: 1.5``) is a
config error, while a point that is invalid only through a combination of values (a
log-normal crowd whose centre is not positive) is a failed run, recorded by the runner.

Examples
--------
>>> config = SweepConfig(model="estimation", seed=1, design="grid",
...                      swept={"correlation": [0.0, 0.5]}, replicates=3)
>>> swept_axes(config)["correlation"].values
(0.0, 0.5)
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from sim.config import check_text, config_hash, describe_error, load_yaml, short_repr, validate
from sim.limits import MAX_DESIGN_POINTS, check_count, check_work
from sim.sweep.models import MODELS, get_model

__all__ = ["SweepConfig", "GridAxis", "RangeAxis", "SAMPLED_DESIGNS", "load_sweep_config",
           "swept_axes", "point_columns", "canonical_value", "sweep_hash", "MAX_POINTS"]

SAMPLED_DESIGNS = ("random", "lhs", "sobol", "morris")
#: Largest number of parameter points a design may have without ``--allow-large`` (the design
#: is held in memory); see :mod:`sim.limits`.
MAX_POINTS = MAX_DESIGN_POINTS


@dataclass(frozen=True)
class GridAxis:
    """Values one parameter takes in a grid (canonical Python values, in order)."""

    values: tuple


@dataclass(frozen=True)
class RangeAxis:
    """Range one parameter is sampled from in a sampled design."""

    low: float
    high: float
    log: bool = False       # sample log10 uniformly
    integer: bool = False   # round samples to the nearest integer


class SweepConfig(BaseModel):
    """A parameter sweep (see ``configs/sweep_demo.yaml`` and ``docs/sweeps.md``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)

    model: str = Field(description="the model to run: a key of sim.sweep.models.MODELS or "
                                   "the import path of a SweepModel, package.module:ATTRIBUTE")
    title: str | None = Field(None, description="human-readable title for reports")
    seed: int = Field(ge=0, description="base seed; designs and every run derive from it")
    design: Literal["grid", "random", "lhs", "sobol", "morris", "points"] = Field(
        description="grid: full factorial of value lists; random, lhs, sobol, morris sample "
                    "ranges; points: an explicit list of parameter points")
    fixed: dict[str, Any] = Field(default_factory=dict,
                                  description="parameters held at one value")
    swept: dict[str, Any] = Field(default_factory=dict,
                                  description="parameters that vary (grid and sampled designs)")
    points: list[dict[str, Any]] | None = Field(
        None, description="design points: the parameter points, each a mapping of the same "
                          "parameter names to values (with fixed for the rest)")
    samples: int | None = Field(None, ge=1, description="sampled designs: points (random, "
                                "lhs), base sample N (sobol), trajectories (morris)")
    levels: int | None = Field(None, ge=2, description="morris: grid levels (even; default 4)")
    replicates: int = Field(1, ge=1, description="runs per parameter point")
    paired: bool = Field(False, description="common random numbers: replicate r of every "
                         "point draws from the same seed, so differences between points are "
                         "measured on the same draws (default: each point its own seeds)")
    metrics: list[str] | None = Field(None, min_length=1,
                                      description="metrics to record (default: the model's)")
    chunk_size: int | None = Field(None, ge=1,
                                   description="runs per task (default: about 0.25 s of work)")

    @field_validator("title")
    @classmethod
    def _check_title(cls, title: str | None) -> str | None:
        return title if title is None else check_text(title)

    @model_validator(mode="after")
    def _check_against_model(self) -> SweepConfig:
        if self.model not in MODELS:
            try:  # the import path of a SweepModel, "package.module:ATTRIBUTE"
                get_model(self.model)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"model: {exc.args[0]}") from None
        self._check_design_options()
        fixed = {}
        for name, value in self.fixed.items():
            _check_name(self.model, "fixed", name)
            fixed[name] = canonical_value(self.model, name, value, f"fixed.{name}")
        if self.design == "points":
            # counted before a single point is validated: a huge list is refused at once
            check_count("points", len(self.points), MAX_DESIGN_POINTS, "design points")
            points = point_columns(self)[0]
            self._check_metrics()
            check_work(get_model(self.model), _largest_point(fixed, points), len(points),
                       self.replicates)
            return self
        if not self.swept:
            raise ValueError(f"swept: design {self.design} needs at least one swept parameter")
        for name in self.swept:
            if name in self.fixed:
                raise ValueError(f"swept.{name}: also in fixed; a parameter is either fixed "
                                 "or swept")
        # the design's size from the config alone, before any value list is built
        n_points = design_size(self)
        check_count("swept" if self.design == "grid" else "samples", n_points,
                    MAX_DESIGN_POINTS, f"{self.design} design points")
        axes = swept_axes(self)
        self._check_metrics()
        largest = dict(fixed)
        for name, axis in axes.items():
            values = axis.values if isinstance(axis, GridAxis) else (axis.high,)
            numbers = [v for v in values if isinstance(v, (int, float))
                       and not isinstance(v, bool)]
            if numbers:
                largest[name] = max(numbers)
                if isinstance(axis, RangeAxis) and axis.integer:
                    largest[name] = int(round(axis.high))
        check_work(get_model(self.model), largest, n_points, self.replicates)
        return self

    def _check_design_options(self) -> None:
        if self.design == "points":
            for option in ("samples", "levels"):
                if getattr(self, option) is not None:
                    raise ValueError(f"{option}: only for sampled designs "
                                     f"({', '.join(SAMPLED_DESIGNS)}), not design points")
            if self.swept:
                raise ValueError("swept: design points lists its points under points:, "
                                 "not swept")
            if not self.points:
                raise ValueError("points: design points needs at least one point")
            return
        if self.points is not None:
            raise ValueError(f"points: only for design points, not design {self.design}")
        if self.design == "grid":
            for option in ("samples", "levels"):
                if getattr(self, option) is not None:
                    raise ValueError(f"{option}: only for sampled designs "
                                     f"({', '.join(SAMPLED_DESIGNS)}), not design grid")
            return
        if self.samples is None:
            raise ValueError(f"samples: required for design {self.design}")
        if self.design == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples: design sobol needs a power of two (got {self.samples}; "
                             f"e.g. {1 << (self.samples.bit_length() - 1)} or "
                             f"{1 << self.samples.bit_length()})")
        if self.design == "morris" and self.samples < 2:
            raise ValueError(f"samples: design morris needs at least 2 trajectories "
                             f"(got {self.samples})")
        if self.levels is not None and self.design != "morris":
            raise ValueError(f"levels: only for design morris, not design {self.design}")
        if self.levels is not None and self.levels % 2:
            raise ValueError(f"levels: design morris needs an even number (got {self.levels})")

    def _check_metrics(self) -> None:
        if self.metrics is None:
            return
        offered = get_model(self.model).metrics
        for name in self.metrics:
            if name not in offered:
                raise ValueError(f"metrics: {short_repr(name)} is not a metric of model "
                                 f"{self.model}; "
                                 f"allowed: {', '.join(offered)}")
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError("metrics: each metric may be listed once")

    @property
    def recorded_metrics(self) -> tuple[str, ...]:
        """The metrics this sweep records (the config's, else the model's defaults)."""
        return tuple(self.metrics) if self.metrics else get_model(self.model).default_metrics

    @property
    def morris_levels(self) -> int:
        """Grid levels of a Morris design (4 unless the config says otherwise)."""
        return self.levels if self.levels is not None else 4


def design_size(config: SweepConfig) -> int:
    """Parameter points the design will have, counted from the config without building it:
    the product of the grid's value counts, or the sampled design's size from ``samples``
    (random and lhs: N; sobol: N (2D + 2); morris: N (D + 1), D swept parameters).

    Examples
    --------
    >>> design_size(SweepConfig(model="estimation", seed=1, design="grid",
    ...                         swept={"correlation": {"linspace": [0, 1, 5]},
    ...                                "n_agents": [10, 20]}))
    10
    """
    if config.design == "points":
        return len(config.points or ())
    if config.design == "grid":
        counts = []
        for spec in config.swept.values():
            if isinstance(spec, list):
                counts.append(len(spec))
            elif isinstance(spec, dict) and len(spec) == 1 \
                    and isinstance(next(iter(spec.values())), list) \
                    and len(next(iter(spec.values()))) == 3 \
                    and isinstance(next(iter(spec.values()))[2], int):
                counts.append(max(1, next(iter(spec.values()))[2]))
            else:
                counts.append(1)  # not a value list: its own error comes when it is read
        return math.prod(counts)
    n_swept = len(config.swept)
    factor = {"sobol": 2 * n_swept + 2, "morris": n_swept + 1}.get(config.design, 1)
    return (config.samples or 0) * factor


def _largest_point(fixed: dict[str, Any], points: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric parameter at its largest value over ``points`` (and ``fixed``): a point at
    least as costly as any of them, for :func:`sim.limits.check_work`."""
    largest = dict(fixed)
    for point in points:
        for name, value in point.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                previous = largest.get(name)
                largest[name] = value if previous is None else max(previous, value)
    return largest


def load_sweep_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep config, raising :class:`ConfigError` with one line.

    Examples
    --------
    >>> load_sweep_config("no/such/sweep.yaml")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: no/such/sweep.yaml: file not found
    """
    return validate(SweepConfig, load_yaml(path), str(path))


def sweep_hash(config: SweepConfig) -> str:
    """SHA-256 of the validated config: two configs with the same hash run the same sweep.

    Examples
    --------
    >>> a = SweepConfig(model="estimation", seed=1, design="grid", swept={"truth": [1.0]})
    >>> sweep_hash(a) == sweep_hash(a.model_copy())
    True
    >>> sweep_hash(a) == sweep_hash(a.model_copy(update={"seed": 2}))
    False
    """
    return config_hash(config.model_dump(mode="json"))


# ---------------------------------------------------------------------------------------------
# parameter names and values, checked against the model's schema


def _check_name(model: str, section: str, name: str) -> None:
    fields = get_model(model).params_schema.model_fields
    if name not in fields:
        shown = name if isinstance(name, str) and len(name) <= 40 else short_repr(name)
        raise ValueError(f"{section}.{shown}: not a parameter of model {model}; allowed: "
                         f"{', '.join(sorted(fields))}")


@functools.cache
def _holder(model: str, name: str) -> type[BaseModel]:
    """A one-field model holding parameter ``name`` of ``model``: validating through it gives
    errors located like a config's (``network.degre: unknown key; allowed keys: ...``)."""
    field = get_model(model).params_schema.model_fields[name]
    # the field's type and constraints (ge, le, a union's discriminator), without its
    # default and description, which only make sense on a model's field
    metadata = [*field.metadata]
    if field.discriminator is not None:
        metadata.append(Field(discriminator=field.discriminator))
    annotation = Annotated[(field.annotation, *metadata)] if metadata else field.annotation
    return create_model(f"Parameter_{name}",
                        __config__=ConfigDict(strict=True, allow_inf_nan=False, extra="forbid"),
                        **{name: (annotation, ...)})


def canonical_value(model: str, name: str, value: Any, where: str | None = None) -> Any:
    """Validate one parameter value on its own; return it in its canonical JSON-able form.

    Integers given for a float parameter become floats, so ``0`` and ``0.0`` are the same
    point (and get the same seeds); a structured parameter (e.g. a network spec) becomes a
    plain dict with its defaults filled in.

    Examples
    --------
    >>> canonical_value("estimation", "correlation", 0)
    0.0
    >>> canonical_value("estimation", "correlation", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: correlation: Input should be less than or equal to 1 (got 1.5)
    """
    if isinstance(value, np.generic):
        value = value.item()
    holder = _holder(model, name)
    try:
        return holder.model_validate({name: value}).model_dump(mode="json")[name]
    except ValidationError as exc:
        detail = describe_error(exc, holder)  # starts with name (and the nested keys)
        raise ValueError(f"{where or name}{detail.removeprefix(name)}") from None


def _numeric_kind(model: str, name: str) -> str | None:
    """'int' or 'float' for a numeric parameter, None for any other (e.g. a noise family)."""
    annotation = get_model(model).params_schema.model_fields[name].annotation
    kinds = {arg for arg in (get_args(annotation) or (annotation,)) if arg is not type(None)}
    if kinds == {int}:
        return "int"
    if kinds == {float}:
        return "float"
    return None


# ---------------------------------------------------------------------------------------------
# swept axes


def point_columns(config: SweepConfig) -> tuple[list[dict[str, Any]], dict[str, list]]:
    """The points of a ``points`` design, validated value by value and made canonical.

    Returns the points (canonical values) and the same as columns (name -> values in point
    order). Every point must name the same parameters, none of them fixed, and no point may
    repeat another (it would get the same key, so the same seeds).

    Examples
    --------
    >>> config = SweepConfig(model="estimation", seed=0, design="points",
    ...                      points=[{"n_agents": 10, "correlation": 0},
    ...                              {"n_agents": 20, "correlation": 0.5}])
    >>> point_columns(config)[1]
    {'n_agents': [10, 20], 'correlation': [0.0, 0.5]}
    """
    points = config.points or []
    names = list(points[0]) if points else []
    seen: dict[str, int] = {}
    canonical_points = []
    for i, point in enumerate(points):
        where = f"points[{i}]"
        if list(point) != names and set(point) != set(names):
            raise ValueError(f"{where}: names {short_repr(sorted(map(str, point)), 80)}; every "
                             f"point must name the same parameters as points[0] "
                             f"({short_repr(sorted(map(str, names)), 80)})")
        values = {}
        for name in names:
            _check_name(config.model, "points", name)
            if name in config.fixed:
                raise ValueError(f"{where}.{name}: also in fixed; a parameter is either fixed "
                                 "or set by the points")
            values[name] = canonical_value(config.model, name, point[name], f"{where}.{name}")
        text = json.dumps(values, sort_keys=True)
        if text in seen:
            raise ValueError(f"{where}: repeats points[{seen[text]}]; each point must be "
                             "distinct")
        seen[text] = i
        canonical_points.append(values)
    columns = {name: [point[name] for point in canonical_points] for name in names}
    return canonical_points, columns


def swept_axes(config: SweepConfig) -> dict[str, GridAxis | RangeAxis]:
    """Each swept parameter's values (grid) or range (sampled designs), validated.

    Raises
    ------
    ValueError
        With a one-line message naming ``swept.<parameter>``.

    Examples
    --------
    >>> config = SweepConfig(model="estimation", seed=0, design="grid",
    ...                      swept={"n_agents": {"logspace": [1, 3, 3]}})
    >>> swept_axes(config)["n_agents"].values
    (10, 100, 1000)
    """
    axes = {}
    for name, spec in config.swept.items():
        _check_name(config.model, "swept", name)
        where = f"swept.{name}"
        if config.design == "grid":
            axes[name] = _grid_axis(config.model, name, spec, where)
        else:
            axes[name] = _range_axis(config.model, name, spec, where, config.design)
    return axes


_GRID_FORMS = "a list of values, {linspace: [start, stop, n]} or {logspace: [start, stop, n]}"


def _grid_axis(model: str, name: str, spec: Any, where: str) -> GridAxis:
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"{where}: needs at least one value")
        raw = spec
    elif isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("linspace",
                                                                           "logspace"):
        raw = _spaced_values(model, name, spec, where)
    elif isinstance(spec, dict) and {"low", "high"} & set(spec):
        raise ValueError(f"{where}: design grid needs values ({_GRID_FORMS}); ranges "
                         "{low, high} are for sampled designs")
    else:
        raise ValueError(f"{where}: design grid needs {_GRID_FORMS}; got {short_repr(spec)}")
    values = tuple(canonical_value(model, name, value, where) for value in raw)
    if len({json.dumps(value, sort_keys=True) for value in values}) != len(values):
        raise ValueError(f"{where}: values repeat ({short_repr(values)}); each grid value "
                         "must be distinct")
    return GridAxis(values)


def _spaced_values(model: str, name: str, spec: dict, where: str) -> list:
    (kind, args), = spec.items()
    where = f"{where}.{kind}"
    if not (isinstance(args, list) and len(args) == 3):
        raise ValueError(f"{where}: needs [start, stop, n]; got {short_repr(args)}")
    start, stop, n = args
    for label, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValueError(f"{where}: {label} must be a finite number; got "
                             f"{short_repr(value)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{where}: n must be an integer >= 1; got {short_repr(n)}")
    # counted before np.linspace builds the values (10^9 of them would take 7.45 GiB)
    check_count(f"{where}: n", n, MAX_DESIGN_POINTS, "values")
    if kind == "logspace" and max(abs(start), abs(stop)) > 300:
        raise ValueError(f"{where}: start and stop are base-10 exponents; got "
                         f"{short_repr(args)}")
    values = np.linspace(start, stop, n) if kind == "linspace" else np.logspace(start, stop, n)
    if _numeric_kind(model, name) == "int":
        # an integer parameter (e.g. n_agents) takes the nearest integers
        rounded = [int(v) for v in np.rint(values)]
        if len(set(rounded)) != len(rounded):
            raise ValueError(f"{where}: rounded to integers the values repeat "
                             f"({short_repr(rounded)}); use fewer values")
        return rounded
    return [float(v) for v in values]


def _range_axis(model: str, name: str, spec: Any, where: str, design: str) -> RangeAxis:
    if not (isinstance(spec, dict) and {"low", "high"} <= set(spec)):
        raise ValueError(f"{where}: design {design} samples a range: give "
                         f"{{low: a, high: b}} (optionally log: true, integer: true); "
                         f"got {short_repr(spec)}")
    unknown = sorted(set(spec) - {"low", "high", "log", "integer"})
    if unknown:
        key = unknown[0] if isinstance(unknown[0], str) and len(unknown[0]) <= 40 \
            else short_repr(unknown[0])
        raise ValueError(f"{where}.{key}: unknown key; allowed keys: high, "
                         "integer, log, low")
    kind = _numeric_kind(model, name)
    if kind is None:
        raise ValueError(f"{where}: only numeric parameters can be sampled from a range; "
                         f"list it under fixed, or use design grid")
    low, high = spec["low"], spec["high"]
    for label, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise ValueError(f"{where}.{label}: must be a finite number; got "
                             f"{short_repr(value)}")
    for label in ("log", "integer"):
        if not isinstance(spec.get(label, False), bool):
            raise ValueError(f"{where}.{label}: must be true or false; got "
                             f"{short_repr(spec[label])}")
    if not low < high:
        raise ValueError(f"{where}: needs low < high; got low {short_repr(low)}, high "
                         f"{short_repr(high)}")
    log = spec.get("log", False)
    if log and low <= 0:
        raise ValueError(f"{where}: log: true needs low > 0; got {short_repr(low)}")
    integer = spec.get("integer", kind == "int")
    if kind == "int" and not integer:
        raise ValueError(f"{where}.integer: {name} is an integer parameter; its samples are "
                         "rounded (drop integer: false)")
    for value in (low, high):  # the ends must be valid values of the parameter on their own
        canonical_value(model, name, round(value) if kind == "int" else float(value), where)
    return RangeAxis(low=float(low), high=float(high), log=log, integer=integer)

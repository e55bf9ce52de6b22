"""Configs: YAML files validated by pydantic schemas, with one-line errors.

Every problem with a config (missing file, bad YAML, unknown key, wrong type, value out of
range, NaN) becomes a :class:`ConfigError` whose message is one line naming the field and
what is allowed. The CLI prints it and exits with code 2 before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ConfigError", "Strict", "ExperimentConfig", "load_yaml", "validate", "config_hash",
           "check_params", "UnitInterval", "NonNegative", "check_distinct",
           "reject_swept_settings"]

#: A config field's type for a number in [0, 1] (a share, a probability, a weight); in a list,
#: a bad value's error names the list and its index (``copying.1``).
UnitInterval = Annotated[float, Field(ge=0, le=1)]
#: A config field's type for a number >= 0.
NonNegative = Annotated[float, Field(ge=0)]


class ConfigError(ValueError):
    """A config (or command-line input) that cannot be used; the message is one line."""


class Strict(BaseModel):
    """The one strict schema base: unknown keys, NaN/inf and silent type coercion are errors,
    and validated values cannot change. Every config and parameter schema derives from it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


class ExperimentConfig(Strict):
    """Fields every experiment config has; experiments subclass it with their own."""

    experiment: str = Field(description="name of the experiment module in experiments/")
    title: str | None = Field(None, description="human-readable title for reports")
    seed: int = Field(ge=0, description="base seed; every random draw derives from it")


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping from ``path``, raising :class:`ConfigError` on any problem.

    Examples
    --------
    >>> load_yaml("no/such/file.yaml")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: no/such/file.yaml: file not found
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def validate(schema: type[BaseModel], data: dict[str, Any], source: str = "config"):
    """Validate ``data`` against ``schema``; the first problem becomes a one-line ConfigError."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_error(exc, schema)}") from None


def describe_error(exc: ValidationError, schema: type[BaseModel]) -> str:
    """One line naming the field of the first error and what is allowed."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    path, model = _resolve_location(schema, first["loc"])
    loc = ".".join(path)
    kind = first["type"]
    message = first["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = sorted(model.model_fields) if model is not None else []
        message = "unknown key" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        message = "required field is missing"
    elif "input" in first and kind not in ("value_error", "assertion_error"):
        message += f" (got {_short(first['input'])})"
    if isinstance(first.get("input"), float) and math.isnan(first["input"]):
        message = "must be a finite number, got NaN"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    return (f"{loc}: " if loc else "") + message + more


def _resolve_location(schema: type[BaseModel], loc: tuple) -> tuple[list[str], type | None]:
    """The user-facing path of an error location, and the model holding its last key.

    Pydantic puts a discriminated union's tag into the location (``observed.summary.x``);
    users never wrote that tag as a key, so it is dropped from the path.
    """
    path: list[str] = []
    model: type | None = schema
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        path.append(str(part))
        if not parts:
            break
        field = model.model_fields.get(str(part)) if model is not None else None
        annotation = getattr(field, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        members = [m for m in get_args(annotation)
                   if isinstance(m, type) and issubclass(m, BaseModel)]
        tagged = {_tag_of(m): m for m in members}
        if parts and parts[0] in tagged:
            model = tagged[parts.pop(0)]
        else:
            model = None
    return path, model


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("kind")
    args = get_args(field.annotation) if field is not None else ()
    return args[0] if args else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def config_hash(data: dict[str, Any]) -> str:
    """SHA-256 of a config's canonical JSON form (key order and formatting do not matter).

    Examples
    --------
    >>> config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    True
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_params(schema: type[BaseModel], where: str, **values: Any) -> BaseModel:
    """Validate ``values`` against a model's parameter schema from inside a config validator.

    A config that builds model parameters from its own fields (one value of a swept list,
    say) calls this in its ``model_validator``, so that a bad value fails as the config's own
    one-line error: the model's ``ValidationError`` becomes a ``ValueError`` that says where
    in the config the values came from (``where``) and names the model's field.

    Examples
    --------
    >>> class Voter(Strict):
    ...     competence: float = Field(0.6, ge=0, le=1)
    >>> check_params(Voter, "competences (1.5)", competence=1.5)
    Traceback (most recent call last):
    ...
    ValueError: competences (1.5): competence: Input should be less than or equal to 1 (got 1.5)
    >>> check_params(Voter, "competences", competence=0.25).competence
    0.25
    """
    try:
        return schema(**values)
    except ValidationError as exc:
        raise ValueError(f"{where}: {describe_error(exc, schema)}") from None


def check_distinct(name: str, values: Sequence[Any]) -> None:
    """Refuse a swept list that repeats a value, from inside a config validator: a repeated
    value is the same parameter point, with the same seeds, so its runs would repeat too.

    Examples
    --------
    >>> check_distinct("quorum", [5, 10, 20])
    >>> check_distinct("quorum", [5, 10, 5])
    Traceback (most recent call last):
    ...
    ValueError: quorum: values must differ, got 5 more than once
    """
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{name}: values must differ, got {value!r} more than once")
        seen.add(value)


def reject_swept_settings(params: BaseModel, where: str, swept_by: Mapping[str, str]) -> None:
    """Refuse parameters that a config's shared parameters (``where``: the field holding the
    model's parameters every point shares) set although a top-level list sweeps them.

    Parameters
    ----------
    params : pydantic.BaseModel
        The shared parameters as validated; only the ones the config set count.
    where : str
        The config field holding them (``swarm``, ``sequence`` ...).
    swept_by : mapping of str to str
        Parameter name -> the top-level list that sweeps it.

    Examples
    --------
    >>> class Swarm(Strict):
    ...     noise: float = 0.2
    >>> reject_swept_settings(Swarm(), "swarm", {"noise": "noise"})
    >>> reject_swept_settings(Swarm(noise=1.0), "swarm", {"noise": "noise"})
    Traceback (most recent call last):
    ...
    ValueError: swarm.noise: swept by the top-level 'noise' list; remove it from swarm
    """
    for name, sweeping in swept_by.items():
        if name in params.model_fields_set:
            raise ValueError(f"{where}.{name}: swept by the top-level '{sweeping}' list; "
                             f"remove it from {where}")

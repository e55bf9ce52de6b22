"""Configs: YAML files validated by pydantic schemas, with one-line errors.

Every problem with a config (missing file, bad YAML, unknown key, wrong type, value out of
range, NaN) becomes a :class:`ConfigError` whose message is one line naming the field and
what is allowed. The CLI prints it and exits with code 2 before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import reprlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

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

    @field_validator("title")
    @classmethod
    def _check_title(cls, title: str | None) -> str | None:
        return title if title is None else check_text(title)

    @model_validator(mode="after")
    def _check_sizes(self) -> ExperimentConfig:
        # Refused here, before the experiment starts (and logs, fits, writes): every stage is
        # checked again by the sweep engine, but a config's own sizes are named best here.
        check_experiment_sizes(self)
        return self


#: Experiment config fields counting runs per point (each one run of a stage).
RUN_COUNT_FIELDS = ("replicates", "juries", "repeats")


def check_experiment_sizes(config: BaseModel, where: str = "") -> None:
    """Refuse an experiment config whose counts of runs (:data:`RUN_COUNT_FIELDS`) or sizes of
    one run (:data:`sim.limits.SIZE_PARAMETERS`, and ``n``: a simulated crowd's size) exceed
    :mod:`sim.limits`, in it or in the parameter blocks it holds (``sequence.n_agents``)."""
    from sim.limits import MAX_RUN_SIZE, MAX_RUNS, SIZE_PARAMETERS, check_count

    for name in type(config).model_fields:
        value = getattr(config, name)
        path = f"{where}{name}"
        if isinstance(value, BaseModel):
            check_experiment_sizes(value, f"{path}.")
        elif isinstance(value, int) and not isinstance(value, bool):
            if name in RUN_COUNT_FIELDS:
                check_count(path, value, MAX_RUNS, "runs per point")
            elif name in SIZE_PARAMETERS or name == "n":
                check_count(path, value, MAX_RUN_SIZE, "agents or steps in one run")


def check_text(text: str) -> str:
    """``text`` if it can be written to a file (valid Unicode), else a ValueError: a lone
    surrogate (``"\\ud800"`` in YAML) passes for a string but breaks every report.

    Examples
    --------
    >>> check_text("Galton's ox")
    "Galton's ox"
    >>> check_text("bad \\ud800")
    Traceback (most recent call last):
    ...
    ValueError: holds a lone surrogate (U+D800), which is not valid Unicode
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"holds a lone surrogate (U+{ord(text[exc.start]):04X}), which is "
                         "not valid Unicode") from None
    return text


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping from ``path``, raising :class:`ConfigError` on any problem.

    Besides YAML's own syntax errors, the reader (:class:`ConfigLoader`) refuses a key given
    twice in one mapping, aliases expanding to more than
    :data:`sim.limits.MAX_YAML_ALIAS_NODES` nodes, nesting deeper than
    :data:`sim.limits.MAX_YAML_DEPTH` and text that is not valid Unicode (a lone surrogate
    such as ``"\\ud800"``), each naming its line, and a file larger than
    :data:`sim.limits.MAX_CONFIG_BYTES`.

    Examples
    --------
    >>> load_yaml("no/such/file.yaml")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: no/such/file.yaml: file not found
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file (give the path of a "
                          ".yaml file)")
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    from sim.limits import MAX_CONFIG_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {size:,} bytes, more than the limit of "
                              f"{MAX_CONFIG_BYTES:,} for a config (put data in a file it names)")
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {describe_yaml_error(exc)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return data


class YamlRefused(yaml.YAMLError):
    """A YAML document the config reader refuses (duplicate key, alias bomb, deep nesting,
    lone surrogate): ``problem`` says what, ``problem_mark`` where."""

    def __init__(self, problem: str, mark):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, hardened for configs from anyone.

    * a key repeated in one mapping is an error (YAML says keys are unique; PyYAML keeps the
      last one silently), merge keys (``<<``) excepted;
    * aliases may expand to at most :data:`sim.limits.MAX_YAML_ALIAS_NODES` nodes in all,
      counted as they are composed, before anything is constructed (a "billion laughs" of
      nine nested anchors would otherwise build 10^9 items); an alias inside its own anchor
      is refused;
    * nesting deeper than :data:`sim.limits.MAX_YAML_DEPTH` is an error, not a
      ``RecursionError``;
    * strings must be valid Unicode: a lone surrogate (``"\\ud800"``) cannot be written to
      any file or report.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._alias_nodes = 0
        self._open_anchors: list[str] = []   # anchors whose nodes are being composed
        self._sizes: dict[int, int] = {}     # expanded size of each aliased node, by id

    def compose_node(self, parent, index):
        from sim.limits import MAX_YAML_ALIAS_NODES, MAX_YAML_DEPTH

        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = self.anchors.get(event.anchor)
            if node is not None:
                # PyYAML registers an anchor before composing its children: an alias to an
                # anchor still open would make a recursive structure
                if event.anchor in self._open_anchors:
                    raise YamlRefused(f"alias *{event.anchor} refers to the node that holds "
                                      "it (a recursive structure)", event.start_mark)
                self._alias_nodes += self._expanded_size(node)
                if self._alias_nodes > MAX_YAML_ALIAS_NODES:
                    raise YamlRefused(f"aliases expand to more than {MAX_YAML_ALIAS_NODES:,} "
                                      f"nodes (at *{event.anchor}); write the values out",
                                      event.start_mark)
            return super().compose_node(parent, index)
        if self._depth >= MAX_YAML_DEPTH:
            raise YamlRefused(f"nested more than {MAX_YAML_DEPTH} levels deep",
                              event.start_mark)
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        self._open_anchors.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.pop()

    def _expanded_size(self, node) -> int:
        """Nodes ``node`` stands for, aliases inside it expanded (memoised by node)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._expanded_size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._expanded_size(key) + self._expanded_size(value)
                           for key, value in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return size

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # '<<' overrides on purpose
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                if key in first_line:
                    raise YamlRefused(f"duplicate key {short_repr(key)} (first given at line "
                                      f"{first_line[key] + 1}); each key may appear once",
                                      key_node.start_mark)
                first_line[key] = key_node.start_mark.line
                if isinstance(value_node, yaml.ScalarNode) and _has_surrogate(value_node.value):
                    raise YamlRefused(f"{short_repr(key)}: {_SURROGATE}", value_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_str(self, node):
        # a value of a mapping is caught in construct_mapping, naming its key; this catches
        # the rest (list items, keys)
        value = super().construct_yaml_str(node)
        if _has_surrogate(value):
            raise YamlRefused(f"a string {_SURROGATE}", node.start_mark)
        return value


_SURROGATE = ("holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode; write the "
              "character itself")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


ConfigLoader.add_constructor("tag:yaml.org,2002:str", ConfigLoader.construct_yaml_str)


def parse_yaml(text: str) -> Any:
    """Parse YAML text with :class:`ConfigLoader` (raises ``yaml.YAMLError``).

    Examples
    --------
    >>> parse_yaml("seed: 1\\nseed: 2")
    Traceback (most recent call last):
    ...
    sim.config.YamlRefused: duplicate key 'seed' (first given at line 1); each key may appear once
    """
    loader = ConfigLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """One line for a YAML error: what is wrong and on which line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or "syntax error"
    if isinstance(exc, YamlRefused):
        return f"line {mark.line + 1}: {problem}" if mark is not None else problem
    return f"not valid YAML{where}: {problem}"


def validate(schema: type[BaseModel], data: dict[str, Any], source: str = "config"):
    """Validate ``data`` against ``schema``; the first problem becomes a one-line ConfigError."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_error(exc, schema)}") from None


def describe_error(exc: ValidationError, schema: type[BaseModel]) -> str:
    """One line naming the field of the first error and what is allowed."""
    errors = first_error_first(exc.errors(include_url=False))
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
        hint = number_as_text_hint(first["input"]) if kind.startswith("float") else ""
        message += f" (got {short_repr(first['input'])}{hint})"
    if isinstance(first.get("input"), float) and math.isnan(first["input"]):
        message = "must be a finite number, got NaN"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    return (f"{loc}: " if loc else "") + message + more


def first_error_first(errors: list[dict]) -> list[dict]:
    """Errors with an unknown key first: a misspelt key (``degre``) also makes the key it
    stands for missing, and the misspelling is what the user has to fix."""
    return sorted(errors, key=lambda error: error["type"] != "extra_forbidden")


def number_as_text_hint(value: Any) -> str:
    """A hint for a number YAML read as text (``1e3``, ``1.0e3``: YAML 1.1 floats need a dot
    and a signed exponent), else ``""``.

    Examples
    --------
    >>> number_as_text_hint("1e3")
    ': YAML reads 1e3 as text; write 1.0e+3'
    >>> number_as_text_hint("abc")
    ''
    """
    if not isinstance(value, str) or len(value) > 40 or "e" not in value.lower():
        return ""  # only the exponent form is YAML's trap; a quoted "12" was meant as text
    try:
        number = float(value.replace("_", ""))
    except ValueError:
        return ""
    if not math.isfinite(number) or value.strip().lower().lstrip("+-") in ("nan", "inf",
                                                                          "infinity"):
        return ""
    mantissa, _, exponent = value.strip().lower().partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[:1] not in ("+", "-"):
        exponent = "+" + exponent
    written = f"{mantissa}e{exponent}"
    return f": YAML reads {value} as text; write {written}"


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


def _bounded_repr() -> reprlib.Repr:
    # reprlib stops at a few items per container and a few levels: the text is cut while it
    # is made, so a value of 10^9 aliased items or a 200,000-item list costs microseconds
    shown = reprlib.Repr()
    shown.maxlevel = 3
    shown.maxlist = shown.maxtuple = shown.maxset = shown.maxfrozenset = shown.maxdeque = 6
    shown.maxdict = 4
    shown.maxstring = shown.maxother = 50
    shown.maxlong = 40
    return shown


_REPR = _bounded_repr()


def short_repr(value: Any, width: int = 60) -> str:
    """``repr(value)`` cut to about ``width`` characters without building the whole text:
    what every error message echoing a user's value shows.

    Examples
    --------
    >>> short_repr(list(range(200_000)))
    '[0, 1, 2, 3, 4, 5, ...]'
    >>> short_repr("x" * 1000)
    "'xxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxx'"
    >>> short_repr({"kind": "ring_lattice", "degree": 4})
    "{'degree': 4, 'kind': 'ring_lattice'}"
    """
    text = _REPR.repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


_short = short_repr


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
            raise ValueError(f"{name}: values must differ, got {short_repr(value)} more "
                             "than once")
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

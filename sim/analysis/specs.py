"""Dataset specs: a YAML file that describes a real multi-round estimation experiment once.

A spec (``configs/datasets/*.yaml``) names the data (a shipped dataset or a CSV file), its
round, truth and group columns, the analysis scale (``units``), the space in which simulated
people revise (``revision_space``), and, per experimental condition, what the participants
saw in the estimation model's terms (a :class:`Protocol`: ``information``, ``signal``,
``network``). Calibration, prediction and ``crowdsim analyze --spec`` read it through this
module:

* :func:`load_spec` reads and validates the YAML (:class:`DatasetSpec`); a bad spec is one
  :class:`~sim.config.ConfigError` line naming the key and what is allowed.
* :func:`load_observed` loads the data, checks it against the spec (columns, conditions and
  protocols, networks against the group sizes) and returns :class:`ObservedData`: one
  :class:`ObservedGroup` per group with its raw answers (people x rounds), truth and scale.
* :func:`to_analysis` puts raw numbers on the analysis scale (ln, or divided by the scale),
  on which errors ``|aggregate - truth|`` match :mod:`sim.analysis.rounds`.
* :func:`analyze_spec` is :func:`sim.analysis.rounds.analyze_rounds` on the used rows, and
  :func:`analyze_spec_command` what ``crowdsim analyze --spec FILE.yaml`` prints.

Usable answers
    A usable answer is a finite number; it must also be positive when ``units: log`` or
    ``revision_space: log`` (simulated people revise ``ln x``). Unusable answers (missing,
    junk, infinite, non-positive where positives are needed) are counted per condition in
    ``dropped``. A row (one person answering one question) whose truth is unusable (not
    finite; under ``units: log`` not positive) is dropped with all its answers. A person is
    kept when the first round's answer is usable, or with ``complete_cases: true`` only when
    every round's answer is; removed people are counted per condition in ``people_dropped``.
    Kept people's unusable later answers are NaN (in :attr:`ObservedGroup.estimates` and in
    the round columns of :attr:`ObservedData.frame`), so the analysis skips them as
    :mod:`sim.analysis.rounds` does. A group left without people is left out.

Examples
--------
>>> spec = load_spec("configs/datasets/lorenz2011.yaml")
>>> spec.units, spec.rounds[0], sorted(spec.protocols)
('log', 'E1', ['aggregated', 'full', 'no'])
>>> observed = load_observed(spec)
>>> len(observed.groups), observed.conditions()
(72, ['aggregated', 'full', 'no'])
>>> group = observed.groups[0]
>>> group.condition, group.estimates.shape
('aggregated', (12, 5))
>>> bool(np.allclose(to_analysis(group.estimates, group, spec.units), np.log(group.estimates)))
True
>>> result = analyze_spec(observed)
>>> [round(v, 3) for v in result["by"]["aggregated"]["per_round"]["error_of_mean"][::4]]
[0.796, 0.474]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, field_validator, model_validator

from sim.analysis.datasets import load_becker, load_lorenz
from sim.analysis.rounds import _numeric, analyze_rounds, format_rounds_table
from sim.analysis.tables import read_csv_table
from sim.config import ConfigError, Strict, load_yaml, validate
from sim.models.estimation.rules import INFORMATION, REVISION_SPACES, SIGNALS
from sim.networks.specs import NetworkSpec, NoNetwork, check

__all__ = ["SHIPPED", "UNITS", "Protocol", "DatasetSpec", "ObservedGroup", "ObservedData",
           "load_spec", "load_observed", "to_analysis", "analyze_spec", "analyze_spec_command"]

#: Shipped datasets a spec's ``data`` may name, and their loaders.
SHIPPED = {"lorenz2011": load_lorenz, "becker2017": load_becker}

#: The analysis scales: ``log`` (ln units), ``linear`` (divided by |truth|), ``scaled``
#: (divided by the ``scale`` column).
UNITS = ("log", "linear", "scaled")

_Name = Annotated[str, Field(min_length=1)]
_TRUTHY = frozenset({"true", "1", "1.0"})


# ---------------------------------------------------------------------------------------------
# the spec


class Protocol(Strict):
    """What one condition's participants saw, in the estimation model's terms.

    ``information`` is one of :data:`sim.models.estimation.rules.INFORMATION`, ``signal`` one
    of :data:`~sim.models.estimation.rules.SIGNALS` (the aggregate shown), ``network`` a
    :data:`sim.networks.specs.NetworkSpec`: required with ``neighbours``, refused otherwise.

    Examples
    --------
    >>> Protocol(information="aggregate").signal
    'mean'
    >>> Protocol(information="none", network={"kind": "star"})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Protocol
    ...
    """

    information: Literal[INFORMATION]
    signal: Literal[SIGNALS] = "mean"
    network: NetworkSpec = NoNetwork(kind="none")

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [key for key in data if key not in cls.model_fields]
            if unknown:
                raise ValueError(f"unknown key {unknown[0]!r}; allowed keys: "
                                 f"{', '.join(cls.model_fields)}")
        return data

    @model_validator(mode="after")
    def _network_matches(self):
        if self.information == "neighbours" and self.network.kind == "none":
            raise ValueError("network: required with information: neighbours "
                             "(e.g. {kind: random_regular, degree: 4})")
        if self.information != "neighbours" and self.network.kind != "none":
            raise ValueError(f"network: only with information: neighbours (information is "
                             f"{self.information}; leave network out)")
        return self


class DatasetSpec(Strict):
    """A multi-round estimation experiment's data and what its participants saw.

    Fields (the YAML keys): ``dataset`` (a name for reports); ``data`` (a shipped dataset,
    :data:`SHIPPED`, or a CSV path relative to the YAML file); ``rounds`` (>= 2 answer
    columns in order); ``truth``; ``groups`` (columns whose combination is one group answering
    together); ``condition`` (optional column, each value getting a protocol); ``where``
    (optional pandas query applied first); ``complete_cases`` (default false: keep only
    people with a usable answer in every round); ``units`` (:data:`UNITS`); ``scale``
    (required with ``units: scaled``, refused otherwise); ``revision_space`` (``log`` or
    ``linear``, default ``log``); ``hub`` (optional column marking a network's centre: that
    member is placed first in its group); ``protocols`` (condition value -> :class:`Protocol`;
    without ``condition`` exactly one, named anything); ``source`` (optional citation).

    The YAML file's path, when read by :func:`load_spec`, is :attr:`path`; a relative CSV
    path in ``data`` is resolved against its folder (else against the working folder).
    """

    dataset: _Name
    data: _Name
    rounds: list[_Name]
    truth: _Name
    groups: list[_Name]
    condition: _Name | None = None
    where: _Name | None = None
    complete_cases: bool = False
    units: Literal[UNITS]
    scale: _Name | None = None
    revision_space: Literal[REVISION_SPACES] = "log"
    hub: _Name | None = None
    protocols: dict[_Name, Protocol]
    source: str | None = None

    _path: Path | None = PrivateAttr(None)

    @field_validator("rounds")
    @classmethod
    def _two_rounds(cls, rounds: list[str]) -> list[str]:
        if len(rounds) < 2:
            raise ValueError(f"need at least 2 round columns, got {len(rounds)} "
                             f"({', '.join(rounds) or 'none'})")
        _distinct(rounds)
        return rounds

    @field_validator("groups")
    @classmethod
    def _some_groups(cls, groups: list[str]) -> list[str]:
        if not groups:
            raise ValueError("need at least one column (the columns whose combination is one "
                             "group answering together)")
        _distinct(groups)
        return groups

    @field_validator("protocols", mode="before")
    @classmethod
    def _text_names(cls, protocols: Any) -> Any:
        if isinstance(protocols, dict):
            for name in protocols:
                if not isinstance(name, str):
                    raise ValueError(f"condition names must be text, got {name!r} (YAML reads "
                                     f"a bare no, yes, on, off as a boolean and 1 as a "
                                     f"number: quote it)")
        return protocols

    @field_validator("protocols")
    @classmethod
    def _some_protocols(cls, protocols: dict) -> dict:
        if not protocols:
            raise ValueError("need at least one protocol (condition value -> {information: "
                             "none | aggregate | full | neighbours, ...})")
        return protocols

    @model_validator(mode="after")
    def _consistent(self):
        if self.units == "scaled" and self.scale is None:
            raise ValueError("scale: required with units: scaled (the column that divides "
                             "errors and SD, e.g. sd_pool)")
        if self.units != "scaled" and self.scale is not None:
            raise ValueError(f"scale: only with units: scaled (units is {self.units}; "
                             f"leave scale out)")
        if self.condition is None and len(self.protocols) != 1:
            raise ValueError(f"protocols: without a condition column exactly one protocol is "
                             f"allowed, got {len(self.protocols)} "
                             f"({', '.join(sorted(self.protocols))})")
        roles = [("truth", [self.truth]), ("groups", self.groups),
                 ("condition", [self.condition]), ("scale", [self.scale]), ("hub", [self.hub])]
        for key, names in roles:
            clash = [name for name in names if name in self.rounds]
            if clash:
                raise ValueError(f"{key}: column {clash[0]!r} is also one of the rounds")
        for key, names in roles[1:]:
            if self.truth in names:
                raise ValueError(f"{key}: column {self.truth!r} is also the truth column")
        return self

    @property
    def path(self) -> Path | None:
        """The YAML file this spec was read from (None if built in Python)."""
        return self._path

    def with_path(self, path: str | Path | None) -> DatasetSpec:
        """This spec, remembering ``path`` as its YAML file (for resolving ``data``)."""
        spec = self.model_copy()
        spec._path = Path(path) if path is not None else None
        return spec

    def data_file(self) -> Path | None:
        """The CSV file ``data`` names (None for a shipped dataset)."""
        if self.data in SHIPPED:
            return None
        path = Path(self.data).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def data_frame(self) -> pd.DataFrame:
        """The data as loaded (raw), its columns checked, after ``where``.

        Raises
        ------
        ConfigError
            One line naming the key: data file not found or unreadable, a column missing,
            ``where`` failing or leaving no rows.
        """
        frame = _load_data(self)
        name = self.data if self.data in SHIPPED else str(self.data_file())
        columns = [str(column) for column in frame.columns]
        shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        for key, names in (("rounds", self.rounds), ("truth", [self.truth]),
                           ("groups", self.groups), ("condition", [self.condition]),
                           ("scale", [self.scale]), ("hub", [self.hub])):
            for column in names:
                if column is not None and column not in columns:
                    raise self._error(f"{key}: column {column!r} not in {name} "
                                      f"(columns: {shown})")
        if self.where is not None:
            try:
                filtered = frame.query(self.where)
            except Exception as exc:  # any failure of the query is the user's
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise self._error(f'where: cannot apply "{self.where}" ({reason})') from None
            if not isinstance(filtered, pd.DataFrame):  # pragma: no cover - query's contract
                raise self._error(f'where: cannot apply "{self.where}" (not a row filter)')
            if filtered.empty:
                raise self._error(f'where: "{self.where}" leaves no rows of {name} '
                                  f"({len(frame)} rows before)")
            frame = filtered
        return frame

    def _error(self, message: str) -> ConfigError:
        head = str(self.path) if self.path is not None else f"dataset {self.dataset}"
        return ConfigError(f"{head}: {message}")


def _distinct(names: Sequence[str]) -> None:
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise ValueError(f"column {repeated[0]!r} given more than once")


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate a dataset spec (YAML); :attr:`DatasetSpec.path` is ``path``.

    Raises
    ------
    ConfigError
        One line naming the file and the key: missing file, bad YAML, unknown key, wrong
        value. Data problems are found by :func:`load_observed` (or
        :meth:`DatasetSpec.data_frame`).

    Examples
    --------
    >>> load_spec("configs/datasets/becker2017.yaml").protocols["Solo"].information
    'none'
    """
    data = load_yaml(path)
    return validate(DatasetSpec, data, source=str(path)).with_path(path)


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV file with a header row, numeric columns as numbers; one-line ConfigErrors.

    Read by :func:`sim.analysis.tables.read_csv_table` (separator sniffed, encodings
    checked); a row with more or fewer fields than the header is refused (a dataset is
    analysed whole). A column whose every non-empty cell is a plain number (``.`` decimals,
    no thousands separators) becomes numeric; the others stay text.
    """
    table = read_csv_table(path)
    if table.bad_rows:
        raise ConfigError(f"data: {path}: {table.bad_rows_note()}; fix or remove them")
    frame = table.frame.where(table.frame != "")  # empty cells are missing
    for index in range(frame.shape[1]):
        try:
            numbers = pd.to_numeric(frame.iloc[:, index])
        except (ValueError, TypeError):
            continue  # text (or junk, counted as dropped where a number is needed)
        frame.isetitem(index, numbers)
    return frame


def _load_data(spec: DatasetSpec) -> pd.DataFrame:
    if spec.data in SHIPPED:
        return SHIPPED[spec.data]()
    path = spec.data_file()
    if not path.is_file():
        raise spec._error(f"data: file not found: {path} (give a shipped dataset, "
                          f"{' or '.join(SHIPPED)}, or a CSV path relative to the spec)")
    return _read_csv(path)


# ---------------------------------------------------------------------------------------------
# the observed groups


@dataclass(frozen=True)
class ObservedGroup:
    """One group answering one question together.

    Attributes
    ----------
    key : tuple
        The values of the spec's group columns.
    condition : str
        The condition (the ``condition`` column's value as text; without a condition
        column, the one protocol's name).
    truth : float
        The true value, raw units.
    scale : float
        The divisor of errors and SD in analysis units: the scale column's value
        (``scaled``), ``|truth|`` (``linear``), 1.0 (``log``).
    estimates : numpy.ndarray
        (people, rounds) raw answers of the people kept (see the module docstring), NaN where
        unusable; the hub first when the spec has ``hub`` and the hub was kept, otherwise in
        the data's row order.
    has_hub : bool
        Whether row 0 is the group's marked hub.
    """

    key: tuple
    condition: str
    truth: float
    scale: float
    estimates: np.ndarray
    has_hub: bool = False

    @property
    def n_people(self) -> int:
        """People in the group (rows of :attr:`estimates`)."""
        return int(self.estimates.shape[0])


@dataclass(frozen=True)
class ObservedData:
    """The usable part of a dataset, as groups (from :func:`load_observed`).

    Attributes
    ----------
    spec : DatasetSpec
    frame : pandas.DataFrame
        The rows used (after ``where``, ``complete_cases`` and usability) with the original
        columns, in the data's order; the round columns are numbers, NaN where unusable.
    groups : list of ObservedGroup
        Sorted by condition, then group key.
    dropped : dict
        Per condition: answers (cells) dropped as unusable (see the module docstring).
    people_dropped : dict
        Per condition: people (rows) removed by ``complete_cases`` or usability.
    """

    spec: DatasetSpec
    frame: pd.DataFrame
    groups: list[ObservedGroup]
    dropped: dict[str, int]
    people_dropped: dict[str, int]
    _group_rows: tuple = field(default=(), repr=False, compare=False)
    _group_drops: tuple = field(default=(), repr=False, compare=False)

    def conditions(self) -> list[str]:
        """The conditions that have groups, in sorted order."""
        return sorted({group.condition for group in self.groups})

    def subset(self, indices: Sequence[int]) -> ObservedData:
        """The same data with only the groups at ``indices`` (in that order).

        ``frame`` keeps those groups' rows and ``dropped`` and ``people_dropped`` count the
        drops in those groups (per condition present in the subset).
        """
        indices = [int(index) for index in np.asarray(indices, dtype=int).reshape(-1)]
        for index in indices:
            if not -len(self.groups) <= index < len(self.groups):
                raise IndexError(f"subset: group index {index} out of range "
                                 f"({len(self.groups)} groups)")
        groups = [self.groups[index] for index in indices]
        dropped: dict[str, int] = {}
        people: dict[str, int] = {}
        rows = []
        for index, group in zip(indices, groups):
            cells, removed = self._group_drops[index]
            dropped[group.condition] = dropped.get(group.condition, 0) + cells
            people[group.condition] = people.get(group.condition, 0) + removed
            rows.append(self._group_rows[index])
        positions = np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=int)
        return ObservedData(self.spec, self.frame.iloc[positions], groups,
                            dict(sorted(dropped.items())), dict(sorted(people.items())),
                            tuple(np.searchsorted(positions, part) for part in rows),
                            tuple(self._group_drops[i] for i in indices))

    def data_hash(self) -> str:
        """SHA-256 of the numbers used: per group its condition, truth, scale and answers.

        Stable across runs and platforms (floats by their exact hex form, NaN as one
        value); the group keys and the rest of the frame do not enter.
        """
        digest = hashlib.sha256()
        for group in self.groups:
            values = np.asarray(group.estimates, dtype=float)
            head = [group.condition, float(group.truth).hex(), float(group.scale).hex(),
                    list(values.shape)]
            digest.update(json.dumps(head).encode("utf-8"))
            digest.update(";".join("nan" if np.isnan(v) else float(v).hex()
                                   for v in values.reshape(-1)).encode("ascii"))
            digest.update(b"\n")
        return digest.hexdigest()


def _truthy(value: Any) -> bool:
    if value is True:
        return True
    if value is None or value is False or (isinstance(value, float) and np.isnan(value)):
        return False
    return str(value).strip().lower() in _TRUTHY


def _describe(columns: list[str], key: tuple) -> str:
    return "(" + ", ".join(f"{name}={value}" for name, value in zip(columns, key)) + ")"


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def load_observed(spec: DatasetSpec) -> ObservedData:
    """Load a spec's data and split it into groups of raw answers.

    Parameters
    ----------
    spec : DatasetSpec
        E.g. from :func:`load_spec`.

    Returns
    -------
    ObservedData
        The rows used, the groups (sorted by condition, then key) and the drops.

    Raises
    ------
    ConfigError
        One line naming the key: the problems of :meth:`DatasetSpec.data_frame`; a condition
        value without a protocol or a protocol for an absent condition; missing condition
        values; a condition, truth or scale not constant within a group; a scale that is
        not a positive number, a zero truth with ``units: linear``; more than one hub in a
        group; a network its group's size does not allow; no usable answer at all.
    """
    frame = spec.data_frame().copy()
    n_rows = len(frame)
    estimates = np.column_stack([_numeric(frame[name]) for name in spec.rounds])
    truth = _numeric(frame[spec.truth])
    positive = spec.units == "log" or spec.revision_space == "log"
    with np.errstate(invalid="ignore"):
        usable = ~np.isnan(estimates) & ((estimates > 0) if positive else True)
        truth_ok = ~np.isnan(truth) & ((truth > 0) if spec.units == "log" else True)
    usable &= truth_ok[:, None]
    keep = usable.all(axis=1) if spec.complete_cases else usable[:, 0]
    cells_dropped = (~usable).sum(axis=1)

    # conditions and protocols
    if spec.condition is not None:
        values = frame[spec.condition]
        missing = values.isna().to_numpy()
        if missing.any():
            raise spec._error(f"condition: column {spec.condition!r} is empty in "
                              f"{int(missing.sum())} rows (filter them out with where)")
        labels = values.astype(str).to_numpy(dtype=object)
        present = sorted(set(labels))
        given = sorted(spec.protocols)
        lacking = [value for value in present if value not in spec.protocols]
        if lacking:
            raise spec._error(f"protocols: no protocol for condition "
                              f"{', '.join(map(repr, lacking))} of column {spec.condition!r} "
                              f"(protocols given: {', '.join(given)})")
        absent = [name for name in given if name not in present]
        if absent:
            raise spec._error(f"protocols: condition {', '.join(map(repr, absent))} not in "
                              f"column {spec.condition!r} of the data (values: "
                              f"{', '.join(present)})")
    else:
        labels = np.full(n_rows, next(iter(spec.protocols)), dtype=object)

    hub = (np.array([_truthy(v) for v in frame[spec.hub].tolist()], dtype=bool)
           if spec.hub is not None else np.zeros(n_rows, dtype=bool))
    scale_values = _numeric(frame[spec.scale]) if spec.units == "scaled" else None

    codes = frame.groupby(spec.groups, dropna=False, sort=True).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    members_of = np.split(order, bounds) if n_rows else []

    dropped: dict[str, int] = {}
    people: dict[str, int] = {}
    found = []
    for members in members_of:
        key = tuple(_scalar(v) for v in frame[spec.groups].iloc[members[0]].tolist())
        where = _describe(spec.groups, key)
        conditions = sorted(set(labels[members]))
        if len(conditions) > 1:
            raise spec._error(f"condition: column {spec.condition!r} is not constant within "
                              f"group {where} ({conditions[0]!r} and {conditions[1]!r})")
        condition = str(conditions[0])
        kept = members[keep[members]]
        cells, removed = int(cells_dropped[members].sum()), int(len(members) - len(kept))
        dropped[condition] = dropped.get(condition, 0) + cells
        people[condition] = people.get(condition, 0) + removed
        if len(kept) == 0:
            continue
        group_truth = _constant(spec, "truth", truth[kept], where)
        if spec.units == "scaled":
            scale = _constant(spec, "scale", scale_values[kept], where)
            if not scale > 0:
                shown = "missing" if np.isnan(scale) else f"{scale:g}"
                raise spec._error(f"scale: column {spec.scale!r} must be a positive number "
                                  f"for every group; group {where} has {shown}")
        elif spec.units == "linear":
            scale = abs(group_truth)
            if scale == 0:
                raise spec._error(f"truth: the truth is 0 in group {where}; units: linear "
                                  f"divides by |truth| (use units: scaled or log)")
        else:
            scale = 1.0
        hubs = kept[hub[kept]]
        if len(hubs) > 1:
            raise spec._error(f"hub: {len(hubs)} members of group {where} are marked in "
                              f"column {spec.hub!r} (at most one)")
        if len(hubs) == 1:
            kept = np.concatenate([hubs, kept[~hub[kept]]])
        values = estimates[kept].copy()
        values[~usable[kept]] = np.nan
        found.append((condition, ObservedGroup(key, condition, float(group_truth),
                                               float(scale), values, len(hubs) == 1),
                      kept, (cells, removed)))
    if not found:
        raise spec._error(f"rounds: no usable answers in {spec.data} "
                          f"({int(cells_dropped.sum())} answers dropped"
                          f"{'; log needs positive answers' if positive else ''})")
    found.sort(key=lambda item: item[0])  # stable: group key order within a condition

    for condition, group, _, _ in found:
        network = spec.protocols[condition].network
        if network.kind != "none":
            try:
                check(network, group.n_people)
            except ValueError as exc:
                raise spec._error(f"protocols.{condition}.network: {exc} (group "
                                  f"{_describe(spec.groups, group.key)} has "
                                  f"{group.n_people} people)") from None

    # the used frame: kept rows, round columns numeric with unusable answers blank
    used = np.sort(np.concatenate([rows for _, _, rows, _ in found]))
    position = np.full(n_rows, -1)
    position[used] = np.arange(len(used))
    numbers = np.where(usable, estimates, np.nan)
    for index, name in enumerate(spec.rounds):
        frame[name] = numbers[:, index]
    frame = frame.iloc[used]
    return ObservedData(spec, frame, [group for _, group, _, _ in found],
                        dict(sorted(dropped.items())), dict(sorted(people.items())),
                        tuple(position[rows] for _, _, rows, _ in found),
                        tuple(drops for _, _, _, drops in found))


def _constant(spec: DatasetSpec, key: str, values: np.ndarray, where: str) -> float:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return float("nan")
    low, high = float(present.min()), float(present.max())
    if not np.isclose(low, high, rtol=1e-9, atol=0.0):
        column = getattr(spec, key)
        raise spec._error(f"{key}: column {column!r} is not constant within group {where} "
                          f"({low:g} and {high:g})")
    return low


# ---------------------------------------------------------------------------------------------
# analysis


def to_analysis(values, group: ObservedGroup, units: str) -> np.ndarray:
    """Raw numbers of ``group`` (answers or its truth) on the analysis scale.

    ``ln x`` for ``units="log"`` (NaN for x <= 0), ``x / group.scale`` for ``scaled`` and
    ``linear``, so that ``|aggregate - truth|`` of the results are the errors of
    :mod:`sim.analysis.rounds`.

    Examples
    --------
    >>> g = ObservedGroup(("a",), "all", truth=200.0, scale=50.0, estimates=np.ones((1, 2)))
    >>> to_analysis(np.array([150.0, 300.0]), g, "scaled"), float(to_analysis(g.truth, g, "scaled"))
    (array([3., 6.]), 4.0)
    """
    if isinstance(units, DatasetSpec):
        units = units.units
    values = np.asarray(values, dtype=float)
    if units == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    if units in ("scaled", "linear"):
        return values / group.scale
    raise ValueError(f"units: must be one of {', '.join(UNITS)}, got {units!r}")


def analyze_spec(spec_or_observed: DatasetSpec | ObservedData) -> dict:
    """:func:`sim.analysis.rounds.analyze_rounds` on the rows a spec uses.

    With ``by`` the condition column, ``log`` for ``units: log`` and ``scale_column`` the
    spec's ``scale`` with ``units: scaled`` (``|truth|`` with ``linear``), on
    :attr:`ObservedData.frame`. Its ``dropped`` counts the blank answers of the people kept;
    the extra keys are ``dataset``, ``answers_dropped`` and ``people_dropped`` (per condition,
    as :class:`ObservedData`), ``conditions_protocols`` (condition -> its protocol as a
    mapping), ``complete_cases`` and ``revision_space``.
    """
    observed = (spec_or_observed if isinstance(spec_or_observed, ObservedData)
                else load_observed(spec_or_observed))
    spec = observed.spec
    result = analyze_rounds(observed.frame, list(spec.rounds), spec.truth, list(spec.groups),
                            by=spec.condition,
                            scale_column=spec.scale if spec.units == "scaled" else None,
                            log=spec.units == "log", source=spec.dataset)
    result.update(
        dataset=spec.dataset,
        answers_dropped=dict(observed.dropped),
        people_dropped=dict(observed.people_dropped),
        conditions_protocols={name: protocol.model_dump(mode="json")
                              for name, protocol in sorted(spec.protocols.items())},
        complete_cases=spec.complete_cases,
        revision_space=spec.revision_space,
    )
    return result


def _plural(count: int, word: str) -> str:
    if word == "person":
        return f"{count} {'person' if count == 1 else 'people'}"
    return f"{count} {word}{'' if count == 1 else 's'}"


def analyze_spec_command(path: str | Path, as_json: bool = False) -> str:
    """What ``crowdsim analyze --spec FILE.yaml [--json]`` prints.

    The table of ``crowdsim analyze --rounds`` (:func:`~sim.analysis.rounds.format_rounds_table`)
    under a line naming the dataset and the drops per condition, or the result of
    :func:`analyze_spec` as JSON.
    """
    spec = load_spec(path)
    result = analyze_spec(spec)
    if as_json:
        return json.dumps(result, indent=2, allow_nan=False)
    drops = "; ".join(f"{condition} {_plural(cells, 'answer')}, "
                      f"{_plural(result['people_dropped'].get(condition, 0), 'person')}"
                      for condition, cells in result["answers_dropped"].items())
    keep = "people with a usable answer in every round" if spec.complete_cases else \
        "people with a usable first answer"
    header = (f"dataset {spec.dataset} ({path}; data {spec.data}): units {spec.units}, "
              f"revision space {spec.revision_space}, {keep}; dropped: {drops}")
    return header + "\n" + format_rounds_table(result, source=spec.dataset)

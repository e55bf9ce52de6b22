"""Analyse multi-round estimation experiments: how a crowd's wisdom changes over rounds.

The input is a long-format table: one row per person and question, one column per round of
estimates (``--rounds``), a column with the true value (``--truth-column``) and the columns
that identify a group of people answering one question (``--group-columns``), e.g. Lorenz
et al. (2011), groups (``Session_Date``, ``Question``), rounds ``E1``..``E5``; Becker et al.
(2017), groups (``group_number``, ``task``), rounds ``response_1``..``3``.

Per group and round (:func:`per_group_table`) it computes the mean, median and geometric
mean of the estimates, their sample SD (``n - 1``), the error of each aggregate
``|aggregate - truth|``, the mean individual error ``mean_i |x_i - truth|``, Lorenz et al.'s
wisdom-of-crowd indicator (:func:`sim.metrics.woc_indicator`) and whether the truth is inside
``[min, max]`` (:func:`sim.metrics.truth_in_range`). :func:`analyze_rounds` then averages the
per-group values over the groups of each split (``--by``; one split ``all`` without it) and
reports per round and the change from the first round to the last.

Conventions (the same in the Python API and on the command line):

* **Units.** In linear mode SD and errors are divided by the group's ``scale_column`` value
  when given (Becker's ``sd_pool``), else by ``|truth|`` (relative errors). With ``log=True``
  estimates and truth are replaced by their natural logs first and SD and errors are in log
  units, undivided: the error of the geometric mean is ``|ln(GM / truth)|`` and the SD is the
  SD of ``ln(estimates)``, as in Lorenz et al.'s table. ``scale_column`` cannot be combined
  with ``log``.
* **The three aggregates and the metrics** are those of :data:`sim.metrics.CROWD_METRICS`
  (one definition for simulations, sweeps and data). ``mean`` and ``median`` are those of the
  (log) estimates. In linear mode ``geometric_mean`` is ``exp(mean(ln x))`` over the
  *positive* estimates of the group and round only (NaN when there are none): the explicit
  option ``nonpositive="ignore"`` of :func:`sim.aggregate.geometric_mean`, where simulations
  use the default rule (NaN for a crowd with any estimate <= 0), so that one stray zero
  answer (the Lorenz and Becker data have a few) does not void its group's geometric mean,
  while it still counts for the other metrics. Under ``log`` the mean of the logs *is* the
  log of the geometric mean, so ``mean`` and ``geometric_mean`` coincide (both are
  ``mean(ln x)``) and so do their errors; the median is the median of the logs (the log of
  the median for an odd number of estimates; for an even number, the log of the geometric
  mean of the two middle estimates).
* **Dropping is per cell**, a cell being one row's estimate in one round. A cell is dropped
  (and counted in ``dropped``) when the estimate is missing, non-numeric (junk), infinite or,
  under ``log``, not positive; the row still counts in its other rounds. When a row's truth is
  missing, junk or (under ``log``) not positive, all its round cells are dropped and counted.
  Text cells may carry surrounding spaces; their decimal mark is ``decimal`` (``.`` unless
  told) and a thousands separator is read only when given (``thousands``), as in
  ``crowdsim analyze --column`` (:func:`sim.analysis.tables.parse_numbers`): a cell such
  as ``1,5`` with neither is refused, never guessed.
* **Bad rows.** :func:`read_table` leaves out rows with more or fewer fields than the header
  (never shifting their cells into other columns) and counts them; the command reports
  them as ``bad_rows``.
* **A group** is one distinct combination of the group columns (missing values form their
  own group). A group with no usable cell in any round is left out (counted in
  ``empty_groups``); a group with no usable cell in one round has NaN metrics in that round.
  Among the rows of a group that have a usable cell, the truth, the ``scale_column`` value
  and the ``by`` value must each be the same (missing scale or by cells are ignored);
  otherwise it is a :class:`~sim.config.ConfigError` naming the group. The scale must be a
  positive finite number for every group (else ConfigError: a wrong scale would silently
  rescale a whole group); without a scale column, linear mode needs a nonzero truth.
* **Small groups.** The SD of a single estimate is NaN; the WoC indicator of ``n`` estimates
  ranges over ``0..n//2`` (0 for one estimate or when the truth is outside the range).
* **Averaging over groups** is a NaN-skipping mean over the groups of a split (a group whose
  value is NaN in a round, e.g. no positive estimate for the geometric mean, does not count
  there). ``truth_in_range`` averages 0/1, so it is the share of groups (0..1; the text
  table prints it in %). A split's ``groups`` counts its non-empty groups; splits are the
  ``by`` values as text, in sorted order, ``"(missing)"`` for groups without one.
* **Change** is ``(last - first) / first`` of the group averages (not the average of
  per-group changes), ``None`` when the first is 0 or either is undefined. This is the order
  that reproduces Becker et al.'s reported changes.

JSON-ready results use ``None`` for undefined numbers (``json.dumps`` gives ``null``); a
metric that overflows double precision (estimates near 1e308) is an error naming the group
and round, never an infinite number.
:func:`analyze_rounds_command` is the whole of ``crowdsim analyze FILE --rounds ...``: it
reads the file, analyses it and returns the text table or the JSON to print.

With the shipped data this reproduces the Lorenz et al. (2011) table and the Becker et al.
(2017) changes in REFERENCES.md (``tests/test_rounds.py``): Lorenz with ``log=True``, groups
(``Session_Date``, ``Question``), ``by="Information_Condition"``; Becker with
``scale_column="sd_pool"``, groups (``group_number``, ``task``), ``by="network"``.

Examples
--------
Two groups of three people, two rounds, truth 10:

>>> frame = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2], "t": 10,
...                       "r1": [8, 10, 15, 5, 10, 20], "r2": [9, 10, 12, 10, 10, 10]})
>>> result = analyze_rounds(frame, ["r1", "r2"], "t", ["g"])
>>> result["groups"], result["dropped"], list(result["by"])
(2, 0, ['all'])
>>> result["by"]["all"]["per_round"]["error_of_median"]
[0.0, 0.0]
>>> [round(v, 4) for v in result["by"]["all"]["per_round"]["individual_error"]]
[0.3667, 0.05]
>>> round(result["by"]["all"]["change"]["individual_error"], 4)
-0.8636
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import metrics
from sim.analysis.tables import parse_numbers, read_csv_table, separator_name
from sim.config import ConfigError
from sim.jsontext import standard_json

__all__ = [
    "METRICS",
    "analyze_rounds",
    "analyze_rounds_command",
    "format_rounds_table",
    "per_group_table",
    "read_table",
]

METRICS: tuple[str, ...] = (
    "sd",
    "error_of_mean",
    "error_of_median",
    "error_of_geometric_mean",
    "individual_error",
    "woc_indicator",
    "truth_in_range",
)
"""Per-round metrics averaged over groups, in report order (the keys of ``per_round``)."""

ALL_SPLIT = "all"
"""Name of the single split when no ``by`` column is given."""

MISSING_LABEL = "(missing)"
"""Split label of groups whose ``by`` value is missing."""

_LABELS = {
    "sd": "SD",
    "error_of_mean": "error of mean",
    "error_of_median": "error of median",
    "error_of_geometric_mean": "error of geom. mean",
    "individual_error": "individual error",
    "woc_indicator": "WoC indicator",
    "truth_in_range": "truth in range",
}


# ---------------------------------------------------------------------------------------------
# reading


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file with a header row, every column as strings.

    Read by :func:`sim.analysis.tables.read_csv_table`: the separator is sniffed, rows with
    more or fewer fields than the header are left out (their number is in
    ``frame.attrs["bad_rows"]``, an example in ``frame.attrs["bad_rows_note"]``). Nothing
    is converted: :func:`analyze_rounds` coerces the round, truth and scale columns to
    numbers itself (junk becomes missing), and group and split columns keep their text
    exactly (``"007"`` stays ``"007"``). Column names are stripped of surrounding spaces;
    empty cells are missing; blank lines are skipped.

    Raises
    ------
    ConfigError
        If the file does not exist, is empty or binary, is not UTF-8 (or UTF-16 with a
        byte-order mark), has no data rows or cannot be parsed as CSV.
    """
    table = read_csv_table(path)
    frame = table.frame.where(table.frame != "")  # empty cells are missing
    frame.attrs.update(bad_rows=table.bad_rows, bad_rows_note=table.bad_rows_note(),
                       separator=table.separator)
    return frame


def _numeric(column: pd.Series, decimal: str = ".", thousands: str | None = None,
             source: str = "") -> np.ndarray:
    """A column as float64: junk, empty and infinite cells become NaN.

    Text cells are read by :func:`sim.analysis.tables.parse_numbers` (``decimal``,
    ``thousands``; an ambiguous ``1,5`` is a ConfigError naming the column and ``source``).
    """
    return parse_numbers(column, decimal=decimal, thousands=thousands,
                         column=str(column.name), source=source)


# ---------------------------------------------------------------------------------------------
# validation


def _check_columns(frame: pd.DataFrame, rounds, truth_column, group_columns, by, scale_column,
                   log: bool, source: str) -> tuple[list[str], list[str]]:
    columns = [str(name) for name in frame.columns]
    shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
    if "separator" in frame.attrs:  # read from a file: say how it was split
        shown += f"; read as separated by {separator_name(frame.attrs['separator'])}"

    def need(option: str, name: str) -> None:
        if name not in columns:
            raise ConfigError(f"{option}: column {name!r} not in {source} (columns: {shown})")
        if columns.count(name) > 1:
            raise ConfigError(f"{option}: column {name!r} appears {columns.count(name)} times "
                              f"in the header of {source}; rename all but one")

    if isinstance(rounds, str):
        rounds = [rounds]
    rounds = [str(name) for name in rounds]
    if isinstance(group_columns, str):
        group_columns = [group_columns]
    group_columns = [str(name) for name in (group_columns or [])]
    if len(rounds) < 2:
        raise ConfigError(f"--rounds: need at least 2 round columns, got {len(rounds)} "
                          f"({', '.join(rounds) or 'none'})")
    duplicates = sorted({name for name in rounds if rounds.count(name) > 1})
    if duplicates:
        raise ConfigError(f"--rounds: column {duplicates[0]!r} given more than once")
    for name in rounds:
        need("--rounds", name)
    if not truth_column:
        raise ConfigError("--truth-column: required (the column holding the true value)")
    need("--truth-column", truth_column)
    if not group_columns:
        raise ConfigError("--group-columns: required (the columns that identify a group "
                          "answering one question, e.g. session,question)")
    for name in group_columns:
        need("--group-columns", name)
    if len(set(group_columns)) < len(group_columns):
        raise ConfigError("--group-columns: a column is given more than once")
    if by is not None:
        need("--by", by)
    if scale_column is not None:
        need("--scale-column", scale_column)
        if log:
            raise ConfigError("--scale-column: cannot be combined with --log (log-scale SD and "
                              "errors are in log units, undivided)")
    for option, names in (("--truth-column", [truth_column]), ("--group-columns", group_columns),
                          ("--by", [by]), ("--scale-column", [scale_column])):
        clash = [name for name in names if name in rounds]
        if clash:
            raise ConfigError(f"{option}: column {clash[0]!r} is also one of --rounds")
    if truth_column in group_columns:
        raise ConfigError(f"--group-columns: column {truth_column!r} is also the --truth-column")
    return rounds, group_columns


def _describe_group(group_columns: list[str], key_values) -> str:
    pairs = (f"{name}={value}" for name, value in zip(group_columns, key_values))
    return "(" + ", ".join(pairs) + ")"


def _per_group_constant(values: np.ndarray, codes: np.ndarray, rows: np.ndarray, n_groups: int,
                        option: str, column: str, describe) -> np.ndarray:
    """Per group, the one value of a numeric column among ``rows`` (NaN if all missing).

    Raises ConfigError naming the first group where the present values differ.
    """
    present = rows & ~np.isnan(values)
    series = pd.Series(values[present]).groupby(codes[present])
    low = series.min().reindex(range(n_groups)).to_numpy(dtype=float)
    high = series.max().reindex(range(n_groups)).to_numpy(dtype=float)
    differ = ~np.isnan(low) & ~np.isclose(low, high, rtol=1e-9, atol=0.0)
    if differ.any():
        group = int(np.flatnonzero(differ)[0])
        raise ConfigError(f"{option}: column {column!r} is not constant within group "
                          f"{describe(group)} ({low[group]:g} and {high[group]:g})")
    return low


# ---------------------------------------------------------------------------------------------
# per group


_TABLE_NAMES = {"individual_error": "mean_individual_error"}
"""Report names that differ from their name in :data:`sim.metrics.CROWD_METRICS`."""


def _metrics(x: np.ndarray, truth: np.ndarray, divisor: np.ndarray,
             log: bool) -> dict[str, np.ndarray]:
    """The metrics of groups holding the same number of usable estimates.

    ``x`` has shape (groups, n) with n >= 1 (the (log) estimates of one round), ``truth`` and
    ``divisor`` shape (groups,). The metrics are those of :data:`sim.metrics.CROWD_METRICS`;
    the geometric mean ignores non-positive estimates (``nonpositive="ignore"``).
    """
    crowds = metrics.CrowdAggregates(x, truth, scale=divisor, in_logs=log, nonpositive="ignore")
    out = {"n": np.full(x.shape[0], x.shape[-1]), "mean": crowds.mean,
           "median": crowds.median, "geometric_mean": crowds.geometric_mean}
    for name in METRICS:
        function = metrics.CROWD_METRICS[_TABLE_NAMES.get(name, name)][0]
        out[name] = np.asarray(function(crowds), dtype=float)
    return out


_COMPUTED = ("n", "mean", "median", "geometric_mean", *METRICS)


def per_group_table(frame: pd.DataFrame, rounds: list[str], truth_column: str,
                    group_columns: list[str], by: str | None = None,
                    scale_column: str | None = None, log: bool = False,
                    *, source: str | None = None, decimal: str = ".",
                    thousands: str | None = None) -> pd.DataFrame:
    """Per group and round: the aggregates and metrics (see the module docstring).

    One row per (non-empty group, round), in group order (sorted by the group columns) then
    round order, with columns: the group columns; ``split`` (the group's ``by`` value as
    text, ``"all"`` without ``by``); ``round`` (column name) and ``round_index`` (0-based);
    ``truth`` (its log under ``log``); ``scale`` (the divisor of SD and errors: the scale
    column's value or ``|truth|``; 1 under ``log``); ``n`` (usable estimates); ``mean``,
    ``median``, ``geometric_mean`` (in log units under ``log``, else in the estimates'
    units, undivided); then the :data:`METRICS` (SD and errors divided by ``scale``;
    ``woc_indicator`` and ``truth_in_range`` (0/1) as floats; NaN where undefined).

    ``table.attrs`` holds ``dropped`` (cells dropped), ``empty_groups`` and ``estimates``
    (usable cells).

    Raises
    ------
    ConfigError
        For unknown or clashing columns, fewer than two rounds, no group columns, no usable
        estimate at all, or a group whose truth, scale or ``by`` value is not constant or
        whose scale is not positive (or truth is 0 in linear mode without a scale); for
        a number written with a mark that is neither ``decimal`` nor ``thousands`` (e.g.
        ``1,5`` by default); and for a metric that overflows double precision.
    """
    source = source or "the table"
    rounds, group_columns = _check_columns(frame, rounds, truth_column, group_columns, by,
                                           scale_column, log, source)
    frame = frame.reset_index(drop=True)
    def numbers(name: str) -> np.ndarray:
        return _numeric(frame[name], decimal, thousands, source)

    estimates = np.column_stack([numbers(name) for name in rounds])
    truth = numbers(truth_column)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            truth = np.where(truth > 0, np.log(np.where(truth > 0, truth, 1.0)), np.nan)
            estimates = np.where(estimates > 0,
                                 np.log(np.where(estimates > 0, estimates, 1.0)), np.nan)
    usable = ~np.isnan(estimates) & ~np.isnan(truth)[:, None]
    dropped = int(usable.size - usable.sum())
    if not usable.any():
        raise ConfigError(f"--rounds: no usable estimates in {source} ({dropped} cells "
                          f"dropped{'; --log needs positive estimates and truth' if log else ''})")

    codes = frame.groupby(group_columns, dropna=False, sort=True).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1
    first_row = np.unique(codes, return_index=True)[1]
    keys = frame[group_columns].iloc[first_row].reset_index(drop=True)

    def describe(group: int) -> str:
        return _describe_group(group_columns, keys.iloc[group].tolist())

    contributing = usable.any(axis=1)  # rows with at least one usable cell
    non_empty = np.bincount(codes[contributing], minlength=n_groups) > 0
    groups = np.flatnonzero(non_empty)
    group_truth = _per_group_constant(truth, codes, contributing, n_groups, "--truth-column",
                                      truth_column, describe)
    if log:
        divisor = np.ones(n_groups)
    elif scale_column is not None:
        divisor = _per_group_constant(numbers(scale_column), codes, contributing,
                                      n_groups, "--scale-column", scale_column, describe)
        bad = non_empty & ~(divisor > 0)  # also NaN: all missing or junk
        if bad.any():
            group = int(np.flatnonzero(bad)[0])
            shown = "missing" if np.isnan(divisor[group]) else f"{divisor[group]:g}"
            raise ConfigError(f"--scale-column: {scale_column!r} must be a positive number for "
                              f"every group; group {describe(group)} has {shown}")
    else:
        divisor = np.abs(group_truth)
        bad = non_empty & (divisor == 0)
        if bad.any():
            raise ConfigError(f"--truth-column: the truth is 0 in group "
                              f"{describe(int(np.flatnonzero(bad)[0]))}: relative errors need "
                              f"a nonzero truth (give --scale-column or --log)")
    split = np.full(n_groups, ALL_SPLIT, dtype=object)
    if by is not None:
        labels = frame[by]
        present = contributing & labels.notna().to_numpy()
        text = labels[present].astype(str).to_numpy(dtype=object)
        distinct = pd.Series(text).groupby(codes[present]).unique()
        split[:] = MISSING_LABEL
        for group, values in distinct.items():
            if len(values) > 1:
                raise ConfigError(f"--by: column {by!r} is not constant within group "
                                  f"{describe(int(group))} ({values[0]!r} and {values[1]!r})")
            split[group] = values[0]

    columns = {name: np.full((n_groups, len(rounds)), np.nan) for name in _COMPUTED}
    for index in range(len(rounds)):
        cells = usable[:, index]
        ids, x = codes[cells], estimates[cells, index]
        order = np.lexsort((x, ids))  # by group, then by estimate
        ids, x = ids[order], x[order]
        counts = np.bincount(ids, minlength=n_groups)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        columns["n"][:, index] = counts
        for n in np.unique(counts[counts > 0]):
            members = np.flatnonzero(counts == n)  # groups with n usable estimates
            block = x[starts[members][:, None] + np.arange(n)]
            with np.errstate(over="ignore", invalid="ignore"):
                computed = _metrics(block, group_truth[members], divisor[members], log)
            for name, values in computed.items():
                columns[name][members, index] = values
        for name in _COMPUTED:  # NaN means undefined; an infinity is an overflow
            infinite = np.isinf(columns[name][:, index])
            if infinite.any():
                group = int(np.flatnonzero(infinite)[0])
                largest = float(np.max(np.abs(x[ids == group])))
                raise ConfigError(f"--rounds: the {name.replace('_', ' ')} of group "
                                  f"{describe(group)} in round {rounds[index]!r} overflows "
                                  f"double precision (estimates up to {largest:.3g} in size); "
                                  "rescale the estimates and the truth, or give --log")

    n_rounds = len(rounds)
    rows = np.repeat(groups, n_rounds)
    table = keys.iloc[rows].reset_index(drop=True)
    table["split"] = split[rows]
    table["round"] = np.tile(np.array(rounds, dtype=object), len(groups))
    table["round_index"] = np.tile(np.arange(n_rounds), len(groups))
    table["truth"] = group_truth[rows]
    table["scale"] = divisor[rows]
    for name in _COMPUTED:
        table[name] = columns[name][groups].reshape(-1)
    table["n"] = table["n"].astype(int)
    # set afresh: pandas copies the input frame's attrs (bad_rows, separator) onto slices
    table.attrs = {"dropped": dropped, "empty_groups": int(n_groups - len(groups)),
                   "estimates": int(usable.sum())}
    return table


# ---------------------------------------------------------------------------------------------
# over groups


def _json_number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _change(first: float | None, last: float | None) -> float | None:
    if first is None or last is None or first == 0:
        return None
    return (last - first) / first


def analyze_rounds(frame: pd.DataFrame, rounds: list[str], truth_column: str,
                   group_columns: list[str], by: str | None = None,
                   scale_column: str | None = None, log: bool = False,
                   *, source: str | None = None, decimal: str = ".",
                   thousands: str | None = None) -> dict:
    """Per-round wisdom-of-crowd metrics averaged over groups, per split, and their change.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long-format data, one row per person and question (e.g. from :func:`read_table` or
        :func:`sim.analysis.datasets.load_lorenz`). Round, truth and scale columns may hold
        text: they are coerced to numbers, junk becoming missing.
    rounds : list of str
        The estimate columns, in round order (at least 2).
    truth_column : str
        The true value of the row's question.
    group_columns : list of str
        Columns whose distinct combinations are the groups (one group, one question).
    by : str, optional
        Split the groups by this column (constant within a group); one split ``"all"``
        without it.
    scale_column : str, optional
        Divide SD and errors by this column's (per-group) value instead of ``|truth|``.
    log : bool, default False
        Work on natural logs of estimates and truth; SD and errors in log units.
    source : str, optional
        Name of the data (a file name) used in error messages.
    decimal : {'.', ','}, default '.'
        Decimal mark of text cells.
    thousands : str, optional
        Thousands separator of text cells (none unless given; never guessed).

    Returns
    -------
    dict
        ``{"groups", "dropped", "rounds", "by": {SPLIT: {"groups", "per_round": {METRIC:
        [per round]}, "change": {METRIC: (last - first) / first}}}}`` with the
        :data:`METRICS` as keys, plus extra keys: top level ``mode`` (``"log"`` or
        ``"linear"``), ``units`` (what SD and errors are divided by), ``truth_column``,
        ``group_columns``, ``by_column``, ``estimates`` (usable cells), ``empty_groups``;
        per split ``groups_per_round`` and ``estimates_per_round``. Undefined numbers are
        ``None``. Splits are in sorted order of their labels.

    Raises
    ------
    ConfigError
        As :func:`per_group_table`.
    """
    table = per_group_table(frame, rounds, truth_column, group_columns, by=by,
                            scale_column=scale_column, log=log, source=source,
                            decimal=decimal, thousands=thousands)
    rounds = [str(name) for name in ([rounds] if isinstance(rounds, str) else rounds)]
    group_columns = [str(name) for name in
                     ([group_columns] if isinstance(group_columns, str) else group_columns)]
    splits: dict[str, Any] = {}
    for split in sorted(table["split"].unique()):
        part = table[table["split"] == split]
        by_round = part.groupby("round_index", sort=True)
        averages = by_round[list(METRICS)].mean()  # NaN-skipping over groups
        per_round = {name: [_json_number(v) for v in averages[name]] for name in METRICS}
        splits[split] = {
            "groups": int(len(part) // len(rounds)),
            "per_round": per_round,
            "change": {name: _change(values[0], values[-1])
                       for name, values in per_round.items()},
            "groups_per_round": [int(v) for v in by_round["n"].apply(lambda n: (n > 0).sum())],
            "estimates_per_round": [int(v) for v in by_round["n"].sum()],
        }
    if log:
        units = "in natural-log units (undivided)"
    elif scale_column is not None:
        units = f"divided by the group's {scale_column}"
    else:
        units = "divided by |truth| (relative)"
    return {
        "groups": int(len(table) // len(rounds)),
        "dropped": int(table.attrs["dropped"]),
        "rounds": rounds,
        "by": splits,
        "mode": "log" if log else "linear",
        "units": units,
        "truth_column": truth_column,
        "group_columns": group_columns,
        "by_column": by,
        "estimates": int(table.attrs["estimates"]),
        "empty_groups": int(table.attrs["empty_groups"]),
    }


# ---------------------------------------------------------------------------------------------
# output


LARGEST_FIXED = 1e15
"""From this size on, table cells are written in scientific notation (``1.23e+28``)."""


def _rounded(value: float, places: int) -> str:
    """``value`` to ``places`` decimals, halves rounded away from zero (3.125 -> 3.13).

    Values of :data:`LARGEST_FIXED` or more in size are written with 6 significant digits
    (``2e+28``): fixed notation would need more digits than ``Decimal`` keeps.

    Examples
    --------
    >>> _rounded(3.125, 2), _rounded(1234.5, 0), _rounded(2e28, 0)
    ('3.13', '1,235', '2e+28')
    """
    if not math.isfinite(value):
        return "-"
    if abs(value) >= LARGEST_FIXED:
        return f"{value:.6g}"
    step = Decimal(1).scaleb(-places)
    return f"{Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP):,}"


def _cell(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name == "truth_in_range":
        return f"{_rounded(100 * value, 1)} %"
    if name == "woc_indicator":
        return _rounded(value, 2)
    return _rounded(value, 0 if abs(value) >= 100 else 3)


def format_rounds_table(result: dict, source: str = "") -> str:
    """A readable text table of :func:`analyze_rounds`'s result.

    A header (groups, rounds, dropped cells, units), then per split one row per metric with
    its group average in each round and the change from the first round to the last.
    """
    rounds = result["rounds"]
    groups = ", ".join(result.get("group_columns", []))
    head = f"{source}: " if source else ""
    dropped = result["dropped"]
    lines = [f"{head}{result['groups']} groups ({groups}), {len(rounds)} rounds "
             f"({', '.join(rounds)}), {dropped} cell{'s' if dropped != 1 else ''} dropped",
             f"SD and errors {result.get('units', '')}; averages over groups"
             + (f", by {result['by_column']}" if result.get("by_column") else "")]
    if result.get("mode") == "log":
        lines.append("under --log the mean is the mean of ln(estimates), the same as ln of "
                     "the geometric mean")
    if result.get("empty_groups"):
        lines.append(f"{result['empty_groups']} groups without any usable estimate left out")
    if result.get("bad_rows"):
        lines.append(result.get("bad_rows_note") or f"{result['bad_rows']} bad rows left out")
    width = max(10, *(len(name) + 2 for name in rounds))
    for split, part in result["by"].items():
        lines += ["", f"{split} ({part['groups']} groups)",
                  f"{'':<22}" + "".join(f"{name:>{width}}" for name in rounds)
                  + f"{'change':>{max(width, 10)}}"]
        for name in METRICS:
            change = part["change"][name]
            shown = f"{100 * change:+.1f} %" if change is not None else "-"
            lines.append(f"{_LABELS[name]:<22}"
                         + "".join(f"{_cell(name, v):>{width}}" for v in part["per_round"][name])
                         + f"{shown:>{max(width, 10)}}")
    return "\n".join(lines)


def _split_names(value, option: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        names = [name.strip() for name in value.split(",")]
        if any(not name for name in names):
            raise ConfigError(f"{option}: empty column name in {value!r} "
                              f"(give names separated by commas)")
        return names
    return [str(name) for name in value]


def analyze_rounds_command(file: str | Path, rounds: str | list[str], truth_column: str | None,
                           group_columns: str | list[str] | None, by: str | None = None,
                           scale_column: str | None = None, log: bool = False,
                           as_json: bool = False, *, decimal: str = ".",
                           thousands: str | None = None) -> str:
    """What ``crowdsim analyze FILE --rounds ...`` prints: the table, or one JSON object.

    ``rounds`` and ``group_columns`` may be the option strings as typed (``"E1,E2,E3"``).
    Every problem is a one-line :class:`~sim.config.ConfigError` naming the option, e.g.
    ``--rounds: column 'E9' not in data.csv (columns: ...)``. ``decimal`` and ``thousands``
    say how the file writes numbers (``--decimal``, ``--thousands``). The result (and the
    JSON) holds ``bad_rows``, the rows left out for having more or fewer fields than the
    header. Wiring into the CLI::

        print(analyze_rounds_command(args.file, args.rounds, args.truth_column,
                                     args.group_columns, by=args.by,
                                     scale_column=args.scale_column, log=args.log,
                                     as_json=args.json, decimal=args.decimal or ".",
                                     thousands=args.thousands))
    """
    round_names = _split_names(rounds, "--rounds")
    group_names = _split_names(group_columns, "--group-columns")
    if not truth_column:
        raise ConfigError("--truth-column: required with --rounds (the column holding the "
                          "true value)")
    if not group_names:
        raise ConfigError("--group-columns: required with --rounds (the columns that identify "
                          "a group answering one question)")
    frame = read_table(file)
    result = analyze_rounds(frame, round_names, truth_column, group_names, by=by,
                            scale_column=scale_column, log=log, source=str(file),
                            decimal=decimal, thousands=thousands)
    result["bad_rows"] = int(frame.attrs.get("bad_rows", 0))
    result["bad_rows_note"] = frame.attrs.get("bad_rows_note", "")
    if as_json:
        return standard_json(result)
    return format_rounds_table(result, source=str(file))

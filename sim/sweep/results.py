"""Reading a sweep's results: the runs as one DataFrame, failures, design and a summary.

A sweep folder (``crowdsim sweep``, :mod:`sim.sweep.store`) holds Parquet chunks; these
functions read whatever chunks are complete, so they can be used while a sweep still runs.
They check each chunk's footer first (:meth:`SweepStore.verify_chunks`): a damaged chunk
(truncated, overwritten by another chunk's file) is a :class:`sim.sweep.store.DamagedChunk`,
one line naming it, not wrong data or a pyarrow traceback.

Examples
--------
>>> import tempfile
>>> from sim.sweep import SweepConfig, run_sweep
>>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=2,
...                      fixed={"n_agents": 10}, swept={"correlation": [0.0, 0.5]})
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = run_sweep(config, folder, name="doc", workers=1, log=None)
...     runs, counts = load(folder), status(folder)
>>> len(runs), list(runs.columns[:4])
(4, ['run_id', 'point_id', 'point_key', 'seed'])
>>> counts
{'done': 4, 'failed': 0, 'pending': 0, 'total': 4}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from sim.config import ConfigError
from sim.io import atomic_path
from sim.sweep.store import FAILURES_SCHEMA, DamagedChunk, SweepStore, running_pid, runs_schema

__all__ = ["read_manifest", "load", "load_failures", "load_design", "status", "point_means",
           "point_stats", "parameter_columns", "summarise", "format_summary", "format_points",
           "write_csv"]

#: A swept parameter with at most this many distinct values is summarised per value;
#: one with more (a sampled design) by quantile bins.
MAX_VALUES_PER_TABLE = 12
QUANTILE_BINS = 4


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The sweep's ``manifest.json``; :class:`ConfigError` if ``folder`` is no sweep."""
    return SweepStore(folder).read_manifest()


def _runs_schema(manifest: dict):
    return runs_schema(manifest["columns"], manifest["metrics"])


def _checked_store(folder: str | os.PathLike) -> tuple[SweepStore, dict[str, Any]]:
    """The folder's store and manifest, after checking its chunk files' footers."""
    store = SweepStore(folder)
    manifest = store.read_manifest()
    check = store.verify_chunks(manifest)
    if check.damaged:
        raise check.error(store.folder)
    return store, manifest


def _read_chunks(store: SweepStore, files: list[str], schema: pa.Schema,
                 columns: list[str] | None = None) -> pa.Table:
    """The rows of ``files``, their Parquet page checksums verified."""
    if not files:
        return schema.empty_table() if columns is None else \
            pa.schema([schema.field(name) for name in columns]).empty_table()
    options = ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    parquet = ds.ParquetFileFormat(default_fragment_scan_options=options)
    try:
        return ds.dataset(files, format=parquet, schema=schema).to_table(columns=columns)
    except (OSError, pa.ArrowException) as exc:  # damage inside a file whose footer is whole
        reason = " ".join(str(exc).split())[:200]
        culprit = next((name for name in files if not _readable(name, parquet)), "a chunk file")
        raise DamagedChunk(f"{store.folder}: {Path(culprit).name} is damaged ({reason}); run "
                           "the same command that started the sweep again to recompute it") \
            from None


def _readable(file: str, parquet: ds.ParquetFileFormat) -> bool:
    try:
        ds.dataset([file], format=parquet).to_table()
    except (OSError, pa.ArrowException):
        return False
    return True


def load(folder: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    """All completed runs of a sweep as one DataFrame, sorted by ``run_id`` (and ``round``).

    Parameters
    ----------
    folder : path-like
        A sweep folder.
    columns : list of str, optional
        Read only these columns (``run_id`` and ``round`` are always read).

    Returns
    -------
    pandas.DataFrame
        One row per run and round: ``run_id``, ``point_id``, ``point_key``, ``seed``, the
        parameters, ``replicate``, ``round`` and the metrics.
    """
    store, manifest = _checked_store(folder)
    schema = _runs_schema(manifest)
    if columns is not None:
        columns = ["run_id", "round", *[c for c in columns if c not in ("run_id", "round")]]
        schema = pa.schema([schema.field(name) for name in columns])
    files = [str(path) for path in store.completed_chunks().values()]
    table = _read_chunks(store, files, schema, columns)
    table = table.sort_by([("run_id", "ascending"), ("round", "ascending")])
    return table.to_pandas()


def load_failures(folder: str | os.PathLike) -> pd.DataFrame:
    """Failed runs: ``run_id``, ``point_id``, ``point_key``, ``seed``, ``replicate``,
    ``params`` (JSON), ``error_type``, ``error_message``; sorted by ``run_id``."""
    store, _manifest = _checked_store(folder)
    files = [str(path) for path in store.failure_files().values()]
    return _read_chunks(store, files, FAILURES_SCHEMA).sort_by("run_id").to_pandas()


def load_design(folder: str | os.PathLike) -> pd.DataFrame:
    """The sweep's parameter points (``design.parquet``), one row per ``point_id``."""
    store = SweepStore(folder)
    store.read_manifest()
    return pd.read_parquet(store.design_path)


def status(folder: str | os.PathLike) -> dict[str, int]:
    """Runs done, failed, pending and in total, counted from the files."""
    store = SweepStore(folder)
    manifest = store.read_manifest()
    total = manifest["design"]["runs"]
    return {**store.counts(total), "total": total}


def point_means(folder: str | os.PathLike, metrics: str | list[str] | None = None,
                round_: int | None = None) -> pd.DataFrame | pd.Series:
    """Per parameter point: its parameters, its completed runs, and each metric's mean and
    standard error over the point's replicates (one row per point, as Mesa's ``batch_run``
    and the EMA workbench give parameters beside outcomes).

    Parameters
    ----------
    folder : path-like
        A sweep folder.
    metrics : list of str, optional
        The metrics (default: all recorded). A single name as a ``str`` returns only that
        metric's means, as a Series indexed by ``point_id``.
    round_ : int, optional
        The round to average (default: each run's last recorded round).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``point_id`` in design order, every point of the design (a point without
        a completed run has ``runs`` 0 and NaN outcomes). Columns: the swept parameters
        (config order), the fixed ones, ``runs`` (completed runs), then for each metric
        ``<metric>`` (the mean) and ``<metric>_se`` (the standard error of that mean:
        SD over replicates, ``ddof=1``, divided by the square root of their number; NaN
        with one replicate). Runs where a metric is NaN are left out of its mean and SE.

    Examples
    --------
    >>> import tempfile
    >>> from sim.sweep import SweepConfig, run_sweep
    >>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=3,
    ...                      fixed={"n_agents": 10}, swept={"correlation": [0.0, 0.5]},
    ...                      metrics=["error_of_mean"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = run_sweep(config, folder, quiet=True, log=None)
    ...     table = point_means(folder)
    >>> table.columns.tolist()
    ['correlation', 'n_agents', 'runs', 'error_of_mean', 'error_of_mean_se']
    >>> table["runs"].tolist()
    [3, 3]
    """
    if isinstance(metrics, str):
        return point_stats(folder, metrics, round_)["mean"]
    manifest = read_manifest(folder)
    metrics = _chosen_metrics(manifest, metrics)
    runs = _last_or_round(load(folder, columns=["point_id", *metrics]), round_)
    design = load_design(folder).set_index("point_id").sort_index()
    table = design[parameter_columns(manifest)].copy()
    groups = runs.groupby("point_id")
    table["runs"] = groups.size().reindex(table.index, fill_value=0).astype("int64")
    for name in metrics:
        values = groups[name]
        table[name] = values.mean().reindex(table.index)
        table[f"{name}_se"] = (values.std(ddof=1) / np.sqrt(values.count())).reindex(
            table.index)
    return table


def parameter_columns(manifest: dict) -> list[str]:
    """The sweep's parameter columns: the swept ones in config order, then the fixed ones."""
    swept = list(manifest["design"]["swept"])
    return swept + [name for name in manifest["columns"] if name not in swept]


def _last_or_round(runs: pd.DataFrame, round_: int | None) -> pd.DataFrame:
    if round_ is None:
        return runs.groupby("run_id").tail(1)  # rows are sorted by run_id, then round
    return runs[runs["round"] == round_]


def point_stats(folder: str | os.PathLike, metric: str,
                round_: int | None = None) -> pd.DataFrame:
    """Per point: ``mean``, ``var`` (over replicates, ddof 1) and ``count`` of a metric.

    Indexed by ``point_id``; ``round_`` as in :func:`point_means`.
    """
    manifest = read_manifest(folder)
    if metric not in manifest["metrics"]:
        raise ConfigError(f"--metric: {metric!r} was not recorded in {folder}; recorded: "
                          f"{', '.join(manifest['metrics'])}")
    runs = _last_or_round(load(folder, columns=["point_id", metric]), round_)
    return runs.groupby("point_id")[metric].agg(["mean", "var", "count"])


# ---------------------------------------------------------------------------------------------
# summary


def summarise(folder: str | os.PathLike, metrics: list[str] | None = None) -> dict[str, Any]:
    """Counts, failures and metric means by each swept parameter.

    Means are over runs, taking each run's last recorded round (models with rounds of
    social influence record several).

    Returns
    -------
    dict
        ``manifest``, ``status``, ``overall`` (mean of each metric), ``by_parameter``
        (parameter -> DataFrame of runs and metric means per value or quantile bin),
        ``several_rounds`` (whether runs recorded more than one round) and ``failures``
        (DataFrame of counts by error).
    """
    manifest = read_manifest(folder)
    metrics = _chosen_metrics(manifest, metrics)
    swept = manifest["design"]["swept"]
    runs = load(folder, columns=[*swept, *metrics])
    several_rounds = runs["round"].nunique() > 1
    runs = runs.groupby("run_id").tail(1) if several_rounds else runs
    failures = load_failures(folder)
    by_parameter = {name: _means_by(runs, name, metrics) for name in swept} if len(runs) else {}
    failure_counts = (failures.groupby(["error_type", "error_message"]).agg(
        runs=("run_id", "size"), points=("point_id", "nunique"))
        .sort_values("runs", ascending=False).reset_index()) if len(failures) else None
    return {"manifest": manifest, "status": status(folder), "metrics": metrics,
            "several_rounds": several_rounds,
            "overall": runs[metrics].mean() if len(runs) else None,
            "by_parameter": by_parameter, "failures": failure_counts,
            "running_pid": running_pid(folder)}


def _chosen_metrics(manifest: dict, metrics: list[str] | None) -> list[str]:
    recorded = manifest["metrics"]
    for name in metrics or []:
        if name not in recorded:
            raise ConfigError(f"--metric: {name!r} was not recorded; recorded: "
                              f"{', '.join(recorded)}")
    return list(metrics) if metrics else list(recorded)


def _means_by(runs: pd.DataFrame, name: str, metrics: list[str]) -> pd.DataFrame:
    values = runs[name]
    if values.nunique() <= MAX_VALUES_PER_TABLE or not pd.api.types.is_numeric_dtype(values):
        groups = values
    else:
        groups = pd.qcut(values, QUANTILE_BINS, duplicates="drop")
        groups = groups.rename(f"{name} ({QUANTILE_BINS} quantile bins)")
    table = runs.groupby(groups, observed=True)[metrics].mean()
    table.insert(0, "runs", runs.groupby(groups, observed=True).size())
    return table


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as text (what ``crowdsim results DIR`` prints)."""
    manifest, counts = summary["manifest"], summary["status"]
    design = manifest["design"]
    lines = [f"sweep {manifest['name']}: model {manifest['model']}, {design['kind']} design, "
             f"{design['points']:,} points x {design['replicates']:,} replicates = "
             f"{design['runs']:,} runs",
             f"{counts['done']:,} done, {counts['failed']:,} failed, {counts['pending']:,} "
             f"pending (status when last written: {manifest['status']}; updated "
             f"{manifest['updated']})"]
    pid = summary.get("running_pid")
    if pid is not None:  # a sweep holds the folder's lock: it is doing the pending runs
        who = f" (pid {pid})" if pid else ""
        lines.append(f"  the sweep is running now{who}; these counts are as of its last save")
    elif counts["pending"]:
        lines.append("  pending runs: run the same `crowdsim sweep` command again to resume")
    if summary["overall"] is not None:
        rounds = " (each run's last round)" if summary["several_rounds"] else ""
        lines += ["", f"metric means over all completed runs{rounds}; NaN left out:",
                  _indent(summary["overall"].to_frame("mean").T.to_string(
                      index=False, float_format=_number))]
        for name, table in summary["by_parameter"].items():
            lines += ["", f"by {name}:", _indent(table.reset_index().to_string(
                index=False, float_format=_number))]
    failures = summary["failures"]
    if failures is not None:
        lines += ["", f"failed runs: {failures['runs'].sum():,} (load them with "
                  "sim.sweep.results.load_failures)"]
        for row in failures.head(5).itertuples():
            lines.append(f"  {row.runs:,} runs at {row.points:,} points: {row.error_type}: "
                         f"{row.error_message}")
    return "\n".join(lines)


def format_points(folder: str | os.PathLike, table: pd.DataFrame) -> str:
    """The per-point table as text (what ``crowdsim results DIR --points`` prints): the
    varying parameters, completed runs and ``mean ± SE`` of each metric; fixed parameters
    in the heading."""
    manifest = read_manifest(folder)
    swept = [name for name in manifest["design"]["swept"] if name in table.columns]
    metrics = [name for name in table.columns if f"{name}_se" in table.columns]
    fixed = ", ".join(f"{name}={value}" for name, value in manifest["design"]["fixed"].items())
    rounds = "each run's last round; " if load(folder, columns=[])["round"].nunique() > 1 \
        else ""
    lines = [f"sweep {manifest['name']}: {len(table):,} points; mean ± standard error over "
             f"each point's replicates ({rounds}SE = SD / sqrt(runs); NaN left out)"]
    if fixed:
        lines.append(f"fixed: {fixed}")
    shown = table[swept].copy()
    for name in swept:
        if pd.api.types.is_float_dtype(shown[name]):
            shown[name] = shown[name].map(_number)
    shown["runs"] = table["runs"].map(lambda n: f"{n:,}")
    for name in metrics:
        shown[name] = [_mean_se(mean, se) for mean, se in zip(table[name], table[f"{name}_se"])]
    lines.append(shown.reset_index().to_string(index=False))
    return "\n".join(lines)


def _mean_se(mean: float, se: float) -> str:
    if np.isnan(mean):
        return "nan"
    # the SE to two significant digits, without an exponent: 210, not 2.1e+02
    return _number(mean) if np.isnan(se) else f"{_number(mean)} ± {float(f'{se:.2g}'):.15g}"


def write_csv(table: pd.DataFrame, target: str | os.PathLike) -> Path:
    """Write ``table`` (e.g. :func:`point_means`, with its ``point_id`` index) as CSV,
    atomically: a temporary file beside ``target``, renamed onto it once complete.

    Raises
    ------
    FileNotFoundError
        ``target``'s folder does not exist (it is not created: a typo should not make
        folders).
    OSError
        Writing failed; no file, complete or partial, is left behind.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"folder {target.parent} does not exist")
    with atomic_path(target, suffix=".csv") as tmp:
        table.to_csv(tmp)
    return target


def _number(value: float) -> str:
    return "nan" if np.isnan(value) else f"{value:.4g}"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())

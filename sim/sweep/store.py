"""The results store of a sweep: one folder of Parquet chunks and a manifest.

Layout of ``results/<config name>/`` (or ``--out``)::

    manifest.json             config and hash, design summary, versions, commit, status, timings
    design.parquet            one row per parameter point
    runs-000000.parquet ...   completed runs of each chunk, one row per run and round
    failures-000003.parquet   failed runs of a chunk (only chunks with failures have one)
    .lock                     held while a sweep writes here (released when it exits or dies)

Every file is written under a temporary name and moved into place (:mod:`sim.io`), so a
reader never sees half a file. A chunk is complete when its ``runs-`` file exists: its
failures file is written first, so a sweep killed between the two redoes the chunk and
rewrites both with the same content. The files are the truth; the manifest's counts are a
summary that :func:`SweepStore.counts` can always recompute.

Examples
--------
>>> import tempfile
>>> store = SweepStore(tempfile.gettempdir() + "/no-sweep-here")
>>> store.completed_chunks(), store.has_manifest()
({}, False)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.config import ConfigError
from sim.io import atomic_path, write_json

__all__ = ["SweepStore", "runs_schema", "runs_table", "runs_in", "column_value",
           "failures_table", "FAILURES_SCHEMA", "MANIFEST", "DESIGN", "RUN_COLUMNS"]

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
LOCK = ".lock"
#: Columns of every runs file besides the parameters and metrics.
RUN_COLUMNS = ("run_id", "point_id", "point_key", "seed", "replicate", "round")
RUNS_KEY = "crowdsim.runs"
_CHUNK_FILE = re.compile(r"^(runs|failures)-(\d+)\.parquet$")
_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
                "string": pa.string()}

FAILURES_SCHEMA = pa.schema([
    ("run_id", pa.int64()), ("point_id", pa.int64()), ("point_key", pa.int64()),
    ("seed", pa.int64()), ("replicate", pa.int64()),
    ("params", pa.string()),          # the point's parameters as JSON
    ("error_type", pa.string()), ("error_message", pa.string()),
])


def runs_schema(param_types: dict[str, str], metrics: Sequence[str]) -> pa.Schema:
    """Schema of a runs file: ids and seed, parameters, replicate and round, metrics.

    Examples
    --------
    >>> runs_schema({"n_agents": "int64"}, ["diversity"]).names
    ['run_id', 'point_id', 'point_key', 'seed', 'n_agents', 'replicate', 'round', 'diversity']
    """
    fields = [(name, pa.int64()) for name in ("run_id", "point_id", "point_key", "seed")]
    fields += [(name, _ARROW_TYPES[kind]) for name, kind in param_types.items()]
    fields += [("replicate", pa.int64()), ("round", pa.int64())]
    fields += [(name, pa.float64()) for name in metrics]
    return pa.schema(fields)


def runs_table(batches: list[dict], param_types: dict[str, str],
               metrics: Sequence[str]) -> pa.Table:
    """One row per run and round from completed batches (see :mod:`sim.sweep.worker`).

    The number of runs goes into the schema's metadata (``crowdsim.runs``): runs may record
    different numbers of rounds, and the count is then readable from a file's footer.
    """
    schema = runs_schema(param_types, metrics)
    tables = [_batch_table(batch, param_types, metrics, schema) for batch in batches]
    table = pa.concat_tables(tables).sort_by([("run_id", "ascending"), ("round", "ascending")]) \
        if tables else schema.empty_table()
    n_runs = sum(len(batch["run_ids"]) for batch in batches)
    return table.replace_schema_metadata({RUNS_KEY: str(n_runs)})


def runs_in(table_or_schema) -> int:
    """Runs in a runs table (or its schema, e.g. a file's footer)."""
    schema = getattr(table_or_schema, "schema", table_or_schema)
    return int((schema.metadata or {})[RUNS_KEY.encode()])


def _batch_table(batch: dict, param_types: dict[str, str], metrics: Sequence[str],
                 schema: pa.Schema) -> pa.Table:
    n_rounds = len(batch["rounds"])
    n_rows = len(batch["run_ids"]) * n_rounds
    columns: dict[str, Any] = {
        "run_id": np.repeat(batch["run_ids"], n_rounds),
        "point_id": np.full(n_rows, batch["point"].point_id, dtype=np.int64),
        "point_key": np.full(n_rows, batch["point"].point_key, dtype=np.int64),
        "seed": np.repeat(batch["seeds"], n_rounds),
    }
    for name, kind in param_types.items():
        value = column_value(batch["point"].params.get(name), kind)
        columns[name] = pa.array([value] * n_rows, type=_ARROW_TYPES[kind])
    columns["replicate"] = np.repeat(batch["replicates"], n_rounds).astype(np.int64)
    columns["round"] = np.tile(np.asarray(batch["rounds"], dtype=np.int64),
                               len(batch["run_ids"]))
    for name in metrics:
        columns[name] = batch["values"][name].reshape(-1)
    return pa.table(columns, schema=schema)


def column_value(value: Any, kind: str | None = None) -> Any:
    """A parameter value as its column stores it: structured values (dicts, lists) as JSON,
    and in a text column (``kind="string"``) any value that is not text, so that a parameter
    typed ``float | list[float]`` has one column type whatever its value.

    Examples
    --------
    >>> column_value({"kind": "ring_lattice", "degree": 4}), column_value(0.5)
    ('{"degree": 4, "kind": "ring_lattice"}', 0.5)
    >>> column_value(0.5, "string"), column_value("normal", "string")
    ('0.5', 'normal')
    """
    if isinstance(value, (dict, list, tuple)) or (
            kind == "string" and value is not None and not isinstance(value, str)):
        return json.dumps(value, sort_keys=True)
    return value


def failures_table(rows: list[dict]) -> pa.Table:
    """Failed runs as a table with :data:`FAILURES_SCHEMA`."""
    return pa.Table.from_pylist(rows, schema=FAILURES_SCHEMA)


class SweepStore:
    """The files of one sweep folder.

    Parameters
    ----------
    folder : path-like
        The sweep's folder; created when the sweep starts writing.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    # -- paths ------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    @property
    def design_path(self) -> Path:
        return self.folder / DESIGN

    def runs_path(self, index: int) -> Path:
        """``runs-<index>.parquet``, zero-padded to six digits (more for huge sweeps)."""
        return self.folder / f"runs-{index:06d}.parquet"

    def failures_path(self, index: int) -> Path:
        return self.folder / f"failures-{index:06d}.parquet"

    def _chunk_files(self, kind: str) -> dict[int, Path]:
        if not self.folder.is_dir():
            return {}
        found = {}
        for path in self.folder.iterdir():
            match = _CHUNK_FILE.match(path.name)
            if match and match.group(1) == kind:
                found[int(match.group(2))] = path
        return dict(sorted(found.items()))

    def completed_chunks(self) -> dict[int, Path]:
        """Index -> runs file of every completed chunk."""
        return self._chunk_files("runs")

    def failure_files(self) -> dict[int, Path]:
        """Index -> failures file of every completed chunk that has failures."""
        done = self.completed_chunks()
        return {i: p for i, p in self._chunk_files("failures").items() if i in done}

    # -- reading ----------------------------------------------------------------------------

    def has_manifest(self) -> bool:
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest, or a :class:`ConfigError` if the folder holds no readable one."""
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{self.folder}: not a sweep folder (no {MANIFEST})") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.manifest_path}: unreadable ({exc})") from None

    def counts(self, total_runs: int) -> dict[str, int]:
        """Runs done, failed and pending, counted from the files (Parquet footers only).

        Examples
        --------
        >>> import tempfile
        >>> SweepStore(tempfile.gettempdir() + "/no-sweep-here").counts(10)
        {'done': 0, 'failed': 0, 'pending': 10}
        """
        done = sum(runs_in(pq.read_schema(p)) for p in self.completed_chunks().values())
        failed = sum(pq.ParquetFile(p).metadata.num_rows for p in self.failure_files().values())
        return {"done": done, "failed": failed, "pending": total_runs - done - failed}

    def sweep_files(self) -> list[Path]:
        """Files a sweep wrote here (and stale temporaries of a killed one)."""
        if not self.folder.is_dir():
            return []
        patterns = ("runs-*.parquet", "failures-*.parquet", DESIGN, MANIFEST,
                    "sensitivity-*.json", "sensitivity-*.png", "sensitivity-*.svg")
        files = [p for pattern in patterns for p in self.folder.glob(pattern)]
        return sorted(set(files) | set(self._temporaries()))

    def _temporaries(self) -> list[Path]:
        # sim.io.atomic_path writes ".<target name>.<random><suffix>" beside the target
        patterns = (".runs-*", ".failures-*", f".{DESIGN}.*", f".{MANIFEST}.*",
                    ".sensitivity-*")
        return [p for pattern in patterns for p in self.folder.glob(pattern)]

    # -- writing ----------------------------------------------------------------------------

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path, manifest)

    def write_design(self, frame) -> None:
        _write_table(self.design_path, pa.Table.from_pandas(frame, preserve_index=False))

    def write_chunk(self, result) -> None:
        """Write a chunk's failures (if any), then its runs: the runs file marks it done."""
        failures = self.failures_path(result.index)
        if result.failures.num_rows:
            _write_table(failures, result.failures)
        elif failures.exists():  # left by an earlier attempt at this chunk
            failures.unlink()
        _write_table(self.runs_path(result.index), result.runs)

    def clear(self) -> None:
        """Delete every file of an earlier sweep here (``--fresh``); other files stay."""
        for path in self.sweep_files():
            path.unlink(missing_ok=True)

    def remove_temporaries(self) -> None:
        """Delete half-written files a killed sweep left (only while holding the lock)."""
        for path in self._temporaries():
            path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock: one sweep writes to a folder at a time.

        The operating system releases the lock when the process exits, however it exits.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK, "a+") as handle:
            try:
                import fcntl
            except ImportError:  # Windows: no advisory lock; one writer is the user's job
                yield
                return
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError(f"{self.folder}: another crowdsim sweep is writing here; "
                                  "wait for it or choose another --out") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_table(target: Path, table: pa.Table) -> None:
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)

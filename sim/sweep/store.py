"""The results store of a sweep: one folder of Parquet chunks and a manifest.

Layout of ``results/<config name>/`` (or ``--out``)::

    manifest.json             config and hash, design summary, versions, commit, status, timings
    design.parquet            one row per parameter point
    runs-000000.parquet ...   completed runs of each chunk, one row per run and round
    failures-000003.parquet   failed runs of a chunk (only chunks with failures have one)
    .lock                     held while a sweep writes here (released when it exits or dies)

Every file is written under a temporary name, flushed to the disk (fsync) and moved into
place (:mod:`sim.io`), so a reader never sees half a file. A chunk is complete when its
``runs-`` file exists: its failures file is written first, so a sweep killed between the two
redoes the chunk and rewrites both with the same content. The files are the truth; the
manifest's counts are a summary that :func:`SweepStore.counts` can always recompute.

Damage is detected, not trusted. When a chunk is saved the manifest records (``chunk_files``)
its rows, runs and the SHA-256 of its files; Parquet pages carry CRC checksums too. A resumed
sweep re-reads every chunk (:meth:`SweepStore.verify_chunks`, ``thorough``): a file that is
not whole Parquet, whose checksum or row count differs from its record, or whose run ids are
not the chunk's (a copy of another chunk) is damaged, and the sweep recomputes it. Readers
(:mod:`sim.sweep.results`) check the footers only (the same checks but the checksum) and
name a damaged chunk in one line (:class:`DamagedChunk`). A chunk saved after the manifest
was last written (a killed sweep) has no record yet; it gets every check but the checksum,
and its record when the sweep resumes.

Examples
--------
>>> import tempfile
>>> store = SweepStore(tempfile.gettempdir() + "/no-sweep-here")
>>> store.completed_chunks(), store.has_manifest()
({}, False)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.config import ConfigError
from sim.io import atomic_path, write_json

__all__ = ["SweepStore", "DamagedChunk", "ChunkCheck", "runs_schema", "runs_table", "runs_in",
           "column_value", "failures_table", "FAILURES_SCHEMA", "MANIFEST", "DESIGN",
           "RUN_COLUMNS", "CHUNK_RECORDS"]

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
LOCK = ".lock"
#: Columns of every runs file besides the parameters and metrics.
RUN_COLUMNS = ("run_id", "point_id", "point_key", "seed", "replicate", "round")
RUNS_KEY = "crowdsim.runs"
#: The manifest's record of every saved chunk: index -> rows, runs, SHA-256 (and the same
#: for its failures file, if any).
CHUNK_RECORDS = "chunk_files"
_CHUNK_FILE = re.compile(r"^(runs|failures)-(\d+)\.parquet$")
_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
                "string": pa.string()}

FAILURES_SCHEMA = pa.schema([
    ("run_id", pa.int64()), ("point_id", pa.int64()), ("point_key", pa.int64()),
    ("seed", pa.int64()), ("replicate", pa.int64()),
    ("params", pa.string()),          # the point's parameters as JSON
    ("error_type", pa.string()), ("error_message", pa.string()),
])


# Arrow arrays are built from NumPy buffers (pa.Array.from_buffers): pyarrow imports pandas,
# if installed, the first time pa.array() or pa.scalar() sees a Python object, which costs a
# sweep's command and each of its worker processes a few tenths of a second.

def _from_numpy(values: np.ndarray, kind: str) -> pa.Array:
    """An Arrow array of type name ``kind`` (int64, float64, bool) holding ``values``."""
    if kind == "bool":
        bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    data = np.ascontiguousarray(values, dtype=np.int64 if kind == "int64" else np.float64)
    return pa.Array.from_buffers(_ARROW_TYPES[kind], len(data), [None, pa.py_buffer(data)])


def _strings(texts: Sequence[str]) -> pa.Array:
    """An Arrow string array holding ``texts``."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    if offsets[-1] >= 2**31:  # beyond 32-bit offsets: let pyarrow choose its chunking
        return pa.array(texts, type=pa.string())
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets.astype(np.int32)),
                                  pa.py_buffer(b"".join(encoded))])


def _matches(value: Any, kind: str) -> bool:
    """Whether ``value`` goes into a column of type name ``kind`` exactly as pa.array would
    put it (anything else goes through pa.array itself)."""
    if isinstance(value, (bool, np.bool_)):
        return kind == "bool"
    if kind == "int64":
        return isinstance(value, (int, np.integer)) and -2**63 <= value < 2**63
    if kind == "float64":
        return isinstance(value, (float, np.floating)) or (
            isinstance(value, (int, np.integer)) and abs(int(value)) < 2**53)
    return kind == "string" and isinstance(value, str)


def arrow_column(values: Sequence[Any], kind: str) -> pa.Array:
    """A parameter column of type name ``kind`` holding ``values`` (as :func:`column_value`
    gives them), the same array ``pa.array(values, type=...)`` makes.

    Examples
    --------
    >>> arrow_column([1, 2], "int64").to_pylist(), arrow_column(["a", "bc"], "string").type
    ([1, 2], DataType(string))
    """
    if not all(_matches(value, kind) for value in values):
        return pa.array(list(values), type=_ARROW_TYPES[kind])
    if kind == "string":
        return _strings(values)
    return _from_numpy(np.asarray(values, dtype=object if kind == "bool" else None), kind)


def constant_column(value: Any, kind: str, n: int) -> pa.Array:
    """``n`` copies of one parameter value: :func:`arrow_column` of ``[value] * n``."""
    if value is None:
        return pa.nulls(n, _ARROW_TYPES[kind])
    if not _matches(value, kind):
        return pa.array([value] * n, type=_ARROW_TYPES[kind])
    if kind == "string":
        encoded = value.encode("utf-8")
        if len(encoded) * n >= 2**31:
            return pa.array([value] * n, type=pa.string())
        offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(encoded))
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                      pa.py_buffer(encoded * n)])
    dtype = {"int64": np.int64, "float64": np.float64, "bool": bool}[kind]
    return _from_numpy(np.full(n, value, dtype=dtype), kind)


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` with no rows (``schema.empty_table()`` without pandas)."""
    return pa.Table.from_arrays([_empty(field.type) for field in schema], schema=schema)


def _empty(kind: pa.DataType) -> pa.Array:
    if pa.types.is_string(kind):
        return pa.Array.from_buffers(kind, 0, [None, pa.py_buffer(np.zeros(1, np.int32)),
                                               pa.py_buffer(b"")])
    return pa.Array.from_buffers(kind, 0, [None, pa.py_buffer(b"")])


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of a parameter column of type name ``kind`` (int64, float64, bool,
    string)."""
    return _ARROW_TYPES[kind]


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
        if tables else empty_table(schema)
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
    columns: list[pa.Array] = [
        _from_numpy(np.repeat(batch["run_ids"], n_rounds), "int64"),
        _from_numpy(np.full(n_rows, batch["point"].point_id, dtype=np.int64), "int64"),
        _from_numpy(np.full(n_rows, batch["point"].point_key, dtype=np.int64), "int64"),
        _from_numpy(np.repeat(batch["seeds"], n_rounds), "int64"),
    ]
    for name, kind in param_types.items():
        value = column_value(batch["point"].params.get(name), kind)
        columns.append(constant_column(value, kind, n_rows))
    columns.append(_from_numpy(np.repeat(batch["replicates"], n_rounds), "int64"))
    columns.append(_from_numpy(np.tile(np.asarray(batch["rounds"], dtype=np.int64),
                                       len(batch["run_ids"])), "int64"))
    for name in metrics:
        columns.append(_from_numpy(batch["values"][name].reshape(-1), "float64"))
    return pa.Table.from_arrays(columns, schema=schema)


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
    if not rows:  # the usual case, without the pandas import from_pylist costs
        return empty_table(FAILURES_SCHEMA)
    return pa.Table.from_pylist(rows, schema=FAILURES_SCHEMA)


class DamagedChunk(ConfigError):
    """A chunk file of a sweep is damaged (truncated, overwritten, not this chunk's runs);
    the message is one line naming it and how to repair it (resume the sweep)."""


@dataclass(frozen=True)
class ChunkCheck:
    """What verifying a sweep's chunk files found (:meth:`SweepStore.verify_chunks`).

    Attributes
    ----------
    records : dict
        Index -> record (rows, runs, checksums) of every sound chunk.
    damaged : dict
        Index -> why the chunk is damaged (``runs-000001.parquet: ...``), in index order.
    done, failed : int
        Runs completed and failed in the sound chunks.
    """

    records: dict[int, dict]
    damaged: dict[int, str]
    done: int
    failed: int

    def error(self, folder: os.PathLike) -> DamagedChunk:
        """One line naming the damaged chunk(s) and the repair."""
        first, reason = next(iter(self.damaged.items()))
        others = len(self.damaged) - 1
        more = f" (and {others} more damaged chunk{'s' if others > 1 else ''})" if others else ""
        return DamagedChunk(f"{folder}: chunk {first} is damaged: {reason}{more}; run the "
                            "same command that started the sweep again to recompute it")


def planned_run_ids(index: int, chunk_size: int, total: int) -> range:
    """The run ids of chunk ``index``: ``chunk_size`` consecutive ids (fewer in the last).

    Examples
    --------
    >>> planned_run_ids(1, 20, 50), planned_run_ids(2, 20, 50)
    (range(20, 40), range(40, 50))
    """
    return range(index * chunk_size, min((index + 1) * chunk_size, total))


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

        Raises
        ------
        DamagedChunk
            A chunk file is damaged (see :meth:`verify_chunks`; checksums are not read).

        Examples
        --------
        >>> import tempfile
        >>> SweepStore(tempfile.gettempdir() + "/no-sweep-here").counts(10)
        {'done': 0, 'failed': 0, 'pending': 10}
        """
        if not self.completed_chunks():
            return {"done": 0, "failed": 0, "pending": total_runs}
        check = self.verify_chunks(self.read_manifest())
        if check.damaged:
            raise check.error(self.folder)
        return {"done": check.done, "failed": check.failed,
                "pending": total_runs - check.done - check.failed}

    def verify_chunks(self, manifest: dict[str, Any], thorough: bool = False) -> ChunkCheck:
        """Check every chunk file against the sweep's plan and the manifest's records.

        A chunk is damaged when its runs or failures file is not whole Parquet (truncated,
        overwritten), its rows differ from its record, its run ids are not the chunk's (e.g.
        a copy of another chunk's file), or its runs and failures do not add up to the
        chunk's runs. Reading only the footers (the run ids' minimum and maximum, the row
        counts), this costs a few milliseconds per chunk.

        Parameters
        ----------
        manifest : dict
            The sweep's manifest (its design's chunk size and runs, its records).
        thorough : bool
            Also read each file once in full: its SHA-256 must equal the record (when there
            is one), its Parquet page checksums must hold, and its run ids must be exactly
            the chunk's, each once. What a resumed sweep does before trusting the files.

        Returns
        -------
        ChunkCheck
            Sound chunks with their records (new ones computed for chunks saved after the
            manifest was last written: with checksums if ``thorough``), damaged ones with
            the reason, and the runs done and failed in the sound ones.
        """
        chunk_size, total = manifest["design"]["chunk_size"], manifest["design"]["runs"]
        n_chunks = -(-total // chunk_size)
        recorded = manifest.get(CHUNK_RECORDS, {})
        failure_files = self._chunk_files("failures")
        records: dict[int, dict] = {}
        damaged: dict[int, str] = {}
        done = failed = 0
        for index, path in self.completed_chunks().items():
            if index >= n_chunks:
                damaged[index] = f"{path.name}: not a chunk of this sweep (it has {n_chunks})"
                continue
            try:
                record = _verified_chunk(path, failure_files.get(index),
                                         planned_run_ids(index, chunk_size, total),
                                         recorded.get(str(index)), thorough)
            except _Damage as exc:
                damaged[index] = str(exc)
                continue
            records[index] = record
            done += record["runs"]
            failed += record.get("failures", {}).get("rows", 0)
        return ChunkCheck(records, damaged, done, failed)

    def remove_chunk(self, index: int) -> None:
        """Delete a chunk's files (a damaged chunk, to be computed again)."""
        self.runs_path(index).unlink(missing_ok=True)
        self.failures_path(index).unlink(missing_ok=True)

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
        write_json(self.manifest_path, manifest, durable=True)

    def write_design(self, design) -> None:
        """Write the design's points (a :class:`sim.sweep.design.Design`, or a DataFrame as
        ``Design.to_frame`` gives)."""
        table = design.to_table() if hasattr(design, "to_table") else \
            pa.Table.from_pandas(design, preserve_index=False)
        _write_table(self.design_path, table)

    def write_chunk(self, result) -> dict[str, Any]:
        """Write a chunk's failures (if any), then its runs: the runs file marks it done.

        Returns
        -------
        dict
            The chunk's record for the manifest (:data:`CHUNK_RECORDS`): ``rows``, ``runs``
            and ``sha256`` of the runs file, and ``failures`` (``rows``, ``sha256``) when
            some runs failed.
        """
        record: dict[str, Any] = {}
        failures = self.failures_path(result.index)
        if result.failures.num_rows:
            record["failures"] = {"rows": result.failures.num_rows,
                                  "sha256": _write_table(failures, result.failures)}
        elif failures.exists():  # left by an earlier attempt at this chunk
            failures.unlink()
        # each chunk's bytes are on the disk before its name appears; the names themselves
        # are made durable by the next manifest write (one folder fsync for many chunks)
        digest = _write_table(self.runs_path(result.index), result.runs, sync_folder=False)
        return {"rows": result.runs.num_rows, "runs": runs_in(result.runs), "sha256": digest,
                **record}

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
            # the holder's pid, for `crowdsim results` to name the running sweep
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def running_pid(folder: str | os.PathLike) -> int | None:
    """The pid of the sweep writing to ``folder`` now (holding its lock), else None; 0 when
    a sweep holds the lock but its pid is not recorded."""
    path = Path(folder) / LOCK
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock to ask
        return None
    try:
        with open(path, "r+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = handle.read().strip()
                return int(text) if text.isdigit() else 0
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:  # no lock file (never run here) or unreadable: nothing known to run
        return None
    return None


def _write_table(target: Path, table: pa.Table, sync_folder: bool = True) -> str:
    """Write ``table`` as Parquet (with page checksums), durably; return its SHA-256.

    ``sync_folder=False``: the folder's entry is made durable by the next manifest write
    (see :func:`sim.io.atomic_path`)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, write_page_checksum=True)
    data = sink.getvalue()
    with atomic_path(target, durable=True, sync_folder=sync_folder) as tmp, \
            open(tmp, "wb") as handle:
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


class _Damage(Exception):
    """Why a chunk file cannot be trusted (becomes a line of :class:`ChunkCheck`)."""


def _verified_chunk(runs_path: Path, failures_path: Path | None, planned: range,
                    record: dict | None, thorough: bool) -> dict[str, Any]:
    """The record of a sound chunk, or :class:`_Damage` naming the file and the fault."""
    runs, runs_ids = _verified_file(runs_path, (record or {}), planned, thorough)
    n_runs = runs.get("runs", 0)
    expected_failures = (record or {}).get("failures")
    if failures_path is None:
        if expected_failures:
            raise _Damage(f"{runs_path.name}: its failures file "
                          f"({runs_path.name.replace('runs-', 'failures-')}) is missing")
        failures, failure_ids = None, None
    else:
        failures, failure_ids = _verified_file(failures_path, expected_failures or {}, planned,
                                               thorough)
    n_failed = failures["rows"] if failures else 0
    if n_runs + n_failed != len(planned):
        raise _Damage(f"{runs_path.name}: {n_runs} runs done and {n_failed} failed, but the "
                      f"chunk has {len(planned)} runs")
    if thorough:
        ids = runs_ids if failure_ids is None else np.concatenate([runs_ids, failure_ids])
        if len(ids) != len(planned) or not np.array_equal(np.sort(ids), np.asarray(planned)):
            raise _Damage(f"{runs_path.name}: its run ids are not {_span(planned)}, each once")
    if failures:
        runs["failures"] = failures
    return runs


def _verified_file(path: Path, record: dict, planned: range,
                   thorough: bool) -> tuple[dict[str, Any], np.ndarray | None]:
    """Check one runs or failures file; return its record and (if ``thorough``) its distinct
    run ids."""
    is_runs = path.name.startswith("runs-")
    try:
        if thorough:  # one read of the file: hashed, then parsed from memory
            data = path.read_bytes()
            parquet = pq.ParquetFile(pa.BufferReader(data), page_checksum_verification=True)
        else:
            parquet = pq.ParquetFile(path)
        metadata = parquet.metadata
        if "run_id" not in metadata.schema.names:
            raise _Damage(f"{path.name}: not a file of this sweep (no run_id column)")
        found = {"rows": metadata.num_rows}
        if is_runs:
            found["runs"] = runs_in(parquet.schema_arrow)
        if thorough:
            ids = parquet.read(columns=["run_id"]).column("run_id").to_numpy()
            found["sha256"] = hashlib.sha256(data).hexdigest()
    except _Damage:
        raise
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        raise _Damage(f"{path.name}: unreadable as Parquet ({_reason(exc)})") \
            from None
    for key in ("rows", "runs"):
        if key in record and key in found and record[key] != found[key]:
            raise _Damage(f"{path.name}: {found[key]} {key}, but {record[key]} when it was saved")
    low, high = _run_id_range(metadata) if not thorough else \
        ((int(ids.min()), int(ids.max())) if len(ids) else (None, None))
    if low is not None and (low < planned.start or high >= planned.stop):
        raise _Damage(f"{path.name}: holds run ids {low}-{high}, but the chunk's are "
                      f"{_span(planned)} (a copy of another chunk?)")
    if thorough:
        # after the run ids: "a copy of another chunk" says more than "another checksum"
        if record.get("sha256") not in (None, found["sha256"]):
            raise _Damage(f"{path.name}: its SHA-256 differs from the one recorded when it "
                          "was saved")
        ids = np.unique(ids)
        if is_runs and len(ids) != found["runs"]:
            raise _Damage(f"{path.name}: {len(ids)} distinct run ids, but {found['runs']} runs")
    else:
        ids = None
    if "sha256" in record:  # a footer check keeps the recorded checksum for the next one
        found.setdefault("sha256", record["sha256"])
    return found, ids


def _run_id_range(metadata) -> tuple[int | None, int | None]:
    """The least and greatest ``run_id`` by the footer's statistics (None if absent)."""
    column = metadata.schema.names.index("run_id")
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if metadata.row_group(group).num_rows == 0:
            continue
        if stats is None or not stats.has_min_max:
            return None, None
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else (None, None)


def _span(ids: range) -> str:
    return f"{ids.start}-{ids.stop - 1}"


def _reason(exc: BaseException) -> str:
    """The first sentence of a pyarrow error, without the file path it repeats."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.split(". ")[0][:160]

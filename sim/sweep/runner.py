"""Running a sweep: plan chunks, run the pending ones somewhere, store each as it lands.

``run_sweep`` builds the design, splits the runs into chunks of consecutive run ids, skips
the chunks whose files already exist (a resumed sweep), and sends the rest to an executor:

- in this process (one worker, or a sweep too small to be worth starting processes);
- a :class:`concurrent.futures.ProcessPoolExecutor` of spawned processes, one per core;
- an existing Dask cluster (``scheduler="tcp://HOST:PORT"``) through
  :class:`distributed.Client`.

Results come back to this process, which alone writes the store: the cluster needs no shared
file system, and a chunk file appears only when its data are complete. Data do not depend on
the executor, the number of workers, the chunk size or the order chunks finish in.

Examples
--------
>>> import tempfile
>>> from sim.sweep.config import SweepConfig
>>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=3,
...                      fixed={"n_agents": 20}, swept={"correlation": [0.0, 0.5]})
>>> with tempfile.TemporaryDirectory() as folder:
...     report = run_sweep(config, folder, name="doc", workers=1, log=None)
>>> report.done, report.failed, report.pending
(6, 0, 0)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.config import ConfigError
from sim.sweep.config import SweepConfig, sweep_hash
from sim.sweep.design import Design, build_design, param_arrow_types, point_key
from sim.sweep.models import get_model
from sim.sweep.progress import Progress, progress_mode
from sim.sweep.store import SweepStore
from sim.sweep.worker import ChunkResult, ChunkTask, PointRuns, init_worker, run_chunk

__all__ = ["run_sweep", "plan_chunks", "auto_chunk_size", "connect", "SweepReport",
           "MANIFEST_FORMAT"]

MANIFEST_FORMAT = "crowdsim-sweep/1"
#: A chunk should take about this long (seconds): long enough to hide the cost of sending
#: it and writing its file, short enough for a fine progress bar and little lost work.
TARGET_CHUNK_SECONDS = 0.25
#: ... and a sweep is cut into at least this many chunks, so that all cores get work.
MIN_CHUNKS = 16
MAX_CHUNK_SIZE = 100_000
#: With no --workers, a sweep estimated to take less than this runs in this process:
#: starting worker processes (interpreter, imports, loading the numba cache) costs a few
#: seconds each on a 2-core machine, measured: 10,000 runs of 1,000 agents took 2.0 s in
#: this process and 7.6 s on two fresh workers.
IN_PROCESS_SECONDS = 10.0
#: A local worker process that dies (e.g. killed for memory) is replaced this many times.
MAX_POOL_RESTARTS = 2
#: The manifest is rewritten at most this often (seconds) while chunks complete.
MANIFEST_INTERVAL = 1.0


@dataclass
class SweepReport:
    """What a sweep did; ``done + failed + pending == total``."""

    folder: Path
    total: int
    done: int
    failed: int
    pending: int
    computed: int = 0            # runs done or failed in this session
    seconds: float = 0.0         # wall time of this session
    run_seconds: float = 0.0     # ... of which running chunks (after set-up and warm-up)
    chunk_errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 if every run is done, 1 if some failed or could not run."""
        return 0 if self.failed == 0 and self.pending == 0 else 1


@dataclass(frozen=True)
class _ChunkError:
    """A chunk whose task raised (a bug or a lost cluster), as opposed to failed runs."""

    index: int
    message: str


# ---------------------------------------------------------------------------------------------
# planning


def auto_chunk_size(design: Design, replicates: int) -> int:
    """Runs per chunk so that a chunk takes about :data:`TARGET_CHUNK_SECONDS`.

    Uses the model's rough cost per run at (a sample of) the design's points, and keeps at
    least :data:`MIN_CHUNKS` chunks. Depends only on the design, so a resumed sweep chunks
    the same way.

    Examples
    --------
    >>> from sim.sweep.config import SweepConfig
    >>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=1000,
    ...                      fixed={"n_agents": 100_000}, swept={"correlation": [0.0]})
    >>> auto_chunk_size(build_design(config), 1000)
    41
    """
    seconds_per_run = get_model(design.model).seconds_per_run
    step = max(1, len(design) // 1000)
    costs = [seconds_per_run(design.point(i)) for i in range(0, len(design), step)]
    by_time = TARGET_CHUNK_SECONDS / (sum(costs) / len(costs))
    by_count = math.ceil(len(design) * replicates / MIN_CHUNKS)
    return int(max(1, min(by_time, by_count, MAX_CHUNK_SIZE)))


def plan_chunks(design: Design, config: SweepConfig, chunk_size: int,
                skip: set[int] = frozenset()) -> Iterator[ChunkTask]:
    """The chunks of a sweep: consecutive run ids, ``run_id = point_id * replicates + r``.

    Examples
    --------
    >>> from sim.sweep.config import SweepConfig
    >>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=3,
    ...                      swept={"correlation": [0.0, 0.5]})
    >>> [[(p.point_id, p.start, p.stop) for p in task.points]
    ...  for task in plan_chunks(build_design(config), config, chunk_size=4)]
    [[(0, 0, 3), (1, 0, 1)], [(1, 1, 3)]]
    """
    replicates = config.replicates
    total = len(design) * replicates
    param_types = param_arrow_types(design.model, design.param_names)
    # paired: every point's replicate r shares one seed, keyed by what the points share
    seed_key = point_key(design.fixed) if config.paired else None
    for index in range(math.ceil(total / chunk_size)):
        if index in skip:
            continue
        first, stop = index * chunk_size, min((index + 1) * chunk_size, total)
        points = []
        for point_id in range(first // replicates, (stop - 1) // replicates + 1):
            start = max(first - point_id * replicates, 0)
            end = min(stop - point_id * replicates, replicates)
            points.append(PointRuns(point_id, int(design.keys[point_id]),
                                    design.point(point_id), start, end, seed_key))
        yield ChunkTask(index=index, model=design.model, base_seed=config.seed,
                        replicates=replicates, metrics=config.recorded_metrics,
                        param_types=param_types, points=tuple(points))


# ---------------------------------------------------------------------------------------------
# executors: each yields ChunkResult (or _ChunkError) as chunks complete


def _in_process(tasks: list[ChunkTask]) -> Iterator[ChunkResult | _ChunkError]:
    # Ctrl-C is deferred to the end of the running chunk: a KeyboardInterrupt raised in the
    # middle of compiled (numba) or pyarrow calls can crash the interpreter. A second Ctrl-C
    # stops at once.
    interrupted = False

    def defer(signum, frame):
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt
        interrupted = True

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, defer) if in_main else None
    try:
        for task in tasks:
            if interrupted:
                raise KeyboardInterrupt
            yield run_chunk(task)
        if interrupted:
            raise KeyboardInterrupt
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _in_local_processes(tasks: list[ChunkTask],
                        workers: int) -> Iterator[ChunkResult | _ChunkError]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: a forked child would inherit numba's and pyarrow's threads
    context = multiprocessing.get_context("spawn")
    remaining = {task.index: task for task in tasks}
    for _attempt in range(MAX_POOL_RESTARTS + 1):
        pool = ProcessPoolExecutor(max_workers=min(workers, len(remaining)), mp_context=context,
                                   initializer=init_worker, initargs=(os.getpid(),))
        broken = False
        try:
            futures = {pool.submit(run_chunk, task): index for index, task in remaining.items()}
            for future in as_completed(futures):
                index = futures.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    break
                except Exception as exc:
                    remaining.pop(index)
                    yield _ChunkError(index, f"{type(exc).__name__}: {exc}")
                    continue
                remaining.pop(index)
                yield result
        finally:
            # on Ctrl-C or an error: drop queued chunks; running ones finish (< 1 s)
            pool.shutdown(wait=True, cancel_futures=True)
        if not broken or not remaining:
            return
        print(f"crowdsim: a worker process died; restarting the pool for the "
              f"{len(remaining)} chunks left", file=sys.stderr)
    for index in remaining:
        yield _ChunkError(index, "worker processes kept dying (out of memory?)")


def _on_dask(tasks: list[ChunkTask], client) -> Iterator[ChunkResult | _ChunkError]:
    from distributed import as_completed

    # pure=False: every chunk is a distinct task even if two were ever equal
    futures = client.map(run_chunk, tasks, pure=False)
    index_of = {future.key: task.index for future, task in zip(futures, tasks)}
    # hold futures only until their result is here, so workers can free finished chunks
    waiting = {future.key: future for future in futures}
    stream = as_completed(futures, loop=client.loop, with_results=True, raise_errors=False)
    del futures
    try:
        for future, result in stream:
            waiting.pop(future.key, None)
            if future.status == "error":
                exc = result[1]
                hint = (" (are crowdsim and its dependencies installed on the workers?)"
                        if isinstance(exc, ImportError) else "")
                yield _ChunkError(index_of[future.key], f"{type(exc).__name__}: {exc}{hint}")
            else:
                yield result
    finally:
        if waiting:
            client.cancel(list(waiting.values()))


def connect(address: str):
    """A client of the Dask scheduler at ``address``, or a one-line :class:`ConfigError`."""
    from distributed import Client

    _check_reachable(address)
    try:
        return Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"--scheduler: cannot connect to {address}: {reason}") from None


def _check_reachable(address: str) -> None:
    """Fail fast on a refused TCP address (Dask itself retries until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme != "tcp":
        return  # tls://, ucx://, inproc:// ...: let distributed handle them
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ConfigError(f"--scheduler: {address!r}: {exc}") from None
    if not host or port is None:
        raise ConfigError(f"--scheduler: expected tcp://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, port), timeout=15).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"--scheduler: cannot connect to {address}: {reason}") from None


def _cpu_count() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13: respects the affinity mask
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# the sweep


def run_sweep(config: SweepConfig, out_dir: str | os.PathLike | None = None, *,
              name: str | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, fresh: bool = False,
              chunk_size: int | None = None, quiet: bool = False,
              log: Callable[[str], None] | None = print) -> SweepReport:
    """Run (or resume) the sweep ``config`` describes into ``out_dir``.

    Parameters
    ----------
    config : SweepConfig
    out_dir : path-like, optional
        The sweep's folder. If it holds this sweep already, completed chunks are kept and
        only the rest runs; if it holds another config's sweep, a :class:`ConfigError`.
        Default: ``results/<name>`` under the current directory.
    name : str, optional
        The sweep's name (the config file's stem for ``crowdsim sweep``), recorded in the
        manifest. Default: the name of ``out_dir``; with neither, ``<model>-<hash>``, the
        first 8 hex digits of the config's hash (:func:`sweep_hash`), so the same config
        always lands in, and resumes from, the same folder.
    workers : int, optional
        Local worker processes (1: run in this process). Default: one per core, or this
        process when the sweep is small.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``) to run the chunks on instead.
    client : distributed.Client, optional
        An open connection to that scheduler (from :func:`connect`), kept open afterwards;
        by default one is opened for this sweep and closed at its end.
    fresh : bool
        Delete an earlier sweep's files in ``out_dir`` first.
    chunk_size : int, optional
        Runs per chunk; default the config's, else :func:`auto_chunk_size`. A resumed sweep
        must use the chunk size it started with.
    quiet : bool
        No progress display.
    log : callable or None
        Where the start and end lines go (``print``; None for silence).

    Returns
    -------
    SweepReport

    Raises
    ------
    ConfigError
        Before anything is written: the folder holds another sweep or another chunk size,
        another sweep is writing there, or the scheduler cannot be reached.
    KeyboardInterrupt
        After saving what is done (the manifest says ``interrupted``).
    """
    log = log or (lambda message: None)
    if name is None:
        name = Path(out_dir).resolve().name if out_dir is not None \
            else f"{config.model}-{sweep_hash(config)[:8]}"
    out_dir = Path("results") / name if out_dir is None else out_dir
    model = get_model(config.model)
    design = build_design(config)
    total = len(design) * config.replicates
    chunk_size = chunk_size or config.chunk_size or auto_chunk_size(design, config.replicates)
    store = SweepStore(out_dir)
    identity = sweep_hash(config)
    _check_folder(store, identity, chunk_size, fresh)
    own_client = client is None and scheduler is not None
    if own_client:
        client = connect(scheduler)
    try:
        with store.lock():
            _check_folder(store, identity, chunk_size, fresh)  # again, now that we hold it
            if fresh:
                store.clear()
            store.remove_temporaries()
            return _run_locked(config, design, store, name=name, identity=identity,
                               chunk_size=chunk_size, total=total, model=model,
                               workers=workers, client=client, scheduler=scheduler,
                               quiet=quiet, log=log)
    finally:
        if own_client:
            client.close()


def _check_folder(store: SweepStore, identity: str, chunk_size: int, fresh: bool) -> None:
    folder = store.folder
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out: {folder} exists and is not a folder")
    if fresh or not folder.exists():
        return
    if not store.has_manifest():
        if store.sweep_files():
            raise ConfigError(f"{folder}: holds sweep files but no manifest.json; choose "
                              "another --out, or --fresh to discard them")
        return
    manifest = store.read_manifest()
    if manifest.get("config_hash") != identity:
        old = str(manifest.get("config_hash"))[:12]
        raise ConfigError(f"{folder}: holds the sweep of a different config (hash {old}, this "
                          f"config {identity[:12]}); choose another --out, or --fresh to "
                          "discard it")
    started_with = manifest.get("design", {}).get("chunk_size")
    if started_with != chunk_size:
        raise ConfigError(f"{folder}: this sweep was started with chunk size {started_with}, "
                          f"not {chunk_size}; resume with --chunk-size {started_with}, or "
                          "--fresh to start again")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _run_locked(config, design, store, *, name, identity, chunk_size, total, model, workers,
                client, scheduler, quiet, log) -> SweepReport:
    started_wall = time.monotonic()
    n_chunks = math.ceil(total / chunk_size)
    completed = set(store.completed_chunks())
    counts = store.counts(total)
    tasks = list(plan_chunks(design, config, chunk_size, skip=completed))
    executor, n_workers, run = _choose_executor(tasks, design, workers, client, scheduler)
    session = {"started": _now(), "updated": _now(), "executor": executor,
               "workers": n_workers, "runs": 0, "seconds": 0.0}
    manifest = _new_manifest(config, design, store, name=name, identity=identity,
                             chunk_size=chunk_size, counts=counts, chunks_done=len(completed),
                             session=session)
    code_changed = _code_changed(manifest["timings"]["sessions"])
    store.write_manifest(manifest)
    if not store.design_path.exists():
        store.write_design(design.to_frame())

    log(f"sweep {name}: {design.kind} design, {len(design):,} points x {config.replicates:,} "
        f"replicates = {total:,} runs, {n_chunks:,} chunks of {chunk_size:,}")
    if completed:
        log(f"resuming: {counts['done'] + counts['failed']:,} runs already in {store.folder}/")
        if code_changed:
            log(f"note: the code differs from the previous session's ({code_changed}); runs "
                "already stored are kept as they are")
    if tasks:
        log(f"running {len(tasks):,} chunks {executor}")
        model.warm_up()  # compile or load the kernel once, before workers look for it

    report = SweepReport(folder=store.folder, total=total, **counts)
    progress = Progress(total, counts["done"] + counts["failed"], progress_mode(quiet), name)
    errors: Counter = Counter()
    last_write = run_started = time.monotonic()
    try:
        # closing(): stop the executor (queued chunks dropped) as soon as the loop ends
        with contextlib.closing(run(tasks)) as outcomes:
            for outcome in outcomes:
                if isinstance(outcome, _ChunkError):
                    report.chunk_errors.append(f"chunk {outcome.index}: {outcome.message}")
                    continue
                store.write_chunk(outcome)
                _tally(outcome, report, manifest, errors)
                progress.update(outcome.n_done + outcome.failures.num_rows)
                if time.monotonic() - last_write >= MANIFEST_INTERVAL:
                    _save(store, manifest, report, session, started_wall, "running")
                    last_write = time.monotonic()
    except KeyboardInterrupt:
        progress.close()
        _save(store, manifest, report, session, started_wall, "interrupted")
        print(f"crowdsim: {report.done + report.failed:,} of {total:,} runs are saved in "
              f"{store.folder}/; run the same command again to resume", file=sys.stderr)
        raise
    progress.close()
    report.run_seconds = time.monotonic() - run_started
    status = "complete" if report.pending == 0 else "incomplete"
    _save(store, manifest, report, session, started_wall, status)
    _log_end(report, errors, name, log)
    return report


def _new_manifest(config, design, store, *, name, identity, chunk_size, counts, chunks_done,
                  session) -> dict:
    """This session's manifest; a resumed sweep keeps its start time and earlier sessions."""
    from sim.provenance import provenance

    previous = store.read_manifest() if store.has_manifest() else {}
    timings = previous.get("timings", {})
    total = counts["done"] + counts["failed"] + counts["pending"]
    record = provenance(config_hash=identity, seed=config.seed, experiment=name)
    session.update(crowdsim_version=record["crowdsim_version"], git_commit=record["git_commit"])
    return {
        "format": MANIFEST_FORMAT,
        "name": name,
        "title": config.title,
        "status": "running",
        "model": config.model,
        "config": config.model_dump(mode="json"),
        "config_hash": identity,
        "design": {**design.summary(), "replicates": config.replicates, "runs": total,
                   "chunk_size": chunk_size, "chunks": math.ceil(total / chunk_size)},
        "metrics": list(config.recorded_metrics),
        "columns": param_arrow_types(design.model, design.param_names),
        "counts": counts,
        "chunks": {"done": chunks_done, "total": math.ceil(total / chunk_size)},
        "started": previous.get("started", session["started"]),
        "updated": session["started"],
        "timings": {"compute_seconds": timings.get("compute_seconds", 0.0),
                    "sessions": [*timings.get("sessions", []), session]},
        "provenance": record,
    }


def _code_changed(sessions: list[dict]) -> str | None:
    """What differs between the last two sessions' code (version, commit), if anything."""
    if len(sessions) < 2:
        return None
    before, now = sessions[-2], sessions[-1]
    changed = [f"{key} {before.get(key)} -> {now.get(key)}"
               for key in ("crowdsim_version", "git_commit") if before.get(key) != now.get(key)]
    return ", ".join(changed) or None


def _choose_executor(tasks, design, workers, client, scheduler):
    """(description, number of workers, function running the tasks)."""
    if client is not None:
        threads = sum(client.nthreads().values())
        return (f"on the Dask cluster at {scheduler} ({threads} worker threads now)", threads,
                lambda tasks: _on_dask(tasks, client))
    if workers is None:
        seconds_per_run = get_model(design.model).seconds_per_run
        estimate = sum(seconds_per_run(p.params) * (p.stop - p.start)
                       for task in tasks[:50] for p in task.points)
        estimate *= len(tasks) / max(1, min(len(tasks), 50))
        workers = 1 if estimate < IN_PROCESS_SECONDS else _cpu_count()
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        return "in this process", 1, _in_process
    return (f"on {workers} local worker processes", workers,
            lambda tasks: _in_local_processes(tasks, workers))


def _tally(result: ChunkResult, report: SweepReport, manifest: dict, errors: Counter) -> None:
    done, failed = result.n_done, result.failures.num_rows
    report.done += done
    report.failed += failed
    report.pending -= done + failed
    report.computed += done + failed
    manifest["chunks"]["done"] += 1
    manifest["timings"]["compute_seconds"] += result.seconds
    if failed:
        kinds = result.failures.select(["error_type", "error_message"]).to_pylist()
        errors.update((row["error_type"], row["error_message"]) for row in kinds)


def _save(store, manifest, report, session, started_wall, status) -> None:
    session["updated"] = manifest["updated"] = _now()
    session["runs"] = report.computed
    session["seconds"] = round(time.monotonic() - started_wall, 3)
    manifest["status"] = status
    manifest["counts"] = {"done": report.done, "failed": report.failed,
                          "pending": report.pending}
    if report.chunk_errors:
        manifest["chunk_errors"] = report.chunk_errors[:20]
    store.write_manifest(manifest)
    report.seconds = session["seconds"]


def _log_end(report: SweepReport, errors: Counter, name: str, log) -> None:
    if report.computed == 0 and not report.chunk_errors:
        log(f"nothing left to run: {report.done:,} done, {report.failed:,} failed; results in "
            f"{report.folder}/")
        return
    rate = report.computed / report.run_seconds if report.run_seconds > 0 else 0.0
    log(f"{report.done:,} done, {report.failed:,} failed, {report.pending:,} pending; "
        f"{report.computed:,} runs in {report.seconds:.1f} s ({rate:,.0f} runs/s after "
        f"{report.seconds - report.run_seconds:.1f} s of set-up); results in {report.folder}/")
    if errors:
        (kind, message), count = errors.most_common(1)[0]
        log(f"failed runs: {sum(errors.values()):,} this session; most often ({count:,}): "
            f"{kind}: {message}")
        log(f"see `crowdsim results {report.folder}` and failures-*.parquet")
    for line in report.chunk_errors[:5]:
        print(f"crowdsim: {line}", file=sys.stderr)
    if len(report.chunk_errors) > 5:
        print(f"crowdsim: ... and {len(report.chunk_errors) - 5} more chunk errors",
              file=sys.stderr)
    if report.chunk_errors:
        print(f"crowdsim: {report.pending:,} runs could not run; run the same command again "
              "to retry them", file=sys.stderr)

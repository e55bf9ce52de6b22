"""Running a sweep: plan chunks, run the pending ones somewhere, store each as it lands.

``run_sweep`` builds the design, splits the runs into chunks of consecutive run ids, skips
the chunks whose files already exist (a resumed sweep), and sends the rest to an executor:

- in this process, which by default measures its own speed on the first chunks and starts
  worker processes only if the work left outweighs their start-up on the cores free now
  (:func:`free_cores`);
- in this process and a :class:`concurrent.futures.ProcessPoolExecutor` of spawned
  processes (``workers - 1`` of them), this process computing while they start;
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
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.config import ConfigError
from sim.interrupts import StopSignals
from sim.sweep.config import SweepConfig, sweep_hash
from sim.sweep.design import Design, build_design, param_arrow_types, point_key
from sim.sweep.models import get_model
from sim.sweep.progress import Progress, progress_mode
from sim.sweep.store import CHUNK_RECORDS, SweepStore
from sim.sweep.worker import ChunkResult, ChunkTask, PointRuns, init_worker, run_chunk

__all__ = ["run_sweep", "plan_chunks", "auto_chunk_size", "connect", "SweepReport",
           "MANIFEST_FORMAT", "terminate_pool", "no_workers_timeout", "free_cores",
           "cpu_times"]

MANIFEST_FORMAT = "crowdsim-sweep/1"
#: A chunk should take about this long (seconds): long enough to hide the cost of sending
#: it and writing its file, short enough for a fine progress bar and little lost work.
TARGET_CHUNK_SECONDS = 0.25
#: ... and a sweep is cut into at least this many chunks, so that all cores get work.
MIN_CHUNKS = 16
MAX_CHUNK_SIZE = 100_000
#: Seconds from spawning a worker process to its first chunk running (interpreter, imports,
#: loading the numba cache), when it has a core to itself: 1.2 s measured on a quiet 2-core
#: machine (``benchmarks/bench_sweep.py``, "2 spawned workers up", 2026-12), 2.5-3.5 s
#: before the lean imports of issue 14; slower disks and bigger caches make it longer.
WORKER_START_SECONDS = 1.5
#: With no --workers the sweep starts in this process and measures its own speed on at
#: least this many seconds of chunks (the models' cost estimates are rough) ...
MEASURE_SECONDS = 0.2
#: ... then starts worker processes, one per free core, only if the work left would take
#: this process alone more than this many worker start-ups: while they start this process
#: keeps computing, so they pay only if there is enough work left to share afterwards.
START_WORKERS_AFTER = 2.0
#: Fewest clock ticks (summed over the cores) over which :func:`free_cores` trusts the
#: machine's measured idle time rather than the load average: 0.1 s of 2 cores at 100 Hz.
MIN_IDLE_TICKS = 20
#: A local worker process that dies (e.g. killed for memory) is replaced this many times.
MAX_POOL_RESTARTS = 2
#: The manifest is rewritten at most this often (seconds) while chunks complete, and at most
#: 1/MANIFEST_SHARE of the time: a huge sweep's manifest (a record per chunk) takes a while.
MANIFEST_INTERVAL = 1.0
MANIFEST_SHARE = 20
#: Local and Dask executors look this often (seconds) for a stop signal while chunks run.
STOP_POLL_SECONDS = 0.1
#: A Dask sweep asks the scheduler for its workers this often (seconds) ...
WORKER_CHECK_SECONDS = 1.0
#: ... and gives up after this many seconds without any (environment: NO_WORKERS_ENV).
NO_WORKERS_TIMEOUT = 60.0
NO_WORKERS_ENV = "CROWDSIM_NO_WORKERS_TIMEOUT"


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


def _in_process(tasks: list[ChunkTask],
                stop: StopSignals) -> Iterator[ChunkResult | _ChunkError]:
    # A stop signal takes effect at the end of the running chunk: an exception raised in the
    # middle of compiled (numba) or pyarrow calls can crash the interpreter. A second signal
    # raises at once (the sweep runs this generator with escalate=True).
    for task in tasks:
        if stop.received is not None:
            return
        yield run_chunk(task)


def _in_local_processes(tasks: list[ChunkTask], workers: int | None, stop: StopSignals,
                        on_workers: Callable[[int], None] = lambda n: None,
                        ) -> Iterator[ChunkResult | _ChunkError]:
    """Run ``tasks`` in this process and on spawned worker processes at the same time.

    ``workers`` counts the processes that compute, this one included: ``workers - 1``
    spawned processes are started at once. With ``None`` the sweep starts alone and, after
    :data:`MEASURE_SECONDS` of chunks, starts as many as :func:`_workers_worth_starting`
    says (``on_workers`` is told the new count).

    This process never waits for workers to start: it takes chunks from the queue while they
    import, and if the queue runs dry before any worker has returned a chunk, it computes the
    chunks handed to them as well (the first copy of a chunk to finish is kept; the data are
    the same) and ends them unused. Each worker holds at most one chunk until it has returned
    one, two afterwards (one running, one queued).
    """
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    queue = deque(tasks)
    done: set[int] = set()           # indices of the chunks yielded
    in_flight: dict = {}             # future -> task, handed to the pool
    spawned = 0 if workers is None else max(0, workers - 1)
    deciding = workers is None
    pool = _start_pool(spawned) if spawned else None
    restore_threads = _leave_cores(spawned)
    workers_up = False
    restarts = 0
    measured_runs, measured_seconds = 0, 0.0
    measured_from = cpu_times() if deciding else None  # the machine's idle time from here
    try:
        while queue or any(task.index not in done for task in in_flight.values()):
            if stop.received is not None:
                # keep the chunks finished meanwhile; drop the queued ones, and end the running
                # ones rather than wait for them (at most one chunk per worker is lost)
                finished = _stop_pool(pool, list(in_flight)) if pool is not None else []
                for future in sorted(finished, key=lambda f: in_flight[f].index):
                    if in_flight[future].index not in done:
                        done.add(in_flight[future].index)
                        yield future.result()
                pool = None
                return
            # 1. chunks the workers finished
            broken = False
            for future in sorted((f for f in in_flight if f.done()),
                                 key=lambda f: in_flight[f].index):
                task = in_flight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    in_flight[future] = task  # handled below with the others
                    continue
                except Exception as exc:
                    if task.index not in done:
                        done.add(task.index)
                        yield _ChunkError(task.index, f"{type(exc).__name__}: {exc}")
                    continue
                workers_up = True
                if task.index not in done:
                    done.add(task.index)
                    yield result
            if broken:
                lost = sorted((t for t in in_flight.values() if t.index not in done),
                              key=lambda t: t.index)
                in_flight.clear()
                terminate_pool(pool)
                pool, workers_up = None, False
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    # a chunk that kills its process would kill this one too: give up on them
                    for task in lost:
                        done.add(task.index)
                        yield _ChunkError(task.index,
                                          "worker processes kept dying (out of memory?)")
                    spawned = 0
                else:
                    print(f"crowdsim: a worker process died; restarting the pool for the "
                          f"{len(lost) + len(queue)} chunks left", file=sys.stderr)
                    queue.extendleft(reversed(lost))
                    pool = _start_pool(spawned)
            # 2. work for the workers
            if pool is not None:
                limit = spawned * (2 if workers_up else 1)
                while queue and len(in_flight) < limit:
                    task = queue.popleft()
                    in_flight[pool.submit(run_chunk, task)] = task
            # 3. work for this process
            handed = list(in_flight.values())  # in the order submitted: the order run
            waiting = [t for t in handed if t.index not in done]
            # the workers run the oldest chunks handed to them; the rest wait in the pool
            not_begun = [t for t in handed[spawned:] if t.index not in done]
            if queue:
                task = queue.popleft()
            elif waiting and not workers_up:
                # the workers are still starting: do their chunks rather than wait for them
                task = waiting[0]
            elif not_begun:
                # the queue is empty but the pool holds a chunk no worker has begun: do it
                # here rather than wait for it
                task = not_begun[-1]
            elif waiting:
                wait(list(in_flight), timeout=STOP_POLL_SECONDS, return_when=FIRST_COMPLETED)
                continue
            else:
                break
            started = time.perf_counter()
            result = run_chunk(task)
            done.add(task.index)
            yield result
            if deciding:
                measured_runs += task.n_runs
                measured_seconds += time.perf_counter() - started
                if measured_seconds >= MEASURE_SECONDS and queue:
                    deciding = False
                    left = sum(t.n_runs for t in queue) * measured_seconds / measured_runs
                    spawned = _workers_worth_starting(left, measured_from)
                    if spawned:
                        pool = _start_pool(spawned)
                        restore_threads = _leave_cores(spawned)
                        on_workers(spawned + 1)
    finally:
        restore_threads()
        if pool is not None:
            # the work is done (or stopped, or failed): workers still starting are ended
            # rather than waited for
            terminate_pool(pool)


def _leave_cores(spawned: int) -> Callable[[], None]:
    """Leave a core to each of ``spawned`` workers: this process's numba threads (used by
    the rounds of very large crowds) drop by as many; returns what puts them back."""
    numba = sys.modules.get("numba")  # loaded by the warm-up; never imported here for this
    if not spawned or numba is None:
        return lambda: None
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, before - spawned))
    return lambda: numba.set_num_threads(before)


def _start_pool(workers: int):
    """A pool of ``workers`` spawned processes initialised by :func:`init_worker`."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a forked child would inherit numba's and pyarrow's threads
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=init_worker, initargs=(os.getpid(),))


def free_cores(since: tuple[int, int] | None = None) -> int:
    """Cores this process may compute on now, at least 1.

    With ``since`` (:func:`cpu_times` taken while this process computed since then, as the
    default executor measures its speed): this process's core plus the cores the whole
    machine left idle over that window (``/proc/stat``; bounded by the cores this process
    may run on, :func:`os.sched_getaffinity`). Otherwise, or where ``/proc/stat`` is not
    there: the cores it may run on less the 1-minute load average, rounded; the load average
    lags by a minute, so it still counts processes that have just ended.

    Examples
    --------
    >>> 1 <= free_cores() <= (os.cpu_count() or 1)
    True
    >>> 1 <= free_cores(cpu_times()) <= (os.cpu_count() or 1)
    True
    """
    usable = _cpu_count()
    now = cpu_times() if since is not None else None
    if now is not None and since is not None and now[1] - since[1] >= MIN_IDLE_TICKS:
        idle_cores = (now[0] - since[0]) / (now[1] - since[1]) * _machine_cpus()
        return max(1, min(usable, 1 + math.floor(idle_cores + 0.5)))
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): trust the affinity mask
        busy = 0.0
    return max(1, min(usable, math.floor(usable - busy + 0.5)))


def cpu_times() -> tuple[int, int] | None:
    """The machine's idle and total CPU time so far, in clock ticks summed over its cores
    (the ``cpu`` line of ``/proc/stat``; waiting for I/O counts as idle); None where there
    is no ``/proc/stat``."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu" or len(fields) < 6:
        return None
    ticks = [int(f) for f in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[3] + ticks[4], sum(ticks)


def _machine_cpus() -> int:
    """CPUs ``/proc/stat``'s ``cpu`` line sums over (all of the machine's online CPUs)."""
    return os.cpu_count() or 1


def _workers_worth_starting(seconds_left: float, since: tuple[int, int] | None = None) -> int:
    """Worker processes to start for work that would take this process ``seconds_left``
    alone: one per free core besides this process's (:func:`free_cores` over the window
    ``since``), or none if the work left is less than :data:`START_WORKERS_AFTER` start-ups
    (:data:`WORKER_START_SECONDS`)."""
    if seconds_left < START_WORKERS_AFTER * WORKER_START_SECONDS:
        return 0
    return free_cores(since) - 1


def _stop_pool(pool, pending) -> list:
    """Cancel the queued futures of ``pending``, end the pool's worker processes at once and
    return the futures of ``pending`` that finished with a result before they ended."""
    for future in pending:
        future.cancel()  # succeeds for the queued ones only
    finished = [future for future in pending
                if future.done() and not future.cancelled() and future.exception() is None]
    terminate_pool(pool)
    return finished


def terminate_pool(pool) -> None:
    """Shut down a :class:`concurrent.futures.ProcessPoolExecutor` without waiting for its
    running tasks: queued tasks are cancelled and the worker processes terminated (SIGTERM),
    then reaped. A pool whose work is done shuts down as usual."""
    if hasattr(pool, "terminate_workers"):  # public from Python 3.14
        pool.terminate_workers()
        return
    # Python 3.12 and 3.13 (checked on 3.13.x) have no public way to stop a pool's running
    # workers; its private ``_processes`` map is the only handle on them. Without it, Ctrl-C
    # would wait for every running chunk to end.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
    pool.shutdown(wait=True)  # the manager thread sees the dead workers and ends


def no_workers_timeout() -> float:
    """Seconds a Dask sweep waits for a worker when the cluster has none:
    ``CROWDSIM_NO_WORKERS_TIMEOUT``, else :data:`NO_WORKERS_TIMEOUT`."""
    text = os.environ.get(NO_WORKERS_ENV)
    if text is None:
        return NO_WORKERS_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{NO_WORKERS_ENV}: must be a positive number of seconds, "
                          f"got {text[:40]!r}")
    return seconds


def _on_dask(tasks: list[ChunkTask], client, address: str | None, stop: StopSignals,
             timeout: float) -> Iterator[ChunkResult | _ChunkError]:
    from distributed import as_completed

    # pure=False: every chunk is a distinct task even if two were ever equal
    futures = client.map(run_chunk, tasks, pure=False)
    index_of = {future.key: task.index for future, task in zip(futures, tasks)}
    # hold futures only until their result is here, so workers can free finished chunks
    waiting = {future.key: future for future in futures}
    stream = as_completed(futures, loop=client.loop, with_results=True, raise_errors=False)
    del futures
    watch = _WorkerWatch(client, address, timeout)
    try:
        while not stream.is_empty():
            if stream.has_ready():
                for future, result in stream.next_batch(block=False):
                    waiting.pop(future.key, None)
                    if future.status == "error":
                        exc = result[1]
                        hint = (" (are crowdsim and its dependencies installed on the "
                                "workers?)" if isinstance(exc, ImportError) else "")
                        yield _ChunkError(index_of[future.key],
                                          f"{type(exc).__name__}: {exc}{hint}")
                    else:
                        yield result
                continue
            if stop.received is not None:
                return
            if watch.gave_up():
                for key in waiting:
                    yield _ChunkError(index_of[key], watch.reason)
                return
            time.sleep(STOP_POLL_SECONDS)
    finally:
        if waiting:
            client.cancel(list(waiting.values()))


class _WorkerWatch:
    """Notice a Dask cluster without workers: say so, and give up after ``timeout`` s.

    Tasks on a cluster with no workers wait in the scheduler for ever, and the sweep would
    wait with them in silence.
    """

    def __init__(self, client, address: str | None, timeout: float):
        self.client, self.timeout = client, timeout
        self.where = f"the Dask cluster at {address}" if address else "the Dask cluster"
        self.reason = f"no Dask worker for {timeout:g} s"
        self._checked = -math.inf
        self._empty_since: float | None = None

    def gave_up(self) -> bool:
        now = time.monotonic()
        if now - self._checked < WORKER_CHECK_SECONDS:
            return False
        self._checked = now
        try:
            workers = len(self.client.nthreads())
        except Exception:  # the scheduler is unreachable: as good as no workers
            workers = 0
        if workers:
            if self._empty_since is not None:
                print(f"crowdsim: {self.where} has {workers} workers again", file=sys.stderr)
            self._empty_since = None
            return False
        if self._empty_since is None:
            self._empty_since = now
            print(f"crowdsim: {self.where} has no workers; waiting up to {self.timeout:g} s "
                  f"for one ({NO_WORKERS_ENV} sets the wait)", file=sys.stderr)
            return False
        if now - self._empty_since < self.timeout:
            return False
        print(f"crowdsim: no worker joined {self.where} within {self.timeout:g} s; stopping "
              "(the runs done so far are saved)", file=sys.stderr)
        return True


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
    sim.interrupts.Interrupted
        Ctrl-C (SIGINT) or SIGTERM, after saving what is done, including the chunks that
        finished while stopping (the manifest says ``interrupted``). Local workers are
        stopped rather than waited for. A ``KeyboardInterrupt``: code that handles Ctrl-C
        handles both.

    Notes
    -----
    A resumed sweep first verifies the chunks already saved (:meth:`SweepStore.verify_chunks`
    with ``thorough``): a damaged one is named on stderr, deleted and computed again. A Dask
    sweep whose cluster has no workers says so and gives up after
    :func:`no_workers_timeout` seconds without one (the runs left are pending: exit code 1).
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
    # Ctrl-C and SIGTERM raise at once until the chunks run, then are acted on between them
    with StopSignals() as signals:
        records = _verified_chunks(store, chunk_size, total)
        counts = {"done": sum(r["runs"] for r in records.values()),
                  "failed": sum(r.get("failures", {}).get("rows", 0) for r in records.values())}
        counts["pending"] = total - counts["done"] - counts["failed"]
        tasks = list(plan_chunks(design, config, chunk_size, skip=set(records)))
        def more_workers(count: int) -> None:
            # the default executor measured enough work left to start worker processes
            spawned = f"{count - 1} local worker process{'es' if count > 2 else ''}"
            session.update(executor=f"in this process and {spawned}", workers=count)
            log(f"starting {spawned} for the rest")

        executor, n_workers, run = _choose_executor(tasks, design, workers, client, scheduler,
                                                    more_workers)
        session = {"started": _now(), "updated": _now(), "executor": executor,
                   "workers": n_workers, "runs": 0, "seconds": 0.0}
        manifest = _new_manifest(config, design, store, name=name, identity=identity,
                                 chunk_size=chunk_size, counts=counts, records=records,
                                 session=session)
        code_changed = _code_changed(manifest["timings"]["sessions"])
        report = SweepReport(folder=store.folder, total=total, **counts)
        errors: Counter = Counter()
        progress = None
        store.write_manifest(manifest)
        try:  # from here on the manifest says "running": a stop must say "interrupted"
            if not store.design_path.exists():
                store.write_design(design)
            log(f"sweep {name}: {design.kind} design, {len(design):,} points x "
                f"{config.replicates:,} replicates = {total:,} runs, {n_chunks:,} chunks of "
                f"{chunk_size:,}")
            if records:
                log(f"resuming: {counts['done'] + counts['failed']:,} runs already in "
                    f"{store.folder}/")
                if code_changed:
                    log(f"note: the code differs from the previous session's ({code_changed}); "
                        "runs already stored are kept as they are")
            if tasks:
                log(f"running {len(tasks):,} chunks {executor}")
                # compile (or load) the kernels these points run, once, before workers
                # look for them; a sweep compiles only the rules it uses
                model.warm_for_sweep(p.params for task in tasks for p in task.points)

            progress = Progress(total, counts["done"] + counts["failed"], progress_mode(quiet),
                                name)
            last_write = run_started = time.monotonic()
            manifest_interval = MANIFEST_INTERVAL
            # in this process a second signal stops the running chunk at once (the user
            # insists); with workers, stopping takes a moment and a second signal waits
            with signals.polled(escalate=n_workers == 1 and client is None), \
                    contextlib.closing(run(tasks, signals)) as outcomes:
                for outcome in outcomes:
                    if isinstance(outcome, _ChunkError):
                        report.chunk_errors.append(f"chunk {outcome.index}: {outcome.message}")
                        continue
                    record = store.write_chunk(outcome)
                    manifest[CHUNK_RECORDS][str(outcome.index)] = record
                    _tally(outcome, report, manifest, errors)
                    progress.update(outcome.n_done + outcome.failures.num_rows)
                    if time.monotonic() - last_write >= manifest_interval:
                        began = time.monotonic()
                        _save(store, manifest, report, session, started_wall, "running")
                        last_write = time.monotonic()
                        manifest_interval = max(MANIFEST_INTERVAL,
                                                MANIFEST_SHARE * (last_write - began))
            signals.check()
        except KeyboardInterrupt:
            with signals.ignored():  # saving takes milliseconds: let it finish
                if progress is not None:
                    progress.close()
                _save(store, manifest, report, session, started_wall, "interrupted")
                print(f"crowdsim: {report.done + report.failed:,} of {total:,} runs are saved "
                      f"in {store.folder}/; run the same command again to resume",
                      file=sys.stderr)
            raise
    progress.close()
    report.run_seconds = time.monotonic() - run_started
    status = "complete" if report.pending == 0 else "incomplete"
    _save(store, manifest, report, session, started_wall, status)
    _log_end(report, errors, name, log)
    return report


def _verified_chunks(store: SweepStore, chunk_size: int, total: int) -> dict[int, dict]:
    """Records of the chunks already saved, each read and checked in full; a damaged chunk
    is named on stderr and deleted, to be computed again."""
    if not store.completed_chunks():
        return {}
    previous = store.read_manifest()
    check = store.verify_chunks({"design": {"chunk_size": chunk_size, "runs": total},
                                 CHUNK_RECORDS: previous.get(CHUNK_RECORDS, {})},
                                thorough=True)
    for index, reason in check.damaged.items():
        print(f"crowdsim: chunk {index} is damaged ({reason}); computing it again",
              file=sys.stderr)
        store.remove_chunk(index)
    return check.records


def _new_manifest(config, design, store, *, name, identity, chunk_size, counts, records,
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
        "chunks": {"done": len(records), "total": math.ceil(total / chunk_size)},
        CHUNK_RECORDS: {str(index): record for index, record in sorted(records.items())},
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


def _choose_executor(tasks, design, workers, client, scheduler,
                     on_workers: Callable[[int], None] = lambda n: None):
    """(description, number of workers, function running the tasks); with no ``workers``
    the local executor may start worker processes later and says so to ``on_workers``."""
    if client is not None:
        threads = sum(client.nthreads().values())
        timeout = no_workers_timeout()
        return (f"on the Dask cluster at {scheduler} ({threads} worker threads now)", threads,
                lambda tasks, stop: _on_dask(tasks, client, scheduler, stop, timeout))
    if workers is None:
        # decided while running, from this process's measured speed and the free cores
        return ("in this process (worker processes if the work outweighs their start-up)", 1,
                lambda tasks, stop: _in_local_processes(tasks, None, stop, on_workers))
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        return "in this process", 1, _in_process
    # this process is one of them: it computes too (while the others start, and after)
    return (f"on {workers} local worker processes", workers,
            lambda tasks, stop: _in_local_processes(tasks, workers, stop))


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
    # chunks that failed for one reason (a cluster without workers fails them all) get one
    # line: "chunks 3, 4, 5 and 13 more: <reason>"
    by_reason: dict[str, list[str]] = {}
    for line in report.chunk_errors:
        chunk, _, reason = line.partition(": ")
        by_reason.setdefault(reason, []).append(chunk.removeprefix("chunk "))
    for reason, chunks in list(by_reason.items())[:5]:
        more = f" and {len(chunks) - 3} more" if len(chunks) > 3 else ""
        label = "chunk" if len(chunks) == 1 else "chunks"
        print(f"crowdsim: {label} {', '.join(chunks[:3])}{more}: {reason}", file=sys.stderr)
    if len(by_reason) > 5:
        print(f"crowdsim: ... and chunk errors of {len(by_reason) - 5} more kinds",
              file=sys.stderr)
    if report.chunk_errors:
        print(f"crowdsim: {report.pending:,} runs could not run; run the same command again "
              "to retry them", file=sys.stderr)

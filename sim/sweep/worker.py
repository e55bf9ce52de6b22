"""What a worker does: run one chunk of a sweep and return its rows.

A chunk is a contiguous range of run ids. Runs of the same parameter point go through the
model's kernel in one ``run_batch`` call; a run's seed depends only on the base seed, its
point's key and its replicate index, so its numbers do not depend on the chunk it is in,
the worker that runs it or the order chunks run in.

This module imports only the standard library at the top: a fresh worker process imports it
(to call :func:`init_worker`) before numba is loaded, so the thread limit set there applies.

Examples
--------
>>> task = ChunkTask(index=0, model="estimation", base_seed=1, replicates=2,
...                  metrics=("error_of_mean",), param_types={"n_agents": "int64"},
...                  points=(PointRuns(0, 12345, {"n_agents": 5}, 0, 2),))
>>> result = run_chunk(task)
>>> result.runs.num_rows, result.failures.num_rows
(2, 0)
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["PointRuns", "ChunkTask", "ChunkResult", "run_chunk", "init_worker", "run_seed",
           "run_seeds"]


@dataclass(frozen=True)
class PointRuns:
    """Replicates ``start <= r < stop`` of one parameter point."""

    point_id: int
    point_key: int
    params: dict[str, Any]
    start: int
    stop: int
    seed_key: int | None = None   # the key seeds derive from, if not point_key (paired)

    @property
    def seeding_key(self) -> int:
        """The key this point's seeds derive from."""
        return self.point_key if self.seed_key is None else self.seed_key


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to run one chunk (small and picklable)."""

    index: int
    model: str
    base_seed: int
    replicates: int                  # per point: run_id = point_id * replicates + replicate
    metrics: tuple[str, ...]
    param_types: dict[str, str]      # parameter column -> arrow type name
    points: tuple[PointRuns, ...]

    @property
    def n_runs(self) -> int:
        """Runs in the chunk."""
        return sum(p.stop - p.start for p in self.points)


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's completed runs and failed runs (pyarrow tables) and its compute time."""

    index: int
    runs: Any
    failures: Any
    seconds: float

    @property
    def n_done(self) -> int:
        """Runs completed (a run has one row per recorded round)."""
        from sim.sweep.store import runs_in

        return runs_in(self.runs)


def run_seed(base_seed: int, key: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of the point with key ``key``.

    Examples
    --------
    >>> run_seed(1, 2**40 + 3, 0) == run_seed(1, 2**40 + 3, 0) != run_seed(1, 2**40 + 3, 1)
    True
    """
    from sim.seeding import derive_seed
    from sim.sweep.design import split_key

    return derive_seed(base_seed, *split_key(key), replicate)


# numpy.random.SeedSequence's hash constants (numpy/random/bit_generator.pyx, after
# M.E. O'Neill's seed_seq). Unchanged since NumPy 1.17; checked on NumPy 2.5 and pinned by
# tests/test_sweep.py::test_bulk_run_seeds_equal_seed_sequence.
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = 16
_POOL_SIZE = 4
_WORD = 0xFFFFFFFF


def _uint32_words(value: int) -> list[int]:
    """``value`` as SeedSequence reads an integer: 32-bit words, least significant first."""
    words = [value & _WORD]
    value >>= 32
    while value:
        words.append(value & _WORD)
        value >>= 32
    return words


def run_seeds(base_seed: int, key: int, replicates) -> Any:
    """:func:`run_seed` of many replicates of one point at once (an int64 array).

    The same numbers as ``SeedSequence(base_seed, spawn_key=(*split_key(key), r))
    .generate_state(1, uint64)`` masked to 63 bits, computed for all ``r`` together with
    NumPy's uint32 arithmetic instead of one SeedSequence object per run (~30 us each, a
    tenth of a 1,000-agent run). Replicate indices must be below 2**32 (one 32-bit word).

    Examples
    --------
    >>> import numpy as np
    >>> seeds = run_seeds(1, 2**40 + 3, np.arange(3))
    >>> [int(s) for s in seeds] == [run_seed(1, 2**40 + 3, r) for r in range(3)]
    True
    """
    import numpy as np

    from sim.sweep.design import split_key

    replicates = np.asarray(replicates, dtype=np.uint64)
    if replicates.size and int(replicates.max()) > _WORD:
        raise ValueError("replicate indices must be below 2**32")
    run_words = _uint32_words(int(base_seed))
    run_words += [0] * (_POOL_SIZE - len(run_words))  # a spawn key pads the entropy to a pool
    high, low = split_key(int(key))
    fixed = [*run_words, *_uint32_words(high), *_uint32_words(low)]
    # Everything but the last entropy word (the replicate) is shared by the point's runs:
    # mix it once with Python integers, then only the last step with arrays.
    hash_const = _INIT_A

    def hashmix(value):
        nonlocal hash_const
        value = (value ^ hash_const) & _WORD
        hash_const = (hash_const * _MULT_A) & _WORD
        value = (value * hash_const) & _WORD
        return value ^ (value >> _XSHIFT)

    def mix(x, y):
        result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _WORD
        return result ^ (result >> _XSHIFT)

    pool = [hashmix(fixed[i]) for i in range(_POOL_SIZE)]
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = mix(pool[target], hashmix(pool[source]))
    for source in range(_POOL_SIZE, len(fixed)):
        for target in range(_POOL_SIZE):
            pool[target] = mix(pool[target], hashmix(fixed[source]))
    # the replicate word, for all runs at once (uint64 arrays, masked to 32 bits: no overflow
    # of products of two 32-bit numbers)
    word = replicates
    mask = np.uint64(_WORD)
    final = []
    for target in range(_POOL_SIZE):
        hashed = ((word ^ np.uint64(hash_const)) * np.uint64((hash_const * _MULT_A) & _WORD)) \
            & mask
        hash_const = (hash_const * _MULT_A) & _WORD
        hashed ^= hashed >> np.uint64(_XSHIFT)
        if target < 2:  # generate_state(1, uint64) reads pool words 0 and 1 only
            # mix(x, y) = (L*x - R*y) mod 2**32, written as L*x + (2**32 - R)*y mod 2**32
            result = (np.uint64((_MIX_MULT_L * pool[target]) & _WORD)
                      + np.uint64(((1 << 32) - _MIX_MULT_R) & _WORD) * hashed) & mask
            final.append(result ^ (result >> np.uint64(_XSHIFT)))
    # generate_state(1, uint64): two 32-bit words, low word first
    state_const = _INIT_B
    words = []
    for value in final:
        value = value ^ np.uint64(state_const)
        state_const = (state_const * _MULT_B) & _WORD
        value = (value * np.uint64(state_const)) & mask
        words.append(value ^ (value >> np.uint64(_XSHIFT)))
    seeds = words[0] | (words[1] << np.uint64(32))
    return (seeds & np.uint64(2**63 - 1)).astype(np.int64)


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Run every run of ``task``; a point whose runs raise is recorded, not fatal.

    Parameters
    ----------
    task : ChunkTask

    Returns
    -------
    ChunkResult
        ``runs``: one row per run and round (:func:`sim.sweep.store.runs_schema`);
        ``failures``: one row per failed run (:data:`sim.sweep.store.FAILURES_SCHEMA`).
    """
    _limit_numba_threads()
    from sim.sweep.store import failures_table, runs_table

    started = time.perf_counter()
    runs: list[dict] = []
    failures: list[dict] = []
    for point in task.points:
        _run_point(task, point, runs, failures)
    return ChunkResult(index=task.index,
                       runs=runs_table(runs, task.param_types, task.metrics),
                       failures=failures_table(failures),
                       seconds=time.perf_counter() - started)


def _run_point(task: ChunkTask, point: PointRuns, runs: list, failures: list) -> None:
    import numpy as np

    from sim.sweep.models import get_model

    model = get_model(task.model)
    replicates = np.arange(point.start, point.stop)
    seeds = run_seeds(task.base_seed, point.seeding_key, replicates)
    try:
        params = model.params_schema.model_validate(point.params)
    except Exception as exc:  # an invalid combination of values: every replicate fails
        failures.extend(_failure_rows(task, point, replicates, seeds, exc, model))
        return
    try:
        rounds = model.rounds_of(params)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked in _checked
            values = _checked(model.run_batch(params, seeds, task.metrics), task, len(seeds),
                              len(rounds))
    except Exception:
        # Run the replicates one by one so that exactly the failing ones are recorded: a
        # run's fate must not depend on which other runs share its chunk.
        for r, seed in zip(replicates, seeds):
            _run_point_alone(task, point, model, params, int(r), int(seed), runs, failures)
        return
    runs.append(_batch(task, point, replicates, seeds, values, rounds))


def _run_point_alone(task, point, model, params, replicate, seed, runs, failures) -> None:
    import numpy as np

    replicates, seeds = np.array([replicate]), np.array([seed], dtype=np.int64)
    try:
        rounds = model.rounds_of(params)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow: checked in _checked
            values = _checked(model.run_batch(params, seeds, task.metrics), task, 1,
                              len(rounds))
    except Exception as exc:
        failures.extend(_failure_rows(task, point, replicates, seeds, exc, model))
        return
    runs.append(_batch(task, point, replicates, seeds, values, rounds))


def _batch(task, point, replicates, seeds, values, rounds) -> dict:
    """Completed runs of one point, as :func:`sim.sweep.store.runs_table` takes them."""
    return {"run_ids": point.point_id * task.replicates + replicates, "point": point,
            "replicates": replicates, "seeds": seeds, "values": values, "rounds": rounds}


class NonFiniteResult(ArithmeticError):
    """A run's metric came out infinite: the simulation overflowed float64, so its numbers
    mean nothing (NaN alone is a metric's way of saying "undefined here" and stays)."""


def _checked(values: dict, task: ChunkTask, n: int, n_rounds: int) -> dict:
    """Metrics as float arrays of shape (n, n_rounds); a wrong shape is the model's bug, an
    infinite value a run that overflowed (:class:`NonFiniteResult`)."""
    import numpy as np

    out = {}
    for name in task.metrics:
        array = np.asarray(values[name], dtype=np.float64)
        if array.shape == (n,):
            array = array[:, None]
        if array.shape != (n, n_rounds):
            raise ValueError(f"metric {name}: run_batch returned shape {array.shape}, "
                             f"expected ({n},) or ({n}, {n_rounds})")
        if np.isinf(array).any():
            raise NonFiniteResult(f"metric {name} is infinite: the run overflowed float64 "
                                  "(parameters too large for the model's arithmetic)")
        out[name] = array
    return out


def _failure_rows(task, point, replicates, seeds, exc, model) -> list[dict]:
    message = _one_line(exc, model.params_schema)
    params = json.dumps(point.params, sort_keys=True)
    return [{"run_id": point.point_id * task.replicates + int(r), "point_id": point.point_id,
             "point_key": point.point_key, "seed": int(s), "replicate": int(r),
             "params": params, "error_type": type(exc).__name__, "error_message": message}
            for r, s in zip(replicates, seeds)]


def _one_line(exc: Exception, schema) -> str:
    from pydantic import ValidationError

    from sim.config import describe_error

    if isinstance(exc, ValidationError):
        return describe_error(exc, schema)
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------------------------------------
# worker processes


def _limit_numba_threads() -> None:
    # Many worker processes share the cores: one numba thread each. Only effective before
    # numba is imported, which is why this module imports nothing heavy at the top.
    if "numba" not in __import__("sys").modules:
        os.environ["NUMBA_NUM_THREADS"] = "1"


def init_worker(parent_pid: int) -> None:
    """Initialise a local worker process (``ProcessPoolExecutor(initializer=...)``).

    Limits numba to one thread, leaves Ctrl-C to the parent (which cancels the sweep and
    saves what is done) and exits if the parent dies, so a killed sweep leaves no orphans.
    """
    _limit_numba_threads()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True,
                     name="crowdsim-parent-watch").start()


def _exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)

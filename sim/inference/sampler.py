"""A pyabc sampler whose results do not depend on how many workers run it.

pyabc's own parallel samplers reseed every worker process from the operating system, so a
calibration run twice gives two different posteriors. :class:`SeededSampler` gives the
``k``-th evaluation of generation ``t`` its own seed, ``SeedSequence([seed, t, k])``, runs
evaluations in batches (in this process, in local worker processes or on a Dask cluster)
and keeps them in evaluation order up to the ``n``-th accepted particle. Evaluation ``k``
therefore sees the same random numbers whoever runs it, and the population is the same for
any number of workers and any batch size.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import random
import signal
import threading
from concurrent.futures import ProcessPoolExecutor

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

__all__ = ["SeededSampler", "evaluation_seed"]


def evaluation_seed(seed: int, generation: int, evaluation: int) -> int:
    """The seed of one evaluation: a 32-bit word of ``SeedSequence([seed, t, k])``.

    >>> evaluation_seed(1, 0, 0) == evaluation_seed(1, 0, 0) != evaluation_seed(1, 0, 1)
    True
    """
    return int(np.random.SeedSequence([seed, generation, evaluation]).generate_state(1)[0])


#: Worker pools by size, shared by every fit in this process (a calibration runs nine): the
#: workers start once. Shut down when the process exits.
_POOLS: dict[int, ProcessPoolExecutor] = {}


def _pool(workers: int) -> ProcessPoolExecutor:
    if workers not in _POOLS:
        # forkserver: forking this process, which may run numba's and Dask's threads, could
        # deadlock the children; the workers load the kernels from numba's cache
        _POOLS[workers] = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("forkserver"),
            initializer=_init_pool_worker)
    return _POOLS[workers]


def _init_pool_worker() -> None:
    """Leave Ctrl-C to the parent (it reaches the terminal's whole process group; the parent
    stops the pool) and exit when the parent dies, however it dies: the forkserver and the
    resource tracker live as long as any worker does, so an orphaned worker keeps all three."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                         name="crowdsim-parent-watch").start()


def _exit_with_parent(parent) -> None:
    parent.join()  # returns when the parent's end of a pipe closes: it exited or was killed
    os._exit(1)


def _discard_pool(workers: int) -> None:
    """End a pool's workers at once (an interrupted calibration must not wait for them)."""
    from sim.sweep.runner import terminate_pool

    pool = _POOLS.pop(workers, None)
    if pool is not None:
        terminate_pool(pool)


@atexit.register
def _shutdown_pools() -> None:
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


def _evaluate(simulate_one, seeds: list[int]) -> list:
    """Run ``simulate_one`` once per seed, seeding numpy's and Python's global generators
    (pyabc draws its proposals from them; the model derives its own generator from them)."""
    if isinstance(simulate_one, bytes):
        simulate_one = cloudpickle.loads(simulate_one)
    out = []
    for seed in seeds:
        np.random.seed(seed)  # noqa: NPY002 - pyabc draws from numpy's global generator
        random.seed(seed)
        out.append(simulate_one())
    return out


class SeededSampler(Sampler):
    """Evaluate particles in seeded batches; results independent of the workers.

    Parameters
    ----------
    seed : int
        Base seed of every evaluation.
    workers : int, default 1
        Local worker processes (1: this process).
    client : dask.distributed.Client, optional
        Run batches on this Dask cluster instead.
    batch_size : int, optional
        Evaluations per task (default: 16 per worker).
    """

    def __init__(self, seed: int, workers: int = 1, client=None, batch_size: int | None = None):
        super().__init__()
        self.seed = int(seed)
        self.workers = max(1, int(workers))
        self.client = client
        self.batch_size = batch_size or 16
        self.show_progress = False
        self._generation = -1
        self._calls = 0

    def _map(self, simulate_one, chunks: list[list[int]]) -> list[list]:
        if self.client is not None:
            payload = self.client.scatter(cloudpickle.dumps(simulate_one), broadcast=True)
            futures = [self.client.submit(_evaluate, payload, chunk, pure=False)
                       for chunk in chunks]
            return self.client.gather(futures)
        if self.workers == 1:
            return [_evaluate(simulate_one, chunk) for chunk in chunks]
        payload = cloudpickle.dumps(simulate_one)
        try:
            return list(_pool(self.workers).map(_evaluate, [payload] * len(chunks), chunks))
        except BaseException:  # Ctrl-C, SIGTERM (sim.interrupts), a broken pool
            _discard_pool(self.workers)
            raise

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        # pyabc calls this once per generation, and once more (t = -1 or 0) to calibrate the
        # distance from prior samples; number the calls so each gets its own seeds
        self._calls += 1
        sample = self._create_empty_sample()
        batch = self.batch_size * (self.workers if self.client is None else 4)
        evaluated = accepted = 0
        k = 0
        while accepted < n and evaluated < max_eval:
            seeds = [evaluation_seed(self.seed, self._calls, k + j) for j in range(batch)]
            k += batch
            size = max(1, -(-len(seeds) // max(1, self.workers)))
            chunks = [seeds[i:i + size] for i in range(0, len(seeds), size)]
            for particle in (p for chunk in self._map(simulate_one, chunks) for p in chunk):
                if accepted >= n or evaluated >= max_eval:
                    break  # later evaluations of the batch are dropped: order decides
                sample.append(particle)
                evaluated += 1
                accepted += bool(particle.accepted)
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def stop(self) -> None:
        """Nothing to stop: the worker pool is shared by the process's fits."""

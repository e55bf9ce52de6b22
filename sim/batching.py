"""Running a kernel over many replicates: contiguous blocks, optionally on threads.

Every replicate has its own seed, so the way replicates are split into blocks never changes
the results; threads only help when the kernel releases the GIL (``nogil=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["run_in_blocks", "seed_array", "run_replicates"]


def run_in_blocks(run: Callable[[range], None], n_items: int, n_threads: int = 1) -> None:
    """Call ``run(range)`` on ``n_threads`` contiguous blocks covering ``0 .. n_items - 1``.

    Examples
    --------
    >>> seen = []
    >>> run_in_blocks(lambda rows: seen.extend(rows), 5, n_threads=2)
    >>> sorted(seen)
    [0, 1, 2, 3, 4]
    """
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    if n_threads == 1 or n_items < 2:
        run(range(n_items))
        return
    bounds = np.linspace(0, n_items, n_threads + 1).astype(int)
    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(run, [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))


def seed_array(seeds) -> np.ndarray:
    """The seeds of a batch (an integer or any array of integers) as a flat int64 array.

    Examples
    --------
    >>> seed_array([[3, 4], [5, 6]]), seed_array(7)
    (array([3, 4, 5, 6]), array([7]))
    """
    return np.asarray(seeds, dtype=np.int64).reshape(-1)


def run_replicates(run_one: Callable[[int, np.random.Generator], None], seeds: np.ndarray,
                   n_threads: int = 1) -> None:
    """Run every replicate of a batch from its own seed: the batch drivers of the kernels.

    Parameters
    ----------
    run_one : callable
        ``run_one(r, rng)`` runs replicate ``r`` and stores its results (in row ``r`` of
        arrays the caller allocated). ``rng`` is ``numpy.random.default_rng(seeds[r])``, the
        generator a model's Mesa engine holds when built with ``rng=seeds[r]``, so both
        engines draw the same numbers.
    seeds : numpy.ndarray of int64
        One integer seed per replicate (:func:`seed_array` of what the caller was given;
        see :func:`sim.seeding.replicate_seeds`).
    n_threads : int, default 1
        Threads running replicates concurrently, in contiguous blocks (see
        :func:`run_in_blocks`). Only kernels that release the GIL gain from more than one;
        the results never depend on it.

    Examples
    --------
    >>> firsts = np.empty(3)
    >>> def run_one(r, rng):
    ...     firsts[r] = rng.random()
    >>> run_replicates(run_one, seed_array([1, 2, 1]), n_threads=2)
    >>> bool(firsts[0] == firsts[2] == np.random.default_rng(1).random())
    True
    """
    def run(rows: range) -> None:
        for r in rows:
            run_one(r, np.random.default_rng(int(seeds[r])))

    run_in_blocks(run, seeds.shape[0], n_threads)

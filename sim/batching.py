"""Running a kernel over many replicates: contiguous blocks, optionally on threads.

Every replicate has its own seed, so the way replicates are split into blocks never changes
the results; threads only help when the kernel releases the GIL (``nogil=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["run_in_blocks"]


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

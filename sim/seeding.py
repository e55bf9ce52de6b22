"""Seeds: every random draw in crowdsim flows from one base seed.

A run's generator is derived with :class:`numpy.random.SeedSequence` from the base seed and
the run's key (e.g. its replicate index, or a parameter-point id and a replicate index), so
a run draws the same numbers whichever worker runs it, in whatever chunk or order.

The derived seed is a plain integer on purpose: ``mesa.Model(rng=int)`` seeds ``model.rng``
as ``numpy.random.default_rng(int)`` without drawing from it, so a Mesa model and a numba
kernel given the same integer start from the same generator state.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["derive_seed", "replicate_seeds", "generator"]

# Seeds are kept below 2**63 so they fit signed 64-bit columns (Parquet, pandas).
_SEED_MASK = np.uint64(2**63 - 1)


def derive_seed(base_seed: int, *key: int) -> int:
    """Return the integer seed of the run identified by ``key`` under ``base_seed``.

    Parameters
    ----------
    base_seed : int
        The experiment's seed (non-negative).
    *key : int
        Non-negative integers identifying the run (replicate index, point id, ...).

    Returns
    -------
    int
        A seed in [0, 2**63), a pure function of ``(base_seed, key)``.

    Examples
    --------
    >>> derive_seed(1907, 0) == derive_seed(1907, 0)
    True
    >>> derive_seed(1907, 0) != derive_seed(1907, 1)
    True
    """
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=tuple(int(k) for k in key))
    return int(sequence.generate_state(1, np.uint64)[0] & _SEED_MASK)


def replicate_seeds(base_seed: int, n_replicates: int, start: int = 0,
                    key_prefix: Iterable[int] = ()) -> np.ndarray:
    """Seeds of replicates ``start, ..., start + n_replicates - 1`` as an int64 array.

    Examples
    --------
    >>> seeds = replicate_seeds(1, 3)
    >>> seeds.dtype, len(seeds)
    (dtype('int64'), 3)
    >>> bool(replicate_seeds(1, 2, start=1)[0] == seeds[1])
    True
    """
    prefix = tuple(key_prefix)
    return np.array([derive_seed(base_seed, *prefix, r)
                     for r in range(start, start + n_replicates)], dtype=np.int64)


def generator(seed: int) -> np.random.Generator:
    """The generator a run with integer ``seed`` draws from (as Mesa builds ``model.rng``).

    Examples
    --------
    >>> float(generator(3).random()) == float(generator(3).random())
    True
    """
    return np.random.default_rng(int(seed))

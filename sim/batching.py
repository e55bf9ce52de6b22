"""Running a kernel over many replicates: contiguous blocks, optionally on threads.

Every replicate has its own seed, so the way replicates are split into blocks never changes
the results; threads only help when the kernel releases the GIL (``nogil=True``).

Seeding in bulk
---------------
Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, the generator a model's
Mesa engine holds. Building one costs about 17 us in Python (``SeedSequence`` hashing, a
``PCG64``, a ``Generator``, and numba unboxing a generator it has not seen), several times
the work of a small replicate. So a batch instead

1. computes every replicate's PCG64 state at once in compiled code (:func:`pcg64_states`:
   numpy's ``SeedSequence`` hashing and PCG64 seeding, both fixed by numpy's stream
   compatibility policy, checked against ``np.random.PCG64(seed).state`` by the tests);
2. runs its replicates with ONE generator per thread (:class:`ReplicateGenerator`) whose
   bit generator's state is re-set before each replicate (:func:`reseed`), in compiled code
   (:func:`run_compiled`: the replicate loop itself compiled, as every model's batch driver
   runs it) or from Python (:func:`run_replicates`).

Draws then equal ``default_rng(seeds[r])``'s bit for bit: numba's ``Generator`` support reads
the state only through the bit generator's public ``ctypes`` interface, on every draw.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

__all__ = ["run_in_blocks", "seed_array", "run_replicates", "run_compiled", "pcg64_states",
           "ReplicateGenerator", "reseed", "thread_generator"]


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
    """Run every replicate of a batch from its own seed, the replicate loop in Python.

    For replicates that need Python (e.g. networks drawn by networkx builders) and as the
    anchor of benchmarks; kernels whose whole replicate compiles use :func:`run_compiled`.

    Parameters
    ----------
    run_one : callable
        ``run_one(r, rng)`` runs replicate ``r`` and stores its results (in row ``r`` of
        arrays the caller allocated). ``rng`` draws the stream of
        ``numpy.random.default_rng(seeds[r])``, the generator a model's Mesa engine holds
        when built with ``rng=seeds[r]``, so both engines draw the same numbers. It is one
        generator re-set per replicate (:class:`ReplicateGenerator`): ``run_one`` must not
        keep it beyond the call.
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
    states = pcg64_states(seeds)

    def run(rows: range) -> None:
        # one generator per block (thread), re-set per replicate: about 1 us instead of 17 us
        # for a new default_rng, and numba unboxes a generator it has seen faster
        shared = thread_generator()
        for r in rows:
            if shared.usable:
                shared.reset(states, r)
                run_one(r, shared.generator)
            else:
                run_one(r, np.random.default_rng(int(seeds[r])))

    run_in_blocks(run, seeds.shape[0], n_threads)


def run_compiled(run_block: Callable[..., None], run_one: Callable[[int, np.random.Generator],
                 None], seeds: np.ndarray, n_threads: int = 1) -> None:
    """Run every replicate of a batch through a compiled replicate loop, block by block.

    The batch drivers of the kernels: each block of replicates is one call of compiled code,
    which re-sets one reused generator to replicate ``r``'s state (:func:`reseed`) before
    running it, so no Python runs between replicates.

    Parameters
    ----------
    run_block : callable
        ``run_block(rng, words, flags, order, states, first, stop)`` runs replicates
        ``first .. stop - 1`` (usually an ``@njit`` loop, through a closure holding what is
        the same for the whole batch). Before replicate ``r`` it calls
        ``reseed(words, flags, order, states, r)``; ``rng`` then draws the stream of
        ``numpy.random.default_rng(seeds[r])``. ``states`` is :func:`pcg64_states` of
        ``seeds``; ``words``, ``flags``, ``order`` are :attr:`ReplicateGenerator.views`.
    run_one : callable
        ``run_one(r, rng)`` runs replicate ``r`` alone with ``rng = default_rng(seeds[r])``:
        only where the state layout is not the verified one (:class:`ReplicateGenerator`).
        It must give what ``run_block`` gives.
    seeds : numpy.ndarray of int64
        One integer seed per replicate (:func:`seed_array`).
    n_threads : int, default 1
        Threads running blocks concurrently (see :func:`run_in_blocks`); ``run_block`` must
        release the GIL to gain from them. The results never depend on it.

    Examples
    --------
    >>> @njit(nogil=True)
    ... def first_draws(rng, words, flags, order, states, first, stop, out):
    ...     for r in range(first, stop):
    ...         reseed(words, flags, order, states, r)
    ...         out[r] = rng.random()
    >>> seeds, out = seed_array([1, 2, 1]), np.empty(3)
    >>> run_compiled(lambda *block: first_draws(*block, out),
    ...              lambda r, rng: out.__setitem__(r, rng.random()), seeds, n_threads=2)
    >>> bool(out[0] == out[2] == np.random.default_rng(1).random())
    True
    """
    states = pcg64_states(seeds)

    def run(rows: range) -> None:
        shared = thread_generator()
        if not shared.usable:  # an unverified state layout: a fresh generator per replicate
            for r in rows:
                run_one(r, np.random.default_rng(int(seeds[r])))
            return
        run_block(shared.generator, *shared.views, states, rows.start, rows.stop)

    run_in_blocks(run, seeds.shape[0], n_threads)


# --------------------------------------------------------------------------- bulk seeding
# numpy/random/bit_generator.pyx (SeedSequence: pool of 4 uint32 words, hashing constants)
_MASK32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_XSHIFT = np.uint64(16)
# numpy/random/src/pcg64/pcg64.h: PCG_DEFAULT_MULTIPLIER_128, high and low 64 bits
_PCG_MULT_HIGH = np.uint64(2549297995355413924)
_PCG_MULT_LOW = np.uint64(4865540595714422341)
_SHIFT32 = np.uint64(32)
_ONE = np.uint64(1)
_SHIFT63 = np.uint64(63)


@njit(cache=True, nogil=True)
def _hashmix(value, hash_const):
    value = (value ^ hash_const) & _MASK32
    hash_const = (hash_const * _MULT_A) & _MASK32
    value = (value * hash_const) & _MASK32
    return value ^ (value >> _XSHIFT), hash_const


@njit(cache=True, nogil=True)
def _mix(x, y):
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
    return result ^ (result >> _XSHIFT)


@njit(cache=True, nogil=True)
def _seed_sequence_words(seed, out):
    """``SeedSequence(seed).generate_state(4, np.uint64)`` into ``out`` (0 <= seed < 2**63).

    The seed enters the pool as its little-endian 32-bit words; the pool has room for four,
    and a missing word hashes exactly like a zero word, so one or two words give the same
    pool as numpy's."""
    value = np.uint64(seed)
    pool = np.empty(4, dtype=np.uint64)
    hash_const = _INIT_A
    for i in range(4):
        word = value & _MASK32 if i == 0 else (value >> _SHIFT32 if i == 1 else np.uint64(0))
        pool[i], hash_const = _hashmix(word, hash_const)
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                hashed, hash_const = _hashmix(pool[i_src], hash_const)
                pool[i_dst] = _mix(pool[i_dst], hashed)
    hash_const = _INIT_B
    for k in range(4):  # eight uint32 words, read in pairs as little-endian uint64
        low = np.uint64(0)
        for half in range(2):
            data = pool[(2 * k + half) % 4] ^ hash_const
            hash_const = (hash_const * _MULT_B) & _MASK32
            data = (data * hash_const) & _MASK32
            data ^= data >> _XSHIFT
            if half == 0:
                low = data
            else:
                out[k] = low | (data << _SHIFT32)


@njit(cache=True, nogil=True)
def _multiply_high(a, b):
    """High 64 bits of the 128-bit product of two uint64, from 32-bit halves."""
    a0, a1 = a & _MASK32, a >> _SHIFT32
    b0, b1 = b & _MASK32, b >> _SHIFT32
    p00, p01, p10 = a0 * b0, a0 * b1, a1 * b0
    middle = (p00 >> _SHIFT32) + (p01 & _MASK32) + (p10 & _MASK32)
    return a1 * b1 + (p01 >> _SHIFT32) + (p10 >> _SHIFT32) + (middle >> _SHIFT32)


@njit(cache=True, nogil=True)
def _pcg64_step(state_high, state_low, inc_high, inc_low):
    """One PCG64 step, ``state * multiplier + inc`` modulo 2**128."""
    high = (_multiply_high(state_low, _PCG_MULT_LOW) + state_high * _PCG_MULT_LOW
            + state_low * _PCG_MULT_HIGH)
    low = state_low * _PCG_MULT_LOW
    new_low = low + inc_low
    carry = _ONE if new_low < low else np.uint64(0)
    return high + inc_high + carry, new_low


@njit(cache=True, nogil=True)
def _pcg64_states(seeds, out):
    words = np.empty(4, dtype=np.uint64)
    for r in range(seeds.shape[0]):
        _seed_sequence_words(seeds[r], words)
        # pcg64_set_seed: initstate = words[0:2], initseq = words[2:4] (high, low), then
        # pcg_setseq_128_srandom_r: inc = initseq << 1 | 1; step; state += initstate; step
        inc_high = (words[2] << _ONE) | (words[3] >> _SHIFT63)
        inc_low = (words[3] << _ONE) | _ONE
        state_high, state_low = _pcg64_step(np.uint64(0), np.uint64(0), inc_high, inc_low)
        low = state_low + words[1]
        carry = _ONE if low < state_low else np.uint64(0)
        state_high, state_low = _pcg64_step(state_high + words[0] + carry, low, inc_high,
                                            inc_low)
        out[r, 0] = state_high
        out[r, 1] = state_low
        out[r, 2] = inc_high
        out[r, 3] = inc_low


def pcg64_states(seeds) -> np.ndarray:
    """The PCG64 state of ``numpy.random.default_rng(seed)`` for every seed, in bulk.

    Parameters
    ----------
    seeds : array_like of int
        Non-negative integer seeds (int64).

    Returns
    -------
    numpy.ndarray of uint64, shape (n, 4)
        Per seed: the 128-bit state and increment as (state high, state low, inc high,
        inc low), the numbers ``np.random.PCG64(seed).state["state"]`` holds.

    Examples
    --------
    >>> high, low, inc_high, inc_low = pcg64_states([7])[0]
    >>> public = np.random.PCG64(7).state["state"]
    >>> public["state"] == (int(high) << 64 | int(low)), public["inc"] == (
    ...     int(inc_high) << 64 | int(inc_low))
    (True, True)
    """
    seeds = seed_array(seeds)
    if seeds.size and seeds.min() < 0:
        raise ValueError("Seed must be non-negative")  # as numpy.random.SeedSequence says
    out = np.empty((seeds.shape[0], 4), dtype=np.uint64)
    _pcg64_states(seeds, out)
    return out


# ------------------------------------------------------------- one generator, many seeds
#: How far (bytes) from the start of the ``PCG64`` Python object its C state may lie: the
#: state structs are members of the object (numpy/random/_pcg64.pyx), so any address outside
#: this window means the layout is not the one checked, and nothing is read from it.
_OBJECT_WINDOW = 4096


def _state_views(bit_generator: np.random.PCG64):
    """Writable views onto a PCG64's C state, or None where its layout is not as expected.

    The ONE dependency on numpy internals, isolated here and verified on every use. The
    address of the state struct, ``bit_generator.ctypes.state_address``, is public API; the
    struct's layout is numpy's ``pcg64_state`` (numpy/random/src/pcg64/pcg64.h: a pointer to
    the 128-bit state and increment, then ``int has_uint32``, ``uint32_t uinteger``), which
    is not. Checked with numpy 2.5.5 and numba 0.68.1 (Linux x86-64, native 128-bit
    integers: each 128-bit number is stored low word first; numpy's emulated 128-bit
    arithmetic stores it high word first, which the check below detects). Before returning,
    the views are verified against the public ``state`` property both ways (read and write),
    so a different layout gives None (and the callers' per-replicate path) instead of wrong
    numbers; ``tests/test_batching.py`` fails if that happens on a supported platform.

    Returns
    -------
    (words, flags, order) or None
        ``words``: uint64 (4,), the memory of state and increment; ``flags``: uint32 (2,),
        ``has_uint32`` and ``uinteger``; ``order``: int64 (4,), where each of (state high,
        state low, inc high, inc low) lives in ``words``.
    """
    try:
        base = id(bit_generator)
        state_address = bit_generator.ctypes.state_address
        if not base < state_address < base + _OBJECT_WINDOW:
            return None
        words_address = ctypes.c_void_p.from_address(state_address).value or 0
        if not base < words_address < base + _OBJECT_WINDOW:
            return None
        words = np.ctypeslib.as_array(
            ctypes.cast(words_address, ctypes.POINTER(ctypes.c_uint64)), shape=(4,))
        flags = np.ctypeslib.as_array(
            ctypes.cast(state_address + ctypes.sizeof(ctypes.c_void_p),
                        ctypes.POINTER(ctypes.c_uint32)), shape=(2,))
        known = {"bit_generator": "PCG64", "has_uint32": 1, "uinteger": 0x89ABCDEF,
                 "state": {"state": 0x0123456789ABCDEF_FEDCBA9876543210,
                           "inc": 0x0F1E2D3C4B5A6978_8796A5B4C3D2E1F1}}
        bit_generator.state = known
        parts = [known["state"][key] >> shift & 0xFFFFFFFFFFFFFFFF
                 for key in ("state", "inc") for shift in (64, 0)]
        order = np.array([int(np.flatnonzero(words == np.uint64(p))[0])
                          if np.count_nonzero(words == np.uint64(p)) == 1 else -1
                          for p in parts], dtype=np.int64)
        if (np.any(order < 0) or len(set(order.tolist())) != 4
                or flags.tolist() != [1, 0x89ABCDEF]):
            return None
        states = pcg64_states([20260101])
        reseed(words, flags, order, states, 0)
        expected = np.random.PCG64(20260101).state
        if bit_generator.state != expected:
            return None
        return words, flags, order
    except (AttributeError, TypeError, ValueError, IndexError):
        return None


@njit(cache=True, nogil=True)
def reseed(words, flags, order, states, r):
    """Set a :class:`ReplicateGenerator`'s bit generator to ``default_rng(seeds[r])``'s state.

    ``states`` is :func:`pcg64_states` of the seeds; ``words``, ``flags``, ``order`` are the
    generator's views (:attr:`ReplicateGenerator.views`). Compiled, so a batch driver calls
    it before each replicate without leaving compiled code; the buffered 32-bit half
    (``has_uint32``) is cleared as in a fresh generator.
    """
    for k in range(4):
        words[order[k]] = states[r, k]
    flags[0] = 0
    flags[1] = 0


class ReplicateGenerator:
    """One ``numpy.random.Generator`` (PCG64) re-set to each replicate's seed in turn.

    Attributes
    ----------
    generator : numpy.random.Generator
        Pass it to compiled code, together with :attr:`views`, and call :func:`reseed`
        before each replicate; or call :meth:`reset` from Python.
    views : tuple (words, flags, order) or None
        See :func:`_state_views`; None where the bit generator's state layout is not the
        verified one: callers then fall back to ``default_rng(seed)`` per replicate.

    Examples
    --------
    >>> states = pcg64_states([3, 5])
    >>> shared = ReplicateGenerator()
    >>> shared.reset(states, 1)
    >>> bool(shared.generator.random() == np.random.default_rng(5).random())
    True
    """

    def __init__(self) -> None:
        self.bit_generator = np.random.PCG64(0)
        self.generator = np.random.Generator(self.bit_generator)
        self.views = _state_views(self.bit_generator)

    @property
    def usable(self) -> bool:
        """Whether the state can be re-set in place (else use ``default_rng`` per seed)."""
        return self.views is not None

    def reset(self, states: np.ndarray, r: int) -> None:
        """Re-set the generator to row ``r`` of ``states`` (:func:`pcg64_states`)."""
        if self.views is None:
            raise RuntimeError("this platform's PCG64 state layout is not supported")
        words, flags, order = self.views
        words[order] = states[r]
        flags[:] = 0


_per_thread = threading.local()


def thread_generator() -> ReplicateGenerator:
    """This thread's :class:`ReplicateGenerator`, built (and verified) on first use.

    Reusing it across batches saves building and checking one per call (tens of
    microseconds); every replicate re-sets its state first, so nothing carries over. One per
    thread, so concurrent batches never share one.

    Examples
    --------
    >>> thread_generator() is thread_generator()
    True
    """
    shared = getattr(_per_thread, "generator", None)
    if shared is None:
        shared = _per_thread.generator = ReplicateGenerator()
    return shared

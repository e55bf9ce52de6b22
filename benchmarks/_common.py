"""Shared helpers of the speed benchmarks: timing, machine description, atomic JSON output.

The benchmarks measure; they assert nothing. Figures depend on the machine and on whatever
else runs on it, so every result file carries :func:`machine_info` (including the load
average before and after the run).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"


def timings(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock seconds (``time.perf_counter``) of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summarise(times: list[float], work: float | None = None) -> dict[str, Any]:
    """Best and median of ``times``; with ``work`` (units done per call) also the rates."""
    best, median = min(times), statistics.median(times)
    out: dict[str, Any] = {"times_s": times, "repeats": len(times),
                           "best_s": best, "median_s": median}
    if work is not None:
        out["rate_best"] = work / best
        out["rate_median"] = work / median
    return out


def compiled_vs_loop(compiled: Callable[[], Any], loop: Callable[[], Any], replicates: int,
                     repeat: int) -> dict[str, float]:
    """A compiled replicate loop against the previous Python loop over the same
    ``replicates``: ``repeat`` calls of each, interleaved so both see the same load.

    Returns
    -------
    dict
        Replicates per second and seconds per replicate of each (medians of wall time),
        ``ratio`` (Python loop / compiled, wall) and ``ratio_cpu`` (the same in process-CPU
        seconds, which other processes disturb less on one thread).
    """
    walls: dict[str, list[float]] = {"compiled": [], "python_loop": []}
    cpus: dict[str, list[float]] = {"compiled": [], "python_loop": []}
    for _ in range(max(1, repeat)):
        for name, fn in (("compiled", compiled), ("python_loop", loop)):
            cpu, wall = time.process_time(), time.perf_counter()
            fn()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    new_s, old_s = statistics.median(walls["compiled"]), statistics.median(walls["python_loop"])
    return {"compiled_replicates_per_s": replicates / new_s,
            "python_loop_replicates_per_s": replicates / old_s,
            "compiled_per_replicate_s": new_s / replicates,
            "python_loop_per_replicate_s": old_s / replicates,
            "ratio": old_s / new_s,
            "ratio_cpu": statistics.median(cpus["python_loop"])
            / statistics.median(cpus["compiled"])}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except Exception:
        return None


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except Exception:
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = None
    status = _git("status", "--porcelain")
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "mesa": _version("mesa"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "load_average_1_5_15": load_average(),
    }


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=2, sort_keys=False, allow_nan=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fmt_rate(x: float | None) -> str:
    """Agent estimates per second, e.g. ``1.23e+07``."""
    return "-" if x is None else f"{x:.3g}" if x < 1e3 else f"{x:.2e}"


def fmt_seconds(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.1f} us"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def fmt_total(n: int) -> str:
    """``10**5`` as ``1e5`` when it is a power of ten, else with thousands separators."""
    exponent = len(str(n)) - 1
    return f"1e{exponent}" if n == 10**exponent else f"{n:,}"


def table(rows: list[list[str]], header: list[str], align: str | None = None) -> str:
    """A plain-text table; ``align`` holds one of ``<`` or ``>`` per column."""
    align = align or "<" + ">" * (len(header) - 1)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    def line(cells):
        return "  ".join(f"{str(c):{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def nogil_scaling(n_threads: int, work: int = 40_000_000, repeat: int = 5) -> dict[str, Any]:
    """Control for thread figures: speed-up of a compute-bound, GIL-free numba loop split over
    ``n_threads`` threads. Near ``n_threads`` on an idle machine; lower when other processes
    use the cores - then no code can scale better than this here and now."""
    from concurrent.futures import ThreadPoolExecutor

    from numba import njit

    @njit(nogil=True)
    def spin(n):
        x = 0.0
        for _ in range(n):
            x = x * 0.999999 + 1.0
        return x

    spin(10)
    one = timings(lambda: spin(work), repeat)
    with ThreadPoolExecutor(n_threads) as pool:
        many = timings(lambda: list(pool.map(spin, [work // n_threads] * n_threads)), repeat)
    return {"n_threads": n_threads, "one_thread_s": summarise(one),
            "n_threads_s": summarise(many),
            "speedup_median": statistics.median(one) / statistics.median(many),
            "speedup_best": min(one) / min(many)}


# --------------------------------------------------------------------------- goal rows
#
# Convention: a benchmark's ``main`` may put ``results["goals"]``, a list of goal_row(...)
# dicts, one per goal of issue 14 it measures; run_all.py prints every benchmark's rows in
# one table at the end ("figure, measured, anchor, ratio, goal") and keeps them in the JSON.
# ``measured`` and ``anchor`` are what was timed in the same run; ``ratio`` is the figure the
# goal is stated on when it is a ratio (measured / anchor or the reverse, as the goal says).


def goal_row(figure: str, measured: str, goal: str, met: bool | None, *,
             anchor: str = "-", ratio: float | None = None, note: str = "") -> dict[str, Any]:
    """One row of the goal table (see the convention above).

    Parameters
    ----------
    figure : str
        What is measured, e.g. ``"sweep rate / bare kernel, 1e4 runs, --workers 1"``.
    measured : str
        The figure as text with its unit, e.g. ``"3.1 s"``.
    goal : str
        The goal as text, e.g. ``">= 0.6"``.
    met : bool or None
        Whether the goal is met; None when not measured (e.g. skipped in ``--quick``).
    anchor : str, optional
        What ``measured`` is compared with in the same run, as text.
    ratio : float, optional
        The ratio the goal is stated on, if it is one.
    note : str, optional
        One line on how it was measured or why it is not.

    Returns
    -------
    dict
        JSON-serialisable: ``figure, measured, anchor, ratio, goal, met, note``.
    """
    return {"figure": figure, "measured": measured, "anchor": anchor,
            "ratio": None if ratio is None else float(ratio), "goal": goal,
            "met": None if met is None else bool(met), "note": note}


def goal_table(rows: list[dict[str, Any]]) -> str:
    """The goal rows as a plain-text table, with a verdict column (MET, MISSED, n/a)."""
    body = [[r["figure"], r["measured"], r["anchor"],
             "-" if r.get("ratio") is None else f"{r['ratio']:.3g}", r["goal"],
             {True: "MET", False: "MISSED"}.get(r.get("met"), "n/a")] for r in rows]
    return table(body, ["figure", "measured", "anchor", "ratio", "goal", "verdict"], "<>>>><")


# --------------------------------------------------------------------------- anchors

def degroot_anchor(parallel: bool = False):
    """A minimal hand-written numba DeGroot round over a CSR network: the anchor the
    influence kernel's rounds are compared with (same arithmetic, no options).

    Parameters
    ----------
    parallel : bool
        Spread each round's agents over numba's threads (``prange``), as the kernel does
        above its work threshold; compare like with like.

    Returns
    -------
    callable
        ``degroot_rounds(indptr, indices, x, rounds) -> x``: every agent takes the mean of
        its neighbours' current values each round (synchronous; no neighbours: unchanged).
    """
    from numba import njit, prange

    @njit(nogil=True, parallel=parallel)
    def degroot_rounds(indptr, indices, x, rounds):
        current = x.copy()
        following = x.copy()
        for _ in range(rounds):
            for i in prange(current.shape[0]):
                start, stop = indptr[i], indptr[i + 1]
                if stop == start:
                    following[i] = current[i]
                else:
                    total = 0.0
                    for j in range(start, stop):
                        total += current[indices[j]]
                    following[i] = total / (stop - start)
            current, following = following, current
        return current

    return degroot_rounds


def ring_csr(n_agents: int, degree: int):
    """(indptr, indices) of a ring lattice: each agent linked to its ``degree`` nearest
    neighbours (``degree // 2`` on each side); int64 offsets and int32 neighbour ids, as
    :mod:`sim.networks` stores them; for the DeGroot anchor."""
    import numpy as np

    half = degree // 2
    offsets = np.concatenate([np.arange(-half, 0), np.arange(1, half + 1)])
    indices = (np.arange(n_agents)[:, None] + offsets[None, :]) % n_agents
    indptr = np.arange(0, n_agents * len(offsets) + 1, len(offsets), dtype=np.int64)
    return indptr, indices.ravel().astype(np.int32)

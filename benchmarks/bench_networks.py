"""Building large networks: ring lattice and Watts-Strogatz at 1e4, 1e5, 1e6 nodes (degree 10).

What is measured (``time.perf_counter``, median and best of several calls, after a warm-up
call that compiles the numba loops or loads them from numba's cache):

* ``sim.networks.ring_lattice(n, 10)``: vectorised numpy, no random numbers;
* ``sim.networks.watts_strogatz(n, 10, p, seed)`` for ``p = 0.1`` and ``p = 1.0``: networkx's
  rewiring loop compiled with numba, each node's ties kept in its own slots, then the CSR
  rows written and sorted in place;
* for comparison, ``networkx.watts_strogatz_graph(n, 10, 0.1)`` followed by
  ``sim.networks.to_csr`` at 1e4 and 1e5 nodes (and 1e6 with ``--full``: about a minute);

and the memory of the result: bytes of the CSR arrays per node and per undirected tie (8 per
``indptr`` entry, 4 per ``indices`` entry below 2**31 nodes, two entries per tie), plus the
growth of the peak resident memory while building, measured in a fresh process per case
(Linux: the peak ``VmHWM`` after the build, reset through ``/proc/self/clear_refs`` just
before it, minus ``VmRSS`` before it; ``ru_maxrss`` elsewhere, which is coarser as it keeps
the parent's size across ``exec``; skipped with ``--no-memory``). Small builds stay within
pages the process already holds and show little or no growth.

Run: ``.venv/bin/python benchmarks/run_all.py --only networks [--quick | --full]`` (or this
file directly, which prints the report without writing JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, fmt_seconds, fmt_total, summarise, table, timings

DEGREE = 10
SIZES = (10**4, 10**5, 10**6)
QUICK_SIZES = (10**4, 10**5)
NX_SIZES = (10**4, 10**5)                 # networkx for comparison; 1e6 only with --full
REWIRE_PS = (0.1, 1.0)
SEED = 1998

#: (label, builder name, keyword arguments) of the cases timed at every size.
CASES = [("ring_lattice", "ring_lattice", {})] + [
    (f"watts_strogatz p={p:g}", "watts_strogatz", {"rewire_p": p}) for p in REWIRE_PS]

_CHILD = """
import json, resource, sys
import numpy as np
from sim import networks as N

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])            # KiB

name, n, degree, kwargs, seed = json.loads(sys.argv[1])
fn = getattr(N, name)
extra = {"seed": seed} if name != "ring_lattice" else {}
fn(1000, degree, **kwargs, **extra)                      # warm-up: numba cache, imports
try:
    # ru_maxrss survives exec (it starts at the parent's size): reset the peak instead
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before, method = status("VmRSS"), "VmHWM after clear_refs"
except OSError:
    before, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
g = fn(n, degree, **kwargs, **extra)
after = status("VmHWM") if method != "ru_maxrss" else \
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "after_kib": after, "csr_bytes": g.nbytes,
                  "method": method}))
"""


def _call(name: str, n: int, kwargs: dict[str, Any], seed: int):
    from sim import networks as N

    fn = getattr(N, name)
    if name == "ring_lattice":
        return fn(n, DEGREE, **kwargs)
    return fn(n, DEGREE, **kwargs, seed=seed)


def peak_memory(name: str, n: int, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """Growth of the peak RSS while building, in a fresh interpreter (Linux: KiB)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""))
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD,
                              json.dumps([name, n, DEGREE, kwargs, SEED])],
                             capture_output=True, text=True, timeout=600, check=True, env=env)
        record = json.loads(out.stdout.strip().splitlines()[-1])
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    growth = max(0, record["after_kib"] - record["before_kib"]) * 1024
    return {"peak_rss_growth_bytes": growth, "peak_rss_growth_per_node": growth / n,
            "csr_bytes": record["csr_bytes"], "method": record["method"]}


def csr_bytes(g) -> dict[str, Any]:
    n, ties = g.n_nodes, g.n_edges
    return {
        "indptr_bytes": g.indptr.nbytes, "indices_bytes": g.indices.nbytes,
        "indptr_dtype": str(g.indptr.dtype), "indices_dtype": str(g.indices.dtype),
        "total_bytes": g.nbytes,
        "bytes_per_node": g.nbytes / n,
        "bytes_per_tie": g.nbytes / ties if ties else None,
        "bytes_per_entry": g.indices.itemsize,
        "mean_degree": 2 * ties / n,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Build time and memory of large networks.")
    parser.add_argument("--quick", action="store_true", help="sizes 1e4 and 1e5 only")
    parser.add_argument("--full", action="store_true",
                        help="also networkx's watts_strogatz_graph at 1e6 (about a minute)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="calls per figure (default 5, quick 2; 3 at 1e6)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory measurements (fresh processes)")
    args = parser.parse_args(argv)

    from sim import networks as N

    sizes = QUICK_SIZES if args.quick else SIZES
    repeat = args.repeat or (2 if args.quick else 5)
    nx_sizes = [n for n in (NX_SIZES + ((10**6,) if args.full else ())) if n in sizes]
    print(f"Degree {DEGREE}; sizes {', '.join(fmt_total(n) for n in sizes)}; {repeat} calls per "
          f"figure ({min(repeat, 3)} at 1e6); median reported, best in its own column.")

    warmup = {}
    for label, name, kwargs in CASES:
        start = time.perf_counter()
        _call(name, 1000, kwargs, SEED)
        warmup[label] = time.perf_counter() - start
    print("  warm-up (numba compile or cache load, first imports): " + "; ".join(
        f"{label} {fmt_seconds(t)}" for label, t in warmup.items()), flush=True)

    results: dict[str, Any] = {"degree": DEGREE, "sizes": list(sizes), "repeat": repeat,
                               "seed": SEED, "quick": args.quick, "full": args.full,
                               "warmup_s": warmup, "measurements": []}
    rows = []
    for n in sizes:
        reps = min(repeat, 3) if n >= 10**6 else repeat
        for label, name, kwargs in CASES:
            last = {}

            def build(last=last, name=name, n=n, kwargs=kwargs):
                last.pop("g", None)                  # free the previous graph first
                last["g"] = _call(name, n, kwargs, SEED)

            times = timings(build, reps)
            g = last["g"]
            record = {"builder": label, "function": name, "n_nodes": n, **kwargs,
                      "n_edges": g.n_edges, **summarise(times, work=n),
                      "ties_per_s_median": g.n_edges / summarise(times)["median_s"],
                      **csr_bytes(g)}
            # --quick: the small size, and the largest for the goal row (a small build stays
            # within pages the process holds and shows no growth)
            if not args.no_memory and (not args.quick or n <= 10**4 or n == max(sizes)):
                record["memory"] = peak_memory(name, n, kwargs)
            results["measurements"].append(record)
            memory = record.get("memory") or {}
            peak = memory.get("peak_rss_growth_per_node")
            rows.append([label, fmt_total(n), fmt_seconds(record["median_s"]),
                         fmt_seconds(record["best_s"]), f"{record['rate_median']:.3g}",
                         f"{record['bytes_per_node']:.1f}", f"{record['bytes_per_tie']:.2f}",
                         "-" if peak is None else f"{peak:.0f}"])
            print(f"  {label} at {fmt_total(n)}: median {fmt_seconds(record['median_s'])}",
                  flush=True)
            del last, g

    print()
    print(table(rows, ["builder", "nodes", "median", "best", "nodes/s", "CSR B/node",
                       "CSR B/tie", "peak RSS B/node"]))
    print(f"CSR bytes: indptr int64 (8 per node) + indices int32 (4 per entry, 2 entries per "
          f"tie): 8 + 4 * {DEGREE} = {8 + 4 * DEGREE} B per node at degree {DEGREE}; "
          f"per tie 8 + (8 / (degree/2)) = {8 + 8 / (DEGREE / 2):.1f} B.")
    print("Peak RSS growth: the finished CSR plus what building needs on the way "
          "(watts_strogatz: each node's rewired ends, 4 B per tie; the rows are written and "
          "sorted in the CSR itself); fresh process per case.")

    comparison = []
    if nx_sizes:
        import networkx as nx

        print()
        print("networkx for comparison: to_csr(nx.watts_strogatz_graph(n, 10, 0.1, seed)):")
        for n in nx_sizes:
            times = timings(lambda: N.to_csr(nx.watts_strogatz_graph(n, DEGREE, 0.1,
                                                                     seed=SEED)), 1)
            ours = next(m for m in results["measurements"]
                        if m["function"] == "watts_strogatz" and m["n_nodes"] == n
                        and m.get("rewire_p") == 0.1)
            speedup = times[0] / ours["median_s"]
            comparison.append({"n_nodes": n, "networkx_s": times[0],
                               "sim_networks_median_s": ours["median_s"],
                               "speedup": speedup})
            print(f"  {fmt_total(n)}: networkx {fmt_seconds(times[0])}, sim.networks "
                  f"{fmt_seconds(ours['median_s'])} -> {speedup:.0f}x", flush=True)
    results["networkx_comparison"] = comparison
    results.setdefault("goals", []).extend(goal_rows(results))  # run_all.py's table
    return results


def goal_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's network-build goal for run_all.py's table (:func:`_common.goal_row`): peak
    memory growth while building over the size of the finished CSR, at the largest size with
    a memory figure, the worst builder."""
    from _common import goal_row

    with_memory = [m for m in results["measurements"]
                   if (m.get("memory") or {}).get("peak_rss_growth_bytes") is not None]
    if not with_memory:
        return [goal_row("network build peak memory / result size", "-", "<= 2", None,
                         note="not measured (--no-memory)")]
    largest = max(m["n_nodes"] for m in with_memory)
    worst = max((m for m in with_memory if m["n_nodes"] == largest),
                key=lambda m: m["memory"]["peak_rss_growth_bytes"] / m["total_bytes"])
    peak, size = worst["memory"]["peak_rss_growth_bytes"], worst["total_bytes"]
    return [goal_row(f"network build peak memory / result ({worst['builder']}, "
                     f"{fmt_total(largest)} nodes)", f"{peak / 1e6:.1f} MB",
                     "<= 2", peak / size <= 2, anchor=f"{size / 1e6:.1f} MB (the CSR)",
                     ratio=peak / size)]


if __name__ == "__main__":
    main(sys.argv[1:])

"""Speed of social influence: agent-updates per second, numba kernel vs Mesa model.

One *agent-update* is one agent revising its estimate once: a round of ``n`` agents is ``n``
updates (in a Deffuant round ``n/2`` meetings move two agents each). What is measured
(``time.perf_counter``, several repetitions, median and best reported):

* **kernel rounds**: :func:`sim.models.estimation.kernel.evolve` (social weights, then the
  rounds) on a crowd prepared exactly as :func:`simulate_crowds` prepares it (network and
  private estimates from the seed), so network building and drawing are not in the figure;
* **kernel end to end**: ``simulate_crowds(params, [seed], record_rounds=[rounds])`` - the
  network, the private estimates and the rounds, one crowd;
* **Mesa**: ``CrowdEstimation(rng=seed, **params)`` (creation timed apart) and ``rounds``
  calls of ``model.step()``, on the same parameters and seed, checking that its estimates
  equal the kernel's bit for bit.

Sections: (1) neighbours' mean (``information=neighbours``, ``rule=average``, linear space,
no confidence bound) on ring lattices and Watts-Strogatz small worlds (rewire_p 0.1) of
1e3..1e6 agents and degree 4, 10, 50; (2) the Mesa model on the same runs at 1e3 and 1e4
agents (1e5 with ``--full``); (3) one crowd of 1e6 agents on a small world (k = 10,
rewire_p 0.1) for 100 rounds, with and without the network build, on numba's threads and on
one, and the growth of its peak resident memory in a fresh process (Linux ``VmHWM`` after
``/proc/self/clear_refs``, minus ``VmRSS`` before the run; the process first runs a small
crowd of the same kind so imports and numba's cache are loaded); (4) the other rules at 1e4
agents (aggregate mean and median, full information with and without a bound - O(n^2) per
round -, Deffuant, sequential answering), kernel and Mesa; (5) Hegselmann-Krause and
Deffuant against DeGroot on the same small world (k = 10, bound 5) at 1e4..1e6 agents, one
thread, time per agent-update; (6) the neighbours' mean with prefetching off and on at
5e4..1e6 agents and at ``kernel.PREFETCH_MIN_AGENTS``, one thread. (5) and (6) add rows to
the goal table of ``run_all.py`` (``results["goals"]``).

Rounds run on numba's threads (``prange``) when a round touches at least
``kernel.PARALLEL_MIN_WORK`` agents plus neighbour entries; smaller rounds run on one thread.
The "threads" column says which; "per core" divides by it.

Targets (from the issue), printed as PASS/MISS: kernel >= 200x the Mesa model at 1e4 agents;
1e6 agents, k = 10, 100 rounds in under 5 s on 2 cores, within 100 bytes per agent plus 16
per tie of memory; >= 1e8 agent-updates per second per core at 1e4 agents and degree 4.

Run: ``.venv/bin/python benchmarks/run_all.py --only influence [--quick | --full]`` (or this
file directly, which prints the report without writing JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO_ROOT,
    fmt_rate,
    fmt_seconds,
    fmt_total,
    goal_row,
    load_average,
    nogil_scaling,
    summarise,
    table,
    timings,
)

SEED = 2017
SIZES = (10**3, 10**4, 10**5, 10**6)
QUICK_SIZES = (10**3, 10**4)
DEGREES = (4, 10, 50)
QUICK_DEGREES = (4, 10)
REWIRE_P = 0.1
MESA_SIZES = (10**3, 10**4)             # 1e5 with --full
QUICK_MESA_SIZES = (10**3,)
MESA_ROUNDS = 3
BIG_N, BIG_DEGREE, BIG_ROUNDS = 10**6, 10, 100
QUICK_BIG_N = 10**5

TARGET_RATIO = 200.0                    # kernel / Mesa at 1e4 agents
TARGET_BIG_S = 5.0                      # 1e6 agents, k = 10, 100 rounds, 2 cores
TARGET_BYTES_PER_AGENT, TARGET_BYTES_PER_TIE = 100, 16
TARGET_PER_CORE = 1e8                   # agent-updates per second per core, 1e4 agents, k = 4

#: (5) Bounded confidence against DeGroot on a small world (k = 10), one thread: sizes, and
#: the goal on the cost per update of each rule over DeGroot's (issue 14 found 20-30x).
BOUNDED_SIZES = (10**4, 10**5, 10**6)
QUICK_BOUNDED_SIZES = (10**4, 10**5)
BOUNDED_DEGREE, BOUNDED_EPSILON = 10, 5.0
TARGET_BOUNDED_OVER_DEGROOT = 3.0
#: (6) Prefetch on and off around kernel.PREFETCH_MIN_AGENTS (the threshold is added).
PREFETCH_SIZES = (50_000, 100_000, 200_000, 500_000, 10**6)
QUICK_PREFETCH_SIZES = (50_000, 10**6)   # 1e6: a second to build, for the goal row
PREFETCH_PAIRS = 7                      # interleaved (off, on) timings per size

#: The crowd: normal private estimates (Galton-like spread), DeGroot weight 0.3.
CROWD = dict(noise="normal", truth=100.0, noise_scale=10.0, social_weight=0.3)

#: Other rules at 1e4 agents: (label, parameters, rounds).
OTHER_RULES: list[tuple[str, dict[str, Any], int]] = [
    ("aggregate mean", dict(information="aggregate"), 100),
    ("aggregate median", dict(information="aggregate", signal="median"), 20),
    ("full, no bound (O(n^2))", dict(information="full"), 2),
    ("full, bound 5 (HK, O(n^2))", dict(information="full", confidence_bound=5.0), 2),
    ("neighbours k=4, bound 5", dict(information="neighbours", confidence_bound=5.0,
                                     network={"kind": "watts_strogatz", "degree": 4,
                                              "rewire_p": REWIRE_P}), 100),
    ("neighbours k=4, log space", dict(noise="lognormal", noise_scale=0.1,
                                       revision_space="log", information="neighbours",
                                       network={"kind": "watts_strogatz", "degree": 4,
                                                "rewire_p": REWIRE_P}), 100),
    ("deffuant, network k=4, bound 5", dict(rule="deffuant", information="neighbours",
                                            confidence_bound=5.0,
                                            network={"kind": "watts_strogatz", "degree": 4,
                                                     "rewire_p": REWIRE_P}), 100),
    ("deffuant, full, bound 5", dict(rule="deffuant", information="full",
                                     confidence_bound=5.0), 100),
    ("sequential, aggregate mean", dict(rule="sequential", information="aggregate"), 100),
    ("sequential, neighbours k=4", dict(rule="sequential", information="neighbours",
                                        network={"kind": "watts_strogatz", "degree": 4,
                                                 "rewire_p": REWIRE_P}), 100),
]


# --------------------------------------------------------------------------- helpers

def _time(fn, repeat: int, min_sample_s: float = 0.05) -> list[float]:
    """Seconds per call of ``fn``: ``repeat`` samples, each averaging enough calls to last
    at least ``min_sample_s`` (short calls are otherwise dominated by timer noise)."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    number = max(1, math.ceil(min_sample_s / max(once, 1e-9))) if once < min_sample_s else 1
    if number == 1:
        return timings(fn, repeat)

    def many():
        for _ in range(number):
            fn()
    return [t / number for t in timings(many, repeat)]


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def network(kind: str, degree: int) -> dict[str, Any]:
    if kind == "ring":
        return {"kind": "ring_lattice", "degree": degree}
    return {"kind": "watts_strogatz", "degree": degree, "rewire_p": REWIRE_P}


def rounds_for(n: int, degree: int) -> int:
    """Enough rounds for a measurable call: about 2e8 neighbour reads, 10..1000 rounds."""
    return max(10, min(1000, 2 * 10**8 // (n * degree)))


def params_for(n: int, rounds: int, **options):
    from sim.models.estimation import EstimationParams

    return EstimationParams(n_agents=n, rounds=rounds, **{**CROWD, **options})


class Prepared:
    """A crowd as ``run_replicate`` prepares it: the network, then the private estimates,
    from ``default_rng(seed)``; ``evolve()`` runs the rounds on a fresh copy."""

    def __init__(self, params, seed: int) -> None:
        from sim.models.estimation.kernel import draw_crowd
        from sim.networks import build, empty

        self.params = params
        self.settings = params.rule_settings()
        self.rng = np.random.default_rng(seed)
        self.graph = build(params.network, params.n_agents, self.rng) or empty(params.n_agents)
        self.x0 = np.empty(params.n_agents)
        self.multipliers = np.empty(params.n_agents)
        draw_crowd(self.rng, self.settings, self.x0, self.multipliers)
        self.record_rounds = np.array([params.rounds], dtype=np.int64)
        self.record_out = np.empty((1, params.n_agents))
        self.social_weights = np.empty(params.n_agents)
        self.x = np.empty_like(self.x0)

    def evolve(self) -> None:
        from sim.models.estimation.kernel import evolve

        self.x[:] = self.x0
        evolve(self.rng, self.settings, self.x, self.graph.indptr, self.graph.indices,
               self.record_rounds, self.record_out, self.social_weights, True)

    @property
    def n_entries(self) -> int:
        return int(self.graph.indices.shape[0])


def threads_used(params, n_entries: int) -> int:
    """Threads the kernel's rounds run on (see ``kernel.PARALLEL_MIN_WORK``)."""
    import numba

    from sim.models.estimation import kernel

    n = params.n_agents
    min_work = getattr(kernel, "PARALLEL_MIN_WORK", None)
    if min_work is None:  # older kernels (for comparisons): the neighbours' mean in prange
        parallel = (params.rule == "average" and params.information == "neighbours"
                    and params.confidence_bound is None
                    and params.influencer_reach == "network")
    else:
        work = n + n_entries if params.information == "neighbours" else (
            n * n // 16 if params.information == "full" else n)
        parallel = params.rule == "average" and work >= min_work
    return numba.get_num_threads() if parallel else 1


def measure_kernel(params, seed: int, repeat: int, end_to_end: bool = True) -> dict[str, Any]:
    """Kernel rounds (evolve on a prepared crowd) and end to end (simulate_crowds)."""
    from sim.models.estimation import simulate_crowds

    prepared = Prepared(params, seed)
    updates = params.n_agents * params.rounds
    rounds_s = _time(prepared.evolve, repeat)
    out = {"n_agents": params.n_agents, "rounds": params.rounds, "updates": updates,
           "n_entries": prepared.n_entries, "ties": prepared.n_entries // 2,
           "threads": threads_used(params, prepared.n_entries),
           "kernel_rounds": summarise(rounds_s, work=updates)}
    if end_to_end:
        e2e = _time(lambda: simulate_crowds(params, [seed], record_rounds=[params.rounds]),
                    repeat)
        out["kernel_end_to_end"] = summarise(e2e, work=updates)
    out["estimates"] = prepared.record_out[0]
    return out


def run_mesa(params, seed: int) -> dict[str, Any]:
    """Mesa model on the same parameters and seed: creation, then ``rounds`` steps."""
    from sim.models.estimation import CrowdEstimation

    kwargs = params.model_dump()
    start = time.perf_counter()
    model = CrowdEstimation(rng=seed, **kwargs)
    created = time.perf_counter()
    for _ in range(params.rounds):
        model.step()
    stepped = time.perf_counter()
    return {"create_s": created - start, "steps_s": stepped - created,
            "total_s": stepped - start, "estimates": model.estimates}


def _mesa_summary(runs: list[dict[str, Any]], updates: int) -> dict[str, Any]:
    return {"steps": summarise([r["steps_s"] for r in runs], work=updates),
            "create": summarise([r["create_s"] for r in runs]),
            "total": summarise([r["total_s"] for r in runs], work=updates)}


# --------------------------------------------------------------------------- the big run

_CHILD = """
import json, sys, time
import numpy as np
from sim.models.estimation import EstimationParams, simulate_crowds

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024            # bytes

kwargs, seed, what = json.loads(sys.argv[1])
small = dict(kwargs, n_agents=1000, rounds=2)
simulate_crowds(EstimationParams(**small), [seed], record_rounds=[2])  # imports, numba cache
params = EstimationParams(**kwargs)
try:
    with open("/proc/self/clear_refs", "w") as fh:                # reset the peak (VmHWM)
        fh.write("5")
    method = "VmHWM after clear_refs minus VmRSS before"
except OSError:
    method = None
before = status("VmRSS")
start = time.perf_counter()
if what == "network":
    from sim.networks import build
    result = build(params.network, params.n_agents, np.random.default_rng(seed)).nbytes
else:
    batch = simulate_crowds(params, [seed], record_rounds=[params.rounds])
    result = (batch.trajectory.nbytes + batch.noise_multipliers.nbytes
              + batch.social_weights.nbytes)
elapsed = time.perf_counter() - start
peak = status("VmHWM") if method else None
print(json.dumps({"before_bytes": before, "peak_bytes": peak, "method": method,
                  "elapsed_s": elapsed, "result_bytes": result}))
"""


def peak_memory(params, seed: int, what: str = "run") -> dict[str, Any]:
    """Growth of the peak resident memory during one ``simulate_crowds`` call (``what="run"``)
    or the network build alone (``"network"``), measured in a fresh interpreter (Linux)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""))
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD,
                              json.dumps([params.model_dump(), seed, what])],
                             capture_output=True, text=True, timeout=1800, check=True, env=env)
        record = json.loads(out.stdout.strip().splitlines()[-1])
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if record["peak_bytes"] is None:
        return {"error": "no /proc/self/clear_refs (not Linux?): peak memory not measured"}
    record["growth_bytes"] = max(0, record["peak_bytes"] - record["before_bytes"])
    return record


def big_run(n: int, repeat: int, seed: int, memory: bool) -> dict[str, Any]:
    """One crowd of ``n`` agents on a small world (k = 10, rewire_p 0.1), 100 rounds."""
    import numba

    from sim.models.estimation import simulate_crowds
    from sim.networks import build

    params = params_for(n, BIG_ROUNDS, information="neighbours",
                        network=network("ws", BIG_DEGREE))
    out: dict[str, Any] = {"n_agents": n, "degree": BIG_DEGREE, "rewire_p": REWIRE_P,
                           "rounds": BIG_ROUNDS, "numba_threads": numba.get_num_threads()}
    build_s = timings(lambda: build(params.network, n, np.random.default_rng(seed)), repeat)
    out["network_build"] = summarise(build_s)
    prepared = Prepared(params, seed)
    out["ties"] = prepared.n_entries // 2
    updates = n * BIG_ROUNDS
    threads = numba.get_num_threads()
    for label, n_threads in (("threads", threads), ("one_thread", 1)):
        numba.set_num_threads(n_threads)
        try:
            prepared.evolve()   # warm (first touch of the pages)
            out[f"kernel_rounds_{label}"] = summarise(timings(prepared.evolve, repeat),
                                                      work=updates)
            out[f"end_to_end_{label}"] = summarise(timings(
                lambda: simulate_crowds(params, [seed], record_rounds=[BIG_ROUNDS]), repeat),
                work=updates)
        finally:
            numba.set_num_threads(threads)
    if memory:
        out["memory"] = peak_memory(params, seed)
        out["memory_network_only"] = peak_memory(params, seed, "network")
        if "growth_bytes" in out["memory"]:
            budget = TARGET_BYTES_PER_AGENT * n + TARGET_BYTES_PER_TIE * out["ties"]
            out["memory"]["budget_bytes"] = budget
            out["memory"]["within_budget"] = out["memory"]["growth_bytes"] <= budget
            out["memory"]["csr_bytes"] = prepared.graph.nbytes
    return out


# --------------------------------------------------------------------------- (5), (6)

def bounded_vs_degroot(sizes, repeat: int, seed: int) -> list[dict[str, Any]]:
    """Kernel rounds (:class:`Prepared`) of DeGroot, Hegselmann-Krause (``rule=average``
    with a bound) and Deffuant (with the same bound) on the same small world, one thread,
    in nanoseconds per agent-update (a Deffuant round is ``n/2`` meetings of two agents)."""
    import numba

    threads = numba.get_num_threads()
    rules = {"degroot": {}, "hk": {"confidence_bound": BOUNDED_EPSILON},
             "deffuant": {"rule": "deffuant", "confidence_bound": BOUNDED_EPSILON}}
    out = []
    numba.set_num_threads(1)  # the same cores for all three: Deffuant is sequential
    try:
        for n in sizes:
            rounds = max(3, 3 * 10**6 // n)
            record: dict[str, Any] = {"n_agents": n, "rounds": rounds,
                                      "degree": BOUNDED_DEGREE, "epsilon": BOUNDED_EPSILON}
            prepared = {name: Prepared(params_for(n, rounds, information="neighbours",
                                                  network=network("ws", BOUNDED_DEGREE),
                                                  **options), seed)
                        for name, options in rules.items()}
            samples: dict[str, list[float]] = {name: [] for name in rules}
            for _ in range(max(3, repeat)):  # interleaved: the same load for each rule
                for name, crowd in prepared.items():
                    samples[name] += _time(crowd.evolve, 1)
            for name in rules:
                record[f"{name}_ns"] = float(np.median(samples[name])) / (n * rounds) * 1e9
            record["hk_ratio"] = record["hk_ns"] / record["degroot_ns"]
            record["deffuant_ratio"] = record["deffuant_ns"] / record["degroot_ns"]
            out.append(record)
            print(f"  {fmt_total(n)}: HK {record['hk_ratio']:.2f}x, Deffuant "
                  f"{record['deffuant_ratio']:.2f}x DeGroot's time per update", flush=True)
    finally:
        numba.set_num_threads(threads)
    return out


def prefetch_on_off(sizes) -> list[dict[str, Any]]:
    """The neighbours' mean of one round (``kernel._neighbour_rows``, unweighted, no bound)
    with and without prefetching, on a small world of degree ``BOUNDED_DEGREE``: time per
    agent, ``PREFETCH_PAIRS`` interleaved (off, on) pairs, median of the pair ratios."""
    from sim.models.estimation import kernel
    from sim.networks import watts_strogatz

    out = []
    for n in sizes:
        g = watts_strogatz(n, BOUNDED_DEGREE, REWIRE_P, seed=SEED)
        x = np.random.default_rng(SEED).normal(100.0, 10.0, n)
        weights, influence, x_next = np.full(n, 0.3), np.ones(n), np.empty(n)
        calls = max(1, 10**7 // (n * BOUNDED_DEGREE))

        def per_agent_ns(prefetch: bool) -> float:
            start = time.perf_counter()
            for _ in range(calls):
                kernel._neighbour_rows(0, n, x, x, weights, influence, False, False, -1.0,
                                       g.indptr, g.indices, x_next, prefetch)
            return (time.perf_counter() - start) / calls / n * 1e9

        per_agent_ns(False), per_agent_ns(True)  # warm: pages, caches
        off, on = [], []
        for _ in range(PREFETCH_PAIRS):
            off.append(per_agent_ns(False))
            on.append(per_agent_ns(True))
        ratios = [a / b for a, b in zip(off, on)]
        out.append({"n_agents": n, "degree": BOUNDED_DEGREE, "off_ns": float(np.median(off)),
                    "on_ns": float(np.median(on)), "ratio_median": float(np.median(ratios)),
                    "ratio_min": min(ratios), "ratio_max": max(ratios),
                    "switched_on": bool(kernel._worth_prefetching(g.indptr, g.indices))})
        print(f"  {n:,}: off / on {out[-1]['ratio_median']:.2f}", flush=True)
    return out


def _goal_rows(bounded: list[dict[str, Any]], prefetch: list[dict[str, Any]],
               threshold: int) -> list[dict[str, Any]]:
    """Rows of the goal table (``run_all.py``) for item 5 of issue 14."""
    rows = []
    sizes = ", ".join(fmt_total(m["n_agents"]) for m in bounded)
    for rule, label in (("hk", "Hegselmann-Krause"), ("deffuant", "Deffuant")):
        worst = max(bounded, key=lambda m: m[f"{rule}_ratio"])
        rows.append(goal_row(
            f"{label} / DeGroot time per update, small world k={BOUNDED_DEGREE}, worst of "
            f"{sizes}", f"{worst[f'{rule}_ns']:.1f} ns/update at {fmt_total(worst['n_agents'])}",
            f"<= {TARGET_BOUNDED_OVER_DEGROOT:g}", worst[f"{rule}_ratio"]
            <= TARGET_BOUNDED_OVER_DEGROOT, anchor=f"DeGroot {worst['degroot_ns']:.1f} ns/update",
            ratio=worst[f"{rule}_ratio"], note="one thread, interleaved medians"))
    largest = max(prefetch, key=lambda m: m["n_agents"])
    rows.append(goal_row(
        f"prefetch at {largest['n_agents']:,} agents (switched "
        f"{'on' if largest['switched_on'] else 'OFF'}): time off / on",
        f"{largest['on_ns']:.1f} ns/agent", ">= 1.5", largest["switched_on"]
        and largest["ratio_median"] >= 1.5, anchor=f"off {largest['off_ns']:.1f} ns/agent",
        ratio=largest["ratio_median"], note="small world k=10, one thread"))
    at_threshold = next((m for m in prefetch if m["n_agents"] == threshold), None)
    if at_threshold:
        rows.append(goal_row(
            f"prefetch at the threshold, {threshold:,} agents: time off / on",
            f"{at_threshold['on_ns']:.1f} ns/agent", ">= 0.8", at_threshold["ratio_median"]
            >= 0.8, anchor=f"off {at_threshold['off_ns']:.1f} ns/agent",
            ratio=at_threshold["ratio_median"],
            note="alone it may lose ~15%; beside a memory-heavy process it gains ~1.2x"))
    paying_off = [m for m in prefetch if not m["switched_on"] and m["ratio_median"] >= 1.5]
    rows.append(goal_row(
        "sizes where prefetch pays >= 1.5x but the kernel leaves it off",
        ", ".join(f"{m['n_agents']:,}" for m in paying_off) or "none", "none",
        not paying_off, anchor=f"threshold {threshold:,} agents"))
    return rows


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Social influence: kernel vs Mesa speed.")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--full", action="store_true",
                        help="also the Mesa model at 1e5 agents (minutes)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per figure (default 5, quick 2)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of every crowd")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory measurement (a fresh process)")
    args = parser.parse_args(argv)

    import numba

    from sim.models.estimation import kernel

    quick, seed = args.quick, args.seed
    repeat = args.repeat or (2 if quick else 5)
    sizes = QUICK_SIZES if quick else SIZES
    degrees = QUICK_DEGREES if quick else DEGREES
    mesa_sizes = QUICK_MESA_SIZES if quick else MESA_SIZES + ((10**5,) if args.full else ())
    big_n = QUICK_BIG_N if quick else BIG_N
    threads = numba.get_num_threads()
    layer = None

    # warm-up: numba compiles the kernels or loads them from its cache; Mesa loads its njit
    # rule functions for a Generator argument
    started = time.perf_counter()
    warm = params_for(2000, 2, information="neighbours", network=network("ws", 4))
    from sim.models.estimation import CrowdEstimation, simulate_crowds
    simulate_crowds(warm, [seed], record_rounds=[2])
    Prepared(warm, seed).evolve()
    simulate_crowds(params_for(300_000, 1, information="neighbours",
                               network=network("ring", 4)), [seed], record_rounds=[1])
    CrowdEstimation(rng=seed, **params_for(50, 1, information="neighbours",
                                           network=network("ring", 4)).model_dump()).step()
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = None
    min_work = getattr(kernel, "PARALLEL_MIN_WORK", None)
    print(f"Warm-up (compile or cache load): {time.perf_counter() - started:.1f} s. numba "
          f"threads {threads}, threading layer {layer}; rounds run in parallel from "
          f"{min_work or 0:,} agents + neighbour entries. Load average "
          f"{load_average()}.", flush=True)

    results: dict[str, Any] = {
        "quick": quick, "full": args.full, "repeat": repeat, "seed": seed,
        "crowd": CROWD, "rewire_p": REWIRE_P, "numba_threads": threads,
        "threading_layer": layer, "parallel_min_work": min_work,
        "targets": {"kernel_over_mesa_at_1e4": TARGET_RATIO, "big_run_s": TARGET_BIG_S,
                    "bytes_per_agent": TARGET_BYTES_PER_AGENT,
                    "bytes_per_tie": TARGET_BYTES_PER_TIE,
                    "per_core_at_1e4_k4": TARGET_PER_CORE},
        "grid": [], "mesa": [], "other_rules": [],
    }

    # ------------------------------------------------------------ (1) the grid
    print("\n(1) Neighbours' mean (rule=average, linear, no bound): agent-updates per second")
    rows = []
    for n in sizes:
        for degree in degrees:
            if degree >= n:
                continue
            for kind in ("ring", "ws"):
                rounds = rounds_for(n, degree)
                params = params_for(n, rounds, information="neighbours",
                                    network=network(kind, degree))
                m = measure_kernel(params, seed, repeat, end_to_end=True)
                m.pop("estimates")
                m.update(topology=kind, degree=degree)
                m["per_core_median"] = m["kernel_rounds"]["rate_median"] / m["threads"]
                results["grid"].append(m)
                k, e = m["kernel_rounds"], m["kernel_end_to_end"]
                rows.append([fmt_total(n), "ring" if kind == "ring" else "small world",
                             str(degree), str(rounds), str(m["threads"]),
                             fmt_rate(k["rate_median"]), fmt_rate(k["rate_best"]),
                             fmt_rate(m["per_core_median"]),
                             f"{1e9 / k['rate_median']:.1f}", fmt_rate(e["rate_median"])])
                print(f"  {rows[-1][0]:>4} {rows[-1][1]:11} k={degree:<2} "
                      f"{rows[-1][5]:>9}/s", flush=True)
    print(table(rows, ["agents", "network", "k", "rounds", "threads", "rounds (med)",
                       "rounds (best)", "per core", "ns/update", "end to end (med)"],
                "<<>>>>>>>>"))

    # ------------------------------------------------------------ (2) against Mesa
    print(f"\n(2) Mesa model vs kernel on the same run ({MESA_ROUNDS} rounds, same seed)")
    rows = []
    for n in mesa_sizes:
        for degree in degrees:
            for kind in ("ring", "ws"):
                params = params_for(n, MESA_ROUNDS, information="neighbours",
                                    network=network(kind, degree))
                mesa_repeat = 1 if n >= 10**5 else max(1, min(repeat, 3))
                runs = [run_mesa(params, seed) for _ in range(mesa_repeat)]
                updates = n * MESA_ROUNDS
                k = measure_kernel(params, seed, repeat, end_to_end=True)
                kernel_estimates = simulate_crowds(params, [seed],
                                                   record_rounds=[MESA_ROUNDS]).estimates[0]
                same = bool(np.array_equal(runs[0]["estimates"], kernel_estimates)
                            and np.array_equal(k["estimates"], kernel_estimates))
                mesa = _mesa_summary(runs, updates)
                r_rounds = k["kernel_rounds"]["rate_median"] / mesa["steps"]["rate_median"]
                r_total = (k["kernel_end_to_end"]["rate_median"]
                           / mesa["total"]["rate_median"])
                entry = {"n_agents": n, "degree": degree, "topology": kind,
                         "rounds": MESA_ROUNDS, "mesa": mesa, "mesa_repeat": mesa_repeat,
                         "kernel_rounds": k["kernel_rounds"],
                         "kernel_end_to_end": k["kernel_end_to_end"],
                         "kernel_threads": k["threads"], "identical": same,
                         "ratio_rounds_median": r_rounds, "ratio_end_to_end_median": r_total}
                results["mesa"].append(entry)
                rows.append([fmt_total(n), "ring" if kind == "ring" else "small world",
                             str(degree), fmt_seconds(mesa["create"]["median_s"]),
                             fmt_rate(mesa["steps"]["rate_median"]),
                             fmt_rate(k["kernel_rounds"]["rate_median"]),
                             f"{r_rounds:,.0f}x",
                             fmt_rate(mesa["total"]["rate_median"]),
                             fmt_rate(k["kernel_end_to_end"]["rate_median"]),
                             f"{r_total:,.0f}x", "yes" if same else "NO"])
                print(f"  {rows[-1][0]:>4} {rows[-1][1]:11} k={degree:<2} rounds ratio "
                      f"{rows[-1][6]}, end to end {rows[-1][9]}", flush=True)
    print(table(rows, ["agents", "network", "k", "Mesa create", "Mesa steps/s", "kernel/s",
                       "ratio", "Mesa e2e/s", "kernel e2e/s", "ratio e2e", "identical"],
                "<<>>>>>>>>>"))
    print("  rates are agent-updates per second (medians); 'e2e' counts creation (network, "
          "agents, private estimates) with the rounds.")

    # ------------------------------------------------------------ (3) the big run
    print(f"\n(3) One crowd of {fmt_total(big_n)} agents, small world k={BIG_DEGREE} "
          f"rewire_p {REWIRE_P}, {BIG_ROUNDS} rounds (load average {load_average()})")
    big = big_run(big_n, max(1, min(repeat, 3)), seed, memory=not args.no_memory)
    results["big_run"] = big
    rows = []
    for label, name in (("threads", f"{threads} threads"), ("one_thread", "1 thread")):
        e2e, rnd = big[f"end_to_end_{label}"], big[f"kernel_rounds_{label}"]
        rows.append([name, fmt_seconds(e2e["median_s"]), fmt_seconds(e2e["best_s"]),
                     fmt_seconds(rnd["median_s"]), fmt_seconds(rnd["best_s"]),
                     fmt_rate(rnd["rate_median"])])
    print(table(rows, ["", "with network (med)", "(best)", "without network (med)", "(best)",
                       "updates/s (rounds)"], "<>>>>>"))
    print(f"  network build alone: {fmt_seconds(big['network_build']['median_s'])} "
          f"(median); 'with network' = simulate_crowds end to end, 'without' = evolve on "
          f"the prepared crowd.")
    memory = big.get("memory")
    if memory and "growth_bytes" in memory:
        print(f"  peak memory growth ({memory['method']}, fresh process): "
              f"{memory['growth_bytes'] / 1e6:.1f} MB = "
              f"{memory['growth_bytes'] / big_n:.1f} bytes per agent; budget "
              f"{TARGET_BYTES_PER_AGENT} per agent + {TARGET_BYTES_PER_TIE} per tie = "
              f"{memory['budget_bytes'] / 1e6:.1f} MB ({big['ties']:,} ties); the CSR alone "
              f"{memory['csr_bytes'] / 1e6:.1f} MB, the returned arrays "
              f"{memory['result_bytes'] / 1e6:.1f} MB")
        alone = big.get("memory_network_only", {})
        if "growth_bytes" in alone:
            print(f"  the network build alone (sim.networks.build, same method): "
                  f"{alone['growth_bytes'] / 1e6:.1f} MB peak growth for a "
                  f"{alone['result_bytes'] / 1e6:.1f} MB CSR")
    elif memory:
        print(f"  peak memory: {memory['error']}")

    # ------------------------------------------------------------ (4) other rules
    n_other = 10**3 if quick else 10**4
    print(f"\n(4) Other rules at {fmt_total(n_other)} agents (kernel rounds; Mesa: "
          f"1 round)")
    rows = []
    for label, options, rounds in OTHER_RULES:
        params = params_for(n_other, rounds, **options)
        k = measure_kernel(params, seed, repeat, end_to_end=False)
        k.pop("estimates")
        one = params_for(n_other, 1, **options)
        mesa = run_mesa(one, seed)
        kernel_one = simulate_crowds(one, [seed], record_rounds=[1]).estimates[0]
        same = bool(np.array_equal(mesa["estimates"], kernel_one))
        mesa_rate = n_other / mesa["steps_s"]
        ratio = k["kernel_rounds"]["rate_median"] / mesa_rate
        results["other_rules"].append({"rule": label, "params": options, "n_agents": n_other,
                                       "rounds": rounds, "kernel_rounds": k["kernel_rounds"],
                                       "threads": k["threads"], "mesa_one_round_s":
                                       mesa["steps_s"], "mesa_rate": mesa_rate,
                                       "ratio_median": ratio, "identical_one_round": same})
        per_round = k["kernel_rounds"]["median_s"] / rounds
        rows.append([label, str(rounds), str(k["threads"]),
                     fmt_rate(k["kernel_rounds"]["rate_median"]), fmt_seconds(per_round),
                     fmt_rate(mesa_rate), f"{ratio:,.0f}x", "yes" if same else "NO"])
        print(f"  {label:32s} {rows[-1][3]:>9}/s", flush=True)
    print(table(rows, ["rule", "rounds", "threads", "kernel/s (med)", "per round",
                       "Mesa/s", "ratio", "identical"], "<>>>>>>>"))

    # ------------------------------------------------------------ (5) bounded confidence
    bounded_sizes = QUICK_BOUNDED_SIZES if quick else BOUNDED_SIZES
    print(f"\n(5) Bounded confidence vs DeGroot on a small world (k={BOUNDED_DEGREE}, "
          f"rewire_p {REWIRE_P}, bound {BOUNDED_EPSILON:g}), one thread: ns per agent-update")
    results["bounded_confidence"] = bounded_vs_degroot(bounded_sizes, repeat, seed)
    rows = [[fmt_total(m["n_agents"]), str(m["rounds"]), f"{m['degroot_ns']:.1f}",
             f"{m['hk_ns']:.1f}", f"{m['hk_ratio']:.2f}x", f"{m['deffuant_ns']:.1f}",
             f"{m['deffuant_ratio']:.2f}x"] for m in results["bounded_confidence"]]
    print(table(rows, ["agents", "rounds", "DeGroot", "HK", "HK / DeGroot", "Deffuant",
                       "Deffuant / DeGroot"], "<>>>>>>"))

    # ------------------------------------------------------------ (6) prefetch
    prefetch_sizes = sorted(set((QUICK_PREFETCH_SIZES if quick else PREFETCH_SIZES)
                                + (kernel.PREFETCH_MIN_AGENTS,)))
    print(f"\n(6) Prefetch off / on in the neighbours' mean (small world k={BOUNDED_DEGREE}, "
          f"one thread; median of {PREFETCH_PAIRS} interleaved pairs); the kernel switches "
          f"it on from {kernel.PREFETCH_MIN_AGENTS:,} agents")
    results["prefetch"] = prefetch_on_off(prefetch_sizes)
    rows = [[fmt_total(m["n_agents"]) if m["n_agents"] % 10**4 == 0 else f"{m['n_agents']:,}",
             f"{m['off_ns']:.1f}", f"{m['on_ns']:.1f}", f"{m['ratio_median']:.2f}",
             f"{m['ratio_min']:.2f}-{m['ratio_max']:.2f}", "on" if m["switched_on"] else "off"]
            for m in results["prefetch"]]
    print(table(rows, ["agents", "off ns/agent", "on ns/agent", "off / on", "range",
                       "kernel"], "<>>>><"))
    results.setdefault("goals", []).extend(
        _goal_rows(results["bounded_confidence"], results["prefetch"],
                   kernel.PREFETCH_MIN_AGENTS))

    # ------------------------------------------------------------ control, targets
    scaling = nogil_scaling(threads) if threads > 1 else None
    results["nogil_scaling_control"] = scaling
    if scaling:
        print(f"\nControl: a compute-bound GIL-free loop speeds up "
              f"{scaling['speedup_median']:.2f}x on {threads} threads right now (ideal "
              f"{threads}x; less means other processes share the cores).")

    print("\nTargets (verdicts on medians):")
    summary: dict[str, Any] = {}
    at_1e4 = [m for m in results["mesa"] if m["n_agents"] == 10**4]
    if at_1e4:
        worst = min(at_1e4, key=lambda m: m["ratio_rounds_median"])
        worst_e2e = min(at_1e4, key=lambda m: m["ratio_end_to_end_median"])
        ok = worst["ratio_rounds_median"] >= TARGET_RATIO
        summary["ratio_at_1e4"] = {"worst_rounds": worst["ratio_rounds_median"],
                                   "worst_end_to_end": worst_e2e["ratio_end_to_end_median"],
                                   "verdict": _verdict(ok)}
        print(f"  kernel >= {TARGET_RATIO:.0f}x Mesa at 1e4 agents: {_verdict(ok)} - rounds "
              f"at least {worst['ratio_rounds_median']:,.0f}x ({worst['topology']}, "
              f"k={worst['degree']}); end to end at least "
              f"{worst_e2e['ratio_end_to_end_median']:,.0f}x ({worst_e2e['topology']}, "
              f"k={worst_e2e['degree']})")
    else:
        print(f"  kernel >= {TARGET_RATIO:.0f}x Mesa at 1e4 agents: n/a (--quick)")
    e2e = big["end_to_end_threads"]["median_s"]
    rounds_only = big["kernel_rounds_threads"]["median_s"]
    ok = e2e < TARGET_BIG_S if big_n == BIG_N else None
    summary["big_run"] = {"with_network_s": e2e, "without_network_s": rounds_only,
                          "verdict": _verdict(ok)}
    print(f"  {fmt_total(big_n)} agents, k={BIG_DEGREE}, {BIG_ROUNDS} rounds < "
          f"{TARGET_BIG_S:.0f} s on {threads} cores: {_verdict(ok)} - {e2e:.2f} s with the "
          f"network build, {rounds_only:.2f} s without (medians)")
    if memory and "growth_bytes" in memory:
        ok = memory["within_budget"] if big_n == BIG_N else None
        summary["memory"] = {"growth_bytes": memory["growth_bytes"],
                             "budget_bytes": memory["budget_bytes"], "verdict": _verdict(ok)}
        print(f"  memory <= {TARGET_BYTES_PER_AGENT} B/agent + {TARGET_BYTES_PER_TIE} B/tie: "
              f"{_verdict(ok)} - {memory['growth_bytes'] / 1e6:.1f} MB of "
              f"{memory['budget_bytes'] / 1e6:.1f} MB")
    cell = [m for m in results["grid"] if m["n_agents"] == 10**4 and m["degree"] == 4]
    if cell:
        worst = min(cell, key=lambda m: m["per_core_median"])
        ok = worst["per_core_median"] >= TARGET_PER_CORE
        summary["per_core_1e4_k4"] = {"worst": worst["per_core_median"],
                                      "verdict": _verdict(ok)}
        print(f"  >= {TARGET_PER_CORE:.0e} updates/s/core at 1e4 agents, k=4: "
              f"{_verdict(ok)} - {fmt_rate(worst['per_core_median'])} "
              f"({worst['topology']}, {worst['threads']} thread(s); the other topology: "
              + ", ".join(fmt_rate(m["per_core_median"]) for m in cell if m is not worst)
              + ")")
    summary["identical_everywhere"] = all(m["identical"] for m in results["mesa"]) and all(
        m["identical_one_round"] for m in results["other_rules"])
    print(f"  kernel and Mesa estimates identical on every compared run: "
          f"{'yes' if summary['identical_everywhere'] else 'NO'}")
    results["summary"] = summary
    # run_all.py's table: these rows after those of sections (5) and (6)
    results.setdefault("goals", []).extend(goal_rows(results, repeat))
    return results


def goal_rows(results: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    """Issue 14's anchor row for run_all.py's table (:func:`_common.goal_row`): the DeGroot
    round against a minimal hand-written numba loop over a ring's CSR, on as many threads."""
    from _common import degroot_anchor, goal_row, ring_csr, summarise, timings

    rows = []  # bounded confidence vs DeGroot: _goal_rows, section (5)
    ring = next((m for m in results["grid"] if m["topology"] == "ring" and m["degree"] == 4
                 and m["n_agents"] == 10**4), None)
    if ring:
        indptr, indices = ring_csr(ring["n_agents"], 4)
        x = np.random.default_rng(0).normal(size=ring["n_agents"])
        loop = degroot_anchor(parallel=ring["threads"] > 1)  # as many threads as the kernel
        loop(indptr, indices, x, 1)  # compile
        anchor = summarise(timings(lambda: loop(indptr, indices, x, ring["rounds"]), repeat),
                           work=ring["n_agents"] * ring["rounds"])
        ours = ring["kernel_rounds"]["rate_median"]
        rows.append(goal_row("DeGroot round / hand-written numba loop (1e4 agents, ring k=4)",
                             f"{fmt_rate(ours)} updates/s ({ring['threads']} thread(s))",
                             ">= 0.9 (issue: 0.93-0.97)", ours / anchor["rate_median"] >= 0.9,
                             anchor=f"{fmt_rate(anchor['rate_median'])} updates/s",
                             ratio=ours / anchor["rate_median"]))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])

"""Throughput of the estimation model: agent estimates per second, Mesa model vs numba kernel.

What is measured (``time.perf_counter``, several repetitions, median and best reported):

* the Mesa model: ``CrowdEstimation(rng=seed, n_agents=1000, **config).estimates`` for one
  crowd per seed, one after the other;
* the kernel: ``simulate_crowds(EstimationParams(n_agents=1000, **config), seeds,
  n_threads=...)`` with 1 thread and ``os.cpu_count()`` threads, after a warm-up call (numba
  compiles or loads its cache on the first call), plus one single crowd of the total size;

at 1e3, 1e5 and 1e7 agents in total (crowds of 1,000 agents, replicates = total / 1,000).
The Mesa model at 1e7 (about ten minutes per configuration here) is measured only with
``--full``; otherwise it is reported as not measured. Seeds come from
:func:`sim.seeding.replicate_seeds` and are derived before the clock starts.

Two noise configurations: the split normal as fitted to Galton's ballots (scale 77.5 below,
46.9 above the centre, bias_shift 10) and a log-normal crowd with the costly options on
(expertise_spread 0.3, correlation 0.2). A breakdown then splits the kernel's time per
replicate into seeding (``np.random.default_rng(int)``), dispatch (numba unboxing a
``Generator`` argument) and drawing, and checks that kernel and Mesa estimates are identical.

Targets (from the issue), printed as PASS/MISS next to the figures: kernel >= 100x the Mesa
model; kernel >= 5e7 agent estimates per second per core; crowds of 1,000 agents >= 3e7 per
core with the replicate loop in compiled code (issue 14, item 3), measured side by side with
the per-replicate path it replaced (:func:`per_replicate_path`, the anchor, whose overhead the
breakdown splits into seeding, dispatch and drawing).

The floor (:func:`measure_floor`): where 3e7 per core can or cannot be reached. Per goal
configuration, interleaved in one run: ``simulate_crowds`` (rounds 0), ``draw_crowd`` in a
compiled replicate loop (reseed, draws, the rules' arithmetic, the writes of estimates and
multipliers), and the bare floor: a minimal compiled loop that re-sets the generator per
replicate and per agent draws the configuration's standard normals (numba's
``rng.standard_normal()``, the stream the rules must keep), takes the ``exp`` the
multiplicative rules need and writes one value into a fresh array. No aggregate (mean,
median) is part of ``simulate_crowds``: the sweeps' metrics compute them afterwards.

Run: ``.venv/bin/python benchmarks/run_all.py --only estimation [--quick | --full]`` (or this
file directly, which prints the report without writing JSON).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_rate, fmt_seconds, fmt_total, nogil_scaling, summarise, table, timings

CROWD = 1_000
TOTALS = (10**3, 10**5, 10**7)
MESA_TOTALS = (10**3, 10**5)            # 1e7 only with --full
QUICK_TOTALS = (10**3, 10**5)
QUICK_MESA_TOTALS = (10**3,)
TARGET_RATIO = 100.0                    # kernel / Mesa
TARGET_PER_CORE = 5e7                   # agent estimates per second per core
#: Issue 14, item 3: crowds of 1,000 agents with the replicate loop in compiled code.
TARGET_CROWDS_PER_CORE = 3e7
#: Configurations of the replicate-loop comparison: just the private estimates, and rounds.
LOOP_CONFIGS: dict[str, dict[str, Any]] = {
    "split_normal, rounds 0": dict(
        noise="split_normal", noise_scale_below=77.5, noise_scale_above=46.9, bias_shift=10.0),
    "split_normal, 3 rounds aggregate": dict(
        noise="split_normal", noise_scale_below=77.5, noise_scale_above=46.9, bias_shift=10.0,
        rounds=3, information="aggregate"),
    "lognormal+expertise+corr, rounds 0": dict(
        noise="lognormal", noise_scale=0.05, expertise_spread=0.3, correlation=0.2),
}

#: Noise configurations (keyword arguments of EstimationParams / CrowdEstimation).
CONFIGS: dict[str, dict[str, Any]] = {
    # Galton's ballots read as a two-piece normal, as fitted (scales in lb).
    "split_normal": dict(noise="split_normal", noise_scale_below=77.5, noise_scale_above=46.9,
                         bias_shift=10.0),
    # Multiplicative errors with every optional draw on: one extra normal per agent for
    # expertise, one common error per group, plus exp() per estimate. noise_scale 0.05 is
    # about Galton's spread on the log scale; the cost does not depend on it.
    "lognormal+expertise+corr": dict(noise="lognormal", noise_scale=0.05,
                                     expertise_spread=0.3, correlation=0.2),
}


# --------------------------------------------------------------------------- helpers

def _time(fn, repeat: int, min_sample_s: float = 0.02) -> list[float]:
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


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value >= target else "MISS"


def _compile_helpers():
    """Small njit loops used by the breakdown (compiled here, not cached)."""
    from numba import njit

    from sim.models.estimation.kernel import draw_crowd
    from sim.models.estimation.params import RuleSettings

    @njit(nogil=True)
    def draw_many(rng, n_crowds, settings, est, mult):
        for _ in range(n_crowds):
            draw_crowd(rng, settings, est, mult)

    @njit(nogil=True)
    def draw_once(rng, settings_values, est, mult):
        # the kernel's entry point (kernel._run_crowd) takes the settings as a plain tuple
        draw_crowd(rng, RuleSettings(*settings_values), est, mult)

    @njit(nogil=True)
    def sum_normals(rng, n):
        total = 0.0
        for _ in range(n):
            total += rng.standard_normal()
        return total

    @njit(nogil=True)
    def no_generator(settings_values, est, mult):
        return est.shape[0] + mult.shape[0]

    return draw_many, draw_once, sum_normals, no_generator


def _compile_floor_helpers():
    """The compiled loops of :func:`measure_floor` (compiled here, not cached)."""
    from numba import njit

    from sim.batching import reseed
    from sim.models.estimation.kernel import draw_crowd
    from sim.models.estimation.params import RuleSettings

    @njit(nogil=True)
    def floor_loop(rng, words, flags, order, states, n_normals, n_exps, out):
        # the least a crowd needs: its draws, the exp of a multiplicative rule (each on its
        # own draw, independent as in the rules), one write per agent
        for r in range(states.shape[0]):
            reseed(words, flags, order, states, r)
            row = out[r]
            for i in range(row.shape[0]):
                value = 0.0
                for k in range(n_normals):
                    z = rng.standard_normal()
                    value += math.exp(0.05 * z) if k < n_exps else z
                row[i] = value

    @njit(nogil=True)
    def draw_loop(rng, words, flags, order, states, settings_values, estimates, multipliers):
        settings = RuleSettings(*settings_values)
        for r in range(states.shape[0]):
            reseed(words, flags, order, states, r)
            draw_crowd(rng, settings, estimates[r], multipliers[r])

    return floor_loop, draw_loop


# --------------------------------------------------------------------------- measurements

def measure_kernel(params, seeds, n_threads: int, repeat: int) -> dict[str, Any]:
    from sim.models.estimation import simulate_crowds

    times = _time(lambda: simulate_crowds(params, seeds, n_threads=n_threads), repeat)
    total = len(seeds) * params.n_agents
    out = summarise(times, work=total)
    out.update(engine="kernel", n_threads=n_threads, crowd_size=params.n_agents,
               replicates=len(seeds), total_agents=total, measured=True)
    out["rate_per_core_median"] = out["rate_median"] / n_threads
    out["rate_per_core_best"] = out["rate_best"] / n_threads
    return out


def per_replicate_path(params, seeds) -> np.ndarray:
    """The anchor: the batch driver before the compiled replicate loop, kept callable.

    One ``run_replicate`` per seed from Python, as ``simulate_crowds`` ran until issue 14:
    a new ``default_rng`` per replicate, the network built per replicate, one 31-argument
    compiled call per replicate. Same results bit for bit (``tests/test_batching.py``)."""
    from sim.models.estimation.kernel import _record_rounds, run_replicate

    rounds = _record_rounds(params, None)
    settings = params.rule_settings()
    n = params.n_agents
    trajectory = np.empty((len(seeds), rounds.shape[0], n))
    multipliers, weights = np.empty((len(seeds), n)), np.empty((len(seeds), n))
    for r in range(len(seeds)):
        run_replicate(params, seeds[r], rounds, trajectory[r], multipliers[r], weights[r],
                      False, settings)
    return trajectory


def measure_replicate_loop(seeds, repeat: int) -> list[dict[str, Any]]:
    """Compiled replicate loop (``simulate_crowds``) against the per-replicate path, side by
    side, one thread, crowds of ``CROWD`` agents; the ratio is what the machine's noise
    leaves alone."""
    from sim.models.estimation import EstimationParams, simulate_crowds

    out = []
    for name, config in LOOP_CONFIGS.items():
        params = EstimationParams(n_agents=CROWD, **config)
        same = bool(np.array_equal(per_replicate_path(params, seeds[:20]),
                                   simulate_crowds(params, seeds[:20]).trajectory))
        new, old = [], []
        for _ in range(repeat):  # interleaved, so both see the same load
            new += _time(lambda: simulate_crowds(params, seeds), 1)
            old += _time(lambda: per_replicate_path(params, seeds), 1)
        new_s, old_s = float(np.median(new)), float(np.median(old))
        rate = len(seeds) * CROWD / new_s
        out.append({"config": name, "replicates": len(seeds), "crowd_size": CROWD,
                    "compiled_per_replicate_s": new_s / len(seeds),
                    "anchor_per_replicate_s": old_s / len(seeds),
                    "rate_per_core": rate, "anchor_rate_per_core": len(seeds) * CROWD / old_s,
                    "ratio": old_s / new_s, "identical": same,
                    "verdict": _verdict(rate, TARGET_CROWDS_PER_CORE)})
    return out


def floor_work(params) -> tuple[int, int]:
    """(standard normals, exp) per agent that the private-belief rules of ``params`` need
    (:mod:`sim.models.estimation.beliefs`; the crowd's common errors, one per group, are
    left out)."""
    expert = params.expertise_spread > 0
    normals = 1 + expert + (params.noise == "log_cauchy")
    exps = expert + (params.noise in ("lognormal", "log_cauchy"))
    return normals, exps


def measure_floor(seeds, repeat: int, helpers) -> list[dict[str, Any]]:
    """Per goal configuration (:data:`CONFIGS`, crowds of ``CROWD``, one thread),
    interleaved: ``simulate_crowds``, ``draw_crowd`` in a compiled replicate loop, and the
    bare floor (see the module docstring). Medians of ``repeat`` rounds."""
    from sim.batching import pcg64_states, thread_generator
    from sim.models.estimation import EstimationParams, simulate_crowds

    floor_loop, draw_loop = helpers
    shared = thread_generator()
    if not shared.usable:
        return []
    states = pcg64_states(seeds)
    n = len(seeds)
    out = []
    for name, config in CONFIGS.items():
        params = EstimationParams(n_agents=CROWD, **config)
        values = tuple(params.rule_settings())
        n_normals, n_exps = floor_work(params)
        estimates, multipliers = np.empty((n, CROWD)), np.empty((n, CROWD))
        runs = {
            "kernel": lambda: simulate_crowds(params, seeds),
            "draw_crowd": lambda: draw_loop(shared.generator, *shared.views, states, values,
                                            estimates, multipliers),
            "floor": lambda: floor_loop(shared.generator, *shared.views, states, n_normals,
                                        n_exps, np.empty((n, CROWD))),
        }
        for run in runs.values():
            run()  # compile, warm the caches
        times: dict[str, list[float]] = {key: [] for key in runs}
        for _ in range(repeat):  # interleaved, so all three see the same load
            for key, run in runs.items():
                times[key] += timings(run, 1)
        med = {key: float(np.median(t)) for key, t in times.items()}
        out.append({
            "config": name, "replicates": n, "crowd_size": CROWD,
            "standard_normals_per_agent": n_normals, "exp_per_agent": n_exps,
            **{f"{key}_per_replicate_s": med[key] / n for key in runs},
            **{f"{key}_rate_per_core": n * CROWD / med[key] for key in runs},
            "kernel_over_floor_time": med["kernel"] / med["floor"],
            "draw_crowd_over_floor_time": med["draw_crowd"] / med["floor"],
            "floor_verdict": _verdict(n * CROWD / med["floor"], TARGET_CROWDS_PER_CORE),
            "verdict": _verdict(n * CROWD / med["kernel"], TARGET_CROWDS_PER_CORE)})
    return out


def run_mesa(config: dict[str, Any], seeds, progress: bool = False) -> np.ndarray:
    """Estimates of one Mesa model per seed, (replicates, CROWD)."""
    from sim.models.estimation import CrowdEstimation

    out = np.empty((len(seeds), CROWD))
    step = max(1, len(seeds) // 20)
    started = time.perf_counter()
    for r, seed in enumerate(seeds):
        out[r] = CrowdEstimation(rng=int(seed), n_agents=CROWD, **config).estimates
        if progress and (r + 1) % step == 0:
            elapsed = time.perf_counter() - started
            print(f"    Mesa: {r + 1:,}/{len(seeds):,} crowds, {elapsed:.0f} s", flush=True)
    return out


def measure_mesa(config, seeds, repeat: int, progress: bool = False) -> tuple[dict, np.ndarray]:
    result: dict[str, np.ndarray] = {}
    def once():
        result["estimates"] = run_mesa(config, seeds, progress)
    times = timings(once, repeat)
    total = len(seeds) * CROWD
    out = summarise(times, work=total)
    out.update(engine="mesa", n_threads=1, crowd_size=CROWD, replicates=len(seeds),
               total_agents=total, measured=True)
    return out, result["estimates"]


def breakdown(params, n_generators: int, repeat: int, n_draws: int,
              helpers) -> dict[str, Any]:
    """Where the kernel's time per replicate goes (one thread, crowds of ``params.n_agents``).

    seeding: ``np.random.default_rng(int(seed))``; dispatch: calling ``draw_crowd`` through
    an njit function taking the settings as a plain tuple, as the kernel's entry point does
    (with empty output arrays, so nothing is drawn), with a Generator it has not seen - numba
    unboxes it through its ``ctypes`` interface, which numpy builds on first use - and with one
    it has; the same call of an njit function without a Generator as a baseline; drawing:
    ``draw_crowd`` called in a compiled loop on one generator (no Python in between);
    end-to-end: :func:`per_replicate_path` (the anchor) on the same seeds. All per
    replicate.
    """
    from sim.seeding import replicate_seeds

    draw_many, draw_once, sum_normals, no_generator = helpers
    settings = params.rule_settings()
    values = tuple(settings)
    seed_array = replicate_seeds(4242, n_generators)
    seeds = [int(s) for s in seed_array]
    empty = np.empty(0)

    e2e = [t / n_generators for t in timings(
        lambda: per_replicate_path(params, seed_array), repeat)]
    seeding = [t / n_generators for t in timings(
        lambda: [np.random.default_rng(s) for s in seeds], repeat)]
    baseline = [t / n_generators for t in timings(
        lambda: [no_generator(values, empty, empty) for _ in seeds], repeat)]
    fresh, reused = [], []
    for _ in range(max(1, repeat)):
        gens = [np.random.default_rng(s) for s in seeds]
        start = time.perf_counter()
        for g in gens:
            draw_once(g, values, empty, empty)
        fresh.append((time.perf_counter() - start) / n_generators)
        start = time.perf_counter()
        for g in gens:
            draw_once(g, values, empty, empty)
        reused.append((time.perf_counter() - start) / n_generators)

    n = params.n_agents
    est, mult = np.empty(n), np.empty(n)
    rng = np.random.default_rng(1)
    n_crowds = max(1, n_draws // n)
    draw_many(rng, 1, settings, est, mult)
    drawing = [t / n_crowds for t in timings(
        lambda: draw_many(rng, n_crowds, settings, est, mult), repeat)]

    sum_normals(rng, 10)
    raw = [t / n_draws for t in timings(lambda: sum_normals(rng, n_draws), repeat)]
    buf = np.empty(n_draws)
    numpy_fill = [t / n_draws for t in timings(lambda: rng.standard_normal(out=buf), repeat)]

    draws_per_agent = 1 + (params.expertise_spread > 0) + (params.noise == "log_cauchy")
    out = {
        "crowd_size": n,
        "n_generators": n_generators,
        "end_to_end_per_replicate_s": summarise(e2e),
        "seeding_s": summarise(seeding),
        "dispatch_fresh_generator_s": summarise(fresh),
        "dispatch_reused_generator_s": summarise(reused),
        "dispatch_without_generator_s": summarise(baseline),
        "drawing_per_crowd_s": summarise(drawing),
        "standard_normals_per_agent": draws_per_agent,
        "raw_standard_normal_numba_ns": summarise([t * 1e9 for t in raw]),
        "raw_standard_normal_numpy_fill_ns": summarise([t * 1e9 for t in numpy_fill]),
    }
    best = {k: v["best_s"] for k, v in out.items() if isinstance(v, dict) and k.endswith("_s")}
    out["drawing_per_agent_ns_best"] = 1e9 * best["drawing_per_crowd_s"] / n
    out["remainder_s_best"] = (best["end_to_end_per_replicate_s"] - best["seeding_s"]
                               - best["dispatch_fresh_generator_s"]
                               - best["drawing_per_crowd_s"])
    return out


# --------------------------------------------------------------------------- report

def _row(config_name: str, m: dict[str, Any], note: str = "") -> list[str]:
    if not m.get("measured"):
        return [config_name, fmt_total(m["total_agents"]), _shape(m), m["engine"],
                str(m.get("n_threads", 1)), "-", "not measured", "-", "-", "-", m.get("note", "")]
    per_core = m["rate_median"] / m["n_threads"]
    return [config_name, fmt_total(m["total_agents"]), _shape(m), m["engine"],
            str(m["n_threads"]), fmt_seconds(m["median_s"]), fmt_rate(m["rate_median"]),
            fmt_rate(m["rate_best"]), fmt_rate(per_core), _verdict(per_core, TARGET_PER_CORE)
            if m["engine"] == "kernel" else "", note]


def _shape(m: dict[str, Any]) -> str:
    return f"{m['replicates']:,} x {m['crowd_size']:,}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Mesa model vs numba kernel throughput.")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--full", action="store_true",
                        help="also measure the Mesa model at 1e7 agents (slow: minutes)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per kernel figure (default 7, quick 3)")
    parser.add_argument("--seed", type=int, default=1907, help="base seed of the replicates")
    args = parser.parse_args(argv)

    from sim.models.estimation import CrowdEstimation, EstimationParams, simulate_crowds
    from sim.seeding import replicate_seeds

    quick = args.quick
    repeat = args.repeat or (3 if quick else 7)
    totals = QUICK_TOTALS if quick else TOTALS
    mesa_totals = QUICK_MESA_TOTALS if quick else (TOTALS if args.full else MESA_TOTALS)
    cpus = os.cpu_count() or 1
    thread_counts = sorted({1, cpus})

    print(f"Crowds of {CROWD:,} agents; totals {', '.join(fmt_total(t) for t in totals)}; "
          f"kernel threads {thread_counts}; {repeat} repetitions per kernel figure "
          f"(median reported, best in its own column).")
    started = time.perf_counter()
    seeds = replicate_seeds(args.seed, max(totals) // CROWD)
    print(f"  {len(seeds):,} replicate seeds derived in {time.perf_counter() - started:.2f} s "
          f"(not timed below).", flush=True)

    # Warm-up: the first kernel call compiles draw_crowd or loads numba's on-disk cache; the
    # first Mesa model loads the njit belief functions for a Generator argument.
    warmup = {}
    for name, config in CONFIGS.items():
        params = EstimationParams(n_agents=CROWD, **config)
        start = time.perf_counter()
        simulate_crowds(params, seeds[:2], n_threads=min(2, cpus))
        kernel_first = time.perf_counter() - start
        start = time.perf_counter()
        CrowdEstimation(rng=0, n_agents=10, **config)
        warmup[name] = {"kernel_first_call_s": kernel_first,
                        "mesa_first_model_s": time.perf_counter() - start}
    print("  warm-up (compile / cache load): " + "; ".join(
        f"{n}: kernel {w['kernel_first_call_s']:.2f} s, Mesa {w['mesa_first_model_s']:.2f} s"
        for n, w in warmup.items()), flush=True)

    results: dict[str, Any] = {
        "crowd_size": CROWD, "totals": list(totals), "thread_counts": thread_counts,
        "repeat": repeat, "base_seed": args.seed, "quick": quick, "full": args.full,
        "configs": {n: EstimationParams(n_agents=CROWD, **c).model_dump()
                    for n, c in CONFIGS.items()},
        "targets": {"kernel_over_mesa": TARGET_RATIO, "kernel_per_core": TARGET_PER_CORE},
        "warmup": warmup, "measurements": [], "identity": [], "ratios": [],
    }
    rows = []
    for name, config in CONFIGS.items():
        params = EstimationParams(n_agents=CROWD, **config)
        for total in TOTALS:
            reps = total // CROWD
            sub = seeds[:reps]
            # --- Mesa
            if total in mesa_totals:
                mesa_repeat = repeat if total <= 10**3 else 1
                print(f"  {name} {fmt_total(total)}: Mesa ({reps:,} models x {mesa_repeat})...",
                      flush=True)
                m, mesa_est = measure_mesa(config, sub, mesa_repeat, progress=total >= 10**6)
                kernel_est = simulate_crowds(params, sub).estimates
                same = bool(np.array_equal(mesa_est, kernel_est))
                results["identity"].append({"config": name, "total_agents": total,
                                            "replicates": reps, "identical": same})
                if not same:
                    print(f"  WARNING: kernel and Mesa estimates differ ({name}, "
                          f"{fmt_total(total)})")
            else:
                why = ("--quick" if quick else "needs --full (minutes)")
                m = {"engine": "mesa", "n_threads": 1, "crowd_size": CROWD, "replicates": reps,
                     "total_agents": total, "measured": False, "note": f"not measured: {why}"}
            m["config"] = name
            results["measurements"].append(m)
            mesa_row = len(rows)
            rows.append(_row(name, m))
            mesa = m
            # --- kernel, crowds of CROWD
            kernels = {}
            for nt in thread_counts:
                if total not in totals:
                    k = {"engine": "kernel", "n_threads": nt, "crowd_size": CROWD,
                         "replicates": reps, "total_agents": total, "measured": False,
                         "note": "not measured: --quick"}
                elif nt > 1 and reps < 2:
                    continue  # one replicate runs on one thread whatever n_threads says
                else:
                    print(f"  {name} {fmt_total(total)}: kernel, {nt} thread(s)...", flush=True)
                    k = measure_kernel(params, sub, nt, repeat)
                k["config"] = name
                results["measurements"].append(k)
                rows.append(_row(name, k))
                kernels[nt] = k
            # --- kernel, one crowd of the total size
            if total > CROWD:
                if total in totals:
                    big = EstimationParams(n_agents=total, **config)
                    print(f"  {name} {fmt_total(total)}: kernel, one crowd of {total:,}...",
                          flush=True)
                    k = measure_kernel(big, seeds[:1], 1, repeat)
                else:
                    k = {"engine": "kernel", "n_threads": 1, "crowd_size": total,
                         "replicates": 1, "total_agents": total, "measured": False,
                         "note": "not measured: --quick"}
                k["config"] = name
                k["single_crowd"] = True
                results["measurements"].append(k)
                rows.append(_row(name, k, "one crowd"))
            # --- ratios where both were measured
            for nt, k in kernels.items():
                if mesa.get("measured") and k.get("measured"):
                    ratio = k["rate_median"] / mesa["rate_median"]
                    results["ratios"].append({
                        "config": name, "total_agents": total, "kernel_threads": nt,
                        "kernel_over_mesa_median": ratio,
                        "kernel_over_mesa_best": k["rate_best"] / mesa["rate_best"],
                        "verdict": _verdict(ratio, TARGET_RATIO)})
            if not mesa.get("measured") and total == 10**7 and not quick:
                # Labelled extrapolation of how long the skipped measurement would take.
                known = [x for x in results["measurements"] if x["engine"] == "mesa"
                         and x["config"] == name and x.get("measured")]
                if known:
                    rate = known[-1]["rate_median"]
                    mesa["extrapolated_duration_s"] = total / rate
                    mesa["note"] = (f"not measured (--full); would take ~"
                                    f"{total / rate / 60:.0f} min, EXTRAPOLATED from the "
                                    f"{fmt_total(known[-1]['total_agents'])} Mesa rate")
                    rows[mesa_row] = _row(name, mesa)

    print()
    print("Throughput, agent estimates per second (rate = total agents / wall time of the "
          "whole call)")
    print(table(rows, ["config", "total", "crowds x size", "engine", "threads", "time (med)",
                       "rate (med)", "rate (best)", "per core", f">={TARGET_PER_CORE:.0e}/core",
                       "note"], "<>><>>>>>><"))

    print()
    print(f"Kernel / Mesa (target >= {TARGET_RATIO:.0f}x; Mesa runs on one thread):")
    ratio_rows = [[r["config"], fmt_total(r["total_agents"]), str(r["kernel_threads"]),
                   f"{r['kernel_over_mesa_median']:.0f}x", f"{r['kernel_over_mesa_best']:.0f}x",
                   r["verdict"]] for r in results["ratios"]]
    print(table(ratio_rows, ["config", "total", "kernel threads", "ratio (med)", "ratio (best)",
                             f">={TARGET_RATIO:.0f}x"], "<>>>><") if ratio_rows
          else "  (no size where both were measured)")
    print("Identical estimates, kernel vs Mesa, same seeds: " + ", ".join(
        f"{i['config']} {fmt_total(i['total_agents'])}: {'yes' if i['identical'] else 'NO'}"
        for i in results["identity"]))

    # ------------------------------------------------------------------ breakdown
    print()
    print(f"Where the per-replicate path's time goes (the anchor; simulate_crowds now seeds "
          f"in bulk and loops in compiled code), per replicate of {CROWD:,} agents, one "
          f"thread:")
    helpers = _compile_helpers()
    n_gen = 300 if quick else 3000
    n_draws = 10**6 if quick else 10**7
    results["breakdown"] = {}
    for name, config in CONFIGS.items():
        params = EstimationParams(n_agents=CROWD, **config)
        b = breakdown(params, n_gen, repeat, n_draws, helpers)
        best = lambda key: b[key]["best_s"]
        total = best("end_to_end_per_replicate_s")
        parts = [("seeding: np.random.default_rng(int)", best("seeding_s")),
                 ("dispatch: njit call unboxing a new Generator",
                  best("dispatch_fresh_generator_s")),
                 (f"drawing: {CROWD:,} agents in draw_crowd", best("drawing_per_crowd_s")),
                 ("remainder (see below)", b["remainder_s_best"])]
        print(f"  {name} (best of {repeat}, {n_gen:,} replicates):")
        for label, value in parts:
            print(f"    {label:46s} {value * 1e6:7.1f} us  {100 * value / total:5.1f} %")
        print(f"    {'= per-replicate path, per replicate':46s} {total * 1e6:7.1f} us  "
              f"-> {fmt_rate(CROWD / total)} agent estimates/s")
        print("    remainder: the Python loop (~0.3 us), first touch of the output pages "
              "(~2-3 us), freeing each Generator and its ctypes interface, cache effects "
              "and timing noise (components are timed separately)")
        reused = best("dispatch_reused_generator_s")
        base = best("dispatch_without_generator_s")
        print(f"    dispatch detail: the same call without a Generator argument takes "
              f"{base * 1e6:.1f} us; with a Generator numba has unboxed before "
              f"{reused * 1e6:.1f} us (ctypes casts per call); a new Generator adds "
              f"{(best('dispatch_fresh_generator_s') - reused) * 1e6:.1f} us (numpy builds "
              f"its ctypes interface on first use)")
        print(f"    drawing detail: {b['drawing_per_agent_ns_best']:.1f} ns per agent "
              f"({b['standard_normals_per_agent']} standard normal(s) per agent); one "
              f"rng.standard_normal() in a bare compiled loop costs "
              f"{b['raw_standard_normal_numba_ns']['best_s']:.1f} ns (numpy's own C fill: "
              f"{b['raw_standard_normal_numpy_fill_ns']['best_s']:.1f} ns)")
        gil = total - best("drawing_per_crowd_s")
        if total > 0 and gil > 0 and cpus > 1:
            bound = min(cpus, total / gil)
            b["gil_held_share"] = gil / total
            b["speedup_bound_estimate"] = bound
            print(f"    threads: only the drawing releases the GIL; {100 * gil / total:.0f} % of "
                  f"the time holds it, so {cpus} threads can give at most ~{bound:.2f}x "
                  f"(estimate, idle machine)")
        results["breakdown"][name] = b
    scaling = nogil_scaling(cpus) if cpus > 1 else None
    results["nogil_scaling_control"] = scaling
    if scaling:
        print(f"  control: a compute-bound GIL-free loop speeds up "
              f"{scaling['speedup_median']:.2f}x on {cpus} threads right now (ideal {cpus}x; "
              f"less means other processes share the cores, which caps every threaded figure "
              f"above)")
        for name in CONFIGS:
            one = {m["total_agents"]: m for m in results["measurements"]
                   if m["config"] == name and m["engine"] == "kernel" and m.get("measured")
                   and m["crowd_size"] == CROWD and m["n_threads"] == 1 and m["replicates"] > 1}
            for m in results["measurements"]:
                if (m["config"] == name and m["engine"] == "kernel" and m.get("measured")
                        and m["crowd_size"] == CROWD and m["n_threads"] == cpus
                        and m["total_agents"] in one):
                    m["speedup_over_1_thread"] = (m["rate_median"]
                                                  / one[m["total_agents"]]["rate_median"])
                    print(f"  kernel speed-up with {cpus} threads, {name} "
                          f"{fmt_total(m['total_agents'])}: {m['speedup_over_1_thread']:.2f}x")

    # ------------------------------------------------------------------ replicate loop
    print()
    n_loop = 300 if quick else 2000
    print(f"Replicate loop, crowds of {CROWD:,}, {n_loop:,} replicates, one thread: "
          f"simulate_crowds (compiled loop, seeded in bulk) vs the per-replicate path "
          f"(anchor: default_rng + network + compiled call per replicate), medians of "
          f"{repeat} interleaved runs:")
    loop = measure_replicate_loop(seeds[:n_loop], repeat)
    results["replicate_loop"] = loop
    print(table([[m["config"], f"{m['compiled_per_replicate_s'] * 1e6:.1f} us",
                  f"{m['anchor_per_replicate_s'] * 1e6:.1f} us", fmt_rate(m["rate_per_core"]),
                  fmt_rate(m["anchor_rate_per_core"]), f"{m['ratio']:.2f}x",
                  "yes" if m["identical"] else "NO", m["verdict"]] for m in loop],
                ["config", "per replicate", "anchor", "estimates/s/core", "anchor /s/core",
                 "ratio", "identical", f">={TARGET_CROWDS_PER_CORE:.0e}/core"], "<>>>>>><"))

    # ------------------------------------------------------------------ floor
    print()
    # its own seeds (--quick derives only 100 above) and at least 9 rounds: a round is short
    n_floor, floor_repeat = (300 if quick else 2000), max(repeat, 9)
    print(f"Estimates/s vs the bare draw floor, crowds of {CROWD:,}, rounds 0, "
          f"{n_floor:,} replicates, one thread, medians of {floor_repeat} interleaved runs "
          f"(floor: reseed + the config's standard normals + its exp + one write per agent):")
    floor = measure_floor(replicate_seeds(args.seed, n_floor), floor_repeat,
                          _compile_floor_helpers())
    results["floor"] = floor
    print(table([[m["config"], f"{m['standard_normals_per_agent']} + {m['exp_per_agent']}",
                  f"{m['kernel_per_replicate_s'] * 1e6:.1f} us",
                  f"{m['draw_crowd_per_replicate_s'] * 1e6:.1f} us",
                  f"{m['floor_per_replicate_s'] * 1e6:.1f} us", fmt_rate(m["kernel_rate_per_core"]),
                  fmt_rate(m["floor_rate_per_core"]), f"{m['kernel_over_floor_time']:.2f}x",
                  m["verdict"], m["floor_verdict"]] for m in floor],
                ["config", "normals + exp", "simulate_crowds", "draw_crowd loop", "floor",
                 "kernel /s/core", "floor /s/core", "kernel / floor", "kernel >=3e7",
                 "floor >=3e7"], "<>>>>>>>>>") if floor
          else "  (not measured: this platform's PCG64 state layout is not the verified one)")
    print("  kernel - draw_crowd loop: social weights, round-0 record, fresh output pages, "
          "the Python call; draw_crowd loop - floor: the rules' arithmetic and the "
          "multipliers' writes. A floor below 3e7 means the goal needs fewer or cheaper draws "
          "(a different stream), not a faster kernel.")

    # ------------------------------------------------------------------ targets summary
    print()
    print("Targets (verdicts on the median figures):")
    kernel_rates = [m for m in results["measurements"]
                    if m["engine"] == "kernel" and m.get("measured")]
    if results["ratios"]:
        worst = min(results["ratios"], key=lambda r: r["kernel_over_mesa_median"])
        best = max(results["ratios"], key=lambda r: r["kernel_over_mesa_median"])
        print(f"  kernel >= {TARGET_RATIO:.0f}x Mesa: "
              f"{'PASS' if all(r['verdict'] == 'PASS' for r in results['ratios']) else 'MISS'} "
              f"- from {worst['kernel_over_mesa_median']:.0f}x ({worst['config']}, "
              f"{fmt_total(worst['total_agents'])}, {worst['kernel_threads']} thread(s)) to "
              f"{best['kernel_over_mesa_median']:.0f}x ({best['config']}, "
              f"{fmt_total(best['total_agents'])}, {best['kernel_threads']} thread(s))")
    if kernel_rates:
        top = max(kernel_rates, key=lambda m: m["rate_per_core_median"])
        crowds = [m for m in kernel_rates if m["crowd_size"] == CROWD]
        top_crowds = max(crowds, key=lambda m: m["rate_per_core_median"]) if crowds else None
        n_pass = sum(m["rate_per_core_median"] >= TARGET_PER_CORE for m in kernel_rates)
        print(f"  kernel >= {TARGET_PER_CORE:.0e} agent estimates/s/core: "
              f"{n_pass}/{len(kernel_rates)} kernel figures PASS; best "
              f"{fmt_rate(top['rate_per_core_median'])}/core ({top['config']}, "
              f"{_shape(top)}, {top['n_threads']} thread(s))"
              + (f"; best with crowds of {CROWD:,}: "
                 f"{fmt_rate(top_crowds['rate_per_core_median'])}/core" if top_crowds else ""))
    results["summary"] = {
        "ratio_all_pass": bool(results["ratios"]) and all(
            r["verdict"] == "PASS" for r in results["ratios"]),
        "per_core_pass_count": sum(m["rate_per_core_median"] >= TARGET_PER_CORE
                                   for m in kernel_rates),
        "per_core_count": len(kernel_rates),
        "identical_everywhere": all(i["identical"] for i in results["identity"]),
        "replicate_loop_pass": all(m["verdict"] == "PASS" for m in results["replicate_loop"]),
    }
    print(f"  crowds of {CROWD:,} >= {TARGET_CROWDS_PER_CORE:.0e} estimates/s/core (compiled "
          f"replicate loop): " + ", ".join(
              f"{m['config']}: {fmt_rate(m['rate_per_core'])} ({m['verdict']}, "
              f"{m['ratio']:.1f}x the per-replicate path)" for m in results["replicate_loop"]))
    results.setdefault("goals", []).extend(goal_rows(results))  # run_all.py's table
    return results


def goal_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's estimation goal for run_all.py's table (:func:`_common.goal_row`): agent
    estimates per second per core with crowds of 1,000, one thread, at the largest total
    measured; the slowest noise configuration counts. Anchor: Mesa on the same config."""
    from _common import goal_row

    goal = 3e7
    ones = [m for m in results["measurements"] if m["engine"] == "kernel" and m.get("measured")
            and m["crowd_size"] == 1000 and m["n_threads"] == 1]
    if not ones:
        return [goal_row("estimates/s per core, crowds of 1,000", "-", f">= {goal:.0e}", None,
                         note="not measured")]
    largest = max(m["total_agents"] for m in ones)
    worst = min((m for m in ones if m["total_agents"] == largest),
                key=lambda m: m["rate_per_core_median"])
    mesa = [m for m in results["measurements"] if m["engine"] == "mesa" and m.get("measured")
            and m["config"] == worst["config"] and m["crowd_size"] == 1000]
    anchor = (f"{fmt_rate(mesa[-1]['rate_median'])}/s (Mesa, "
              f"{fmt_total(mesa[-1]['total_agents'])})" if mesa else "-")
    rate = worst["rate_per_core_median"]
    floors = [m for m in results.get("floor", []) if m["config"] == worst["config"]]
    floor_note = (f"; bare draw floor of this config {fmt_rate(floors[0]['floor_rate_per_core'])}"
                  f"/s/core, kernel {floors[0]['kernel_over_floor_time']:.2f}x its time"
                  if floors else "")
    return [goal_row(f"estimates/s per core, crowds of 1,000 ({worst['config']}, "
                     f"{fmt_total(largest)} agents)", f"{fmt_rate(rate)}/s",
                     f">= {goal:.0e}", worst["rate_per_core_median"] >= goal, anchor=anchor,
                     ratio=worst["rate_per_core_median"] / mesa[-1]["rate_median"] if mesa
                     else None,
                     note=("ratio: kernel / Mesa on the same noise configuration" if mesa
                           else "") + floor_note)]


if __name__ == "__main__":
    main(sys.argv[1:])

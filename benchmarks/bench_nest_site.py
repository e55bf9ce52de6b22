"""Throughput of the nest-site model: swarms per second, numba kernel and Mesa model.

What is measured (``time.perf_counter``; median and best of several calls; CPU seconds of the
process alongside, since other work on the machine inflates wall time):

* the kernel: ``simulate_swarms(NestSiteParams(**config), seeds, n_threads=...)`` for 10,000
  swarms of 200 scouts over 300 steps (no quorum: every swarm runs the full horizon), with
  1 thread and ``os.cpu_count()`` threads, after a warm-up call (numba compiles or loads its
  cache on the first call). Target (from the issue): under 30 s on 2 cores.
* the Mesa model: ``NestSiteSelection(rng=seed, **config).run_model()`` for ``MESA_SWARMS``
  swarms one after the other, and the kernel on the same seeds (one thread); the ratio of
  their times per swarm (target >= 100), and whether both give identical dancers per site at
  every step.

Two configurations: List et al.'s (2009) reliable swarm (lambda 0.8, sigma 0.2) and one with
every optional draw on (copying 0.3, stop signals 0.05, sigma 1.0). Seeds come from
:func:`sim.seeding.replicate_seeds`, derived before the clock starts. A control measures how
well a GIL-free numba loop scales over the same threads here and now.

Run: ``.venv/bin/python benchmarks/run_all.py --only nest_site [--quick | --full]`` (or this
file directly, which prints the report without writing JSON).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_seconds, nogil_scaling, summarise, table

SWARMS = 10_000
QUICK_SWARMS = 1_000
MESA_SWARMS = 20
QUICK_MESA_SWARMS = 3
FULL_MESA_SWARMS = 100
TARGET_SECONDS = 30.0           # 10,000 swarms through the kernel on 2 cores
TARGET_CORES = 2
TARGET_RATIO = 100.0            # kernel / Mesa, per swarm

#: Swarm configurations (keyword arguments of NestSiteParams / NestSiteSelection).
CONFIGS: dict[str, dict[str, Any]] = {
    "list2009 reliable": dict(n_agents=200, horizon=300, interdependence=0.8, noise=0.2),
    "copying+stop+noisy": dict(n_agents=200, horizon=300, interdependence=0.8, noise=1.0,
                               copying=0.3, stop_rate=0.05),
}


def _timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and process-CPU seconds of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        cpu = time.process_time()
        wall = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def measure_kernel(params, seeds, n_threads: int, repeat: int) -> dict[str, Any]:
    from sim.models.nest_site import simulate_swarms

    walls, cpus = _timed(lambda: simulate_swarms(params, seeds, n_threads=n_threads), repeat)
    swarms = len(seeds)
    bee_steps = swarms * params.n_agents * params.horizon
    out = summarise(walls, work=swarms)
    out.update(engine="kernel", n_threads=n_threads, swarms=swarms, bee_steps=bee_steps,
               cpu_s=summarise(cpus), bee_steps_per_s_median=bee_steps / out["median_s"],
               per_swarm_median_s=out["median_s"] / swarms)
    return out


def run_mesa(config: dict[str, Any], seeds) -> list[np.ndarray]:
    """Dancers per site after each step, one Mesa model per seed."""
    from sim.models.nest_site import NestSiteSelection

    out = []
    for seed in seeds:
        model = NestSiteSelection(rng=int(seed), **config)
        model.run_model()
        out.append(model.trajectory)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Nest-site model: kernel and Mesa speed.")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--full", action="store_true",
                        help=f"time {FULL_MESA_SWARMS} Mesa swarms instead of {MESA_SWARMS}")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per kernel figure (default 3, quick 2)")
    parser.add_argument("--seed", type=int, default=2009, help="base seed of the swarms")
    args = parser.parse_args(argv)

    from sim.models.nest_site import NestSiteParams, NestSiteSelection, simulate_swarms
    from sim.seeding import replicate_seeds

    quick = args.quick
    repeat = args.repeat or (2 if quick else 3)
    n_swarms = QUICK_SWARMS if quick else SWARMS
    n_mesa = QUICK_MESA_SWARMS if quick else FULL_MESA_SWARMS if args.full else MESA_SWARMS
    cpus = os.cpu_count() or 1
    thread_counts = sorted({1, cpus})
    seeds = replicate_seeds(args.seed, n_swarms)
    print(f"{n_swarms:,} swarms of 200 scouts x 300 steps through the kernel (threads "
          f"{thread_counts}, {repeat} repetitions, median reported); {n_mesa} through Mesa.")

    warmup = {}
    for name, config in CONFIGS.items():
        params = NestSiteParams(**config)
        start = time.perf_counter()
        simulate_swarms(params, seeds[:2], n_threads=min(2, cpus))
        first = time.perf_counter() - start
        start = time.perf_counter()
        NestSiteSelection(rng=0, **{**config, "horizon": 2}).run_model()
        warmup[name] = {"kernel_first_call_s": first,
                        "mesa_first_model_s": time.perf_counter() - start}
    print("  warm-up (compile / cache load): " + "; ".join(
        f"{n}: kernel {w['kernel_first_call_s']:.2f} s, Mesa {w['mesa_first_model_s']:.2f} s"
        for n, w in warmup.items()), flush=True)

    results: dict[str, Any] = {
        "swarms": n_swarms, "mesa_swarms": n_mesa, "thread_counts": thread_counts,
        "repeat": repeat, "base_seed": args.seed, "quick": quick, "full": args.full,
        "configs": {n: NestSiteParams(**c).model_dump() for n, c in CONFIGS.items()},
        "targets": {"kernel_10000_swarms_s": TARGET_SECONDS, "on_cores": TARGET_CORES,
                    "kernel_over_mesa": TARGET_RATIO},
        "warmup": warmup, "kernel": [], "mesa": [], "ratios": [], "identity": [],
    }
    rows = []
    for name, config in CONFIGS.items():
        params = NestSiteParams(**config)
        for nt in thread_counts:
            print(f"  {name}: kernel, {n_swarms:,} swarms, {nt} thread(s)...", flush=True)
            k = measure_kernel(params, seeds, nt, repeat)
            k["config"] = name
            # the target is for 10,000 swarms: scale a --quick figure, and say so
            k["seconds_for_10000_median"] = k["median_s"] * SWARMS / n_swarms
            k["verdict"] = ("PASS" if k["seconds_for_10000_median"] < TARGET_SECONDS else "MISS"
                            ) if nt >= TARGET_CORES else ""
            results["kernel"].append(k)
            rows.append([name, "kernel", str(nt), f"{n_swarms:,}", fmt_seconds(k["median_s"]),
                         fmt_seconds(k["best_s"]), fmt_seconds(k["cpu_s"]["median_s"]),
                         f"{k['rate_median']:,.0f}", f"{k['bee_steps_per_s_median']:.3g}",
                         fmt_seconds(k["seconds_for_10000_median"]), k["verdict"]])

        print(f"  {name}: Mesa, {n_mesa} swarms...", flush=True)
        mesa_seeds = seeds[:n_mesa]
        holder: dict[str, list] = {}
        walls, cpus_m = _timed(lambda: holder.__setitem__("t", run_mesa(config, mesa_seeds)), 1)
        mesa = summarise(walls, work=n_mesa)
        mesa.update(engine="mesa", config=name, swarms=n_mesa, cpu_s=summarise(cpus_m),
                    per_swarm_median_s=mesa["median_s"] / n_mesa)
        results["mesa"].append(mesa)
        rows.append([name, "Mesa", "1", f"{n_mesa:,}", fmt_seconds(mesa["median_s"]),
                     fmt_seconds(mesa["best_s"]), fmt_seconds(mesa["cpu_s"]["median_s"]),
                     f"{mesa['rate_median']:,.1f}", "", "", ""])
        # the kernel on the same seeds, one thread, repeated (short calls)
        same = measure_kernel(params, mesa_seeds, 1, max(repeat, 5))
        batch = simulate_swarms(params, mesa_seeds, record_dancers=True)
        identical = all(np.array_equal(t, batch.dancers[r, :t.shape[0]])
                        for r, t in enumerate(holder["t"]))
        results["identity"].append({"config": name, "swarms": n_mesa, "identical": identical})
        ratio = mesa["per_swarm_median_s"] / same["per_swarm_median_s"]
        ratio_cpu = (mesa["cpu_s"]["median_s"] / n_mesa) / (same["cpu_s"]["median_s"] / n_mesa)
        results["ratios"].append({"config": name, "swarms": n_mesa,
                                  "mesa_per_swarm_s": mesa["per_swarm_median_s"],
                                  "kernel_per_swarm_s": same["per_swarm_median_s"],
                                  "kernel_over_mesa_median": ratio,
                                  "kernel_over_mesa_cpu": ratio_cpu,
                                  "verdict": "PASS" if ratio >= TARGET_RATIO else "MISS"})

    print()
    print(table(rows, ["config", "engine", "threads", "swarms", "time (med)", "time (best)",
                       "CPU (med)", "swarms/s", "bee-steps/s", "10k swarms",
                       f"<{TARGET_SECONDS:.0f} s"], "<<>>>>>>>>>"))
    print()
    print(f"Kernel / Mesa per swarm (same seeds, one thread each; target >= "
          f"{TARGET_RATIO:.0f}x):")
    print(table([[r["config"], str(r["swarms"]), fmt_seconds(r["mesa_per_swarm_s"]),
                  fmt_seconds(r["kernel_per_swarm_s"]),
                  f"{r['kernel_over_mesa_median']:.0f}x", f"{r['kernel_over_mesa_cpu']:.0f}x",
                  r["verdict"]] for r in results["ratios"]],
                ["config", "swarms", "Mesa/swarm", "kernel/swarm", "ratio (wall)",
                 "ratio (CPU)", f">={TARGET_RATIO:.0f}x"], "<>>>>><"))
    print("Identical dancers per site at every step, kernel vs Mesa: " + ", ".join(
        f"{i['config']}: {'yes' if i['identical'] else 'NO'}" for i in results["identity"]))

    if cpus > 1:
        control = nogil_scaling(cpus)
        results["nogil_control"] = control
        print(f"Control: a GIL-free numba loop runs {control['speedup_median']:.2f}x faster on "
              f"{cpus} threads than on one, here and now (ideal {cpus}x).")
    kernel_multi = [k for k in results["kernel"] if k["n_threads"] >= TARGET_CORES]
    results["summary"] = {
        "kernel_target_pass": bool(kernel_multi) and all(k["verdict"] == "PASS"
                                                         for k in kernel_multi),
        "ratio_target_pass": all(r["verdict"] == "PASS" for r in results["ratios"]),
        "identical_everywhere": all(i["identical"] for i in results["identity"]),
    }
    if not kernel_multi:
        print(f"  note: this machine has {cpus} core(s); the target is for {TARGET_CORES}.")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

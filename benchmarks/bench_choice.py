"""Throughput of the choice models, Mesa model vs numba kernel: majority vote, information
cascades, cumulative advantage (MusicLab).

What is measured (``time.perf_counter``, median and best of several calls; seeds derived with
:func:`sim.seeding.replicate_seeds` before the clock starts; one warm-up call per engine so
numba compiles or loads its cache first). The unit of work is one agent decision:

* majority vote: one vote. Mesa: ``MajorityVote(rng=seed, n_agents=N).step()`` per jury;
  kernel: ``simulate_votes(MajorityParams(n_agents=N), seeds)``;
* cascades: one agent's action. Mesa: ``InformationCascade(rng=seed, n_agents=N)``
  stepped N times per sequence; kernel: ``simulate_cascades``;
* cumulative advantage: one listener's choice (and download). Mesa:
  ``CulturalMarket(rng=seed, n_listeners=N)`` stepped N times per world (48 songs);
  kernel: ``simulate_markets``.

Two shapes per model: the experiments' shape (many small replicates: a jury of 101, a
sequence of 100 agents, a world of 700 listeners), where a replicate's overhead matters
(a Python loop calling the kernel per replicate spent most of its time there; the compiled
replicate loop below removes it), and one large
replicate (a jury of 10^6, a sequence of 10^6 agents, a world of 10^5 listeners), where the
rule arithmetic dominates. The kernel runs with 1 thread and ``os.cpu_count()`` threads.
Every Mesa measurement is also checked for identical results against the kernel.

With ``--full`` the Mesa model is also timed on one large replicate, of a smaller size than
the kernel's (10^5 voters; 2,000 agents, as each Mesa agent re-reads the whole history of
actions, O(n^2); 10^4 listeners); the ratio then compares rates per decision, which for the
cascade's Mesa model fall with the sequence's length.

The replicate loop (issue 14): each model's batch runner runs all replicates of a batch in
one compiled loop, re-setting one generator per replicate from states seeded in bulk. Its
anchor is the previous Python loop (:func:`sim.batching.run_replicates` calling the
per-replicate kernel, as the batch runners did before), timed interleaved with it on the same
seeds, one thread, the small shape; both must give identical results. The goal rows
(``results["goals"]``) state per model the replicates per second of the compiled loop against
that anchor (goal: at least as fast, and identical).

Run: ``.venv/bin/python benchmarks/run_all.py --only choice [--quick | --full]`` (or this
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

from _common import (
    compiled_vs_loop,
    fmt_rate,
    fmt_seconds,
    goal_row,
    summarise,
    table,
    timings,
)


def _models():
    from sim.models.cascades import CascadeParams, InformationCascade, simulate_cascades
    from sim.models.cumulative_advantage import CulturalMarket, MarketParams, simulate_markets
    from sim.models.majority_vote import MajorityParams, MajorityVote, simulate_votes

    def mesa_votes(n, seeds):
        out = []
        for s in seeds:
            model = MajorityVote(rng=int(s), n_agents=n)
            model.step()
            out.append(model.outcomes[-1])
        return np.array(out)

    def mesa_cascades(n, seeds):
        out = []
        for s in seeds:
            model = InformationCascade(rng=int(s), n_agents=n)
            model.run_for(n)
            out.append(model.actions_array)
        return np.array(out)

    def mesa_markets(n, seeds):
        out = []
        for s in seeds:
            model = CulturalMarket(rng=int(s), n_listeners=n)
            model.run_for(n)
            out.append(model.downloads)
        return np.array(out)

    return {
        "majority_vote": {
            "unit": "votes", "small": 101, "large": 10**6, "mesa_large": 10**5,
            "mesa": mesa_votes,
            "kernel": lambda n, seeds, t: simulate_votes(MajorityParams(n_agents=n), seeds,
                                                         n_threads=t).majority_right[:, 0],
        },
        "cascades": {
            "unit": "actions", "small": 100, "large": 10**6, "mesa_large": 2_000,
            "mesa": mesa_cascades,
            "kernel": lambda n, seeds, t: simulate_cascades(CascadeParams(n_agents=n), seeds,
                                                            n_threads=t).actions,
        },
        "cumulative_advantage": {
            "unit": "choices", "small": 700, "large": 10**5, "mesa_large": 10**4,
            "mesa": mesa_markets,
            "kernel": lambda n, seeds, t: simulate_markets(MarketParams(n_listeners=n), seeds,
                                                           n_threads=t).downloads,
        },
    }


def _python_loops():
    """Per model, the previous batch runner: a Python loop over replicates
    (:func:`sim.batching.run_replicates`) calling the per-replicate kernel; the anchor of the
    compiled loop. Returns the same array as the model's ``kernel`` entry."""
    from sim.batching import run_replicates, seed_array
    from sim.models.cascades import CascadeParams
    from sim.models.cascades.kernel import run_sequence
    from sim.models.cumulative_advantage import MarketParams
    from sim.models.cumulative_advantage.kernel import make_songs, run_world
    from sim.models.majority_vote import MajorityParams
    from sim.models.majority_vote.kernel import run_jury

    def votes(n, seeds):
        seeds, p = seed_array(seeds), MajorityParams(n_agents=n)
        kind, a, b = p.competence_codes
        competences = np.empty((len(seeds), n))
        right, followers = (np.empty((len(seeds), 1), dtype=np.int64) for _ in range(2))
        outcome = np.empty((len(seeds), 1), dtype=np.int8)

        def run_one(r, rng):
            run_jury(rng, kind, p.competence, a, b, p.correlation, p.leader_p, competences[r],
                     right[r], followers[r], outcome[r])

        run_replicates(run_one, seeds)
        return outcome[:, 0]

    def cascades(n, seeds):
        seeds, p = seed_array(seeds), CascadeParams(n_agents=n)
        signals, actions = (np.empty((len(seeds), n), dtype=np.int8) for _ in range(2))

        def run_one(r, rng):
            run_sequence(rng, p.precision, p.coin_ties, signals[r], actions[r])

        run_replicates(run_one, seeds)
        return actions

    def markets(n, seeds):
        seeds, p = seed_array(seeds), MarketParams(n_listeners=n)
        downloads, listens = (np.empty((len(seeds), p.n_songs), dtype=np.int64)
                              for _ in range(2))

        def run_one(r, rng):
            songs = make_songs(p, rng)
            run_world(rng, songs.quality, songs.appeal, p.social_weight, n, downloads[r],
                      listens[r])

        run_replicates(run_one, seeds)
        return downloads

    return {"majority_vote": votes, "cascades": cascades, "cumulative_advantage": markets}


def measure_replicate_loop(models, seeds, replicates: dict[str, int],
                           repeat: int) -> list[dict[str, Any]]:
    """Compiled replicate loop (the model's batch runner) against the previous Python loop,
    side by side (interleaved, so both see the same load), one thread, the small shape,
    ``replicates[model]`` replicates from the first of ``seeds``."""
    loops = _python_loops()
    out = []
    for name, spec in models.items():
        n = spec["small"]
        seeds_m = seeds[:replicates[name]]
        old_loop = loops[name]
        same = bool(np.array_equal(old_loop(n, seeds_m), spec["kernel"](n, seeds_m, 1)))
        k = len(seeds_m)
        out.append({"model": name, "size": n, "replicates": k,
                    **compiled_vs_loop(lambda: spec["kernel"](n, seeds_m, 1),
                                       lambda: old_loop(n, seeds_m), k, repeat),
                    "identical": same})
    return out


def goal_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's replicate-loop goal per choice model for run_all.py's table
    (:func:`_common.goal_row`): replicates per second of the compiled loop, one thread,
    against the previous Python loop on the same seeds; met when at least as fast (by CPU
    seconds, which other processes disturb less than wall time) and identical."""
    rows = []
    for m in results.get("replicate_loop", []):
        rows.append(goal_row(
            f"{m['model']}: replicates/s, compiled loop, 1 thread ({m['replicates']:,} x "
            f"{m['size']:,})", f"{fmt_rate(m['compiled_replicates_per_s'])}/s",
            ">= 1x the Python loop, identical", m["ratio_cpu"] >= 1.0 and m["identical"],
            anchor=f"{fmt_rate(m['python_loop_replicates_per_s'])}/s (previous Python loop)",
            ratio=m["ratio_cpu"], note=f"ratio: compiled / Python loop, replicates per CPU "
                                       f"second (wall: {m['ratio']:.2f}x)"))
    return rows


#: Replicates per measurement: (Mesa, kernel) for the small shape.
SMALL_REPLICATES = {"majority_vote": (300, 20_000), "cascades": (100, 20_000),
                    "cumulative_advantage": (4, 2_000)}
QUICK_REPLICATES = {"majority_vote": (30, 2_000), "cascades": (10, 2_000),
                    "cumulative_advantage": (1, 200)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Choice models: Mesa vs kernel throughput.")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--full", action="store_true",
                        help="also time the Mesa model on the large single replicate")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per figure (default 5, quick 2)")
    parser.add_argument("--seed", type=int, default=1785)
    args = parser.parse_args(argv)

    from sim.seeding import replicate_seeds

    repeat = args.repeat or (2 if args.quick else 5)
    cpus = os.cpu_count() or 1
    threads = sorted({1, cpus})
    reps = QUICK_REPLICATES if args.quick else SMALL_REPLICATES
    models = _models()
    results: dict[str, Any] = {"repeat": repeat, "thread_counts": threads, "quick": args.quick,
                               "full": args.full, "base_seed": args.seed,
                               "measurements": [], "ratios": [], "identity": []}
    rows = []
    for name, spec in models.items():
        n_mesa, n_kernel = reps[name]
        seeds = replicate_seeds(args.seed, max(n_mesa, n_kernel))
        small = spec["small"]
        large = spec["large"] // (100 if args.quick else 1)
        # warm-up: compile or load numba's cache, and the first Mesa model
        spec["kernel"](small, seeds[:2], 1)
        spec["mesa"](small, seeds[:1])
        # identity on the Mesa replicates
        mesa_out = spec["mesa"](small, seeds[:n_mesa])
        same = bool(np.array_equal(mesa_out, spec["kernel"](small, seeds[:n_mesa], 1)))
        results["identity"].append({"model": name, "replicates": n_mesa, "identical": same})
        cases = [("small", small, small, n_mesa, n_kernel)]
        cases.append(("large", large, spec["mesa_large"], 1 if args.full else 0, 1))
        for shape, n, n_mesa_size, mesa_reps, kernel_reps in cases:
            measured = {}
            if mesa_reps:
                sub = seeds[:mesa_reps]
                print(f"  {name} {shape}: Mesa, {mesa_reps} x {n_mesa_size:,}...", flush=True)
                times = timings(lambda: spec["mesa"](n_mesa_size, sub), max(1, repeat // 2)
                                if shape == "large" else repeat)
                m = summarise(times, work=mesa_reps * n_mesa_size)
                m.update(model=name, shape=shape, engine="mesa", n_threads=1,
                         size=n_mesa_size, replicates=mesa_reps, unit=spec["unit"])
                results["measurements"].append(m)
                measured["mesa"] = m
                rows.append(_row(m))
            for t in threads:
                if t > 1 and kernel_reps < 2:
                    continue
                sub = seeds[:kernel_reps]
                print(f"  {name} {shape}: kernel, {kernel_reps:,} x {n:,}, {t} thread(s)...",
                      flush=True)
                spec["kernel"](n, sub[:1], t)
                times = timings(lambda: spec["kernel"](n, sub, t), repeat)
                k = summarise(times, work=kernel_reps * n)
                k.update(model=name, shape=shape, engine="kernel", n_threads=t, size=n,
                         replicates=kernel_reps, unit=spec["unit"])
                k["per_replicate_s_median"] = k["median_s"] / kernel_reps
                results["measurements"].append(k)
                rows.append(_row(k))
                if "mesa" in measured:
                    ratio = k["rate_median"] / measured["mesa"]["rate_median"]
                    results["ratios"].append({
                        "model": name, "shape": shape, "size": n, "kernel_threads": t,
                        "kernel_over_mesa_median": ratio,
                        "kernel_over_mesa_best": k["rate_best"] / measured["mesa"]["rate_best"]})
            if not mesa_reps:
                rows.append([name, shape, f"1 x {spec['mesa_large']:,}", "mesa", "1", "-",
                             "not measured", "-", "needs --full"])

    print()
    print("Throughput, agent decisions per second (votes, actions, choices)")
    print(table(rows, ["model", "shape", "replicates x size", "engine", "threads",
                       "time (med)", "rate (med)", "rate (best)", "note"], "<<>><>>><"))
    print()
    print("Kernel / Mesa (Mesa on one thread):")
    print(table([[r["model"], r["shape"], str(r["kernel_threads"]),
                  f"{r['kernel_over_mesa_median']:,.0f}x", f"{r['kernel_over_mesa_best']:,.0f}x"]
                 for r in results["ratios"]],
                ["model", "shape", "kernel threads", "ratio (med)", "ratio (best)"],
                "<<>>>"))
    print("Identical results, kernel vs Mesa, same seeds: " + ", ".join(
        f"{i['model']} ({i['replicates']} replicates): {'yes' if i['identical'] else 'NO'}"
        for i in results["identity"]))

    loop_reps = {name: kernel for name, (_, kernel) in reps.items()}
    print("\n  replicate loop: compiled vs previous Python loop...", flush=True)
    loop = measure_replicate_loop(models, replicate_seeds(args.seed + 1, max(loop_reps.values())),
                                  loop_reps, max(repeat, 3))
    results["replicate_loop"] = loop
    print("Replicate loop, one thread, small shape (interleaved on the same seeds):")
    print(table([[m["model"], f"{m['replicates']:,} x {m['size']:,}",
                  fmt_rate(m["compiled_replicates_per_s"]),
                  fmt_rate(m["python_loop_replicates_per_s"]),
                  fmt_seconds(m["compiled_per_replicate_s"]),
                  fmt_seconds(m["python_loop_per_replicate_s"]), f"{m['ratio']:.2f}x",
                  f"{m['ratio_cpu']:.2f}x", "yes" if m["identical"] else "NO"] for m in loop],
                ["model", "replicates x size", "compiled rep/s", "Python loop rep/s",
                 "compiled/rep", "Python/rep", "ratio (wall)", "ratio (CPU)", "identical"],
                "<>>>>>>>>"))
    results.setdefault("goals", []).extend(goal_rows(results))  # run_all.py's table
    return results


def _row(m: dict[str, Any]) -> list[str]:
    note = ""
    if m["engine"] == "kernel" and m["shape"] == "small":
        note = f"{fmt_seconds(m['per_replicate_s_median'])} per replicate"
    return [m["model"], m["shape"], f"{m['replicates']:,} x {m['size']:,}", m["engine"],
            str(m["n_threads"]), fmt_seconds(m["median_s"]), fmt_rate(m["rate_median"]),
            fmt_rate(m["rate_best"]), note]


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n[{time.perf_counter() - started:.1f} s]")

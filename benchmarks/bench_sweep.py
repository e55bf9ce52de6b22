"""Throughput of ``crowdsim sweep`` end to end, against the bare kernel and Mesa's batch_run.

What is measured (``time.perf_counter``; median and best of the repetitions reported):

* **bare kernel**: the sweep's own work in one process and one thread, nothing else - for
  every point of ``configs/bench_sweep_10k.yaml`` (100 points x 100 replicates of 1,000
  agents, default metrics) ``run_estimation_batch(params, seeds, metrics)`` from
  :mod:`sim.sweep.models`, i.e. ``simulate_crowds`` plus the metrics, on the very seeds the
  sweep uses (derived and validated before the clock starts); also ``simulate_crowds`` alone.
* **crowdsim sweep end to end**: ``python -m sim sweep CONFIG --out TMP --fresh --quiet``
  as a subprocess, timed from launch to exit (interpreter start, imports, design, worker
  start-up, the runs, the Parquet files and manifest, and whatever else the command does
  after the sweep, e.g. a report), with the default executor, ``--workers 1`` and
  ``--workers 2``; plus the in-process part the command records in ``manifest.json``
  (``timings.sessions[-1].seconds``: from taking the folder's lock to the final manifest).
  The stored metrics are checked against the bare kernel's, run by run (identical).
* **Mesa batch_run vs crowdsim**: 1,000 runs (the same 100 points x 10 replicates) as
  ``mesa.batch_run(CrowdEstimation, parameters=..., rng=[10 seeds], number_processes=2,
  max_steps=0, data_collection_period=-1, display_progress=False)``; against the same
  1,000 runs through ``crowdsim sweep`` (subprocess, end to end) and through the kernel
  in-process on exactly batch_run's (point, seed) pairs, whose numbers are checked equal to
  batch_run's. (batch_run pairs every seed with every point, so its seeds cannot be the
  sweep's per-point seeds; the work per run is the same.)
* **where the sweep's time goes**: interpreter and import times (``-X importtime``) of what
  the sweep path loads, the start-up of a pool of spawned workers, and per-run costs of
  the in-process parts (seeds, a chunk's bookkeeping, writing Parquet).

* **10^5 runs** (100 points x 1,000 replicates; not in ``--quick``, skipped with
  ``--skip-1e5``): the bare kernel and ``--workers 1``, ``--workers 2`` and the default,
  interleaved, ``--big-repeat`` times (default 1: about 20-40 s each here).

Goal rows (``results["goals"]``, printed in run_all.py's table): issue 14's end-to-end rate
over the bare kernel's (kernel + metrics, one process, one thread) at 10^4 runs (>= 0.6) and
10^5 runs (>= 0.8) with ``--workers 1`` and ``--workers 2``, and Mesa's batch_run over the
whole ``crowdsim sweep`` on the same 1,000-run grid (the anchor; issue 3: >= 100x).

Targets (from issue 3), printed as PASS/MISS next to the figures: the end-to-end rate at
least half the bare kernel's, 10,000 runs well under a minute (verdict: < 60 s; the seconds
are printed), 2 cores; Mesa batch_run / crowdsim >= 100x.

The command-line modes are run interleaved (A, B, C, A, B, C, ...) so that load from other
processes, which drifts, hits them alike; the load average is recorded around every run.
On a shared machine compare modes, not runs taken minutes apart.

Run: ``.venv/bin/python benchmarks/run_all.py --only sweep [--quick] [--repeat=5]`` (or
this file directly, which prints the report without writing JSON). ``--quick``: 1,000 runs
instead of 10,000, Mesa on 100 runs, one repetition: a smoke test, not figures to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO_ROOT,
    fmt_seconds,
    fmt_total,
    goal_row,
    load_average,
    nogil_scaling,
    summarise,
    table,
    timings,
)

CONFIG = REPO_ROOT / "configs" / "bench_sweep_10k.yaml"
MESA_REPLICATES = 10                 # 100 points x 10 = 1,000 runs
QUICK_REPLICATES = 10                # the sweep in --quick: 100 points x 10 = 1,000 runs
QUICK_MESA_REPLICATES = 1            # Mesa in --quick: 100 runs
BIG_REPLICATES = 1000                # 100 points x 1,000 = 100,000 runs
TARGET_SHARE_OF_BARE = 0.5           # end-to-end rate / bare kernel rate (issue 3)
#: Issue 14's goals: end-to-end rate / bare kernel rate at 10^4 and 10^5 runs, 1 or 2 workers.
GOAL_SHARE_OF_BARE = {10_000: 0.6, 100_000: 0.8}
GOAL_MODES = ("--workers 1", "--workers 2", "default")  # the default: the executor it chose
TARGET_SECONDS = 60.0                # 10,000 runs end to end
TARGET_MESA_RATIO = 100.0            # Mesa batch_run time / crowdsim time
MESA_METRICS = ("error_of_mean", "error_of_median", "mean_individual_error", "diversity")
#: Executors timed end to end: label -> extra CLI arguments.
MODES = {"default": [], "--workers 1": ["--workers", "1"], "--workers 2": ["--workers", "2"]}
#: Top-level packages whose import time is reported.
PACKAGES = ("numpy", "numba", "pydantic", "pyarrow", "pandas", "scipy", "mesa", "networkx",
            "yaml", "SALib", "matplotlib")


# --------------------------------------------------------------------------- helpers

def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def _python() -> str:
    return sys.executable


#: Where the timed commands cache bytecode when the environment forbids writing it beside
#: the sources (PYTHONDONTWRITEBYTECODE, as some sandboxes set): an installed crowdsim runs
#: from cached bytecode, and compiling crowdsim's modules anew costs every process ~0.25 s.
BYTECODE_CACHE = Path(tempfile.gettempdir()) / "crowdsim-bench-pycache"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    if env.pop("PYTHONDONTWRITEBYTECODE", None) and "PYTHONPYCACHEPREFIX" not in env:
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    return env


def _write_config(raw: dict, replicates: int, folder: Path, name: str) -> Path:
    import yaml

    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**raw, "replicates": replicates}, sort_keys=False))
    return path


def _cli_supports(option: str) -> bool:
    out = subprocess.run([_python(), "-m", "sim", "sweep", "--help"], cwd=REPO_ROOT,
                         env=_env(), capture_output=True, text=True, timeout=120)
    return option in out.stdout


def _prepare(config) -> tuple[Any, list[tuple[Any, np.ndarray]], float]:
    """The design, every point's (validated params, seeds) and the seconds seeding took."""
    from sim.sweep.design import build_design
    from sim.sweep.models import get_model
    from sim.sweep.worker import run_seeds

    design = build_design(config)
    model = get_model(config.model)
    started = time.perf_counter()
    # as the sweep's workers derive them: a point's seeds in one call
    seeds = [run_seeds(config.seed, int(design.keys[i]), np.arange(config.replicates))
             for i in range(len(design))]
    seeding = time.perf_counter() - started
    points = [(model.params_schema.model_validate(design.point(i)), seeds[i])
              for i in range(len(design))]
    return design, points, seeding


# --------------------------------------------------------------------------- measurements

def measure_bare(config, repeat: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The kernel (and its metrics) on every run of the sweep, one process, one thread."""
    from sim.models.estimation import simulate_crowds
    from sim.models.estimation.sweep import run_batch as run_estimation_batch
    from sim.sweep.models import get_model

    model = get_model(config.model)
    model.warm_up()
    design, points, seeding = _prepare(config)
    metrics = config.recorded_metrics
    n = len(design) * config.replicates
    run_estimation_batch(*points[0], metrics)  # first call: numpy/numba paths warmed up
    kernel = timings(lambda: [simulate_crowds(p, s) for p, s in points], repeat)
    values: dict[str, list] = {}

    def with_metrics():
        out = [run_estimation_batch(p, s, metrics) for p, s in points]
        values["out"] = out

    full = timings(with_metrics, repeat)
    stored = {name: np.concatenate([o[name] for o in values["out"]]) for name in metrics}
    result = {"runs": n, "points": len(design), "replicates": config.replicates,
              "n_agents": points[0][0].n_agents, "metrics": list(metrics),
              "kernel_only": summarise(kernel, work=n),
              "kernel_and_metrics": summarise(full, work=n),
              "seed_derivation_s": seeding,
              "seed_derivation_us_per_run": 1e6 * seeding / n}
    return result, stored


def run_cli(config_path: Path, extra: list[str], out_dir: Path) -> dict[str, Any]:
    """One ``python -m sim sweep`` subprocess, timed from launch to exit."""
    cmd = [_python(), "-m", "sim", "sweep", str(config_path), "--out", str(out_dir), "--fresh",
           "--quiet", *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    out: dict[str, Any] = {"wall_s": wall, "exit_code": proc.returncode,
                           "stderr_tail": proc.stderr[-2000:]}
    manifest_path = out_dir / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        session = manifest["timings"]["sessions"][-1]
        out.update(status=manifest["status"], done=manifest["counts"]["done"],
                   failed=manifest["counts"]["failed"], total=manifest["design"]["runs"],
                   chunks=manifest["design"]["chunks"], chunk_size=manifest["design"]["chunk_size"],
                   executor=session["executor"], workers=session["workers"],
                   in_process_s=session["seconds"],
                   compute_s=manifest["timings"]["compute_seconds"])
        import pyarrow.parquet as pq

        out["rows_written"] = sum(pq.ParquetFile(p).metadata.num_rows
                                  for p in out_dir.glob("runs-*.parquet"))
    return out


def measure_cli(config_path: Path, modes: dict[str, list[str]], repeat: int,
                keep_first: bool = False) -> tuple[dict[str, Any], Any]:
    """Each mode ``repeat`` times, interleaved (mode A, B, C, A, B, C, ...) so that load
    from other processes, which drifts, hits every mode alike. With ``keep_first``, also
    the stored runs of the first run (a DataFrame) for checking them."""
    runs: dict[str, list[dict]] = {label: [] for label in modes}
    frame = None
    for _ in range(max(1, repeat)):
        for label, extra in modes.items():
            if runs[label] and runs[label][-1]["exit_code"] != 0:
                continue
            with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
                out_dir = Path(tmp) / "out"
                r = run_cli(config_path, extra, out_dir)
                r["load_average_after"] = load_average()
                if keep_first and frame is None and r["exit_code"] == 0:
                    from sim.sweep import results

                    frame = results.load(out_dir)
                runs[label].append(r)
    out = {}
    for label, mode_runs in runs.items():
        good = [r for r in mode_runs if r["exit_code"] == 0]
        o: dict[str, Any] = {"args": modes[label], "repeats": len(mode_runs), "runs": mode_runs}
        if good:
            total = good[0]["total"]
            o["total_runs"] = total
            o["wall"] = summarise([r["wall_s"] for r in good], work=total)
            o["in_process"] = summarise([r["in_process_s"] for r in good], work=total)
            o["compute_s_median"] = statistics.median(r["compute_s"] for r in good)
            o["executor"] = good[0]["executor"]
            o["workers"] = good[0]["workers"]
            o["all_written"] = all(r["done"] == total and r["rows_written"] == total
                                   for r in good)
        out[label] = o
    return out, frame


def measure_big(config, config_path: Path, modes: dict[str, list[str]],
                repeat: int) -> dict[str, Any]:
    """The 10^5-run sweep: the bare kernel (kernel + metrics, one process) and the command
    in each mode, interleaved (bare, mode A, mode B, ..., bare, ...) so that drifting load
    hits them alike."""
    from sim.models.estimation.sweep import run_batch as run_estimation_batch
    from sim.sweep.models import get_model

    get_model(config.model).warm_up()
    design, points, _ = _prepare(config)
    metrics = config.recorded_metrics
    n = len(design) * config.replicates
    run_estimation_batch(*points[0], metrics)
    bare: list[float] = []
    cli: dict[str, Any] = {}
    for _ in range(max(1, repeat)):
        bare += timings(lambda: [run_estimation_batch(p, s, metrics) for p, s in points], 1)
        one, _frame = measure_cli(config_path, modes, 1)
        for label, r in one.items():
            cli.setdefault(label, {"args": r["args"], "runs": []})["runs"] += r["runs"]
    for r in cli.values():
        good = [x for x in r["runs"] if x["exit_code"] == 0]
        if good:
            r.update(total_runs=n, wall=summarise([x["wall_s"] for x in good], work=n),
                     in_process=summarise([x["in_process_s"] for x in good], work=n),
                     executor=good[-1]["executor"], workers=good[-1]["workers"],
                     all_written=all(x["done"] == n for x in good))
    return {"runs": n, "bare": summarise(bare, work=n), "cli": cli}


def check_identity(frame, stored: dict[str, np.ndarray]) -> dict[str, Any]:
    """Stored metrics of the sweep (sorted by run_id) vs the bare kernel's (design order)."""
    if frame is None:
        return {"checked": False}
    same = {}
    for name, values in stored.items():
        column = frame[name].to_numpy()
        same[name] = bool(column.shape == values.shape
                          and np.array_equal(column, values, equal_nan=True))
    return {"checked": True, "rows": len(frame), "identical": all(same.values()),
            "per_metric": same}


def measure_mesa(config, replicates: int, processes: int, repeat: int) -> dict[str, Any]:
    """Mesa batch_run over the config's points, ``replicates`` seeds, and the kernel on
    exactly the same (point, seed) pairs; the numbers are compared."""
    import warnings

    import mesa

    from sim.models.estimation import CrowdEstimation
    from sim.models.estimation.sweep import run_batch as run_estimation_batch
    from sim.seeding import replicate_seeds
    from sim.sweep.config import swept_axes
    from sim.sweep.design import build_design
    from sim.sweep.models import get_model

    design = build_design(config)
    if config.design != "grid":
        raise ValueError("the Mesa comparison needs a grid design (batch_run is a factorial)")
    # batch_run takes each parameter's distinct values and runs their full factorial
    parameters = {**design.fixed,
                  **{name: list(axis.values) for name, axis in swept_axes(config).items()}}
    seeds = [int(s) for s in replicate_seeds(config.seed, replicates)]
    n = len(design) * replicates
    rows: dict[str, list] = {}

    def batch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows["rows"] = mesa.batch_run(CrowdEstimation, parameters=parameters,
                                          number_processes=processes, rng=seeds, max_steps=0,
                                          data_collection_period=-1, display_progress=False)

    mesa_times = timings(batch, repeat)
    data = rows["rows"]

    model = get_model(config.model)
    model.warm_up()
    points = [(model.params_schema.model_validate(design.point(i)),
               np.array(seeds, dtype=np.int64)) for i in range(len(design))]
    metrics = config.recorded_metrics
    kern: dict[str, list] = {}

    def kernel():
        kern["out"] = [run_estimation_batch(p, s, tuple(dict.fromkeys(
            (*metrics, *MESA_METRICS)))) for p, s in points]

    kernel()  # warm
    kernel_times = timings(kernel, max(3, repeat))

    # same numbers? batch_run rows -> (point, seed); kernel values in the same order
    swept = list(design.columns)
    index = {tuple(design.point(i)[k] for k in swept): i for i in range(len(design))}
    seed_pos = {s: j for j, s in enumerate(seeds)}
    mismatches = 0
    seen = set()  # (point, seed) pairs: batch_run returns a row per agent when the model
    for row in data:  # collects agent reporters, each repeating its run's model figures
        i = index[tuple(row[k] for k in swept)]
        j = seed_pos[int(row["rng"])]
        seen.add((i, j))
        for name in MESA_METRICS:
            if row[name] != float(kern["out"][i][name][j]):
                mismatches += 1
    return {"runs": n, "points": len(design), "replicates": replicates,
            "processes": processes, "rows_returned": len(data),
            "mesa_batch_run": summarise(mesa_times, work=n),
            "kernel_same_seeds": summarise(kernel_times, work=n),
            "kernel_metrics": list(dict.fromkeys((*metrics, *MESA_METRICS))),
            "mesa_metrics_compared": list(MESA_METRICS),
            "runs_returned": len(seen),
            "identical": mismatches == 0 and len(seen) == n, "mismatches": mismatches}


def import_times(statement: str, repeat: int) -> dict[str, Any]:
    """Wall time of a fresh interpreter running ``statement``, and ``-X importtime``'s
    cumulative microseconds of the top-level packages it loads (from one extra run)."""
    walls = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        subprocess.run([_python(), "-c", statement], cwd=REPO_ROOT, env=_env(), check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - started)
    proc = subprocess.run([_python(), "-X", "importtime", "-c", statement], cwd=REPO_ROOT,
                          env=_env(), check=True, capture_output=True, text=True)
    packages: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)", line)
        if m and m.group(4) in PACKAGES and m.group(4) not in packages:
            packages[m.group(4)] = int(m.group(2)) / 1e6
    return {"statement": statement, "wall": summarise(walls), "package_cumulative_s": packages}


def measure_pool_startup(workers: int, repeat: int) -> dict[str, Any]:
    """Seconds from creating the sweep's kind of pool (spawned processes, init_worker) to
    every worker having run a one-run chunk (imports, numba cache load), and to shutdown."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, wait

    from sim.sweep.worker import ChunkTask, PointRuns, init_worker, run_chunk

    ctx = multiprocessing.get_context("spawn")
    tiny = [ChunkTask(index=i, model="estimation", base_seed=1, replicates=1,
                      metrics=("error_of_mean",), param_types={"n_agents": "int64"},
                      points=(PointRuns(0, 12345 + i, {"n_agents": 1000}, 0, 1),))
            for i in range(workers)]
    first, total = [], []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                   initializer=init_worker, initargs=(os.getpid(),))
        # one task per worker: a worker blocks in its first task's imports, so the
        # second task goes to the second worker once it is up
        futures = [pool.submit(run_chunk, t) for t in tiny]
        wait(futures)
        first.append(time.perf_counter() - started)
        pool.shutdown(wait=True)
        total.append(time.perf_counter() - started)
    return {"workers": workers, "until_all_tasks_done": summarise(first),
            "including_shutdown": summarise(total)}


def measure_chunk_path(config, repeat: int) -> dict[str, Any]:
    """In-process costs of the sweep path per run, timed interleaved (so that other load
    hits all parts alike): the bare kernel and metrics, deriving the seeds, ``run_chunk``
    on the config's chunks (seeds, validation, kernel, metrics, Arrow table) and writing
    each chunk's Parquet file."""
    from sim.models.estimation.sweep import run_batch as run_estimation_batch
    from sim.sweep.models import get_model
    from sim.sweep.runner import auto_chunk_size, plan_chunks
    from sim.sweep.store import SweepStore
    from sim.sweep.worker import run_chunk

    design, points, _ = _prepare(config)
    get_model(config.model).warm_up()
    chunk_size = config.chunk_size or auto_chunk_size(design, config.replicates)
    tasks = list(plan_chunks(design, config, chunk_size))
    n = len(design) * config.replicates
    metrics = config.recorded_metrics
    run_chunk(tasks[0])
    run_estimation_batch(*points[0], metrics)
    parts: dict[str, list[float]] = {"bare": [], "seeds": [], "run_chunk": [], "write": []}
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        for p, s in points:
            run_estimation_batch(p, s, metrics)
        parts["bare"].append(time.perf_counter() - started)
        started = time.perf_counter()
        _prepare(config)
        parts["seeds"].append(time.perf_counter() - started)
        started = time.perf_counter()
        chunks = [run_chunk(t) for t in tasks]
        parts["run_chunk"].append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="bench_sweep_store_") as tmp:
            store = SweepStore(tmp)
            started = time.perf_counter()
            for r in chunks:
                store.write_chunk(r)
            parts["write"].append(time.perf_counter() - started)
    out = {"chunk_size": chunk_size, "chunks": len(tasks), "runs": n}
    for name, times in parts.items():
        out[name] = summarise(times, work=n)
        out[f"{name}_us_per_run_median"] = 1e6 * statistics.median(times) / n
    out["seeds_note"] = "design build + run_seeds per point (bulk) + params validation per point"
    return out


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 runs, Mesa on 100, one repetition (smoke test)")
    parser.add_argument("--full", action="store_true",
                        help="accepted for run_all.py; nothing extra yet")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per figure (default 3; quick 1)")
    parser.add_argument("--mesa-repeat", type=int, default=1,
                        help="repetitions of Mesa's batch_run (default 1: ~10-30 s each)")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help=f"the 10,000-run sweep config (default {CONFIG.name})")
    parser.add_argument("--skip-mesa", action="store_true", help="do not run Mesa's batch_run")
    parser.add_argument("--skip-1e5", action="store_true",
                        help="do not time the 100,000-run sweep (skipped in --quick)")
    parser.add_argument("--big-repeat", type=int, default=1,
                        help="repetitions of the 100,000-run figures (default 1)")
    args = parser.parse_args(argv)

    from sim.config import load_yaml
    from sim.sweep.config import load_sweep_config

    quick = args.quick
    repeat = args.repeat or (1 if quick else 3)
    cpus = os.cpu_count() or 1
    results: dict[str, Any] = {"quick": quick, "repeat": repeat, "cpu_count": cpus,
                               "python": _python(), "config": str(args.config),
                               "bytecode_cache": _env().get("PYTHONPYCACHEPREFIX",
                                                            "beside the sources"),
                               "targets": {"end_to_end_over_bare": TARGET_SHARE_OF_BARE,
                                           "seconds_10k": TARGET_SECONDS,
                                           "mesa_over_crowdsim": TARGET_MESA_RATIO},
                               "load_average": {}}
    load = results["load_average"]
    load["start"] = load_average()

    raw = load_yaml(args.config)
    tmp_holder = tempfile.TemporaryDirectory(prefix="bench_sweep_cfg_")
    tmp = Path(tmp_holder.name)
    try:
        if quick:
            main_config_path = _write_config(raw, QUICK_REPLICATES, tmp, "bench_sweep_quick")
        else:
            main_config_path = args.config
        config = load_sweep_config(main_config_path)
        mesa_reps = QUICK_MESA_REPLICATES if quick else MESA_REPLICATES
        small_path = _write_config(raw, mesa_reps, tmp, f"bench_sweep_{mesa_reps}rep")
        small_config = load_sweep_config(small_path)
        n = _n_runs(config)
        results["runs"] = n
        results["config_used"] = config.model_dump(mode="json")
        print(f"Sweep {main_config_path.name}: {n:,} runs of "
              f"{config.fixed.get('n_agents')} agents ({config.design}, "
              f"{config.replicates} replicates), metrics {', '.join(config.recorded_metrics)}; "
              f"{repeat} repetition(s) per figure; {cpus} CPUs; load average {load['start']}",
              flush=True)

        # ---------------------------------------------------------------- bare kernel
        print("  bare kernel (one process, one thread)...", flush=True)
        bare, stored = measure_bare(config, repeat)
        results["bare"] = bare
        load["after_bare"] = load_average()

        # ---------------------------------------------------------------- CLI end to end
        modes = dict(MODES)
        report_option = _cli_supports("--no-report")
        results["cli_has_no_report_option"] = report_option
        if report_option:
            modes["default --no-report"] = ["--no-report"]
        print(f"  crowdsim sweep, {', '.join(modes)} ({repeat}x each, interleaved)...",
              flush=True)
        with tempfile.TemporaryDirectory(prefix="bench_sweep_warm_") as warm:
            # untimed: fills the bytecode cache (BYTECODE_CACHE) the timed commands read
            run_cli(small_path, ["--workers", "2"], Path(warm) / "out")
        results["cli"], frame = measure_cli(main_config_path, modes, repeat, keep_first=True)
        identity = check_identity(frame, stored)
        for label, r in results["cli"].items():
            if "wall" not in r:
                print(f"    {label} FAILED: {r['runs'][-1]['stderr_tail']}", flush=True)
        results["identity_sweep_vs_bare"] = identity or {"checked": False}

        # ---------------------------------------------------------------- 10^5 runs
        if not quick and not args.skip_1e5:
            big_path = _write_config(raw, BIG_REPLICATES, tmp, "bench_sweep_100k")
            big_config = load_sweep_config(big_path)
            big_modes = {label: MODES[label] for label in (*GOAL_MODES, "default")}
            print(f"  {_n_runs(big_config):,} runs: bare kernel and crowdsim sweep "
                  f"{', '.join(big_modes)} ({args.big_repeat}x, interleaved)...", flush=True)
            results["big"] = measure_big(big_config, big_path, big_modes, args.big_repeat)
            load["after_big"] = load_average()

        # ---------------------------------------------------------------- Mesa batch_run
        if not args.skip_mesa:
            m = _n_runs(small_config)
            print(f"  Mesa batch_run, {m:,} runs on 2 processes ({args.mesa_repeat}x), and the "
                  f"kernel on the same seeds...", flush=True)
            mesa_r = measure_mesa(small_config, small_config.replicates, 2, args.mesa_repeat)
            load["after_mesa"] = load_average()
            print(f"  crowdsim sweep on the same {m:,}-run grid ({repeat}x)...", flush=True)
            cli_small, _ = measure_cli(small_path, {label: MODES[label] for label in
                                                    ("default", "--workers 2")}, repeat)
            mesa_r["crowdsim_sweep"] = cli_small
            results["mesa"] = mesa_r
        load["after_mesa_cli"] = load_average()

        # ---------------------------------------------------------------- breakdown
        print("  breakdown: imports, worker start-up, chunk bookkeeping...", flush=True)
        breakdown: dict[str, Any] = {}
        statements = {
            "interpreter": "pass",
            "sweep_cli_path": "import sim.cli, sim.sweep.config, sim.sweep.runner, "
                              "sim.sweep.worker, sim.sweep.store",
            "worker_path": "import sim.sweep.worker, sim.sweep.store, sim.sweep.models",
            "mesa_alone": "import mesa",
        }
        breakdown["imports"] = {k: import_times(s, repeat) for k, s in statements.items()}
        breakdown["pool_startup"] = measure_pool_startup(2, repeat)
        breakdown["chunk_path"] = measure_chunk_path(config, repeat)
        breakdown["nogil_scaling_control"] = nogil_scaling(2) if cpus > 1 else None
        results["breakdown"] = breakdown
        load["end"] = load_average()
    finally:
        tmp_holder.cleanup()

    _report(results)
    results["goals"] = goal_rows(results)
    return results


def goal_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's sweep goals as :func:`_common.goal_row` rows: end-to-end rate / bare
    kernel rate at 10^4 and 10^5 runs with 1 and 2 workers, and the Mesa anchor."""
    rows = []
    sizes = [(results["runs"], results["bare"]["kernel_and_metrics"]["median_s"],
              results["cli"])]
    if "big" in results:
        big = results["big"]
        sizes.append((big["runs"], big["bare"]["median_s"], big["cli"]))
    for n in GOAL_SHARE_OF_BARE:
        if n not in [size[0] for size in sizes]:
            rows += [goal_row(f"sweep rate / bare kernel, {fmt_total(n)} runs, {label}", "-",
                              f">= {GOAL_SHARE_OF_BARE[n]}", None,
                              note="not measured in this mode (--quick or --skip-1e5)")
                     for label in GOAL_MODES]
    for n, bare_s, cli in sizes:
        goal = GOAL_SHARE_OF_BARE.get(n)
        for label in GOAL_MODES:
            r = cli.get(label, {})
            if "wall" not in r:
                rows.append(goal_row(f"sweep rate / bare kernel, {fmt_total(n)} runs, {label}",
                                     "FAILED", f">= {goal}" if goal else "-", False if goal
                                     else None))
                continue
            wall = r["wall"]["median_s"]
            share = bare_s / wall
            rows.append(goal_row(
                f"sweep rate / bare kernel, {fmt_total(n)} runs, {label}",
                f"{n / wall:,.0f} runs/s ({wall:.2f} s)",
                f">= {goal}" if goal else "- (smoke test size)",
                (share >= goal) if goal else None,
                anchor=f"{n / bare_s:,.0f} runs/s ({bare_s:.2f} s)", ratio=share,
                note=("" if goal else "quick size, not a goal's; ") +
                     f"executor: {r.get('executor')}"))
    mesa = results.get("mesa")
    if mesa and "wall" in mesa["crowdsim_sweep"].get("default", {}):
        ms = mesa["mesa_batch_run"]["median_s"]
        ws = mesa["crowdsim_sweep"]["default"]["wall"]["median_s"]
        rows.append(goal_row(f"mesa.batch_run / crowdsim sweep, {mesa['runs']:,} runs",
                             f"{ws:.2f} s (crowdsim, end to end)",
                             f">= {TARGET_MESA_RATIO:.0f}x (issue 3)",
                             ms / ws >= TARGET_MESA_RATIO,
                             anchor=f"{ms:.2f} s (batch_run, {mesa['processes']} processes)",
                             ratio=ms / ws))
    return rows


def _n_runs(config) -> int:
    from sim.sweep.design import build_design

    return len(build_design(config)) * config.replicates


# --------------------------------------------------------------------------- report

def _report(results: dict[str, Any]) -> None:
    n = results["runs"]
    bare = results["bare"]
    bare_rate = bare["kernel_and_metrics"]["rate_median"]
    bare_s = bare["kernel_and_metrics"]["median_s"]
    print()
    print(f"Sweep of {n:,} runs ({bare['points']} points x {bare['replicates']} replicates, "
          f"{bare['n_agents']:,} agents each); rates in runs per second (median of "
          f"{results['repeat']}):")
    rows = [["bare kernel: simulate_crowds only", "1 process", "-",
             fmt_seconds(bare["kernel_only"]["median_s"]),
             f"{bare['kernel_only']['rate_median']:,.0f}", "-", "-", "-"],
            ["bare kernel: run_estimation_batch (+metrics)", "1 process", "-",
             fmt_seconds(bare_s), f"{bare_rate:,.0f}", "1.00", "-", "-"]]
    summary: dict[str, Any] = {}
    for label, r in results["cli"].items():
        if "wall" not in r:
            rows.append([f"crowdsim sweep {label}", "FAILED", "", "", "", "", "", ""])
            continue
        wall, inner = r["wall"]["median_s"], r["in_process"]["median_s"]
        rate = n / wall
        share = rate / bare_rate
        overhead_us = 1e6 * (wall - bare_s) / n
        ok = share >= TARGET_SHARE_OF_BARE and wall < TARGET_SECONDS
        r.update(rate_over_bare=share, overhead_us_per_run=overhead_us,
                 in_process_overhead_us_per_run=1e6 * (inner - bare_s) / n,
                 verdict=_verdict(ok), under_a_minute=wall < TARGET_SECONDS)
        summary[label] = {"wall_s": wall, "rate": rate, "rate_over_bare": share,
                          "verdict": r["verdict"]}
        rows.append([f"crowdsim sweep {label}", r["executor"].replace("local worker ", ""),
                     f"{fmt_seconds(inner)} ({n / inner:,.0f}/s, "
                     f"{r['in_process_overhead_us_per_run']:+,.0f} us/run)", fmt_seconds(wall),
                     f"{rate:,.0f}", f"{share:.2f}", f"{overhead_us:,.0f} us",
                     r["verdict"]])
    print(table(rows, ["path", "executor", "in-process part", "wall (med)", "runs/s",
                       "/ bare", "overhead/run", f">={TARGET_SHARE_OF_BARE}x & <60 s"],
                "<<>>>>><"))
    ident = results["identity_sweep_vs_bare"]
    if ident.get("checked"):
        print(f"  stored metrics identical to the bare kernel's, run by run: "
              f"{'yes' if ident['identical'] else 'NO ' + str(ident['per_metric'])} "
              f"({ident['rows']:,} rows)")
    print("  overhead/run = (end-to-end wall - bare kernel+metrics) / runs; the in-process "
          "part is manifest.json's session seconds (lock to final manifest).")
    if results.get("cli_has_no_report_option") and "default --no-report" in summary:
        d = summary["default"]["wall_s"] - summary["default --no-report"]["wall_s"]
        spread = max(r["wall"]["median_s"] - r["wall"]["best_s"]
                     for r in results["cli"].values() if "wall" in r)
        note = " - within the noise" if abs(d) < spread else ""
        print(f"  the report the CLI writes after the sweep: {d:+.2f} s (default minus default "
              f"--no-report, medians of interleaved runs; median - best of a mode is up to "
              f"{spread:.2f} s{note})")

    big = results.get("big")
    if big:
        bare_s = big["bare"]["median_s"]
        print(f"\n{big['runs']:,} runs: bare kernel + metrics {fmt_seconds(bare_s)} "
              f"({big['runs'] / bare_s:,.0f}/s); end to end:")
        for label, r in big["cli"].items():
            if "wall" in r:
                wall = r["wall"]["median_s"]
                print(f"  crowdsim sweep {label:12s} {fmt_seconds(wall):>9s} "
                      f"({big['runs'] / wall:,.0f}/s) = {bare_s / wall:.2f}x the bare kernel's "
                      f"rate ({r['executor']})")
            else:
                print(f"  crowdsim sweep {label:12s} FAILED: {r['runs'][-1]['stderr_tail']}")

    mesa = results.get("mesa")
    if mesa:
        m = mesa["runs"]
        ms = mesa["mesa_batch_run"]["median_s"]
        print()
        print(f"Mesa batch_run vs crowdsim, the same {m:,} runs ({mesa['points']} points x "
              f"{mesa['replicates']} replicates) (target >= {TARGET_MESA_RATIO:.0f}x):")
        rows = [[f"mesa.batch_run, {mesa['processes']} processes", fmt_seconds(ms),
                 f"{m / ms:,.0f}", "1", "-"]]
        mesa["ratios"] = {}
        for label, r in mesa["crowdsim_sweep"].items():
            if "wall" not in r:
                continue
            w = r["wall"]["median_s"]
            ratio = ms / w
            mesa["ratios"][f"sweep {label} end to end"] = ratio
            rows.append([f"crowdsim sweep {label} (subprocess, end to end; "
                         f"{r['executor'].replace('local worker ', '')})", fmt_seconds(w),
                         f"{m / w:,.0f}", f"{ratio:,.1f}",
                         _verdict(ratio >= TARGET_MESA_RATIO)])
            inner = r["in_process"]["median_s"]
            ratio = ms / inner
            mesa["ratios"][f"sweep {label} in-process part"] = ratio
            rows.append(["  ... its in-process part", fmt_seconds(inner), f"{m / inner:,.0f}",
                         f"{ratio:,.1f}", _verdict(ratio >= TARGET_MESA_RATIO)])
        k = mesa["kernel_same_seeds"]["median_s"]
        ratio = ms / k
        mesa["ratios"]["kernel in-process, same seeds"] = ratio
        rows.append(["kernel + metrics in-process, batch_run's seeds, 1 thread",
                     fmt_seconds(k), f"{m / k:,.0f}", f"{ratio:,.0f}",
                     _verdict(ratio >= TARGET_MESA_RATIO)])
        print(table(rows, ["path", "time (med)", "runs/s", "Mesa / this",
                           f">={TARGET_MESA_RATIO:.0f}x"], "<>>><"))
        print(f"  batch_run's numbers ({', '.join(mesa['mesa_metrics_compared'])}) equal the "
              f"kernel's for the same (point, seed): "
              f"{'yes' if mesa['identical'] else f'NO ({mesa['mismatches']} mismatches)'}")

    b = results["breakdown"]
    print()
    print("Where the end-to-end time goes:")
    for key, label in (("interpreter", "python -c pass"),
                       ("sweep_cli_path", "the CLI process's sweep imports"),
                       ("worker_path", "a worker's imports (sweep.worker/store/models)"),
                       ("mesa_alone", "import mesa")):
        imp = b["imports"][key]
        top = sorted(imp["package_cumulative_s"].items(), key=lambda kv: -kv[1])[:5]
        print(f"  {label:48s} {fmt_seconds(imp['wall']['median_s']):>9s}  "
              + ", ".join(f"{p} {s:.2f} s" for p, s in top))
    ps = b["pool_startup"]
    print(f"  {'2 spawned workers up, one 1-run chunk each':48s} "
          f"{fmt_seconds(ps['until_all_tasks_done']['median_s']):>9s}  "
          f"(with shutdown {fmt_seconds(ps['including_shutdown']['median_s'])})")
    cp = b["chunk_path"]
    us = {k: cp[f"{k}_us_per_run_median"] for k in ("bare", "seeds", "run_chunk", "write")}
    print(f"  per run, in process, timed interleaved ({cp['chunks']} chunks of "
          f"{cp['chunk_size']}): run_chunk {us['run_chunk']:.1f} us = kernel+metrics "
          f"{us['bare']:.1f} us + seeds/validation {us['seeds']:.1f} us + the rest (Arrow "
          f"table, loops) {us['run_chunk'] - us['bare'] - us['seeds']:.1f} us; writing "
          f"Parquet {us['write']:.1f} us")
    ctl = b.get("nogil_scaling_control")
    if ctl:
        print(f"  control: a GIL-free numba loop speeds up {ctl['speedup_median']:.2f}x on 2 "
              f"threads right now (ideal 2x; less = the cores are shared with other work)")
    print("  load average (1/5/15 min): " + "; ".join(
        f"{k} {v}" for k, v in results["load_average"].items()))

    print()
    print("Targets (verdicts on the median figures):")
    for label, s in summary.items():
        print(f"  {label:22s}: {n:,} runs end to end in {s['wall_s']:.1f} s = "
              f"{s['rate']:,.0f} runs/s = {s['rate_over_bare']:.2f}x the bare kernel's "
              f"{bare_rate:,.0f} runs/s -> {s['verdict']}")
    if mesa and mesa.get("ratios"):
        for label, ratio in mesa["ratios"].items():
            print(f"  Mesa batch_run / {label}: {ratio:,.1f}x -> "
                  f"{_verdict(ratio >= TARGET_MESA_RATIO)}")
    results["summary"] = {"end_to_end": summary,
                          "mesa_ratios": mesa.get("ratios") if mesa else None}


if __name__ == "__main__":
    main(sys.argv[1:])

"""Start-up: import time of ``sim.sweep``, ``crowdsim --help``, first run saved on a cold cache.

What is measured (each in a fresh interpreter, ``time.perf_counter`` around the subprocess;
medians of the repetitions):

* **import of sim.sweep**: ``python -X importtime -c "import sim.sweep"``, the sum of the
  top-level entries' cumulative times (what the goal is stated on), and the wall time of
  ``python -c "import sim.sweep"``; anchor: ``python -c pass`` (the interpreter alone).
* **crowdsim --help**: the console script's wall time, warm (after one untimed call).
* **first run saved on a cold cache**: numba's cache pointed at an empty folder
  (``NUMBA_CACHE_DIR``, so the shared cache is left alone), then the set-up a fresh clone
  gets (``crowdsim warm`` when the command exists; timed apart), then
  ``crowdsim sweep`` of 100 runs of 1,000 agents, from launch until its first chunk file is
  on disk. Not in ``--quick`` (a cold compile can take a minute).

Goal rows (issue 14): import of sim.sweep <= 1.5 s; ``crowdsim --help`` < 1 s warm; first
run saved <= 10 s on a cold cache after set-up.

Run: ``.venv/bin/python benchmarks/run_all.py --only startup [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, fmt_seconds, goal_row, load_average, summarise

GOAL_IMPORT_S = 1.5
GOAL_HELP_S = 1.0
GOAL_FIRST_RUN_S = 10.0
#: The cold-start sweep: 10 points x 10 replicates of crowds of 1,000.
COLD_SWEEP = """model: estimation
seed: 1
design: grid
fixed: {n_agents: 1000, truth: 1000, noise: normal}
swept: {noise_scale: {linspace: [20, 200, 10]}}
replicates: 10
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _wall(cmd: list[str], repeat: int, **env: str) -> list[float]:
    walls = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=REPO_ROOT, env=_env(**env), check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    return walls


def import_time(statement: str, repeat: int) -> dict[str, Any]:
    """``-X importtime`` total (sum of top-level cumulative times) and wall time."""
    totals = []
    for _ in range(max(1, repeat)):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                              cwd=REPO_ROOT, env=_env(), check=True, capture_output=True,
                              text=True)
        total = 0
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)", line)
            if m and len(m.group(3)) == 1:  # top level: one space before the name
                total += int(m.group(2))
        totals.append(total / 1e6)
    walls = _wall([sys.executable, "-c", statement], repeat)
    return {"statement": statement, "importtime_total": summarise(totals),
            "wall": summarise(walls)}


def _crowdsim() -> list[str]:
    script = Path(sys.executable).parent / "crowdsim"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim"]


def first_run_cold(timeout: float = 600.0) -> dict[str, Any]:
    """Seconds from launching a small sweep to its first chunk file, numba's cache empty
    (after ``crowdsim warm`` if that command exists)."""
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        folder = Path(tmp)
        cache = folder / "numba-cache"
        cache.mkdir()
        config = folder / "cold.yaml"
        config.write_text(COLD_SWEEP)
        out: dict[str, Any] = {"numba_cache_dir": "empty temporary folder"}
        help_text = subprocess.run([*_crowdsim(), "--help"], cwd=REPO_ROOT, env=_env(),
                                   capture_output=True, text=True).stdout
        out["warm_command"] = bool(re.search(r"^\s+warm\s", help_text, re.MULTILINE))
        if out["warm_command"]:
            started = time.perf_counter()
            proc = subprocess.run([*_crowdsim(), "warm"], cwd=REPO_ROOT,
                                  env=_env(NUMBA_CACHE_DIR=str(cache)), capture_output=True,
                                  text=True, timeout=timeout)
            out["setup_s"] = time.perf_counter() - started
            out["setup_exit_code"] = proc.returncode
        sweep_out = folder / "sweep"
        started = time.perf_counter()
        process = subprocess.Popen([*_crowdsim(), "sweep", str(config), "--out",
                                    str(sweep_out), "--quiet", "--no-report"],
                                   cwd=REPO_ROOT, env=_env(NUMBA_CACHE_DIR=str(cache)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        first = None
        while time.perf_counter() - started < timeout:
            if first is None and any(sweep_out.glob("runs-*.parquet")):
                first = time.perf_counter() - started
            if process.poll() is not None:
                break
            time.sleep(0.02)
        if first is None and any(sweep_out.glob("runs-*.parquet")):
            first = time.perf_counter() - started
        if process.poll() is None:
            process.kill()
        process.wait()
        out.update(first_run_s=first, total_s=time.perf_counter() - started,
                   exit_code=process.returncode)
        return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no cold start")
    parser.add_argument("--full", action="store_true", help="accepted for run_all.py")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repetitions per figure (default 5; quick 1)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 5)
    results: dict[str, Any] = {"quick": args.quick, "repeat": repeat,
                               "load_average_start": load_average()}

    print("  python -c pass, import sim.sweep, crowdsim --help...", flush=True)
    interpreter = summarise(_wall([sys.executable, "-c", "pass"], repeat))
    results["interpreter"] = interpreter
    results["import_sim_sweep"] = imp = import_time("import sim.sweep", repeat)
    _wall([*_crowdsim(), "--help"], 1)  # warm: .pyc files and the OS's file cache
    results["crowdsim_help"] = helped = summarise(_wall([*_crowdsim(), "--help"], repeat))
    if not args.quick:
        print("  first run saved on a cold numba cache (up to a few minutes)...", flush=True)
        results["cold_start"] = first_run_cold()
    results["load_average_end"] = load_average()

    base = interpreter["median_s"]
    total = imp["importtime_total"]["median_s"]
    print(f"\n  python -c pass               {fmt_seconds(base):>9s}")
    print(f"  import sim.sweep (importtime) {fmt_seconds(total):>9s}  (wall of the whole "
          f"python -c: {fmt_seconds(imp['wall']['median_s'])})")
    print(f"  crowdsim --help (warm)        {fmt_seconds(helped['median_s']):>9s}")
    rows = [goal_row("import sim.sweep (-X importtime total)", fmt_seconds(total),
                     f"<= {GOAL_IMPORT_S} s", total <= GOAL_IMPORT_S,
                     anchor=f"{fmt_seconds(base)} (python -c pass)"),
            goal_row("crowdsim --help, warm", fmt_seconds(helped["median_s"]),
                     f"< {GOAL_HELP_S} s", helped["median_s"] < GOAL_HELP_S,
                     anchor=f"{fmt_seconds(base)} (python -c pass)")]
    cold = results.get("cold_start")
    if cold is None:
        rows.append(goal_row("first run saved, cold numba cache after set-up", "-",
                             f"<= {GOAL_FIRST_RUN_S} s", None, note="not measured in --quick"))
    else:
        first = cold["first_run_s"]
        setup = (f"after `crowdsim warm` ({cold['setup_s']:.1f} s)" if cold["warm_command"]
                 else "no `crowdsim warm` command: no set-up step")
        print(f"  first run saved, cold cache   {fmt_seconds(first):>9s}  ({setup})")
        rows.append(goal_row("first run saved, cold numba cache after set-up",
                             fmt_seconds(first) if first is not None else "none saved",
                             f"<= {GOAL_FIRST_RUN_S} s",
                             first is not None and first <= GOAL_FIRST_RUN_S,
                             note=f"crowdsim sweep of 100 runs of 1,000 agents; {setup}"))
    results["goals"] = rows
    results["medians"] = {"interpreter_s": base, "import_sim_sweep_s": total,
                          "crowdsim_help_s": helped["median_s"],
                          "import_walls_s": statistics.median(imp["wall"]["times_s"])}
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run crowdsim's speed benchmarks and record their results (``make bench``).

Every module ``benchmarks/bench_<name>.py`` defines ``main(argv) -> dict``: it prints its own
readable report as it goes and returns JSON-serialisable results. Each accepts ``--quick``
(small sizes: a smoke test of the benchmark itself, not figures to quote) and ``--full``
(also the slow measurements skipped by default).

This runner writes, per benchmark, ``benchmarks/out/<name>.json`` (``<name>.quick.json``
with ``--quick``, so a smoke test never overwrites real figures), atomically, holding the
machine's description (CPU count and model, Python, numpy/numba/mesa versions, date, git
commit, load average before and after), the options and the results.

Usage::

    .venv/bin/python benchmarks/run_all.py                  # every benchmark, default sizes
    .venv/bin/python benchmarks/run_all.py --quick          # smoke test
    .venv/bin/python benchmarks/run_all.py --only estimation --full
    .venv/bin/python benchmarks/run_all.py --list

Options this runner does not know are passed on to the benchmarks' ``main``.

At the end it prints one table of the goals of issue 14: every benchmark may return
``results["goals"]``, a list of :func:`_common.goal_row` dicts (figure, measured, anchor,
ratio, goal, met, note), measured side by side with its anchor in the same run. The table is
also written to ``benchmarks/out/goals.json`` (``goals.quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, OUT_DIR, atomic_write_json, goal_table, load_average, machine_info


def discover() -> dict[str, Path]:
    """Benchmark names (``bench_<name>.py`` without the prefix) and their files, sorted."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(BENCH_DIR.glob("bench_*.py"))}


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _normalise(name: str) -> str:
    name = Path(name).name.removesuffix(".py")
    return name.removeprefix("bench_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Unknown options are passed to every selected benchmark's main(argv).")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="benchmarks to run (default: all), e.g. 'estimation'")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a smoke test; writes <name>.quick.json")
    parser.add_argument("--full", action="store_true",
                        help="also the slow measurements (e.g. the Mesa model at 1e7 agents)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR,
                        help=f"where to write <name>.json (default {OUT_DIR})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args, passthrough = parser.parse_known_args(argv)

    available = discover()
    if args.list:
        for name, path in available.items():
            print(f"{name:20s} {path.relative_to(BENCH_DIR.parent)}")
        return 0
    wanted = [_normalise(n) for n in [*args.names, *args.only]] or list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; "
                     f"available: {', '.join(available) or 'none'}")
    if args.quick and args.full:
        parser.error("--quick and --full exclude each other")

    bench_argv = (["--quick"] if args.quick else []) + (["--full"] if args.full else [])
    bench_argv += passthrough
    mode = "quick" if args.quick else "full" if args.full else "default"

    machine = machine_info()
    print(f"crowdsim benchmarks ({mode}) - {machine['date']}")
    print(f"  CPU: {machine['cpu_model']} - os.cpu_count() = {machine['cpu_count']} "
          f"(usable: {machine['cpus_usable']})")
    print(f"  Python {machine['python']}, numpy {machine['numpy']}, numba {machine['numba']}, "
          f"mesa {machine['mesa']}; {machine['platform']}")
    print(f"  git {machine['git_commit'] and machine['git_commit'][:12]}"
          f"{' (uncommitted changes)' if machine['git_dirty'] else ''}; "
          f"load average (1/5/15 min) {machine['load_average_1_5_15']}")
    if machine["load_average_1_5_15"] and machine["load_average_1_5_15"][0] > 0.5:
        print("  note: the machine is not idle; other processes slow the figures down.")

    failures = []
    goals: list[dict] = []
    for name in wanted:
        print(f"\n=== {name} ({available[name].name}) " + "=" * max(0, 60 - len(name)), flush=True)
        started = time.perf_counter()
        load_before = load_average()
        record = {"benchmark": name, "mode": mode, "argv": bench_argv, "machine": machine,
                  "load_average_before": load_before}
        try:
            results = load(name, available[name]).main(bench_argv)
            record["status"] = "ok"
        except (Exception, SystemExit) as exc:  # SystemExit: an option its parser rejects
            traceback.print_exc()
            results = None
            record["status"] = "error"
            record["error"] = f"{type(exc).__name__}: {exc}"
            failures.append(name)
        record["duration_s"] = round(time.perf_counter() - started, 3)
        record["load_average_after"] = load_average()
        record["results"] = results
        if isinstance(results, dict):
            goals += [{**row, "benchmark": name} for row in results.get("goals", [])]
        suffix = ".quick.json" if args.quick else ".json"
        path = args.out_dir / f"{name}{suffix}"
        atomic_write_json(path, record)
        print(f"\n[{name}: {record['status']} in {record['duration_s']:.1f} s; "
              f"results written to {path}]", flush=True)

    if goals:
        print(f"\n=== goals of issue 14 ({mode}; each measured against its anchor in the same "
              "run) ===")
        print(goal_table(goals))
        for row in goals:
            if row.get("note"):
                print(f"  {row['figure']}: {row['note']}")
        if args.quick:
            print("  (--quick: small sizes, one repetition; a smoke test, not figures to quote)")
        suffix = ".quick.json" if args.quick else ".json"
        atomic_write_json(args.out_dir / f"goals{suffix}",
                          {"mode": mode, "machine": machine, "goals": goals})
    if failures:
        print(f"\nFAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

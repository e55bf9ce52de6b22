"""The default calibration: ``crowdsim calibrate configs/datasets/becker2017.yaml``.

Target (issue 10): within 3 minutes on 2 cores. What is measured, in one process:

* the anchor: one simulation of all 152 Becker groups measured as the calibration measures
  them (:meth:`sim.inference.simulate.GroupSimulator.statistics`), median of 50 calls;
* the default calibration (cross-validation of the four rule sets over 2 folds, then the
  chosen one on all groups) with ``--workers 1`` and, with ``--full``, ``--workers 2``;

reported as seconds and as a ratio to the anchor (how many simulations' worth of time the
whole calibration costs, which is what stays comparable on a shared, noisy machine).
``--quick``: a small population and 2 generations (a smoke test, not a figure to quote).

Run: ``.venv/bin/python benchmarks/run_all.py --only calibrate [--quick | --full]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import REPO_ROOT, summarise, timings

SPEC = REPO_ROOT / "configs" / "datasets" / "becker2017.yaml"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true")
    args, _ = parser.parse_known_args(argv)

    from sim.analysis.specs import load_observed, load_spec
    from sim.inference.calibrate import AbcSettings, calibrate
    from sim.inference.simulate import GroupSimulator

    simulator = GroupSimulator(load_observed(load_spec(SPEC)), 1)
    rng = np.random.default_rng(1)
    rules = {"social_weight": 0.3, "distance_scale": 1.0, "asymmetry": 0.2, "drift": 0.05,
             "drift_noise": 0.1}
    anchor = summarise(timings(lambda: simulator.statistics(rules, rng), 50))
    print(f"anchor: one simulation of the 152 groups, measured: "
          f"{1e3 * anchor['median_s']:.2f} ms (median)")
    settings = (AbcSettings(population_size=40, generations=2, cv_population_size=30,
                            cv_generations=2, predictive_draws=10)
                if args.quick else AbcSettings())
    results = {"anchor_seconds": anchor["median_s"], "calibrations": {}}
    for workers in ((1, 2) if args.full else (1,)):
        started = time.perf_counter()
        record = calibrate(SPEC, seed=1, settings=settings, workers=workers)
        seconds = time.perf_counter() - started
        results["calibrations"][f"workers={workers}"] = {
            "seconds": seconds, "ratio_to_anchor": seconds / anchor["median_s"],
            "model": record["model"], "simulations_final_fit": record["abc"]["simulations"],
            "within_3_minutes": seconds <= 180}
        print(f"default calibration, workers={workers}: {seconds:.1f} s "
              f"({seconds / anchor['median_s']:.0f} x the anchor), chose {record['model']}, "
              f"{'within' if seconds <= 180 else 'OVER'} the 3-minute target")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])

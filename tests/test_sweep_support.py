"""Helpers shared by the sweep tests (this module holds no tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

#: A small grid every test can afford: 6 points x 5 replicates = 30 runs.
SMALL_GRID = {
    "model": "estimation",
    "seed": 11,
    "design": "grid",
    "fixed": {"n_agents": 30, "truth": 100, "noise": "normal"},
    "swept": {"noise_scale": [5.0, 10.0, 20.0], "correlation": [0.0, 0.5]},
    "replicates": 5,
    "metrics": ["error_of_mean", "error_of_median", "diversity", "woc_indicator"],
}

#: 12 points x 200 replicates of crowds of 6,000: a second or two of work in 120 chunks of
#: 20 runs, so there is time to interrupt a sweep (or kill a worker) after the first chunks.
HEAVY = {"fixed": {"n_agents": 6_000, "truth": 100, "noise": "normal"},
         "swept": {"noise_scale": [5.0, 10.0, 20.0, 40.0], "correlation": [0.0, 0.3, 0.6]},
         "replicates": 200, "chunk_size": 20}


def write_config(folder: Path, name: str = "sweep.yaml", **fields) -> Path:
    """SMALL_GRID with ``fields`` replaced, written as ``folder/name``."""
    path = Path(folder) / name
    path.write_text(yaml.safe_dump({**SMALL_GRID, **fields}, sort_keys=False),
                    encoding="utf-8")
    return path


def reference_sweep(folder: Path, name: str, settings: dict) -> Path:
    """Write config ``NAME.yaml`` with ``settings`` in ``folder`` and run it uninterrupted (in
    this process) into ``folder/reference``; the config's path."""
    from sim.sweep.config import load_sweep_config
    from sim.sweep.runner import run_sweep

    config = write_config(folder, f"{name}.yaml", **settings)
    run_sweep(load_sweep_config(config), folder / "reference", name=name, workers=1,
              quiet=True, log=None)
    return config


def sweep_command(*args: str) -> list[str]:
    """``python -m sim sweep ARGS`` with this interpreter."""
    return [sys.executable, "-m", "sim", *args]


def cli_env() -> dict[str, str]:
    return dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")


def run_sim(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` to completion."""
    return subprocess.run(sweep_command(*args), cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=timeout)


@contextmanager
def running_sim(*args: str, cwd: Path) -> Iterator[subprocess.Popen]:
    """Start ``python -m sim ARGS`` (output captured as text); kill it on leaving the block if
    it still runs, so that no test leaves a process behind."""
    process = subprocess.Popen(sweep_command(*args), cwd=cwd, env=cli_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def chunk_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("runs-*.parquet"))


def wait_for_chunks(process: subprocess.Popen, folder: Path, count: int = 1,
                    timeout: float = 240) -> None:
    """Wait until ``folder`` holds ``count`` chunk files, asserting that ``process`` still runs.

    The default timeout allows for a cold numba compile, which takes 30-40 s under load.
    """
    deadline = time.monotonic() + timeout
    while len(chunk_files(folder)) < count:
        assert process.poll() is None, f"process ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "no chunk written in time"
        time.sleep(0.02)

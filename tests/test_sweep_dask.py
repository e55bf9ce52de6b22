"""Sweeps on a real Dask cluster: a scheduler and workers started as separate processes on
127.0.0.1, as ``dask scheduler`` and ``dask worker`` would be on a cluster's machines."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal
from test_sweep_support import (
    HEAVY,
    SMALL_GRID,
    chunk_files,
    cli_env,
    run_sim,
    sweep_command,
    write_config,
)

from sim.sweep import results
from sim.sweep.config import load_sweep_config
from sim.sweep.runner import run_sweep

distributed = pytest.importorskip("distributed")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def dask_cluster(folder: Path, n_workers: int):
    """Start ``dask scheduler`` and ``n_workers`` single-threaded ``dask worker`` processes
    (no nanny, so killing one kills the worker itself); always tear them down."""
    processes: list[subprocess.Popen] = []
    logs = []
    env = dict(cli_env(), NUMBA_NUM_THREADS="1")

    def start(args: list[str], name: str) -> subprocess.Popen:
        log = open(folder / f"{name}.log", "w")  # noqa: SIM115 - closed in the finally below
        logs.append(log)
        process = subprocess.Popen([sys.executable, "-m", *args], cwd=folder, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    try:
        scheduler_file = folder / "scheduler.json"
        scheduler = start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                           "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                          "scheduler")
        _wait(lambda: scheduler_file.exists() or scheduler.poll() is not None, 60,
              "the scheduler")
        assert scheduler.poll() is None, (folder / "scheduler.log").read_text()
        _wait(lambda: "address" in scheduler_file.read_text(), 10, "the scheduler file")
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [start(["distributed.cli.dask_worker", address, "--nthreads", "1",
                          "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                          "--name", f"worker-{i}", "--local-directory", str(folder / f"w{i}")],
                         f"worker-{i}") for i in range(n_workers)]
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(n_workers, timeout=60)
        yield address, workers
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        for log in logs:
            log.close()


def test_a_sweep_on_a_dask_cluster_equals_a_local_one(tmp_path):
    config = write_config(tmp_path, replicates=20)
    local = tmp_path / "local"
    run_sweep(load_sweep_config(config), local, name="sweep", workers=1, quiet=True, log=None)
    with dask_cluster(tmp_path, n_workers=1) as (address, _workers):
        done = run_sim("sweep", str(config), "--out", str(tmp_path / "dask"),
                       "--scheduler", address, "--chunk-size", "9", cwd=tmp_path,
                       timeout=300)  # generous: a worker may compile the kernel first
    assert done.returncode == 0, done.stderr
    assert f"on the Dask cluster at {address}" in done.stdout
    assert_frame_equal(results.load(tmp_path / "dask"), results.load(local))
    assert len(results.load(local)) == 6 * 20 == len(SMALL_GRID["swept"]["noise_scale"]) * 40


def test_a_sweep_survives_a_worker_killed_mid_sweep(tmp_path):
    config = write_config(tmp_path, **HEAVY)
    reference = tmp_path / "local"
    run_sweep(load_sweep_config(config), reference, name="sweep", workers=1, quiet=True,
              log=None)
    out = tmp_path / "dask"
    with dask_cluster(tmp_path, n_workers=2) as (address, workers):
        sweep = subprocess.Popen(sweep_command("sweep", str(config), "--out", str(out),
                                               "--scheduler", address),
                                 cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            _wait(lambda: (out.is_dir() and len(chunk_files(out)) >= 3)
                  or sweep.poll() is not None, 120, "the first chunks")
            assert sweep.poll() is None, f"sweep ended early: {sweep.communicate()}"
            chunks_at_kill = len(chunk_files(out))
            workers[0].kill()  # SIGKILL: the worker vanishes with whatever it was running
            workers[0].wait(timeout=15)
            stdout, stderr = sweep.communicate(timeout=300)
        finally:
            if sweep.poll() is None:
                sweep.kill()
                sweep.communicate()
    assert chunks_at_kill < 120
    assert sweep.returncode == 0, stderr
    assert "2,400 done, 0 failed, 0 pending" in stdout
    assert_frame_equal(results.load(out), results.load(reference))

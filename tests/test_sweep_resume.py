"""Interrupted sweeps resume: after a SIGKILL at a random moment and after Ctrl-C, running
the same command again completes the sweep with exactly the data of an uninterrupted one."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time

import psutil
import pytest
from pandas.testing import assert_frame_equal
from test_sweep_support import HEAVY, chunk_files, cli_env, run_sim, sweep_command, write_config

from sim.sweep import results
from sim.sweep.config import load_sweep_config
from sim.sweep.runner import run_sweep

N_CHUNKS = 12 * 200 // 20


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    """The config file, and the data of an uninterrupted sweep of it (in this process)."""
    folder = tmp_path_factory.mktemp("heavy")
    config = write_config(folder, "heavy.yaml", **HEAVY)
    run_sweep(load_sweep_config(config), folder / "reference", name="heavy", workers=1,
              quiet=True, log=None)
    return config, results.load(folder / "reference")


def start_sweep(config, out, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(sweep_command("sweep", str(config), "--out", str(out), *extra),
                            cwd=out.parent, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_chunks(process: subprocess.Popen, out, count: int = 1,
                    timeout: float = 240) -> None:  # a cold numba compile takes 30-40 s under load
    deadline = time.monotonic() + timeout
    while not (out.is_dir() and len(chunk_files(out)) >= count):
        assert process.poll() is None, f"sweep ended early: {process.communicate()}"
        assert time.monotonic() < deadline, "no chunk written in time"
        time.sleep(0.02)


def wait_gone(processes: list[psutil.Process], timeout: float = 15) -> list[psutil.Process]:
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


def test_resume_after_sigkill_at_a_random_moment(tmp_path, heavy):
    config, expected = heavy
    out = tmp_path / "killed"
    process = start_sweep(config, out, "--workers", "2")
    try:
        # a random moment: after 1 to 15 of the 120 chunks, plus up to 50 ms
        wait_for_chunks(process, out, count=random.randint(1, 15))
        time.sleep(random.uniform(0.0, 0.05))
        assert process.poll() is None, "the sweep finished before it could be killed"
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGKILL
    # the worker processes notice their parent is gone and exit: no orphans
    assert not wait_gone(workers), "worker processes outlived the killed sweep"
    done_before = len(chunk_files(out))
    assert 0 < done_before < N_CHUNKS
    # what a reader sees of the unfinished sweep is a consistent subset
    partial = results.load(out)
    assert_frame_equal(partial, expected[expected.run_id.isin(partial.run_id)]
                       .reset_index(drop=True))

    # resumed in one process: the data depend neither on the interruption nor the workers
    rerun = run_sim("sweep", str(config), "--out", str(out), "--workers", "1", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming" in rerun.stdout
    assert len(chunk_files(out)) == N_CHUNKS
    resumed = results.load(out)
    assert resumed.run_id.is_unique
    assert_frame_equal(resumed, expected)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert len(manifest["timings"]["sessions"]) == 2
    assert manifest["timings"]["sessions"][1]["runs"] == 2400 - 20 * done_before
    assert not list(out.glob(".runs-*")), "a half-written chunk was left behind"


def test_ctrl_c_saves_what_is_done_exits_130_and_resumes(tmp_path, heavy):
    config, expected = heavy
    out = tmp_path / "interrupted"
    process = start_sweep(config, out, "--workers", "1")
    try:
        wait_for_chunks(process, out)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    saved = len(chunk_files(out))
    assert manifest["counts"]["done"] == 20 * saved < 2400

    rerun = run_sim("sweep", str(config), "--out", str(out), "--workers", "1", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert_frame_equal(results.load(out), expected)

"""Interrupted sweeps resume: after a SIGKILL at a random moment and after Ctrl-C, running
the same command again completes the sweep with exactly the data of an uninterrupted one."""

from __future__ import annotations

import json
import random
import signal
import time

import psutil
import pytest
from pandas.testing import assert_frame_equal
from test_sweep_support import (
    HEAVY,
    chunk_files,
    reference_sweep,
    run_sim,
    running_sim,
    wait_for_chunks,
)

from sim.sweep import results

N_CHUNKS = 12 * 200 // 20


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    """The config file, and the data of an uninterrupted sweep of it (in this process)."""
    folder = tmp_path_factory.mktemp("heavy")
    return reference_sweep(folder, "heavy", HEAVY), results.load(folder / "reference")


def sweeping(config, out, *extra: str):
    """The sweep of ``config`` into ``out`` running in a new process (a context manager)."""
    return running_sim("sweep", str(config), "--out", str(out), *extra, cwd=out.parent)


def wait_gone(processes: list[psutil.Process], timeout: float = 15) -> list[psutil.Process]:
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


def test_resume_after_sigkill_at_a_random_moment(tmp_path, heavy):
    config, expected = heavy
    out = tmp_path / "killed"
    with sweeping(config, out, "--workers", "2") as process:
        # a random moment: after 1 to 15 of the 120 chunks, plus up to 50 ms
        wait_for_chunks(process, out, count=random.randint(1, 15))
        time.sleep(random.uniform(0.0, 0.05))
        assert process.poll() is None, "the sweep finished before it could be killed"
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
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
    with sweeping(config, out, "--workers", "1") as process:
        wait_for_chunks(process, out)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
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

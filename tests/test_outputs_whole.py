"""Outputs that are whole, and operating-system errors as one line.

Output paths are tried before any work (exit 2, nothing written); an OS error during the
work is one line with exit 1 and what was saved resumes; a ``crowdsim run`` replaces its
previous output only once the new one is complete; run and sweep folders refuse each other;
a reader that goes away (``| head``) ends the command quietly. Mounting (a read-only folder, a
full disk) needs root: those tests are skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, assert_one_line_error

import experiments
from experiments import _runner
from experiments._runner import Execution, run_experiment
from sim.cli import main

#: A small experiment (one stage of 2 points x ``replicates`` crowds of 10, a table, one
#: figure): the runner is under test, not a model.
TINY_EXPERIMENT = '''
"""A tiny experiment for the output tests."""

from pathlib import Path

import pandas as pd
from pydantic import Field

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig


class Config(ExperimentConfig):
    replicates: int = Field(2, ge=1, description="crowds per point")


def run(config: Config, engine: Engine) -> Outcome:
    runs = engine.run(Stage("crowds", "estimation",
                            [{"correlation": 0.0}, {"correlation": 0.5}], config.replicates,
                            fixed={"n_agents": 10}, metrics=["error_of_mean"]))
    table = runs.groupby("correlation", as_index=False)["error_of_mean"].mean()
    return Outcome(summary={"runs": len(runs)}, tables={"points": table},
                   verdicts=[{"effect": "runs", "data": None, "simulation": len(runs),
                              "reproduced": None, "note": ""}])


def figures(out_dir: Path, summary: dict) -> list[Path]:
    import matplotlib.pyplot as plt

    from sim.plots import save

    table = pd.read_parquet(Path(out_dir) / "points.parquet")
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(table.correlation, table.error_of_mean, "o")
    return save(fig, Path(out_dir) / "errors", summary["provenance"])
'''

SWEEP_CONFIG = """model: estimation
seed: 1
design: grid
fixed: {n_agents: 20}
swept: {correlation: [0.0, 0.5]}
replicates: 2
"""

QUIET = Execution(workers=1, quiet=True)
#: Another config into the same folder: its stages start again (the old stages hold
#: another config's runs).
FRESH = Execution(workers=1, quiet=True, fresh=True)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """The tiny experiment registered as ``tiny_whole``; returns a config writer."""
    (tmp_path / "tiny_whole.py").write_text(TINY_EXPERIMENT, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(experiments.EXPERIMENTS, "tiny_whole", "tiny_whole")
    monkeypatch.delitem(sys.modules, "tiny_whole", raising=False)
    monkeypatch.chdir(tmp_path)

    def config(replicates: int = 2) -> Path:
        path = tmp_path / f"tiny-{replicates}.yaml"
        path.write_text(f"experiment: tiny_whole\nseed: 3\nreplicates: {replicates}\n",
                        encoding="utf-8")
        return path

    return config


@pytest.fixture
def sweep_config(tmp_path) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP_CONFIG, encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes), the lock aside."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _error(capsys, *mentions: str) -> str:
    return assert_one_line_error(capsys.readouterr().err, *mentions)


@contextlib.contextmanager
def _tmpfs(folder: Path, *options: str):
    """A tmpfs mounted on ``folder`` (created) with ``options``; skip when we cannot mount."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (a read-only or full disk cannot be made "
                    "otherwise: root ignores permission bits, a user cannot mount)")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(disk: Path, leave_kib: int) -> Path:
    """Fill ``disk`` with a file, then free ``leave_kib`` KiB of it; return the file."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:  # until the disk is full
            handle.write(bytes(4096))
    os.truncate(filler, max(0, filler.stat().st_size - leave_kib * 1024))
    return filler


# ---------------------------------------------------------------------------------------------
# --out (and --figure, --csv) tried before any work


def test_out_through_a_file_is_refused_by_every_command_before_any_work(tmp_path, tiny,
                                                                        sweep_config, capsys):
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    commands = [["run", str(tiny())], ["sweep", str(sweep_config)],
                ["calibrate", "no-spec.yaml"], ["predict", "no-calibration.json", "no.yaml"]]
    before = _files(tmp_path)
    for command in commands:
        assert main([*command, "--out", "afile/sub", "--quiet"
                     if command[0] in ("run", "sweep", "calibrate") else "--json"]) == 2
        _error(capsys, "--out", "afile/sub", "afile is a file, not a folder")
    assert _files(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_out_the_system_refuses_is_one_line_before_the_run(tmp_path, tiny, sweep_config,
                                                              capsys, command):
    config = tiny() if command == "run" else sweep_config
    assert main([command, str(config), "--out", "/proc/forbidden", "--quiet"]) == 2
    _error(capsys, "--out", "/proc/forbidden", "No such file or directory")
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "runs").exists()


def test_a_figure_or_csv_through_a_file_is_refused_before_any_work(tmp_path, capsys):
    data = tmp_path / "guesses.csv"
    data.write_text("estimate\n1\n2\n3\n", encoding="utf-8")
    (tmp_path / "folder.png").mkdir()
    assert main(["analyze", str(data), "--column", "estimate", "--truth", "2",
                 "--figure", "/etc/passwd/h.png"]) == 2
    _error(capsys, "--figure", "/etc/passwd/h.png", "/etc/passwd is a file, not a folder")
    assert main(["analyze", str(data), "--column", "estimate", "--truth", "2",
                 "--figure", str(tmp_path / "folder.png")]) == 2
    _error(capsys, "--figure", "is a folder")
    assert main(["results", str(tmp_path), "--csv", "/etc/passwd/points.csv"]) == 2
    _error(capsys, "--csv", "/etc/passwd is a file")


def test_a_read_only_output_folder_is_refused_before_any_work(tmp_path, tiny, sweep_config,
                                                              capsys):
    # a finished experiment and a finished sweep, then their disk made read-only
    disk = tmp_path / "disk"
    with _tmpfs(disk, "size=8m"):
        run_experiment(tiny(), disk / "experiment", QUIET, report=False, log=None)
        assert main(["sweep", str(sweep_config), "--out", str(disk / "sweep"), "--quiet",
                     "--workers", "1", "--no-report"]) == 0
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)],
                                   capture_output=True, text=True)
        if remounted.returncode:
            pytest.skip(f"cannot remount the tmpfs read-only: {remounted.stderr.strip()}")
        before = _files(disk)
        for command in (["run", str(tiny(3)), "--out", str(disk / "experiment"), "--quiet"],
                        ["run", str(tiny(3)), "--out", str(disk / "new"), "--quiet"],
                        ["sweep", str(sweep_config), "--out", str(disk / "sweep"), "--fresh"],
                        ["figures", str(disk / "experiment")],
                        ["report", str(disk / "sweep")],
                        ["calibrate", "no-spec.yaml", "--out", str(disk / "calibration")]):
            assert main(command) == 2, command
            _error(capsys, "read-only file system")
        assert _files(disk) == before


def test_the_write_check_leaves_nothing_behind(tmp_path):
    from sim.io import check_writable_file, check_writable_folder

    check_writable_folder(tmp_path / "a" / "b" / "c")
    check_writable_file(tmp_path / "d" / "e.png", "--figure")
    check_writable_folder(tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# OS errors during the work: one line, exit 1, what was saved resumes


def test_a_full_disk_stops_a_sweep_with_one_line_and_it_resumes(tmp_path, sweep_config,
                                                                capsys, monkeypatch):
    from pandas.testing import assert_frame_equal

    from sim.sweep.results import load
    from sim.sweep.store import SweepStore

    reference = tmp_path / "reference"
    command = ["sweep", str(sweep_config), "--workers", "1", "--chunk-size", "1",
               "--quiet", "--no-report"]
    assert main([*command, "--out", str(reference)]) == 0
    with _tmpfs(tmp_path / "disk", "size=1m") as disk:
        write_chunk = SweepStore.write_chunk

        def disk_full_after_one_chunk(store, result):
            write_chunk(store, result)
            if not (disk / "filler").exists():
                _fill(disk, leave_kib=0)

        out = disk / "sweep"
        with monkeypatch.context() as patch:
            patch.setattr(SweepStore, "write_chunk", disk_full_after_one_chunk)
            assert main([*command, "--out", str(out)]) == 1
        _error(capsys, str(out), "No space left on device")
        assert len(list(out.glob("runs-*.parquet"))) == 1
        assert main([*command, "--out", str(out)]) == 1  # still full when resumed
        _error(capsys, str(out), "No space left on device")
        (disk / "filler").unlink()
        assert main([*command, "--out", str(out)]) == 0
        assert_frame_equal(load(out), load(reference))


def test_a_full_disk_stops_a_run_with_one_line_and_it_completes(tmp_path, tiny, capsys,
                                                                monkeypatch):
    config = tiny()
    reference = run_experiment(config, tmp_path / "reference", QUIET, log=None)
    command = ["run", str(config), "--workers", "1", "--quiet"]
    import tiny_whole

    with _tmpfs(tmp_path / "disk", "size=1m") as disk:
        run = tiny_whole.run

        def disk_full_after_the_stage(config, engine):
            outcome = run(config, engine)
            _fill(disk, leave_kib=0)
            return outcome

        out = disk / "experiment"
        with monkeypatch.context() as patch:
            patch.setattr(tiny_whole, "run", disk_full_after_the_stage)
            assert main([*command, "--out", str(out)]) == 1
        _error(capsys, str(out), "No space left on device")
        assert (out / "runs" / "crowds" / "runs-000000.parquet").is_file()
        assert not (out / "summary.json").exists()
        assert not (out / _runner.STAGING_FOLDER).exists()  # the half-built output is freed
        assert main([*command, "--out", str(out)]) == 1  # still full when resumed
        _error(capsys, str(out), "No space left on device")
        (disk / "filler").unlink()
        assert main([*command, "--out", str(out)]) == 0
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert (out / "report.html").is_file()
    assert summary["runs"] == reference["runs"]
    assert summary["verdicts"] == reference["verdicts"]


def test_an_os_error_during_the_work_is_one_line_with_exit_1(tmp_path, tiny, capsys,
                                                             monkeypatch):
    def refuse(out_dir, summary):
        raise PermissionError(errno.EACCES, "Permission denied", str(out_dir / "errors.png"))

    config = tiny()
    import tiny_whole

    monkeypatch.setattr(tiny_whole, "figures", refuse)
    assert main(["run", str(config), "--out", "out", "--workers", "1", "--quiet"]) == 1
    _error(capsys, "errors.png: Permission denied")
    assert (tmp_path / "out" / "runs" / "crowds" / "manifest.json").is_file()  # resumable


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    data = tmp_path / "guesses.csv"
    data.write_text("estimate\n" + "\n".join(str(i) for i in range(50)) + "\n",
                    encoding="utf-8")
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before a byte is written, as `| head -c 1` may be
    try:
        done = subprocess.run([sys.executable, "-m", "sim", "analyze", str(data), "--column",
                               "estimate", "--truth", "20"], stdout=writer,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=60,
                              env=dict(os.environ, MPLBACKEND="Agg"))
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 1


# ---------------------------------------------------------------------------------------------
# a run's outputs are replaced whole


def test_a_run_failing_part_way_leaves_the_previous_output_untouched(tmp_path, tiny,
                                                                      monkeypatch):
    out = tmp_path / "out"
    run_experiment(tiny(2), out, QUIET, log=None)
    previous = {name: data for name, data in _files(out).items()
                if not name.startswith("runs/")}
    assert {"summary.json", "points.parquet", "errors.png", "report.md"} <= set(previous)
    import tiny_whole

    draw = tiny_whole.figures

    def broken(out_dir, summary):
        draw(out_dir, summary)  # the figures are written, then something fails
        raise RuntimeError("drawing failed")

    with monkeypatch.context() as patch:
        patch.setattr(tiny_whole, "figures", broken)
        with pytest.raises(RuntimeError, match="drawing failed"):
            run_experiment(tiny(4), out, FRESH, log=None)  # new runs, new table, then fails
    after = {name: data for name, data in _files(out).items() if not name.startswith("runs/")}
    assert after == previous
    assert not (out / _runner.STAGING_FOLDER).exists()

    # fixed, the same command completes from the stored runs and replaces the output
    summary = run_experiment(tiny(4), out, FRESH, log=None)
    assert summary["runs"] == 8
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["runs"] == 8
    assert (out / "points.parquet").read_bytes() != previous["points.parquet"]
    assert not (out / _runner.STAGING_FOLDER).exists()


def test_files_the_new_output_no_longer_has_are_removed(tmp_path, tiny):
    from sim.plots import set_figure_options

    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    set_figure_options(pdf=True)
    try:
        run_experiment(tiny(), out, QUIET, log=None)
    finally:
        set_figure_options(pdf=False)
    assert (out / "errors.pdf").is_file()
    summary = run_experiment(tiny(), out, QUIET, report=False, log=None)
    assert "errors.pdf" not in summary["files"]["figures"]
    assert not (out / "errors.pdf").exists()
    assert not (out / "report.md").exists()  # it described the previous output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not the runner's


def test_a_swap_killed_half_way_is_finished_by_the_next_run(tmp_path, tiny, monkeypatch):
    out = tmp_path / "out"
    run_experiment(tiny(2), out, QUIET, log=None)
    expected_tmp = tmp_path / "expected"
    expected = run_experiment(tiny(4), expected_tmp, QUIET, log=None)
    finish_swap = _runner._finish_swap

    def killed_after_one_move(staging, out_dir):
        moves = []

        def move_once(source, target):
            if moves:
                raise KeyboardInterrupt
            moves.append(target)
            os.rename(source, target)

        with monkeypatch.context() as patch:
            patch.setattr(os, "replace", move_once)
            finish_swap(staging, out_dir)

    with monkeypatch.context() as patch:
        patch.setattr(_runner, "_finish_swap", killed_after_one_move)
        with pytest.raises(KeyboardInterrupt):
            run_experiment(tiny(4), out, FRESH, log=None)
    staging = out / _runner.STAGING_FOLDER
    assert (staging / _runner.SWAP_PLAN).is_file()  # complete: kept to finish the swap
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["runs"] == 4

    _runner._settle_staging(out)  # what the next run into this folder does first
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["runs"] == expected["runs"] == 8
    assert not staging.exists()
    assert sorted(p.name for p in out.iterdir() if p.name != ".lock") == \
        sorted(p.name for p in expected_tmp.iterdir() if p.name != ".lock")


def test_one_run_at_a_time_swaps_a_folder_and_no_lock_file_stays(tmp_path, tiny):
    out = tmp_path / "out"
    run_experiment(tiny(), out, QUIET, report=False, log=None)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    before = _files(out)
    # another run building its outputs here
    with _runner._staging_folder(out), pytest.raises(_runner.ConfigError,
                                                     match="another crowdsim run is writing"):
        run_experiment(tiny(), out, QUIET, report=False, log=None)
    assert _files(out) == before
    assert not (out / _runner.STAGING_FOLDER).exists()


# ---------------------------------------------------------------------------------------------
# run and sweep folders refuse each other


def test_run_and_sweep_folders_refuse_each_other(tmp_path, tiny, sweep_config, capsys):
    assert main(["sweep", str(sweep_config), "--out", "sweep", "--workers", "1", "--quiet",
                 "--no-report"]) == 0
    run_experiment(tiny(), tmp_path / "experiment", QUIET, report=False, log=None)
    before = _files(tmp_path)
    assert main(["run", str(tiny()), "--out", "sweep", "--quiet"]) == 2
    _error(capsys, "--out", "holds a sweep")
    assert main(["sweep", str(sweep_config), "--out", "experiment", "--quiet"]) == 2
    _error(capsys, "--out", "holds an experiment's results")
    assert main(["sweep", str(sweep_config), "--out", "experiment", "--fresh", "--quiet"]) == 2
    _error(capsys, "--out", "holds an experiment's results")
    assert _files(tmp_path) == before

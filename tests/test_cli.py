"""The ``crowdsim`` command end to end, each case in a fresh interpreter (``python -m sim``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CONFIGS, assert_one_line_error, config_copy, run_cli
from scipy import stats

import sim
from sim.cli import main
from sim.config import config_hash

# ---------------------------------------------------------------------------------------------
# crowdsim run

RUNS = [
    # config, replicates (reduced from 10,000 to keep the suite fast), tables written
    pytest.param("galton_ox.yaml", 500, ["replicates.parquet"], id="galton"),
    pytest.param("ted_ox.yaml", 200, ["replicates.parquet", "example_crowd.parquet"],
                 id="ted"),
]

FILES = ["summary.json", "ogive.png", "ogive.svg", "errors.png", "errors.svg", "report.md",
         "report.html"]


@pytest.mark.parametrize(("name", "replicates", "tables"), RUNS)
def test_run_writes_results_with_provenance(tmp_path, name, replicates, tables):
    config = config_copy(name, tmp_path, replicates=replicates)
    out = tmp_path / "results" / "here"
    done = run_cli("run", config.name, "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"results written to {out}" in done.stdout

    # the runs of every stage are stored under runs/, so a killed run resumes
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, *tables, "runs"])
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    # nothing written outside --out (e.g. no default results/<name>/ folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([config.name, "results"])
    assert (out / "ogive.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "errors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "ogive.svg").read_text(encoding="utf-8")
    assert "<svg" in (out / "errors.svg").read_text(encoding="utf-8")
    # ordinary files, not the 0600 of a temporary file
    umask = os.umask(0)
    os.umask(umask)
    for name_ in [*FILES, *tables]:
        assert (out / name_).stat().st_mode & 0o777 == 0o666 & ~umask, name_

    frame = pd.read_parquet(out / "replicates.parquet")
    assert len(frame) == replicates
    assert frame["replicate"].tolist() == list(range(replicates))
    assert frame["seed"].is_unique

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    record = summary["provenance"]
    for key in ("crowdsim_version", "git_commit", "config_hash", "seed", "timestamp"):
        assert key in record, key
    assert record["crowdsim_version"] == sim.__version__
    assert record["config_hash"] == config_hash(raw)
    assert record["seed"] == raw["seed"]
    assert record["experiment"] == "galton_ox"
    assert dt.datetime.fromisoformat(record["timestamp"]).tzinfo is not None
    assert summary["simulation"]["fairs"] == replicates
    assert sorted(summary["files"]["tables"].values()) == sorted(tables)
    assert sorted(summary["files"]["figures"]) == ["errors.png", "errors.svg", "ogive.png",
                                                   "ogive.svg"]
    assert summary["notes"] and all(isinstance(s, str) for s in summary["notes"])
    # the ox's verdict rows: what the crowd was fitted to is "fitted", never reproduced
    assert summary["verdicts"] and all(
        v["model_ci"] is not None and (v["fitted"] or v["data_ci"] is not None)
        for v in summary["verdicts"])
    assert all(v["verdict"] == "fitted" for v in summary["verdicts"] if v["fitted"])


def test_version_and_console_script(tmp_path):
    done = run_cli("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"crowdsim {sim.__version__}"

    script = Path(sys.executable).parent / ("crowdsim.exe" if os.name == "nt" else "crowdsim")
    assert script.is_file(), f"no crowdsim console script beside {sys.executable}"
    assert os.access(script, os.X_OK)
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"crowdsim {sim.__version__}"


COMMANDS = ["run", "figures", "report", "calibrate", "predict", "analyze", "sweep", "results",
            "sensitivity", "warm", "app"]


def test_no_command_prints_the_usage_and_the_commands(tmp_path):
    # a usage error, as argparse has it: the help on stderr, exit code 2
    done = run_cli(cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("usage: crowdsim")
    listed = [line.split()[0] for line in done.stderr.splitlines()
              if line.startswith("    ") and line.split()]
    assert [name for name in listed if name in COMMANDS] == COMMANDS
    assert "crowdsim run --help" in " ".join(done.stderr.split())


def test_every_command_is_in_the_usage():
    from sim.cli import build_parser

    assert sorted(build_parser().commands) == sorted(COMMANDS)


def _help(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def _listed(text: str, heading: str) -> list[str]:
    """The names listed under ``heading`` in a --help epilog (two-space indented lines)."""
    block = text.split(heading, 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()
            if line.startswith("  ") and not line.startswith("   ")]


def test_run_help_lists_every_experiment(capsys):
    from experiments import EXPERIMENTS

    text = _help(capsys, "run")
    listed = _listed(text, "experiments (")
    shipped = sorted(path.stem for path in CONFIGS.glob("*.yaml")
                     if "experiment" in yaml.safe_load(path.read_text(encoding="utf-8")))
    assert listed == shipped
    # every experiment module has a shipped config, so all of them are listed
    modules = sorted(path.stem for path in (CONFIGS.parent / "experiments").glob("*.py")
                     if not path.stem.startswith("_"))
    assert modules == sorted(EXPERIMENTS)
    assert set(modules) <= set(listed)
    # a one-line description each, from the config's title
    assert "Galton's ox, 1907" in text
    assert "The TED ox, 2012 [experiment galton_ox]" in text


def test_sweep_help_lists_the_models_and_the_shipped_sweeps(capsys):
    from sim.sweep.models import MODELS

    text = _help(capsys, "sweep")
    assert _listed(text, "sweepable models") == sorted(MODELS)
    assert "sweep_demo" in _listed(text, "shipped sweep configs")
    assert "galton_ox" not in text.split("shipped sweep configs", 1)[1]
    assert "Majority vote (Condorcet's jury theorem)" in text


def test_app_help_lists_the_pages(capsys):
    from sim.app import APPS

    text = _help(capsys, "app")
    assert _listed(text, "pages (") == sorted(APPS)


def test_help_imports_no_model(tmp_path):
    # the lists come from the configs, the docstrings' source text and the registries
    code = ("import sys\n"
            "from sim.cli import main\n"
            "for command in ('run', 'sweep', 'app'):\n"
            "    try:\n"
            "        main([command, '--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "loaded = [m for m in ('mesa', 'scipy.stats', 'numba', 'solara', 'pandas') "
            "if m in sys.modules]\n"
            "print('loaded:', loaded, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stderr


BAD_SWEEP = "model: estimaton\nseed: 1\ndesign: grid\nreplicates: 1\n"
BAD_EXPERIMENT = "experiment: galton_oxx\nseed: 1\n"


UNKNOWN_NAMES = [
    (["rn"], ["unknown command 'rn'", "did you mean 'run'?"]),
    (["sweeps", "x.yaml"], ["unknown command 'sweeps'", "did you mean 'sweep'"]),
    (["run", "galton_oxx"], ["unknown experiment 'galton_oxx'", "did you mean 'galton_ox'?"]),
    (["run", "configs/galton_oxx.yaml"], ["configs/galton_oxx.yaml: file not found",
                                          "did you mean configs/galton_ox.yaml?"]),
    (["run", "bad_experiment.yaml"], ["experiment: unknown experiment 'galton_oxx'",
                                      "did you mean 'galton_ox'?"]),
    (["run", "configs/sweep_demo.yaml"], ["a sweep config", "crowdsim sweep"]),
    (["sweep", "bad_sweep.yaml"], ["model: unknown sweep model 'estimaton'",
                                   "did you mean 'estimation'?"]),
    (["sweep", "sweep_dmo"], ["unknown sweep config 'sweep_dmo'", "did you mean 'sweep_demo'"]),
    (["sweep", "configs/galton_ox.yaml"], ["an experiment config", "crowdsim run"]),
    (["app", "estimaton"], ["unknown app 'estimaton'", "did you mean 'estimation'?",
                            "nest-site"]),
]


@pytest.mark.parametrize(("args", "mentions"), UNKNOWN_NAMES,
                         ids=["-".join(args) for args, _ in UNKNOWN_NAMES])
def test_unknown_name_did_you_mean(args, mentions, tmp_path, monkeypatch, capsys):
    (tmp_path / "configs").symlink_to(CONFIGS)
    (tmp_path / "bad_sweep.yaml").write_text(BAD_SWEEP, encoding="utf-8")
    (tmp_path / "bad_experiment.yaml").write_text(BAD_EXPERIMENT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *mentions)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_experiment.yaml",
                                                          "bad_sweep.yaml", "configs"]


def test_misspelt_experiment_in_a_fresh_process(tmp_path):
    done = run_cli("run", "galton_oxx", cwd=tmp_path)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "did you mean 'galton_ox'?")
    # a path that is not there, outside the source tree: the shipped name is suggested
    done = run_cli("run", "configs/galton_oxx.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "configs/galton_oxx.yaml: file not found",
                          "crowdsim run galton_ox")
    assert list(tmp_path.iterdir()) == []


def test_run_by_name_runs_the_shipped_config(tmp_path, monkeypatch, capsys):
    import sim.cli

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    config_copy("galton_ox.yaml", shipped, replicates=50)
    monkeypatch.setattr(sim.cli, "CONFIGS", shipped)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "galton_ox", "--workers", "1", "--quiet", "--no-report"]) == 0
    summary = json.loads((tmp_path / "results" / "galton_ox" / "summary.json")
                         .read_text(encoding="utf-8"))
    assert summary["simulation"]["fairs"] == 50


# ---------------------------------------------------------------------------------------------
# crowdsim analyze

GUESSES_CSV = """\
id,guess,comment
1,1180,first
2,1210,
3,,empty cell
4,abc,junk text
5,n/a,junk text
6
7,1195.5,ok
8, 1250 ,padded with spaces
9,1100,"quoted, with a comma"
10,1300,x
11,inf,not finite

12,1207,after a blank line
13,1189,x
14,1150,x
15,1225,x
16,1199,x
17,1400,x
"""
CLEAN = np.array([1180, 1210, 1195.5, 1250, 1100, 1300, 1207, 1189, 1150, 1225, 1199, 1400.0])
DROPPED = 4  # empty, "abc", "n/a", "inf" (the blank line is not a guess)
BAD_ROWS = 1  # the short row "6": fewer fields than the header, left out whole
TRUTH = 1198.0
AGGREGATES = ("mean", "median", "geometric_mean", "trimmed_mean")


@pytest.fixture
def guesses(tmp_path) -> Path:
    path = tmp_path / "guesses.csv"
    path.write_text(GUESSES_CSV, encoding="utf-8")
    return path


def test_analyze_json_matches_numpy_and_scipy(tmp_path, guesses):
    done = run_cli("analyze", guesses.name, "--column", "guess", "--truth", "1198", "--json",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)

    assert result["n"] == CLEAN.size
    assert result["dropped"] == DROPPED
    assert result["bad_rows"] == BAD_ROWS
    assert result["truth"] == TRUTH
    expected = {"mean": np.mean(CLEAN), "median": np.median(CLEAN),
                "geometric_mean": stats.gmean(CLEAN), "trimmed_mean": stats.trim_mean(CLEAN, 0.1)}
    assert set(result["aggregates"]) == set(AGGREGATES)
    for name, value in expected.items():
        assert result["aggregates"][name] == pytest.approx(value, rel=1e-12), name
        assert result["errors"][name]["signed"] == pytest.approx(value - TRUTH, abs=1e-9)
        assert result["errors"][name]["relative"] == pytest.approx(abs(value - TRUTH) / TRUTH)
        share = result["beaten_share"][name]
        assert 0.0 <= share <= 1.0
        assert share == pytest.approx(np.mean(np.abs(CLEAN - TRUTH) > abs(value - TRUTH)))
    # the trimmed mean really trims here: int(0.1 * 12) = 1 value from each end
    assert result["aggregates"]["trimmed_mean"] != pytest.approx(np.mean(CLEAN))

    collective = (np.mean(CLEAN) - TRUTH) ** 2
    individual = np.mean((CLEAN - TRUTH) ** 2)
    diversity = np.var(CLEAN)
    assert result["collective_sq_error"] == pytest.approx(collective, rel=1e-9)
    assert result["mean_individual_sq_error"] == pytest.approx(individual, rel=1e-12)
    assert result["diversity"] == pytest.approx(diversity, rel=1e-12)
    assert result["collective_sq_error"] == pytest.approx(
        result["mean_individual_sq_error"] - result["diversity"], abs=1e-9 * individual)
    assert result["minimum"] == CLEAN.min() and result["maximum"] == CLEAN.max()
    assert result["quartiles"] == pytest.approx(np.quantile(CLEAN, [0.25, 0.75]).tolist())
    assert result["truth_in_range"] is True


def test_analyze_table(tmp_path, guesses):
    done = run_cli("analyze", guesses.name, "--column", "guess", "--truth", "1198",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for name in AGGREGATES:
        assert any(line.startswith(name) for line in out.splitlines()), name
    assert f"{CLEAN.size} estimates ({DROPPED} cells dropped, {BAD_ROWS} bad row left out" in out
    assert "diversity" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_analyze_figure_png(tmp_path, guesses):
    done = run_cli("analyze", guesses.name, "--column", "guess", "--truth", "1198",
                   "--figure", "figs/out.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    figure = tmp_path / "figs" / "out.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in figure.parent.iterdir()) == ["out.png"]  # no leftovers


@pytest.mark.parametrize(("figure", "written", "magic"), [
    ("hist.svg", "hist.svg", b"<?xml"),
    ("hist.v1.png", "hist.v1.png", b"\x89PNG"),  # a dot in the name is not a suffix
    ("HIST.PNG", "HIST.png", b"\x89PNG"),  # suffixes are case-insensitive
])
def test_analyze_figure_variants_in_process(tmp_path, guesses, capsys, figure, written, magic):
    code = main(["analyze", str(guesses), "--column", "guess", "--truth", "1198",
                 "--figure", str(tmp_path / "figs" / figure)])
    assert code == 0, capsys.readouterr().err
    files = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert files == [written]
    assert (tmp_path / "figs" / written).read_bytes().startswith(magic)


def test_analyze_page_diversity_example(tmp_path):
    """Page (2007): truth 49, guesses 48, 47, 51 -> 3 = 0.111... + 2.888..."""
    (tmp_path / "page.csv").write_text("name,estimate\na,48\nb,47\nc,51\n", encoding="utf-8")
    done = run_cli("analyze", "page.csv", "--column", "estimate", "--truth", "49", "--json",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n"] == 3 and result["dropped"] == 0
    assert result["mean_individual_sq_error"] == pytest.approx(3.0)
    assert result["collective_sq_error"] == pytest.approx(1 / 9)
    assert result["diversity"] == pytest.approx(26 / 9)
    assert result["aggregates"]["mean"] == pytest.approx(146 / 3)
    assert result["aggregates"]["median"] == 48.0


ANALYZE_ERRORS = [
    pytest.param(["no_such.csv", "--column", "guess", "--truth", "1"], "no_such.csv",
                 id="missing-file"),
    pytest.param(["guesses.csv", "--column", "weight", "--truth", "1"], "--column",
                 id="unknown-column"),
    pytest.param(["guesses.csv", "--column", "guess", "--truth", "heavy"], "--truth",
                 id="non-numeric-truth"),
    pytest.param(["guesses.csv", "--column", "guess", "--truth", "nan"], "--truth",
                 id="nan-truth"),
    pytest.param(["guesses.csv", "--column", "comment", "--truth", "1"], "--column",
                 id="no-numeric-values"),
    pytest.param(["guesses.csv", "--column", "guess", "--truth", "1", "--figure", "out.jpg"],
                 "--figure", id="bad-figure-suffix"),
    pytest.param(["guesses.csv", "--column", "guess", "--truth", "1", "--trim", "0.5"],
                 "--trim", id="trim-out-of-range"),
    pytest.param(["guesses.csv", "--truth", "1"], "--column", id="no-column-option"),
]


@pytest.mark.parametrize(("args", "mention"), ANALYZE_ERRORS)
def test_analyze_errors(tmp_path, guesses, args, mention):
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_cli("analyze", *args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert_one_line_error(done.stderr, mention)
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_analyze_empty_file_in_process(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert main(["analyze", str(tmp_path / "empty.csv"), "--column", "x", "--truth", "1"]) == 2
    assert_one_line_error(capsys.readouterr().err, "empty")

"""Bad input to ``crowdsim run`` and ``crowdsim sweep``: one line on stderr naming the field,
exit code 2, nothing written.

The corpus lives in ``tests/bad_configs/``: each YAML file starts with a comment saying what is
wrong, a ``# expect: FIELD`` line naming what the error message must mention and, for a sweep
config, a ``# command: sweep`` line (default: ``run``). Files too big to commit (a 200,000-item
list, a config over the size limit) or not UTF-8 are written by :func:`generated_cases`. The
whole corpus runs in-process (fast), and once more in one fresh interpreter that checks each
case's time (10 s) and the process's peak memory (1 GB).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BAD_CONFIGS, assert_one_line_error, run_cli
from pydantic import ValidationError

from sim.cli import main
from sim.models.estimation.params import EstimationParams

CORPUS = sorted(BAD_CONFIGS.glob("*.yaml"))
EXPECT = re.compile(r"^#\s*expect:\s*(\S.*?)\s*$", re.MULTILINE)
COMMAND = re.compile(r"^#\s*command:\s*(run|sweep)\s*$", re.MULTILINE)
#: Limits every bad config must stay within (the issue's "Done when").
CASE_SECONDS = 10
PEAK_BYTES = 1 << 30


def expected_field(path: Path) -> str:
    match = EXPECT.search(path.read_text(encoding="utf-8", errors="replace"))
    assert match, f"{path.name} has no '# expect: FIELD' comment"
    return match.group(1)


def command_of(path: Path) -> str:
    """``run`` or ``sweep``: the command a corpus file is given to."""
    match = COMMAND.search(path.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else "run"


def generated_cases(folder: Path) -> list[Path]:
    """Bad configs written on the fly into ``folder``: too big to commit, or not UTF-8."""
    sweep = ("model: estimation\nseed: 1\ndesign: grid\nfixed: {n_agents: 20}\n"
             "swept: {correlation: [0.0, 0.5]}\n")
    cases = {
        # a 200,000-item list: a 1 MB error line before; now refused by its size unread
        "seed_list_200000": ("a 200,000-item list as the seed", "bytes", "run",
                             "experiment: galton_ox\nseed: [" + ", ".join(["1"] * 200_000)
                             + "]\ntruth: 1198\n"),
        "config_over_size_limit": ("a config of 300 KB (comments)", "limit", "sweep",
                                   sweep + ("# padding\n" * 30_000)),
        # under the size limit: read, and its error line stays short
        "seed_list_20000": ("a 20,000-item list as the seed", "seed", "run",
                            "experiment: galton_ox\nseed: [" + ", ".join(["7"] * 20_000)
                            + "]\ntruth: 1198\n"),
        "fixed_truth_list_20000": ("a 20,000-item list as a fixed parameter", "fixed.truth",
                                   "sweep", sweep.replace("{n_agents: 20}", "{n_agents: 20, "
                                   "truth: [" + ", ".join(["1.5"] * 20_000) + "]}")),
    }
    paths = []
    for name, (what, expect, command, body) in cases.items():
        path = folder / f"{name}.yaml"
        path.write_text(f"# {what}\n# expect: {expect}\n# command: {command}\n{body}",
                        encoding="utf-8")
        paths.append(path)
    latin1 = folder / "latin1_title.yaml"
    latin1.write_bytes("# a latin-1 file (not UTF-8)\n# expect: UTF-8\n"
                       "experiment: galton_ox\ntitle: B\u0153uf\n".encode("cp1252"))
    binary = folder / "binary.yaml"
    binary.write_bytes(b"# a binary file\n# expect: UTF-8\n# command: sweep\n\xff\xfe\x00\x01")
    return [*paths, latin1, binary]


def test_corpus_is_complete():
    assert len(CORPUS) >= 100
    for path in CORPUS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#") and not first.startswith(("# expect:", "# command:")), \
            f"{path.name}: the first line should say what is wrong"
        expected_field(path)
    assert {command_of(path) for path in CORPUS} == {"run", "sweep"}


def _assert_rejected(code: int, out: str, err: str, field: str, out_dir: Path):
    assert code == 2, err
    assert out == ""
    assert_one_line_error(err, field)
    assert not out_dir.exists(), "a rejected config must not create the output folder"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_config_in_process(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a default results/ folder would land here, not in the repo
    out_dir = tmp_path / "not" / "yet"
    code = main([command_of(path), str(path), "--out", str(out_dir)])
    captured = capsys.readouterr()
    _assert_rejected(code, captured.out, captured.err, expected_field(path), out_dir)
    assert list(tmp_path.iterdir()) == []


def test_generated_bad_configs_in_process(tmp_path, monkeypatch, capsys):
    cases = tmp_path / "cases"
    cases.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for path in generated_cases(cases):
        out_dir = work / "not" / "yet"
        code = main([command_of(path), str(path), "--out", str(out_dir)])
        captured = capsys.readouterr()
        _assert_rejected(code, captured.out, captured.err, expected_field(path), out_dir)
        assert len(captured.err) < 400, f"{path.name}: error line of {len(captured.err)} chars"
    assert list(work.iterdir()) == []


#: Runs every case in one interpreter: each under signal.alarm, then the peak RSS.
DRIVER = """
import io, json, resource, signal, sys, time
from contextlib import redirect_stderr, redirect_stdout
from sim.cli import main

class Timeout(BaseException):
    pass

def on_alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, on_alarm)
results = []
for command, path, out_dir in json.loads(sys.argv[1]):
    err, out = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    signal.alarm(int(sys.argv[2]))
    try:
        with redirect_stderr(err), redirect_stdout(out):
            code = main([command, path, "--out", out_dir])
    except Timeout:
        code = "timeout"
    except BaseException as exc:
        code = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.alarm(0)
    results.append({"path": path, "code": code, "seconds": time.perf_counter() - started,
                    "stdout": out.getvalue(), "stderr": err.getvalue()[:2000]})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
print(json.dumps({"results": results, "peak_bytes": peak}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="signal.alarm and ru_maxrss in KiB: Linux")
def test_whole_corpus_in_one_interpreter_within_time_and_memory(tmp_path):
    cases_dir = tmp_path / "cases"
    cases_dir.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    paths = [*CORPUS, *generated_cases(cases_dir)]
    out_dir = work / "out"
    cases = [[command_of(path), str(path), str(out_dir)] for path in paths]
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(cases), str(CASE_SECONDS)],
                          cwd=work, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "MPLBACKEND": "Agg",
                               "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    problems = []
    for path, result in zip(paths, report["results"]):
        if result["code"] != 2 or result["seconds"] > CASE_SECONDS or result["stdout"]:
            problems.append(f"{path.name}: code {result['code']}, {result['seconds']:.1f} s, "
                            f"{result['stderr'][:200]!r}")
            continue
        try:
            assert_one_line_error(result["stderr"], expected_field(path))
        except AssertionError as exc:
            problems.append(f"{path.name}: {exc}")
    assert not problems, "\n".join(problems)
    assert report["peak_bytes"] < PEAK_BYTES, f"peak RSS {report['peak_bytes'] / 2**20:.0f} MiB"
    assert list(work.iterdir()) == [], "a rejected config wrote something"


@pytest.mark.parametrize("name", ["unknown_nested_key_observed", "observed_file_missing",
                                  "invalid_yaml"])
def test_bad_config_subprocess(name, tmp_path):
    path = BAD_CONFIGS / f"{name}.yaml"
    out_dir = tmp_path / "out"
    done = run_cli("run", str(path), "--out", str(out_dir), cwd=tmp_path)
    _assert_rejected(done.returncode, done.stdout, done.stderr, expected_field(path), out_dir)
    assert list(tmp_path.iterdir()) == []


def test_config_path_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out_dir = tmp_path / "out"
    code = main(["run", "configs/no_such_config.yaml", "--out", str(out_dir)])
    captured = capsys.readouterr()
    _assert_rejected(code, captured.out, captured.err, "no_such_config.yaml", out_dir)
    assert "not found" in captured.err


def test_config_path_is_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.yaml").mkdir()
    code = main(["run", "folder.yaml", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    _assert_rejected(code, captured.out, captured.err, "folder.yaml", tmp_path / "out")


def test_out_is_an_existing_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = Path(__file__).resolve().parent.parent / "configs" / "galton_ox.yaml"
    (tmp_path / "taken").write_text("keep me", encoding="utf-8")
    code = main(["run", str(config), "--out", "taken"])
    captured = capsys.readouterr()
    assert code == 2
    assert_one_line_error(captured.err, "--out")
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------------------------------------
# EstimationParams: the one parameter schema of the estimation model

VALID = [
    {},
    {"n_agents": 1},
    {"n_agents": 12, "noise": "lognormal", "noise_scale": 0.5, "truth": 100.0},
    {"noise": "log_cauchy", "noise_scale": 0.1, "truth": 5.0, "bias_factor": 1.2},
    {"noise": "split_normal", "noise_scale_below": 60.0, "noise_scale_above": 40.0},
    {"noise": "normal", "truth": -3.0, "bias_shift": 2.0},  # additive: any sign of truth
    {"noise": "lognormal", "truth": -10.0, "bias_shift": 20.0},  # the centre is what counts
    {"correlation": 1.0, "n_groups": 787},
    {"noise_scale": 0.0, "expertise_spread": 0.0},
    {"truth": 1198},  # an int is a fine float
]


@pytest.mark.parametrize("kwargs", VALID)
def test_valid_params(kwargs):
    params = EstimationParams(**kwargs)
    for key, value in kwargs.items():
        assert getattr(params, key) == value


def test_defaults_are_galtons_crowd():
    params = EstimationParams()
    assert params.n_agents == 787 and params.truth == 1198.0 and params.noise == "normal"
    assert params.noise_scale * 0.6744897501960817 == pytest.approx(37.0)
    assert params.centre == 1198.0


INVALID = [
    pytest.param({"n_agents": 0}, "n_agents", id="no-agents"),
    pytest.param({"n_agents": -5}, "n_agents", id="negative-agents"),
    pytest.param({"noise_scale": -0.1}, "noise_scale", id="negative-scale"),
    pytest.param({"noise": "split_normal", "noise_scale_below": -1.0}, "noise_scale_below",
                 id="negative-scale-below"),
    pytest.param({"noise": "lognormal", "truth": 0.0}, "multiplicative", id="lognormal-zero"),
    pytest.param({"noise": "lognormal", "truth": -5.0}, "positive centre",
                 id="lognormal-negative"),
    pytest.param({"noise": "log_cauchy", "truth": -1.0}, "multiplicative",
                 id="log-cauchy-negative"),
    pytest.param({"noise": "log_cauchy", "truth": 10.0, "bias_shift": -10.0}, "positive centre",
                 id="log-cauchy-shifted-to-zero"),
    pytest.param({"truth": math.nan}, "truth", id="nan-truth"),
    pytest.param({"noise_scale": math.inf}, "noise_scale", id="inf-scale"),
    pytest.param({"bias_shift": math.nan}, "bias_shift", id="nan-shift"),
    pytest.param({"noise": "normal", "noise_scale_below": 10.0}, "split_normal",
                 id="scale-below-with-normal"),
    pytest.param({"noise": "lognormal", "noise_scale_above": 0.1}, "split_normal",
                 id="scale-above-with-lognormal"),
    pytest.param({"n_agents": 5, "n_groups": 6}, "n_groups", id="more-groups-than-agents"),
    pytest.param({"n_groups": 0}, "n_groups", id="no-groups"),
    pytest.param({"correlation": 1.01}, "correlation", id="correlation-above-1"),
    pytest.param({"correlation": -0.1}, "correlation", id="negative-correlation"),
    pytest.param({"bias_factor": 0.0}, "bias_factor", id="zero-bias-factor"),
    pytest.param({"expertise_spread": -1.0}, "expertise_spread", id="negative-spread"),
    pytest.param({"n_agents": "787"}, "n_agents", id="string-agents"),
    pytest.param({"n_agents": 787.0}, "n_agents", id="float-agents"),
    pytest.param({"n_agents": True}, "n_agents", id="bool-agents"),
    pytest.param({"truth": "1198"}, "truth", id="string-truth"),
    pytest.param({"noise": "cauchy"}, "noise", id="unknown-noise"),
    pytest.param({"sigma": 1.0}, "sigma", id="unknown-key"),
]


@pytest.mark.parametrize(("kwargs", "mention"), INVALID)
def test_invalid_params(kwargs, mention):
    with pytest.raises(ValidationError) as info:
        EstimationParams(**kwargs)
    assert mention in str(info.value)


def test_params_are_frozen():
    params = EstimationParams()
    with pytest.raises(ValidationError):
        params.n_agents = 3


# ---------------------------------------------------------------------------------------------
# limits that --allow-large lifts, non-finite runs, a running sweep


def test_allow_large_lifts_the_work_limits():
    from sim.limits import allowing_large
    from sim.sweep.config import SweepConfig

    config = {"model": "estimation", "seed": 1, "design": "grid",
              "swept": {"correlation": [0.0]}, "replicates": 10**9}
    with pytest.raises(ValidationError, match="--allow-large"):
        SweepConfig(**config)
    with allowing_large():
        assert SweepConfig(**config).replicates == 10**9


def test_allow_large_is_an_option_of_run_and_sweep(capsys):
    for command in ("run", "sweep"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--allow-large" in capsys.readouterr().out


def test_infinite_metric_is_a_failed_run_with_its_reason():
    from sim.sweep.worker import ChunkTask, PointRuns, run_chunk

    # log-Cauchy ln-errors of scale 50 among 2,000 agents: some e^(50 z) overflow float64
    params = {"n_agents": 2000, "noise": "log_cauchy", "noise_scale": 50.0, "truth": 1.0}
    task = ChunkTask(index=0, model="estimation", base_seed=1, replicates=3,
                     metrics=("error_of_mean", "diversity"),
                     param_types={"n_agents": "int64", "noise": "string",
                                  "noise_scale": "float64", "truth": "float64"},
                     points=(PointRuns(0, 12345, params, 0, 3),))
    result = run_chunk(task)
    assert result.failures.num_rows == 3 and result.n_done == 0
    messages = set(result.failures.column("error_message").to_pylist())
    assert all("infinite" in message and "overflow" in message for message in messages)
    assert set(result.failures.column("error_type").to_pylist()) == {"NonFiniteResult"}


def test_results_of_a_running_sweep_name_its_pid(tmp_path):
    from sim.sweep.config import SweepConfig
    from sim.sweep.results import format_summary, summarise
    from sim.sweep.runner import run_sweep

    config = SweepConfig(model="estimation", seed=1, design="grid", replicates=2,
                         fixed={"n_agents": 10}, swept={"correlation": [0.0, 0.5]})
    run_sweep(config, tmp_path / "s", workers=1, quiet=True, log=None)
    assert "running" not in format_summary(summarise(tmp_path / "s"))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom sim.sweep.store import SweepStore\n"
         "with SweepStore(sys.argv[1]).lock():\n    print('locked', flush=True)\n"
         "    time.sleep(30)\n", str(tmp_path / "s")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        text = format_summary(summarise(tmp_path / "s"))
        assert f"the sweep is running now (pid {holder.pid})" in text
        assert "to resume" not in text
    finally:
        holder.kill()
        holder.wait()


def test_quiet_sweep_with_failed_runs_says_so_in_one_line(tmp_path, capsys):
    # log-Cauchy ln-errors of scale 50 among 2,000 agents overflow: every run fails
    config = tmp_path / "overflowing.yaml"
    config.write_text("model: estimation\nseed: 1\ndesign: grid\nreplicates: 2\n"
                      "fixed: {n_agents: 2000, noise: log_cauchy, truth: 1.0}\n"
                      "swept: {noise_scale: [50.0]}\n", encoding="utf-8")
    code = main(["sweep", str(config), "--out", str(tmp_path / "out"), "--quiet",
                 "--workers", "1", "--no-report"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert_one_line_error(captured.err, "2 runs failed", "crowdsim results")

"""Bad input to ``crowdsim run``: one line on stderr naming the field, exit code 2, nothing written.

The corpus lives in ``tests/bad_configs/``: each YAML file starts with a comment saying what is
wrong and a ``# expect: FIELD`` line naming what the error message must mention. The whole
corpus runs in-process (fast); a few representative files also run in a fresh interpreter.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from conftest import BAD_CONFIGS, assert_one_line_error, run_cli
from pydantic import ValidationError

from sim.cli import main
from sim.models.estimation.params import EstimationParams

CORPUS = sorted(BAD_CONFIGS.glob("*.yaml"))
EXPECT = re.compile(r"^#\s*expect:\s*(\S.*?)\s*$", re.MULTILINE)


def expected_field(path: Path) -> str:
    match = EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} has no '# expect: FIELD' comment"
    return match.group(1)


def test_corpus_is_complete():
    assert len(CORPUS) >= 15
    for path in CORPUS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#") and not first.startswith("# expect:"), \
            f"{path.name}: the first line should say what is wrong"
        expected_field(path)


def _assert_rejected(code: int, out: str, err: str, field: str, out_dir: Path):
    assert code == 2, err
    assert out == ""
    assert_one_line_error(err, field)
    assert not out_dir.exists(), "a rejected config must not create the output folder"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_config_in_process(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a default results/ folder would land here, not in the repo
    out_dir = tmp_path / "not" / "yet"
    code = main(["run", str(path), "--out", str(out_dir)])
    captured = capsys.readouterr()
    _assert_rejected(code, captured.out, captured.err, expected_field(path), out_dir)
    assert list(tmp_path.iterdir()) == []


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

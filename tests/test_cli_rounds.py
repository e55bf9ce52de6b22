"""`crowdsim analyze --rounds`: the Lorenz table and the Becker changes from the shipped data."""

import json
import subprocess
import sys

import pytest

from sim.cli import main

LORENZ = ["analyze", "sim/data/lorenz2011.csv", "--rounds", "E1,E2,E3,E4,E5",
          "--truth-column", "Truth", "--group-columns", "Session_Date,Question",
          "--by", "Information_Condition", "--log"]
BECKER = ["analyze", "sim/data/becker2017.csv", "--rounds", "response_1,response_2,response_3",
          "--truth-column", "truth", "--group-columns", "group_number,task", "--by", "network",
          "--scale-column", "sd_pool"]


def test_lorenz_table_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "sim", *LORENZ, "--json"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    result = json.loads(out)
    assert result["groups"] == 72 and result["dropped"] == 1
    expected = {"no": (1.911, 1.884, 0.629, 0.574), "aggregated": (1.429, 0.634, 0.796, 0.474),
                "full": (1.558, 0.897, 0.560, 0.484)}
    for condition, (sd1, sd5, err1, err5) in expected.items():
        per_round = result["by"][condition]["per_round"]
        assert per_round["sd"][0] == pytest.approx(sd1, abs=5e-4)
        assert per_round["sd"][-1] == pytest.approx(sd5, abs=5e-4)
        assert per_round["error_of_geometric_mean"][0] == pytest.approx(err1, abs=5e-4)
        assert per_round["error_of_geometric_mean"][-1] == pytest.approx(err5, abs=5e-4)


def test_becker_changes(capsys):
    assert main([*BECKER, "--json"]) == 0
    change = json.loads(capsys.readouterr().out)["by"]["Decentralized"]["change"]
    assert change["error_of_mean"] == pytest.approx(-0.103, abs=5e-4)
    assert change["error_of_median"] == pytest.approx(-0.119, abs=5e-4)
    assert change["sd"] == pytest.approx(-0.419, abs=5e-4)
    assert change["individual_error"] == pytest.approx(-0.231, abs=5e-4)


def test_table_output(capsys):
    assert main(LORENZ) == 0
    out = capsys.readouterr().out
    assert "aggregated (24 groups)" in out and "WoC indicator" in out


@pytest.mark.parametrize("argv, field", [
    (["analyze", "sim/data/lorenz2011.csv", "--rounds", "E1,E9", "--truth-column", "Truth",
      "--group-columns", "Question"], "--rounds"),
    (["analyze", "sim/data/lorenz2011.csv", "--rounds", "E1,E2", "--group-columns",
      "Question"], "--truth-column"),
    (["analyze", "sim/data/lorenz2011.csv", "--rounds", "E1,E2", "--truth-column", "Truth"],
     "--group-columns"),
    (["analyze", "sim/data/lorenz2011.csv", "--rounds", "E1,E2", "--truth-column", "Truth",
      "--group-columns", "Question", "--truth", "3"], "--truth"),
    (["analyze", "sim/data/lorenz2011.csv", "--column", "E1", "--truth", "3", "--log"],
     "--log"),
    (["analyze", "sim/data/lorenz2011.csv", "--column", "E1"], "--truth"),
])
def test_bad_options_give_one_line(argv, field, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("crowdsim: error:") and field in err[0]

"""Odd and malformed CSV files: read right, or one line on stderr, exit 2, nothing written.

The corpus lives in ``tests/bad_csvs/``; ``EXPECTATIONS.yaml`` there says, per case, the
``crowdsim analyze`` options and either the texts the one-line error must name or the numbers
the file must be read as. Every case runs in-process (:func:`sim.cli.main`); readable files
run twice, as JSON (which must be standard JSON) and as the text table.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import CONFIGS, assert_one_line_error

from sim.analysis.guesses import read_column
from sim.analysis.tables import read_csv_table, sniff_separator
from sim.cli import main
from sim.config import ConfigError

BAD_CSVS = Path(__file__).resolve().parent / "bad_csvs"
EXPECTATIONS = yaml.safe_load((BAD_CSVS / "EXPECTATIONS.yaml").read_text(encoding="utf-8"))
CASES = EXPECTATIONS["cases"]
DEFAULT_ARGS = ["--column", "guess", "--truth", "10"]


def _case_id(case: dict) -> str:
    extra = "".join(part.strip("-") for part in case.get("extra", []) if part.startswith("--"))
    return Path(case["file"]).stem + (f"[{extra}]" if extra else "")


def _arguments(case: dict) -> list[str]:
    return ["analyze", str(BAD_CSVS / case["file"]), *case.get("args", DEFAULT_ARGS),
            *case.get("extra", [])]


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _refuse_constant(name: str):
    raise AssertionError(f"not standard JSON: {name}")


def test_corpus_is_complete():
    files = sorted(path.name for path in BAD_CSVS.glob("*.csv"))
    assert len(files) >= 40
    covered = {case["file"] for case in CASES}
    assert sorted(covered) == files, "every file needs a case and every case a file"
    for case in CASES:
        assert case.get("why"), case
        assert ("error" in case) != ("read" in case), f"{case['file']}: error or read"
    assert len({_case_id(case) for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_bad_csv(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # anything written would land here
    args = _arguments(case)
    if "error" in case:
        code = main(args)
        captured = capsys.readouterr()
        assert code == 2, captured
        assert captured.out == ""
        assert_one_line_error(captured.err, *case["error"])
        assert list(tmp_path.iterdir()) == []
        return

    expected = case["read"]
    code = main([*args, "--json"] if "--json" not in args else args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    result = json.loads(captured.out, parse_constant=_refuse_constant)
    assert result["bad_rows"] == expected["bad_rows"]
    assert result["dropped"] == expected["dropped"]
    if "--rounds" in args:
        assert result["groups"] == expected["groups"]
        assert result["estimates"] == expected["estimates"]
    else:
        values = np.array(expected["values"], dtype=float)
        assert result["n"] == values.size
        assert result["minimum"] == values.min() and result["maximum"] == values.max()
        assert result["aggregates"]["mean"] == pytest.approx(values.mean(), rel=1e-12)
        column = read_column(BAD_CSVS / case["file"], _option(args, "--column"),
                             decimal=_option(args, "--decimal") or ".",
                             thousands=_option(args, "--thousands"))
        np.testing.assert_array_equal(column.values, values)
    # the text table of the same input
    code = main([arg for arg in args if arg != "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == "" and captured.out.strip()
    if expected["bad_rows"]:
        assert "bad row" in captured.out
    assert list(tmp_path.iterdir()) == []


def test_rounds_table_writes_huge_values_in_scientific_notation(capsys):
    case = next(case for case in CASES if case["file"] == "rounds_1e28.csv")
    assert main(_arguments(case)) == 0
    out = capsys.readouterr().out
    assert "5.5e+28" in out  # the individual error of round E2, in units of S
    assert "InvalidOperation" not in out


def test_bad_rows_are_reported_in_the_rounds_table(capsys):
    case = next(case for case in CASES if case["file"] == "rounds_extra_fields_first_row.csv")
    assert main(_arguments(case)) == 0
    out = capsys.readouterr().out
    assert "1 bad row left out" in out and "'1,10,5,6,7,8'" in out


def test_the_whole_corpus_is_fast(capsys):
    start = time.perf_counter()
    for case in CASES:
        main(_arguments(case))
    capsys.readouterr()
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(("text", "separator"), [
    ("a,b\n1,2\n", ","), ("a;b\n1,5;2\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b\n1|2\n", "|"),
    ("guess\n1,5\n", ","), ('a,"b;c"\n1,2\n', ","), ("a;b,c\n1;2\n4;5\n", ";"),
])
def test_sniff_separator(text, separator):
    assert sniff_separator(text) == separator


def test_a_folder_is_not_a_csv_file(tmp_path):
    with pytest.raises(ConfigError, match="a folder, not a CSV file"):
        read_csv_table(tmp_path)


# ---------------------------------------------------------------------------------------------
# the same reader behind an experiment's observed.file


@pytest.mark.parametrize(("name", "mention"), [
    ("binary.csv", "binary"), ("empty.csv", "empty"), ("latin1.csv", "not UTF-8"),
    ("header_only.csv", "no data rows"), ("malformed_row_pz.csv", "bad row"),
])
def test_galton_observed_file(name, mention, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "galton.yaml"
    config.write_text(f"experiment: galton_ox\nseed: 1907\ntruth: 1198\nobserved:\n"
                      f"  kind: centile_table\n  file: {BAD_CSVS / name}\n  n: 787\n"
                      f"  centile_column: id\n  value_column: guess\nreplicates: 10\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, "observed.file", name, mention)
    assert not out.exists()


def test_galton_shipped_table_still_reads():
    from experiments import galton_ox
    from sim.config import load_yaml

    config = galton_ox.GaltonOxConfig.model_validate(load_yaml(CONFIGS / "galton_ox.yaml"))
    table = galton_ox._read_table(config.observed, CONFIGS)
    by_centile = dict(zip(table.centile, table.estimate))
    assert len(table) >= 3 and by_centile[50.0] == 1207  # Galton's median, lb


@pytest.mark.parametrize("option", [["--decimal", ","], ["--thousands", ","]])
def test_number_options_are_not_for_specs(option, capsys):
    assert main(["analyze", "--spec", "configs/datasets/lorenz2011.yaml", *option]) == 2
    assert_one_line_error(capsys.readouterr().err, option[0], "--spec")

"""What a sweep folder gives back: ``sim.results.point_means``, ``crowdsim results --points``
and ``--csv``, ``crowdsim figures`` on sweep folders, and ``run_sweep`` with only a config.

Sweeps here are tiny (crowds of 10 to 20, a few replicates) and written to tmp_path.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error

from sim import results
from sim.cli import main
from sim.sweep import SweepConfig, run_sweep
from sim.sweep.config import sweep_hash

#: 2 x 2 grid, 3 replicates; at noise_scale 5 (truth 1) some crowds hold an estimate <= 0,
#: so the geometric mean's error is NaN in some runs (left out of the means).
GRID = {"model": "estimation", "seed": 3, "design": "grid", "replicates": 3,
        "fixed": {"n_agents": 10, "truth": 1.0, "noise": "normal"},
        "swept": {"noise_scale": [0.1, 5.0], "correlation": [0.0, 0.5]},
        "metrics": ["error_of_mean", "error_of_geometric_mean"]}

SOBOL = {"model": "estimation", "seed": 5, "design": "sobol", "samples": 16, "replicates": 2,
         "fixed": {"n_agents": 20, "truth": 100.0, "noise": "normal", "noise_scale": 5.0},
         "swept": {"bias_shift": {"low": 0, "high": 50}, "correlation": {"low": 0, "high": 0.5}},
         "metrics": ["error_of_mean"]}


def sweep(folder, spec):
    return run_sweep(SweepConfig.model_validate(spec), folder, workers=1, quiet=True, log=None)


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    assert sweep(folder, GRID).done == 12
    return folder


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sobol")
    assert sweep(folder, SOBOL).done == 16 * 6 * 2
    return folder


def copy_of(folder, tmp_path):
    target = tmp_path / "sweep"
    shutil.copytree(folder, target)
    return target


# ---------------------------------------------------------------------------------------------
# point_means


def test_point_means_are_the_replicate_means_and_standard_errors(grid_sweep):
    table = results.point_means(grid_sweep)
    runs = results.load(grid_sweep)
    assert table.index.name == "point_id" and table.index.tolist() == [0, 1, 2, 3]
    assert table.columns.tolist() == [
        "noise_scale", "correlation", "n_agents", "truth", "noise", "runs", "error_of_mean",
        "error_of_mean_se", "error_of_geometric_mean", "error_of_geometric_mean_se"]
    assert table[["noise_scale", "correlation"]].values.tolist() == [
        [0.1, 0.0], [0.1, 0.5], [5.0, 0.0], [5.0, 0.5]]
    assert (table["n_agents"] == 10).all() and (table["noise"] == "normal").all()
    assert table["runs"].tolist() == [3, 3, 3, 3]
    for point_id, row in table.iterrows():
        for metric in ("error_of_mean", "error_of_geometric_mean"):
            values = [v for v in runs.loc[runs.point_id == point_id, metric] if not math.isnan(v)]
            n = len(values)
            mean = sum(values) / n if n else math.nan
            se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / math.sqrt(n) \
                if n > 1 else math.nan
            assert row[metric] == pytest.approx(mean, rel=1e-12, nan_ok=True)
            assert row[f"{metric}_se"] == pytest.approx(se, rel=1e-12, nan_ok=True)
    # the NaN case is really exercised: some runs have no geometric mean, others have
    assert runs["error_of_geometric_mean"].isna().any()
    assert table["error_of_geometric_mean"].notna().any()


def test_point_means_of_chosen_metrics_and_of_one_metric(grid_sweep):
    table = results.point_means(grid_sweep, ["error_of_mean"])
    assert table.columns[-2:].tolist() == ["error_of_mean", "error_of_mean_se"]
    assert "error_of_geometric_mean" not in table.columns
    one = results.point_means(grid_sweep, "error_of_mean")  # a name: just its means
    assert isinstance(one, pd.Series)
    assert np.allclose(one.to_numpy(), table["error_of_mean"].to_numpy())


def test_point_means_keep_points_without_runs(grid_sweep, tmp_path):
    from sim.sweep.store import SweepStore

    partial = copy_of(grid_sweep, tmp_path)
    for path in SweepStore(partial).completed_chunks().values():
        path.unlink()
    table = results.point_means(partial)
    assert len(table) == 4 and (table["runs"] == 0).all()
    assert table["error_of_mean"].isna().all()


def test_point_means_average_each_runs_last_round(tmp_path):
    spec = {"model": "estimation", "seed": 8, "design": "grid", "replicates": 2,
            "fixed": {"n_agents": 15, "truth": 100, "noise_scale": 10,
                      "information": "aggregate"},
            "swept": {"rounds": [0, 2]}, "metrics": ["diversity"]}
    sweep(tmp_path, spec)
    runs = results.load(tmp_path)
    last = runs.groupby("run_id").tail(1).groupby("point_id")["diversity"].mean()
    table = results.point_means(tmp_path)
    assert np.allclose(table["diversity"].to_numpy(), last.to_numpy())
    first = results.point_means(tmp_path, round_=0)["diversity"]
    assert first[1] > table["diversity"][1]  # averaging over rounds shrinks the diversity


# ---------------------------------------------------------------------------------------------
# crowdsim results --points / --csv


def test_results_points_prints_one_row_per_point(grid_sweep, capsys):
    assert main(["results", str(grid_sweep), "--points", "--metric", "error_of_mean"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "4 points" in lines[0] and "standard error" in lines[0]
    assert "fixed:" in lines[1] and "n_agents=10" in lines[1]
    header = lines[2].split()
    assert header == ["point_id", "noise_scale", "correlation", "runs", "error_of_mean"]
    assert len(lines) == 3 + 4 and all("±" in line for line in lines[3:])
    table = results.point_means(grid_sweep, ["error_of_mean"])
    first = lines[3].split()
    assert first[:4] == ["0", "0.1", "0", "3"]
    assert float(first[4]) == pytest.approx(table["error_of_mean"][0], rel=1e-3)


def test_results_csv_reads_back(grid_sweep, tmp_path, capsys):
    target = tmp_path / "points.csv"
    assert main(["results", str(grid_sweep), "--csv", str(target)]) == 0
    out = capsys.readouterr().out
    assert "metric means" in out and f"written: {target}" in out  # the summary, then the file
    back = pd.read_csv(target, index_col="point_id")
    expected = results.point_means(grid_sweep)
    assert back.columns.tolist() == expected.columns.tolist()
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_exact=False,
                                  rtol=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv"]  # no temporary left


def test_results_csv_failure_leaves_no_file(grid_sweep, tmp_path, capsys):
    missing = tmp_path / "missing" / "points.csv"
    assert main(["results", str(grid_sweep), "--points", "--csv", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, "--csv", "does not exist")
    assert not (tmp_path / "missing").exists()  # no folder made either
    # the target is a folder: the write fails at the rename; the temporary is removed
    (tmp_path / "taken").mkdir()
    assert main(["results", str(grid_sweep), "--csv", str(tmp_path / "taken")]) == 2
    assert_one_line_error(capsys.readouterr().err, "--csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert list((tmp_path / "taken").iterdir()) == []


# ---------------------------------------------------------------------------------------------
# crowdsim figures on sweep folders, crowdsim sensitivity


def test_figures_of_a_grid_sweep(grid_sweep, tmp_path, capsys):
    folder = copy_of(grid_sweep, tmp_path)
    assert main(["figures", str(folder)]) == 0
    out = capsys.readouterr().out
    drawn = sorted(p.name for p in (folder / "figures").glob("*.png"))
    assert drawn == sorted(f"{metric}-by-{name}.png"
                           for metric in ("error_of_mean", "error_of_geometric_mean")
                           for name in ("noise_scale", "correlation",
                                        "noise_scale-and-correlation"))
    for name in drawn:
        assert (folder / "figures" / name).stat().st_size > 10_000
        assert (folder / "figures" / name).with_suffix(".svg").is_file()
        assert name in out
    assert not list(folder.glob("sensitivity-*"))  # a grid has no sensitivity indices
    assert "report:" in out and (folder / "report.md").is_file()
    # the report embeds every figure with a caption in words (no file name as caption)
    report = (folder / "report.md").read_text(encoding="utf-8")
    for name in drawn:
        assert f"(figures/{name})" in report
    assert "Error of the mean (estimate units) against noise scale" in report
    assert "heatmap" not in report and "averaged over any other swept parameter" in report
    assert report.count("data:image/png") == 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(drawn)


def test_figures_of_chosen_metrics_and_errors(grid_sweep, tmp_path, capsys):
    folder = copy_of(grid_sweep, tmp_path)
    assert main(["figures", str(folder), "--metric", "error_of_mean", "--no-report"]) == 0
    assert len(list((folder / "figures").glob("*.png"))) == 3
    assert not (folder / "report.md").exists()
    capsys.readouterr()
    assert main(["figures", str(folder), "--metric", "nope"]) == 2
    assert_one_line_error(capsys.readouterr().err, "nope", "recorded")
    assert main(["figures", str(tmp_path / "empty")]) == 2
    assert_one_line_error(capsys.readouterr().err, "manifest.json", "summary.json")


def test_figures_of_a_sobol_sweep_include_the_sensitivity_chart(sobol_sweep, tmp_path, capsys):
    folder = copy_of(sobol_sweep, tmp_path)
    assert main(["figures", str(folder)]) == 0
    drawn = sorted(p.name for p in (folder / "figures").glob("*.png"))
    assert drawn == ["error_of_mean-by-bias_shift.png", "error_of_mean-by-correlation.png"]
    assert (folder / "sensitivity-error_of_mean.png").stat().st_size > 10_000
    assert (folder / "sensitivity-error_of_mean.json").is_file()
    assert "sensitivity-error_of_mean.png" in (folder / "report.md").read_text()


def test_sensitivity_refreshes_the_report(sobol_sweep, tmp_path, capsys):
    folder = copy_of(sobol_sweep, tmp_path)
    (folder / "report.md").unlink(missing_ok=True)
    assert main(["sensitivity", str(folder), "--metric", "error_of_mean"]) == 0
    assert "report:" in capsys.readouterr().out
    assert "sensitivity-error_of_mean.png" in (folder / "report.md").read_text()
    (folder / "report.md").unlink()
    assert main(["sensitivity", str(folder), "--metric", "error_of_mean", "--no-report"]) == 0
    assert not (folder / "report.md").exists()


# ---------------------------------------------------------------------------------------------
# run_sweep


def test_run_sweep_needs_only_a_config(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = SweepConfig.model_validate({**GRID, "replicates": 1})
    report = run_sweep(config)
    folder = tmp_path / "results" / f"estimation-{sweep_hash(config)[:8]}"
    assert report.folder.resolve() == folder and (report.done, report.total) == (4, 4)
    assert results.read_manifest(folder)["name"] == folder.name
    # the same config resumes in the same folder; an out_dir names the sweep after itself
    assert run_sweep(config, quiet=True).computed == 0
    assert results.read_manifest(run_sweep(config, tmp_path / "mine", quiet=True).folder)[
        "name"] == "mine"

"""Sweeps: designs, seeds and identity, determinism, failures, config errors, the store,
``crowdsim results`` and ``crowdsim sensitivity``.

Resume after a kill is in test_sweep_resume.py, a real Dask cluster in test_sweep_dask.py.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal
from test_sweep_support import SMALL_GRID, run_sim, write_config

from sim.cli import main
from sim.config import ConfigError
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation.sweep import run_batch as run_estimation_batch
from sim.seeding import derive_seed
from sim.sweep import results
from sim.sweep.config import SweepConfig, load_sweep_config
from sim.sweep.design import build_design, point_key, split_key
from sim.sweep.models import MODELS, get_model
from sim.sweep.runner import plan_chunks, run_sweep
from sim.sweep.sensitivity import analyse
from sim.sweep.store import SweepStore
from sim.sweep.worker import run_chunk


def sweep(folder, config=None, **kwargs):
    """Run ``config`` (default SMALL_GRID) into ``folder`` quietly; return the report."""
    config = config or SweepConfig.model_validate(SMALL_GRID)
    kwargs.setdefault("workers", 1)
    return run_sweep(config, folder, name="test", quiet=True, log=None, **kwargs)


def one_line_error(capsys, *mentions: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crowdsim: error:"), lines[0]
    for mention in mentions:
        assert mention in lines[0], f"{mention!r} not in {lines[0]!r}"
    return lines[0]


# ---------------------------------------------------------------------------------------------
# designs


def test_grid_is_the_full_factorial_with_the_last_parameter_fastest():
    design = build_design(SweepConfig.model_validate(SMALL_GRID))
    frame = design.to_frame()
    assert len(design) == 6
    assert frame["noise_scale"].tolist() == [5.0, 5.0, 10.0, 10.0, 20.0, 20.0]
    assert frame["correlation"].tolist() == [0.0, 0.5] * 3
    assert (frame["n_agents"] == 30).all() and (frame["noise"] == "normal").all()
    # parameter columns follow the model's schema, fixed and swept alike
    assert list(frame.columns) == ["point_id", "point_key", "n_agents", "truth", "noise",
                                   "noise_scale", "correlation"]


def test_linspace_and_logspace_follow_numpy_and_integers_are_rounded():
    config = SweepConfig.model_validate({**SMALL_GRID, "swept": {
        "noise_scale": {"linspace": [1, 2, 3]},
        "n_agents": {"logspace": [1, 2, 3]}}, "fixed": {}})
    design = build_design(config)
    assert sorted(set(design.columns["noise_scale"])) == [1.0, 1.5, 2.0]
    assert sorted(set(design.columns["n_agents"])) == [10, 32, 100]
    assert all(type(n) is int for n in design.columns["n_agents"])


@pytest.mark.parametrize("kind, samples, expected_points", [
    ("random", 20, 20), ("lhs", 20, 20), ("sobol", 16, 16 * (2 * 3 + 2)),
    ("morris", 5, 5 * (3 + 1)),
])
def test_sampled_designs_respect_ranges_logs_and_integers(kind, samples, expected_points):
    config = SweepConfig.model_validate({
        **SMALL_GRID, "design": kind, "samples": samples, "fixed": {"truth": 100},
        "swept": {"correlation": {"low": 0.1, "high": 0.6},
                  "noise_scale": {"low": 0.5, "high": 50, "log": True},
                  "n_agents": {"low": 10, "high": 300, "log": True}}})
    design = build_design(config)
    assert len(design) == expected_points
    corr = np.array(design.columns["correlation"])
    scale = np.array(design.columns["noise_scale"])
    assert corr.min() >= 0.1 and corr.max() <= 0.6
    assert scale.min() >= 0.5 and scale.max() <= 50
    assert all(type(n) is int and 10 <= n <= 300 for n in design.columns["n_agents"])
    if kind in ("random", "lhs", "sobol"):
        # log: true spreads the samples evenly over decades, not over the linear range
        assert np.mean(scale < 5) == pytest.approx(0.5, abs=0.2)
    again = build_design(config)
    assert np.array_equal(design.keys, again.keys)  # same seed, same design


def test_a_run_seed_derives_from_the_point_key_and_replicate(tmp_path):
    sweep(tmp_path)
    runs = results.load(tmp_path)
    design = results.load_design(tmp_path)
    for row in runs.sample(5, random_state=1).itertuples():
        params = {"n_agents": 30, "truth": 100.0, "noise": "normal",
                  "noise_scale": row.noise_scale, "correlation": row.correlation}
        key = point_key(params)
        assert row.point_key == key == design.point_key[row.point_id]
        assert row.seed == derive_seed(11, *split_key(key), row.replicate)
        assert row.run_id == row.point_id * 5 + row.replicate
        # the stored metrics are those of the kernel run alone with that seed
        alone = run_estimation_batch(EstimationParams(**params), [row.seed],
                                     ["error_of_mean", "woc_indicator"])
        assert row.error_of_mean == alone["error_of_mean"][0]
        assert row.woc_indicator == alone["woc_indicator"][0]


def test_every_offered_metric_is_computed_per_replicate():
    params = EstimationParams(n_agents=25, truth=10.0, noise="normal", noise_scale=8.0)
    seeds = np.arange(6)
    offered = get_model("estimation").metrics
    values = run_estimation_batch(params, seeds, offered)
    assert list(values) == list(offered)
    for name, array in values.items():
        assert array.shape == (6,) and array.dtype == np.float64, name
    # estimates around 10 with SD 8 include negatives: the geometric mean is undefined there
    negative = (simulate_crowds(params, seeds).estimates <= 0).any(axis=1)
    assert negative.any()
    assert np.array_equal(np.isnan(values["error_of_geometric_mean"]), negative)
    # the diversity prediction theorem holds metric by metric
    individual_sq = np.mean((simulate_crowds(params, seeds).estimates - 10.0) ** 2, axis=1)
    assert np.allclose(values["collective_sq_error"], individual_sq - values["diversity"])


# ---------------------------------------------------------------------------------------------
# determinism


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """SMALL_GRID with 40 replicates (240 runs), in this process, default chunking."""
    folder = tmp_path_factory.mktemp("reference")
    config = SweepConfig.model_validate({**SMALL_GRID, "replicates": 40})
    sweep(folder, config)
    return config, results.load(folder)


def test_results_do_not_depend_on_the_number_of_worker_processes(tmp_path, reference):
    config, expected = reference
    report = sweep(tmp_path, config, workers=2, chunk_size=30)
    assert report.done == 240
    manifest = results.read_manifest(tmp_path)
    assert manifest["timings"]["sessions"][-1]["executor"] == "on 2 local worker processes"
    assert_frame_equal(results.load(tmp_path), expected)


@pytest.mark.parametrize("chunk_size", [7, 50])
def test_results_do_not_depend_on_the_chunk_size(tmp_path, reference, chunk_size):
    config, expected = reference
    sweep(tmp_path, config, chunk_size=chunk_size)
    assert len(SweepStore(tmp_path).completed_chunks()) == -(-240 // chunk_size)
    assert_frame_equal(results.load(tmp_path), expected)


def test_results_do_not_depend_on_the_order_chunks_run_in(tmp_path, reference):
    config, expected = reference
    design = build_design(config)
    tasks = list(plan_chunks(design, config, chunk_size=11))
    random.Random(5).shuffle(tasks)
    store = SweepStore(tmp_path)
    sweep(tmp_path, config, chunk_size=11)
    for path in store.completed_chunks().values():  # keep the manifest, drop the data
        path.unlink()
    for task in tasks[: len(tasks) // 2]:  # half the chunks, in a random order ...
        store.write_chunk(run_chunk(task))
    # ... then the sweep picks up the rest as it would after an interruption
    report = sweep(tmp_path, config, chunk_size=11)
    assert report.computed == 240 - sum(t.n_runs for t in tasks[: len(tasks) // 2])
    assert_frame_equal(results.load(tmp_path), expected)


# ---------------------------------------------------------------------------------------------
# failures


def test_failing_points_are_recorded_and_the_sweep_goes_on(tmp_path):
    # log-normal noise needs a positive centre: truth * bias_factor + bias_shift > 0
    config = write_config(tmp_path, fixed={"n_agents": 20, "truth": 100, "noise": "lognormal",
                                           "noise_scale": 0.3},
                          swept={"bias_shift": [-150.0, 0.0, 10.0], "correlation": [0.0, 0.4]})
    out = tmp_path / "out"
    done = run_sim("sweep", str(config), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "failed runs" in done.stdout and "positive centre" in done.stdout
    # not a terminal: plain progress lines on stderr, no bar
    assert "sweep: 30/30 runs (100 %)" in done.stderr and "|" not in done.stderr
    failures = results.load_failures(out)
    assert len(failures) == 2 * 5  # two points (bias_shift -150) x 5 replicates
    assert set(failures["error_type"]) == {"ValidationError"}
    assert failures["error_message"].str.contains("needs a positive centre").all()
    params = [json.loads(p) for p in failures["params"]]
    assert {p["bias_shift"] for p in params} == {-150.0}
    assert {p["correlation"] for p in params} == {0.0, 0.4}
    runs = results.load(out)
    assert len(runs) == 20 and (runs["bias_shift"] > -150).all()
    assert np.isfinite(runs[["error_of_mean", "diversity"]].to_numpy()).all()
    assert results.status(out) == {"done": 20, "failed": 10, "pending": 0, "total": 30}
    # a rerun has nothing left to do and still reports the failures
    again = run_sim("sweep", str(config), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 1 and "nothing left to run" in again.stdout
    summary = run_sim("results", str(out), cwd=tmp_path)
    assert summary.returncode == 0
    assert "10 runs at 2 points: ValidationError" in summary.stdout


def test_a_run_that_raises_alone_fails_alone(tmp_path, monkeypatch):
    """One bad replicate fails by itself, whichever chunk it shares with others."""
    model = get_model("estimation")
    config = SweepConfig.model_validate(SMALL_GRID)
    bad_seed = derive_seed(11, *split_key(int(build_design(config).keys[2])), 3)

    def fragile(params, seeds, metrics):
        if bad_seed in list(seeds):
            raise FloatingPointError("replicate 3 of point 2 overflowed")
        return run_estimation_batch(params, seeds, metrics)

    import dataclasses

    monkeypatch.setitem(MODELS, "estimation", dataclasses.replace(model, run_batch=fragile))
    report = sweep(tmp_path, config)
    failures = results.load_failures(tmp_path)
    assert report.failed == 1 and failures["run_id"].tolist() == [2 * 5 + 3]
    assert failures["error_message"].tolist() == ["replicate 3 of point 2 overflowed"]
    assert report.done == 29


def test_models_with_rounds_get_one_row_per_run_and_round(tmp_path, monkeypatch):
    """The interface later models use: the number of rounds may depend on the parameters."""
    from pydantic import BaseModel, ConfigDict

    from sim.sweep.models import SweepModel

    class ToyParams(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
        rounds: int = 0
        step: float = 1.0

    def run_batch(params, seeds, metrics):
        # "level" climbs by `step` each round from a start drawn from the run's seed
        start = np.array([np.random.default_rng(int(s)).random() for s in seeds])
        levels = start[:, None] + params.step * np.arange(params.rounds + 1)
        return {"level": levels}

    monkeypatch.setitem(MODELS, "toy", SweepModel(
        params_schema=ToyParams, run_batch=run_batch, metrics=("level",),
        default_metrics=("level",), rounds=lambda params: tuple(range(params.rounds + 1))))
    config = SweepConfig(model="toy", seed=1, design="grid", replicates=3,
                         swept={"rounds": [0, 2], "step": [1.0, 10.0]})
    report = sweep(tmp_path, config, chunk_size=5)
    assert (report.done, report.total) == (12, 12)
    runs = results.load(tmp_path)
    assert len(runs) == 2 * 3 * 1 + 2 * 3 * 3  # runs with rounds=2 have three rows
    assert runs.groupby("run_id")["round"].max().tolist() == [0] * 6 + [2] * 6
    assert results.status(tmp_path)["done"] == 12
    last = runs.groupby("run_id").tail(1)
    means = results.point_means(tmp_path, "level")
    assert np.allclose(means.to_numpy(), last.groupby("point_id")["level"].mean().to_numpy())
    assert means[3] == pytest.approx(means[1] + 20.0, abs=1.0)  # two steps of 10


@pytest.mark.skipif("rounds" not in EstimationParams.model_fields,
                    reason="the estimation model has no rounds of social influence yet")
def test_estimation_runs_record_every_round_of_social_influence(tmp_path):
    config = SweepConfig.model_validate({
        "model": "estimation", "seed": 8, "design": "grid", "replicates": 4,
        "fixed": {"n_agents": 40, "truth": 100, "noise_scale": 10, "information": "aggregate"},
        "swept": {"rounds": [0, 3], "social_weight": [0.5]}, "metrics": ["diversity"]})
    report = sweep(tmp_path, config)
    assert (report.done, report.failed) == (8, 0)
    runs = results.load(tmp_path)
    assert runs.groupby("run_id")["round"].apply(list).tolist() == [[0]] * 4 + [[0, 1, 2, 3]] * 4
    influenced = runs[runs.rounds == 3].pivot(index="run_id", columns="round",
                                              values="diversity")
    assert (influenced.diff(axis=1).iloc[:, 1:] < 0).all().all()  # averaging shrinks it


@pytest.mark.skipif("network" not in EstimationParams.model_fields,
                    reason="the estimation model has no networks yet")
def test_structured_parameters_are_stored_as_json(tmp_path):
    network = {"kind": "ring_lattice", "degree": 4}
    config = SweepConfig.model_validate({
        **SMALL_GRID, "fixed": {"n_agents": 20, "information": "neighbours", "rounds": 1,
                                "network": network}})
    sweep(tmp_path, config)
    runs = results.load(tmp_path)
    assert set(runs["network"]) == {json.dumps(network, sort_keys=True)}
    assert json.loads(results.load_design(tmp_path)["network"][0]) == network


# ---------------------------------------------------------------------------------------------
# config errors: one line naming the field, exit code 2, nothing written


@pytest.mark.parametrize("change, mentions", [
    ({"swept": {"noise_level": [1.0, 2.0]}}, ["swept.noise_level", "allowed:", "noise_scale"]),
    ({"fixed": {"n_agent": 5}}, ["fixed.n_agent", "n_agents"]),
    ({"design": "factorial"}, ["design", "grid"]),
    ({"design": "sobol", "samples": 100,
      "swept": {"correlation": {"low": 0, "high": 1}}}, ["samples", "power of two"]),
    ({"replicates": -3}, ["replicates", "greater than or equal to 1"]),
    ({"swept": {"noise_scale": {"linspace": [1, 2, 0]}}}, ["swept.noise_scale.linspace", "n"]),
    ({"swept": {"correlation": [0.2, 1.5]}}, ["swept.correlation", "less than or equal to 1"]),
    ({"swept": {"correlation": {"low": 0, "high": 1}}}, ["swept.correlation", "grid"]),
    ({"design": "lhs", "samples": 10, "swept": {"correlation": [0.1, 0.2]}},
     ["swept.correlation", "low"]),
    ({"design": "lhs"}, ["samples", "required"]),
    ({"metrics": ["error_of_mean", "wisdom"]}, ["metrics", "wisdom", "allowed"]),
    ({"model": "ants"}, ["model", "estimation"]),
    ({"fixed": {"n_agents": 30, "truth": 100, "noise": "normal", "correlation": 0.1}},
     ["swept.correlation", "either fixed or swept"]),
    ({"swept": {"noise_scale": {"low": 10, "high": 5}}, "design": "random", "samples": 3},
     ["swept.noise_scale", "low < high"]),
    ({"fixed": {"truth": 100}, "design": "random", "samples": 3,
      "swept": {"n_agents": {"low": 10, "high": 50, "integer": False}}},
     ["swept.n_agents.integer", "integer parameter"]),
    ({"design": "morris", "samples": 4, "levels": 3,
      "swept": {"noise_scale": {"low": 1, "high": 5}}}, ["levels", "even"]),
    ({"samples": 4}, ["samples", "only for sampled designs"]),
    ({"swept": {"noise_scale": [5.0, 5]}}, ["swept.noise_scale", "repeat"]),
    ({"fixed": {"n_agents": 30.5}}, ["fixed.n_agents", "valid integer"]),
    ({"chunk_size": 0}, ["chunk_size"]),
])
def test_config_errors_are_one_line_and_write_nothing(tmp_path, capsys, change, mentions):
    config = write_config(tmp_path, **change)
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out)]) == 2
    one_line_error(capsys, str(config), *mentions)
    assert not out.exists()


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    config = write_config(tmp_path)
    for argv, mention in ((["--workers", "0"], "--workers"),
                          (["--chunk-size", "x"], "--chunk-size"),
                          (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers"),
                          (["--scheduler", "localhost"], "--scheduler")):
        assert main(["sweep", str(config), "--out", str(tmp_path / "out"), *argv]) == 2
        one_line_error(capsys, mention)
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    config = write_config(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(config), "--out", str(out), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2  # port 9 (discard) has no scheduler
    one_line_error(capsys, "--scheduler", "tcp://127.0.0.1:9")
    assert not out.exists()


def test_config_error_exit_code_from_the_command_line(tmp_path):
    config = write_config(tmp_path, replicates=0)
    done = run_sim("sweep", str(config), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "replicates" in done.stderr
    assert not (tmp_path / "out").exists()


def test_shipped_sweep_configs_are_valid():
    from pathlib import Path

    configs = sorted((Path(__file__).parent.parent / "configs").glob("sweep_*.yaml"))
    assert {c.stem for c in configs} >= {"sweep_demo", "sweep_sobol", "sweep_morris"}
    for path in configs:
        config = load_sweep_config(path)
        assert len(build_design(config)) > 0


# ---------------------------------------------------------------------------------------------
# reusing a folder


def test_a_folder_holding_another_config_is_refused_unless_fresh(tmp_path, capsys):
    out = tmp_path / "out"
    first = write_config(tmp_path, "a.yaml")
    assert main(["sweep", str(first), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")  # --quiet: nothing but errors
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    other = write_config(tmp_path, "b.yaml", seed=12)
    assert main(["sweep", str(other), "--out", str(out), "--quiet"]) == 2
    one_line_error(capsys, str(out), "different config", "--fresh")
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # a different chunk size would chunk the runs differently: refused too
    assert main(["sweep", str(first), "--out", str(out), "--chunk-size", "4"]) == 2
    one_line_error(capsys, "chunk size")

    (out / "notes.txt").write_text("mine")
    assert main(["sweep", str(other), "--out", str(out), "--fresh", "--quiet"]) == 0
    assert results.read_manifest(out)["config"]["seed"] == 12
    assert (out / "notes.txt").read_text() == "mine"  # --fresh removes sweep files only
    runs = results.load(out)
    assert len(runs) == 30 and runs["seed"].iloc[0] == derive_seed(
        12, *split_key(int(runs["point_key"].iloc[0])), 0)


def test_manifest_records_config_design_provenance_and_counts(tmp_path):
    sweep(tmp_path, chunk_size=8)
    manifest = results.read_manifest(tmp_path)
    assert manifest["status"] == "complete"
    assert manifest["counts"] == {"done": 30, "failed": 0, "pending": 0}
    expected = {"kind": "grid", "points": 6, "replicates": 5, "runs": 30, "chunk_size": 8,
                "chunks": 4, "swept": ["noise_scale", "correlation"]}
    assert {key: manifest["design"][key] for key in expected} == expected
    assert manifest["config"]["swept"] == SMALL_GRID["swept"]
    assert len(manifest["config_hash"]) == 64
    assert {"git_commit", "versions", "crowdsim_version"} <= set(manifest["provenance"])
    assert manifest["timings"]["sessions"][0]["runs"] == 30
    assert manifest["started"] <= manifest["updated"]
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["design.parquet", "manifest.json", *[f"runs-{i:06d}.parquet"
                                                          for i in range(4)]]


def test_load_returns_typed_tidy_rows_sorted_by_run_id(tmp_path):
    sweep(tmp_path, chunk_size=7)
    runs = results.load(tmp_path)
    assert list(runs.columns) == ["run_id", "point_id", "point_key", "seed", "n_agents",
                                  "truth", "noise", "noise_scale", "correlation", "replicate",
                                  "round", "error_of_mean", "error_of_median", "diversity",
                                  "woc_indicator"]
    assert runs["run_id"].tolist() == list(range(30))
    assert (runs["round"] == 0).all()
    for column in ("run_id", "point_id", "point_key", "seed", "n_agents", "replicate"):
        assert runs[column].dtype == np.int64, column
    assert runs["diversity"].dtype == np.float64
    subset = results.load(tmp_path, columns=["diversity"])
    assert list(subset.columns) == ["run_id", "round", "diversity"]


def test_results_command_prints_counts_and_means_by_parameter(tmp_path, capsys):
    sweep(tmp_path)
    assert main(["results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "30 done, 0 failed, 0 pending" in out
    assert "by noise_scale:" in out and "by correlation:" in out
    by_scale = results.summarise(tmp_path)["by_parameter"]["noise_scale"]
    assert by_scale.index.tolist() == [5.0, 10.0, 20.0]
    assert by_scale["runs"].tolist() == [10, 10, 10]
    runs = results.load(tmp_path)
    assert by_scale.loc[10.0, "diversity"] == pytest.approx(
        runs.loc[runs.noise_scale == 10.0, "diversity"].mean())
    # a metric that was not recorded
    assert main(["results", str(tmp_path), "--metric", "truth_in_range"]) == 2
    one_line_error(capsys, "truth_in_range", "recorded")
    assert main(["results", str(tmp_path / "nowhere")]) == 2
    one_line_error(capsys, "not a sweep folder")


def test_sampled_designs_are_summarised_by_quantile_bins(tmp_path):
    config = SweepConfig.model_validate({**SMALL_GRID, "design": "lhs", "samples": 40,
                                         "replicates": 1,
                                         "swept": {"noise_scale": {"low": 1, "high": 20}}})
    sweep(tmp_path, config)
    table = results.summarise(tmp_path)["by_parameter"]["noise_scale"]
    assert len(table) == 4 and table["runs"].sum() == 40
    assert isinstance(table.index, pd.CategoricalIndex)


# ---------------------------------------------------------------------------------------------
# sensitivity


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    """N = 64 Sobol design over three parameters; the crowd's bias dwarfs everything else."""
    folder = tmp_path_factory.mktemp("sobol")
    config = SweepConfig.model_validate({
        "model": "estimation", "seed": 3, "design": "sobol", "samples": 64,
        "fixed": {"n_agents": 20, "truth": 100, "noise": "normal"},
        "swept": {"bias_shift": {"low": 0, "high": 200},
                  "noise_scale": {"low": 1, "high": 5},
                  "correlation": {"low": 0, "high": 0.5}},
        "replicates": 2, "metrics": ["error_of_mean", "diversity"]})
    report = sweep(folder, config)
    assert report.done == 64 * 8 * 2
    return folder


def test_sobol_indices_find_the_parameter_a_metric_depends_on(sobol_sweep, capsys):
    assert main(["sensitivity", str(sobol_sweep), "--metric", "error_of_mean"]) == 0
    out = capsys.readouterr().out
    assert "S1" in out and "ST" in out and "bias_shift" in out
    saved = json.loads((sobol_sweep / "sensitivity-error_of_mean.json").read_text())
    indices = {p["name"]: p for p in saved["parameters"]}
    assert indices["bias_shift"]["ST"] > 0.9
    assert indices["bias_shift"]["S1"] > 0.8
    for other in ("noise_scale", "correlation"):
        assert indices[other]["ST"] < 0.1
        assert indices[other]["ST_conf"] >= 0
    assert (sobol_sweep / "sensitivity-error_of_mean.png").stat().st_size > 0
    assert (sobol_sweep / "sensitivity-error_of_mean.svg").stat().st_size > 0
    # diversity depends on the noise scale (and the shared share of it), not on the bias;
    # seeds follow the parameters, so a bias index is only replicate noise, and smaller
    diversity = {p["name"]: p["ST"] for p in analyse(sobol_sweep, "diversity")["parameters"]}
    assert max(diversity, key=diversity.get) == "noise_scale"
    assert diversity["noise_scale"] > 0.6 > 0.3 > diversity["bias_shift"]


def test_sensitivity_errors(tmp_path, sobol_sweep, capsys):
    assert main(["sensitivity", str(sobol_sweep), "--metric", "woc_indicator"]) == 2
    one_line_error(capsys, "woc_indicator", "recorded")
    sweep(tmp_path)
    assert main(["sensitivity", str(tmp_path), "--metric", "diversity"]) == 2
    one_line_error(capsys, "grid design", "sobol")


def test_sensitivity_refuses_pending_runs(tmp_path, sobol_sweep, capsys):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(sobol_sweep, partial)
    next(iter(SweepStore(partial).completed_chunks().values())).unlink()
    assert main(["sensitivity", str(partial), "--metric", "error_of_mean"]) == 2
    one_line_error(capsys, "pending")


def test_morris_indices(tmp_path, capsys):
    config = SweepConfig.model_validate({
        "model": "estimation", "seed": 4, "design": "morris", "samples": 10,
        "fixed": {"truth": 100, "noise": "normal", "noise_scale": 1.0},
        "swept": {"bias_shift": {"low": 0, "high": 100},
                  "correlation": {"low": 0, "high": 0.5},
                  "n_agents": {"low": 10, "high": 100, "log": True}},
        "replicates": 2, "metrics": ["error_of_mean"]})
    sweep(tmp_path, config)
    assert main(["sensitivity", str(tmp_path), "--metric", "error_of_mean"]) == 0
    assert "mu*" in capsys.readouterr().out
    saved = json.loads((tmp_path / "sensitivity-error_of_mean.json").read_text())
    mu_star = {p["name"]: p["mu_star"] for p in saved["parameters"]}
    assert max(mu_star, key=mu_star.get) == "bias_shift"


def test_yaml_round_trip_of_the_demo_config():
    from pathlib import Path

    raw = yaml.safe_load((Path(__file__).parent.parent / "configs" / "sweep_demo.yaml")
                         .read_text())
    design = build_design(SweepConfig.model_validate(raw))
    assert 200 <= len(design) * raw["replicates"] <= 1000


def test_config_error_class_is_raised_for_a_missing_file():
    with pytest.raises(ConfigError, match="file not found"):
        load_sweep_config("no/such/config.yaml")


@pytest.mark.parametrize("model, params, metric", [
    ("nest_site", {"horizon": 40}, "plurality_best"),
    ("majority_vote", {"n_agents": 11}, "majority_right"),
    ("cascades", {"n_agents": 30}, "wrong_cascade"),
    ("cumulative_advantage", {"n_listeners": 100, "n_songs": 10}, "gini"),
])
def test_choice_models_sweep_deterministically(model, params, metric):
    """Every registered model runs through the sweep glue, reproducibly per seed."""
    from sim.seeding import replicate_seeds
    from sim.sweep.models import get_model

    spec = get_model(model)
    point = spec.params_schema(**params)
    seeds = replicate_seeds(3, 6)
    first = spec.run_batch(point, seeds, spec.metrics)
    again = spec.run_batch(point, seeds[2:], spec.metrics)
    assert set(first) == set(spec.metrics)
    np.testing.assert_array_equal(first[metric][2:], again[metric])
    assert first[metric].shape == (6,)


# ---------------------------------------------------------------------------------------------
# seeds in bulk and the executor's choice


@pytest.mark.parametrize("base_seed", [0, 1, 2025, 2**32 - 1, 2**32, 2**63 - 1, 2**130 + 7])
def test_bulk_run_seeds_equal_seed_sequence(base_seed):
    """run_seeds reimplements SeedSequence's hashing with arrays: the same seeds as
    run_seed (one SeedSequence per run) for any base seed, key and replicate."""
    from sim.sweep.worker import run_seed, run_seeds

    rng = np.random.default_rng(base_seed % 2**32)
    keys = [0, 1, 2**32, 2**63 - 1, *(int(k) for k in rng.integers(0, 2**63, 5))]
    replicates = np.array([0, 1, 2, 99, 2**31, 2**32 - 1, *rng.integers(0, 2**32, 10)])
    for key in keys:
        bulk = run_seeds(base_seed, key, replicates)
        assert bulk.dtype == np.int64
        assert [int(s) for s in bulk] == [run_seed(base_seed, key, int(r)) for r in replicates]
    assert run_seeds(base_seed, 5, np.arange(0)).shape == (0,)


def test_the_default_starts_workers_only_when_the_work_outweighs_their_start_up(monkeypatch):
    from sim.sweep import runner

    monkeypatch.setattr(runner, "free_cores", lambda since=None: 4)
    start_up = runner.WORKER_START_SECONDS * runner.START_WORKERS_AFTER
    assert runner._workers_worth_starting(0.9 * start_up) == 0
    assert runner._workers_worth_starting(1.1 * start_up) == 3  # the other free cores
    monkeypatch.setattr(runner, "free_cores", lambda since=None: 1)  # a busy machine
    assert runner._workers_worth_starting(100 * start_up) == 0


@pytest.mark.parametrize(("idle_share", "expected"), [(0.0, 1), (0.1, 1), (0.2, 2), (0.5, 3),
                                                      (0.75, 4), (1.0, 4)])
def test_free_cores_counts_the_cores_the_machine_left_idle_while_this_process_computed(
        monkeypatch, idle_share, expected):
    """4 CPUs, this process busy on one: it and the cores the machine left idle (the idle
    share of all 4, rounded) are free, whatever the lagging load average says."""
    from sim.sweep import runner

    monkeypatch.setattr(runner, "_cpu_count", lambda: 4)
    monkeypatch.setattr(runner, "_machine_cpus", lambda: 4)
    monkeypatch.setattr(runner.os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    total = 400  # 1 s of 4 CPUs at 100 ticks per second
    monkeypatch.setattr(runner, "cpu_times", lambda: (1000 + round(idle_share * total),
                                                      5000 + total))
    assert runner.free_cores((1000, 5000)) == expected
    assert runner.free_cores() == 1  # the load average: 4 busy of 4


def test_free_cores_falls_back_on_the_load_average_over_a_short_window(monkeypatch):
    from sim.sweep import runner

    monkeypatch.setattr(runner, "_cpu_count", lambda: 2)
    monkeypatch.setattr(runner.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    monkeypatch.setattr(runner, "cpu_times", lambda: (1000, 5005))  # 5 ticks: too few
    assert runner.free_cores((1000, 5000)) == 2
    monkeypatch.setattr(runner, "cpu_times", lambda: None)  # no /proc/stat
    assert runner.free_cores((1000, 5000)) == 2


def test_a_small_default_sweep_runs_in_this_process(tmp_path, reference):
    config, expected = reference
    report = sweep(tmp_path, config, workers=None)
    assert report.done == 240
    session = results.read_manifest(tmp_path)["timings"]["sessions"][-1]
    assert session["executor"].startswith("in this process") and session["workers"] == 1
    assert_frame_equal(results.load(tmp_path), expected)


def test_the_default_with_workers_started_gives_the_same_results(tmp_path, reference,
                                                                  monkeypatch):
    """Force the default to start a worker after its first measured chunk: this process and
    the worker share the chunks, and the data are the same."""
    from sim.sweep import runner

    config, expected = reference
    monkeypatch.setattr(runner, "MEASURE_SECONDS", 0.0)
    monkeypatch.setattr(runner, "_workers_worth_starting", lambda seconds_left, since=None: 1)
    report = sweep(tmp_path, config, workers=None, chunk_size=10)
    assert report.done == 240
    session = results.read_manifest(tmp_path)["timings"]["sessions"][-1]
    assert session["executor"] == "in this process and 1 local worker process"
    assert session["workers"] == 2
    assert_frame_equal(results.load(tmp_path), expected)

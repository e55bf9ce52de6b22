"""The experiment runner: experiments run through the sweep engine, resume after a kill to
identical results, run on a Dask cluster, and the layers import only downwards."""

from __future__ import annotations

import ast
import json
import signal
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, config_copy
from pandas.testing import assert_frame_equal
from test_sweep_support import run_sim, running_sim, wait_for_chunks

from experiments import EXPERIMENTS
from experiments._runner import Engine, Execution, Stage, run_experiment
from sim.config import ConfigError


def _phase_config(folder: Path, replicates: int = 40) -> Path:
    """configs/groupthink_phase.yaml with fewer crowds per point and without the calibrated
    regime (the runner is under test, not the calibration)."""
    return config_copy("groupthink_phase.yaml", folder, replicates=replicates,
                       calibrated="null")


def _results(folder: Path) -> tuple[pd.DataFrame, dict]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary.pop("provenance")
    return pd.read_parquet(folder / "points.parquet"), summary


@pytest.fixture(scope="module")
def phase_reference(tmp_path_factory):
    """The groupthink phase diagram, run without interruption in this process."""
    folder = tmp_path_factory.mktemp("phase")
    config = _phase_config(folder)
    run_experiment(config, folder / "reference", Execution(workers=1, quiet=True),
                   report=False, log=None)
    return config, _results(folder / "reference")


def test_an_experiment_killed_part_way_resumes_to_identical_results(tmp_path, phase_reference):
    config, (expected_points, expected_summary) = phase_reference
    out = tmp_path / "killed"
    stage = out / "runs" / "phase"
    with running_sim("run", str(config), "--out", str(out), "--workers", "2",
                     "--chunk-size", "200", "--no-report", cwd=tmp_path) as process:
        wait_for_chunks(process, stage)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    chunks_at_kill = len(list(stage.glob("runs-*.parquet")))
    assert 0 < chunks_at_kill < 352 * 40 // 200 + 1
    assert not (out / "summary.json").exists()

    resumed = run_sim("run", str(config), "--out", str(out), "--chunk-size", "200",
                      "--no-report", cwd=tmp_path, timeout=400)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    points, summary = _results(out)
    assert_frame_equal(points, expected_points)
    assert summary == expected_summary


def test_running_again_loads_the_stored_runs(tmp_path):
    config = _phase_config(tmp_path, replicates=4)
    first = run_experiment(config, tmp_path / "out", Execution(workers=1, quiet=True),
                           report=False, log=None)
    lines: list[str] = []
    again = run_experiment(config, tmp_path / "out", Execution(workers=1, quiet=True),
                           report=False, log=lines.append)
    assert any("nothing left to run" in line for line in lines)
    assert again["regions"] == first["regions"]


def test_an_experiment_on_a_dask_cluster_equals_a_local_run(tmp_path):
    pytest.importorskip("distributed")
    from test_sweep_dask import dask_cluster

    config = _phase_config(tmp_path, replicates=4)
    run_experiment(config, tmp_path / "local", Execution(workers=1, quiet=True), report=False,
                   log=None)
    with dask_cluster(tmp_path, n_workers=1) as (address, _workers):
        done = run_sim("run", str(config), "--out", str(tmp_path / "dask"), "--scheduler",
                       address, "--no-report", cwd=tmp_path, timeout=400)
    assert done.returncode == 0, done.stderr
    assert f"on the Dask cluster at {address}" in done.stdout
    local, dask = _results(tmp_path / "local"), _results(tmp_path / "dask")
    assert_frame_equal(dask[0], local[0])
    assert dask[1] == local[1]


def test_seeds_are_keyed_by_value_not_by_position(tmp_path):
    """Adding a point to a stage changes no other point's runs."""
    engine = Engine(tmp_path, seed=3, execution=Execution(workers=1, quiet=True))
    fixed = {"n_agents": 12}
    one = engine.run(Stage("one", "estimation", [{"correlation": 0.5}], 3, fixed))
    two = engine.run(Stage("two", "estimation", [{"correlation": 0.0}, {"correlation": 0.5}],
                           3, fixed))
    again = two[two.correlation == 0.5].drop(columns=["run_id", "point_id"])
    assert_frame_equal(again.reset_index(drop=True),
                       one.drop(columns=["run_id", "point_id"]).reset_index(drop=True))


def test_a_stage_name_is_used_once_and_a_bad_stage_is_one_line(tmp_path):
    engine = Engine(tmp_path, seed=3, execution=Execution(workers=1, quiet=True))
    engine.run(Stage("a", "estimation", [{"correlation": 0.5}], 1, {"n_agents": 5}))
    with pytest.raises(ValueError, match="ran twice"):
        engine.run(Stage("a", "estimation", [{"correlation": 0.5}], 1, {"n_agents": 5}))
    with pytest.raises(ConfigError, match=r"stage b: .*correlation"):
        engine.run(Stage("b", "estimation", [{"correlation": 5.0}], 1))


# ---------------------------------------------------------------------------------------------
# layers: sim never imports the experiments (but for the command line), no experiment imports
# another, and nothing imports the command line


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = sorted([*(REPO / "sim").rglob("*.py"), *(REPO / "experiments").glob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_go_only_downwards(path):
    name = _module_name(path)
    imported = _imports(path)
    assert not any(n == "sim.cli" or n.startswith("sim.cli.") for n in imported) \
        or name == "sim.__main__", f"{name} imports the command line"
    if name.startswith("sim.") and name not in ("sim.cli", "sim.__main__"):
        assert not any(n.split(".")[0] == "experiments" for n in imported), \
            f"{name} (library) imports the experiments"
    if name.startswith("experiments.") and not name.startswith("experiments._"):
        # private modules (_runner, _crossprediction ...) are shared helpers, not experiments
        others = {n.split(".")[1] for n in imported
                  if n.startswith("experiments.") and len(n.split(".")) > 1
                  and not n.split(".")[1].startswith("_")}
        assert not others, f"{name} imports another experiment: {sorted(others)}"


def test_no_import_cycles_among_modules():
    graph = {}
    for path in SOURCES:
        name = _module_name(path)
        graph[name] = {n for n in _imports(path) if n in {_module_name(p) for p in SOURCES}
                       and n != name}
    # packages import their submodules lazily or not at all; a cycle is a real circle
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_every_registered_experiment_has_the_runner_interface():
    from experiments import experiment_module

    for name in EXPERIMENTS:
        module = experiment_module(name)
        assert callable(module.run), name
        assert hasattr(module, "Config"), name
        assert (module.__doc__ or "").strip(), name


def test_paired_stages_share_each_replicates_seed_across_points(tmp_path):
    engine = Engine(tmp_path, seed=3, execution=Execution(workers=1, quiet=True))
    points = [{"correlation": 0.0}, {"correlation": 0.5}]
    paired = engine.run(Stage("paired", "estimation", points, 3, {"n_agents": 12},
                              paired=True))
    alone = engine.run(Stage("alone", "estimation", points[1:], 3, {"n_agents": 12},
                             paired=True))
    by_point = paired.groupby("point_id").seed.apply(list)
    assert by_point[0] == by_point[1]
    assert list(alone.seed) == by_point[1]  # adding a point changed nothing
    independent = engine.run(Stage("independent", "estimation", points, 3, {"n_agents": 12}))
    assert set(independent.seed).isdisjoint(paired.seed)

"""What keeps a small sweep's command fast: no pandas on the compute path, Arrow columns
built from NumPy buffers equal to pyarrow's own, and the command leaving at once with every
file written.

Timings are in benchmarks/bench_sweep.py; these tests pin the behaviour the speed relies on.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_sweep_support import cli_env, run_sim, write_config

from sim.sweep.store import arrow_column, constant_column, empty_table, runs_schema

KINDS = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
         "string": pa.string()}


@pytest.mark.parametrize(("values", "kind"), [
    ([1, 2, -3, 2**62], "int64"),
    ([np.int64(4), 5], "int64"),
    ([0.5, 1, np.float64(2.25), float("nan"), float("inf")], "float64"),
    ([True, False, True, np.bool_(False)], "bool"),
    (["normal", "", "ü ✓", '{"kind": "ring_lattice"}'], "string"),
    ([], "float64"),
    ([None, 1.0], "float64"),          # a null: through pa.array itself
    ([1.5, 2], "int64"),               # a float in an int column: as pa.array has it
])
def test_arrow_columns_equal_pyarrows(values, kind):
    expected = pa.array(list(values), type=KINDS[kind])
    assert _same(arrow_column(values, kind), expected)
    for value in values[:2]:
        assert _same(constant_column(value, kind, 7), pa.array([value] * 7, type=KINDS[kind]))


def _same(got: pa.Array, expected: pa.Array) -> bool:
    """Equal arrays, NaN equal to NaN (Arrow's ``equals`` holds NaN unequal to itself)."""
    def key(value):
        return "NaN" if isinstance(value, float) and value != value else value

    return (got.type == expected.type and got.null_count == expected.null_count
            and [key(v) for v in got.to_pylist()] == [key(v) for v in expected.to_pylist()])


@pytest.mark.parametrize(("values", "kind"), [([2**60 + 1], "float64")])
def test_a_value_the_type_cannot_hold_fails_as_in_pyarrow(values, kind):
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, TypeError)):
        pa.array(values, type=KINDS[kind])
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, TypeError)):
        arrow_column(values, kind)


def test_empty_table_is_the_schemas():
    schema = runs_schema({"n_agents": "int64", "noise": "string", "flag": "bool"}, ["diversity"])
    assert empty_table(schema).equals(schema.empty_table())


def test_the_compute_path_imports_no_pandas(tmp_path):
    """A worker's chunk (kernel, Arrow table, Parquet file) and the design file need no
    pandas: importing it would cost every worker process a few tenths of a second."""
    code = """
import sys
from sim.sweep.config import SweepConfig
from sim.sweep.design import build_design
from sim.sweep.runner import plan_chunks
from sim.sweep.store import SweepStore
from sim.sweep.worker import run_chunk
config = SweepConfig(model="estimation", seed=1, design="grid", replicates=3,
                     fixed={"n_agents": 20, "noise": "normal"},
                     swept={"correlation": [0.0, 0.5]})
design = build_design(config)
store = SweepStore(sys.argv[1])
store.write_design(design)
for task in plan_chunks(design, config, chunk_size=4):
    store.write_chunk(run_chunk(task))
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=cli_env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [
        "design.parquet", "runs-000000.parquet", "runs-000001.parquet"]


def test_design_file_holds_what_the_frame_holds(tmp_path):
    from sim.sweep.config import SweepConfig
    from sim.sweep.design import build_design
    from sim.sweep.store import SweepStore

    config = SweepConfig(model="estimation", seed=1, design="sobol", replicates=1,
                         samples=8, fixed={"noise": "lognormal"},
                         swept={"correlation": {"low": 0.0, "high": 0.5},
                                "n_agents": {"low": 10, "high": 40, "integer": True}})
    design = build_design(config)
    SweepStore(tmp_path).write_design(design)
    stored = pq.read_table(tmp_path / "design.parquet").to_pandas()
    frame = design.to_frame()
    assert list(stored.columns) == list(frame.columns)
    assert stored.astype(object).equals(frame.astype(object))


def test_the_command_leaves_with_every_file_written(tmp_path):
    """`crowdsim sweep` exits through os._exit after its last write: the manifest is
    complete, every chunk is on disk and matches its record, the report is there."""
    config = write_config(tmp_path)
    out = tmp_path / "out"
    done = run_sim("sweep", str(config), "--out", str(out), "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # nothing but progress lines: no traceback, no semaphores left to the resource tracker
    assert "Traceback" not in done.stderr and "leaked" not in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["counts"]["pending"] == 0
    assert len(manifest["chunk_files"]) == manifest["design"]["chunks"]
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert "report:" in done.stdout  # printed and flushed before leaving

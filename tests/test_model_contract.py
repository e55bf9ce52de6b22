"""The model contract: one set of checks run over every registered sweep model.

In the manner of scikit-learn's ``check_estimator``: whatever a model simulates, as a
registered :class:`sim.sweep.models.SweepModel` it must

- run the same trajectory on both engines (the Mesa model and the numba kernel) for a seed;
- sweep: a tiny sweep through :func:`sim.sweep.runner.run_sweep` completes without failures
  and stores every metric the model declares;
- have a strict parameter schema (:class:`sim.config.Strict`) whose defaults validate, whose
  fields are all described, and whose ranges are enforced with errors naming the field;
- return metrics shaped as its rounds say (:meth:`SweepModel.rounds_of`).

Each check runs at the model's own small ``example`` point, so a new model gets them all by
registering itself in :data:`sim.sweep.models.MODELS`. Also here: the registry itself
(import paths) and the import cost of a sweep (no Mesa, plotting or scipy.stats).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import get_args

import annotated_types
import numpy as np
import pytest
from pydantic import ValidationError

from sim.config import ConfigError, Strict
from sim.seeding import replicate_seeds
from sim.sweep import results
from sim.sweep.config import SweepConfig, load_sweep_config
from sim.sweep.models import MODELS, SweepModel, get_model
from sim.sweep.runner import run_sweep

MODEL_NAMES = sorted(MODELS)


@pytest.fixture(params=MODEL_NAMES)
def name(request) -> str:
    return request.param


@pytest.fixture
def model(name) -> SweepModel:
    return get_model(name)


# ---------------------------------------------------------------------------------------------
# the checks


def test_engines_give_the_same_trajectory(name, model):
    assert model.trajectories is not None, f"{name}: no trajectories hook"
    params = model.params_schema(**model.example)
    for seed in [*replicate_seeds(2025, 2), 0]:
        mesa, kernel = model.trajectories(params, int(seed))
        assert mesa and mesa.keys() == kernel.keys(), name
        for key in mesa:
            np.testing.assert_array_equal(mesa[key], kernel[key],
                                          err_msg=f"{name}: {key}, seed {seed}")


def test_a_tiny_sweep_stores_every_declared_metric(name, model, tmp_path):
    # two points (an integer parameter of the example and the next integer) x 2 replicates
    fixed = dict(model.example)
    swept_name = _first_integer_parameter(model)
    value = fixed.pop(swept_name)
    config = SweepConfig(model=name, seed=5, design="grid", replicates=2, fixed=fixed,
                         swept={swept_name: [value, value + 1]}, metrics=list(model.metrics))
    report = run_sweep(config, tmp_path, name="contract", workers=1, quiet=True, log=None)
    assert (report.done, report.failed) == (4, 0)
    runs = results.load(tmp_path)
    assert set(model.metrics) <= set(runs.columns)
    assert all(runs[metric].dtype == np.float64 for metric in model.metrics)
    rows_per_run = runs.groupby("run_id").size()
    for point in (value, value + 1):
        rounds = model.rounds_of(model.params_schema(**{**fixed, swept_name: point}))
        assert (rows_per_run[runs.groupby("run_id")[swept_name].first() == point]
                == len(rounds)).all()


def test_the_parameter_schema_is_strict_described_and_bounded(name, model):
    schema = model.params_schema
    assert issubclass(schema, Strict), f"{schema.__name__} does not derive from Strict"
    schema()  # the defaults are a valid point
    schema(**model.example)
    undocumented = [field for field, info in schema.model_fields.items()
                    if not info.description]
    assert not undocumented, f"{schema.__name__}: fields without a description: {undocumented}"
    bounded = {field: _out_of_range(info) for field, info in schema.model_fields.items()}
    bounded = {field: values for field, values in bounded.items() if values}
    assert bounded, f"{schema.__name__}: no field has a range"
    for field, values in bounded.items():
        for value in values:
            with pytest.raises(ValidationError) as raised:
                schema(**{field: value})
            first = raised.value.errors()[0]
            assert first["loc"] == (field,), (field, value, first)
            assert first["type"] in ("greater_than", "greater_than_equal", "less_than",
                                     "less_than_equal"), (field, value, first)


def test_metric_shapes_follow_the_rounds(name, model):
    assert len(set(model.metrics)) == len(model.metrics)
    assert set(model.default_metrics) <= set(model.metrics)
    params = model.params_schema(**model.example)
    rounds = model.rounds_of(params)
    assert rounds and all(type(r) is int for r in rounds) and list(rounds) == sorted(set(rounds))
    n = 3
    values = model.run_batch(params, replicate_seeds(8, n), model.metrics)
    assert set(values) == set(model.metrics)
    allowed = {(n, len(rounds))} | ({(n,)} if len(rounds) == 1 else set())
    for metric, array in values.items():
        assert np.asarray(array, dtype=np.float64).shape in allowed, (metric, np.shape(array))
    # only what is asked for
    one = model.run_batch(params, replicate_seeds(8, n), model.metrics[:1])
    assert list(one) == list(model.metrics[:1])


def test_the_registration_helps_the_runner(name, model):
    model.warm_up()
    cost = model.seconds_per_run(dict(model.example))
    assert isinstance(cost, float) and 0 < cost < 60


def _first_integer_parameter(model: SweepModel) -> str:
    fields = model.params_schema.model_fields
    for field, value in model.example.items():
        if fields[field].annotation is int and type(value) is int:
            return field
    raise AssertionError("the model's example needs an integer parameter to sweep")


def _out_of_range(info) -> list:
    """Values just outside each bound of a numeric field (none for other fields)."""
    kinds = set(get_args(info.annotation) or (info.annotation,)) - {type(None)}
    is_int = kinds == {int}
    step = 1 if is_int else 1.0
    out = []
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            out.append(bound.ge - step)
        elif isinstance(bound, annotated_types.Gt):
            out.append(bound.gt)
        elif isinstance(bound, annotated_types.Le):
            out.append(bound.le + step)
        elif isinstance(bound, annotated_types.Lt):
            out.append(bound.lt)
    return [value if is_int else float(value) for value in out]


# ---------------------------------------------------------------------------------------------
# the registry


TOY_MEASURES = """
import dataclasses

from sim.sweep.models import get_model

#: the cascades model recording one measure only by default
ONLY_NO_CASCADE = dataclasses.replace(get_model("cascades"), default_metrics=("no_cascade",))
NOT_A_MODEL = 42
"""


def test_any_sweep_model_can_be_named_by_its_import_path(tmp_path, monkeypatch):
    (tmp_path / "toy_measures.py").write_text(TOY_MEASURES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert get_model("sim.models.cascades.sweep:MODEL") is get_model("cascades")
    path = "toy_measures:ONLY_NO_CASCADE"
    assert get_model(path).default_metrics == ("no_cascade",)
    config = SweepConfig(model=path, seed=1, design="grid", replicates=3,
                         swept={"precision": [0.6, 0.9]}, fixed={"n_agents": 12})
    report = run_sweep(config, tmp_path / "out", name="toy", workers=1, quiet=True, log=None)
    assert (report.done, report.failed) == (6, 0)
    assert "no_cascade" in results.load(tmp_path / "out").columns


@pytest.mark.parametrize("model_name, mentions", [
    ("ants", ["no sweep model 'ants'", "cascades, cumulative_advantage, estimation"]),
    ("toy_measures:MISSING", ["toy_measures has no attribute MISSING"]),
    ("no_such_package.measures:MODEL", ["no module named no_such_package"]),
    ("toy_measures:NOT_A_MODEL", ["toy_measures.NOT_A_MODEL is not a SweepModel (got int)"]),
])
def test_unknown_models_get_one_line_errors(model_name, mentions, tmp_path, monkeypatch):
    (tmp_path / "toy_measures.py").write_text(TOY_MEASURES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "sweep.yaml"
    config.write_text(f"model: {model_name}\nseed: 1\ndesign: grid\nswept: {{n_agents: [3]}}\n",
                      encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_sweep_config(config)
    message = str(raised.value)
    assert "\n" not in message and "model: " in message
    for mention in mentions:
        assert mention in message, message


def test_a_sweep_imports_no_model_it_does_not_run_and_nothing_heavy(tmp_path):
    """Sweep processes import the registry, then only the model they run: its parameters,
    kernel and metrics, never Mesa, plotting or scipy.stats (each costs workers time)."""
    code = textwrap.dedent("""
        import sys

        import numpy as np

        from sim.sweep.models import MODELS, get_model

        loaded = sorted(m for m in sys.modules if m.startswith("sim.models."))
        assert not loaded, f"importing the registry imported {loaded}"
        for name in sorted(MODELS):
            model = get_model(name)
            params = model.params_schema(**model.example)
            model.run_batch(params, np.arange(2, dtype=np.int64), model.metrics)
        heavy = ("mesa", "matplotlib", "seaborn", "scipy.stats")
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"a sweep imported {done.stdout.strip()}"

"""Calibration and prediction (sim.inference): the statistics measured alike on data and
simulations, the group simulator, the seeded sampler, parameter recovery on synthetic data
made by the model itself, ``crowdsim calibrate`` and ``crowdsim predict``.

The synthetic datasets are small CSV files written in a temporary folder with a dataset spec
next to them: groups of 12 people answering a question whose truth is 100 in three rounds,
half of the groups seeing every other answer (``full``), half seeing nothing (``none``); the
first answers are log-normal around the truth (drawn with numpy), the later rounds are
simulated by the estimation model at known rules (:class:`GroupSimulator`).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, assert_one_line_error
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from sim.analysis.rounds import per_group_table
from sim.analysis.specs import analyze_spec, load_observed, load_spec, to_analysis
from sim.cli import main
from sim.inference.calibrate import FORMAT, AbcSettings, calibrate, fit, posterior_from
from sim.inference.output import write_calibration
from sim.inference.predict import load_calibration
from sim.inference.rulesets import RULE_SETS
from sim.inference.simulate import GroupSimulator
from sim.inference.summaries import (
    CHANGES,
    METRICS,
    _nanmedian,
    condition_statistics,
    group_round_metrics,
    padded,
)
from sim.verdicts import verdict

SPECS = {name: REPO / "configs" / "datasets" / f"{name}.yaml"
         for name in ("becker2017", "lorenz2011")}

#: The rules the synthetic data are made with (degroot; the controls drift a little).
TRUE_RULES = {"social_weight": 0.5, "drift": 0.05, "drift_noise": 0.1}
TRUTH = 100.0


def write_synthetic(folder: Path, *, n_groups: int = 30, size: int = 12, n_rounds: int = 3,
                    rules: dict | None = None, seed: int = 5) -> Path:
    """A synthetic multi-round dataset (CSV) and its spec (YAML) in ``folder``; the spec's
    path. Even groups are ``social`` (information full), odd ones ``control`` (none)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rounds = [f"r{k + 1}" for k in range(n_rounds)]
    rows = []
    for group in range(n_groups):
        condition = "social" if group % 2 == 0 else "control"
        bias = rng.normal(0.0, 0.3)  # the group's shared bias: errors of the mean differ
        first = TRUTH * np.exp(bias + rng.normal(0.0, 0.6, size))
        for person in range(size):
            rows.append({"group": group, "person": person, "condition": condition,
                         "truth": TRUTH, **dict.fromkeys(rounds, first[person])})
    frame = pd.DataFrame(rows)
    spec = {"dataset": "synthetic", "data": "answers.csv", "rounds": rounds,
            "truth": "truth", "groups": ["group"], "condition": "condition",
            "complete_cases": True, "units": "log", "revision_space": "log",
            "protocols": {"social": {"information": "full"},
                          "control": {"information": "none"}}}
    spec_path = folder / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    frame.to_csv(folder / "answers.csv", index=False)  # later rounds: placeholders

    # the later rounds, simulated from the first answers at the known rules
    observed = load_observed(load_spec(spec_path))
    simulator = GroupSimulator(observed, seed)
    simulated = simulator.simulate(rules or TRUE_RULES, np.random.default_rng([seed, 1]))
    for condition, trajectories in simulated.items():
        groups = [g for g in observed.groups if g.condition == condition]
        assert len(groups) == len(trajectories)
        for group, trajectory in zip(groups, trajectories):
            np.testing.assert_array_equal(trajectory[:, 0], group.estimates[:, 0])
            frame.loc[frame["group"] == group.key[0], rounds] = trajectory
    frame.to_csv(folder / "answers.csv", index=False)
    return spec_path


@pytest.fixture(scope="module")
def synthetic_spec(tmp_path_factory) -> Path:
    return write_synthetic(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory) -> Path:
    return write_synthetic(tmp_path_factory.mktemp("small"), n_groups=12, size=8, seed=2)


@pytest.fixture(scope="module")
def quick_calibration(synthetic_spec, tmp_path_factory) -> Path:
    """calibration.json of a tiny degroot fit on the synthetic data."""
    record = calibrate(synthetic_spec, model="degroot",
                       settings=AbcSettings(population_size=30, generations=2))
    out = tmp_path_factory.mktemp("calibration")
    write_calibration(out, record)
    return out / "calibration.json"


@pytest.fixture(scope="module")
def shipped():
    """The shipped datasets' observed data and simulators."""
    out = {}
    for name, path in SPECS.items():
        observed = load_observed(load_spec(path))
        out[name] = (observed, GroupSimulator(observed, seed=1))
    return out


def _groups_of(observed, condition: str):
    return [g for g in observed.groups if g.condition == condition]


# ---------------------------------------------------------------------------------------------
# 1. summaries: data and simulations measured alike


@pytest.mark.parametrize("name", sorted(SPECS))
def test_group_round_metrics_equal_per_group_table(shipped, name):
    observed, simulator = shipped[name]
    spec = observed.spec
    n_rounds = len(spec.rounds)
    table = per_group_table(observed.frame, list(spec.rounds), spec.truth, list(spec.groups),
                            by=spec.condition,
                            scale_column=spec.scale if spec.units == "scaled" else None,
                            log=spec.units == "log")
    table = table.set_index([*spec.groups, "round_index"]).sort_index()
    averages = analyze_spec(observed)["by"]
    measured = simulator.observed_measured()
    assert sorted(measured) == observed.conditions()
    for condition in observed.conditions():
        groups = _groups_of(observed, condition)
        values, truths, _ = measured[condition]
        # the simulator's measuring of the data is the spec's analysis scale, NaN-padded
        direct = padded([to_analysis(g.estimates, g, spec.units) for g in groups])
        np.testing.assert_allclose(values, direct, rtol=1e-14, equal_nan=True)
        metrics = group_round_metrics(values, truths)
        for metric in METRICS:
            assert metrics[metric].shape == (len(groups), n_rounds)
            expected = np.array([[table.loc[(*g.key, r), metric] for r in range(n_rounds)]
                                 for g in groups], dtype=float)
            np.testing.assert_allclose(metrics[metric], expected, rtol=1e-10, atol=1e-12,
                                       equal_nan=True, err_msg=f"{condition} {metric}")
            per_round = np.array(averages[condition]["per_round"][metric], dtype=float)
            np.testing.assert_allclose(np.nanmean(metrics[metric], axis=0), per_round,
                                       rtol=1e-10, err_msg=f"{condition} {metric}")


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=3, max_dims=3, max_side=6),
              elements=st.floats(-1e6, 1e6, allow_subnormal=False) | st.just(np.nan)),
       st.integers(0, 2))
def test_nanmedian_matches_numpy(values, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        expected = np.nanmedian(values, axis=axis)
    np.testing.assert_allclose(_nanmedian(values, axis=axis), expected, rtol=1e-12,
                               atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("seed", range(5))
def test_nanmedian_of_padded_groups(seed):
    rng = np.random.default_rng(seed)
    groups = [rng.lognormal(0.0, 1.0, size=(int(rng.integers(1, 15)), 4)) for _ in range(20)]
    for group in groups:  # missing answers inside groups too
        group[rng.random(group.shape) < 0.15] = np.nan
    values = padded(groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(values, axis=1)
    np.testing.assert_allclose(_nanmedian(values, axis=1), expected, rtol=1e-12,
                               equal_nan=True)


def test_unchanged_means_did_not_improve():
    """A group whose error of the mean only moves by rounding has not improved (under full
    information averaging keeps the mean: the share improved must be 0, not noise)."""
    rng = np.random.default_rng(0)
    first = rng.normal(0.0, 0.5, size=(40, 12))
    mean = first.mean(axis=1, keepdims=True)
    values = np.stack([first, mean + (first - mean) / 3], axis=2)
    errors = np.abs(values.mean(axis=1))
    assert np.any(errors[:, 1] < errors[:, 0])  # rounding moves some means a little
    stats = condition_statistics(values, np.zeros(40), values)
    assert stats["error_of_mean@2"] == pytest.approx(1.0, rel=1e-9)
    assert stats["share_improved_mean"] == 0.0


# ---------------------------------------------------------------------------------------------
# 2. GroupSimulator

STOCHASTIC_RULES = {"social_weight": 0.4, "weight_mode": "beta", "weight_spread": 0.5,
                    "drift": 0.1, "drift_noise": 0.2}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_observed_statistics_are_finite(shipped, name):
    observed, simulator = shipped[name]
    for condition, (values, truths, revision) in simulator.observed_measured().items():
        raw = condition_statistics(values, truths, revision)  # before NaN -> 0
        assert all(np.isfinite(v) for v in raw.values()), (condition, raw)
    stats = simulator.observed_statistics()
    n_rounds = len(observed.spec.rounds)
    assert len(stats) == len(observed.conditions()) * (len(METRICS) * (n_rounds - 1) + 3)
    assert all(np.isfinite(v) for v in stats.values())


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_social_weight_keeps_first_answers(shipped, name):
    observed, simulator = shipped[name]
    rules = {"social_weight": 0.0}  # and no drift
    simulated = simulator.simulate(rules, np.random.default_rng(3))
    for condition, trajectories in simulated.items():
        for group, trajectory in zip(_groups_of(observed, condition), trajectories,
                                     strict=True):
            assert trajectory.shape == group.estimates.shape
            np.testing.assert_array_equal(trajectory[:, 0], group.estimates[:, 0])
            np.testing.assert_allclose(trajectory, np.repeat(trajectory[:, :1],
                                                             trajectory.shape[1], axis=1),
                                       rtol=1e-12)
    # measured like the data: round 1 is the data's round 1
    data = simulator.observed_measured()
    for condition, (values, truths, _) in simulator.measured(rules,
                                                             np.random.default_rng(3)).items():
        np.testing.assert_allclose(values[:, :, 0], data[condition][0][:, :, 0],
                                   rtol=1e-14, equal_nan=True)
        np.testing.assert_array_equal(truths, data[condition][1])
    stats = simulator.statistics(rules, np.random.default_rng(3))
    ratios = {k: v for k, v in stats.items() if "@" in k}
    assert ratios and all(v == pytest.approx(1.0, rel=1e-12) for v in ratios.values()), ratios
    assert all(v == 0.0 for k, v in stats.items() if k.endswith("share_improved_mean"))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_simulations_follow_the_seed(shipped, name):
    _, simulator = shipped[name]

    def run(seed):
        return simulator.measured(STOCHASTIC_RULES, np.random.default_rng(seed))

    first, again, other = run(11), run(11), run(12)
    for condition in simulator.conditions:
        for a, b in zip(first[condition], again[condition]):
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(first[condition][0], other[condition][0], equal_nan=True)
    assert (simulator.statistics(STOCHASTIC_RULES, np.random.default_rng(11))
            == simulator.statistics(STOCHASTIC_RULES, np.random.default_rng(11)))


# ---------------------------------------------------------------------------------------------
# 3. SeededSampler: the posterior does not depend on the workers


def test_seeded_sampler_same_posterior_for_any_workers(small_spec):
    simulator = GroupSimulator(load_observed(load_spec(small_spec)), seed=1)

    def run(seed, workers):
        return fit(simulator, RULE_SETS["degroot"], seed, population_size=30, generations=2,
                   workers=workers)

    one, two, again, other = run(7, 1), run(7, 2), run(7, 1), run(8, 1)
    assert one.names == ["social_weight", "drift", "drift_noise"]
    assert one.particles.shape == (30, 3)
    for posterior in (two, again):
        np.testing.assert_array_equal(posterior.particles, one.particles)
        np.testing.assert_array_equal(posterior.weights, one.weights)
        assert posterior.epsilons == one.epsilons
        assert (posterior.generations, posterior.simulations) == (one.generations,
                                                                  one.simulations)
    assert not np.array_equal(other.particles, one.particles)


# ---------------------------------------------------------------------------------------------
# 4. recovery of known rules


def test_calibration_recovers_the_social_weight(synthetic_spec):
    record = calibrate(synthetic_spec, model="degroot",
                       settings=AbcSettings(population_size=80, generations=6))
    assert record["model"] == "degroot" and record["scores"] == {}
    assert set(record["parameters"]) == {"social_weight", "drift", "drift_noise"}
    weight = record["parameters"]["social_weight"]
    lo, hi = weight["interval90"]
    prior_lo, prior_hi = weight["prior"]
    assert lo <= TRUE_RULES["social_weight"] <= hi, weight
    assert hi - lo < 0.5 * (prior_hi - prior_lo), weight
    assert lo <= weight["estimate"] <= hi


# ---------------------------------------------------------------------------------------------
# 5. crowdsim predict --json


def _no_nan(constant):
    raise ValueError(f"not JSON: {constant}")


def test_predict_json_schema(quick_calibration, synthetic_spec, tmp_path, capsys):
    out = tmp_path / "prediction"
    assert main(["predict", str(quick_calibration), str(synthetic_spec), "--json",
                 "--draws", "20", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out, parse_constant=_no_nan)  # one object, no NaN
    assert isinstance(result, dict)
    assert {"dataset", "calibration", "conditions"} <= set(result)
    assert result["dataset"] == "synthetic"
    assert result["calibration"]["model"] == "degroot"
    assert set(result["conditions"]) == {"social", "control"}
    for condition, part in result["conditions"].items():
        assert isinstance(part["groups"], int) and part["groups"] == 15, condition
        assert set(CHANGES) <= set(part["metrics"])
        for name in CHANGES:
            metric = part["metrics"][name]
            for key in ("observed", "predicted"):
                assert isinstance(metric[key], float | int), (condition, name, key)
            for key in ("observed_ci", "predicted_ci"):
                ci = metric[key]
                assert len(ci) == 2 and all(isinstance(v, float | int) for v in ci), ci
                assert ci[0] <= ci[1], (condition, name, key, ci)
            inside = metric["observed_ci"][0] <= metric["predicted"] <= metric["observed_ci"][1]
            assert metric["inside"] is inside
            assert metric["verdict"] == verdict(
                metric["observed"], metric["observed_ci"], metric["predicted"],
                metric["predicted_ci"], null=None if name == "share_improved_mean" else 0.0)
    assert (out / "prediction.json").is_file()


# ---------------------------------------------------------------------------------------------
# 6. crowdsim calibrate and predict on the command line


def test_cli_calibrate_writes_its_outputs(synthetic_spec, tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", str(synthetic_spec), "--model", "degroot", "--population", "30",
                 "--generations", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    for name in ("calibration.json", "posterior.png", "report.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    record = load_calibration(out / "calibration.json")
    assert record["format"] == FORMAT and record["model"] == "degroot"
    assert record["abc"]["population_size"] == 30


@pytest.fixture
def bad_files(tmp_path):
    not_json = tmp_path / "not_json.json"
    not_json.write_text("this is { not json", encoding="utf-8")
    not_calibration = tmp_path / "other.json"
    not_calibration.write_text(json.dumps({"format": "something/1", "model": "degroot"}),
                               encoding="utf-8")
    return {"not_json": not_json, "not_calibration": not_calibration,
            "missing": tmp_path / "missing.yaml"}


@pytest.mark.parametrize(("argv", "mention"), [
    (["calibrate", "{spec}", "--model", "nonsense"], "--model"),
    (["calibrate", "{spec}", "--model", "degroot", "--folds", "1"], "--folds"),
    (["calibrate", "{spec}", "--folds", "1"], "--folds"),
    (["calibrate", "{missing}", "--model", "degroot"], "missing.yaml"),
    (["calibrate", "{spec}", "--model", "degroot", "--seed", "-1"], "--seed"),
    (["predict", "{not_json}", "{spec}"], "not a calibration"),
    (["predict", "{not_calibration}", "{spec}"], "not a calibration"),
    (["predict", "{missing}", "{spec}"], "not found"),
    (["predict", "{not_calibration}", "{spec}", "--seed", "-1"], "--seed"),
])
def test_cli_bad_input_is_one_line(argv, mention, synthetic_spec, bad_files, tmp_path,
                                   capsys):
    out = tmp_path / "out"
    names = {"spec": synthetic_spec, **bad_files}
    argv = [arg.format(**names) for arg in argv] + ["--out", str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, mention)
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# 7. the stored posterior


def test_posterior_from_record_draws_stored_particles(quick_calibration):
    record = load_calibration(quick_calibration)
    posterior = posterior_from(record)
    stored = record["posterior"]
    assert posterior.names == stored["names"] == list(record["parameters"])
    np.testing.assert_array_equal(posterior.particles, np.array(stored["particles"]))
    assert posterior.weights.sum() == pytest.approx(1.0)
    draws = posterior.draw(np.random.default_rng(0), 500)
    assert draws.shape == (500, len(posterior.names))
    rows = {tuple(row) for row in posterior.particles.tolist()}
    assert all(tuple(row) in rows for row in draws.tolist())
    # and within the priors
    for j, name in enumerate(posterior.names):
        lo, hi = record["parameters"][name]["prior"]
        assert np.all((draws[:, j] >= lo) & (draws[:, j] <= hi)), name


def test_seeded_sampler_on_a_dask_cluster_equals_a_local_fit(small_spec, tmp_path):
    """``--scheduler``: the same particles from a Dask cluster as from this process."""
    import distributed
    from test_sweep_dask import dask_cluster

    simulator = GroupSimulator(load_observed(load_spec(small_spec)), seed=1)
    local = fit(simulator, RULE_SETS["degroot"], 7, population_size=20, generations=2)
    with (dask_cluster(tmp_path, n_workers=1) as (address, _workers),
          distributed.Client(address, timeout="30s") as client):
        remote = fit(simulator, RULE_SETS["degroot"], 7, population_size=20, generations=2,
                     client=client)
    np.testing.assert_array_equal(remote.particles, local.particles)
    np.testing.assert_array_equal(remote.weights, local.weights)

"""The social-influence experiments (Lorenz et al. 2011, Becker et al. 2017) run end to end
through the runner as a cross-prediction on a tiny ABC (each calibrated on the other dataset),
store and reuse their calibration, and report honestly."""

import json

import pytest
import yaml
from conftest import REPO

from experiments._runner import Engine, Execution, run_experiment
from sim.cli import main
from sim.config import ConfigError, load_yaml, validate
from sim.verdicts import LABELS, verdict

VERDICT_KEYS = {"effect", "data", "simulation", "reproduced", "verdict", "data_ci",
                "data_ci_source", "model_ci", "fitted", "note"}
METRICS = ("error_of_mean", "error_of_median", "sd", "share_improved_mean")
#: a tiny calibration: fast, enough to exercise every step
TINY = {"model": "degroot", "abc": {"population_size": 30, "generations": 2}, "draws": 20}
OTHER = {"lorenz2011": "becker2017", "becker2017": "lorenz2011"}


def write_config(tmp_path, name, **overrides):
    raw = {**load_yaml(f"configs/{name}.yaml"),
           "dataset": str(REPO / "configs" / "datasets" / f"{name}.yaml"),
           "calibrate_on": str(REPO / "configs" / "datasets" / f"{OTHER[name]}.yaml"),
           **TINY, **overrides}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def run(config, out, fresh=False):
    lines = []
    summary = run_experiment(config, out, Execution(workers=1, quiet=True, fresh=fresh),
                             report=False, log=lines.append)
    return summary, lines


def redraws(out, stem):
    """The figure is drawn, and drawn again from the stored results alone."""
    assert (out / f"{stem}.png").exists() and (out / f"{stem}.svg").exists()
    (out / f"{stem}.png").unlink()
    assert main(["figures", str(out)]) == 0
    return (out / f"{stem}.png").exists()


def check_cross_prediction(summary, out, name, conditions):
    assert all(set(v) == VERDICT_KEYS for v in summary["verdicts"])
    # calibrated on the other dataset, predicted on this one
    calibration, prediction = summary["calibration"], summary["prediction"]
    assert calibration["dataset"] == OTHER[name] and prediction["dataset"] == name
    assert calibration["model"] == "degroot" and not calibration["scores"]
    assert "posterior" not in calibration  # the particles stay in calibration.json
    stored = json.loads((out / "calibration.json").read_text())
    assert len(stored["posterior"]["particles"]) == 30
    assert set(prediction["conditions"]) == set(conditions)
    # one predicted verdict per condition and metric, judged by the 90 % interval
    predicted = [v for v in summary["verdicts"] if v["effect"].endswith("(predicted)")]
    assert len(predicted) == len(conditions) * len(METRICS)
    for condition, part in prediction["conditions"].items():
        for metric in METRICS:
            m = part["metrics"][metric]
            row = next(v for v in predicted if v["effect"].startswith(f"{condition}:")
                       and v["data"] == m["observed"] and v["simulation"] == m["predicted"])
            # the one verdict rule, on the intervals stored with the row
            assert row["data_ci"] == m["observed_ci"] and row["model_ci"] == m["predicted_ci"]
            assert row["fitted"] is False
            null = None if metric == "share_improved_mean" else 0.0
            assert row["verdict"] == verdict(m["observed"], m["observed_ci"], m["predicted"],
                                             m["predicted_ci"], null=null)
            assert row["reproduced"] is LABELS[row["verdict"]]
            where = "lies inside" if m["inside"] else "lies outside"
            assert "90 % interval" in row["note"] and where in row["note"]
        series = part["per_round"]["sd"]
        assert len(series["observed"]) == len(series["predicted_ci"]) == len(prediction["rounds"])
    # the data-only rows are not simulated, and say so
    data_only = [v for v in summary["verdicts"] if v["effect"].startswith("data only")]
    hub = [v for v in summary["verdicts"] if v["effect"].endswith("(hub split)")]
    assert data_only and len(data_only) + len(predicted) + len(hub) == len(summary["verdicts"])
    assert all(v["reproduced"] is None and v["simulation"] is None and v["fitted"] is False
               and v["verdict"] == "data only" and v["model_ci"] is None for v in data_only)
    labels = dict(summary["key_numbers"])
    assert labels["rule set"].startswith("degroot") and "social weight (first revision)" in labels
    assert (out / "prediction.parquet").exists()
    assert redraws(out, "prediction")


@pytest.fixture(scope="module")
def becker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("becker")
    config = write_config(folder, "becker2017")
    out = folder / "out"
    summary, lines = run(config, out)
    return config, out, summary, lines


def test_lorenz_is_predicted_from_a_calibration_on_becker(tmp_path):
    config = write_config(tmp_path, "lorenz2011")
    out = tmp_path / "out"
    summary, _ = run(config, out)
    check_cross_prediction(summary, out, "lorenz2011", ["no", "aggregated", "full"])
    data = summary["data"]["by"]
    # the data's table on the spec's rows (one person with an unusable answer left out)
    assert data["aggregated"]["per_round"]["sd"][0] == pytest.approx(1.429, abs=5e-4)
    assert data["full"]["per_round"]["sd"][-1] == pytest.approx(0.898, abs=5e-4)
    effects = {v["effect"]: v for v in summary["verdicts"]}
    confidence = effects["data only: confidence effect, full: confidence rises"]
    assert confidence["data"]["holds_in_data"] is True
    # every group starts from its own observed first answers: round 1 is the data's
    sd = summary["prediction"]["conditions"]["aggregated"]["per_round"]["sd"]
    assert sd["predicted"][0] == pytest.approx(sd["observed"][0])


def test_becker_is_predicted_from_a_calibration_on_lorenz(becker):
    config, out, summary, lines = becker
    check_cross_prediction(summary, out, "becker2017", ["Centralized", "Decentralized", "Solo"])
    change = summary["data"]["by"]["Decentralized"]["change"]
    assert change["error_of_mean"] == pytest.approx(-0.106, abs=5e-4)
    assert change["sd"] == pytest.approx(-0.423, abs=5e-4)
    published = [v for v in summary["verdicts"] if v["effect"].endswith("(published)")]
    assert len(published) == 5 and all(v["data"]["holds_in_data"] for v in published)
    # the published changes carry the data's group-bootstrap interval where it is cheap
    for v in published:
        ci = v["data_ci"]
        if "individual error" in v["effect"]:
            assert ci is None
        else:
            assert ci[0] <= v["data"]["change"] <= ci[1]
    assert any("calibration: computing" in line for line in lines)


def test_becker_hub_split(becker):
    _, _, summary, _ = becker
    split = summary["hub_split"]
    # 57 of the 59 centralized networks have their hub among the people kept
    far, truth = split["sides"]["far"], split["sides"]["truth"]
    assert (far["groups"], truth["groups"], split["left_out"]) == (27, 30, 2)
    assert any("2 of the 59 centralized networks left out" in n for n in summary["notes"])
    # the data: with the hub on the far side the crowd gets worse, on the truth side better
    # (a review's numbers on a slightly different row set: +17.7 % / +22.2 %, -42.9 % / -43.7 %)
    assert far["metrics"]["error_of_mean"]["observed"] == pytest.approx(0.204, abs=5e-4)
    assert far["metrics"]["error_of_median"]["observed"] == pytest.approx(0.259, abs=5e-4)
    assert truth["metrics"]["error_of_mean"]["observed"] == pytest.approx(-0.449, abs=5e-4)
    assert truth["metrics"]["error_of_median"]["observed"] == pytest.approx(-0.435, abs=5e-4)
    rows = [v for v in summary["verdicts"] if v["effect"].endswith("(hub split)")]
    assert len(rows) == 4
    for side in (far, truth):
        for m in side["metrics"].values():
            row = next(v for v in rows if side["label"] in v["effect"]
                       and v["data"] == m["observed"] and v["simulation"] == m["predicted"])
            lo, hi = m["observed_ci"]
            assert lo <= m["observed"] <= hi and None not in m["predicted_ci"]
            assert row["verdict"] == verdict(m["observed"], m["observed_ci"], m["predicted"],
                                             m["predicted_ci"])
            assert row["data_ci"] == m["observed_ci"] and row["model_ci"] == m["predicted_ci"]
    # the truth side's fall is significant in the data
    assert truth["metrics"]["error_of_mean"]["observed_ci"][1] < 0
    labels = dict(summary["key_numbers"])
    assert "hub split reproduced (one verdict rule)" in labels


def test_the_stored_calibration_is_reused_and_recomputed_when_fresh(becker, tmp_path):
    config, out, summary, _ = becker
    stored = (out / "calibration.json").read_text()
    again, lines = run(config, out)
    assert any("calibration: reusing" in line for line in lines)
    assert (out / "calibration.json").read_text() == stored
    assert again["prediction"]["conditions"] == json.loads(json.dumps(
        summary["prediction"]["conditions"]))
    _, lines = run(config, out, fresh=True)
    assert any("calibration: computing it (--fresh)" in line for line in lines)
    # another ABC setting is another calibration
    other = write_config(tmp_path, "becker2017", abc={"population_size": 30, "generations": 1})
    _, lines = run(other, out)
    assert any("stored for another abc" in line for line in lines)


@pytest.mark.parametrize("override, message", [
    ({"model": "bayes"}, r"model: .*degroot"),
    ({"abc": {"folds": 1}}, r"abc\.folds"),
    ({"draws": 1}, r"draws"),
    ({"dataset": "no/such/spec.yaml"}, r"dataset: dataset spec 'no/such/spec.yaml' not found"),
    ({"calibrate_on": "nope.yaml"}, r"calibrate_on: dataset spec 'nope.yaml' not found"),
])
def test_bad_values_are_one_line_config_errors(tmp_path, override, message):
    config = write_config(tmp_path, "becker2017", **override)
    with pytest.raises(ConfigError, match=message) as info:
        run(config, tmp_path / "out")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


def test_the_shipped_configs_name_specs_next_to_them():
    from experiments import becker2017, lorenz2011
    from experiments._crossprediction import spec_path

    engine = Engine(REPO / "results" / "unused", seed=1, config_dir=REPO / "configs")
    for module, name in ((lorenz2011, "lorenz2011"), (becker2017, "becker2017")):
        config = validate(module.Config, load_yaml(REPO / "configs" / f"{name}.yaml"), name)
        assert config.model is None and config.draws == 200
        assert spec_path(config.dataset, "dataset", engine) == \
            REPO / "configs" / "datasets" / f"{name}.yaml"
        assert spec_path(config.calibrate_on, "calibrate_on", engine) == \
            REPO / "configs" / "datasets" / f"{OTHER[name]}.yaml"
        # the defaults are the shipped specs, found from any folder
        default = module.Config(experiment=name, seed=1)
        assert spec_path(default.dataset, "dataset", Engine(REPO, seed=1)).is_file()

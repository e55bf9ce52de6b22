"""The choice experiments (condorcet, cascades, musiclab) run end to end on reduced sizes,
write their files and report verdicts; bad configs are one-line errors naming the field."""

import json

import pandas as pd
import pytest

from sim.config import ConfigError, load_yaml, validate


def run_experiment(module, config_file, tmp_path, **overrides):
    raw = {**load_yaml(config_file), **overrides}
    config = validate(module.Config, raw, config_file)
    out = tmp_path / "out"
    summary = module.run(config, out, {"seed": config.seed}, log=lambda *a, **k: None)
    return summary, out


def test_condorcet_experiment(tmp_path):
    from experiments import condorcet

    summary, out = run_experiment(
        condorcet, "configs/condorcet.yaml", tmp_path, competences=[0.6],
        jury_sizes=[1, 3, 5, 11, 101], juries=40, elections=50,
        correlations=[0.0, 0.5], correlation_jury_sizes=[11])
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 5 + 2 + 2
    verdicts = {v["effect"].split(":")[0]: v for v in summary["verdicts"]}
    reference = verdicts["reference values at p = 0.6"]
    assert reference["reproduced"]
    assert reference["simulation"][11]["formula"] == 0.7535
    assert verdicts["Condorcet's binomial formula"]["reproduced"]
    assert verdicts["correlation erodes the gain"]["reproduced"]
    assert all(isinstance(v["reproduced"], bool) for v in summary["verdicts"])
    assert (out / "condorcet.png").exists() and (out / "condorcet.svg").exists()
    assert json.loads((out / "summary.json").read_text())["verdicts"]


def test_cascades_experiment(tmp_path):
    from experiments import cascades

    summary, out = run_experiment(cascades, "configs/cascades.yaml", tmp_path,
                                  precisions=[0.6, 0.8], replicates=400,
                                  start_precisions=[0.6])
    points = pd.read_parquet(out / "points.parquet")
    sequences = pd.read_parquet(out / "sequences.parquet")
    assert len(points) == 4 and len(sequences) == 4 * 400
    coin = points[points.tie_rule == "coin"].set_index("precision")
    assert coin.loc[0.6, "limit_wrong"] == pytest.approx(0.368, abs=5e-4)
    assert coin.loc[0.8, "limit_wrong"] == pytest.approx(0.143, abs=5e-4)
    assert summary["verdicts"][0]["reproduced"]
    assert (out / "cascades.png").exists()


def test_musiclab_experiment(tmp_path):
    from experiments import musiclab

    summary, out = run_experiment(musiclab, "configs/musiclab.yaml", tmp_path, n_songs=12,
                                  n_listeners=150, n_worlds=4, repeats=6,
                                  social_weights=[0.0, 0.3, 3.0])
    points = pd.read_parquet(out / "points.parquet")
    worlds = pd.read_parquet(out / "worlds.parquet")
    assert len(points) == 3 and len(worlds) == 3 * 6 * 4
    assert points.gini.is_monotonic_increasing
    assert points.unpredictability.is_monotonic_increasing
    assert [v["reproduced"] for v in summary["verdicts"][:2]] == [True, True]
    assert (out / "musiclab.png").exists()


@pytest.mark.parametrize("module,config_file,overrides,field", [
    ("condorcet", "configs/condorcet.yaml", {"competences": [1.5]}, "competences"),
    ("condorcet", "configs/condorcet.yaml", {"jury_sizes": [0, 3]}, "jury_sizes"),
    ("condorcet", "configs/condorcet.yaml", {"juries": 1}, "juries"),
    ("condorcet", "configs/condorcet.yaml",
     {"heterogeneities": [{"kind": "uniform", "spread": 0.9}]}, "spread"),
    ("cascades", "configs/cascades.yaml", {"precisions": [0.4, 0.6]}, "precision"),
    ("cascades", "configs/cascades.yaml", {"tie_rules": ["never"]}, "tie_rules"),
    ("cascades", "configs/cascades.yaml", {"start_precisions": [0.72]}, "start_precisions"),
    ("musiclab", "configs/musiclab.yaml", {"social_weights": [0.1, 0.3]}, "social_weights"),
    ("musiclab", "configs/musiclab.yaml", {"quality_low": 0.9, "quality_high": 0.5},
     "quality_low"),
    ("musiclab", "configs/musiclab.yaml", {"n_worlds": 1}, "n_worlds"),
    ("musiclab", "configs/musiclab.yaml", {"songs": 48}, "songs"),
])
def test_bad_configs_are_one_line_errors(module, config_file, overrides, field):
    import importlib

    experiment = importlib.import_module(f"experiments.{module}")
    raw = {**load_yaml(config_file), **overrides}
    with pytest.raises(ConfigError) as info:
        validate(experiment.Config, raw, config_file)
    message = str(info.value)
    assert "\n" not in message and field in message, message


@pytest.mark.parametrize("name", ["condorcet", "cascades", "musiclab"])
def test_shipped_configs_validate(name):
    import importlib

    experiment = importlib.import_module(f"experiments.{name}")
    config = validate(experiment.Config, load_yaml(f"configs/{name}.yaml"), name)
    assert config.experiment == name

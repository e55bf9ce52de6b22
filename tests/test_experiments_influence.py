"""The social-influence experiments run end to end on reduced sizes and report honestly."""

import json

import numpy as np
import pytest

from sim.config import load_yaml, validate


def run_experiment(module, config_file, tmp_path, **overrides):
    raw = {**load_yaml(config_file), **overrides}
    config = validate(module.Config, raw, config_file)
    out = tmp_path / "out"
    summary = module.run(config, out, {"seed": config.seed}, log=lambda *a, **k: None)
    return summary, out


def test_lorenz_reproduction(tmp_path):
    from experiments import lorenz2011

    summary, out = run_experiment(lorenz2011, "configs/lorenz2011.yaml", tmp_path,
                                  groups_per_fit=200, groups=400)
    data = summary["data"]["by"]
    # the REFERENCES table comes out of the shipped data
    assert data["aggregated"]["per_round"]["sd"][0] == pytest.approx(1.429, abs=5e-4)
    assert data["full"]["per_round"]["sd"][-1] == pytest.approx(0.897, abs=5e-4)
    # the fitted social weights reproduce the observed shrinkage of diversity
    for condition in ("aggregated", "full"):
        w = summary["fit"]["social_weight"][condition]
        assert 0 < w["value"] < 1 and w["reached"]
        simulated = summary["simulation"][condition]["sd"]
        observed = data[condition]["per_round"]["sd"]
        assert simulated[-1] / simulated[0] == pytest.approx(observed[-1] / observed[0],
                                                             abs=0.03)
    # without information nothing moves
    sd_no = summary["simulation"]["no"]["sd"]
    assert sd_no[0] == pytest.approx(sd_no[-1])
    verdicts = {v["effect"]: v["reproduced"] for v in summary["verdicts"]}
    assert any(r is None for r in verdicts.values())  # confidence: not simulated
    assert all(isinstance(r, bool) for k, r in verdicts.items() if "confidence" not in k)
    assert (out / "rounds.png").exists() and (out / "rounds.svg").exists()
    assert json.loads((out / "summary.json").read_text())["verdicts"]


def test_becker_reproduction(tmp_path):
    from experiments import becker2017

    summary, out = run_experiment(becker2017, "configs/becker2017.yaml", tmp_path,
                                  social_weights=[0.2, 0.5], accuracy_couplings=[0.0, 0.75],
                                  groups_per_fit=60, groups=120)
    change = summary["data"]["by"]["Decentralized"]["change"]
    assert change["error_of_mean"] == pytest.approx(-0.103, abs=5e-4)
    assert change["sd"] == pytest.approx(-0.419, abs=5e-4)
    # without a network (solo) the model's crowd does not change at all
    assert summary["simulation"]["solo"]["change"]["sd"] == pytest.approx(0.0, abs=1e-12)
    # social influence shrinks the SD on both networks
    for network in ("decentralized", "centralized"):
        assert summary["simulation"][network]["change"]["sd"] < -0.1
    assert len(summary["verdicts"]) == 12
    assert (out / "changes.png").exists()

"""The social-influence reproductions (Lorenz et al. 2011, Becker et al. 2017) run end to end
through the runner on reduced sizes, fit through the engine and report honestly."""

import json

import pytest
import yaml

from experiments._runner import Execution, run_experiment
from sim.cli import main
from sim.config import ConfigError, load_yaml, validate

VERDICT_KEYS = {"effect", "data", "simulation", "reproduced", "note"}


def write_config(tmp_path, name, **overrides):
    raw = {**load_yaml(f"configs/{name}.yaml"), **overrides}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def run(config, out):
    # one chunk per stage: a fitting loop runs many small stages
    return run_experiment(config, out, Execution(workers=1, quiet=True, chunk_size=10_000),
                          report=False, log=None)


def without_timestamp(summary):
    return {**summary, "provenance": {k: v for k, v in summary["provenance"].items()
                                      if k != "timestamp"}}


def redraws(out, stem):
    """The figure is drawn, and drawn again from the stored results alone."""
    assert (out / f"{stem}.png").exists() and (out / f"{stem}.svg").exists()
    (out / f"{stem}.png").unlink()
    assert main(["figures", str(out)]) == 0
    return (out / f"{stem}.png").exists()


@pytest.fixture(scope="module")
def lorenz(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lorenz")
    config = write_config(folder, "lorenz2011", groups_per_fit=200, groups=400)
    out = folder / "out"
    return config, out, run(config, out)


def test_lorenz_reproduction(lorenz):
    config, out, summary = lorenz
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
        # every candidate weight was one stage of the engine
        steps = len(w["evaluations"])
        assert {f"fit-{condition}-{k}" for k in range(steps)} <= set(summary["files"]["runs"])
    assert "conditions" in summary["files"]["runs"]
    # without information nothing moves
    sd_no = summary["simulation"]["no"]["sd"]
    assert sd_no[0] == pytest.approx(sd_no[-1])
    assert all(set(v) == VERDICT_KEYS for v in summary["verdicts"])
    verdicts = {v["effect"]: v["reproduced"] for v in summary["verdicts"]}
    assert any(r is None for r in verdicts.values())  # confidence: not simulated
    assert all(isinstance(r, bool) for k, r in verdicts.items() if "confidence" not in k)
    assert json.loads((out / "summary.json").read_text())["verdicts"]
    assert summary["key_numbers"]
    assert redraws(out, "rounds")


@pytest.mark.slow
def test_lorenz_fitting_loop_replays_from_the_store(lorenz):
    config, out, summary = lorenz
    again = json.loads(json.dumps(run(config, out)))  # as stored: tuples become lists
    assert without_timestamp(again) == without_timestamp(json.loads(json.dumps(summary)))


def test_lorenz_crowd_takes_the_experiments_defaults_and_refuses_fitted_values(tmp_path):
    from experiments import lorenz2011

    raw = {"experiment": "lorenz2011", "seed": 1, "crowd": {"n_agents": 20}}
    crowd = validate(lorenz2011.Config, raw, "lorenz.yaml").crowd
    assert (crowd.n_agents, crowd.noise, crowd.revision_space, crowd.rounds) == \
        (20, "lognormal", "log", 4)
    config = write_config(tmp_path, "lorenz2011",
                          crowd={**load_yaml("configs/lorenz2011.yaml")["crowd"],
                                 "noise_scale": 0.5})
    with pytest.raises(ConfigError, match="crowd.*noise_scale.*fitted"):
        run(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_becker_reproduction(tmp_path):
    config = write_config(tmp_path, "becker2017", social_weights=[0.2, 0.5],
                          accuracy_couplings=[0.0, 0.75], groups_per_fit=60, groups=120)
    out = tmp_path / "out"
    summary = run(config, out)
    change = summary["data"]["by"]["Decentralized"]["change"]
    assert change["error_of_mean"] == pytest.approx(-0.103, abs=5e-4)
    assert change["sd"] == pytest.approx(-0.419, abs=5e-4)
    # the grid is one stage, the networks another
    assert set(summary["files"]["runs"]) == {"fit", "networks"}
    grid = summary["fit"]["dynamics"]["grid"]
    assert len(grid) == 4
    assert summary["fit"]["dynamics"]["best"]["loss"] == min(row["loss"] for row in grid)
    # without a network (solo) the model's crowd does not change at all
    assert summary["simulation"]["solo"]["change"]["sd"] == pytest.approx(0.0, abs=1e-12)
    # social influence shrinks the SD on both networks
    for network in ("decentralized", "centralized"):
        assert summary["simulation"][network]["change"]["sd"] < -0.1
    assert len(summary["verdicts"]) == 12
    assert all(set(v) == VERDICT_KEYS for v in summary["verdicts"])
    assert redraws(out, "changes")


def test_becker_impossible_network_is_a_config_error(tmp_path):
    config = write_config(tmp_path, "becker2017", degree=40)
    with pytest.raises(ConfigError, match="decentralized network"):
        run(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()

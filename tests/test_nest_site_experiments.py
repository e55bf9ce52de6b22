"""The List et al. (2009) and groupthink nest-site experiments run end to end through the
runner on reduced sizes, report honestly, and redraw their figures from stored results."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import experiment_module
from experiments._runner import Execution, run_experiment
from sim.cli import main
from sim.config import ConfigError, load_yaml, validate

SMALL_SWARM = {"n_agents": 60, "qualities": [3, 5, 7, 9, 10], "discovery": 0.1,
               "decrement": 1.0, "horizon": 80}


def write_config(tmp_path, name, **overrides):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**load_yaml(f"configs/{name}.yaml"), **overrides},
                                   sort_keys=False), encoding="utf-8")
    return path


def run(config, out):
    return run_experiment(config, out, Execution(workers=1, quiet=True), log=None)


def assert_honest_verdicts(summary, out):
    verdicts = summary["verdicts"]
    assert verdicts and all(isinstance(v["reproduced"], bool) or v["reproduced"] is None
                            for v in verdicts)
    assert all(set(v) - {"data_ci", "data_ci_source", "model_ci", "verdict", "fitted"}
               == {"effect", "data", "simulation", "reproduced", "note"} for v in verdicts)
    assert all(v["effect"] and v["data"] and v["simulation"] is not None for v in verdicts)
    on_disk = json.loads((out / "summary.json").read_text())
    assert [v["reproduced"] for v in on_disk["verdicts"]] == [v["reproduced"]
                                                              for v in verdicts]
    # the report shows the data and the model's values (it read "measured" before)
    table = (out / "report.md").read_text().split("## Published effects", 1)[1]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(verdicts)
    assert all(row[1].strip() and row[2].strip() for row in rows)
    for name in summary["files"]["figures"]:
        assert (out / name).exists()
    assert any(name.endswith(".svg") for name in summary["files"]["figures"])


def assert_one_rule(verdicts):
    """Every row has both 90 % intervals (or is fitted) and its label follows the one rule;
    a note says where the data's interval comes from."""
    from sim.verdicts import LABELS, verdict

    for v in verdicts:
        assert v["fitted"] or (v["data_ci"] is not None or "no number" in v["note"])
        # a reading of words is marked as one, and its note says which reading
        if v.get("data_ci_source") == "reading":
            assert "reading" in v["note"]
        assert v["fitted"] or v["model_ci"] is not None
        low, high = v["model_ci"]
        assert low <= v["simulation"] <= high
        null = 0.0 if "difference" in v["effect"] else None
        assert v["verdict"] == verdict(v["data"], v["data_ci"], v["simulation"], v["model_ci"],
                                       fitted=v["fitted"], null=null)
        assert v["reproduced"] is LABELS[v["verdict"]]


def assert_figures_come_back(out, monkeypatch):
    """``crowdsim figures DIR`` redraws every figure from the stored tables alone."""
    import sim.models.nest_site.measures as measures

    drawn = sorted(p.name for p in out.iterdir() if p.suffix in (".png", ".svg"))
    assert drawn
    for name in drawn:
        (out / name).unlink()

    def fail(*args, **kwargs):
        raise AssertionError("figures must be redrawn from stored results, not simulated")

    monkeypatch.setattr(measures, "simulate_swarms", fail)
    assert main(["figures", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".png", ".svg")) == drawn


def test_list2009(tmp_path, monkeypatch):
    config = write_config(tmp_path, "nest_site_list2009", runs=40,
                          interdependence=[0.0, 0.8, 1.0], swarm=SMALL_SWARM,
                          examples=[[0.8, 0.2], [0.0, 1.0]])
    out = tmp_path / "out"
    summary = run(config, out)
    assert_honest_verdicts(summary, out)
    assert_one_rule(summary["verdicts"])
    assert summary["files"]["runs"] == {"swarms": "runs/swarms", "assumptions":
                                        "runs/assumptions", "examples": "runs/examples"}
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 3 * 2 and (points.runs == 40).all()
    # the unconfirmed choices, side by side: 2 quality sets x 2 noise forms x 2 sigmas
    choices = pd.read_parquet(out / "assumptions.parquet")
    assert len(choices) == 8 and (choices.runs == 40).all()
    assert set(choices.qualities) == {"3, 5, 7, 9, 10", "1, 3, 4, 6, 8"}
    for key in ("p_best_plurality", "p_best_twice"):
        assert (choices[f"{key}_low"] <= choices[key]).all()
        assert (choices[key] <= choices[f"{key}_high"]).all()
    noisy = choices[choices.noise == 1.0].set_index(["qualities", "noise_centre"])
    assert not noisy.loc[("3, 5, 7, 9, 10", "mean")].equals(
        noisy.loc[("3, 5, 7, 9, 10", "median")])
    assert any("unconfirmed choices" in note for note in summary["notes"])
    # lambda = 1: no scout ever searches alone, nothing happens
    still = points[points.interdependence == 1.0]
    assert np.all(still.p_best_plurality == 0) and np.all(still.p_no_plurality == 1)
    assert summary["notes"]
    # interdependence snowballs: a far stronger consensus at 0.8 than at 0
    by = points.set_index(["interdependence", "noise"])
    assert by.loc[(0.8, 0.2), "p_twice_any"] > by.loc[(0.0, 0.2), "p_twice_any"] + 0.3
    # an example swarm is the first swarm of its point: same seed, same end
    examples = pd.read_parquet(out / "examples.parquet")
    assert sorted(examples.step.unique()) == list(range(81))
    from sim.sweep.results import load

    swarms = load(out / "runs" / "swarms")
    first = swarms[(swarms.replicate == 0) & (swarms.interdependence == 0.8)
                   & (swarms.noise == 0.2)].iloc[0]
    end = examples[(examples.example == 0) & (examples.step == 80)].sort_values("site")
    assert end.seed.iloc[0] == first.seed and end.plurality.iloc[0] == first.plurality
    assert end.dancers.tolist() == [first[f"dancers_{j}"] for j in range(5)]
    assert_figures_come_back(out, monkeypatch)


def test_groupthink(tmp_path, monkeypatch):
    config = write_config(tmp_path, "nest_site_groupthink", runs=60,
                          copying=[0.0, 0.5, 1.0], noise=[1.0],
                          swarm={**SMALL_SWARM, "interdependence": 0.8, "horizon": 150})
    out = tmp_path / "out"
    summary = run(config, out)
    assert_honest_verdicts(summary, out)
    assert_one_rule(summary["verdicts"])
    assert {v["data_ci_source"] for v in summary["verdicts"]} == {"reading"}
    assert "(reading)" in (out / "report.md").read_text()
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 3
    assert points.p_best_plurality.iloc[0] > points.p_best_plurality.iloc[-1]
    # a strong consensus on a worse site is one on some site, not on the best
    np.testing.assert_allclose(points.p_twice_worse, points.p_twice_any - points.p_best_twice)
    assert_figures_come_back(out, monkeypatch)


@pytest.mark.parametrize("name, bad, message", [
    ("nest_site_list2009", {"swarm": {"interdependence": 0.5}}, "swarm.interdependence: swept"),
    ("nest_site_list2009", {"swarm": {"quorum": 10}}, "swarm.quorum"),
    ("nest_site_list2009", {"interdependence": [0.2, 1.5]}, r"interdependence\.1: .* 1 "),
    ("nest_site_list2009", {"noise": [-0.2]}, r"noise\.0: .* 0 "),
    ("nest_site_list2009", {"swarm": {"qualities": [1, 2], "discovery": [0.1]}}, "discovery"),
    ("nest_site_list2009", {"examples": [[0.8, 0.2], [0.8, 0.2]]}, "once"),
    ("nest_site_list2009", {"runs": 1}, "runs"),
    ("nest_site_groupthink", {"swarm": {"copying": 0.5}}, "swarm.copying: swept"),
    ("nest_site_groupthink", {"swarm": {"quorum": 10}}, "swarm.quorum"),
    ("nest_site_groupthink", {"copying": [0.0, 1.5]}, r"copying\.1: .* 1 "),
    ("nest_site_groupthink", {"copying": [0.0]}, "copying"),
    ("nest_site_groupthink", {"swarm": {"qualities": list(range(1, 23)), "discovery": 0.01}},
     "at most 20 sites"),
])
def test_config_is_checked(name, bad, message):
    config_file = f"configs/{name}.yaml"
    with pytest.raises(ConfigError, match=message) as error:
        validate(experiment_module(name).Config, {**load_yaml(config_file), **bad}, config_file)
    assert "\n" not in str(error.value)

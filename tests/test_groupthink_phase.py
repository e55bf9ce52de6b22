"""The groupthink phase diagram runs end to end on reduced sizes through the runner."""

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments._runner import Execution, run_experiment
from sim.config import ConfigError, load_yaml


def write_config(tmp_path, **overrides):
    raw = load_yaml("configs/groupthink_phase.yaml")
    raw.update(overrides)
    path = tmp_path / "groupthink_phase.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_groupthink_phase(tmp_path):
    crowd = {**load_yaml("configs/groupthink_phase.yaml")["crowd"], "n_agents": 30,
             "rounds": 5}
    config = write_config(tmp_path, crowd=crowd, replicates=20,
                          social_weights=[0.0, 0.5, 1.0], correlations=[0.0, 0.5])
    out = tmp_path / "out"
    summary = run_experiment(config, out, Execution(workers=1, quiet=True), report=False,
                             log=None)
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 4 * 2 * 2 * 3
    # no social weight: nothing changes
    still = points[points.social_weight == 0.0]
    np.testing.assert_allclose(still.error_ratio, 1.0)
    np.testing.assert_allclose(still.diversity_ratio, 1.0)
    # full weight on a star with a biased hub: diversity collapses, error grows
    star = points[points.topology.str.startswith("star") & points.influencer_bias.notna()
                  & (points.social_weight == 1.0)]
    assert (star.diversity_ratio < 0.5).all() and (star.error_ratio > 1).all()
    assert star.groupthink.all()
    assert (out / "error_ratio.png").exists() and (out / "diversity_ratio.png").exists()
    assert summary["regions"] and summary["key_numbers"]
    assert summary["files"]["runs"] == {"phase": "runs/phase"}


def test_groupthink_bad_topology_is_a_config_error(tmp_path):
    config = write_config(tmp_path, topologies=[
        {"name": "too dense", "information": "neighbours",
         "network": {"kind": "ring_lattice", "degree": 500}}])
    with pytest.raises(ConfigError, match="topologies: too dense"):
        run_experiment(config, tmp_path / "out", Execution(workers=1, quiet=True),
                       report=False, log=None)
    assert not (tmp_path / "out").exists()

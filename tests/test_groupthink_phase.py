"""The groupthink phase diagram: regimes side by side, ratios with 90 % intervals, categories
and their certainty, on reduced sizes through the runner."""

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments._runner import Execution, remake_figures, run_experiment
from experiments.groupthink_phase import (
    GROUPTHINK,
    KEPT,
    WISER,
    categorise,
    certain,
    ratio_of_means,
)
from sim.config import ConfigError, load_yaml
from sim.stats import Z90

QUIET = Execution(workers=1, quiet=True)
TINY = {"replicates": 20, "social_weights": [0.0, 1.0], "correlations": [0.0, 0.5],
        "calibrated": None}


def write_config(tmp_path, **overrides):
    raw = load_yaml("configs/groupthink_phase.yaml")
    raw["crowd"] = {**raw["crowd"], "n_agents": 30, "rounds": 5}
    raw.update({**TINY, **overrides})
    path = tmp_path / "groupthink_phase.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def run(tmp_path, **overrides):
    out = tmp_path / "out"
    summary = run_experiment(write_config(tmp_path, **overrides), out, QUIET, report=False,
                             log=None)
    return summary, pd.read_parquet(out / "points.parquet"), out


# ---------------------------------------------------------------------------------------------
# the interval, the categories, their certainty


def test_delta_method_interval_matches_a_bootstrap():
    rng = np.random.default_rng(7)
    n = 300
    before = rng.gamma(2.0, 1.0, n)
    after = 0.7 * before + rng.gamma(1.0, 0.5, n)  # paired: correlated with before
    ratio, low, high = ratio_of_means(after, before)
    assert ratio == pytest.approx(after.mean() / before.mean())
    assert high - ratio == pytest.approx(ratio - low)
    draws = rng.integers(0, n, size=(4000, n))
    boot = after[draws].mean(axis=1) / before[draws].mean(axis=1)
    assert (high - low) / (2 * Z90) == pytest.approx(boot.std(ddof=1), rel=0.1)
    # rows of a 2-d input are points, each with its own interval
    two = ratio_of_means(np.stack([after, 2 * after]), np.stack([before, before]))
    np.testing.assert_allclose([two[0][0], two[1][0], two[2][0]], [ratio, low, high])
    np.testing.assert_allclose(two[0][1], 2 * ratio)


def test_categories_are_exhaustive_and_follow_the_rule():
    error = [0.5, 0.98, 0.995, 1.0, 1.3, 1.3, 0.5]
    diversity = [0.9, 0.9, 0.9, 0.4, 0.4, 0.6, 0.1]
    assert categorise(error, diversity, collapse=0.5).tolist() == [
        WISER, WISER, KEPT, GROUPTHINK, GROUPTHINK, KEPT, WISER]


@pytest.mark.parametrize(("box", "sure"), [
    ((0.80, 0.90, 0.8, 0.9), True),     # wiser everywhere in the box
    ((0.80, 0.90, 0.2, 0.9), True),     # wiser whatever the diversity
    ((0.98, 1.02, 0.8, 0.9), False),    # crosses the wiser boundary (0.99)
    ((1.10, 1.20, 0.45, 0.55), False),  # crosses the collapse (0.5)
    ((1.10, 1.20, 0.10, 0.30), True),   # groupthink everywhere
    ((1.00, 1.00, 0.9, 1.0), True),     # a box of no width
])
def test_a_box_crossing_a_boundary_is_uncertain(box, sure):
    e_lo, e_hi, d_lo, d_hi = box
    assert certain([e_lo], [e_hi], [d_lo], [d_hi], collapse=0.5).tolist() == [sure]


# ---------------------------------------------------------------------------------------------
# end to end


def test_groupthink_phase_regimes_side_by_side(tmp_path):
    shipped = load_yaml("configs/groupthink_phase.yaml")
    topologies = [t for t in shipped["topologies"] if t["name"].startswith(("aggregate", "star"))]
    summary, points, out = run(tmp_path, topologies=topologies)
    regimes = [r["name"] for r in shipped["regimes"]]
    assert list(summary["regimes"]) == regimes
    assert len(points) == len(regimes) * 2 * 2 * 2 * 2
    for column in ("regime", "error_ratio_low", "error_ratio_high", "diversity_ratio_low",
                   "diversity_ratio_high", "category", "certain"):
        assert column in points
    assert (points.error_ratio_low <= points.error_ratio).all()
    assert (points.error_ratio <= points.error_ratio_high).all()
    assert set(points.category) <= {WISER, GROUPTHINK, KEPT}
    # no social weight under constant weights: nothing changes, and surely so
    still = points[(points.social_weight == 0.0) & (points.weight_mode == "constant")]
    np.testing.assert_allclose(still.error_ratio, 1.0)
    np.testing.assert_allclose(still.diversity_ratio, 1.0)
    assert (still.category == KEPT).all() and still.certain.all()
    # full weight on a star with a biased hub: diversity collapses, error grows
    star = points[points.topology.str.startswith("star") & points.influencer_bias.notna()
                  & (points.social_weight == 1.0)]
    assert (star.category == GROUPTHINK).all()
    for name, regime in summary["regimes"].items():
        counts = regime["categories"]
        assert sum(counts.values()) == regime["points"] == (points.regime == name).sum()
        assert regime["uncertain"] == (~points[points.regime == name].certain).sum()
        assert sum(r["points"] for r in summary["regions"][name].values()) == regime["points"]
        assert sum(part["points"] for part in regime["by_influencer"].values()) == \
            regime["points"]
    assert set(summary["depends_on"]) == {"no influencer", "biased influencer +30%"}
    assert all("wiser at" in text for text in summary["depends_on"].values())
    assert summary["key_numbers"]
    assert summary["files"]["runs"] == {"phase": "runs/phase"}
    for stem in ("regions", "error_ratio", "diversity_ratio"):
        for condition in ("no_influencer", "biased_influencer"):
            assert (out / f"{stem}_{condition}.png").exists()
    # the figures are redrawn from the stored files alone
    for stem in ("regions_no_influencer", "error_ratio_biased_influencer"):
        (out / f"{stem}.png").unlink()
    remade = remake_figures(out)
    assert str(out / "regions_no_influencer.png") in remade
    assert (out / "error_ratio_biased_influencer.png").exists()


def test_constant_weights_never_make_an_aggregate_crowd_wiser(tmp_path):
    """DeGroot averaging with the crowd's own mean keeps the mean: the error ratio is 1."""
    regimes = [{"name": "constant", "weight_mode": "constant", "weight_spread": 0.0}]
    summary, points, _ = run(tmp_path, regimes=regimes, social_weights=[0.0, 0.3, 0.7, 1.0],
                             correlations=[0.0], influencer_biases=[None],
                             topologies=[{"name": "aggregate", "information": "aggregate"}])
    np.testing.assert_allclose(points.error_ratio, 1.0, atol=1e-9)
    assert (points.category != WISER).all()
    assert summary["regimes"]["constant"]["categories"][WISER] == 0
    assert "no weight regime makes the crowd's mean better" in \
        summary["depends_on"]["no influencer"]


@pytest.mark.parametrize(("regime", "detail"), [
    ({"name": "sideways", "weight_mode": "sideways"}, r"regimes: sideways: weight_mode"),
    ({"name": "too strong", "weight_mode": "accuracy", "weight_spread": 1.5},
     r"regimes: too strong: weight_spread must be in \[0, 1\]"),
    ({"name": "negative", "weight_mode": "random", "weight_spread": -0.2},
     r"regimes: negative: weight_spread"),
])
def test_a_bad_regime_is_a_one_line_error_naming_it(tmp_path, regime, detail):
    config = write_config(tmp_path, regimes=[regime])
    with pytest.raises(ConfigError, match=detail) as caught:
        run_experiment(config, tmp_path / "out", QUIET, report=False, log=None)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_groupthink_bad_topology_is_a_config_error(tmp_path):
    config = write_config(tmp_path, topologies=[
        {"name": "too dense", "information": "neighbours",
         "network": {"kind": "ring_lattice", "degree": 500}}])
    with pytest.raises(ConfigError, match="topologies: too dense"):
        run_experiment(config, tmp_path / "out", QUIET, report=False, log=None)
    assert not (tmp_path / "out").exists()


def test_weights_set_in_the_crowd_are_refused(tmp_path):
    raw = load_yaml("configs/groupthink_phase.yaml")
    config = write_config(tmp_path, crowd={**raw["crowd"], "weight_mode": "accuracy"})
    with pytest.raises(ConfigError, match="crowd.weight_mode: swept by the top-level "
                                          "'regimes' list"):
        run_experiment(config, tmp_path / "out", QUIET, report=False, log=None)


@pytest.mark.slow
def test_the_calibrated_regime_runs_the_fitted_rules_in_log_space(tmp_path):
    calibrated = {"calibrate_on": "configs/datasets/becker2017.yaml", "model": "degroot",
                  "abc": {"population_size": 20, "generations": 1, "folds": 2}}
    regimes = [{"name": "constant", "weight_mode": "constant", "weight_spread": 0.0}]
    summary, points, out = run(tmp_path, regimes=regimes, calibrated=calibrated,
                               influencer_biases=[None],
                               topologies=[{"name": "aggregate", "information": "aggregate"}])
    assert (out / "calibration.json").is_file()
    calibration = summary["calibration"]
    name = calibration["regime"]
    assert name == "rules calibrated on Becker et al. (2017): DeGroot averaging"
    assert list(summary["regimes"]) == ["constant", name]
    ours = points[points.regime == name]
    assert (ours.noise == "lognormal").all() and (ours.revision_space == "log").all()
    assert (points[points.regime == "constant"].noise == "normal").all()
    applied = calibration["applied"]
    assert applied["noise_scale"] == pytest.approx(10.0 / 100.0)
    assert "social_weight" in calibration["not_applied"] and "drift" not in applied
    assert any(name in note and "log-normal" in note for note in summary["notes"])
    # the stored calibration is reused by the next run
    lines = []
    run_experiment(tmp_path / "groupthink_phase.yaml", out, QUIET, report=False,
                   log=lines.append)
    assert any("calibration: reusing" in line for line in lines)

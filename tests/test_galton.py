"""Galton's ox (1907) from the shipped centile table, the fits behind the experiment, and
its simulated fairs run through the experiment runner (reduced sizes)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CONFIGS
from scipy import stats

import experiments.galton_ox as galton
from experiments._runner import Engine, Execution, remake_figures, run_experiment
from sim.analysis.fitting import (
    QUANTILE_FAMILIES,
    expected_normal_range,
    fit_quantiles,
    fit_summary,
    model_quantiles,
)
from sim.config import config_hash, load_yaml
from sim.metrics import beaten_share
from sim.models.estimation import simulate_crowds

TRUTH = 1198.0
FAIRS = 2000
QUIET = Execution(workers=1, quiet=True)


def write_config(folder, name="galton_ox.yaml", **overrides):
    raw = {**load_yaml(CONFIGS / name), **overrides}
    path = folder / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path, raw


@pytest.fixture(scope="module")
def raw():
    return load_yaml(CONFIGS / "galton_ox.yaml")


@pytest.fixture(scope="module")
def config(raw):
    return galton.GaltonOxConfig.model_validate(raw)


@pytest.fixture(scope="module")
def table(config):
    return galton._read_table(config.observed, CONFIGS)


@pytest.fixture(scope="module")
def data(table, config):
    return galton.describe_table(table, config.observed, config.truth)


@pytest.fixture(scope="module")
def fit(table, data):
    return galton.fit_table(table, "split_normal", data)


@pytest.fixture(scope="module")
def params(fit, config):
    return galton.params_from_fit(fit, config.observed.n, config.truth)


@pytest.fixture(scope="module")
def galton_run(tmp_path_factory):
    """The experiment with FAIRS fairs: (output folder, summary, raw config)."""
    folder = tmp_path_factory.mktemp("galton")
    path, raw = write_config(folder, replicates=FAIRS)
    summary = run_experiment(path, folder / "out", QUIET, report=False, log=None)
    return folder / "out", summary, raw


@pytest.fixture(scope="module")
def frame(galton_run):
    return pd.read_parquet(galton_run[0] / "replicates.parquet")


@pytest.fixture(scope="module")
def simulation(galton_run):
    return galton_run[1]["simulation"]


# ---------------------------------------------------------------------------------------------
# the data: Galton's numbers, computed from the table


def test_config_and_table(config, table):
    assert config.truth == TRUTH and config.observed.n == 787
    assert table.centile.tolist() == list(range(5, 100, 5))
    assert table.estimate.is_monotonic_increasing


def test_galtons_numbers(data):
    assert data["tickets"] == 787
    assert data["truth"] == TRUTH
    assert data["median"] == 1207
    assert data["median_error"] == 9
    assert data["median_error_pct"] == pytest.approx(0.75, abs=0.005)
    assert (data["lower_quartile"], data["upper_quartile"]) == (1162, 1236)
    assert data["probable_error"] == 37
    assert (data["probable_error_below"], data["probable_error_above"]) == (45, 29)
    assert data["mean_of_centiles"] == pytest.approx(1197.2, abs=0.05)
    assert data["mean_of_odd_centiles"] == pytest.approx(1196.2, abs=1e-9)
    assert data["published_mean"] == 1197 and data["published_mean_error"] == -1
    assert 0.85 < data["share_beaten_by_median"] < 0.95
    assert data["share_beaten_by_mean_of_centiles"] > data["share_beaten_by_median"]


def test_split_normal_fits_better_than_normal(fit):
    rmse = fit["rmse_by_family"]
    assert set(rmse) == set(QUANTILE_FAMILIES)
    assert rmse["split_normal"] < rmse["normal"]
    assert fit["rmse"] == rmse["split_normal"]
    # the crowd's left tail is longer: more spread below the centre than above
    assert fit["scale_below"] > fit["scale_above"] > 0
    assert 1200 < fit["centre"] < 1215
    # Galton's own reading (two-piece normal through the quartiles) is worse than least squares
    assert fit["galton_reading"]["rmse"] > fit["rmse"]
    assert len(fit["largest_disagreements"]) == 3
    assert len(fit["residuals"]) == 19


# ---------------------------------------------------------------------------------------------
# the simulated fairs


def test_params_reproduce_the_fit(params, fit):
    assert params.noise == "split_normal"
    assert params.centre == pytest.approx(fit["centre"])
    assert params.scale_below == pytest.approx(fit["scale_below"])
    assert params.scale_above == pytest.approx(fit["scale_above"])


def test_run_fairs_measures_the_kernels_crowds(params):
    fair = galton.FairParams(**params.model_dump(exclude_unset=True), within=0.01)
    seeds = np.array([11, 12, 13, 14], dtype=np.int64)
    out = galton.run_fairs(fair, seeds, galton.FAIRS.metrics)
    assert set(out) == set(galton.FAIRS.metrics)
    assert all(values.shape == (4,) for values in out.values())
    x = simulate_crowds(params, seeds).estimates
    np.testing.assert_allclose(out["mean"], x.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(out["median"], np.median(x, axis=1), rtol=1e-12)
    np.testing.assert_allclose(out["median_beaten_share"], beaten_share(x, out["median"], TRUTH))
    np.testing.assert_allclose(out["individual_within_share"],
                               np.mean(np.abs(x - TRUTH) <= 0.01 * TRUTH, axis=1))
    # the random member is a member of its crowd, chosen from the run's own seed
    assert np.all(np.any(x == out["random_member"][:, None], axis=1))
    alone = galton.run_fairs(fair, seeds[2:3], ("random_member",))
    assert set(alone) == {"random_member"} and alone["random_member"][0] == out["random_member"][2]
    # the centiles run from the crowd's minimum to its maximum
    centiles = np.array([out[name] for name in galton.CENTILE_METRICS]).T
    np.testing.assert_array_equal(centiles[:, 0], x.min(axis=1))
    np.testing.assert_array_equal(centiles[:, -1], x.max(axis=1))
    assert np.all(np.diff(centiles, axis=1) >= 0)


def test_replicates_frame(frame):
    assert len(frame) == FAIRS
    assert frame.replicate.tolist() == list(range(FAIRS))
    assert frame.seed.is_unique
    assert not frame.isna().any().any()


def test_median_error_centred_on_the_fitted_centre(simulation, fit):
    offset = fit["centre"] - TRUTH
    assert simulation["fairs"] == FAIRS
    assert simulation["median"]["error"]["q50"] == pytest.approx(offset, abs=1.0)
    assert simulation["median"]["error_pct"]["q50"] == pytest.approx(100 * offset / TRUTH,
                                                                     abs=100 / TRUTH)


def test_shares_are_shares(simulation, frame):
    for name in ("median", "mean", "random_member"):
        assert 0.0 <= simulation[name]["within_share"] <= 1.0
    assert 0.0 <= simulation["individual_within_share"] <= 1.0
    for column in ("median_beaten_share", "mean_beaten_share", "individual_within_share"):
        assert frame[column].between(0.0, 1.0).all(), column
    # a crowd of 787 is within 1 % far more often than one of its members
    assert simulation["mean"]["within_share"] > simulation["random_member"]["within_share"]


def test_diversity_identity(frame, simulation):
    residual = frame.collective_sq_error - (frame.mean_individual_sq_error - frame.diversity)
    scale = frame.mean_individual_sq_error.abs().max()
    assert np.abs(residual).max() <= 1e-9 * scale
    assert simulation["diversity_identity_max_abs_residual"] <= 1e-9 * scale


def test_mean_beats_a_random_member(frame, params, simulation):
    # the stored seeds are the runs' seeds: the kernel gives back the very same crowds
    estimates = simulate_crowds(params, frame.seed.to_numpy()).estimates
    np.testing.assert_allclose(frame["mean"], estimates.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(frame["mean_beaten_share"],
                               beaten_share(estimates, frame["mean"].to_numpy(), TRUTH))
    member = frame["random_member"].to_numpy()
    assert np.all(np.any(estimates == member[:, None], axis=1))
    lone = beaten_share(estimates, member, TRUTH)
    assert 0.45 < lone.mean() < 0.55
    assert frame["mean_beaten_share"].mean() > 0.5
    assert frame["mean_beaten_share"].mean() > lone.mean()
    assert simulation["mean"]["beaten_share"]["mean"] == pytest.approx(
        frame["mean_beaten_share"].mean())


def test_fairs_are_value_keyed(params, frame, config, tmp_path):
    def fairs(seed, replicates, folder):
        engine = Engine(tmp_path / folder, seed, QUIET)
        runs = engine.run(galton.fairs_stage(params, config.within, replicates))
        return galton.fairs_frame(runs, params.truth, config.within)

    # more fairs: the first FAIRS are the experiment's own, whatever else is run
    more = fairs(config.seed, FAIRS + 50, "more")
    pd.testing.assert_frame_equal(frame, more.iloc[:FAIRS])
    other = fairs(config.seed + 1, FAIRS, "other")
    assert not frame.seed.isin(other.seed).any()
    assert not np.allclose(frame["mean"], other["mean"])


def test_run_writes_summary_with_notes(galton_run):
    out, summary, raw = galton_run
    notes = summary["notes"]
    assert isinstance(notes, list) and notes and all(isinstance(n, str) and n for n in notes)
    rows = {row["effect"].split(" (")[-1].rstrip(")"): row for row in summary["verdicts"]}
    assert set(rows) == {"median error", "mean error"}
    # the median is fitted (the fit passes through the table's 50th centile): never reproduced
    assert rows["median error"]["verdict"] == "fitted" and rows["median error"]["fitted"]
    assert rows["median error"]["reproduced"] is None
    mean = rows["mean error"]
    assert not mean["fitted"] and mean["verdict"] in ("reproduced", "not reproduced")
    assert mean["data"] == -1 and len(mean["data_ci"]) == 2 and len(mean["model_ci"]) == 2
    assert mean["data_ci"][0] < -1 < mean["data_ci"][1]
    assert mean["model_ci"][0] <= mean["simulation"] <= mean["model_ci"][1]
    for key in ("crowdsim_version", "git_commit", "config_hash", "seed", "timestamp"):
        assert key in summary["provenance"], key
    assert summary["provenance"]["config_hash"] == config_hash(raw)
    assert summary["provenance"]["seed"] == 1907
    assert summary["data"]["median"] == 1207 and summary["data"]["tickets"] == 787
    assert summary["simulation"]["fairs"] == FAIRS
    assert summary["model_params"]["noise"] == "split_normal"
    assert summary["files"]["tables"] == {"replicates": "replicates.parquet"}
    assert summary["files"]["runs"] == {"fairs": "runs/fairs"}
    assert (out / "ogive.png").is_file() and (out / "errors.png").is_file()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert "1207 lb (+9, +0.8 %)" in dict(summary["key_numbers"])["median (error)"]
    text = galton.report_text(summary)
    assert text.startswith("== Galton's ox, 1907 ==") and f"{FAIRS:,} fairs" in text


def test_run_resumes_from_the_store(galton_run):
    out, summary, _ = galton_run
    lines = []
    again = run_experiment(out.parent / "galton_ox.yaml", out, QUIET, report=False,
                           log=lines.append)
    assert any("nothing left to run" in line for line in lines)
    stamps = [record["provenance"].pop("timestamp") for record in (summary, again)]
    assert again == summary
    summary["provenance"]["timestamp"] = stamps[0]


def test_ted_ox_example_crowd_and_figures(tmp_path):
    path, _ = write_config(tmp_path, "ted_ox.yaml", replicates=50)
    out = tmp_path / "out"
    summary = run_experiment(path, out, QUIET, report=False, log=None)
    assert summary["files"]["runs"] == {"fairs": "runs/fairs", "example": "runs/example"}
    crowd = pd.read_parquet(out / "example_crowd.parquet")
    frame = pd.read_parquet(out / "replicates.parquet")
    assert len(crowd) == len(galton.CENTILES) and crowd.estimate.is_monotonic_increasing
    # the example crowd is the same point's first run: the first fair
    assert crowd.estimate.iloc[0] == frame.minimum.iloc[0]
    assert crowd.estimate.iloc[-1] == frame.maximum.iloc[0]
    assert any("maximum" in note for note in summary["notes"])
    # the log-normal is fitted to the mean, minimum and maximum: those rows are fitted, never
    # reproduced, whatever the numbers
    rows = summary["verdicts"]
    assert [row["effect"].rsplit("(", 1)[-1] for row in rows] == ["mean)", "minimum)",
                                                                   "maximum)"]
    assert all(row["verdict"] == "fitted" and row["fitted"] and row["reproduced"] is None
               and row["data_ci"] is None and len(row["model_ci"]) == 2 for row in rows)
    assert [row["data"] for row in rows] == [813, 144, 3629]
    assert not any("consistent" in note or "not reproduced" in note
                   for note in summary["notes"])
    for png in out.glob("*.png"):
        png.unlink()
    redrawn = remake_figures(out)
    assert sorted(p.rsplit("/", 1)[-1] for p in redrawn) == ["errors.png", "errors.svg",
                                                            "ogive.png", "ogive.svg"]
    assert (out / "ogive.png").is_file()


# ---------------------------------------------------------------------------------------------
# sim.analysis.fitting

CENTILES = np.arange(5, 100, 5) / 100
TRUE_MODELS = {
    "normal": (1200.0, 50.0, 50.0),
    "split_normal": (1207.0, 65.0, 42.0),
    "lognormal": (800.0, 0.4, 0.4),
    "log_cauchy": (800.0, 0.15, 0.15),
}


@pytest.mark.parametrize("family", QUANTILE_FAMILIES)
def test_fit_quantiles_recovers_exact_tables(family):
    centre, below, above = TRUE_MODELS[family]
    values = model_quantiles(family, centre, below, above, CENTILES)
    fit = fit_quantiles(CENTILES, values, family)
    assert fit.noise == family
    assert fit.centre == pytest.approx(centre, rel=1e-9)
    assert fit.scale_below == pytest.approx(below, rel=1e-9)
    assert fit.scale_above == pytest.approx(above, rel=1e-9)
    assert fit.rmse == pytest.approx(0.0, abs=1e-9 * centre)
    np.testing.assert_allclose(fit.residuals, 0.0, atol=1e-9 * centre)
    # the fit maps onto the model's parameters
    kwargs = fit.params(truth=1000.0)
    assert kwargs["noise"] == family and kwargs["truth"] == 1000.0


def test_fit_quantiles_rejects_bad_input():
    with pytest.raises(ValueError, match="noise"):
        fit_quantiles(CENTILES, CENTILES, "cauchy")
    with pytest.raises(ValueError, match="at least 3"):
        fit_quantiles([0.25, 0.75], [1.0, 2.0], "normal")
    with pytest.raises(ValueError, match="between 0 and 1"):
        fit_quantiles([0.0, 0.5, 1.0], [1.0, 2.0, 3.0], "normal")
    with pytest.raises(ValueError, match="positive"):
        fit_quantiles([0.25, 0.5, 0.75], [-1.0, 2.0, 3.0], "lognormal")


def _lognormal_crowd(seed: int, n: int, sigma: float, median: float) -> np.ndarray:
    return median * np.exp(sigma * np.random.default_rng(seed).standard_normal(n))


def test_fit_summary_recovers_lognormal_scale():
    sigma, median = 0.5, 800.0
    # one large crowd: the scale within 15 %
    for seed in range(3):
        x = _lognormal_crowd(seed, 2000, sigma, median)
        fit = fit_summary(x.size, x.mean(), x.min(), x.max(), "lognormal")
        assert fit["scale"] == pytest.approx(sigma, rel=0.15)
        assert fit["centre"] == pytest.approx(median, rel=0.15)
    # the range's expectation is what the fit matches: unbiased on average
    scales = [fit_summary(500, x.mean(), x.min(), x.max(), "lognormal")["scale"]
              for x in (_lognormal_crowd(100 + s, 500, sigma, median) for s in range(40))]
    assert np.mean(scales) == pytest.approx(sigma, rel=0.05)


def test_fit_summary_normal_and_errors():
    x = 1000 + 50 * np.random.default_rng(7).standard_normal(2000)
    fit = fit_summary(x.size, x.mean(), x.min(), x.max(), "normal")
    assert fit["scale"] == pytest.approx(50.0, rel=0.15)
    assert fit["centre"] == x.mean()
    with pytest.raises(ValueError):
        fit_summary(500, 813.0, 3629.0, 144.0, "lognormal")  # minimum above maximum
    with pytest.raises(ValueError):
        fit_summary(500, 813.0, -1.0, 3629.0, "lognormal")
    with pytest.raises(ValueError):
        fit_summary(500, 813.0, 144.0, 3629.0, "split_normal")


def test_expected_normal_range():
    assert expected_normal_range(2) == pytest.approx(2 / math.sqrt(math.pi), rel=1e-9)
    assert expected_normal_range(3) == pytest.approx(3 / math.sqrt(math.pi), rel=1e-9)
    # Tippett (1925) / the d2 constant of quality control, n = 10: 3.0775
    assert expected_normal_range(10) == pytest.approx(3.0775, abs=1e-4)
    # against a Monte Carlo estimate for a crowd the size of Galton's
    z = np.random.default_rng(0).standard_normal((4000, 787))
    assert expected_normal_range(787) == pytest.approx(np.ptp(z, axis=1).mean(), rel=0.01)
    with pytest.raises(ValueError):
        expected_normal_range(1)


def test_model_quantiles_median_is_the_centre():
    for family, (centre, below, above) in TRUE_MODELS.items():
        assert model_quantiles(family, centre, below, above, [0.5])[0] == pytest.approx(centre)
    lo, hi = model_quantiles("normal", 0.0, 1.0, 1.0, [0.25, 0.75])
    assert hi == pytest.approx(stats.norm.ppf(0.75)) and lo == pytest.approx(-hi)

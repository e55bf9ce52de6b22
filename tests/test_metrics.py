"""Tests for sim.metrics: errors, the diversity prediction theorem and crowd indicators."""

import doctest
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import crowds, fast, finite_floats, positive_crowds, positive_floats, seeds

import sim.metrics
from sim.aggregate import geometric_mean
from sim.metrics import (
    CROWD_METRICS,
    ERROR_KINDS,
    ESTIMATION_METRICS,
    ROUND_METRICS,
    TRAJECTORY_METRICS,
    CrowdAggregates,
    DiversityDecomposition,
    beaten_share,
    collective_error,
    crowd_metrics,
    diversity,
    diversity_prediction,
    individual_errors,
    mean_individual_error,
    round_metrics,
    truth_in_range,
    woc_indicator,
)

# Small integers make ties and truths equal to an estimate common.
integer_crowds = arrays(np.float64, st.integers(1, 50), elements=st.integers(-10, 10).map(float))


def test_doctests() -> None:
    result = doctest.testmod(sim.metrics)
    assert result.attempted > 0
    assert result.failed == 0


# --- collective and individual errors ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("absolute", 2.0),
        ("relative", 0.2),
        ("squared", 4.0),
        ("log", np.log(10 / 8)),
        ("signed", -2.0),
        ("signed_relative", -0.2),
    ],
)
def test_collective_error_kinds_by_hand(kind: str, expected: float) -> None:
    assert collective_error(8.0, 10.0, kind) == pytest.approx(expected)


def test_collective_error_relative_kinds_use_absolute_truth() -> None:
    assert collective_error(-8.0, -10.0, "relative") == pytest.approx(0.2)
    assert collective_error(-8.0, -10.0, "signed_relative") == pytest.approx(0.2)


def test_collective_error_is_elementwise() -> None:
    np.testing.assert_allclose(collective_error([8.0, 11.0], [10.0, 10.0], "signed"), [-2.0, 1.0])
    np.testing.assert_allclose(
        collective_error([[8.0], [12.0]], [10.0, 4.0], "absolute"), [[2.0, 4.0], [2.0, 8.0]]
    )
    assert np.ndim(collective_error(8.0, 10.0)) == 0


def test_collective_error_unknown_kind_lists_allowed_kinds() -> None:
    with pytest.raises(ValueError, match="kind must be one of") as raised:
        collective_error(1.0, 2.0, kind="percent")
    message = str(raised.value)
    assert "'percent'" in message
    assert all(repr(kind) in message for kind in ERROR_KINDS)


@pytest.mark.parametrize("kind", ["relative", "signed_relative"])
def test_relative_errors_need_nonzero_truth(kind: str) -> None:
    with pytest.raises(ValueError, match=f"kind='{kind}' needs a nonzero truth"):
        collective_error(1.0, 0.0, kind)
    with pytest.raises(ValueError, match="needs a nonzero truth"):
        individual_errors([[1.0, 2.0], [3.0, 4.0]], [1.0, 0.0], kind)


def test_log_error_needs_positive_values() -> None:
    with pytest.raises(ValueError, match="kind='log' needs positive aggregate and truth"):
        collective_error(-1.0, 2.0, "log")
    with pytest.raises(ValueError, match="kind='log' needs positive aggregate and truth"):
        collective_error(1.0, 0.0, "log")
    with pytest.raises(ValueError, match="kind='log' needs positive estimates and truth"):
        individual_errors([1.0, 0.0], 2.0, "log")


def test_errors_reject_bad_truth() -> None:
    with pytest.raises(ValueError, match="truth must be finite"):
        collective_error(1.0, np.inf)
    with pytest.raises(ValueError, match="truth must be finite"):
        individual_errors([1.0, 2.0], np.nan)
    with pytest.raises(ValueError, match=re.escape("truth with shape (3,) cannot be broadcast")):
        individual_errors(np.ones((2, 5)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=re.escape("truth with shape (3,) cannot be broadcast")):
        collective_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_individual_errors_by_hand() -> None:
    np.testing.assert_allclose(individual_errors([8, 10, 13], 10), [2, 0, 3])
    np.testing.assert_allclose(individual_errors([8, 10, 13], 10, "squared"), [4, 0, 9])
    np.testing.assert_allclose(
        individual_errors([[8, 10], [1, 4]], [10, 2], "signed"), [[-2, 0], [-1, 2]]
    )


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_individual_errors_agree_with_collective_error(kind: str) -> None:
    estimates = np.random.default_rng(0).lognormal(3.0, 1.0, size=(4, 9))
    truths = np.array([10.0, 20.0, 30.0, 40.0])
    expected = collective_error(estimates, truths[:, np.newaxis], kind)
    np.testing.assert_array_equal(individual_errors(estimates, truths, kind), expected)
    np.testing.assert_allclose(
        mean_individual_error(estimates, truths, kind), np.mean(expected, axis=-1)
    )


def test_mean_individual_error_vectorises_over_rows() -> None:
    estimates = np.random.default_rng(1).normal(50.0, 10.0, size=(5, 12))
    truths = np.linspace(40.0, 60.0, 5)
    result = mean_individual_error(estimates, truths, "squared")
    assert result.shape == (5,)
    np.testing.assert_allclose(
        result,
        [mean_individual_error(r, t, "squared") for r, t in zip(estimates, truths, strict=True)],
        rtol=1e-12,
    )


# --- diversity and the diversity prediction theorem --------------------------------


def test_diversity_is_population_variance() -> None:
    assert diversity([48, 47, 51, 42]) == pytest.approx(10.5)
    assert diversity([7.0]) == 0.0
    estimates = np.random.default_rng(2).normal(size=(3, 8))
    np.testing.assert_allclose(diversity(estimates), np.var(estimates, axis=-1, ddof=0))


def test_page_reference_three_estimates() -> None:
    # Page (2007): truth 49, estimates 48, 47 and 51.
    crowd_error, average_error, prediction_diversity = diversity_prediction([48, 47, 51], 49)
    assert average_error == pytest.approx(3.0)
    assert crowd_error == pytest.approx(1 / 9)
    assert round(float(crowd_error), 4) == 0.1111
    assert prediction_diversity == pytest.approx(26 / 9)
    assert round(float(prediction_diversity), 4) == 2.8889


def test_page_reference_after_adding_42() -> None:
    terms = diversity_prediction([48, 47, 51, 42], 49)
    assert isinstance(terms, DiversityDecomposition)
    assert terms.mean_individual_sq_error == pytest.approx(14.5)
    assert terms.collective_sq_error == pytest.approx(4.0)
    assert terms.diversity == pytest.approx(10.5)


def test_diversity_prediction_vectorises_over_rows() -> None:
    estimates = np.random.default_rng(3).normal(49.0, 3.0, size=(6, 10))
    truths = np.arange(45.0, 51.0)
    terms = diversity_prediction(estimates, truths)
    for field in DiversityDecomposition._fields:
        per_row = [
            getattr(diversity_prediction(r, t), field)
            for r, t in zip(estimates, truths, strict=True)
        ]
        assert getattr(terms, field).shape == (6,)
        np.testing.assert_allclose(getattr(terms, field), per_row, rtol=1e-12)


@fast
@given(crowds, finite_floats)
def test_diversity_prediction_identity(estimates: np.ndarray, truth: float) -> None:
    crowd_error, average_error, prediction_diversity = diversity_prediction(estimates, truth)
    # Rounding in the crowd mean is relative to the magnitudes of x and t, so the
    # absolute tolerance scales with their squares.
    magnitude = float(np.max(estimates**2)) + truth**2
    assert np.isclose(
        crowd_error,
        average_error - prediction_diversity,
        rtol=1e-9,
        atol=1e-9 * magnitude + 1e-300,
    )
    assert crowd_error <= average_error * (1 + 1e-9) + 1e-9 * magnitude


@fast
@given(crowds, finite_floats)
def test_diversity_prediction_terms_match_other_metrics(
    estimates: np.ndarray, truth: float
) -> None:
    terms = diversity_prediction(estimates, truth)
    assert terms.collective_sq_error == collective_error(np.mean(estimates), truth, "squared")
    assert terms.mean_individual_sq_error == mean_individual_error(estimates, truth, "squared")
    assert terms.diversity == diversity(estimates)


# --- beaten share ----------------------------------------------------------------


def test_beaten_share_by_hand() -> None:
    # Aggregate error 2; individual errors 2, 0, 3, 10: only 13 and 20 are beaten.
    assert beaten_share([8, 10, 13, 20], aggregate=12, truth=10) == 0.5


def test_beaten_share_ties_do_not_count() -> None:
    assert beaten_share([8, 12], aggregate=8, truth=10) == 0.0
    assert beaten_share([8, 12, 15], aggregate=10, truth=10) == 1.0


def test_beaten_share_vectorises() -> None:
    estimates = np.array([[8.0, 10.0, 13.0, 20.0], [1.0, 2.0, 3.0, 4.0]])
    # Second row: aggregate error 0.5, individual errors 1, 0, 1, 2.
    result = beaten_share(estimates, aggregate=[12.0, 2.5], truth=[10.0, 2.0])
    np.testing.assert_allclose(result, [0.5, 0.75])
    np.testing.assert_allclose(beaten_share(estimates, aggregate=10.0, truth=10.0), [0.75, 1.0])


def test_beaten_share_rejects_bad_aggregate_shape() -> None:
    with pytest.raises(
        ValueError, match=re.escape("aggregate with shape (3,) cannot be broadcast")
    ):
        beaten_share(np.ones((2, 4)), aggregate=[1.0, 2.0, 3.0], truth=1.0)


@fast
@given(crowds, finite_floats)
def test_beaten_share_of_best_member_and_mean(estimates: np.ndarray, truth: float) -> None:
    best = estimates[np.argmin(np.abs(estimates - truth))]
    # Nobody is strictly better than the best member, so the worst it can do is beat everyone else.
    assert beaten_share(estimates, best, truth) <= 1 - 1 / len(estimates)
    assert 0.0 <= beaten_share(estimates, np.mean(estimates), truth) <= 1.0


# --- wisdom-of-crowd indicator and range ---------------------------------------------


def woc_indicator_reference(estimates: np.ndarray, truth: float) -> int:
    """Direct transcription of Lorenz et al. (2011): the largest k that brackets the truth."""
    ordered = sorted(estimates)
    n = len(ordered)
    for k in range(n // 2, 0, -1):
        if ordered[k - 1] <= truth <= ordered[n - k]:
            return k
    return 0


TWELVE = np.arange(1.0, 13.0)


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        (0.0, 0),  # below the range
        (13.5, 0),  # above the range
        (1.0, 1),  # at the minimum
        (12.0, 1),  # at the maximum
        (1.5, 1),
        (2.5, 2),
        (6.5, 6),  # at the median of 12: between the two central estimates
        (6.0, 6),
        (7.0, 6),
        (9.0, 4),
    ],
)
def test_woc_indicator_on_twelve_estimates(truth: float, expected: int) -> None:
    rng = np.random.default_rng(4)
    assert woc_indicator(rng.permutation(TWELVE), truth) == expected


def test_woc_indicator_small_cases() -> None:
    assert woc_indicator([5.0], 5.0) == 0  # no k in 1..0
    assert woc_indicator([4.0, 6.0], 5.0) == 1
    assert woc_indicator([4.0, 6.0, 100.0], 5.0) == 1
    assert woc_indicator([3.0, 3.0, 3.0, 3.0], 3.0) == 2
    assert woc_indicator([3.0, 3.0, 3.0, 3.0], 3.5) == 0


def test_woc_indicator_is_integer_and_vectorised() -> None:
    estimates = np.stack([TWELVE, TWELVE + 100.0, TWELVE[::-1]])
    result = woc_indicator(estimates, [6.5, 0.0, 2.5])
    assert np.issubdtype(result.dtype, np.integer)
    np.testing.assert_array_equal(result, [6, 0, 2])
    assert np.issubdtype(np.asarray(woc_indicator(TWELVE, 6.5)).dtype, np.integer)


@fast
@given(integer_crowds, st.integers(-12, 12).map(float))
def test_woc_indicator_matches_reference(estimates: np.ndarray, truth: float) -> None:
    indicator = woc_indicator(estimates, truth)
    assert indicator == woc_indicator_reference(estimates, truth)
    assert 0 <= indicator <= len(estimates) // 2
    if len(estimates) >= 2:
        assert (indicator > 0) == truth_in_range(estimates, truth)


def test_truth_in_range_by_hand() -> None:
    assert truth_in_range([3, 9, 5], 9)
    assert truth_in_range([3, 9, 5], 3)
    assert not truth_in_range([3, 9, 5], 9.5)
    np.testing.assert_array_equal(truth_in_range([[3, 9, 5], [3, 9, 5]], [2, 4]), [False, True])
    assert truth_in_range([7.0], 7.0)


@pytest.mark.parametrize(
    "metric",
    [
        diversity,
        diversity_prediction,
        mean_individual_error,
        beaten_share,
        woc_indicator,
        truth_in_range,
    ],
)
def test_metrics_reject_empty_crowds(metric) -> None:
    extra_arguments = {diversity: (), beaten_share: (1.0, 1.0)}.get(metric, (1.0,))
    arguments = (np.empty((3, 0)), *extra_arguments)
    with pytest.raises(ValueError, match="estimates must hold at least one estimate"):
        metric(*arguments)


# --- invariances ------------------------------------------------------------------


@fast
@given(crowds, finite_floats, seeds)
def test_metrics_are_permutation_invariant(estimates: np.ndarray, truth: float, seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(estimates))
    permuted = estimates[order]
    magnitude = float(np.max(estimates**2)) + truth**2
    # Sums change rounding under reordering; counts and order statistics do not.
    close = dict(rtol=1e-9, atol=1e-9 * magnitude + 1e-300)
    # Errors carry the estimates' units (squared errors their square), and so must the tolerance.
    atol_by_kind = {
        "absolute": 1e-9 * np.sqrt(magnitude),
        "signed": 1e-9 * np.sqrt(magnitude),
        "squared": close["atol"],
    }
    for kind, atol in atol_by_kind.items():
        assert np.isclose(
            mean_individual_error(permuted, truth, kind),
            mean_individual_error(estimates, truth, kind),
            rtol=1e-9,
            atol=atol + 1e-300,
        )
    np.testing.assert_array_equal(
        individual_errors(permuted, truth), individual_errors(estimates, truth)[order]
    )
    assert np.isclose(diversity(permuted), diversity(estimates), **close)
    for permuted_term, term in zip(
        diversity_prediction(permuted, truth), diversity_prediction(estimates, truth), strict=True
    ):
        assert np.isclose(permuted_term, term, **close)
    aggregate = float(np.median(estimates))
    assert beaten_share(permuted, aggregate, truth) == beaten_share(estimates, aggregate, truth)
    assert woc_indicator(permuted, truth) == woc_indicator(estimates, truth)
    assert truth_in_range(permuted, truth) == truth_in_range(estimates, truth)


@fast
@given(positive_crowds, positive_floats, seeds)
def test_relative_and_log_errors_are_permutation_invariant(
    estimates: np.ndarray, truth: float, seed: int
) -> None:
    permuted = estimates[np.random.default_rng(seed).permutation(len(estimates))]
    for kind in ("relative", "log", "signed_relative"):
        assert np.isclose(
            mean_individual_error(permuted, truth, kind),
            mean_individual_error(estimates, truth, kind),
            rtol=1e-9,
            atol=1e-12 * (float(np.max(estimates)) / truth + 1),
        )


@fast
@given(crowds, finite_floats, st.floats(1e-3, 1e3))
def test_diversity_is_translation_invariant_and_scales_quadratically(
    estimates: np.ndarray, shift: float, scale: float
) -> None:
    magnitude = (float(np.max(np.abs(estimates))) + abs(shift)) ** 2
    assert np.isclose(
        diversity(estimates + shift), diversity(estimates), rtol=1e-9, atol=1e-9 * magnitude
    )
    assert np.isclose(
        diversity(scale * estimates),
        scale**2 * diversity(estimates),
        rtol=1e-9,
        atol=1e-9 * scale**2 * magnitude + 1e-300,
    )


@fast
@given(positive_crowds, positive_floats, st.floats(1e-3, 1e3))
def test_scale_free_errors_are_scale_invariant(
    estimates: np.ndarray, truth: float, scale: float
) -> None:
    for kind in ("relative", "log", "signed_relative"):
        np.testing.assert_allclose(
            individual_errors(scale * estimates, scale * truth, kind),
            individual_errors(estimates, truth, kind),
            rtol=1e-9,
            atol=1e-9 * (float(np.max(estimates)) / truth + 1),
        )


# ---------------------------------------------------------------------------------------------
# the table of crowd metrics (CROWD_METRICS, crowd_metrics, round_metrics)

# Sweeps store these names in their results: renaming one breaks old results.
SWEEP_METRIC_NAMES = (
    "error_of_mean", "error_of_median", "error_of_geometric_mean", "relative_error_of_mean",
    "relative_error_of_median", "log_error_of_median", "mean_individual_error", "diversity",
    "collective_sq_error", "beaten_share_mean", "beaten_share_median", "woc_indicator",
    "truth_in_range",
)
LINEAR_ONLY = [name for name in CROWD_METRICS if name.startswith(("relative_", "log_"))]
PER_ROUND = [name for name in CROWD_METRICS if name not in TRAJECTORY_METRICS]
trajectories = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 12)),
    elements=st.integers(-5, 40).map(float),  # zeros and negatives exercise the NaN rules
)


def test_table_keeps_the_sweep_names_first_and_describes_every_metric() -> None:
    assert tuple(CROWD_METRICS)[: len(SWEEP_METRIC_NAMES)] == SWEEP_METRIC_NAMES
    assert set(ROUND_METRICS) - {"individual_error"} <= set(CROWD_METRICS)
    assert list(ESTIMATION_METRICS) == PER_ROUND
    for name, (function, description) in CROWD_METRICS.items():
        assert callable(function) and description, name


@pytest.mark.parametrize("name", list(CROWD_METRICS))
def test_every_metric_has_one_value_per_crowd_and_round(name: str) -> None:
    rng = np.random.default_rng(3)
    trajectory = rng.lognormal(3.0, 1.0, size=(5, 4, 9))
    out = crowd_metrics(trajectory, truth=20.0, names=[name])
    assert list(out) == [name]
    assert out[name].shape == (5, 4) and out[name].dtype == np.float64
    if name in TRAJECTORY_METRICS:
        with pytest.raises(ValueError, match="trajectory"):
            crowd_metrics(trajectory[:, 0], truth=20.0, names=[name])
    else:
        crowds = crowd_metrics(trajectory[:, 0], truth=20.0, names=[name])[name]
        assert crowds.shape == (5,) and crowds.dtype == np.float64


def test_default_names_are_those_that_apply() -> None:
    estimates = np.array([[8.0, 10.0, 15.0], [1.0, 4.0, 9.0]])
    assert list(crowd_metrics(estimates, 10.0)) == PER_ROUND
    assert list(crowd_metrics(estimates[:, None, :], 10.0)) == list(CROWD_METRICS)
    in_logs = crowd_metrics(estimates, 10.0, log=True)
    assert set(in_logs) == set(PER_ROUND) - set(LINEAR_ONLY)


def test_geometric_mean_rule_nan_unless_all_estimates_are_positive() -> None:
    estimates = np.array([[1.0, 4.0, 16.0], [0.0, 4.0, 16.0], [-1.0, 4.0, 16.0]])
    names = ["geometric_mean", "error_of_geometric_mean", "log_error_of_geometric_mean",
             "log_sd", "log_mean_individual_error"]
    out = crowd_metrics(estimates, truth=4.0, names=names)
    assert out["geometric_mean"][0] == pytest.approx(4.0)
    assert out["error_of_geometric_mean"][0] == pytest.approx(0.0, abs=1e-12)
    for name in names:
        assert np.all(np.isnan(out[name][1:])), name
    # the same rule as sim.aggregate.geometric_mean, which the analyses of data may relax
    np.testing.assert_array_equal(out["geometric_mean"],
                                  geometric_mean(estimates, nonpositive="nan"))
    ignore = crowd_metrics(estimates, truth=4.0, names=["geometric_mean"], nonpositive="ignore")
    np.testing.assert_allclose(ignore["geometric_mean"], [4.0, 8.0, 8.0])


def test_undefined_relative_and_log_errors_are_nan_not_errors() -> None:
    estimates = np.array([[-3.0, -1.0, 1.0], [1.0, 2.0, 3.0]])
    with_truth = [name for name in LINEAR_ONLY if name != "log_sd"]  # the SD needs no truth
    out = crowd_metrics(estimates, truth=0.0, names=with_truth)
    for name in with_truth:
        assert np.all(np.isnan(out[name])), name
    out = crowd_metrics(estimates, truth=2.0, names=["log_error_of_median", "log_error_of_mean"])
    assert np.isnan(out["log_error_of_median"][0]) and np.isnan(out["log_error_of_mean"][0])
    assert out["log_error_of_median"][1] == 0.0


@fast
@given(trajectories, st.integers(-5, 40).map(float))
def test_trajectory_equals_its_rounds_one_at_a_time(trajectory: np.ndarray, truth: float) -> None:
    whole = crowd_metrics(trajectory, truth, PER_ROUND)
    for round_index in range(trajectory.shape[1]):
        alone = crowd_metrics(trajectory[:, round_index], truth, PER_ROUND)
        for name in PER_ROUND:
            np.testing.assert_array_equal(whole[name][:, round_index], alone[name], err_msg=name)


@fast
@given(trajectories, st.integers(-5, 40).map(float), st.floats(0.1, 10.0))
def test_table_matches_its_definitions(trajectory: np.ndarray, truth: float,
                                       scale: float) -> None:
    out = crowd_metrics(trajectory, truth, scale=scale)
    mean, median = trajectory.mean(axis=-1), np.median(trajectory, axis=-1)
    n_agents = trajectory.shape[-1]
    np.testing.assert_allclose(out["error_of_mean"], np.abs(mean - truth) / scale)
    np.testing.assert_allclose(out["error_of_median"], np.abs(median - truth) / scale)
    np.testing.assert_allclose(out["mean_individual_error"],
                               np.abs(trajectory - truth).mean(axis=-1) / scale)
    np.testing.assert_allclose(out["diversity"], trajectory.var(axis=-1) / scale**2)
    np.testing.assert_allclose(out["collective_sq_error"], (mean - truth) ** 2 / scale**2)
    if n_agents > 1:
        np.testing.assert_allclose(out["sd"], trajectory.std(axis=-1, ddof=1) / scale)
    else:
        assert np.all(np.isnan(out["sd"]))
    # unitless metrics are not divided
    unscaled = crowd_metrics(trajectory, truth)
    for name in ("relative_error_of_mean", "log_error_of_median", "woc_indicator",
                 "truth_in_range", "beaten_share_median", "mean", "geometric_mean"):
        np.testing.assert_array_equal(out[name], unscaled[name], err_msg=name)


def test_truth_and_scale_per_replicate_broadcast_over_rounds() -> None:
    trajectory = np.arange(24.0).reshape(2, 3, 4) + 1.0
    out = crowd_metrics(trajectory, truth=[2.0, 20.0], names=["error_of_mean"],
                        scale=[1.0, 2.0])["error_of_mean"]
    for replicate, (truth, scale) in enumerate([(2.0, 1.0), (20.0, 2.0)]):
        expected = crowd_metrics(trajectory[replicate : replicate + 1], truth,
                                 ["error_of_mean"], scale=scale)["error_of_mean"][0]
        np.testing.assert_array_equal(out[replicate], expected)


def test_log_mode_works_on_logs() -> None:
    estimates = np.array([[1.0, 10.0, 100.0], [2.0, 4.0, 8.0]])
    out = crowd_metrics(estimates, truth=10.0, log=True,
                        names=["mean", "geometric_mean", "error_of_geometric_mean", "sd"])
    np.testing.assert_allclose(out["mean"], np.log([10.0, 4.0]))
    np.testing.assert_array_equal(out["geometric_mean"], out["mean"])
    np.testing.assert_allclose(out["error_of_geometric_mean"], [0.0, np.log(2.5)], atol=1e-12)
    linear = crowd_metrics(estimates, truth=10.0, names=["log_sd", "log_error_of_geometric_mean"])
    np.testing.assert_allclose(linear["log_sd"], out["sd"])
    np.testing.assert_allclose(linear["log_error_of_geometric_mean"],
                               out["error_of_geometric_mean"], atol=1e-12)


@pytest.mark.parametrize(("estimates", "kwargs", "mentions"), [
    ([[1.0, 2.0]], {"names": ["wisdom"]}, "unknown crowd metric 'wisdom'"),
    ([1.0, 2.0], {}, "shape"),
    ([[1.0, -2.0]], {"log": True}, "positive"),
    ([[1.0, 2.0]], {"log": True, "names": ["relative_error_of_mean"]}, "linear scale"),
    ([[1.0, 2.0]], {"log": True, "scale": 2.0}, "scale"),
    ([[1.0, 2.0]], {"nonpositive": "drop"}, "nonpositive"),
])
def test_crowd_metrics_rejects(estimates, kwargs, mentions: str) -> None:
    with pytest.raises(ValueError, match=re.escape(mentions)):
        crowd_metrics(estimates, 1.0, **kwargs)


def test_aggregates_are_computed_once() -> None:
    crowds = CrowdAggregates([[1.0, 2.0, 6.0]], truth=2.0)
    assert crowds.median is crowds.median
    assert CROWD_METRICS["error_of_median"][0](crowds).tolist() == [0.0]


@pytest.mark.parametrize("log", [False, True])
def test_round_metrics_is_the_table(log: bool) -> None:
    rng = np.random.default_rng(5)
    trajectory = rng.lognormal(0.0, 1.0, size=(2, 3, 4, 6))  # leading axes are kept
    rounds = round_metrics(trajectory, truth=1.5, log=log, scale=1.0 if log else 2.0)
    assert tuple(rounds) == ROUND_METRICS
    table = crowd_metrics(trajectory.reshape(6, 4, 6), 1.5, log=log,
                          scale=None if log else 2.0)
    for name, values in rounds.items():
        table_name = "mean_individual_error" if name == "individual_error" else name
        assert values.shape == (2, 3, 4)
        np.testing.assert_array_equal(values.reshape(6, 4), table[table_name], err_msg=name)

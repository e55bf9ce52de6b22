"""Tests for sim.aggregate: references, vectorisation, validation and invariances."""

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from strategies import crowds, fast, finite_floats, positive_crowds, seeds

import sim.aggregate
from sim.aggregate import (
    AGGREGATES,
    best_member,
    geometric_mean,
    mean,
    median,
    random_member,
    trimmed_mean,
    weighted_mean,
    winsorized_mean,
)

fractions = st.floats(0.0, 0.49)
scales = st.floats(1e-3, 1e3)
shifts = finite_floats

# Rules that are location-scale equivariant (L-estimators); geometric_mean is
# only scale equivariant and needs positive inputs, so it is handled apart.
LOCATION_SCALE_RULES = [mean, median, trimmed_mean, winsorized_mean]


def tolerance_for(values: np.ndarray, *extra: float) -> float:
    """Absolute tolerance proportional to the magnitude of the numbers involved."""
    magnitude = max([float(np.max(np.abs(values)))] + [abs(x) for x in extra])
    return 1e-9 * magnitude + 1e-12


def test_doctests() -> None:
    result = doctest.testmod(sim.aggregate)
    assert result.attempted > 0
    assert result.failed == 0


# --- hand-computed and scipy references -------------------------------------


def test_mean_and_median_by_hand() -> None:
    assert mean([1, 2, 6]) == 3.0
    assert median([1, 2, 600]) == 2.0
    assert median([1, 2, 3, 10]) == 2.5


def test_geometric_mean_by_hand() -> None:
    assert geometric_mean([2, 8]) == pytest.approx(4.0)
    assert geometric_mean([1, 10, 100]) == pytest.approx(10.0)


def test_trimmed_mean_by_hand() -> None:
    # int(0.2 * 5) = 1 value cut at each end: mean of [2, 3, 10].
    assert trimmed_mean([100, 1, 3, 10, 2], fraction=0.2) == pytest.approx(5.0)
    # 0.1 * 5 rounds down to nothing cut.
    assert trimmed_mean([100, 1, 3, 10, 2], fraction=0.1) == pytest.approx(23.2)


def test_winsorized_mean_by_hand() -> None:
    # One value clipped at each end: mean of [2, 2, 3, 10, 10].
    assert winsorized_mean([100, 1, 3, 10, 2], fraction=0.2) == pytest.approx(5.4)
    assert winsorized_mean([100, 1, 3, 10, 2], fraction=0.0) == pytest.approx(23.2)


def test_weighted_mean_by_hand() -> None:
    assert weighted_mean([1, 2, 6], [2, 1, 1]) == pytest.approx(2.5)
    assert weighted_mean([1, 2, 6], [0, 0, 3]) == pytest.approx(6.0)


def test_best_member_by_hand() -> None:
    assert best_member([10, 12, 7], truth=8) == 7.0
    # 9 and 11 are equally close to 10: the first one wins.
    assert best_member([11, 9, 30], truth=10) == 11.0


@fast
@given(crowds, fractions)
def test_trimmed_mean_matches_scipy(estimates: np.ndarray, fraction: float) -> None:
    expected = stats.trim_mean(estimates, fraction)
    assert np.isclose(
        trimmed_mean(estimates, fraction), expected, rtol=1e-9, atol=tolerance_for(estimates)
    )


@fast
@given(crowds, fractions)
def test_winsorized_mean_matches_scipy(estimates: np.ndarray, fraction: float) -> None:
    expected = stats.mstats.winsorize(estimates, limits=(fraction, fraction)).mean()
    assert np.isclose(
        winsorized_mean(estimates, fraction), expected, rtol=1e-9, atol=tolerance_for(estimates)
    )


@fast
@given(positive_crowds)
def test_geometric_mean_matches_scipy(estimates: np.ndarray) -> None:
    assert np.isclose(geometric_mean(estimates), stats.gmean(estimates), rtol=1e-9)


@fast
@given(crowds)
def test_mean_and_median_match_numpy(estimates: np.ndarray) -> None:
    assert mean(estimates) == np.mean(estimates)
    assert median(estimates) == np.median(estimates)


# --- vectorisation ------------------------------------------------------------


def replicate_crowds(seed: int = 0, shape: tuple[int, ...] = (4, 11)) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(mean=3.0, sigma=1.0, size=shape)


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_aggregates_vectorise_over_rows(name: str) -> None:
    rule = AGGREGATES[name]
    estimates = replicate_crowds()
    result = rule(estimates)
    assert result.shape == (4,)
    np.testing.assert_allclose(result, [rule(row) for row in estimates], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_aggregates_keep_leading_dimensions(name: str) -> None:
    estimates = replicate_crowds(shape=(2, 3, 7))
    assert AGGREGATES[name](estimates).shape == (2, 3)


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_aggregates_return_scalars_for_one_crowd(name: str) -> None:
    result = AGGREGATES[name](replicate_crowds(shape=(9,)))
    assert np.ndim(result) == 0
    assert isinstance(float(result), float)


def test_trimmed_and_winsorized_mean_vectorise_with_fraction() -> None:
    estimates = replicate_crowds(shape=(5, 20))
    for rule in (trimmed_mean, winsorized_mean):
        np.testing.assert_allclose(
            rule(estimates, 0.25), [rule(row, 0.25) for row in estimates], rtol=1e-12
        )


def test_weighted_mean_vectorises_with_shared_and_per_row_weights() -> None:
    estimates = replicate_crowds(shape=(3, 6))
    shared = np.arange(1.0, 7.0)
    np.testing.assert_allclose(
        weighted_mean(estimates, shared), [weighted_mean(r, shared) for r in estimates]
    )
    per_row = replicate_crowds(seed=1, shape=(3, 6))
    np.testing.assert_allclose(
        weighted_mean(estimates, per_row),
        [weighted_mean(r, w) for r, w in zip(estimates, per_row, strict=True)],
    )


def test_best_member_vectorises_with_scalar_and_per_row_truth() -> None:
    estimates = replicate_crowds(shape=(4, 8))
    truths = np.array([5.0, 20.0, 40.0, 80.0])
    np.testing.assert_array_equal(
        best_member(estimates, truths),
        [best_member(r, t) for r, t in zip(estimates, truths, strict=True)],
    )
    np.testing.assert_array_equal(
        best_member(estimates, 20.0), [best_member(r, 20.0) for r in estimates]
    )


def test_random_member_vectorises() -> None:
    estimates = replicate_crowds(shape=(6, 5))
    chosen = random_member(estimates, np.random.default_rng(3))
    assert chosen.shape == (6,)
    assert all(value in row for value, row in zip(chosen, estimates, strict=True))


# --- random_member ------------------------------------------------------------


@fast
@given(crowds, st.integers(0, 2**32 - 1))
def test_random_member_reproducible_and_a_member(estimates: np.ndarray, seed: int) -> None:
    first = random_member(estimates, np.random.default_rng(seed))
    second = random_member(estimates, np.random.default_rng(seed))
    assert first == second
    assert first in estimates


def test_random_member_uses_documented_draw() -> None:
    estimates = replicate_crowds(shape=(10, 4))
    expected_index = np.random.default_rng(42).integers(4, size=(10,))
    np.testing.assert_array_equal(
        random_member(estimates, np.random.default_rng(42)),
        estimates[np.arange(10), expected_index],
    )


def test_random_member_reaches_every_agent() -> None:
    chosen = random_member(np.tile(np.arange(5.0), (2000, 1)), np.random.default_rng(0))
    assert set(chosen) == {0.0, 1.0, 2.0, 3.0, 4.0}


# --- argument validation ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_aggregates_reject_scalars_and_empty_crowds(name: str) -> None:
    with pytest.raises(ValueError, match="estimates must have at least one dimension"):
        AGGREGATES[name](3.0)
    with pytest.raises(ValueError, match="estimates must hold at least one estimate"):
        AGGREGATES[name](np.empty((2, 0)))


@pytest.mark.parametrize("rule", [trimmed_mean, winsorized_mean])
@pytest.mark.parametrize("fraction", [0.5, 0.7, -0.1, float("nan")])
def test_fraction_out_of_range(rule, fraction: float) -> None:
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 0\.5\), got"):
        rule([1.0, 2.0, 3.0], fraction)


def test_fraction_message_quotes_value() -> None:
    with pytest.raises(ValueError, match=r"^fraction must be in \[0, 0\.5\), got 0\.7$"):
        trimmed_mean([1.0, 2.0], 0.7)


@pytest.mark.parametrize("bad", [[1.0, 0.0, 2.0], [1.0, -2.0], [1.0, np.nan]])
def test_geometric_mean_needs_positive_estimates(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="geometric_mean needs positive estimates"):
        geometric_mean(bad)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 2.0], "weights with shape \\(2,\\) cannot be broadcast"),
        ([1.0, -1.0, 2.0], "weights must be non-negative"),
        ([1.0, np.nan, 2.0], "weights must be finite"),
        ([0.0, 0.0, 0.0], "weights must have a positive sum"),
    ],
)
def test_weighted_mean_rejects_bad_weights(weights: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_mean([1.0, 2.0, 3.0], weights)


def test_weighted_mean_rejects_zero_sum_in_one_replicate() -> None:
    with pytest.raises(ValueError, match="weights must have a positive sum"):
        weighted_mean([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [0.0, 0.0]])


def test_best_member_rejects_bad_truth() -> None:
    with pytest.raises(ValueError, match="truth must be finite"):
        best_member([1.0, 2.0], np.nan)
    with pytest.raises(ValueError, match="truth with shape \\(3,\\) cannot be broadcast"):
        best_member(np.ones((2, 4)), [1.0, 2.0, 3.0])


def test_random_member_rejects_non_generator() -> None:
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        random_member([1.0, 2.0], 42)


# --- invariances ----------------------------------------------------------------


@fast
@given(crowds, seeds, fractions)
def test_every_rule_is_permutation_invariant(
    estimates: np.ndarray, seed: int, fraction: float
) -> None:
    order = np.random.default_rng(seed).permutation(len(estimates))
    permuted = estimates[order]
    atol = tolerance_for(estimates)
    # Summation order changes the rounding of the mean, hence isclose.
    assert np.isclose(mean(permuted), mean(estimates), rtol=1e-9, atol=atol)
    # Order-statistic rules sort first, so they are exactly invariant.
    assert median(permuted) == median(estimates)
    assert trimmed_mean(permuted, fraction) == trimmed_mean(estimates, fraction)
    assert winsorized_mean(permuted, fraction) == winsorized_mean(estimates, fraction)
    # Ties may resolve to another member, but the best error cannot change.
    truth = float(np.mean(estimates))
    assert abs(best_member(permuted, truth) - truth) == abs(best_member(estimates, truth) - truth)
    weights = np.abs(estimates) + 1.0
    assert np.isclose(
        weighted_mean(permuted, weights[order]),
        weighted_mean(estimates, weights),
        rtol=1e-9,
        atol=atol,
    )


@fast
@given(positive_crowds, seeds)
def test_geometric_mean_is_permutation_invariant(estimates: np.ndarray, seed: int) -> None:
    permuted = estimates[np.random.default_rng(seed).permutation(len(estimates))]
    assert np.isclose(geometric_mean(permuted), geometric_mean(estimates), rtol=1e-9)


@pytest.mark.parametrize("rule", LOCATION_SCALE_RULES)
@fast
@given(estimates=crowds, scale=scales)
def test_scale_equivariance(rule, estimates: np.ndarray, scale: float) -> None:
    expected = scale * rule(estimates)
    assert np.isclose(
        rule(scale * estimates), expected, rtol=1e-9, atol=tolerance_for(scale * estimates)
    )


@pytest.mark.parametrize("rule", LOCATION_SCALE_RULES)
@fast
@given(estimates=crowds, shift=shifts)
def test_translation_equivariance(rule, estimates: np.ndarray, shift: float) -> None:
    expected = rule(estimates) + shift
    assert np.isclose(
        rule(estimates + shift), expected, rtol=1e-9, atol=tolerance_for(estimates, shift)
    )


@fast
@given(positive_crowds, scales)
def test_geometric_mean_scale_equivariance(estimates: np.ndarray, scale: float) -> None:
    assert np.isclose(
        geometric_mean(scale * estimates), scale * geometric_mean(estimates), rtol=1e-9
    )


@fast
@given(crowds, fractions)
def test_robust_means_lie_within_range(estimates: np.ndarray, fraction: float) -> None:
    low, high = np.min(estimates), np.max(estimates)
    atol = tolerance_for(estimates)
    rules = (
        mean,
        median,
        lambda x: trimmed_mean(x, fraction),
        lambda x: winsorized_mean(x, fraction),
    )
    for rule in rules:
        value = rule(estimates)
        assert low - atol <= value <= high + atol


@fast
@given(crowds, finite_floats)
def test_best_member_is_a_member_with_minimal_error(estimates: np.ndarray, truth: float) -> None:
    chosen = best_member(estimates, truth)
    assert chosen in estimates
    assert abs(chosen - truth) == np.min(np.abs(estimates - truth))


def test_geometric_mean_rule_for_nonpositive_estimates() -> None:
    estimates = np.array([[1.0, 4.0], [0.0, 4.0], [-2.0, 9.0], [-1.0, 0.0]])
    with pytest.raises(ValueError, match="positive"):
        geometric_mean(estimates)
    undefined = geometric_mean(estimates, nonpositive="nan")
    np.testing.assert_array_equal(np.isnan(undefined), [False, True, True, True])
    assert undefined[0] == pytest.approx(2.0)
    np.testing.assert_allclose(geometric_mean(estimates, nonpositive="ignore"),
                               [2.0, 4.0, 9.0, np.nan])
    with pytest.raises(ValueError, match="nonpositive"):
        geometric_mean(estimates, nonpositive="drop")


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 20)),
              elements=st.floats(1e-3, 1e6)))
def test_geometric_mean_rules_agree_on_positive_estimates(estimates: np.ndarray) -> None:
    strict = geometric_mean(estimates)
    np.testing.assert_array_equal(geometric_mean(estimates, nonpositive="nan"), strict)
    np.testing.assert_allclose(geometric_mean(estimates, nonpositive="ignore"), strict,
                               rtol=1e-12)

"""Aggregation rules that turn a crowd's estimates into one collective estimate.

Every rule is vectorised over replicates: ``estimates`` has shape
``(..., n_agents)``, the aggregate is taken along the last axis and the result
has shape ``estimates.shape[:-1]`` (a NumPy scalar for a 1-D input).

Rules that need nothing but the estimates are collected in `AGGREGATES`, keyed
by name, so that callers such as the command line can select them by name.
"""

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim._docs import fill_docstrings

__all__ = [
    "AGGREGATES",
    "best_member",
    "geometric_mean",
    "mean",
    "median",
    "random_member",
    "trimmed_mean",
    "weighted_mean",
    "winsorized_mean",
]

# A NumPy scalar for a 1-D input, an array of shape estimates.shape[:-1] otherwise.
FloatResult = np.float64 | NDArray[np.float64]


def _as_estimates(estimates: ArrayLike) -> NDArray[np.float64]:
    """Convert to a float array of shape (..., n_agents) with n_agents >= 1."""
    values = np.asarray(estimates, dtype=float)
    if values.ndim == 0:
        raise ValueError(
            "estimates must have at least one dimension (the agents axis), got a scalar"
        )
    if values.shape[-1] == 0:
        raise ValueError(
            "estimates must hold at least one estimate along the last axis, "
            f"got shape {values.shape}"
        )
    return values


def _broadcast(
    values: ArrayLike, shape: tuple[int, ...], name: str, target: str
) -> NDArray[np.float64]:
    """``values`` as floats broadcast to ``shape``, else a ValueError naming ``name`` and
    the ``target`` shape."""
    array = np.asarray(values, dtype=float)
    try:
        return np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(
            f"{name} with shape {array.shape} cannot be broadcast to {target}"
        ) from None


def _broadcast_to_replicates(
    values: ArrayLike, replicate_shape: tuple[int, ...], name: str
) -> NDArray[np.float64]:
    """Broadcast a per-replicate quantity (truth, aggregate) to ``estimates.shape[:-1]``."""
    return _broadcast(
        values, replicate_shape, name,
        f"the replicate shape {replicate_shape} (estimates.shape[:-1])",
    )


def _as_truth(truth: ArrayLike, replicate_shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Broadcast the true value(s) to the replicate shape, rejecting NaN and inf."""
    truth = _broadcast_to_replicates(truth, replicate_shape, "truth")
    if not np.all(np.isfinite(truth)):
        raise ValueError("truth must be finite")
    return truth


def _check_fraction(fraction: float) -> float:
    fraction = float(fraction)
    # Written as a negated range test so that NaN is rejected too.
    if not 0.0 <= fraction < 0.5:
        raise ValueError(f"fraction must be in [0, 0.5), got {fraction}")
    return fraction


def _sorted_and_count(estimates: ArrayLike, fraction: float) -> tuple[NDArray[np.float64], int]:
    """The estimates sorted along the last axis, and how many of them ``fraction`` takes
    from each end: ``int(fraction * n_agents)``, as SciPy rounds it."""
    values = _as_estimates(estimates)
    fraction = _check_fraction(fraction)
    return np.sort(values, axis=-1), int(fraction * values.shape[-1])


def _unwrap_0d(result: NDArray[np.float64]) -> FloatResult:
    """Return a NumPy scalar instead of a 0-d array, as NumPy reductions do."""
    return result[()]


def mean(estimates: ArrayLike) -> FloatResult:
    """Arithmetic mean of the estimates: the classic wisdom of the crowd.

    %(reduction)s

    Examples
    --------
    >>> float(mean([1, 2, 6]))
    3.0
    >>> mean([[1, 2, 6], [10, 20, 30]])
    array([ 3., 20.])
    """
    return np.mean(_as_estimates(estimates), axis=-1)


def median(estimates: ArrayLike) -> FloatResult:
    """Median of the estimates (average of the two middle values for even n).

    %(reduction)s

    Examples
    --------
    >>> float(median([1, 2, 600]))  # one wild estimate does not move it
    2.0
    >>> median([[1, 2, 600], [3, 4, 5]])
    array([2., 4.])
    >>> float(median([1, 2, 3, 10]))
    2.5
    """
    return np.median(_as_estimates(estimates), axis=-1)


def geometric_mean(estimates: ArrayLike, nonpositive: str = "raise") -> FloatResult:
    """Geometric mean, ``exp(mean(ln x))``, and the one rule for estimates <= 0.

    Suited to quantities whose estimates are spread on a logarithmic scale
    (counts, sizes), where the arithmetic mean is dominated by the largest.
    The geometric mean of a crowd is undefined when any of its estimates is
    zero or negative; `nonpositive` says what to do then. Every crowd metric
    in `sim.metrics` uses this function.

    Parameters
    ----------
    %(estimates)s
    nonpositive : {"raise", "nan", "ignore"}, default "raise"
        For a crowd with an estimate <= 0 (or NaN): ``"raise"`` a ValueError;
        give ``"nan"`` for that crowd (undefined; what simulations report); or
        ``"ignore"`` those estimates and take the geometric mean of the crowd's
        positive estimates only (NaN if it has none), as the analyses of real
        data do with a stray zero answer.

    Returns
    -------
    %(per_crowd)s

    Raises
    ------
    ValueError
        With ``nonpositive="raise"``, if any estimate is not strictly positive
        (or is NaN); for an unknown `nonpositive`.

    Examples
    --------
    >>> round(float(geometric_mean([1, 10, 100])), 12)
    10.0
    >>> geometric_mean([1, -1])
    Traceback (most recent call last):
        ...
    ValueError: geometric_mean needs positive estimates, got minimum -1.0
    >>> geometric_mean([[1, 4], [0, 4]], nonpositive="nan")
    array([ 2., nan])
    >>> geometric_mean([[1, 4], [0, 4]], nonpositive="ignore")
    array([2., 4.])
    """
    values = _as_estimates(estimates)
    positive = values > 0
    if nonpositive == "raise":
        if not np.all(positive):
            raise ValueError(
                f"geometric_mean needs positive estimates, got minimum {np.min(values)}"
            )
        return np.exp(np.mean(np.log(values), axis=-1))
    if nonpositive == "nan":
        defined = np.all(positive, axis=-1)
        result = np.full(values.shape[:-1], np.nan)
        if defined.any():
            result[defined] = np.exp(np.mean(np.log(values[defined]), axis=-1))
        return _unwrap_0d(result)
    if nonpositive == "ignore":
        count = positive.sum(axis=-1)
        # zero log for the ignored estimates, and divide by the number of positive ones
        logs = np.log(np.where(positive, values, 1.0)) * positive
        with np.errstate(invalid="ignore", divide="ignore"):
            return _unwrap_0d(np.where(count > 0, np.exp(logs.sum(axis=-1) / count), np.nan))
    raise ValueError(f"nonpositive must be 'raise', 'nan' or 'ignore', got {nonpositive!r}")


def trimmed_mean(estimates: ArrayLike, fraction: float = 0.1) -> FloatResult:
    """Mean after dropping ``fraction`` of the estimates from each end.

    ``int(fraction * n_agents)`` values are removed from the bottom and as many
    from the top, exactly as :func:`scipy.stats.trim_mean` does.

    Parameters
    ----------
    %(estimates)s
    fraction : float, default 0.1
        Share of estimates cut from each end, in ``[0, 0.5)`` (else a ValueError).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Per crowd, the mean of the estimates that are left.

    Examples
    --------
    >>> float(trimmed_mean([1, 2, 3, 10, 100], fraction=0.2))
    5.0
    >>> trimmed_mean([[1, 2, 3, 10, 100], [5, 5, 5, 5, 5]], fraction=0.2)
    array([5., 5.])
    """
    ordered, n_cut = _sorted_and_count(estimates, fraction)
    n_agents = ordered.shape[-1]
    return np.mean(ordered[..., n_cut : n_agents - n_cut], axis=-1)


def winsorized_mean(estimates: ArrayLike, fraction: float = 0.1) -> FloatResult:
    """Mean after clipping the ``fraction`` most extreme estimates at each end.

    The lowest ``int(fraction * n_agents)`` estimates are raised to the
    smallest kept value and as many of the highest are lowered to the largest
    kept value, as ``scipy.stats.mstats.winsorize(x, limits=(fraction,
    fraction))`` does; then the mean is taken.

    Parameters
    ----------
    %(estimates)s
    fraction : float, default 0.1
        Share of estimates clipped at each end; in ``[0, 0.5)``, else a ValueError.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Per crowd, the mean of all its estimates once the extreme ones are clipped.

    Examples
    --------
    >>> float(winsorized_mean([1, 2, 3, 10, 100], fraction=0.2))  # mean of [2, 2, 3, 10, 10]
    5.4
    >>> winsorized_mean([[1, 2, 3, 10, 100], [5, 5, 5, 5, 5]], fraction=0.2)
    array([5.4, 5. ])
    """
    ordered, n_clipped = _sorted_and_count(estimates, fraction)
    n_agents = ordered.shape[-1]
    # fraction < 0.5 guarantees n_clipped <= n_agents - 1 - n_clipped, so both bounds exist.
    lowest_kept = ordered[..., n_clipped : n_clipped + 1]
    highest_kept = ordered[..., n_agents - 1 - n_clipped : n_agents - n_clipped]
    return np.mean(np.clip(ordered, lowest_kept, highest_kept), axis=-1)


def weighted_mean(estimates: ArrayLike, weights: ArrayLike) -> FloatResult:
    """Weighted arithmetic mean of the estimates.

    Parameters
    ----------
    %(estimates)s
    weights : array_like
        Non-negative finite weights, broadcastable to ``estimates.shape``
        (e.g. one weight per agent, shape ``(n_agents,)``), with a positive
        sum along the last axis. They need not be normalised.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``sum(weights * estimates) / sum(weights)`` along the last axis.

    Raises
    ------
    ValueError
        If `weights` cannot be broadcast, are negative or non-finite, or sum
        to zero for some replicate.

    Examples
    --------
    >>> float(weighted_mean([1, 2, 6], weights=[2, 1, 1]))
    2.5
    >>> weighted_mean([[1, 2, 6], [0, 0, 8]], weights=[0, 1, 1])
    array([4., 4.])
    """
    values = _as_estimates(estimates)
    weight_array = _broadcast(weights, values.shape, "weights", f"estimates shape {values.shape}")
    if not np.all(np.isfinite(weight_array)):
        raise ValueError("weights must be finite")
    if np.any(weight_array < 0):
        raise ValueError(f"weights must be non-negative, got minimum {np.min(weight_array)}")
    total_weight = np.sum(weight_array, axis=-1)
    if not np.all(total_weight > 0):
        raise ValueError(
            "weights must have a positive sum along the last axis for every replicate"
        )
    return np.sum(weight_array * values, axis=-1) / total_weight


def best_member(estimates: ArrayLike, truth: ArrayLike) -> FloatResult:
    """The single estimate closest to the truth (an oracle benchmark).

    No real crowd can pick its best member without knowing the truth; this
    rule gives the upper bound that "follow the expert" strategies aim at.

    Parameters
    ----------
    %(estimates_and_truth)s

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Per replicate, the estimate with the smallest absolute error; on ties
        the one that comes first along the last axis.

    Raises
    ------
    ValueError
        If `truth` is not finite or cannot be broadcast to the replicate shape.

    Examples
    --------
    >>> float(best_member([10, 12, 7], truth=8))
    7.0
    >>> best_member([[10, 12, 7], [1, 2, 3]], truth=[11, 2])
    array([10.,  2.])
    """
    values = _as_estimates(estimates)
    truth = _as_truth(truth, values.shape[:-1])
    absolute_errors = np.abs(values - truth[..., np.newaxis])
    best_index = np.argmin(absolute_errors, axis=-1)  # argmin returns the first minimum on ties
    chosen = np.take_along_axis(values, best_index[..., np.newaxis], axis=-1)
    return _unwrap_0d(chosen[..., 0])


def random_member(estimates: ArrayLike, rng: np.random.Generator) -> FloatResult:
    """One estimate drawn uniformly at random per replicate.

    The baseline a crowd must beat: asking a single random member.

    Parameters
    ----------
    %(estimates)s
    rng : numpy.random.Generator
        Source of randomness; the draw is
        ``rng.integers(n_agents, size=estimates.shape[:-1])``.

    Returns
    -------
    %(per_crowd)s

    Raises
    ------
    TypeError
        If `rng` is not a :class:`numpy.random.Generator`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> float(random_member([5, 5, 5], rng))
    5.0
    >>> chosen = random_member([[1, 2, 3], [4, 5, 6]], np.random.default_rng(1))
    >>> chosen.shape
    (2,)
    """
    values = _as_estimates(estimates)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    chosen_index = rng.integers(values.shape[-1], size=values.shape[:-1])
    chosen = np.take_along_axis(values, np.asarray(chosen_index)[..., np.newaxis], axis=-1)
    return _unwrap_0d(chosen[..., 0])


AGGREGATES: dict[str, Callable[[ArrayLike], FloatResult]] = {
    "mean": mean,
    "median": median,
    "geometric_mean": geometric_mean,
    "trimmed_mean": trimmed_mean,
    "winsorized_mean": winsorized_mean,
}
"""Aggregation rules that need only the estimates, keyed by name (for the CLI)."""


fill_docstrings(globals())

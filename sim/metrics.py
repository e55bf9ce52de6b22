"""Measures of how wise a crowd is: errors, diversity and crowd-vs-individual scores.

Like `sim.aggregate`, every function is vectorised over replicates:
``estimates`` has shape ``(..., n_agents)``, reductions run along the last
axis, and ``truth`` (and a collective ``aggregate``) is a scalar or
broadcastable to ``estimates.shape[:-1]``.

References
----------
.. [Page2007] S. E. Page (2007). *The Difference: How the Power of Diversity
   Creates Better Groups, Firms, Schools, and Societies*. Princeton
   University Press. (Diversity prediction theorem.)
.. [Lorenz2011] J. Lorenz, H. Rauhut, F. Schweitzer and D. Helbing (2011).
   How social influence can undermine the wisdom of crowd effect.
   *PNAS* 108(22):9020-9025. (Wisdom-of-crowd indicator.)
"""

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .aggregate import FloatResult, _as_estimates, _as_truth, _broadcast_to_replicates, _unwrap_0d

__all__ = [
    "ERROR_KINDS",
    "DiversityDecomposition",
    "beaten_share",
    "collective_error",
    "diversity",
    "diversity_prediction",
    "groupthink",
    "individual_errors",
    "mean_individual_error",
    "round_metrics",
    "ROUND_METRICS",
    "truth_in_range",
    "woc_indicator",
]

ERROR_KINDS = ("absolute", "relative", "squared", "log", "signed", "signed_relative")
"""Error kinds accepted by the ``kind`` argument, in documentation order."""


def _errors(
    values: NDArray[np.float64], truth: NDArray[np.float64], kind: str, values_name: str
) -> NDArray[np.float64]:
    """Elementwise error of `values` with respect to `truth` (already broadcastable)."""
    if kind not in ERROR_KINDS:
        allowed = ", ".join(repr(name) for name in ERROR_KINDS)
        raise ValueError(f"kind must be one of {allowed}, got {kind!r}")
    if kind in ("relative", "signed_relative") and np.any(truth == 0):
        raise ValueError(f"kind={kind!r} needs a nonzero truth")
    if kind == "log" and not (np.all(values > 0) and np.all(truth > 0)):
        raise ValueError(f"kind='log' needs positive {values_name} and truth")
    deviation = values - truth
    match kind:
        case "absolute":
            return np.abs(deviation)
        case "relative":
            return np.abs(deviation) / np.abs(truth)
        case "squared":
            return deviation**2
        case "log":
            # log of the ratio rather than a difference of logs: accurate when values ~ truth.
            return np.abs(np.log(values / truth))
        case "signed":
            return deviation
        case "signed_relative":
            return deviation / np.abs(truth)
    raise AssertionError(f"unhandled error kind {kind!r}")  # pragma: no cover


def collective_error(
    aggregate: ArrayLike, truth: ArrayLike, kind: str = "absolute"
) -> FloatResult:
    """Error of a collective estimate (or any values), elementwise.

    Parameters
    ----------
    aggregate : array_like
        Collective estimate(s), e.g. the output of a rule in `sim.aggregate`.
    truth : array_like
        Finite true value(s), broadcastable against `aggregate`.
    kind : {"absolute", "relative", "squared", "log", "signed", "signed_relative"}
        ``|a - t|``, ``|a - t| / |t|``, ``(a - t)**2``, ``|ln(a / t)|``,
        ``a - t`` or ``(a - t) / |t|``. The relative kinds need ``t != 0``;
        ``"log"`` needs ``a > 0`` and ``t > 0``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The error, with the broadcast shape of `aggregate` and `truth`.

    Raises
    ------
    ValueError
        For an unknown `kind`, a non-finite or non-broadcastable `truth`, or
        values outside the domain of the chosen `kind`.

    Examples
    --------
    >>> float(collective_error(12.0, 10.0))
    2.0
    >>> float(collective_error(8.0, 10.0, kind="signed_relative"))
    -0.2
    >>> collective_error([8.0, 11.0], 10.0, kind="squared")
    array([4., 1.])
    """
    aggregate_array = np.asarray(aggregate, dtype=float)
    truth_array = np.asarray(truth, dtype=float)
    try:
        aggregate_array, truth_array = np.broadcast_arrays(aggregate_array, truth_array)
    except ValueError:
        raise ValueError(
            f"truth with shape {truth_array.shape} cannot be broadcast against "
            f"aggregate with shape {aggregate_array.shape}"
        ) from None
    if not np.all(np.isfinite(truth_array)):
        raise ValueError("truth must be finite")
    return _unwrap_0d(_errors(aggregate_array, truth_array, kind, "aggregate"))


def individual_errors(
    estimates: ArrayLike, truth: ArrayLike, kind: str = "absolute"
) -> NDArray[np.float64]:
    """Error of every individual estimate.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``
        (it is shared by all agents of a replicate).
    kind : str, default "absolute"
        One of `ERROR_KINDS`; see `collective_error`.

    Returns
    -------
    numpy.ndarray, shape (..., n_agents)
        The error of each estimate.

    Raises
    ------
    ValueError
        As `collective_error`.

    Examples
    --------
    >>> individual_errors([8, 10, 13], truth=10)
    array([2., 0., 3.])
    >>> individual_errors([[8, 10], [1, 4]], truth=[10, 2], kind="signed")
    array([[-2.,  0.],
           [-1.,  2.]])
    """
    values = _as_estimates(estimates)
    truth = _as_truth(truth, values.shape[:-1])
    return _errors(values, truth[..., np.newaxis], kind, "estimates")


def mean_individual_error(
    estimates: ArrayLike, truth: ArrayLike, kind: str = "absolute"
) -> FloatResult:
    """Average error of the individuals (the error of a typical crowd member).

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.
    kind : str, default "absolute"
        One of `ERROR_KINDS`; see `collective_error`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Mean of `individual_errors` along the last axis.

    Examples
    --------
    >>> float(mean_individual_error([8, 10, 13], truth=10))
    1.6666666666666667
    >>> float(mean_individual_error([48, 47, 51], truth=49, kind="squared"))
    3.0
    """
    return np.mean(individual_errors(estimates, truth, kind), axis=-1)


def diversity(estimates: ArrayLike) -> FloatResult:
    """Prediction diversity: mean squared distance of the estimates from their mean.

    This is the population variance (``ddof=0``), the "diversity" term of
    Page's (2007) diversity prediction theorem [Page2007]_.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``mean_i (x_i - mean(x))**2`` along the last axis.

    Examples
    --------
    >>> float(diversity([48, 47, 51, 42]))
    10.5
    >>> diversity([[1, 1, 1], [0, 2, 4]])
    array([0.        , 2.66666667])
    """
    return np.var(_as_estimates(estimates), axis=-1)


class DiversityDecomposition(NamedTuple):
    """Terms of the diversity prediction theorem, ``collective = individual - diversity``.

    Each field is a NumPy scalar or an array of shape ``estimates.shape[:-1]``.
    """

    collective_sq_error: FloatResult
    """Squared error of the crowd's arithmetic mean, ``(c - t)**2``."""
    mean_individual_sq_error: FloatResult
    """Average squared individual error, ``mean_i (x_i - t)**2``."""
    diversity: FloatResult
    """Prediction diversity, ``mean_i (x_i - c)**2``."""


def diversity_prediction(estimates: ArrayLike, truth: ArrayLike) -> DiversityDecomposition:
    """Decompose the crowd's squared error by the diversity prediction theorem.

    With the crowd estimate ``c`` the arithmetic mean of the estimates ``x_i``
    and truth ``t``, Page's (2007) diversity prediction theorem [Page2007]_
    states the identity::

        (c - t)**2 = mean_i (x_i - t)**2 - mean_i (x_i - c)**2
        collective error = average individual error - prediction diversity

    so a crowd is never worse than its average member, and is better by
    exactly its diversity. The three terms are computed independently, so the
    identity holds up to floating-point rounding.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.

    Returns
    -------
    DiversityDecomposition
        ``(collective_sq_error, mean_individual_sq_error, diversity)``.

    Examples
    --------
    Page's example: true value 49, estimates 48, 47 and 51.

    >>> terms = diversity_prediction([48, 47, 51], truth=49)
    >>> [round(float(term), 4) for term in terms]
    [0.1111, 3.0, 2.8889]

    Adding a fourth, less accurate estimate of 42 raises every term:

    >>> terms = diversity_prediction([48, 47, 51, 42], truth=49)
    >>> [float(term) for term in terms]
    [4.0, 14.5, 10.5]
    """
    values = _as_estimates(estimates)
    truth = _as_truth(truth, values.shape[:-1])
    crowd_estimate = np.mean(values, axis=-1)
    return DiversityDecomposition(
        collective_sq_error=_unwrap_0d((crowd_estimate - truth) ** 2),
        mean_individual_sq_error=np.mean((values - truth[..., np.newaxis]) ** 2, axis=-1),
        diversity=diversity(values),
    )


def beaten_share(estimates: ArrayLike, aggregate: ArrayLike, truth: ArrayLike) -> FloatResult:
    """Share of individuals that the collective estimate beats.

    An individual counts as beaten when its absolute error is strictly greater
    than the aggregate's; ties count as not beaten.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    aggregate : array_like
        Collective estimate, a scalar or broadcastable to ``estimates.shape[:-1]``.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A share in ``[0, 1]`` per replicate.

    Examples
    --------
    >>> float(beaten_share([8, 10, 13, 20], aggregate=12, truth=10))
    0.5
    >>> beaten_share([[8, 10], [8, 10]], aggregate=[9, 7], truth=10)
    array([0.5, 0. ])
    """
    values = _as_estimates(estimates)
    replicate_shape = values.shape[:-1]
    truth = _as_truth(truth, replicate_shape)
    aggregate = _broadcast_to_replicates(aggregate, replicate_shape, "aggregate")
    individual_abs_error = np.abs(values - truth[..., np.newaxis])
    collective_abs_error = np.abs(aggregate - truth)
    return np.mean(individual_abs_error > collective_abs_error[..., np.newaxis], axis=-1)


def woc_indicator(estimates: ArrayLike, truth: ArrayLike) -> np.intp | NDArray[np.intp]:
    """Wisdom-of-crowd indicator of Lorenz et al. (2011) [Lorenz2011]_.

    With the estimates sorted, ``x_(1) <= ... <= x_(n)``, the indicator is the
    largest ``k`` in ``1..n//2`` such that ``x_(k) <= truth <= x_(n+1-k)``: how
    many estimates from each end must be removed before the truth falls outside
    the remaining range. It is 0 when the truth lies outside ``[min, max]``
    (and always 0 for a single agent) and reaches ``n//2`` when the truth sits
    between the two central estimates. For ``n = 12`` it ranges over 0..6.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.

    Returns
    -------
    numpy.intp or numpy.ndarray of int
        The indicator per replicate.

    Examples
    --------
    >>> int(woc_indicator([1, 2, 3, 4, 5, 6], truth=3.5))
    3
    >>> int(woc_indicator([1, 2, 3, 4, 5, 6], truth=1.5))
    1
    >>> woc_indicator([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]], truth=[0, 5])
    array([0, 2])
    """
    values = _as_estimates(estimates)
    truth = _as_truth(truth, values.shape[:-1])[..., np.newaxis]
    half = values.shape[-1] // 2
    ordered = np.sort(values, axis=-1)
    lower_ok = ordered[..., :half] <= truth  # x_(k) <= truth for k = 1..half
    upper_ok = ordered[..., ::-1][..., :half] >= truth  # x_(n+1-k) >= truth for k = 1..half
    # Both conditions get harder as k grows, so the k that satisfy them form a
    # prefix 1..K and counting them gives the largest such k.
    return np.sum(lower_ok & upper_ok, axis=-1, dtype=np.intp)


def truth_in_range(estimates: ArrayLike, truth: ArrayLike) -> np.bool_ | NDArray[np.bool_]:
    """Whether the truth lies within the range of the estimates (inclusive).

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Individual estimates; the last axis indexes agents.
    truth : array_like
        Finite true value, a scalar or broadcastable to ``estimates.shape[:-1]``.

    Returns
    -------
    numpy.bool_ or numpy.ndarray of bool
        ``min(estimates) <= truth <= max(estimates)`` per replicate.

    Examples
    --------
    >>> bool(truth_in_range([3, 9, 5], truth=9))
    True
    >>> truth_in_range([[3, 9, 5], [3, 9, 5]], truth=[2, 4])
    array([False,  True])
    """
    values = _as_estimates(estimates)
    truth = _as_truth(truth, values.shape[:-1])
    return (np.min(values, axis=-1) <= truth) & (truth <= np.max(values, axis=-1))


ROUND_METRICS = ("mean", "median", "geometric_mean", "error_of_mean", "error_of_median",
                 "error_of_geometric_mean", "sd", "diversity", "individual_error",
                 "woc_indicator", "truth_in_range", "consensus")
"""Metrics :func:`round_metrics` computes for every round."""


def round_metrics(trajectory: ArrayLike, truth: float, log: bool = False,
                  scale: float = 1.0) -> dict[str, NDArray[np.float64]]:
    """Per-round crowd metrics of a trajectory of shape (..., rounds, n_agents).

    With ``log=True`` estimates and truth are log-transformed first (the mean is then the mean
    of logs, i.e. the log of the geometric mean) and errors are in log units; otherwise errors
    and SD are divided by ``scale`` (e.g. the SD of independent answers, Becker et al. 2017).

    Returns a dict of arrays of shape (..., rounds): the aggregates (in the analysis units),
    their absolute errors, the sample SD (``ddof=1``), the diversity (``ddof=0``), the mean
    individual error, the wisdom-of-crowd indicator (Lorenz et al. 2011), whether the truth
    is inside the range, and the consensus ``1 - sd / sd_first_round`` (0: as diverse as at
    first, 1: everybody agrees).

    Examples
    --------
    >>> trajectory = [[[1.0, 3.0], [1.5, 2.5], [2.0, 2.0]]]  # one crowd, three rounds
    >>> m = round_metrics(trajectory, truth=2.0)
    >>> m["sd"].round(3).tolist(), m["consensus"].round(2).tolist()
    ([[1.414, 0.707, 0.0]], [[0.0, 0.5, 1.0]])
    """
    x = np.asarray(trajectory, dtype=float)
    if x.ndim < 2:
        raise ValueError("trajectory must have shape (..., rounds, n_agents)")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if log:
        if np.any(x <= 0) or truth <= 0:
            raise ValueError("log=True needs positive estimates and truth")
        y, t, divisor = np.log(x), float(np.log(truth)), 1.0
    else:
        y, t, divisor = x, float(truth), float(scale)
    mean_y = y.mean(axis=-1)
    median_y = np.median(y, axis=-1)
    if log:
        geometric_y = mean_y
    else:
        positive = np.all(x > 0, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric_y = np.where(positive, np.exp(np.mean(np.log(np.where(x > 0, x, 1.0)),
                                                            axis=-1)), np.nan)
    n = x.shape[-1]
    sd = y.std(axis=-1, ddof=1) / divisor if n > 1 else np.full(mean_y.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        consensus = 1.0 - sd / sd[..., :1]
    return {
        "mean": mean_y, "median": median_y, "geometric_mean": geometric_y,
        "error_of_mean": np.abs(mean_y - t) / divisor,
        "error_of_median": np.abs(median_y - t) / divisor,
        "error_of_geometric_mean": np.abs(geometric_y - t) / divisor,
        "sd": sd,
        "diversity": y.var(axis=-1) / divisor**2,
        "individual_error": np.abs(y - t).mean(axis=-1) / divisor,
        "woc_indicator": woc_indicator(y, t).astype(float),
        "truth_in_range": truth_in_range(y, t).astype(float),
        "consensus": consensus,
    }


def groupthink(diversity_ratio: ArrayLike, error_ratio: ArrayLike,
               collapse: float = 0.5, tolerance: float = 0.01) -> NDArray[np.bool_]:
    """The groupthink signal: diversity collapsed while collective error did not improve.

    ``diversity_ratio`` and ``error_ratio`` are after/before ratios (e.g. SD in the last
    round over SD in the first, error of the mean likewise); groupthink is
    ``diversity_ratio < collapse`` and ``error_ratio >= 1 - tolerance`` (an improvement
    smaller than ``tolerance`` does not count: averaging that preserves the mean leaves the
    ratio at 1 up to rounding).

    Examples
    --------
    >>> groupthink([0.2, 0.2, 0.9], [1.3, 0.6, 1.3]).tolist()
    [True, False, False]
    """
    diversity_ratio = np.asarray(diversity_ratio, dtype=float)
    error_ratio = np.asarray(error_ratio, dtype=float)
    return (diversity_ratio < collapse) & (error_ratio >= 1.0 - tolerance)

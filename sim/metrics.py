"""Measures of how wise a crowd is: errors, diversity and crowd-vs-individual scores.

Like `sim.aggregate`, every function is vectorised over replicates:
``estimates`` has shape ``(..., n_agents)``, reductions run along the last
axis, and ``truth`` (and a collective ``aggregate``) is a scalar or
broadcastable to ``estimates.shape[:-1]``.

`CROWD_METRICS` is the one table of per-round crowd metrics, by name, that simulations,
sweeps and the analyses of real multi-round data share; `crowd_metrics` evaluates it on a
batch of crowds or of trajectories. Its geometric mean is NaN for a crowd with any estimate
<= 0 (`sim.aggregate.geometric_mean`, ``nonpositive="nan"``).

References
----------
.. [Page2007] S. E. Page (2007). *The Difference: How the Power of Diversity
   Creates Better Groups, Firms, Schools, and Societies*. Princeton
   University Press. (Diversity prediction theorem.)
.. [Lorenz2011] J. Lorenz, H. Rauhut, F. Schweitzer and D. Helbing (2011).
   How social influence can undermine the wisdom of crowd effect.
   *PNAS* 108(22):9020-9025. (Wisdom-of-crowd indicator.)
"""

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import aggregate
from ._docs import fill_docstrings
from .aggregate import FloatResult, _as_estimates, _as_truth, _broadcast_to_replicates, _unwrap_0d

__all__ = [
    "CROWD_METRICS",
    "ERROR_KINDS",
    "ESTIMATION_METRICS",
    "GROUP_METRICS",
    "TRAJECTORY_METRICS",
    "CrowdAggregates",
    "DiversityDecomposition",
    "beaten_share",
    "collective_error",
    "crowd_metrics",
    "diversity",
    "diversity_prediction",
    "group_metrics",
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
    %(estimates)s
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
    %(estimates_and_truth)s
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

    ``mean_i (x_i - mean(x))**2`` for each crowd: the population variance (``ddof=0``), the
    "diversity" term of Page's (2007) diversity prediction theorem [Page2007]_.

    %(reduction)s

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
    %(estimates_and_truth)s

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
    %(estimates)s
    aggregate : array_like
        Collective estimate, a scalar or broadcastable to ``estimates.shape[:-1]``.
    %(truth)s

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
    %(estimates_and_truth)s

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
    %(estimates_and_truth)s

    Returns
    -------
    numpy.bool_ or numpy.ndarray
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


# ---------------------------------------------------------------------------------------------
# the table of crowd metrics: one definition for simulations, sweeps and data analyses


class CrowdAggregates:
    """A batch of crowds' estimates with their aggregates, each computed once on first use.

    The metric functions of `CROWD_METRICS` take one of these, so that metrics sharing an
    aggregate (the mean, the median, the SD, ...) compute it only once.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        The crowds' estimates, the last axis indexing agents; under ``in_logs`` their
        natural logs.
    truth : array_like
        The true value, a scalar or broadcastable to ``estimates.shape[:-1]``; under
        ``in_logs`` its natural log.
    scale : array_like, optional
        Unit of the errors and the SD: they are divided by it (the diversity and the squared
        error by its square), e.g. the SD of independent answers (Becker et al. 2017). A
        scalar or broadcastable to ``estimates.shape[:-1]``; without it nothing is divided.
        Unitless metrics (relative and log errors, shares, indicators) are never divided.
    in_logs : bool, default False
        The estimates and truth are natural logs: every metric is then in log units, and the
        geometric mean is the mean of the logs (the log of the geometric mean). Metrics
        defined on the linear scale only (``relative_*``, ``log_*``) are refused.
    nonpositive : {"nan", "ignore"}, default "nan"
        The geometric-mean rule, see `sim.aggregate.geometric_mean`: NaN for a crowd with an
        estimate <= 0 (undefined), or ``"ignore"`` such estimates and take the geometric mean
        of the positive ones (for data analyses; NaN if there are none).
    trajectory : bool, default False
        The second-to-last axis of `estimates` indexes rounds (``consensus`` needs it).

    Examples
    --------
    >>> crowds = CrowdAggregates([[8.0, 10.0, 15.0], [1.0, 4.0, -2.0]], truth=10.0)
    >>> crowds.median.tolist(), crowds.geometric_mean.round(3).tolist()
    ([10.0, 1.0], [10.627, nan])
    """

    def __init__(self, estimates: ArrayLike, truth: ArrayLike, *, scale: ArrayLike | None = None,
                 in_logs: bool = False, nonpositive: str = "nan", trajectory: bool = False):
        if nonpositive not in ("nan", "ignore"):
            raise ValueError(f"nonpositive must be 'nan' or 'ignore', got {nonpositive!r}")
        self.estimates = _as_estimates(estimates)
        self.truth = truth
        self.scale = scale
        self.in_logs = in_logs
        self.nonpositive = nonpositive
        self.trajectory = trajectory
        if trajectory and self.estimates.ndim < 2:
            raise ValueError("a trajectory needs shape (..., rounds, n_agents)")

    @cached_property
    def mean(self) -> NDArray[np.float64]:
        """Arithmetic mean of each crowd."""
        return aggregate.mean(self.estimates)

    @cached_property
    def median(self) -> NDArray[np.float64]:
        """Median of each crowd."""
        return aggregate.median(self.estimates)

    @cached_property
    def geometric_mean(self) -> NDArray[np.float64]:
        """Geometric mean of each crowd (under ``in_logs`` the mean of the logs)."""
        if self.in_logs:
            return self.mean
        return aggregate.geometric_mean(self.estimates, nonpositive=self.nonpositive)

    @cached_property
    def sd(self) -> NDArray[np.float64]:
        """Sample SD (``n - 1``) of each crowd, in units of `scale`; NaN for one agent."""
        if self.estimates.shape[-1] < 2:
            return np.full(self.estimates.shape[:-1], np.nan)
        return self.per_scale(np.std(self.estimates, axis=-1, ddof=1))

    @cached_property
    def log_estimates(self) -> NDArray[np.float64]:
        """Natural logs of the estimates; NaN for every agent of a crowd with one <= 0."""
        defined = np.all(self.estimates > 0, axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(defined, np.log(np.where(self.estimates > 0, self.estimates, 1.0)),
                            np.nan)

    def per_scale(self, values: NDArray[np.float64], power: int = 1) -> NDArray[np.float64]:
        """``values`` divided by ``scale ** power`` (unchanged without a scale)."""
        if self.scale is None:
            return values
        return values / np.asarray(self.scale, dtype=float) ** power


def _relative_error(values: NDArray[np.float64], truth: ArrayLike) -> NDArray[np.float64]:
    """``|values - truth| / |truth|``, NaN where the truth is 0 (undefined)."""
    if np.ndim(truth) == 0:
        if truth == 0:
            return np.full(np.shape(values), np.nan)
        return collective_error(values, truth, "relative")
    values, truth = np.broadcast_arrays(np.asarray(values, dtype=float),
                                        np.asarray(truth, dtype=float))
    out = np.full(values.shape, np.nan)
    defined = truth != 0
    if defined.any():
        out[defined] = collective_error(values[defined], truth[defined], "relative")
    return out


def _log_error(values: NDArray[np.float64], truth: ArrayLike) -> NDArray[np.float64]:
    """``|ln(values / truth)|``, NaN where a value or the truth is <= 0 (undefined)."""
    values, truth = np.broadcast_arrays(np.asarray(values, dtype=float),
                                        np.asarray(truth, dtype=float))
    out = np.full(values.shape, np.nan)
    defined = (values > 0) & (truth > 0)
    if defined.any():
        out[defined] = collective_error(values[defined], truth[defined], "log")
    return out


def _error(aggregate_name: str) -> Callable[[CrowdAggregates], NDArray[np.float64]]:
    def error(crowds: CrowdAggregates) -> NDArray[np.float64]:
        return crowds.per_scale(collective_error(getattr(crowds, aggregate_name), crowds.truth))
    return error


def _linear_only(function: Callable[[CrowdAggregates], NDArray[np.float64]], name: str
                 ) -> Callable[[CrowdAggregates], NDArray[np.float64]]:
    def metric(crowds: CrowdAggregates) -> NDArray[np.float64]:
        if crowds.in_logs:
            raise ValueError(f"{name} is defined on the linear scale only, not in_logs")
        return function(crowds)
    return metric


def _individual_log_error(crowds: CrowdAggregates) -> NDArray[np.float64]:
    truth = np.asarray(crowds.truth, dtype=float)[..., np.newaxis]
    return np.mean(_log_error(crowds.estimates, truth), axis=-1)


def _log_sd(crowds: CrowdAggregates) -> NDArray[np.float64]:
    if crowds.estimates.shape[-1] < 2:
        return np.full(crowds.estimates.shape[:-1], np.nan)
    return np.std(crowds.log_estimates, axis=-1, ddof=1)


def _consensus(crowds: CrowdAggregates) -> NDArray[np.float64]:
    if not crowds.trajectory:
        raise ValueError("consensus needs a trajectory (crowds over rounds)")
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - crowds.sd / crowds.sd[..., :1]


CROWD_METRICS: dict[str, tuple[Callable[[CrowdAggregates], Any], str]] = {
    "error_of_mean": (_error("mean"), "|mean - truth|"),
    "error_of_median": (_error("median"), "|median - truth|"),
    "error_of_geometric_mean": (_error("geometric_mean"),
                                "|geometric mean - truth| (NaN if an estimate is <= 0)"),
    "relative_error_of_mean": (
        _linear_only(lambda c: _relative_error(c.mean, c.truth), "relative_error_of_mean"),
        "|mean - truth| / |truth|"),
    "relative_error_of_median": (
        _linear_only(lambda c: _relative_error(c.median, c.truth), "relative_error_of_median"),
        "|median - truth| / |truth|"),
    "log_error_of_median": (
        _linear_only(lambda c: _log_error(c.median, c.truth), "log_error_of_median"),
        "|ln(median / truth)| (NaN if median or truth <= 0)"),
    "mean_individual_error": (
        lambda c: c.per_scale(mean_individual_error(c.estimates, c.truth)),
        "mean over agents of |estimate - truth|"),
    "diversity": (lambda c: c.per_scale(diversity(c.estimates), power=2),
                  "variance of the estimates around their mean (Page 2007)"),
    "collective_sq_error": (
        lambda c: c.per_scale(collective_error(c.mean, c.truth, "squared"), power=2),
        "(mean - truth)^2 = mean individual squared error - diversity"),
    "beaten_share_mean": (lambda c: beaten_share(c.estimates, c.mean, c.truth),
                          "share of agents with a larger error than the mean"),
    "beaten_share_median": (lambda c: beaten_share(c.estimates, c.median, c.truth),
                            "share of agents with a larger error than the median"),
    "woc_indicator": (lambda c: woc_indicator(c.estimates, c.truth),
                      "Lorenz et al. (2011) wisdom-of-crowd indicator"),
    "truth_in_range": (lambda c: truth_in_range(c.estimates, c.truth),
                       "1 if min <= truth <= max of the estimates, else 0"),
    "mean": (lambda c: c.mean, "mean of the estimates"),
    "median": (lambda c: c.median, "median of the estimates"),
    "geometric_mean": (lambda c: c.geometric_mean,
                       "geometric mean of the estimates (NaN if an estimate is <= 0)"),
    "sd": (lambda c: c.sd, "sample SD of the estimates (n - 1; NaN for one agent)"),
    "log_sd": (_linear_only(_log_sd, "log_sd"),
               "sample SD of ln(estimates) (NaN if an estimate is <= 0)"),
    "log_error_of_mean": (
        _linear_only(lambda c: _log_error(c.mean, c.truth), "log_error_of_mean"),
        "|ln(mean / truth)| (NaN if mean or truth <= 0)"),
    "log_error_of_geometric_mean": (
        _linear_only(lambda c: _log_error(c.geometric_mean, c.truth),
                     "log_error_of_geometric_mean"),
        "|ln(geometric mean / truth)| (NaN if an estimate or truth is <= 0)"),
    "log_mean_individual_error": (
        _linear_only(_individual_log_error, "log_mean_individual_error"),
        "mean over agents of |ln(estimate / truth)| (NaN if an estimate or truth is <= 0)"),
    "consensus": (_consensus, "1 - sd / sd of the first round (trajectories only)"),
}
"""The crowd metrics, by name: ``name -> (function of a CrowdAggregates, description)``.

Each function returns an array of shape ``estimates.shape[:-1]`` (a value per crowd).
Errors and SD are in the units of the estimates, divided by the aggregates' ``scale`` when
it has one. The geometric-mean rule is `sim.aggregate.geometric_mean`'s: by default a crowd
with an estimate <= 0 has no geometric mean (NaN, and so NaN errors of it); likewise the log
errors are NaN where a logged value or the truth is <= 0 and the relative errors NaN where
the truth is 0, so that a batch of crowds never fails on one crowd's undefined value.
"""

TRAJECTORY_METRICS = frozenset({"consensus"})
"""Metrics defined on a trajectory only (they compare rounds)."""

ESTIMATION_METRICS: dict[str, tuple[Callable[[CrowdAggregates], Any], str]] = {
    name: entry for name, entry in CROWD_METRICS.items() if name not in TRAJECTORY_METRICS}
"""`CROWD_METRICS` without the `TRAJECTORY_METRICS`: what one round's crowds offer (the
estimation model's sweep metrics when it evaluates the rounds one at a time)."""


def crowd_metrics(estimates: ArrayLike, truth: ArrayLike, names: Sequence[str] | None = None,
                  *, log: bool = False, scale: ArrayLike | None = None,
                  nonpositive: str = "nan") -> dict[str, NDArray[np.float64]]:
    """Metrics of `CROWD_METRICS`, by name, for a batch of crowds or of trajectories.

    Parameters
    ----------
    estimates : array_like, shape (replicates, n_agents) or (replicates, rounds, n_agents)
        One crowd per replicate, or a trajectory per replicate (its estimates in each round).
    truth : array_like
        The true value: a scalar or one per replicate, shape ``(replicates,)``.
    names : sequence of str, optional
        The metrics to compute; all that apply when omitted (without ``consensus`` for
        crowds, without the linear-only ``relative_*`` and ``log_*`` under `log`).
    log : bool, default False
        Work on natural logs of estimates and truth (all must be positive): errors and SD
        are in log units and the mean and geometric mean are both the mean of the logs.
    scale : array_like, optional
        Divide errors and SD by this (a scalar or one per replicate); see `CrowdAggregates`.
    nonpositive : {"nan", "ignore"}, default "nan"
        The geometric mean of a crowd with an estimate <= 0 is NaN, or that of its positive
        estimates with ``"ignore"`` (see `sim.aggregate.geometric_mean`).

    Returns
    -------
    dict of str to numpy.ndarray
        Float arrays of shape ``(replicates,)`` or ``(replicates, rounds)``, in the order of
        `names`. The value of a crowd in round ``j`` of a trajectory equals that of the same
        crowd given alone.

    Raises
    ------
    ValueError
        For an unknown name, a wrong shape, ``consensus`` without rounds, non-positive
        values under `log`, or a linear-only metric under `log`.

    Examples
    --------
    >>> out = crowd_metrics([[8.0, 10.0, 15.0], [1.0, 4.0, -2.0]], truth=10.0,
    ...                     names=["error_of_median", "geometric_mean", "truth_in_range"])
    >>> {name: values.round(3).tolist() for name, values in out.items()}
    {'error_of_median': [0.0, 9.0], 'geometric_mean': [10.627, nan], 'truth_in_range': [1.0, 0.0]}
    >>> trajectory = [[[1.0, 3.0], [1.5, 2.5], [2.0, 2.0]]]  # one crowd, three rounds
    >>> crowd_metrics(trajectory, truth=2.0, names=["sd", "consensus"])["consensus"].tolist()
    [[0.0, 0.5, 1.0]]
    """
    values = np.asarray(estimates, dtype=float)
    if values.ndim not in (2, 3):
        raise ValueError("estimates must have shape (replicates, n_agents) or "
                         f"(replicates, rounds, n_agents), got {values.shape}")
    trajectory = values.ndim == 3
    truth_array = np.asarray(truth, dtype=float)
    if log:
        if scale is not None:
            raise ValueError("scale cannot be combined with log (log errors are undivided)")
        if not (np.all(values > 0) and np.all(truth_array > 0)):
            raise ValueError("log=True needs positive estimates and truth")
        values, truth_array = np.log(values), np.log(truth_array)
    if names is None:
        names = [name for name in CROWD_METRICS
                 if (trajectory or name not in TRAJECTORY_METRICS)
                 and not (log and name.startswith(("relative_", "log_")))]
    unknown = [name for name in names if name not in CROWD_METRICS]
    if unknown:
        raise ValueError(f"unknown crowd metric {unknown[0]!r}; known: "
                         f"{', '.join(sorted(CROWD_METRICS))}")

    def per_replicate(quantity: NDArray[np.float64]) -> NDArray[np.float64]:
        # one value per replicate must broadcast over the rounds axis too
        return quantity[:, np.newaxis] if trajectory and quantity.ndim == 1 else quantity

    crowds = CrowdAggregates(
        values, per_replicate(truth_array),
        scale=None if scale is None else per_replicate(np.asarray(scale, dtype=float)),
        in_logs=log, nonpositive=nonpositive, trajectory=trajectory)
    return {name: np.asarray(CROWD_METRICS[name][0](crowds), dtype=np.float64)
            for name in names}


ROUND_METRICS = ("mean", "median", "geometric_mean", "error_of_mean", "error_of_median",
                 "error_of_geometric_mean", "sd", "diversity", "individual_error",
                 "woc_indicator", "truth_in_range", "consensus")
"""Metrics :func:`round_metrics` computes for every round."""


def round_metrics(trajectory: ArrayLike, truth: float, log: bool = False,
                  scale: float = 1.0) -> dict[str, NDArray[np.float64]]:
    """Per-round crowd metrics of a trajectory of shape (..., rounds, n_agents).

    A thin wrapper over :func:`crowd_metrics` (prefer that one: it takes the names of
    `CROWD_METRICS`); ``individual_error`` here is its ``mean_individual_error``. With
    ``log=True`` estimates and truth are log-transformed first (the mean is then the mean of
    logs, i.e. the log of the geometric mean) and errors are in log units; otherwise errors
    and SD are divided by ``scale`` (e.g. the SD of independent answers, Becker et al. 2017).
    In linear mode the geometric mean is NaN for a crowd with an estimate <= 0.

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
    names = [("mean_individual_error" if name == "individual_error" else name)
             for name in ROUND_METRICS]
    # crowd_metrics takes (replicates, rounds, n_agents): fold any leading axes into one
    flat = x.reshape(-1, *x.shape[-2:])
    values = crowd_metrics(flat, truth, names, log=log, scale=None if log else float(scale))
    return {name: values[table_name].reshape(x.shape[:-1])
            for name, table_name in zip(ROUND_METRICS, names)}


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


# ---------------------------------------------------------------------------------------------
# metrics of a crowd cut into groups (communities)

GROUP_METRICS: dict[str, str] = {
    "error_of_group_means": "mean over groups of |group's own mean - truth|",
    "within_group_diversity": "variance of the estimates around their own group's mean "
                              "(size-weighted mean of the groups' variances)",
    "between_group_diversity": "variance of the group means around the crowd's mean "
                               "(size-weighted); within + between = diversity",
}
"""Metrics of a crowd cut into groups, by name -> description (:func:`group_metrics`)."""


def group_metrics(estimates: ArrayLike, truth: ArrayLike, groups: ArrayLike,
                  names: Sequence[str] | None = None) -> dict[str, NDArray[np.float64]]:
    """Metrics of `GROUP_METRICS` for crowds whose agents fall into groups.

    The diversity splits exactly as the law of total variance says: ``diversity`` (variance
    around the crowd's mean, Page 2007) = ``within_group_diversity`` +
    ``between_group_diversity``, each weighted by the groups' sizes.

    Parameters
    ----------
    estimates : array_like, shape (..., n_agents)
        Crowds (or trajectories of crowds), the last axis indexing agents.
    truth : array_like
        The true value, a scalar or broadcastable to ``estimates.shape[:-1]``.
    groups : array_like of int, shape (n_agents,)
        Each agent's group, ``0 .. n_groups - 1``, every group non-empty.
    names : sequence of str, optional
        The metrics to compute (default all).

    Returns
    -------
    dict of str to numpy.ndarray
        Float arrays of shape ``estimates.shape[:-1]``.

    Examples
    --------
    >>> out = group_metrics([[1.0, 3.0, 10.0, 14.0]], 6.0, [0, 0, 1, 1])
    >>> {name: values.tolist() for name, values in out.items()}
    {'error_of_group_means': [5.0], 'within_group_diversity': [2.5], \
'between_group_diversity': [25.0]}
    """
    values = np.asarray(estimates, dtype=float)
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.shape[0] != values.shape[-1]:
        raise ValueError(f"groups must have one label per agent ({values.shape[-1]}), got "
                         f"shape {labels.shape}")
    if labels.size == 0 or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError("groups must be integer labels 0 .. n_groups - 1")
    n_groups = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=n_groups)
    if np.any(sizes == 0):
        raise ValueError("groups must be integer labels 0 .. n_groups - 1, every group "
                         "non-empty")
    names = list(GROUP_METRICS) if names is None else list(names)
    unknown = [name for name in names if name not in GROUP_METRICS]
    if unknown:
        raise ValueError(f"unknown group metric {unknown[0]!r}; known: "
                         f"{', '.join(GROUP_METRICS)}")
    member = np.zeros((labels.shape[0], n_groups))
    member[np.arange(labels.shape[0]), labels] = 1.0
    means = (values @ member) / sizes  # (..., n_groups)
    share = sizes / labels.shape[0]
    out = {}
    if "error_of_group_means" in names:
        truth_array = np.asarray(truth, dtype=float)[..., np.newaxis]
        out["error_of_group_means"] = np.mean(np.abs(means - truth_array), axis=-1)
    if "within_group_diversity" in names:
        out["within_group_diversity"] = np.mean((values - means[..., labels]) ** 2, axis=-1)
    if "between_group_diversity" in names:
        crowd = np.mean(values, axis=-1, keepdims=True)
        out["between_group_diversity"] = np.sum(share * (means - crowd) ** 2, axis=-1)
    return {name: out[name] for name in names}


fill_docstrings(globals())

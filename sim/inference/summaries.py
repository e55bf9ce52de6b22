"""Summary statistics of multi-round estimation groups: the same functions for the data and
for simulations, so that model and data are always measured alike.

Per group and round (:func:`group_round_metrics`), in the dataset's analysis units (see
:func:`sim.analysis.specs.to_analysis`): the SD of the estimates (``n - 1``), the error of
their mean and of their median, ``|aggregate - truth|``. These are the per-group numbers of
:func:`sim.analysis.rounds.per_group_table` (a test checks it). Over the groups of a
condition:

``change`` of a metric
    ``(last - first) / first`` of the averages over groups, as ``crowdsim analyze --rounds``
    reports it;
``share_improved_mean``
    the share of groups whose error of the mean is smaller in the last round than in the
    first (by more than a relative :data:`IMPROVED_RTOL`: a mean that rounding alone moves,
    e.g. under full information, where averaging keeps it, has not improved);
``revision_slope`` and ``revision_distance_corr``
    the least-squares slope of a person's first revision ``y_2 - y_1`` on the distance to
    the group's mean ``m_1 - y_1`` (revision space: ``y = ln x`` or ``x``), and the
    correlation of the revision's size ``|y_2 - y_1|`` with that distance (Becker et al.
    2017 report rho = 0.41 between revision and initial error).

:func:`abc_statistics` flattens these into the statistics a calibration matches (per round,
the ratio of each metric to its first-round value: scale-free, so the same rule can be
compared across tasks and datasets); :func:`bootstrap_changes` gives group-bootstrap
intervals.

Examples
--------
>>> values = np.array([[[1.0, 2.0], [3.0, 2.0], [5.0, 2.5]]])  # 1 group, 3 people, 2 rounds
>>> m = group_round_metrics(values, np.array([2.0]))
>>> m["error_of_mean"].round(4).tolist(), m["sd"].round(4).tolist()
([[1.0, 0.1667]], [[2.0, 0.2887]])
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["METRICS", "CHANGES", "padded", "group_round_metrics", "condition_statistics",
           "abc_statistics", "changes", "bootstrap_changes"]

#: Per-round metrics of a group, in the analysis units.
METRICS = ("sd", "error_of_mean", "error_of_median")
#: What a prediction compares per condition: the metrics' changes and the share improved.
CHANGES = ("error_of_mean", "error_of_median", "sd", "share_improved_mean")
#: Relative decrease of a group's error of the mean below which it has not improved
#: (floating-point rounding, not a change).
IMPROVED_RTOL = 1e-9


def padded(arrays: list[np.ndarray]) -> np.ndarray:
    """Groups of different sizes as one array (groups, max size, rounds), NaN-padded.

    >>> padded([np.ones((1, 2)), np.zeros((2, 2))]).shape
    (2, 2, 2)
    """
    size = max(a.shape[0] for a in arrays)
    out = np.full((len(arrays), size, arrays[0].shape[1]), np.nan)
    for g, a in enumerate(arrays):
        out[g, :a.shape[0]] = a
    return out


def _nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    """Median along ``axis`` ignoring NaN (NaN where none): NaN sort last, so the middle of
    each row's ``n`` finite values is read off the sorted array (much faster than
    :func:`numpy.nanmedian` on many small groups)."""
    ordered = np.sort(values, axis=axis)
    n = np.sum(~np.isnan(values), axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0), axis=axis)
    high = np.take_along_axis(ordered, np.maximum(n // 2, 0), axis=axis)
    middle = np.where(n > 0, 0.5 * (low + high), np.nan)
    return np.squeeze(middle, axis=axis)


def group_round_metrics(values: np.ndarray, truths: np.ndarray) -> dict[str, np.ndarray]:
    """SD, error of the mean and of the median per group and round, arrays (groups, rounds).

    ``values`` (groups, people, rounds) in analysis units, NaN where nobody; ``truths``
    (groups,) in the same units. NaN where a group has too few estimates.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        truth = truths[:, None]
        return {"sd": np.nanstd(values, axis=1, ddof=1),
                "error_of_mean": np.abs(np.nanmean(values, axis=1) - truth),
                "error_of_median": np.abs(_nanmedian(values, axis=1) - truth)}


def _averages(metrics: dict[str, np.ndarray], rows=None) -> dict[str, np.ndarray]:
    """NaN-skipping averages over groups (``rows``: a subset or a resample)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {name: np.nanmean(m if rows is None else m[rows], axis=-2)
                for name, m in metrics.items()}


def changes(metrics: dict[str, np.ndarray], rows=None) -> dict[str, np.ndarray]:
    """Per condition: the relative change first -> last round of each metric's average over
    groups, and the share of groups whose error of the mean improved. ``rows`` (optional,
    shape (..., groups)) picks or resamples groups; the result then has its leading shape."""
    averages = _averages(metrics, rows)
    out = {}
    for name in METRICS:
        first, last = averages[name][..., 0], averages[name][..., -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = (last - first) / first
    eom = metrics["error_of_mean"] if rows is None else metrics["error_of_mean"][rows]
    with np.errstate(invalid="ignore"):
        improved = eom[..., -1] < eom[..., 0] * (1.0 - IMPROVED_RTOL)
    out["share_improved_mean"] = np.mean(improved, axis=-1)
    return out


def revision_statistics(revision_values: np.ndarray) -> tuple[float, float]:
    """(slope, correlation) of the first revision against the distance to the group mean
    (see the module docstring); ``revision_values`` (groups, people, rounds) in revision
    space."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        first = revision_values[:, :, 0]
        distance = (np.nanmean(first, axis=1)[:, None] - first).ravel()
        revision = (revision_values[:, :, 1] - first).ravel()
    keep = np.isfinite(distance) & np.isfinite(revision)
    distance, revision = distance[keep], revision[keep]
    if distance.size < 3 or np.var(distance) == 0:
        return float("nan"), float("nan")
    slope = float(np.cov(distance, revision, bias=True)[0, 1] / np.var(distance))
    size, far = np.abs(revision), np.abs(distance)
    corr = (float(np.corrcoef(size, far)[0, 1]) if np.std(size) > 0 and np.std(far) > 0
            else 0.0)
    return slope, corr


def condition_statistics(values: np.ndarray, truths: np.ndarray,
                         revision_values: np.ndarray) -> dict[str, float]:
    """The statistics of one condition (see :func:`abc_statistics`)."""
    metrics = group_round_metrics(values, truths)
    averages = _averages(metrics)
    out: dict[str, float] = {}
    for name in METRICS:
        first = averages[name][0]
        for r in range(1, averages[name].shape[0]):
            out[f"{name}@{r + 1}"] = float(averages[name][r] / first) if first else np.nan
    out["share_improved_mean"] = float(changes(metrics)["share_improved_mean"])
    out["revision_slope"], out["revision_distance_corr"] = revision_statistics(revision_values)
    return out


def abc_statistics(per_condition: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
                   ) -> dict[str, float]:
    """Flat ``{"CONDITION|STATISTIC": value}`` over conditions: per round ``r >= 2`` each
    metric's average over groups relative to round 1 (``sd@2``, ...), the share of groups
    whose mean improved, the revision slope and correlation. ``per_condition`` maps a
    condition to (analysis values, truths, revision-space values); undefined values are
    0 (a statistic the data cannot define must not steer a fit)."""
    out = {}
    for condition, (values, truths, revision) in per_condition.items():
        for name, value in condition_statistics(values, truths, revision).items():
            out[f"{condition}|{name}"] = value if np.isfinite(value) else 0.0
    return out


def bootstrap_changes(metrics: dict[str, np.ndarray], rng: np.random.Generator,
                      draws: int = 2000) -> dict[str, np.ndarray]:
    """Group-bootstrap distribution of :func:`changes`: ``draws`` resamples of the groups
    with replacement; arrays (draws,) per name."""
    n_groups = metrics["sd"].shape[0]
    rows = rng.integers(0, n_groups, size=(draws, n_groups))
    return changes(metrics, rows)

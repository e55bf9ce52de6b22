"""Outcome measures of cultural markets (Salganik, Dodds & Watts 2006, Science 311:854)."""

from __future__ import annotations

import numpy as np

__all__ = ["market_shares", "gini", "unpredictability", "quality_correlation", "spearman"]


def market_shares(downloads) -> np.ndarray:
    """Each song's share of the downloads along the last axis (NaN where there are none).

    >>> market_shares([[1, 3], [0, 0]]).tolist()
    [[0.25, 0.75], [nan, nan]]
    """
    downloads = np.asarray(downloads, dtype=float)
    total = downloads.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, downloads / np.where(total > 0, total, 1.0), np.nan)


def gini(shares) -> np.ndarray:
    """Gini coefficient of market shares along the last axis (0: equal; (m-1)/m: one song
    takes all): sum_i (2 i - m - 1) x_(i) / (m sum x), with x sorted ascending.

    >>> round(float(gini([0.25, 0.25, 0.25, 0.25])), 12), float(gini([0, 0, 0, 1]))
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(shares, dtype=float), axis=-1)
    m = x.shape[-1]
    rank = 2 * np.arange(1, m + 1) - m - 1
    return np.sum(rank * x, axis=-1) / (m * np.sum(x, axis=-1))


def unpredictability(shares) -> np.ndarray:
    """Salganik et al.'s unpredictability: for each song the mean absolute difference of its
    market share over all pairs of worlds, averaged over songs.

    ``shares`` has shape (..., worlds, songs); the result drops the last two axes.

    >>> float(unpredictability([[0.5, 0.5], [0.5, 0.5]]))
    0.0
    >>> float(unpredictability([[1.0, 0.0], [0.0, 1.0]]))
    1.0
    """
    x = np.asarray(shares, dtype=float)
    worlds = x.shape[-2]
    if worlds < 2:
        raise ValueError("unpredictability needs at least two worlds")
    i, j = np.triu_indices(worlds, k=1)
    pair_gaps = np.abs(x[..., i, :] - x[..., j, :])      # (..., pairs, songs)
    return pair_gaps.mean(axis=-2).mean(axis=-1)


def quality_correlation(shares, quality) -> np.ndarray:
    """Spearman rank correlation between market shares and qualities along the last axis.

    >>> float(quality_correlation([[0.1, 0.3, 0.6]], [0.2, 0.5, 0.9])[0])
    1.0
    """
    x = np.atleast_2d(np.asarray(shares, dtype=float))
    q = np.broadcast_to(np.asarray(quality, dtype=float), x.shape)
    flat_x, flat_q = x.reshape(-1, x.shape[-1]), q.reshape(-1, x.shape[-1])
    out = np.array([spearman(a, b) for a, b in zip(flat_x, flat_q)])
    return out.reshape(x.shape[:-1])


def spearman(a, b) -> float:
    """Spearman's rank correlation of two 1-d samples; NaN if either holds a NaN, is constant
    or has fewer than two values.

    The same numbers as ``scipy.stats.spearmanr(a, b).statistic`` (the same ranks and the same
    ``np.corrcoef`` call), without importing scipy.stats: sweep workers record this metric and
    would otherwise pay a third of a second each to load it.

    Examples
    --------
    >>> float(spearman([0.1, 0.4, 0.2], [1.0, 9.0, 3.0]))
    1.0
    >>> round(float(spearman([1.0, 1.0, 2.0], [3.0, 2.0, 1.0])), 6)  # a tie: ranks 1.5, 1.5, 3
    -0.866025
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size < 2 or np.isnan(a).any() or np.isnan(b).any():
        return np.nan
    # stacked as scipy stacks them (the transpose of a C-ordered array), so that np.corrcoef
    # adds up in the same order and rounds the same way
    ranked = np.vstack((_average_ranks(a), _average_ranks(b))).T
    with np.errstate(invalid="ignore", divide="ignore"):  # constant input: NaN
        return np.corrcoef(ranked, rowvar=False)[1, 0]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n; tied values share the mean of their ranks (``scipy.stats.rankdata``)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    tie_group = np.cumsum(starts) - 1
    bounds = np.append(np.flatnonzero(starts), values.size)  # each group's first index, then n
    ranks = np.empty(values.size)
    # the group at sorted positions first..next-1 holds ranks first+1..next: their mean
    ranks[order] = 0.5 * (bounds[tie_group] + bounds[tie_group + 1] + 1)
    return ranks

"""Statistics helpers shared by experiments: standard errors, intervals, fit summaries.

Small, flat, pure functions (numpy and scipy only), so every experiment states its
uncertainty the same way.

Examples
--------
>>> round(binomial_se(0.5, 100), 3)
0.05
>>> [round(v, 4) for v in wilson_interval(250, 250)]
[0.9849, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["binomial_se", "wilson_interval", "FAMILY_ALPHA", "family_limit", "family_z",
           "z_fit_summary", "relative_change", "direction"]

#: False-alarm rate of one two-sided 3-standard-error test, used for a whole family of tests.
FAMILY_ALPHA = 0.0027

_Z95 = 1.959963984540054
#: The two-sided 90 % normal quantile of the verdict rows' intervals (:mod:`sim.verdicts`),
#: to four decimals as the reports state it.
Z90 = 1.6449


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` estimated from ``n`` trials.

    Examples
    --------
    >>> binomial_se(1.0, 10)
    0.0
    """
    return float(np.sqrt(p * (1 - p) / n))


def wilson_interval(successes: int, trials: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default); (nan, nan) for no trials.

    Examples
    --------
    >>> wilson_interval(0, 0)
    (nan, nan)
    >>> low, high = wilson_interval(5, 10)
    >>> round(low, 3), round(high, 3)
    (0.237, 0.763)
    """
    if trials == 0:
        return float("nan"), float("nan")
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def family_limit(k: int) -> float:
    """|z| bound for ``k`` tests with the false-alarm rate of one 3-SE test (0.27 %) for the
    whole family (Bonferroni): 3.0 for one test, about 3.9 for 32.

    Examples
    --------
    >>> round(family_limit(1), 2), round(family_limit(32), 2)
    (3.0, 3.93)
    """
    from scipy.stats import norm

    return float(norm.isf(FAMILY_ALPHA / (2 * max(k, 1))))


def family_z(k: int, level: float = 0.90) -> float:
    """The normal quantile of two-sided intervals at ``level`` holding together for ``k``
    comparisons (Bonferroni): :data:`Z90` for one at 90 %.

    An experiment that checks a simulation against exact values at many points uses one
    family for all of them, so a correct model fails one of its rows by chance in at most
    ``1 - level`` of the runs, not in that share of each row.

    Examples
    --------
    >>> round(family_z(1), 4), round(family_z(53), 2)
    (1.6449, 3.11)
    """
    from scipy.stats import norm

    return float(norm.isf((1 - level) / (2 * max(int(k), 1))))


def z_fit_summary(z) -> dict:
    """How well simulated points match exact values, from their z-scores: the largest |z|,
    its family-wise bound (:func:`family_limit`), and the chi-square goodness of fit.

    Examples
    --------
    >>> fit = z_fit_summary([0.5, -1.0, 0.2])
    >>> fit["points"], fit["max_abs_z"], round(fit["chi2"], 2)
    (3, 1.0, 1.29)
    """
    from scipy.stats import chi2

    z = np.asarray(z, dtype=float)
    chi2_value = float(np.sum(z ** 2))
    return {"points": int(z.size), "max_abs_z": float(np.max(np.abs(z))),
            "z_limit": family_limit(z.size), "chi2": chi2_value,
            "chi2_p": float(chi2.sf(chi2_value, z.size))}


def relative_change(values) -> float:
    """Relative change from the first to the last of a series, ``(last - first) / first``;
    NaN when the first value is 0 (no change is relative to nothing).

    Examples
    --------
    >>> relative_change([2.0, 1.5, 1.0])
    -0.5
    >>> relative_change([0.0, 1.0])
    nan
    """
    first, last = float(values[0]), float(values[-1])
    return (last - first) / first if first else float("nan")


def direction(change: float | None, tolerance: float) -> str:
    """``"down"``, ``"up"`` or ``"flat"`` for a relative change: within ``+-tolerance``, or
    undefined (None, NaN), counts as flat.

    Examples
    --------
    >>> direction(-0.3, 0.05), direction(0.02, 0.05), direction(float("nan"), 0.05)
    ('down', 'flat', 'flat')
    """
    if change is None or not np.isfinite(change) or abs(change) <= tolerance:
        return "flat"
    return "down" if change < 0 else "up"


def normal_interval(value: float, se: float, z: float = Z90) -> list[float]:
    """``[value - z se, value + z se]``: a normal interval, 90 % by default.

    >>> [round(v, 5) for v in normal_interval(1.0, 0.5)]
    [0.17755, 1.82245]
    """
    return [value - z * se, value + z * se]

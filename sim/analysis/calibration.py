"""Calibrate the estimation model to multi-round experiment data.

Private beliefs are fitted to the first round: a group's estimates share an error (the
question is hard in the same direction for everybody, so group means scatter around the
truth) plus individual noise. With ``e_g`` a group's signed error of the mean and ``s_g`` its
within-group SD (both in the analysis' units: log units, or divided by a scale), the
individual noise variance is the mean of ``s_g**2`` and the shared error variance is what is
left of the variance of ``e_g`` after the sampling variance ``s**2 / n`` (clipped at 0). The
model's ``noise_scale`` is the total SD and ``correlation`` the shared share
(:mod:`sim.beliefs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fit_first_round", "calibrate_monotone"]


def fit_first_round(groups: pd.DataFrame) -> dict:
    """Fit noise scale, correlation and bias to one round of a per-group table.

    Parameters
    ----------
    groups : DataFrame
        One row per group of :func:`sim.analysis.rounds.per_group_table` for one round
        (columns ``mean``, ``truth``, ``scale``, ``sd``, ``n``).

    Returns
    -------
    dict
        ``bias`` (mean signed error of the group mean), ``noise_scale``, ``correlation``,
        ``within_sd``, ``between_sd``, ``groups``.

    Examples
    --------
    >>> frame = pd.DataFrame({"mean": [1.0, -1.0], "truth": [0.0, 0.0], "scale": [1.0, 1.0],
    ...                       "sd": [1.0, 1.0], "n": [4, 4]})
    >>> fit = fit_first_round(frame)
    >>> round(fit["within_sd"], 3), round(fit["between_sd"], 3)
    (1.0, 1.323)
    """
    valid = groups.dropna(subset=["mean", "truth", "sd"])
    valid = valid[valid["n"] >= 2]
    if len(valid) < 2:
        raise ValueError("need at least two groups with two or more estimates")
    errors = ((valid["mean"] - valid["truth"]) / valid["scale"]).to_numpy(dtype=float)
    within_var = float(np.mean(valid["sd"].to_numpy(dtype=float) ** 2))
    n_bar = float(valid["n"].mean())
    between_var = max(float(np.var(errors, ddof=1)) - within_var / n_bar, 0.0)
    total = within_var + between_var
    return {"bias": float(np.mean(errors)), "noise_scale": float(np.sqrt(total)),
            "correlation": between_var / total if total > 0 else 0.0,
            "within_sd": float(np.sqrt(within_var)), "between_sd": float(np.sqrt(between_var)),
            "groups": int(len(valid))}


def calibrate_monotone(evaluate, target: float, low: float = 0.0, high: float = 1.0,
                       tolerance: float = 1e-3, max_steps: int = 30) -> dict:
    """Find ``x`` in [low, high] with ``evaluate(x) == target`` for a monotone ``evaluate``
    by bisection; if the target is out of reach, return the nearer end and say so.

    Examples
    --------
    >>> calibrate_monotone(lambda x: 1 - x, 0.25)["value"]  # doctest: +ELLIPSIS
    0.75...
    """
    f_low, f_high = evaluate(low), evaluate(high)
    increasing = f_high >= f_low
    lo, hi = (low, high)
    if (target - f_low) * (target - f_high) > 0:  # target outside the reachable range
        best = low if abs(f_low - target) <= abs(f_high - target) else high
        return {"value": best, "achieved": evaluate(best), "target": target, "reached": False}
    for _ in range(max_steps):
        mid = 0.5 * (lo + hi)
        f_mid = evaluate(mid)
        if (f_mid < target) == increasing:
            lo = mid
        else:
            hi = mid
        if hi - lo < tolerance:
            break
    value = 0.5 * (lo + hi)
    return {"value": value, "achieved": evaluate(value), "target": target, "reached": True}

"""Fit noise models (see :mod:`sim.models.estimation.beliefs`) to published summaries of
real estimates.

Two kinds of evidence are handled:

- a quantile table (Galton's centiles): every family's quantile function is linear in its
  parameters once the standard quantile ``z_p`` is known, so each fit is a least-squares
  regression of the table's values (or their logarithms) on ``z_p``;
- summary statistics (n, mean, minimum, maximum), as reported for the 2012 TED ox: the scale
  comes from the log-range divided by the expected range of n standard normals, and the
  centre from the mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

__all__ = ["QuantileFit", "fit_quantiles", "model_quantiles", "expected_normal_range",
           "fit_summary"]

QUANTILE_FAMILIES = ("normal", "split_normal", "lognormal", "log_cauchy")


@dataclass(frozen=True)
class QuantileFit:
    """A noise model fitted to a quantile table.

    Attributes:
        noise: the family.
        centre: the fitted centre (median) of the estimates.
        scale_below, scale_above: fitted scales (equal except for the split normal); in the
            unit of the estimates for additive families, in log units for multiplicative ones.
        rmse: root mean square of the residuals, in the unit of the estimates.
        residuals: observed minus fitted quantile, per probability.
    """

    noise: str
    centre: float
    scale_below: float
    scale_above: float
    rmse: float
    residuals: np.ndarray = field(repr=False)

    def params(self, truth: float) -> dict:
        """Keyword arguments of :class:`~sim.models.estimation.params.EstimationParams`
        reproducing this fit for a crowd whose true value is ``truth``."""
        out: dict = {"noise": self.noise, "truth": float(truth)}
        if self.noise == "split_normal":
            out.update(noise_scale_below=float(self.scale_below),
                       noise_scale_above=float(self.scale_above))
        else:
            out["noise_scale"] = float(self.scale_below)
        if self.noise in ("normal", "split_normal"):
            out["bias_shift"] = float(self.centre - truth)
        else:
            out["bias_factor"] = float(self.centre / truth)
        return out


def _standard_quantiles(noise: str, probabilities: np.ndarray) -> np.ndarray:
    if noise == "log_cauchy":
        from scipy import stats  # here only: importing scipy.stats costs about a second

        return stats.cauchy.ppf(probabilities)
    # what stats.norm.ppf computes for the standard normal, without importing scipy.stats
    return ndtri(np.asarray(probabilities, dtype=float))


def model_quantiles(noise: str, centre: float, scale_below: float, scale_above: float,
                    probabilities) -> np.ndarray:
    """Quantiles of a noise model at ``probabilities``.

    >>> float(model_quantiles("normal", 10.0, 2.0, 2.0, [0.5])[0])
    10.0
    """
    p = np.asarray(probabilities, dtype=float)
    z = _standard_quantiles(noise, p)
    scale = np.where(z < 0, scale_below, scale_above)
    if noise in ("normal", "split_normal"):
        return centre + scale * z
    return centre * np.exp(scale * z)


def fit_quantiles(probabilities, values, noise: str) -> QuantileFit:
    """Least-squares fit of a noise family to a quantile table.

    Parameters
    ----------
    probabilities : array_like
        Probabilities in (0, 1) (e.g. 0.05, 0.10, ..., 0.95).
    values : array_like
        The observed quantiles at those probabilities.
    noise : {"normal", "split_normal", "lognormal", "log_cauchy"}

    Examples
    --------
    >>> from scipy import stats
    >>> p = [0.1, 0.25, 0.5, 0.75, 0.9]
    >>> fit = fit_quantiles(p, 100 + 15 * stats.norm.ppf(p), "normal")
    >>> round(fit.centre, 6), round(fit.scale_below, 6)
    (100.0, 15.0)
    """
    if noise not in QUANTILE_FAMILIES:
        raise ValueError(f"noise must be one of {', '.join(QUANTILE_FAMILIES)}; got {noise!r}")
    p = np.asarray(probabilities, dtype=float)
    x = np.asarray(values, dtype=float)
    if p.shape != x.shape or p.size < 3:
        raise ValueError("need at least 3 probabilities and as many values")
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("probabilities must lie strictly between 0 and 1")
    z = _standard_quantiles(noise, p)
    log_scale = noise in ("lognormal", "log_cauchy")
    if log_scale and np.any(x <= 0):
        raise ValueError(f"noise={noise} needs positive values")
    target = np.log(x) if log_scale else x
    if noise == "split_normal":
        design = np.column_stack([np.ones_like(z), np.minimum(z, 0), np.maximum(z, 0)])
        (centre, below, above), *_ = np.linalg.lstsq(design, target, rcond=None)
    else:
        design = np.column_stack([np.ones_like(z), z])
        (centre, below), *_ = np.linalg.lstsq(design, target, rcond=None)
        above = below
    if log_scale:
        centre = float(np.exp(centre))
    fitted = model_quantiles(noise, centre, below, above, p)
    residuals = x - fitted
    return QuantileFit(noise=noise, centre=float(centre), scale_below=float(below),
                       scale_above=float(above),
                       rmse=float(np.sqrt(np.mean(residuals**2))), residuals=residuals)


def expected_normal_range(n: int) -> float:
    """Expected range (max - min) of ``n`` independent standard normal draws.

    >>> round(expected_normal_range(2), 4)  # 2 / sqrt(pi)
    1.1284
    """
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    from scipy import integrate, stats  # here only: importing scipy.stats costs about a second

    def max_density(x):
        return x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1)

    expected_max, _ = integrate.quad(max_density, -12, 12, limit=200)
    return 2.0 * expected_max


def fit_summary(n: int, mean: float, minimum: float, maximum: float, noise: str) -> dict:
    """Fit a normal or log-normal crowd to (n, mean, minimum, maximum).

    The scale makes the expected range of n draws (in log units for the log-normal) equal to
    the observed one; the centre makes the expected mean equal to the observed mean.

    Returns a dict with ``centre`` (median of the fitted distribution) and ``scale``.

    >>> fit = fit_summary(500, 813.0, 144.0, 3629.0, "lognormal")
    >>> 0.4 < fit["scale"] < 0.7
    True
    """
    if not (minimum < maximum):
        raise ValueError("minimum must be below maximum")
    d_n = expected_normal_range(n)
    if noise == "normal":
        return {"centre": float(mean), "scale": float((maximum - minimum) / d_n)}
    if noise == "lognormal":
        if minimum <= 0:
            raise ValueError("a log-normal fit needs a positive minimum")
        scale = float(np.log(maximum / minimum) / d_n)
        return {"centre": float(mean / np.exp(scale**2 / 2)), "scale": scale}
    raise ValueError(f"summary fits support noise normal or lognormal; got {noise!r}")

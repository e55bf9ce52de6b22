"""Cross-inhibition in nest-site choice: the deterministic model of Seeley et al. (2012,
Science 335:108), analysed by Pais et al. (2013, PLoS ONE 8:e73216).

A swarm's scouts are uncommitted (share ``PsiU``) or committed to site A or B (``PsiA``,
``PsiB``)::

    dPsiA/dt = gamma_A PsiU - PsiA (alpha_A - rho_A PsiU + sigma PsiB)
    dPsiB/dt = gamma_B PsiU - PsiB (alpha_B - rho_B PsiU + sigma PsiA)
    PsiU = 1 - PsiA - PsiB

``gamma``: discovery (independent commitment), ``alpha``: abandonment, ``rho``: recruitment
by committed scouts, ``sigma``: cross-inhibition (stop signals from the other site's scouts).

With equal sites (``gamma``, ``alpha``, ``rho`` the same for both) the symmetric equilibrium
``PsiA = PsiB = x`` solves ``(2 rho + sigma) x^2 + (2 gamma + alpha - rho) x - gamma = 0``.
Along the antisymmetric direction ``(1, -1)`` its Jacobian has the eigenvalue
``rho (1 - 2x) - alpha`` (``sigma`` enters through ``x`` alone); it is negative (a stable
deadlock) for ``sigma`` below and positive (the deadlock breaks, the swarm picks one site)
above ``sigma* = 4 alpha gamma rho / (rho - alpha)^2`` (Pais et al. 2013). For
``gamma = rho = 3``, ``alpha = 1/3``: ``sigma* = 1.6875``; at ``sigma = 1`` both sites settle at
0.4585. :func:`critical_stop_rate` finds ``sigma*`` numerically from the Jacobian, without
the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

__all__ = ["CrossInhibition", "rhs", "jacobian", "solve", "symmetric_equilibrium",
           "deadlock_threshold", "largest_eigenvalue", "critical_stop_rate",
           "mean_field_rates", "SEELEY2012"]


@dataclass(frozen=True)
class CrossInhibition:
    """Rates of the two-site cross-inhibition model; ``(A, B)`` pairs.

    Examples
    --------
    >>> CrossInhibition.equal(gamma=3.0, alpha=1 / 3, rho=3.0, sigma=1.0).gamma
    (3.0, 3.0)
    """

    gamma: tuple[float, float]
    alpha: tuple[float, float]
    rho: tuple[float, float]
    sigma: float

    def __post_init__(self) -> None:
        for name in ("gamma", "alpha", "rho"):
            pair = getattr(self, name)
            if len(pair) != 2 or min(pair) < 0 or not np.all(np.isfinite(pair)):
                raise ValueError(f"{name} must be two finite non-negative rates, got {pair}")
        if not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"sigma must be a finite non-negative rate, got {self.sigma}")

    @classmethod
    def equal(cls, gamma: float, alpha: float, rho: float, sigma: float) -> CrossInhibition:
        """Two sites of equal quality."""
        return cls(gamma=(float(gamma),) * 2, alpha=(float(alpha),) * 2,
                   rho=(float(rho),) * 2, sigma=float(sigma))

    def with_sigma(self, sigma: float) -> CrossInhibition:
        """The same sites under another stop-signal rate."""
        return CrossInhibition(self.gamma, self.alpha, self.rho, float(sigma))


#: Equal sites as in Seeley et al. (2012) / Pais et al. (2013): gamma = rho = 3, alpha = 1/3.
SEELEY2012 = {"gamma": 3.0, "alpha": 1.0 / 3.0, "rho": 3.0}


def _shares_and_losses(y, model: CrossInhibition) -> tuple[float, float, float, float, float]:
    """``PsiA``, ``PsiB``, ``PsiU`` at ``y = (PsiA, PsiB)``, and the rates at which each
    site's committed scouts leave it, ``alpha - rho PsiU + sigma Psi_other`` (A, then B)."""
    a, b = y[0], y[1]
    u = 1.0 - a - b
    (aa, ab), (ra, rb), s = model.alpha, model.rho, model.sigma
    return a, b, u, aa - ra * u + s * b, ab - rb * u + s * a


def rhs(t: float, y, model: CrossInhibition) -> np.ndarray:
    """d(PsiA, PsiB)/dt."""
    a, b, u, loss_a, loss_b = _shares_and_losses(y, model)
    ga, gb = model.gamma
    return np.array([ga * u - a * loss_a, gb * u - b * loss_b])


def jacobian(y, model: CrossInhibition) -> np.ndarray:
    """The Jacobian of :func:`rhs` at ``y = (PsiA, PsiB)`` (analytic)."""
    a, b, u, loss_a, loss_b = _shares_and_losses(y, model)
    ga, gb = model.gamma
    (ra, rb), s = model.rho, model.sigma
    # d/da of  ga u - a loss_a  with du/da = du/db = -1, d loss_a/da = ra, d loss_a/db = ra + s
    return np.array([[-ga - loss_a - ra * a, -ga - a * (ra + s)],
                     [-gb - b * (rb + s), -gb - loss_b - rb * b]])


def solve(model: CrossInhibition, y0=(0.0, 0.0), t_end: float = 100.0, t_eval=None,
          rtol: float = 1e-10, atol: float = 1e-12):
    """Integrate from ``y0 = (PsiA, PsiB)`` to ``t_end`` (scipy ``solve_ivp``: LSODA with the
    analytic Jacobian; the system is mildly stiff near a deadlock, where explicit methods
    crawl).

    Examples
    --------
    >>> sol = solve(CrossInhibition.equal(sigma=1.0, **SEELEY2012), t_end=50.0)
    >>> [round(float(v), 4) for v in sol.y[:, -1]]
    [0.4585, 0.4585]
    """
    result = solve_ivp(rhs, (0.0, float(t_end)), np.asarray(y0, dtype=float),
                       method="LSODA", t_eval=t_eval, args=(model,), rtol=rtol, atol=atol,
                       jac=_jacobian_in_time)
    if not result.success:
        raise RuntimeError(f"integration failed: {result.message}")
    return result


def _jacobian_in_time(t, y, model):
    return jacobian(y, model)


def symmetric_equilibrium(gamma: float, alpha: float, rho: float, sigma: float) -> float:
    """``x = PsiA = PsiB`` at the symmetric equilibrium of two equal sites (the positive
    root of ``(2 rho + sigma) x^2 + (2 gamma + alpha - rho) x - gamma = 0``).

    Examples
    --------
    >>> round(symmetric_equilibrium(sigma=1.0, **SEELEY2012), 4)
    0.4585
    """
    a = 2.0 * rho + sigma
    b = 2.0 * gamma + alpha - rho
    if a == 0.0:
        return gamma / b
    return float((-b + np.sqrt(b * b + 4.0 * a * gamma)) / (2.0 * a))


def deadlock_threshold(alpha: float, gamma: float, rho: float) -> float:
    """``sigma* = 4 alpha gamma rho / (rho - alpha)^2`` (Pais et al. 2013): below it two
    equal sites stay deadlocked, above it the swarm picks one.

    Examples
    --------
    >>> deadlock_threshold(alpha=1 / 3, gamma=3.0, rho=3.0)
    1.6875
    """
    if rho <= alpha:
        return float("inf")  # recruitment never outweighs abandonment: no decision
    return 4.0 * alpha * gamma * rho / (rho - alpha) ** 2


def largest_eigenvalue(gamma: float, alpha: float, rho: float, sigma: float) -> float:
    """Largest real part of the Jacobian's eigenvalues at the symmetric equilibrium (computed
    numerically): negative = stable deadlock, positive = the deadlock breaks."""
    x = symmetric_equilibrium(gamma, alpha, rho, sigma)
    model = CrossInhibition.equal(gamma, alpha, rho, sigma)
    return float(np.max(np.linalg.eigvals(jacobian((x, x), model)).real))


def critical_stop_rate(gamma: float, alpha: float, rho: float, upper: float = 1e3) -> float:
    """The stop-signal rate at which the symmetric equilibrium loses stability, found by
    root-finding on :func:`largest_eigenvalue` (independent of the closed form).

    Examples
    --------
    >>> round(critical_stop_rate(**SEELEY2012), 6)
    1.6875
    """
    def f(sigma):
        return largest_eigenvalue(gamma, alpha, rho, sigma)

    if f(0.0) > 0:
        return 0.0
    if f(upper) < 0:
        return float("inf")
    return float(brentq(f, 0.0, upper, xtol=1e-13, rtol=1e-14))


def mean_field_rates(params) -> dict[str, float]:
    """Per-step rates of the ODE that the agent-based swarm (``NestSiteParams``) resembles
    in the mean field, for sites of equal quality: ``gamma = (1 - lambda) pi`` (finding a
    site alone), ``alpha = 1 / (steps a noise-free dance lasts) = 1 / ceil(q / decrement)``
    (abandonment), ``rho = lambda`` (following a dance: ``lambda f_j`` per uncommitted scout),
    and the stop signals' ``sigma`` is the swarm's ``stop_rate``. An approximation: the
    swarm runs in discrete steps, a dance lasts a fixed time rather than an exponential one,
    and it has finitely many scouts.

    Examples
    --------
    >>> from sim.models.nest_site import NestSiteParams
    >>> rates = mean_field_rates(NestSiteParams(qualities=[10, 10], interdependence=0.8))
    >>> {k: round(v, 4) for k, v in rates.items()}
    {'gamma': 0.02, 'alpha': 0.1, 'rho': 0.8}
    >>> round(deadlock_threshold(**rates), 5)
    0.01306
    """
    q = params.quality_array
    pi = params.discovery_array
    if not (np.all(q == q[0]) and np.all(pi == pi[0])):
        raise ValueError("the mean-field deadlock needs sites of equal quality and equal "
                         "discovery chance")
    steps = params.expected_dance_steps[0]
    return {"gamma": float((1.0 - params.interdependence) * pi[0]),
            "alpha": float(1.0 / steps) if np.isfinite(steps) else 0.0,
            "rho": float(params.interdependence)}

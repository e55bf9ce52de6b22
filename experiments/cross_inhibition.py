"""Cross-inhibition breaks deadlocks: stop signals in nest-site choice (Seeley et al. 2012,
Science 335:108; Pais et al. 2013, PLoS ONE 8:e73216).

What it runs
    1. The deterministic model (:mod:`sim.models.nest_site.odes`) with two equal sites over
       a grid of stop-signal rates ``sigma``: the symmetric equilibrium (closed form), the
       largest eigenvalue of the Jacobian there, and the state reached by integrating
       (scipy ``solve_ivp``) from an all-uncommitted swarm with a tiny head start for site A.
       The critical rate is found numerically (root of the eigenvalue) and compared with
       ``sigma* = 4 alpha gamma rho / (rho - alpha)^2``. Time courses at ``examples``.
    2. One stage, ``swarm``: the agent-based swarm with two equal sites and stop signals
       (``stop_rate``), for stop rates given as multiples of its mean-field threshold
       (:func:`~sim.models.nest_site.odes.mean_field_rates`), ``swarm_runs`` swarms per
       point, one swarm per run (:data:`sim.models.nest_site.measures.SWARMS`): the share
       of runs in which one site ends with at least twice the other's dancers.
What it reports
    Verdicts: the numerical threshold equals the formula (relative difference below 1e-6);
    at ``sigma = check_sigma`` both sites settle at the symmetric equilibrium (the published
    0.4585 for gamma = rho = 3, alpha = 1/3, sigma = 1); integration stays deadlocked for
    every grid rate below ``(1 - margin) sigma*`` and breaks for every rate above
    ``(1 + margin) sigma*``; in the agent-based swarm stop signals raise the share of runs
    with a strong consensus (largest rate against none, by more than two standard errors).
    ``ode.parquet``, ``swarm.parquet``, ``examples.parquet`` (the time courses), figure
    ``cross_inhibition``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, NonNegative, check_distinct
from sim.models.nest_site.measures import MAX_SITES, SWARMS_PATH, dancer_metrics
from sim.models.nest_site.odes import (
    SEELEY2012,
    CrossInhibition,
    critical_stop_rate,
    deadlock_threshold,
    largest_eigenvalue,
    mean_field_rates,
    solve,
    symmetric_equilibrium,
)
from sim.models.nest_site.params import NestSiteParams
from sim.report import reproduced_row
from sim.stats import binomial_se, normal_interval, wilson_interval
from sim.verdicts import verdict_row

__all__ = ["CrossInhibitionConfig", "Config", "run", "figures", "key_numbers"]

#: REFERENCES: equal sites with gamma = rho = 3, alpha = 1/3 settle at 0.4585 when sigma = 1.
PUBLISHED_EQUILIBRIUM = {"sigma": 1.0, "value": 0.4585, "tolerance": 5e-5}


class CrossInhibitionConfig(ExperimentConfig):
    """Config of the cross-inhibition experiment (``configs/cross_inhibition.yaml``)."""

    experiment: Literal["cross_inhibition"]
    gamma: float = Field(SEELEY2012["gamma"], gt=0, description="discovery rate")
    alpha: float = Field(SEELEY2012["alpha"], gt=0, description="abandonment rate")
    rho: float = Field(SEELEY2012["rho"], gt=0, description="recruitment rate")
    sigma_max: float = Field(4.0, gt=0, description="largest stop-signal rate of the ODE grid")
    sigma_points: int = Field(161, ge=3, description="ODE grid points from 0 to sigma_max")
    t_end: float = Field(1000.0, gt=0, description="integration time")
    head_start: float = Field(1e-3, gt=0, lt=0.5, description="initial PsiA (PsiB = 0)")
    check_sigma: float = Field(1.0, ge=0, description="rate at which the equilibrium is "
                                                      "checked")
    margin: float = Field(0.05, gt=0, lt=1, description="rates within this relative margin of "
                                                        "sigma* are not classified")
    broken: float = Field(0.01, gt=0, description="|PsiA - PsiB| above this at t_end: the "
                                                  "deadlock broke")
    examples: list[float] = Field(default_factory=lambda: [1.0, 3.0],
                                  description="rates whose time courses are drawn")
    swarm: NestSiteParams = Field(
        default_factory=lambda: NestSiteParams(qualities=[10.0, 10.0]),
        description="the agent-based swarm: two (or more) sites of equal quality")
    swarm_interdependence: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.5, 0.8], min_length=1)
    swarm_multiples: list[NonNegative] = Field(
        default_factory=lambda: [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0], min_length=2,
        description="stop rates as multiples of the swarm's mean-field threshold")
    swarm_runs: int = Field(250, ge=2, description="swarms per point")

    @model_validator(mode="after")
    def _check(self) -> CrossInhibitionConfig:
        if self.rho <= self.alpha:
            raise ValueError(f"rho ({self.rho:g}) must exceed alpha ({self.alpha:g}): "
                             "otherwise no site is ever chosen and there is no threshold")
        for name in ("interdependence", "stop_rate", "quorum"):
            if name in self.swarm.model_fields_set:
                raise ValueError(f"swarm.{name} is set by the experiment; remove it from swarm")
        q, pi = self.swarm.quality_array, self.swarm.discovery_array
        if self.swarm.n_sites > MAX_SITES:
            raise ValueError(f"swarm.qualities: at most {MAX_SITES} sites")
        if self.swarm.n_sites < 2 or not (np.all(q == q[0]) and np.all(pi == pi[0])):
            raise ValueError("swarm: the deadlock needs two or more sites of equal quality "
                             "and equal discovery chance")
        if self.swarm.decrement == 0:
            raise ValueError("swarm.decrement must be positive: dances that never end have "
                             "no abandonment rate")
        check_distinct("swarm_interdependence", self.swarm_interdependence)
        check_distinct("swarm_multiples", self.swarm_multiples)
        return self


Config = CrossInhibitionConfig


def ode_sweep(config: CrossInhibitionConfig) -> pd.DataFrame:
    """One row per stop-signal rate of the grid."""
    rows = []
    base = CrossInhibition.equal(config.gamma, config.alpha, config.rho, 0.0)
    for sigma in np.linspace(0.0, config.sigma_max, config.sigma_points):
        sol = solve(base.with_sigma(sigma), y0=(config.head_start, 0.0), t_end=config.t_end)
        a, b = sol.y[:, -1]
        rows.append({"sigma": float(sigma),
                     "symmetric_equilibrium": symmetric_equilibrium(
                         config.gamma, config.alpha, config.rho, sigma),
                     "largest_eigenvalue": largest_eigenvalue(config.gamma, config.alpha,
                                                              config.rho, sigma),
                     "final_a": float(a), "final_b": float(b),
                     "deadlocked": bool(abs(a - b) <= config.broken)})
    return pd.DataFrame(rows)


def swarm_design(config: CrossInhibitionConfig) -> tuple[Stage, pd.DataFrame]:
    """The agent-based stage (per lambda, the stop rates as multiples of its mean-field
    threshold) and a table of each point's lambda, multiple and mean-field rates."""
    points, labels = [], []
    for lam in config.swarm_interdependence:
        base = NestSiteParams(**{**config.swarm.model_dump(), "interdependence": lam})
        rates = mean_field_rates(base)
        threshold = deadlock_threshold(**rates)
        for multiple in config.swarm_multiples:
            points.append({"interdependence": lam, "stop_rate": multiple * threshold})
            labels.append({"interdependence": lam, "multiple": multiple,
                           "stop_rate": multiple * threshold, "mean_field_threshold": threshold,
                           **{f"mean_field_{k}": v for k, v in rates.items()}})
    fixed = {k: v for k, v in config.swarm.model_dump(mode="json").items()
             if k not in ("interdependence", "stop_rate")}
    # one swarm per run: the site with twice the other's dancers (-1: none), dancers per site
    stage = Stage("swarm", SWARMS_PATH, points=points, replicates=config.swarm_runs, fixed=fixed,
                  metrics=("twice",) + dancer_metrics(config.swarm.n_sites))
    return stage, pd.DataFrame(labels)


def swarm_table(runs: pd.DataFrame, labels: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    """One row per point: the share of runs with a site at twice the other's dancers (Wilson
    95 % interval), the leader's mean share of the dancers and the mean dancers at the end."""
    rows = []
    for point_id, part in runs.groupby("point_id", sort=True):
        n = len(part)
        k = int(np.count_nonzero(part.twice.to_numpy() >= 0))
        final = part[list(dancer_metrics(n_sites))].to_numpy()
        total = final.sum(axis=1)
        leader = np.where(total > 0, final.max(axis=1) / np.maximum(total, 1), np.nan)
        low, high = wilson_interval(k, n)
        rows.append({**labels.iloc[point_id].to_dict(), "runs": n, "p_twice_any": k / n,
                     "p_twice_any_low": low, "p_twice_any_high": high,
                     "leader_share": float(np.nanmean(leader)),
                     "mean_dancers": float(total.mean())})
    return pd.DataFrame(rows)


#: z of a two-sided 90 % interval (the swarm verdict's difference +- z SE).


def verdicts(ode: pd.DataFrame, swarm: pd.DataFrame, config: CrossInhibitionConfig,
             numeric: float, formula: float, check: dict) -> list[dict]:
    """The verdict rows, by the one rule of :mod:`sim.verdicts`: threshold, equilibrium,
    deadlock on the grid (formula values of Pais et al. 2013 are exact, ``[x, x]``; the
    ODE's side is deterministic up to the solver's tolerance), and per lambda the swarm
    (difference of shares +- 1.6449 SE over the runs)."""
    relative = abs(numeric - formula) / formula
    below = ode[ode.sigma < (1 - config.margin) * formula]
    above = ode[ode.sigma > (1 + config.margin) * formula]
    x = check["closed_form"]
    psi = (check["psi_a"], check["psi_b"])
    published = (f"; published {PUBLISHED_EQUILIBRIUM['value']} (Pais et al. 2013, no "
                 f"uncertainty, 4 decimals): the model is within "
                 f"{PUBLISHED_EQUILIBRIUM['tolerance']:g} of it: "
                 f"{'yes' if check['reproduced'] else 'no'}"
                 if check["published"] is not None else "")
    right = int(below.deadlocked.sum()) + int((~above.deadlocked).sum())
    total = len(below) + len(above)
    share = right / total if total else None
    out = [
        verdict_row(
            "the deadlock threshold sigma* = 4 alpha gamma rho / (rho - alpha)^2 is where the "
            "symmetric equilibrium loses stability (numerical root of the largest Jacobian "
            "eigenvalue)", formula, [formula, formula], numeric,
            [numeric * (1 - 1e-6), numeric * (1 + 1e-6)], null=None,
            data_ci_source="exact",
            note=f"data: the formula of Pais et al. (2013), exact; model: the numerical root, "
                 f"+- 1e-6 relative (the root finder's tolerance); relative difference "
                 f"{relative:.2g}"),
        verdict_row(
            f"at sigma = {config.check_sigma:g} two equal sites settle at the symmetric "
            "equilibrium (Psi_A, Psi_B after integration)", x, [x, x], psi[0],
            [min(psi) - 1e-6, max(psi) + 1e-6], null=None,
            data_ci_source="exact",
            note="data: the closed form, exact; model: both sites' end values +- 1e-6 (the "
                 f"integration's tolerance): Psi_A {psi[0]:.6f}, Psi_B {psi[1]:.6f}"
                 + published),
        verdict_row(
            f"integrated from a {config.head_start:g} head start, two equal sites stay "
            f"deadlocked for every rate below {1 - config.margin:.2f} sigma* and the deadlock "
            f"breaks for every rate above {1 + config.margin:.2f} sigma* (share of grid rates "
            "that do)", 1.0, [1.0, 1.0], share,
            None if share is None else [share, share], null=None,
            data_ci_source="exact",
            note=f"data: Pais et al. (2013), deadlocked below sigma* = {formula:.6g}, broken "
                 f"above (exact: every rate); model: deterministic ODE, deadlocked below "
                 f"{int(below.deadlocked.sum())}/{len(below)}, broken above "
                 f"{int((~above.deadlocked).sum())}/{len(above)}, smallest breaking rate "
                 + (f"{float(ode[~ode.deadlocked].sigma.min()):.6g}"
                    if (~ode.deadlocked).any() else "none")
                 + f"; t_end = {config.t_end:g}; near sigma* the eigenvalue is close to 0 and "
                   "the approach is slow, hence the margin"),
    ]
    lo, hi = min(config.swarm_multiples), max(config.swarm_multiples)
    for lam in config.swarm_interdependence:
        part = swarm[np.isclose(swarm.interdependence, lam)]
        a = part[np.isclose(part.multiple, lo)].iloc[0]
        b = part[np.isclose(part.multiple, hi)].iloc[0]
        diff = float(b.p_twice_any - a.p_twice_any)
        se = float(np.hypot(binomial_se(a.p_twice_any, int(a.runs)),
                            binomial_se(b.p_twice_any, int(b.runs))))
        smallest = 1.0 / min(int(a.runs), int(b.runs))
        out.append(verdict_row(
            f"lambda = {lam:g}: in the agent-based swarm with equal sites, stop signals raise "
            f"the share of runs with a strong consensus (one site >= 2x the other): {hi:g}x "
            f"the mean-field threshold minus {lo:g}x (difference)",
            "Seeley et al. (2012): stop signals break the deadlock between equal sites",
            [smallest, 1.0], diff, normal_interval(diff, se),
            data_ci_source="reading",
            note="Seeley et al. give a direction, no number: data_ci is this experiment's "
                 f"reading of it (a positive difference, at least 1/runs = {smallest:.3g}), "
                 f"not a published interval; model: difference +- 1.6449 SE ({lo:g}x: "
                 f"{a.p_twice_any:.3f}, {hi:g}x: {b.p_twice_any:.3f}, {int(a.runs)} runs "
                 "each); the mean-field threshold maps the swarm onto the ODE per step (gamma "
                 "= (1 - lambda) pi, alpha = 1 / dance steps, rho = lambda): an "
                 "approximation; no exact threshold is claimed for the finite, discrete-time "
                 "swarm"))
    return out


def examples_frame(examples: dict) -> pd.DataFrame:
    """The example time courses in long form (one row per rate and time), as stored in
    ``examples.parquet``."""
    return pd.concat([pd.DataFrame({"sigma": float(sigma), "t": sol.t, "psi_a": sol.y[0],
                                    "psi_b": sol.y[1]})
                      for sigma, sol in examples.items()], ignore_index=True)


def _rate(value: float) -> str:
    """A rate as a reader writes it: a simple fraction where it is one (1/3, not 0.3333).

    Examples
    --------
    >>> _rate(1 / 3), _rate(3.0), _rate(0.25), _rate(0.123456)
    ('1/3', '3', '1/4', '0.1235')
    """
    from fractions import Fraction

    fraction = Fraction(value).limit_denominator(12)
    if fraction.denominator > 1 and abs(float(fraction) - value) < 1e-9 * max(1.0, abs(value)):
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.4g}"


def draw_figure(out_dir: Path, ode: pd.DataFrame, swarm: pd.DataFrame, courses: pd.DataFrame,
                rates: dict, numeric: float, head_start: float, n_agents: int,
                provenance: dict) -> list[Path]:
    """Figure ``cross_inhibition``, drawn from the stored tables (``ode``, ``swarm``, the
    example time courses) and rates alone, so :func:`figures` can redraw it."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    fig, axes = plt.subplots(2, 2, figsize=(12, 10), layout="constrained")
    ax = axes[0, 0]
    stable = ode.largest_eigenvalue < 0
    # below sigma* both sites sit on the stable equilibrium: its line thin, over the markers
    ax.plot(ode.sigma.where(stable), ode.symmetric_equilibrium.where(stable), color="0.2",
            lw=1.0, zorder=3, label="symmetric equilibrium, stable (A and B on it)")
    ax.plot(ode.sigma.where(~stable), ode.symmetric_equilibrium.where(~stable), "--",
            color="0.2", lw=1.2, zorder=1.5, label="symmetric equilibrium, unstable")
    ax.plot(ode.sigma, ode.final_a, "o", color=PALETTE[0], ms=3, zorder=2.5,
            label="site A at the end")
    ax.plot(ode.sigma, ode.final_b, "o", color=PALETTE[1], ms=5, mfc="none", mew=1.0,
            zorder=2.6, label="site B at the end (= A below σ*)")
    ax.axvline(numeric, color="0.5", ls=":", lw=1.2)
    ax.set_xlabel("stop-signal rate σ (per unit time)")
    ax.set_ylabel("share of scouts committed (Ψ, 0 to 1)")
    ax.set_title(f"Two equal sites: the deadlock breaks at σ* = {numeric:.5g}", fontsize=11)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8.5, loc="upper left")

    ax = axes[0, 1]
    ax.plot(ode.sigma, ode.largest_eigenvalue, color=PALETTE[2], lw=2)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(numeric, color="0.5", ls=":", lw=1.2)
    ax.annotate(f"σ* = {numeric:.5g}", (numeric, 0), xytext=(8, -18),
                textcoords="offset points", fontsize=9, color="0.3")
    ax.set_xlabel("stop-signal rate σ (per unit time)")
    ax.set_ylabel("largest eigenvalue (per unit time)")
    ax.set_title("Stability of the symmetric equilibrium (> 0: unstable)", fontsize=11)

    ax = axes[1, 0]
    handles, labels = [], []
    for colour, (sigma, part) in zip(PALETTE[3:], courses.groupby("sigma", sort=True)):
        ax.plot(part.t, part.psi_a, color=colour, lw=2)
        # site B dashed with open markers on top, so it shows where it coincides with A
        ax.plot(part.t, part.psi_b, "--", color=colour, lw=1.5, marker="o", ms=4, mfc="none",
                markevery=0.06)
        same = bool(np.allclose(part.psi_a, part.psi_b, atol=0.01))
        handles.append(Line2D([], [], color=colour, lw=2))
        labels.append(f"σ = {sigma:g} ({'above' if sigma > numeric else 'below'} σ*"
                      + ("; A and B coincide)" if same else ")"))
    handles += [Line2D([], [], color="0.3", lw=2),
                Line2D([], [], color="0.3", ls="--", lw=1.5, marker="o", ms=4, mfc="none")]
    labels += ["site A (solid)", "site B (dashed, open circles)"]
    ax.set_xscale("symlog", linthresh=1.0)
    ax.xaxis.set_major_formatter(plain)
    ax.set_xlabel("time (units of 1 / rate; linear below 1, log above)")
    ax.set_ylabel("share of scouts committed (Ψ, 0 to 1)")
    ax.set_title(f"Time courses from $\\Psi_A$ = {head_start:g}, $\\Psi_B$ = 0", fontsize=11)
    ax.set_ylim(0, 1)
    ax.legend(handles, labels, fontsize=9, loc="upper left", ncol=2)

    ax = axes[1, 1]
    lambdas = sorted(swarm.interdependence.unique())
    handles, labels = [], []
    for colour, lam in zip(PALETTE, lambdas):
        part = swarm[np.isclose(swarm.interdependence, lam)].sort_values("multiple")
        ax.fill_between(part.multiple, part.p_twice_any_low, part.p_twice_any_high,
                        color=colour, alpha=0.2, lw=0)
        ax.plot(part.multiple, part.p_twice_any, "o-", color=colour, lw=2, ms=5)
        ax.plot(part.multiple, part.leader_share, ":", color=colour, lw=1.5)
        handles.append(Line2D([], [], color=colour, lw=2, marker="o", ms=5))
        labels.append(f"interdependence λ = {lam:g} (σ* = "
                      f"{part.mean_field_threshold.iloc[0]:.3g} per step)")
    handles += [Line2D([], [], color="0.3", lw=2, marker="o", ms=5),
                Line2D([], [], color="0.3", ls=":", lw=1.5)]
    labels += ["share of runs with one site at 2x the other's dancers (95 % band)",
               "leader's mean share of the dancers at the end"]
    multiples = sorted(swarm.multiple.unique())
    ax.set_xscale("symlog", linthresh=0.25)
    ax.xaxis.set_major_locator(FixedLocator(multiples))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(plain)
    ax.axvline(1.0, color="0.5", ls=":", lw=1.2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("swarm stop rate (multiples of the mean-field σ*)")
    ax.set_ylabel("share (0 to 1)")
    ax.set_title(f"Agent-based swarm: {n_agents} scouts, two equal sites\n"
                 f"({int(swarm.runs.iloc[0])} runs per point)", fontsize=11)
    ax.legend(handles, labels, fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=1, frameon=False)
    fig.suptitle("Cross-inhibition (Seeley et al. 2012; Pais et al. 2013)\nrates per unit "
                 f"time: discovery γ = {_rate(rates['gamma'])}, abandonment α = "
                 f"{_rate(rates['alpha'])}, recruitment ρ = {_rate(rates['rho'])}")
    return save(fig, out_dir / "cross_inhibition", provenance)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Draw the figure from ``ode.parquet``, ``swarm.parquet``, ``examples.parquet`` and
    the rates stored in ``summary.json``."""
    out_dir = Path(out_dir)
    files = summary["files"]["tables"]
    return draw_figure(out_dir, pd.read_parquet(out_dir / files["ode"]),
                       pd.read_parquet(out_dir / files["swarm"]),
                       pd.read_parquet(out_dir / files["examples"]), summary["rates"],
                       summary["threshold"]["numerical"], summary["settings"]["head_start"],
                       summary["swarm"]["n_agents"], summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    threshold, check = summary["threshold"], summary["equilibrium_check"]
    rows = [("deadlock threshold σ*: formula / numerical",
             f"{threshold['formula']:.6g} / {threshold['numerical']:.6g}"),
            (f"equilibrium at σ = {summary.get('settings', {}).get('check_sigma', 1.0):g}: "
             "Ψ_A, Ψ_B (closed form)",
             f"{check['psi_a']:.4f}, {check['psi_b']:.4f} ({check['closed_form']:.4f}"
             + (f"; published {check['published']}" if check.get("published") else "") + ")")]
    for v in summary.get("verdicts", []):
        model = v.get("simulation")
        if isinstance(model, dict) and "deadlocked_below" in model:
            rows.append(("ODE grid: deadlocked below / broken above σ*",
                         f"{model['deadlocked_below']} / {model['broken_above']}"))
    swarm = pd.DataFrame(summary["swarm_points"])
    lo, hi = swarm.multiple.min(), swarm.multiple.max()
    for lam in sorted(swarm.interdependence.unique()):
        part = swarm[np.isclose(swarm.interdependence, lam)]
        a = part[np.isclose(part.multiple, lo)].iloc[0]
        b = part[np.isclose(part.multiple, hi)].iloc[0]
        rows.append((f"swarm λ {lam:g}: runs with a 2x leader at {lo:g}x -> {hi:g}x σ*",
                     f"{a.p_twice_any:.3f} -> {b.p_twice_any:.3f} ({b.p_twice_any_low:.3f}-"
                     f"{b.p_twice_any_high:.3f})"))
    rows.append(reproduced_row(summary.get("verdicts", []), "effects reproduced"))
    return rows


def check_equilibrium(config: CrossInhibitionConfig) -> dict:
    """Integrate at ``check_sigma`` and compare with the closed form (and the published value
    for Seeley et al.'s rates)."""
    model = CrossInhibition.equal(config.gamma, config.alpha, config.rho, config.check_sigma)
    sol = solve(model, y0=(config.head_start, 0.0), t_end=config.t_end)
    a, b = (float(v) for v in sol.y[:, -1])
    x = symmetric_equilibrium(config.gamma, config.alpha, config.rho, config.check_sigma)
    seeley = (np.isclose(config.gamma, SEELEY2012["gamma"])
              and np.isclose(config.alpha, SEELEY2012["alpha"])
              and np.isclose(config.rho, SEELEY2012["rho"])
              and np.isclose(config.check_sigma, PUBLISHED_EQUILIBRIUM["sigma"]))
    published = PUBLISHED_EQUILIBRIUM["value"] if seeley else None
    tolerance = PUBLISHED_EQUILIBRIUM["tolerance"]
    ok = abs(a - x) < 1e-6 and abs(b - x) < 1e-6
    if published is not None:
        ok = ok and abs(a - published) < tolerance and abs(b - published) < tolerance
    return {"psi_a": a, "psi_b": b, "closed_form": x, "published": published,
            "reproduced": bool(ok)}


def run(config: CrossInhibitionConfig, engine: Engine) -> Outcome:
    """Solve the ODE part (deterministic, no engine needed) and run the swarm stage."""
    formula = deadlock_threshold(config.alpha, config.gamma, config.rho)
    numeric = critical_stop_rate(config.gamma, config.alpha, config.rho)
    engine.log(f"deadlock threshold: formula {formula:.10g}, numerical (eigenvalue root) "
               f"{numeric:.10g}")
    ode = ode_sweep(config)
    check = check_equilibrium(config)
    engine.log(f"sigma = {config.check_sigma:g}: PsiA = {check['psi_a']:.6f}, PsiB = "
               f"{check['psi_b']:.6f}, closed form {check['closed_form']:.6f}")
    examples = {}
    for sigma in config.examples:
        model = CrossInhibition.equal(config.gamma, config.alpha, config.rho, sigma)
        times = np.concatenate([[0.0], np.geomspace(1e-2, config.t_end, 400)])
        examples[sigma] = solve(model, y0=(config.head_start, 0.0), t_end=config.t_end,
                                t_eval=times)
    stage, labels = swarm_design(config)
    swarm = swarm_table(engine.run(stage), labels, config.swarm.n_sites)
    for lam in config.swarm_interdependence:
        part = swarm[np.isclose(swarm.interdependence, lam)]
        engine.log(f"swarm, lambda = {lam:g} (mean-field sigma* = "
                   f"{part.mean_field_threshold.iloc[0]:.4g} per step): strong consensus in "
                   + ", ".join(f"{p:.2f}" for p in part.p_twice_any) + " of runs at "
                   + ", ".join(f"{m:g}" for m in part.multiple) + " x sigma*")
    summary = {
        "rates": {"gamma": config.gamma, "alpha": config.alpha, "rho": config.rho},
        "settings": {"head_start": config.head_start, "t_end": config.t_end,
                     "check_sigma": config.check_sigma, "examples": list(config.examples)},
        "threshold": {"formula": formula, "numerical": numeric},
        "equilibrium_check": check,
        "examples": {f"sigma={s:g}": {"final_a": float(sol.y[0, -1]),
                                      "final_b": float(sol.y[1, -1])}
                     for s, sol in examples.items()},
        "swarm": config.swarm.model_dump(mode="json"),
        "swarm_points": swarm.to_dict(orient="records"),
    }
    return Outcome(summary=summary,
                   tables={"ode": ode, "swarm": swarm, "examples": examples_frame(examples)},
                   verdicts=verdicts(ode, swarm, config, numeric, formula, check))

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Do stop signals (cross-inhibition) let a honeybee swarm break the deadlock "
            "between two equally good nest sites, and above which stop-signal rate?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    numeric = summary.get("threshold", {}).get("numerical")
    star = f"σ* = {numeric:.4g}" if numeric is not None else "σ*"
    return {"cross_inhibition": (
        "Top left: the shares of scouts committed to each of two equal sites at the end of "
        "the integration against the stop-signal rate σ, with the symmetric equilibrium (solid "
        f"where stable, dashed where not) and the threshold {star} (dotted); top right: the "
        "largest eigenvalue at that equilibrium (above 0 the deadlock breaks); bottom left: "
        "time courses below and above σ*; bottom right: in the agent-based swarm, the share "
        "of runs in which one site has at least twice the other's dancers (95 % band) against "
        "the stop rate as a multiple of its mean-field σ*.")}

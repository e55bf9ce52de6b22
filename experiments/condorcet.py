"""Condorcet's jury theorem: simulated majorities against the binomial formula, and how
correlation between voters erodes the gain.

What it runs
    Three stages of juries through the majority-vote kernel (:mod:`sim.models.majority_vote`),
    ``juries`` juries per point, each deciding ``elections`` independent questions (model
    :data:`JURIES`: one jury per run):
    1. ``independent``: voters of competence p for each p in ``competences`` and n in
       ``jury_sizes``, against Condorcet's formula P_n(p) (even n: ties by a fair coin);
    2. ``correlated``: an opinion leader whom each voter copies with probability rho, for rho
       in ``correlations`` and n in ``correlation_jury_sizes`` (p =
       ``correlation_competence``), against the exact mixture formula
       (:func:`~sim.models.majority_vote.theory.correlated_majority_probability`);
    3. ``heterogeneous``: heterogeneous competences (``heterogeneities``: Beta or uniform
       around p), against P_n(p): drawn independently, they leave the average unchanged.
What it reports
    ``summary.json``: every point (simulated share, its standard error with juries as units,
    the exact value, z = (simulated - exact) / SE) and verdicts by the one rule of
    :mod:`sim.verdicts` (the exact formula as the data, with a zero-width interval; the
    simulation's 90 % interval, Bonferroni-corrected over every simulated-against-exact
    comparison of the experiment, so a correct model fails a row by chance in at most 10 %
    of runs): the
    formula reproduced (plus a chi-square p-value), the reference values (p = 0.6: 0.648,
    0.6826, 0.7535, 0.9791, with half a unit of their last decimal), the theorem (P rises
    from n = 1 to the largest n), correlation eroding the gain, and heterogeneity leaving it
    unchanged. ``points.parquet``: the same table. Figure
    ``condorcet``: P against n per p, and P against rho per n, simulation against formula.

Source: N. de Condorcet (1785), *Essai sur l'application de l'analyse à la probabilité des
décisions rendues à la pluralité des voix*.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, Strict, check_distinct, check_params
from sim.models.majority_vote import (
    MajorityParams,
    condorcet_probability,
    correlated_majority_probability,
    simulate_votes,
)
from sim.models.majority_vote.sweep import MODEL as VOTES
from sim.report import reproduced_row, z_fit_line
from sim.stats import binomial_se, family_z, wilson_interval, z_fit_summary
from sim.sweep.models import SweepModel
from sim.verdicts import verdict_row

__all__ = ["CondorcetConfig", "Config", "Jury", "JURIES", "run", "figures", "key_numbers"]

#: Published values of Condorcet's formula at p = 0.6 (REFERENCES: choice among options).
REFERENCE = {3: 0.648, 5: 0.6826, 11: 0.7535, 101: 0.9791}


# ---------------------------------------------------------------------------------------------
# one run: a jury deciding several questions


class Jury(MajorityParams):
    """A jury of the majority-vote model (:class:`MajorityParams`) deciding ``elections``
    independent questions with the same competences: one run of :data:`JURIES`."""

    elections: int = Field(ge=1, description="independent questions the jury decides")


def run_juries(params: Jury, seeds: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One jury per seed: the share of its elections the majority got right.

    The majority-vote model registers one election per run; a jury's elections share its
    competences, so the standard error of a share needs juries, not elections, as its units.

    Examples
    --------
    >>> out = run_juries(Jury(n_agents=1, competence=1.0, elections=3), np.array([1, 2]),
    ...                  ["share_right"])
    >>> out["share_right"].tolist()
    [1.0, 1.0]
    """
    batch = simulate_votes(params, seeds, params.elections)
    values = {"share_right": batch.majority_right.mean(axis=1)}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


JURIES = SweepModel(
    params_schema=Jury,
    run_batch=run_juries,
    metrics=("share_right",),
    default_metrics=("share_right",),
    seconds_per_run=lambda point: 2e-7 * point.get("n_agents", 11) * point.get("elections", 1),
    warm_up=VOTES.warm_up,
    example={"n_agents": 9, "competence": 0.6, "heterogeneity": "beta", "concentration": 3.0,
             "correlation": 0.3, "elections": 4},
)
"""Juries as the sweep engine runs them (``"experiments.condorcet:JURIES"``)."""
JURIES_PATH = "experiments.condorcet:JURIES"


# ---------------------------------------------------------------------------------------------
# the config


class Heterogeneity(Strict):
    """A competence distribution around the mean (its fields and ranges: MajorityParams)."""

    kind: Literal["beta", "uniform"]
    concentration: float | None = None
    spread: float | None = None


class CondorcetConfig(ExperimentConfig):
    """Config of the jury-theorem experiment (``configs/condorcet.yaml``)."""

    experiment: Literal["condorcet"]
    competences: list[float] = Field(min_length=1, description="voter competences p")
    jury_sizes: list[int] = Field(min_length=2, description="jury sizes n (>= 1)")
    juries: int = Field(400, ge=2, description="juries per point")
    elections: int = Field(50, ge=1, description="independent questions per jury")
    correlations: list[float] = Field(default_factory=list, description="leader-following "
                                                                        "probabilities rho")
    correlation_competence: float = Field(0.6, ge=0, le=1)
    correlation_jury_sizes: list[int] = Field(default_factory=list)
    heterogeneities: list[Heterogeneity] = Field(default_factory=list)
    heterogeneity_jury_size: int = Field(11, ge=1)
    heterogeneity_competence: float = Field(0.6, ge=0, le=1)

    @model_validator(mode="after")
    def _check_points(self) -> CondorcetConfig:
        for name in ("jury_sizes", "correlation_jury_sizes"):
            if any(n < 1 for n in getattr(self, name)):
                raise ValueError(f"{name}: every jury size must be at least 1")
        for name in ("competences", "jury_sizes", "correlations", "correlation_jury_sizes",
                     "heterogeneities"):
            check_distinct(name, getattr(self, name))
        for p in self.competences:
            check_params(MajorityParams, f"competences ({p})", n_agents=1, competence=p)
        for rho in self.correlations:
            check_params(MajorityParams, f"correlations ({rho})", correlation=rho)
        for h in self.heterogeneities:
            check_params(MajorityParams, f"heterogeneities ({h.kind})",
                         **self.heterogeneous_point(h), n_agents=self.heterogeneity_jury_size,
                         competence=self.heterogeneity_competence)
        if self.correlations and not self.correlation_jury_sizes:
            raise ValueError("correlation_jury_sizes: needed with correlations")
        return self

    @staticmethod
    def heterogeneous_point(h: Heterogeneity) -> dict:
        """The model's parameters of one competence distribution."""
        return {"heterogeneity": h.kind, "concentration": h.concentration, "spread": h.spread}


Config = CondorcetConfig


# ---------------------------------------------------------------------------------------------
# the simulation


def point_row(per_jury: np.ndarray, elections: int, exact: float, **labels) -> dict:
    """One point's simulated share, its SE with juries as units, and z against ``exact``."""
    juries = per_jury.size
    share = float(per_jury.mean())
    if elections == 1 or juries < 2:
        se = binomial_se(share, juries * elections)
    else:
        # a jury's elections share its competences: juries are the independent units
        se = float(per_jury.std(ddof=1) / np.sqrt(juries))
    # the SE under the exact value keeps z finite when every election went one way
    scale = max(se, binomial_se(exact, juries * elections))
    z = (share - exact) / scale if scale > 0 else (0.0 if share == exact else np.inf)
    return {**labels, "simulated": share, "se": se, "exact": exact, "z": float(z),
            "elections": int(juries * elections)}


def simulate_all(config: CondorcetConfig, engine: Engine) -> pd.DataFrame:
    """One row per point of the three stages (a stage without points is not run)."""
    fixed = {"elections": config.elections}

    def stage(name: str, points: list[dict], shared: dict) -> list[np.ndarray]:
        if not points:
            return []
        runs = engine.run(Stage(name, JURIES_PATH, points, config.juries,
                                fixed={**shared, **fixed}))
        shares = runs.groupby("point_id").share_right
        return [shares.get_group(i).to_numpy() for i in range(len(points))]

    rows = []
    independent = [{"competence": p, "n_agents": n}
                   for p in config.competences for n in config.jury_sizes]
    for point, shares in zip(independent, stage("independent", independent, {})):
        n, p = point["n_agents"], point["competence"]
        rows.append(point_row(shares, config.elections, condorcet_probability(n, p),
                              part="independent", n=n, p=p, rho=0.0, heterogeneity="none"))
    engine.log(f"independent voters: {len(rows)} points, "
               f"{config.juries * config.elections:,} elections each")
    p = config.correlation_competence
    correlated = [{"n_agents": n, "correlation": rho}
                  for n in config.correlation_jury_sizes for rho in config.correlations]
    for point, shares in zip(correlated, stage("correlated", correlated, {"competence": p})):
        n, rho = point["n_agents"], point["correlation"]
        rows.append(point_row(shares, config.elections,
                              correlated_majority_probability(n, p, rho), part="correlated",
                              n=n, p=p, rho=rho, heterogeneity="none"))
    n, p = config.heterogeneity_jury_size, config.heterogeneity_competence
    heterogeneous = [config.heterogeneous_point(h) for h in config.heterogeneities]
    for point, shares in zip(heterogeneous, stage("heterogeneous", heterogeneous,
                                                  {"n_agents": n, "competence": p})):
        rows.append(point_row(shares, config.elections, condorcet_probability(n, p),
                              part="heterogeneous", n=n, p=p, rho=0.0,
                              heterogeneity=point["heterogeneity"],
                              concentration=point["concentration"], spread=point["spread"]))
    return pd.DataFrame(rows)


def _interval(share: float, se: float, elections: int, z: float) -> list[float]:
    """share +- z SE (juries as units); Wilson over the elections when that SE is 0."""
    if se > 0:
        return [share - z * se, share + z * se]
    return list(wilson_interval(round(share * elections), elections, z=z))


def formula_row(effect: str, frame: pd.DataFrame, note: str, family: int) -> dict:
    """Simulation against an exact value at every point of ``frame``: the row shows the point
    farthest from its value in SE; the formula is the data (zero-width interval), the model's
    90 % intervals hold together for all ``family`` comparisons of the experiment
    (Bonferroni), so the row is reproduced when every point's interval holds its exact
    value."""
    z = family_z(family)
    offset = (frame.simulated - frame.exact).abs() / frame.se.where(frame.se > 0, 1e-12)
    worst = frame.loc[offset.idxmax()]
    row = verdict_row(effect, float(worst.exact), [float(worst.exact)] * 2,
                      float(worst.simulated),
                      _interval(worst.simulated, worst.se, int(worst.elections), z), null=None,
                      data_ci_source="exact",
                      note=note + f"; shown: the point farthest from its exact value, of "
                                  f"{len(frame)} (intervals: 90 % for all {family} comparisons "
                                  f"of the experiment together, z = {z:.3f})")
    row["worst_at"] = {"p": float(worst.p), "n": int(worst.n), "rho": float(worst.rho),
                       "heterogeneity": str(worst.heterogeneity)}
    row["fit"] = z_fit_summary(frame.z)
    return row


def change_row(effect: str, pairs: list[tuple[str, pd.Series, pd.Series]], note: str,
               family: int) -> dict:
    """The change from ``a`` to ``b`` of each pair (label, a, b): exact (the data, zero width)
    against simulated (+- z SE, 90 % for all ``family`` comparisons of the experiment
    together); the pair whose simulated change is farthest from the exact one in SE is
    shown."""
    z = family_z(family)
    best = None
    for label, a, b in pairs:
        exact, simulated = float(b.exact - a.exact), float(b.simulated - a.simulated)
        se = float(np.hypot(a.se, b.se))
        offset = abs(simulated - exact) / max(se, 1e-12)
        if best is None or offset > best[0]:
            best = (offset, label, exact, simulated, se)
    _, label, exact, simulated, se = best
    row = verdict_row(effect, exact, [exact, exact], simulated,
                      [simulated - z * se, simulated + z * se],
                      data_ci_source="exact",
                      note=note + f"; shown: {label} (of {len(pairs)}; intervals: 90 % for all "
                                  f"{family} comparisons of the experiment together, z = "
                                  f"{z:.3f})")
    row["shown"] = label
    return row


def verdicts(points: pd.DataFrame) -> list[dict]:
    """One row per published effect (see the module docstring), judged by the one rule
    (:mod:`sim.verdicts`): the exact values are the data (zero-width intervals), the
    simulation the model (90 % intervals from its SE, juries as units)."""
    out = []
    indep = points[points.part == "independent"]
    corr = points[points.part == "correlated"]
    het = points[points.part == "heterogeneous"]
    theorem_pairs = [(f"p = {p:g}", group.loc[group.n.idxmin()], group.loc[group.n.idxmax()])
                     for p, group in indep.groupby("p") if p > 0.5 and group.n.nunique() > 1]
    rho_pairs = [(f"n = {n}", group.loc[group.rho.idxmin()], group.loc[group.rho.idxmax()])
                 for n, group in corr.groupby("n") if group.rho.nunique() > 1]
    # every simulated-against-exact comparison below is one family (see sim.stats.family_z)
    family = len(indep) + len(theorem_pairs) + len(rho_pairs) + len(corr) + len(het)
    out.append(formula_row(
        "Condorcet's binomial formula: simulated P(majority right) agrees with it at every "
        "(p, n)", indep,
        "data: sum_{k > n/2} C(n, k) p^k (1 - p)^(n - k) (ties: a fair coin); model: the "
        "simulated share +- z SE, juries as units", family))
    ref = indep[np.isclose(indep.p, 0.6) & indep.n.isin(list(REFERENCE))]
    if len(ref):
        # the formula against the published values, rounded as published: the row shows the
        # n whose formula lies farthest from its published value in rounding units
        def half(v):  # half a unit of the last published decimal
            return 0.5 * 10.0 ** -len(f"{v}".split(".")[1])

        worst = max(ref.itertuples(), key=lambda r: abs(r.exact - REFERENCE[int(r.n)])
                    / half(REFERENCE[int(r.n)]))
        v = REFERENCE[int(worst.n)]
        row = verdict_row(
            "reference values at p = 0.6: 0.648 (n = 3), 0.6826 (5), 0.7535 (11), 0.9791 (101)",
            v, [v - half(v), v + half(v)], float(worst.exact), [float(worst.exact)] * 2,
            null=None,
            note=f"shown: n = {int(worst.n)}, of {len(ref)}; data: the published value, its "
                 "interval the rounding (half a unit of the last decimal; published without "
                 "uncertainty); model: the exact formula (zero width; the simulation's "
                 "agreement with it is the row above)")
        row["table"] = {int(r.n): {"formula": round(r.exact, 4), "simulated": r.simulated,
                                   "se": r.se, "published": REFERENCE[int(r.n)]}
                        for r in ref.itertuples()}
        out.append(row)
    if theorem_pairs:
        out.append(change_row(
            "jury theorem: for p > 1/2 the majority of the largest jury beats the smallest",
            theorem_pairs, "P(largest n) - P(smallest n); for p < 1/2 the formula falls with n "
                           "instead, p = 1/2 stays at 1/2 (those p are not in this row)",
            family))
    if len(corr):
        if rho_pairs:
            out.append(change_row(
                "correlation erodes the gain: P(majority right) falls as voters follow an "
                "opinion leader, towards the leader's competence", rho_pairs,
                "P(largest rho) - P(smallest rho); exact: mixture of binomials over the number "
                "of followers", family))
        out.append(formula_row(
            "correlated voters: simulated P(majority right) agrees with the exact mixture "
            "formula at every (rho, n)", corr,
            "data: the mixture of binomials over the number of followers; model: the "
            "simulated share +- z SE, juries as units", family))
    if len(het):
        out.append(formula_row(
            "heterogeneous competences drawn independently around p leave P(majority right) "
            "unchanged on average", het,
            "data: P_n(p) of homogeneous voters (each vote is then Bernoulli(p) "
            "independently; a given jury's probability differs: Poisson-binomial, "
            "theory.jury_probability); model: the simulated share +- z SE, juries as units",
            family))
    return out


def run(config: CondorcetConfig, engine: Engine) -> Outcome:
    """Simulate every point and compare it with its exact value."""
    points = simulate_all(config, engine)
    return Outcome(summary={"points": points.to_dict(orient="records")},
                   tables={"points": points}, verdicts=verdicts(points))


# ---------------------------------------------------------------------------------------------
# figures and key numbers


def _dodge(count: int, step: float) -> np.ndarray:
    """Offsets that set ``count`` series side by side around 0, ``step`` apart."""
    return (np.arange(count) - (count - 1) / 2) * step


def draw_figure(out_dir: Path, points: pd.DataFrame, provenance: dict) -> list[Path]:
    """Figure ``condorcet``: P(majority right) against n per p, and against rho per n, each
    over its residuals, simulated minus exact (drawn from the points table alone, so
    :func:`figures` can redraw it)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, NullLocator

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    corr = points[points.part == "correlated"]
    indep = points[points.part == "independent"]
    columns = 2 if len(corr) else 1
    fig, axes = plt.subplots(2, columns, figsize=(5.9 * columns, 6.6), squeeze=False,
                             sharex="col", height_ratios=(3, 1.4), layout="constrained")
    bar = {"fmt": "o", "ms": 5, "capsize": 2, "elinewidth": 1.2}
    residual_label = "simulated \u2212 exact\n(percentage points)"

    # independent voters: Condorcet's formula against n, one colour per competence
    ax, res = axes[0, 0], axes[1, 0]
    groups = list(indep.groupby("p"))
    shifts = np.exp(_dodge(len(groups), 0.035))  # side by side on the log axis
    handles, labels = [], []
    for colour, shift, (p, group) in zip(PALETTE, shifts, groups):
        group = group.sort_values("n")
        # the formula at every odd n (even n equals the odd n below it: ties by a coin) and
        # at the jury sizes simulated
        n_line = np.union1d(np.arange(1, group.n.max() + 1, 2), group.n.to_numpy())
        line, = ax.plot(n_line, condorcet_probability(n_line, p), "-", color=colour, lw=1.3)
        dots = ax.errorbar(group.n, group.simulated, yerr=2 * group.se, color=colour, **bar)
        res.errorbar(group.n * shift, 100 * (group.simulated - group.exact),
                     yerr=200 * group.se, color=colour, **bar)
        handles.append((line, dots))
        labels.append(f"p = {p:g}")
    handles.append(ax.axhline(0.5, color="0.5", ls=":", lw=1.2))
    labels.append("1/2 (a coin toss)")
    sizes = sorted(int(n) for n in indep.n.unique())
    for axis in (ax, res):
        axis.set_xscale("log")
        axis.xaxis.set_major_locator(FixedLocator(sizes))
        axis.xaxis.set_minor_locator(NullLocator())
    res.set_xticks(sizes, [str(n) for n in sizes])
    res.set_xlim(min(sizes) / 1.25, max(sizes) * 1.25)
    res.set_xlabel("jury size n (voters, log scale; even n: ties broken by a coin)")
    ax.set_ylabel("P(majority is right)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Independent voters: Condorcet's formula")
    ax.legend(handles, labels, title="voter competence p\n(chance a voter is right)",
              loc="lower left", fontsize=9, title_fontsize=9)

    if len(corr):
        # correlated voters: the mixture formula against rho, one colour per jury size
        ax, res = axes[0, 1], axes[1, 1]
        handles, labels = [], []
        p = corr.p.iloc[0]
        groups = list(corr.groupby("n"))
        shifts = _dodge(len(groups), 0.012)
        for colour, shift, (n, group) in zip(PALETTE[4:], shifts, groups):
            group = group.sort_values("rho")
            rho = np.linspace(0, max(group.rho.max(), 1e-9), 101)
            line, = ax.plot(rho, [correlated_majority_probability(n, p, r) for r in rho], "-",
                            color=colour, lw=1.3)
            dots = ax.errorbar(group.rho, group.simulated, yerr=2 * group.se, color=colour,
                               **bar)
            res.errorbar(group.rho + shift, 100 * (group.simulated - group.exact),
                         yerr=200 * group.se, color=colour, **bar)
            handles.append((line, dots))
            labels.append(f"n = {int(n)} voters")
        handles.append(ax.axhline(p, color="0.4", ls=":", lw=1.2))
        labels.append(f"one voter (p = {p:g})")
        res.set_xlabel("correlation \u03c1 (chance that a voter copies the opinion leader)")
        ax.set_ylabel("P(majority is right)")
        ax.set_title(f"Voters copying an opinion leader (competence p = {p:g})")
        ax.legend(handles, labels, loc="upper right", fontsize=9)
    for res in axes[1]:
        res.axhline(0, color="black", lw=1)
        res.set_ylabel(residual_label)
        low, high = res.get_ylim()
        res.set_ylim(-max(abs(low), abs(high)), max(abs(low), abs(high)))
    key = [Line2D([], [], color="0.3", lw=1.3),
           Line2D([], [], color="0.3", marker="o", ms=5, ls="none")]
    fig.legend(key, ["exact formula", "simulated: share of elections the majority got right, "
                                      "\u00b1 2 SE (juries as units)"],
               loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    return save(fig, out_dir / "condorcet", provenance)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Redraw the figure from ``points.parquet``."""
    out_dir = Path(out_dir)
    points = pd.read_parquet(out_dir / "points.parquet")
    return draw_figure(out_dir, points, summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"])
    rows = []
    indep = points[points.part == "independent"]
    for r in indep[np.isclose(indep.p, 0.6)].sort_values("n").itertuples():
        if int(r.n) in (11, 101):
            rows.append((f"P(majority right) at p 0.6, n {int(r.n)}",
                         f"{r.simulated:.3f} ± {2 * r.se:.3f} (2 SE); formula {r.exact:.4f}"))
    if len(indep):
        fit = z_fit_summary(indep.z)
        rows.append(("simulation against Condorcet's formula",
                     f"{z_fit_line(fit)}; chi-square p {fit['chi2_p']:.2f}"))
    corr = points[points.part == "correlated"]
    for n, group in corr.groupby("n"):
        group = group.sort_values("rho")
        lo, hi = group.iloc[0], group.iloc[-1]
        rows.append((f"opinion leader, n {int(n)}: P(majority right) at rho {lo.rho:g} -> "
                     f"{hi.rho:g}", f"{lo.simulated:.3f} -> {hi.simulated:.3f} (exact "
                                    f"{lo.exact:.3f} -> {hi.exact:.3f})"))
    het = points[points.part == "heterogeneous"]
    if len(het):
        rows.append((f"heterogeneous competences, n {int(het.n.iloc[0])}, mean p "
                     f"{het.p.iloc[0]:g}",
                     "; ".join(f"{r.heterogeneity} {r.simulated:.3f}" for r in het.itertuples())
                     + f" (homogeneous formula {het.exact.iloc[0]:.4f})"))
    rows.append(reproduced_row(summary.get("verdicts", [])))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Does the majority of a jury of independent voters, each right with probability "
            "p > 1/2, get more often right as the jury grows (Condorcet's jury theorem), and "
            "how much of that gain is lost when voters copy an opinion leader or differ in "
            "competence?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    juries = summary.get("provenance", {}).get("config", {}).get("juries")
    over = f" over {juries} juries" if juries else ""
    corr = [p for p in summary.get("points", []) if p.get("part") == "correlated"]
    right = ""
    if corr:
        sizes = " and ".join(str(n) for n in sorted({int(p["n"]) for p in corr}))
        right = (f"; top right: the same for juries of {sizes} voters against the correlation "
                 "\u03c1, the chance that a voter copies an opinion leader, falling towards the "
                 f"competence of one voter, p = {corr[0]['p']:g} (dotted)")
    return {"condorcet": (
        "Top left: the probability that the majority is right against the jury size n (log "
        "scale) for each voter competence p, lines the exact binomial formula and points the "
        f"simulation with error bars of \u00b1 2 SE{over}{right}; the bottom row shows the "
        "simulated minus the exact value in percentage points, \u00b1 2 SE, so a bar that "
        "crosses the black zero line agrees with the formula.")}

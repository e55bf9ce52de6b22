"""Information cascades (Bikhchandani, Hirshleifer & Welch 1992): how often a sequence of
rational agents herds on the wrong choice, simulation against the closed form.

What it runs
    Stage ``sequences``: the cascade model (:mod:`sim.models.cascades`, one sequence of
    ``sequence.n_agents`` agents per run), ``replicates`` sequences per signal precision p in
    ``precisions`` and per tie rule in ``tie_rules`` (``coin``: an indifferent agent flips a
    fair coin, BHW's convention; ``own_signal``: she follows her signal).
What it reports
    ``summary.json``: per point the shares of sequences ending in the wrong cascade, the
    right one and none, the exact finite-n values (:mod:`sim.models.cascades.theory`) and the
    limit (1 - p)(2 - p) / [2 (1 - p + p^2)] (coin ties; 0.368 at p = 0.6, 0.143 at 0.8),
    z-scores, the mean number of agents acting before the cascade against 2 / (1 - back);
    verdicts by the one rule of :mod:`sim.verdicts` (the formula as the data with a
    zero-width interval, the simulation's 90 % interval, Bonferroni-corrected over every
    simulated-against-exact comparison of the experiment, so a correct model fails a row by
    chance in at most 10 % of runs); the settings the figure needs.
    ``points.parquet`` (one row per point) and ``sequences.parquet`` (one row per simulated
    sequence: its seed, which cascade it ended in and when that began; every run is also in
    ``runs/sequences``). Figure ``cascades``: the share of wrong cascades against p, and the
    distribution of cascade start times against the geometric law.

Source: S. Bikhchandani, D. Hirshleifer & I. Welch (1992), "A theory of fads, fashion, custom,
and cultural change as informational cascades", *J Political Economy* 100:992-1026.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, check_distinct, check_params, reject_swept_settings
from sim.models.cascades import CascadeParams
from sim.models.cascades.theory import (
    cascade_start_distribution,
    mean_cascade_start,
    no_cascade_probability,
    wrong_cascade_probability,
)
from sim.report import reproduced_row, z_fit_line
from sim.stats import binomial_se, family_z, normal_interval, wilson_interval, z_fit_summary
from sim.verdicts import verdict_row

__all__ = ["CascadesConfig", "Config", "run", "figures", "key_numbers"]

#: BHW's limit at the reference precisions (REFERENCES: choice among options).
REFERENCE = {0.6: 0.368, 0.8: 0.143}
#: What the analysis needs of every sequence (the cascade model's metrics).
OUTCOMES = ("wrong_cascade", "right_cascade", "no_cascade", "cascade_start")
SWEPT = ("precision", "tie_rule")


class CascadesConfig(ExperimentConfig):
    """Config of the cascade experiment (``configs/cascades.yaml``).

    ``sequence`` holds the cascade model's parameters that all points share (its own schema,
    :class:`sim.models.cascades.CascadeParams`); ``precisions`` and ``tie_rules`` sweep the
    rest.
    """

    experiment: Literal["cascades"]
    sequence: CascadeParams = Field(default_factory=CascadeParams,
                                    description="the sequence every point shares")
    precisions: list[float] = Field(min_length=2, description="signal precisions p in "
                                                              "(0.5, 1]")
    tie_rules: list[Literal["coin", "own_signal"]] = Field(["coin"], min_length=1)
    replicates: int = Field(5000, ge=10, description="sequences per point")
    start_precisions: list[float] = Field(default_factory=list,
                                          description="precisions whose start-time "
                                                      "distribution is drawn")

    @model_validator(mode="after")
    def _check(self) -> CascadesConfig:
        reject_swept_settings(self.sequence, "sequence", {name: f"{name}s" for name in SWEPT})
        check_distinct("precisions", self.precisions)
        check_distinct("tie_rules", self.tie_rules)
        for p in self.precisions:
            check_params(CascadeParams, f"precisions ({p})", n_agents=self.sequence.n_agents,
                         precision=p)
        missing = [p for p in self.start_precisions if p not in self.precisions]
        if missing:
            raise ValueError(f"start_precisions: {missing} not among precisions")
        return self

    def base(self) -> dict:
        """The sequence's parameters as the points share them (``fixed`` of the stage)."""
        return self.sequence.model_dump(mode="json", exclude=set(SWEPT))


Config = CascadesConfig


def simulate_all(config: CascadesConfig, engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per point (tie rules, then precisions) and one per sequence."""
    points = [{"tie_rule": t, "precision": p} for t in config.tie_rules for p in config.precisions]
    runs = engine.run(Stage("sequences", "cascades", points, config.replicates,
                            fixed=config.base(), metrics=OUTCOMES))
    n_agents, n = config.sequence.n_agents, config.replicates
    rows = []
    for point_id, point in enumerate(points):
        p, tie_rule = point["precision"], point["tie_rule"]
        batch = runs[runs.point_id == point_id]
        wrong = float(batch.wrong_cascade.mean())
        exact = wrong_cascade_probability(p, n_agents, tie_rule)
        se_null = binomial_se(exact, n)
        started = batch.cascade_start.dropna().to_numpy()
        rows.append({
            "tie_rule": tie_rule, "precision": p, "replicates": n,
            "wrong": wrong, "right": float(batch.right_cascade.mean()),
            "none": float(batch.no_cascade.mean()),
            "se": binomial_se(wrong, n),
            "exact_wrong": exact,
            "limit_wrong": wrong_cascade_probability(p, None, tie_rule),
            "bhw_formula": wrong_cascade_probability(p, None, "coin"),
            "exact_none": no_cascade_probability(p, n_agents, tie_rule),
            "z": float((wrong - exact) / se_null) if se_null > 0 else 0.0,
            "z_vs_bhw": float((wrong - wrong_cascade_probability(p, None))
                              / max(se_null, 1e-12)),
            "mean_start": float(started.mean()) if started.size else np.nan,
            "se_start": float(started.std(ddof=1) / np.sqrt(started.size))
            if started.size > 1 else np.nan,
            "exact_mean_start": mean_cascade_start(p, tie_rule),
        })
    sequences = runs[["tie_rule", "precision", "replicate", "seed", *OUTCOMES]]
    return pd.DataFrame(rows), sequences.reset_index(drop=True)


def _at_precision(points: pd.DataFrame, p: float) -> pd.Series | None:
    """The row of ``points`` at precision ``p`` (None when there is none)."""
    row = points[np.isclose(points.precision, p)]
    return row.iloc[0] if len(row) else None


def _wilson(share: float, n: int, z: float) -> list[float]:
    return list(wilson_interval(round(share * n), int(n), z=z))


def _worst(frame: pd.DataFrame, value: str, exact: str, se: str) -> pd.Series:
    offset = (frame[value] - frame[exact]).abs() / frame[se].where(frame[se] > 0, 1e-12)
    return frame.loc[offset.idxmax()]


def verdicts(points: pd.DataFrame) -> list[dict]:
    """One row per published effect (see the module docstring), judged by the one rule
    (:mod:`sim.verdicts`): the exact values are the data (zero-width intervals), the
    simulation the model (90 % Wilson intervals over the sequences for shares, mean +- z SE
    for means; all comparisons of the experiment hold together, Bonferroni, and a row shows
    the precision farthest from its exact value)."""
    out = []
    coin = points[points.tie_rule == "coin"]
    own = points[points.tie_rule == "own_signal"]
    started = coin[coin.se_start.notna()]
    # every simulated-against-exact comparison below is one family (see sim.stats.family_z)
    family = len(coin) + (1 if len(coin) else 0) + len(started) + len(own)
    z = family_z(family)
    together = f"90 % for all {family} comparisons of the experiment together, z = {z:.3f}"
    if len(coin):
        worst = _worst(coin, "wrong", "exact_wrong", "se")
        row = verdict_row(
            "BHW: with coin-flip ties the share of wrong cascades matches "
            "(1 - p)(2 - p) / [2 (1 - p + p^2)] at every p",
            float(worst.exact_wrong), [float(worst.exact_wrong)] * 2, float(worst.wrong),
            _wilson(worst.wrong, worst.replicates, z), null=None,
            data_ci_source="exact",
            note=f"shown: p = {worst.precision:g}, of {len(coin)} ({together}); "
                 f"compared with the exact value after n agents, which differs "
                 "from the limit by less than (p - p^2)^(n/2)")
        row["fit"] = {**z_fit_summary(coin.z), "worst_at_precision": float(worst.precision)}
        out.append(row)
        ref = [(p, r) for p in REFERENCE if (r := _at_precision(coin, p)) is not None]
        if ref:
            p, r = max(ref, key=lambda item: abs(item[1].limit_wrong - REFERENCE[item[0]]))
            v = REFERENCE[p]
            row = verdict_row(
                "reference values: 0.368 at p = 0.6, 0.143 at p = 0.8", v,
                [v - 5e-4, v + 5e-4], float(r.limit_wrong), [float(r.limit_wrong)] * 2,
                null=None,
                note=f"shown: p = {p:g}, of {len(ref)}; data: the published value, its interval "
                     "the rounding to 3 decimals (published without uncertainty); model: the "
                     "limit formula (zero width; the simulation's agreement with the exact "
                     "values is the row above)")
            row["table"] = {f"p={p:g}": {"formula": round(r.limit_wrong, 3),
                                         "simulated": r.wrong, "se": r.se}
                            for p, r in ref}
            out.append(row)
        ordered = coin.sort_values("precision")
        low, high = ordered.iloc[0], ordered.iloc[-1]
        exact = float(high.exact_wrong - low.exact_wrong)
        change = float(high.wrong - low.wrong)
        se = float(np.hypot(low.se, high.se))
        out.append(verdict_row(
            "more precise signals make wrong cascades rarer", exact, [exact, exact], change,
            normal_interval(change, se, z),
            data_ci_source="exact",
            note=f"share at p = {high.precision:g} minus share at p = {low.precision:g}; "
                 f"model: the simulated change +- z SE ({together})"))
        if len(started):
            worst = _worst(started, "mean_start", "exact_mean_start", "se_start")
            mean, se = float(worst.mean_start), float(worst.se_start)
            row = verdict_row(
                "cascades start early: the mean number of agents acting before the cascade is "
                "2 / (1 - p + p^2) (2.63 at p = 0.6)", float(worst.exact_mean_start),
                [float(worst.exact_mean_start)] * 2, mean, [mean - z * se, mean + z * se],
                null=None,
                data_ci_source="exact",
                note=f"shown: p = {worst.precision:g}, of {len(started)} (mean +- z SE, "
                     f"{together}); the infinite-sequence mean; truncation "
                     "at n agents is negligible here")
            row["fit"] = z_fit_summary((started.mean_start - started.exact_mean_start)
                                       / started.se_start)
            out.append(row)
    if len(own):
        worst = _worst(own, "wrong", "exact_wrong", "se")
        exact = float(worst.exact_wrong - worst.bhw_formula)
        low, high = _wilson(worst.wrong, worst.replicates, z)
        row = verdict_row(
            "tie rule matters: agents who follow their own signal when indifferent end in the "
            "wrong cascade with (1 - p)^2 / [p^2 + (1 - p)^2], less often than BHW's formula",
            exact, [exact, exact], float(worst.wrong - worst.bhw_formula),
            [low - worst.bhw_formula, high - worst.bhw_formula],
            data_ci_source="exact",
            note=f"share minus BHW's formula; shown: p = {worst.precision:g}, of {len(own)} "
                 f"(Wilson, {together}); this is why the model uses "
                 "BHW's coin-flip convention by default")
        row["fit"] = {"max_abs_z_own": float(own.z.abs().max()),
                      "max_abs_z_vs_bhw": float(own.z_vs_bhw.abs().max())}
        out.append(row)
    return out


def run(config: CascadesConfig, engine: Engine) -> Outcome:
    """Simulate every point and compare it with the exact values."""
    points, sequences = simulate_all(config, engine)
    engine.log(f"{len(points)} points x {config.replicates:,} sequences of "
               f"{config.sequence.n_agents} agents")
    settings = {"n_agents": config.sequence.n_agents, "tie_rules": list(config.tie_rules),
                "start_precisions": list(config.start_precisions),
                "replicates": config.replicates}
    return Outcome(summary={"settings": settings, "points": points.to_dict(orient="records")},
                   tables={"points": points, "sequences": sequences},
                   verdicts=verdicts(points))


# ---------------------------------------------------------------------------------------------
# figures and key numbers


TIE_LABELS = {"coin": "coin-flip ties (Bikhchandani et al.)",
              "own_signal": "ties broken by the agent's own signal"}
TIE_SHORT = {"coin": "coin-flip ties", "own_signal": "own-signal ties"}
FORMULA_LABELS = {"coin": r"$(1-p)(2-p)\,/\,[2(1-p+p^2)]$",
                  "own_signal": r"$(1-p)^2\,/\,[p^2+(1-p)^2]$"}


def draw_figure(out_dir: Path, points: pd.DataFrame, sequences: pd.DataFrame, n_agents: int,
                tie_rules: list[str], start_precisions: list[float],
                provenance: dict) -> list[Path]:
    """Figure ``cascades``: wrong cascades against p, and when cascades start (drawn from the
    stored tables and settings alone, so :func:`figures` can redraw it)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogFormatterMathtext

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    panels = 2 if start_precisions else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.9 * panels, 4.9), squeeze=False,
                             layout="constrained")
    ax = axes[0, 0]
    grid = np.linspace(0.501, 0.999, 200)
    handles, labels = [], []
    for colour, (tie_rule, group) in zip(PALETTE, points.groupby("tie_rule", sort=False)):
        line, = ax.plot(grid, [wrong_cascade_probability(p, None, tie_rule) for p in grid],
                        "-", color=colour, lw=1.3)
        dots = ax.errorbar(group.precision, group.wrong, yerr=2 * group.se, fmt="o",
                           color=colour, ms=5, capsize=2)
        handles.append((line, dots))
        labels.append(f"{TIE_LABELS.get(tie_rule, tie_rule)}\n{FORMULA_LABELS.get(tie_rule, '')}")
    ax.set_xlabel("signal precision p (chance a private signal is right)")
    ax.set_ylabel("share of sequences ending in the wrong cascade")
    ax.set_xlim(0.5, 1.0)
    ax.set_ylim(0, None)
    ax.set_title(f"Wrong cascades in sequences of {n_agents} agents")
    ax.legend(handles, labels, fontsize=9, loc="upper right",
              title="lines: formula (many agents)\npoints: simulated, \u00b1 2 SE",
              title_fontsize=9)
    if panels == 2:
        ax = axes[0, 1]
        tie_rule = tie_rules[0]
        chosen = sequences[sequences.tie_rule == tie_rule]
        width = 0.8 / len(start_precisions)
        handles, labels = [], []
        for i, (colour, p) in enumerate(zip(PALETTE, start_precisions)):
            starts = chosen[np.isclose(chosen.precision, p)].cascade_start
            starts = starts.dropna()  # NaN: the sequence never cascaded
            agents, prob = cascade_start_distribution(p, 12, tie_rule)
            counts = np.array([(starts == a).sum() for a in agents])
            observed = counts / max(len(starts), 1)
            # Wilson intervals (95 %): never below 0 on the log axis
            low, high = np.array([wilson_interval(int(c), len(starts)) for c in counts]).T
            x = agents + (i - (len(start_precisions) - 1) / 2) * width * 2
            bars = ax.bar(x, observed, width=2 * width, color=colour, alpha=0.55)
            # (clipped: rounding can put a bound a hair inside the share)
            yerr = np.clip([observed - low, high - observed], 0, None)
            ax.errorbar(x, observed, yerr=yerr, fmt="none",
                        ecolor="0.2", elinewidth=1, capsize=2)
            line, = ax.plot(x, prob, "o--", color=colour, ms=4, mec="0.2", mew=0.6)
            handles += [bars, line]
            labels += [f"p = {p:g}: simulated, 95 % interval", f"p = {p:g}: geometric law"]
        ax.set_xticks(agents)
        ax.set_xlabel("number of agents acting before the cascade starts")
        ax.set_ylabel("share of cascading sequences (log scale)")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(LogFormatterMathtext())
        ax.set_ylim(None, 6)  # room for the legend above the tallest bars
        ax.set_title(f"When cascades start ({TIE_SHORT.get(tie_rule, tie_rule)})")
        ax.legend(handles, labels, fontsize=9, loc="upper right")
    return save(fig, out_dir / "cascades", provenance)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Redraw the figure from ``points.parquet``, ``sequences.parquet`` and the settings
    stored in ``summary.json``."""
    out_dir = Path(out_dir)
    settings = summary["settings"]
    points = pd.read_parquet(out_dir / "points.parquet")
    sequences = (pd.read_parquet(out_dir / "sequences.parquet")
                 if settings["start_precisions"] else pd.DataFrame())
    return draw_figure(out_dir, points, sequences, settings["n_agents"],
                       settings["tie_rules"], settings["start_precisions"],
                       summary.get("provenance", {}))


#: Key numbers of the wrong cascades at the reference precisions, per tie rule: its label
#: and the point's numbers.
WRONG_CASCADE_NUMBERS = {
    "coin": ("coin ties", lambda r: f"{r.wrong:.3f} ± {2 * r.se:.3f} (2 SE); BHW limit "
                                    f"{r.limit_wrong:.3f}"),
    "own_signal": ("own-signal ties", lambda r: f"{r.wrong:.3f} ± {2 * r.se:.3f}; own-signal "
                                                f"formula {r.exact_wrong:.3f} (BHW "
                                                f"{r.bhw_formula:.3f})"),
}


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"])
    n_agents = summary.get("settings", {}).get("n_agents")
    rows = []
    for tie_rule, (label, numbers) in WRONG_CASCADE_NUMBERS.items():
        for p in REFERENCE:
            r = _at_precision(points[points.tie_rule == tie_rule], p)
            if r is not None:
                rows.append((f"wrong cascades at p {p:g}, {label}", numbers(r)))
    coin = points[points.tie_rule == "coin"]
    if len(coin):
        rows.append(("coin ties against the exact values",
                     z_fit_line(z_fit_summary(coin.z), "precisions")))
        r = _at_precision(coin, 0.6)
        if r is not None:
            rows.append(("agents acting before the cascade, p 0.6 (mean)",
                         f"{r.mean_start:.2f} ± {2 * r.se_start:.2f}; theory "
                         f"{r.exact_mean_start:.2f}"))
        rows.append(("sequences per point" + (f" ({n_agents} agents each)" if n_agents else ""),
                     f"{int(coin.replicates.iloc[0]):,}"))
    rows.append(reproduced_row(summary.get("verdicts", [])))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("How often does a sequence of rational agents, each with a private signal right "
            "with probability p, herd on the wrong choice in an information cascade, and does "
            "the simulation match Bikhchandani, Hirshleifer & Welch's closed form?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    settings = summary.get("settings", {})
    n_agents = settings.get("n_agents")
    points = summary.get("points", [])
    replicates = points[0].get("replicates") if points else None
    counted = f", {int(replicates):,} simulated per point" if replicates else ""
    agents = f" of {n_agents} agents" if n_agents else ""
    right = ("; right: how many agents act before the cascade starts, as the share of "
             "cascading sequences (bars with 95 % Wilson intervals, log scale) against the "
             "geometric law (dots joined by dashes), one colour per signal precision"
             if settings.get("start_precisions") else "")
    return {"cascades": (
        f"Left: the share of sequences{agents} that end in the wrong cascade{counted}, "
        "against the signal precision p (the chance that a private signal is right), points "
        "simulated with error bars of \u00b1 2 SE and lines the closed-form limit for many "
        f"agents, one colour per way of breaking ties{right}.")}

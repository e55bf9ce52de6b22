"""Information cascades (Bikhchandani, Hirshleifer & Welch 1992): how often a sequence of
rational agents herds on the wrong choice, simulation against the closed form.

What it runs
    Through the cascade kernel (:mod:`sim.models.cascades`), ``replicates`` sequences of
    ``n_agents`` agents per signal precision p in ``precisions`` and per tie rule in
    ``tie_rules`` (``coin``: an indifferent agent flips a fair coin, BHW's convention;
    ``own_signal``: she follows her signal).
What it reports
    ``summary.json``: per point the shares of sequences ending in the wrong cascade, the
    right one and none, the exact finite-n values (:mod:`sim.models.cascades.theory`) and the
    limit (1 - p)(2 - p) / [2 (1 - p + p^2)] (coin ties; 0.368 at p = 0.6, 0.143 at 0.8),
    z-scores (checked against a Bonferroni-corrected 3-SE band), the mean number of agents
    acting before the cascade against 2 / (1 - back); verdicts; the settings the figure needs.
    ``points.parquet`` (one row per point) and ``sequences.parquet`` (one row per simulated
    sequence: state, cascade, start). Figure ``cascades``: the share of wrong cascades
    against p, and the distribution of cascade start times against the geometric law.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator
from scipy.stats import chi2, norm

from sim.config import ConfigError, ExperimentConfig, describe_error
from sim.io import write_json, write_parquet
from sim.models.cascades import CascadeParams, simulate_cascades
from sim.models.cascades.theory import (cascade_start_distribution, mean_cascade_start,
                                        no_cascade_probability, wrong_cascade_probability)
from sim.report import verdict_lines
from sim.seeding import replicate_seeds

__all__ = ["CascadesConfig", "figures", "key_numbers", "run"]

#: BHW's limit at the reference precisions (REFERENCES: choice among options).
REFERENCE = {0.6: 0.368, 0.8: 0.143}
Z_LIMIT = 3.0
#: Family-wise false-alarm rate of the multi-point checks: that of one 3-SE test.
FAMILY_ALPHA = 0.0027


class CascadesConfig(ExperimentConfig):
    """Config of the cascade experiment (``configs/cascades.yaml``)."""

    experiment: Literal["cascades"]
    n_agents: int = Field(100, ge=2, description="agents per sequence")
    precisions: list[float] = Field(min_length=2, description="signal precisions p in "
                                                              "(0.5, 1]")
    tie_rules: list[Literal["coin", "own_signal"]] = Field(["coin"], min_length=1)
    replicates: int = Field(5000, ge=10, description="sequences per point")
    start_precisions: list[float] = Field(default_factory=list,
                                          description="precisions whose start-time "
                                                      "distribution is drawn")

    @model_validator(mode="after")
    def _check(self) -> CascadesConfig:
        for p in self.precisions:
            try:
                CascadeParams(n_agents=self.n_agents, precision=p)
            except ValidationError as exc:
                raise ValueError(f"precisions ({p}): "
                                 f"{describe_error(exc, CascadeParams)}") from None
        missing = [p for p in self.start_precisions if p not in self.precisions]
        if missing:
            raise ValueError(f"start_precisions: {missing} not among precisions")
        return self


Config = CascadesConfig


def family_limit(k: int) -> float:
    """|z| bound for k points with the false-alarm rate of one 3-SE test (0.27 %) for the
    whole family (Bonferroni): 3.0 for one point, about 3.9 for 32."""
    return float(norm.isf(FAMILY_ALPHA / (2 * max(k, 1))))


def fit_summary(z) -> dict:
    """max |z|, its family-wise bound, and the chi-square goodness of fit of all points."""
    z = np.asarray(z, dtype=float)
    chi2_value = float(np.sum(z ** 2))
    return {"points": int(z.size), "max_abs_z": float(np.max(np.abs(z))),
            "z_limit": family_limit(z.size), "chi2": chi2_value,
            "chi2_p": float(chi2.sf(chi2_value, z.size))}


def simulate_all(config: CascadesConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per point and one per sequence."""
    points, sequences = [], []
    for t, tie_rule in enumerate(config.tie_rules):
        for k, p in enumerate(config.precisions):
            params = CascadeParams(n_agents=config.n_agents, precision=p, tie_rule=tie_rule)
            batch = simulate_cascades(params, replicate_seeds(config.seed, config.replicates,
                                                              key_prefix=(t, k)))
            n = config.replicates
            exact = wrong_cascade_probability(p, config.n_agents, tie_rule)
            se_null = np.sqrt(exact * (1 - exact) / n)
            started = batch.cascade_start[batch.cascade_start >= 0]
            points.append({
                "tie_rule": tie_rule, "precision": p, "replicates": n,
                "wrong": batch.share_wrong, "right": batch.share_right,
                "none": batch.share_none,
                "se": float(np.sqrt(batch.share_wrong * (1 - batch.share_wrong) / n)),
                "exact_wrong": exact,
                "limit_wrong": wrong_cascade_probability(p, None, tie_rule),
                "bhw_formula": wrong_cascade_probability(p, None, "coin"),
                "exact_none": no_cascade_probability(p, config.n_agents, tie_rule),
                "z": float((batch.share_wrong - exact) / se_null) if se_null > 0 else 0.0,
                "z_vs_bhw": float((batch.share_wrong - wrong_cascade_probability(p, None))
                                  / max(se_null, 1e-12)),
                "mean_start": float(started.mean()) if started.size else np.nan,
                "se_start": float(started.std(ddof=1) / np.sqrt(started.size))
                if started.size > 1 else np.nan,
                "exact_mean_start": mean_cascade_start(p, tie_rule),
            })
            sequences.append(pd.DataFrame({
                "tie_rule": tie_rule, "precision": p, "replicate": np.arange(n),
                "seed": batch.seeds, "state": batch.state, "cascade": batch.cascade,
                "cascade_start": batch.cascade_start, "wrong": batch.wrong}))
    return pd.DataFrame(points), pd.concat(sequences, ignore_index=True)


def verdicts(points: pd.DataFrame) -> list[dict]:
    out = []
    coin = points[points.tie_rule == "coin"]
    if len(coin):
        worst = coin.loc[coin.z.abs().idxmax()]
        fit = fit_summary(coin.z)
        out.append({
            "effect": "BHW: with coin-flip ties the share of wrong cascades matches "
                      "(1 - p)(2 - p) / [2 (1 - p + p^2)] at every p",
            "data": {"precision": coin.precision.tolist(),
                     "exact_wrong": coin.exact_wrong.tolist()},
            "simulation": {"wrong": coin.wrong.tolist(), **fit,
                           "worst_at_precision": float(worst.precision)},
            "reproduced": bool(fit["max_abs_z"] <= fit["z_limit"]),
            "note": "compared with the exact value after n agents, which differs from the "
                    "limit by less than (p - p^2)^(n/2); every |z| within the "
                    "Bonferroni-corrected 3-SE band; chi2_p: goodness of fit",
        })
        ref = {}
        for p, published in REFERENCE.items():
            row = coin[np.isclose(coin.precision, p)]
            if len(row):
                row = row.iloc[0]
                ref[f"p={p:g}"] = {"formula": round(row.limit_wrong, 3),
                                   "simulated": row.wrong, "se": row.se}
        if ref:
            out.append({
                "effect": "reference values: 0.368 at p = 0.6, 0.143 at p = 0.8",
                "data": {"published": {f"p={p:g}": v for p, v in REFERENCE.items()}},
                "simulation": ref,
                "reproduced": bool(all(
                    abs(v["formula"] - REFERENCE[float(k[2:])]) < 5e-4
                    and abs(v["simulated"] - REFERENCE[float(k[2:])]) <= Z_LIMIT * v["se"] + 5e-4
                    for k, v in ref.items())),
                "note": "formula rounded to 3 decimals equals the published value; "
                        "simulation within 3 SE",
            })
        ordered = coin.sort_values("precision")
        out.append({
            "effect": "more precise signals make wrong cascades rarer",
            "data": {"precision": ordered.precision.tolist(),
                     "exact_wrong": ordered.exact_wrong.tolist()},
            "simulation": {"precision": ordered.precision.tolist(),
                           "wrong": ordered.wrong.tolist()},
            "reproduced": bool(ordered.wrong.iloc[0] - ordered.wrong.iloc[-1]
                               > Z_LIMIT * np.hypot(ordered.se.iloc[0], ordered.se.iloc[-1])),
            "note": "smallest against largest precision",
        })
        z_start = (coin.mean_start - coin.exact_mean_start) / coin.se_start
        out.append({
            "effect": "cascades start early: the mean number of agents acting before the "
                      "cascade is 2 / (1 - p + p^2) (2.63 at p = 0.6)",
            "data": {"precision": coin.precision.tolist(),
                     "exact_mean_start": coin.exact_mean_start.tolist()},
            "simulation": {"mean_start": coin.mean_start.tolist(), **fit_summary(z_start)},
            "reproduced": bool(z_start.abs().max() <= family_limit(len(z_start))),
            "note": "the infinite-sequence mean; truncation at n agents is negligible here",
        })
    own = points[points.tie_rule == "own_signal"]
    if len(own):
        out.append({
            "effect": "tie rule matters: agents who follow their own signal when indifferent "
                      "end in the wrong cascade with (1 - p)^2 / [p^2 + (1 - p)^2], not BHW's "
                      "formula",
            "data": {"precision": own.precision.tolist(),
                     "exact_own_signal": own.exact_wrong.tolist(),
                     "bhw_formula": own.bhw_formula.tolist()},
            "simulation": {"wrong": own.wrong.tolist(),
                           "max_abs_z_own": float(own.z.abs().max()),
                           "max_abs_z_vs_bhw": float(own.z_vs_bhw.abs().max())},
            "reproduced": bool(own.z.abs().max() <= family_limit(len(own))
                               and own.z_vs_bhw.abs().max() > Z_LIMIT),
            "note": "this is why the model uses BHW's coin-flip convention by default",
        })
    return out




TIE_LABELS = {"coin": "coin-flip ties (BHW)", "own_signal": "own-signal ties"}
FORMULA_LABELS = {"coin": r"$(1-p)(2-p)\,/\,[2(1-p+p^2)]$",
                  "own_signal": r"$(1-p)^2\,/\,[p^2+(1-p)^2]$"}


def draw_figure(out_dir: Path, points: pd.DataFrame, sequences: pd.DataFrame, n_agents: int,
                tie_rules: list[str], start_precisions: list[float],
                provenance: dict) -> list[str]:
    """Figure ``cascades``: wrong cascades against p, and when cascades start (drawn from the
    stored tables and settings alone, so :func:`figures` can redraw it)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogFormatterMathtext

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    panels = 2 if start_precisions else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.8 * panels, 4.6), squeeze=False)
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
    ax.set_ylabel("share of sequences in the wrong cascade")
    ax.set_xlim(0.5, 1.0)
    ax.set_ylim(0, None)
    ax.set_title(f"Wrong cascades after {n_agents} agents")
    ax.legend(handles, labels, fontsize=10, loc="upper right",
              title="lines: limit; points: simulated ± 2 SE", title_fontsize=8.5)
    if panels == 2:
        ax = axes[0, 1]
        tie_rule = tie_rules[0]
        chosen = sequences[sequences.tie_rule == tie_rule]
        width = 0.8 / len(start_precisions)
        handles, labels = [], []
        for i, (colour, p) in enumerate(zip(PALETTE, start_precisions)):
            starts = chosen[np.isclose(chosen.precision, p)].cascade_start
            starts = starts[starts >= 0]
            agents, prob = cascade_start_distribution(p, 12, tie_rule)
            observed = np.array([(starts == a).mean() for a in agents])
            bars = ax.bar(agents + (i - (len(start_precisions) - 1) / 2) * width * 2,
                          observed, width=2 * width, color=colour, alpha=0.55)
            line, = ax.plot(agents, prob, "o--", color=colour, ms=4)
            handles.append((bars, line))
            labels.append(f"p = {p:g}")
        ax.set_xticks(agents)
        ax.set_xlabel("agents acting before the cascade starts")
        ax.set_ylabel("share of sequences (log scale)")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(LogFormatterMathtext())
        ax.set_title(f"When cascades start: {TIE_LABELS.get(tie_rule, tie_rule)}")
        ax.legend(handles, labels, fontsize=10, loc="upper right",
                  title="bars: simulated; dashed: geometric law", title_fontsize=8.5)
    fig.tight_layout()
    return [str(path) for path in save(fig, out_dir / "cascades", provenance)]


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw the figure from ``points.parquet``, ``sequences.parquet`` and the settings
    stored in ``summary.json``."""
    out_dir = Path(out_dir)
    settings = summary.get("settings")
    if settings is None:  # results from before the settings were stored: use the config
        raw = summary.get("provenance", {}).get("config")
        if not raw:
            raise ConfigError(f"{out_dir}: written by an older crowdsim without the figure "
                              "settings; run the experiment again to redraw its figures")
        config = CascadesConfig.model_validate(raw)
        settings = {"n_agents": config.n_agents, "tie_rules": list(config.tie_rules),
                    "start_precisions": list(config.start_precisions)}
    points = pd.read_parquet(out_dir / summary["files"]["points"])
    sequences = (pd.read_parquet(out_dir / summary["files"]["sequences"])
                 if settings["start_precisions"] else pd.DataFrame())
    return draw_figure(out_dir, points, sequences, settings["n_agents"],
                       settings["tie_rules"], settings["start_precisions"],
                       summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"])
    n_agents = summary.get("settings", {}).get("n_agents")
    rows = []
    coin = points[points.tie_rule == "coin"]
    for p in REFERENCE:
        row = coin[np.isclose(coin.precision, p)]
        if len(row):
            r = row.iloc[0]
            rows.append((f"wrong cascades at p {p:g}, coin ties",
                         f"{r.wrong:.3f} ± {2 * r.se:.3f} (2 SE); BHW limit "
                         f"{r.limit_wrong:.3f}"))
    own = points[points.tie_rule == "own_signal"]
    for p in REFERENCE:
        row = own[np.isclose(own.precision, p)]
        if len(row):
            r = row.iloc[0]
            rows.append((f"wrong cascades at p {p:g}, own-signal ties",
                         f"{r.wrong:.3f} ± {2 * r.se:.3f}; own-signal formula "
                         f"{r.exact_wrong:.3f} (BHW {r.bhw_formula:.3f})"))
    if len(coin):
        fit = fit_summary(coin.z)
        rows.append(("coin ties against the exact values",
                     f"max |z| {fit['max_abs_z']:.2f} over {fit['points']} precisions (bound "
                     f"{fit['z_limit']:.2f})"))
        row = coin[np.isclose(coin.precision, 0.6)]
        if len(row):
            r = row.iloc[0]
            rows.append(("agents acting before the cascade, p 0.6 (mean)",
                         f"{r.mean_start:.2f} ± {2 * r.se_start:.2f}; theory "
                         f"{r.exact_mean_start:.2f}"))
        rows.append(("sequences per point" + (f" ({n_agents} agents each)" if n_agents else ""),
                     f"{int(coin.replicates.iloc[0]):,}"))
    verdicts = summary.get("verdicts", [])
    rows.append(("published effects reproduced",
                 f"{sum(v['reproduced'] is True for v in verdicts)} of {len(verdicts)}"))
    return rows


def run(config: CascadesConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the experiment; write ``summary.json``, the tables and the figure."""
    points, sequences = simulate_all(config)
    log(f"{len(points)} points x {config.replicates:,} sequences of {config.n_agents} agents")
    effects = verdicts(points)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "points.parquet", points)
    write_parquet(out_dir / "sequences.parquet", sequences)
    settings = {"n_agents": config.n_agents, "tie_rules": list(config.tie_rules),
                "start_precisions": list(config.start_precisions),
                "replicates": config.replicates}
    figures = draw_figure(out_dir, points, sequences, config.n_agents, settings["tie_rules"],
                          settings["start_precisions"], provenance)
    summary = {
        "experiment": config.experiment,
        "title": config.title or "Information cascades (BHW 1992)",
        "settings": settings,
        "points": points.to_dict(orient="records"),
        "verdicts": effects,
        "files": {"points": "points.parquet", "sequences": "sequences.parquet",
                  "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for line in verdict_lines(effects):
        log(line)
    return summary

"""List, Elsholtz & Seeley (2009): independence and interdependence in nest-site choice by
honeybee swarms (Phil Trans R Soc B 364:755).

What it runs
    Stage ``swarms``: the nest-site model (:mod:`sim.models.nest_site`, measured by
    :data:`sim.models.nest_site.measures.SWARMS`) at every interdependence ``lambda``
    (0 -> 1) for each assessment noise ``sigma`` (0.2 high and 1.0 low reliability),
    ``runs`` swarms per point (List et al.: 250), each for the full horizon without a quorum.
    Stage ``assumptions``: the choices this reproduction could not check against the paper
    (its full text was not readable where crowdsim was built; only the abstract, which states
    the findings in words, and secondary descriptions were): site qualities (3, 5, 7, 9, 10
    against a public reimplementation's 1, 3, 4, 6, 8) x the form of the assessment noise
    (mean or median strength equal to the quality), at lambda = 0.8 for every sigma, so a
    reader sees how much each moves the results (``assumptions.parquet``, figure
    ``assumptions``).
    Stage ``examples``: one swarm per (lambda, sigma) in ``examples``, recorded step by step
    (:data:`~sim.models.nest_site.measures.SWARM_STEPS`; it is the first swarm of that
    point in ``swarms``, as both get the same value-keyed seed).
What it reports
    Per point the share of runs in which the best site wins under both consensus criteria:
    plurality (strictly most dancers at the horizon) and twice (the best site has at least
    twice the runner-up's dancers), with Wilson 95 % intervals; the share of runs with a
    strong (twice) consensus on any site. Verdicts for the published findings, judged by
    the one rule (:mod:`sim.verdicts`; model: 90 % Wilson intervals over the runs, or the
    difference +- 1.6449 SE; data: List et al. give no numbers, so ``data_ci`` is this
    experiment's reading of each statement, and the note says so): no snowballing at
    lambda = 0 (a strong consensus in at most ``no_snowballing`` of runs, per sigma); the
    best site wins in nearly every run at lambda = 0.8, sigma = 0.2 (at least
    ``near_every_run``, default 95 %), under each criterion; less often with sigma = 1.0 (a
    positive difference). ``points.parquet`` (one row per
    point), ``examples.parquet`` (the example swarms, one row per step and site; every swarm
    is in ``runs/swarms``), figures ``p_best`` (P(best) against lambda) and ``dancers`` (the
    example swarms).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import NonNegative, Strict, UnitInterval
from sim.models.nest_site.measures import (
    SHARES,
    SWARM_STEPS_PATH,
    SWARMS_PATH,
    SwarmSweepConfig,
    dancer_metrics,
    plot_shares,
    point_summary,
    shares_legend,
    site_colours,
    summary_metrics,
)
from sim.report import reproduced_row, stored_table
from sim.stats import Z90, binomial_se, normal_interval, wilson_interval
from sim.verdicts import data_only_row, verdict_row

__all__ = ["List2009Config", "Config", "figures", "key_numbers", "run"]

CRITERIA = {"plurality": "plurality of dancers", "twice": "best site >= 2x the runner-up"}
NOISE_CENTRES = {"mean": "mean strength = quality", "median": "median strength = quality"}
Positive = Annotated[float, Field(gt=0)]


class Assumptions(Strict):
    """Choices this reproduction could not check against the paper's own text (only its
    abstract and secondary descriptions were readable here), each run at one
    interdependence and every sigma of the main grid, so a reader sees what they move."""

    interdependence: UnitInterval = Field(0.8, description="lambda of these runs")
    qualities: list[list[Positive]] = Field(
        default_factory=lambda: [[3, 5, 7, 9, 10], [1, 3, 4, 6, 8]], min_length=1,
        description="site qualities to compare (3, 5, 7, 9, 10: the project's reading; 1, 3, "
                    "4, 6, 8: a public reimplementation's)")
    noise_centre: list[Literal["mean", "median"]] = Field(
        default_factory=lambda: ["mean", "median"], min_length=1,
        description="assessment noise forms to compare (see NestSiteParams.noise_centre)")


class List2009Config(SwarmSweepConfig):
    """Config of the List et al. (2009) reproduction (``configs/nest_site_list2009.yaml``):
    ``runs`` swarms per point (List et al.: 250), every swarm run to the horizon (List et al.
    used no quorum; see nest_site_quorum), the ``swarm`` besides the swept interdependence
    and noise."""

    SWEPT = ("interdependence", "noise")
    TO_THE_HORIZON = True

    experiment: Literal["nest_site_list2009"]
    interdependence: list[UnitInterval] = Field(
        min_length=1, description="lambda values swept (0 = independent search only)")
    noise: list[NonNegative] = Field(
        min_length=1, description="assessment noise sigma values (0.2 high, 1.0 low "
                                  "reliability)")
    examples: list[list[float]] = Field(
        default_factory=lambda: [[0.0, 0.2], [0.8, 0.2], [0.0, 1.0], [0.8, 1.0]],
        description="(lambda, sigma) pairs of the example swarms drawn step by step")
    near_every_run: float = Field(0.95, gt=0, le=1, description="'nearly every run' means at "
                                                                "least this share")
    no_snowballing: float = Field(0.05, ge=0, lt=1, description="'no strong consensus' means "
                                                                "at most this share of runs")
    assumptions: Assumptions | None = Field(
        default_factory=Assumptions, description="unconfirmed choices compared side by side "
                                                 "(null: not run)")

    @model_validator(mode="after")
    def _check_examples(self) -> List2009Config:
        for pair in self.examples:
            if len(pair) != 2:
                raise ValueError(f"examples: each entry is [lambda, sigma], got {pair}")
            if not 0 <= pair[0] <= 1 or pair[1] < 0:
                raise ValueError(f"examples: lambda must lie in [0, 1] and sigma be >= 0, "
                                 f"got {pair}")
        if len({tuple(pair) for pair in self.examples}) != len(self.examples):
            raise ValueError("examples: each (lambda, sigma) pair once (the same pair is the "
                             "same swarm)")
        return self


Config = List2009Config


def assumption_stage(config: List2009Config) -> Stage | None:
    """Every combination of the unconfirmed choices at ``assumptions.interdependence``, for
    every sigma of the grid (None without ``assumptions``)."""
    choices = config.assumptions
    if choices is None:
        return None
    fixed = {k: v for k, v in config.fixed().items() if k not in ("qualities", "noise_centre")}
    points = [{"interdependence": choices.interdependence, "noise": noise,
               "qualities": list(qualities), "noise_centre": centre}
              for qualities in choices.qualities for centre in choices.noise_centre
              for noise in config.noise]
    n_sites = max(len(q) for q in choices.qualities)
    return Stage("assumptions", SWARMS_PATH, points=points, replicates=config.runs,
                 fixed=fixed, metrics=summary_metrics(n_sites))


def assumptions_table(runs: pd.DataFrame, stage: Stage) -> pd.DataFrame:
    """One row per point of the assumptions stage: the choices, P(best) by each criterion
    and the share of runs with a strong consensus, each with its 90 % Wilson interval."""
    rows = []
    for point_id, part in runs.groupby("point_id", sort=True):
        point = stage.points[int(point_id)]
        n = len(part)
        row = {"qualities": ", ".join(f"{q:g}" for q in point["qualities"]),
               "noise_centre": point["noise_centre"], "noise": point["noise"],
               "interdependence": point["interdependence"], "runs": n}
        for name in ("p_best_plurality", "p_best_twice", "p_twice_any"):
            metric, test = SHARES[name]
            k = int(np.count_nonzero(test(part[metric].to_numpy())))
            row[name] = k / n
            row[f"{name}_low"], row[f"{name}_high"] = wilson_interval(k, n, z=Z90)
        rows.append(row)
    return pd.DataFrame(rows)


def design(config: List2009Config) -> tuple[Stage, Stage]:
    """The two stages: every (lambda, sigma) point, sigma by sigma; the example swarms."""
    n_sites = config.swarm.n_sites
    points = [{"interdependence": lam, "noise": noise} for noise in config.noise
              for lam in config.interdependence]
    swarms = Stage("swarms", SWARMS_PATH, points=points, replicates=config.runs,
                   fixed=config.fixed(), metrics=summary_metrics(n_sites))
    examples = Stage("examples", SWARM_STEPS_PATH,
                     points=[{"interdependence": lam, "noise": noise}
                             for lam, noise in config.examples],
                     replicates=1, fixed=config.fixed(),
                     metrics=("plurality",) + dancer_metrics(n_sites))
    return swarms, examples


def points_table(runs: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    """One row per point: lambda, sigma and :func:`sim.models.nest_site.measures.point_summary`."""
    labels = runs.groupby("point_id", sort=True)[list(List2009Config.SWEPT)].first()
    table = point_summary(runs, n_sites).set_index("point_id")
    return labels.join(table).reset_index(drop=True)


def examples_frame(steps: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    """The example swarms in long form (one row per example, step and site), as stored in
    ``examples.parquet``: ``plurality`` is the site ahead at the end (-1: none)."""
    frames = []
    for k, part in steps.groupby("point_id", sort=True):
        part = part.sort_values("round")
        dancers = part[list(dancer_metrics(n_sites))].to_numpy().astype(np.int64)
        step, site = np.meshgrid(part["round"].to_numpy(), np.arange(n_sites), indexing="ij")
        first = part.iloc[0]
        frames.append(pd.DataFrame({
            "example": int(k), "interdependence": first.interdependence,
            "noise": first.noise, "seed": int(first.seed),
            "plurality": int(part.plurality.iloc[-1]), "step": step.ravel(),
            "site": site.ravel(), "dancers": dancers.ravel()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def samples_from_frame(frame: pd.DataFrame) -> list[dict]:
    """The example swarms of ``examples.parquet``: settings and dancers (steps x sites)."""
    samples = []
    for _, part in frame.groupby("example", sort=True):
        grid = part.pivot(index="step", columns="site", values="dancers").sort_index()
        first = part.iloc[0]
        samples.append({"interdependence": float(first.interdependence),
                        "noise": float(first.noise), "seed": int(first.seed),
                        "plurality": int(first.plurality),
                        "dancers": grid.to_numpy()})
    return samples


def _point(points: pd.DataFrame, lam: float, noise: float) -> pd.Series | None:
    mask = np.isclose(points.interdependence, lam) & np.isclose(points.noise, noise)
    return points[mask].iloc[0] if mask.any() else None


#: z of a two-sided 90 % interval (the verdicts' Wilson intervals and mean +- z SE).

NO_NUMBER = ("no published number quoted (the paper's full text could not be read here; its "
             "abstract states the finding in words): data_ci is this experiment's reading of "
             "the statement ({reading}), not a published interval")


def _share90(row: pd.Series, key: str) -> list[float]:
    """The 90 % Wilson interval of a share over the point's runs (Monte-Carlo error)."""
    n = int(row.runs)
    return list(wilson_interval(int(round(float(row[key]) * n)), n, z=Z90))


def verdicts(points: pd.DataFrame, config: List2009Config) -> list[dict]:
    """Each published finding as a verdict row of the one rule (:mod:`sim.verdicts`): the
    model's share with its 90 % Wilson interval over the runs; List et al. give no numbers,
    so the data's interval is the experiment's reading of the statement (the note says so).
    A finding whose point is not in the grid is a data-only row."""
    out = []
    for s in config.noise:
        row = _point(points, 0.0, s)
        effect = (f"no snowballing at lambda = 0, sigma = {s:g}: a strong consensus (a site "
                  f"with twice the runner-up's dancers) in at most "
                  f"{config.no_snowballing:.0%} of runs")
        data = "no snowballing without interdependence (List et al. 2009)"
        if row is None:
            out.append(data_only_row(effect, data, note="point not in the grid"))
            continue
        out.append(verdict_row(
            effect, data, [0.0, config.no_snowballing], float(row.p_twice_any),
            _share90(row, "p_twice_any"), null=None,
            data_ci_source="reading", note=NO_NUMBER.format(reading=f"'no snowballing': at most "
                                          f"{config.no_snowballing:g}, no_snowballing")
            + f"; model: 90 % Wilson interval over {int(row.runs)} runs. The plurality "
              f"criterion alone can still favour the best site at lambda = 0 (it has the "
              f"longest dances), without any snowballing: P(best, plurality) "
              f"{row.p_best_plurality:.3f}, the leader's share of dancers "
              f"{_leader_share(row):.3f}"))
    high = _point(points, 0.8, 0.2)
    low = _point(points, 0.8, 1.0)
    for criterion, label in CRITERIA.items():
        key = f"p_best_{criterion}"
        effect = (f"lambda = 0.8, sigma = 0.2: the best site wins in nearly every run "
                  f"(>= {config.near_every_run:.0%}) by {label}")
        data = "essentially every run (List et al. 2009)"
        if high is None:
            out.append(data_only_row(effect, data, note="point not in the grid"))
            continue
        out.append(verdict_row(
            effect, data, [config.near_every_run, 1.0], float(high[key]), _share90(high, key),
            null=None,
            data_ci_source="reading",
            note=NO_NUMBER.format(reading=f"'essentially every run': at least "
                                          f"{config.near_every_run:g}, near_every_run")
            + f"; model: 90 % Wilson interval over {int(high.runs)} runs"))
    for criterion, label in CRITERIA.items():
        key = f"p_best_{criterion}"
        effect = (f"lambda = 0.8: the best site wins less often with sigma = 1.0 than with "
                  f"0.2 ({label}; difference sigma 0.2 minus sigma 1.0)")
        data = "less often with low reliability (List et al. 2009)"
        if high is None or low is None:
            out.append(data_only_row(effect, data, note="point not in the grid"))
            continue
        difference = float(high[key] - low[key])
        se = float(np.hypot(binomial_se(high[key], int(high.runs)),
                            binomial_se(low[key], int(low.runs))))
        smallest = 1.0 / min(int(high.runs), int(low.runs))
        out.append(verdict_row(
            effect, data, [smallest, 1.0], difference,
            normal_interval(difference, se),
            data_ci_source="reading",
            note=NO_NUMBER.format(reading=f"'less often': a positive difference, at least "
                                          f"1/runs = {smallest:.3g}, the smallest two shares "
                                          "over these runs can show")
            + f"; model: difference +- 1.6449 SE (P(best) {high[key]:.3f} at sigma 0.2, "
              f"{low[key]:.3f} at sigma 1.0)"))
    return out


def assumption_notes(table: pd.DataFrame) -> list[str]:
    """Per sigma, how far the unconfirmed choices move P(best) (computed from the table)."""
    notes = []
    for noise, part in table.groupby("noise", sort=True):
        for criterion, label in CRITERIA.items():
            key = f"p_best_{criterion}"
            low, high = part.loc[part[key].idxmin()], part.loc[part[key].idxmax()]
            notes.append(
                f"unconfirmed choices at lambda = {low.interdependence:g}, sigma = {noise:g}: "
                f"P(best, {label}) ranges from {low[key]:.3f} (qualities {low.qualities}, "
                f"{NOISE_CENTRES[low.noise_centre]}) to {high[key]:.3f} (qualities "
                f"{high.qualities}, {NOISE_CENTRES[high.noise_centre]})")
    return notes


def _leader_share(row: pd.Series) -> float:
    """Mean final dancers of the most-danced site over all mean final dancers."""
    means = np.array([v for k, v in row.items() if str(k).startswith("mean_dancers_")])
    return float(means.max() / means.sum()) if means.sum() > 0 else float("nan")


def run(config: List2009Config, engine: Engine) -> Outcome:
    """Run both stages; summarise the points, judge the published findings."""
    n_sites = config.swarm.n_sites
    swarms, examples = design(config)
    points = points_table(engine.run(swarms), n_sites)
    for noise in config.noise:
        part = points[np.isclose(points.noise, noise)]
        engine.log(f"sigma = {noise:g}: P(best) by plurality "
                   + ", ".join(f"{p:.2f}" for p in part.p_best_plurality)
                   + " for lambda = " + ", ".join(f"{v:g}" for v in part.interdependence))
    tables = {"points": points}
    stage = assumption_stage(config)
    if stage is not None:
        tables["assumptions"] = assumptions_table(engine.run(stage), stage)
    samples = []
    if config.examples:
        tables["examples"] = examples_frame(engine.run(examples), n_sites)
        samples = [{k: v for k, v in s.items() if k != "dancers"}
                   for s in samples_from_frame(tables["examples"])]
    notes = []
    if any(np.isclose(config.interdependence, 1.0)):
        notes.append("at lambda = 1 no scout ever searches on her own, so no dance ever "
                     "starts: no site wins under either criterion")
    if "assumptions" in tables:
        notes += assumption_notes(tables["assumptions"])
    summary = {
        "swarm": config.swarm.model_dump(mode="json"),
        "grid": {"interdependence": config.interdependence, "noise": config.noise,
                 "runs_per_point": config.runs},
        "criteria": {"near_every_run": config.near_every_run,
                     "no_snowballing": config.no_snowballing},
        "points": points.to_dict(orient="records"),
        "examples": samples,
        "assumptions": (tables["assumptions"].to_dict(orient="records")
                        if "assumptions" in tables else []),
    }
    return Outcome(summary=summary, tables=tables, verdicts=verdicts(points, config),
                   notes=notes)


def draw_figures(out_dir: Path, points: pd.DataFrame, samples: list[dict], swarm: dict,
                 near_every_run: float, provenance: dict,
                 assumptions: list[dict] | None = None) -> list[str]:
    """Figures ``p_best``, ``dancers`` and ``assumptions``, drawn from stored results only
    (the points table, the example swarms, the swarm's settings, the assumptions table), so
    :func:`figures` can redraw them. Sites are numbered from 1 in every label."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    written = []
    noises = sorted(points.noise.unique())
    runs = int(points.runs.iloc[0])
    qualities = list(swarm["qualities"])
    # dotted: the share of runs in which some site wins, by the panel's criterion
    some_site_wins = {"plurality": lambda part: 1 - part.p_no_plurality,
                      "twice": lambda part: part.p_twice_any}
    # lambda = 1 is degenerate (nobody searches alone, no dance starts): a point apart
    degenerate = np.isclose(points.interdependence, 1.0).any()
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 5.2), sharey=True, layout="constrained")
    for ax, (criterion, label) in zip(axes, CRITERIA.items()):
        # 'nearly every run' as a light zone under the curves, not a line hiding them
        ax.axhspan(near_every_run, 1.0, color="0.5", alpha=0.15, lw=0, zorder=0)
        plot_shares(ax, points, "interdependence", f"p_best_{criterion}", PALETTE,
                    dotted=some_site_wins[criterion],
                    apart=lambda x: np.isclose(x, 1.0))
        ax.set_title(f"best site wins: {label}", fontsize=11)
        ax.set_xlabel("interdependence λ (chance of following a dance)")
        ax.set_ylim(-0.03, 1.03)
    axes[0].set_ylabel(f"share of runs ({runs} per point)")
    handles, labels = shares_legend(noises, PALETTE)
    handles += [Line2D([], [], color="0.3", ls=":", lw=1.5, marker="s", ms=6, mfc="none"),
                Patch(color="0.5", alpha=0.15, lw=0)]
    labels += ["some site wins (dotted; on the solid line where it is the best site)",
               f"'nearly every run': at least {100 * near_every_run:g} %"]
    if degenerate:
        handles.append(Line2D([], [], color="0.3", ls="none", marker="o", ms=8, mfc="none",
                              mew=1.5))
        labels.append("λ = 1: nobody searches alone, no dance starts (rings, not joined)")
    fig.suptitle(f"List et al. (2009): {swarm['n_agents']} scouts, site qualities "
                 f"{', '.join(f'{q:g}' for q in qualities)}, {swarm['horizon']} steps per run")
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    written += [str(p) for p in save(fig, out_dir / "p_best", provenance)]

    if samples:
        n = len(samples)
        cols = min(n, 2)
        rows = -(-n // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 3.1 * rows + 1.2),
                                 squeeze=False, sharex=True, sharey=True, layout="constrained")
        best = int(np.argmax(qualities))
        colours = site_colours(len(qualities))
        for ax, sample in zip(axes.flat, samples):
            dancers = np.asarray(sample["dancers"])
            steps = np.arange(dancers.shape[0])
            for j, colour in zip(range(len(qualities)), colours):
                ax.plot(steps, dancers[:, j], color=colour, lw=2.0 if j == best else 1.2)
            winner = sample.get("plurality", -1)
            ax.set_title(f"λ = {sample['interdependence']:g}, σ = {sample['noise']:g}"
                         + (f": site {winner + 1} ends ahead"
                            if winner is not None and winner >= 0 else ": no plurality"),
                         fontsize=10)
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel("step")
        for ax in axes[:, 0]:
            ax.set_ylabel("dancers (scouts)")
        handles = [Line2D([], [], color=c, lw=2.0 if j == best else 1.2)
                   for j, c in enumerate(colours)]
        labels = [f"site {j + 1} (quality {q:g})" for j, q in enumerate(qualities)]
        fig.suptitle("Example swarms: dancers per site, step by step (λ: interdependence, "
                     "σ: assessment noise)")
        fig.legend(handles, labels, loc="outside lower center", ncol=len(qualities),
                   fontsize=9, frameon=False)
        written += [str(p) for p in save(fig, out_dir / "dancers", provenance)]
    if assumptions:
        written += draw_assumptions(out_dir, pd.DataFrame(assumptions), provenance)
    return written


def draw_assumptions(out_dir: Path, table: pd.DataFrame, provenance: dict) -> list[str]:
    """Figure ``assumptions``: P(best) under each combination of the unconfirmed choices,
    per criterion, with 90 % Wilson intervals."""
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    combos = table[["qualities", "noise_centre"]].drop_duplicates().to_numpy().tolist()
    noises = sorted(table.noise.unique())
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.8), sharey=True, layout="constrained")
    width = 0.5 / max(len(noises), 1)
    for ax, (criterion, label) in zip(axes, CRITERIA.items()):
        key = f"p_best_{criterion}"
        for k, (noise, colour) in enumerate(zip(noises, PALETTE)):
            part = table[np.isclose(table.noise, noise)].set_index(
                ["qualities", "noise_centre"]).loc[[tuple(c) for c in combos]]
            x = np.arange(len(combos)) + (k - (len(noises) - 1) / 2) * width
            ax.errorbar(x, part[key], yerr=[part[key] - part[f"{key}_low"],
                                            part[f"{key}_high"] - part[key]],
                        fmt="o", color=colour, capsize=3,
                        label=f"assessment noise σ = {noise:g}")
        ax.set_xticks(np.arange(len(combos)))
        ax.set_xticklabels([f"{q}\n{c} = quality" for q, c in combos], fontsize=9)
        ax.set_xlim(-0.7, len(combos) - 0.3)
        ax.grid(axis="x", visible=False)
        ax.set_title(f"best site wins: {label}", fontsize=11)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("site qualities, and whether the mean or the median\n"
                      "dance strength equals the site's quality", fontsize=10)
    axes[0].set_ylabel(f"share of runs ({int(table.runs.iloc[0])} per point; 90 % interval)")
    axes[0].legend(loc="lower left", fontsize=9)
    lam = float(table.interdependence.iloc[0])
    fig.suptitle("What the choices not checked against List et al. (2009) move, at "
                 f"interdependence λ = {lam:g}")
    return [str(p) for p in save(fig, out_dir / "assumptions", provenance)]


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw both figures from ``points.parquet``, ``examples.parquet`` and the swarm
    stored in ``summary.json``."""
    points = stored_table(out_dir, summary, "points")
    samples = (samples_from_frame(stored_table(out_dir, summary, "examples"))
               if "examples" in summary["files"]["tables"] else [])
    return draw_figures(Path(out_dir), points, samples, summary["swarm"],
                        summary["criteria"]["near_every_run"], summary.get("provenance", {}),
                        summary.get("assumptions"))


def _interval(row: dict, key: str) -> str:
    return f"{row[key]:.3f} ({row[f'{key}_low']:.3f}-{row[f'{key}_high']:.3f})"


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    points = pd.DataFrame(summary["points"])
    rows = [("swarms per point", f"{int(points.runs.iloc[0]):,}")]
    for lam, noise in ((0.8, 0.2), (0.8, 1.0)):
        row = _point(points, lam, noise)
        if row is None:
            continue
        for criterion in CRITERIA:
            rows.append((f"P(best) at λ {lam:g}, σ {noise:g}: {CRITERIA[criterion]} "
                         "(95 % interval)",
                         _interval(row, f"p_best_{criterion}")))
    for noise in sorted(points.noise.unique()):
        row = _point(points, 0.0, noise)
        if row is not None:
            rows.append((f"λ 0, σ {noise:g}: strong (2x) consensus on any site",
                         _interval(row, "p_twice_any")))
        part = points[np.isclose(points.noise, noise)]
        top = part.loc[part.p_best_plurality.idxmax()]
        rows.append((f"σ {noise:g}: highest P(best), plurality",
                     f"{top.p_best_plurality:.3f} at λ {top.interdependence:g}"))
    for row in summary.get("assumptions", []):
        if np.isclose(row["noise"], 0.2):
            rows.append((f"λ {row['interdependence']:g}, σ 0.2, qualities {row['qualities']}, "
                         f"{NOISE_CENTRES[row['noise_centre']]}: P(best) plurality / twice "
                         "(90 % interval)",
                         f"{_interval(row, 'p_best_plurality')} / "
                         f"{_interval(row, 'p_best_twice')}"))
    rows.append(reproduced_row(summary.get("verdicts", []), "published findings reproduced"))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Does a honeybee swarm pick the best nest site reliably only when its scouts both "
            "follow dances (interdependence) and assess each site for themselves "
            "(independence), as List, Elsholtz & Seeley (2009) argue?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    points = summary.get("points", [])
    runs = f" ({int(points[0]['runs']):,} per point)" if points else ""
    near = summary.get("criteria", {}).get("near_every_run")
    dashed = f", dashed the 'nearly every run' level ({100 * near:g} %)" if near else ""
    assumptions = summary.get("assumptions") or []
    lam = f" at λ = {assumptions[0]['interdependence']:g}" if assumptions else ""
    return {
        "p_best": (f"The share of swarms{runs} in which the best site wins against the "
                   "interdependence λ, the chance of following a dance rather than searching "
                   "alone (left: "
                   "most dancers at the horizon; right: at least twice the runner-up's), one "
                   "line per assessment noise σ with its 95 % Wilson band; dotted: some site "
                   f"wins{dashed}."),
        "dancers": ("Example swarms, one per (λ, σ) in the panel titles: the number of scouts "
                    "dancing for each site, step by step; the thick line is the best site."),
        "assumptions": (f"P(best){lam} under each combination of the choices this "
                        "reproduction could not check against the paper (the site qualities, "
                        "and whether the mean or the median dance strength equals a site's "
                        "quality), per assessment noise σ with 90 % Wilson intervals: the "
                        "spread is how much those choices move the result."),
    }

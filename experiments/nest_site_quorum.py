"""The speed-accuracy trade-off of quorum sensing in nest-site choice.

A swarm decides when some site first has ``Q`` committed scouts at once (Seeley & Visscher
2003, 2004); Passino & Seeley (2006, Behav Ecol Sociobiol 59:427) showed with a model that
the quorum and the dance decline trade speed against accuracy: a small quorum decides fast
but often on a poor site.

What the quorum counts, and where the comparison stops
    Here the quorum counts the scouts *dancing* for a site (the model has no bees present
    at a site); Seeley & Visscher count the bees *present at the site* at once (about 10-20
    in a swarm of some 10,000), which includes scouts that are not dancing. So ``Q`` is not
    Seeley's quorum, and neither its size nor the decision times (model steps) are compared
    with real swarms: the comparison stops at the direction of the speed-accuracy trade-off
    (Passino & Seeley 2006).

What it runs
    One stage, ``quorum``: the nest-site kernel at every pair of quorum size ``Q`` and
    interdependence ``lambda``, ``runs`` swarms per point, one swarm per run (its outcome
    recorded by :data:`sim.models.nest_site.measures.SWARMS`); a swarm stops at its quorum,
    or undecided at the horizon.
What it reports
    Per point: the share of swarms that decided, the mean and median decision time (of those
    that did), P(best) (an undecided swarm has not chosen the best site) and P(best |
    decided). Verdicts, per lambda, judged by the one rule (:mod:`sim.verdicts`; model: the
    difference +- 1.6449 SE over the runs, a 90 % interval; data: Passino & Seeley give a
    direction, no number, so ``data_ci`` is this experiment's reading of it, and the note
    says so): larger quorums take longer (mean decision time at the largest quorum reached
    in at least half of the runs minus that at the smallest; the Spearman correlation over
    those quorums is kept in ``speed``); larger quorums are more accurate (P(best | decided)
    at the largest quorum reached in at least 90 % of runs minus that at the smallest).
    ``points.parquet``, figure ``speed_accuracy``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import UnitInterval, check_distinct
from sim.models.nest_site.measures import (
    SWARMS_PATH,
    SwarmSweepConfig,
    point_summary,
    summary_metrics,
)
from sim.report import reproduced_row, stored_table
from sim.stats import binomial_se, normal_interval, wilson_interval
from sim.verdicts import data_only_row, verdict_row

__all__ = ["QuorumConfig", "Config", "run", "figures", "key_numbers"]


class QuorumConfig(SwarmSweepConfig):
    """Config of the quorum sweep (``configs/nest_site_quorum.yaml``).

    ``swarm`` holds the nest-site model's parameters every point shares (the model's own
    schema, :class:`sim.models.nest_site.NestSiteParams`); ``quorum`` and
    ``interdependence`` sweep the rest, ``runs`` swarms per point.
    """

    SWEPT = ("quorum", "interdependence")

    experiment: Literal["nest_site_quorum"]
    quorum: list[int] = Field(min_length=2, description="quorum sizes Q swept (scouts)")
    interdependence: list[UnitInterval] = Field(min_length=1,
                                                description="lambda values swept")

    @model_validator(mode="after")
    def _check_points(self) -> QuorumConfig:
        for name in self.SWEPT:
            check_distinct(name, getattr(self, name))
        for q in self.quorum:
            if not 1 <= q <= self.swarm.n_agents:
                raise ValueError(f"quorum: sizes must lie in 1..n_agents "
                                 f"({self.swarm.n_agents}), got {q}")
        return self

    def fixed(self) -> dict:
        """The swarm's parameters every point shares (``fixed`` of the stage): all of them,
        defaults included (unlike :func:`~sim.models.nest_site.measures.stage_fixed`, as this
        experiment's points have always been keyed, and so seeded), less the swept ones."""
        return self.swarm.model_dump(mode="json", exclude=set(self.SWEPT))


Config = QuorumConfig


# ---------------------------------------------------------------------------------------------
# design and analysis


def design(config: QuorumConfig) -> Stage:
    """Every pair of interdependence and quorum (quorums in increasing order) as one stage."""
    points = [{"interdependence": lam, "quorum": quorum}
              for lam in config.interdependence for quorum in sorted(config.quorum)]
    return Stage("quorum", SWARMS_PATH, points=points, replicates=config.runs,
                 fixed=config.fixed(), metrics=summary_metrics(config.swarm.n_sites))


def point_table(runs: pd.DataFrame, points: Sequence[Mapping], n_sites: int) -> pd.DataFrame:
    """One row per point: its quorum and lambda, the shares of swarms (each with its Wilson
    95 % interval) and decision times of :func:`~sim.models.nest_site.measures.point_summary`,
    P(best | decided), the share of swarms choosing each site and the mean final dancers."""
    summary = point_summary(runs, n_sites)
    given = []
    for _, part in runs.groupby("point_id", sort=True):
        decided = part.decided.to_numpy() > 0.5
        right = int(np.count_nonzero(decided & (part.chosen_best.to_numpy() > 0.5)))
        n = int(decided.sum())
        low, high = wilson_interval(right, n)
        times = part.decision_time.dropna().to_numpy()
        given.append({"decided_runs": n,
                      "sd_decision_time": float(times.std(ddof=1)) if times.size > 1
                      else float("nan"),
                      "p_best_given_decided": right / n if n else float("nan"),
                      "p_best_given_decided_low": low, "p_best_given_decided_high": high})
    labels = pd.DataFrame([points[i] for i in summary.point_id])
    # point_summary's plurality_share_<j> counts the swarm's choice: here the quorum site
    summary = summary.drop(columns="point_id").rename(
        columns={f"plurality_share_{j}": f"chosen_share_{j}" for j in range(n_sites)})
    shares = [c for c in summary.columns if c.startswith(("chosen_share_", "mean_dancers_"))]
    return pd.concat([labels, summary.drop(columns=shares), pd.DataFrame(given),
                      summary[shares]], axis=1)


#: z of a two-sided 90 % interval (the verdicts' mean +- z SE).

#: What the quorum counts here, and where the comparison with real bees stops.
COUNTS = ("the quorum counts scouts dancing for a site, not bees present at the site as "
          "Seeley & Visscher (2003, 2004) count them, so Q and the decision times (model "
          "steps) are not compared with real swarms; only the direction of the speed-accuracy "
          "trade-off is (Passino & Seeley 2006)")

NO_NUMBER = ("Passino & Seeley (2006) give a direction, no number: data_ci is this "
             "experiment's reading of it ({reading}), not a published interval")


def verdicts(points: pd.DataFrame, config: QuorumConfig) -> tuple[list[dict], dict]:
    """The verdict rows (speed and accuracy, per lambda, by the one rule of
    :mod:`sim.verdicts`), and per lambda the quorums and times the speed verdict used."""
    from scipy.stats import spearmanr

    slower, rows, accuracy = {}, [], []
    horizon = float(config.swarm.horizon)
    for lam in config.interdependence:
        part = points[np.isclose(points.interdependence, lam)].sort_values("quorum")
        reached = part[part.p_decided >= 0.5]
        if len(reached) >= 3:
            rho = float(spearmanr(reached.quorum, reached.mean_decision_time).statistic)
        else:
            rho = float("nan")
        slower[f"lambda={lam:g}"] = {"spearman": rho, "quorums": reached.quorum.tolist(),
                                     "mean_decision_time": reached.mean_decision_time.tolist()}
        effect = (f"lambda = {lam:g}: larger quorums take longer: mean decision time at the "
                  "largest quorum reached in >= 50 % of runs minus that at the smallest "
                  "(difference, steps)")
        data = "Passino & Seeley (2006): a larger quorum decides more slowly"
        if len(reached) >= 2:
            a, b = reached.iloc[0], reached.iloc[-1]
            diff = float(b.mean_decision_time - a.mean_decision_time)
            se = float(np.hypot(a.sd_decision_time / np.sqrt(a.decided_runs),
                                b.sd_decision_time / np.sqrt(b.decided_runs)))
            rows.append(verdict_row(
                effect, data, [1.0, horizon], diff, normal_interval(diff, se),
                data_ci_source="reading",
                note=NO_NUMBER.format(reading="slower: by at least one step, at most the "
                                              f"horizon of {horizon:g} steps")
                + f"; model: difference +- 1.6449 SE over the decided runs (Q = "
                  f"{int(a.quorum)}: {a.mean_decision_time:.1f}, Q = {int(b.quorum)}: "
                  f"{b.mean_decision_time:.1f} steps; Spearman rho over the quorums reached "
                  f"{rho:.2f}); {COUNTS}"))
        else:
            rows.append(data_only_row(effect, data, note="fewer than two quorums reached in "
                                                         "half of the runs"))
        well = part[part.p_decided >= 0.9]
        effect = (f"lambda = {lam:g}: larger quorums are more accurate: P(best | decided) at "
                  "the largest quorum reached in >= 90 % of runs minus that at the smallest "
                  "(difference)")
        data = "Passino & Seeley (2006): a larger quorum picks the best site more often"
        if len(well) >= 2:
            a, b = well.iloc[0], well.iloc[-1]
            diff = float(b.p_best_given_decided - a.p_best_given_decided)
            se = float(np.hypot(binomial_se(a.p_best_given_decided, int(a.decided_runs)),
                                binomial_se(b.p_best_given_decided, int(b.decided_runs))))
            smallest = 1.0 / min(int(a.decided_runs), int(b.decided_runs))
            accuracy.append(verdict_row(
                effect, data, [smallest, 1.0], diff, normal_interval(diff, se),
                data_ci_source="reading",
                note=NO_NUMBER.format(reading="more often: a positive difference, at least "
                                              f"1/runs = {smallest:.3g}, the smallest two "
                                              "shares over these runs can show")
                + f"; model: difference +- 1.6449 SE (Q = {int(a.quorum)}: "
                  f"{a.p_best_given_decided:.3f}, Q = {int(b.quorum)}: "
                  f"{b.p_best_given_decided:.3f}); {COUNTS}"))
        else:
            accuracy.append(data_only_row(effect, data, note="fewer than two quorums reached "
                                                             "in 90 % of runs"))
    return rows + accuracy, slower


def run(config: QuorumConfig, engine: Engine) -> Outcome:
    """Run the quorum stage; summarise each point and judge the trade-off."""
    stage = design(config)
    runs = engine.run(stage)
    points = point_table(runs, stage.points, config.swarm.n_sites)
    for lam in config.interdependence:
        part = points[np.isclose(points.interdependence, lam)]
        engine.log(f"lambda = {lam:g}: P(best) "
                   + ", ".join(f"{p:.2f}" for p in part.p_best) + "; mean decision time "
                   + ", ".join(f"{t:.0f}" for t in part.mean_decision_time)
                   + " for Q = " + ", ".join(str(q) for q in part.quorum))
    effects, speed = verdicts(points, config)
    first_step = {}
    for lam in config.interdependence:
        # expected scouts finding each site alone in step 1 (everybody searches at once)
        first_step[f"lambda={lam:g}"] = (config.swarm.n_agents * (1 - lam)
                                         * config.swarm.discovery_array).tolist()
    summary = {
        "swarm": config.swarm.model_dump(mode="json"),
        "grid": {"quorum": sorted(config.quorum), "interdependence": config.interdependence,
                 "runs_per_point": config.runs},
        "committed": "a scout counts towards a site's quorum while she dances for it (not "
                     "bees present at the site, as Seeley & Visscher count them)",
        "points": points.to_dict(orient="records"),
        "speed": speed,
    }
    notes = ["every scout searches from step 1, so about n_agents (1 - lambda) pi_j "
             "scouts find site j alone in the first step "
             f"({first_step}); quorums of that order are met at once by a random site",
             COUNTS]
    return Outcome(summary=summary, tables={"points": points}, verdicts=effects, notes=notes)


# ---------------------------------------------------------------------------------------------
# figure and key numbers


#: Marker per interdependence (with the colour), so coinciding lines stay apart.
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")


def draw_figure(out_dir: Path, points: pd.DataFrame, swarm: dict,
                provenance: dict) -> list[Path]:
    """Figure ``speed_accuracy``, drawn from the points table and the swarm's settings alone,
    so :func:`figures` can redraw it: speed, accuracy, the share of swarms decided (each
    interdependence nudged sideways, so lines at 1.0 stay apart) and the trade-off."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    plain = FuncFormatter(lambda v, _: f"{v:g}")

    def log_ticks(axis) -> None:
        """1, 2, 5 per decade, labelled plainly; no minor labels (they crowd a short axis)."""
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())

    lambdas = sorted(points.interdependence.unique())
    runs = int(points.runs.iloc[0])
    quorums = sorted(points.quorum.unique())
    step = min(np.diff(quorums)) if len(quorums) > 1 else 1.0
    fig, axes = plt.subplots(2, 2, figsize=(12.5, 9.5), layout="constrained")
    speed, accuracy, decided_ax, trade = axes.flat
    for k, (colour, lam) in enumerate(zip(PALETTE, lambdas)):
        marker = MARKERS[k % len(MARKERS)]
        part = points[np.isclose(points.interdependence, lam)].sort_values("quorum")
        reached = part[part.p_decided >= 0.5]
        speed.plot(reached.quorum, reached.mean_decision_time, "-", marker=marker,
                   color=colour, lw=2, ms=5)
        speed.plot(reached.quorum, reached.median_decision_time, ":", color=colour, lw=1.5)
        accuracy.fill_between(part.quorum, part.p_best_low, part.p_best_high, color=colour,
                              alpha=0.2, lw=0)
        accuracy.plot(part.quorum, part.p_best, "-", marker=marker, color=colour, lw=2, ms=5)
        nudge = (k - (len(lambdas) - 1) / 2) * 0.25 * step
        decided_ax.fill_between(part.quorum + nudge, part.p_decided_low, part.p_decided_high,
                                color=colour, alpha=0.2, lw=0)
        decided_ax.plot(part.quorum + nudge, part.p_decided, "-", marker=marker, color=colour,
                        lw=1.2, ms=4.5, mfc="none", mew=1.3)
        trade.plot(reached.mean_decision_time, reached.p_best_given_decided, "-",
                   marker=marker, color=colour, lw=2, ms=5)
        if k:
            continue
        # label some quorums of the first line, into the empty space beside the curves
        last = reached.quorum.max() if len(reached) else None
        for _, row in reached.iterrows():
            if int(row.quorum) not in (5, 40, 60, 80, 100):
                continue
            # below the low end and the line's last point; else below to the right
            below = row.p_best_given_decided < 0.5 or row.quorum == last
            trade.annotate(f"Q = {int(row.quorum)}",
                           (row.mean_decision_time, row.p_best_given_decided),
                           textcoords="offset points", xytext=(0, -30) if below else (16, -32),
                           ha="center" if below else "left", va="top", fontsize=8.5,
                           color=colour, arrowprops={"arrowstyle": "-", "color": colour,
                                                     "lw": 0.7})
    speed.set_yscale("log")
    log_ticks(speed.yaxis)
    speed.set_xlabel("quorum Q (scouts dancing for one site)")
    speed.set_ylabel("decision time (steps, log scale)")
    speed.set_title("Speed: time to reach the quorum\n(quorums reached in >= 50 % of runs)",
                    fontsize=11)
    speed.legend([Line2D([], [], color="0.3", lw=2, marker="o", ms=5),
                  Line2D([], [], color="0.3", ls=":", lw=1.5)],
                 ["mean over the decided swarms", "median"], fontsize=9, loc="upper left")
    accuracy.set_xlabel("quorum Q (scouts dancing for one site)")
    accuracy.set_ylabel("share of swarms that chose the best site")
    accuracy.set_ylim(-0.02, 1.02)
    accuracy.set_title("Accuracy: is the best site chosen? (95 % band;\nan undecided swarm "
                       "has not chosen it)", fontsize=11)
    decided_ax.set_xlabel("quorum Q (scouts dancing for one site; points nudged sideways "
                          "per λ)")
    decided_ax.set_ylabel(f"share of swarms decided by step {swarm['horizon']}")
    decided_ax.set_ylim(-0.02, 1.05)
    decided_ax.set_title("Does the swarm decide before the horizon? (95 % band)", fontsize=11)
    trade.set_xscale("log")
    log_ticks(trade.xaxis)
    trade.set_xlabel("mean decision time (steps, log scale)")
    trade.set_ylabel("share of decided swarms that chose\nthe best site")
    trade.set_ylim(-0.02, 1.05)
    trade.set_title(f"The trade-off (quorums reached in >= 50 % of runs;\nlabels: quorum Q "
                    f"on the λ = {lambdas[0]:g} line)", fontsize=11)
    fig.suptitle(f"Quorum sensing: {swarm['n_agents']} scouts, assessment noise σ = "
                 f"{swarm['noise']:g}, {runs} swarms per point, horizon {swarm['horizon']} "
                 "steps")
    fig.legend([Line2D([], [], color=c, lw=2, marker=MARKERS[k % len(MARKERS)], ms=5)
                for k, c in enumerate(PALETTE[:len(lambdas)])],
               [f"interdependence λ = {lam:g}" for lam in lambdas], loc="outside lower center",
               ncol=len(lambdas), fontsize=9, frameon=False)
    return save(fig, out_dir / "speed_accuracy", provenance)


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Draw the figure from ``points.parquet`` and the swarm in ``summary.json``."""
    points = stored_table(out_dir, summary, "points")
    return draw_figure(Path(out_dir), points, summary["swarm"], summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first: per lambda, the smallest quorum against the largest
    one reached in at least 90 % of runs (the accuracy verdict's pair)."""
    points = pd.DataFrame(summary["points"])
    rows = [("swarms per point", f"{int(points.runs.iloc[0]):,} (horizon "
                                 f"{summary['swarm']['horizon']} steps)")]
    for lam in sorted(points.interdependence.unique()):
        part = points[np.isclose(points.interdependence, lam)].sort_values("quorum")
        well = part[part.p_decided >= 0.9]
        if len(well) < 2:
            rows.append((f"λ {lam:g}", "fewer than two quorums reached in 90 % of runs"))
            continue
        a, b = well.iloc[0], well.iloc[-1]
        rows.append((f"λ {lam:g}: quorum {int(a.quorum)} -> {int(b.quorum)}",
                     f"mean decision time {a.mean_decision_time:.1f} -> "
                     f"{b.mean_decision_time:.1f} steps; P(best | decided) "
                     f"{a.p_best_given_decided:.3f} -> {b.p_best_given_decided:.3f}"))
    rows.append(reproduced_row(summary.get("verdicts", []), "effects reproduced"))
    return rows

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("Does a honeybee swarm that decides once a quorum of scouts dances for one site "
            "trade speed against accuracy: do larger quorums decide more slowly but more often "
            "on the best site (Passino & Seeley 2006)?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    points = summary.get("points", [])
    runs = f", {int(points[0]['runs']):,} swarms per point" if points else ""
    horizon = summary.get("swarm", {}).get("horizon")
    by = f" by step {horizon}" if horizon else ""
    return {"speed_accuracy": (
        "Left: the decision time (model steps, log scale; solid the mean, dotted the median "
        "of the swarms that decided) against the quorum Q; middle: the share of swarms that "
        f"chose the best site (solid, 95 % band) and that decided{by} (dashed); right: the "
        "trade-off, P(best | decided) against the mean decision time over the quorums reached "
        f"in at least half of the runs; one colour per interdependence λ{runs}.")}

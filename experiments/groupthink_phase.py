"""Where crowds stay wise and where groupthink sets in: a phase diagram of social influence.

What it runs
    A full-factorial sweep through the estimation kernel over the social weight, the topology
    (who sees whom), the error correlation (a shared error, as in a misleading question) and a
    biased influencer (agent 0, the hub on a star, who announces ``truth * (1 + bias)`` and
    never moves). Each point runs ``replicates`` crowds for ``rounds`` rounds of revision.
What it reports
    Per point: the collective error of the crowd's mean and the SD of the estimates after the
    last round over before the first (averaged over replicates), and the groupthink signal
    (:func:`sim.metrics.groupthink`: diversity collapsed below ``collapse`` while the error
    did not improve). ``points.parquet`` holds every point; ``summary.json`` counts the
    regions per topology; figures ``error_ratio`` and ``diversity_ratio`` are heatmaps
    (social weight x correlation, one panel per topology and influencer), the groupthink
    region hatched and the line where the error ratio crosses 1 drawn.
What "stays wise" depends on
    The stays-wise regions come from tying the agents' social weights to their accuracy
    (``crowd.weight_mode: accuracy``: agents further from the truth revise more, Becker et
    al. 2017). With constant weights (plain DeGroot averaging) the crowd's mean does not get
    better while diversity collapses, so every point is groupthink: the diagram maps what that
    coupling buys, not a property of social influence as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, Strict
from sim.metrics import groupthink
from sim.models.estimation import EstimationParams

__all__ = ["GroupthinkConfig", "Config", "run", "figures", "key_numbers"]

#: What the crowd's private estimates look like when the config says nothing (an unbiased
#: normal crowd, ten rounds); every other parameter is EstimationParams' own default.
CROWD_DEFAULTS = {"n_agents": 100, "truth": 100.0, "noise_scale": 10.0, "rounds": 10}


class Topology(Strict):
    """Who sees whom: a named information condition and network."""

    name: str = Field(min_length=1)
    information: Literal["aggregate", "full", "neighbours"]
    network: dict = Field(default_factory=lambda: {"kind": "none"})


class GroupthinkConfig(ExperimentConfig):
    """Config of the phase diagram (``configs/groupthink_phase.yaml``).

    ``crowd`` holds the estimation model's parameters that all points share (the model's own
    schema, :class:`sim.models.estimation.EstimationParams`); the lists sweep the rest.
    """

    experiment: Literal["groupthink_phase"]
    crowd: EstimationParams = Field(default_factory=lambda: EstimationParams(**CROWD_DEFAULTS),
                                    description="the crowd every point starts from")
    replicates: int = Field(200, ge=2, description="crowds per point")
    social_weights: list[float] = Field(min_length=1)
    correlations: list[float] = Field(min_length=1)
    influencer_biases: list[float | None] = Field(min_length=1)
    topologies: list[Topology] = Field(min_length=1)
    collapse: float = Field(0.5, gt=0, lt=1, description="diversity ratio below which "
                                                          "diversity has collapsed")

    @model_validator(mode="after")
    def _check_points(self) -> GroupthinkConfig:
        """Build one point per topology, so a bad combination fails before any work."""
        for topology in self.topologies:
            try:
                EstimationParams(**{**self.base(), **point(topology, self.social_weights[0],
                                                           self.correlations[0],
                                                           self.influencer_biases[0])})
            except ValueError as exc:
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                detail = lines[1] if len(lines) > 1 else (lines[0] if lines else str(exc))
                raise ValueError(f"topologies: {topology.name}: {detail}") from None
        return self

    def base(self) -> dict:
        """The crowd's parameters as the points share them (``fixed`` of the stage)."""
        swept = {"information", "network", "social_weight", "correlation", "n_influencers",
                 "influencer_bias"}
        return {k: v for k, v in self.crowd.model_dump(mode="json").items() if k not in swept}


Config = GroupthinkConfig
METRICS = ("error_of_mean", "error_of_median", "sd", "truth_in_range")


def point(topology: Topology, weight: float, correlation: float, bias: float | None) -> dict:
    """The swept parameters of one point of the phase diagram."""
    return {"information": topology.information, "network": topology.network,
            "social_weight": weight, "correlation": correlation,
            "n_influencers": 0 if bias is None else 1, "influencer_bias": bias}


def design(config: GroupthinkConfig) -> tuple[Stage, pd.DataFrame]:
    """The full factorial as one stage, and a table naming each point."""
    points, labels = [], []
    for topology in config.topologies:
        for bias in config.influencer_biases:
            for rho in config.correlations:
                for weight in config.social_weights:
                    points.append(point(topology, weight, rho, bias))
                    labels.append({"topology": topology.name, "influencer_bias": bias,
                                   "correlation": rho, "social_weight": weight})
    stage = Stage("phase", "estimation", points=points, replicates=config.replicates,
                  fixed=config.base(), metrics=METRICS)
    return stage, pd.DataFrame(labels)


def analyse(runs: pd.DataFrame, labels: pd.DataFrame, rounds: int,
            collapse: float) -> pd.DataFrame:
    """Per point: errors and SD before the first and after the last round (means over the
    crowds), their ratios, and the regions (groupthink, stays wise)."""
    first = runs[runs["round"] == 0].groupby("point_id")[list(METRICS)].mean()
    last = runs[runs["round"] == rounds].groupby("point_id")[list(METRICS)].mean()
    frame = labels.copy()
    frame["error_before"] = first.error_of_mean.to_numpy()
    frame["error_after"] = last.error_of_mean.to_numpy()
    frame["error_ratio"] = frame.error_after / frame.error_before
    frame["sd_before"] = first.sd.to_numpy()
    frame["sd_after"] = last.sd.to_numpy()
    frame["diversity_ratio"] = frame.sd_after / frame.sd_before
    frame["error_of_median_ratio"] = (last.error_of_median / first.error_of_median).to_numpy()
    frame["truth_in_range_after"] = last.truth_in_range.to_numpy()
    frame["groupthink"] = groupthink(frame.diversity_ratio, frame.error_ratio, collapse)
    # staying wise: the crowd's error did not get worse and diversity did not collapse
    frame["stays_wise"] = (frame.error_ratio <= 1.01) & ~frame.groupthink
    return frame


def run(config: GroupthinkConfig, engine: Engine) -> Outcome:
    """Run the phase diagram's stage and summarise its regions."""
    stage, labels = design(config)
    runs = engine.run(stage)
    frame = analyse(runs, labels, config.crowd.rounds, config.collapse)
    engine.log(f"{len(frame)} points x {config.replicates} crowds of {config.crowd.n_agents}")
    regions = describe(frame)
    notes = [f"{name}: groupthink at {r['groupthink_points']} of {r['points']} points"
             + (f" (from social weight {r['lowest_social_weight_with_groupthink']:g})"
                if r["lowest_social_weight_with_groupthink"] is not None else "")
             + f", stays wise at {r['stays_wise_points']}" for name, r in regions.items()]
    notes.append(_depends_on(config))
    return Outcome(summary={"regions": regions}, tables={"points": frame}, notes=notes)


def _depends_on(config: GroupthinkConfig) -> str:
    """What the stays-wise regions depend on, in words (notes and figure titles)."""
    return (f"'stays wise' depends on tying agents' weights to their accuracy (weight_mode "
            f"{config.crowd.weight_mode}, weight_spread {config.crowd.weight_spread:g}): "
            "with constant weights every point is groupthink")


def _bias_label(bias) -> str:
    return "no influencer" if bias is None or pd.isna(bias) else f"biased influencer {bias:+.0%}"


def draw_heatmaps(out_dir: Path, frame: pd.DataFrame, config: GroupthinkConfig,
                  provenance: dict) -> list[Path]:
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    from sim.plots import apply_theme, save

    apply_theme()
    written = []
    topologies = [t.name for t in config.topologies]
    biases = config.influencer_biases
    plt.rcParams["hatch.color"] = "0.25"
    for value, label, cmap in (("error_ratio", "collective error after / before", "RdBu_r"),
                               ("diversity_ratio", "diversity (SD) after / before", "viridis")):
        fig, axes = plt.subplots(len(biases), len(topologies),
                                 figsize=(3.2 * len(topologies) + 1.5, 2.9 * len(biases) + 0.8),
                                 squeeze=False, sharex=True, sharey=True)
        # ratios are shown on a log2 scale: x2 and x1/2 are equally far from "no change"
        logged = np.log2(frame[value].clip(lower=1e-6))
        if value == "error_ratio":
            span = max(float(np.nanmax(np.abs(logged))), 0.1)
            norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
        else:
            norm = plt.Normalize(vmin=min(float(np.nanmin(logged)), -0.1), vmax=0.0)
        image = None
        for row, bias in enumerate(biases):
            for col, name in enumerate(topologies):
                ax = axes[row, col]
                mask = (frame.topology == name) & (
                    frame.influencer_bias.isna() if bias is None
                    else frame.influencer_bias == bias)
                part = frame[mask].assign(logged=logged[mask])
                cell = part.pivot(index="correlation", columns="social_weight", values="logged")
                think = part.pivot(index="correlation", columns="social_weight",
                                   values="groupthink").astype(float)
                x, y = cell.columns.to_numpy(), cell.index.to_numpy()
                image = ax.pcolormesh(_edges(x), _edges(y), cell.to_numpy(), cmap=cmap,
                                      norm=norm, shading="flat")
                hatched = think.to_numpy() > 0.5
                for i, j in zip(*np.nonzero(hatched)):
                    xe, ye = _edges(x), _edges(y)
                    ax.add_patch(plt.Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j],
                                               ye[i + 1] - ye[i], fill=False, hatch="xx",
                                               lw=0))
                if row == 0:
                    ax.set_title(name, fontsize=10)
                if col == 0:
                    ax.set_ylabel(f"{_bias_label(bias)}\nerror correlation")
                if row == len(biases) - 1:
                    ax.set_xlabel("social weight")
        bar = fig.colorbar(image, ax=axes, label=f"{label} (log scale)", shrink=0.85)
        bar.formatter = plt.FuncFormatter(lambda v, _: f"x{2 ** v:.3g}")
        bar.update_ticks()
        fig.suptitle(f"{label}; hatched: groupthink (diversity below {config.collapse:g} of "
                     "its start, error not better)\n" + _depends_on(config), fontsize=11)
        written += save(fig, out_dir / value, provenance)
    return written


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres, for pcolormesh."""
    centres = np.asarray(centres, dtype=float)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


def describe(frame: pd.DataFrame) -> dict:
    """Region counts and where each starts, per topology and influencer (computed)."""
    out = {}
    for (name, bias), part in frame.groupby(["topology", frame.influencer_bias.fillna(0.0)],
                                            sort=False):
        think = part[part.groupthink]
        out[f"{name} / {_bias_label(bias if bias else None)}"] = {
            "points": int(len(part)),
            "groupthink_points": int(part.groupthink.sum()),
            "stays_wise_points": int(part.stays_wise.sum()),
            "lowest_social_weight_with_groupthink": (float(think.social_weight.min())
                                                     if len(think) else None),
            "error_ratio_range": [float(part.error_ratio.min()),
                                  float(part.error_ratio.max())],
            "diversity_ratio_range": [float(part.diversity_ratio.min()),
                                      float(part.diversity_ratio.max())],
        }
    return out


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Draw the heatmaps from ``points.parquet`` and the stored config."""
    config = GroupthinkConfig.model_validate(summary["provenance"]["config"])
    frame = pd.read_parquet(Path(out_dir) / "points.parquet")
    return draw_heatmaps(Path(out_dir), frame, config, summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    rows = []
    for name, region in summary["regions"].items():
        start = region["lowest_social_weight_with_groupthink"]
        rows.append((name, f"groupthink at {region['groupthink_points']} of "
                           f"{region['points']} points"
                     + (f" (from social weight {start:g})" if start is not None else "")
                     + f"; stays wise at {region['stays_wise_points']}"))
    return rows

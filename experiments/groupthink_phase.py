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
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sim.config import ExperimentConfig
from sim.io import write_json, write_parquet
from sim.metrics import groupthink, round_metrics
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.seeding import replicate_seeds

__all__ = ["GroupthinkConfig", "run"]


class Topology(BaseModel):
    """Who sees whom: a named information condition and network."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(min_length=1)
    information: Literal["aggregate", "full", "neighbours"]
    network: dict = Field(default_factory=lambda: {"kind": "none"})


class GroupthinkConfig(ExperimentConfig):
    """Config of the phase diagram (``configs/groupthink_phase.yaml``)."""

    experiment: Literal["groupthink_phase"]
    n_agents: int = Field(100, ge=3)
    truth: float = 100.0
    noise_scale: float = Field(10.0, gt=0, description="SD of private errors (normal)")
    rounds: int = Field(10, ge=1)
    replicates: int = Field(200, ge=2)
    social_weights: list[float] = Field(min_length=1)
    correlations: list[float] = Field(min_length=1)
    influencer_biases: list[float | None] = Field(min_length=1)
    influencer_weight: float = Field(1.0, ge=0)
    weight_mode: Literal["constant", "random", "accuracy"] = Field(
        "constant", description="how social weights vary across agents (see EstimationParams)")
    weight_spread: float = Field(0.0, ge=0)
    topologies: list[Topology] = Field(min_length=1)
    collapse: float = Field(0.5, gt=0, lt=1, description="diversity ratio below which "
                                                          "diversity has collapsed")


Config = GroupthinkConfig


def point_params(config: GroupthinkConfig, topology: Topology, weight: float,
                 correlation: float, bias: float | None) -> EstimationParams:
    return EstimationParams(
        n_agents=config.n_agents, truth=config.truth, noise_scale=config.noise_scale,
        correlation=correlation, rounds=config.rounds, information=topology.information,
        network=topology.network, social_weight=weight,
        n_influencers=0 if bias is None else 1, influencer_bias=bias,
        influencer_weight=config.influencer_weight, weight_mode=config.weight_mode,
        weight_spread=config.weight_spread)


def validate_points(config: GroupthinkConfig) -> None:
    """Build every point's parameters once, so a bad combination fails before any work."""
    from sim.config import ConfigError

    for topology in config.topologies:
        try:
            point_params(config, topology, config.social_weights[0], config.correlations[0],
                         config.influencer_biases[0])
        except ValueError as exc:
            first = str(exc).splitlines()
            raise ConfigError(f"topologies: {topology.name}: "
                              f"{first[-1].strip() if first else exc}") from None


def run_point(params: EstimationParams, seed: int, replicates: int, key: tuple) -> dict:
    batch = simulate_crowds(params, replicate_seeds(seed, replicates, key_prefix=key),
                            record_rounds=[0, params.rounds])
    m = round_metrics(batch.trajectory, truth=params.truth)
    error_before, error_after = m["error_of_mean"][:, 0].mean(), m["error_of_mean"][:, -1].mean()
    sd_before, sd_after = m["sd"][:, 0].mean(), m["sd"][:, -1].mean()
    return {"error_before": error_before, "error_after": error_after,
            "error_ratio": error_after / error_before, "sd_before": sd_before,
            "sd_after": sd_after, "diversity_ratio": sd_after / sd_before,
            "error_of_median_ratio": m["error_of_median"][:, -1].mean()
            / m["error_of_median"][:, 0].mean(),
            "truth_in_range_after": m["truth_in_range"][:, -1].mean()}


def sweep(config: GroupthinkConfig, log) -> pd.DataFrame:
    from tqdm import tqdm

    rows = []
    grid = list(itertools.product(enumerate(config.topologies),
                                  enumerate(config.influencer_biases),
                                  enumerate(config.correlations),
                                  enumerate(config.social_weights)))
    for (t, topology), (b, bias), (c, rho), (w, weight) in tqdm(
            grid, desc="groupthink phase", unit="point", disable=None):
        params = point_params(config, topology, weight, rho, bias)
        result = run_point(params, config.seed, config.replicates, key=(t, b, c, w))
        rows.append({"topology": topology.name, "influencer_bias": bias,
                     "correlation": rho, "social_weight": weight, **result})
    frame = pd.DataFrame(rows)
    frame["groupthink"] = groupthink(frame.diversity_ratio, frame.error_ratio, config.collapse)
    # staying wise: the crowd's error did not get worse and diversity did not collapse
    frame["stays_wise"] = (frame.error_ratio <= 1.01) & ~frame.groupthink
    log(f"{len(frame)} points x {config.replicates} crowds of {config.n_agents}")
    return frame


def _bias_label(bias) -> str:
    return "no influencer" if bias is None or pd.isna(bias) else f"biased influencer {bias:+.0%}"


def draw_heatmaps(out_dir: Path, frame: pd.DataFrame, config: GroupthinkConfig,
                  provenance: dict) -> list[str]:
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
                     "its start, error not better)", fontsize=11)
        written += [str(p) for p in save(fig, out_dir / value, provenance)]
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


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw the heatmaps from ``points.parquet`` and the stored config."""
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


def run(config: GroupthinkConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    validate_points(config)
    frame = sweep(config, log)
    regions = describe(frame)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "points.parquet", frame)
    figures = draw_heatmaps(out_dir, frame, config, provenance)
    summary = {"experiment": config.experiment,
               "title": config.title or "Groupthink phase diagram",
               "regions": regions,
               "files": {"points": "points.parquet",
                         "figures": [Path(f).name for f in figures]},
               "provenance": provenance}
    write_json(out_dir / "summary.json", summary)
    for name, region in regions.items():
        start = region["lowest_social_weight_with_groupthink"]
        log(f"- {name}: groupthink at {region['groupthink_points']} of {region['points']} "
            f"points" + (f" (from social weight {start:g})" if start is not None else "")
            + f", stays wise at {region['stays_wise_points']}")
    return summary

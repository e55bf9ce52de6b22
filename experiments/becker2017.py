"""Becker, Brackbill & Centola (2017): network dynamics of social influence in the wisdom of
crowds (PNAS 114:E5070).

What it runs
    1. The data (``sim/data/becker2017.csv``): groups of 40 answer in 3 rounds; after each
       round a subject sees the mean of its neighbours' estimates, in a decentralized network
       (random, every node degree 4), a centralized one (a star: everybody sees the hub, the
       hub sees everybody) or alone (solo). Errors and SD are divided by the SD of
       independent answers (``sd_pool``). Per network and round (:mod:`sim.analysis.rounds`):
       SD, error of the mean and of the median, mean individual error.
    2. The protocol simulated: private beliefs fitted to round 1 (normal in units of
       ``sd_pool``: individual noise plus an error shared by the group,
       :func:`sim.analysis.calibration.fit_first_round`); revision towards the neighbours'
       mean with accuracy-tied social weights (Becker's mechanism: agents further from the
       truth revise more), the social weight and the accuracy coupling fitted by grid search
       to the decentralized data; the centralized and solo conditions are then predictions.
What it reports
    ``summary.json``: the data's changes, the fit, the simulated changes and a verdict per
    published effect, side by side; ``changes.parquet``; figure ``changes`` (data against
    model, per network and metric).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from sim.analysis.calibration import fit_first_round
from sim.analysis.datasets import load_becker
from sim.analysis.rounds import analyze_rounds, per_group_table
from sim.config import ExperimentConfig
from sim.io import write_json, write_parquet
from sim.metrics import round_metrics
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.seeding import replicate_seeds

__all__ = ["BeckerConfig", "run"]

ROUNDS = ["response_1", "response_2", "response_3"]
NETWORKS = {"Decentralized": "decentralized", "Centralized": "centralized", "Solo": "solo"}
METRICS = {"error_of_mean": "error of the mean", "error_of_median": "error of the median",
           "sd": "SD", "individual_error": "individual error"}
TOLERANCE = 0.02  # a relative change within +-2 % counts as "no change"


class BeckerConfig(ExperimentConfig):
    """Config of the Becker et al. (2017) reproduction (``configs/becker2017.yaml``)."""

    experiment: Literal["becker2017"]
    group_size: int = Field(40, ge=6, description="people per network (Becker: 40)")
    degree: int = Field(4, ge=1, description="degree of the decentralized network (4)")
    social_weights: list[float] = Field(
        default_factory=lambda: [round(0.1 * i, 1) for i in range(1, 10)],
        min_length=1, description="grid of social weights tried in the fit")
    accuracy_couplings: list[float] = Field(
        default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0], min_length=1,
        description="grid of accuracy couplings (weight_spread) tried in the fit")
    groups_per_fit: int = Field(300, ge=20, description="simulated groups per grid point")
    groups: int = Field(4000, ge=20, description="simulated groups per network reported")


Config = BeckerConfig


def data_changes() -> tuple[dict, pd.DataFrame]:
    frame = load_becker()
    table = analyze_rounds(frame, ROUNDS, "truth", ["group_number", "task"], by="network",
                           scale_column="sd_pool")
    groups = per_group_table(frame, ROUNDS, "truth", ["group_number", "task"], by="network",
                             scale_column="sd_pool")
    return table, groups


def network_params(fit: dict, config: BeckerConfig, network: str, weight: float,
                   coupling: float) -> EstimationParams:
    """A group of the experiment, in units of the SD of independent answers (truth 0)."""
    common = dict(n_agents=config.group_size, truth=0.0, noise="normal",
                  noise_scale=fit["noise_scale"], bias_shift=fit["bias"],
                  correlation=fit["correlation"], rounds=len(ROUNDS) - 1,
                  weight_mode="accuracy", social_weight=weight,
                  weight_spread=min(coupling, 1.0))
    if network == "solo":
        return EstimationParams(**common)
    topology = ({"kind": "random_regular", "degree": config.degree}
                if network == "decentralized" else {"kind": "star"})
    return EstimationParams(**common, information="neighbours", network=topology)


def simulate(params: EstimationParams, seed: int, groups: int, key: int) -> dict:
    """Per-round metrics averaged over groups, and their relative changes."""
    batch = simulate_crowds(params, replicate_seeds(seed, groups, key_prefix=(key,)))
    metrics = round_metrics(batch.trajectory, truth=params.truth)
    per_round = {m: np.nanmean(metrics[m], axis=0).tolist() for m in METRICS}
    change = {m: (v[-1] - v[0]) / v[0] for m, v in per_round.items()}
    return {"per_round": per_round, "change": change}


def fit_dynamics(fit: dict, config: BeckerConfig, targets: dict, log) -> dict:
    """Grid search of (social weight, accuracy coupling) on the decentralized changes."""
    best = None
    grid = []
    for weight in config.social_weights:
        for coupling in config.accuracy_couplings:
            params = network_params(fit, config, "decentralized", weight, coupling)
            result = simulate(params, config.seed, config.groups_per_fit, key=0)
            loss = sum((result["change"][m] - targets[m]) ** 2 for m in METRICS)
            grid.append({"social_weight": weight, "accuracy_coupling": coupling,
                         "loss": loss, **{f"change_{m}": result["change"][m]
                                          for m in METRICS}})
            if best is None or loss < best["loss"]:
                best = grid[-1]
    log(f"fitted social weight {best['social_weight']:g}, accuracy coupling "
        f"{best['accuracy_coupling']:g} (squared error of the changes {best['loss']:.4f})")
    return {"best": best, "grid": grid}


def direction(change: float) -> str:
    if change is None or not np.isfinite(change) or abs(change) <= TOLERANCE:
        return "flat"
    return "down" if change < 0 else "up"


def verdicts(data: dict, simulated: dict) -> list[dict]:
    """Per network and metric: the data's change, the model's, same direction?"""
    notes = {"decentralized": "fitted: the social weight and the accuracy coupling are chosen "
                              "to match these changes",
             "centralized": "predicted (not fitted)", "solo": "predicted (not fitted)"}
    out = []
    for label, network in NETWORKS.items():
        for metric, name in METRICS.items():
            d = data["by"][label]["change"][metric]
            s = simulated[network]["change"][metric]
            out.append({"effect": f"{network}: {name} changes from round 1 to 3",
                        "data": d, "simulation": s,
                        "reproduced": direction(d) == direction(s), "note": notes[network]})
    return out


def draw_figure(out_dir: Path, data: dict, simulated: dict, provenance: dict) -> list[str]:
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharey=True)
    positions = np.arange(len(METRICS))
    for ax, (label, network) in zip(axes, NETWORKS.items()):
        d = [100 * data["by"][label]["change"][m] for m in METRICS]
        s = [100 * simulated[network]["change"][m] for m in METRICS]
        for offset, values, colour, name in ((-0.2, d, PALETTE[0], "data"),
                                             (0.2, s, PALETTE[1], "model")):
            bars = ax.bar(positions + offset, values, 0.4, color=colour, label=name)
            ax.bar_label(bars, labels=[f"{v:+.0f}" for v in values], fontsize=7, padding=2)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(positions, ["error of\nthe mean", "error of\nthe median", "SD",
                                  "individual\nerror"], fontsize=9)
        ax.set_title(f"{network} ({data['by'][label]['groups']} groups)")
    axes[0].set_ylabel("change from round 1 to round 3 (%)")
    axes[0].legend(loc="lower left")
    fig.suptitle("Becker et al. (2017): data against the model (decentralized fitted; "
                 "centralized and solo predicted)")
    fig.tight_layout()
    return [str(p) for p in save(fig, out_dir / "changes", provenance)]


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Redraw the figure from ``summary.json``."""
    return draw_figure(Path(out_dir), summary["data"], summary["simulation"],
                       summary.get("provenance", {}))


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    fit, best = summary["fit"]["private_beliefs"], summary["fit"]["dynamics"]["best"]
    rows = [("private beliefs (round 1 fit, units of sd_pool)",
             f"SD {fit['noise_scale']:.3f}, shared share {fit['correlation']:.2f}, "
             f"bias {fit['bias']:+.3f}"),
            ("fitted social weight / accuracy coupling",
             f"{best['social_weight']:g} / {best['accuracy_coupling']:g}")]
    for label, network in NETWORKS.items():
        d = summary["data"]["by"][label]["change"]
        m = summary["simulation"][network]["change"]
        rows.append((f"{network}: change of the error of the mean / SD, data vs model",
                     f"{d['error_of_mean']:+.1%} / {d['sd']:+.1%} vs "
                     f"{m['error_of_mean']:+.1%} / {m['sd']:+.1%}"))
    return rows


def run(config: BeckerConfig, out_dir: Path, provenance: dict, config_dir=None,
        log=print) -> dict:
    """Run the reproduction; write ``summary.json``, ``changes.parquet`` and the figure."""
    data, groups = data_changes()
    fit = fit_first_round(groups[groups["round"] == ROUNDS[0]])
    log(f"private beliefs fitted to round 1 (units of sd_pool): SD {fit['noise_scale']:.3f}, "
        f"shared share {fit['correlation']:.2f}, bias {fit['bias']:+.3f}")
    targets = data["by"]["Decentralized"]["change"]
    log(f"fitting social weight x accuracy coupling ({len(config.social_weights)} x "
        f"{len(config.accuracy_couplings)} grid) to the decentralized changes ...")
    dynamics = fit_dynamics(fit, config, targets, log)
    weight = dynamics["best"]["social_weight"]
    coupling = dynamics["best"]["accuracy_coupling"]
    simulated = {network: simulate(network_params(fit, config, network, weight, coupling),
                                   config.seed, config.groups, key=1 + k)
                 for k, network in enumerate(NETWORKS.values())}
    effects = verdicts(data, simulated)
    rows = [{"network": network, "metric": metric, "data": data["by"][label]["change"][metric],
             "simulation": simulated[network]["change"][metric]}
            for label, network in NETWORKS.items() for metric in METRICS]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "changes.parquet", pd.DataFrame(rows))
    figures = draw_figure(out_dir, data, simulated, provenance)
    summary = {
        "experiment": config.experiment,
        "title": config.title or "Becker et al. (2017)",
        "data": data,
        "fit": {"private_beliefs": fit, "dynamics": dynamics},
        "simulation": simulated,
        "verdicts": effects,
        "published": {"note": "the paper reports, round 1 to 3, decentralized: SD -43 %, "
                              "individual error -23 %, error of the median -12 %, of the mean "
                              "-10 %; centralized with the hub far from the truth: error of "
                              "the mean +19 %, median +32 %; control: SD -3 %"},
        "files": {"changes": "changes.parquet",
                  "figures": [Path(f).name for f in figures]},
        "provenance": provenance,
    }
    write_json(out_dir / "summary.json", summary)
    for effect in effects:
        verdict = "REPRODUCED" if effect["reproduced"] else "NOT reproduced"
        log(f"- {verdict}: {effect['effect']}: data {effect['data']:+.1%}, model "
            f"{effect['simulation']:+.1%} ({effect['note']})")
    return summary

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
       to the decentralized data (stage ``fit``: every grid point x ``groups_per_fit``
       groups); stage ``networks`` then simulates ``groups`` groups per network at the fitted
       values: the centralized and solo conditions are predictions.
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
from pydantic import Field, ValidationError, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.analysis.calibration import (
    crowd_field,
    crowd_with_beliefs,
    fit_first_round,
    round_means,
)
from sim.analysis.datasets import load_becker
from sim.analysis.rounds import analyze_rounds, per_group_table
from sim.config import ExperimentConfig, UnitInterval
from sim.models.estimation import EstimationParams
from sim.stats import direction, relative_change

__all__ = ["BeckerConfig", "Config", "run", "figures", "key_numbers"]

ROUNDS = ["response_1", "response_2", "response_3"]
#: network in the data -> in the model
NETWORKS = {"Decentralized": "decentralized", "Centralized": "centralized", "Solo": "solo"}
METRICS = {"error_of_mean": "error of the mean", "error_of_median": "error of the median",
           "sd": "SD", "individual_error": "individual error"}
#: the data analysis' names -> the estimation model's metrics (sim.metrics.CROWD_METRICS)
SIMULATED = {"error_of_mean": "error_of_mean", "error_of_median": "error_of_median",
             "sd": "sd", "individual_error": "mean_individual_error"}
TOLERANCE = 0.02  # a relative change within +-2 % counts as "no change"

#: A network of the experiment as simulated, unless the config says otherwise: 40 people in
#: units of the SD of independent answers (truth 0), two rounds of revision after the first
#: answer, social weights tied to accuracy.
CROWD_DEFAULTS = {"n_agents": 40, "truth": 0.0, "noise": "normal", "rounds": 2,
                  "weight_mode": "accuracy"}
#: Parameters the experiment sets itself.
SET_BY_EXPERIMENT = {
    "noise_scale": "fitted to the data's first round", "bias_shift": "fitted to the data's "
    "first round", "correlation": "fitted to the data's first round",
    "social_weight": "fitted (grid: social_weights)",
    "weight_spread": "fitted (grid: accuracy_couplings)",
    "information": "set per network", "network": "set per network"}
#: The type of the config's ``crowd``.
Crowd = crowd_field(EstimationParams, CROWD_DEFAULTS, SET_BY_EXPERIMENT,
                    "a simulated group (Becker: 40 people, 2 rounds of revision after the "
                    "first answer)")


class BeckerConfig(ExperimentConfig):
    """Config of the Becker et al. (2017) reproduction (``configs/becker2017.yaml``).

    ``crowd``: the simulated group over :data:`CROWD_DEFAULTS`
    (:func:`~sim.analysis.calibration.crowd_field`), less :data:`SET_BY_EXPERIMENT`: the
    private beliefs come from the data, the social weight and the accuracy coupling from the
    grid search, the information and network from the condition.
    """

    experiment: Literal["becker2017"]
    crowd: Crowd
    degree: int = Field(4, ge=1, description="degree of the decentralized network (4)")
    social_weights: list[UnitInterval] = Field(
        default_factory=lambda: [round(0.1 * i, 1) for i in range(1, 10)],
        min_length=1, description="grid of social weights tried in the fit")
    accuracy_couplings: list[UnitInterval] = Field(
        default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0], min_length=1,
        description="grid of accuracy couplings (weight_spread) tried in the fit")
    groups_per_fit: int = Field(300, ge=20, description="simulated groups per grid point")
    groups: int = Field(4000, ge=20, description="simulated groups per network reported")

    @model_validator(mode="after")
    def _check_networks(self) -> BeckerConfig:
        """Build each network's group once, so a bad combination fails before any work."""
        for network in NETWORKS.values():
            try:
                EstimationParams(**{**self.crowd.model_dump(exclude=set(SET_BY_EXPERIMENT)),
                                    **network_point(self, network, 0.5, 0.5)})
            except ValidationError as exc:
                detail = exc.errors()[0]["msg"].removeprefix("Value error, ")
                raise ValueError(f"{network} network: {detail}") from None
        return self


Config = BeckerConfig


def data_changes() -> tuple[dict, pd.DataFrame]:
    """The data's per-round table per network, and the per-group table."""
    frame = load_becker()
    table = analyze_rounds(frame, ROUNDS, "truth", ["group_number", "task"], by="network",
                           scale_column="sd_pool")
    groups = per_group_table(frame, ROUNDS, "truth", ["group_number", "task"], by="network",
                             scale_column="sd_pool")
    return table, groups


def network_point(config: BeckerConfig, network: str, weight: float, coupling: float) -> dict:
    """The parameters of one network condition at a social weight and accuracy coupling."""
    if network == "solo":
        seen = {"information": "none", "network": {"kind": "none"}}
    else:
        seen = {"information": "neighbours",
                "network": ({"kind": "random_regular", "degree": config.degree}
                            if network == "decentralized" else {"kind": "star"})}
    return {**seen, "social_weight": weight, "weight_spread": coupling}


def changes(per_round: dict) -> dict:
    """Per-round means and their relative changes from the first to the last round."""
    return {"per_round": per_round,
            "change": {m: relative_change(v) for m, v in per_round.items()}}


def fit_dynamics(engine: Engine, config: BeckerConfig, fixed: dict, targets: dict) -> dict:
    """Grid search of (social weight, accuracy coupling) on the decentralized changes: every
    grid point is a point of stage ``fit``."""
    grid = [(weight, coupling) for weight in config.social_weights
            for coupling in config.accuracy_couplings]
    runs = engine.run(Stage("fit", "estimation",
                            points=[network_point(config, "decentralized", w, c)
                                    for w, c in grid],
                            replicates=config.groups_per_fit, fixed=fixed,
                            metrics=list(SIMULATED.values())))
    means = round_means(runs, SIMULATED)
    rows, best = [], None
    for i, (weight, coupling) in enumerate(grid):
        change = changes(means[i])["change"]
        loss = sum((change[m] - targets[m]) ** 2 for m in METRICS)
        rows.append({"social_weight": weight, "accuracy_coupling": coupling, "loss": loss,
                     **{f"change_{m}": change[m] for m in METRICS}})
        if best is None or loss < best["loss"]:
            best = rows[-1]
    engine.log(f"fitted social weight {best['social_weight']:g}, accuracy coupling "
               f"{best['accuracy_coupling']:g} (squared error of the changes "
               f"{best['loss']:.4f})")
    return {"best": best, "grid": rows}


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
                        "reproduced": direction(d, TOLERANCE) == direction(s, TOLERANCE),
                        "note": notes[network]})
    return out


def run(config: BeckerConfig, engine: Engine) -> Outcome:
    """Analyse the data, fit beliefs and dynamics, simulate each network."""
    data, groups = data_changes()
    beliefs = fit_first_round(groups[groups["round"] == ROUNDS[0]])
    engine.log(f"private beliefs fitted to round 1 (units of sd_pool): SD "
               f"{beliefs['noise_scale']:.3f}, shared share {beliefs['correlation']:.2f}, "
               f"bias {beliefs['bias']:+.3f}")
    # every simulated group: the config's crowd with the beliefs, in units of sd_pool
    fixed = crowd_with_beliefs(config.crowd, beliefs, SET_BY_EXPERIMENT)
    engine.log(f"fitting social weight x accuracy coupling ({len(config.social_weights)} x "
               f"{len(config.accuracy_couplings)} grid) to the decentralized changes ...")
    dynamics = fit_dynamics(engine, config, fixed, data["by"]["Decentralized"]["change"])
    weight = dynamics["best"]["social_weight"]
    coupling = dynamics["best"]["accuracy_coupling"]
    runs = engine.run(Stage("networks", "estimation",
                            points=[network_point(config, network, weight, coupling)
                                    for network in NETWORKS.values()],
                            replicates=config.groups, fixed=fixed,
                            metrics=list(SIMULATED.values())))
    means = round_means(runs, SIMULATED)
    simulated = {network: changes(means[i]) for i, network in enumerate(NETWORKS.values())}
    table = pd.DataFrame([{"network": network, "metric": metric,
                           "data": data["by"][label]["change"][metric],
                           "simulation": simulated[network]["change"][metric]}
                          for label, network in NETWORKS.items() for metric in METRICS])
    return Outcome(
        summary={"data": data, "fit": {"private_beliefs": beliefs, "dynamics": dynamics},
                 "simulation": simulated,
                 "published": {"note": "the paper reports, round 1 to 3, decentralized: SD "
                                       "-43 %, individual error -23 %, error of the median "
                                       "-12 %, of the mean -10 %; centralized with the hub "
                                       "far from the truth: error of the mean +19 %, median "
                                       "+32 %; control: SD -3 %"}},
        tables={"changes": table}, verdicts=verdicts(data, simulated))


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Data against the model per network and metric, from ``changes.parquet``."""
    import matplotlib.pyplot as plt

    from sim.plots import PALETTE, apply_theme, save

    out_dir = Path(out_dir)
    table = pd.read_parquet(out_dir / "changes.parquet").set_index(["network", "metric"])
    apply_theme()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharey=True)
    positions = np.arange(len(METRICS))
    for ax, (label, network) in zip(axes, NETWORKS.items()):
        d = [100 * table.loc[(network, m), "data"] for m in METRICS]
        s = [100 * table.loc[(network, m), "simulation"] for m in METRICS]
        for offset, values, colour, name in ((-0.2, d, PALETTE[0], "data"),
                                             (0.2, s, PALETTE[1], "model")):
            bars = ax.bar(positions + offset, values, 0.4, color=colour, label=name)
            ax.bar_label(bars, labels=[f"{v:+.0f}" for v in values], fontsize=7, padding=2)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(positions, ["error of\nthe mean", "error of\nthe median", "SD",
                                  "individual\nerror"], fontsize=9)
        ax.set_title(f"{network} ({summary['data']['by'][label]['groups']} groups)")
    axes[0].set_ylabel("change from round 1 to round 3 (%)")
    axes[0].legend(loc="lower left")
    fig.suptitle("Becker et al. (2017): data against the model (decentralized fitted; "
                 "centralized and solo predicted)")
    fig.tight_layout()
    return save(fig, out_dir / "changes", summary.get("provenance", {}))


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

"""Golub & Jackson (2010): DeGroot consensus is the influence-weighted initial mean, and it is
wise exactly when no agent keeps a share of the influence as the crowd grows.

What it runs
    Two stages of the estimation model's DeGroot rounds (``rule="average"``, constant or
    drawn social weights, no confidence bound), one run per network (model :data:`DEGROOT`),
    for every network kind of ``kinds`` (ring lattice, small world, random regular,
    Erdos-Renyi, communities, a star, an influencer seen by all, ...):
    1. ``check``: ``check.networks`` networks per kind and size in ``check.sizes``. A run
       builds its network from its seed as the kernel does, draws its private estimates
       ``x(0)`` through the kernel (:func:`~sim.models.estimation.kernel.simulate_crowds`)
       from a child seed, then runs the kernel's rounds from ``x(0)`` in chunks
       of doubling length (``check.first_chunk``, twice that, ...) until the spread of the
       estimates is below ``check.tolerance`` times their first spread (at most
       ``check.max_rounds``), and compares the consensus with ``pi . x(0)``, ``pi`` the
       influence vector of the same network and weights
       (:func:`~sim.models.estimation.theory.params_influence_weights`). A network whose
       influence matrix is not strongly connected (an Erdos-Renyi graph in pieces, say) is
       refused by the theory and counted, not simulated.
    2. ``scaling``: ``scaling.replicates`` crowds per kind (those with ``scaling: true``) and
       size in ``scaling.sizes`` (10 to 10,000 agents): the consensus error ``pi . x(0) -
       truth`` (stage 1 shows it is what the rounds reach; at 10,000 agents a ring lattice
       needs about 2 x 10^8 rounds to get there, beyond any simulation), against the independent
       crowd's mean ``sigma / sqrt(n)`` and the theory ``sigma sqrt(sum pi_i^2)``.
What it reports
    ``summary.json`` and tables ``networks`` (one row per stage-1 network), ``check`` (per
    kind and size), ``scaling`` (per kind and size: RMSE of the consensus with its 90 %
    interval, theory, independent crowd, largest influence) and ``slopes``. Verdicts (the
    one rule of :mod:`sim.verdicts`): (1) the simulated consensus equals ``pi . x(0)`` on
    every network to ``rule_tolerance`` of the initial range (the rule is the data, an exact
    interval [0, tolerance]; the simulation's value the largest deviation observed); (2) per
    scaling kind, the log-log slope of the consensus RMSE against n (bootstrap interval over
    crowds, Bonferroni over the experiment's comparisons) against the theory's slope, -1/2
    for the independent crowd, about 0 for a star or an influencer seen by all; (3) the
    RMSE against ``sigma sqrt(sum pi^2)`` at every kind and size (the point farthest off
    shown). Figures ``consensus_check`` and ``consensus_error``.

Source: B. Golub & M. O. Jackson (2010), "Naive learning in social networks and the wisdom of
crowds", American Economic Journal: Microeconomics 2(1):112-149; M. H. DeGroot (1974),
"Reaching a consensus", JASA 69:118.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim.config import ExperimentConfig, Strict, check_distinct, check_params
from sim.models.estimation import EstimationParams
from sim.report import reproduced_row
from sim.stats import family_z
from sim.sweep.models import SweepModel
from sim.verdicts import verdict_row

__all__ = ["GolubJacksonConfig", "Config", "DeGrootRun", "DEGROOT", "run", "figures",
           "key_numbers"]

#: Stage-1 run measures and stage-2 measures of one run (see :func:`run_degroot`).
METRICS = ("deviation", "rounds_used", "converged", "refused", "max_influence",
           "sum_sq_influence", "consensus_error", "mean_error")


# ---------------------------------------------------------------------------------------------
# one run: a network, its private estimates, DeGroot rounds until consensus


class DeGrootRun(EstimationParams):
    """A crowd of the estimation model (:class:`EstimationParams`, its ``rounds`` unused)
    revising until consensus: one run of :data:`DEGROOT`."""

    label: str = Field("", description="the network kind's name (a label only)")
    max_rounds: int = Field(0, ge=0, description="most rounds simulated (0: none; the "
                                                 "consensus is then pi . x(0) alone)")
    tolerance: float = Field(1e-12, gt=0, lt=1, description="stop when the spread of the "
                                                            "estimates is below this share "
                                                            "of their first spread")
    first_chunk: int = Field(200, ge=1, description="rounds of the first chunk (then doubling)")


def _private_crowd(params: DeGrootRun, seed: int):
    """The run's network and private estimates ``x(0)``: the network built from ``seed`` as
    the kernel builds it (one integer drawn first, random kinds only), the estimates drawn
    by the kernel from the child seed ``derive_seed(seed, 1)`` (so that a large random
    network is built once per run, not once per kernel call)."""
    from sim.models.estimation import simulate_crowds
    from sim.networks import build, parse_spec
    from sim.seeding import derive_seed, generator

    network = build(params.network, params.n_agents, generator(seed))
    beliefs = params.model_copy(update={"rounds": 0, "information": "none",
                                        "network": parse_spec({"kind": "none"})})
    x0 = simulate_crowds(beliefs, [derive_seed(seed, 1)]).estimates[0].copy()
    return network, x0


def _drawn_weights(params: DeGrootRun, seed: int, x0: np.ndarray) -> np.ndarray | None:
    """The social weights rounds from ``x0`` with ``seed`` use (drawn after the network),
    or None when they are the constant ``social_weight``."""
    from sim.models.estimation import simulate_crowds

    if params.weight_mode == "constant" and params.stubborn_share == 0:
        return None
    private = params.model_copy(update={"rounds": 0})
    return simulate_crowds(private, [seed], initial_estimates=x0).social_weights[0].copy()


def _rounds_until_consensus(params: DeGrootRun, seed: int, x0: np.ndarray):
    """Chunks of DeGroot rounds from ``x0`` through the kernel, each twice as long as the
    one before, until the spread of the estimates is below ``tolerance`` of the first
    (or ``max_rounds``). Every chunk starts from given estimates with the same seed, so it
    draws the same network and social weights (and no beliefs). Returns (estimates, rounds,
    converged, the social weights the rounds used)."""
    from sim.models.estimation import simulate_crowds

    spread0 = float(np.ptp(x0))
    x, done, chunk, weights = x0, 0, params.first_chunk, None
    converged = spread0 == 0.0
    while not converged and done < params.max_rounds:
        step = min(chunk, params.max_rounds - done)
        batch = simulate_crowds(params.model_copy(update={"rounds": step}), [seed],
                                record_rounds=[step], initial_estimates=x)
        if weights is None:
            weights = batch.social_weights[0].copy()
        elif not np.array_equal(batch.social_weights[0], weights):
            raise RuntimeError("the social weights changed between chunks of rounds")
        x = batch.estimates[0].copy()
        done += step
        chunk *= 2
        converged = float(np.ptp(x)) <= params.tolerance * spread0
    return x, done, converged, weights


def run_degroot(params: DeGrootRun, seeds: np.ndarray,
                metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One network per seed: the influence vector, the theory's consensus ``pi . x(0)`` and,
    with ``max_rounds > 0``, the consensus the kernel's rounds reach.

    Metrics: ``deviation`` = |simulated consensus - pi . x(0)| / (max x(0) - min x(0));
    ``rounds_used``; ``converged`` (1 when the spread fell below ``tolerance`` of the
    first); ``refused`` (1 when the influence matrix is not strongly connected or is
    periodic: no consensus to compare, the other metrics NaN); ``max_influence``,
    ``sum_sq_influence``; ``consensus_error`` = pi . x(0) - truth; ``mean_error`` = the
    independent crowd's mean of x(0) - truth. ``pi`` is computed for the social weights the
    rounds use (:func:`_drawn_weights`).

    Examples
    --------
    >>> p = DeGrootRun(n_agents=12, information="neighbours", social_weight=0.3,
    ...                network={"kind": "ring_lattice", "degree": 4}, max_rounds=20000)
    >>> out = run_degroot(p, np.array([3]), METRICS)
    >>> bool(out["deviation"][0] < 1e-12), out["refused"].tolist(), out["max_influence"].round(4)
    (True, [0.0], array([0.0833]))
    """
    from sim.models.estimation.theory import params_influence_weights

    out = {name: np.full(len(seeds), np.nan) for name in METRICS}
    for r, seed in enumerate(np.asarray(seeds, dtype=np.int64)):
        network, x0 = _private_crowd(params, int(seed))
        out["mean_error"][r] = x0.mean() - params.truth
        if params.max_rounds > 0:
            x, done, converged, weights = _rounds_until_consensus(params, int(seed), x0)
        else:
            weights = _drawn_weights(params, int(seed), x0)
        try:
            pi = params_influence_weights(params, network, weights)
        except ValueError:
            out["refused"][r] = 1.0
            continue
        out["refused"][r] = 0.0
        theory = float(pi @ x0)
        out["max_influence"][r] = pi.max()
        out["sum_sq_influence"][r] = float(pi @ pi)
        out["consensus_error"][r] = theory - params.truth
        if params.max_rounds == 0:
            continue
        spread0 = float(np.ptp(x0))
        out["rounds_used"][r] = done
        out["converged"][r] = float(converged)
        out["deviation"][r] = abs(float(x.mean()) - theory) / (spread0 if spread0 > 0 else 1.0)
    return {name: out[name] for name in metrics}


def _seconds_per_run(point: dict) -> float:
    """Measured on one core: a stage-1 network about 30 ms (chunks of rounds); a stage-2
    crowd about 1 us per agent, 27 us per agent for a random regular graph (networkx builds
    it), 8 us with an influencer seen by all (the influence vector is iterated)."""
    if point.get("max_rounds", 0) > 0:
        return 0.03
    n = point.get("n_agents", 100)
    kind = (point.get("network") or {}).get("kind", "none")
    per_agent = 2.7e-5 if kind == "random_regular" else (
        8e-6 if point.get("influencer_reach") == "all" else 1e-6)
    return per_agent * n + 2e-3


DEGROOT = SweepModel(
    params_schema=DeGrootRun,
    run_batch=run_degroot,
    metrics=METRICS,
    seconds_per_run=_seconds_per_run,
    example={"n_agents": 12, "information": "neighbours", "social_weight": 0.3,
             "network": {"kind": "ring_lattice", "degree": 4}, "max_rounds": 5000},
)
"""DeGroot runs as the sweep engine runs them (``"experiments.golub_jackson:DEGROOT"``)."""
DEGROOT_PATH = "experiments.golub_jackson:DEGROOT"


# ---------------------------------------------------------------------------------------------
# the config


class Kind(Strict):
    """One kind of network: a name and the estimation parameters that make it."""

    name: str = Field(min_length=1, description="the name shown in tables and figures")
    params: dict[str, Any] = Field(description="EstimationParams fields: network, "
                                               "influencers, weights")
    scaling: bool = Field(True, description="also in the scaling stage (sizes to 10^4)")


class CheckDesign(Strict):
    """Stage 1: simulated consensus against pi . x(0)."""

    sizes: list[int] = Field(min_length=1, description="crowd sizes")
    networks: int = Field(20, ge=1, description="networks (runs) per kind and size")
    tolerance: float = Field(1e-12, gt=0, lt=1e-9, description="stop rounds at this spread "
                                                               "(share of the first)")
    max_rounds: int = Field(1_000_000, ge=1, description="most rounds per network")
    first_chunk: int = Field(200, ge=1, description="rounds of the first chunk")


class ScalingDesign(Strict):
    """Stage 2: the consensus error as the crowd grows."""

    sizes: list[int] = Field(min_length=2, description="crowd sizes (10 to 10,000)")
    replicates: int = Field(200, ge=10, description="crowds per kind and size")


class GolubJacksonConfig(ExperimentConfig):
    """Config of the Golub & Jackson experiment (``configs/golub_jackson.yaml``)."""

    experiment: Literal["golub_jackson"]
    crowd: dict[str, Any] = Field(default_factory=dict, description="EstimationParams fields "
                                                                     "every run shares")
    kinds: list[Kind] = Field(min_length=1)
    check: CheckDesign
    scaling: ScalingDesign
    rule_tolerance: float = Field(1e-9, gt=0, description="largest accepted deviation of the "
                                                          "consensus, share of x(0)'s range")
    bootstrap: int = Field(2000, ge=200, description="bootstrap resamples of the slopes")

    @model_validator(mode="after")
    def _check_points(self) -> GolubJacksonConfig:
        check_distinct("kinds", [k.name for k in self.kinds])
        check_distinct("check.sizes", self.check.sizes)
        check_distinct("scaling.sizes", self.scaling.sizes)
        for name in ("rounds", "n_agents"):
            if name in self.crowd:
                raise ValueError(f"crowd: {name} is set by the experiment, not the config")
        if self.crowd.get("noise", "normal") != "normal":
            raise ValueError("crowd: noise must be normal (the theory's sigma is its SD)")
        for kind in self.kinds:
            for n in sorted(set(self.check.sizes) | (set(self.scaling.sizes) if kind.scaling
                                                       else set())):
                p = check_params(DeGrootRun, f"kinds ({kind.name}, n_agents {n})",
                                 **{**self.crowd, **kind.params, "n_agents": n})
                if p.information not in ("neighbours", "full") or p.rule != "average":
                    raise ValueError(f"kinds ({kind.name}): needs information neighbours or "
                                     "full and rule average (DeGroot rounds)")
        return self


Config = GolubJacksonConfig


# ---------------------------------------------------------------------------------------------
# the simulation and analysis


def _points(config: GolubJacksonConfig, kinds: list[Kind], sizes: list[int],
            extra: dict) -> list[dict]:
    """One point per kind and size, every point naming the same parameters (the defaults of
    :class:`DeGrootRun` where a kind sets nothing)."""
    names = sorted({key for kind in kinds for key in kind.params} | {"label"})
    points = []
    for kind in kinds:
        for n in sizes:
            p = DeGrootRun(**{**config.crowd, **kind.params, "n_agents": n,
                              "label": kind.name})
            dumped = p.model_dump(mode="json")
            points.append({**{key: dumped[key] for key in names}, "n_agents": n, **extra})
    return points


def _fixed(config: GolubJacksonConfig, points: list[dict]) -> dict:
    """The crowd's parameters the points do not set (a kind may override one)."""
    return {key: value for key, value in config.crowd.items() if key not in points[0]}


def _rmse_interval(errors: np.ndarray, z: float) -> tuple[float, float, float]:
    """RMSE and its interval sqrt(MSE +- z SE(MSE)) over independent crowds."""
    sq = errors ** 2
    mse = float(sq.mean())
    se = float(sq.std(ddof=1) / np.sqrt(sq.size))
    return np.sqrt(mse), np.sqrt(max(mse - z * se, 0.0)), np.sqrt(mse + z * se)


def _slope(n: np.ndarray, values: np.ndarray) -> float:
    return float(np.polyfit(np.log(n), np.log(values), 1)[0])


def analyse(check_runs: pd.DataFrame, scaling_runs: pd.DataFrame, config: GolubJacksonConfig
            ) -> tuple[dict[str, pd.DataFrame], list[dict], dict]:
    """Tables, verdict rows and summary numbers from the two stages' runs."""
    sigma = float(config.crowd.get("noise_scale",
                                   EstimationParams.model_fields["noise_scale"].default))
    order = [k.name for k in config.kinds]
    networks = check_runs.rename(columns={"label": "kind", "n_agents": "n"})[
        ["kind", "n", "replicate", "seed", "deviation", "rounds_used", "converged", "refused",
         "max_influence"]].copy()
    check = (networks.groupby(["kind", "n"], sort=False)
             .agg(networks=("refused", "size"), refused=("refused", "sum"),
                  converged=("converged", "sum"), max_deviation=("deviation", "max"),
                  median_rounds=("rounds_used", "median"), max_rounds=("rounds_used", "max"))
             .reset_index())
    tested = networks[networks.refused == 0]
    unconverged = int((tested.converged == 0).sum())
    worst = tested.loc[tested.deviation.idxmax()] if len(tested) else None

    scaling_kinds = [k.name for k in config.kinds if k.scaling]
    runs = scaling_runs.rename(columns={"label": "kind", "n_agents": "n"})
    refused_scaling = int(runs.refused.sum())
    runs = runs[runs.refused == 0]
    points = runs.groupby(["kind", "n"], sort=False)
    n_points = points.ngroups
    # one family: every RMSE-against-theory point and every slope (Bonferroni)
    family = n_points + len(scaling_kinds)
    z = family_z(family)
    rows = []
    for (kind, n), group in points:
        rmse, lo, hi = _rmse_interval(group.consensus_error.to_numpy(), z)
        mean_rmse, mean_lo, mean_hi = _rmse_interval(group.mean_error.to_numpy(), z)
        theory = sigma * np.sqrt(group.sum_sq_influence.mean())
        rows.append({"kind": kind, "n": int(n), "crowds": len(group), "rmse": rmse,
                     "rmse_low": lo, "rmse_high": hi, "theory": theory,
                     "independent": sigma / np.sqrt(n), "independent_rmse": mean_rmse,
                     "max_influence": group.max_influence.mean(),
                     "sum_sq_influence": group.sum_sq_influence.mean(),
                     "z": (rmse - theory) / max((hi - lo) / (2 * z), 1e-300)})
    scaling = pd.DataFrame(rows)

    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2010]))
    level = 0.10 / family
    slope_rows = []
    for kind in scaling_kinds:
        sub = runs[runs.kind == kind]
        sizes = np.array(sorted(sub.n.unique()))
        errors = [sub[sub.n == n].consensus_error.to_numpy() for n in sizes]
        rmse = np.array([np.sqrt(np.mean(e ** 2)) for e in errors])
        theory = np.array([sigma * np.sqrt(sub[sub.n == n].sum_sq_influence.mean())
                           for n in sizes])
        boot = np.empty(config.bootstrap)
        for b in range(config.bootstrap):
            resampled = [np.sqrt(np.mean(rng.choice(e, e.size) ** 2)) for e in errors]
            boot[b] = _slope(sizes, np.array(resampled))
        low, high = np.quantile(boot, [level / 2, 1 - level / 2])
        slope_rows.append({"kind": kind, "slope": _slope(sizes, rmse),
                           "slope_low": float(low), "slope_high": float(high),
                           "theory_slope": _slope(sizes, theory),
                           "largest_n": int(sizes[-1]),
                           "max_influence_at_largest": float(
                               sub[sub.n == sizes[-1]].max_influence.mean())})
    slopes = pd.DataFrame(slope_rows)

    verdicts = []
    tol = config.rule_tolerance
    max_dev = float(tested.deviation.max()) if len(tested) else float("nan")
    row = verdict_row(
        f"the simulated consensus equals the influence-weighted initial mean pi . x(0) on every "
        f"network (rule: max relative deviation <= {tol:g} over {len(tested)} networks)",
        tol, [0.0, tol], max_dev if unconverged == 0 else float("nan"),
        [max_dev, max_dev] if unconverged == 0 else None, null=None, data_ci_source="exact",
        note=f"deviation = |consensus - pi . x(0)| / (max x(0) - min x(0)); data: the rule's "
             f"interval [0, {tol:g}], model: the largest deviation observed (worst: "
             f"{worst.kind if worst is not None else '-'}, n = "
             f"{int(worst.n) if worst is not None else '-'}); {unconverged} networks did not "
             f"reach the spread tolerance {config.check.tolerance:g}; "
             f"{int(networks.refused.sum())} networks refused by the theory as not strongly "
             "connected (not simulated)")
    row["networks"] = int(len(tested))
    verdicts.append(row)
    for s in slope_rows:
        falls = s["theory_slope"] < -0.25
        what = ("falls like the independent crowd's" if falls else "does not fall")
        verdicts.append(verdict_row(
            f"{s['kind']}: the consensus error {what} as n grows (theory slope "
            f"{s['theory_slope']:.2f}; the independent crowd's -0.50)",
            s["theory_slope"], [s["theory_slope"]] * 2, s["slope"],
            [s["slope_low"], s["slope_high"]], null=None, data_ci_source="exact",
            note=f"log-log slope of the RMSE of pi . x(0) over n = "
                 f"{', '.join(str(int(n)) for n in sorted(runs.n.unique()))}; data: the slope of "
                 f"sigma sqrt(sum pi^2); model: bootstrap interval over crowds (90 % for all "
                 f"{family} comparisons of the experiment together); largest influence at n = "
                 f"{s['largest_n']}: {s['max_influence_at_largest']:.3g}"))
    if len(scaling):
        far = scaling.loc[scaling.z.abs().idxmax()]
        verdicts.append(verdict_row(
            "the consensus error's RMSE equals sigma sqrt(sum pi_i^2) at every kind and size",
            float(far.theory), [float(far.theory)] * 2, float(far.rmse),
            [float(far.rmse_low), float(far.rmse_high)], null=None, data_ci_source="exact",
            note=f"shown: the point farthest from its theory, of {len(scaling)} ({far.kind}, "
                 f"n = {int(far.n)}); model: sqrt(MSE +- z SE) over crowds, z = {z:.3f} (90 % "
                 f"for all {family} comparisons together)"))
    summary = {"sigma": sigma, "max_deviation": max_dev, "networks_tested": int(len(tested)),
               "networks_refused": int(networks.refused.sum()),
               "networks_unconverged": unconverged, "scaling_refused": refused_scaling,
               "kinds": order, "family": family}
    tables = {"networks": networks, "check": check, "scaling": scaling, "slopes": slopes}
    return tables, verdicts, summary


def run(config: GolubJacksonConfig, engine: Engine) -> Outcome:
    """Run both stages and compare them with the theory."""
    c = config.check
    check_points = _points(config, config.kinds, c.sizes,
                           {"max_rounds": c.max_rounds, "tolerance": c.tolerance,
                            "first_chunk": c.first_chunk})
    check_runs = engine.run(Stage("check", DEGROOT_PATH, check_points, c.networks,
                                  fixed=_fixed(config, check_points)))
    engine.log(f"check: {len(check_runs)} networks")
    scaling_kinds = [k for k in config.kinds if k.scaling]
    scaling_points = _points(config, scaling_kinds, config.scaling.sizes, {"max_rounds": 0})
    scaling_runs = engine.run(Stage("scaling", DEGROOT_PATH, scaling_points,
                                    config.scaling.replicates,
                                    fixed=_fixed(config, scaling_points)))
    tables, verdicts, summary = analyse(check_runs, scaling_runs, config)
    notes = [
        "Stage 2 takes the consensus as pi . x(0) without simulating the rounds, which stage 1 "
        "checks network by network; a ring lattice of 10,000 agents would need about 2 x 10^8 "
        "rounds to reach it (its second eigenvalue is within about 1.5e-7 of 1).",
        "Erdos-Renyi and community networks drawn in pieces are refused by the theory (no "
        "single consensus) and counted, not redrawn.",
    ]
    summary["check"] = tables["check"].to_dict(orient="records")
    summary["scaling"] = tables["scaling"].to_dict(orient="records")
    summary["slopes"] = tables["slopes"].to_dict(orient="records")
    return Outcome(summary=summary, tables=tables, verdicts=verdicts, notes=notes)


# ---------------------------------------------------------------------------------------------
# figures and key numbers


def figures(out_dir: Path, summary: dict) -> list[Path]:
    """Figures ``consensus_check`` and ``consensus_error``, from the stored tables."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    from sim.plots import PALETTE, apply_theme, save

    out_dir = Path(out_dir)
    apply_theme()
    provenance = summary.get("provenance", {})
    tolerance = provenance.get("config", {}).get("rule_tolerance", 1e-9)
    networks = pd.read_parquet(out_dir / "networks.parquet")
    kinds = list(dict.fromkeys(networks.kind))
    colours = dict(zip(kinds, PALETTE * 3))
    tested = networks[networks.refused == 0]
    paths = []

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 5.0), layout="constrained")
    floor = 1e-18  # a deviation of exactly 0 shown at the axis' floor
    for y, kind in enumerate(kinds):
        sub = tested[tested.kind == kind]
        jitter = (np.linspace(-0.25, 0.25, len(sub)) if len(sub) > 1 else np.zeros(len(sub)))
        left.scatter(np.maximum(sub.deviation, floor), y + jitter, s=10, alpha=0.6,
                     color=colours[kind])
        for n, group in sub.groupby("n"):
            right.scatter(n, group.rounds_used.median(), color=colours[kind], s=25)
        by_n = sub.groupby("n").rounds_used.median()
        right.plot(by_n.index, by_n.values, color=colours[kind], lw=1.2, label=kind)
    left.axvline(tolerance, color="black", ls="--", lw=1.2)
    left.text(tolerance, len(kinds) - 0.4, f" rule: {tolerance:g}", va="bottom", fontsize=9)
    left.set_xscale("log")
    left.set_yticks(range(len(kinds)), kinds)
    left.set_ylim(-0.6, len(kinds) - 0.1)
    left.invert_yaxis()
    left.set_xlabel("|simulated consensus \u2212 \u03c0\u00b7x(0)| / range of x(0)  (log scale)")
    left.set_title(f"Consensus against theory: {len(tested)} networks")
    sizes = sorted(int(n) for n in tested.n.unique())
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xticks(sizes, [str(n) for n in sizes])
    right.xaxis.set_minor_locator(NullLocator())
    right.set_xlim(min(sizes) / 1.3, max(sizes) * 1.3)
    right.set_xlabel("crowd size n (agents, log scale)")
    right.set_ylabel("rounds until the spread is 1e-12\nof the first (median over networks)")
    right.set_title("Rounds to consensus")
    fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncol=5,
               fontsize=8, frameon=False)
    paths += save(fig, out_dir / "consensus_check", provenance)

    scaling = pd.read_parquet(out_dir / "scaling.parquet")
    sigma = summary.get("sigma", 1.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.8), layout="constrained")
    skinds = list(dict.fromkeys(scaling.kind))
    shifts = np.exp((np.arange(len(skinds)) - (len(skinds) - 1) / 2) * 0.05)
    for kind, shift in zip(skinds, shifts):
        sub = scaling[scaling.kind == kind].sort_values("n")
        colour = colours.get(kind, "0.3")
        err = [(sub.rmse - sub.rmse_low) / sigma, (sub.rmse_high - sub.rmse) / sigma]
        left.errorbar(sub.n * shift, sub.rmse / sigma, yerr=err, fmt="o", ms=4, capsize=2,
                      color=colour, label=kind)
        left.plot(sub.n, sub.theory / sigma, "--", color=colour, lw=1)
        right.errorbar(sub.max_influence, sub.rmse / sigma, yerr=err, fmt="o", ms=4,
                       capsize=2, color=colour, label=kind)
    n_line = np.array([scaling.n.min(), scaling.n.max()], dtype=float)
    left.plot(n_line, 1 / np.sqrt(n_line), ":", color="black", lw=1.5,
              label="independent crowd \u03c3/\u221an")
    left.plot([], [], "--", color="0.3", lw=1,
              label="theory \u03c3\u221a(\u03a3\u03c0\u1d62\u00b2)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("crowd size n (agents)")
    left.set_ylabel("RMSE of the consensus / \u03c3")
    left.set_title("Consensus error as the crowd grows")
    left.legend(fontsize=8, loc="lower left")
    m = np.array([scaling.max_influence.min(), scaling.max_influence.max()])
    right.plot(m, m, ":", color="black", lw=1.5, label="\u03c3 \u00b7 max \u03c0 (a lower bound)")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("largest influence max \u03c0\u1d62 (mean over crowds)")
    right.set_ylabel("RMSE of the consensus / \u03c3")
    right.set_title("Error against the largest influence")
    right.legend(fontsize=8, loc="upper left")
    paths += save(fig, out_dir / "consensus_error", provenance)
    return paths


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    rows = [("largest deviation of the consensus from pi . x(0)",
             f"{summary['max_deviation']:.2e} of the initial range over "
             f"{summary['networks_tested']} networks ({summary['networks_refused']} refused as "
             f"not strongly connected, {summary['networks_unconverged']} unconverged)")]
    for s in summary.get("slopes", []):
        rows.append((f"{s['kind']}: slope of the consensus RMSE against n",
                     f"{s['slope']:.3f} [{s['slope_low']:.3f}, {s['slope_high']:.3f}] "
                     f"(theory {s['theory_slope']:.3f}); max influence at n "
                     f"{s['largest_n']}: {s['max_influence_at_largest']:.3g}"))
    rows.append(reproduced_row(summary.get("verdicts", []), "effects reproduced"))
    return rows


QUESTION = ("Does a crowd revising by DeGroot's rule reach the consensus Golub & Jackson's "
            "theory predicts, the initial estimates weighted by each agent's influence, and "
            "does that consensus get closer to the truth as the crowd grows, as the average "
            "of independent estimates does, or does an agent everyone listens to keep it off?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    return {
        "consensus_check": (
            "Left: for every network simulated (one dot each, by kind), the distance between "
            "the consensus the rounds reached and the influence-weighted initial mean "
            "\u03c0\u00b7x(0), as a share of the range of the initial estimates (log scale), "
            "with the rule's 1e-9 dashed (a deviation of exactly 0 is drawn at 1e-18); right: "
            "the rounds it took (median over networks) by crowd size."),
        "consensus_error": (
            "Left: the root mean square error of the consensus over crowds, in units of the "
            "private estimates' SD \u03c3, with 90 % intervals for all comparisons together, "
            "against the crowd size; dashed the theory \u03c3\u221a(\u03a3\u03c0\u00b2), "
            "dotted the independent crowd's \u03c3/\u221an; right: the same errors against "
            "the largest influence, with \u03c3\u00b7max \u03c0 as a lower bound."),
    }

"""Galton's ox (1907): how wise was the crowd, and how often would such a crowd be as wise?

What it runs
    1. The data: Galton's centile table of 787 estimates of the ox's dressed weight
       (``sim/data/galton1907_vox_populi.csv``) or, for crowds known only by summary
       statistics (the 2012 TED ox), those statistics.
    2. A noise model fitted to the data (:mod:`sim.analysis.fitting`): a least-squares fit of
       each family's quantile function to the centiles, or a fit to (n, mean, min, max).
    3. Stage ``fairs``: ``replicates`` simulated fairs of the same size, the fitted crowd run
       through the estimation kernel by the sweep engine (model :data:`FAIRS`, one fair per
       run). A crowd known only by summary statistics also gets stage ``example``: one such
       crowd, recorded by its centiles, for the ogive.
What it reports (``summary.json``)
    The data's numbers (tickets, truth, median and its error, quartiles, probable error, the
    mean of the centiles), the fits and where they disagree with the table, and the simulated
    distribution of the median's and mean's errors, how often each lands within ``within`` of
    the truth and how many individuals each beats. ``replicates.parquet`` holds one row per
    fair; ``example_crowd.parquet`` the example crowd's centiles.
Figures
    ``ogive``: the sorted estimates against Galton's normal curve and the fitted model, with
    the truth, median and mean marked; ``errors``: the simulated crowd errors against
    individual errors.

Source: F. Galton (1907), "Vox Populi", *Nature* 75:450-451, and "The Ballot-Box",
*Nature* 75:509.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from experiments._runner import Engine, Outcome, Stage
from sim import aggregate, metrics
from sim.analysis.datasets import data_path
from sim.analysis.fitting import QUANTILE_FAMILIES, fit_quantiles, fit_summary, model_quantiles
from sim.analysis.tables import parse_numbers, read_csv_table
from sim.config import ConfigError, ExperimentConfig, Strict
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation.params import Magnitude
from sim.models.estimation.sweep import MODEL as ESTIMATION
from sim.seeding import derive_seed
from sim.stats import Z90, normal_interval
from sim.sweep.models import SweepModel
from sim.verdicts import verdict_row

__all__ = ["GaltonOxConfig", "Config", "FairParams", "FAIRS", "run", "figures", "key_numbers",
           "report_text"]

PROBABLE_ERROR_FACTOR = 0.6744897501960817  # the normal quantile at 0.75: p.e. = 0.6745 sigma


class CentileTable(Strict):
    """Observed estimates given as a centile table (Galton 1907)."""

    kind: Literal["centile_table"]
    file: str = Field(description="CSV shipped in sim/data, or a path")
    centile_column: str = "centile"
    value_column: str = "estimate_lb"
    n: int = Field(ge=2, description="number of estimates behind the table")
    published_mean: float | None = Field(None, description="the mean as published, if any")


class SummaryStatistics(Strict):
    """Observed estimates known only by summary statistics (the 2012 TED ox)."""

    kind: Literal["summary"]
    n: int = Field(ge=2)
    mean: Magnitude
    minimum: Magnitude
    maximum: Magnitude

    @model_validator(mode="after")
    def _ordered(self):
        if not self.minimum <= self.mean <= self.maximum:
            raise ValueError("need minimum <= mean <= maximum")
        return self


class GaltonOxConfig(ExperimentConfig):
    """Config of the ox experiment (see ``configs/galton_ox.yaml``).

    The simulated crowd is the one fitted to the data (size, truth, noise family and its
    scales and centre), so the config names the data and the family, not the model's
    parameters.
    """

    experiment: Literal["galton_ox"]
    truth: Magnitude = Field(gt=0, description="the true weight")
    unit: str = Field("lb", min_length=1)
    observed: Annotated[CentileTable | SummaryStatistics, Field(discriminator="kind")]
    noise: Literal[*QUANTILE_FAMILIES] = Field(
        "split_normal", description="noise family fitted to the data and simulated")
    replicates: int = Field(10_000, ge=1, description="simulated fairs")
    within: float = Field(0.01, gt=0, lt=1, description="'close' means |error| <= within*truth")

    @model_validator(mode="after")
    def _summary_families(self):
        if self.observed.kind == "summary" and self.noise not in ("normal", "lognormal"):
            raise ValueError("noise: a crowd known by summary statistics can be fitted with "
                             "normal or lognormal only")
        return self


Config = GaltonOxConfig


# ---------------------------------------------------------------------------------------------
# the simulated fair: one crowd per run, measured as the experiment needs it


class FairParams(EstimationParams):
    """A crowd (the estimation model's parameters) and what counts as close to the truth."""

    within: float = Field(gt=0, lt=1, description="'close' means |error| <= within*truth")


#: Per-fair metrics: the aggregates' values, how many individuals each beats, the diversity
#: prediction theorem's terms, individual errors and the crowd's range.
FAIR_METRICS = ("median", "mean", "random_member", "median_beaten_share", "mean_beaten_share",
                "collective_sq_error", "mean_individual_sq_error", "diversity",
                "mean_individual_abs_error", "individual_within_share", "minimum", "maximum")
#: The crowd's centiles in steps of 0.5 (0 and 100 are its minimum and maximum): its ogive.
CENTILES = np.linspace(0.0, 100.0, 201)
CENTILE_METRICS = tuple(f"centile_{c:g}" for c in CENTILES)
#: Spawn key, under a run's seed, of the draw picking the run's random member (the crowd's
#: own draws use the run's seed itself, so the two streams are independent).
RANDOM_MEMBER_KEY = 1


def run_fairs(params: FairParams, seeds: np.ndarray,
              names: Sequence[str]) -> dict[str, np.ndarray]:
    """Simulate one fair per seed (the crowd's final estimates); the requested metrics.

    Examples
    --------
    >>> params = FairParams(n_agents=50, truth=100.0, noise_scale=10.0, within=0.05)
    >>> out = run_fairs(params, np.array([1, 2, 3]), ("mean", "individual_within_share"))
    >>> out["mean"].shape, bool(np.all((out["individual_within_share"] >= 0)))
    ((3,), True)
    """
    x, truth = simulate_crowds(params, seeds).estimates, params.truth
    values: dict[str, np.ndarray] = {}
    wanted = set(names)
    if "median" in wanted or "median_beaten_share" in wanted:
        values["median"] = aggregate.median(x)
        values["median_beaten_share"] = metrics.beaten_share(x, values["median"], truth)
    if "mean" in wanted or "mean_beaten_share" in wanted:
        values["mean"] = aggregate.mean(x)
        values["mean_beaten_share"] = metrics.beaten_share(x, values["mean"], truth)
    if "random_member" in wanted:
        # a randomly chosen fair-goer, to compare a lone individual with the crowd: a seed
        # derived per run (uniform on [0, 2**63), so its remainder is uniform to within
        # n / 2**63), so that a run's member does not depend on its chunk
        chosen = [derive_seed(int(seed), RANDOM_MEMBER_KEY) % x.shape[1] for seed in seeds]
        values["random_member"] = x[np.arange(len(x)), np.asarray(chosen, dtype=np.int64)]
    if wanted & {"collective_sq_error", "mean_individual_sq_error", "diversity"}:
        decomposition = metrics.diversity_prediction(x, truth)
        values["collective_sq_error"] = decomposition.collective_sq_error
        values["mean_individual_sq_error"] = decomposition.mean_individual_sq_error
        values["diversity"] = decomposition.diversity
    if "mean_individual_abs_error" in wanted:
        values["mean_individual_abs_error"] = metrics.mean_individual_error(x, truth, "absolute")
    if "individual_within_share" in wanted:
        values["individual_within_share"] = np.mean(
            metrics.individual_errors(x, truth, "relative") <= params.within, axis=-1)
    values["minimum"], values["maximum"] = x.min(axis=-1), x.max(axis=-1)
    if wanted & set(CENTILE_METRICS):
        centiles = np.percentile(x, CENTILES, axis=-1)
        values.update(zip(CENTILE_METRICS, centiles))
    return {name: np.asarray(values[name], dtype=float) for name in names}


FAIRS = SweepModel(
    params_schema=FairParams,
    run_batch=run_fairs,
    metrics=FAIR_METRICS + CENTILE_METRICS,
    default_metrics=FAIR_METRICS,
    seconds_per_run=ESTIMATION.seconds_per_run,
    warm_up=ESTIMATION.warm_up,
    example={"n_agents": 20, "truth": 100.0, "noise": "split_normal", "noise_scale_below": 12.0,
             "noise_scale_above": 8.0, "within": 0.05},
)
"""Simulated fairs as the sweep engine runs them (``"experiments.galton_ox:FAIRS"``)."""
FAIRS_PATH = "experiments.galton_ox:FAIRS"


# ---------------------------------------------------------------------------------------------
# the data


def _read_table(observed: CentileTable, config_dir: Path | None) -> pd.DataFrame:
    candidates = [Path(observed.file)]
    if config_dir is not None:
        candidates.insert(0, config_dir / observed.file)
    for candidate in candidates:
        if candidate.is_file():
            path = candidate
            break
    else:
        try:
            path = data_path(observed.file)
        except FileNotFoundError:
            raise ConfigError(f"observed.file: {observed.file!r} is neither a shipped dataset "
                              "nor an existing file") from None
    try:
        csv = read_csv_table(path)
    except ConfigError as exc:
        raise ConfigError(f"observed.file: {exc}") from None
    if csv.bad_rows:
        raise ConfigError(f"observed.file: {path}: {csv.bad_rows_note()}; a centile table "
                          "must be whole")
    numbers = {}
    for column in (observed.centile_column, observed.value_column):
        if column not in csv.columns:
            raise ConfigError(f"observed: column {column!r} not in {observed.file} "
                              f"(columns: {csv.describe_columns()})")
        cells = csv.column(column, "observed")
        values = parse_numbers(cells, column=column, source=f"observed.file: {path}",
                               advice="write the table with '.' decimals and no thousands "
                                      "separators")
        junk = np.isnan(values) & (cells.to_numpy() != "")
        if junk.any():
            raise ConfigError(f"observed.file: {path}: column {column!r} holds "
                              f"{cells[junk].iloc[0]!r}, not a finite number")
        numbers[column] = values
    table = pd.DataFrame({"centile": numbers[observed.centile_column],
                          "estimate": numbers[observed.value_column]}).dropna()
    table = table.sort_values("centile").reset_index(drop=True)
    if not ((table.centile > 0) & (table.centile < 100)).all() or len(table) < 3:
        raise ConfigError("observed: need at least 3 centiles strictly between 0 and 100")
    return table


def _share_beaten_from_table(table: pd.DataFrame, estimate: float, truth: float) -> float:
    """Share of the crowd whose error exceeds ``estimate``'s, by linear interpolation of the
    empirical distribution function between centiles (tails clamped)."""
    error = abs(estimate - truth)
    cdf = np.interp([truth - error, truth + error], table.estimate, table.centile / 100,
                    left=0.0, right=1.0)
    return float(1.0 - (cdf[1] - cdf[0]))


def describe_table(table: pd.DataFrame, observed: CentileTable, truth: float) -> dict:
    """The data's numbers, all computed from the table."""
    by_centile = dict(zip(table.centile.astype(float), table.estimate.astype(float)))
    median = by_centile.get(50.0)
    q1, q3 = by_centile.get(25.0), by_centile.get(75.0)
    if median is None or q1 is None or q3 is None:
        raise ConfigError("observed: the table needs the 25th, 50th and 75th centiles")
    centile_mean = float(table.estimate.mean())
    odd = table[(table.centile % 10) == 5]
    out = {
        "tickets": observed.n,
        "truth": truth,
        "median": median,
        "median_error": median - truth,
        "median_error_pct": 100 * (median - truth) / truth,
        "lower_quartile": q1,
        "upper_quartile": q3,
        "lower_quartile_deviation": q1 - median,
        "upper_quartile_deviation": q3 - median,
        "probable_error": (q3 - q1) / 2,
        "probable_error_below": median - q1,
        "probable_error_above": q3 - median,
        "mean_of_centiles": centile_mean,
        "mean_of_centiles_error": centile_mean - truth,
        "mean_of_odd_centiles": float(odd.estimate.mean()) if len(odd) else None,
        "published_mean": observed.published_mean,
        "share_beaten_by_median": _share_beaten_from_table(table, median, truth),
        "share_beaten_by_mean_of_centiles": _share_beaten_from_table(table, centile_mean, truth),
        "centiles": table.centile.tolist(),
        "estimates": table.estimate.tolist(),
    }
    if observed.published_mean is not None:
        out["published_mean_error"] = observed.published_mean - truth
    return out


# ---------------------------------------------------------------------------------------------
# the fit


def fit_table(table: pd.DataFrame, chosen: str, data: dict) -> dict:
    """Fit every family to the centiles; describe the chosen fit and where it disagrees."""
    p = table.centile.to_numpy() / 100
    x = table.estimate.to_numpy(dtype=float)
    fits = {family: fit_quantiles(p, x, family) for family in QUANTILE_FAMILIES}
    best = fits[chosen]
    # Galton's own reading: a two-piece normal centred on the median, with the table's
    # probable errors below and above (45 and 29 lb for the ox)
    galton_below = data["probable_error_below"] / PROBABLE_ERROR_FACTOR
    galton_above = data["probable_error_above"] / PROBABLE_ERROR_FACTOR
    galton_quantiles = model_quantiles("split_normal", data["median"], galton_below,
                                       galton_above, p)
    galton_residuals = x - galton_quantiles
    fitted = model_quantiles(chosen, best.centre, best.scale_below, best.scale_above, p)
    order = np.argsort(-np.abs(best.residuals))
    worst = [{"centile": float(table.centile[i]), "observed": float(x[i]),
              "model": float(fitted[i]), "residual": float(best.residuals[i])}
             for i in order[:3]]
    return {
        "noise": chosen,
        "centre": best.centre,
        "scale_below": best.scale_below,
        "scale_above": best.scale_above,
        "probable_error_below": _probable_error(chosen, best.centre, best.scale_below, "below"),
        "probable_error_above": _probable_error(chosen, best.centre, best.scale_above, "above"),
        "rmse": best.rmse,
        "residuals": {f"{c:g}": float(r) for c, r in zip(table.centile, best.residuals)},
        "largest_disagreements": worst,
        "rmse_by_family": {family: fit.rmse for family, fit in fits.items()},
        "galton_reading": {
            "noise": "split_normal",
            "centre": data["median"],
            "scale_below": galton_below,
            "scale_above": galton_above,
            "rmse": float(np.sqrt(np.mean(galton_residuals**2))),
        },
    }


def _probable_error(noise: str, centre: float, scale: float, side: str) -> float:
    """Distance from the centre to the quartile on one side, in the unit of the estimates."""
    p = 0.25 if side == "below" else 0.75
    return float(abs(model_quantiles(noise, centre, scale, scale, [p])[0] - centre))


def fit_from_summary(observed: SummaryStatistics, chosen: str) -> dict:
    fit = fit_summary(observed.n, observed.mean, observed.minimum, observed.maximum, chosen)
    return {"noise": chosen, "centre": fit["centre"], "scale_below": fit["scale"],
            "scale_above": fit["scale"], "method": "expected range and mean of n draws"}


def params_from_fit(fit: dict, n_agents: int, truth: float) -> EstimationParams:
    noise = fit["noise"]
    kwargs: dict = {"n_agents": n_agents, "truth": truth, "noise": noise}
    if noise == "split_normal":
        kwargs.update(noise_scale_below=fit["scale_below"], noise_scale_above=fit["scale_above"])
    else:
        kwargs["noise_scale"] = fit["scale_below"]
    if noise in ("normal", "split_normal"):
        kwargs["bias_shift"] = fit["centre"] - truth
    else:
        kwargs["bias_factor"] = fit["centre"] / truth
    return EstimationParams(**kwargs)


# ---------------------------------------------------------------------------------------------
# the simulation


def fairs_stage(params: EstimationParams, within: float, replicates: int, name: str = "fairs",
                names: Sequence[str] = FAIR_METRICS) -> Stage:
    """``replicates`` fairs of the fitted crowd: the parameters the fit set, one point."""
    return Stage(name, FAIRS_PATH, points=[params.model_dump(exclude_unset=True)],
                 replicates=replicates, fixed={"within": within}, metrics=names)


def fairs_frame(runs: pd.DataFrame, truth: float, within: float) -> pd.DataFrame:
    """One row per simulated fair: aggregates, errors, and how many individuals each beats."""
    frame = pd.DataFrame({"replicate": runs["replicate"].to_numpy(),
                          "seed": runs["seed"].to_numpy()})
    for name in ("median", "mean", "random_member"):
        values = runs[name].to_numpy()
        frame[name] = values
        frame[f"{name}_error"] = metrics.collective_error(values, truth, "signed")
        frame[f"{name}_error_pct"] = 100 * metrics.collective_error(values, truth,
                                                                   "signed_relative")
        frame[f"{name}_within"] = metrics.collective_error(values, truth, "relative") <= within
        if name != "random_member":
            frame[f"{name}_beaten_share"] = runs[f"{name}_beaten_share"].to_numpy()
    for name in ("collective_sq_error", "mean_individual_sq_error", "diversity",
                 "mean_individual_abs_error", "individual_within_share", "minimum", "maximum"):
        frame[name] = runs[name].to_numpy()
    return frame


def example_crowd(runs: pd.DataFrame) -> pd.DataFrame:
    """The centiles of the one crowd of stage ``example``: ``centile``, ``estimate``."""
    return pd.DataFrame({"centile": CENTILES,
                         "estimate": runs.iloc[0][list(CENTILE_METRICS)].to_numpy(float)})


def _distribution(values: np.ndarray) -> dict:
    q = np.quantile(values, [0.025, 0.25, 0.5, 0.75, 0.975])
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1))
            if len(values) > 1 else 0.0, "q2.5": q[0], "q25": q[1], "q50": q[2], "q75": q[3],
            "q97.5": q[4]}


def _percentile_of(value: float, values: np.ndarray) -> float:
    """Share of simulated values at or below ``value``, in percent."""
    return float(100 * np.mean(values <= value))


def summarise_simulation(frame: pd.DataFrame, observed: dict) -> dict:
    out: dict = {"fairs": len(frame)}
    for name in ("median", "mean"):
        out[name] = {
            "error": _distribution(frame[f"{name}_error"].to_numpy()),
            "error_pct": _distribution(frame[f"{name}_error_pct"].to_numpy()),
            "within_share": float(frame[f"{name}_within"].mean()),
            "beaten_share": _distribution(frame[f"{name}_beaten_share"].to_numpy()),
        }
        if observed.get(name) is not None:
            out[name]["observed_error"] = observed[name] - observed["truth"]
            out[name]["observed_error_percentile"] = _percentile_of(
                observed[name] - observed["truth"], frame[f"{name}_error"].to_numpy())
    out["random_member"] = {
        "error_pct": _distribution(frame["random_member_error_pct"].to_numpy()),
        "within_share": float(frame["random_member_within"].mean()),
    }
    out["individual_within_share"] = float(frame["individual_within_share"].mean())
    out["mean_individual_abs_error"] = float(frame["mean_individual_abs_error"].mean())
    identity = (frame.collective_sq_error - (frame.mean_individual_sq_error - frame.diversity))
    out["diversity_identity_max_abs_residual"] = float(np.abs(identity).max())
    out["minimum"] = _distribution(frame["minimum"].to_numpy())
    out["maximum"] = _distribution(frame["maximum"].to_numpy())
    return out


def _mc_interval(values: np.ndarray) -> tuple[float, list[float]]:
    """Mean over the simulated fairs and its 90 % Monte-Carlo interval (mean +- 1.6449 SE)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
    return mean, normal_interval(mean, se)


def verdicts(data: dict, frame: pd.DataFrame, observed: CentileTable | SummaryStatistics,
             unit: str) -> list[dict]:
    """The verdict rows (:mod:`sim.verdicts`): the observed aggregates against the mean of the
    simulated fairs' (model interval: 90 % Monte-Carlo error over the fairs). Whatever the
    crowd was fitted to is ``fitted`` (never reproduced): the median (and quartiles) of a
    centile table, and the mean, minimum and maximum of a crowd known by summary statistics.
    """
    rows = []
    truth = data["truth"]
    if isinstance(observed, CentileTable):
        model, model_ci = _mc_interval(frame["median_error"])
        rows.append(verdict_row(
            "the crowd's median lies close to the truth (median error)", data["median_error"],
            None, model, model_ci, fitted=True, null=None,
            note=f"error in {unit}; the noise model is fitted to the centile table, its 50th "
                 "centile included: fitted, not a test. Data: Galton's table, no interval"))
        mean = observed.published_mean or data["mean_of_centiles"]
        half = _mean_half_width(data)  # the observed mean's sampling error
        model, model_ci = _mc_interval(frame["mean_error"])
        source = ("the published mean" if observed.published_mean is not None
                  else "the mean of the centiles")
        rows.append(verdict_row(
            "the crowd's mean lies close to the truth (mean error)", mean - truth,
            [mean - truth - half, mean - truth + half], model, model_ci, null=None,
            note=f"error in {unit}; data: {source} +- 1.6449 sd / sqrt(n), the sd of the "
                 "centiles' estimates; model: mean over the simulated fairs (90 % "
                 "Monte-Carlo interval); the fit uses the centiles, not the mean"))
        return rows
    note = (f"in {unit}; the {observed.kind} crowd is fitted to n, mean, minimum and maximum "
            "(expected range and mean of n draws), so this is fitted, not a test; data: a "
            "published value without uncertainty (no interval); model: mean over the simulated "
            "fairs (90 % Monte-Carlo interval)")
    for name, column, label in (("mean", "mean", "the crowd's mean"),
                                ("minimum", "minimum", "the lowest estimate"),
                                ("maximum", "maximum", "the highest estimate")):
        model, model_ci = _mc_interval(frame[column])
        rows.append(verdict_row(f"{label} ({name})", data[name], None, model, model_ci,
                                fitted=True, null=None, note=note))
    return rows


def disagreements(data: dict, fit: dict, simulation: dict, unit: str) -> list[str]:
    """Plain sentences on where the fitted model and the data disagree (computed)."""
    notes = []
    if "largest_disagreements" in fit:
        worst = ", ".join(f"{d['centile']:g}th centile {d['observed']:.0f} vs {d['model']:.0f} "
                          f"({d['residual']:+.1f} {unit})" for d in fit["largest_disagreements"])
        notes.append(f"The fitted {fit['noise']} misses the table by {fit['rmse']:.1f} {unit} "
                     f"RMS; largest gaps: {worst}.")
        reading = fit["galton_reading"]
        notes.append(
            f"The least-squares fit puts the probable error at {fit['probable_error_below']:.1f} "
            f"below and {fit['probable_error_above']:.1f} above the centre "
            f"{fit['centre']:.1f}; Galton read {data['probable_error_below']:.0f} and "
            f"{data['probable_error_above']:.0f} from the quartiles (his reading misses the "
            f"table by {reading['rmse']:.1f} {unit} RMS): the tails are heavier than a "
            "two-piece normal through the quartiles.")
    for name, label in (("median", "median"), ("mean", "mean")):
        percentile = simulation[name].get("observed_error_percentile")
        if percentile is None:
            continue
        verdict = ("inside" if 2.5 <= percentile <= 97.5 else "outside")
        notes.append(f"The observed {label}'s error ({simulation[name]['observed_error']:+.1f} "
                     f"{unit}) is at percentile {percentile:.1f} of the "
                     f"simulated fairs: {verdict} the central 95 %"
                     + ("." if "largest_disagreements" in fit or name != "mean"
                        else " (fitted: the crowd is fitted to this mean, not a test)."))
    for name in ("minimum", "maximum"):
        if data.get(name) is None:
            continue
        dist = simulation[name]
        inside = dist["q2.5"] <= data[name] <= dist["q97.5"]
        notes.append(f"Observed {name} {data[name]:g} {unit}; simulated fairs give "
                     f"{dist['q2.5']:.0f}-{dist['q97.5']:.0f} (95 %): "
                     f"{'inside' if inside else 'outside'} that range; fitted (the crowd is "
                     "fitted to the mean, minimum and maximum), not a test.")
    return notes


# ---------------------------------------------------------------------------------------------
# the run


def run(config: GaltonOxConfig, engine: Engine) -> Outcome:
    """Describe and fit the data, simulate the fairs, and compare."""
    title = config.title or "Galton's ox"
    observed = config.observed
    tables = {}
    if isinstance(observed, CentileTable):
        table = _read_table(observed, engine.config_dir)
        data = describe_table(table, observed, config.truth)
        fit = fit_table(table, config.noise, data)
        observed_aggregates = {"truth": config.truth, "median": data["median"],
                               "mean": observed.published_mean or data["mean_of_centiles"]}
    else:
        table = None
        data = {"n": observed.n, "truth": config.truth, "mean": observed.mean,
                "mean_error": observed.mean - config.truth,
                "mean_error_pct": 100 * (observed.mean - config.truth) / config.truth,
                "minimum": observed.minimum, "maximum": observed.maximum}
        fit = fit_from_summary(observed, config.noise)
        observed_aggregates = {"truth": config.truth, "mean": observed.mean}
    params = params_from_fit(fit, observed.n, config.truth)

    engine.log(f"simulating {config.replicates:,} crowds of {observed.n} agents "
               f"({params.noise} noise fitted to the data) ...")
    runs = engine.run(fairs_stage(params, config.within, config.replicates))
    frame = fairs_frame(runs, params.truth, config.within)
    tables["replicates"] = frame
    if table is None:
        # no table to draw: the ogive shows one simulated crowd instead (the same point and
        # replicate 0, so the same seed: the first fair's crowd)
        runs = engine.run(fairs_stage(params, config.within, 1, "example", CENTILE_METRICS))
        tables["example_crowd"] = example_crowd(runs)
    simulation = summarise_simulation(frame, observed_aggregates)
    notes = disagreements(data, fit, simulation, config.unit)
    rows = verdicts(data, frame, observed, config.unit)
    summary = {"unit": config.unit, "within": config.within, "data": data, "fit": fit,
               "model_params": params.model_dump(), "simulation": simulation}
    engine.log(report_text({"title": title, **summary}))
    return Outcome(summary=summary, tables=tables, notes=notes, verdicts=rows)


# ---------------------------------------------------------------------------------------------
# figures


#: Names a reader knows for the noise families (the config's are code identifiers).
FAMILY_NAMES = {"normal": "normal", "split_normal": "split normal", "lognormal": "log-normal",
                "log_cauchy": "log-Cauchy"}


def _mean_half_width(data: dict) -> float:
    """Half the 90 % interval of an observed mean from a centile table: 1.6449 sd / sqrt(n),
    the sd of the centiles' estimates (their tails are cut off: too narrow if anything)."""
    return Z90 * float(np.std(data["estimates"], ddof=1)) / np.sqrt(data["tickets"])


def _plain_log_ticks(axis) -> None:
    """Log-axis ticks at 1, 2 and 5 per decade written as plain numbers (800, 1,000, 2,000),
    not as powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def draw_figures(out_dir: Path, table: pd.DataFrame | None, crowd: pd.DataFrame | None,
                 data: dict, fit: dict, frame: pd.DataFrame, n_agents: int, unit: str,
                 within: float, title: str, provenance: dict) -> list[str]:
    """The ogive (Galton's table, else one simulated crowd's centiles ``crowd``) and the
    errors of the simulated fairs ``frame``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    written = []
    truth = data["truth"]
    p_grid = np.linspace(0.01, 0.99, 197)
    # one colour per role in both figures: observed data blue, the fitted model orange, the
    # truth black, the median vermillion, the mean purple, a lone individual grey
    observed_colour, model_colour, truth_colour = PALETTE[0], PALETTE[1], "black"
    median_colour, mean_colour, individual_colour = PALETTE[3], PALETTE[4], PALETTE[7]
    family = FAMILY_NAMES.get(fit["noise"], fit["noise"].replace("_", " "))

    def offset(value: float) -> str:
        return f"{value - truth:+.1f} {unit} from the truth"

    # the ogive: sorted estimates (centile table, or one simulated crowd) against models
    fig, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
    if table is not None:
        ax.plot(table.centile, table.estimate, "o", color=observed_colour, ms=6, zorder=4,
                label=f"Galton's table: {len(table)} centiles of {data['tickets']} estimates")
        pe = data["probable_error"]
        normal = model_quantiles("normal", data["median"], pe / PROBABLE_ERROR_FACTOR,
                                 pe / PROBABLE_ERROR_FACTOR, p_grid)
        ax.plot(100 * p_grid, normal, "--", color=PALETTE[7],
                label=f"Galton's normal curve (probable error {pe:g} {unit})")
        fitted_label = f"{family} fitted to the centiles (least squares)"
        median, mean = data["median"], data["mean_of_centiles"]
        median_label = f"median {median:g} {unit} ({offset(median)})"
        mean_label = f"mean of the centiles {mean:.1f} {unit} ({offset(mean)})"
        title_text = f"{title}: the estimates, sorted (ogive)"
    else:
        ax.plot(crowd.centile, crowd.estimate, "-", lw=1.5, color=PALETTE[9], zorder=3,
                label=f"one simulated crowd of {n_agents}: its estimates, sorted")
        # what was observed: the lowest and highest estimate (at centiles 0 and 100), with
        # the range the simulated crowds give them
        low, high = (np.quantile(frame[name], [0.025, 0.975]) for name in ("minimum", "maximum"))
        observed = [data["minimum"], data["maximum"]]
        ax.errorbar([0, 100], [np.median(frame["minimum"]), np.median(frame["maximum"])],
                    yerr=[[np.median(frame["minimum"]) - low[0],
                           np.median(frame["maximum"]) - high[0]],
                          [low[1] - np.median(frame["minimum"]),
                           high[1] - np.median(frame["maximum"])]],
                    fmt="_", ms=12, color=model_colour, capsize=5, lw=1.5, clip_on=False,
                    zorder=4, label="lowest and highest estimate, simulated crowds: median and "
                                    "95 % range")
        ax.plot([0, 100], observed, "o", color=observed_colour, ms=7, clip_on=False, zorder=5,
                label=f"observed lowest and highest estimate ({observed[0]:g} and "
                      f"{observed[1]:g} {unit})")
        fitted_label = f"{family} fitted to the observed n, mean, lowest and highest"
        median = float(np.interp(50.0, crowd.centile, crowd.estimate))
        median_label = f"the simulated crowd's median {median:.0f} {unit}"
        mean = data["mean"]
        mean_label = f"observed mean {mean:g} {unit} ({offset(mean)})"
        title_text = f"{title}: one simulated crowd, fitted to the published summary"
    fitted = model_quantiles(fit["noise"], fit["centre"], fit["scale_below"], fit["scale_above"],
                             p_grid)
    ax.plot(100 * p_grid, fitted, "-", color=model_colour, label=fitted_label)
    # the truth under the mean, whose dashes let it show through where the two coincide
    ax.axhline(truth, color=truth_colour, lw=1.5, zorder=2, label=f"truth {truth:g} {unit}")
    ax.axhline(median, color=median_colour, lw=2, ls=":", zorder=2.5, label=median_label)
    ax.axhline(mean, color=mean_colour, lw=2, ls=(0, (4, 4)), zorder=2.6, label=mean_label)
    ax.set_xlabel("centile of the crowd (%)")
    ax.set_xlim(-2, 102)
    if table is None:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
        ax.set_ylabel(f"estimate ({unit}, log scale)")
    else:
        ax.set_ylabel(f"estimate ({unit})")
    ax.set_title(title_text)
    ax.legend(loc="upper left", frameon=True, fontsize=8.5)
    written += [str(p) for p in save(fig, out_dir / "ogive", provenance)]

    # crowd error against individual error, in percent of the truth
    fig, (wide, zoom) = plt.subplots(1, 2, figsize=(11.5, 5.6), layout="constrained")
    band = f"\u00b1{100 * within:g} % of the truth (\u00b1{within * truth:.3g} {unit})"
    series = [("a random individual", "random_member", individual_colour),
              ("the crowd's median", "median", median_colour),
              ("the crowd's mean", "mean", mean_colour)]
    for label, name, colour in series:
        absolute = np.sort(np.abs(frame[f"{name}_error_pct"].to_numpy()))
        share = 100 * frame[f"{name}_within"].mean()
        wide.plot(np.maximum(absolute, 1e-3), np.arange(1, len(absolute) + 1) / len(absolute),
                  color=colour, lw=2,
                  label=f"{label} (simulated): within {100 * within:g} % in {share:.1f} % "
                        "of crowds")
    wide.axvline(100 * within, color="0.3", ls="--", lw=1.2, label=band)
    wide.set_xscale("log")
    wide.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    wide.set_xlabel("absolute error (% of the truth, log scale)")
    wide.set_ylabel("share of simulated crowds with at most this error")
    wide.set_title("a lone individual against the crowd")
    for name, colour in (("median", median_colour), ("mean", mean_colour)):
        # filled without white edges, outlined in the same colour so overlaps stay legible
        zoom.hist(frame[f"{name}_error_pct"], bins=60, density=True, histtype="stepfilled",
                  alpha=0.3, color=colour, lw=0)
        zoom.hist(frame[f"{name}_error_pct"], bins=60, density=True, histtype="step",
                  color=colour, lw=1.2)
    zoom.axvline(0, color=truth_colour, lw=1.5, label="the truth (no error)")
    for side in (-1, 1):
        zoom.axvline(side * 100 * within, color="0.3", ls="--", lw=1.2)
    if table is not None:
        error = data["median_error"]
        below = 100 * np.mean(frame["median_error"] <= error)
        zoom.axvline(100 * error / truth, color=median_colour, lw=2.5,
                     label=f"Galton's median {error:+g} {unit} ({100 * error / truth:+.2f} %), "
                           f"percentile {below:.0f} of the simulated medians")
        mean = data["published_mean"] or data["mean_of_centiles"]
        half = _mean_half_width(data)
        source = ("Galton's published mean" if data["published_mean"] is not None
                  else "the mean of Galton's centiles")
    else:
        mean, half, source = data["mean"], None, "the observed mean (the crowd is fitted to it)"
    top = zoom.get_ylim()[1]  # the observed mean goes above the histograms' peaks
    zoom.errorbar([100 * (mean - truth) / truth], [1.08 * top],
                  xerr=None if half is None else [[100 * half / truth]], fmt="o",
                  color=mean_colour, mec="black", capsize=4, lw=2, zorder=5,
                  label=f"{source}: {mean - truth:+g} {unit} "
                        f"({100 * (mean - truth) / truth:+.2f} %)"
                        + ("" if half is None else ", 90 % interval"))
    zoom.set_ylim(0, 1.16 * top)
    zoom.set_xlabel("signed error (% of the truth)")
    zoom.set_ylabel("density (per % of the truth)")
    zoom.set_title("the crowd's median and mean, close up")
    handles, labels = [], []
    for ax_ in (wide, zoom):
        for handle, label in zip(*ax_.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8.5)
    fig.suptitle(f"{title}: {len(frame):,} simulated crowds of {n_agents}")
    written += [str(p) for p in save(fig, out_dir / "errors", provenance)]
    return written


def figures(out_dir: Path, summary: dict) -> list[str]:
    """Draw the figures from ``summary.json``, ``replicates.parquet`` and, for a crowd known
    by summary statistics, ``example_crowd.parquet``."""
    out_dir = Path(out_dir)
    data = summary["data"]
    table = (pd.DataFrame({"centile": data["centiles"], "estimate": data["estimates"]})
             if "centiles" in data else None)
    crowd = pd.read_parquet(out_dir / "example_crowd.parquet") if table is None else None
    frame = pd.read_parquet(out_dir / "replicates.parquet")
    return draw_figures(out_dir, table, crowd, data, summary["fit"], frame,
                        summary["model_params"]["n_agents"], summary["unit"],
                        summary["within"], summary["title"], summary.get("provenance", {}))

def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """The numbers a report shows first."""
    data, sim_, unit = summary["data"], summary["simulation"], summary["unit"]
    rows = []
    if "median" in data:
        rows += [("estimates (tickets)", f"{data['tickets']}"),
                 ("truth", f"{data['truth']:g} {unit}"),
                 ("median (error)", f"{data['median']:g} {unit} ({data['median_error']:+g}, "
                                    f"{data['median_error_pct']:+.1f} %)"),
                 ("quartiles", f"{data['lower_quartile']:g} and {data['upper_quartile']:g}"),
                 ("probable error (below / above)", f"{data['probable_error']:g} "
                  f"({data['probable_error_below']:g} / {data['probable_error_above']:g})"),
                 ("mean of the centiles", f"{data['mean_of_centiles']:.1f}")]
    else:
        rows += [("estimates", f"{data['n']}"), ("truth", f"{data['truth']:g} {unit}"),
                 ("mean (error)", f"{data['mean']:g} ({data['mean_error_pct']:+.1f} %)"),
                 ("range", f"{data['minimum']:g} to {data['maximum']:g}")]
    fit = summary["fit"]
    rows.append((f"fitted {fit['noise']} (centre, scales)",
                 f"{fit['centre']:.4g}, {fit['scale_below']:.3g} / {fit['scale_above']:.3g}"))
    within = f"{100 * summary['within']:g} %"
    for name in ("median", "mean"):
        s = sim_[name]
        rows.append((f"simulated {name}: error, 95 % range",
                     f"{s['error_pct']['q50']:+.2f} % ({s['error_pct']['q2.5']:+.2f} to "
                     f"{s['error_pct']['q97.5']:+.2f})"))
        rows.append((f"simulated {name}: within {within} / beats", f"{100 * s['within_share']:.1f}"
                     f" % of fairs / {100 * s['beaten_share']['mean']:.1f} % of individuals"))
    rows.append((f"a random individual within {within}",
                 f"{100 * sim_['random_member']['within_share']:.1f} % of fairs"))
    return rows


def report_text(summary: dict) -> str:
    """A short human-readable account of a summary (the runner prints the notes after it)."""
    data, sim_, unit = summary["data"], summary["simulation"], summary["unit"]
    lines = [f"== {summary['title']} =="]
    if "median" in data:
        lines += [
            f"data: {data['tickets']} estimates, truth {data['truth']:g} {unit}; median "
            f"{data['median']:g} ({data['median_error']:+g} {unit}, "
            f"{data['median_error_pct']:+.1f} %), quartiles {data['lower_quartile']:g} and "
            f"{data['upper_quartile']:g}, probable error {data['probable_error']:g} {unit}, "
            f"mean of centiles {data['mean_of_centiles']:.1f}",
            f"the median beats about {100 * data['share_beaten_by_median']:.0f} % of the crowd "
            "(interpolated from the centiles)",
        ]
    else:
        lines.append(f"data: {data['n']} estimates, truth {data['truth']:g} {unit}; mean "
                     f"{data['mean']:g} ({data['mean_error_pct']:+.1f} %), range "
                     f"{data['minimum']:g}-{data['maximum']:g}")
    within = "within the tolerance"
    for name in ("median", "mean"):
        s = sim_[name]
        lines.append(
            f"simulated {name}: error {s['error_pct']['q50']:+.2f} % (95 %: "
            f"{s['error_pct']['q2.5']:+.2f} to {s['error_pct']['q97.5']:+.2f}), {within} in "
            f"{100 * s['within_share']:.1f} % of {sim_['fairs']:,} fairs, beats "
            f"{100 * s['beaten_share']['mean']:.1f} % of individuals")
    lines.append(f"a random individual is {within} in "
                 f"{100 * sim_['random_member']['within_share']:.1f} % of fairs")
    return "\n".join(lines)

# ---------------------------------------------------------------------------------------------
# the report's question and figure captions (:func:`sim.report.report_texts`)

QUESTION = ("How close did the crowd's middle estimate come to the true weight, and how often "
            "would a crowd of the same size, drawn from a noise model fitted to its guesses, "
            "come as close?")


def figure_captions(summary: dict) -> dict[str, str]:
    """One sentence per figure: what it shows and how to read it."""
    data, fit = summary.get("data", {}), summary.get("fit", {})
    unit, truth = summary.get("unit", ""), data.get("truth")
    n = summary.get("model_params", {}).get("n_agents")
    fairs = summary.get("simulation", {}).get("fairs")
    within = 100 * summary.get("within", 0.0)
    noise = fit.get("noise")
    family = (FAMILY_NAMES.get(noise, str(noise).replace("_", " ")) + " model" if noise
              else "noise model")
    at_truth = f" (black, {truth:g} {unit})" if truth is not None else " (black)"
    if "centiles" in data:
        tickets = f" {data['tickets']}" if data.get("tickets") else ""
        pe = (f", probable error {data['probable_error']:g} {unit}"
              if data.get("probable_error") is not None else "")
        ogive = (f"Galton's{tickets} estimates as his centile table (blue points: the "
                 "estimate at each centile of the crowd) against his normal curve (grey "
                 f"dashed{pe}) and the {family} fitted to the centiles by least squares "
                 f"(orange); horizontal lines mark the truth{at_truth}, the median "
                 "(dotted) and the mean of the centiles (dashed), so the gap between a point "
                 "and the truth line is that centile's error.")
        mean = ("his published mean" if data.get("published_mean") is not None
                else "the mean of his centiles")
        observed = ("Galton's median (vertical line, with its percentile among the simulated "
                    f"medians) and {mean} (point above the histograms, with a 90 % interval)")
    else:
        ogive = (f"One simulated crowd{f' of {n}' if n else ''} drawn from the {family} "
                 "fitted to the observed number, mean, lowest and highest estimate, its "
                 "estimates sorted by centile (light blue, log scale) against the fitted "
                 "model (orange); at centiles 0 and 100 the observed lowest and highest "
                 "estimate (blue dots) against the median and 95 % range of the simulated "
                 "crowds' lowest and highest (orange bars); horizontal lines mark the "
                 f"truth{at_truth}, this crowd's median (dotted) and the observed "
                 "mean (dashed).")
        observed = "the observed mean (point above the histograms)"
    errors = (f"How far the crowd's median and mean land from the truth over {fairs:,} "
              f"simulated crowds{f' of {n}' if n else ''}, against a random individual: "
              "left, the share of crowds (y) with at most a given absolute error (x, % of the "
              "truth, log scale; a curve further left is wiser), the dashed grey line at "
              f"{within:g} %; right, histograms of the signed errors of the median "
              "(vermilion) and the mean (purple) close up, with the truth at 0 (black), dashed "
              "grey lines at "
              f"±{within:g} % of the truth and {observed}."
              if fairs else
              "How far the simulated crowds' median and mean land from the truth, against a "
              "random individual (errors in % of the truth).")
    return {"ogive": ogive, "errors": errors}

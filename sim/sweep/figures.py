"""Figures of a sweep folder (``crowdsim figures DIR``), drawn from the stored runs.

- For every metric and swept parameter, ``figures/<metric>-by-<parameter>.png`` (and .svg):
  grid and points designs show the mean over each point's replicates with a 95 % confidence
  interval (mean ± 1.96 standard errors over replicates), one line per value of another
  swept parameter when it has few values, averaged over the remaining ones; sampled designs
  (random, lhs, sobol, morris) show every point's mean as a dot and the mean of the points in
  each of ten quantile bins of the parameter, ± 1.96 standard errors over those points.
- For every metric and pair of grid parameters, ``figures/<metric>-by-<a>-and-<b>.png``: a
  heatmap of the mean (averaged over any other swept parameters).
- For sobol and morris designs, each metric's sensitivity chart and indices,
  ``sensitivity-<metric>.png`` and ``.json`` in the folder itself, as ``crowdsim
  sensitivity`` writes them (:mod:`sim.sweep.sensitivity`).

Matplotlib and seaborn are imported by the drawing functions only.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from sim.sweep import SweepConfig, run_sweep
>>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=3,
...                      fixed={"n_agents": 10}, metrics=["error_of_mean"],
...                      swept={"correlation": [0.0, 0.5], "noise_scale": [1.0, 2.0]})
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = run_sweep(config, folder, quiet=True, log=None)
...     written, notes = draw_sweep_figures(folder)
...     names = sorted(path.name for path in written if path.suffix == ".png")
>>> names
['error_of_mean-by-correlation-and-noise_scale.png', 'error_of_mean-by-correlation.png', \
'error_of_mean-by-noise_scale.png']
"""

from __future__ import annotations

import itertools
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError
from sim.sweep.results import _chosen_metrics, load, point_means, read_manifest

__all__ = ["draw_sweep_figures", "figure_captions", "parameter_label", "metric_label",
           "FIGURES_FOLDER", "INTERVAL"]

#: Sub-folder of a sweep folder that receives the metric figures.
FIGURES_FOLDER = "figures"
#: Normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: What the error bars are, as the figures say it.
INTERVAL = "mean ± 1.96 SE (95 % CI)"
#: At most this many lines (values of a second parameter) in one figure.
MAX_LINES = 8
#: Quantile bins of a sampled parameter.
BINS = 10
#: Heatmaps with at most this many cells print their values.
ANNOTATED_CELLS = 150
SAMPLED = ("random", "lhs", "sobol", "morris")

# Readable names and units, (name, unit); a parameter's entry may be model-specific.
_PARAMETERS: dict[tuple[str, str] | str, tuple[str, str | None]] = {
    ("estimation", "n_agents"): ("crowd size", "agents"),
    "truth": ("true value", "estimate units"),
    ("estimation", "noise"): ("noise family", None),
    "noise_scale_below": ("noise SD below the centre", "estimate units"),
    "noise_scale_above": ("noise SD above the centre", "estimate units"),
    "bias_shift": ("bias shift", "estimate units"),
    "bias_factor": ("bias factor", "× truth"),
    "expertise_spread": ("expertise spread", "SD of ln noise multiplier"),
    ("estimation", "correlation"): ("error correlation ρ", "share of the error in common"),
    "n_groups": ("groups sharing an error", "groups"),
    "rounds": ("revision rounds", "rounds"),
    ("estimation", "social_weight"): ("social weight w", "0 to 1"),
    "later_weight_factor": ("later-round weight factor", "× w"),
    "anchoring": ("anchoring a", "0 to 1"),
    "distance_scale": ("distance scale", "revision-space units"),
    "drift": ("drift towards the truth", "share per round"),
    "drift_noise": ("drift noise", "SD, revision-space units"),
    "stubborn_share": ("stubborn agents", "share"),
    "confidence_bound": ("confidence bound ε", "revision-space units"),
    "n_influencers": ("influencers", "agents"),
    "influencer_bias": ("influencer bias", "share of the truth"),
    ("nest_site", "n_agents"): ("swarm size", "scouts"),
    "interdependence": ("interdependence λ", "0 to 1"),
    ("nest_site", "noise"): ("assessment noise σ", "SD of ln dance strength"),
    "decrement": ("dance decrement", "strength per step"),
    "copying": ("copying μ", "chance per recruit"),
    "horizon": ("horizon", "steps"),
    "quorum": ("quorum", "dancers"),
    ("majority_vote", "n_agents"): ("jury size", "voters"),
    "competence": ("mean competence p", "chance of a right vote"),
    "concentration": ("Beta concentration a + b", None),
    "spread": ("competence spread", "half-width"),
    ("majority_vote", "correlation"): ("correlation ρ", "chance of following the leader"),
    "leader_competence": ("leader competence", "chance of a right signal"),
    ("cascades", "n_agents"): ("sequence length", "agents"),
    "precision": ("signal precision p", "chance of a right signal"),
    "n_songs": ("songs on offer", "songs"),
    "n_listeners": ("listeners per world", "listeners"),
    ("cumulative_advantage", "social_weight"): ("social influence s", "per download"),
    "quality_low": ("lowest quality", "download chance"),
    "quality_high": ("highest quality", "download chance"),
    "appeal_spread": ("appeal spread h", None),
    "n_agents": ("agents", "agents"),
}
_NOISE_SCALE_UNITS = {"normal": "SD, estimate units", "split_normal": "SD, estimate units",
                      "lognormal": "SD of ln estimate", "log_cauchy": "scale of ln estimate"}

_METRICS: dict[str, tuple[str, str | None]] = {
    "error_of_mean": ("error of the mean", "estimate units"),
    "error_of_median": ("error of the median", "estimate units"),
    "error_of_geometric_mean": ("error of the geometric mean", "estimate units"),
    "relative_error_of_mean": ("relative error of the mean", "share of the truth"),
    "relative_error_of_median": ("relative error of the median", "share of the truth"),
    "log_error_of_mean": ("log error of the mean", "|ln(mean / truth)|"),
    "log_error_of_median": ("log error of the median", "|ln(median / truth)|"),
    "log_error_of_geometric_mean": ("log error of the geometric mean", "ln units"),
    "mean_individual_error": ("mean individual error", "estimate units"),
    "log_mean_individual_error": ("mean individual log error", "ln units"),
    "diversity": ("diversity (variance of the estimates)", "estimate units²"),
    "collective_sq_error": ("collective squared error", "estimate units²"),
    "beaten_share_mean": ("agents the mean beats", "share"),
    "beaten_share_median": ("agents the median beats", "share"),
    "woc_indicator": ("wisdom-of-crowd indicator", "agents from each end"),
    "truth_in_range": ("truth inside the estimates' range", "share of runs"),
    "mean": ("crowd mean", "estimate units"),
    "median": ("crowd median", "estimate units"),
    "geometric_mean": ("crowd geometric mean", "estimate units"),
    "sd": ("SD of the estimates", "estimate units"),
    "log_sd": ("SD of the ln estimates", "ln units"),
    "consensus": ("consensus (1 - SD / first SD)", None),
    "chosen_best": ("best site chosen", "share of swarms"),
    "plurality_best": ("best site has most dancers", "share of swarms"),
    "twice_best": ("best site has twice the runner-up", "share of swarms"),
    "decided": ("quorum reached", "share of swarms"),
    "decision_time": ("decision time", "steps"),
    "steps": ("steps run", "steps"),
    "majority_right": ("majority right", "share of elections"),
    "right_vote_share": ("right votes", "share of voters"),
    "wrong_cascade": ("wrong cascade", "share of sequences"),
    "right_cascade": ("right cascade", "share of sequences"),
    "no_cascade": ("no cascade", "share of sequences"),
    "cascade_start": ("cascade start", "agents before it"),
    "gini": ("inequality of market shares (Gini)", "0 to 1"),
    "top_share": ("leader's market share", "share of downloads"),
    "quality_correlation": ("market share vs quality", "Spearman ρ"),
}


def _readable(name: str) -> str:
    return name.replace("_", " ")


def parameter_label(model: str, name: str, fixed: dict | None = None,
                    unit: bool = True) -> str:
    """A parameter's axis label: a readable name and, if known, its unit.

    Examples
    --------
    >>> parameter_label("estimation", "noise_scale", {"noise": "lognormal"})
    'noise scale (SD of ln estimate)'
    >>> parameter_label("nest_site", "noise"), parameter_label("toy", "step_size")
    ('assessment noise σ (SD of ln dance strength)', 'step size')
    """
    if model == "estimation" and name == "noise_scale":
        family = (fixed or {}).get("noise")
        text, units = "noise scale", _NOISE_SCALE_UNITS.get(
            family, "SD in estimate units; of ln estimate if log-normal")
    else:
        text, units = _PARAMETERS.get((model, name)) or _PARAMETERS.get(
            name, (_readable(name), None))
    return f"{text} ({units})" if unit and units else text


def metric_label(name: str, unit: bool = True) -> str:
    """A metric's axis label: a readable name and, if known, its unit.

    Examples
    --------
    >>> metric_label("error_of_mean"), metric_label("custom_score")
    ('error of the mean (estimate units)', 'custom score')
    """
    text, units = _METRICS.get(name, (_readable(name), None))
    return f"{text} ({units})" if unit and units else text


def draw_sweep_figures(folder: str | os.PathLike, metrics: list[str] | None = None,
                       sensitivity: bool = True) -> tuple[list[Path], list[str]]:
    """Draw a sweep's figures from its stored runs (see the module's description).

    Parameters
    ----------
    folder : path-like
        A sweep folder (``crowdsim sweep``), complete or not: drawn from the runs done.
    metrics : list of str, optional
        Metrics to draw (default: all recorded).
    sensitivity : bool
        For sobol and morris designs, also compute and chart the sensitivity indices of
        each metric (they need a finished sweep; a metric they cannot use is noted).

    Returns
    -------
    (list of Path, list of str)
        The files written, and notes on what was not drawn and why.

    Raises
    ------
    ConfigError
        ``folder`` is no sweep, a metric was not recorded, or no run is done yet.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    metrics = _chosen_metrics(manifest, metrics)
    table = point_means(folder, metrics)
    if table["runs"].sum() == 0:
        raise ConfigError(f"{folder}: no completed runs yet; nothing to draw")
    from sim.provenance import provenance

    record = provenance(config_hash=manifest["config_hash"], seed=manifest["config"]["seed"],
                        experiment=manifest["name"])
    sweep = _SweepInfo(manifest, table, several_rounds=_several_rounds(folder))
    out = folder / FIGURES_FOLDER
    written: list[Path] = []
    notes: list[str] = []
    for metric in metrics:
        if table[metric].notna().sum() == 0:
            notes.append(f"{metric}: NaN at every point; not drawn")
            continue
        for name in sweep.swept:
            written += _draw_by_parameter(sweep, metric, name,
                                          out / f"{metric}-by-{name}", record)
        for first, second in itertools.combinations(sweep.heatmap_parameters, 2):
            written += _draw_heatmap(sweep, metric, first, second,
                                     out / f"{metric}-by-{first}-and-{second}", record)
    if sensitivity and sweep.kind in ("sobol", "morris"):
        from sim.sweep.sensitivity import run_sensitivity

        for metric in metrics:
            try:
                written += run_sensitivity(folder, metric)[1]
            except ConfigError as exc:
                notes.append(f"sensitivity of {metric}: {exc}")
    return written, notes


def figure_captions(manifest: dict[str, Any], names: list[str]) -> dict[str, str]:
    """Captions of a sweep's figures for its report, keyed by file stem.

    Parameters
    ----------
    manifest : dict
        The sweep's manifest (model, design kind, fixed parameters).
    names : list of str
        Figure file names (``figures/<metric>-by-<parameter>.png``, heatmaps
        ``<metric>-by-<a>-and-<b>``, sensitivity charts ``sensitivity-<metric>``).

    Examples
    --------
    >>> manifest = {"model": "estimation", "design": {"kind": "grid"}, "config": {}}
    >>> captions = figure_captions(manifest, ["figures/error_of_mean-by-correlation.png"])
    >>> print(captions["error_of_mean-by-correlation"])  # doctest: +NORMALIZE_WHITESPACE
    Error of the mean (estimate units) against error correlation ρ (share of the error in
    common): mean over each point's replicates, bars the 95 % confidence interval.
    """
    model = manifest.get("model", "")
    kind = manifest.get("design", {}).get("kind")
    fixed = manifest.get("config", {}).get("fixed") or {}
    captions: dict[str, str] = {}
    for name in names:
        stem = Path(name).stem
        if stem.startswith("sensitivity-"):
            metric = stem.removeprefix("sensitivity-")
            captions[stem] = (f"Sensitivity of {metric_label(metric, unit=False)} to each "
                              f"parameter ({kind} indices, with their confidence intervals).")
            continue
        metric, _, swept = stem.partition("-by-")
        if not swept:
            continue
        what = metric_label(metric)
        what = what[:1].upper() + what[1:]
        first, _, second = swept.partition("-and-")
        if second:
            captions[stem] = (f"{what}: mean over replicates at each pair of "
                              f"{parameter_label(model, first, fixed, unit=False)} and "
                              f"{parameter_label(model, second, fixed, unit=False)}, averaged "
                              "over any other swept parameter.")
        elif kind in ("grid", "points"):
            captions[stem] = (f"{what} against {parameter_label(model, first, fixed)}: mean "
                              "over each point's replicates, bars the 95 % confidence "
                              "interval.")
        else:
            captions[stem] = (f"{what} against {parameter_label(model, first, fixed)}: each "
                              "dot a sampled point's mean; the line the mean in ten quantile "
                              "bins of the parameter, 95 % confidence interval.")
    return captions


def _several_rounds(folder: Path) -> bool:
    return bool(load(folder, columns=[])["round"].nunique() > 1)


class _SweepInfo:
    """What the drawing functions need to know about a sweep and its per-point table."""

    def __init__(self, manifest: dict[str, Any], table: pd.DataFrame, several_rounds: bool):
        design = manifest["design"]
        self.manifest, self.table = manifest, table
        self.model, self.kind = manifest["model"], design["kind"]
        self.fixed = design["fixed"]
        self.swept = [name for name in design["swept"] if name in table.columns]
        self.replicates = design["replicates"]
        self.title = manifest.get("title") or manifest["name"]
        self.several_rounds = several_rounds
        problem = design.get("problem") or {}
        self.log_axes = {name for name, log in zip(problem.get("names", []),
                                                   problem.get("log10", [])) if log}
        swept_config = (manifest.get("config") or {}).get("swept") or {}
        self.log_axes |= {name for name, form in swept_config.items()
                          if isinstance(form, dict) and "logspace" in form}
        self.discrete = {name: self.kind == "grid" or (
            self.kind == "points" and table[name].nunique(dropna=False) <= 12)
            for name in self.swept}
        self.heatmap_parameters = [name for name in self.swept if self.discrete[name]
                                   and self.kind in ("grid", "points")]

    def label(self, name: str, unit: bool = True) -> str:
        return parameter_label(self.model, name, self.fixed, unit)

    def numeric(self, name: str) -> bool:
        values = self.table[name]
        return bool(pd.api.types.is_numeric_dtype(values)
                    and not pd.api.types.is_bool_dtype(values) and values.notna().all())

    def replicates_text(self) -> str:
        rounds = ", each run's last round" if self.several_rounds else ""
        return f"{self.replicates:,} replicate{'s' * (self.replicates != 1)} per point{rounds}"


def _value_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _pooled(group: pd.DataFrame, metric: str) -> pd.Series:
    """Mean of the point means in ``group`` and its standard error from the replicates:
    the points are fixed, so var(mean of k means) = sum of their squared SEs / k**2."""
    means, errors = group[metric], group[f"{metric}_se"]
    keep = means.notna()
    k = int(keep.sum())
    if k == 0:
        return pd.Series({"mean": np.nan, "se": np.nan})
    se = np.sqrt((errors[keep] ** 2).sum(min_count=k)) / k
    return pd.Series({"mean": means[keep].mean(), "se": se})


def _title(ax, first: str, sweep: _SweepInfo, averaged: list[str]) -> None:
    second = sweep.title
    if averaged:
        second += "; averaged over " + ", ".join(sweep.label(n, unit=False) for n in averaged)
    ax.set_title(first + "\n" + "\n".join(textwrap.wrap(second, 70)), fontsize=11)


def _draw_by_parameter(sweep: _SweepInfo, metric: str, name: str, stem: Path,
                       provenance: dict) -> list[Path]:
    import matplotlib.pyplot as plt

    from sim.plots import apply_theme, save

    apply_theme()
    fig, ax = plt.subplots(figsize=(7.2, 4.6), layout="constrained")
    if sweep.discrete[name]:
        _lines_by_value(fig, ax, sweep, metric, name)
    else:
        _scatter_with_bins(fig, ax, sweep, metric, name)
    ax.set_xlabel(sweep.label(name))
    ax.set_ylabel(metric_label(metric))
    if name in sweep.log_axes:
        _log_x_axis(ax, sweep.table[name])
    return save(fig, stem, provenance)


def _log_x_axis(ax, values: pd.Series) -> None:
    """A log x axis with plain numbers: decades (10, 100, 1000), or, over less than about a
    decade, evenly spaced round values (0.8, 1, 1.2, 1.4)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter, NullLocator

    low, high = float(values.min()), float(values.max())
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    if low > 0 and high / low < 15:
        ticks = [t for t in MaxNLocator(6).tick_values(low, high) if low <= t <= high]
        ax.set_xticks(ticks)
        ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(NullFormatter())


def _lines_by_value(fig, ax, sweep: _SweepInfo, metric: str, name: str) -> None:
    """Grid (or few-valued) parameter: mean ± 1.96 SE at each value, one line per value of
    the other swept parameter with the fewest values (if at most MAX_LINES)."""
    import seaborn as sns

    from sim.plots import PALETTE

    table = sweep.table
    others = [n for n in sweep.swept if n != name and sweep.discrete[n]
              and 1 < table[n].nunique(dropna=False) <= MAX_LINES]
    hue = min(others, key=lambda n: table[n].nunique(dropna=False)) if others else None
    averaged = [n for n in sweep.swept if n not in (name, hue)
                and table[n].nunique(dropna=False) > 1]
    numeric_x = sweep.numeric(name)
    x_values = _ordered(table[name])
    position = {value: (value if numeric_x else i) for i, value in enumerate(x_values)}
    hue_values = _ordered(table[hue]) if hue else [None]
    if hue and sweep.numeric(hue):
        colours = sns.color_palette("crest", len(hue_values))
    else:
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(hue_values))]
    step = 0.08 if not numeric_x and hue else 0.0
    for i, (level, colour) in enumerate(zip(hue_values, colours)):
        rows = table if hue is None else table[_equal(table[hue], level)]
        pooled = pd.DataFrame({value: _pooled(group, metric) for value, group
                               in rows.groupby(name, sort=False, dropna=False)}).T
        pooled = pooled.reindex([v for v in x_values if v in pooled.index])
        x = np.array([position[v] for v in pooled.index], dtype=float)
        x = x + step * (i - (len(hue_values) - 1) / 2)
        label = INTERVAL if hue is None else _value_text(level)
        ax.errorbar(x, pooled["mean"], yerr=Z95 * pooled["se"], color=colour, marker="o",
                    markersize=5, lw=1.6 if numeric_x else 0, elinewidth=1.2, capsize=3,
                    label=label)
    if not numeric_x:
        ax.set_xticks(range(len(x_values)), [_value_text(v) for v in x_values])
        ax.set_xlim(-0.5, len(x_values) - 0.5)
    interval = (f"{INTERVAL} over the {sweep.replicates_text()}"
                if table[f"{metric}_se"].notna().any() else
                "one replicate per point: no interval" if sweep.replicates == 1 else
                f"mean over the {sweep.replicates_text()} (too few values for an interval)")
    if hue is None:
        fig.legend(loc="outside lower center", frameon=False, labels=[interval])
    else:
        fig.legend(loc="outside right upper", frameon=False, title_fontsize=9,
                   title="\n".join(textwrap.wrap(sweep.label(hue), 24)))
        proxy = ax.errorbar([np.nan], [np.nan], yerr=[np.nan], color="0.3", marker="o",
                            markersize=5, lw=0, elinewidth=1.2, capsize=3)
        fig.legend([proxy], [interval], loc="outside lower center", frameon=False)
    _title(ax, f"{metric_label(metric, unit=False)} by {sweep.label(name, unit=False)}",
           sweep, averaged)


def _scatter_with_bins(fig, ax, sweep: _SweepInfo, metric: str, name: str) -> None:
    """Sampled parameter: each point's mean, and the mean of the points in each quantile bin
    ± 1.96 SE over those points (the other parameters vary within a bin)."""
    from sim.plots import PALETTE

    table = sweep.table[[name, metric]].dropna()
    x = table[name].astype(float)
    alpha = float(np.clip(400 / max(len(table), 1), 0.12, 0.7))
    ax.scatter(x, table[metric], s=9, color=PALETTE[0], alpha=alpha, linewidths=0,
               rasterized=True, label=f"point means ({sweep.replicates_text()})")
    if x.nunique() <= BINS:
        bins = x
    else:
        edges = np.unique(np.quantile(np.log10(x) if name in sweep.log_axes else x,
                                      np.linspace(0, 1, BINS + 1)))
        scaled = np.log10(x) if name in sweep.log_axes else x
        bins = pd.Series(np.clip(np.searchsorted(edges, scaled, side="right") - 1, 0,
                                 len(edges) - 2), index=x.index)
    grouped = table.assign(x=x).groupby(bins)
    centre, mean = grouped["x"].median(), grouped[metric].mean()
    se = grouped[metric].std(ddof=1) / np.sqrt(grouped[metric].count())
    ax.errorbar(centre, mean, yerr=Z95 * se, color=PALETTE[1], marker="o", markersize=6,
                lw=2, elinewidth=1.5, capsize=4, zorder=3,
                label=("mean of the points at each value" if x.nunique() <= BINS else
                       f"mean of the points in each of {len(mean)} quantile bins")
                + ", ± 1.96 SE over those points (95 % CI)")
    others = [sweep.label(n, unit=False) for n in sweep.swept if n != name]
    note = f"{sweep.kind} design; " + (
        ", ".join(others) + (" vary" if len(others) > 1 else " varies") + " too" if others
        else "the only swept parameter")
    fig.legend(loc="outside lower center", frameon=False, ncol=1, fontsize=9,
               title="\n".join(textwrap.wrap(note, 90)), title_fontsize=9)
    _title(ax, f"{metric_label(metric, unit=False)} by {sweep.label(name, unit=False)}",
           sweep, [])


def _draw_heatmap(sweep: _SweepInfo, metric: str, first: str, second: str, stem: Path,
                  provenance: dict) -> list[Path]:
    """Mean of ``metric`` over the grid of ``first`` x ``second``; the parameter with more
    values runs along the x axis."""
    import matplotlib.pyplot as plt

    from sim.plots import apply_theme, save

    table = sweep.table
    title = (f"{metric_label(metric, unit=False)} by {sweep.label(first, unit=False)} "
             f"and {sweep.label(second, unit=False)}")
    if table[first].nunique(dropna=False) > table[second].nunique(dropna=False):
        first, second = second, first
    rows, columns = _ordered(table[first]), _ordered(table[second])
    grid = table.groupby([first, second], dropna=False)[metric].mean().unstack(second)
    grid = grid.reindex(index=rows, columns=columns)
    averaged = [n for n in sweep.swept if n not in (first, second)
                and table[n].nunique(dropna=False) > 1]
    apply_theme()
    width = max(6.0, min(12.0, 3.2 + 0.62 * len(columns)))
    height = max(4.2, min(10.0, 2.4 + 0.42 * len(rows)))
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto",
                      cmap="viridis", interpolation="nearest")
    ax.grid(False)
    ticks = [_value_text(v) for v in columns]
    crowded = sum(len(t) + 2 for t in ticks) * 0.085 > width - 2.5  # inches of text at 11 pt
    ax.set_xticks(range(len(columns)), ticks, rotation=45 if crowded else 0,
                  ha="right" if crowded else "center")
    ax.set_yticks(range(len(rows)), [_value_text(v) for v in rows])
    ax.set_xlabel(sweep.label(second))
    along = max(18, int(7 * height))  # characters that fit along the y axis
    ax.set_ylabel("\n".join(textwrap.wrap(sweep.label(first), along)))
    bar = fig.colorbar(image, ax=ax, shrink=0.95)
    bar.set_label("\n".join(textwrap.wrap(f"{metric_label(metric)}, mean over "
                                         f"{sweep.replicates_text()}", along)), fontsize=10)
    if grid.size <= ANNOTATED_CELLS:
        values = grid.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                        color="black" if value > middle else "white")
    _title(ax, "\n".join(textwrap.wrap(title, int(11 * width))), sweep, averaged)
    return save(fig, stem, provenance)


def _ordered(values: pd.Series) -> list:
    """Distinct values: numbers in order; others (text) in design order, None last."""
    distinct = list(pd.unique(values))
    if all(_sort_key(v)[0] != 1 for v in distinct):
        return sorted(distinct, key=_sort_key)
    return sorted(distinct, key=lambda v: _sort_key(v)[0] == 2)


def _equal(values: pd.Series, value: Any) -> pd.Series:
    return values.isna() if _sort_key(value)[0] == 2 else values == value


def _sort_key(value: Any) -> tuple:
    """Numbers in order, then everything else by its text (None last)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return (2, 0.0, "")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return (0, float(value), "")
    return (1, 0.0, str(value))

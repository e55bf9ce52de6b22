"""Global sensitivity of a stored sweep's metric, with SALib.

For a ``sobol`` design, first-order (S1) and total-order (ST) Sobol indices
(:func:`SALib.analyze.sobol.analyze`); for a ``morris`` design, Morris elementary effects
(mu*, sigma; :func:`SALib.analyze.morris.analyze`). The model output at each point is the
metric averaged over the point's replicates, in design order. A run's seed is a function
of its parameters, so the simulated output is a deterministic function of the point, as
the Sobol and Morris estimators assume; replicates average its noise down.

Examples
--------
>>> import tempfile
>>> from sim.sweep import SweepConfig, run_sweep
>>> config = SweepConfig(model="estimation", seed=1, design="sobol", samples=16,
...                      fixed={"n_agents": 20, "noise_scale": 1.0},
...                      swept={"bias_shift": {"low": 0, "high": 100},
...                             "correlation": {"low": 0, "high": 0.5}})
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = run_sweep(config, folder, name="doc", workers=1, log=None)
...     result = analyse(folder, "error_of_mean")
>>> result["method"], [p["name"] for p in result["parameters"]]
('sobol', ['bias_shift', 'correlation'])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.io import write_json
from sim.seeding import derive_seed
from sim.sweep.results import load_design, point_stats, read_manifest, status

__all__ = ["analyse", "format_indices", "draw_indices", "run_sensitivity", "ANALYSIS_SEED_KEY"]

#: Key of the bootstrap's random stream (confidence intervals) under the sweep's seed.
ANALYSIS_SEED_KEY = 0x5A1B


def analyse(folder: str | os.PathLike, metric: str) -> dict[str, Any]:
    """Sensitivity indices of ``metric`` in the sweep stored in ``folder``.

    Raises
    ------
    ConfigError
        The design is not sobol or morris, the metric was not recorded, runs are pending or
        failed, or the metric is NaN or constant.
    """
    manifest = read_manifest(folder)
    kind = manifest["design"]["kind"]
    if kind not in ("sobol", "morris"):
        raise ConfigError(f"{folder}: a {kind} design has no sensitivity indices; sweep with "
                          "design: sobol or design: morris")
    y, noise_share = _outputs(folder, metric, manifest)
    problem = {key: manifest["design"]["problem"][key] for key in ("num_vars", "names",
                                                                    "bounds")}
    seed = derive_seed(manifest["config"]["seed"], ANALYSIS_SEED_KEY)
    result = {"metric": metric, "method": kind, "sweep": manifest["name"],
              "points": manifest["design"]["points"],
              "replicates": manifest["design"]["replicates"],
              "samples": manifest["config"]["samples"], "confidence_level": 0.95,
              "replicate_noise_share": noise_share,
              "log10_parameters": [name for name, log in zip(
                  problem["names"], manifest["design"]["problem"]["log10"]) if log]}
    if kind == "sobol":
        from SALib.analyze import sobol

        indices = sobol.analyze(problem, y, calc_second_order=True, seed=seed)
        result["parameters"] = [
            {"name": name, **{key: float(indices[key][i])
                              for key in ("S1", "S1_conf", "ST", "ST_conf")}}
            for i, name in enumerate(problem["names"])]
        result["S2"] = {"names": problem["names"], "S2": indices["S2"],
                        "S2_conf": indices["S2_conf"]}
    else:
        from SALib.analyze import morris

        design = load_design(folder)
        x = design[[f"design_{name}" for name in problem["names"]]].to_numpy()
        levels = manifest["config"]["levels"] or 4
        indices = morris.analyze(problem, x, y, num_levels=levels, seed=seed)
        result["parameters"] = [
            {"name": name, "mu": float(indices["mu"][i]), "mu_star": float(indices["mu_star"][i]),
             "mu_star_conf": float(indices["mu_star_conf"][i]),
             "sigma": float(indices["sigma"][i])}
            for i, name in enumerate(problem["names"])]
    return result


def _outputs(folder, metric: str, manifest: dict) -> tuple[np.ndarray, float | None]:
    """Per-point means in design order, and the share of their variance that is replicate
    noise (None with one replicate): mean(within-point variance / replicates) / var(means).
    """
    counts = status(folder)
    if counts["pending"]:
        raise ConfigError(f"{folder}: {counts['pending']:,} runs are pending; finish the sweep "
                          "first (run the same crowdsim sweep command again)")
    stats = point_stats(folder, metric)
    means = stats["mean"]
    n_points = manifest["design"]["points"]
    if len(means) < n_points:
        raise ConfigError(f"{folder}: {n_points - len(means):,} points have no completed run "
                          f"({counts['failed']:,} runs failed); indices need every point")
    y = means.reindex(range(n_points)).to_numpy(dtype=float)
    if np.isnan(y).any():
        raise ConfigError(f"--metric: {metric} is NaN at {int(np.isnan(y).sum()):,} points; "
                          "choose a metric defined everywhere")
    if np.ptp(y) == 0:
        raise ConfigError(f"--metric: {metric} is the same at every point; nothing to "
                          "attribute")
    noise = (stats["var"] / stats["count"]).mean() if (stats["count"] > 1).all() else None
    return y, (None if noise is None else float(noise / np.var(y, ddof=1)))


def format_indices(result: dict[str, Any]) -> str:
    """The indices as a text table, most influential parameter first."""
    conf = f"{100 * result['confidence_level']:.0f} % confidence intervals"
    head = (f"{result['sweep']}: {result['method']} indices of {result['metric']} "
            f"({result['points']:,} points x {result['replicates']:,} replicates; {conf})")
    width = max(len("parameter"), *(len(p["name"]) for p in result["parameters"]))
    if result["method"] == "sobol":
        rows = sorted(result["parameters"], key=lambda p: -p["ST"])
        lines = [head, f"{'parameter':<{width}}  {'S1':>16}  {'ST':>16}"]
        lines += [f"{p['name']:<{width}}  {p['S1']:>7.3f} ± {p['S1_conf']:<6.3f}  "
                  f"{p['ST']:>7.3f} ± {p['ST_conf']:<6.3f}" for p in rows]
    else:
        rows = sorted(result["parameters"], key=lambda p: -p["mu_star"])
        lines = [head, f"{'parameter':<{width}}  {'mu*':>22}  {'sigma':>10}  {'mu':>10}"]
        lines += [f"{p['name']:<{width}}  {p['mu_star']:>10.4g} ± {p['mu_star_conf']:<9.3g}  "
                  f"{p['sigma']:>10.4g}  {p['mu']:>10.4g}" for p in rows]
    if result["replicate_noise_share"] is not None:
        lines.append(f"replicate noise: about {100 * result['replicate_noise_share']:.0f} % of "
                     "the variance of the per-point means (it shows up as interactions, "
                     "ST - S1; more replicates shrink it)" if result["method"] == "sobol" else
                     f"replicate noise: about {100 * result['replicate_noise_share']:.0f} % of "
                     "the variance of the per-point means (it inflates sigma; more replicates "
                     "shrink it)")
    if result["method"] == "morris":
        lines.append("(effects: change of the metric per whole range of a parameter, "
                     "its log10 range if sampled in log10)")
    if result["log10_parameters"]:
        lines.append(f"(sampled in log10: {', '.join(result['log10_parameters'])})")
    return "\n".join(lines)


def draw_indices(result: dict[str, Any], stem: Path, provenance: dict | None = None) -> list:
    """Bar chart of the indices with confidence intervals, saved as ``stem``.png and .svg."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    sobol = result["method"] == "sobol"
    key = "ST" if sobol else "mu_star"
    rows = sorted(result["parameters"], key=lambda p: p[key])   # most influential on top
    logged = set(result.get("log10_parameters") or [])
    names = [p["name"].replace("_", " ") + (" (log10)" if p["name"] in logged else "")
             for p in rows]
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 1.9 + 0.6 * len(rows)), layout="constrained")
    error = {"elinewidth": 1.2, "capsize": 3, "ecolor": "0.2"}
    if sobol:
        bars = ((0.2, "S1", PALETTE[0], "first order S1 (alone)"),
                (-0.2, "ST", PALETTE[1], "total order ST (with interactions)"))
        for offset, index, colour, label in bars:
            ax.barh(y + offset, [p[index] for p in rows], height=0.38, color=colour,
                    xerr=[p[f"{index}_conf"] for p in rows], error_kw=error, label=label)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_xlabel(f"Sobol index of {result['metric']} (share of its variance)")
    else:
        bars = ((0.2, "mu_star", PALETTE[0], "mu* (mean |effect|)"),
                (-0.2, "sigma", PALETTE[1], "sigma (interactions, non-linearity)"))
        ax.barh(y + 0.2, [p["mu_star"] for p in rows], height=0.38, color=PALETTE[0],
                xerr=[p["mu_star_conf"] for p in rows], error_kw=error, label=bars[0][3])
        ax.barh(y - 0.2, [p["sigma"] for p in rows], height=0.38, color=PALETTE[1],
                label=bars[1][3])
        ax.set_xlabel(f"elementary effect on {result['metric']}\n(change per whole range of "
                      "the parameter; per log10 range if sampled in log10)")
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    handles = [Patch(color=colour) for _, _, colour, _ in bars]
    noise = result.get("replicate_noise_share")
    note = None if noise is None else (
        f"replicate noise: about {100 * noise:.0f} % of the variance of the point means"
        + (" (it shows up in ST - S1)" if sobol else " (it inflates sigma)"))
    fig.legend(handles, [label for *_, label in bars], loc="outside lower center", ncol=2,
               frameon=False, title=note, title_fontsize=8)
    ax.set_title(f"{result['sweep']}: what drives {result['metric']}\n"
                 f"{result['points']:,} points x {result['replicates']:,} replicates, error "
                 f"bars: {100 * result['confidence_level']:.0f} % confidence interval",
                 fontsize=11)
    return save(fig, stem, provenance)


def run_sensitivity(folder: str | os.PathLike, metric: str) -> tuple[dict, list[Path]]:
    """Analyse, then write ``sensitivity-<metric>.json`` and its chart into ``folder``."""
    from sim.provenance import provenance

    folder = Path(folder)
    result = analyse(folder, metric)
    manifest = read_manifest(folder)
    record = provenance(config_hash=manifest["config_hash"], seed=manifest["config"]["seed"],
                        experiment=manifest["name"])
    stem = folder / f"sensitivity-{metric}"
    figures = draw_indices(result, stem, record)
    write_json(stem.with_name(f"{stem.name}.json"), {**result, "provenance": record})
    return result, [stem.with_name(f"{stem.name}.json"), *figures]

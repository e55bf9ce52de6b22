"""Analyse a real set of guesses: aggregates, errors, the diversity decomposition."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from sim import aggregate, metrics
from sim.config import ConfigError

__all__ = ["read_column", "analyze_guesses", "format_table"]


def read_column(path: str | Path, column: str) -> tuple[np.ndarray, int]:
    """Numeric values of one CSV column, and how many cells were dropped.

    The first row is the header. Other columns, short rows and junk are ignored; empty,
    non-numeric or non-finite cells of the column are dropped and counted.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    values: list[float] = []
    dropped = 0
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None:
                raise ConfigError(f"{path}: the file is empty")
            names = [name.strip() for name in header]
            if column not in names:
                shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
                raise ConfigError(f"--column: {column!r} is not a column of {path} "
                                  f"(columns: {shown})")
            index = names.index(column)
            for row in rows:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank line: not a guess
                cell = row[index].strip() if index < len(row) else ""
                try:
                    value = float(cell.replace(",", "")) if cell else math.nan
                except ValueError:
                    value = math.nan
                if math.isfinite(value):
                    values.append(value)
                else:
                    dropped += 1
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as exc:
        raise ConfigError(f"{path}: cannot parse as CSV ({exc})") from None
    return np.array(values, dtype=float), dropped


def analyze_guesses(values, truth: float, trim: float = 0.1, dropped: int = 0) -> dict:
    """Aggregates of a set of guesses and how well each does.

    Examples
    --------
    >>> result = analyze_guesses([48.0, 47.0, 51.0], truth=49.0)
    >>> round(result["mean_individual_sq_error"], 4), round(result["diversity"], 4)
    (3.0, 2.8889)
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ConfigError("no numeric estimates to analyse")
    if not math.isfinite(truth):
        raise ConfigError("--truth: must be a finite number")
    positive = x[x > 0]
    aggregates = {
        "mean": float(aggregate.mean(x)),
        "median": float(aggregate.median(x)),
        "geometric_mean": float(aggregate.geometric_mean(positive)) if positive.size else None,
        "trimmed_mean": float(aggregate.trimmed_mean(x, trim)),
    }
    decomposition = metrics.diversity_prediction(x, truth)
    errors, beaten = {}, {}
    for name, value in aggregates.items():
        if value is None:
            errors[name], beaten[name] = None, None
            continue
        errors[name] = {
            "signed": float(value - truth),
            "absolute": float(metrics.collective_error(value, truth, "absolute")),
            "relative": float(metrics.collective_error(value, truth, "relative"))
            if truth != 0 else None,
        }
        beaten[name] = float(metrics.beaten_share(x, value, truth))
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return {
        "n": int(x.size),
        "dropped": int(dropped),
        "truth": float(truth),
        "trim_fraction": trim,
        "geometric_mean_n": int(positive.size),
        "aggregates": aggregates,
        "errors": errors,
        "quartiles": [float(q1), float(q3)],
        "minimum": float(x.min()),
        "maximum": float(x.max()),
        "collective_sq_error": float(decomposition.collective_sq_error),
        "mean_individual_sq_error": float(decomposition.mean_individual_sq_error),
        "diversity": float(decomposition.diversity),
        "mean_individual_abs_error": float(metrics.mean_individual_error(x, truth, "absolute")),
        "beaten_share": beaten,
        "truth_in_range": bool(metrics.truth_in_range(x, truth)),
    }


def format_table(result: dict, source: str = "") -> str:
    """A readable text table of :func:`analyze_guesses`'s result."""
    lines = [f"{source}: {result['n']} estimates ({result['dropped']} cells dropped), "
             f"truth {result['truth']:g}",
             f"range {result['minimum']:g} to {result['maximum']:g}, quartiles "
             f"{result['quartiles'][0]:g} and {result['quartiles'][1]:g}",
             "",
             f"{'aggregate':<16}{'value':>14}{'error':>14}{'rel. error':>12}{'beats':>9}"]
    for name, value in result["aggregates"].items():
        if value is None:
            lines.append(f"{name:<16}{'(no positive estimates)':>49}")
            continue
        err = result["errors"][name]
        rel = f"{100 * err['relative']:.2f} %" if err["relative"] is not None else "-"
        lines.append(f"{name:<16}{value:>14.6g}{err['signed']:>+14.6g}{rel:>12}"
                     f"{100 * result['beaten_share'][name]:>7.1f} %")
    lines += ["",
              "diversity prediction theorem (squared errors, crowd = mean):",
              f"  collective error {result['collective_sq_error']:.6g} = mean individual "
              f"error {result['mean_individual_sq_error']:.6g} - diversity "
              f"{result['diversity']:.6g}"]
    return "\n".join(lines)


def draw_histogram(values, result: dict, path: str | Path, title: str) -> list[Path]:
    """A histogram of the guesses with the truth and each aggregate marked.

    Positive guesses spread over more than a factor of 30 (as guesses of quantities often
    are) are drawn on a log axis with log-spaced bins; otherwise the outer 1 % is piled into
    the end bins so that a few wild guesses do not squash the rest.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    x = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(8.5, 4.5), layout="constrained")
    lo, hi = np.quantile(x, [0.005, 0.995]) if x.size > 20 else (x.min(), x.max())
    bins = min(60, max(10, x.size // 10))
    log = bool(x.min() > 0 and hi > 30 * lo)
    if log:
        edges = np.geomspace(x.min(), x.max(), bins + 1)
        ax.hist(x, bins=edges, color=PALETTE[7], alpha=0.7, label=f"estimates (n = {x.size})")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: f"{v:g}" if v < 1 else f"{v:,.0f}" if v < 1e6
            else f"$10^{{{np.log10(v):.0f}}}$"))
        shown = (x.min(), x.max())
    else:
        clipped = int(np.count_nonzero((x < lo) | (x > hi)))
        ax.hist(np.clip(x, lo, hi), bins=bins, color=PALETTE[7], alpha=0.7,
                label=f"estimates (n = {x.size})" + (f";\n{clipped} beyond the 0.5-99.5 % "
                                                     "quantiles\ndrawn in the end bins"
                                                     if clipped else ""))
        shown = (lo, hi)

    def where(value: float) -> str:
        return "" if shown[0] <= value <= shown[1] else " (off the chart)"

    truth = result["truth"]
    ax.axvline(truth, color=PALETTE[2], lw=2.5, label=f"truth {truth:g}{where(truth)}")
    styles = {"mean": ("--", PALETTE[3]), "median": (":", PALETTE[0]),
              "geometric_mean": ("-.", PALETTE[4]), "trimmed_mean": ((0, (5, 1)), PALETTE[1])}
    for name, value in result["aggregates"].items():
        if value is None:
            continue
        style, colour = styles.get(name, ("--", PALETTE[5]))
        ax.axvline(value, color=colour, ls=style, lw=2,
                   label=f"{name.replace('_', ' ')} {value:.4g}{where(value)}")
    ax.set_xlabel("estimate" + (" (log scale)" if log else ""))
    ax.set_ylabel("number of estimates")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    target = Path(path)
    return save(fig, target.with_suffix(""), formats=(target.suffix.lstrip(".").lower() or "png",))

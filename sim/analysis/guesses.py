"""Analyse a real set of guesses: aggregates, errors, the diversity decomposition."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sim import aggregate, metrics
from sim.analysis.tables import parse_numbers, read_csv_table
from sim.config import ConfigError

__all__ = ["GuessColumn", "read_column", "analyze_guesses", "format_table", "draw_histogram",
           "bootstrap_intervals", "unit_from_name"]


class GuessColumn(NamedTuple):
    """One column of guesses as :func:`read_column` reads it."""

    values: np.ndarray
    """The finite numbers, in file order."""
    dropped: int
    """Cells of the column that are empty, junk, NaN or infinite."""
    bad_rows: int
    """Rows left out whole: more or fewer fields than the header."""
    bad_rows_note: str
    """``"2 bad rows left out (... e.g. 'pz,1,2,3')"`` or ``""``."""


def read_column(path: str | Path, column: str, *, decimal: str = ".",
                thousands: str | None = None) -> GuessColumn:
    """Numeric values of one CSV column, the cells dropped and the bad rows left out.

    The file is read by :func:`sim.analysis.tables.read_csv_table` (separator sniffed,
    UTF-8 or UTF-16 with BOM, rows with a wrong number of fields left out and counted) and
    the column by :func:`sim.analysis.tables.parse_numbers` (``decimal`` mark, a
    ``thousands`` separator only when given; a cell like ``1,5`` without either is refused).
    Empty, non-numeric or non-finite cells are dropped and counted; other columns are
    not looked at.

    Raises
    ------
    ConfigError
        One line naming the file or ``--column``: unreadable file, missing or duplicated
        column, an ambiguous number.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> _ = path.write_text('name;guess\\na;"1,5"\\nb;2,5\\nc;x\\npz;1;2\\n')
    >>> read_column(path, "guess", decimal=",")[:3]
    (array([1.5, 2.5]), 1, 1)
    """
    table = read_csv_table(path)
    cells = table.column(column, "--column")
    numbers = parse_numbers(cells, decimal=decimal, thousands=thousands, column=column,
                            source=str(table.path))
    finite = np.isfinite(numbers)
    return GuessColumn(values=numbers[finite], dropped=int((~finite).sum()),
                       bad_rows=table.bad_rows, bad_rows_note=table.bad_rows_note())


def _first_overflow(result: dict) -> str | None:
    """The name (``errors.mean.absolute``) of the first non-finite number in a result."""
    for key, value in result.items():
        if isinstance(value, dict):
            inner = _first_overflow(value)
            if inner is not None:
                return f"{key}.{inner}"
        elif isinstance(value, list):
            if any(isinstance(v, float) and not math.isfinite(v) for v in value):
                return key
        elif isinstance(value, float) and not math.isfinite(value):
            return key
    return None


def analyze_guesses(values, truth: float, trim: float = 0.1, dropped: int = 0,
                    bad_rows: int = 0) -> dict:
    """Aggregates of a set of guesses and how well each does.

    ``dropped`` (cells) and ``bad_rows`` (rows left out) are reported as given.

    Raises
    ------
    ConfigError
        If there are no estimates, the truth is not finite, or an aggregate or error
        overflows double precision (estimates near 1e308, or squared errors beyond it):
        one line naming the quantity, instead of an infinite number in the result.

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
    with np.errstate(over="ignore", invalid="ignore"):
        result = _analyze(x, truth, trim, dropped, bad_rows)
    overflow = _first_overflow(result)
    if overflow is not None:
        largest = float(np.max(np.abs(x)))
        name = overflow.split(".")[-1] if overflow.startswith("aggregates.") else overflow
        raise ConfigError(f"--column: the {name.replace('_', ' ')} overflows double "
                          f"precision (estimates up to {largest:.3g} in size, truth {truth:g}); "
                          "rescale the estimates and --truth, e.g. divide both by 1e6")
    return result


def _analyze(x: np.ndarray, truth: float, trim: float, dropped: int, bad_rows: int) -> dict:
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
        "bad_rows": int(bad_rows),
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
    bad_rows = result.get("bad_rows", 0)
    left_out = (f", {bad_rows} bad row{'s' if bad_rows != 1 else ''} left out: not as many "
                "fields as the header" if bad_rows else "")
    lines = [f"{source}: {result['n']} estimates ({result['dropped']} cells dropped{left_out}), "
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


#: Units recognised at the end of a column's name (``estimate_lb``), for the axis label.
KNOWN_UNITS = ("lb", "lbs", "kg", "g", "oz", "t", "mm", "cm", "m", "km", "in", "ft", "s",
               "min", "h", "usd", "eur", "gbp", "pct")


def unit_from_name(name: str) -> str | None:
    """The unit a column's name ends in (``estimate_lb`` -> ``lb``), if it is a known one.

    Examples
    --------
    >>> unit_from_name("galton.csv: estimate_lb"), unit_from_name("guess")
    ('lb', None)
    """
    last = name.replace(":", " ").split()[-1] if name.strip() else ""
    head, _, tail = last.rpartition("_")
    return tail if head and tail.lower() in KNOWN_UNITS else None


def bootstrap_intervals(values, trim: float = 0.1, resamples: int = 1000, level: float = 0.9,
                        seed: int = 0) -> dict[str, tuple[float, float]]:
    """Percentile-bootstrap intervals of the aggregates (resampling the guesses).

    Examples
    --------
    >>> low, high = bootstrap_intervals([9.0, 10.0, 11.0, 10.5, 9.5])["mean"]
    >>> bool(9.0 < low < 10.0 < high < 11.0)
    True
    """
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    rules = {"mean": aggregate.mean, "median": aggregate.median,
             "trimmed_mean": lambda a: aggregate.trimmed_mean(a, trim)}
    if np.all(x > 0):
        rules["geometric_mean"] = aggregate.geometric_mean
    draws: dict[str, list] = {name: [] for name in rules}
    # in blocks, so that a large set of guesses never needs resamples x n numbers at once
    block = max(1, min(resamples, 2_000_000 // max(x.size, 1)))
    for start in range(0, resamples, block):
        sample = x[rng.integers(0, x.size, size=(min(block, resamples - start), x.size))]
        for name, rule in rules.items():
            draws[name].append(np.atleast_1d(rule(sample)))
    tail = 100 * (1 - level) / 2
    return {name: tuple(float(q) for q in np.percentile(np.concatenate(parts),
                                                        [tail, 100 - tail]))
            for name, parts in draws.items()}


def draw_histogram(values, result: dict, path: str | Path, title: str,
                   unit: str | None = None) -> list[Path]:
    """A histogram of the guesses above each aggregate with its 90 % bootstrap interval,
    both against the truth.

    The aggregates get a row each below the histogram, so that close ones (a mean and a
    trimmed mean a pound apart) stay apart. Positive guesses spread over more than a factor
    of 30 (as guesses of quantities often are) are drawn on a log axis with log-spaced bins;
    otherwise the outer 1 % is piled into the end bins so that a few wild guesses do not
    squash the rest. ``unit`` (default: read off the end of ``title``, e.g. ``estimate_lb``)
    labels the axis.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from sim.plots import PALETTE, apply_theme, save

    apply_theme()
    x = np.asarray(values, dtype=float)
    unit = unit or unit_from_name(title)
    names = [name for name, value in result["aggregates"].items() if value is not None]
    fig, (ax, rows) = plt.subplots(2, 1, figsize=(8.5, 4.6 + 0.3 * len(names)), sharex=True,
                                   height_ratios=[3, 0.55 * len(names) + 0.4],
                                   layout="constrained")
    lo, hi = np.quantile(x, [0.005, 0.995]) if x.size > 20 else (x.min(), x.max())
    bins = min(60, max(10, x.size // 10))
    log = bool(x.min() > 0 and hi > 30 * lo)
    style = {"histtype": "stepfilled", "color": PALETTE[7], "alpha": 0.6, "lw": 0}
    if log:
        edges = np.geomspace(x.min(), x.max(), bins + 1)
        ax.hist(x, bins=edges, label=f"guesses (n = {x.size})", **style)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: f"{v:g}" if v < 1 else f"{v:,.0f}" if v < 1e6
            else f"$10^{{{np.log10(v):.0f}}}$"))
    else:
        clipped = int(np.count_nonzero((x < lo) | (x > hi)))
        ax.hist(np.clip(x, lo, hi), bins=bins,
                label=f"guesses (n = {x.size})" + (f"; {clipped} beyond the 0.5-99.5 % "
                                                   "quantiles\ndrawn in the end bins"
                                                   if clipped else ""), **style)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    in_unit = f" {unit}" if unit else ""
    truth = result["truth"]
    for axis in (ax, rows):
        axis.axvline(truth, color="black", lw=1.5, zorder=1, label=f"truth {truth:g}{in_unit}")
    shown = ax.get_xlim()  # the histogram and the truth: what the aggregates are drawn on

    def where(value: float) -> str:
        return "" if shown[0] <= value <= shown[1] else " (off the chart)"

    rows.set_xlim(shown)
    ax.set_ylabel("number of guesses")
    ax.set_title(title)
    # headroom above the bars, so the legend covers none of them
    ax.set_ylim(0, 1.4 * ax.get_ylim()[1])
    ax.legend(loc="best", frameon=True)

    # one row per aggregate, each in its own colour and marker, with its interval
    intervals = bootstrap_intervals(x, trim=result.get("trim_fraction", 0.1))
    trim = 100 * result.get("trim_fraction", 0.1)
    labels = {"mean": "mean", "median": "median", "geometric_mean": "geometric mean",
              "trimmed_mean": f"{trim:g} % trimmed mean"}
    markers = {"mean": ("o", PALETTE[0]), "median": ("s", PALETTE[3]),
               "geometric_mean": ("D", PALETTE[4]), "trimmed_mean": ("^", PALETTE[1])}
    ticks, numbers = [], []
    for row, name in enumerate(reversed(names)):
        value = result["aggregates"][name]
        marker, colour = markers.get(name, ("o", PALETTE[5]))
        low, high = intervals.get(name, (value, value))
        shown_value = min(max(value, shown[0]), shown[1])
        if shown_value != value:  # off the chart: an arrow at the edge, pointing to it
            marker = ">" if value > shown[1] else "<"
        rows.errorbar([shown_value], [row],
                      xerr=[[max(shown_value - max(low, shown[0]), 0)],
                            [max(min(high, shown[1]) - shown_value, 0)]],
                      fmt=marker, color=colour, ms=7, capsize=4, lw=1.5, zorder=3,
                      clip_on=False)
        ticks.append(labels.get(name, name.replace("_", " ")))
        numbers.append(f"{value:.5g}{in_unit} ({value - truth:+.3g}{in_unit}){where(value)}")
    # names on the left, values and errors on the right, one row each
    values_axis = rows.twinx()
    for axis, text in ((rows, ticks), (values_axis, numbers)):
        axis.set_ylim(-0.6, len(names) - 0.4)
        axis.set_yticks(range(len(names)), text, fontsize=9)
        axis.grid(False)
        axis.tick_params(axis="y", length=0, pad=8)
    rows.grid(axis="x", visible=True)
    rows.set_title("aggregates (error from the truth) with 90 % bootstrap intervals",
                   fontsize=9.5)
    rows.set_xlabel(f"guess ({unit}{', log scale' if log else ''})" if unit else
                    "guess (in the CSV's unit" + (", log scale)" if log else ")"))
    target = Path(path)
    return save(fig, target.with_suffix(""), formats=(target.suffix.lstrip(".").lower() or "png",))

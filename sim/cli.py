"""The ``crowdsim`` command (also ``python -m sim``).

Subcommands:

``crowdsim run CONFIG [--out DIR]``
    Run the experiment a config names; results land in ``results/<config name>/``.
``crowdsim analyze FILE.csv --column NAME --truth X [--json] [--figure PATH]``
    Aggregates, errors and the diversity decomposition of a real set of guesses.

Bad input (a config or an argument) gets one line on stderr naming the field and what is
allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path

from sim.config import ConfigError, config_hash, load_yaml, validate

__all__ = ["main", "EXPERIMENTS"]

#: Experiments ``crowdsim run`` knows: config ``experiment:`` value -> module.
EXPERIMENTS = {
    "galton_ox": "experiments.galton_ox",
}

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise ConfigError(message)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="crowdsim",
                     description="Agent-based simulation of collective intelligence.")
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"crowdsim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser("run", help="run the experiment a config describes")
    run.add_argument("config", help="experiment config (YAML), e.g. configs/galton_ox.yaml")
    run.add_argument("--out", help="output folder (default results/<config name>)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")

    analyze = commands.add_parser("analyze", help="analyse a CSV column of real guesses")
    analyze.add_argument("file", help="CSV file with a header row")
    analyze.add_argument("--column", required=True, help="column holding the estimates")
    analyze.add_argument("--truth", required=True, type=_finite_float, help="the true value")
    analyze.add_argument("--trim", type=_finite_float, default=0.1,
                         help="fraction cut from each end for the trimmed mean (default 0.1)")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument("--figure", help="save a histogram here (.png, .svg or .pdf)")
    return parser


def _run(args) -> int:
    config_path = Path(args.config)
    raw = load_yaml(config_path)
    name = raw.get("experiment")
    if not isinstance(name, str) or name not in EXPERIMENTS:
        allowed = ", ".join(sorted(EXPERIMENTS))
        raise ConfigError(f"{config_path}: experiment: must be one of {allowed}; got {name!r}")
    module = importlib.import_module(EXPERIMENTS[name])
    config = validate(module.Config, raw, str(config_path))
    out_dir = Path(args.out) if args.out else Path("results") / config_path.stem
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out: {out_dir} exists and is not a folder")

    from sim.provenance import provenance

    record = provenance(config_hash=config_hash(raw), seed=config.seed, experiment=name)
    record["config"] = raw
    log = (lambda *a, **k: None) if args.quiet else print
    try:
        module.run(config, out_dir, record, config_dir=config_path.parent, log=log)
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(f"{config_path}:")
                          else f"{config_path}: {message}") from None
    log(f"results written to {out_dir}/")
    return 0


def _analyze(args) -> int:
    from sim.analysis.guesses import analyze_guesses, draw_histogram, format_table, read_column

    if not 0 <= args.trim < 0.5:
        raise ConfigError(f"--trim: must be in [0, 0.5), got {args.trim:g}")
    if args.figure and Path(args.figure).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"--figure: must end in .png, .svg or .pdf, got {args.figure!r}")
    values, dropped = read_column(args.file, args.column)
    if values.size == 0:
        raise ConfigError(f"--column: {args.column!r} holds no numeric estimates "
                          f"({dropped} cells dropped)")
    result = analyze_guesses(values, args.truth, trim=args.trim, dropped=dropped)
    if args.figure:
        draw_histogram(values, result, args.figure, f"{Path(args.file).name}: {args.column}")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result, source=f"{args.file} [{args.column}]"))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``crowdsim``; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler = {"run": _run, "analyze": _analyze}[args.command]
        return handler(args)
    except ConfigError as exc:
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("crowdsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

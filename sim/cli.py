"""The ``crowdsim`` command (also ``python -m sim``).

Subcommands:

``crowdsim run CONFIG [--out DIR] [--workers N | --scheduler ADDRESS] [--fresh]
[--chunk-size N] [--quiet]``
    Run (or resume) the experiment a config names; results land in
    ``results/<config name>/``. Its simulations run through the sweep engine, with the
    same execution options as ``crowdsim sweep``.
``crowdsim analyze FILE.csv --column NAME --truth X [--json] [--figure PATH]``
    Aggregates, errors and the diversity decomposition of one column of real guesses.
``crowdsim analyze FILE.csv --rounds C1,C2,... --truth-column T --group-columns G1[,G2]
[--by COLUMN] [--scale-column S] [--log] [--json]``
    Per-round wisdom-of-crowd metrics of a multi-round experiment, averaged over groups.
``crowdsim analyze --spec FILE.yaml [--json]``
    The same table for the data a dataset spec describes (``configs/datasets/*.yaml``:
    data, columns, units, conditions; :mod:`sim.analysis.specs`), with its drops per
    condition.
``crowdsim calibrate SPEC.yaml [--model NAME] [--out DIR] [--seed N] [--workers N |
--scheduler ADDRESS] [--population N] [--generations N] [--folds N] [--quiet]``
    Fit the estimation model's revision rules to a multi-round dataset (a dataset spec,
    ``configs/datasets/``) by ABC-SMC; without ``--model`` the rule set is chosen by
    cross-validation over groups. Writes ``calibration.json``, a posterior figure, a report.
``crowdsim predict CALIBRATION.json SPEC.yaml [--out DIR] [--draws N] [--seed N] [--json]``
    Simulate every group of a dataset from its own first answers with the calibrated rules
    and compare model and data per condition, with 90 % intervals and a verdict.
``crowdsim sweep CONFIG [--out DIR] [--workers N | --scheduler ADDRESS] [--fresh]
[--chunk-size N] [--quiet]``
    Run (or resume) a parameter sweep; results land in ``results/<config name>/``.
``crowdsim results DIR [--metric NAME ...]``
    Runs done, failed and pending, and metric means by each swept parameter.
``crowdsim sensitivity DIR --metric NAME``
    Sobol or Morris indices of a metric of a sobol or morris sweep (SALib), with a chart.
``crowdsim app NAME [--host 127.0.0.1] [--port 8765]``
    Serve a model's Mesa page (SolaraViz) in the browser and print its address; Ctrl-C
    stops it. Names: see :data:`sim.app.APPS` (``estimation``).

Bad input (a config or an argument) gets one line on stderr naming the field and what is
allowed, exit code 2, and nothing written. A sweep or an experiment exits with 1 when some
runs failed and 130 when interrupted (run it again to resume).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim.config import ConfigError

__all__ = ["main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2."""

    def error(self, message: str):
        raise ConfigError(message)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _figure_options(parser) -> None:
    parser.add_argument("--pdf", action="store_true", help="also write figures as PDF")
    parser.add_argument("--caption", action="store_true",
                        help="print the provenance as a small caption under each figure")


def _execution_options(parser, what: str) -> None:
    """Where and how runs execute: the same options for experiments and sweeps."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int,
                       help="local worker processes (default: one per core, or this process "
                            "for small work; 1: this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    parser.add_argument("--fresh", action="store_true",
                        help=f"discard an earlier {what}'s runs in the output folder and start "
                             "again (default: resume)")
    parser.add_argument("--chunk-size", type=_positive_int, metavar="N",
                        help="runs per task (default: the config's, else about 0.25 s of work)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _check_scheduler(address: str | None) -> None:
    if address and "://" not in address:
        raise ConfigError(f"--scheduler: expected an address like tcp://HOST:8786, "
                          f"got {address!r}")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 0..65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="crowdsim",
                     description="Agent-based simulation of collective intelligence.")
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"crowdsim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser("run", help="run (or resume) the experiment a config describes")
    run.add_argument("config", help="experiment config (YAML), e.g. configs/galton_ox.yaml")
    run.add_argument("--out", help="output folder (default results/<config name>)")
    _execution_options(run, "experiment")
    _figure_options(run)
    run.add_argument("--no-report", action="store_true",
                     help="do not write report.md and report.html at the end")

    figures = commands.add_parser("figures", help="redraw an experiment's figures from its "
                                                  "stored results (nothing is re-run)")
    figures.add_argument("folder", help="an experiment's results folder")
    _figure_options(figures)

    report = commands.add_parser("report", help="write report.md and a self-contained "
                                                "report.html for an experiment or a sweep")
    report.add_argument("folder", help="an experiment's or a sweep's results folder")

    calibrate = commands.add_parser(
        "calibrate", help="fit the revision rules to a multi-round dataset (ABC-SMC)")
    calibrate.add_argument("spec", help="dataset spec (YAML), e.g. "
                                        "configs/datasets/becker2017.yaml")
    calibrate.add_argument("--model", help="rule set: degroot, anchored, distance or full "
                                           "(default: chosen by cross-validation)")
    calibrate.add_argument("--out", help="output folder (default results/calibration_<spec>)")
    calibrate.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    where = calibrate.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=1,
                       help="local worker processes (default 1; the result is the same)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    calibrate.add_argument("--population", type=_positive_int, metavar="N",
                           help="ABC particles per generation (default 200)")
    calibrate.add_argument("--generations", type=_positive_int, metavar="N",
                           help="at most N ABC generations (default 6)")
    calibrate.add_argument("--folds", type=_positive_int, metavar="N",
                           help="cross-validation folds over groups (default 2; >= 2)")
    calibrate.add_argument("--quiet", action="store_true", help="print nothing but errors")

    predict = commands.add_parser(
        "predict", help="predict a multi-round dataset from a calibration, with intervals")
    predict.add_argument("calibration", help="calibration.json written by crowdsim calibrate")
    predict.add_argument("spec", help="dataset spec (YAML) of the experiment to predict")
    predict.add_argument("--out", help="output folder (default results/prediction_<spec>)")
    predict.add_argument("--draws", type=_positive_int, default=200,
                         help="simulations of every group, each with a posterior draw "
                              "(default 200)")
    predict.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    predict.add_argument("--json", action="store_true", help="print one JSON object")

    analyze = commands.add_parser(
        "analyze", help="analyse real guesses: one column (--column), rounds (--rounds) or "
                        "a dataset spec (--spec)")
    analyze.add_argument("file", nargs="?", metavar="FILE",
                         help="CSV file with a header row (not with --spec)")
    mode = analyze.add_mutually_exclusive_group(required=True)
    mode.add_argument("--column", help="column holding the estimates (one round)")
    mode.add_argument("--rounds", help="columns of the rounds, in order: E1,E2,E3")
    mode.add_argument("--spec", metavar="FILE.yaml",
                      help="a dataset spec (YAML), e.g. configs/datasets/becker2017.yaml")
    analyze.add_argument("--truth", type=_finite_float, help="the true value (with --column)")
    analyze.add_argument("--truth-column", help="column of the true value (with --rounds)")
    analyze.add_argument("--group-columns",
                         help="columns whose combination is one group (with --rounds)")
    analyze.add_argument("--by", help="split the averages by this column (with --rounds)")
    analyze.add_argument("--scale-column",
                         help="divide SD and errors by this column (with --rounds)")
    analyze.add_argument("--log", action="store_true",
                         help="log-transform estimates and truth first (with --rounds)")
    analyze.add_argument("--trim", type=_finite_float,
                         help="fraction cut from each end for the trimmed mean (default 0.1)")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument("--figure", help="save a histogram here (.png, .svg or .pdf)")

    sweep = commands.add_parser("sweep", help="run or resume a parameter sweep")
    sweep.add_argument("config", help="sweep config (YAML), e.g. configs/sweep_demo.yaml")
    sweep.add_argument("--out", help="output folder (default results/<config name>)")
    _execution_options(sweep, "sweep")
    sweep.add_argument("--no-report", action="store_true",
                       help="do not write report.md and report.html at the end")

    results = commands.add_parser("results", help="summarise a sweep's results folder")
    results.add_argument("folder", help="a sweep's folder, e.g. results/sweep_demo")
    results.add_argument("--metric", action="append", metavar="NAME",
                         help="only this metric (repeatable; default: all recorded)")

    sensitivity = commands.add_parser("sensitivity",
                                      help="Sobol or Morris indices of a sweep's metric")
    sensitivity.add_argument("folder", help="folder of a sobol or morris sweep")
    sensitivity.add_argument("--metric", required=True, help="a metric the sweep recorded")
    sensitivity.add_argument("--quiet", action="store_true", help="print nothing but errors")

    app = commands.add_parser("app", help="serve a model's interactive page in the browser")
    app.add_argument("name", metavar="NAME", help="the model's app, e.g. estimation")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only)")
    app.add_argument("--port", type=_port, default=8765,
                     help="port to listen on (default 8765; 0: any free port)")
    return parser


def _run(args) -> int:
    from experiments._runner import Execution, run_experiment
    from sim.plots import set_figure_options

    _check_scheduler(args.scheduler)
    set_figure_options(pdf=args.pdf, caption=args.caption)
    execution = Execution(workers=args.workers, scheduler=args.scheduler, fresh=args.fresh,
                          chunk_size=args.chunk_size, quiet=args.quiet)
    run_experiment(args.config, args.out, execution, report=not args.no_report,
                   log=None if args.quiet else print)
    return 0


def _figures(args) -> int:
    from experiments._runner import remake_figures
    from sim.plots import set_figure_options

    set_figure_options(pdf=args.pdf, caption=args.caption)
    for path in remake_figures(args.folder):
        print(path)
    return 0


def _report(args) -> int:
    from sim.report import write_report

    for path in write_report(args.folder):
        print(path)
    return 0


def _analyze(args) -> int:
    if args.spec is not None:
        return _analyze_spec(args)
    if args.file is None:
        raise ConfigError("FILE: required with --column and --rounds (the CSV file to analyse)")
    if args.rounds is not None:
        return _analyze_rounds(args)
    for option, value in (("--truth-column", args.truth_column),
                          ("--group-columns", args.group_columns), ("--by", args.by),
                          ("--scale-column", args.scale_column)):
        if value is not None:
            raise ConfigError(f"{option}: only with --rounds")
    if args.log:
        raise ConfigError("--log: only with --rounds")
    if args.truth is None:
        raise ConfigError("--truth: required with --column")
    from sim.analysis.guesses import analyze_guesses, draw_histogram, format_table, read_column

    if args.trim is None:
        args.trim = 0.1
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


def _sweep(args) -> int:
    from sim.sweep.config import load_sweep_config
    from sim.sweep.runner import run_sweep

    config_path = Path(args.config)
    config = load_sweep_config(config_path)
    _check_scheduler(args.scheduler)
    out_dir = Path(args.out) if args.out else Path("results") / config_path.stem
    report = run_sweep(config, out_dir, name=config_path.stem, workers=args.workers,
                       scheduler=args.scheduler, fresh=args.fresh, chunk_size=args.chunk_size,
                       quiet=args.quiet, log=None if args.quiet else print)
    if not args.no_report and (out_dir / "manifest.json").is_file():
        from sim.report import write_report

        md, page = write_report(out_dir)
        if not args.quiet:
            print(f"report: {md} and {page}")
    return report.exit_code


def _results(args) -> int:
    from sim.sweep.results import format_summary, summarise

    print(format_summary(summarise(args.folder, metrics=args.metric)))
    return 0


def _sensitivity(args) -> int:
    from sim.sweep.sensitivity import format_indices, run_sensitivity

    result, written = run_sensitivity(args.folder, args.metric)
    if not args.quiet:
        print(format_indices(result))
        print("written: " + ", ".join(str(path) for path in written))
    return 0


def _app(args) -> int:
    from sim.app import AppError, ServerError, launch

    try:
        return launch(args.name, host=args.host, port=args.port)
    except AppError as exc:
        raise ConfigError(str(exc)) from None
    except ServerError as exc:
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return 1


def _calibrate(args) -> int:
    from dataclasses import replace

    from sim.inference.calibrate import AbcSettings, calibrate
    from sim.inference.output import format_calibration, write_calibration

    _check_scheduler(args.scheduler)
    if args.seed < 0:
        raise ConfigError(f"--seed: must be >= 0, got {args.seed}")
    settings = AbcSettings()
    for option, field in (("population", "population_size"), ("generations", "generations"),
                          ("folds", "folds")):
        value = getattr(args, option)
        if value is not None:
            settings = replace(settings, **{field: value})
    if settings.folds < 2:
        raise ConfigError(f"--folds: must be at least 2, got {settings.folds}")
    client = None
    if args.scheduler:
        from sim.sweep.runner import connect

        client = connect(args.scheduler)
    out_dir = Path(args.out or Path("results") / f"calibration_{Path(args.spec).stem}")
    record = calibrate(args.spec, model=args.model, seed=args.seed, settings=settings,
                       workers=args.workers or 1, client=client,
                       log=None if args.quiet else print)
    written = write_calibration(out_dir, record)
    if not args.quiet:
        print(format_calibration(record))
        print("written: " + ", ".join(str(path) for path in written))
    return 0


def _predict(args) -> int:
    from sim.inference.output import format_prediction, prediction_json, write_prediction
    from sim.inference.predict import load_calibration, predict

    if args.seed < 0:
        raise ConfigError(f"--seed: must be >= 0, got {args.seed}")
    record = load_calibration(args.calibration)
    out_dir = Path(args.out or Path("results") / f"prediction_{Path(args.spec).stem}")
    result = predict(record, args.spec, draws=args.draws, seed=args.seed)
    from sim.provenance import provenance

    result["provenance"] = provenance(config_hash=result["data_hash"][:16], seed=args.seed,
                                      experiment="predict")
    written = write_prediction(out_dir, result)
    if args.json:
        print(prediction_json(result))
    else:
        print(format_prediction(result))
        print("written: " + ", ".join(str(path) for path in written))
    return 0


def _analyze_rounds(args) -> int:
    from sim.analysis.rounds import analyze_rounds_command

    for option, value in (("--truth", args.truth), ("--figure", args.figure)):
        if value is not None:
            raise ConfigError(f"{option}: only with --column")
    print(analyze_rounds_command(args.file, args.rounds, args.truth_column, args.group_columns,
                                 by=args.by, scale_column=args.scale_column, log=args.log,
                                 as_json=args.json))
    return 0


def _analyze_spec(args) -> int:
    from sim.analysis.specs import analyze_spec_command

    if args.file is not None:
        raise ConfigError(f"FILE: not with --spec (the spec names its data), got {args.file!r}")
    for option, value in (("--truth", args.truth), ("--trim", args.trim),
                          ("--figure", args.figure)):
        if value is not None:
            raise ConfigError(f"{option}: only with --column")
    for option, value in (("--truth-column", args.truth_column),
                          ("--group-columns", args.group_columns), ("--by", args.by),
                          ("--scale-column", args.scale_column), ("--log", args.log or None)):
        if value is not None:
            raise ConfigError(f"{option}: not with --spec (the spec sets it)")
    print(analyze_spec_command(args.spec, as_json=args.json))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``crowdsim``; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler = {"run": _run, "figures": _figures, "report": _report, "analyze": _analyze,
                   "calibrate": _calibrate, "predict": _predict,
                   "sweep": _sweep, "results": _results,
                   "sensitivity": _sensitivity, "app": _app}[args.command]
        return handler(args)
    except ConfigError as exc:
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("crowdsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RuntimeError as exc:
        from experiments._runner import RunsFailed

        if not isinstance(exc, RunsFailed):
            raise
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

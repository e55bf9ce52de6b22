"""The ``crowdsim`` command (also ``python -m sim``).

Subcommands:

``crowdsim run NAME|CONFIG [--out DIR] [--workers N | --scheduler ADDRESS] [--fresh]
[--chunk-size N] [--quiet] [--allow-large]``
    Run (or resume) the experiment a config names (``NAME``: the shipped
    ``configs/NAME.yaml``; ``crowdsim run --help`` lists them); results land in
    ``results/<config name>/``. Its simulations run through the sweep engine, with the
    same execution options as ``crowdsim sweep``.
``crowdsim analyze FILE.csv --column NAME --truth X [--json] [--figure PATH] [--decimal ,]
[--thousands SEP]``
    Aggregates, errors and the diversity decomposition of one column of real guesses. The
    CSV is read by :mod:`sim.analysis.tables` (separator sniffed, bad rows left out and
    counted); ``--decimal`` and ``--thousands`` (also with ``--rounds``) say how numbers are
    written, never guessed.
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
``crowdsim sweep NAME|CONFIG [--out DIR] [--workers N | --scheduler ADDRESS] [--fresh]
[--chunk-size N] [--quiet] [--allow-large]``
    Run (or resume) a parameter sweep; results land in ``results/<config name>/``.
    ``crowdsim sweep --help`` lists the sweepable models and the shipped sweep configs.
``crowdsim results DIR [--metric NAME ...]``
    Runs done, failed and pending, and metric means by each swept parameter.
``crowdsim sensitivity DIR --metric NAME``
    Sobol or Morris indices of a metric of a sobol or morris sweep (SALib), with a chart.
``crowdsim warm [--model NAME] [--quiet]``
    Compile every sweepable model's numba kernels (or one model's) into numba's cache, and
    print what was compiled and how long it took: the first real command then starts at
    once (``make run`` and ``make test`` do this once after set-up; on a cluster, run it
    once per node or shared source tree before the workers start).
``crowdsim app NAME [--host 127.0.0.1] [--port 8765]``
    Serve a model's page (Mesa components on Solara) in the browser and print its address; Ctrl-C
    stops it. Names: see :data:`sim.app.APPS` (``crowdsim app --help`` lists them).

``crowdsim`` alone prints the usage and the commands on stderr and exits with 2, as argparse
does for a missing command. An unknown command, experiment, sweep config, sweep model or app
gets one line with the closest names ("did you mean ...", :mod:`difflib`).

Bad input (a config or an argument) gets one line on stderr naming the field and what is
allowed, exit code 2, and nothing written. A sweep or an experiment exits with 1 when some
runs failed, 130 when interrupted by Ctrl-C and 143 by SIGTERM (what is done is saved;
run it again to resume).

Output paths (``--out``, ``--figure``, ``--csv``, the folder of ``figures``, ``report`` and
``sensitivity``) are tried before any work (:func:`sim.io.check_writable_folder`): a
read-only folder, a path through a file or one the system refuses to create is one line
naming the option and the reason, exit 2, nothing written. ``crowdsim run`` refuses a sweep's
folder and ``crowdsim sweep`` an experiment's. An operating-system error during the work (a
full disk, a folder made read-only meanwhile) is one line ``crowdsim: error: FILE: reason``,
exit 1; what was saved is kept and the same command resumes. When the reader of the output
goes away (``crowdsim analyze ... | head``), the command stops quietly with exit 1.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sim.config import ConfigError

__all__ = ["main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130   # Ctrl-C (SIGINT): 128 + 2
EXIT_TERMINATED = 143    # SIGTERM (kill PID, a batch scheduler): 128 + 15


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit code 2, and an epilog computed
    only when the help is shown (``epilog_factory``: the lists of experiments, models,
    pages)."""

    def __init__(self, *args, epilog_factory=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._epilog_factory = epilog_factory

    def format_help(self) -> str:
        if self._epilog_factory is not None:
            self.epilog = self._epilog_factory()
        return super().format_help()

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
                       help="processes computing, this one included (default: this one, "
                            "plus one per free core when the work outweighs their start-up; "
                            "1: this process alone)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    parser.add_argument("--fresh", action="store_true",
                        help=f"discard an earlier {what}'s runs in the output folder and start "
                             "again (default: resume)")
    parser.add_argument("--chunk-size", type=_positive_int, metavar="N",
                        help="runs per task (default: the config's, else about 0.25 s of work)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--allow-large", action="store_true",
                        help=f"run a {what} above the size limits (design points, runs, agents "
                             "per run, core-hours: sim/limits.py) on purpose")


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


# ---------------------------------------------------------------------------------------------
# guidance: what a command can run (listed in its --help, computed from the experiments, the
# shipped configs and the registries, importing no model), and "did you mean" for a bad name

#: Where the shipped configs live (the source tree's ``configs/``).
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def _did_you_mean(name: str, known) -> str:
    from difflib import get_close_matches

    close = [repr(c) for c in get_close_matches(name, list(known), n=3, cutoff=0.6)]
    if not close:
        return ""
    shown = f"{', '.join(close[:-1])} or {close[-1]}" if len(close) > 1 else close[0]
    return f"; did you mean {shown}?"


def _unknown(what: str, name: str, known) -> ConfigError:
    """``unknown WHAT 'name'; did you mean 'x'? (known: ...)`` as a one-line error."""
    known = sorted(known)
    return ConfigError(f"unknown {what} {name!r}{_did_you_mean(name, known)} "
                       f"(known: {', '.join(known)})")


def _module_summary(dotted: str) -> str:
    """What a module's docstring says first (up to its first top-level ``:`` or sentence
    end), read from its source: the module, and its package's ``__init__``, stay unimported."""
    import ast
    import importlib
    from importlib.machinery import PathFinder

    parts = dotted.split(".")
    spec, path = None, getattr(importlib.import_module(parts[0]), "__path__", None)
    for i in range(1, len(parts)):
        spec = PathFinder.find_spec(".".join(parts[:i + 1]), path)
        if spec is None:
            return ""
        path = spec.submodule_search_locations
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return ""
    doc = ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    depth = 0
    for i, char in enumerate(paragraph):
        depth += (char in "([") - (char in ")]")
        if depth == 0 and paragraph.startswith((": ", ". "), i):
            return paragraph[:i]
    return paragraph.rstrip(".")


def _kind(raw: dict) -> str | None:
    """``experiment`` for an experiment config (``crowdsim run``), ``model`` for a sweep
    config (``crowdsim sweep``; an experiment config may have a ``model`` of its own)."""
    return "experiment" if "experiment" in raw else "model" if "model" in raw else None


def _shipped_configs(key: str) -> dict[str, dict]:
    """The shipped configs of one kind (``experiment`` or ``model``, see :func:`_kind`): file
    stem -> its YAML mapping (read with libyaml when there: ten times faster for --help)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = {}
    for path in sorted(CONFIGS.glob("*.yaml")):
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(raw, dict) and _kind(raw) == key:
            found[path.stem] = raw
    return found


def _listing(heading: str, rows: list[tuple[str, str]]) -> str:
    """``heading`` then each (name, description), the description in at most two lines of
    the terminal's width (as argparse measures it)."""
    import shutil
    import textwrap

    width = max(60, shutil.get_terminal_size().columns - 2)
    column = max((len(name) for name, _ in rows), default=0) + 4
    lines = textwrap.wrap(heading, width, subsequent_indent="    ")
    for name, text in rows:
        lines.extend(textwrap.wrap(text or "-", width, initial_indent=f"  {name:<{column - 2}}",
                                   subsequent_indent=" " * column, max_lines=2,
                                   placeholder=" ..."))
    return "\n".join(lines)


def _experiments_epilog() -> str:
    from experiments import EXPERIMENTS

    rows = []
    configs = _shipped_configs("experiment")
    for stem, raw in configs.items():
        name, title = str(raw["experiment"]), raw.get("title")
        if not (isinstance(title, str) and title):
            title = _module_summary(EXPERIMENTS[name]) if name in EXPERIMENTS else ""
        text = title
        rows.append((stem, text if stem == name else f"{text} [experiment {name}]"))
    used = {str(raw["experiment"]) for raw in configs.values()}
    for name in sorted(set(EXPERIMENTS) - used):
        rows.append((name, f"{_module_summary(EXPERIMENTS[name])} (no shipped config: write "
                           f"one with experiment: {name})"))
    return _listing("experiments (NAME runs the shipped configs/NAME.yaml):", sorted(rows))


def _sweep_epilog() -> str:
    from sim.sweep.models import MODELS

    models = []
    for name, entry in sorted(MODELS.items()):
        package = entry.partition(":")[0].rpartition(".")[0] if isinstance(entry, str) else ""
        models.append((name, _module_summary(package) if package else ""))
    configs = [(stem, str(raw.get("title") or raw["model"]))
               for stem, raw in _shipped_configs("model").items()]
    return "\n\n".join([
        _listing("sweepable models (a sweep config's model:):", models),
        _listing("shipped sweep configs (NAME runs the shipped configs/NAME.yaml):", configs)])


def _apps_epilog() -> str:
    from sim.app import APPS

    return _listing("pages (crowdsim app NAME):",
                    [(name, _module_summary(module)) for name, module in sorted(APPS.items())])


def _config_path(text: str, key: str) -> Path:
    """The config ``crowdsim run`` (``key="experiment"``) or ``crowdsim sweep``
    (``key="model"``) was given: an existing path, or the name of a shipped config.

    A name that is not shipped, or a path that is not there, is a one-line error with the
    closest names."""
    path = Path(text)
    if path.exists():
        return path
    shipped = _shipped_configs(key)
    what = "experiment" if key == "experiment" else "sweep config"
    if len(path.parts) == 1 and not path.suffix:  # a name
        if text in shipped:
            return CONFIGS / f"{text}.yaml"
        raise _unknown(what, text, shipped)
    from difflib import get_close_matches

    siblings = ([p.name for p in path.parent.glob("*.yaml")] if path.parent.is_dir() else [])
    close = get_close_matches(path.name, siblings, n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean {path.parent / close[0]}?"
    else:
        close = get_close_matches(path.stem, list(shipped), n=1, cutoff=0.6)
        command = "run" if key == "experiment" else "sweep"
        hint = (f"; did you mean the shipped {what} {close[0]!r} (crowdsim {command} "
                f"{close[0]})?" if close else "")
    raise ConfigError(f"{text}: file not found{hint}")


def _check_config_kind(path: Path, key: str) -> None:
    """A config for the other command, or an unknown experiment or model, gets a one-line
    error naming the right command or the closest names (the full check comes after)."""
    from sim.config import load_yaml

    raw = load_yaml(path)
    other, command = ("model", "sweep") if key == "experiment" else ("experiment", "run")
    if _kind(raw) == other:
        kind = "a sweep config" if other == "model" else "an experiment config"
        raise ConfigError(f"{path}: {kind} ({other}: {raw[other]}), not "
                          f"{'an experiment' if key == 'experiment' else 'a sweep'}; run it "
                          f"with crowdsim {command} {path}")
    name = raw.get(key)
    if not isinstance(name, str):
        return
    if key == "experiment":
        from experiments import EXPERIMENTS as known
    else:
        from sim.sweep.models import MODELS as known

        if ":" in name:  # the import path of a model: checked when loaded
            return
    if name not in known:
        what = "experiment" if key == "experiment" else "sweep model"
        raise ConfigError(f"{path}: {key}: {_unknown(what, name, known)}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="crowdsim",
                     description="Agent-based simulation of collective intelligence.",
                     epilog="Run 'crowdsim COMMAND --help' for a command's options: "
                            "'crowdsim run --help' lists the experiments, 'crowdsim sweep "
                            "--help' the sweepable models, 'crowdsim app --help' the pages.")
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"crowdsim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser("run", help="run (or resume) the experiment a config describes",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog_factory=_experiments_epilog)
    run.add_argument("config", metavar="NAME|CONFIG",
                     help="an experiment listed below, e.g. galton_ox, or the path of an "
                          "experiment config (YAML), e.g. configs/galton_ox.yaml")
    run.add_argument("--out", help="output folder (default results/<config name>)")
    _execution_options(run, "experiment")
    _figure_options(run)
    run.add_argument("--no-report", action="store_true",
                     help="do not write report.md and report.html at the end")

    figures = commands.add_parser("figures", help="redraw an experiment's figures from its "
                                                  "stored results (nothing is re-run)")
    figures.add_argument("folder", help="an experiment's results folder")
    _figure_options(figures)
    figures.add_argument("--metric", action="append", metavar="NAME",
                         help="sweep folders: only this metric (repeatable; default: all)")
    figures.add_argument("--no-report", action="store_true",
                         help="sweep folders: do not refresh report.md and report.html")

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
    analyze.add_argument("--decimal", choices=[".", ","], metavar="MARK",
                         help="decimal mark of the CSV's numbers: '.' (default) or ',' "
                              "(reads \"1,5\" as 1.5); never guessed: a 1,5 without it "
                              "is refused")
    analyze.add_argument("--thousands", choices=[",", ".", "'", " ", "_"], metavar="SEP",
                         help="thousands separator of the CSV's numbers: ',' '.' \"'\" ' ' "
                              "or '_' (default: none; ',' reads 1,234 as 1234); never guessed")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument("--figure", help="save a histogram here (.png, .svg or .pdf)")

    sweep = commands.add_parser("sweep", help="run or resume a parameter sweep",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog_factory=_sweep_epilog)
    sweep.add_argument("config", metavar="NAME|CONFIG",
                       help="a shipped sweep config listed below, e.g. sweep_demo, or the path "
                            "of a sweep config (YAML) naming one of the models below")
    sweep.add_argument("--out", help="output folder (default results/<config name>)")
    _execution_options(sweep, "sweep")
    sweep.add_argument("--no-report", action="store_true",
                       help="do not write report.md and report.html at the end")

    results = commands.add_parser("results", help="summarise a sweep's results folder")
    results.add_argument("folder", help="a sweep's folder, e.g. results/sweep_demo")
    results.add_argument("--metric", action="append", metavar="NAME",
                         help="only this metric (repeatable; default: all recorded)")
    results.add_argument("--points", action="store_true",
                         help="print one row per parameter point: its parameters and each "
                              "metric's mean ± standard error over replicates")
    results.add_argument("--csv", metavar="FILE",
                         help="write the per-point table (parameters, runs, each metric's "
                              "mean and <metric>_se) to FILE as CSV")

    sensitivity = commands.add_parser("sensitivity",
                                      help="Sobol or Morris indices of a sweep's metric")
    sensitivity.add_argument("folder", help="folder of a sobol or morris sweep")
    sensitivity.add_argument("--metric", required=True, help="a metric the sweep recorded")
    sensitivity.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sensitivity.add_argument("--no-report", action="store_true",
                             help="do not refresh report.md and report.html")

    warm = commands.add_parser("warm", help="compile the models' kernels into numba's cache "
                                            "(once after set-up, or per cluster node)")
    warm.add_argument("--model", metavar="NAME",
                      help="only this sweepable model, e.g. estimation (default: all)")
    warm.add_argument("--quiet", action="store_true", help="print nothing but errors")

    app = commands.add_parser("app", help="serve a model's interactive page in the browser",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog_factory=_apps_epilog)
    app.add_argument("name", metavar="NAME", help="the model's app, e.g. estimation")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only)")
    app.add_argument("--port", type=_port, default=8765,
                     help="port to listen on (default 8765; 0: any free port)")
    parser.commands = sorted(commands.choices)  # for "did you mean" on an unknown command
    return parser


def _check_out(folder: Path, option: str = "--out", *, for_sweep: bool = False) -> None:
    """Refuse, before any work, an output folder that cannot be written, and (``for_sweep``)
    one holding an experiment's results: the two layouts would mix. (``crowdsim run``
    refuses a sweep's folder in :func:`experiments._runner.run_experiment`.)"""
    from sim.io import check_writable_folder, results_kind

    check_writable_folder(folder, option)
    if for_sweep and results_kind(folder) == "experiment":
        raise ConfigError(f"{option}: {folder} holds an experiment's results (summary.json, "
                          "runs/), not a sweep; choose another --out")


def _run(args) -> int:
    from experiments._runner import Execution, run_experiment
    from sim.plots import set_figure_options

    config = _config_path(args.config, "experiment")
    if config.is_file():
        _check_config_kind(config, "experiment")
    _check_scheduler(args.scheduler)
    set_figure_options(pdf=args.pdf, caption=args.caption)
    execution = Execution(workers=args.workers, scheduler=args.scheduler, fresh=args.fresh,
                          chunk_size=args.chunk_size, quiet=args.quiet)
    from sim.limits import allowing_large

    with allowing_large(args.allow_large):  # the size limits are checked as stages are built
        run_experiment(config, args.out, execution, report=not args.no_report,
                       log=None if args.quiet else print)
    return 0


def _figures(args) -> int:
    from sim.plots import set_figure_options

    set_figure_options(pdf=args.pdf, caption=args.caption)
    folder = Path(args.folder)
    if (folder / "manifest.json").is_file():
        return _sweep_figures(folder, args)
    if not (folder / "summary.json").is_file():
        raise ConfigError(f"{folder}: neither a sweep folder (manifest.json) nor an "
                          "experiment's results folder (summary.json)")
    if args.metric:
        raise ConfigError("--metric: only for sweep folders")
    _check_out(folder, option="FOLDER")
    from experiments._runner import remake_figures

    for path in remake_figures(folder):
        print(path)
    return 0


def _sweep_figures(folder: Path, args) -> int:
    from sim.sweep.figures import draw_sweep_figures

    _check_out(folder, option="FOLDER")
    written, notes = draw_sweep_figures(folder, metrics=args.metric)
    for path in written:
        print(path)
    for note in notes:
        print(f"not drawn: {note}")
    _refresh_report(folder, args.no_report, quiet=False)
    return 0


def _refresh_report(folder: Path, skip: bool, quiet: bool) -> None:
    if skip:
        return
    from sim.report import write_report

    md, page = write_report(folder)
    if not quiet:
        print(f"report: {md} and {page}")


def _report(args) -> int:
    from sim.report import write_report

    _check_out(Path(args.folder), option="FOLDER")
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
    if args.figure:
        from sim.io import check_writable_file

        check_writable_file(args.figure, "--figure")
    column = read_column(args.file, args.column, decimal=args.decimal or ".",
                         thousands=args.thousands)
    values, dropped = column.values, column.dropped
    if values.size == 0:
        raise ConfigError(f"--column: {args.column!r} holds no numeric estimates "
                          f"({dropped} cells dropped)")
    result = analyze_guesses(values, args.truth, trim=args.trim, dropped=dropped,
                             bad_rows=column.bad_rows)
    if args.figure:
        draw_histogram(values, result, args.figure, f"{Path(args.file).name}: {args.column}")
    if args.json:
        from sim.jsontext import standard_json

        print(standard_json(result))
    else:
        print(format_table(result, source=f"{args.file} [{args.column}]"))
    return 0


def _sweep(args) -> int:
    from sim.sweep.config import load_sweep_config
    from sim.sweep.runner import run_sweep

    config_path = _config_path(args.config, "model")
    if config_path.is_file():
        _check_config_kind(config_path, "model")
    from sim.limits import allowing_large

    with allowing_large(args.allow_large):  # the size limits are checked as it is read
        config = load_sweep_config(config_path)
    _check_scheduler(args.scheduler)
    out_dir = Path(args.out) if args.out else Path("results") / config_path.stem
    _check_out(out_dir, for_sweep=True)
    report = run_sweep(config, out_dir, name=config_path.stem, workers=args.workers,
                       scheduler=args.scheduler, fresh=args.fresh, chunk_size=args.chunk_size,
                       quiet=args.quiet, log=None if args.quiet else print)
    if not args.no_report and (out_dir / "manifest.json").is_file():
        from sim.report import write_report

        md, page = write_report(out_dir)
        if not args.quiet:
            print(f"report: {md} and {page}")
    if report.exit_code and args.quiet and not report.chunk_errors:
        # --quiet prints nothing but errors: an unfinished sweep is one
        print(f"crowdsim: error: {report.failed:,} runs failed and {report.pending:,} not run "
              f"of {report.total:,}; see `crowdsim results {out_dir}`", file=sys.stderr)
    # every file is written durably (sim.io) and closed, the lock released, workers ended
    _FINISHED["outputs closed"] = True
    return report.exit_code


def _results(args) -> int:
    from sim.sweep.results import format_points, format_summary, point_means, summarise, write_csv

    if args.csv:
        from sim.io import check_writable_file

        check_writable_file(args.csv, "--csv", make_folders=False)  # as write_csv does
    table = point_means(args.folder, args.metric) if args.points or args.csv else None
    if args.csv:
        try:
            write_csv(table, args.csv)
        except OSError as exc:
            reason = exc.strerror if exc.strerror and exc.filename else str(exc)
            raise ConfigError(f"--csv: cannot write {args.csv}: {reason}") from None
    if args.points:
        print(format_points(args.folder, table))
    else:
        print(format_summary(summarise(args.folder, metrics=args.metric)))
    if args.csv:
        print(f"written: {args.csv} ({len(table):,} points)")
    return 0


def _sensitivity(args) -> int:
    from sim.sweep.sensitivity import format_indices, run_sensitivity

    _check_out(Path(args.folder), option="FOLDER")
    result, written = run_sensitivity(args.folder, args.metric)
    if not args.quiet:
        print(format_indices(result))
        print("written: " + ", ".join(str(path) for path in written))
    _refresh_report(Path(args.folder), args.no_report, args.quiet)
    return 0


def _warm(args) -> int:
    import time

    from sim.sweep.models import MODELS, get_model

    if args.model is not None and args.model not in MODELS:
        raise _unknown("model", args.model, MODELS)
    total = time.perf_counter()
    for name in [args.model] if args.model else sorted(MODELS):
        started = time.perf_counter()
        warmed = get_model(name).warm()
        if not args.quiet:
            print(f"{name}: {', '.join(warmed)} ({time.perf_counter() - started:.1f} s)",
                  flush=True)
    if not args.quiet:
        print(f"numba's cache is warm ({time.perf_counter() - total:.1f} s)")
    return 0


def _app(args) -> int:
    from sim.app import APPS, AppError, ServerError, launch

    if args.name not in APPS:
        raise _unknown("app", args.name, APPS)
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
    out_dir = Path(args.out or Path("results") / f"calibration_{Path(args.spec).stem}")
    _check_out(out_dir)
    client = None
    if args.scheduler:
        from sim.sweep.runner import connect

        client = connect(args.scheduler)
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
    out_dir = Path(args.out or Path("results") / f"prediction_{Path(args.spec).stem}")
    _check_out(out_dir)
    record = load_calibration(args.calibration)
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
                                 as_json=args.json, decimal=args.decimal or ".",
                                 thousands=args.thousands))
    return 0


def _analyze_spec(args) -> int:
    from sim.analysis.specs import analyze_spec_command

    if args.file is not None:
        raise ConfigError(f"FILE: not with --spec (the spec names its data), got {args.file!r}")
    for option, value in (("--decimal", args.decimal), ("--thousands", args.thousands)):
        if value is not None:
            raise ConfigError(f"{option}: not with --spec (the spec's data are read with '.' "
                              "decimals and no thousands separator)")
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


def _os_error_line(exc: OSError) -> str:
    """``FILE: reason`` of an operating-system error, on one line (what is saved is kept:
    the files are written atomically, and a sweep or experiment resumes from them)."""
    reason = exc.strerror or " ".join(str(exc).split())
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _reader_gone() -> int:
    """The reader of our output left (``crowdsim analyze ... | head``): exit quietly.

    Python's recipe ("Note on SIGPIPE" in the :mod:`signal` docs): point stdout at devnull,
    so that the interpreter's final flush of what is still buffered does not fail again.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file (captured in-process): nothing to flush
        pass
    return EXIT_FAILED


def _stoppable(handler, args) -> int:
    """Run a command with SIGTERM handled like Ctrl-C (``crowdsim app`` stops its server in
    its own way): the work done is saved, and a further signal while the process winds down
    ends it at once with the first one's code (see :mod:`sim.interrupts`)."""
    from sim.interrupts import StopSignals, reset

    reset()
    with StopSignals(exit_when_repeated=True):
        return handler(args)


def _interrupted(exc: KeyboardInterrupt) -> int:
    """Exit code of an interrupted command: 130 after Ctrl-C, 143 after SIGTERM."""
    from sim.interrupts import exit_code_of

    code = exit_code_of(exc, EXIT_INTERRUPTED)
    print("crowdsim: interrupted" if code != EXIT_TERMINATED else "crowdsim: stopped (SIGTERM)",
          file=sys.stderr)
    return code


#: Set by a command whose every output is written and closed: ``crowdsim`` may then leave at
#: once (:func:`_leave`) instead of tearing the interpreter down.
_FINISHED = {"outputs closed": False}


def _leave(code: int) -> None:
    """Exit the ``crowdsim`` process now with ``code``, skipping the interpreter's teardown.

    Tearing down the modules a sweep loads (numba and LLVM, pyarrow, pandas) takes 0.3-0.5 s,
    a large share of a small sweep's wall time (``benchmarks/bench_sweep.py``). Only called
    when the command has written, flushed to the disk (fsync) and closed every file it
    writes: the atexit hooks still run (they stop multiprocessing's helpers and release
    their semaphores), then stdout and stderr are flushed, then :func:`os._exit`.
    """
    import atexit
    import os

    run_exit_hooks = getattr(atexit, "_run_exitfuncs", None)  # CPython's own exit path
    if run_exit_hooks is None or _observed():
        return  # a profiler, debugger or coverage tool writes its results after main returns
    try:
        run_exit_hooks()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # the reader of our output is gone: nothing left to say
        pass
    os._exit(code)


def _observed() -> bool:
    """Whether a profiler, debugger or coverage tool watches this process (sys.settrace,
    sys.setprofile, or a :mod:`sys.monitoring` tool, as cProfile uses from Python 3.12)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(tool) is not None
                                          for tool in range(6))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``crowdsim``; returns the exit code.

    Run as the command itself (``argv`` None), a sweep that ended normally exits through
    :func:`_leave` rather than returning.
    """
    _FINISHED["outputs closed"] = False
    code = _main(argv)
    if argv is None and _FINISHED["outputs closed"]:
        _leave(code)
    return code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # no command: the usage and the commands, as a usage error (exit 2)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if not argv[0].startswith("-") and argv[0] not in parser.commands:
            raise _unknown("command", argv[0], parser.commands)
        args = parser.parse_args(argv)
        handler = {"run": _run, "figures": _figures, "report": _report, "analyze": _analyze,
                   "calibrate": _calibrate, "predict": _predict,
                   "sweep": _sweep, "results": _results,
                   "sensitivity": _sensitivity, "warm": _warm, "app": _app}[args.command]
        code = handler(args) if args.command == "app" else _stoppable(handler, args)
        sys.stdout.flush()  # a reader gone (| head) shows here, not at interpreter exit
        return code
    except ConfigError as exc:
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return _reader_gone()
    except OSError as exc:  # permission, not a folder, disk full ... during the work
        print(f"crowdsim: error: {_os_error_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except RuntimeError as exc:
        from experiments._runner import RunsFailed

        if not isinstance(exc, RunsFailed):
            raise
        print(f"crowdsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

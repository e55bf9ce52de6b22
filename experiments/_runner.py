"""The one experiment runner: what every experiment does, done once.

``crowdsim run CONFIG`` loads and validates the config against its experiment's ``Config``,
then calls the experiment's ``run(config, engine)``. The experiment asks the
:class:`Engine` for simulations; the engine runs them through the sweep engine
(:func:`sim.sweep.runner.run_sweep`), one stage at a time, into ``OUT/runs/<stage>/``:
value-keyed seeds, a resumable Parquet store, local worker processes or a Dask cluster,
and the sweep's progress bar. The experiment returns an :class:`Outcome`; the runner then
writes its tables (``NAME.parquet``), ``summary.json`` (the outcome's numbers, verdicts,
notes, key numbers, provenance), draws the figures from the stored files, prints the
verdicts and writes the report.

An experiment killed part-way keeps the stages it finished and the chunks of the stage it
was in; the same command resumes and gives identical results.

Outputs are replaced whole. The stages' sweeps stay where they are (``OUT/runs/``: they are
what a resumed run starts from), but the final outputs (tables, ``summary.json``, figures,
report) are built in the staging folder ``OUT/.staging/``. Only when all of them are written
does the runner record the plan of the swap (``.staging/.complete.json``: the new files, and
the previous output's files the new one no longer has), move each new file onto its name in
``OUT`` with :func:`os.replace` (atomic per file; ``summary.json`` last, so a reader that
finds the new summary finds every file it names), delete the stale files and remove the
staging folder. Until then the previous output stays complete and readable: a run that fails
or is killed before the swap leaves it as it was (and removes the half-built staging folder,
or the next run does). A run killed during the swap, which takes a few renames, leaves a
complete staging folder, and the next ``crowdsim run`` into ``OUT`` finishes the swap before
anything else. One run at a time builds and swaps a folder's outputs (a lock on the staging
folder itself, so that no lock file stays behind).

Before any work, ``OUT`` must be a folder that can be written or created
(:func:`sim.io.check_writable_folder`) and must not be a sweep's folder (``manifest.json``).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as folder:
...     engine = Engine(Path(folder), seed=1, execution=Execution(workers=1, quiet=True))
...     runs = engine.run(Stage("demo", "estimation", points=[{"correlation": 0.0},
...                                                       {"correlation": 0.5}],
...                             replicates=3, fixed={"n_agents": 10},
...                             metrics=["error_of_mean"]))
>>> len(runs), sorted(set(runs.correlation))
(6, [0.0, 0.5])
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import EXPERIMENTS, experiment_module
from sim.config import ConfigError, config_hash, load_yaml, validate

__all__ = ["Stage", "Execution", "Engine", "Outcome", "RunsFailed", "run_experiment",
           "remake_figures"]

#: Where an experiment's simulation stages are stored, under its output folder.
RUNS_FOLDER = "runs"
#: Where a run builds its outputs before they replace the previous ones, under ``OUT``.
STAGING_FOLDER = ".staging"
#: Written into the staging folder once it is complete: the plan of the swap.
SWAP_PLAN = ".complete.json"
#: The files of every experiment's output besides the tables and figures its summary names.
_OUTPUT_FILES = ("summary.json", "report.md", "report.html")


class RunsFailed(RuntimeError):
    """Some runs of a stage failed or could not run; the message is one line."""


@dataclass(frozen=True)
class Stage:
    """One batch of simulations an experiment asks for: parameter points x replicates.

    Attributes
    ----------
    name : str
        The stage's name, unique within the experiment (its folder under ``runs/``). A fitting
        loop names each round of candidates apart (``fit-1``, ``fit-2`` ...).
    model : str
        A registered sweep model (``estimation``, ``nest_site`` ...) or the import path of a
        :class:`sim.sweep.models.SweepModel` (``"experiments.musiclab:WORLDS"``).
    points : sequence of dict
        The parameter points; every point names the same parameters.
    replicates : int
        Runs per point. Run ``r`` of a point has the seed
        ``derive_seed(seed, point key, r)``: adding a point changes no other point's numbers.
    fixed : dict
        Parameters every point shares.
    metrics : sequence of str, optional
        Metrics to record (default: the model's).
    paired : bool
        Common random numbers: replicate ``r`` of every point draws from the same seed
        ``derive_seed(seed, key of fixed, r)``, so that differences between points are
        measured on the same draws (as when one set of songs is heard under every
        condition). Adding a point still changes no other point's numbers.
    """

    name: str
    model: str
    points: Sequence[Mapping[str, Any]]
    replicates: int
    fixed: Mapping[str, Any] = field(default_factory=dict)
    metrics: Sequence[str] | None = None
    paired: bool = False


@dataclass(frozen=True)
class Execution:
    """How the runs are executed: the options ``crowdsim run`` shares with ``crowdsim sweep``.

    ``workers`` local processes (None: one per core, or this process for small stages;
    1: this process), or ``scheduler``, the address of a Dask cluster; ``fresh`` discards
    stored runs first; ``chunk_size`` runs per task; ``quiet`` shows no progress.
    """

    workers: int | None = None
    scheduler: str | None = None
    fresh: bool = False
    chunk_size: int | None = None
    quiet: bool = False


@dataclass
class Outcome:
    """What an experiment's ``run`` returns; the runner stores and shows it.

    Attributes
    ----------
    summary : dict
        The experiment's own numbers (JSON-able), stored in ``summary.json``.
    tables : dict of str to pandas.DataFrame
        Tables written as ``NAME.parquet``; the figures are drawn from them.
    verdicts : list of dict
        One row per published effect: ``effect`` (text), ``data`` (the published or
        observed value), ``simulation`` (the model's value), ``reproduced`` (True, False or
        None when not tested) and ``note``.
    notes : list of str
        Remarks a reader should see (printed, and in the report).
    """

    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Engine:
    """Runs an experiment's stages through the sweep engine, stored under ``out_dir/runs``.

    Parameters
    ----------
    out_dir : pathlib.Path
        The experiment's output folder.
    seed : int
        The experiment's base seed; every run's seed derives from it, the run's parameter
        point and its replicate index.
    execution : Execution
        Where and how runs execute.
    config_dir : pathlib.Path, optional
        The config's folder (data files named in a config are relative to it).
    log : callable, optional
        Where progress lines go (default: nowhere).
    """

    def __init__(self, out_dir: Path, seed: int, execution: Execution = Execution(),
                 config_dir: Path | None = None,
                 log: Callable[[str], None] | None = None):
        self.out_dir = Path(out_dir)
        self.seed = seed
        self.execution = execution
        self.config_dir = config_dir
        self.log = log or (lambda message: None)
        self.stages: list[str] = []
        self._client = None

    def run(self, stage: Stage) -> pd.DataFrame:
        """Run (or load, when stored) every run of ``stage``; one row per run and round.

        Returns
        -------
        pandas.DataFrame
            ``run_id``, ``point_id``, ``point_key``, ``seed``, the parameters,
            ``replicate``, ``round`` and the metrics (:func:`sim.sweep.results.load`).

        Raises
        ------
        RunsFailed
            When a run failed (its error is in the stage's ``failures-*.parquet``).
        """
        from sim.sweep.config import SweepConfig
        from sim.sweep.results import load
        from sim.sweep.runner import run_sweep

        if stage.name in self.stages:
            raise ValueError(f"stage {stage.name!r} ran twice in one experiment; name each "
                             "stage apart")
        self.stages.append(stage.name)
        try:
            config = SweepConfig(model=stage.model, seed=self.seed, design="points",
                                 fixed=dict(stage.fixed), points=[dict(p) for p in stage.points],
                                 replicates=stage.replicates, paired=stage.paired,
                                 metrics=list(stage.metrics) if stage.metrics else None)
        except ValueError as exc:
            from pydantic import ValidationError

            from sim.config import describe_error

            detail = describe_error(exc, SweepConfig) if isinstance(exc, ValidationError) \
                else str(exc)
            raise ConfigError(f"stage {stage.name}: {detail}") from None
        folder = self.out_dir / RUNS_FOLDER / stage.name
        execution = self.execution
        report = run_sweep(config, folder, name=stage.name, workers=execution.workers,
                           scheduler=execution.scheduler, client=self._dask_client(),
                           chunk_size=execution.chunk_size, quiet=execution.quiet,
                           log=self._stage_log(stage.name))
        if report.failed or report.pending:
            raise RunsFailed(f"stage {stage.name}: {report.failed:,} runs failed and "
                             f"{report.pending:,} could not run; see `crowdsim results "
                             f"{folder}` (run the same command again to retry)")
        return load(folder)

    def _stage_log(self, name: str) -> Callable[[str], None]:
        def log(message: str) -> None:
            self.log(f"[{name}] {message}")
        return log

    def _dask_client(self):
        # one connection for all stages: a fitting loop may run many
        if self.execution.scheduler and self._client is None:
            from sim.sweep.runner import connect

            self._client = connect(self.execution.scheduler)
        return self._client

    def close(self) -> None:
        """Close the Dask connection, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None


# ---------------------------------------------------------------------------------------------
# the run


def load_experiment_config(config_path: Path):
    """(experiment module, validated config, raw mapping) of an experiment config file."""
    raw = load_yaml(config_path)
    name = raw.get("experiment")
    if not isinstance(name, str) or name not in EXPERIMENTS:
        allowed = ", ".join(sorted(EXPERIMENTS))
        shown = name if isinstance(name, str) and len(name) <= 60 else type(name).__name__
        raise ConfigError(f"{config_path}: experiment: must be one of {allowed}; got {shown!r}")
    module = experiment_module(name)
    return module, validate(module.Config, raw, str(config_path)), raw


def run_experiment(config_path: str | Path, out_dir: str | Path | None = None,
                   execution: Execution = Execution(), *, report: bool = True,
                   log: Callable[[str], None] | None = print) -> dict:
    """Run the experiment a config file describes; return its summary.

    Parameters
    ----------
    config_path : path-like
        The experiment's YAML config.
    out_dir : path-like, optional
        Output folder (default ``results/<config file's stem>``).
    execution : Execution
        Workers, Dask scheduler, fresh start, chunk size, quiet.
    report : bool
        Write ``report.md`` and ``report.html`` at the end.
    log : callable or None
        Where the experiment's lines go (``print``; None for silence).

    Raises
    ------
    ConfigError
        A bad config (one line naming the field), or an output folder that cannot be
        written or created or that holds a sweep, before anything is written.
    RunsFailed
        Some runs failed; what finished is kept.
    OSError
        Writing failed (a full disk ...); the stages' stored runs are kept and the previous
        output is untouched.
    KeyboardInterrupt
        After saving what is done; the same command resumes.
    """
    from sim.io import check_writable_folder, results_kind
    from sim.provenance import provenance

    config_path = Path(config_path)
    module, config, raw = load_experiment_config(config_path)
    out_dir = Path(out_dir) if out_dir else Path("results") / config_path.stem
    check_writable_folder(out_dir, "--out")
    if results_kind(out_dir) == "sweep":
        raise ConfigError(f"--out: {out_dir} holds a sweep (manifest.json), not an "
                          "experiment's results; choose another --out")
    say = log or (lambda message: None)
    if (out_dir / STAGING_FOLDER).is_dir():  # left by a killed run: finish or discard it
        _settle_staging(out_dir)
    if execution.fresh and (out_dir / RUNS_FOLDER).is_dir():
        shutil.rmtree(out_dir / RUNS_FOLDER)
    record = provenance(config_hash=config_hash(raw), seed=config.seed,
                        experiment=config.experiment)
    record["config"] = raw
    engine = Engine(out_dir, config.seed, execution, config_dir=config_path.parent, log=say)
    try:
        outcome = module.run(config, engine)
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(f"{config_path}:")
                          else f"{config_path}: {message}") from None
    finally:
        engine.close()
    with _staging_folder(out_dir) as staging:
        _settle(staging, out_dir)  # another run's killed swap or half-built output, if any
        summary = store_outcome(module, config, outcome, staging, record, engine.stages)
        if report:
            from sim.report import write_report

            write_report(staging)
        _swap_in(staging, out_dir)
    from sim.report import verdict_lines

    for line in verdict_lines(summary["verdicts"]):
        say(line)
    for note in summary["notes"]:
        say(f"note: {note}")
    if report:
        say(f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}")
    say(f"results written to {out_dir}/")
    return summary


@contextlib.contextmanager
def _staging_folder(out_dir: Path) -> Iterator[Path]:
    """Hold ``OUT/.staging``, created if needed, while a block builds or settles outputs.

    The folder is its own lock (``flock`` on the folder), so that one run at a time builds
    and swaps a folder's outputs and no lock file stays behind. At the end the folder is
    removed (its half-built output with it: the previous output is untouched), unless it
    holds the plan of a swap that did not finish, which the next run finishes.

    Raises
    ------
    ConfigError
        Another run holds it.
    """
    staging = out_dir / STAGING_FOLDER
    handle = _hold(staging)
    try:
        yield staging
    finally:
        try:
            if not (staging / SWAP_PLAN).is_file():
                shutil.rmtree(staging, ignore_errors=True)
        finally:
            if handle is not None:
                os.close(handle)


def _hold(staging: Path) -> int | None:
    """Create ``staging`` and lock it; the open handle (None where there is no ``flock``)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; one run per folder is the user's job
        staging.mkdir(parents=True, exist_ok=True)
        return None
    while True:
        staging.mkdir(parents=True, exist_ok=True)
        handle = os.open(staging, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise ConfigError(f"{staging.parent}: another crowdsim run is writing its outputs "
                              "here; wait for it or choose another --out") from None
        held = os.fstat(handle)
        try:
            current = os.stat(staging)
        except FileNotFoundError:
            current = None
        if current is not None and (current.st_dev, current.st_ino) == (held.st_dev,
                                                                         held.st_ino):
            return handle
        os.close(handle)  # the run that held it removed it meanwhile: hold the new one


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace the output in ``out_dir`` by the complete one in ``staging``.

    The plan is written first (atomically): from then on the swap is finished by whoever
    comes next (:func:`_settle`), even if this process is killed half-way.
    """
    from sim.io import write_json

    new = sorted(path.name for path in staging.iterdir())
    stale = sorted(_output_files(out_dir) - set(new))
    write_json(staging / SWAP_PLAN, {"new": new, "stale": stale})
    _finish_swap(staging, out_dir)


def _finish_swap(staging: Path, out_dir: Path) -> None:
    plan = json.loads((staging / SWAP_PLAN).read_text(encoding="utf-8"))
    # summary.json last: a reader that finds the new summary finds every file it names
    for name in sorted(plan["new"], key=lambda name: name == "summary.json"):
        if _plain_name(name) and (staging / name).exists():  # else moved before a kill
            os.replace(staging / name, out_dir / name)
    for name in plan["stale"]:
        if _plain_name(name):
            (out_dir / name).unlink(missing_ok=True)
    (staging / SWAP_PLAN).unlink()


def _settle(staging: Path, out_dir: Path) -> None:
    """Finish the swap a killed run planned, then empty ``staging`` (held by the caller) of
    any output a failed or killed run had not completed."""
    if (staging / SWAP_PLAN).is_file():
        _finish_swap(staging, out_dir)
    for path in staging.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _settle_staging(out_dir: Path) -> None:
    """Settle what a killed run left in ``OUT/.staging`` (:func:`_settle`) and remove it."""
    with _staging_folder(out_dir) as staging:
        _settle(staging, out_dir)


def _output_files(out_dir: Path) -> set[str]:
    """The files of the output in ``out_dir``: summary, report, and the tables and figures
    its summary names (other files in the folder are not the runner's to delete)."""
    names = set(_OUTPUT_FILES)
    try:
        files = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))["files"]
        names |= set(files["tables"].values()) | set(files["figures"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no summary, or one from an older crowdsim: its own files only
    return {name for name in names
            if isinstance(name, str) and _plain_name(name) and (out_dir / name).is_file()}


def _plain_name(name: str) -> bool:
    """A file name in the folder itself: never a path a hand-edited summary could point
    elsewhere with."""
    return bool(name) and Path(name).name == name and name not in (".", "..")


def store_outcome(module, config, outcome: Outcome, out_dir: Path, record: dict,
                  stages: Sequence[str] = ()) -> dict:
    """Write the outcome's tables, ``summary.json`` and figures; return the summary."""
    from sim.io import write_json, write_parquet

    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for name, frame in outcome.tables.items():
        write_parquet(out_dir / f"{name}.parquet", frame)
        tables[name] = f"{name}.parquet"
    summary = {
        "experiment": config.experiment,
        "title": config.title or _first_line(module.__doc__) or config.experiment,
        "experiment_doc": _first_paragraph(module.__doc__),
        **outcome.summary,
        "verdicts": outcome.verdicts,
        "notes": outcome.notes,
        "files": {"tables": tables,
                  "runs": {name: f"{RUNS_FOLDER}/{name}" for name in stages},
                  "figures": []},
        "provenance": record,
    }
    write_json(out_dir / "summary.json", summary)
    return finish_summary(module, out_dir, summary)


def finish_summary(module, out_dir: Path, summary: dict) -> dict:
    """Draw the figures from the stored files and add them and the key numbers."""
    from sim.io import write_json

    if hasattr(module, "figures"):
        summary["files"]["figures"] = [Path(p).name for p in module.figures(out_dir, summary)]
    if hasattr(module, "key_numbers"):
        summary["key_numbers"] = [[str(label), str(value)]
                                  for label, value in module.key_numbers(summary)]
    from sim.report import report_texts

    summary.update(report_texts(module, summary))  # QUESTION and figure_captions(summary)
    write_json(out_dir / "summary.json", summary)
    return summary


def remake_figures(folder: str | Path) -> list[str]:
    """Redraw an experiment's figures (and key numbers) from its stored results."""
    from sim.report import load_summary

    folder = Path(folder)
    summary = load_summary(folder)
    try:
        module = experiment_module(summary.get("experiment", ""))
    except KeyError as exc:
        raise ConfigError(f"{folder}: {exc.args[0]}") from None
    if not hasattr(module, "figures"):
        raise ConfigError(f"experiment {summary['experiment']!r} draws no figures")
    summary = finish_summary(module, folder, summary)
    return [str(folder / name) for name in summary["files"]["figures"]]


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0].rstrip(".")

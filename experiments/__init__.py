"""crowdsim's experiments: one module per experiment, run by :mod:`experiments._runner`.

An experiment module holds only what is its own:

``Config``
    its config schema (a subclass of :class:`sim.config.ExperimentConfig`), embedding its
    model's parameter schema rather than re-declaring defaults;
``run(config, engine) -> Outcome``
    its design and analysis: it asks ``engine`` (:class:`experiments._runner.Engine`) for
    simulations, as named stages of parameter points x replicates that the sweep engine runs
    (value-keyed seeds, resumable store, local processes or Dask, progress bar), and returns
    an :class:`experiments._runner.Outcome`: tables, summary numbers, verdict rows, notes;
``figures(out_dir, summary) -> list[Path]`` (optional)
    its figures, drawn from the stored tables only, so ``crowdsim figures`` can redraw them;
``key_numbers(summary) -> list[tuple[str, str]]`` (optional)
    the numbers a reader wants first in the report.

The runner does everything else (tables, ``summary.json``, figures, verdicts, report). See
``docs/architecture.md`` for a worked example of adding an experiment.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXPERIMENTS", "experiment_module"]

#: Experiments ``crowdsim run`` knows: a config's ``experiment:`` value -> module.
EXPERIMENTS = {
    "galton_ox": "experiments.galton_ox",
    "lorenz2011": "experiments.lorenz2011",
    "becker2017": "experiments.becker2017",
    "groupthink_phase": "experiments.groupthink_phase",
    "condorcet": "experiments.condorcet",
    "cascades": "experiments.cascades",
    "musiclab": "experiments.musiclab",
    "nest_site_list2009": "experiments.nest_site_list2009",
    "nest_site_groupthink": "experiments.nest_site_groupthink",
    "nest_site_quorum": "experiments.nest_site_quorum",
    "cross_inhibition": "experiments.cross_inhibition",
    "weak_ties": "experiments.weak_ties",
    "golub_jackson": "experiments.golub_jackson",
}


def experiment_module(name: str) -> ModuleType:
    """The module of the registered experiment ``name``.

    Examples
    --------
    >>> experiment_module("galton_ox").__name__
    'experiments.galton_ox'
    >>> experiment_module("ants")
    Traceback (most recent call last):
    ...
    KeyError: "no experiment 'ants'; known: becker2017, cascades, condorcet, cross_inhibition, galton_ox, golub_jackson, groupthink_phase, lorenz2011, musiclab, nest_site_groupthink, nest_site_list2009, nest_site_quorum, weak_ties"
    """  # noqa: E501
    if name not in EXPERIMENTS:
        raise KeyError(f"no experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    return importlib.import_module(EXPERIMENTS[name])

"""crowdsim: agent-based simulation of collective intelligence.

Crowds of agents with noisy private beliefs estimate quantities or choose among options,
under configurable social influence. Each model has a readable Mesa implementation and a
numba kernel that runs the same rules over arrays for fast, reproducible parameter sweeps.

Main entry points (the ``crowdsim`` command, :mod:`sim.cli`, does each from a shell;
``crowdsim COMMAND --help`` lists its options and names):

Run an experiment
    ``crowdsim run NAME`` (``crowdsim run --help`` lists them) or
    :func:`experiments._runner.run_experiment` ``(config_path, out_dir)``: one published
    effect reproduced, into ``results/NAME/`` (tables, verdicts, figures, report).
Run a sweep
    ``crowdsim sweep CONFIG`` or :func:`sim.sweep.run_sweep` ``(SweepConfig(...), folder)``:
    a model over a grid, random, Sobol or Morris design; resumable, local or on Dask.
The models
    Each a Mesa model with its parameters in its signature (``help(CrowdEstimation)``) and a
    numba kernel for batches: :mod:`sim.models.estimation` (``CrowdEstimation``,
    ``simulate_crowds``), :mod:`sim.models.nest_site` (``NestSiteSelection``),
    :mod:`sim.models.majority_vote` (``MajorityVote``), :mod:`sim.models.cascades`
    (``InformationCascade``), :mod:`sim.models.cumulative_advantage` (``CulturalMarket``);
    build one with ``rng=SEED``.
Analysis and calibration
    :mod:`sim.aggregate` and :mod:`sim.metrics` (crowd aggregates and errors),
    :mod:`sim.analysis` (real guesses and dataset specs: ``crowdsim analyze``),
    :func:`sim.inference.calibrate.calibrate` and :func:`sim.inference.predict.predict`
    (``crowdsim calibrate`` and ``crowdsim predict``: fit revision rules by ABC-SMC, predict
    another experiment).
Results
    :func:`sim.sweep.results.load` and :func:`sim.sweep.results.summarise` (a sweep's or an
    experiment stage's runs: ``crowdsim results``), :func:`sim.report.write_report`
    (``crowdsim report``), :func:`sim.sweep.sensitivity.run_sensitivity`
    (``crowdsim sensitivity``).

>>> import sim
>>> sim.__version__
'0.1.0'
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("crowdsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]

"""Parameter sweeps: designs, a resumable runner (local processes or Dask) and a store.

``crowdsim sweep CONFIG`` runs a sweep config (see ``docs/sweeps.md``);
:func:`sim.sweep.results.load` reads what it stored. From Python:

>>> import tempfile
>>> from sim.sweep import SweepConfig, run_sweep
>>> config = SweepConfig(model="estimation", seed=7, design="grid", replicates=2,
...                      fixed={"n_agents": 10}, swept={"noise_scale": [1.0, 2.0]})
>>> with tempfile.TemporaryDirectory() as folder:
...     run_sweep(config, folder, name="tiny", workers=1, log=None).done
4

Submodules: ``config`` (the YAML schema), ``design`` (points and keys), ``models`` (the
registry of sweepable models), ``worker`` (one chunk), ``runner`` (executors, resume),
``store`` (the folder's files), ``results`` (reading a sweep folder), ``progress``,
``sensitivity`` (SALib indices).
"""

from __future__ import annotations

from sim._lazy import attach

# Attributes are imported on first use: a worker process imports sim.sweep.worker (and so
# this package) before it may load numba, and must be able to limit numba's threads first.
__getattr__, __dir__, __all__ = attach(__name__, {
    "SweepConfig": "sim.sweep.config",
    "load_sweep_config": "sim.sweep.config",
    "build_design": "sim.sweep.design",
    "run_sweep": "sim.sweep.runner",
    "MODELS": "sim.sweep.models",
    "SweepModel": "sim.sweep.models",
})

"""Reading a sweep's results folder from Python: the public face of :mod:`sim.sweep.results`.

A sweep folder (``crowdsim sweep CONFIG --out DIR``, or :func:`sim.sweep.run_sweep`) holds
one row per run in Parquet chunks. :func:`point_means` gives one row per parameter point,
its parameters beside each metric's mean and standard error over the point's replicates
(what Mesa's ``batch_run`` and the EMA workbench hand back); :func:`load` gives every run.
Everything reads the chunks complete so far, so it also works while a sweep runs.

Examples
--------
>>> import tempfile
>>> from sim import results
>>> from sim.sweep import SweepConfig, run_sweep
>>> config = SweepConfig(model="estimation", seed=1, design="grid", replicates=4,
...                      fixed={"n_agents": 50, "noise_scale": 10.0},
...                      swept={"correlation": [0.0, 0.5]},
...                      metrics=["error_of_mean", "diversity"])
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = run_sweep(config, folder, quiet=True, log=None)
...     table = results.point_means(folder)
...     runs = results.load(folder)
>>> table.index.name, table.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
('point_id', ['correlation', 'n_agents', 'noise_scale', 'runs', 'error_of_mean',
              'error_of_mean_se', 'diversity', 'diversity_se'])
>>> table["runs"].tolist()
[4, 4]
>>> bool((table["error_of_mean"] - runs.groupby("point_id")["error_of_mean"].mean()).abs().max()
...      < 1e-12)
True

``results.write_csv(table, "points.csv")`` writes the table for a spreadsheet or R
(``crowdsim results DIR --csv points.csv`` does the same).
"""

from __future__ import annotations

from sim.sweep.results import (
    format_summary,
    load,
    load_design,
    load_failures,
    point_means,
    read_manifest,
    status,
    summarise,
    write_csv,
)

__all__ = ["point_means", "load", "load_failures", "load_design", "status", "summarise",
           "format_summary", "read_manifest", "write_csv"]

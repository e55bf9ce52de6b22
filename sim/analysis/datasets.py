"""Loaders for the datasets shipped in ``sim/data`` (sources in ``sim/data/SOURCES.md``)."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

__all__ = ["data_path", "load_galton"]


def data_path(name: str):
    """Path of a shipped dataset file.

    >>> data_path("galton1907_vox_populi.csv").name
    'galton1907_vox_populi.csv'
    """
    path = files("sim.data") / name
    if not path.is_file():
        raise FileNotFoundError(f"no shipped dataset named {name!r}")
    return path


def load_galton() -> pd.DataFrame:
    """Galton's (1907) centile table of the ox estimates.

    Columns: ``centile`` (5, 10, ..., 95), ``estimate_lb``, ``observed_deviate_from_1207``,
    ``normal_deviate_pe37``, ``excess_observed_over_normal``.

    >>> table = load_galton()
    >>> int(table.loc[table.centile == 50, "estimate_lb"].iloc[0])
    1207
    """
    with data_path("galton1907_vox_populi.csv").open() as handle:
        return pd.read_csv(handle)

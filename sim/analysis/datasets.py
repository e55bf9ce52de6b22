"""Loaders for the datasets shipped in ``sim/data`` (sources in ``sim/data/SOURCES.md``)."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

__all__ = ["data_path", "load_becker", "load_galton", "load_lorenz"]


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


def load_lorenz() -> pd.DataFrame:
    """Lorenz et al. (2011): 144 subjects x 6 questions, five rounds of estimates.

    One row per subject and question (864 rows). Columns as shipped: ``...1`` (a row number),
    ``Session_Date`` (12 sessions of 12 subjects), ``Information_Condition`` (``no``,
    ``aggregated``, ``full``), ``Question`` (1-6), ``Subject``, ``Truth``, ``E1``..``E5``
    (estimates in rounds 1-5), ``C1``, ``C5`` (confidence 1-6 in rounds 1 and 5). The
    file's unnamed first column (R's row names, 1..864) becomes the index. A group of 12
    answering one question is one (``Session_Date``, ``Question``); one estimate (row 717,
    ``E3``) is 0.

    >>> table = load_lorenz()
    >>> table.shape, table.groupby(["Session_Date", "Question"]).ngroups
    ((864, 13), 72)
    """
    with data_path("lorenz2011.csv").open() as handle:
        return pd.read_csv(handle, index_col=0, dtype={"Session_Date": str})


def load_becker() -> pd.DataFrame:
    """Becker, Brackbill and Centola (2017): estimates over three rounds in networks of 40.

    One row per subject and task (5,909 rows). Columns as shipped: ``group_number``,
    ``network`` (``Centralized``, ``Decentralized``, ``Solo``), ``task``, ``subject_id``,
    ``is_central`` (the hub of a centralized network; empty elsewhere), ``response_1``..``3``
    (estimates; some missing), ``truth``, ``sd_pool`` (SD of the independent responses to
    the task, the unit of error in the paper), ``mean.neighbor.time1``/``2``. A group
    answering one question is one (``group_number``, ``task``).

    >>> table = load_becker()
    >>> table.shape, table.groupby(["group_number", "task"]).ngroups
    ((5909, 12), 152)
    """
    with data_path("becker2017.csv").open() as handle:
        return pd.read_csv(handle)

"""Designs: the parameter points of a sweep, each with a stable key.

A design lists parameter points, each a dict of the fixed and swept values. ``points`` is an
explicit list of points (what experiments declare); ``grid`` is the full factorial of the
swept value lists (the last parameter varies fastest); ``random`` (uniform) and ``lhs``
(:class:`scipy.stats.qmc.LatinHypercube`) sample ``samples`` points from the ranges;
``sobol`` (:func:`SALib.sample.sobol.sample`, ``N (2D + 2)`` points with second-order
terms) and ``morris`` (:func:`SALib.sample.morris.sample`, ``N (D + 1)`` points) give
designs SALib can analyse. Ranges with ``log: true`` are sampled uniformly in
log10; integer parameters are rounded. The design's own random draws come from the config's
seed, so the same config always gives the same points.

A point's key is a 63-bit hash of its canonical parameter JSON: the same parameters always
get the same key, and so the same seeds, in whatever design they appear.

Examples
--------
>>> from sim.sweep.config import SweepConfig
>>> config = SweepConfig(model="estimation", seed=3, design="grid",
...                      swept={"correlation": [0.0, 0.5], "n_agents": [10, 20]})
>>> design = build_design(config)
>>> len(design), design.point(1)
(4, {'correlation': 0.0, 'n_agents': 20})
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import numpy as np

from sim.seeding import derive_seed
from sim.sweep.config import (
    GridAxis,
    RangeAxis,
    SweepConfig,
    canonical_value,
    point_columns,
    swept_axes,
)
from sim.sweep.models import get_model
from sim.sweep.store import column_value

if TYPE_CHECKING:  # pandas is imported by to_frame only: a worker needs split_key, not it
    import pandas as pd

__all__ = ["Design", "build_design", "point_key", "split_key", "salib_problem",
           "param_arrow_types", "DESIGN_SEED_KEY"]

#: Key of the design's own random stream under the config's seed (runs use 3-part keys, so
#: the two never share a stream).
DESIGN_SEED_KEY = 0x5EED
_KEY_MASK = 2**63 - 1


def point_key(params: dict[str, Any]) -> int:
    """Stable 63-bit key of a parameter point: SHA-256 of its canonical JSON.

    Key order does not matter; the top bit is dropped so the key fits a signed 64-bit
    column (like the seeds).

    Examples
    --------
    >>> point_key({"a": 1, "b": 0.5}) == point_key({"b": 0.5, "a": 1})
    True
    >>> 0 <= point_key({"a": 1}) < 2**63
    True
    """
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") & _KEY_MASK


def split_key(key: int) -> tuple[int, int]:
    """The key's high and low 32 bits: non-negative entries for a SeedSequence spawn key.

    Examples
    --------
    >>> split_key(2**32 + 7)
    (1, 7)
    """
    return key >> 32, key & 0xFFFFFFFF


@dataclass(frozen=True)
class Design:
    """The parameter points of a sweep.

    Attributes
    ----------
    kind : str
        ``points``, ``grid``, ``random``, ``lhs``, ``sobol`` or ``morris``.
    model : str
        The model the points are for.
    fixed : dict
        Values every point shares (canonical Python values).
    columns : dict of str to list
        Each swept parameter's value at every point, in design order.
    keys : numpy.ndarray of int64
        Each point's key (see :func:`point_key`).
    problem : dict or None
        Sampled designs: the SALib problem (names and bounds; log10 bounds for log ranges).
    matrix : numpy.ndarray or None
        Sampled designs: the points in the problem's space, before rounding and ``10**x``
        (what :func:`SALib.analyze.morris.analyze` needs as ``X``).
    """

    kind: str
    model: str
    fixed: dict[str, Any]
    columns: dict[str, list]
    keys: np.ndarray
    problem: dict | None = None
    matrix: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def swept(self) -> tuple[str, ...]:
        """Names of the swept parameters, in config order."""
        return tuple(self.columns)

    @property
    def param_names(self) -> tuple[str, ...]:
        """Fixed and swept parameters, in the order of the model's schema."""
        present = set(self.fixed) | set(self.columns)
        return tuple(name for name in get_model(self.model).params_schema.model_fields
                     if name in present)

    def point(self, index: int) -> dict[str, Any]:
        """The parameters of point ``index`` (fixed and swept)."""
        return {**self.fixed, **{name: values[index] for name, values in self.columns.items()}}

    def to_frame(self) -> pd.DataFrame:
        """One row per point: ``point_id``, ``point_key``, the parameters and, for sampled
        designs, ``design_<name>``: the point in the SALib problem's space."""
        import pandas as pd

        frame = pd.DataFrame({"point_id": np.arange(len(self), dtype=np.int64),
                              "point_key": self.keys})
        kinds = param_arrow_types(self.model, self.param_names)
        for name in self.param_names:
            values = self.columns[name] if name in self.columns else [self.fixed[name]] * len(self)
            frame[name] = [column_value(value, kinds[name]) for value in values]
        if self.matrix is not None:
            for j, name in enumerate(self.swept):
                frame[f"design_{name}"] = self.matrix[:, j]
        return frame

    def to_table(self):
        """:meth:`to_frame` as a :class:`pyarrow.Table` (what ``design.parquet`` stores),
        built without pandas: parameter columns take their declared types (those of the
        runs files), ``design_<name>`` columns are float64.

        A sweep writes its design with this: importing pandas would cost a small sweep's
        command a few tenths of a second.

        Examples
        --------
        >>> from sim.sweep.config import SweepConfig
        >>> config = SweepConfig(model="estimation", seed=1, design="grid",
        ...                      fixed={"noise": "normal"}, swept={"correlation": [0.0, 0.5]})
        >>> table = build_design(config).to_table()
        >>> table.column_names, table.column("correlation").to_pylist()
        (['point_id', 'point_key', 'noise', 'correlation'], [0.0, 0.5])
        """
        import pyarrow as pa

        from sim.sweep.store import arrow_column

        columns = {"point_id": arrow_column(range(len(self)), "int64"),
                   "point_key": arrow_column([int(key) for key in self.keys], "int64")}
        kinds = param_arrow_types(self.model, self.param_names)
        for name in self.param_names:
            values = self.columns[name] if name in self.columns else [self.fixed[name]] * len(self)
            values = [column_value(value, kinds[name]) for value in values]
            try:
                columns[name] = arrow_column(values, kinds[name])
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                # a value its declared type cannot hold as it is (it fails validation when
                # run): the type its values have, as the DataFrame would store them
                columns[name] = pa.array(values)
        if self.matrix is not None:
            for j, name in enumerate(self.swept):
                columns[f"design_{name}"] = arrow_column(
                    [float(x) for x in self.matrix[:, j]], "float64")
        return pa.Table.from_arrays(list(columns.values()), names=list(columns))

    def summary(self) -> dict[str, Any]:
        """What the manifest records about the design."""
        out = {"kind": self.kind, "points": len(self), "swept": list(self.swept),
               "fixed": dict(self.fixed)}
        if self.problem is not None:
            out["problem"] = self.problem
        return out


def build_design(config: SweepConfig) -> Design:
    """The points of the sweep ``config`` describes.

    Examples
    --------
    >>> from sim.sweep.config import SweepConfig
    >>> config = SweepConfig(model="estimation", seed=1, design="sobol", samples=8,
    ...                      swept={"correlation": {"low": 0, "high": 1},
    ...                             "n_agents": {"low": 10, "high": 1000, "log": True}})
    >>> design = build_design(config)
    >>> len(design)  # N (2D + 2)
    48
    >>> all(10 <= n <= 1000 and isinstance(n, int) for n in design.columns["n_agents"])
    True
    """
    fixed = {name: canonical_value(config.model, name, value, f"fixed.{name}")
             for name, value in config.fixed.items()}
    problem = matrix = None
    if config.design == "points":
        columns = point_columns(config)[1]
    elif config.design == "grid":
        axes = swept_axes(config)
        columns = _grid_columns(axes)
    else:
        axes = swept_axes(config)
        problem = salib_problem(axes)
        matrix = _sample_matrix(config, problem)
        columns = _columns_from_matrix(config.model, axes, matrix)
    n_points = len(config.points) if config.design == "points" \
        else len(next(iter(columns.values())))
    keys = np.fromiter(
        (point_key({**fixed, **{name: values[i] for name, values in columns.items()}})
         for i in range(n_points)), dtype=np.int64, count=n_points)
    return Design(kind=config.design, model=config.model, fixed=fixed, columns=columns,
                  keys=keys, problem=problem, matrix=matrix)


def _grid_columns(axes: dict[str, GridAxis]) -> dict[str, list]:
    points = list(itertools.product(*(axis.values for axis in axes.values())))
    return {name: [point[j] for point in points] for j, name in enumerate(axes)}


def salib_problem(axes: dict[str, RangeAxis]) -> dict[str, Any]:
    """SALib's problem dict for sampled axes; log ranges have log10 bounds.

    Examples
    --------
    >>> from sim.sweep.config import RangeAxis
    >>> salib_problem({"x": RangeAxis(1.0, 100.0, log=True)})["bounds"]
    [[0.0, 2.0]]
    """
    bounds = [[float(np.log10(axis.low)), float(np.log10(axis.high))] if axis.log
              else [axis.low, axis.high] for axis in axes.values()]
    return {"num_vars": len(axes), "names": list(axes), "bounds": bounds,
            "log10": [axis.log for axis in axes.values()]}


def _sample_matrix(config: SweepConfig, problem: dict) -> np.ndarray:
    seed = derive_seed(config.seed, DESIGN_SEED_KEY)
    salib = {key: problem[key] for key in ("num_vars", "names", "bounds")}
    if config.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(salib, config.samples, calc_second_order=True, seed=seed)
    if config.design == "morris":
        from SALib.sample import morris

        return morris.sample(salib, config.samples, num_levels=config.morris_levels, seed=seed)
    rng = np.random.default_rng(seed)
    if config.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=problem["num_vars"], rng=rng).random(config.samples)
    else:
        unit = rng.random((config.samples, problem["num_vars"]))
    low, high = np.array(problem["bounds"]).T
    return low + unit * (high - low)


def _columns_from_matrix(model: str, axes: dict[str, RangeAxis],
                         matrix: np.ndarray) -> dict[str, list]:
    columns = {}
    for j, (name, axis) in enumerate(axes.items()):
        values = 10.0 ** matrix[:, j] if axis.log else matrix[:, j].copy()
        values = np.clip(values, axis.low, axis.high)  # 10**log10(x) may miss x by an ulp
        if axis.integer:
            values = np.rint(values)
        is_int = get_model(model).params_schema.model_fields[name].annotation is int
        columns[name] = [int(v) for v in values] if is_int else [float(v) for v in values]
    return columns


def param_arrow_types(model: str, names) -> dict[str, str]:
    """Arrow type names of parameter columns: int64, float64, bool or string (text and
    structured values, stored as JSON).

    Examples
    --------
    >>> param_arrow_types("estimation", ["n_agents", "noise", "noise_scale_below"])
    {'n_agents': 'int64', 'noise': 'string', 'noise_scale_below': 'float64'}
    >>> param_arrow_types("nest_site", ["qualities", "discovery"])
    {'qualities': 'string', 'discovery': 'string'}
    """
    fields = get_model(model).params_schema.model_fields
    out = {}
    for name in names:
        annotation = fields[name].annotation
        members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) \
            else (annotation,)
        # a list or mapping (e.g. site qualities) is a structured value: stored as JSON text
        kinds = {get_origin(arg) or arg for arg in members if arg is not type(None)}
        if kinds == {bool}:
            out[name] = "bool"
        elif kinds == {int}:
            out[name] = "int64"
        elif kinds <= {int, float}:
            out[name] = "float64"
        else:
            out[name] = "string"
    return out

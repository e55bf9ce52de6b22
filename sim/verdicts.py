"""One verdict rule for the whole project: does the model reproduce an effect of the data?

Data and model each get a 90 % interval (the data's: usually a group bootstrap; the model's:
over posterior draws, seeds or resamples, as the experiment states). :func:`verdict` turns a
row's two values and two intervals into one of four labels:

``"fitted"``
    the row was fitted to these data: whatever the numbers, it is never "reproduced";
``"not significant in the data"``
    the row is about a sign or direction (a change, a difference; ``null`` is not None)
    and the data's interval contains ``null``: there is no direction to reproduce;
``"reproduced"``
    the two intervals overlap, and where the data's sign is significant (its interval
    excludes ``null``) the model's value lies on the same side of ``null``;
``"not reproduced"``
    otherwise (also when the model's interval or value is missing);
``"no data interval"``
    the data give no interval (a published value or direction without uncertainty): the
    rule cannot judge the row, which says so instead of calling it not reproduced.

:func:`verdict_row` builds the verdict row an experiment returns (see
:class:`experiments._runner.Outcome`), :func:`data_only_row` a row checked on the data only.
``reproduced`` stays True, False or None (None: fitted, not significant, data only) for the
consumers that count rows (:func:`sim.report.reproduced_row`).

Examples
--------
>>> verdict(-0.10, (-0.18, -0.03), -0.08, (-0.12, -0.05))
'reproduced'
>>> verdict(-0.10, (-0.18, -0.03), 0.20, (0.10, 0.30))
'not reproduced'
>>> verdict(0.05, (-0.02, 0.12), 0.30, (0.20, 0.40))
'not significant in the data'
>>> verdict(0.5, (0.4, 0.6), 0.5, (0.45, 0.55), fitted=True)
'fitted'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["VERDICT_RULE", "FITTED", "NOT_SIGNIFICANT", "REPRODUCED", "NOT_REPRODUCED",
           "NO_DATA_INTERVAL", "DATA_ONLY", "LABELS", "verdict", "verdict_row",
           "data_only_row", "overlap", "excludes", "DATA_CI_SOURCES"]

FITTED = "fitted"
NOT_SIGNIFICANT = "not significant in the data"
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NO_DATA_INTERVAL = "no data interval"
#: The label of a row checked on the data only (no model value): not a verdict of the rule.
DATA_ONLY = "data only"
#: Every label, and what it means for ``reproduced`` (True, False or None: not tested).
LABELS = {REPRODUCED: True, NOT_REPRODUCED: False, FITTED: None, NOT_SIGNIFICANT: None,
          NO_DATA_INTERVAL: None, DATA_ONLY: None}

#: The rule in words, stated in every report that has verdict rows.
VERDICT_RULE = (
    "Data and model each get a 90 % interval; an effect is reproduced when the two intervals "
    "overlap and, where the data's interval excludes 0 (for a change or difference), the "
    "model's value has the data's sign; a change whose data interval contains 0 is "
    "'not significant in the data', a row fitted to the data is 'fitted' (never reproduced), "
    "a row whose data give no interval is 'no data interval' (not judged), and anything "
    "else is 'not reproduced'. A data interval marked 'reading' is the experiment's reading "
    "of a finding published in words only, one marked 'exact' a formula's value.")

#: Where a row's data interval comes from: the data themselves (a bootstrap or a Wilson
#: interval), an exact formula (zero width), or the experiment's reading of a finding the
#: source states in words only (the row's note says which reading).
DATA_CI_SOURCES = ("data", "exact", "reading")

Interval = Sequence[float | None] | None


def _finite(value) -> bool:
    return value is not None and not isinstance(value, bool) and math.isfinite(float(value))


def _ok(ci: Interval) -> bool:
    return ci is not None and len(ci) == 2 and all(_finite(v) for v in ci)


def overlap(a: Interval, b: Interval) -> bool:
    """Whether two closed intervals overlap (False when either is missing).

    >>> overlap((0, 1), (1, 2)), overlap((0, 1), (1.5, 2)), overlap((0, 1), (None, 2))
    (True, False, False)
    """
    if not (_ok(a) and _ok(b)):
        return False
    (a0, a1), (b0, b1) = sorted(map(float, a)), sorted(map(float, b))
    return a0 <= b1 and b0 <= a1


def excludes(ci: Interval, null: float = 0.0) -> bool:
    """Whether an interval lies entirely on one side of ``null`` (False when missing).

    >>> excludes((0.1, 0.3)), excludes((-0.1, 0.3)), excludes((-0.3, -0.1), null=-0.2)
    (True, False, False)
    """
    if not _ok(ci):
        return False
    low, high = sorted(map(float, ci))
    return low > null or high < null


def verdict(data: float | None, data_ci: Interval, model: float | None, model_ci: Interval,
            fitted: bool = False, null: float | None = 0.0) -> str:
    """The label of one row under the project's rule (see the module docstring).

    Parameters
    ----------
    data, model : float or None
        The data's value and the model's (point) value.
    data_ci, model_ci : (low, high) or None
        Their 90 % intervals.
    fitted : bool
        The row was fitted to these data: ``"fitted"``, never ``"reproduced"``.
    null : float or None
        The no-effect value of a row about a sign or direction (a change or difference,
        default 0.0); None for a row that is not (a level, a share): then neither "not
        significant" nor the sign check applies, only the overlap.

    Returns
    -------
    str
        ``"fitted"``, ``"no data interval"``, ``"not significant in the data"``,
        ``"reproduced"`` or ``"not reproduced"``.

    Examples
    --------
    Overlapping intervals, same sign: reproduced; no overlap: not reproduced.

    >>> verdict(0.3, (0.1, 0.5), 0.2, (0.0, 0.25))
    'reproduced'
    >>> verdict(0.3, (0.1, 0.5), 0.8, (0.6, 0.9))
    'not reproduced'

    The intervals overlap but the model points the other way: not reproduced.

    >>> verdict(0.3, (0.1, 0.5), -0.05, (-0.3, 0.2))
    'not reproduced'

    Not a direction (``null=None``): only the overlap counts.

    >>> verdict(0.6, (0.4, 0.8), 0.5, (0.45, 0.55), null=None)
    'reproduced'
    """
    if fitted:
        return FITTED
    if not _ok(data_ci):
        return NO_DATA_INTERVAL
    if null is not None and _ok(data_ci) and not excludes(data_ci, null):
        return NOT_SIGNIFICANT
    if not overlap(data_ci, model_ci) or not _finite(model):
        return NOT_REPRODUCED
    if null is not None and excludes(data_ci, null):
        side = min(map(float, data_ci)) > null  # the data's significant side: above null
        if (float(model) > null) != side or float(model) == null:
            return NOT_REPRODUCED
    return REPRODUCED


def _ci(ci: Interval) -> list[float | None] | None:
    return None if ci is None else [None if v is None else float(v) for v in ci]


def verdict_row(effect: str, data, data_ci: Interval, simulation, model_ci: Interval,
                fitted: bool = False, null: float | None = 0.0, note: str = "",
                data_ci_source: str = "data") -> dict:
    """A verdict row (keys effect, data, simulation, reproduced, verdict, data_ci,
    data_ci_source (one of :data:`DATA_CI_SOURCES`), model_ci, fitted, note) judged by
    :func:`verdict`.

    >>> row = verdict_row("x falls", -0.2, (-0.3, -0.1), -0.15, (-0.25, -0.05))
    >>> row["verdict"], row["reproduced"], row["data_ci"]
    ('reproduced', True, [-0.3, -0.1])
    >>> verdict_row("x", 0.1, (-0.1, 0.3), 0.2, (0.1, 0.3))["reproduced"] is None
    True
    """
    if data_ci_source not in DATA_CI_SOURCES:
        raise ValueError(f"data_ci_source must be one of {', '.join(DATA_CI_SOURCES)}, "
                         f"got {data_ci_source!r}")
    label = verdict(data, data_ci, simulation, model_ci, fitted=fitted, null=null)
    return {"effect": effect, "data": data, "simulation": simulation,
            "reproduced": LABELS[label], "verdict": label, "data_ci": _ci(data_ci),
            "data_ci_source": data_ci_source if _ok(data_ci) else None,
            "model_ci": _ci(model_ci), "fitted": bool(fitted), "note": note}


def data_only_row(effect: str, data, data_ci: Interval = None, note: str = "") -> dict:
    """A row checked on the data only (no model): verdict ``"data only"``, reproduced None.

    >>> row = data_only_row("y rises", {"change": 0.1})
    >>> row["verdict"], row["reproduced"], row["simulation"], row["fitted"]
    ('data only', None, None, False)
    """
    return {"effect": effect, "data": data, "simulation": None, "reproduced": None,
            "verdict": DATA_ONLY, "data_ci": _ci(data_ci),
            "data_ci_source": "data" if _ok(data_ci) else None, "model_ci": None, "fitted": False,
            "note": note}

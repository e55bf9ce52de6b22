"""Per-swarm measures of the nest-site model that its sweep registration does not record yet:
which site won (by the swarm's rule, by plurality, by twice the runner-up), the dancers per
site at the end, and one swarm step by step.

Two :class:`sim.sweep.models.SweepModel` for the experiment runner's stages (named there by
import path):

``"sim.models.nest_site.measures:SWARMS"``
    One swarm per run, one round: the registered model's metrics (:data:`MODEL_METRICS`)
    plus ``chosen``, ``plurality`` and ``twice`` (the winning site's index, -1 for none) and
    ``dancers_<j>``, the dancers for site ``j`` at the end (NaN for sites the swarm does not
    have).
``"sim.models.nest_site.measures:SWARM_STEPS"``
    One swarm per run recorded step by step: rounds ``0 .. horizon`` (0: the start), each
    with ``dancers_<j>`` and the ``plurality`` and ``twice`` sites of that step's dancers.

:func:`point_summary` turns the stored runs of ``SWARMS`` into one row per parameter point:
the shares of :meth:`sim.models.nest_site.kernel.SwarmBatch.summary`, each with its Wilson
95 % interval, the share of runs each site wins by plurality and the mean final dancers;
:func:`plot_shares` draws such a share per assessment noise (legend: :func:`shares_legend`).

:class:`SwarmSweepConfig` is what the nest-site experiments' configs share: ``runs`` swarms
per point, the ``swarm`` every point shares and the checks on it.

Examples
--------
>>> from sim.models.nest_site.params import NestSiteParams
>>> params = NestSiteParams(n_agents=30, qualities=[5, 10], horizon=40)
>>> values = SWARMS.run_batch(params, np.array([1, 2, 3]), ("plurality", "dancers_1",
...                                                         "dancers_2"))
>>> values["plurality"].shape, bool(np.isnan(values["dancers_2"]).all())
((3,), True)
>>> steps = SWARM_STEPS.run_batch(params, np.array([1]), ("dancers_0",))
>>> steps["dancers_0"].shape == (1, len(SWARM_STEPS.rounds_of(params)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim.config import ExperimentConfig, reject_swept_settings
from sim.models.nest_site.kernel import simulate_swarms
from sim.models.nest_site.params import NestSiteParams
from sim.models.nest_site.rules import consensus
from sim.models.nest_site.sweep import MODEL as NEST_SITE
from sim.stats import wilson_interval
from sim.sweep.models import SweepModel

__all__ = ["SWARMS", "SWARM_STEPS", "SWARMS_PATH", "SWARM_STEPS_PATH", "MAX_SITES",
           "MODEL_METRICS", "SUMMARY_METRICS", "dancer_metrics", "summary_metrics", "stage_fixed",
           "point_summary", "plot_shares", "shares_legend", "site_colours", "SwarmSweepConfig"]

#: How a stage names :data:`SWARMS` and :data:`SWARM_STEPS` (by import path).
SWARMS_PATH = "sim.models.nest_site.measures:SWARMS"
SWARM_STEPS_PATH = "sim.models.nest_site.measures:SWARM_STEPS"

#: Sites a swarm may have for these measures (one ``dancers_<j>`` metric per site).
MAX_SITES = 20

#: The registered model's metrics, computed here the same way from the same batch.
MODEL_METRICS = ("chosen_best", "plurality_best", "twice_best", "decided", "decision_time",
                 "steps")

#: Shares of runs per point (name -> the stored metric and the test on it).
SHARES = {"p_best": ("chosen_best", lambda v: v > 0.5),
          "p_best_plurality": ("plurality_best", lambda v: v > 0.5),
          "p_best_twice": ("twice_best", lambda v: v > 0.5),
          "p_twice_any": ("twice", lambda v: v >= 0),
          "p_no_plurality": ("plurality", lambda v: v < 0),
          "p_decided": ("decided", lambda v: v > 0.5)}

#: What :func:`point_summary` needs of every swarm, besides the dancers per site.
SUMMARY_METRICS = ("chosen", "chosen_best", "plurality", "plurality_best", "twice",
                   "twice_best", "decided", "decision_time")


def dancer_metrics(n_sites: int) -> tuple[str, ...]:
    """The ``dancers_<j>`` metric names of a swarm with ``n_sites`` sites.

    Examples
    --------
    >>> dancer_metrics(3)
    ('dancers_0', 'dancers_1', 'dancers_2')
    """
    if not 1 <= n_sites <= MAX_SITES:
        raise ValueError(f"these measures record at most {MAX_SITES} sites, got {n_sites}")
    return tuple(f"dancers_{j}" for j in range(n_sites))


def summary_metrics(n_sites: int) -> tuple[str, ...]:
    """The metrics a stage of :data:`SWARMS` records for :func:`point_summary`: the
    :data:`SUMMARY_METRICS`, then the dancers per site.

    Examples
    --------
    >>> summary_metrics(2)[-3:]
    ('decision_time', 'dancers_0', 'dancers_1')
    """
    return SUMMARY_METRICS + dancer_metrics(n_sites)


def stage_fixed(swarm: NestSiteParams, swept: Sequence[str] = ()) -> dict:
    """The swarm's parameters as a stage's ``fixed``: those set to other than their defaults,
    less the ``swept`` ones (a default fills itself in; a point's key, and so its seeds,
    depend on what differs from the defaults, as in a sweep config naming only those).

    Examples
    --------
    >>> stage_fixed(NestSiteParams(n_agents=60, noise=1.0, interdependence=0.8), ["noise"])
    {'n_agents': 60}
    >>> stage_fixed(NestSiteParams(qualities=[10.0, 10.0]))
    {'qualities': [10.0, 10.0]}
    """
    return {k: v for k, v in swarm.model_dump(mode="json", exclude_defaults=True).items()
            if k not in swept}


def _per_site(counts: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """``dancers_<j>`` from counts whose last axis is the site (NaN beyond the last site)."""
    n_sites = counts.shape[-1]
    out = {}
    for j in range(MAX_SITES):
        name = f"dancers_{j}"
        if name in metrics:
            out[name] = counts[..., j].astype(float) if j < n_sites \
                else np.full(counts.shape[:-1], np.nan)
    return out


def run_swarms(params: NestSiteParams, seeds: np.ndarray,
               metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One swarm per seed: the outcome (see the module docstring), one value per run.

    Examples
    --------
    >>> values = run_swarms(NestSiteParams(horizon=30), np.array([4, 5]), ["steps", "chosen"])
    >>> values["steps"].tolist(), bool(np.isin(values["chosen"], [-1, 0, 1, 2, 3, 4]).all())
    ([30.0, 30.0], True)
    """
    batch = simulate_swarms(params, seeds)
    decided = batch.decision_time >= 0
    values = {"chosen_best": batch.best, "plurality_best": batch.plurality_best,
              "twice_best": batch.twice_best, "decided": decided,
              "decision_time": np.where(decided, batch.decision_time, np.nan),
              "steps": batch.steps, "chosen": batch.chosen, "plurality": batch.plurality,
              "twice": batch.twice, **_per_site(batch.final_dancers, metrics)}
    return {name: np.asarray(values[name], dtype=float) for name in metrics}


def run_swarm_steps(params: NestSiteParams, seeds: np.ndarray,
                    metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """One swarm per seed, step by step: arrays of shape (runs, horizon + 1).

    After a quorum decision the steps repeat the state at the decision (as the kernel
    records them).
    """
    dancers = simulate_swarms(params, seeds, record_dancers=True).dancers
    values = _per_site(dancers, metrics)
    if "plurality" in metrics or "twice" in metrics:
        leads = np.array([[consensus(step) for step in run] for run in dancers.astype(np.int64)],
                         dtype=float).reshape(dancers.shape[0], dancers.shape[1], 2)
        values["plurality"], values["twice"] = leads[..., 0], leads[..., 1]
    return {name: values[name] for name in metrics}


def _steps(params: NestSiteParams) -> tuple[int, ...]:
    return tuple(range(params.horizon + 1))


def _seconds_per_run(point: Mapping[str, Any]) -> float:
    # about 50 ns per scout and step on one core (200 scouts x 300 steps: 3 ms)
    return 5e-8 * point.get("n_agents", 200) * point.get("horizon", 300)


SWARMS = SweepModel(
    params_schema=NestSiteParams,
    run_batch=run_swarms,
    metrics=MODEL_METRICS + ("chosen", "plurality", "twice") + dancer_metrics(MAX_SITES),
    default_metrics=("chosen", "plurality", "twice", "plurality_best", "twice_best"),
    seconds_per_run=_seconds_per_run,
    warm_up=NEST_SITE.warm_up,
    example=NEST_SITE.example,
    trajectories=NEST_SITE.trajectories,
)
"""One swarm per run: which site won and the dancers per site at the end."""

SWARM_STEPS = SweepModel(
    params_schema=NestSiteParams,
    run_batch=run_swarm_steps,
    metrics=("plurality", "twice") + dancer_metrics(MAX_SITES),
    default_metrics=("plurality", "twice"),
    rounds=_steps,
    seconds_per_run=_seconds_per_run,
    warm_up=NEST_SITE.warm_up,
    example=NEST_SITE.example,
    trajectories=NEST_SITE.trajectories,
)
"""One swarm per run, recorded step by step (round = step)."""


def point_summary(runs: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    """One row per ``point_id`` of stored ``SWARMS`` runs: ``runs``, the shares (``p_best``,
    ``p_best_plurality``, ``p_best_twice``, ``p_twice_any``, ``p_no_plurality``,
    ``p_decided``) each with ``_low`` and ``_high`` (Wilson 95 %), the mean and median
    decision time of the decided runs, ``plurality_share_<j>`` (share of runs the swarm
    chose site ``j``) and ``mean_dancers_<j>`` (mean final dancers).

    The runs must hold the metrics in :data:`SHARES`, ``decision_time``, ``chosen`` and
    ``dancers_<j>`` for every site.

    Examples
    --------
    >>> runs = pd.DataFrame({"point_id": [0, 0], "chosen_best": [1.0, 0.0],
    ...                      "plurality_best": [1.0, 0.0], "twice_best": [0.0, 0.0],
    ...                      "twice": [-1.0, -1.0], "plurality": [1.0, 0.0],
    ...                      "decided": [0.0, 0.0], "decision_time": [np.nan, np.nan],
    ...                      "chosen": [1.0, 0.0], "dancers_0": [3.0, 5.0],
    ...                      "dancers_1": [6.0, 4.0]})
    >>> row = point_summary(runs, 2).iloc[0]
    >>> int(row.runs), float(row.p_best), float(row.plurality_share_1), float(row.mean_dancers_0)
    (2, 0.5, 0.5, 4.0)
    """
    rows = []
    for point_id, part in runs.groupby("point_id", sort=True):
        n = len(part)
        row: dict[str, Any] = {"point_id": int(point_id), "runs": n}
        for name, (metric, test) in SHARES.items():
            k = int(np.count_nonzero(test(part[metric].to_numpy())))
            row[name] = k / n
            row[f"{name}_low"], row[f"{name}_high"] = wilson_interval(k, n)
        times = part.decision_time.dropna().to_numpy()
        row["mean_decision_time"] = float(times.mean()) if times.size else float("nan")
        row["median_decision_time"] = float(np.median(times)) if times.size else float("nan")
        chosen = part.chosen.to_numpy()
        for j in range(n_sites):
            row[f"plurality_share_{j}"] = float(np.mean(chosen == j))
        for j in range(n_sites):
            row[f"mean_dancers_{j}"] = float(part[f"dancers_{j}"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def plot_shares(ax, points: pd.DataFrame, x: str, key: str, colours: Sequence,
                dotted: Callable[[pd.DataFrame], Any] | None = None,
                apart: Callable[[pd.Series], Any] | None = None) -> None:
    """Draw the share ``key`` of a :func:`point_summary` table against ``x``, one line per
    assessment noise (``noise``, in increasing order, coloured by ``colours``) over its Wilson
    95 % band (``key_low`` to ``key_high``), and ``dotted(part)`` of each noise's rows as a
    dotted line with open square markers (visible where it lies on the solid line) when
    given. Points where ``apart(part[x])`` is true (a degenerate end of the range, say) are
    drawn as open rings (smaller noise by noise, so equal values stay visible), joined to no
    line and outside the band.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> points = pd.DataFrame({"noise": [0.2, 0.2, 0.2], "copying": [0.0, 0.5, 1.0],
    ...                        "p_best": [0.9, 0.5, 0.0], "p_best_low": [0.8, 0.4, 0.0],
    ...                        "p_best_high": [0.95, 0.6, 0.01]})
    >>> fig, ax = plt.subplots()
    >>> plot_shares(ax, points, "copying", "p_best", ["C0"], dotted=lambda part: part.p_best / 2,
    ...             apart=lambda x: x == 1.0)
    >>> len(ax.lines), len(ax.collections), len(ax.lines[0].get_xdata())
    (3, 1, 2)
    >>> plt.close(fig)
    """
    noises = sorted(points.noise.unique())
    for k, (colour, noise) in enumerate(zip(colours, noises)):
        part = points[np.isclose(points.noise, noise)].sort_values(x)
        away = (np.asarray(apart(part[x]), dtype=bool) if apart is not None
                else np.zeros(len(part), dtype=bool))
        joined = part[~away]
        ax.fill_between(joined[x], joined[f"{key}_low"], joined[f"{key}_high"], color=colour,
                        alpha=0.2, lw=0)
        ax.plot(joined[x], joined[key], "o-", color=colour, lw=2, ms=5)
        if dotted is not None:
            ax.plot(joined[x], dotted(joined), ":", color=colour, lw=1.5, marker="s", ms=6,
                    mfc="none", mew=1.0)
        if away.any():  # rings shrinking noise by noise: equal values stay visible
            ax.plot(part[x][away], part[key][away], "o", color=colour,
                    ms=7 + 3 * (len(noises) - 1 - k), mfc="none", mew=1.5, zorder=3)


def shares_legend(noises: Sequence[float], colours: Sequence) -> tuple[list, list[str]]:
    """Legend handles and labels of :func:`plot_shares`: a line per assessment noise and the
    95 % band (lists, to add more entries to).

    Examples
    --------
    >>> handles, labels = shares_legend([0.2, 1.0], ["C0", "C1"])
    >>> labels
    ['assessment noise σ = 0.2', 'assessment noise σ = 1', '95 % interval (Wilson)']
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=c, lw=2, marker="o", ms=5) for c in colours[:len(noises)]]
    labels = [f"assessment noise σ = {noise:g}" for noise in noises]
    return handles + [Patch(color="0.6", alpha=0.4)], labels + ["95 % interval (Wilson)"]


def site_colours(n_sites: int) -> list:
    """Clearly distinct colours for ``n_sites`` sites (colour-blind-safe palette, no two in
    similar hues): up to five sites the last of grey, pink, green, orange and blue, so the
    last site (in the experiments' qualities, the best) is blue.

    Examples
    --------
    >>> len(site_colours(5)), len(set(map(tuple, site_colours(5))))
    (5, 5)
    """
    import seaborn as sns

    palette = sns.color_palette("colorblind")
    # grey, pink, green, orange, blue; then brown, light blue, vermilion, yellow, light pink
    order = [7, 4, 2, 1, 0, 5, 9, 3, 8, 6]
    picked = [palette[i] for i in order[:5]][-n_sites:] if n_sites <= 5 else \
        [palette[i] for i in order[:5]] + [palette[i] for i in order[5:n_sites]]
    if n_sites > len(order):
        picked += list(sns.color_palette("husl", n_sites - len(order)))
    return picked


class SwarmSweepConfig(ExperimentConfig):
    """What the configs of the nest-site experiments share: ``runs`` swarms at every point of a
    sweep over some of the swarm's parameters, and the ``swarm`` every point shares (the
    model's own schema, :class:`NestSiteParams`).

    A subclass names the parameters it sweeps in ``SWEPT`` (each swept by a top-level list of
    the same name, so ``swarm`` may not set it) and sets ``TO_THE_HORIZON`` when every swarm
    runs to the horizon (``swarm`` may then set no quorum).

    Examples
    --------
    >>> class Noise(SwarmSweepConfig):
    ...     SWEPT = ("noise",)
    ...     noise: list[float]
    >>> config = Noise(experiment="noise", seed=1, noise=[0.2, 1.0],
    ...                swarm=NestSiteParams(n_agents=60))
    >>> config.fixed()
    {'n_agents': 60}
    >>> Noise(experiment="noise", seed=1, noise=[0.2], swarm=NestSiteParams(noise=1.0))
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Noise
      Value error, swarm.noise: swept by the top-level 'noise' list; remove it from swarm ...
    """

    #: The swarm's parameters the experiment sweeps (top-level lists of the same names).
    SWEPT: ClassVar[tuple[str, ...]] = ()
    #: Whether every swarm runs to the horizon, without a quorum.
    TO_THE_HORIZON: ClassVar[bool] = False

    runs: int = Field(250, ge=2, description="swarms per point")
    swarm: NestSiteParams = Field(default_factory=NestSiteParams,
                                  description="the swarm every point shares, besides the swept "
                                              "parameters")

    @model_validator(mode="after")
    def _check_swarm(self) -> SwarmSweepConfig:
        reject_swept_settings(self.swarm, "swarm", {name: name for name in self.SWEPT})
        if self.TO_THE_HORIZON and self.swarm.quorum is not None:
            raise ValueError("swarm.quorum: this experiment runs every swarm to the horizon; "
                             "leave the quorum out (see nest_site_quorum)")
        if self.swarm.n_sites > MAX_SITES:
            raise ValueError(f"swarm.qualities: at most {MAX_SITES} sites")
        return self

    def fixed(self) -> dict:
        """The swarm's parameters every point shares (``fixed`` of the stages):
        :func:`stage_fixed` of the swarm, less the swept ones."""
        return stage_fixed(self.swarm, self.SWEPT)

"""Page of crowd estimation with social influence (Galton's ox), on Mesa and Solara.

Serve it with ``crowdsim app estimation`` (or ``solara run sim.models.estimation.app``). One
step is one round of revision: every agent revises its estimate once. The page shows

- the agents, on their network when they see network neighbours, coloured by their current
  estimate (blue below the truth, red above, white at it; the truth, the crowd's mean and its
  median are marked on the colour bar), with the influencer ringed;
- a histogram of the estimates now, over the outline of the first answers, with the truth,
  the mean and the median;
- the collective error (of the mean and of the median) and the diversity of the estimates,
  step by step (from the model's DataCollector);
- a line of numbers for the current step;
- with the communities topology, each agent ringed in its community's colour, and the error
  of the communities' own means and the diversity within and between communities step by
  step beside the crowd's;

and in the sidebar the run controls and the model's levers: crowd size, social weight and
how weights differ between agents, stubborn agents, information condition, topology (with
the communities' bridge share), influencer, truth, noise family and scale, revision space
and seed. A changed control takes effect at the next Reset; the same seed and controls
always give the same crowd.

The communities topology (:func:`sim.networks.stochastic_block`) puts the agents in
:data:`COMMUNITIES` communities whose members share part of their error (the community-shared
error control, ``correlation`` with one group per community, :data:`COMMUNITY_CORRELATION` at
first): without bridges each community settles on its own shared error; a few bridging ties
(the bridge share, Granovetter's weak ties) carry it towards the crowd's, better, mean, and
the error of the communities' means falls (as in ``configs/weak_ties.yaml``).

The controls are flat keyword arguments of :class:`EstimationApp`, a small subclass of
:class:`~sim.models.estimation.model.CrowdEstimation` that maps them to
:class:`~sim.models.estimation.params.EstimationParams` with :func:`app_params` (every other
parameter keeps the schema's default: Galton's ox, truth 1198 lb, normal errors with SD
54.9 lb). Only two values are the app's own: the starting crowd size (60 instead of 787, a
network one can see) and the number of steps (10,000, so that the page can be stepped as long
as one likes; the Mesa model stops after ``rounds`` steps).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import solara
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from sim import app_parts
from sim.metrics import GROUP_METRICS, group_metrics
from sim.models.estimation.model import CrowdEstimation
from sim.models.estimation.params import GALTON_NORMAL_SD, EstimationParams
from sim.networks.generators import communities
from sim.plots.style import PALETTE

__all__ = ["EstimationApp", "app_params", "community_spec", "usable_revision", "layout",
           "TOPOLOGIES", "INFORMATION", "INFLUENCERS", "WEIGHTS", "NOISE", "REVISION",
           "COMMUNITIES", "COMMUNITY_CORRELATION", "COMMUNITY_COLOURS", "DEFAULTS",
           "APP_ROUNDS", "MIN_AGENTS",
           "MAX_AGENTS", "CrowdView", "HistogramView", "TrajectoryView", "StepSummary",
           "model_params", "Page", "page"]

#: Steps the app's model may run before the Step and play buttons are disabled.
APP_ROUNDS = 10_000

#: Communities of the communities topology, and the share of each member's error its
#: community shares (the correlation of :mod:`sim.models.estimation.beliefs`, one group per
#: community).
COMMUNITIES = 4
COMMUNITY_CORRELATION = 0.5
#: Expected ties of an agent inside its community (the communities topology).
COMMUNITY_DEGREE = 6.0

_COMMUNITY_LABEL = f"{COMMUNITIES} communities, each sharing an error"
#: Colours of the communities' rings (the palette's last colours: the estimates use red and
#: blue).
COMMUNITY_COLOURS = [PALETTE[i] for i in (2, 4, 8, 5)]

#: Topology choices: label -> network spec (:mod:`sim.networks`; the communities' spec is
#: completed by :func:`community_spec`). Used only when the agents see their network
#: neighbours; under the other information conditions there is no network.
TOPOLOGIES: dict[str, dict] = {
    "small world (k = 4, p = 0.1)": {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.1},
    "ring lattice (k = 4)": {"kind": "ring_lattice", "degree": 4},
    "star (agent 0 the hub)": {"kind": "star"},
    "complete": {"kind": "complete"},
    _COMMUNITY_LABEL: {"kind": "stochastic_block"},
}

#: Information conditions: label -> ``EstimationParams.information``.
INFORMATION: dict[str, str] = {
    "network neighbours": "neighbours",
    "crowd mean (aggregate)": "aggregate",
    "all estimates (full)": "full",
    "none (independent)": "none",
}

#: Influencer choices: label -> influencer parameters. Agent 0 (a star's hub) is the
#: influencer; everybody sees it besides what else they see, with three times the weight of
#: anyone else (as in configs/groupthink_phase.yaml); a biased one announces the truth + 10 %
#: and never moves.
INFLUENCERS: dict[str, dict] = {
    "none": {"n_influencers": 0},
    "a hub (agent 0, weight 3, seen by all)": {
        "n_influencers": 1, "influencer_weight": 3.0, "influencer_reach": "all"},
    "a biased hub (announces truth + 10 %)": {
        "n_influencers": 1, "influencer_weight": 3.0, "influencer_reach": "all",
        "influencer_bias": 0.1},
}

#: How the agents' social weights differ: label -> weight mode and spread
#: (:func:`sim.models.estimation.rules.draw_social_weights`).
WEIGHTS: dict[str, dict] = {
    "the same w for everyone": {"weight_mode": "constant", "weight_spread": 0.0},
    "uniform, w ± 0.2": {"weight_mode": "random", "weight_spread": 0.2},
    "Beta around w (Soll & Larrick 2009)": {"weight_mode": "beta", "weight_spread": 0.5},
    "more for the less accurate (Becker et al. 2017)": {"weight_mode": "accuracy",
                                                        "weight_spread": 0.5},
}

#: Noise families: label -> ``EstimationParams.noise``. A split normal is Galton's (1907)
#: reading of the ballots: probable error 45 lb below the median and 29 above (37 overall).
NOISE: dict[str, str] = {
    "normal (Galton 1907)": "normal",
    "split normal: wider below (Galton's ballots)": "split_normal",
    "log-normal (Lorenz et al. 2011)": "lognormal",
    "log-Cauchy, heavy tails (Jayles et al. 2017)": "log_cauchy",
}
_SPLIT_BELOW, _SPLIT_ABOVE = 45.0 / 37.0, 29.0 / 37.0

#: Revision spaces: label -> ``EstimationParams.revision_space``.
REVISION: dict[str, str] = {
    "the estimate (linear)": "linear",
    "its logarithm (Lorenz et al. 2011)": "log",
}

_SCHEMA = EstimationParams.model_fields

#: The controls' starting values (the schema's defaults where it has them; the noise is
#: Galton's SD as a share of his truth, 4.6 %: 55.1 lb instead of 54.9 at 1198 lb, on the
#: slider's steps).
DEFAULTS: dict = {
    "n_agents": 60,
    "social_weight": _SCHEMA["social_weight"].default,
    "information": "network neighbours",
    "topology": "small world (k = 4, p = 0.1)",
    "influencer": "none",
    "bridge_share": 0.05,
    "community_error": COMMUNITY_CORRELATION,
    "weights": "the same w for everyone",
    "stubborn_share": _SCHEMA["stubborn_share"].default,
    "truth": int(_SCHEMA["truth"].default),
    "noise": "normal (Galton 1907)",
    "noise_level": round(GALTON_NORMAL_SD / _SCHEMA["truth"].default, 3),
    "revision": "the estimate (linear)",
    "seed": 42,
}

#: Smallest crowd the topologies accept (a ring lattice of degree 4 needs 5 agents).
MIN_AGENTS = 5
MAX_AGENTS = 300


def community_spec(n_agents: int, bridge_share: float) -> dict:
    """The communities topology's network for ``n_agents``: :data:`COMMUNITIES` blocks with
    about :data:`COMMUNITY_DEGREE` ties inside each agent's own, and ``bridge_share`` of
    its ties to other communities.

    >>> community_spec(60, 0.05)
    {'kind': 'stochastic_block', 'n_communities': 4, 'p_in': 0.42857142857142855, \
'bridge_share': 0.05}
    """
    size = n_agents / COMMUNITIES
    p_in = min(1.0, COMMUNITY_DEGREE / max(size - 1.0, 1e-9))
    return {"kind": "stochastic_block", "n_communities": COMMUNITIES, "p_in": p_in,
            "bridge_share": float(bridge_share)}


def usable_revision(revision: str, noise: str) -> tuple[str, str | None]:
    """The revision space the crowd can use with ``noise`` (labels), and the problem when
    it is not the one picked: logarithms need positive estimates, which only the
    multiplicative noise families guarantee.

    >>> usable_revision("its logarithm (Lorenz et al. 2011)", "log-normal (Lorenz et al. 2011)")
    ('its logarithm (Lorenz et al. 2011)', None)
    >>> usable_revision("its logarithm (Lorenz et al. 2011)", "normal (Galton 1907)")[1]
    'revising logarithms needs log-normal or log-Cauchy noise (positive estimates): revised \
the estimate (linear)'
    """
    space = app_parts.choose(REVISION, revision, "revision")
    family = app_parts.choose(NOISE, noise, "noise")
    if space == "log" and family not in ("lognormal", "log_cauchy"):
        return ("the estimate (linear)", "revising logarithms needs log-normal or log-Cauchy "
                "noise (positive estimates): revised the estimate (linear)")
    return revision, None


def app_params(n_agents: int = DEFAULTS["n_agents"],
               social_weight: float = DEFAULTS["social_weight"],
               information: str = DEFAULTS["information"],
               topology: str = DEFAULTS["topology"],
               influencer: str = DEFAULTS["influencer"],
               bridge_share: float = DEFAULTS["bridge_share"],
               weights: str = DEFAULTS["weights"],
               stubborn_share: float = DEFAULTS["stubborn_share"],
               truth: float = DEFAULTS["truth"], noise: str = DEFAULTS["noise"],
               noise_level: float = DEFAULTS["noise_level"],
               revision: str = DEFAULTS["revision"],
               community_error: float = DEFAULTS["community_error"]) -> EstimationParams:
    """The app's controls as validated model parameters.

    The topology applies only under ``information="network neighbours"``; under the other
    conditions the crowd has no network. ``noise_level`` is the error's SD as a share of the
    truth (normal, split normal) or the SD (scale) of the log-error (log-normal,
    log-Cauchy), which is about the same for small errors. ``community_error`` is the share
    of each agent's error common to its community (``correlation``, one group per
    community), with the communities topology only.

    >>> p = app_params(n_agents=20, topology="star (agent 0 the hub)")
    >>> p.information, p.network.kind, p.n_agents, p.rounds, round(p.noise_scale, 2)
    ('neighbours', 'star', 20, 10000, 55.11)
    >>> app_params(information="crowd mean (aggregate)").network.kind
    'none'
    >>> p = app_params(noise="log-normal (Lorenz et al. 2011)", noise_level=0.5)
    >>> p.noise, p.noise_scale
    ('lognormal', 0.5)
    """
    info = app_parts.choose(INFORMATION, information, "information")
    spec = dict(app_parts.choose(TOPOLOGIES, topology, "topology"))
    influence = app_parts.choose(INFLUENCERS, influencer, "influencer")
    weighting = app_parts.choose(WEIGHTS, weights, "weights")
    family = app_parts.choose(NOISE, noise, "noise")
    space = app_parts.choose(REVISION, revision, "revision")
    n_agents, truth = int(n_agents), float(truth)
    shared = {}
    if info == "neighbours" and spec["kind"] == "stochastic_block":
        spec = community_spec(n_agents, bridge_share)
        shared = {"correlation": float(community_error), "n_groups": COMMUNITIES}
    additive = family in ("normal", "split_normal")
    scale = float(noise_level) * truth if additive else float(noise_level)
    split = ({"noise_scale_below": scale * _SPLIT_BELOW, "noise_scale_above": scale * _SPLIT_ABOVE}
             if family == "split_normal" else {})
    return EstimationParams(
        n_agents=n_agents, social_weight=float(social_weight), information=info,
        network=spec if info == "neighbours" else {"kind": "none"}, rounds=APP_ROUNDS,
        stubborn_share=float(stubborn_share), truth=truth, noise=family, noise_scale=scale,
        revision_space=space, **split, **shared, **weighting, **influence)


@app_parts.keep_own_signature
class EstimationApp(CrowdEstimation):
    """:class:`CrowdEstimation` built from the app's flat controls (what the page's Reset
    passes), with a drawing layout for the agents.

    The seed comes from a text box: text that is not a whole number >= 0 does not stop the
    page (an exception in Reset would replace the page with a traceback); the model then
    uses the default seed and says so in ``problems``, which the page shows. So does a
    revision space the noise cannot take (:func:`usable_revision`).

    >>> model = EstimationApp(n_agents=10, seed="3")
    >>> model.params.n_agents, len(model.layout), model.seed, model.seed_problem
    (10, 10, 3, None)
    >>> model.step(); bool(model.running)
    True
    >>> EstimationApp(n_agents=10, seed="abc").seed_problem
    "seed: must be a whole number >= 0; got 'abc': used seed 42"
    """

    def __init__(self, n_agents: int = DEFAULTS["n_agents"],
                 social_weight: float = DEFAULTS["social_weight"],
                 information: str = DEFAULTS["information"],
                 topology: str = DEFAULTS["topology"],
                 influencer: str = DEFAULTS["influencer"],
                 bridge_share: float = DEFAULTS["bridge_share"],
                 weights: str = DEFAULTS["weights"],
                 stubborn_share: float = DEFAULTS["stubborn_share"],
                 truth: int = DEFAULTS["truth"], noise: str = DEFAULTS["noise"],
                 noise_level: float = DEFAULTS["noise_level"],
                 revision: str = DEFAULTS["revision"],
                 community_error: float = DEFAULTS["community_error"],
                 seed: int | str = DEFAULTS["seed"]) -> None:
        revision, self.revision_problem = usable_revision(revision, noise)
        params = app_params(n_agents, social_weight, information, topology, influencer,
                            bridge_share, weights, stubborn_share, truth, noise, noise_level,
                            revision, community_error)
        self.seed, self.seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        self.problems = [self.seed_problem, self.revision_problem]
        self.controls = {"n_agents": params.n_agents, "social_weight": params.social_weight,
                         "information": information, "topology": topology,
                         "influencer": influencer, "bridge_share": float(bridge_share),
                         "weights": weights, "stubborn_share": params.stubborn_share,
                         "truth": params.truth, "noise": noise,
                         "noise_level": float(noise_level), "revision": revision,
                         "community_error": float(community_error), "seed": self.seed}
        super().__init__(rng=self.seed, **params.model_dump())
        self.layout = layout(params.n_agents, params.network.kind)
        #: Each agent's community (the communities topology), else None.
        self.communities = (communities(params.n_agents, COMMUNITIES)
                            if params.network.kind == "stochastic_block" else None)
        #: Per step, the communities' measures (:func:`sim.metrics.group_metrics`).
        self.community_record: dict[str, list[float]] = {name: [] for name in GROUP_METRICS}
        self._record_communities()

    def step(self) -> None:
        """One round of revision, then the communities' measures."""
        super().step()
        self._record_communities()

    def _record_communities(self) -> None:
        if self.communities is None:
            return
        values = group_metrics(self.estimates, self.truth, self.communities)
        for name, value in values.items():
            self.community_record[name].append(float(value))


def layout(n: int, kind: str) -> np.ndarray:
    """Node positions, shape (n, 2): a circle (the ring lattice's and small world's natural
    picture), the hub of a star in the middle, each community of the communities topology
    on a small circle of its own.

    >>> layout(5, "star")[0].tolist()
    [0.0, 0.0]
    """
    if kind == "stochastic_block":
        labels = communities(n, COMMUNITIES)
        out = np.empty((n, 2))
        for c in range(COMMUNITIES):
            members = np.flatnonzero(labels == c)
            centre = 0.62 * np.array([np.cos(np.pi / 4 + c * np.pi / 2),
                                      np.sin(np.pi / 4 + c * np.pi / 2)])
            angle = 2 * np.pi * np.arange(len(members)) / max(len(members), 1)
            out[members] = centre + 0.36 * np.c_[np.cos(angle), np.sin(angle)]
        return out
    angle = 2 * np.pi * np.arange(n) / n
    if kind == "star":
        angle = 2 * np.pi * np.arange(n - 1) / max(n - 1, 1)
        return np.vstack([[0.0, 0.0], np.c_[np.cos(angle), np.sin(angle)]])
    return np.c_[np.cos(angle), np.sin(angle)]


# ---------------------------------------------------------------------------------------
# views

_WHAT_THEY_SEE = {
    "neighbours": "each sees its network neighbours",
    "aggregate": "each sees the mean of the others",
    "full": "each sees every other estimate",
    "none": "nobody sees anybody",
}
_CMAP = "RdBu_r"
_MARKS = (("truth", "-", 2.6), ("mean", "--", 1.5), ("median", ":", 1.6))


def colour_range(model: EstimationApp) -> Normalize:
    """The estimates' colour scale, fixed for a crowd: the truth in the middle (white), half
    a width of the 98th percentile of the first answers' distance from it (a few
    heavy-tailed outliers do not wash the colours out)."""
    first = np.array([a.first_estimate for a in model.crowd])
    half = float(np.quantile(np.abs(first - model.truth), 0.98)) if len(first) else 0.0
    half = half if half > 0 else max(abs(model.truth) * 0.05, 1.0)
    return Normalize(model.truth - half, model.truth + half)


class CrowdView(app_parts.LiveFigure):
    """The agents on their network (or a circle without one), coloured by estimate."""

    def __init__(self, model: EstimationApp) -> None:
        super().__init__(figsize=(5.0, 3.5))
        p = model.params
        self.norm = norm = colour_range(model)
        pos = model.layout
        with app_parts.themed():
            ax = self.fig.add_axes((0.0, 0.0, 0.60, 0.90))
            ax.set_axis_off()
            ax.set_aspect("equal")
            ax.set_xlim(-1.12, 1.12)
            ax.set_ylim(-1.12, 1.12)
            graph = model.graph
            rows = np.repeat(np.arange(p.n_agents), np.diff(graph.indptr))
            cols = np.asarray(graph.indices)
            upper = rows < cols
            if upper.any():
                many = upper.sum() > 2000
                ax.add_collection(LineCollection(
                    np.stack([pos[rows[upper]], pos[cols[upper]]], axis=1),
                    colors="0.55", linewidths=0.4 if many else 0.7,
                    alpha=0.12 if many else 0.6, zorder=1))
            size = float(np.clip(4000 / p.n_agents, 10, 120))
            grouped = model.communities is not None
            # with communities, each agent is ringed in its community's colour
            rings = ([COMMUNITY_COLOURS[g % len(COMMUNITY_COLOURS)] for g in model.communities]
                     if grouped else "0.25")
            self.nodes = self.animate(ax.scatter(
                pos[:, 0], pos[:, 1], c=model.estimates, cmap=_CMAP, norm=norm, s=size,
                edgecolors=rings, linewidths=1.8 if grouped else 0.6, zorder=2))
            if grouped:
                for g in range(COMMUNITIES):
                    centre = pos[model.communities == g].mean(axis=0)
                    ax.text(*centre, f"C{g + 1}", ha="center", va="center", fontsize=9,
                            fontweight="bold", color=COMMUNITY_COLOURS[g], zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                  "alpha": 0.85})
            if p.n_influencers:
                ax.scatter(pos[:1, 0], pos[:1, 1], s=size * 3.2, facecolors="none",
                           edgecolors="black", linewidths=2.0, zorder=3)
                ax.annotate("influencer", pos[0], xytext=(0, 10), textcoords="offset points",
                            ha="center", fontsize=9, fontweight="bold", zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                  "alpha": 0.8})
            bar_ax = self.fig.add_axes((0.62, 0.08, 0.035, 0.78))
            bar = self.fig.colorbar(self.nodes, cax=bar_ax, extend="both")
            bar.ax.tick_params(labelsize=8)
            bar.outline.set_linewidth(0.5)
            self.marks = {}
            for name, style, width in _MARKS:
                line = Line2D([-0.4, 1.4], [model.truth] * 2, color="black", linestyle=style,
                              linewidth=width, transform=bar_ax.get_yaxis_transform(),
                              clip_on=False, label=name)
                self.fig.add_artist(line)
                self.marks[name] = line
            self.animate(self.marks["mean"], self.marks["median"])
            self.fig.legend(handles=list(self.marks.values()), loc="center left",
                            bbox_to_anchor=(0.745, 0.47), frameon=False, fontsize=9,
                            handlelength=1.8, alignment="left",
                            title="colour: estimate,\nblue below the\ntruth, red above\n\n"
                                  "on the colour bar:", title_fontsize=9)
            what = _WHAT_THEY_SEE[p.information]
            if grouped:
                what += "; ring: community"
            self.fig.text(0.01, 0.96, f"The agents now: {what}", fontsize=10, va="top")

    def update(self, model: EstimationApp) -> None:
        x = model.estimates
        mean, median = float(np.mean(x)), float(np.median(x))
        self.nodes.set_array(x)
        low, high = self.norm.vmin, self.norm.vmax
        for name, value in (("mean", mean), ("median", median)):
            self.marks[name].set_ydata([min(max(value, low), high)] * 2)


class HistogramView(app_parts.LiveFigure):
    """The estimates now as a histogram over the colour scale's range (bars coloured as
    the agents), the first answers' outline behind it, and the truth, mean and median."""

    BINS = 30

    def __init__(self, model: EstimationApp) -> None:
        super().__init__(figsize=(5.0, 3.5))
        norm = colour_range(model)
        self.edges = np.linspace(norm.vmin, norm.vmax, self.BINS + 1)
        first = np.array([a.first_estimate for a in model.crowd])
        first_counts = self._counts(first)[0]
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.12, 0.14, 0.84, 0.68))
            centres = (self.edges[:-1] + self.edges[1:]) / 2
            self.counts = np.zeros(self.BINS, dtype=np.int64)
            self.bars = self.animate(ax.add_collection(PolyCollection(
                self._bar_verts(self.counts), facecolors=mpl.colormaps[_CMAP](norm(centres)),
                edgecolors="0.3", linewidths=0.4, zorder=2)))  # one artist: one draw
            ax.stairs(first_counts, self.edges, color="0.35", linestyle="--", linewidth=1.1,
                      zorder=3, label="first answers")
            ax.axvline(model.truth, color="black", linewidth=2.2, zorder=4, label="truth")
            self.mean = self.animate(ax.axvline(model.truth, color="black", linestyle="--",
                                                linewidth=1.4, zorder=4, label="mean"))
            self.median = self.animate(ax.axvline(model.truth, color="black", linestyle=":",
                                                  linewidth=1.5, zorder=4, label="median"))
            ax.set_xlim(self.edges[0], self.edges[-1])
            ax.set_ylim(0, app_parts.nice_limit(max(1.0, first_counts.max() * 1.15)))
            ax.set_xlabel("estimate (lb)", fontsize=9)
            ax.set_ylabel("agents", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.84), ncols=4,
                            fontsize=8, frameon=False, handlelength=1.5, columnspacing=1.0)
            self.fig.text(0.01, 0.96, "The estimates now (bars) and the first answers",
                          fontsize=10, va="top")
            self.outside = self.animate(ax.text(0.99, 0.97, "", transform=ax.transAxes,
                                                ha="right", va="top", fontsize=8,
                                                color="0.3"))

    def _bar_verts(self, counts: np.ndarray) -> np.ndarray:
        """The bars' corners, shape (bins, 4, 2)."""
        left, right = self.edges[:-1], self.edges[1:]
        zero = np.zeros_like(left)
        return np.stack([np.c_[left, zero], np.c_[left, counts], np.c_[right, counts],
                         np.c_[right, zero]], axis=1)

    def _counts(self, x: np.ndarray) -> tuple[np.ndarray, int, int]:
        counts, _ = np.histogram(x, self.edges)
        return counts, int((x < self.edges[0]).sum()), int((x > self.edges[-1]).sum())

    def update(self, model: EstimationApp) -> None:
        x = model.estimates
        counts, below, above = self._counts(x)
        self.counts = counts
        self.bars.set_verts(self._bar_verts(counts))
        self.grow(self.ax, "y", counts.max() * 1.08 if len(counts) else 1.0)
        self.mean.set_xdata([float(np.mean(x))] * 2)
        self.median.set_xdata([float(np.median(x))] * 2)
        self.outside.set_text(f"outside the range: {below} below, {above} above"
                              if below or above else "")


class TrajectoryView(app_parts.LiveFigure):
    """The collective error (of the mean, of the median) and the diversity of the
    estimates, step by step (the model's DataCollector)."""

    def __init__(self, model: EstimationApp) -> None:
        super().__init__(figsize=(5.0, 3.5))
        with app_parts.themed():
            self.error_ax = top = self.fig.add_axes((0.14, 0.55, 0.82, 0.35))
            self.diversity_ax = bottom = self.fig.add_axes((0.14, 0.12, 0.82, 0.33),
                                                           sharex=top)
            self.lines = {
                "error_of_mean": top.plot([], [], color=PALETTE[0], linewidth=1.6,
                                          label="error of the mean")[0],
                "error_of_median": top.plot([], [], color=PALETTE[1], linewidth=1.6,
                                            linestyle="--", label="error of the median")[0],
                "diversity": bottom.plot([], [], color=PALETTE[2], linewidth=1.6,
                                         label="diversity")[0],
            }
            self.grouped = model.communities is not None
            if self.grouped:  # the communities' own means, and where the diversity lies
                self.lines["error_of_group_means"] = top.plot(
                    [], [], color=PALETTE[4], linewidth=1.6, linestyle="-.",
                    label="error of the communities' means")[0]
                self.lines["within_group_diversity"] = bottom.plot(
                    [], [], color=PALETTE[2], linewidth=1.4, linestyle="--",
                    label="within communities")[0]
                self.lines["between_group_diversity"] = bottom.plot(
                    [], [], color=PALETTE[4], linewidth=1.4, linestyle="-.",
                    label="between communities")[0]
            self.animate(*self.lines.values())
            top.set_xlim(0, 10)
            top.set_ylim(0, 1)
            bottom.set_ylim(0, 1)
            top.tick_params(labelsize=8, labelbottom=False)
            bottom.tick_params(labelsize=8)
            top.set_ylabel("error (lb)", fontsize=9)
            bottom.set_ylabel("variance (lb²)", fontsize=9)
            bottom.set_xlabel("step", fontsize=9)
            top.legend(loc="upper right", fontsize=8, frameon=True, framealpha=0.8,
                       handlelength=2.0)
            bottom.legend(loc="upper right", fontsize=8, frameon=True, framealpha=0.8)
            self.fig.text(0.01, 0.96, "Collective error and diversity by step", fontsize=10,
                          va="top")

    def update(self, model: EstimationApp) -> None:
        data = {**model.datacollector.model_vars, **model.community_record}
        steps = np.arange(len(data["diversity"]))
        markers = "o" if len(steps) <= 60 else ""
        for name, line in self.lines.items():
            line.set_data(steps, data[name])
            line.set_marker(markers)
            line.set_markersize(3)
        self.grow(self.error_ax, "x", float(steps[-1]) if len(steps) else 0.0, floor=10)
        errors = ["error_of_mean", "error_of_median"] + (
            ["error_of_group_means"] if self.grouped else [])
        self.grow(self.error_ax, "y", 1.05 * max(max(data[name]) for name in errors))
        self.grow(self.diversity_ax, "y", 1.05 * max(data["diversity"]))


AgentView = app_parts.live_view(
    CrowdView, "Page component: the agents on their network, coloured by estimate.")
EstimateHistogram = app_parts.live_view(
    HistogramView, "Page component: a histogram of the estimates now.")
ErrorAndDiversity = app_parts.live_view(
    TrajectoryView, "Page component: collective error and diversity by step.")


def StepSummary(model: EstimationApp):
    """Page component: the current step's numbers, and the settings that made the crowd."""
    data = model.datacollector.model_vars
    c = model.controls
    p = model.params
    topology = c["topology"] if p.information == "neighbours" else "no network"
    if p.network.kind == "stochastic_block":
        topology += (f", bridge share {c['bridge_share']:.2f}, community-shared error "
                     f"ρ {c['community_error']:.2f}")
    with app_parts.summary_column(f"Step {model.steps}", model.problems,
                                  app_parts.reset_note("crowd")):
        solara.Text(f"error of the mean {data['error_of_mean'][-1]:.2f} lb · error of the "
                    f"median {data['error_of_median'][-1]:.2f} lb · diversity "
                    f"{data['diversity'][-1]:.1f} lb² · mean individual error "
                    f"{data['mean_individual_error'][-1]:.1f} lb")
        if model.communities is not None:
            record = model.community_record
            solara.Text(f"error of the communities' own means "
                        f"{record['error_of_group_means'][-1]:.2f} lb (at the start "
                        f"{record['error_of_group_means'][0]:.2f}) · diversity within "
                        f"communities {record['within_group_diversity'][-1]:.1f} lb², "
                        f"between them {record['between_group_diversity'][-1]:.1f} lb²")
        solara.Text(f"{c['n_agents']} agents · social weight {c['social_weight']:.2f} "
                    f"({c['weights']}) · stubborn {c['stubborn_share']:.0%} · information: "
                    f"{c['information']} · topology: {topology} · influencer: "
                    f"{c['influencer']}")
        solara.Text(f"truth {c['truth']:g} lb · noise: {c['noise']}, "
                    f"{c['noise_level']:.1%} · revising {c['revision']} · seed {c['seed']}")


#: The page's controls -> keyword arguments of :class:`EstimationApp`.
model_params: dict = {
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Agents",
                 "min": MIN_AGENTS, "max": MAX_AGENTS, "step": 1},
    "social_weight": {"type": "SliderFloat", "value": DEFAULTS["social_weight"],
                      "label": "Social weight w", "min": 0.0, "max": 1.0, "step": 0.05},
    "weights": {"type": "Select", "value": DEFAULTS["weights"], "label": "Weights",
                "values": list(WEIGHTS)},
    "stubborn_share": {"type": "SliderFloat", "value": DEFAULTS["stubborn_share"],
                       "label": "Stubborn agents", "min": 0.0, "max": 1.0, "step": 0.05,
                       "format": "{:.0%}", "help": "share of agents who never move"},
    "information": {"type": "Select", "value": DEFAULTS["information"],
                    "label": "Information", "values": list(INFORMATION)},
    "topology": {"type": "Select", "value": DEFAULTS["topology"],
                 "label": "Topology (with network neighbours)", "values": list(TOPOLOGIES)},
    "bridge_share": {"type": "SliderFloat", "value": DEFAULTS["bridge_share"],
                     "label": "Bridge share", "min": 0.0, "max": 0.5, "step": 0.01,
                     "help": "communities: share of each agent's ties to other communities"},
    "community_error": {"type": "SliderFloat", "value": DEFAULTS["community_error"],
                        "label": "Community-shared error ρ", "min": 0.0, "max": 0.95,
                        "step": 0.05,
                        "help": "communities: share of each agent's error common to its "
                                "community (independent between communities)"},
    "influencer": {"type": "Select", "value": DEFAULTS["influencer"], "label": "Influencer",
                   "values": list(INFLUENCERS)},
    "truth": {"type": "SliderInt", "value": DEFAULTS["truth"], "label": "Truth (lb)",
              "min": 100, "max": 3000, "step": 1},
    "noise": {"type": "Select", "value": DEFAULTS["noise"], "label": "Noise family",
              "values": list(NOISE)},
    "noise_level": {"type": "SliderFloat", "value": DEFAULTS["noise_level"],
                    "label": "Noise scale", "min": 0.0, "max": 0.5, "step": 0.001,
                    "format": "{:.1%}",
                    "help": "error SD as a share of the truth (log families: SD of the "
                            "log-error)"},
    "revision": {"type": "Select", "value": DEFAULTS["revision"], "label": "Agents revise",
                 "values": list(REVISION)},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

NAME = "Crowd estimation with social influence (Galton's ox)"
INTRO = ("One step: every agent revises its estimate once, towards what it sees. Press ▶ to "
         "play, or Step; change a parameter, then Reset.")


@solara.component
def Page():
    """The page (one model per browser page)."""
    app_parts.ModelPage(EstimationApp,
                        [AgentView, EstimateHistogram, ErrorAndDiversity, StepSummary],
                        model_params, name=NAME, intro=INTRO)


page = Page()

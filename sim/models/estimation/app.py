"""Mesa SolaraViz page for the estimation model with social influence.

Serve it with ``crowdsim app estimation`` (or ``solara run sim.models.estimation.app``). The
page shows

- the agents, on their network when they see network neighbours, coloured by their current
  estimate (blue below the truth, red above, white at it; the truth, the crowd's mean and its
  median are marked on the colour bar), with the influencer ringed;
- the collective error (of the mean and of the median) and the diversity of the estimates,
  round by round (Mesa's ``make_plot_component`` on the model's DataCollector);
- a line of numbers for the current round;

and in the sidebar Mesa's controls (Reset, play, Step) and the model parameters: crowd size,
social weight, information condition, topology, influencer and seed. A changed control takes
effect at the next Reset; the same seed and controls always give the same crowd.

The controls are flat keyword arguments of :class:`EstimationApp`, a small subclass of
:class:`~sim.models.estimation.model.CrowdEstimation` that maps them to
:class:`~sim.models.estimation.params.EstimationParams` with :func:`app_params` (every other
parameter keeps the schema's default: Galton's ox, truth 1198 lb, normal errors with SD
54.9 lb). Only two values are the app's own: the starting crowd size (60 instead of 787, a
network one can see) and the number of rounds (10,000, so that the page can be stepped as long
as one likes; the Mesa model stops after ``rounds`` steps).
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import networkx as nx
import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component

from sim import app_parts
from sim.models.estimation.model import CrowdEstimation
from sim.models.estimation.params import EstimationParams

__all__ = ["EstimationApp", "app_params", "TOPOLOGIES", "INFORMATION",
           "INFLUENCERS", "DEFAULTS", "APP_ROUNDS", "model_params", "page"]

#: Rounds the app's model may run before Mesa's Step and play buttons are disabled.
APP_ROUNDS = 10_000

#: Topology choices: label -> network spec (:mod:`sim.networks`). Used only when the agents
#: see their network neighbours; under the other information conditions there is no network.
TOPOLOGIES: dict[str, dict] = {
    "small world (k = 4, p = 0.1)": {"kind": "watts_strogatz", "degree": 4, "rewire_p": 0.1},
    "ring lattice (k = 4)": {"kind": "ring_lattice", "degree": 4},
    "star (agent 0 the hub)": {"kind": "star"},
    "complete": {"kind": "complete"},
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

_SCHEMA = EstimationParams.model_fields

#: The controls' starting values (the social weight is the schema's default).
DEFAULTS: dict = {
    "n_agents": 60,
    "social_weight": _SCHEMA["social_weight"].default,
    "information": "network neighbours",
    "topology": "small world (k = 4, p = 0.1)",
    "influencer": "none",
    "seed": 42,
}

#: Smallest crowd the topologies accept (a ring lattice of degree 4 needs 5 agents).
MIN_AGENTS = 5
MAX_AGENTS = 300


def app_params(n_agents: int = DEFAULTS["n_agents"],
               social_weight: float = DEFAULTS["social_weight"],
               information: str = DEFAULTS["information"],
               topology: str = DEFAULTS["topology"],
               influencer: str = DEFAULTS["influencer"]) -> EstimationParams:
    """The app's controls as validated model parameters.

    The topology applies only under ``information="network neighbours"``; under the other
    conditions the crowd has no network.

    >>> p = app_params(n_agents=20, topology="star (agent 0 the hub)")
    >>> p.information, p.network.kind, p.n_agents, p.rounds
    ('neighbours', 'star', 20, 10000)
    >>> app_params(information="crowd mean (aggregate)").network.kind
    'none'
    """
    info = app_parts.choose(INFORMATION, information, "information")
    spec = app_parts.choose(TOPOLOGIES, topology, "topology")
    influence = app_parts.choose(INFLUENCERS, influencer, "influencer")
    return EstimationParams(
        n_agents=int(n_agents), social_weight=float(social_weight), information=info,
        network=spec if info == "neighbours" else {"kind": "none"}, rounds=APP_ROUNDS,
        **influence)


class EstimationApp(CrowdEstimation):
    """:class:`CrowdEstimation` built from the app's flat controls (what SolaraViz's Reset
    passes), with a drawing layout for the agents.

    The seed comes from a text box: text that is not a whole number >= 0 does not stop the
    page (Mesa's Reset has no error handling, and an exception there replaces the page with
    a traceback); the model then uses the default seed and says so in ``seed_problem``,
    which the page shows.

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
                 seed: int | str = DEFAULTS["seed"]) -> None:
        params = app_params(n_agents, social_weight, information, topology, influencer)
        self.seed, self.seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        self.controls = {"n_agents": params.n_agents, "social_weight": params.social_weight,
                         "information": information, "topology": topology,
                         "influencer": influencer, "seed": self.seed}
        super().__init__(rng=self.seed, **params.model_dump())
        self.layout = _layout(params.n_agents, params.network.kind)


def _layout(n: int, kind: str) -> dict[int, tuple[float, float]]:
    """Node positions: a circle (the ring lattice's and small world's natural picture), the
    hub of a star in the middle."""
    if kind == "star":
        return nx.shell_layout(nx.empty_graph(n), nlist=[[0], list(range(1, n))])
    return nx.circular_layout(nx.empty_graph(n))


# ---------------------------------------------------------------------------------------
# components

_WHAT_THEY_SEE = {
    "neighbours": "each agent sees its network neighbours' estimates",
    "aggregate": "each agent sees the mean of the others (no network)",
    "full": "each agent sees every other estimate (no network)",
    "none": "nobody sees anybody (no network)",
}


def draw_agents(model: EstimationApp) -> Figure:
    """The agents coloured by estimate on their network (or a circle without one)."""
    p = model.params
    x = model.estimates
    truth = model.truth
    span = 3.0 * p.noise_scale or 1.0  # +-3 SD of the private estimates: a fixed scale
    norm = mcolors.Normalize(truth - span, truth + span)
    cmap = "RdBu_r"

    fig = Figure(figsize=(5.6, 3.75), dpi=150, layout="constrained")  # a Mesa grid cell's shape
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    pos = model.layout
    nodes = list(range(p.n_agents))
    graph = model.network.G if model.network is not None else nx.empty_graph(p.n_agents)
    if graph.number_of_edges():
        nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="0.55", width=0.8,
                               alpha=0.6 if graph.number_of_edges() < 2000 else 0.15)
    size = float(np.clip(6000 / p.n_agents, 12, 150))
    nodes_drawn = nx.draw_networkx_nodes(
        graph, pos, nodelist=nodes, node_color=x, cmap=cmap, vmin=norm.vmin, vmax=norm.vmax,
        node_size=size, edgecolors="0.25", linewidths=0.8, ax=ax)
    nodes_drawn.set_zorder(2)
    if p.n_influencers:
        hub = pos[0]
        ax.scatter([hub[0]], [hub[1]], s=size * 3.2, facecolors="none", edgecolors="black",
                   linewidths=2.2, zorder=3)
        ax.annotate("influencer", hub, xytext=(0, 11), textcoords="offset points",
                    ha="center", fontsize=9, fontweight="bold", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.margins(0.08)

    mean, median = float(np.mean(x)), float(np.median(x))
    bar = fig.colorbar(nodes_drawn, ax=ax, shrink=0.95, extend="both", pad=0.01, aspect=22)
    bar.ax.tick_params(labelsize=9)
    marks = [(truth, "-", 3.0, f"truth {truth:g}"), (mean, "--", 1.6, f"mean {mean:.1f}"),
             (median, ":", 1.6, f"median {median:.1f}")]
    for value, style, width, label in marks:
        bar.ax.plot([-0.45, 1.45], [value, value], color="black", linestyle=style,
                    linewidth=width, clip_on=False, label=label)
    fig.legend(handles=bar.ax.get_lines(), loc="outside right center", frameon=False,
               fontsize=9, handlelength=2.0, title_fontsize=9, alignment="left",
               title="colour: estimate (lb),\nblue below the truth,\nred above.\n\n"
                     "on the colour bar:")
    fig.suptitle(f"Round {model.steps}: {_WHAT_THEY_SEE[p.information]}", fontsize=10)
    return fig


AgentView = app_parts.figure_view(
    draw_agents, "Mesa component: the agents on their network, coloured by estimate.")


@solara.component
def RoundSummary(model: EstimationApp):
    """Mesa component: the current round's numbers, and the settings that made the crowd."""
    row = model.datacollector.get_model_vars_dataframe().iloc[-1]
    c = model.controls
    topology = c["topology"] if model.params.information == "neighbours" else "no network"
    with app_parts.summary_column(f"Round {model.steps}", [model.seed_problem],
                                  app_parts.reset_note("crowd")):
        solara.Text(f"error of the mean {row['error_of_mean']:.2f} lb · error of the median "
                    f"{row['error_of_median']:.2f} lb · diversity {row['diversity']:.1f} lb² · "
                    f"mean individual error {row['mean_individual_error']:.1f} lb")
        solara.Text(f"{c['n_agents']} agents · social weight {c['social_weight']:.2f} · "
                    f"information: {c['information']} · topology: {topology} · influencer: "
                    f"{c['influencer']} · seed {c['seed']}")


def _round_axes(ax) -> None:
    """Shared look of the per-round plots: a shape that fits a Mesa grid cell, points on
    the lines (one round is one point), rounds from 0."""
    ax.figure.set_size_inches(5.4, 3.35)
    ax.figure.set_dpi(150)
    for line in ax.lines:
        line.set_marker("o")
        line.set_markersize(3)
    ax.set_xlim(-0.2, max(1.0, len(ax.lines[0].get_xdata()) - 0.8) if ax.lines else 1.0)
    ax.set_ylim(bottom=0)


def _error_axes(ax) -> None:
    _round_axes(ax)
    ax.legend(ax.lines, ["error of the mean", "error of the median"], loc="best")
    ax.set_ylabel("collective error (lb)")
    ax.set_title("Collective error by round (1 step = 1 round)")


def _diversity_axes(ax) -> None:
    _round_axes(ax)
    ax.get_legend().remove()
    ax.set_ylabel("diversity: variance of estimates (lb²)")
    ax.set_title("Diversity by round (1 step = 1 round)")


ErrorPlot = make_plot_component({"error_of_mean": "tab:blue", "error_of_median": "tab:orange"},
                                post_process=_error_axes)
DiversityPlot = make_plot_component({"diversity": "tab:green"}, post_process=_diversity_axes)

#: SolaraViz controls -> keyword arguments of :class:`EstimationApp`.
model_params: dict = {
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Agents",
                 "min": MIN_AGENTS, "max": MAX_AGENTS, "step": 1},
    "social_weight": {"type": "SliderFloat", "value": DEFAULTS["social_weight"],
                      "label": "Social weight w", "min": 0.0, "max": 1.0, "step": 0.05},
    "information": {"type": "Select", "value": DEFAULTS["information"],
                    "label": "Information", "values": list(INFORMATION)},
    "topology": {"type": "Select", "value": DEFAULTS["topology"],
                 "label": "Topology (with network neighbours)", "values": list(TOPOLOGIES)},
    "influencer": {"type": "Select", "value": DEFAULTS["influencer"], "label": "Influencer",
                   "values": list(INFLUENCERS)},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

page = SolaraViz(EstimationApp(), components=[AgentView, ErrorPlot, DiversityPlot, RoundSummary],
                 model_params=model_params,
                 name="Crowd estimation with social influence (Galton's ox)")
page  # noqa: B018 - solara serves the module-level ``page``

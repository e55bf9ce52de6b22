"""Mesa SolaraViz page for honeybee nest-site selection (List, Elsholtz & Seeley 2009).

Serve it with ``crowdsim app nest-site`` (or ``solara run sim.models.nest_site.app``). The
page shows

- the scouts by state: one dot per scout, coloured by the site she dances for (grey:
  uncommitted), larger for a stronger dance, outlined when she started this step (assessed
  her site, or copied it without assessing);
- the dancers per site over time (Mesa's ``make_plot_component`` on the DataCollector);
- the step's numbers and the quorum decision, if any.

Controls: interdependence lambda, copying mu, assessment noise sigma, quorum (0: none), the
number of scouts and the seed. Change them and press Reset; the same seed and controls give
the same swarm.
"""

from __future__ import annotations

import numpy as np
import seaborn as sns
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.models.estimation.app import parse_seed
from sim.models.nest_site.model import NestSiteSelection
from sim.models.nest_site.params import NestSiteParams

__all__ = ["NestSiteApp", "app_params", "page", "model_params"]

#: the page keeps stepping until a quorum (the model stops at its horizon)
APP_HORIZON = 10_000
DEFAULTS = {"n_agents": 200, "interdependence": 0.8, "copying": 0.0, "noise": 0.2,
            "quorum": 0, "seed": 42}
SITE_COLOURS = sns.color_palette("colorblind", 10)
UNCOMMITTED_COLOUR = "0.82"


def app_params(n_agents: int = DEFAULTS["n_agents"],
               interdependence: float = DEFAULTS["interdependence"],
               copying: float = DEFAULTS["copying"], noise: float = DEFAULTS["noise"],
               quorum: int = DEFAULTS["quorum"]) -> NestSiteParams:
    """The page's controls as validated model parameters (quorum 0: no quorum).

    >>> p = app_params(quorum=20)
    >>> p.quorum, p.horizon, p.qualities
    (20, 10000, [3.0, 5.0, 7.0, 9.0, 10.0])
    >>> app_params().quorum is None
    True
    """
    return NestSiteParams(n_agents=int(n_agents), interdependence=float(interdependence),
                          copying=float(copying), noise=float(noise),
                          quorum=int(quorum) if int(quorum) > 0 else None,
                          horizon=APP_HORIZON)


class NestSiteApp(NestSiteSelection):
    """:class:`NestSiteSelection` built from the page's flat controls.

    A seed that is not a whole number >= 0 does not stop the page: the default seed is used
    and ``seed_problem`` says so.

    >>> swarm = NestSiteApp(n_agents=50, seed="5")
    >>> swarm.step(); swarm.steps, swarm.seed, swarm.seed_problem
    (1, 5, None)
    >>> NestSiteApp(seed="bee").seed_problem
    "seed: must be a whole number >= 0; got 'bee': used seed 42"
    """

    def __init__(self, n_agents: int = DEFAULTS["n_agents"],
                 interdependence: float = DEFAULTS["interdependence"],
                 copying: float = DEFAULTS["copying"], noise: float = DEFAULTS["noise"],
                 quorum: int = DEFAULTS["quorum"], seed: int | str = DEFAULTS["seed"]) -> None:
        params = app_params(n_agents, interdependence, copying, noise, quorum)
        try:
            self.seed, self.seed_problem = parse_seed(seed), None
        except ValueError as exc:
            self.seed = DEFAULTS["seed"]
            self.seed_problem = f"{exc}: used seed {self.seed}"
        super().__init__(rng=self.seed, **params.model_dump())


def draw_scouts(model: NestSiteApp) -> Figure:
    """One dot per scout in a grid: colour = site, size = dance strength."""
    p = model.params
    n = p.n_agents
    columns = int(np.ceil(np.sqrt(n * 2)))
    index = np.arange(n)
    x, y = index % columns, -(index // columns)
    sites, strengths = model.sites, model.strengths
    top = max(float(max(p.qualities)) * 1.5, 1.0)
    sizes = 12 + 110 * np.clip(strengths / top, 0, 1)
    colours = [SITE_COLOURS[s % len(SITE_COLOURS)] if s >= 0 else UNCOMMITTED_COLOUR
               for s in sites]
    fresh = np.array([s.activity in ("assessed", "copied") for s in model.scouts])
    fig = Figure(figsize=(5.4, 3.6), dpi=150)
    ax = fig.add_axes((0.02, 0.02, 0.62, 0.86))
    ax.scatter(x, y, s=sizes, c=colours, edgecolors=np.where(fresh, "black", "none"),
               linewidths=0.8)
    ax.set_xlim(-1, columns)
    ax.set_ylim(y.min() - 1, 1)
    ax.set_axis_off()
    dancers = model.dancers
    handles = [ax.scatter([], [], s=40, color=SITE_COLOURS[j % len(SITE_COLOURS)],
                          label=f"site {j} (quality {q:g}): {dancers[j]}")
               for j, q in enumerate(p.qualities)]
    handles.append(ax.scatter([], [], s=40, color=UNCOMMITTED_COLOUR,
                              label=f"uncommitted: {n - dancers.sum()}"))
    handles.append(ax.scatter([], [], s=40, facecolors="white", edgecolors="black",
                              label="started this step"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.64, 0.5), fontsize=7,
               frameon=False, title="scouts (dot size:\ndance strength)", title_fontsize=7)
    state = (f"quorum reached: site {model.chosen_by_quorum} at step {model.decision_time}"
             if model.decision_time is not None else f"step {model.steps}")
    fig.suptitle(f"{n} scouts, {state}", fontsize=9)
    return fig


@solara.component
def ScoutView(model: NestSiteApp):
    """Mesa component: the scouts by state."""
    update_counter.get()
    solara.FigureMatplotlib(draw_scouts(model), format="png",
                            dependencies=[model, model.steps, update_counter.value])


@solara.component
def StepSummary(model: NestSiteApp):
    """Mesa component: the step's numbers and the settings that made the swarm."""
    update_counter.get()
    p = model.params
    with solara.Column(style={"padding": "0.5em 1em"}):
        solara.Text(f"Step {model.steps}", style={"font-weight": "bold", "font-size": "1.1em"})
        if model.seed_problem:
            solara.Warning(model.seed_problem)
        if model.decision_time is not None:
            solara.Success(f"Quorum of {p.quorum} reached at step {model.decision_time}: "
                           f"site {model.chosen_by_quorum} (quality "
                           f"{p.qualities[model.chosen_by_quorum]:g})")
        solara.Text("dancers per site: " + ", ".join(
            f"{j}: {d}" for j, d in enumerate(model.dancers)))
        solara.Text(f"lambda {p.interdependence:.2f} · mu {p.copying:.2f} · sigma "
                    f"{p.noise:.2f} · quorum {p.quorum or 'none'} · seed {model.seed}")
        solara.Text("Change a parameter, then press Reset: the same seed and parameters give "
                    "the same swarm.", style={"color": "#666"})


def _dancer_axes(ax) -> None:
    ax.figure.set_size_inches(5.4, 3.35)
    ax.figure.set_dpi(150)
    qualities = DEFAULTS_PARAMS.qualities
    ax.legend(ax.lines, [f"site {j} (quality {q:g})" for j, q in enumerate(qualities)],
              loc="upper left", fontsize=7)
    ax.set_xlabel("step")
    ax.set_ylabel("dancers (scouts)")
    ax.set_ylim(bottom=0)
    ax.set_title("Dancers per site over time")


DEFAULTS_PARAMS = app_params()
DancerPlot = make_plot_component(
    {f"dancers_{j}": SITE_COLOURS[j % len(SITE_COLOURS)]
     for j in range(len(DEFAULTS_PARAMS.qualities))}, post_process=_dancer_axes)

#: SolaraViz controls -> keyword arguments of :class:`NestSiteApp`.
model_params: dict = {
    "interdependence": {"type": "SliderFloat", "value": DEFAULTS["interdependence"],
                        "label": "Interdependence lambda", "min": 0.0, "max": 1.0,
                        "step": 0.05},
    "copying": {"type": "SliderFloat", "value": DEFAULTS["copying"],
                "label": "Copying mu (recruits who skip assessing)", "min": 0.0, "max": 1.0,
                "step": 0.05},
    "noise": {"type": "SliderFloat", "value": DEFAULTS["noise"],
              "label": "Assessment noise sigma", "min": 0.05, "max": 2.0, "step": 0.05},
    "quorum": {"type": "SliderInt", "value": DEFAULTS["quorum"],
               "label": "Quorum (0: none)", "min": 0, "max": 200, "step": 5},
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Scouts",
                 "min": 20, "max": 400, "step": 10},
    "seed": {"type": "InputText", "value": DEFAULTS["seed"], "label": "Seed"},
}

model = NestSiteApp()
page = SolaraViz(
    model,
    components=[ScoutView, DancerPlot, StepSummary],
    model_params=model_params,
    name="Honeybee nest-site selection (List, Elsholtz & Seeley 2009)",
)
page  # noqa: B018 - solara serves the module-level ``page``

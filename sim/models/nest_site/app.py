"""Page of nest-site selection by a honeybee swarm (List et al. 2009), on Mesa and Solara.

Serve it with ``crowdsim app nest-site`` (or ``solara run sim.models.nest_site.app``). The
page shows

- the scouts, one dot each, grouped by state: the dancers for each site (coloured and shaped
  by site, the dot's size the strength of her dance), then the uncommitted scouts (small grey
  rings); the legend gives each site's quality;
- the dancers per site over time (one line per site, the uncommitted scouts dashed grey,
  the quorum dotted), step by step;
- the scouts by state now: a bar per site, split into the scouts who assessed the site and
  those who copied it without assessing, and a bar of the uncommitted scouts, with the
  counts;
- a few lines of numbers for the current step: the leading site, the quorum's decision;

and in the sidebar Mesa's controls (Reset, play, Step), the speed of play and the model
parameters: the sites,
the number of scouts, interdependence (lambda), copying (mu), assessment noise (sigma), the
quorum (0: none) and the seed. A changed control takes effect at the next Reset; the same
seed and controls always give the same swarm.

The colours are seaborn's colour-blind-safe palette (its grey is kept for the uncommitted
scouts), and every site also has its own marker, so the sites can be told apart without
colour.

The controls are flat keyword arguments of :class:`NestSiteApp`, a small subclass of
:class:`~sim.models.nest_site.model.NestSiteSelection` that maps them to
:class:`~sim.models.nest_site.params.NestSiteParams` with :func:`app_params` (every other
parameter keeps the schema's default: discovery 0.1 per site, dances falling by 1 per step,
no stop signals). Only one value is the app's own: the horizon (10,000 steps instead of List
et al.'s 300, so that the page can be stepped as long as one likes; the Mesa model stops at
the horizon, or earlier when a site reaches the quorum).
"""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import numpy as np
import solara
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim import app_parts
from sim.models.nest_site.model import NestSiteSelection
from sim.models.nest_site.params import LIST2009_QUALITIES, NestSiteParams

__all__ = ["NestSiteApp", "app_params", "SITES", "DEFAULTS", "APP_HORIZON",
           "MIN_AGENTS", "MAX_AGENTS", "MAX_QUORUM", "COLORBLIND", "site_colour", "site_label",
           "ScoutView", "DancersView", "StatesView", "StepSummary", "model_params", "Page",
           "page"]

#: Steps the app's model may run before Mesa's Step and play buttons are disabled.
APP_HORIZON = 10_000

#: Candidate-site choices: label -> the sites' qualities (site 0, 1, ...).
SITES: dict[str, list[float]] = {
    "five: 3, 5, 7, 9, 10 (List et al. 2009)": list(LIST2009_QUALITIES),
    "two close: 9 and 10": [9.0, 10.0],
    "two equal: 10 and 10": [10.0, 10.0],
    "one good among poor: 4, 4, 4, 10": [4.0, 4.0, 4.0, 10.0],
}

_SCHEMA = NestSiteParams.model_fields

#: The controls' starting values (the schema's defaults; quorum 0 means none).
DEFAULTS: dict = {
    "sites": "five: 3, 5, 7, 9, 10 (List et al. 2009)",
    "n_agents": _SCHEMA["n_agents"].default,
    "interdependence": _SCHEMA["interdependence"].default,
    "copying": _SCHEMA["copying"].default,
    "noise": _SCHEMA["noise"].default,
    "quorum": 0,
    "seed": 42,
}

MIN_AGENTS = 20
MAX_AGENTS = 500
MAX_QUORUM = 200

#: seaborn's colour-blind-safe palette, ``sns.color_palette("colorblind")`` (written out: the
#: page's server need not import seaborn and scipy for ten colours); its grey (index 7) is
#: the uncommitted scouts' colour.
COLORBLIND = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
              "#949494", "#ece133", "#56b4e9"]
_PALETTE = [mcolors.to_rgb(c) for c in COLORBLIND]
UNCOMMITTED_COLOUR = _PALETTE[7]
_SITE_COLOURS = [c for i, c in enumerate(_PALETTE) if i != 7]
_SITE_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "p", "h"]


def site_colour(j: int) -> tuple[float, float, float]:
    """Site ``j``'s colour (seaborn colorblind, without its grey)."""
    return _SITE_COLOURS[j % len(_SITE_COLOURS)]


def _site_marker(j: int) -> str:
    return _SITE_MARKERS[j % len(_SITE_MARKERS)]


def site_label(j: int, quality: float) -> str:
    """A site's name in legends.

    >>> site_label(4, 10.0)
    'site 4 (quality 10)'
    """
    return f"site {j} (quality {quality:g})"


def app_params(sites: str = DEFAULTS["sites"], n_agents: int = DEFAULTS["n_agents"],
               interdependence: float = DEFAULTS["interdependence"],
               copying: float = DEFAULTS["copying"], noise: float = DEFAULTS["noise"],
               quorum: int | None = DEFAULTS["quorum"]) -> NestSiteParams:
    """The app's controls as validated model parameters (quorum 0 or None: no quorum).

    A quorum larger than the swarm can never be reached, so it means no quorum too (the
    page says so: see :class:`NestSiteApp`).

    >>> p = app_params(sites="two close: 9 and 10", n_agents=50, quorum=20)
    >>> p.qualities, p.n_agents, p.quorum, p.horizon
    ([9.0, 10.0], 50, 20, 10000)
    >>> app_params(quorum=0).quorum is None, app_params(n_agents=50, quorum=60).quorum is None
    (True, True)
    """
    qualities = app_parts.choose(SITES, sites, "sites")
    n_agents = int(n_agents)
    q = int(quorum) if quorum else 0
    return NestSiteParams(
        n_agents=n_agents, qualities=list(qualities), interdependence=float(interdependence),
        copying=float(copying), noise=float(noise),
        quorum=q if 0 < q <= n_agents else None, horizon=APP_HORIZON)


@app_parts.keep_own_signature
class NestSiteApp(NestSiteSelection):
    """:class:`NestSiteSelection` built from the app's flat controls (what the page's Reset
    passes).

    The seed comes from a text box: text that is not a whole number >= 0 does not stop the
    page (Mesa's Reset has no error handling, and an exception there replaces the page with
    a traceback); the model then uses the default seed and says so in ``seed_problem``. A
    quorum above the number of scouts is not used, and ``quorum_problem`` says so.

    >>> model = NestSiteApp(n_agents=30, seed="3")
    >>> model.params.n_agents, model.seed, model.seed_problem, model.quorum_problem
    (30, 3, None, None)
    >>> model.step(); bool(model.running)
    True
    >>> NestSiteApp(n_agents=30, seed="abc").seed_problem
    "seed: must be a whole number >= 0; got 'abc': used seed 42"
    >>> NestSiteApp(n_agents=30, quorum=50).quorum_problem
    'quorum 50 is more than the 30 scouts: no quorum'
    """

    def __init__(self, sites: str = DEFAULTS["sites"], n_agents: int = DEFAULTS["n_agents"],
                 interdependence: float = DEFAULTS["interdependence"],
                 copying: float = DEFAULTS["copying"], noise: float = DEFAULTS["noise"],
                 quorum: int = DEFAULTS["quorum"],
                 seed: int | str = DEFAULTS["seed"]) -> None:
        params = app_params(sites, n_agents, interdependence, copying, noise, quorum)
        self.seed, self.seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        asked = int(quorum) if quorum else 0
        self.quorum_problem = (f"quorum {asked} is more than the {params.n_agents} scouts: "
                               "no quorum" if asked > params.n_agents else None)
        self.controls = {"sites": sites, "n_agents": params.n_agents,
                         "interdependence": params.interdependence,
                         "copying": params.copying, "noise": params.noise,
                         "quorum": params.quorum, "seed": self.seed}
        super().__init__(rng=self.seed, **params.model_dump())

    def copied_dancers(self) -> np.ndarray:
        """Dancers per site now who copied their site without assessing it."""
        out = np.zeros(self.params.n_sites, dtype=np.int64)
        for scout in self.scouts:
            if scout.site >= 0 and scout.copied:
                out[scout.site] += 1
        return out


# ---------------------------------------------------------------------------------------
# components

def _waffle_shape(n: int, aspect: float) -> tuple[int, int]:
    """Columns and rows of a grid of ``n`` square cells about ``aspect`` (width / height)
    wide.

    >>> _waffle_shape(200, 1.0), _waffle_shape(20, 1.0)
    ((15, 14), (5, 4))
    """
    cols = max(1, math.ceil(math.sqrt(n * aspect)))
    return cols, math.ceil(n / cols)


#: The figures' size (inches): a cell of Mesa's grid (see :data:`sim.app_parts.DPI`).
_FIGSIZE = (5.0, 3.5)


class ScoutView(app_parts.LiveFigure):
    """Every scout a dot, grouped by state: the dancers for site 0, 1, ... (colour and
    marker by site, area by dance strength, strongest first), then the uncommitted."""

    def __init__(self, model: NestSiteApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        p = model.params
        n, k = p.n_agents, p.n_sites
        with app_parts.themed():
            ax = self.fig.add_axes((0.01, 0.01, 0.62, 0.87))
            ax.set_axis_off()
            box_w, box_h = 0.62 * _FIGSIZE[0], 0.87 * _FIGSIZE[1]  # inches the dots may take
            cols, rows = _waffle_shape(n, box_w / box_h)
            cell = min(box_w / cols, box_h / rows) * 72  # points
            self.full = (0.9 * cell) ** 2  # area of a dance as strong as the best quality
            self.reference = float(p.quality_array.max())
            self.grid = np.c_[np.arange(n) % cols, -(np.arange(n) // cols)].astype(float)
            empty = np.empty((0, 2))
            self.idle = self.animate(ax.scatter(
                empty[:, 0], empty[:, 1], s=0.2 * self.full, facecolors="none",
                edgecolors=[UNCOMMITTED_COLOUR], linewidths=0.8))
            self.dancing = [self.animate(ax.scatter(
                empty[:, 0], empty[:, 1], color=site_colour(j), marker=_site_marker(j),
                edgecolors="0.15", linewidths=0.4)) for j in range(k)]
            ax.set_xlim(-0.7, cols - 0.3)
            ax.set_ylim(-rows + 0.3, 0.7)
            ax.set_aspect("equal")
            handles = [Line2D([], [], linestyle="none", marker=_site_marker(j), markersize=7,
                              color=site_colour(j), markeredgecolor="0.15",
                              markeredgewidth=0.4, label=f"site {j}, q = {p.qualities[j]:g}")
                       for j in range(k)]
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=5,
                                  markerfacecolor="none", markeredgecolor=UNCOMMITTED_COLOUR,
                                  label="uncommitted"))
            self.fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.64, 0.47),
                            frameon=False, fontsize=9, title="dancers per site\n(q: quality)",
                            title_fontsize=9, alignment="left", handletextpad=0.3,
                            labelspacing=0.6)
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: NestSiteApp) -> None:
        k = model.params.n_sites
        sites, strengths = model.sites, model.strengths
        order = np.lexsort((-strengths, np.where(sites < 0, k, sites)))  # by site, strength
        placed_sites, placed_strengths = sites[order], strengths[order]
        idle = placed_sites < 0
        self.idle.set_offsets(self.grid[idle])
        for j, dots in enumerate(self.dancing):
            mine = placed_sites == j
            dots.set_offsets(self.grid[mine])
            dots.set_sizes(self.full * np.clip(placed_strengths[mine] / self.reference,
                                               0.12, 1.0))
        self.title.set_text(f"Step {model.steps}: a dot per scout, size = dance")


def _decision_text(model: NestSiteApp) -> str | None:
    if model.chosen_by_quorum is None:
        return None
    j = model.chosen_by_quorum
    best = "the best site" if model.params.best_sites[j] else "not the best site"
    return (f"quorum {model.params.quorum} reached at step {model.decision_time}: "
            f"site {j} (quality {model.params.qualities[j]:g}) chosen, {best}")


class DancersView(app_parts.LiveFigure):
    """Dancers per site after each step (and the uncommitted scouts, and the quorum)."""

    def __init__(self, model: NestSiteApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        p = model.params
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.12, 0.14, 0.52, 0.74))
            self.lines = [self.animate(ax.plot(
                [], [], color=site_colour(j), linewidth=1.8, marker=_site_marker(j),
                markersize=4, label=site_label(j, p.qualities[j]))[0])
                for j in range(p.n_sites)]
            self.idle = self.animate(ax.plot([], [], color=UNCOMMITTED_COLOUR, linestyle="--",
                                             linewidth=1.4, label="uncommitted")[0])
            if p.quorum is not None:
                ax.axhline(p.quorum, color="black", linestyle=":", linewidth=1.2,
                           label=f"quorum {p.quorum}")
            self.decision = self.animate(ax.axvline(0, color="black", linewidth=0.8,
                                                    alpha=0.5, visible=False))
            ax.set_xlim(0, 10)
            ax.set_ylim(0, p.n_agents * 1.02)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.tick_params(labelsize=8.5)
            ax.set_xlabel("step", fontsize=9)
            ax.set_ylabel("scouts", fontsize=9)
            labelled = [line for line in ax.get_lines()
                        if not line.get_label().startswith("_")]
            self.fig.legend(handles=labelled, loc="upper left", bbox_to_anchor=(0.65, 0.90),
                            fontsize=8, frameon=False, labelspacing=0.45, handlelength=2.0,
                            handletextpad=0.4)
            self.fig.text(0.01, 0.96, "Dancers per site by step", fontsize=10, va="top")

    def update(self, model: NestSiteApp) -> None:
        data = model.datacollector.model_vars
        steps = np.arange(len(data["uncommitted"]))
        every = max(1, len(steps) // 40)  # markers (one shape per site) on at most ~40 points
        for j, line in enumerate(self.lines):
            line.set_data(steps, data[f"dancers_{j}"])
            line.set_markevery((j * every // max(1, len(self.lines)), every))
        self.idle.set_data(steps, data["uncommitted"])
        if model.decision_time is not None:
            self.decision.set_xdata([model.decision_time] * 2)
            self.decision.set_visible(True)
        self.grow(self.ax, "x", float(steps[-1]) if len(steps) else 0.0, floor=10)


class StatesView(app_parts.LiveFigure):
    """The scouts by state now: a bar per site (assessed solid, copied hatched) and the
    uncommitted; the quorum as a line."""

    def __init__(self, model: NestSiteApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        p = model.params
        self.n = p.n_agents
        labels = [site_label(j, p.qualities[j]) for j in range(p.n_sites)] + ["uncommitted"]
        rows = np.arange(len(labels))[::-1]  # site 0 at the top
        zeros = np.zeros(p.n_sites)
        with app_parts.themed():
            ax = self.fig.add_axes((0.31, 0.14, 0.66, 0.64))
            colours = [site_colour(j) for j in range(p.n_sites)]
            self.assessed = ax.barh(rows[:-1], zeros, color=colours, edgecolor="0.2",
                                    linewidth=0.6, height=0.7)
            self.copied = ax.barh(rows[:-1], zeros, color=colours, alpha=0.45, hatch="///",
                                  edgecolor="0.2", linewidth=0.6, height=0.7)
            self.uncommitted = ax.barh(rows[-1:], [0], color=[UNCOMMITTED_COLOUR],
                                       edgecolor="0.2", linewidth=0.6, height=0.7)
            self.animate(*self.assessed.patches, *self.copied.patches,
                         *self.uncommitted.patches)
            self.counts = [self.animate(ax.text(
                0, row, "", va="center", fontsize=8.5,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8}))
                for row in rows]
            keys = [Patch(facecolor="0.55", edgecolor="0.2", label="assessed"),
                    Patch(facecolor="0.55", alpha=0.45, hatch="///", edgecolor="0.2",
                          label="copied (not assessed)")]
            if p.quorum is not None:
                keys.append(ax.axvline(p.quorum, color="black", linestyle=":", linewidth=1.2,
                                       label=f"quorum {p.quorum}"))
            ax.set_yticks(rows, labels, fontsize=8.5)
            ax.tick_params(axis="x", labelsize=8.5)
            ax.set_xlim(0, p.n_agents * 1.12)
            ax.set_ylim(-0.6, len(labels) - 0.2)
            ax.set_xlabel("scouts", fontsize=9)
            ax.grid(axis="y", visible=False)
            # the key between title and axes: inside, it would hide the bars
            self.fig.legend(handles=keys, loc="lower center", bbox_to_anchor=(0.5, 0.80),
                            ncols=len(keys), fontsize=8, frameon=False, handlelength=1.6,
                            columnspacing=1.2)
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: NestSiteApp) -> None:
        counts = model.dancers
        copied = model.copied_dancers()
        assessed = counts - copied
        uncommitted = self.n - int(counts.sum())
        for bar, a in zip(self.assessed.patches, assessed, strict=True):
            bar.set_width(a)
        for bar, a, c in zip(self.copied.patches, assessed, copied, strict=True):
            bar.set_x(a)
            bar.set_width(c)
        self.uncommitted.patches[0].set_width(uncommitted)
        for text, value in zip(self.counts, [*counts.tolist(), uncommitted], strict=True):
            text.set_x(value + self.n * 0.012)
            text.set_text(str(value))
        self.title.set_text(f"Scouts by state at step {model.steps}")


Scouts = app_parts.live_view(ScoutView, "Page component: every scout, grouped by state and site.")
Dancers = app_parts.live_view(DancersView, "Page component: dancers per site over time.")
States = app_parts.live_view(StatesView, "Page component: the scouts by state now, a bar per site.")


def StepSummary(model: NestSiteApp):
    """Page component: the current step's numbers, and the settings that made the swarm."""
    p = model.params
    c = model.controls
    counts = model.dancers
    dancing = int(counts.sum())
    best = f"best site: {p.best_site} (quality {p.qualities[p.best_site]:g})"
    if model.running:
        end = (f"runs until a site has {p.quorum} dancers or step {p.horizon}"
               if p.quorum is not None else f"runs until step {p.horizon}")
    else:
        end = "has stopped: press Reset for a new swarm"
    with app_parts.summary_column(f"Step {model.steps}",
                                  [model.seed_problem, model.quorum_problem],
                                  f"The swarm {end}. {app_parts.reset_note('swarm')}"):
        decision = _decision_text(model)
        if decision:
            solara.Success(decision)
        if dancing:
            lead = int(np.argmax(counts))
            solara.Text(f"{dancing} of {p.n_agents} scouts dancing · most dancers: site {lead} "
                        f"(quality {p.qualities[lead]:g}) with {counts[lead]} · {best}")
        else:
            solara.Text(f"no scout dancing · {best}")
        quorum = f"quorum {c['quorum']}" if c["quorum"] is not None else "no quorum"
        solara.Text(f"{c['n_agents']} scouts · sites {', '.join(f'{q:g}' for q in p.qualities)}"
                    f" · λ {c['interdependence']:.2f} · μ {c['copying']:.2f} · "
                    f"σ {c['noise']:.2f} · {quorum} · seed {c['seed']}")


#: The page's controls -> keyword arguments of :class:`NestSiteApp`.
model_params: dict = {
    "sites": {"type": "Select", "value": DEFAULTS["sites"], "label": "Sites (qualities)",
              "values": list(SITES)},
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Scouts",
                 "min": MIN_AGENTS, "max": MAX_AGENTS, "step": 10},
    "interdependence": {"type": "SliderFloat", "value": DEFAULTS["interdependence"],
                        "label": "Interdependence λ", "min": 0.0, "max": 1.0, "step": 0.05},
    "copying": {"type": "SliderFloat", "value": DEFAULTS["copying"], "label": "Copying μ",
                "min": 0.0, "max": 1.0, "step": 0.05},
    "noise": {"type": "SliderFloat", "value": DEFAULTS["noise"], "label": "Noise σ",
              "min": 0.05, "max": 2.0, "step": 0.05},
    "quorum": {"type": "SliderInt", "value": DEFAULTS["quorum"], "label": "Quorum (0: none)",
               "min": 0, "max": MAX_QUORUM, "step": 5},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

NAME = "Nest-site selection by a honeybee swarm (List et al. 2009)"
INTRO = ("One step: every scout may find a site, dance for it a little less, or follow "
         "another's dance. Press ▶ to play, or Step; change a parameter, then Reset.")


@solara.component
def Page():
    """The page (one swarm per browser page)."""
    app_parts.ModelPage(NestSiteApp, [Scouts, Dancers, States, StepSummary], model_params,
                        name=NAME, intro=INTRO)


page = Page()

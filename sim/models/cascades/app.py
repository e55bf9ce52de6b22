"""Page of information cascades (Bikhchandani, Hirshleifer & Welch 1992), on Mesa and
Solara.

Serve it with ``crowdsim app cascades`` (or ``solara run sim.models.cascades.app``). One
step: the next agent in line gets her private signal, sees every earlier action and adopts
or rejects; the sequence stops when everybody has acted. The page shows

- the sequence: a square per agent, coloured by her action (adopt or reject; grey before
  she acts), with her private signal as a triangle (up: high, down: low) and a dark frame
  when she acted in a cascade (her signal could not change her action);
- the public evidence (adopt minus reject actions before the cascade, frozen at ±2 once a
  cascade begins) against what the signals said (high minus low signals so far);
- the signals so far against the actions: how much private information the actions show;
- a line of numbers, with the theory's chance of a wrong cascade;

and in the sidebar the run controls and the levers: the number of agents, the signals'
precision, how an indifferent agent decides, and the seed. A changed control takes effect
at the next Reset; the same seed and controls always give the same sequence.

The controls are flat keyword arguments of :class:`CascadeApp`, a small subclass of
:class:`~sim.models.cascades.model.InformationCascade` mapped by :func:`app_params` to
:class:`~sim.models.cascades.params.CascadeParams`.
"""

from __future__ import annotations

import numpy as np
import solara
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim import app_parts
from sim.models.cascades.model import InformationCascade
from sim.models.cascades.params import CascadeParams
from sim.models.cascades.rules import CASCADE_AT
from sim.models.cascades.theory import mean_cascade_start, wrong_cascade_probability
from sim.plots.style import PALETTE

__all__ = ["CascadeApp", "app_params", "TIE_RULES", "DEFAULTS", "MIN_AGENTS", "MAX_AGENTS",
           "SequenceView", "EvidenceView", "SignalsView", "StepSummary", "model_params",
           "Page", "page"]

#: How an indifferent agent (public evidence and signal cancel) decides: label -> tie rule.
TIE_RULES: dict[str, str] = {
    "flips a coin (BHW 1992)": "coin",
    "follows her own signal": "own_signal",
}

_SCHEMA = CascadeParams.model_fields

#: The controls' starting values (the schema's defaults: 100 agents, precision 0.6).
DEFAULTS: dict = {
    "n_agents": _SCHEMA["n_agents"].default,
    "precision": _SCHEMA["precision"].default,
    "tie_rule": "flips a coin (BHW 1992)",
    "seed": 42,
}

MIN_AGENTS = 2
MAX_AGENTS = 200

ADOPT_COLOUR, REJECT_COLOUR, NOT_YET = PALETTE[0], PALETTE[1], "0.88"


def app_params(n_agents: int = DEFAULTS["n_agents"],
               precision: float = DEFAULTS["precision"],
               tie_rule: str = DEFAULTS["tie_rule"]) -> CascadeParams:
    """The app's controls as validated model parameters.

    >>> app_params(n_agents=20, tie_rule="follows her own signal").tie_rule
    'own_signal'
    """
    return CascadeParams(n_agents=int(n_agents), precision=float(precision),
                         tie_rule=app_parts.choose(TIE_RULES, tie_rule, "tie_rule"))


@app_parts.keep_own_signature
class CascadeApp(InformationCascade):
    """:class:`InformationCascade` built from the page's flat controls (what Reset passes).

    A seed that is not a whole number >= 0 does not stop the page: the model uses the
    default seed and says so in ``problems``.

    >>> model = CascadeApp(n_agents=10, seed="3")
    >>> model.run_for(10); model.running, len(model.actions)
    (False, 10)
    """

    def __init__(self, n_agents: int = DEFAULTS["n_agents"],
                 precision: float = DEFAULTS["precision"],
                 tie_rule: str = DEFAULTS["tie_rule"],
                 seed: int | str = DEFAULTS["seed"]) -> None:
        self.seed, seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        self.problems = [seed_problem]
        params = app_params(n_agents, precision, tie_rule)
        self.controls = {"n_agents": params.n_agents, "precision": params.precision,
                         "tie_rule": tie_rule, "seed": self.seed}
        super().__init__(rng=self.seed, **params.model_dump())

    def state_name(self, value: int | None = None) -> str:
        """``adopt`` or ``reject``: the right action (default) or ``value``."""
        return "adopt" if (self.state if value is None else value) == 1 else "reject"


def _public_states(actions) -> np.ndarray:
    """The public state before each agent acted, and after the last (length n + 1)."""
    out = [0]
    for action in actions:
        d = out[-1]
        out.append(d if abs(d) >= CASCADE_AT else d + (1 if action == 1 else -1))
    return np.asarray(out)


# ---------------------------------------------------------------------------------------
# views

_FIGSIZE = (5.0, 3.5)


class SequenceView(app_parts.LiveFigure):
    """A square per agent in order: action, signal, and whether she acted in a cascade."""

    def __init__(self, model: CascadeApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        with app_parts.themed():
            ax, self.grid, cell = app_parts.agent_grid(self.fig, model.params.n_agents,
                                                       _FIGSIZE, wide=1.25)
            self.squares = self.animate(ax.scatter(
                self.grid[:, 0], self.grid[:, 1], s=(0.85 * cell) ** 2, marker="s",
                color=NOT_YET, edgecolors="0.6", linewidths=0.5))
            empty = np.empty((0, 2))
            signal_size = (0.42 * cell) ** 2
            self.high = self.animate(ax.scatter(empty[:, 0], empty[:, 1], s=signal_size,
                                                marker="^", color="white",
                                                edgecolors="0.1", linewidths=0.4))
            self.low = self.animate(ax.scatter(empty[:, 0], empty[:, 1], s=signal_size,
                                               marker="v", color="0.1", edgecolors="0.1",
                                               linewidths=0.4))
            handles = [Patch(color=ADOPT_COLOUR, label="adopted"),
                       Patch(color=REJECT_COLOUR, label="rejected"),
                       Line2D([], [], linestyle="none", marker="^", markersize=7,
                              color="white", markeredgecolor="0.1", label="high signal"),
                       Line2D([], [], linestyle="none", marker="v", markersize=7,
                              color="0.1", label="low signal"),
                       Patch(facecolor="white", edgecolor="black", linewidth=2.0,
                             label="in a cascade")]
            self.fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.66, 0.5),
                            frameon=False, fontsize=9, title="agents in order\n(left to "
                            "right)", title_fontsize=9, alignment="left")
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: CascadeApp) -> None:
        acted = len(model.actions)
        actions = model.actions_array
        signals = model.signals
        cascade = np.abs(_public_states(model.actions)[:-1]) >= CASCADE_AT
        n = model.params.n_agents
        colours = [ADOPT_COLOUR if a == 1 else REJECT_COLOUR for a in actions]
        self.squares.set_facecolors(colours + [NOT_YET] * (n - acted))
        self.squares.set_edgecolors(["black" if c else "0.6" for c in cascade]
                                    + ["0.6"] * (n - acted))
        self.squares.set_linewidths(np.r_[np.where(cascade, 2.0, 0.5), np.full(n - acted, 0.5)])
        self.high.set_offsets(self.grid[:acted][signals == 1])
        self.low.set_offsets(self.grid[:acted][signals == 0])
        right = model.state_name()
        self.title.set_text(f"{acted} of {n} agents acted · right action: {right}")


class EvidenceView(app_parts.LiveFigure):
    """The public evidence the actions give (frozen once a cascade begins) against what
    the private signals said, agent by agent."""

    def __init__(self, model: CascadeApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        n = model.params.n_agents
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.62))
            ax.axhspan(CASCADE_AT, 1e6, color=ADOPT_COLOUR, alpha=0.12, linewidth=0)
            ax.axhspan(-1e6, -CASCADE_AT, color=REJECT_COLOUR, alpha=0.12, linewidth=0)
            ax.axhline(0, color="0.3", linewidth=0.8)
            self.public = self.animate(ax.step([], [], where="post", color="black",
                                               linewidth=2.0,
                                               label="public: adopt − reject actions")[0])
            self.private = self.animate(ax.step([], [], where="post", color=PALETTE[2],
                                                linestyle="--", linewidth=1.5,
                                                label="private: high − low signals")[0])
            ax.text(0.01, 0.97, "adopt cascade", transform=ax.transAxes, va="top",
                    fontsize=8, color="0.3")
            ax.text(0.01, 0.03, "reject cascade", transform=ax.transAxes, va="bottom",
                    fontsize=8, color="0.3")
            ax.set_xlim(0, n)
            ax.set_ylim(-5, 5)
            ax.set_xlabel("agents who acted (step)", fontsize=9)
            ax.set_ylabel("evidence", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.77), ncols=2,
                            fontsize=8, frameon=False, handlelength=2.0)
            self.fig.text(0.01, 0.96, "What the actions show and what the signals said",
                          fontsize=10, va="top")

    def update(self, model: CascadeApp) -> None:
        acted = len(model.actions)
        x = np.arange(acted + 1)
        self.public.set_data(x, _public_states(model.actions))
        signals = model.signals
        private = np.r_[0, np.cumsum(np.where(signals == 1, 1, -1))]
        self.private.set_data(x, private)
        reach = float(np.abs(private).max()) if acted else 0.0
        low, high = self.ax.get_ylim()
        if reach > high:
            limit = app_parts.nice_limit(reach)
            self.ax.set_ylim(-limit, limit)
            self.restage()


class SignalsView(app_parts.LiveFigure):
    """The signals so far (high, low) against the actions (adopt, reject)."""

    def __init__(self, model: CascadeApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        n = model.params.n_agents
        with app_parts.themed():
            ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.70))
            self.bars = ax.bar([0, 1, 2.6, 3.6], [0, 0, 0, 0], width=0.8,
                               color=["white", "0.15", ADOPT_COLOUR, REJECT_COLOUR],
                               edgecolor="0.2", linewidth=0.8)
            self.animate(*self.bars.patches)
            self.labels = [self.animate(ax.text(x, 0, "", ha="center", va="bottom",
                                                fontsize=9))
                           for x in (0, 1, 2.6, 3.6)]
            ax.set_xticks([0, 1, 2.6, 3.6], ["high\nsignals", "low\nsignals", "adopted",
                                            "rejected"], fontsize=9)
            ax.set_xlim(-0.6, 4.2)
            ax.set_ylim(0, n * 1.1)
            ax.set_ylabel("agents", fontsize=9)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(axis="x", visible=False)
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: CascadeApp) -> None:
        signals, actions = model.signals, model.actions_array
        values = [int((signals == 1).sum()), int((signals == 0).sum()),
                  int((actions == 1).sum()), int((actions == 0).sum())]
        for bar, label, value in zip(self.bars.patches, self.labels, values, strict=True):
            bar.set_height(value)
            label.set_y(value)
            label.set_text(str(value))
        self.title.set_text(f"Signals and actions of the first {len(actions)} agents")


Sequence = app_parts.live_view(SequenceView, "Page component: the agents' actions and signals.")
Evidence = app_parts.live_view(EvidenceView, "Page component: public against private evidence.")
Signals = app_parts.live_view(SignalsView, "Page component: signals against actions.")


def StepSummary(model: CascadeApp):
    """Page component: the sequence so far, the cascade, the theory and the settings."""
    p = model.params
    c = model.controls
    acted = len(model.actions)
    rule = TIE_RULES[c["tie_rule"]]
    note = ("The sequence has ended: press Reset (another seed: another sequence). "
            if not model.running else "")
    with app_parts.summary_column(f"Step {model.steps}", model.problems,
                                  note + app_parts.reset_note("sequence")):
        if model.cascade:
            kind = model.state_name(1 if model.cascade > 0 else 0)
            verdict = "wrong" if model.wrong_cascade else "right"
            solara.Text(f"{acted} of {p.n_agents} agents acted · a {kind} cascade, the "
                        f"{verdict} one, since agent {model.cascade_start} · right action: "
                        f"{model.state_name()}")
        else:
            solara.Text(f"{acted} of {p.n_agents} agents acted · no cascade yet · right "
                        f"action: {model.state_name()}")
        solara.Text(f"theory (long sequences): a wrong cascade with probability "
                    f"{wrong_cascade_probability(p.precision, tie_rule=rule):.1%}, starting "
                    f"after {mean_cascade_start(p.precision, tie_rule=rule):.1f} agents on "
                    f"average")
        solara.Text(f"{c['n_agents']} agents · precision {c['precision']:.2f} · an "
                    f"indifferent agent {c['tie_rule']} · seed {c['seed']}")


#: The page's controls -> keyword arguments of :class:`CascadeApp`.
model_params: dict = {
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Agents",
                 "min": MIN_AGENTS, "max": MAX_AGENTS, "step": 1},
    "precision": {"type": "SliderFloat", "value": DEFAULTS["precision"],
                  "label": "Signal precision p", "min": 0.51, "max": 1.0, "step": 0.01,
                  "help": "chance that a private signal shows the right action"},
    "tie_rule": {"type": "Select", "value": DEFAULTS["tie_rule"],
                 "label": "An indifferent agent", "values": list(TIE_RULES)},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

NAME = "Information cascades (Bikhchandani, Hirshleifer & Welch 1992)"
INTRO = ("One step: the next agent gets a private signal, sees every earlier action and "
         "adopts or rejects. Press ▶ to play, or Step; change a parameter, then Reset.")


@solara.component
def Page():
    """The page (one sequence per browser page)."""
    app_parts.ModelPage(CascadeApp, [Sequence, Evidence, Signals, StepSummary], model_params,
                        name=NAME, intro=INTRO)


page = Page()

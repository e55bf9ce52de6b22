"""Page of majority vote, Condorcet's jury theorem, on Mesa and Solara.

Serve it with ``crowdsim app majority-vote`` (or ``solara run sim.models.majority_vote.app``).
One step is one election on a new question: every voter votes, right with her competence or
as the opinion leader she copies, and the majority decides (a tie by a coin). The page shows

- the jury: a dot per voter, coloured by her vote in the last election (right or wrong),
  ringed when she copied the leader;
- the share of elections the majority got right so far, against the theorem's probability
  and a single voter's competence;
- how many voters were right, election by election, as a histogram against its theoretical
  distribution, with the majority's threshold;
- a line of numbers for the current step;

and in the sidebar the run controls and the levers: jury size, competence, how competences
differ, how often voters follow the leader, and the seed. A changed control takes effect at
the next Reset; the same seed and controls always give the same jury and elections.

The controls are flat keyword arguments of :class:`MajorityApp`, a small subclass of
:class:`~sim.models.majority_vote.model.MajorityVote` mapped by :func:`app_params` to
:class:`~sim.models.majority_vote.params.MajorityParams` (the leader is as competent as the
voters, as in the schema).
"""

from __future__ import annotations

import numpy as np
import solara
from matplotlib.lines import Line2D
from scipy.stats import binom

from sim import app_parts
from sim.models.majority_vote.model import MajorityVote
from sim.models.majority_vote.params import MajorityParams
from sim.models.majority_vote.theory import correlated_majority_probability, jury_probability
from sim.plots.style import PALETTE

__all__ = ["MajorityApp", "app_params", "usable_heterogeneity", "right_votes_distribution",
           "HETEROGENEITY", "DEFAULTS", "MIN_AGENTS", "MAX_AGENTS", "JuryView", "RecordView",
           "VotesView", "StepSummary", "model_params", "Page", "page"]

#: How voters' competences differ: label -> the schema's heterogeneity parameters.
HETEROGENEITY: dict[str, dict] = {
    "none: every voter has competence p": {"heterogeneity": "none"},
    "Beta around p (concentration 10)": {"heterogeneity": "beta", "concentration": 10.0},
    "uniform, p ± 0.1": {"heterogeneity": "uniform", "spread": 0.1},
}

_SCHEMA = MajorityParams.model_fields

#: The controls' starting values (the schema's defaults: 11 voters of competence 0.6).
DEFAULTS: dict = {
    "n_agents": _SCHEMA["n_agents"].default,
    "competence": _SCHEMA["competence"].default,
    "heterogeneity": "none: every voter has competence p",
    "correlation": _SCHEMA["correlation"].default,
    "seed": 42,
}

MIN_AGENTS = 1
MAX_AGENTS = 201

RIGHT, WRONG, NOT_YET = PALETTE[0], PALETTE[3], "0.85"


def usable_heterogeneity(heterogeneity: str, competence: float) -> tuple[dict, str | None]:
    """The heterogeneity parameters the competence allows, and the problem when they are
    not the ones picked: a Beta needs 0 < p < 1, and p ± spread must stay in [0, 1].

    >>> spec, problem = usable_heterogeneity("uniform, p ± 0.1", 0.95)
    >>> spec, problem
    ({'heterogeneity': 'uniform', 'spread': 0.05}, 'competences p ± 0.1 leave [0, 1] at p = \
0.95: used p ± 0.05')
    >>> usable_heterogeneity("Beta around p (concentration 10)", 1.0)[1]
    'a Beta needs 0 < p < 1, got p = 1: every voter has competence p'
    """
    spec = dict(app_parts.choose(HETEROGENEITY, heterogeneity, "heterogeneity"))
    p = float(competence)
    if spec["heterogeneity"] == "beta" and not 0.0 < p < 1.0:
        return ({"heterogeneity": "none"},
                f"a Beta needs 0 < p < 1, got p = {p:g}: every voter has competence p")
    if spec["heterogeneity"] == "uniform":
        room = round(min(spec["spread"], p, 1.0 - p), 12)
        if room <= 0:
            return ({"heterogeneity": "none"},
                    f"p = {p:g} leaves no room for a spread: every voter has competence p")
        if room < spec["spread"]:
            return ({"heterogeneity": "uniform", "spread": room},
                    f"competences p ± {spec['spread']:g} leave [0, 1] at p = {p:g}: used "
                    f"p ± {room:g}")
    return spec, None


def app_params(n_agents: int = DEFAULTS["n_agents"],
               competence: float = DEFAULTS["competence"],
               heterogeneity: str = DEFAULTS["heterogeneity"],
               correlation: float = DEFAULTS["correlation"]) -> MajorityParams:
    """The app's controls as validated model parameters (a heterogeneity the competence
    does not allow is narrowed as :func:`usable_heterogeneity` says).

    >>> p = app_params(n_agents=21, heterogeneity="Beta around p (concentration 10)")
    >>> p.n_agents, p.heterogeneity, p.concentration, p.leader_competence
    (21, 'beta', 10.0, None)
    """
    spec, _ = usable_heterogeneity(heterogeneity, competence)
    return MajorityParams(n_agents=int(n_agents), competence=float(competence),
                          correlation=float(correlation), **spec)


@app_parts.keep_own_signature
class MajorityApp(MajorityVote):
    """:class:`MajorityVote` built from the page's flat controls (what Reset passes).

    A seed that is not a whole number >= 0, or a heterogeneity the competence does not
    allow, does not stop the page: the model uses the default seed or a narrower spread
    and says so in ``problems``.

    >>> model = MajorityApp(n_agents=5, seed="3")
    >>> model.step(); model.right_votes in range(6), model.problems
    (True, [None, None])
    """

    def __init__(self, n_agents: int = DEFAULTS["n_agents"],
                 competence: float = DEFAULTS["competence"],
                 heterogeneity: str = DEFAULTS["heterogeneity"],
                 correlation: float = DEFAULTS["correlation"],
                 seed: int | str = DEFAULTS["seed"]) -> None:
        self.seed, seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        _, spread_problem = usable_heterogeneity(heterogeneity, competence)
        self.problems = [seed_problem, spread_problem]
        params = app_params(n_agents, competence, heterogeneity, correlation)
        self.controls = {"n_agents": params.n_agents, "competence": params.competence,
                         "heterogeneity": heterogeneity, "correlation": params.correlation,
                         "seed": self.seed}
        super().__init__(rng=self.seed, **params.model_dump())

    @property
    def theory(self) -> float:
        """P(the majority is right) for voters of competence p (the theorem; with the
        leader, :func:`~sim.models.majority_vote.theory.correlated_majority_probability`)."""
        p = self.params
        return correlated_majority_probability(p.n_agents, p.competence, p.correlation)


def right_votes_distribution(model: MajorityApp) -> np.ndarray:
    """P(k voters right), k = 0..n, in one election: for independent voters this jury's
    Poisson-binomial (its own competences); with the leader, voters of competence p, of
    whom Binomial(n, rho) copy the leader's vote (right with probability p).

    >>> d = right_votes_distribution(MajorityApp(n_agents=3, seed=1))
    >>> [round(float(v), 3) for v in d]
    [0.064, 0.288, 0.432, 0.216]
    """
    p = model.params
    n = p.n_agents
    if p.correlation == 0:
        dist = np.zeros(n + 1)
        dist[0] = 1.0
        for q in model.competences:
            dist[1:] = dist[1:] * (1.0 - q) + dist[:-1] * q
            dist[0] *= 1.0 - q
        return dist
    r = np.arange(n + 1)
    out = np.zeros(n + 1)
    for k, weight in enumerate(binom.pmf(np.arange(n + 1), n, p.correlation)):
        own = binom.pmf(r, n - k, p.competence)
        shifted = binom.pmf(r - k, n - k, p.competence)
        out += weight * (p.leader_p * shifted + (1.0 - p.leader_p) * own)
    return out


# ---------------------------------------------------------------------------------------
# views

_FIGSIZE = (5.0, 3.5)


class JuryView(app_parts.LiveFigure):
    """A dot per voter, coloured by her last vote, ringed when she copied the leader."""

    def __init__(self, model: MajorityApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        with app_parts.themed():
            ax, grid, cell = app_parts.agent_grid(self.fig, model.params.n_agents, _FIGSIZE)
            self.dots = self.animate(ax.scatter(grid[:, 0], grid[:, 1], s=(0.7 * cell) ** 2,
                                                color=NOT_YET, edgecolors="0.3",
                                                linewidths=0.5))
            handles = [Line2D([], [], linestyle="none", marker="o", markersize=9, color=RIGHT,
                              markeredgecolor="0.3", label="right"),
                       Line2D([], [], linestyle="none", marker="o", markersize=9, color=WRONG,
                              markeredgecolor="0.3", label="wrong"),
                       Line2D([], [], linestyle="none", marker="o", markersize=9,
                              color="white", markeredgecolor="black", markeredgewidth=2.2,
                              label="copied the leader")]
            self.fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.66, 0.5),
                            frameon=False, fontsize=9, title="each voter's\nlast vote",
                            title_fontsize=9, alignment="left")
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: MajorityApp) -> None:
        if not model.outcomes:
            self.title.set_text("Step 0: no election yet")
            return
        votes = model.votes
        followed = np.array([v.followed_leader for v in model.jury])
        self.dots.set_facecolors([RIGHT if v == 1 else WRONG for v in votes])
        self.dots.set_edgecolors(["black" if f else "0.3" for f in followed])
        self.dots.set_linewidths(np.where(followed, 2.2, 0.5))
        verdict = "right" if model.majority_right else "wrong"
        self.title.set_text(f"Election {model.steps}: {model.right_votes} of "
                            f"{model.params.n_agents} right, the majority is {verdict}")


class RecordView(app_parts.LiveFigure):
    """The share of elections the majority got right so far, with the theorem's
    probability and one voter's competence."""

    def __init__(self, model: MajorityApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        p = model.params
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.62))
            self.line = self.animate(ax.plot([], [], color=PALETTE[0], linewidth=1.8,
                                             label="majority right so far")[0])
            ax.axhline(model.theory, color="black", linestyle="--", linewidth=1.3,
                       label=f"theory: P = {model.theory:.3f}")
            ax.axhline(p.competence, color=PALETTE[1], linestyle=":", linewidth=1.6,
                       label=f"one voter: p = {p.competence:g}")
            ax.set_xlim(0, 10)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("election (step)", fontsize=9)
            ax.set_ylabel("share of elections", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.77), ncols=2,
                            fontsize=8, frameon=False, handlelength=2.0)
            self.fig.text(0.01, 0.96, "How often the majority was right", fontsize=10,
                          va="top")

    def update(self, model: MajorityApp) -> None:
        outcomes = np.asarray(model.outcomes, dtype=float)
        steps = np.arange(1, len(outcomes) + 1)
        self.line.set_data(steps, np.cumsum(outcomes) / np.maximum(steps, 1))
        self.grow(self.ax, "x", float(len(outcomes)), floor=10)


class VotesView(app_parts.LiveFigure):
    """How many voters were right, election by election (a histogram), against the
    theoretical distribution, with the majority's threshold."""

    def __init__(self, model: MajorityApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        n = model.params.n_agents
        self.n = n
        edges = np.arange(n + 2) - 0.5
        self.theory = right_votes_distribution(model)
        zeros = np.zeros(n + 1)
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.62))
            wins = np.arange(n + 1) * 2 > n
            self.wrong = self.animate(ax.stairs(zeros, edges, fill=True, color=WRONG,
                                                alpha=0.8, label="elections: majority wrong"))
            self.right = self.animate(ax.stairs(zeros, edges, fill=True, color=RIGHT,
                                                alpha=0.8, label="elections: majority right"))
            self.wins = wins
            ax.stairs(self.theory, edges, color="black", linewidth=1.2, label="theory")
            ax.axvline(n / 2, color="0.2", linestyle=":", linewidth=1.2,
                       label="half the jury")
            ax.set_xlim(-0.5, n + 0.5)
            ax.set_ylim(0, app_parts.nice_limit(self.theory.max() * 1.5))
            ax.set_xlabel("voters right in an election", fontsize=9)
            ax.set_ylabel("share of elections", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.77), ncols=2,
                            fontsize=8, frameon=False, handlelength=1.6)
            self.fig.text(0.01, 0.96, "Right votes per election", fontsize=10, va="top")

    def update(self, model: MajorityApp) -> None:
        counts = np.bincount(np.asarray(model.datacollector.model_vars["right_votes"],
                                        dtype=np.int64), minlength=self.n + 1)
        shares = counts / max(1, counts.sum())
        self.wrong.set_data(np.where(self.wins, 0.0, shares))
        self.right.set_data(np.where(self.wins, shares, 0.0))  # the axis stays: early
        # elections may go above it


Jury = app_parts.live_view(JuryView, "Page component: the jury's last votes.")
Record = app_parts.live_view(RecordView, "Page component: how often the majority was right.")
Votes = app_parts.live_view(VotesView, "Page component: right votes per election.")


def StepSummary(model: MajorityApp):
    """Page component: the elections so far against the theorem, and the settings."""
    p = model.params
    c = model.controls
    elections = len(model.outcomes)
    with app_parts.summary_column(f"Step {model.steps}", model.problems,
                                  app_parts.reset_note("jury and elections")):
        if elections:
            right = sum(model.outcomes)
            solara.Text(f"the majority was right in {right} of {elections} elections "
                        f"({right / elections:.1%}); theory {model.theory:.1%}; one voter "
                        f"{p.competence:.0%}")
        else:
            solara.Text(f"no election yet; theory: the majority is right with probability "
                        f"{model.theory:.1%}, one voter with {p.competence:.0%}")
        if p.heterogeneity != "none" and p.correlation == 0:
            solara.Text(f"this jury's competences: mean {np.mean(model.competences):.3f}, "
                        f"P(majority right) {jury_probability(model.competences):.1%}")
        solara.Text(f"{c['n_agents']} voters · competence {c['competence']:.2f} · "
                    f"{c['heterogeneity']} · follow the leader ρ {c['correlation']:.2f} · "
                    f"seed {c['seed']}")


#: The page's controls -> keyword arguments of :class:`MajorityApp`.
model_params: dict = {
    "n_agents": {"type": "SliderInt", "value": DEFAULTS["n_agents"], "label": "Voters",
                 "min": MIN_AGENTS, "max": MAX_AGENTS, "step": 1,
                 "help": "even juries break ties with a coin"},
    "competence": {"type": "SliderFloat", "value": DEFAULTS["competence"],
                   "label": "Competence p", "min": 0.0, "max": 1.0, "step": 0.01,
                   "help": "chance that a voter is right on her own"},
    "heterogeneity": {"type": "Select", "value": DEFAULTS["heterogeneity"],
                      "label": "Competences differ", "values": list(HETEROGENEITY)},
    "correlation": {"type": "SliderFloat", "value": DEFAULTS["correlation"],
                    "label": "Follow the leader ρ", "min": 0.0, "max": 1.0, "step": 0.05,
                    "help": "chance that a voter copies the opinion leader's vote"},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

NAME = "Majority vote: Condorcet's jury theorem"
INTRO = ("One step: one election on a new question; every voter votes and the majority "
         "decides. Press ▶ to play, or Step; change a parameter, then Reset.")


@solara.component
def Page():
    """The page (one jury per browser page)."""
    app_parts.ModelPage(MajorityApp, [Jury, Record, Votes, StepSummary], model_params,
                        name=NAME, intro=INTRO)


page = Page()

"""Page of cumulative advantage in a cultural market (MusicLab), on Mesa and Solara.

Serve it with ``crowdsim app cumulative-advantage`` (or ``solara run
sim.models.cumulative_advantage.app``). One step: the next listener arrives, picks a song by
its appeal and its downloads so far (weighted by the social weight), listens, and downloads
it with the song's quality; the world stops when every listener has come. The page shows

- the downloads per song now, the songs ordered by quality (best on the left, coloured by
  quality);
- each song's market share against its quality, with the shares an independent world
  (social weight 0) would give in the long run;
- the inequality of the market, listener by listener: the Gini coefficient of the shares
  and the top song's share;
- a line of numbers;

and in the sidebar the run controls and the levers: songs, listeners, social weight, how
much the songs' appeal differs, and the seed of the world. Every world of the page has the
same songs (drawn once, with seed :data:`SONGS_SEED`, for the number of songs and the appeal
spread chosen); the seed picks the listeners' choices, so another seed is another world of
MusicLab's experiment (Salganik, Dodds & Watts 2006): compare which songs win at social weight
0 and at 1 or more.

The controls are flat keyword arguments of :class:`MarketApp`, a small subclass of
:class:`~sim.models.cumulative_advantage.model.CulturalMarket` mapped by :func:`app_params`
to :class:`~sim.models.cumulative_advantage.params.MarketParams` (qualities uniform on
[0.2, 0.8], the schema's defaults).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import solara
from matplotlib.colors import Normalize

from sim import app_parts
from sim.models.cumulative_advantage.kernel import Songs, make_songs
from sim.models.cumulative_advantage.metrics import gini, market_shares, spearman
from sim.models.cumulative_advantage.model import CulturalMarket
from sim.models.cumulative_advantage.params import MarketParams
from sim.plots.style import PALETTE

__all__ = ["MarketApp", "app_params", "page_songs", "SONGS_SEED", "DEFAULTS", "MAX_SONGS",
           "MIN_LISTENERS", "MAX_LISTENERS", "SongsView", "SharesView", "InequalityView",
           "StepSummary", "model_params", "Page", "page"]

#: The seed the page's songs are drawn with: every world of the page has the same songs.
SONGS_SEED = 2006

_SCHEMA = MarketParams.model_fields

#: The controls' starting values (the schema's defaults: MusicLab's 48 songs, about 700
#: listeners per world, social weight 1).
DEFAULTS: dict = {
    "n_songs": _SCHEMA["n_songs"].default,
    "n_listeners": _SCHEMA["n_listeners"].default,
    "social_weight": _SCHEMA["social_weight"].default,
    "appeal_spread": _SCHEMA["appeal_spread"].default,
    "seed": 42,
}

MAX_SONGS = 48
MIN_LISTENERS = 50
MAX_LISTENERS = 5000

_QUALITY_CMAP = "viridis"


def app_params(n_songs: int = DEFAULTS["n_songs"],
               n_listeners: int = DEFAULTS["n_listeners"],
               social_weight: float = DEFAULTS["social_weight"],
               appeal_spread: float = DEFAULTS["appeal_spread"]) -> MarketParams:
    """The app's controls as validated model parameters.

    >>> p = app_params(n_songs=10, social_weight=0.0)
    >>> p.n_songs, p.n_listeners, p.social_weight, p.quality_low, p.quality_high
    (10, 700, 0.0, 0.2, 0.8)
    """
    return MarketParams(n_songs=int(n_songs), n_listeners=int(n_listeners),
                        social_weight=float(social_weight),
                        appeal_spread=float(appeal_spread))


def page_songs(params: MarketParams) -> Songs:
    """The page's songs for ``params``: drawn with :data:`SONGS_SEED`, so the same for
    every world (seed) with the same number of songs and appeal spread.

    >>> a, b = page_songs(app_params(n_songs=5)), page_songs(app_params(n_songs=5))
    >>> bool((a.quality == b.quality).all())
    True
    """
    return make_songs(params, np.random.default_rng(SONGS_SEED))


@app_parts.keep_own_signature
class MarketApp(CulturalMarket):
    """:class:`CulturalMarket` built from the page's flat controls (what Reset passes), with
    the page's songs (:func:`page_songs`).

    A seed that is not a whole number >= 0 does not stop the page: the model uses the
    default seed and says so in ``problems``.

    >>> market = MarketApp(n_songs=5, n_listeners=50, seed="8")
    >>> market.run_for(50); market.running, int(market.listens.sum())
    (False, 50)
    """

    def __init__(self, n_songs: int = DEFAULTS["n_songs"],
                 n_listeners: int = DEFAULTS["n_listeners"],
                 social_weight: float = DEFAULTS["social_weight"],
                 appeal_spread: float = DEFAULTS["appeal_spread"],
                 seed: int | str = DEFAULTS["seed"]) -> None:
        self.seed, seed_problem = app_parts.seed_or_default(seed, DEFAULTS["seed"])
        self.problems = [seed_problem]
        params = app_params(n_songs, n_listeners, social_weight, appeal_spread)
        self.controls = {"n_songs": params.n_songs, "n_listeners": params.n_listeners,
                         "social_weight": params.social_weight,
                         "appeal_spread": params.appeal_spread, "seed": self.seed}
        super().__init__(rng=self.seed, songs=page_songs(params), **params.model_dump())

    @property
    def independent_shares(self) -> np.ndarray:
        """The market shares an independent world (social weight 0) tends to: song j is
        picked with probability a_j / sum a and downloaded with q_j, so its share is
        a_j q_j / sum_k a_k q_k."""
        weight = self.appeal * self.quality
        return weight / weight.sum()


# ---------------------------------------------------------------------------------------
# views

_FIGSIZE = (5.0, 3.5)


class SongsView(app_parts.LiveFigure):
    """Downloads per song now, the songs ordered by quality, coloured by quality."""

    def __init__(self, model: MarketApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        self.order = np.argsort(-model.quality, kind="stable")  # best first
        m = len(self.order)
        colours = mpl.colormaps[_QUALITY_CMAP](Normalize(0, 1)(model.quality[self.order]))
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.12, 0.14, 0.72, 0.72))
            self.bars = ax.bar(np.arange(m), np.zeros(m), width=0.8, color=colours,
                               edgecolor="0.3", linewidth=0.3)
            self.animate(*self.bars.patches)
            ax.set_xlim(-0.7, m - 0.3)
            ax.set_ylim(0, 10)
            ax.set_xlabel("songs, best quality first", fontsize=9)
            ax.set_ylabel("downloads", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(axis="x", visible=False)
            bar_ax = self.fig.add_axes((0.87, 0.14, 0.025, 0.72))
            self.fig.colorbar(mpl.cm.ScalarMappable(Normalize(0, 1), _QUALITY_CMAP),
                              cax=bar_ax)
            bar_ax.set_ylabel("quality", fontsize=9)
            bar_ax.tick_params(labelsize=8)
            self.title = self.animate(self.fig.text(0.01, 0.96, "", fontsize=10, va="top"))

    def update(self, model: MarketApp) -> None:
        downloads = model.downloads[self.order]
        for bar, value in zip(self.bars.patches, downloads, strict=True):
            bar.set_height(value)
        self.grow(self.ax, "y", float(downloads.max()) * 1.05, floor=10)
        self.title.set_text(f"Listener {model.arrived} of {model.params.n_listeners}: "
                            f"downloads per song")


class SharesView(app_parts.LiveFigure):
    """Each song's market share against its quality, with the independent world's."""

    def __init__(self, model: MarketApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        quality = model.quality
        expected = model.independent_shares
        with app_parts.themed():
            self.ax = ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.64))
            order = np.argsort(quality)
            ax.plot(quality[order], expected[order], color="0.3", linestyle="--",
                    linewidth=1.2, marker=".", markersize=4,
                    label="independent world (long run)")
            self.dots = self.animate(ax.scatter(quality, np.zeros_like(quality), s=28,
                                                color=PALETTE[0], edgecolors="0.2",
                                                linewidths=0.5, zorder=3,
                                                label="this world now"))
            ax.set_xlim(0, 1)
            self.floor = app_parts.nice_limit(expected.max() * 2.0)
            ax.set_ylim(0, self.floor)
            ax.set_xlabel("quality (chance of a download after listening)", fontsize=9)
            ax.set_ylabel("market share of downloads", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.79), ncols=2,
                            fontsize=8, frameon=False)
            self.fig.text(0.01, 0.96, "Market share against quality", fontsize=10, va="top")

    def update(self, model: MarketApp) -> None:
        shares = market_shares(model.downloads)
        self.dots.set_offsets(np.c_[model.quality, shares])
        self.grow(self.ax, "y", float(shares.max()) * 1.05, floor=self.floor, shrink=True)


class InequalityView(app_parts.LiveFigure):
    """The Gini coefficient of the market shares and the top song's share, listener by
    listener (the model's DataCollector)."""

    def __init__(self, model: MarketApp) -> None:
        super().__init__(figsize=_FIGSIZE)
        with app_parts.themed():
            ax = self.fig.add_axes((0.13, 0.14, 0.83, 0.64))
            self.gini = self.animate(ax.plot([], [], color=PALETTE[0], linewidth=1.6,
                                             label="Gini coefficient of the shares")[0])
            self.top = self.animate(ax.plot([], [], color=PALETTE[1], linewidth=1.6,
                                            linestyle="--", label="top song's share")[0])
            ax.set_xlim(0, model.params.n_listeners)
            ax.set_ylim(0, 1)
            ax.set_xlabel("listeners (step)", fontsize=9)
            ax.set_ylabel("inequality", fontsize=9)
            ax.tick_params(labelsize=8)
            self.fig.legend(loc="lower center", bbox_to_anchor=(0.54, 0.79), ncols=2,
                            fontsize=8, frameon=False)
            self.fig.text(0.01, 0.96, "How unequal the market is", fontsize=10, va="top")

    def update(self, model: MarketApp) -> None:
        data = model.datacollector.model_vars
        steps = np.arange(1, len(data["gini"]) + 1)
        self.gini.set_data(steps, data["gini"])
        self.top.set_data(steps, data["top_share"])


SongsChart = app_parts.live_view(SongsView, "Page component: downloads per song.")
Shares = app_parts.live_view(SharesView, "Page component: market share against quality.")
Inequality = app_parts.live_view(InequalityView, "Page component: the market's inequality.")


def StepSummary(model: MarketApp):
    """Page component: the market now, and the settings that made the world."""
    c = model.controls
    downloads = model.downloads
    note = ("The world is complete: press Reset, with another seed for another world. "
            if not model.running else "")
    with app_parts.summary_column(f"Step {model.steps}", model.problems,
                                  note + app_parts.reset_note("world")):
        if downloads.sum():
            shares = market_shares(downloads)
            top = int(np.argmax(downloads))
            rank = int((model.quality > model.quality[top]).sum()) + 1
            rho = spearman(shares, model.quality)
            solara.Text(f"{model.arrived} listeners, {int(downloads.sum())} downloads · Gini "
                        f"{float(gini(shares)):.2f} · top song: {shares[top]:.1%} of the "
                        f"downloads, quality {model.quality[top]:.2f} (rank {rank} of "
                        f"{len(downloads)}) · rank correlation of share and quality "
                        f"{rho:.2f}")
        else:
            solara.Text(f"{model.arrived} listeners, no download yet")
        solara.Text(f"{c['n_songs']} songs · {c['n_listeners']} listeners · social weight "
                    f"{c['social_weight']:.1f} · appeal spread {c['appeal_spread']:.2f} · "
                    f"songs drawn with seed {SONGS_SEED} · world seed {c['seed']}")


#: The page's controls -> keyword arguments of :class:`MarketApp`.
model_params: dict = {
    "n_songs": {"type": "SliderInt", "value": DEFAULTS["n_songs"], "label": "Songs",
                "min": 2, "max": MAX_SONGS, "step": 1},
    "n_listeners": {"type": "SliderInt", "value": DEFAULTS["n_listeners"],
                    "label": "Listeners", "min": MIN_LISTENERS, "max": MAX_LISTENERS,
                    "step": 50},
    "social_weight": {"type": "SliderFloat", "value": DEFAULTS["social_weight"],
                      "label": "Social weight s", "min": 0.0, "max": 5.0, "step": 0.1,
                      "help": "weight of one download against one unit of appeal "
                              "(0: an independent world)"},
    "appeal_spread": {"type": "SliderFloat", "value": DEFAULTS["appeal_spread"],
                      "label": "Appeal spread h", "min": 0.0, "max": 0.9, "step": 0.05,
                      "help": "appeals drawn from 1 ± h (0: the songs look alike)"},
    "seed": app_parts.seed_control(DEFAULTS["seed"]),
}

NAME = "Cumulative advantage in a cultural market (MusicLab)"
INTRO = ("One step: the next listener picks a song by its appeal and its downloads so far, "
         "listens, and may download it. Press ▶ to play, or Step; change a parameter, then "
         "Reset.")


@solara.component
def Page():
    """The page (one world per browser page)."""
    app_parts.ModelPage(MarketApp, [SongsChart, Shares, Inequality, StepSummary],
                        model_params, name=NAME, intro=INTRO)


page = Page()

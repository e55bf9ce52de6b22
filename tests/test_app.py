"""The apps without a browser: the page modules, the controls -> parameters mappings, the
views, the page rendered in-process (one model per page), the launcher and the ``crowdsim
app`` command (tests/test_app_browser.py drives the pages in Chromium)."""

from __future__ import annotations

import importlib
import inspect
import io
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import ipyvuetify as v
import ipywidgets
import matplotlib.colors as mcolors
import numpy as np
import PIL.Image
import pytest
import seaborn as sns
import solara
from conftest import REPO, assert_one_line_error
from mesa.visualization.solara_viz import _check_model_params

from sim import app as launcher
from sim import app_parts
from sim.app_parts import parse_seed
from sim.cli import main
from sim.models.cascades import app as cascades
from sim.models.cumulative_advantage import app as market
from sim.models.estimation import CrowdEstimation, EstimationParams
from sim.models.estimation import app as est
from sim.models.estimation.app import (
    APP_ROUNDS,
    INFLUENCERS,
    INFORMATION,
    MAX_AGENTS,
    MIN_AGENTS,
    NOISE,
    TOPOLOGIES,
    WEIGHTS,
    EstimationApp,
    app_params,
)
from sim.models.majority_vote import app as majority
from sim.models.nest_site import NestSiteParams, NestSiteSelection
from sim.models.nest_site import app as nest
from sim.models.nest_site.app import NestSiteApp

#: Every page: (its module, its app model, the model's views).
PAGES = {
    "estimation": (est, EstimationApp, [est.CrowdView, est.HistogramView, est.TrajectoryView]),
    "nest-site": (nest, NestSiteApp, [nest.ScoutView, nest.DancersView, nest.StatesView]),
    "majority-vote": (majority, majority.MajorityApp,
                      [majority.JuryView, majority.RecordView, majority.VotesView]),
    "cascades": (cascades, cascades.CascadeApp,
                 [cascades.SequenceView, cascades.EvidenceView, cascades.SignalsView]),
    "cumulative-advantage": (market, market.MarketApp,
                             [market.SongsView, market.SharesView, market.InequalityView]),
}

# ---------------------------------------------------------------------------------------------
# every page


def test_every_model_has_a_registered_page():
    assert sorted(launcher.APPS) == sorted(PAGES)
    for name, module in launcher.APPS.items():
        assert importlib.import_module(module) is PAGES[name][0]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_module_serves_a_component_and_makes_no_model_at_import(name):
    module, app_class, _ = PAGES[name]
    assert callable(module.Page)
    assert module.page is not None
    # a model made at import would be every visitor's: none is among the module's values
    assert not any(isinstance(value, app_class) for value in vars(module).values())


@pytest.mark.parametrize("name", sorted(PAGES))
def test_controls_are_the_keyword_arguments_of_the_app_model(name):
    module, app_class, _ = PAGES[name]
    signature = inspect.signature(app_class.__init__).parameters
    assert set(module.model_params) == set(signature) - {"self"}
    _check_model_params(app_class.__init__, module.model_params)  # Mesa's own check
    for key, control in module.model_params.items():
        assert control["value"] == module.DEFAULTS[key] == signature[key].default, key
        if control["type"] == "Select":
            assert control["value"] in control["values"], key
        if control["type"].startswith("Slider"):
            assert control["min"] <= control["value"] <= control["max"], key
            steps = (control["value"] - control["min"]) / control["step"]
            assert abs(steps - round(steps)) < 1e-9, f"{key}: the default is off the steps"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_bad_seed_text_uses_the_default_seed_and_says_so(name):
    module, app_class, _ = PAGES[name]
    model = app_class(seed="4x")
    assert model.seed == module.DEFAULTS["seed"]
    problems = getattr(model, "problems", [getattr(model, "seed_problem", None)])
    assert any(p and p.startswith("seed: must be a whole number >= 0; got '4x'")
               for p in problems)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_views_draw_step_by_step_what_a_new_view_draws_at_once(name):
    """The blitted picture (static part kept, moving part redrawn) is the full picture."""
    _, app_class, view_classes = PAGES[name]
    model = app_class(seed=3)
    views = [cls(model) for cls in view_classes]
    for view in views:
        view.update(model)
        assert view.render().startswith(b"\x89PNG")
    model.run_for(12)
    for cls, view in zip(view_classes, views, strict=True):
        view.update(model)
        stepped = np.asarray(PIL.Image.open(io.BytesIO(view.render())).convert("RGB"),
                             dtype=float)
        fresh_view = cls(model)
        fresh_view.update(model)
        fresh = np.asarray(PIL.Image.open(io.BytesIO(fresh_view.render())).convert("RGB"),
                           dtype=float)
        assert stepped.shape == fresh.shape
        # the same picture up to antialiasing where a moving artist crosses a still one
        assert np.mean(np.abs(stepped - fresh) > 40) < 0.002, cls.__name__


@pytest.mark.parametrize("name", sorted(set(PAGES) - {"estimation"}))
def test_views_say_which_step_they_show(name):
    """(The estimation page's views leave the step to the page's heading and summary: a
    text redrawn at every step costs as much as the agents' dots.)"""
    _, app_class, view_classes = PAGES[name]
    model = app_class(seed=2)
    model.run_for(6)
    texts = []
    for cls in view_classes:
        view = cls(model)
        view.update(model)
        view.render()
        texts += view.texts()
    assert any("6" in t and any(w in t.lower() for w in ("step", "election", "listener",
                                                         "agents acted", "first 6"))
               for t in texts), texts


def test_views_use_the_projects_theme():
    rc = app_parts.THEME
    assert rc["axes.grid"] is True  # seaborn whitegrid
    colours = [mcolors.to_rgb(c["color"]) for c in rc["axes.prop_cycle"]]
    np.testing.assert_allclose(colours, sns.color_palette("colorblind"))
    view = est.TrajectoryView(EstimationApp(n_agents=10, seed=1))
    assert view.error_ax.get_facecolor()[:3] == pytest.approx((1.0, 1.0, 1.0))
    assert view.error_ax.xaxis.get_gridlines()[0].get_visible()


@pytest.mark.parametrize(("value", "step", "shown", "text"), [
    (0.3, 0.05, None, "0.30"), (200, 10, None, "200"), (0.046, 0.001, "{:.1%}", "4.6%"),
    (1198, 1, None, "1198")])
def test_slider_values_are_shown_as_the_step_allows(value, step, shown, text):
    assert app_parts.format_value(value, step, shown) == text


@pytest.mark.parametrize(("value", "limit"), [(0.0, 1.0), (3, 5), (10, 10), (10.5, 20),
                                              (24, 25), (180, 200), (7e3, 1e4)])
def test_axis_limits_grow_in_few_nice_steps(value, limit):
    assert app_parts.nice_limit(value) == limit


def test_pace_waits_the_rest_of_a_steps_period_and_no_more():
    rate, per_drawing = solara.reactive(10), solara.reactive(1)
    pace = app_parts.Pace(rate, per_drawing)
    assert pace.value == 0  # the first step at once
    assert pace.value == pytest.approx(100, abs=15)  # a step that took no time waits
    time.sleep(0.3)
    assert pace.value == 0  # a slow step is not slowed further
    per_drawing.value = 3  # three steps per drawing: three steps' period per drawing
    assert pace.value == pytest.approx(300, abs=30)


# ---------------------------------------------------------------------------------------------
# the page in-process: one model per page, one render per step


@solara.component
def _InLayout(page):
    with solara.AppLayout():
        page()


@pytest.fixture
def render_page():
    """``render_page(name)``: the page rendered in-process (Solara's test rendering),
    closed after the test (outside a server every page follows one step counter)."""
    contexts = []

    def render(name: str):
        _, rc = solara.render(_InLayout(PAGES[name][0].Page), handle_error=False)
        contexts.append(rc)
        return rc

    yield render
    for rc in contexts:
        rc.close()


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def _step_text(rc) -> str:
    return rc.find(v.Html, class_="crowdsim-step").widget.children[0]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_has_its_own_model(name, render_page):
    first, second = render_page(name), render_page(name)
    assert _step_text(first) == _step_text(second) == "now: step 0"
    for _ in range(3):
        _button(first, "Step").click()
    assert _step_text(first).startswith("now: step 3")
    assert _step_text(second) == "now: step 0", "a new page must not see another's model"
    _button(second, "Step").click()
    assert _step_text(second).startswith("now: step 1")
    assert _step_text(first).startswith("now: step 3")
    assert len(first.find(ipywidgets.Image).widgets) == 3


def test_page_shows_a_title_and_slider_values_not_mesas_page_tabs(render_page):
    rc = render_page("estimation")
    title = rc.find(v.Html, class_="crowdsim-page-title").widget
    assert title.children == [est.NAME]
    assert not rc.find(v.Tab).widgets, "no 'Page 0' tab"
    shown = [w.children[0] for w in rc.find(v.Html, class_="crowdsim-slider-value").widgets]
    assert {"0.30", "60", "1198", "4.6%", "0.05", "0%"} <= set(shown), shown


def test_page_controls_reach_the_model_at_reset(render_page):
    rc = render_page("estimation")
    agents = next(w for w in rc.find(v.Slider).widgets if w.label == "Agents")
    agents.v_model = 200
    assert "200" in [w.children[0] for w in
                     rc.find(v.Html, class_="crowdsim-slider-value").widgets]
    _button(rc, "Reset").click()
    summary = " ".join(w.children[0] for w in rc.find(v.Html, tag="span").widgets
                       if w.children and isinstance(w.children[0], str))
    assert "200 agents" in summary


def test_a_step_is_one_render_whatever_the_number_of_views(render_page):
    """Mesa re-renders every component that follows its step counter in a render pass of
    its own; the page has one such component, so a step costs one pass, which draws each
    view once."""
    rc = render_page("estimation")
    passes = []
    render = rc.render
    rc.render = lambda *args, **kwargs: (passes.append(1), render(*args, **kwargs))[1]
    drawn = []
    view_class = est.AgentView.view_class
    original = view_class.update
    view_class.update = lambda self, model: (drawn.append(model.steps), original(self, model))
    try:
        for _ in range(3):
            _button(rc, "Step").click()
    finally:
        view_class.update = original
    assert drawn == [1, 2, 3]
    assert len(passes) == 3


# ---------------------------------------------------------------------------------------------
# the estimation page


def test_app_defaults_come_from_the_schema_where_they_can():
    schema = EstimationParams.model_fields
    p = app_params()
    assert p.social_weight == schema["social_weight"].default
    assert p.truth == schema["truth"].default
    assert p.noise_scale == pytest.approx(schema["noise_scale"].default, rel=0.01)
    assert p.rounds == APP_ROUNDS
    assert p.stubborn_share == 0 and p.weight_mode == "constant" and p.noise == "normal"


@pytest.mark.parametrize("n_agents", [MIN_AGENTS, 17, MAX_AGENTS])
def test_every_combination_of_choices_is_a_valid_model(n_agents):
    for information, topology, influencer in itertools.product(INFORMATION, TOPOLOGIES,
                                                               INFLUENCERS):
        p = app_params(n_agents, 0.4, information, topology, influencer)
        assert p.information == INFORMATION[information]
        if p.information == "neighbours":
            assert p.network.kind == TOPOLOGIES[topology]["kind"]
        else:
            assert p.network.kind == "none"  # the topology applies to neighbours only
        assert p.n_influencers == INFLUENCERS[influencer]["n_influencers"]
        if n_agents == MIN_AGENTS:  # build and step each once (small: fast)
            model = EstimationApp(n_agents, 0.4, information, topology, influencer, seed=1)
            model.step()
            assert model.running and model.estimates.shape == (n_agents,)
            assert len(model.layout) == n_agents


@pytest.mark.parametrize("n_agents", [MIN_AGENTS, 8, 61, MAX_AGENTS])
@pytest.mark.parametrize("bridge_share", [0.0, 0.05, 0.5])
def test_communities_are_valid_for_every_crowd_and_bridge_share(n_agents, bridge_share):
    model = EstimationApp(n_agents=n_agents, topology=est._COMMUNITY_LABEL,
                          bridge_share=bridge_share, seed=1)
    p = model.params
    assert p.network.kind == "stochastic_block" and p.network.bridge_share == bridge_share
    assert p.n_groups == est.COMMUNITIES and p.correlation == est.COMMUNITY_CORRELATION
    model.step()
    assert model.layout.shape == (n_agents, 2)


def test_without_bridges_communities_keep_their_shared_errors_and_bridges_mix_them():
    def spread_of_community_means(bridge_share):
        model = EstimationApp(n_agents=200, topology=est._COMMUNITY_LABEL,
                              bridge_share=bridge_share, social_weight=0.5, seed=7)
        model.run_for(60)
        groups = np.array([a.group for a in model.crowd])
        means = [model.estimates[groups == g].mean() for g in range(est.COMMUNITIES)]
        return np.ptp(means)

    assert spread_of_community_means(0.3) < 0.2 * spread_of_community_means(0.0)


@pytest.mark.parametrize("noise", list(NOISE))
@pytest.mark.parametrize("revision", list(est.REVISION))
def test_every_noise_family_and_revision_space_makes_a_crowd(noise, revision):
    model = EstimationApp(n_agents=30, noise=noise, revision=revision, seed=2)
    family = NOISE[noise]
    assert model.params.noise == family
    if est.REVISION[revision] == "log" and family in ("normal", "split_normal"):
        assert model.params.revision_space == "linear"
        assert model.revision_problem.startswith("revising logarithms needs")
    else:
        assert model.params.revision_space == est.REVISION[revision]
        assert model.revision_problem is None
    model.run_for(2)
    assert np.isfinite(model.estimates).all()


def test_noise_scale_is_a_share_of_the_truth_or_the_log_error_sd():
    p = app_params(truth=500, noise_level=0.1)
    assert p.noise_scale == pytest.approx(50.0)
    p = app_params(noise="split normal: wider below (Galton's ballots)", noise_level=0.1)
    assert p.noise_scale_below > p.noise_scale > p.noise_scale_above
    assert app_params(noise="log-normal (Lorenz et al. 2011)", noise_level=0.3).noise_scale == 0.3


@pytest.mark.parametrize("weights", list(WEIGHTS))
def test_weight_modes_and_stubborn_agents_reach_the_model(weights):
    model = EstimationApp(n_agents=100, social_weight=0.4, weights=weights,
                          stubborn_share=0.25, seed=4)
    w = model.social_weights
    assert model.params.weight_mode == WEIGHTS[weights]["weight_mode"]
    assert 10 <= (w == 0).sum() <= 45  # about a quarter never move
    if WEIGHTS[weights]["weight_mode"] != "constant":
        assert len(np.unique(w[w > 0])) > 1


def test_agent_reporter_holds_each_agents_estimate_every_round():
    model = CrowdEstimation(n_agents=12, information="full", rounds=3, rng=5)
    first = model.estimates
    model.run_for(3)
    frame = model.datacollector.get_agent_vars_dataframe()
    assert list(frame.columns) == ["estimate"]
    assert frame.index.names == ["Step", "AgentID"]
    assert len(frame) == 12 * 4  # after creation and after each of 3 rounds
    by_round = frame["estimate"].unstack()
    np.testing.assert_array_equal(by_round.iloc[0].to_numpy(), first)
    np.testing.assert_array_equal(by_round.iloc[-1].to_numpy(), model.estimates)


def test_biased_hub_announces_truth_plus_ten_percent_and_stays():
    model = EstimationApp(topology="star (agent 0 the hub)",
                          influencer="a biased hub (announces truth + 10 %)", seed=3)
    hub = model.truth * 1.1
    assert model.estimates[0] == pytest.approx(hub)
    model.run_for(5)
    assert model.estimates[0] == pytest.approx(hub)
    assert abs(np.mean(model.estimates) - hub) < abs(np.mean(model.estimates) - model.truth)


def test_same_seed_same_crowd_other_seed_other_crowd():
    a, b, c = EstimationApp(seed=5), EstimationApp(seed="5"), EstimationApp(seed=6)
    for model in (a, b, c):
        model.run_for(3)
    np.testing.assert_array_equal(a.estimates, b.estimates)
    assert not np.array_equal(a.estimates, c.estimates)
    assert a.datacollector.get_model_vars_dataframe().equals(
        b.datacollector.get_model_vars_dataframe())


def test_app_model_is_the_mesa_model_with_the_seed_as_rng():
    """The app adds nothing to the dynamics: same seed and parameters as CrowdEstimation."""
    app_model = EstimationApp(seed=11, topology=est._COMMUNITY_LABEL)
    plain = CrowdEstimation(rng=11, **app_params(topology=est._COMMUNITY_LABEL).model_dump())
    app_model.run_for(4)
    plain.run_for(4)
    np.testing.assert_array_equal(app_model.estimates, plain.estimates)


def test_the_page_can_step_far_beyond_the_schema_default_rounds():
    model = EstimationApp(n_agents=10, seed=1)
    model.run_for(50)
    assert model.running and model.steps == 50


@pytest.mark.parametrize("bad", ["", "x", "-1", "1.5", True, None])
def test_bad_seed_is_refused_naming_the_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        parse_seed(bad)


@pytest.mark.parametrize(("field", "value"), [("information", "gossip"),
                                              ("topology", "hypercube"),
                                              ("influencer", "a guru"),
                                              ("weights", "by age"),
                                              ("noise", "uniform"),
                                              ("revision", "square root")])
def test_unknown_choice_is_refused_naming_the_control(field, value):
    with pytest.raises(ValueError, match=f"{field}: must be one of"):
        app_params(**{field: value})


def test_agent_view_marks_the_truth_and_the_influencer():
    model = EstimationApp(n_agents=12, influencer="a hub (agent 0, weight 3, seen by all)",
                          seed=2)
    model.run_for(2)
    view = est.CrowdView(model)
    view.update(model)
    texts = view.texts()
    assert "The agents now: each sees its network neighbours" in texts
    assert "influencer" in texts and {"truth", "mean", "median"} <= set(texts)


def test_histogram_counts_every_agent_and_says_how_many_are_off_the_scale():
    model = EstimationApp(n_agents=80, noise="log-Cauchy, heavy tails (Jayles et al. 2017)",
                          noise_level=0.3, seed=3)
    view = est.HistogramView(model)
    view.update(model)
    counts = int(view.counts.sum())
    outside = view.outside.get_text()
    if outside:
        below, above = (int(s.split()[0]) for s in outside.split(": ")[1].split(", "))
        assert counts + below + above == 80
    else:
        assert counts == 80


# ---------------------------------------------------------------------------------------------
# the nest-site page


def test_nest_site_defaults_are_the_schema_defaults_but_the_horizon():
    p = nest.app_params()
    schema = NestSiteParams()
    assert p.model_dump() == schema.model_copy(update={"horizon": nest.APP_HORIZON}).model_dump()
    assert p.horizon > schema.horizon and p.quorum is None


@pytest.mark.parametrize("sites", list(nest.SITES))
def test_nest_site_every_site_choice_is_a_valid_swarm(sites):
    for quorum in (0, 5, nest.MAX_QUORUM):
        p = nest.app_params(sites, nest.MIN_AGENTS, 0.5, 0.3, 1.0, quorum)
        assert p.qualities == nest.SITES[sites]
        assert p.quorum == (quorum if 0 < quorum <= nest.MIN_AGENTS else None)
    model = NestSiteApp(sites, nest.MIN_AGENTS, 0.8, 0.5, 0.5, 0, seed=1)
    model.run_for(3)
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == [*(f"dancers_{j}" for j in range(len(nest.SITES[sites]))),
                                   "uncommitted"]
    assert len(frame) == 4 and model.running


def test_nest_site_app_model_is_the_mesa_model_with_the_seed_as_rng():
    app_model = NestSiteApp(n_agents=60, copying=0.4, quorum=0, seed=11)
    plain = NestSiteSelection(rng=11, **nest.app_params(n_agents=60, copying=0.4).model_dump())
    app_model.run_for(15)
    plain.run_for(15)
    np.testing.assert_array_equal(app_model.trajectory, plain.trajectory)
    np.testing.assert_array_equal(app_model.strengths, plain.strengths)


def test_nest_site_quorum_stops_the_swarm_and_the_page_says_which_site():
    model = NestSiteApp(n_agents=100, quorum=10, seed=3)
    model.run_for(200)  # the page's Step and play stop when running is False
    assert not model.running and model.decision_time is not None
    j = model.chosen_by_quorum
    assert model.dancers[j] >= 10 and model.steps == model.decision_time
    assert nest._decision_text(model).startswith(
        f"quorum 10 reached at step {model.decision_time}: site {j} "
        f"(quality {model.params.qualities[j]:g}) chosen")


def test_nest_site_quorum_above_the_swarm_is_no_quorum_and_says_so():
    model = NestSiteApp(n_agents=50, quorum=100, seed=1)
    assert model.params.quorum is None and model.controls["quorum"] is None
    assert model.quorum_problem == "quorum 100 is more than the 50 scouts: no quorum"
    assert NestSiteApp(n_agents=50, quorum=50).quorum_problem is None


@pytest.mark.parametrize("seed", [" 7 ", 42, "0", "", "x", "-1", "1.5", True, None])
def test_nest_site_seed_rule_is_the_estimation_pages(seed):
    swarm, crowd = NestSiteApp(n_agents=20, seed=seed), EstimationApp(n_agents=10, seed=seed)
    assert (swarm.seed, swarm.seed_problem) == (crowd.seed, crowd.seed_problem)


def test_nest_site_copied_dancers_count_the_scouts_who_did_not_assess():
    none = NestSiteApp(n_agents=100, copying=0.0, seed=2)
    none.run_for(10)
    assert none.copied_dancers().sum() == 0
    many = NestSiteApp(n_agents=100, copying=0.9, seed=2)
    many.run_for(10)
    copied = many.copied_dancers()
    assert copied.sum() > 0 and np.all(copied <= many.dancers)


def test_nest_site_views_name_the_sites_with_their_qualities_and_counts():
    model = NestSiteApp(n_agents=80, quorum=40, seed=4)
    model.run_for(6)
    counts = model.dancers

    def texts(cls):
        view = cls(model)
        view.update(model)
        view.render()
        return view.texts()

    scouts = texts(nest.ScoutView)
    assert any(t.startswith("Step 6:") for t in scouts)
    for j, q in enumerate(model.params.qualities):
        assert f"site {j}, q = {q:g}" in scouts
    dancers = texts(nest.DancersView)
    for j, q in enumerate(model.params.qualities):
        assert nest.site_label(j, q) in dancers
    assert "uncommitted" in dancers and "quorum 40" in dancers
    states = texts(nest.StatesView)
    assert "Scouts by state at step 6" in states
    assert "copied (not assessed)" in states and "quorum 40" in states
    assert {str(c) for c in counts} | {str(80 - counts.sum())} <= set(states)


def test_nest_site_colours_are_colour_blind_safe_and_grey_is_only_uncommitted():
    assert sns.color_palette("colorblind").as_hex() == nest.COLORBLIND
    palette = [tuple(c) for c in sns.color_palette("colorblind")]
    sites = [nest.site_colour(j) for j in range(5)]
    assert all(c in palette for c in sites) and len(set(sites)) == 5
    assert nest.UNCOMMITTED_COLOUR in palette and nest.UNCOMMITTED_COLOUR not in sites


# ---------------------------------------------------------------------------------------------
# the majority-vote, cascades and cumulative-advantage pages


def test_majority_app_model_is_the_mesa_model_with_the_seed_as_rng():
    from sim.models.majority_vote import MajorityVote

    app_model = majority.MajorityApp(n_agents=21, competence=0.55, correlation=0.2, seed=9)
    plain = MajorityVote(rng=9, **majority.app_params(21, 0.55, correlation=0.2).model_dump())
    app_model.run_for(30)
    plain.run_for(30)
    assert app_model.outcomes == plain.outcomes


def test_majority_theory_is_condorcets_and_the_vote_distribution_sums_to_one():
    model = majority.MajorityApp(n_agents=11, competence=0.6, seed=1)
    assert model.theory == pytest.approx(0.7535, abs=1e-4)
    for correlation in (0.0, 0.4):
        model = majority.MajorityApp(n_agents=11, correlation=correlation, seed=1)
        dist = majority.right_votes_distribution(model)
        assert dist.sum() == pytest.approx(1.0)
        wins = dist[np.arange(12) * 2 > 11].sum()
        assert wins == pytest.approx(model.theory)


@pytest.mark.parametrize(("heterogeneity", "competence", "narrowed"), [
    ("uniform, p ± 0.1", 0.95, True), ("uniform, p ± 0.1", 0.5, False),
    ("Beta around p (concentration 10)", 1.0, True), ("uniform, p ± 0.1", 0.0, True)])
def test_majority_competences_the_page_cannot_spread_are_narrowed_and_said(
        heterogeneity, competence, narrowed):
    model = majority.MajorityApp(competence=competence, heterogeneity=heterogeneity, seed=2)
    model.run_for(3)
    assert (model.problems[1] is not None) == narrowed


def test_cascade_app_model_is_the_mesa_model_with_the_seed_as_rng():
    from sim.models.cascades import InformationCascade

    app_model = cascades.CascadeApp(n_agents=50, precision=0.7, seed=4)
    plain = InformationCascade(rng=4, **cascades.app_params(50, 0.7).model_dump())
    app_model.run_for(50)
    plain.run_for(50)
    assert app_model.actions == plain.actions and not app_model.running


def test_cascade_public_state_freezes_in_the_cascade():
    model = cascades.CascadeApp(n_agents=60, seed=5)
    model.run_for(60)
    states = cascades._public_states(model.actions)
    assert states[-1] == model.public_state
    start = model.cascade_start
    if start > 0:
        assert abs(states[start]) == 2 and len(set(states[start:])) == 1


def test_market_app_model_is_the_mesa_model_with_the_seed_as_rng_and_the_pages_songs():
    from sim.models.cumulative_advantage import CulturalMarket

    app_model = market.MarketApp(n_songs=12, n_listeners=200, social_weight=2.0, seed=8)
    p = market.app_params(12, 200, 2.0)
    plain = CulturalMarket(rng=8, songs=market.page_songs(p), **p.model_dump())
    app_model.run_for(200)
    plain.run_for(200)
    np.testing.assert_array_equal(app_model.downloads, plain.downloads)
    other_world = market.MarketApp(n_songs=12, n_listeners=200, social_weight=2.0, seed=9)
    np.testing.assert_array_equal(other_world.quality, app_model.quality)  # same songs


def test_market_independent_shares_are_the_long_run_of_an_independent_world():
    model = market.MarketApp(n_songs=5, n_listeners=4000, social_weight=0.0, seed=3)
    model.run_for(4000)
    shares = model.downloads / model.downloads.sum()
    assert np.abs(shares - model.independent_shares).max() < 0.05


# ---------------------------------------------------------------------------------------------
# the launcher


def test_command_runs_solara_in_production_mode_on_the_module():
    cmd = launcher.command("estimation", "127.0.0.1", 9000)
    assert cmd[:4] == [sys.executable, "-m", "solara", "run"]
    assert "sim.models.estimation.app" in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "9000"
    assert "--production" in cmd and "--no-check-version" in cmd


def test_unknown_app_is_an_app_error_naming_the_known_ones():
    with pytest.raises(launcher.AppError, match="unknown app 'gossip'; known: cascades, "
                       "cumulative-advantage, estimation, majority-vote, nest-site"):
        launcher.start("gossip")


# ---------------------------------------------------------------------------------------------
# crowdsim app


def test_cli_unknown_app_is_one_line_and_exit_2(capsys):
    assert main(["app", "gossip"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, "unknown app", "gossip", "estimation", "nest-site",
                          "majority-vote", "cascades", "cumulative-advantage")


@pytest.mark.parametrize(("args", "mention"), [(["--port", "70000"], "--port"),
                                               (["--port", "http"], "--port"),
                                               (["--host", "no such host.invalid"], "--host")])
def test_cli_bad_host_or_port_is_one_line_and_exit_2(capsys, args, mention):
    assert main(["app", "estimation", *args]) == 2
    assert_one_line_error(capsys.readouterr().err, mention)


def test_cli_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "estimation", "--port", str(port)]) == 2
    assert_one_line_error(capsys.readouterr().err, "--port", str(port))


def _serve_with_the_cli(port: int) -> tuple[subprocess.Popen, str]:
    """``crowdsim app estimation`` in its own session, once it says it serves."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen([sys.executable, "-m", "sim", "app", "estimation", "--port",
                                str(port)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "is serving at" in line:
            break
    assert any(f"is serving at {url}" in line for line in lines), lines
    return process, url


def _port_is_free(port: int) -> bool:
    """Whether a new server could listen on ``port`` (as servers do, with SO_REUSEADDR: the
    closed page's connections may linger in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_until_free(port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_is_free(port):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_cli_serves_the_page_and_stopping_it_frees_the_port(stop):
    """Ctrl-C in a terminal reaches the launcher's process group; ``kill PID`` (SIGTERM)
    reaches the launcher alone: either way the server goes too and the port is free."""
    port = launcher.free_port()
    process, url = _serve_with_the_cli(port)
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as response:
            assert response.status == 200
            assert "solara" in response.read().decode("utf-8", "replace").lower()
        if stop == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGTERM)
        assert process.wait(30) == 0
        assert _wait_until_free(port), f"the server still holds port {port} after {stop}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        process.stdout.close()


def test_stop_ends_the_servers_whole_process_group():
    process, _ = launcher.start("estimation", "127.0.0.1", 0, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        assert os.getpgid(process.pid) == process.pid  # a group of its own
    finally:
        launcher.stop(process)
    assert process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)

"""The apps without a browser: the page module, the controls -> parameters mapping, the
launcher and the ``crowdsim app`` command (tests/test_app_browser.py drives the page)."""

from __future__ import annotations

import inspect
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import seaborn as sns
from conftest import REPO, assert_one_line_error
from mesa.visualization.solara_viz import _check_model_params

from sim import app as launcher
from sim.app_parts import parse_seed
from sim.cli import main
from sim.models.estimation import EstimationParams
from sim.models.estimation.app import (
    APP_ROUNDS,
    DEFAULTS,
    INFLUENCERS,
    INFORMATION,
    MAX_AGENTS,
    MIN_AGENTS,
    TOPOLOGIES,
    EstimationApp,
    app_params,
    draw_agents,
    model_params,
)
from sim.models.nest_site import NestSiteParams, NestSiteSelection
from sim.models.nest_site import app as nest
from sim.models.nest_site.app import NestSiteApp

# ---------------------------------------------------------------------------------------------
# the page module


@pytest.mark.parametrize("name", sorted(launcher.APPS))
def test_every_registered_app_module_has_a_page(name):
    module = __import__(launcher.APPS[name], fromlist=["page"])
    assert module.page is not None


def test_controls_are_the_keyword_arguments_of_the_app_model():
    signature = inspect.signature(EstimationApp.__init__).parameters
    assert set(model_params) == set(signature) - {"self"}
    _check_model_params(EstimationApp.__init__, model_params)  # Mesa's own check
    for name, control in model_params.items():
        assert control["value"] == DEFAULTS[name] == signature[name].default, name
        if control["type"] == "Select":
            assert control["value"] in control["values"], name
    assert model_params["n_agents"]["min"] == MIN_AGENTS
    assert model_params["n_agents"]["max"] == MAX_AGENTS


def test_app_defaults_come_from_the_schema_where_they_can():
    schema = EstimationParams.model_fields
    p = app_params()
    assert p.social_weight == schema["social_weight"].default
    assert p.truth == schema["truth"].default and p.noise_scale == schema["noise_scale"].default
    assert p.rounds == APP_ROUNDS


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
    frame_a = a.datacollector.get_model_vars_dataframe()
    frame_b = b.datacollector.get_model_vars_dataframe()
    assert frame_a.equals(frame_b)


def test_app_model_is_the_mesa_model_with_the_seed_as_rng():
    """The app adds nothing to the dynamics: same seed and parameters as CrowdEstimation."""
    from sim.models.estimation import CrowdEstimation

    app_model = EstimationApp(seed=11)
    plain = CrowdEstimation(rng=11, **app_params().model_dump())
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


def test_bad_seed_text_on_the_page_uses_the_default_seed_and_says_so():
    model = EstimationApp(n_agents=10, seed="4x")
    assert model.seed == DEFAULTS["seed"] and model.controls["seed"] == DEFAULTS["seed"]
    assert model.seed_problem.startswith("seed: must be a whole number >= 0; got '4x'")
    np.testing.assert_array_equal(model.estimates,
                                  EstimationApp(n_agents=10, seed=DEFAULTS["seed"]).estimates)


@pytest.mark.parametrize(("field", "value"), [("information", "gossip"),
                                              ("topology", "hypercube"),
                                              ("influencer", "a guru")])
def test_unknown_choice_is_refused_naming_the_control(field, value):
    with pytest.raises(ValueError, match=f"{field}: must be one of"):
        app_params(**{field: value})


def test_agent_view_draws_the_round_the_truth_and_the_influencer():
    model = EstimationApp(n_agents=12, influencer="a hub (agent 0, weight 3, seen by all)",
                          seed=2)
    model.run_for(2)
    fig = draw_agents(model)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(t.startswith("Round 2:") for t in texts)
    assert "influencer" in texts
    assert f"truth {model.truth:g}" in texts
    assert any(t.startswith("mean ") for t in texts)


# ---------------------------------------------------------------------------------------------
# the nest-site page


def test_nest_site_controls_are_the_keyword_arguments_of_the_app_model():
    signature = inspect.signature(NestSiteApp.__init__).parameters
    assert set(nest.model_params) == set(signature) - {"self"}
    _check_model_params(NestSiteApp.__init__, nest.model_params)  # Mesa's own check
    for name, control in nest.model_params.items():
        assert control["value"] == nest.DEFAULTS[name] == signature[name].default, name
        if control["type"] == "Select":
            assert control["value"] in control["values"], name
        if control["type"].startswith("Slider"):
            assert control["min"] <= control["value"] <= control["max"], name
    assert nest.model_params["n_agents"]["min"] == nest.MIN_AGENTS
    assert nest.model_params["n_agents"]["max"] == nest.MAX_AGENTS
    assert nest.model_params["quorum"]["min"] == 0  # 0: no quorum
    assert nest.model_params["quorum"]["max"] == nest.MAX_QUORUM


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
    """The app adds nothing to the dynamics: same seed and parameters as NestSiteSelection."""
    app_model = NestSiteApp(n_agents=60, copying=0.4, quorum=0, seed=11)
    plain = NestSiteSelection(rng=11, **nest.app_params(n_agents=60, copying=0.4).model_dump())
    app_model.run_for(15)
    plain.run_for(15)
    np.testing.assert_array_equal(app_model.trajectory, plain.trajectory)
    np.testing.assert_array_equal(app_model.strengths, plain.strengths)


def test_nest_site_same_seed_same_swarm_other_seed_other_swarm():
    a, b, c = (NestSiteApp(n_agents=60, seed=s) for s in (5, "5", 6))
    for model in (a, b, c):
        model.run_for(10)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    assert not np.array_equal(a.trajectory, c.trajectory)


def test_nest_site_page_can_step_far_beyond_the_schema_horizon():
    model = NestSiteApp(n_agents=nest.MIN_AGENTS, seed=1)
    model.run_for(NestSiteParams().horizon + 10)
    assert model.running and model.steps == NestSiteParams().horizon + 10


def test_nest_site_quorum_stops_the_swarm_and_the_page_says_which_site():
    model = NestSiteApp(n_agents=100, quorum=10, seed=3)
    model.run_for(200)  # the page's Step and play stop when running is False
    assert not model.running and model.decision_time is not None
    j = model.chosen_by_quorum
    assert model.dancers[j] >= 10 and model.steps == model.decision_time
    text = nest._decision_text(model)
    assert text.startswith(f"quorum 10 reached at step {model.decision_time}: site {j} "
                           f"(quality {model.params.qualities[j]:g}) chosen")


def test_nest_site_quorum_above_the_swarm_is_no_quorum_and_says_so():
    model = NestSiteApp(n_agents=50, quorum=100, seed=1)
    assert model.params.quorum is None and model.controls["quorum"] is None
    assert model.quorum_problem == "quorum 100 is more than the 50 scouts: no quorum"
    assert NestSiteApp(n_agents=50, quorum=50).quorum_problem is None


def test_nest_site_bad_seed_text_uses_the_default_seed_and_says_so():
    model = NestSiteApp(n_agents=40, seed="4x")
    assert model.seed == nest.DEFAULTS["seed"]
    assert model.seed_problem.startswith("seed: must be a whole number >= 0; got '4x'")
    model.run_for(5)
    again = NestSiteApp(n_agents=40, seed=nest.DEFAULTS["seed"])
    again.run_for(5)
    np.testing.assert_array_equal(model.trajectory, again.trajectory)


@pytest.mark.parametrize("seed", [" 7 ", 42, "0", "", "x", "-1", "1.5", True, None])
def test_nest_site_seed_rule_is_the_estimation_pages(seed):
    swarm, crowd = NestSiteApp(n_agents=20, seed=seed), EstimationApp(n_agents=10, seed=seed)
    assert (swarm.seed, swarm.seed_problem) == (crowd.seed, crowd.seed_problem)


def test_nest_site_unknown_site_choice_is_refused_naming_the_control():
    with pytest.raises(ValueError, match="sites: must be one of"):
        nest.app_params(sites="a hollow tree")


def test_nest_site_copied_dancers_count_the_scouts_who_did_not_assess():
    none = NestSiteApp(n_agents=100, copying=0.0, seed=2)
    none.run_for(10)
    assert none.copied_dancers().sum() == 0
    many = NestSiteApp(n_agents=100, copying=0.9, seed=2)
    many.run_for(10)
    copied = many.copied_dancers()
    assert copied.sum() > 0 and np.all(copied <= many.dancers)
    assert copied.sum() == sum(s.copied for s in many.scouts)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_nest_site_views_name_the_sites_with_their_qualities_and_counts():
    model = NestSiteApp(n_agents=80, quorum=40, seed=4)
    model.run_for(6)
    counts = model.dancers
    scouts = _texts(nest.draw_scouts(model))
    assert any(t.startswith("Step 6:") for t in scouts)
    for j, q in enumerate(model.params.qualities):
        assert f"site {j}, q = {q:g}: {counts[j]}" in scouts
    assert f"uncommitted: {80 - counts.sum()}" in scouts
    dancers = _texts(nest.draw_dancers(model))
    for j, q in enumerate(model.params.qualities):
        assert nest.site_label(j, q) in dancers
    assert "uncommitted" in dancers and "quorum 40" in dancers
    states = _texts(nest.draw_states(model))
    assert "Scouts by state at step 6" in states
    assert "copied (not assessed)" in states and "quorum 40" in states
    assert {str(c) for c in counts} <= set(states)


def test_nest_site_colours_are_colour_blind_safe_and_grey_is_only_uncommitted():
    assert sns.color_palette("colorblind").as_hex() == nest.COLORBLIND
    palette = [tuple(c) for c in sns.color_palette("colorblind")]
    sites = [nest.site_colour(j) for j in range(5)]
    assert all(c in palette for c in sites) and len(set(sites)) == 5
    assert nest.UNCOMMITTED_COLOUR in palette and nest.UNCOMMITTED_COLOUR not in sites


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
    with pytest.raises(launcher.AppError,
                       match="unknown app 'gossip'; known: estimation, nest-site"):
        launcher.start("gossip")


# ---------------------------------------------------------------------------------------------
# crowdsim app


def test_cli_unknown_app_is_one_line_and_exit_2(capsys):
    assert main(["app", "gossip"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, "unknown app", "gossip", "estimation", "nest-site")


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


def test_cli_serves_the_page_prints_the_address_and_stops_on_ctrl_c():
    port = launcher.free_port()
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen([sys.executable, "-m", "sim", "app", "estimation", "--port",
                                str(port)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
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
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as response:
            assert response.status == 200
            assert "solara" in response.read().decode("utf-8", "replace").lower()
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the group
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        process.stdout.close()

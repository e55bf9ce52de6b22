"""Every experiment's figures are readable: no two texts (titles, axis and tick labels,
legends, annotations, the provenance caption) overlap and none leaves the figure.

Each case runs a shipped config, shrunk, with every figure checked by
:func:`sim.plots.checks.text_problems` just before it is written, then redraws the figures from
the stored results with the ``--caption`` option and checks them again.
"""

import pytest
import yaml
from conftest import REPO
from test_choice_experiments import SMALL as CHOICE_SMALL
from test_experiments_influence import OTHER, TINY
from test_figures_remake import CASES, SMALL_SWARM
from test_groupthink_phase import TINY as PHASE_TINY

from experiments import EXPERIMENTS
from experiments._runner import Execution, remake_figures, run_experiment
from sim.config import load_yaml
from sim.plots import set_figure_options
from sim.plots.checks import text_problems


def _influence(name):
    return {**TINY, "dataset": str(REPO / "configs" / "datasets" / f"{name}.yaml"),
            "calibrate_on": str(REPO / "configs" / "datasets" / f"{OTHER[name]}.yaml")}


def _groupthink_phase():
    crowd = {**load_yaml(REPO / "configs" / "groupthink_phase.yaml")["crowd"], "n_agents": 30,
             "rounds": 5}
    return {"crowd": crowd, **PHASE_TINY}


#: Tiny overrides of each shipped config: test_figures_remake's CASES where it has one, else
#: the sizes the experiment's own tests run (a config name -> its overrides).
TINY_CONFIGS = {
    "galton_ox": {"replicates": 300},
    "ted_ox": {"replicates": 200},  # the ox experiment on summary statistics
    **CHOICE_SMALL,
    "lorenz2011": _influence("lorenz2011"),
    "becker2017": _influence("becker2017"),
    "groupthink_phase": _groupthink_phase(),
    "weak_ties": {"crowd": {**load_yaml(REPO / "configs" / "weak_ties.yaml")["crowd"],
                            "n_agents": 40, "rounds": 5},
                  "replicates": 20, "bridge_shares": [0.0, 0.5], "social_weights": [0.0, 0.9],
                  "degree_inside": 6, "calibrated": None, "traced_weight": 0.9,
                  "traced_bridge_shares": [0.0, 0.5]},
    "golub_jackson": {"check": {"sizes": [10, 20], "networks": 3, "first_chunk": 100},
                      "scaling": {"sizes": [10, 100, 300], "replicates": 20}, "bootstrap": 200},
    "nest_site_groupthink": {"runs": 60, "copying": [0.0, 0.5, 1.0], "noise": [1.0],
                             "swarm": {**SMALL_SWARM, "interdependence": 0.8, "horizon": 150}},
    "nest_site_quorum": {"runs": 40, "quorum": [5, 20, 30, 40], "interdependence": [0.8],
                         "swarm": SMALL_SWARM},
    **{name: overrides for name, (overrides, _, _) in CASES.items()},
}

#: Experiments whose figures are being fixed by others right now.
#: The experiments whose tiny runs take longest (a calibration, or 1,408 points): checked in
#: ``make test-all`` (``-m slow``), so the default suite stays within its time budget.
SLOW = {"groupthink_phase", "becker2017", "lorenz2011"}


def _param(name):
    return pytest.param(name, marks=[pytest.mark.slow] if name in SLOW else [], id=name)


CONFIGS = sorted({*EXPERIMENTS, "ted_ox"})


def test_every_experiment_is_covered():
    assert set(TINY_CONFIGS) == set(CONFIGS)


class Collector:
    """A ``text_check`` for :func:`set_figure_options`: each figure's problems by file."""

    def __init__(self):
        self.problems: dict[str, list[str]] = {}

    def __call__(self, fig, stem):
        self.problems[str(stem).rsplit("/", 1)[-1]] = text_problems(fig)

    def report(self):
        assert self.problems, "no figure was drawn"
        return [f"{stem}: {problem}" for stem, problems in sorted(self.problems.items())
                for problem in problems]


@pytest.fixture(scope="module")
def checked(request, tmp_path_factory):
    """Run a config; the text problems of its figures as drawn, then redrawn with captions."""
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    config = folder / f"{name}.yaml"
    config.write_text(yaml.safe_dump({**load_yaml(REPO / "configs" / f"{name}.yaml"),
                                      **TINY_CONFIGS[name]}, sort_keys=False))
    plain, captioned = Collector(), Collector()
    try:
        set_figure_options(caption=False, text_check=plain)
        run_experiment(config, folder / "out", Execution(workers=1, quiet=True), report=False,
                       log=None)
        set_figure_options(caption=True, text_check=captioned)
        remake_figures(folder / "out")
    finally:
        set_figure_options(caption=False, text_check=None)
    return plain, captioned


@pytest.mark.parametrize("checked", [_param(name) for name in CONFIGS], indirect=True)
def test_no_text_overlaps_or_leaves_the_figure(checked):
    problems = checked[0].report()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("checked", [_param(name) for name in CONFIGS], indirect=True)
def test_caption_overlaps_nothing(checked):
    problems = checked[1].report()
    assert not problems, "\n".join(problems)

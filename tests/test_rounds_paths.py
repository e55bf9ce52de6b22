"""The rounds of the estimation kernel compiled path by path (issue 14: a sweep compiles the
rules it uses): each setting picks one path, the batch runners on that path give what the
run-time dispatch of :func:`~sim.models.estimation.kernel.evolve` gives, bit for bit, and a
path compiles none of the other paths' round functions."""

import os
import subprocess
import sys

import numpy as np
import pytest

from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation.kernel import (
    PATH_NAMES,
    _path_index,
    evolve,
    rounds_path,
)
from sim.models.estimation.rules import general_revision
from sim.networks import build as build_network
from sim.networks import empty as empty_network

RING = {"kind": "ring_lattice", "degree": 4}

#: one setting per path, in the order of PATH_NAMES
PATHS = [
    {"information": "none", "drift": 0.1, "drift_noise": 0.5},
    {"information": "neighbours", "network": RING, "confidence_bound": 20.0},
    {"information": "aggregate", "signal": "median", "later_weight_factor": 0.5},
    {"information": "full", "confidence_bound": 20.0},
    {"information": "full", "anchoring": 0.3},
    {"information": "neighbours", "network": RING, "rule": "deffuant",
     "confidence_bound": 20.0},
    {"information": "aggregate", "rule": "sequential"},
]


def _params(options: dict) -> EstimationParams:
    return EstimationParams(n_agents=30, rounds=3, social_weight=0.4, **options)


@pytest.mark.parametrize("index", range(len(PATHS)), ids=PATH_NAMES)
def test_each_setting_takes_one_path_the_same_in_python_and_compiled(index):
    settings = _params(PATHS[index]).rule_settings()
    markers = rounds_path(settings)
    assert markers.count(0) == 1 and markers.count(None) == len(PATH_NAMES) - 1
    assert markers.index(0) == index
    general = general_revision(settings.later_weight_factor, settings.anchoring,
                               settings.distance_scale, settings.asymmetry)
    assert _path_index(settings, general) == index  # the compiled choice of evolve


@pytest.mark.parametrize("index", range(len(PATHS)), ids=PATH_NAMES)
def test_the_compiled_path_equals_the_run_time_dispatch(index):
    params = _params(PATHS[index])
    start = np.linspace(80.0, 130.0, params.n_agents)
    batch = simulate_crowds(params, [11, 12], initial_estimates=start)
    graph = (build_network(params.network, params.n_agents, None)
             or empty_network(params.n_agents))
    for r, seed in enumerate([11, 12]):
        x = start.copy()
        record = np.empty((params.rounds + 1, params.n_agents))
        weights = np.empty(params.n_agents)
        evolve(np.random.default_rng(seed), params.rule_settings(), x, graph.indptr,
               graph.indices, np.arange(params.rounds + 1), record, weights, False)
        assert np.array_equal(record, batch.trajectory[r])
        assert np.array_equal(weights, batch.social_weights[r])
    # the rounds moved the estimates: the comparison is not of first answers only
    assert not np.array_equal(batch.trajectory[:, -1], batch.trajectory[:, 0])


_ONE_PATH = """
import numpy as np
from sim.models.estimation import EstimationParams, simulate_crowds
from sim.models.estimation import kernel
p = EstimationParams(n_agents=10, rounds=2, information="none", drift=0.1)
simulate_crowds(p, [1])
others = [kernel._average_round, kernel._aggregate_round, kernel._full_rows,
          kernel._neighbour_rows, kernel._deffuant_round, kernel._sequential_round]
print([f.__name__ for f in others if f.signatures])
"""


def test_a_path_compiles_none_of_the_other_paths(tmp_path):
    # a private empty cache: everything the drift path needs is compiled, and nothing else
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _ONE_PATH], capture_output=True, text=True,
                          timeout=600, check=True, env=env)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr

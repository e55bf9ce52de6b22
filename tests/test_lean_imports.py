"""Start-up costs: a sweep worker imports only what its model runs, figures are drawn without
seaborn, and ``crowdsim warm`` fills numba's cache (issue 14, items 1 and 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from sim.cli import main
from sim.sweep.models import MODELS, get_model

#: Run in a fresh interpreter: what a worker process imports to run one tiny chunk of each
#: sweepable model, the way the runner hands it over (a ChunkTask naming the model).
_WORKER_SCRIPT = """
import json, sys
import sim.sweep.worker as worker
from sim.sweep.models import MODELS, get_model

loaded = {}
for name in sorted(MODELS):
    model = get_model(name)
    task = worker.ChunkTask(index=0, model=name, base_seed=1, replicates=1,
                            metrics=tuple(model.default_metrics), param_types={},
                            points=(worker.PointRuns(0, 12345, dict(model.example), 0, 1),))
    result = worker.run_chunk(task)
    assert result.failures.num_rows == 0, name
    loaded[name] = sorted(m for m in ("mesa", "seaborn", "matplotlib", "scipy.stats")
                          if m in sys.modules)
print(json.dumps(loaded))
"""


def test_a_sweep_worker_imports_neither_mesa_nor_plotting():
    out = subprocess.run([sys.executable, "-c", _WORKER_SCRIPT], capture_output=True,
                         text=True, timeout=300, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(loaded) == sorted(MODELS)
    assert loaded == {name: [] for name in MODELS}


#: The theme written out in sim.plots.style against seaborn's own set_theme.
_THEME_SCRIPT = """
import sys
import matplotlib as mpl
from sim.plots.style import apply_theme
assert "seaborn" not in sys.modules and "scipy.stats" not in sys.modules
mpl.rcdefaults(); apply_theme()
ours, our_codes = dict(mpl.rcParams), {c: mpl.colors.to_rgb(c) for c in "bgrmyck"}
import seaborn as sns
mpl.rcdefaults()
sns.set_theme(context="notebook", style="whitegrid", palette="colorblind",
              rc={"figure.dpi": 100, "savefig.dpi": 200, "axes.titlesize": 12,
                  "axes.labelsize": 11, "legend.fontsize": 9, "figure.autolayout": False,
                  "svg.hashsalt": "crowdsim"})
differ = sorted(k for k, v in mpl.rcParams.items() if ours[k] != v and k != "image.cmap")
assert not differ, differ
assert our_codes == {c: mpl.colors.to_rgb(c) for c in "bgrmyck"}
"""


def test_the_figure_theme_is_seaborns_without_importing_it():
    subprocess.run([sys.executable, "-c", _THEME_SCRIPT], capture_output=True, text=True,
                   timeout=120, check=True)


def test_a_sweep_warms_only_the_kernels_its_points_run():
    model = get_model("estimation")
    private = [{"n_agents": 100, "noise_scale": s} for s in (1.0, 2.0)]
    assert model.warm_for_sweep(private) == ["private estimates"]
    mixed = [*private, {"n_agents": 30, "rounds": 2, "information": "full"}]
    full = "influence rounds (full information)"
    assert model.warm_for_sweep(mixed) == ["private estimates", full]
    # each path of the rounds compiles on its own: a sweep warms the paths it runs
    deffuant = [*mixed, {"n_agents": 30, "rounds": 2, "information": "full", "rule": "deffuant"}]
    assert model.warm_for_sweep(deffuant) == ["private estimates", full,
                                              "influence rounds (Deffuant)"]
    # an invalid point is left out (its runs fail and are recorded by the worker)
    assert model.warm_for_sweep([{"n_agents": -1}]) == []


def test_crowdsim_warm_fills_the_cache_and_is_fast_when_warm():
    command = [sys.executable, "-m", "sim", "warm", "--model", "estimation"]
    # the first run compiles whatever is not cached yet (nothing after `make test`'s set-up)
    first = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    lines = first.stdout.strip().splitlines()
    assert lines[0].startswith("estimation: private estimates, influence rounds (")
    assert "on watts_strogatz" in lines[0] and lines[-1].startswith("numba's cache is warm")
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    seconds = time.perf_counter() - started
    assert seconds < 15, f"crowdsim warm took {seconds:.1f} s with a warm cache"


def test_crowdsim_warm_names_an_unknown_model(capsys):
    assert main(["warm", "--model", "estimaton"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("crowdsim: error: unknown model 'estimaton'; did you mean "
                            "'estimation'?")
    assert len(error.splitlines()) == 1


@pytest.mark.parametrize("name", ["cascades"])
def test_crowdsim_warm_prints_what_it_warmed(name, capsys):
    assert main(["warm", "--model", name]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{name}: one run at the example point (")

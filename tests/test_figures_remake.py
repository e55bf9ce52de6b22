"""``crowdsim figures`` redraws an experiment's figures from its stored results alone, and the
report leads with the experiment's key numbers (issue 6 section 1).

Each case runs a shipped config, shrunk, through the command line (so the provenance holds the
config, as in real use), deletes every PNG and SVG, redraws them with the simulation functions
replaced by ones that fail, and checks that the same files come back with their provenance and
that the report shows the module's key numbers.
"""

import pytest
import yaml
from PIL import Image

from experiments import experiment_module
from experiments._runner import remake_figures
from sim.cli import main
from sim.config import load_yaml
from sim.report import load_summary, write_report

SMALL_SWARM = {"n_agents": 60, "qualities": [3, 5, 7, 9, 10], "discovery": 0.1,
               "decrement": 1.0, "horizon": 80}

CASES = {
    "cascades": ({"precisions": [0.6, 0.8], "replicates": 300, "start_precisions": [0.6]},
                 ["cascades"], ["simulate_all"]),
    # simulates only through its stages
    "nest_site_list2009": ({"runs": 20, "interdependence": [0.0, 0.8, 1.0],
                            "swarm": SMALL_SWARM, "examples": [[0.0, 0.2], [0.8, 0.2]]},
                           ["p_best", "dancers", "assumptions"], []),
    "cross_inhibition": ({"sigma_points": 21, "swarm": {**SMALL_SWARM, "qualities": [10, 10]},
                          "swarm_interdependence": [0.8], "swarm_multiples": [0.0, 1.0, 4.0],
                          "swarm_runs": 20},
                         ["cross_inhibition"], ["solve", "ode_sweep", "swarm_design"]),
}


def _fail(*args, **kwargs):
    raise AssertionError("figures() must not simulate: it redraws from stored results")


@pytest.fixture(scope="module", params=sorted(CASES))
def results(request, tmp_path_factory):
    name = request.param
    overrides, stems, simulators = CASES[name]
    folder = tmp_path_factory.mktemp(name)
    config = folder / f"{name}.yaml"
    config.write_text(yaml.safe_dump({**load_yaml(f"configs/{name}.yaml"), **overrides}))
    out = folder / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    return name, out, stems, simulators


def escape(text):
    return text.replace("|", "\\|")  # as in a Markdown table cell


def _figure_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".png", ".svg"))


def test_figures_come_back_from_stored_results(results, monkeypatch):
    name, out, stems, simulators = results
    drawn = _figure_files(out)
    assert drawn == sorted(f"{stem}.{ext}" for stem in stems for ext in ("png", "svg"))
    summary = load_summary(out)
    assert sorted(summary["files"]["figures"]) == drawn
    for file in drawn:
        (out / file).unlink()

    module = experiment_module(name)
    for simulator in simulators:
        monkeypatch.setattr(module, simulator, _fail)
    written = remake_figures(out)

    assert sorted(p.rsplit("/", 1)[-1] for p in map(str, written)) == drawn
    assert _figure_files(out) == drawn
    for stem in stems:
        png = Image.open(out / f"{stem}.png")
        assert summary["provenance"]["config_hash"] in png.text["Description"]
        assert min(png.size) > 500  # 200 dpi, not a thumbnail
        assert summary["provenance"]["config_hash"] in (out / f"{stem}.svg").read_text()


def test_report_leads_with_key_numbers(results):
    name, out, stems, _ = results
    summary = load_summary(out)
    numbers = experiment_module(name).key_numbers(summary)
    assert len(numbers) >= 3
    assert all(isinstance(label, str) and isinstance(value, str) and value
               for label, value in numbers)
    md_path, html_path = write_report(out)
    md = md_path.read_text()
    table = md.split("## Key numbers", 1)[1].split("\n## ", 1)[0]
    for label, value in numbers:
        assert f"| {escape(label)} | {escape(value)} |" in table
    for stem in stems:
        assert f"![{stem}.png]({stem}.png)" in md
    assert html_path.read_text().count("data:image/png;base64,") == len(stems)

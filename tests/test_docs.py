"""What users read: the models' help, results/README.md, and no links to files outside the
project."""

from __future__ import annotations

import importlib
import inspect
import pydoc
import re

import pytest
import yaml
from conftest import CONFIGS, REPO

from experiments import EXPERIMENTS

MODELS = [
    "sim.models.estimation.model:CrowdEstimation",
    "sim.models.nest_site.model:NestSiteSelection",
    "sim.models.majority_vote.model:MajorityVote",
    "sim.models.cascades.model:InformationCascade",
    "sim.models.cumulative_advantage.model:CulturalMarket",
]


def _model(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# ---------------------------------------------------------------------------------------------
# the models: real parameters in help(), and rng= rather than seed=


def test_help_of_crowd_estimation_shows_its_parameters():
    from sim.models.estimation import CrowdEstimation

    text = pydoc.render_doc(CrowdEstimation, renderer=pydoc.plaintext)
    for name in ("n_agents", "social_weight", "rng", "initial_estimates"):
        assert name in text, name
    assert "n_agents=787" in text
    assert "social_weight=0.3" in text
    assert "weight of advice" in text  # the field's description


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.rpartition(":")[2])
def test_signature_lists_every_parameter(path):
    cls = _model(path)
    parameters = inspect.signature(cls).parameters
    assert list(parameters)[0] == "rng"
    fields = cls.params_schema.model_fields
    for name, field in fields.items():
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        if field.is_required():
            assert parameters[name].default is inspect.Parameter.empty, name
        elif field.default_factory is None:
            assert parameters[name].default == field.default, name
    assert "**" not in str(inspect.signature(cls))
    assert f"validated by {cls.params_schema.__name__}" in cls.__doc__


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.rpartition(":")[2])
def test_seed_keyword_points_to_rng(path):
    cls = _model(path)
    with pytest.raises(TypeError, match=r"rng=") as raised:
        cls(seed=1)
    assert "use " + cls.__name__ + "(rng=1)" in str(raised.value)
    assert "seed=" in str(raised.value)
    with pytest.raises(TypeError, match=r"rng="):
        cls(seed=1, rng=1)


def test_rng_still_seeds_the_model():
    from sim.models.estimation import CrowdEstimation

    first = CrowdEstimation(n_agents=20, rng=5).estimates
    again = CrowdEstimation(rng=5, n_agents=20).estimates
    assert (first == again).all()


def test_package_help_lists_the_entry_points():
    import sim

    text = pydoc.render_doc(sim, renderer=pydoc.plaintext)
    for entry in ("crowdsim run", "run_experiment", "crowdsim sweep", "run_sweep",
                  "CrowdEstimation", "NestSiteSelection", "MajorityVote", "InformationCascade",
                  "CulturalMarket", "calibrate", "predict", "sim.sweep.results.load",
                  "write_report"):
        assert entry in text, entry


# ---------------------------------------------------------------------------------------------
# results/README.md names every experiment


def test_results_readme_names_every_experiment():
    text = (REPO / "results" / "README.md").read_text(encoding="utf-8")
    folders = set(re.findall(r"^\| `([a-z0-9_]+)/`", text, flags=re.MULTILINE))
    shipped = {path.stem for path in CONFIGS.glob("*.yaml")
               if "experiment" in yaml.safe_load(path.read_text(encoding="utf-8"))}
    assert shipped, "no experiment configs found"
    assert not shipped - folders, f"results/README.md lacks {sorted(shipped - folders)}"
    assert not folders - shipped, f"results/README.md names no config {sorted(folders - shipped)}"
    modules = {path.stem for path in (REPO / "experiments").glob("*.py")
               if not path.stem.startswith("_")}
    assert modules == set(EXPERIMENTS)
    assert modules <= folders


# ---------------------------------------------------------------------------------------------
# links stay inside the project

SKIPPED = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist",
           "node_modules", ".ruff_cache"}
TEXT = {".md", ".py", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".html", ".csv", ""}


def _project_files():
    for path in REPO.rglob("*"):
        parts = path.relative_to(REPO).parts
        if any(part in SKIPPED or part.endswith(".egg-info") for part in parts):
            continue
        if parts[0] == "results" and parts[-1] != "README.md":
            continue  # git-ignored outputs
        if path.is_file() and path.suffix in TEXT:
            yield path


def test_no_file_links_outside_the_project():
    outside = "../" + "shared"  # not spelt out, so that this file does not match
    offenders = []
    for path in _project_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if outside in text:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_references_are_a_project_file_the_readme_links():
    references = REPO / "docs" / "references.md"
    assert references.is_file()
    text = references.read_text(encoding="utf-8")
    for source in ("Galton", "Lorenz", "Becker", "List, C. Elsholtz", "Condorcet",
                   "Bikhchandani", "Salganik"):
        assert source in text, source
    assert "](docs/references.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    # the markdown links of the README and docs/ point at files that exist
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links missing {target}"

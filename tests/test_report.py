"""Figures carry their provenance, can be redrawn from stored results, and reports embed them."""

import json
from pathlib import Path

import pytest
from PIL import Image

from sim.cli import main


@pytest.fixture(scope="module")
def galton_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("galton")
    config = folder / "galton.yaml"
    text = Path("configs/galton_ox.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("replicates: 10000", "replicates: 300"), encoding="utf-8")
    assert main(["run", str(config), "--out", str(folder / "out"), "--quiet", "--pdf"]) == 0
    return folder / "out"


def test_run_writes_report_and_pdf(galton_folder):
    for name in ("report.md", "report.html", "ogive.pdf", "errors.pdf"):
        assert (galton_folder / name).is_file(), name
    html = (galton_folder / "report.html").read_text()
    assert "data:image/png;base64," in html and "src='http" not in html
    md = (galton_folder / "report.md").read_text()
    assert "## Key numbers" in md and "1207 lb (+9, +0.8 %)" in md
    assert "## Where model and data disagree" in md and "![ogive.png](ogive.png)" in md


def test_png_metadata_records_provenance(galton_folder):
    summary = json.loads((galton_folder / "summary.json").read_text())
    description = Image.open(galton_folder / "ogive.png").text["Description"]
    assert summary["provenance"]["config_hash"] in description
    assert "experiment=galton_ox" in description
    svg = (galton_folder / "ogive.svg").read_text()
    assert summary["provenance"]["config_hash"] in svg


def test_figures_are_redrawn_from_stored_results(galton_folder, capsys):
    for png in galton_folder.glob("*.png"):
        png.unlink()
    assert main(["figures", str(galton_folder), "--caption"]) == 0
    assert (galton_folder / "ogive.png").is_file() and (galton_folder / "errors.svg").is_file()
    assert "ogive.png" in capsys.readouterr().out


def test_report_command_and_errors(galton_folder, tmp_path, capsys):
    (galton_folder / "report.md").unlink()
    assert main(["report", str(galton_folder)]) == 0
    assert (galton_folder / "report.md").is_file()
    assert main(["report", str(tmp_path)]) == 2
    assert main(["figures", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("crowdsim: error:") for line in err) and len(err) == 2


def test_sweep_report(tmp_path):
    out = tmp_path / "sweep"
    assert main(["sweep", "configs/sweep_demo.yaml", "--out", str(out), "--quiet"]) == 0
    md = (out / "report.md").read_text()
    assert "## Results" in md and "noise_scale" in md
    assert (out / "report.html").is_file()


def test_verdicts_appear_in_reports(tmp_path):
    from sim.report import write_report

    summary = {"experiment": "lorenz2011", "title": "t | pipes", "provenance": {"seed": 1},
               "verdicts": [{"effect": "diversity |shrinks|", "data": {"sd_change": -0.5},
                             "simulation": {"sd_change": -0.4}, "reproduced": True,
                             "note": "fitted"},
                            {"effect": "confidence rises", "data": {"change": 0.1},
                             "simulation": None, "reproduced": None, "note": "not modelled"}],
               "files": {"figures": []}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    md, html = write_report(tmp_path)
    text = md.read_text()
    assert "**reproduced**" in text and "**not simulated**" in text
    assert "diversity \\|shrinks\\|" in text
    assert "class='yes'" in html.read_text()

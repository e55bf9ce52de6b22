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
    assert "### Key numbers" in md and "1207 lb (+9, +0.8 %)" in md
    assert "## Notes" in md and "![ogive.png](ogive.png)" in md


def _headings(md: str) -> list[str]:
    return [line[3:] for line in md.splitlines() if line.startswith("## ")]


def test_report_leads_with_question_and_answer(galton_folder):
    """Question, answer (key numbers, verdicts and the rule), figures, notes, then the config
    and the provenance last; the config is collapsed in HTML."""
    md = (galton_folder / "report.md").read_text()
    assert _headings(md) == ["Question", "Answer", "Figures", "Notes", "Configuration",
                             "Provenance"]
    answer = md.split("## Answer", 1)[1].split("\n## ", 1)[0]
    assert answer.index("### Key numbers") < answer.index("| effect | data | model | verdict |")
    assert answer.index("| effect |") < answer.index("Verdict rule: ")
    assert "effects judged:" in answer.split("###", 1)[0]
    assert md.index("```yaml") > md.index("## Configuration")
    html = (galton_folder / "report.html").read_text()
    order = [html.index(f"<h2>{h}</h2>") for h in ("Question", "Answer", "Figures",
                                                    "Configuration", "Provenance")]
    assert order == sorted(order)
    assert "<details><summary>the config" in html.split("<h2>Configuration</h2>", 1)[1]


def test_figures_have_real_captions(galton_folder):
    """Captions from the experiment's figure_captions hook (stored in the summary by
    report_texts), never the file name; without a hook, the stem in words."""
    from experiments import experiment_module
    from sim.report import load_summary, report_texts, write_report

    summary = load_summary(galton_folder)
    module = experiment_module("galton_ox")
    texts = report_texts(module, summary)
    assert texts["question"] == " ".join(module.QUESTION.split())
    assert set(texts["figure_captions"]) == {"ogive", "errors"}
    (galton_folder / "summary.json").write_text(json.dumps({**summary, **texts}))
    md, html = (p.read_text() for p in write_report(galton_folder))
    assert md.split("## Question\n\n", 1)[1].startswith(texts["question"])
    captions = [line for line in md.splitlines() if line.startswith("*Figure ")]
    assert len(captions) == 2
    for line, stem in zip(captions, ("ogive", "errors")):
        assert stem not in line.split(". ", 1)[0] and ".png" not in line
        assert len(line) > 80  # a sentence, not a label
    assert "Galton" in captions[0] and "simulated crowds of" in captions[1]
    assert "<figcaption><b>Figure 1.</b> Galton" in html and "alt='ogive.png'" not in html
    # without the hook: the stem in words, still not the file name
    bare = {k: v for k, v in summary.items() if k not in ("question", "figure_captions")}
    (galton_folder / "summary.json").write_text(json.dumps(bare))
    md = write_report(galton_folder)[0].read_text()
    assert "*Figure 1. Ogive.*" in md and "*Figure 2. Errors.*" in md


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
    # dict values read as "name value" pairs: no braces, quotes or internal keys
    table = text.split("| effect | data | model | verdict |", 1)[1].split("\n\n", 1)[0]
    assert "SD change -0.5" in table and "SD change -0.4" in table and "change 0.1" in table
    for raw in ("{", "}", "'", "sd_change"):
        assert raw not in table, raw


def test_verdict_cells_are_readable(tmp_path):
    from sim.report import write_report
    from sim.verdicts import data_only_row, verdict_row

    rows = [verdict_row("formula holds", 0.92647079801, [0.92647079801] * 2, 0.92215,
                        (0.91648862, 0.92781137), null=None, data_ci_source="exact"),
            verdict_row("rounding", 0.6826, (0.68255, 0.68265), 0.68256, (0.68256, 0.68256),
                        null=None),
            data_only_row("SD shrinks", {"sd_round_1": 0.61234, "sd_round_5": 0.40111,
                                         "change": -0.34497, "holds_in_data": True,
                                         "truth_in_range": [0.8, 0.6]}),
            {"effect": "deadlock", "data": "breaks at the threshold", "reproduced": True,
             "simulation": {"deadlocked_below": 12, "broken_above": 30}, "note": ""}]
    (tmp_path / "summary.json").write_text(json.dumps({"experiment": "demo", "verdicts": rows}))
    text = write_report(tmp_path)[0].read_text()
    table = text.split("| effect | data | model | verdict |", 1)[1].split("\n\n", 1)[0]
    lines = table.strip().splitlines()[1:]
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]
    assert cells[0][1:3] == ["0.9265 (exact)", "0.9222 [0.9165, 0.9278]"]
    assert cells[1][1:3] == ["0.6826 [0.68255, 0.68265]", "0.6826"]
    assert cells[2][1] == ("SD round 1 0.6123; SD round 5 0.4011; change -0.345; holds in "
                           "data: yes; truth in range (0.8, 0.6)")
    assert cells[3][2] == "deadlocked below 12; broken above 30"
    for raw in ("{", "}", "_", "'", "0.92647"):
        assert raw not in table, raw


def test_generic_numbers_show_shares_in_percent(tmp_path):
    from sim.report import write_report

    summary = {"experiment": "demo", "data": {"p_best": 0.98412, "n_agents": 120},
               "simulation": {"share_decided": 0.5, "mean_time": 12345.678}}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    text = write_report(tmp_path)[0].read_text()
    for row in ("| data: P(best) | 98.4 % |", "| data: n agents | 120 |",
                "| simulation: share decided | 50.0 % |", "| simulation: mean time | 12,346 |"):
        assert row in text, row


@pytest.mark.parametrize("name", sorted(__import__("experiments").EXPERIMENTS))
def test_every_experiment_states_its_question_and_captions(name):
    """QUESTION is a question; figure_captions gives sentences, also for a bare summary."""
    from experiments import experiment_module

    module = experiment_module(name)
    assert module.QUESTION.strip().endswith("?") and len(module.QUESTION) < 400
    for summary in ({}, {"files": {"figures": []}}):
        captions = module.figure_captions(summary)
        assert all(isinstance(text, str) and text.endswith(".") and "None" not in text
                   for text in captions.values()), captions


def test_groupthink_captions_match_stems_by_prefix():
    from experiments import experiment_module

    module = experiment_module("groupthink_phase")
    stems = ["regions_no_influencer", "error_ratio_biased_influencer",
             "diversity_ratio_biased_influencer_+20pct", "regions"]
    summary = {"collapse": 0.5, "files": {"figures": [f"{s}.{e}" for s in stems
                                                      for e in ("png", "svg")]},
               "provenance": {"config": {"replicates": 40, "crowd": {"rounds": 10},
                                         "influencer_biases": [None, 0.2]}}}
    captions = module.figure_captions(summary)
    assert set(captions) == set(stems)
    assert "without an influencer" in captions["regions_no_influencer"]
    assert "over 40 crowds" in captions["regions_no_influencer"]
    assert "after 10 rounds" in captions["error_ratio_biased_influencer"]
    assert "+20 %" in captions["diversity_ratio_biased_influencer_+20pct"]
    single = {**summary, "provenance": {"config": {"influencer_biases": [0.2]}}}
    assert "truth x 1.2" in module.figure_captions(single)["error_ratio_biased_influencer"]

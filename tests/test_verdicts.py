"""The one verdict rule (sim.verdicts) on constructed cases, and how reports state it."""

import json

import pytest

from sim.report import verdict_lines, write_report
from sim.verdicts import (
    DATA_ONLY,
    FITTED,
    NO_DATA_INTERVAL,
    NOT_REPRODUCED,
    NOT_SIGNIFICANT,
    REPRODUCED,
    VERDICT_RULE,
    data_only_row,
    verdict,
    verdict_row,
)

ROW_KEYS = {"effect", "data", "simulation", "reproduced", "verdict", "data_ci",
            "data_ci_source", "model_ci", "fitted", "note"}


@pytest.mark.parametrize("data, data_ci, model, model_ci, kwargs, label", [
    # overlap, same significant sign
    (-0.10, (-0.18, -0.03), -0.08, (-0.12, -0.05), {}, REPRODUCED),
    # overlap touching at one end counts
    (0.30, (0.10, 0.50), 0.60, (0.50, 0.70), {}, REPRODUCED),
    # no overlap
    (-0.10, (-0.18, -0.03), -0.40, (-0.50, -0.30), {}, NOT_REPRODUCED),
    (0.30, (0.10, 0.50), -0.30, (-0.50, -0.20), {}, NOT_REPRODUCED),
    # the data's interval contains 0: nothing to reproduce, whatever the model says
    (0.05, (-0.02, 0.12), 0.06, (0.00, 0.10), {}, NOT_SIGNIFICANT),
    (0.05, (-0.02, 0.12), 0.90, (0.80, 1.00), {}, NOT_SIGNIFICANT),
    # fitted rows are never reproduced, even when model and data agree
    (0.50, (0.40, 0.60), 0.50, (0.45, 0.55), {"fitted": True}, FITTED),
    (0.05, (-0.02, 0.12), 0.05, (0.00, 0.10), {"fitted": True}, FITTED),
    # the intervals overlap but the model's sign is the other one
    (0.30, (0.10, 0.50), -0.05, (-0.30, 0.20), {}, NOT_REPRODUCED),
    # the model exactly at the null has no sign
    (0.30, (0.10, 0.50), 0.0, (-0.30, 0.20), {}, NOT_REPRODUCED),
    # another null: a ratio around 1
    (1.3, (1.1, 1.5), 1.2, (1.0, 1.4), {"null": 1.0}, REPRODUCED),
    (1.05, (0.9, 1.2), 1.2, (1.0, 1.4), {"null": 1.0}, NOT_SIGNIFICANT),
    # not about a direction (a share): only the overlap counts
    (0.05, (-0.02, 0.12), 0.06, (0.00, 0.10), {"null": None}, REPRODUCED),
    (0.60, (0.40, 0.80), 0.10, (0.05, 0.20), {"null": None}, NOT_REPRODUCED),
    # missing intervals or values are not reproduced
    (0.30, (0.10, 0.50), None, (0.20, 0.40), {}, NOT_REPRODUCED),
    (0.30, (0.10, 0.50), 0.30, (None, None), {}, NOT_REPRODUCED),
    (0.30, None, 0.30, (0.20, 0.40), {}, NO_DATA_INTERVAL),
])
def test_the_rule_on_constructed_cases(data, data_ci, model, model_ci, kwargs, label):
    assert verdict(data, data_ci, model, model_ci, **kwargs) == label


def test_reversed_interval_bounds_are_read_as_intervals():
    assert verdict(-0.1, (-0.03, -0.18), -0.08, (-0.05, -0.12)) == REPRODUCED


@pytest.mark.parametrize("kwargs, reproduced, label", [
    ({"data_ci": (-0.3, -0.1), "model_ci": (-0.25, -0.05)}, True, REPRODUCED),
    ({"data_ci": (-0.3, -0.1), "model_ci": (0.1, 0.2)}, False, NOT_REPRODUCED),
    ({"data_ci": (-0.3, 0.1), "model_ci": (-0.25, -0.05)}, None, NOT_SIGNIFICANT),
    ({"data_ci": (-0.3, -0.1), "model_ci": (-0.25, -0.05), "fitted": True}, None, FITTED),
])
def test_verdict_rows_keep_reproduced_true_false_or_none(kwargs, reproduced, label):
    simulation = 0.15 if label == NOT_REPRODUCED else -0.15
    row = verdict_row("x falls", -0.2, simulation=simulation, note="n", **kwargs)
    assert set(row) == ROW_KEYS
    assert row["reproduced"] is reproduced and row["verdict"] == label
    assert row["fitted"] is kwargs.get("fitted", False)
    assert row["data_ci"] == list(kwargs["data_ci"]) and row["note"] == "n"
    json.dumps(row)  # stored as summary.json stores it


def test_data_only_rows():
    row = data_only_row("y rises", {"change": 0.1}, data_ci=(0.05, 0.2), note="data only")
    assert set(row) == ROW_KEYS
    assert row["verdict"] == DATA_ONLY and row["reproduced"] is None
    assert row["simulation"] is None and row["model_ci"] is None and row["fitted"] is False
    assert data_only_row("z", 1.0)["data_ci"] is None


def test_where_the_data_interval_comes_from():
    row = verdict_row("x", 0.9, (0.95, 1.0), 0.97, (0.96, 0.98), null=None,
                      data_ci_source="reading")
    assert row["data_ci_source"] == "reading" and row["verdict"] == REPRODUCED
    assert verdict_row("x", 0.9, None, 0.97, (0.96, 0.98))["data_ci_source"] is None
    with pytest.raises(ValueError, match="data_ci_source must be one of data, exact, reading"):
        verdict_row("x", 0.9, (0.95, 1.0), 0.97, (0.96, 0.98), data_ci_source="guess")


def test_reports_print_the_label_and_state_the_rule(tmp_path):
    rows = [verdict_row("x falls", -0.2, (-0.3, -0.1), -0.15, (-0.25, -0.05)),
            verdict_row("y rises", 0.05, (-0.02, 0.12), 0.3, (0.2, 0.4)),
            verdict_row("z fitted", 0.5, (0.4, 0.6), 0.5, (0.45, 0.55), fitted=True),
            data_only_row("w holds", {"change": 0.1}),
            verdict_row("v read", 0.9, (0.95, 1.0), 0.97, (0.96, 0.98), null=None,
                        data_ci_source="reading")]
    (tmp_path / "summary.json").write_text(json.dumps(
        {"experiment": "demo", "title": "Demo", "verdicts": rows}), encoding="utf-8")
    md, page = write_report(tmp_path)
    text, html = md.read_text(), page.read_text()
    for label in (REPRODUCED, NOT_SIGNIFICANT, FITTED, DATA_ONLY):
        assert f"**{label}**" in text and label in html
    assert VERDICT_RULE in text and "overlap" in html
    assert "[-0.3, -0.1]" in text  # the data's interval beside its value
    assert "[0.95, 1] (reading)" in text  # a reading of words says it is one
    assert verdict_lines(rows)[1].startswith("- NOT SIGNIFICANT IN THE DATA: y rises")
    # rows without a label still work, and the report says how they were judged
    (tmp_path / "summary.json").write_text(json.dumps(
        {"experiment": "demo", "verdicts": [{"effect": "e", "data": 1, "simulation": 2,
                                             "reproduced": False, "note": ""}]}))
    md, _ = write_report(tmp_path)
    assert "**not reproduced**" in md.read_text() and "own test" in md.read_text()

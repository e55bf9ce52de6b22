"""Multi-round analysis (sim.analysis.rounds): the published tables and hand computations."""

from __future__ import annotations

import json
import math
import statistics

import pandas as pd
import pytest

from sim.analysis.datasets import data_path, load_becker, load_lorenz
from sim.analysis.rounds import (
    METRICS,
    analyze_rounds,
    analyze_rounds_command,
    format_rounds_table,
    per_group_table,
    read_table,
)
from sim.config import ConfigError
from sim.metrics import crowd_metrics

LORENZ_ROUNDS = ["E1", "E2", "E3", "E4", "E5"]
LORENZ_GROUPS = ["Session_Date", "Question"]
BECKER_ROUNDS = ["response_1", "response_2", "response_3"]
BECKER_GROUPS = ["group_number", "task"]

# ---------------------------------------------------------------------------------------------
# Lorenz et al. (2011): REFERENCES.md, "recomputed from the data, round 1 -> 5"

# condition: (SD of ln, |ln(GM/truth)|, WoC indicator, truth inside [min, max] in %), r1 and r5
LORENZ_TABLE = {
    "no": ((1.911, 1.884), (0.629, 0.574), (3.79, 3.79), (100, 100)),
    "aggregated": ((1.429, 0.634), (0.796, 0.474), (3.13, 2.04), (96, 75)),
    "full": ((1.558, 0.897), (0.560, 0.484), (3.58, 2.75), (92, 75)),
}


@pytest.fixture(scope="module")
def lorenz_result():
    return analyze_rounds(load_lorenz(), LORENZ_ROUNDS, "Truth", LORENZ_GROUPS,
                          by="Information_Condition", log=True)


@pytest.mark.parametrize("condition", list(LORENZ_TABLE))
def test_lorenz_table(lorenz_result, condition):
    part = lorenz_result["by"][condition]
    assert part["groups"] == 24
    per_round = part["per_round"]
    (sd, err, woc, in_range) = LORENZ_TABLE[condition]
    for index, round_index in enumerate((0, -1)):
        assert per_round["sd"][round_index] == pytest.approx(sd[index], abs=0.0005)
        assert per_round["error_of_geometric_mean"][round_index] == pytest.approx(err[index],
                                                                                  abs=0.0005)
        assert per_round["woc_indicator"][round_index] == pytest.approx(woc[index], abs=0.005)
        assert 100 * per_round["truth_in_range"][round_index] == pytest.approx(in_range[index],
                                                                               abs=0.5)
    # under --log the mean of the logs is the log of the geometric mean
    assert per_round["error_of_mean"] == per_round["error_of_geometric_mean"]


def test_lorenz_totals_and_file_route(lorenz_result):
    assert lorenz_result["groups"] == 72
    assert lorenz_result["dropped"] == 1  # the one estimate of 0 (row 717, E3) under --log
    assert lorenz_result["by"]["full"]["estimates_per_round"] == [288, 288, 287, 288, 288]
    # the file read as text gives the same numbers as the typed loader
    from_file = analyze_rounds(read_table(str(data_path("lorenz2011.csv"))), LORENZ_ROUNDS,
                               "Truth", LORENZ_GROUPS, by="Information_Condition", log=True)
    assert from_file["by"] == lorenz_result["by"]


def test_lorenz_printed_table(lorenz_result):
    text = format_rounds_table(lorenz_result, source="lorenz2011.csv")
    blocks = {block.splitlines()[0].split(" (")[0]: block for block in text.split("\n\n")[1:]}
    rows = {name: {line[:22].strip(): line[22:].split() for line in block.splitlines()[2:]}
            for name, block in blocks.items()}
    assert rows["no"]["SD"][0] == "1.911" and rows["no"]["SD"][4] == "1.884"
    assert rows["aggregated"]["WoC indicator"][0] == "3.13"
    assert rows["full"]["error of geom. mean"][0] == "0.560"


# ---------------------------------------------------------------------------------------------
# Becker et al. (2017): REFERENCES.md, change (round 3 - round 1) / round 1 in %

BECKER_CHANGES = {  # error of the mean, of the median, SD, individual error
    "Decentralized": (-10.3, -11.9, -41.9, -23.1),
    "Centralized": (-7.2, -5.3, -42.3, -21.1),
    "Solo": (-1.1, -1.2, -4.2, -4.2),
}


@pytest.fixture(scope="module")
def becker_result():
    return analyze_rounds(load_becker(), BECKER_ROUNDS, "truth", BECKER_GROUPS, by="network",
                          scale_column="sd_pool")


@pytest.mark.parametrize("network", list(BECKER_CHANGES))
def test_becker_changes(becker_result, network):
    change = becker_result["by"][network]["change"]
    names = ("error_of_mean", "error_of_median", "sd", "individual_error")
    for name, expected in zip(names, BECKER_CHANGES[network]):
        assert 100 * change[name] == pytest.approx(expected, abs=0.05), name


def test_becker_totals(becker_result):
    assert becker_result["groups"] == 152
    assert {name: part["groups"] for name, part in becker_result["by"].items()} == {
        "Centralized": 59, "Decentralized": 59, "Solo": 34}
    assert becker_result["dropped"] == 227 + 175 + 155  # the missing responses
    # published (decentralized): error of the median 0.76 -> 0.67 SD, of the mean 0.69 -> 0.62
    rounds = becker_result["by"]["Decentralized"]["per_round"]
    assert rounds["error_of_median"][0] == pytest.approx(0.76, abs=0.005)
    assert rounds["error_of_mean"][0] == pytest.approx(0.69, abs=0.01)
    assert rounds["error_of_median"][-1] == pytest.approx(0.67, abs=0.005)
    assert rounds["error_of_mean"][-1] == pytest.approx(0.62, abs=0.01)


# ---------------------------------------------------------------------------------------------
# a small hand-made long-format file

# Group (s1, 1), condition x, truth 10, scale 2: round 1 = 5, 10, 20; round 2 = 8, junk, 12.
# Group (s1, 2), condition y, truth 100, scale 50: round 1 = 50, 100, 400; round 2 = 100,
# empty, 0; and a fourth row whose truth is missing (both its cells dropped).
HAND_CSV = """session,question,cond,person,truth,scale,r1,r2
s1,1,x,p1,10,2,5,8
s1,1,x,p2,10,2,10,junk
s1,1,x,p3,10,2,20,12
s1,2,y,p1,100,50,50,100
s1,2,y,p2,100,50,100,
s1,2,y,p3,100,50,400,0
s1,2,y,p4,,50,7,7
"""

GROUPS = ["session", "question"]


@pytest.fixture
def hand_file(tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV, encoding="utf-8")
    return path


@pytest.fixture
def hand(hand_file):
    return read_table(hand_file)


def hand_metrics(values, truth, divisor, log=False):
    """The per-group metrics by hand (statistics module, no numpy)."""
    if log:
        values, truth = [math.log(v) for v in values], math.log(truth)
    mean = statistics.fmean(values)
    median = statistics.median(values)
    if log:
        geometric = mean
    else:
        positive = [v for v in values if v > 0]
        geometric = statistics.geometric_mean(positive)
    inside = min(values) <= truth <= max(values)
    ordered = sorted(values)
    woc = max([k for k in range(1, len(values) // 2 + 1)
               if ordered[k - 1] <= truth <= ordered[-k]], default=0)
    return {
        "sd": statistics.stdev(values) / divisor if len(values) > 1 else math.nan,
        "error_of_mean": abs(mean - truth) / divisor,
        "error_of_median": abs(median - truth) / divisor,
        "error_of_geometric_mean": abs(geometric - truth) / divisor,
        "individual_error": statistics.fmean(abs(v - truth) for v in values) / divisor,
        "woc_indicator": woc,
        "truth_in_range": float(inside),
    }


def average(*values):
    kept = [v for v in values if not math.isnan(v)]
    return statistics.fmean(kept)


def check_split(part, expected_rounds):
    """``part['per_round']`` against per-round lists of per-group hand metrics."""
    for name in METRICS:
        got = part["per_round"][name]
        want = [average(*(group[name] for group in groups)) for groups in expected_rounds]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), name
        first, last = want[0], want[-1]
        if first == 0:
            assert part["change"][name] is None, name
        elif abs(first) > 1e-9:  # else a ratio of rounding errors on both sides
            assert part["change"][name] == pytest.approx((last - first) / first, rel=1e-12), name


def test_hand_linear_relative_all_split(hand):
    result = analyze_rounds(hand, ["r1", "r2"], "truth", GROUPS)
    assert result["groups"] == 2
    assert result["dropped"] == 4  # junk, empty, and the two cells of the truthless row
    assert list(result["by"]) == ["all"]
    a1 = hand_metrics([5, 10, 20], 10, 10)
    a2 = hand_metrics([8, 12], 10, 10)
    b1 = hand_metrics([50, 100, 400], 100, 100)
    b2 = hand_metrics([100, 0], 100, 100)  # 0 kept in linear mode; geometric mean of [100]
    assert b2["error_of_geometric_mean"] == pytest.approx(0, abs=1e-15)
    part = result["by"]["all"]
    check_split(part, [[a1, b1], [a2, b2]])
    assert part["change"]["error_of_median"] is None  # round 1's median error is 0
    assert part["per_round"]["sd"][0] == pytest.approx(
        (math.sqrt(175 / 3) / 10 + math.sqrt(107500 / 3) / 100) / 2)
    assert part["estimates_per_round"] == [6, 4]


def test_hand_scale_column_and_by(hand):
    result = analyze_rounds(hand, ["r1", "r2"], "truth", GROUPS, by="cond",
                            scale_column="scale")
    assert list(result["by"]) == ["x", "y"]
    assert [part["groups"] for part in result["by"].values()] == [1, 1]
    check_split(result["by"]["x"], [[hand_metrics([5, 10, 20], 10, 2)],
                                    [hand_metrics([8, 12], 10, 2)]])
    check_split(result["by"]["y"], [[hand_metrics([50, 100, 400], 100, 50)],
                                    [hand_metrics([100, 0], 100, 50)]])
    assert result["by"]["x"]["per_round"]["individual_error"] == pytest.approx([2.5, 1.0])


def test_hand_log(hand):
    result = analyze_rounds(hand, ["r1", "r2"], "truth", GROUPS, log=True)
    assert result["dropped"] == 5  # the 0 of round 2 is dropped too
    a1 = hand_metrics([5, 10, 20], 10, 1, log=True)
    a2 = hand_metrics([8, 12], 10, 1, log=True)
    b1 = hand_metrics([50, 100, 400], 100, 1, log=True)
    b2 = hand_metrics([100], 100, 1, log=True)  # one estimate: SD NaN, WoC 0, truth in range
    assert math.isnan(b2["sd"]) and b2["woc_indicator"] == 0
    assert a1["sd"] == pytest.approx(math.log(2))
    check_split(result["by"]["all"], [[a1, b1], [a2, b2]])
    part = result["by"]["all"]
    assert part["per_round"]["sd"][1] == pytest.approx(math.log(1.5) / math.sqrt(2))
    assert part["per_round"]["error_of_mean"] == part["per_round"]["error_of_geometric_mean"]
    assert part["groups_per_round"] == [2, 2]


def test_hand_nonpositive_truth_under_log(hand):
    extra = pd.DataFrame({"session": "s2", "question": "1", "cond": "z", "person": ["q1", "q2"],
                          "truth": "0", "scale": "1", "r1": ["3", "4"], "r2": ["5", "6"]})
    frame = pd.concat([hand, extra], ignore_index=True)
    logged = analyze_rounds(frame, ["r1", "r2"], "truth", GROUPS, by="cond", log=True)
    assert logged["dropped"] == 5 + 4
    assert logged["groups"] == 2 and logged["empty_groups"] == 1
    assert list(logged["by"]) == ["x", "y"]
    # in linear mode with a scale the truth 0 is fine
    scaled = analyze_rounds(frame, ["r1", "r2"], "truth", GROUPS, by="cond",
                            scale_column="scale")
    assert scaled["by"]["z"]["per_round"]["error_of_mean"] == [3.5, 5.5]


def test_per_group_table(hand):
    table = per_group_table(hand, ["r1", "r2"], "truth", GROUPS, by="cond", scale_column="scale")
    assert len(table) == 4
    assert table.attrs == {"dropped": 4, "empty_groups": 0, "estimates": 10}
    assert list(table["round"]) == ["r1", "r2", "r1", "r2"]
    assert list(table["split"]) == ["x", "x", "y", "y"]
    assert list(table["n"]) == [3, 2, 3, 2]
    assert list(table["scale"]) == [2, 2, 50, 50]
    assert list(table["question"]) == ["1", "1", "2", "2"]  # text kept as text
    row = table.iloc[2]
    assert row["mean"] == pytest.approx(550 / 3)
    assert row["geometric_mean"] == pytest.approx(2e6 ** (1 / 3))
    for name in METRICS:
        assert name in table.columns


def test_json_shape(hand_file):
    text = analyze_rounds_command(hand_file, "r1,r2", "truth", "session,question", by="cond",
                                  scale_column="scale", as_json=True)
    result = json.loads(text)
    assert {"groups", "dropped", "rounds", "by"} <= set(result)
    assert isinstance(result["groups"], int) and isinstance(result["dropped"], int)
    assert result["rounds"] == ["r1", "r2"]
    for part in result["by"].values():
        assert {"groups", "per_round", "change"} <= set(part)
        assert isinstance(part["groups"], int)
        assert set(part["per_round"]) == set(METRICS) == set(part["change"])
        assert all(len(values) == 2 for values in part["per_round"].values())
    assert set(METRICS) == {"sd", "error_of_mean", "error_of_median", "error_of_geometric_mean",
                            "individual_error", "woc_indicator", "truth_in_range"}
    # NaN becomes null, not the invalid JSON token NaN
    logged = analyze_rounds_command(hand_file, ["r1", "r2"], "truth", ["session", "question"],
                                    by="cond", log=True, as_json=True)
    assert "NaN" not in logged
    assert json.loads(logged)["by"]["y"]["per_round"]["sd"][1] is None


def test_text_table(hand_file):
    text = analyze_rounds_command(hand_file, "r1,r2", "truth", "session,question", by="cond")
    assert "2 groups (session, question)" in text and "4 cells dropped" in text
    assert "x (1 groups)" in text and "y (1 groups)" in text
    assert "truth in range" in text and "change" in text


def test_numbers_in_text_cells():
    frame = pd.DataFrame({"g": ["a"] * 4, "t": [" 1,000 ", "1000", "1000", "1000"],
                          "r1": ["1,000", " 2000 ", "inf", "-"], "r2": ["1000"] * 4})
    # a thousands separator is read only when given, never guessed
    with pytest.raises(ConfigError, match=r"column 'r1' holds '1,000'.*--thousands ,"):
        analyze_rounds(frame, ["r1", "r2"], "t", ["g"])
    result = analyze_rounds(frame, ["r1", "r2"], "t", ["g"], thousands=",")
    assert result["dropped"] == 2
    assert result["by"]["all"]["per_round"]["error_of_mean"] == [0.5, 0.0]
    # the same numbers written with decimal commas and '.' thousands
    european = frame.replace({"1,000": "1.000", " 1,000 ": " 1.000 "})
    european["r2"] = "1000,0"
    result = analyze_rounds(european, ["r1", "r2"], "t", ["g"], decimal=",", thousands=".")
    assert result["by"]["all"]["per_round"]["error_of_mean"] == [0.5, 0.0]
    with pytest.raises(ConfigError, match=r"holds '1.000'.*--thousands \."):
        analyze_rounds(european, ["r1", "r2"], "t", ["g"], decimal=",")


# ---------------------------------------------------------------------------------------------
# errors: one line naming the option


@pytest.mark.parametrize(("kwargs", "mentions"), [
    ({"rounds": ["r1", "r9"]}, ["--rounds", "'r9'", "columns: session"]),
    ({"rounds": ["r1"]}, ["--rounds", "at least 2"]),
    ({"rounds": ["r1", "r1"]}, ["--rounds", "more than once"]),
    ({"truth_column": "nope"}, ["--truth-column", "'nope'"]),
    ({"group_columns": []}, ["--group-columns", "required"]),
    ({"group_columns": ["session", "nope"]}, ["--group-columns", "'nope'"]),
    ({"by": "nope"}, ["--by", "'nope'"]),
    ({"by": "person"}, ["--by", "not constant", "question=1"]),
    ({"scale_column": "nope"}, ["--scale-column", "'nope'"]),
    ({"scale_column": "scale", "log": True}, ["--scale-column", "--log"]),
    ({"scale_column": "cond"}, ["--scale-column", "positive", "missing"]),
    ({"truth_column": "scale", "group_columns": ["session"]},
     ["--truth-column", "not constant"]),
    ({"truth_column": "r2"}, ["--truth-column", "also one of --rounds"]),
])
def test_bad_options(hand, kwargs, mentions):
    arguments = {"rounds": ["r1", "r2"], "truth_column": "truth", "group_columns": GROUPS,
                 **kwargs}
    with pytest.raises(ConfigError) as caught:
        analyze_rounds(hand, source="hand.csv", **arguments)
    message = str(caught.value)
    assert "\n" not in message
    for mention in mentions:
        assert mention in message, message


def test_bad_inputs(tmp_path, hand_file):
    with pytest.raises(ConfigError, match="file not found"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ConfigError, match="empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(ConfigError, match="--truth-column: required"):
        analyze_rounds_command(hand_file, "r1,r2", None, "session")
    with pytest.raises(ConfigError, match="--group-columns: required"):
        analyze_rounds_command(hand_file, "r1,r2", "truth", None)
    with pytest.raises(ConfigError, match=r"--rounds: column 'E9' not in .*hand.csv"):
        analyze_rounds_command(hand_file, "r1,E9", "truth", "session")
    frame = pd.DataFrame({"g": [1, 1], "t": [0, 0], "r1": [1, 2], "r2": [3, 4]})
    with pytest.raises(ConfigError, match="truth is 0"):
        analyze_rounds(frame, ["r1", "r2"], "t", ["g"])
    frame["r1"] = frame["r2"] = "junk"
    with pytest.raises(ConfigError, match="no usable estimates"):
        analyze_rounds(frame, ["r1", "r2"], "t", ["g"])


def test_per_group_table_matches_a_plain_loop():
    """The vectorised table against a loop over groups (Becker: unequal group sizes, gaps)."""
    frame = load_becker()
    table = per_group_table(frame, BECKER_ROUNDS, "truth", BECKER_GROUPS, by="network",
                            scale_column="sd_pool").set_index(BECKER_GROUPS + ["round"])
    assert len(table) == 152 * 3
    for (number, task), group in frame.groupby(BECKER_GROUPS):
        truth, scale = group["truth"].iloc[0], group["sd_pool"].iloc[0]
        for name in BECKER_ROUNDS:
            x = sorted(group[name].dropna())
            got = table.loc[(number, task, name)]
            want = hand_metrics(x, truth, scale)
            assert got["n"] == len(x)
            assert got["split"] == group["network"].iloc[0]
            for metric in METRICS:
                assert got[metric] == pytest.approx(want[metric], rel=1e-9, abs=1e-12), metric


@pytest.mark.parametrize("log", [False, True])
def test_per_group_table_is_the_table_of_crowd_metrics(hand, log):
    """The same functions as simulations and sweeps (sim.metrics.crowd_metrics), with the
    geometric mean of the positive estimates only (nonpositive="ignore")."""
    table = per_group_table(hand, ["r1", "r2"], "truth", GROUPS, log=log)
    names = ["mean", "median", "geometric_mean", "sd", "error_of_mean", "error_of_median",
             "error_of_geometric_mean", "mean_individual_error", "woc_indicator",
             "truth_in_range"]
    groups = {("1", "r1"): [5, 10, 20], ("1", "r2"): [8, 12], ("2", "r1"): [50, 100, 400],
              ("2", "r2"): [100, 0]}
    for (question, round_name), values in groups.items():
        row = table[(table["question"] == question) & (table["round"] == round_name)].iloc[0]
        values = [v for v in values if v > 0] if log else values  # log drops cells <= 0
        if log:
            want = crowd_metrics([values], math.exp(row["truth"]), names, log=True)
        else:
            want = crowd_metrics([sorted(values)], row["truth"], names, scale=row["scale"],
                                 nonpositive="ignore")
        for name in names:
            column = "individual_error" if name == "mean_individual_error" else name
            assert row[column] == pytest.approx(want[name][0], rel=1e-12, abs=1e-15, nan_ok=True)
    zero = table[(table["question"] == "2") & (table["round"] == "r2")].iloc[0]
    assert not log or zero["n"] == 1
    assert zero["geometric_mean"] == pytest.approx(math.log(100) if log else 100.0)


def test_missing_group_and_split_values():
    frame = pd.DataFrame({"g": ["a", "a", None, None], "c": [None, None, "u", None],
                          "t": [1, 1, 2, 2], "r1": [1, 2, 2, 3], "r2": [1, 1, 2, 2]})
    result = analyze_rounds(frame, ["r1", "r2"], "t", ["g"], by="c")
    assert result["groups"] == 2
    assert {name: part["groups"] for name, part in result["by"].items()} == {
        "(missing)": 1, "u": 1}
    assert result["by"]["u"]["per_round"]["error_of_mean"] == [0.25, 0.0]

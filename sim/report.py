"""Reports: ``report.md`` and a self-contained ``report.html`` for an experiment or a sweep.

A report reads in the order a reader asks: the **question** the experiment answers; the
**answer** (how many published effects were reproduced, the key numbers, and one verdict row
per effect with the rule that judged them); the **figures**, each with a caption saying what
it shows and how to read it; the notes; and last the **configuration** (collapsed in HTML)
and the **provenance**.

A report is rendered from stored files only (``summary.json`` and the figures for an
experiment; ``manifest.json`` and the Parquet chunks for a sweep), so it can be remade at any
time without re-running anything. This module imports nothing from the experiments or the
command line: what an experiment wants shown is in its summary (``key_numbers``,
``verdicts``, ``notes``, and ``question`` and ``figure_captions``), written by the experiment
runner (:mod:`experiments._runner`), which collects the last two from the experiment module
with :func:`report_texts`.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError
from sim.io import write_text

__all__ = ["load_summary", "write_report", "verdict_lines", "stored_table", "reproduced_row",
           "z_fit_line", "report_texts", "humanise"]


def load_summary(folder: str | Path) -> dict:
    """The ``summary.json`` of an experiment's results folder."""
    path = Path(folder) / "summary.json"
    if not path.is_file():
        raise ConfigError(f"{folder}: no summary.json (not an experiment's results folder)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def stored_table(folder: str | Path, summary: dict, name: str):
    """The table ``name`` an experiment stored in its results folder, found through its
    summary's ``files.tables`` (as a figure is redrawn from stored results).

    Raises
    ------
    ConfigError
        When the summary lists no tables: the folder was written by an older crowdsim.

    Examples
    --------
    >>> stored_table("old", {"files": {}}, "points")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: old: written by an older crowdsim; run the experiment again to redraw its figures
    """  # noqa: E501
    import pandas as pd

    tables = summary["files"].get("tables")
    if tables is None:
        raise ConfigError(f"{folder}: written by an older crowdsim; run the experiment again "
                          "to redraw its figures")
    return pd.read_parquet(Path(folder) / tables[name])


def reproduced_row(verdicts: list[dict], label: str = "published effects reproduced"
                   ) -> tuple[str, str]:
    """The key-numbers row counting an experiment's verdicts that reproduced: ``k of n``, and
    how many were not tested, if any.

    Examples
    --------
    >>> reproduced_row([{"reproduced": True}, {"reproduced": False}])
    ('published effects reproduced', '1 of 2')
    >>> reproduced_row([{"reproduced": True}, {"reproduced": None}], "effects reproduced")
    ('effects reproduced', '1 of 2 (1 not tested)')
    """
    untested = sum(v["reproduced"] is None for v in verdicts)
    return (label, f"{sum(v['reproduced'] is True for v in verdicts)} of {len(verdicts)}"
                   + (f" ({untested} not tested)" if untested else ""))


def z_fit_line(fit: dict, units: str = "points") -> str:
    """How simulated points match their exact values, in a line: the largest |z| and its
    family-wise bound, from :func:`sim.stats.z_fit_summary`.

    Examples
    --------
    >>> z_fit_line({"max_abs_z": 1.234, "points": 4, "z_limit": 3.4157}, "precisions")
    'max |z| 1.23 over 4 precisions (bound 3.42)'
    """
    return (f"max |z| {fit['max_abs_z']:.2f} over {fit['points']} {units} (bound "
            f"{fit['z_limit']:.2f})")


def report_texts(module: Any, summary: dict) -> dict:
    """What an experiment module adds to its report, to be stored in its summary:
    ``question`` (the module's optional ``QUESTION``, one or two sentences) and
    ``figure_captions`` (its optional ``figure_captions(summary)``: figure file stem ->
    caption sentence). Missing hooks add nothing; the report then falls back to the module
    docstring's first paragraph and to captions made from the file names.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> module = SimpleNamespace(QUESTION="  Is the crowd\\n wise? ",
    ...                          figure_captions=lambda s: {"ogive": "The estimates, sorted."})
    >>> report_texts(module, {})
    {'question': 'Is the crowd wise?', 'figure_captions': {'ogive': 'The estimates, sorted.'}}
    >>> report_texts(SimpleNamespace(), {})
    {}
    """
    texts: dict[str, Any] = {}
    question = getattr(module, "QUESTION", None)
    if isinstance(question, str) and question.strip():
        texts["question"] = " ".join(question.split())
    hook = getattr(module, "figure_captions", None)
    if callable(hook):
        captions = {str(stem): " ".join(str(text).split())
                    for stem, text in (hook(summary) or {}).items() if text}
        if captions:
            texts["figure_captions"] = captions
    return texts


# ---------------------------------------------------------------------------------------------
# numbers and values as a reader sees them

#: Words in a label or key that mark a value as a share or probability (shown in percent).
_SHARE_WORDS = ("share", "probability", "proportion", "fraction", "p_best", "p(")
#: Short keys a reader knows in capitals.
_ABBREVIATIONS = {"sd": "SD", "se": "SE", "ci": "CI", "ci90": "90 % CI", "gm": "GM",
                  "woc": "WoC", "ode": "ODE"}
#: Whole keys with a conventional written form.
_KEYS = {"p_best": "P(best)"}


def _num(value: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, never in scientific notation between
    1e-4 and 1e15, integers as they are.

    >>> _num(0.9264707980133801), _num(1207.0), _num(123456.7), _num(-0.0), _num(3)
    ('0.9265', '1207', '123,457', '0', '3')
    >>> _num(2.3e-06), _num(float("nan")), _num(0.68255, 5)
    ('2.3e-06', 'n/a', '0.68255')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value != value:
        return "n/a"
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if 10 ** digits <= abs(value) < 1e15:
        return f"{round(value):,}"
    return f"{value:.{digits}g}"


def _pct(value: float) -> str:
    """A share in percent, one decimal.

    >>> _pct(0.98412)
    '98.4 %'
    """
    return f"{100 * float(value):.1f} %"


def _is_share(label: str, value: Any) -> bool:
    """Whether a value labelled ``label`` is a share or probability (shown in percent).

    >>> _is_share("p_best", 0.93), _is_share("within_share", 0.5), _is_share("sd", 0.5)
    (True, True, False)
    >>> _is_share("share of runs", 1.7)  # not a share after all
    False
    """
    words = label.lower().replace(" ", "_")
    return (isinstance(value, float) and 0.0 <= value <= 1.0
            and any(word.replace(" ", "_") in words for word in _SHARE_WORDS))


def humanise(key: str) -> str:
    """An internal key or file stem as words: underscores to spaces, known short keys in
    capitals.

    >>> humanise("sd_round_1"), humanise("holds_in_data"), humanise("error_ratio_none")
    ('SD round 1', 'holds in data', 'error ratio none')
    """
    if str(key) in _KEYS:
        return _KEYS[str(key)]
    words = str(key).replace("-", " ").replace("_", " ").split()
    return " ".join(_ABBREVIATIONS.get(word.lower(), word) for word in words)


def _fmt(value: Any, label: str = "") -> str:
    """A value as a reader sees it: numbers to four significant digits (shares, known by
    ``label``, in percent), booleans as yes/no, lists in parentheses, dicts as "name value"
    pairs with readable names.

    >>> _fmt({"sd_round_1": 0.61234, "change": -0.3312, "holds_in_data": True})
    'SD round 1 0.6123; change -0.3312; holds in data: yes'
    >>> _fmt({"truth_in_range": [0.8, 0.6]}), _fmt([1, 2.5]), _fmt(None)
    ('truth in range (0.8, 0.6)', '1, 2.5', '')
    >>> _fmt(0.984, "share of runs")
    '98.4 %'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return _pct(value) if _is_share(label, value) else _num(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v, label) for v in value)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = humanise(key)
            if isinstance(item, bool):
                parts.append(f"{name}: {_fmt(item)}")
            elif isinstance(item, (list, tuple)):
                parts.append(f"{name} ({_fmt(item, str(key))})")
            elif isinstance(item, dict):
                parts.append(f"{name} ({_fmt(item)})")
            else:
                parts.append(f"{name} {_fmt(item, str(key))}")
        return "; ".join(parts)
    return str(value)


def _rule_text(verdicts: list[dict]) -> str:
    """The verdict rule (:data:`sim.verdicts.VERDICT_RULE`) as a report states it.

    >>> _rule_text([{"reproduced": True, "verdict": "reproduced"}]).startswith("Verdict rule: ")
    True
    """
    from sim.verdicts import VERDICT_RULE

    text = f"Verdict rule: {VERDICT_RULE}"
    if any(not v.get("verdict") for v in verdicts):
        text += (" Rows without a verdict label were judged by their experiment's own test "
                 "(their note says how).")
    return text


def verdict_lines(effects: list[dict]) -> list[str]:
    """One line per published effect, as an experiment's run prints them at its end: the
    row's verdict label (:mod:`sim.verdicts`) when it has one.

    >>> verdict_lines([{"effect": "crowds are wise", "reproduced": True, "data": 0.01,
    ...                 "simulation": 0.012}])
    ['- REPRODUCED: crowds are wise (data 0.01; model 0.012)']
    >>> verdict_lines([{"effect": "x falls", "reproduced": None, "data": 0.1,
    ...                 "simulation": 0.2, "verdict": "not significant in the data"}])
    ['- NOT SIGNIFICANT IN THE DATA: x falls (data 0.1; model 0.2)']
    """
    words = {True: "REPRODUCED", False: "NOT reproduced", None: "not tested"}
    lines = []
    for effect in effects:
        values = "; ".join(f"{label} {_fmt(effect[key])}"
                           for key, label in (("data", "data"), ("simulation", "model"))
                           if effect.get(key) is not None)
        word = (effect["verdict"].upper() if effect.get("verdict")
                else words[effect["reproduced"]])
        lines.append(f"- {word}: {effect['effect']}"
                     + (f" ({values})" if values else ""))
    return lines


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _with_ci(row: dict, key: str, ci_key: str) -> str:
    """A row's value with its 90 % interval "[low, high]" when the row has one, to as many
    significant digits as tell the interval's ends apart; a zero-width interval at the value
    is not repeated; a data interval that is a formula's value or the experiment's reading of
    words says so in a word.

    >>> _with_ci({"data": 0.1, "data_ci": [0.05, 0.2]}, "data", "data_ci")
    '0.1 [0.05, 0.2]'
    >>> _with_ci({"data": 0.6826, "data_ci": [0.68255, 0.68265]}, "data", "data_ci")
    '0.6826 [0.68255, 0.68265]'
    >>> row = {"data": 0.92647, "data_ci": [0.92647, 0.92647], "data_ci_source": "exact"}
    >>> _with_ci(row, "data", "data_ci")
    '0.9265 (exact)'
    >>> _with_ci({"simulation": -0.5, "model_ci": [None, -0.2]}, "simulation", "model_ci")
    '-0.5 [-, -0.2]'
    """
    value, ci = row.get(key), row.get(ci_key)
    source = row.get(f"{ci_key}_source")
    word = f" ({source})" if source and source != "data" else ""
    if not ci or all(v is None for v in ci):
        return _fmt(value)
    ends = [_number(v) for v in ci]
    point = _number(value)
    digits = 4
    # as many digits as keep unequal numbers apart: the two ends, and each end from the value
    pairs = [(a, b) for a, b in ((ends[0], ends[1]), (ends[0], point), (ends[1], point))
             if a is not None and b is not None and a != b]
    while digits < 8 and any(_num(a, digits) == _num(b, digits) for a, b in pairs):
        digits += 1
    text = _num(point, digits) if point is not None else _fmt(value)
    if None not in ends and ends[0] == ends[1] and (point is None or ends[0] == point):
        return text + word  # zero width at the value: the value is the interval
    return (text + " [" + ", ".join("-" if v is None else _num(v, digits) for v in ends) + "]"
            + word)


def _verdict_word(row: dict) -> str:
    """The row's verdict label (:mod:`sim.verdicts`), else the word for ``reproduced``."""
    if row.get("verdict"):
        return str(row["verdict"])
    return {True: "reproduced", False: "not reproduced", None: "not simulated"}[
        row.get("reproduced")]


def _answer_sentence(verdicts: list[dict]) -> str:
    """How the verdict rows came out, in a sentence.

    >>> _answer_sentence([{"verdict": "reproduced"}, {"verdict": "reproduced"},
    ...                   {"verdict": "data only", "reproduced": None}])
    '3 effects judged: 2 reproduced, 1 data only.'
    """
    counts: dict[str, int] = {}
    for row in verdicts:
        word = _verdict_word(row)
        counts[word] = counts.get(word, 0) + 1
    order = ("reproduced", "not reproduced", "not significant in the data", "fitted",
             "no data interval", "data only", "not simulated")
    words = sorted(counts, key=lambda w: order.index(w) if w in order else len(order))
    effects = "effect" if len(verdicts) == 1 else "effects"
    return (f"{len(verdicts)} {effects} judged: "
            + ", ".join(f"{counts[w]} {w}" for w in words) + ".")


def _caption(stem: str, captions: dict) -> str:
    """A figure's caption: the experiment's, else its file stem as words (never the bare
    file name).

    >>> _caption("error_ratio_none", {}), _caption("ogive", {"ogive": "The sorted estimates"})
    ('Error ratio none.', 'The sorted estimates.')
    """
    text = str(captions.get(stem) or "").strip()
    if not text:
        words = humanise(stem)
        text = words[:1].upper() + words[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


# ---------------------------------------------------------------------------------------------
# sections: (heading, list of blocks); a block is ("p", text), ("h3", text), ("table", rows),
# ("pre", text), ("config", YAML text), ("facts", rows), ("figure", (file, caption)) or
# ("verdicts", list)


def _yaml(config: dict) -> str:
    """A config as compact YAML: lists of numbers on one line.

    >>> print(_yaml({"seed": 1, "sizes": [1, 2, 3], "swarm": {"qualities": [3, 5]}}))
    seed: 1
    sizes: [1, 2, 3]
    swarm:
      qualities: [3, 5]
    """
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=96,
                          allow_unicode=True).strip()


def _provenance_rows(provenance: dict, config_hash: Any = None) -> list[tuple[str, Any]]:
    return [("seed", provenance.get("seed")),
            ("config hash", config_hash or provenance.get("config_hash")),
            ("crowdsim version", provenance.get("crowdsim_version")),
            ("git commit", provenance.get("git_commit") or "(not a git checkout)"),
            ("run at", provenance.get("timestamp"))]


def _figure_blocks(folder: Path, files: list[str], captions: dict) -> list[tuple[str, Any]]:
    blocks = []
    for name in files:
        if name.endswith(".png") and (folder / name).is_file():
            blocks.append(("figure", (name, _caption(Path(name).stem, captions))))
    return blocks


def _experiment_sections(folder: Path, summary: dict) -> list[tuple[str, list]]:
    provenance = summary.get("provenance", {})
    config = provenance.get("config")
    verdicts = summary.get("verdicts") or []
    sections: list[tuple[str, list]] = []

    question = (summary.get("question") or summary.get("experiment_doc")
                or summary.get("title") or summary.get("experiment", ""))
    sections.append(("Question", [("p", question)]))

    answer: list[tuple[str, Any]] = []
    if verdicts:
        answer.append(("p", _answer_sentence(verdicts)))
    numbers = summary.get("key_numbers") or _generic_numbers(summary)
    if numbers:
        answer += [("h3", "Key numbers"), ("table", numbers)]
    if verdicts:
        answer += [("h3", "Published effects: reproduced?"), ("verdicts", verdicts),
                   ("p", _rule_text(verdicts))]
    if answer:
        sections.append(("Answer", answer))

    figures = _figure_blocks(folder, summary.get("files", {}).get("figures", []),
                             summary.get("figure_captions") or {})
    if figures:
        sections.append(("Figures", figures))

    disagreements = summary.get("disagreements")
    notes = disagreements or summary.get("notes")
    if notes:
        sections.append(("Where model and data disagree" if disagreements else "Notes",
                         [("p", n) for n in notes]))

    what = []
    name = summary.get("experiment")
    doc = summary.get("experiment_doc") if question != summary.get("experiment_doc") else ""
    if name:
        what.append(("p", f"Experiment {name}" + (f": {doc}" if doc else ".")
                     + (" The config as run:" if config else "")))
    if config:
        what.append(("config", _yaml(config)))
    if what:
        sections.append(("Configuration", what))
    sections.append(("Provenance", [("facts", _provenance_rows(provenance))]))
    return sections


def _sweep_sections(folder: Path) -> list[tuple[str, list]]:
    from sim.sweep.results import format_summary, summarise

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    design = manifest.get("design", {})
    provenance = manifest.get("provenance", {})
    sections = [
        ("Question", [("p", f"How do the metrics of the {manifest.get('model', '?')} model "
                            f"respond to its parameters, over a {design.get('kind', '?')} "
                            "design? Every run's seed derives from the config's seed, its "
                            "parameter point and its replicate index.")]),
        ("Results", [("pre", format_summary(summarise(folder)))]),
    ]
    from sim.sweep.figures import FIGURES_FOLDER, figure_captions

    names = [p.name for p in sorted(folder.glob("sensitivity-*.png"))]
    names += [f"{FIGURES_FOLDER}/{p.name}"
              for p in sorted((folder / FIGURES_FOLDER).glob("*.png"))]
    figures = _figure_blocks(folder, names, figure_captions(manifest, names))
    if figures:
        sections.append(("Figures", figures))
    sections.append(("Configuration", [
        ("config", _yaml(manifest.get("config", {})))]))
    sections.append(("Provenance", [("facts", [
        *_provenance_rows(provenance, manifest.get("config_hash"))[:4],
        ("started", manifest.get("started")), ("updated", manifest.get("updated")),
        ("status", manifest.get("status"))])]))
    return sections


def _generic_numbers(summary: dict) -> list[tuple[str, str]]:
    """Top-level scalar numbers of the summary's data/simulation sections (shares in
    percent).

    >>> _generic_numbers({"data": {"p_best": 0.5, "n": 3}, "simulation": {"sd_change": -0.25}})
    [('data: P(best)', '50.0 %'), ('data: n', '3'), ('simulation: SD change', '-0.25')]
    """
    rows = []
    for section in ("data", "simulation"):
        for key, value in (summary.get(section) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rows.append((f"{section}: {humanise(key)}", _fmt(value, key)))
    return rows[:30]


# ---------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A Markdown table cell: formatted, on one line, with pipes escaped."""
    text = value if isinstance(value, str) else _fmt(value)
    return " ".join(text.split()).replace("|", "\\|")


def _md_inline(text: str) -> str:
    """Text inside Markdown emphasis: the characters that would end it escaped."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def _markdown(title: str, sections) -> str:
    lines = [f"# {title}", ""]
    figure = 0
    for heading, blocks in sections:
        lines += [f"## {heading}", ""]
        for kind, content in blocks:
            if kind == "p":
                lines += [str(content), ""]
            elif kind == "h3":
                lines += [f"### {content}", ""]
            elif kind == "pre":
                lines += ["```", str(content), "```", ""]
            elif kind == "config":
                lines += ["```yaml", str(content), "```", ""]
            elif kind == "facts":
                lines += [f"- {label}: {_fmt(value)}" for label, value in content] + [""]
            elif kind == "table":
                lines += ["| | |", "|---|---|"]
                lines += [f"| {_cell(label)} | {_cell(value)} |" for label, value in content]
                lines.append("")
            elif kind == "verdicts":
                lines += ["| effect | data | model | verdict |", "|---|---|---|---|"]
                for v in content:
                    lines.append(f"| {_cell(v['effect'])} | "
                                 f"{_cell(_with_ci(v, 'data', 'data_ci'))} | "
                                 f"{_cell(_with_ci(v, 'simulation', 'model_ci'))} | "
                                 f"**{_verdict_word(v)}**"
                                 + (f" ({_cell(v['note'])})" if v.get("note") else "") + " |")
                lines.append("")
            elif kind == "figure":
                name, caption = content
                figure += 1
                lines += [f"![{name}]({name})", "",
                          f"*Figure {figure}. {_md_inline(caption)}*", ""]
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #ddd}h3{font-size:1.05rem;margin-top:1.2rem}table{border-collapse:
collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;
vertical-align:top}pre{background:#f6f6f6;padding:.7rem;overflow-x:auto;font-size:.85rem}
img{max-width:100%;border:1px solid #eee}figure{margin:1.2rem 0}figcaption{font-size:.92rem;
color:#444;margin-top:.3rem}summary{cursor:pointer;color:#555}.rule{font-size:.88rem;
color:#555}.yes{color:#05693a;font-weight:600}.no{color:#a3261b;font-weight:600}
.na{color:#666}"""


def _html(title: str, sections, folder: Path) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}"
             f"</title><style>{_CSS}</style></head><body><h1>{esc(title)}</h1>"]
    figure = 0
    for heading, blocks in sections:
        parts.append(f"<h2>{esc(heading)}</h2>")
        for kind, content in blocks:
            if kind == "p":
                text = str(content)
                cls = " class='rule'" if text.startswith("Verdict rule: ") else ""
                parts.append(f"<p{cls}>{esc(text)}</p>")
            elif kind == "h3":
                parts.append(f"<h3>{esc(str(content))}</h3>")
            elif kind == "pre":
                parts.append(f"<pre>{esc(str(content))}</pre>")
            elif kind == "config":
                text = str(content)
                parts.append(f"<details><summary>the config ({len(text.splitlines())} lines)"
                             f"</summary><pre>{esc(text)}</pre></details>")
            elif kind in ("table", "facts"):
                rows = "".join(f"<tr><th>{esc(str(label))}</th><td>{esc(_fmt(value))}</td></tr>"
                               for label, value in content)
                parts.append(f"<table>{rows}</table>")
            elif kind == "verdicts":
                rows = ["<tr><th>effect</th><th>data</th><th>model</th><th>verdict</th></tr>"]
                for v in content:
                    cls = {True: "yes", False: "no", None: "na"}[v.get("reproduced")]
                    note = f"<br><small>{esc(v['note'])}</small>" if v.get("note") else ""
                    rows.append(f"<tr><td>{esc(v['effect'])}</td><td>"
                                f"{esc(_with_ci(v, 'data', 'data_ci'))}</td><td>"
                                f"{esc(_with_ci(v, 'simulation', 'model_ci'))}</td><td class="
                                f"'{cls}'>{esc(_verdict_word(v))}{note}</td></tr>")
                parts.append("<table>" + "".join(rows) + "</table>")
            elif kind == "figure":
                name, caption = content
                figure += 1
                data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
                parts.append(f"<figure><img alt='{esc(caption)}' "
                             f"src='data:image/png;base64,{data}'><figcaption><b>Figure "
                             f"{figure}.</b> {esc(caption)} <small>({esc(name)})</small>"
                             "</figcaption></figure>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report(folder: str | Path) -> tuple[Path, Path]:
    """Write ``report.md`` and a self-contained ``report.html`` (figures embedded).

    Works on an experiment's folder (``summary.json``) or a sweep's (``manifest.json``).
    """
    folder = Path(folder)
    if (folder / "summary.json").is_file():
        summary = load_summary(folder)
        title = summary.get("title") or summary.get("experiment", "crowdsim experiment")
        sections = _experiment_sections(folder, summary)
    elif (folder / "manifest.json").is_file():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        title = manifest.get("title") or f"Sweep {manifest.get('name', folder.name)}"
        sections = _sweep_sections(folder)
    else:
        raise ConfigError(f"{folder}: neither summary.json nor manifest.json: not a results "
                          "folder")
    md = write_text(folder / "report.md", _markdown(title, sections))
    page = write_text(folder / "report.html", _html(title, sections, folder))
    return md, page

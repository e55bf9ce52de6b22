"""Reports: ``report.md`` and a self-contained ``report.html`` for an experiment or a sweep.

A report is rendered from stored files only (``summary.json`` and the figures for an
experiment; ``manifest.json`` and the Parquet chunks for a sweep), so it can be remade at any
time without re-running anything. This module imports nothing from the experiments or the
command line: what an experiment wants shown first is in its summary (``key_numbers``,
``verdicts``, ``notes``), written by the experiment runner (:mod:`experiments._runner`).
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
           "z_fit_line"]


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


# ---------------------------------------------------------------------------------------------
# sections: (heading, list of blocks); a block is ("p", text), ("table", rows), ("pre", text),
# ("figure", file name) or ("verdicts", list)


def _experiment_sections(folder: Path, summary: dict) -> list[tuple[str, list]]:
    provenance = summary.get("provenance", {})
    config = provenance.get("config")
    sections: list[tuple[str, list]] = []
    what = [("p", summary.get("experiment_doc") or summary.get("experiment", ""))]
    if config:
        what.append(("pre", yaml.safe_dump(config, sort_keys=False).strip()))
    what.append(("table", [
        ("seed", provenance.get("seed")),
        ("config hash", provenance.get("config_hash")),
        ("crowdsim version", provenance.get("crowdsim_version")),
        ("git commit", provenance.get("git_commit") or "(not a git checkout)"),
        ("run at", provenance.get("timestamp")),
    ]))
    sections.append(("What was run", what))
    numbers = summary.get("key_numbers") or _generic_numbers(summary)
    if numbers:
        sections.append(("Key numbers", [("table", numbers)]))
    if summary.get("verdicts"):
        sections.append(("Published effects: reproduced?", [
            ("p", _rule_text(summary["verdicts"])), ("verdicts", summary["verdicts"])]))
    notes = summary.get("disagreements") or summary.get("notes")
    if notes:
        sections.append(("Where model and data disagree", [("p", n) for n in notes]))
    figures = [f for f in summary.get("files", {}).get("figures", []) if f.endswith(".png")]
    if figures:
        sections.append(("Figures", [("figure", f) for f in figures
                                     if (folder / f).is_file()]))
    return sections


def _sweep_sections(folder: Path) -> list[tuple[str, list]]:
    from sim.sweep.results import format_summary, summarise

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    design = manifest.get("design", {})
    provenance = manifest.get("provenance", {})
    sections = [("What was run", [
        ("p", f"A {design.get('kind', '?')} sweep of the {manifest.get('model', '?')} model; "
              "every run's seed derives from the config's seed, its parameter point and its "
              "replicate index."),
        ("pre", yaml.safe_dump(manifest.get("config", {}), sort_keys=False).strip()),
        ("table", [("seed", provenance.get("seed")),
                   ("config hash", manifest.get("config_hash")),
                   ("crowdsim version", provenance.get("crowdsim_version")),
                   ("git commit", provenance.get("git_commit") or "(not a git checkout)"),
                   ("started", manifest.get("started")), ("updated", manifest.get("updated")),
                   ("status", manifest.get("status"))]),
    ]), ("Results", [("pre", format_summary(summarise(folder)))])]
    figures = sorted(p.name for p in folder.glob("*.png"))
    if figures:
        sections.append(("Figures", [("figure", f) for f in figures]))
    return sections


def _generic_numbers(summary: dict) -> list[tuple[str, str]]:
    """Top-level scalar numbers of the summary's data/simulation sections."""
    rows = []
    for section in ("data", "simulation"):
        for key, value in (summary.get(section) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rows.append((f"{section}: {key.replace('_', ' ')}", _fmt(value)))
    return rows[:30]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    return "" if value is None else str(value)


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


def _with_ci(row: dict, key: str, ci_key: str) -> str:
    """A row's value with its 90 % interval when the row has one.

    >>> _with_ci({"data": 0.1, "data_ci": [0.05, 0.2]}, "data", "data_ci")
    '0.1 [0.05, 0.2]'
    """
    ci = row.get(ci_key)
    text = _fmt(row.get(key))
    if ci and any(v is not None for v in ci):
        text += " [" + ", ".join("-" if v is None else _fmt(float(v)) for v in ci) + "]"
        source = row.get(f"{ci_key}_source")
        if source and source != "data":
            text += f" ({source})"
    return text


def _verdict_word(row: dict) -> str:
    """The row's verdict label (:mod:`sim.verdicts`), else the word for ``reproduced``."""
    if row.get("verdict"):
        return str(row["verdict"])
    return {True: "reproduced", False: "not reproduced", None: "not simulated"}[
        row.get("reproduced")]


# ---------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A Markdown table cell: formatted, with pipes escaped."""
    return _fmt(value).replace("|", "\\|") if not isinstance(value, str) else \
        value.replace("|", "\\|")


def _markdown(title: str, sections) -> str:
    lines = [f"# {title}", ""]
    for heading, blocks in sections:
        lines += [f"## {heading}", ""]
        for kind, content in blocks:
            if kind == "p":
                lines += [str(content), ""]
            elif kind == "pre":
                lines += ["```", str(content), "```", ""]
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
                                 + (f" ({v['note']})" if v.get("note") else "") + " |")
                lines.append("")
            elif kind == "figure":
                lines += [f"![{content}]({content})", ""]
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px
solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}pre{background:#f6f6f6;
padding:.7rem;overflow-x:auto;font-size:.85rem}img{max-width:100%;border:1px solid #eee}
.yes{color:#05693a;font-weight:600}.no{color:#a3261b;font-weight:600}.na{color:#666}"""


def _html(title: str, sections, folder: Path) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}"
             f"</title><style>{_CSS}</style></head><body><h1>{esc(title)}</h1>"]
    for heading, blocks in sections:
        parts.append(f"<h2>{esc(heading)}</h2>")
        for kind, content in blocks:
            if kind == "p":
                parts.append(f"<p>{esc(str(content))}</p>")
            elif kind == "pre":
                parts.append(f"<pre>{esc(str(content))}</pre>")
            elif kind == "table":
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
                                f"'{cls}'>{_verdict_word(v)}{note}</td></tr>")
                parts.append("<table>" + "".join(rows) + "</table>")
            elif kind == "figure":
                data = base64.b64encode((folder / content).read_bytes()).decode("ascii")
                parts.append(f"<figure><img alt='{esc(content)}' "
                             f"src='data:image/png;base64,{data}'><figcaption>{esc(content)}"
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

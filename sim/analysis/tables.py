"""Reading the CSV files users give crowdsim: one reader, one set of rules, one-line errors.

Every user CSV (``crowdsim analyze FILE``, a dataset spec's ``data:``, an experiment's
``observed.file``) goes through :func:`read_csv_table`, and its numbers through
:func:`parse_numbers`. The rules:

* **Text.** UTF-8 (a byte-order mark is skipped) or UTF-16 with a byte-order mark (what
  spreadsheets save as "Unicode text"). A binary file, an empty file, a header without data
  rows, Latin-1 or any other encoding is refused with one line naming the file and what is
  wrong. Line endings may be LF, CRLF or CR alone.
* **Separator.** Named by an Excel ``sep=;`` first line if there is one, else sniffed
  from the first lines among ``,``, ``;``, tab and ``|``: the one that
  splits the header into more than one field and gives the most rows with as many fields
  as the header (ties go to ``,``). A file with a single column is read with ``,``. The
  separator used is named in the errors about missing columns.
* **Rows.** The first row is the header (names stripped of surrounding spaces). A data row
  with more or fewer fields than the header is a *bad row*: it is left out whole and
  counted (``bad_rows``), never shifted into other columns nor taken as an estimate. Blank
  lines are skipped.
* **Numbers** (:func:`parse_numbers`). The decimal mark is ``.`` unless told (``decimal``,
  ``crowdsim analyze --decimal ,``); a thousands separator only when told (``thousands``),
  never guessed. A cell such as ``1,5`` or ``1,234`` in a numeric column, when ``,`` is
  neither the decimal mark nor the thousands separator, is refused with one line saying
  which option to give, because reading it either way could be silently wrong. Empty,
  non-numeric, NaN and infinite cells are missing (callers count them as dropped).

The table is parsed by :func:`pandas.read_csv` (python engine, every cell as text, with an
``on_bad_lines`` callable that counts the long rows); numbers are converted afterwards, per
column and per cell, so that group labels keep their text exactly (``"007"``) and a junk
cell is counted where it is instead of turning a whole column into text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import ConfigError

__all__ = ["CsvTable", "DECIMAL_MARKS", "THOUSANDS_SEPARATORS", "parse_numbers",
           "read_csv_table", "sniff_separator"]

SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
"""Separators :func:`sniff_separator` chooses from, in order of preference on a tie."""

DECIMAL_MARKS: tuple[str, ...] = (".", ",")
"""Allowed decimal marks (``--decimal``)."""

THOUSANDS_SEPARATORS: tuple[str, ...] = (",", ".", "'", " ", "_")
"""Allowed thousands separators (``--thousands``); never guessed."""

SNIFF_LINES = 50
"""Lines :func:`sniff_separator` looks at."""

_EXCEL_SEPARATOR_LINE = re.compile(r"\Asep=([,;\t|])[ \t]*\n")

_SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}

_DEFAULT_ADVICE = {
    ",": "give --decimal , if ',' marks decimals (1,5 = 1.5) or --thousands , if it separates "
         "thousands (1,234 = 1234)",
    ".": "give --thousands . if '.' separates thousands (1.234 = 1234), or leave out "
         "--decimal , if '.' marks decimals",
}


def separator_name(separator: str) -> str:
    """How a separator is named in messages (``tab`` for ``\\t``)."""
    return _SEPARATOR_NAMES.get(separator, repr(separator))


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as read by :func:`read_csv_table`.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    frame : pandas.DataFrame
        The data rows that have as many fields as the header, every cell as text stripped
        of surrounding spaces (``""`` when empty), columns named by the header (stripped;
        duplicates kept as they are).
    separator : str
        The separator the file was read with.
    bad_rows : int
        Data rows left out because they have more or fewer fields than the header.
    first_bad_row : str or None
        The first of them (its fields joined by the separator, cut to 60 characters).
    """

    path: Path
    frame: pd.DataFrame
    separator: str
    bad_rows: int
    first_bad_row: str | None

    @property
    def columns(self) -> list[str]:
        """The header's names, in order."""
        return [str(name) for name in self.frame.columns]

    def describe_columns(self, limit: int = 20) -> str:
        """``a, b, c (separated by ';')`` for error messages."""
        names = self.columns
        shown = ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")
        return f"{shown}; read as separated by {separator_name(self.separator)}"

    def column(self, name: str, option: str) -> pd.Series:
        """The text cells of column ``name``.

        Raises
        ------
        ConfigError
            Naming ``option`` if the header has no such column or has it more than once.
        """
        count = self.columns.count(name)
        if count == 0:
            raise ConfigError(f"{option}: {name!r} is not a column of {self.path} "
                              f"(columns: {self.describe_columns()})")
        if count > 1:
            raise ConfigError(f"{option}: {name!r} names {count} columns of {self.path}; "
                              "rename all but one in the header")
        return self.frame[name]

    def bad_rows_note(self) -> str:
        """``2 bad rows left out (wrong number of fields, e.g. 'pz,1,2,3,4')`` or ``""``."""
        if not self.bad_rows:
            return ""
        rows = "bad row" if self.bad_rows == 1 else "bad rows"
        return (f"{self.bad_rows} {rows} left out (not as many fields as the header, e.g. "
                f"{self.first_bad_row!r})")


# ---------------------------------------------------------------------------------------------
# text


def _decode(path: Path, data: bytes) -> str:
    """The file's text; one-line ConfigErrors for binary, empty or non-UTF-8 content."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: starts like UTF-16 text but is not valid UTF-16 "
                              f"(byte {exc.start}); save it as UTF-8 CSV") from None
    if b"\x00" in data[:65536]:
        raise ConfigError(f"{path}: a binary file (NUL bytes), not CSV text (UTF-16 needs a "
                          "byte-order mark; UTF-8 is best)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {exc.start}; "
                          "Latin-1 or Windows-1252? save it as UTF-8 CSV)") from None


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ConfigError(f"{path}: a folder, not a CSV file")
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text = _decode(path, data)
    # CR-only (old Mac) and CRLF line endings become LF, also inside quoted cells
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ConfigError(f"{path}: the file is empty")
    return text


def sniff_separator(text: str) -> str:
    """The separator of a CSV text, among :data:`SEPARATORS`.

    The candidate must split the header (the first non-blank line) into more than one
    field; among those, the one with the most of the first :data:`SNIFF_LINES` lines having
    as many fields as the header wins, ties going to the earlier in :data:`SEPARATORS`.

    Examples
    --------
    >>> sniff_separator("a;b\\n1,5;2\\n")
    ';'
    >>> sniff_separator("guess\\n1,5\\n")
    ','
    """
    lines = [line for line in text.split("\n", 4 * SNIFF_LINES)[:4 * SNIFF_LINES]
             if line.strip()][:SNIFF_LINES]
    best, best_score = ",", -1
    for separator in SEPARATORS:
        try:
            rows = list(csv.reader(lines, delimiter=separator, quotechar='"'))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        score = sum(len(row) == len(rows[0]) for row in rows)
        if score > best_score:
            best, best_score = separator, score
    return best


def _count_records(path: Path, text: str, separator: str) -> int:
    """The rows of ``text``, the header included and blank lines not, by the ``csv`` module.

    The count checks pandas, whose python engine skips some rows it cannot read without
    a word; a malformed file (an unclosed quote, a cell beyond the ``csv`` module's field
    size limit) is a one-line ConfigError here.
    """
    reader = csv.reader(io.StringIO(text), delimiter=separator, quotechar='"', strict=True)
    try:
        # blank rows (also a lone "" or spaces) are skipped, as pandas skips them
        return sum(1 for row in reader if len(row) > 1 or (row and row[0].strip()))
    except csv.Error as exc:
        raise ConfigError(f"{path}: cannot parse as CSV separated by "
                          f"{separator_name(separator)} (line {reader.line_num}: "
                          f"{' '.join(str(exc).split())[:120]})") from None


def read_csv_table(path: str | Path) -> CsvTable:
    """Read a user's CSV file (see the module docstring for the rules).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    CsvTable
        The rows with as many fields as the header, as text, and the count of the others.

    Raises
    ------
    ConfigError
        One line naming the file: not found, a folder, unreadable, empty, binary, not UTF-8,
        no data rows, every data row bad, or not parseable as CSV (e.g. an unclosed quote).
    """
    path = Path(path)
    text = _read_text(path)
    hint = _EXCEL_SEPARATOR_LINE.match(text)
    if hint:  # Excel's "sep=;" first line names the separator
        separator, text = hint.group(1), text[hint.end():]
    else:
        separator = sniff_separator(text)
    records = _count_records(path, text, separator)
    long_rows: list[list[str]] = []

    def count_long_row(fields: list[str]) -> None:
        long_rows.append(fields)
        return None  # leave it out

    try:
        raw = pd.read_csv(io.StringIO(text), sep=separator, header=None, dtype=str,
                          na_filter=False, index_col=False, engine="python", quotechar='"',
                          skip_blank_lines=True, on_bad_lines=count_long_row)
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ConfigError(f"{path}: cannot parse as CSV separated by "
                          f"{separator_name(separator)} ({reason})") from None
    if raw.empty:
        raise ConfigError(f"{path}: the file is empty")
    if len(raw) + len(long_rows) != records:  # pandas skipped rows it could not read
        raise ConfigError(f"{path}: cannot parse as CSV separated by "
                          f"{separator_name(separator)} ({records} rows, "
                          f"{len(raw) + len(long_rows)} readable)")
    names = [str(name).strip() for name in raw.iloc[0].tolist()]
    rows = raw.iloc[1:]
    short = rows.isna().any(axis=1).to_numpy()  # missing fields are NaN, empty cells ""
    first_bad = None
    if long_rows:
        first_bad = separator.join(long_rows[0])
    elif short.any():
        first_bad = separator.join(rows[short].iloc[0].dropna().tolist())
    if first_bad is not None and len(first_bad) > 60:
        first_bad = first_bad[:57] + "..."
    frame = rows[~short].reset_index(drop=True)
    frame = frame.apply(lambda cells: cells.str.strip())  # "1, 10" is "1" and "10"
    frame.columns = names
    bad_rows = len(long_rows) + int(short.sum())
    if len(rows) + len(long_rows) == 0:
        raise ConfigError(f"{path}: no data rows below the header")
    if frame.empty:
        hint = ""
        if separator == "," and long_rows:
            hint = ("; a decimal comma in a comma-separated file must be quoted (\"1,5\"), "
                    "or separate the fields with ';'")
        raise ConfigError(f"{path}: every data row ({bad_rows}) has a different number of "
                          f"fields than the header ({len(names)}, separated by "
                          f"{separator_name(separator)}), e.g. {first_bad!r}{hint}")
    return CsvTable(path=path, frame=frame, separator=separator, bad_rows=bad_rows,
                    first_bad_row=first_bad)


# ---------------------------------------------------------------------------------------------
# numbers

_EXPONENT = r"(?:[eE][+-]?\d+)?"


def _number_pattern(decimal: str, thousands: str | None) -> re.Pattern:
    d = re.escape(decimal)
    if thousands is None:
        integer = r"\d+"
    else:
        integer = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return re.compile(rf"^[+-]?(?:{integer}(?:{d}\d*)?|{d}\d+){_EXPONENT}$")


def _ambiguous_pattern(decimal: str) -> re.Pattern:
    """Numbers that hold the other mark (``,`` when the decimal mark is ``.``)."""
    other = re.escape("," if decimal == "." else ".")
    d = re.escape(decimal)
    return re.compile(rf"^[+-]?\d+(?:{other}\d+)+(?:{d}\d*)?{_EXPONENT}$")


def parse_numbers(cells: pd.Series, *, decimal: str = ".", thousands: str | None = None,
                  column: str = "", source: str = "", advice: str | None = None) -> np.ndarray:
    """A column of text cells as float64; missing, junk, NaN and infinite cells become NaN.

    Parameters
    ----------
    cells : pandas.Series
        Text cells (numbers already numeric are taken as they are; booleans are junk).
    decimal : {'.', ','}
        The decimal mark.
    thousands : str, optional
        The thousands separator (one of :data:`THOUSANDS_SEPARATORS`, not ``decimal``);
        ``1,234`` is then 1234 and a badly grouped ``1,23`` is junk. Never guessed.
    column, source : str
        The column's and the file's names, for the error message.
    advice : str, optional
        What the error message tells the user to do about an ambiguous cell (default: the
        ``--decimal`` and ``--thousands`` options of ``crowdsim analyze``).

    Raises
    ------
    ConfigError
        If a cell is a number written with the other mark (``1,5`` or ``1,234`` when the
        decimal mark is ``.`` and no thousands separator is given; ``1.5`` under
        ``decimal=','``): it could be read two ways, so it is not read at all.

    Examples
    --------
    >>> parse_numbers(pd.Series(["1.5", " 2 ", "x", "", "inf"])).tolist()
    [1.5, 2.0, nan, nan, nan]
    >>> parse_numbers(pd.Series(["1,5", "-2,25e3"]), decimal=",").tolist()
    [1.5, -2250.0]
    >>> parse_numbers(pd.Series(["1,234.5", "12"]), thousands=",").tolist()
    [1234.5, 12.0]
    """
    if decimal not in DECIMAL_MARKS:
        raise ConfigError(f"--decimal: must be one of {' '.join(DECIMAL_MARKS)}, "
                          f"got {decimal!r}")
    if thousands is not None and (thousands not in THOUSANDS_SEPARATORS or thousands == decimal):
        raise ConfigError(f"--thousands: must be one of "
                          f"{', '.join(repr(s) for s in THOUSANDS_SEPARATORS)} and differ from "
                          f"the decimal mark {decimal!r}, got {thousands!r}")
    if pd.api.types.is_bool_dtype(cells):
        return np.full(len(cells), np.nan)
    if pd.api.types.is_numeric_dtype(cells):
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        values = np.array(values, dtype=float)
        values[~np.isfinite(values)] = np.nan
        return values
    text = cells.astype("string").str.strip()
    valid = text.str.match(_number_pattern(decimal, thousands).pattern).fillna(False)
    if thousands is None:
        ambiguous = text.str.match(_ambiguous_pattern(decimal).pattern).fillna(False)
        if ambiguous.any():
            example = text[ambiguous.to_numpy()].iloc[0]
            other = "," if decimal == "." else "."
            where = f"{source}: " if source else ""
            raise ConfigError(f"{where}column {column!r} holds {example!r}, a number written with "
                              f"{other!r}, which is never guessed; "
                              f"{advice or _DEFAULT_ADVICE[other]}")
    normal = text.where(valid.to_numpy(dtype=bool))
    if thousands is not None:
        normal = normal.str.replace(thousands, "", regex=False)
    if decimal != ".":
        normal = normal.str.replace(decimal, ".", regex=False)
    values = pd.to_numeric(normal, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.array(values, dtype=float)
    values[~np.isfinite(values)] = np.nan
    return values

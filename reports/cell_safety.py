"""Keeps spreadsheets from running exported text as a formula (CSV/formula injection).

Every CSV and XLSX the app writes goes through here: report downloads, list and tab exports,
`flask export`, the awards report, import error reports.

- The one rule for text: a line that starts with `= + - @`, a tab, CR or NUL gets a `'` in
  front; that is the first line and every line after a line break, because a cell holding a line
  break is one paste away from being several cells, and a naive reader splits it into rows.
- The one CSV writer, `csv_chunks`: the `csv` module with CRLF line ends and minimal quoting,
  which quotes every cell holding the separator, a quote, CR or LF (with a bare LF line end,
  a lone CR would go out unquoted and start a new row in Excel).
- The one XLSX text cell, `xlsx_cell`: neutralised text stored as a string, never a formula or
  an error code, with the control characters a worksheet cannot hold replaced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
_LINE_STARTING_A_FORMULA = re.compile(r"(?:^|(?<=[\r\n]))(?=[=+\-@\t\r\0])")
_QUOTE_BEFORE_A_FORMULA = re.compile(r"(?:^|(?<=[\r\n]))'(?=[=+\-@\t\r\0])")
ROWS_PER_CHUNK = 500
"""CSV rows gathered into one chunk of a streamed response."""
REPLACEMENT_CHARACTER = "\ufffd"


def neutralise_formula(value: Any) -> Any:
    """Text with `'` before each line that a spreadsheet would evaluate; other values unchanged."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or "\n" in value or "\r" in value
    ):
        return _LINE_STARTING_A_FORMULA.sub("'", value)
    return value


def restore_neutralised_text(text: str) -> str:
    """Undo `neutralise_formula`, so that export -> import round-trips."""
    return _QUOTE_BEFORE_A_FORMULA.sub("", text)


def _is_missing(value: Any) -> bool:
    """None, or pandas' NA or NaT. Those exist only once pandas is imported, so this module does
    not import it: the import and export commands start without it."""
    if value is None:
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)


def csv_text(value: Any) -> str:
    """A cell as the CSV holds it, and as an import reads it back: `1200.50`, `2026-01-31`,
    `true`, nothing for a missing value, neutralised text."""
    if isinstance(value, str):
        return neutralise_formula(value)
    if _is_missing(value):
        return ""
    if hasattr(value, "item"):  # a numpy scalar from a report frame
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int | float):
        return str(value)
    return neutralise_formula(str(value))


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, a few hundred rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_text(name) for name in header])
    pending = 0
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def xlsx_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    """A cell of the write-only `sheet`: numbers, dates and booleans typed, the rest as text."""
    from openpyxl.cell import WriteOnlyCell  # imported by the XLSX writers only: CSV needs none
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if _is_missing(value):
        return WriteOnlyCell(sheet, value=None)
    if hasattr(value, "item"):  # a numpy scalar: openpyxl wants Python numbers
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, bool | int | float | Decimal | dt.date):
        return WriteOnlyCell(sheet, value=value)
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, neutralise_formula(str(value)))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never a formula ("=..."), nor an error code ("#N/A")
    return cell

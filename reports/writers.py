"""CSV and XLSX files of a report frame: they write what the report computed, never recompute it.

Cells go through `reports.cell_safety`, as every CSV and XLSX of the app does: text that a
spreadsheet would run as a formula is neutralised and CSV cells are quoted where they must be;
amounts (`Decimal`) and counts stay numbers: two decimals in CSV, numeric cells in XLSX with a
money format. The XLSX sheet has a bold, frozen header and bold TOTAL rows.

With `label_row`, a row of the columns' labels ("Days 1-30") comes first, above the documented
column names (`days_1_30`), for people who read the file; programs skip that one row.
"""

from __future__ import annotations

import io
import itertools
from decimal import Decimal
from typing import Any

import pandas as pd

from reports.aging import TOTAL
from reports.cell_safety import csv_chunks, xlsx_cell
from reports.column_labels import column_labels

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
HEADER_COLOUR, TOTAL_COLOUR = "DDE4EE", "F2F2F2"


def report_csv(frame: pd.DataFrame, label_row: bool = False) -> str:
    """The frame as CSV text: its columns as the header, one line per row, no index."""
    names = [str(name) for name in frame.columns]
    rows = frame.itertuples(index=False, name=None)
    if label_row:
        rows = itertools.chain([tuple(names)], rows)
        return "".join(csv_chunks(column_labels(names), rows))
    return "".join(csv_chunks(names, rows))


def _is_total_row(values: list[Any]) -> bool:
    return bool(values) and values[0] == TOTAL


def report_xlsx(frame: pd.DataFrame, title: str, label_row: bool = False) -> bytes:
    """A formatted sheet: bold frozen header, money-formatted amounts, bold TOTAL rows."""
    from openpyxl import Workbook  # imported when a sheet is written: a CSV report needs none
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    header_fill = PatternFill("solid", start_color=HEADER_COLOUR)
    total_fill = PatternFill("solid", start_color=TOTAL_COLOUR)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    names = [str(name) for name in frame.columns]
    headers = [column_labels(names), names] if label_row else [names]
    sheet.freeze_panes = f"A{len(headers) + 1}"
    for texts in headers:
        header = []
        for text in texts:
            cell = xlsx_cell(sheet, text)
            cell.font, cell.fill = bold, header_fill
            header.append(cell)
        sheet.append(header)
    for values in frame.itertuples(index=False, name=None):
        is_total = _is_total_row(list(values))
        row = []
        for value in values:
            cell = xlsx_cell(sheet, value)
            if isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            if is_total:
                cell.font, cell.fill = bold, total_fill
            row.append(cell)
        sheet.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()

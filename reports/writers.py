"""CSV and XLSX files of a report frame: they write what the report computed, never recompute it.

Text cells that a spreadsheet would run as a formula are neutralised (`reports.cell_safety`);
amounts (`Decimal`) and counts stay numbers: two decimals in CSV, numeric cells in XLSX with a
money format. The XLSX sheet has a bold, frozen header and bold TOTAL rows.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from reports.aging import TOTAL
from reports.cell_safety import neutralise_formula

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDE4EE")
TOTAL_FILL = PatternFill("solid", start_color="F2F2F2")


def csv_cell(value: Any) -> Any:
    """What a CSV cell holds: decimals as computed (amounts have two places), safe text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def report_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV text: its columns as the header, one line per row, no index."""
    cells = frame.copy()
    for column in cells.columns:
        if pd.api.types.is_bool_dtype(cells[column]) or not pd.api.types.is_numeric_dtype(
            cells[column]
        ):
            cells[column] = cells[column].map(csv_cell)
    header = [neutralise_formula(str(name)) for name in frame.columns]
    return cells.to_csv(index=False, header=header, lineterminator="\n")


def xlsx_value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return neutralise_formula(value)
    if hasattr(value, "item"):  # a numpy scalar: openpyxl wants Python numbers
        return value.item()
    return value


def _is_total_row(values: list[Any]) -> bool:
    return bool(values) and values[0] == TOTAL


def report_xlsx(frame: pd.DataFrame, title: str) -> bytes:
    """A formatted sheet: bold frozen header, money-formatted amounts, bold TOTAL rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=neutralise_formula(str(name)))
        cell.font, cell.fill = BOLD, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for values in frame.itertuples(index=False, name=None):
        is_total = _is_total_row(list(values))
        row = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=xlsx_value(value))
            if isinstance(value, Decimal):
                cell.number_format = MONEY_FORMAT
            if is_total:
                cell.font, cell.fill = BOLD, TOTAL_FILL
            row.append(cell)
        sheet.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()

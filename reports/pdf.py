"""A printable one-page PDF of a report frame: title, parameters, optional chart, then the table.

A frame longer than a page keeps its first rows and its TOTAL rows, and says how many rows the
page leaves out (the CSV and XLSX downloads hold them all). A cell takes at most two lines
(`reports.pdf_document` cuts longer text and says so), so the page's room is counted in lines.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd

from reports.aging import TOTAL
from reports.column_labels import column_labels
from reports.pdf_document import FAMILY, PanelPdf

LINES_WITH_CHART = 14
LINES_WITHOUT_CHART = 34
LINES_PER_CELL = 2
PARAMETER_LINES = 3


def pdf_cell(value: Any) -> str:
    """A table cell's text: decimals with thousands separators and their own places."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def rows_that_fit(
    document: PanelPdf, frame: pd.DataFrame, room: int
) -> tuple[list[list[str]], int]:
    """The fitted cells of the first rows and every TOTAL row within `room` lines, and how many
    rows were left out. A row takes the lines of its tallest cell."""
    is_total = (frame.iloc[:, 0].astype(str) == TOTAL).to_numpy()
    totals = [
        _fitted(document, values) for values in frame[is_total].itertuples(index=False, name=None)
    ]
    room -= sum(lines for _cells, lines in totals)
    kept: list[list[str]] = []
    for values in frame[~is_total].itertuples(index=False, name=None):
        cells, lines = _fitted(document, values)
        if lines > room:
            break
        kept.append(cells)
        room -= lines
    return kept + [cells for cells, _lines in totals], int((~is_total).sum()) - len(kept)


def _fitted(document: PanelPdf, values: Iterable[Any]) -> tuple[list[str], int]:
    return document.fitted_row([pdf_cell(value) for value in values], LINES_PER_CELL)


def report_pdf(
    frame: pd.DataFrame, title: str, parameters: str, chart_png: bytes | None = None
) -> bytes:
    """One landscape A4 page; any text (names, e-mails, a search) fitted to it."""
    document = PanelPdf()
    document.set_auto_page_break(auto=False)
    document.add_page()
    document.set_font(FAMILY, "B", 14)
    document.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FAMILY, "", 8)
    parameters_text, _lines = document.fitted(parameters, document.epw, PARAMETER_LINES)
    document.multi_cell(0, 4, parameters_text, new_x="LMARGIN", new_y="NEXT")
    if chart_png is not None:
        document.image(io.BytesIO(chart_png), x=document.l_margin, h=78, keep_aspect_ratio=True)
    document.set_font(FAMILY, "", 6)
    shown, left_out = rows_that_fit(
        document, frame, LINES_WITH_CHART if chart_png else LINES_WITHOUT_CHART
    )
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) or _holds_money(frame[c]) for c in frame]
    alignments = tuple("RIGHT" if is_number else "LEFT" for is_number in numeric)
    header = document.fitted_header(column_labels(list(frame.columns)))
    document.fitted_table(header, shown, line_height=3.6, text_align=alignments)
    if left_out:
        document.set_font(FAMILY, "", 7)
        note = f"{left_out:,} more rows are in the CSV and XLSX downloads."
        document.cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _holds_money(column: pd.Series) -> bool:
    return len(column) > 0 and isinstance(column.iloc[0], Decimal)

"""A printable one-page PDF of a report frame: title, parameters, optional chart, then the table.

A frame longer than a page keeps its first rows and its TOTAL rows, and says how many rows the
page leaves out (the CSV and XLSX downloads hold them all). A cell takes at most three lines
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
LINES_PER_CELL = 3
PARAMETER_LINES = 3
CHARACTERS_PER_WEIGHT = 12
"""A column of weight one holds about this many characters of the table's font on one line."""
WIDEST_TEXT = 2.6


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


def column_weights(frame: pd.DataFrame) -> list[float]:
    """Relative column widths: text columns (names, e-mail addresses) as wide as their longer
    values need, up to `WIDEST_TEXT` times a figure's column; figures and short codes one."""
    weights = []
    for name in frame.columns:
        lengths = pd.Series([len(pdf_cell(value)) for value in frame[name].head(200)], dtype=float)
        longest = float(lengths.quantile(0.9)) if len(lengths) else 0.0
        weights.append(min(max(longest / CHARACTERS_PER_WEIGHT, 1.0), WIDEST_TEXT))
    return weights


def rows_that_fit(
    document: PanelPdf, frame: pd.DataFrame, room: int, weights: list[float] | None = None
) -> tuple[list[list[str]], int]:
    """The fitted cells of the first rows and every TOTAL row within `room` lines, and how many
    rows were left out. A row takes the lines of its tallest cell."""
    is_total = (frame.iloc[:, 0].astype(str) == TOTAL).to_numpy()
    totals = [
        _fitted(document, values, weights)
        for values in frame[is_total].itertuples(index=False, name=None)
    ]
    room -= sum(lines for _cells, lines in totals)
    kept: list[list[str]] = []
    for values in frame[~is_total].itertuples(index=False, name=None):
        cells, lines = _fitted(document, values, weights)
        if lines > room:
            break
        kept.append(cells)
        room -= lines
    return kept + [cells for cells, _lines in totals], int((~is_total).sum()) - len(kept)


def _fitted(
    document: PanelPdf, values: Iterable[Any], weights: list[float] | None
) -> tuple[list[str], int]:
    return document.fitted_row([pdf_cell(value) for value in values], LINES_PER_CELL, weights)


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
    weights = column_weights(frame)
    shown, left_out = rows_that_fit(
        document, frame, LINES_WITH_CHART if chart_png else LINES_WITHOUT_CHART, weights
    )
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) or _holds_money(frame[c]) for c in frame]
    alignments = tuple("RIGHT" if is_number else "LEFT" for is_number in numeric)
    header = document.fitted_header(column_labels(list(frame.columns)), weights)
    document.fitted_table(header, shown, line_height=3.6, text_align=alignments, weights=weights)
    if left_out:
        document.set_font(FAMILY, "", 7)
        note = f"{left_out:,} more rows are in the CSV and XLSX downloads."
        document.cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _holds_money(column: pd.Series) -> bool:
    return len(column) > 0 and isinstance(column.iloc[0], Decimal)

"""A printable one-page PDF of a report frame: title, parameters, optional chart, then the table.

A frame longer than a page keeps its first rows and its TOTAL rows, and says how many rows the
page leaves out (the CSV and XLSX downloads hold them all).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from reports.aging import TOTAL

FONT_FOLDER = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
ROWS_WITH_CHART = 14
ROWS_WITHOUT_CHART = 34


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


def rows_that_fit(frame: pd.DataFrame, room: int) -> tuple[pd.DataFrame, int]:
    """The first rows and every TOTAL row within `room` rows, and how many rows were left out."""
    is_total = frame.iloc[:, 0].astype(str) == TOTAL
    totals, rows = frame[is_total], frame[~is_total]
    kept = rows.head(max(0, room - len(totals)))
    return pd.concat([kept, totals]), len(rows) - len(kept)


def report_pdf(
    frame: pd.DataFrame, title: str, parameters: str, chart_png: bytes | None = None
) -> bytes:
    """One landscape A4 page; unicode text (names, e-mails) through the DejaVu font."""
    document = FPDF(orientation="L", unit="mm", format="A4")
    document.set_auto_page_break(auto=False)
    document.add_font("DejaVu", "", str(FONT_FOLDER / "DejaVuSans.ttf"))
    document.add_font("DejaVu", "B", str(FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    document.add_page()
    document.set_font("DejaVu", "B", 14)
    document.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    document.set_font("DejaVu", "", 8)
    document.multi_cell(0, 4, parameters, new_x="LMARGIN", new_y="NEXT")
    if chart_png is not None:
        document.image(io.BytesIO(chart_png), x=document.l_margin, h=78, keep_aspect_ratio=True)
    shown, left_out = rows_that_fit(frame, ROWS_WITH_CHART if chart_png else ROWS_WITHOUT_CHART)
    document.set_font("DejaVu", "", 6)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) or _holds_money(frame[c]) for c in frame]
    alignments = tuple("RIGHT" if is_number else "LEFT" for is_number in numeric)
    with document.table(
        text_align=alignments, line_height=3.6, headings_style=FontFace(emphasis="BOLD")
    ) as table:
        table.row([str(name) for name in frame.columns])
        for values in shown.itertuples(index=False, name=None):
            table.row([pdf_cell(value) for value in values])
    if left_out:
        document.set_font("DejaVu", "", 7)
        note = f"{left_out:,} more rows are in the CSV and XLSX downloads."
        document.cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def _holds_money(column: pd.Series) -> bool:
    return len(column) > 0 and isinstance(column.iloc[0], Decimal)

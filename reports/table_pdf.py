"""PDF writing for simple tables (a list as the user sees it, a statement's sections), with fpdf2.

Text is set in DejaVu Sans, so any name prints; a cell longer than `LINES_PER_CELL` lines of its
column is cut and says so (`reports.pdf_document`), so no value can break the page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from fpdf.fonts import FontFace

from models.base import utc_today
from reports.pdf_document import FAMILY, PanelPdf, printable_text

LINES_PER_CELL = 12
TITLE_LINES = 6
ADDRESS_LINES = 8


class TablePdf(PanelPdf):
    """A landscape A4 document of titled tables; `output()` gives the PDF bytes."""

    def __init__(self, title: str, full_text_at: str = "the CSV and XLSX downloads") -> None:
        super().__init__(full_text_at)
        self.set_title(printable_text(title))
        self.set_auto_page_break(auto=True, margin=12)
        self.add_page()
        self.set_font(FAMILY, "B", 14)
        title_text, _lines = self.fitted(title, self.epw, TITLE_LINES)
        self.multi_cell(0, 8, title_text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"Printed {utc_today().isoformat()}", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FAMILY, "B", 11)
        self.cell(0, 7, printable_text(text), new_x="LMARGIN", new_y="NEXT")

    def address_block(self, name: str, address: str) -> None:
        """Who the document is addressed to: the name, then the address as its lines."""
        self.set_font(FAMILY, "", 9)
        lines, _count = self.fitted(f"{name}\n{address}", self.epw / 2, ADDRESS_LINES)
        self.multi_cell(self.epw / 2, 4.5, lines, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def line_of_text(self, text: str, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", 9)
        self.cell(0, 6, printable_text(text), new_x="LMARGIN", new_y="NEXT")

    def table_of(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        if not header:
            return
        self.set_font(FAMILY, "", 8)
        fitted_rows = (
            self.fitted_row([pdf_text(value) for value in values], LINES_PER_CELL)[0]
            for values in rows
        )
        self.fitted_table(
            self.fitted_header([str(label) for label in header]),
            fitted_rows,
            line_height=5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        )


def pdf_text(value: Any) -> str:
    """A cell as a person reads it: money with two decimals, dates ISO, nothing for None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table_pdf(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One table under a title, as PDF bytes."""
    document = TablePdf(title)
    document.table_of(header, rows)
    return bytes(document.output())

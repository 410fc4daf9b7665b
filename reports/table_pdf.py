"""PDF writing for simple tables (a list as the user sees it, a statement's sections), with fpdf2.

Text is set in DejaVu Sans where the system has it, so any name prints; without it, in the
built-in Helvetica, with characters outside Latin-1 replaced.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class TablePdf(FPDF):
    """A landscape A4 document of titled tables; `output()` gives the PDF bytes."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", format="A4")
        self.unicode = UNICODE_FONT.exists() and UNICODE_BOLD_FONT.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(UNICODE_FONT))
            self.add_font("DejaVu", "B", str(UNICODE_BOLD_FONT))
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.set_title(self.printable(title))
        self.set_auto_page_break(auto=True, margin=12)
        self.add_page()
        self.set_font(self.family, "B", 14)
        self.multi_cell(0, 8, self.printable(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 8)
        self.cell(0, 5, f"Printed {dt.date.today().isoformat()}", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def printable(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(self.family, "B", 11)
        self.cell(0, 7, self.printable(text), new_x="LMARGIN", new_y="NEXT")

    def line_of_text(self, text: str, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", 9)
        self.cell(0, 6, self.printable(text), new_x="LMARGIN", new_y="NEXT")

    def table_of(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        if not header:
            return
        self.set_font(self.family, "", 8)
        with self.table(
            headings_style=FontFace(
                family=self.family, emphasis="BOLD", fill_color=(230, 230, 230)
            ),
            line_height=5,
            text_align="LEFT",
            first_row_as_headings=True,
        ) as table:
            table.row([self.printable(str(label)) for label in header])
            for values in rows:
                table.row([self.printable(pdf_text(value)) for value in values])


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

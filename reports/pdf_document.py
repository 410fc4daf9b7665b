"""The panel's PDF document: a font for any name, and table cells that always fit the page.

Every PDF the panel offers (report downloads, account tabs, the statement of account) is one of
these. User text reaches all of them (names, notes, descriptions, references) and is never
trusted to fit: fpdf2 refuses a table row taller than a page, so one long note used to fail a
whole download. Here text is cleaned of control characters, then each cell is cut to a number
of lines of its column, measured with fpdf2's own line breaking; a cut cell ends in
"… (truncated)" and the table is followed by a line saying where the full text is.

The font is DejaVu Sans as matplotlib ships it (a dependency, so always there): Latin, Greek,
Cyrillic, Hebrew, Arabic and emoji print; scripts it lacks (CJK) print as blanks, never fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT_FOLDER = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FAMILY = "DejaVu"
TRUNCATED = " … (truncated)"
ELLIPSIS = "…"
"""The mark of a cut cell whose column is too narrow for TRUNCATED."""
HEADER_LINES = 3
NARROWEST_GLYPH_EM = 0.25
"""No printable glyph is narrower than this (in em): bounds the text worth measuring."""
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_EMAIL = re.compile(r"\S+@\S+")
_EMAIL_BREAKS = re.compile(r"(?<=@)|(?=\.)")
WORD_BREAK = "\u200b"
"""A zero-width space: where a line may break inside an e-mail address (after "@", before ".")."""


def breakable_emails(text: str) -> str:
    """`text` with e-mail addresses breakable after "@" and before each ".", so a narrow column
    wraps `accounts@meridian.example` as `accounts@` / `meridian.example`, not mid-word."""
    return _EMAIL.sub(lambda match: _EMAIL_BREAKS.sub(WORD_BREAK, match[0]), text)


def printable_text(text: str) -> str:
    """`text` with line ends as LF, tabs as spaces, and other control characters as U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL_CHARACTERS.sub("\ufffd", text)


class PanelPdf(FPDF):
    """A landscape A4 document in DejaVu Sans; `full_text_at` says where a cut cell is whole."""

    def __init__(self, full_text_at: str = "the CSV and XLSX downloads") -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.add_font(FAMILY, "", str(FONT_FOLDER / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONT_FOLDER / "DejaVuSans-Bold.ttf"))
        self.set_font(FAMILY, "", 8)
        self.full_text_at = full_text_at
        self.cells_cut = 0
        self.cells_noted = 0
        self.alias_nb_pages()

    def footer(self) -> None:
        """Every page says which it is: "Page 2 of 3"."""
        self.set_y(-9)
        with self.use_font_face(FontFace(emphasis="")):
            self.set_font(FAMILY, "", 7)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    def fitted(self, text: str, width: float, max_lines: int) -> tuple[str, int]:
        """`text` as it fits in `max_lines` lines of a cell `width` wide in the current font,
        and the lines it takes. Only text that may not fit is measured (fpdf2 takes a few
        milliseconds a cell), and only as much of it as could fill the lines."""
        text = printable_text(text)
        room = width - 2 * self.c_margin
        if "\n" not in text and self.get_string_width(text) <= room:
            return text, 1
        text = breakable_emails(text)
        measured = text[: max_lines * (int(room / (self.font_size * NARROWEST_GLYPH_EM)) + 1)]
        lines = self.multi_cell(width, 1, measured, dry_run=True, output="LINES")
        if len(lines) <= max_lines and measured == text:
            return text, len(lines)
        self.cells_cut += 1
        kept = lines[:max_lines]
        mark = TRUNCATED if self.get_string_width(TRUNCATED) <= room else ELLIPSIS
        last = kept[-1].rstrip()
        while last and self.get_string_width(last + mark) > room:
            last = last[:-1].rstrip()
        kept[-1] = last + mark
        return "\n".join(kept), len(kept)

    def column_widths(self, count: int, weights: Sequence[float] | None) -> list[float]:
        """Widths across the page: equal, or in proportion to `weights`."""
        weights = list(weights) if weights else [1.0] * count
        return [self.epw * weight / sum(weights) for weight in weights]

    def fitted_row(
        self, texts: Sequence[str], max_lines: int, weights: Sequence[float] | None = None
    ) -> tuple[list[str], int]:
        """A table row's texts fitted to its columns across the page (equal, or in proportion
        to `weights`), and the row's lines."""
        widths = self.column_widths(len(texts), weights)
        cells = [
            self.fitted(text, width, max_lines) for text, width in zip(texts, widths, strict=True)
        ]
        return [text for text, _lines in cells], max(lines for _text, lines in cells)

    def fitted_header(
        self, labels: Sequence[str], weights: Sequence[float] | None = None
    ) -> list[str]:
        with self.use_font_face(FontFace(emphasis="BOLD")):
            return self.fitted_row(labels, HEADER_LINES, weights)[0]

    def fitted_table(
        self,
        header: list[str],
        rows: Iterable[list[str]],
        *,
        line_height: float,
        text_align: str | Sequence[str] = "LEFT",
        headings_style: FontFace | None = None,
        weights: Sequence[float] | None = None,
    ) -> None:
        """A table of fitted texts (`fitted_header`, `fitted_row`, with the same `weights`)
        across the page; then, when a cell was cut, the line that says where the full text is."""
        with self.table(
            headings_style=headings_style or FontFace(emphasis="BOLD"),
            line_height=line_height,
            text_align=text_align,
            col_widths=tuple(weights) if weights else None,
        ) as table:
            table.row(header)
            for cells in rows:
                table.row(cells)
        if self.cells_cut > self.cells_noted:
            self.cells_noted = self.cells_cut
            note = (
                f"Cells ending in “{TRUNCATED.strip()}” were cut to fit the page; "
                f"the full text is in {self.full_text_at}."
            )
            self.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")

"""Streaming CSV and XLSX writers: rows go out as they come, so no export holds every row.

Cells go through `reports.cell_safety` (the app's one CSV writer and XLSX cell): text that a
spreadsheet would run as a formula is neutralised; numbers, dates and booleans keep their type in
XLSX and are written as an import reads them in CSV (`1200.50`, `2026-01-31`, `true`), so an
export can be imported back unchanged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from reports.cell_safety import csv_chunks, xlsx_cell

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_csv(target: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    for chunk in csv_chunks(header, rows):
        target.write(chunk)


def write_xlsx(
    target: IO[bytes] | str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> None:
    """openpyxl's write-only mode spools rows to disk as they are appended."""
    from openpyxl import Workbook  # imported when a sheet is written: CSV and the CLI need none

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([xlsx_cell(sheet, name) for name in header])
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(target)


def xlsx_file(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> IO[bytes]:
    """A temporary XLSX file, rewound, that disappears when closed."""
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 - the response stream closes it
    write_xlsx(spooled, header, rows, title)
    spooled.seek(0)
    return spooled


def file_chunks(opened: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Stream an open file and close it at the end (or when the client goes away)."""
    try:
        while chunk := opened.read(size):
            yield chunk
    finally:
        opened.close()

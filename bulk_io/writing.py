"""Streaming CSV and XLSX writers: rows go out as they come, so no export holds every row.

Text that a spreadsheet would run as a formula is neutralised (`reports.cell_safety`); numbers,
dates and booleans keep their type in XLSX and are written as an import reads them in CSV
(`1200.50`, `2026-01-31`, `true`), so an export can be imported back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook

from reports.cell_safety import neutralise_formula

ROWS_PER_CHUNK = 500
"""CSV rows gathered into one chunk of a streamed response."""
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date | Decimal | int | float):
        return str(value)
    return neutralise_formula(str(value))


def xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date):
        return value
    return neutralise_formula(str(value))


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, a few hundred rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_formula(name) for name in header])
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


def write_csv(target: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    for chunk in csv_chunks(header, rows):
        target.write(chunk)


def write_xlsx(
    target: IO[bytes] | str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str
) -> None:
    """openpyxl's write-only mode spools rows to disk as they are appended."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([neutralise_formula(name) for name in header])
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])
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

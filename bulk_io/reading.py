"""Opening an uploaded CSV or XLSX file as a header and a stream of rows of text cells.

CSV must be UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"). Other encodings are
refused with a clear message rather than guessed: Latin-1, Windows-1252 and Mac Roman decode the
same bytes to different letters, and every byte string is valid Latin-1, so no guess is safe.
XLSX is read in openpyxl's read-only mode; formulas are read as their text, never evaluated.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zipfile import BadZipFile

ZIP_MAGIC = b"PK\x03\x04"
ReadProgress = Callable[[int, int], None]
"""Told (bytes read so far, the file's size in bytes) as an XLSX file is read."""
FOREIGN_DELIMITERS = (";", "\t", "|")
SAVE_AS_UTF8 = 'Save it as "CSV UTF-8 (comma delimited)" and import it again.'


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class Table:
    """A file opened for reading: its header, its data rows, and how far reading has got."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    size: int
    """Units of progress in the whole file (bytes for CSV, rows for XLSX)."""
    position: Any
    """A callable returning how many units have been read so far."""


@contextmanager
def open_table(path: Path, on_read: ReadProgress | None = None) -> Iterator[Table]:
    """Open `path` as CSV or XLSX, decided by its content, and check that it has a header.

    `on_read` hears how many bytes of an XLSX file have been read: opening a workbook reads its
    whole table of shared strings before the first row. (A CSV file gives its first rows at
    once.)
    """
    with path.open("rb") as raw:
        is_xlsx = raw.read(4) == ZIP_MAGIC
    if is_xlsx:
        with _open_xlsx(path, on_read) as table:
            yield table
    else:
        with _open_csv(path) as table:
            yield table


@contextmanager
def _open_csv(path: Path) -> Iterator[Table]:
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        records = _csv_records(path, stream)
        header = _header_from(records)
        yield Table(header, _data_rows(records), path.stat().st_size, raw.tell)


def _csv_records(path: Path, stream: IO[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(stream, strict=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 - read in the handlers
            yield number, record
    except UnicodeDecodeError:
        line, byte = _first_undecodable_byte(path)
        raise FileProblem(
            f"The file is not UTF-8 text: line {line} has the byte 0x{byte:02x}, which is not "
            f"UTF-8 (Latin-1 or Windows-1252 perhaps). {SAVE_AS_UTF8}"
        ) from None
    except csv.Error as error:
        raise FileProblem(f"Row {number + 1} cannot be read as CSV: {error}.") from None


def _first_undecodable_byte(path: Path) -> tuple[int, int]:
    with path.open("rb") as raw:
        for line_number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return line_number, line[error.start]
    return 0, 0


class _ReportedReads:
    """A binary file that tells `on_read` how many bytes have been read from it in all."""

    def __init__(self, raw: IO[bytes], on_read: ReadProgress) -> None:
        self._raw = raw
        self._on_read = on_read
        self._size = os.fstat(raw.fileno()).st_size
        self._bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bytes_read += len(data)
        self._on_read(min(self._bytes_read, self._size), self._size)
        return data

    def __getattr__(self, name: str) -> Any:  # seek, tell, seekable, close: the file's own
        return getattr(self._raw, name)


def _size_from_the_sheets_top(parser: Any) -> tuple[int, int, int, int] | None:
    """openpyxl's `WorkSheetParser.parse_dimensions`, stopping where the sheet's rows begin.

    openpyxl looks for a sheet's `<dimension>` element until the *end* of `<sheetData>`: a sheet
    without one (files written row by row, openpyxl's own write-only ones among them) is read
    from end to end before its first row is given, as long again as reading its rows. The
    element comes before `<sheetData>` or not at all (the order the file format sets), so
    stopping at the start of `<sheetData>` gives openpyxl the same answer.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG, iterparse
    from openpyxl.worksheet.dimensions import SheetDimension

    for _event, element in iterparse(parser.source, events=("start",)):
        if element.tag == DIMENSION_TAG:
            return SheetDimension.from_tree(element).boundaries
        if element.tag == DATA_TAG:
            return None
    return None


@contextmanager
def _open_xlsx(path: Path, on_read: ReadProgress | None) -> Iterator[Table]:
    from openpyxl import load_workbook  # imported when a sheet is read: CSV and the CLI need none
    from openpyxl.worksheet._reader import WorkSheetParser

    WorkSheetParser.parse_dimensions = _size_from_the_sheets_top  # type: ignore[method-assign]
    raw = path.open("rb")  # a file, not a name: openpyxl refuses names without ".xlsx"
    source = _ReportedReads(raw, on_read) if on_read is not None else raw
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except (BadZipFile, KeyError, OSError, ValueError):
        raw.close()
        raise FileProblem("The file is not a readable XLSX workbook.") from None
    try:
        sheet = workbook.worksheets[0]
        read = 0

        def records() -> Iterator[tuple[int, list[str]]]:
            nonlocal read
            for read, values in enumerate(sheet.iter_rows(values_only=True), start=1):  # noqa: B007
                yield read, [_xlsx_cell_text(value) for value in values]

        stream = records()
        header = _header_from(stream)
        yield Table(header, _data_rows(stream), sheet.max_row or 0, lambda: read)
    finally:
        workbook.close()
        raw.close()


def _xlsx_cell_text(value: Any) -> str:
    """A typed spreadsheet cell as the text a CSV would hold, so one set of parsers serves both."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _header_from(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    first = next(records, None)
    header = [name.strip().lower() for name in first[1]] if first else []
    while header and not header[-1]:
        header.pop()  # spreadsheets often carry empty trailing columns
    if not header:
        raise FileProblem("The file is empty: the first row must name the columns.")
    if len(header) == 1:
        for delimiter in FOREIGN_DELIMITERS:
            if delimiter in header[0]:
                shown = "tab" if delimiter == "\t" else f'"{delimiter}"'
                raise FileProblem(
                    f"The columns are separated by {shown}; they must be separated by commas. "
                    f"{SAVE_AS_UTF8}"
                )
    return header


def _data_rows(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Rows with at least one non-blank cell; blank lines are skipped but keep their number."""
    for number, cells in records:
        if "".join(cells).strip():
            yield number, cells

"""One report frame as a downloadable file (CSV, XLSX or PDF): the panel and the CLI both use it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports.writers import XLSX_MIMETYPE, report_csv, report_xlsx

FORMATS = ("csv", "xlsx", "pdf")
MIMETYPES = {"csv": "text/csv", "xlsx": XLSX_MIMETYPE, "pdf": "application/pdf"}


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    mimetype: str
    file_name: str


def report_file(
    frame: pd.DataFrame,
    file_format: str,
    *,
    title: str,
    slug: str,
    description: str,
    chart_png: bytes | None = None,
    label_row: bool = False,
) -> ReportFile:
    """`frame` written as `file_format`; `description` (the parameters) heads the PDF.
    `label_row` adds the columns' labels above their names in CSV and XLSX (PDFs show labels)."""
    if file_format == "csv":
        content = report_csv(frame, label_row).encode("utf-8")
    elif file_format == "xlsx":
        content = report_xlsx(frame, title, label_row)
    elif file_format == "pdf":
        from reports.pdf import report_pdf  # fpdf is imported only when a PDF is written

        content = report_pdf(frame, title, description, chart_png)
    else:
        raise ValueError(f"A report downloads as {', '.join(FORMATS)}, not {file_format!r}.")
    return ReportFile(content, MIMETYPES[file_format], f"{slug}.{file_format}")

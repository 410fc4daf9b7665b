"""The aging report as a file (CSV, XLSX or PDF with its chart), from the query a page carries.

One function for the page's download and for the background job that prepares the same file
(`jobs.report_job`): both read the parameters for the same viewer, so scoping and field rules
apply alike, and the file a job leaves is the file the download would have given. The figures
come through the aging cache (`reports.aging_cache`), as the page's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from reports.aging_cache import cached_aging_report
from reports.aging_parameters import bucket_names
from reports.downloads import ReportFile, report_file
from reports.parameters import aging_parameters

GROUPING_BY_PAGE = {"manager": "account-manager", "account": "account"}
TITLES = {"manager": "Aging by account manager", "account": "Aging by account"}


def aging_file(
    session: Session, query: Mapping[str, Any], viewer: Any, page: str, file_format: str
) -> ReportFile:
    """Raises `reports.parameters.ParameterError` for a bad parameter, as the page does.
    `labels=1` in the query puts a row of column labels above the names (CSV and XLSX)."""
    grouping = GROUPING_BY_PAGE[page]
    parameters = aging_parameters(session, query, viewer)
    frame = cached_aging_report(session, parameters, grouping)
    chart = None
    if file_format == "pdf":
        from reports.chart import aging_chart_png  # matplotlib takes a second to import

        chart = aging_chart_png(frame, frame.columns[0], bucket_names(parameters.bucket_edges))
    return report_file(
        frame, file_format, title=TITLES[page], slug=f"aging-by-{grouping}-{parameters.as_of}",
        description=parameters.description(), chart_png=chart,
        label_row=query.get("labels") == "1",
    )  # fmt: skip

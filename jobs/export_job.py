"""A large list export (CSV or XLSX) written by a worker, with rows written / total as progress.

The list's export request is replayed in the worker: the same path and query string (filters,
search, sort), the same list view, the job's user logged in for that replayed request and their
role reading (`jobs.running`). The view's `export_table` then answers exactly as it did for the
user: their rows (`get_query`'s scoping), their readable columns, their field rules. So the file
equals what the stream would have sent, and one function writes both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from flask import current_app

from bulk_io.writing import write_csv, write_xlsx
from extensions import db
from jobs import files, states
from jobs.progress import ProgressWriter
from jobs.replaying import panel_view, request_of
from jobs.running import queue_job
from models.config import Setting
from models.jobs import Job
from models.people import User
from models.setting_catalogue import EXPORT_IN_BACKGROUND_ABOVE_ROWS

NOT_ALLOWED = "Your role may no longer export this list; no file was written."
LIST_GONE = "This list is no longer in the panel; no file was written."


def exports_in_background(row_count: Callable[[int], int]) -> bool:
    """Whether a list export goes to a worker: more rows than the setting's threshold, counted
    by `row_count(up_to)` no further than needed to tell."""
    threshold = Setting.value_of(db.session, EXPORT_IN_BACKGROUND_ABOVE_ROWS)
    return row_count(threshold) > threshold


def start_list_export(
    user: User,
    *,
    list_endpoint: str,
    list_name: str,
    export_type: str,
    path: str,
    query_string: str,
    file_name: str,
) -> Job:
    """Record the export the request at `path?query_string` asked for, and queue it."""
    return queue_job(
        user,
        "list_export",
        f"Export {list_name} ({export_type.upper()})",
        {
            "endpoint": list_endpoint,
            "export_type": export_type,
            "path": path,
            "query_string": query_string,
            "file_name": file_name,
        },
    )


def run_export_job(job: Job) -> None:
    parameters = job.parameters
    view = panel_view(parameters["endpoint"])
    if not hasattr(view, "export_table"):
        states.mark_failed(job.id, LIST_GONE, can_retry=False)
        return
    try:
        with request_of(job.user, parameters["path"], parameters["query_string"]):
            # a replayed request runs no `before_request`: the rules as they are now, as a
            # page's request would read them (a worker's cache may predate a rule change)
            current_app.extensions["rule_book"].refresh_if_stale(db.session)
            if not view.can_export:
                states.mark_failed(job.id, NOT_ALLOWED, can_retry=False)
                return
            table = view.export_table()
            tracker = ProgressWriter(job.id, "exporting")
            written = _Counted(table.rows, table.row_count(), tracker)
            _write(parameters["export_type"], table.header, written, view.name, job.token)
    finally:
        db.session.rollback()  # an export only reads
    states.mark_done(
        job.id,
        f"Exported {written.done:,} rows. The file is ready to download.",
        result_file=parameters["file_name"],
        rows=written.done,
    )


def _write(
    export_type: str, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str, token: str
) -> None:
    path = files.result_path(token)
    if export_type == "csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            write_csv(out, header, rows)
    else:
        write_xlsx(str(path), header, rows, title)


class _Counted:
    """The rows, counted as they are written, with progress every batch."""

    def __init__(self, rows: Iterable[Sequence[Any]], total: int, tracker: ProgressWriter):
        self.rows, self.total, self.tracker, self.done = rows, total, tracker, 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.tracker.write(0, self.total, 0, force=True)
        for row in self.rows:
            yield row
            self.done += 1
            self.tracker(self.done, max(self.total, self.done), self.done)

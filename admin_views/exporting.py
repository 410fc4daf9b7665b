"""Streaming list exports: what the list shows (filters, search, sort, rows, columns), as a file.

Flask-Admin's built-in export loads every row into memory, and its XLSX goes through tablib as
text. This mixin keeps Flask-Admin's export URL and permission check and replaces the writing:
the list's own query (`get_list`, hence `get_query`'s row scoping) is streamed a batch at a time,
only the columns of `export_columns_for_request()` are written, formula-like text is neutralised
and numbers stay numbers. Lists of an importable kind export in that kind's import columns, so a
downloaded list can be edited and imported back; a list showing a view's own columns (a saved
view, the role's Configure lists settings, the column chooser) exports those columns instead.

A list of more rows than the "Export lists in the background above (rows)" setting is written by
a worker instead (`jobs.export_job`): the user lands on the job's page. The worker replays this
same request as the same user and calls the same `export_table`, so the file is the one the
stream would have given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.utils import secure_filename

from bulk_io.exporting import export_expressions, export_rows_of, with_custom_values
from bulk_io.kinds import KIND_BY_MODEL
from bulk_io.writing import XLSX_MIMETYPE, csv_chunks, file_chunks, xlsx_file
from extensions import db
from forms_config.custom_fields import key_of
from forms_config.readability import reader_role
from forms_config.row_blanking import row_blanking
from jobs.export_job import exports_in_background, start_list_export
from models.config import Setting
from models.setting_catalogue import EXPORT_IN_BACKGROUND_ABOVE_ROWS


@dataclass(frozen=True)
class ExportTable:
    """A list export: its header, its rows (read as they are iterated) and the list's query."""

    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    listed: Any
    """The list's query: its filters, search and the reader's row scope."""

    def row_count(self, up_to: int | None = None) -> int:
        """How many rows the export holds; with `up_to`, counted no further than `up_to` + 1
        (the list's own count stops at `LIST_COUNT_CAP`, far below an export's threshold)."""
        listed_model = self.listed.column_descriptions[0]["entity"]
        # the key, not a constant: a constant alone would drop the table from an unfiltered query
        counted = self.listed.with_entities(*sa.inspect(listed_model).primary_key).order_by(None)
        if up_to is not None:
            counted = counted.limit(up_to + 1)
        return db.session.scalar(sa.select(sa.func.count()).select_from(counted.subquery()))


class StreamingExportMixin:
    """Mix into a `ModelView` that defines `export_columns_for_request()`."""

    def _export_csv(self, return_url: str) -> Response:
        table = self.export_table()
        if exports_in_background(table.row_count):
            return self._offer_background_export("csv", return_url)
        return Response(
            stream_with_context(csv_chunks(table.header, table.rows)),
            mimetype="text/csv",
            headers={"Content-Disposition": self._attachment("csv")},
        )

    def _export_tablib(self, export_type: str, return_url: str) -> Response:
        if export_type != "xlsx":
            flash(f"Export as {export_type} is not available.", "danger")
            return redirect(return_url)
        table = self.export_table()
        if exports_in_background(table.row_count):
            return self._offer_background_export("xlsx", return_url)
        spooled = xlsx_file(table.header, table.rows, self.name)  # type: ignore[attr-defined]
        return Response(
            file_chunks(spooled),
            mimetype=XLSX_MIMETYPE,
            headers={"Content-Disposition": self._attachment("xlsx")},
        )

    def _offer_background_export(self, export_type: str, return_url: str) -> str:
        """A page that offers to write the file in the background. Following the Export link
        (a GET) starts nothing: the job starts from this page's form, with its CSRF token."""
        view: Any = self
        threshold = Setting.value_of(db.session, EXPORT_IN_BACKGROUND_ABOVE_ROWS)
        return view.render(
            "admin/model/export_in_background.html",
            export_type=export_type,
            threshold=threshold,
            query_string=request.query_string.decode(),
            return_url=return_url,
        )

    @expose("/export-in-background/<export_type>/", methods=["POST"])
    def export_in_background(self, export_type: str) -> Response:
        """Queue the export the list's Export link asked for (its filters, search and sort are
        in `query_string`) and show its job; the worker replays that link as this user."""
        view: Any = self
        if not view.can_export or export_type not in view.export_types:
            abort(403)
        job = start_list_export(
            current_user._get_current_object(),
            list_endpoint=view.endpoint,
            list_name=view.name,
            export_type=export_type,
            path=url_for(".export", export_type=export_type),
            query_string=request.form.get("query_string", ""),
            file_name=self._file_name(export_type),
        )
        return redirect(url_for("jobs.details", job_id=job.id))

    def _attachment(self, export_type: str) -> str:
        return f"attachment;filename={self._file_name(export_type)}"

    def _file_name(self, export_type: str) -> str:
        return secure_filename(self.get_export_name(export_type))  # type: ignore[attr-defined]

    def export_table(self) -> ExportTable:
        """This request's list export, its rows read lazily: the stream and the background job
        both write these."""
        view: Any = self
        view_args = view._get_list_extra_args()
        sort = view._get_column_by_idx(view_args.sort)
        _capped_count, query = view.get_list(
            0,
            sort[0] if sort else None,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=0,
        )
        if view.exports_view_columns():  # a chosen view: its columns, as the page shows them
            visible, kind = list(view._list_columns), None
        else:
            visible, kind = view.export_columns_for_request(), KIND_BY_MODEL.get(view.model)
        if kind is not None:
            names = {name for name, _label in visible}
            # the key too only when readable: hidden means hidden, even at the cost of re-import
            columns = [c for c in kind.columns if c.rule_field in names]
            custom_keys = [key for name, _label in visible if (key := key_of(name))]
            if not columns and not custom_keys:
                return ExportTable([], iter(()), query)
            expressions = export_expressions(kind, columns, custom_keys)
            header = [column.name for column in columns] + custom_keys
            # a field hidden on a condition is emptied in the rows the condition picks
            cell_fields = [column.rule_field for column in columns] + custom_keys
            blanking = row_blanking(view.model, reader_role(), cell_fields)
            if blanking is not None:
                selected = query.with_entities(*blanking.condition_expressions(), *expressions)
                spread = _spreading_custom_values(custom_keys)
                rows = blanking.apply(export_rows_of(db.session, selected), spread)
                return ExportTable(header, rows, query)
            selected = query.with_entities(*expressions)
            rows = with_custom_values(export_rows_of(db.session, selected), custom_keys)
            return ExportTable(header, rows, query)
        records = export_rows_of(db.session, query)
        rows = ([view.get_export_value(record, name) for name, _ in visible] for record in records)
        return ExportTable([label for _name, label in visible], rows, query)


def _spreading_custom_values(custom_keys: list[str]) -> Any:
    """One selected row's values with the custom-field document spread into one cell per key."""

    def spread(row: Sequence[Any]) -> Sequence[Any]:
        return next(with_custom_values([row], custom_keys))

    return spread

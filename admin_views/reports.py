"""The panel's Reports page: aging by account manager and by account, drill-downs and downloads.

Report parameters travel in the query string (GET forms: a report never writes, and its URL can
be bookmarked or shared). Every figure comes from `reports/`; this view reads parameters through
`reports.parameters` (a bad value answers 400 with the reason, one naming a record outside the
user's rows 404; a manager's reports cover only their accounts, through `models.scoping`),
draws pages and hands frames to the writers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import Response, abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy.orm import Session

from admin_views.access import LoginOrForbidden
from extensions import db
from jobs.report_job import start_report
from models import AccountGroup
from models.accounts import ACCOUNT_TYPES
from models.base import utc_today
from reports.actions import actions_per_manager
from reports.aging import open_invoices_of_account
from reports.aging_cache import aging_figures, cached_aging_report
from reports.aging_file import GROUPING_BY_PAGE, TITLES, aging_file
from reports.aging_parameters import BASES, bucket_names
from reports.collections import collections_per_manager
from reports.column_labels import column_label
from reports.credit import credit_control
from reports.downloads import FORMATS, report_file
from reports.parameters import (
    ParameterError,
    aging_parameters,
    groups_the_user_may_name,
    page_parameter,
    period_parameters,
    visible_account,
    visible_manager_name,
)
from reports.pdf import pdf_cell
from reports.period import PeriodParameters
from reports.readable_columns import columns_worth_showing

REPORT_ROLES = frozenset({"super_admin", "admin", "analyst", "manager"})
ROWS_PER_PAGE = 200


@dataclass(frozen=True)
class PeriodReport:
    title: str
    build: Callable[[Session, PeriodParameters], pd.DataFrame]
    uses_period: bool = True


PERIOD_REPORTS = {
    "actions": PeriodReport("Follow-up actions per account manager", actions_per_manager),
    "credit": PeriodReport(
        "Credit control",
        lambda session, parameters: credit_control(session, parameters.viewer, utc_today()),
        uses_period=False,
    ),
    "collections": PeriodReport("Collections figures per account manager", collections_per_manager),
}


class ReportsView(LoginOrForbidden, BaseView):
    """Reports for super admins, admins and analysts (every account) and managers (their own)."""

    def render(self, template: str, **kwargs: Any) -> str:
        """Every report page names its columns by their labels (`reports.column_labels`)."""
        return super().render(template, column_label=column_label, **kwargs)

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role in REPORT_ROLES

    @expose("/")
    def index(self) -> str:
        return self.render(
            "reports/index.html", form=self._form_choices(), query={}, period_reports=PERIOD_REPORTS
        )

    @expose("/aging/<page>")
    def aging(self, page: str) -> Any:
        grouping = self._grouping(page)
        try:
            parameters = aging_parameters(db.session, request.args, self._viewer())
            page_number = page_parameter(request.args)
        except ParameterError as problem:
            page_html = self.render(
                "reports/index.html", form=self._form_choices(), query=_report_query(),
                problem=problem.message, period_reports=PERIOD_REPORTS,
            )  # fmt: skip
            return page_html, 400
        sort = request.args.get("sort", "")
        descending = request.args.get("desc") == "1"
        first = (page_number - 1) * ROWS_PER_PAGE
        rows_needed = None if sort else first + ROWS_PER_PAGE  # the report's order: a head does
        figures = aging_figures(db.session, parameters, grouping, rows_needed)
        shown = figures.page(sort, descending, first, ROWS_PER_PAGE)
        row_count = figures.row_count
        return self.render(
            "reports/aging.html",
            page=page,
            title=TITLES[page],
            parameters=parameters,
            query=_report_query(),
            form=self._form_choices(),
            rows=list(_records(shown)),
            totals=list(_records(figures.totals)),
            row_count=row_count,
            page_number=page_number,
            page_count=max(1, -(-row_count // ROWS_PER_PAGE)),
            money=bucket_names(parameters.bucket_edges)
            + [
                "total",
                "unapplied_credit",
                "net_total",
                "disputed",
            ],  # fmt: skip
            columns=figures.columns_shown,
            search=parameters.search,
            sort=sort,
            descending=descending,
            manager_name=self._manager_name(parameters.account_manager_id),
        )

    @expose("/aging/<page>/download/<file_format>")
    def aging_download(self, page: str, file_format: str) -> Response:
        self._grouping(page)
        if file_format not in FORMATS:
            abort(404)
        try:
            written = aging_file(db.session, request.args, self._viewer(), page, file_format)
        except ParameterError as problem:
            return Response(problem.message, status=400, mimetype="text/plain")
        return Response(
            written.content,
            mimetype=written.mimetype,
            headers={"Content-Disposition": f"attachment; filename={written.file_name}"},
        )

    @expose("/aging/<page>/prepare/<file_format>", methods=["POST"])
    def aging_prepare(self, page: str, file_format: str) -> Response:
        """The same file, prepared by a worker: for a report too big to wait for."""
        self._grouping(page)
        if file_format not in FORMATS:
            abort(404)
        try:
            aging_parameters(db.session, request.args, self._viewer())  # refuse now, not later
        except ParameterError as problem:
            return Response(problem.message, status=400, mimetype="text/plain")
        job = start_report(self._viewer(), page, file_format, _report_query())
        return redirect(url_for("jobs.details", job_id=job.id), code=303)

    @expose("/aging/<page>/chart.png")
    def aging_chart(self, page: str) -> Response:
        from reports.chart import aging_chart_png  # matplotlib takes a second to import

        grouping = self._grouping(page)
        try:
            parameters = aging_parameters(db.session, request.args, self._viewer())
        except ParameterError as problem:
            return Response(problem.message, status=400, mimetype="text/plain")
        frame = cached_aging_report(db.session, parameters, grouping)
        png = aging_chart_png(frame, frame.columns[0], bucket_names(parameters.bucket_edges))
        return Response(png, mimetype="image/png")

    @expose("/period/<report_name>")
    def period_report(self, report_name: str) -> Any:
        report = self._period_report(report_name)
        try:
            parameters = period_parameters(request.args, self._viewer())
        except ParameterError as problem:
            return self._period_page(report_name, report, None, None, problem.message), 400
        frame = report.build(db.session, parameters)
        return self._period_page(report_name, report, parameters, frame)

    @expose("/period/<report_name>/download/<file_format>")
    def period_download(self, report_name: str, file_format: str) -> Response:
        report = self._period_report(report_name)
        if file_format not in FORMATS:
            abort(404)
        try:
            parameters = period_parameters(request.args, self._viewer())
        except ParameterError as problem:
            return Response(problem.message, status=400, mimetype="text/plain")
        frame = report.build(db.session, parameters)
        description = parameters.description() if report.uses_period else "As of today."
        written = report_file(
            frame, file_format, title=report.title, slug=f"{report_name}-{parameters.end}",
            description=description, label_row=_label_row_asked(),
        )  # fmt: skip
        return Response(
            written.content,
            mimetype=written.mimetype,
            headers={"Content-Disposition": f"attachment; filename={written.file_name}"},
        )

    def _period_report(self, report_name: str) -> PeriodReport:
        if report_name not in PERIOD_REPORTS:
            abort(404)
        return PERIOD_REPORTS[report_name]

    def _period_page(
        self,
        report_name: str,
        report: PeriodReport,
        parameters: PeriodParameters | None,
        frame: pd.DataFrame | None,
        problem: str | None = None,
    ) -> str:
        return self.render(
            "reports/period.html",
            report_name=report_name,
            report=report,
            parameters=parameters,
            query=_report_query(),
            columns=[] if frame is None else columns_worth_showing(frame),
            rows=[] if frame is None else [values for _id, values in _records(frame)],
            cell=pdf_cell,
            problem=problem,
        )

    @expose("/aging/account/<int:account_id>/invoices")
    def open_invoices(self, account_id: int) -> Any:
        account = visible_account(db.session, account_id, self._viewer())
        try:
            parameters = aging_parameters(db.session, request.args, self._viewer())
        except ParameterError as problem:
            return Response(problem.message, status=400, mimetype="text/plain")
        invoices = open_invoices_of_account(db.session, parameters, account_id)
        return self.render(
            "reports/open_invoices.html",
            account=account,
            parameters=parameters,
            query=_report_query(),
            invoices=list(_records(invoices)),
        )

    def _grouping(self, page: str) -> str:
        if page not in GROUPING_BY_PAGE:
            abort(404)
        return GROUPING_BY_PAGE[page]

    def _viewer(self) -> Any:
        return current_user._get_current_object()

    def _manager_name(self, manager_id: int | None) -> str | None:
        if manager_id is None:
            return None
        return visible_manager_name(db.session, manager_id, self._viewer())

    def _form_choices(self) -> dict[str, Any]:
        """The choices of the parameter form: the groups the user may name (a manager, only
        their accounts' groups)."""
        groups = db.session.scalars(
            sa.select(AccountGroup)
            .where(AccountGroup.id.in_(groups_the_user_may_name(self._viewer())))
            .order_by(AccountGroup.name)
        ).all()
        return {"groups": groups, "account_types": ACCOUNT_TYPES, "bases": BASES}


def _label_row_asked() -> bool:
    """`labels=1`: the CSV or XLSX download gets a row of column labels above the names."""
    return request.args.get("labels") == "1"


ROUTE_ARGUMENTS = frozenset({"page", "report_name", "file_format", "account_id"})
"""Names in the reports' addresses: a query argument of the same name (`?page=2`) is not a
report parameter, and carried into the page's links it would collide with the address's own."""


def _report_query() -> dict[str, str]:
    """The request's report parameters, to show in the form and carry into links."""
    return {name: value for name, value in request.args.items() if name not in ROUTE_ARGUMENTS}


def _records(frame: pd.DataFrame) -> Any:
    """(row id, {column: value}) for each row, for templates."""
    for row_id, values in zip(frame.index, frame.to_dict("records"), strict=True):
        yield (None if pd.isna(row_id) else int(row_id)), values

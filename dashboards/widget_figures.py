"""Figure tiles: total due, overdue, DSO, credit used, open actions, awards expiring.

Each is a pure function (session, user, params) -> FigureResult over `select()`, within the
user's rows (`models.scoping`); receivables come from the aging definition (`receivables`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from dashboards.receivables import (
    BUCKETS,
    PAST_DUE_CHOICES,
    aging_today,
    buckets_past,
    per_currency,
)
from dashboards.registry import (
    FIGURE,
    USER_SCOPE,
    BoolParameter,
    ChoiceParameter,
    IntParameter,
    WidgetKind,
    register,
)
from dashboards.results import FigureLine, FigureResult
from models import Account, Award, FollowUpAction
from models.base import utc_today
from models.ledger import balances_per_account, cents
from models.scoping import SCOPED_ROLES, restrict_to_visible_rows
from reports.aging import rows_of
from reports.collections import collections_per_manager
from reports.period import PeriodParameters
from reports.queries import frame_of
from reports.readable_columns import TOTAL

RECEIVABLES_READ = (
    "Invoice.amount",
    "Invoice.currency",
    "Invoice.due_date",
    "Payment.amount",
    "CreditNote.amount",
)
AGING_LINK = ("reports.aging", {"page": "manager"})


def _money_lines(amounts: dict[str, Decimal]) -> tuple[FigureLine, ...]:
    return tuple(
        FigureLine(amount, currency) for currency, amount in sorted(amounts.items()) if amount
    )


def total_due(session: Any, user: Any, _params: Mapping[str, Any]) -> FigureResult:
    amounts = per_currency(aging_today(session, user, "account-manager"), BUCKETS)
    return FigureResult(_money_lines(amounts), "Nothing is owed.", AGING_LINK)


def overdue(session: Any, user: Any, params: Mapping[str, Any]) -> FigureResult:
    buckets = buckets_past(int(params["past_due"]))
    amounts = per_currency(aging_today(session, user, "account-manager"), buckets)
    return FigureResult(_money_lines(amounts), "Nothing is overdue.", AGING_LINK)


def days_sales_outstanding(session: Any, user: Any, params: Mapping[str, Any]) -> FigureResult:
    today = utc_today()
    period = PeriodParameters(
        today - dt.timedelta(days=int(params["period_days"]) - 1), today, user
    )
    figures = collections_per_manager(
        session, period, aging_today(session, user, "account-manager")
    )
    totals = figures[figures["account_manager"] == TOTAL]
    lines = tuple(
        FigureLine(dso, unit="days", note=currency)
        for currency, dso in zip(totals["currency"], totals["dso_days"], strict=True)
        if dso is not None
    )
    link = ("reports.period_report", {"report_name": "collections"})
    return FigureResult(lines, "No credit sales in the period.", link)


def credit_used(session: Any, user: Any, params: Mapping[str, Any]) -> FigureResult:
    """Counted over every visible account with a credit limit, each balance in one grouped pass
    (`balances_per_account`); an account with no invoice or payment owes 0, which reaches no
    positive limit, so only accounts with both are counted. Over every row the sums run where
    the aging runs (DuckDB by default); a manager's few thousand accounts are read faster by the
    database itself, through its indexes on `account_id`, than by a scan of every row."""
    threshold = params["threshold_percent"]
    accounts = restrict_to_visible_rows(sa.select(Account), Account, user)
    balances = balances_per_account(accounts).subquery()
    limits = (
        restrict_to_visible_rows(sa.select(Account.id, Account.credit_limit), Account, user)
        .where(Account.credit_limit > 0)
        .subquery()
    )
    limit_cents, balance_cents = cents(limits.c.credit_limit), balances.c.balance_cents
    rows_for = frame_of if user.role in SCOPED_ROLES else rows_of
    counts = rows_for(
        session,
        sa.select(
            sa.func.count(sa.case((balance_cents * 100 >= limit_cents * threshold, 1))).label(
                "at_threshold"
            ),
            sa.func.count(sa.case((balance_cents > limit_cents, 1))).label("over_limit"),
        ).select_from(limits.join(balances, balances.c.account_id == limits.c.id)),
    ).iloc[0]
    at_threshold, over_limit = int(counts["at_threshold"]), int(counts["over_limit"])
    line = FigureLine(
        at_threshold,
        unit="accounts" if at_threshold != 1 else "account",
        note=f"at {threshold}% of their credit limit or more; {over_limit} over it",
    )
    return FigureResult((line,), "", ("reports.period_report", {"report_name": "credit"}))


def open_actions(session: Any, user: Any, params: Mapping[str, Any]) -> FigureResult:
    query = sa.select(
        sa.func.count(),
        sa.func.count(sa.case((FollowUpAction.due_date < utc_today(), 1))),
    ).where(FollowUpAction.status == "open")
    if params["assigned_to_me"]:
        query = query.where(FollowUpAction.assignee_id == user.id)
    total, late = session.execute(restrict_to_visible_rows(query, FollowUpAction, user)).one()
    line = FigureLine(int(total), unit="open", note=f"{int(late or 0)} past their due date")
    link = (
        ("my_actions.index", {}) if params["assigned_to_me"] else ("followupaction.index_view", {})
    )
    return FigureResult((line,), "", link)


def awards_expiring(session: Any, user: Any, params: Mapping[str, Any]) -> FigureResult:
    today = utc_today()
    within = params["within_days"]
    query = sa.select(sa.func.count()).where(
        Award.expires_on.between(today, today + dt.timedelta(days=within))
    )
    count = session.scalar(restrict_to_visible_rows(query, Award, user)) or 0
    line = FigureLine(int(count), unit="awards" if count != 1 else "award",
                      note=f"expire within {within} days")  # fmt: skip
    return FigureResult((line,), "", ("training_awards.index", {}))


register(WidgetKind(
    key="total_due", label="Total due", shape=FIGURE, reads=RECEIVABLES_READ, compute=total_due,
    description="Open receivables as of today, per currency (the aging report's total).",
))  # fmt: skip
register(WidgetKind(
    key="overdue", label="Overdue", shape=FIGURE, reads=RECEIVABLES_READ, compute=overdue,
    description="Open amounts past their due date, per currency, from the aging buckets.",
    parameters=(ChoiceParameter("past_due", "Count invoices", "0", PAST_DUE_CHOICES),),
))  # fmt: skip
register(WidgetKind(
    key="dso", label="DSO", shape=FIGURE, compute=days_sales_outstanding,
    reads=(*RECEIVABLES_READ, "Invoice.issue_date"),
    description="Days sales outstanding per currency: receivables / credit sales × days.",
    parameters=(ChoiceParameter("period_days", "Period", "90", {
        "30": "last 30 days", "90": "last 90 days", "365": "last 365 days"}),),
))  # fmt: skip
register(WidgetKind(
    key="credit_used", label="Credit used", shape=FIGURE, compute=credit_used,
    reads=("Account.credit_limit", "Invoice.amount", "Payment.amount", "CreditNote.amount"),
    description="Accounts using a share of their credit limit or more, and those over it.",
    parameters=(IntParameter("threshold_percent", "Threshold (%)", 80, 1, 1000),),
))  # fmt: skip
register(WidgetKind(
    key="open_actions", label="Open actions", shape=FIGURE, compute=open_actions,
    reads=("FollowUpAction.status", "FollowUpAction.due_date"), scope=USER_SCOPE,
    description="Open follow-up actions, and how many are past their due date.",
    parameters=(BoolParameter("assigned_to_me", "Only those assigned to the viewer", False),),
))  # fmt: skip
register(WidgetKind(
    key="awards_expiring", label="Awards expiring", shape=FIGURE, compute=awards_expiring,
    reads=("Award.expires_on",),
    description="Training awards whose validity ends within a number of days.",
    parameters=(IntParameter("within_days", "Within (days)", 90, 1, 365),),
))  # fmt: skip

"""Charts: aging by account manager or account, overdue by month, collections by month.

Each returns bars per currency (`ChartResult`); `charts.py` draws them as inline SVG.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboards.receivables import BUCKETS, aging_today, buckets_past, money, per_currency
from dashboards.registry import CHART, ChoiceParameter, IntParameter, WidgetKind, register
from dashboards.results import ChartPanel, ChartResult
from dashboards.widget_figures import RECEIVABLES_READ
from models import Account, Invoice, Payment, User
from models.base import utc_today
from models.billing import DEFAULT_CURRENCY
from models.scoping import restrict_to_visible_rows
from reports.aging import UNASSIGNED, AgingParameters, aging_by_key_on_dates, rows_of
from reports.queries import cents

BY_OPTIONS = {"account-manager": "account manager", "account": "account"}
LABEL_READS = {
    "account-manager": ("Account.account_manager", "User.email"),
    "account": ("Account.code",),
}
BUCKET_LABELS = ("current", "1–30", "31–60", "61–90", "over 90")


def _labels(session: Any, user: Any, grouping: str, keys: list[int]) -> dict[int, str]:
    if grouping == "account-manager":
        emails = session.execute(sa.select(User.id, User.email).where(User.id.in_(keys))).all()
        return {0: UNASSIGNED, **{key: email.split("@")[0] for key, email in emails}}
    codes = sa.select(Account.id, Account.code).where(Account.id.in_(keys))
    return dict(session.execute(restrict_to_visible_rows(codes, Account, user)).all())


def aging_chart(session: Any, user: Any, params: Mapping[str, Any]) -> ChartResult:
    grouping, top = params["by"], params["top"]
    frame = aging_today(session, user, grouping)
    frame = frame.assign(total=frame[BUCKETS].sum(axis=1))
    frame = frame[frame["total"] > 0]
    largest = frame.sort_values(["currency", "total", "key"], ascending=[True, False, True])
    largest = largest.groupby("currency").head(top)
    labels = _labels(session, user, grouping, [int(k) for k in largest["key"].unique()])
    panels = tuple(
        ChartPanel(
            currency,
            tuple(labels.get(int(key), "") for key in rows["key"]),
            tuple(tuple(money(c) for c in cells) for cells in rows[BUCKETS].itertuples(False)),
        )
        for currency, rows in largest.groupby("currency", sort=True)
    )
    link = ("reports.aging", {"page": "manager" if grouping == "account-manager" else "account"})
    return ChartResult(BUCKET_LABELS, panels, True, "Nothing is owed.", link)


def month_ends(today: dt.date, months: int) -> list[dt.date]:
    """The last day of each of the `months - 1` months before this one, then today."""
    ends, first = [], today.replace(day=1)
    for _ in range(months - 1):
        end = first - dt.timedelta(days=1)
        ends.append(end)
        first = end.replace(day=1)
    return [*reversed(ends), today]


def overdue_trend(session: Any, user: Any, params: Mapping[str, Any]) -> ChartResult:
    """The overdue amount at each month end and today: the month ends' agings in one pass over
    the ledger (`aging_by_key_on_dates`), today's the one the other widgets share."""
    today = utc_today()
    *ends, _today = month_ends(today, params["months"])
    aging = aging_by_key_on_dates(
        session, AgingParameters(as_of=today, viewer=user), "account-manager", ends
    )
    amounts_by_date = {
        **{end: per_currency(aging[aging["as_of"] == end], buckets_past(0)) for end in ends},
        today: per_currency(aging_today(session, user, "account-manager"), buckets_past(0)),
    }
    currencies = sorted(
        {c for amounts in amounts_by_date.values() for c, a in amounts.items() if a}
    )
    labels = tuple(d.strftime("%b %Y") if d != today else "today" for d in amounts_by_date)
    panels = tuple(
        ChartPanel(currency, labels, tuple(
            (amounts.get(currency, money(0)),) for amounts in amounts_by_date.values()))
        for currency in currencies
    )  # fmt: skip
    return ChartResult(("overdue",), panels, False, "Nothing was overdue.", ("reports.index", {}))


def collections_by_month(session: Any, user: Any, params: Mapping[str, Any]) -> ChartResult:
    """Payments received per month, in the currency of the invoice each settles (a payment on no
    invoice in the default currency, as the aging counts account credit)."""
    today = utc_today()
    start = month_ends(today, params["months"])[0].replace(day=1)
    currency = sa.func.coalesce(Invoice.currency, DEFAULT_CURRENCY)
    statement = (
        sa.select(
            Payment.payment_date.label("day"),
            currency.label("currency"),
            sa.cast(sa.func.sum(cents(Payment.amount)), sa.BigInteger).label("cents"),
        )
        .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.payment_date.between(start, today))
        .group_by(Payment.payment_date, currency)
    )
    received = rows_of(session, restrict_to_visible_rows(statement, Payment, user))
    months = pd.period_range(start, today, freq="M")
    labels = tuple(month.strftime("%b %Y") for month in months)
    if received.empty:
        return ChartResult(("received",), (), False, "No payments in the period.")
    received["month"] = pd.to_datetime(received["day"]).dt.to_period("M")
    per_month = received.groupby(["currency", "month"])["cents"].sum()
    panels = tuple(
        ChartPanel(currency, labels, tuple(
            (money(per_month.get((currency, month), 0)),) for month in months))
        for currency in sorted(received["currency"].unique())
    )  # fmt: skip
    link = ("reports.period_report", {"report_name": "collections"})
    return ChartResult(("received",), panels, False, "No payments in the period.", link)


register(WidgetKind(
    key="aging_chart", label="Aging", shape=CHART, compute=aging_chart, width=6,
    reads=RECEIVABLES_READ,
    description="Open amounts in buckets of days past due, by account manager or account.",
    parameters=(
        ChoiceParameter("by", "By", "account-manager", BY_OPTIONS, LABEL_READS),
        IntParameter("top", "Largest bars per currency", 8, 3, 20),
    ),
))  # fmt: skip
register(WidgetKind(
    key="overdue_trend", label="Overdue by month", shape=CHART, compute=overdue_trend, width=6,
    reads=RECEIVABLES_READ,
    description="The overdue amount at each month's end (and today), per currency.",
    parameters=(IntParameter("months", "Months", 6, 2, 12),),
))  # fmt: skip
register(WidgetKind(
    key="collections_chart", label="Collections by month", shape=CHART, width=6,
    compute=collections_by_month,
    reads=("Payment.amount", "Payment.payment_date", "Invoice.currency"),
    description="Payments received per month, per currency.",
    parameters=(IntParameter("months", "Months", 6, 2, 12),),
))  # fmt: skip

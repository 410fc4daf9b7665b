"""Collections figures per account manager and currency: DSO, and how late invoices were paid.

- `dso_days` = receivables at the period's end / credit sales in the period × the period's days
  (the standard formula); receivables are the aging report's `total` as of the end
  (`reports.aging`), credit sales the invoices issued in the period (neither draft nor void).
  Blank when nothing was sold in the period.
- `average_days_late`: over the invoices paid in the period — settled in full by payments and
  credit notes, the last of them dated in the period — the days from due date to that last
  settlement (0 when paid on time), averaged.
A TOTAL row per currency uses the same formulas on the currency's sums.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Account, CreditNote, Invoice, Payment, User
from models.scoping import restrict_to_visible_rows
from reports.aging import (
    COUNTED_OUT_STATUSES,
    TOTAL,
    UNASSIGNED,
    aging_by_key,
    rows_of,
)
from reports.aging_parameters import AgingParameters
from reports.period import PeriodParameters
from reports.queries import cents, frame_of
from reports.readable_columns import readable_report

COLLECTIONS_COLUMNS = ["account_manager", "currency", "receivables", "credit_sales",
                       "period_days", "dso_days", "invoices_paid", "average_days_late"]  # fmt: skip
TENTH = Decimal("0.1")
MANAGER_KEY = sa.func.coalesce(Account.account_manager_id, 0)


def _credit_sales(session: Session, parameters: PeriodParameters) -> pd.DataFrame:
    statement = (
        sa.select(
            MANAGER_KEY.label("key"),
            Invoice.currency,
            sa.cast(sa.func.sum(cents(Invoice.amount)), sa.BigInteger).label("credit_sales"),
        )
        .join(Account, Account.id == Invoice.account_id)
        .where(
            Invoice.issue_date.between(parameters.start, parameters.end),
            Invoice.status.not_in(COUNTED_OUT_STATUSES),
        )
        .group_by(MANAGER_KEY, Invoice.currency)
    )
    return rows_of(session, restrict_to_visible_rows(statement, Invoice, parameters.viewer))


def _settlements(session: Session, parameters: PeriodParameters) -> pd.DataFrame:
    """Invoices settled in the period, counted per (key, currency, due date, settlement date)."""
    applications = sa.union_all(
        sa.select(Payment.invoice_id, Payment.payment_date.label("on"), cents(Payment.amount)
                  .label("cents")).where(Payment.invoice_id.is_not(None)),
        sa.select(CreditNote.invoice_id, CreditNote.issue_date, cents(CreditNote.amount))
        .where(CreditNote.invoice_id.is_not(None)),
    ).subquery()  # fmt: skip
    settled = (
        sa.select(
            applications.c.invoice_id,
            sa.func.sum(applications.c.cents).label("applied"),
            sa.func.max(applications.c.on).label("settled_on"),
        )
        .group_by(applications.c.invoice_id)
        .subquery()
    )
    statement = (
        sa.select(
            MANAGER_KEY.label("key"),
            Invoice.currency,
            Invoice.due_date,
            settled.c.settled_on,
            sa.func.count().label("invoices_paid"),
        )
        .join(settled, settled.c.invoice_id == Invoice.id)
        .join(Account, Account.id == Invoice.account_id)
        .where(
            settled.c.applied >= cents(Invoice.amount),
            settled.c.settled_on.between(parameters.start, parameters.end),
            Invoice.status.not_in(COUNTED_OUT_STATUSES),
        )
        .group_by(MANAGER_KEY, Invoice.currency, Invoice.due_date, settled.c.settled_on)
    )
    paid = rows_of(session, restrict_to_visible_rows(statement, Invoice, parameters.viewer))
    days = (pd.to_datetime(paid["settled_on"]) - pd.to_datetime(paid["due_date"])).dt.days
    paid["days_late_sum"] = days.clip(lower=0) * paid["invoices_paid"]
    return paid.groupby(["key", "currency"], as_index=False)[
        ["invoices_paid", "days_late_sum"]
    ].sum()


def _ratio(numerator: pd.Series, denominator: pd.Series, factor: float = 1) -> list[Decimal | None]:
    return [
        None if not below else (Decimal(int(above)) * Decimal(factor) / int(below)).quantize(TENTH)
        for above, below in zip(numerator, denominator, strict=True)
    ]


def collections_per_manager(
    session: Session, parameters: PeriodParameters, aging: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (account manager, currency) with receivables or sales or payments.

    `aging`: `aging_by_key` by manager as of the period's end for the same viewer, when the
    caller already has it (a dashboard computes the day's aging once for all its widgets).
    """
    if aging is None:
        as_of_end = AgingParameters(as_of=parameters.end, viewer=parameters.viewer)
        aging = aging_by_key(session, as_of_end, "account-manager")
    receivables = aging[["key", "currency", "total"]]
    figures = (
        receivables.rename(columns={"total": "receivables"})
        .merge(_credit_sales(session, parameters), on=["key", "currency"], how="outer")
        .merge(_settlements(session, parameters), on=["key", "currency"], how="outer")
        .fillna(0)
    )
    amounts = ["receivables", "credit_sales", "invoices_paid", "days_late_sum"]
    figures[amounts] = figures[amounts].astype("int64")
    figures = figures[(figures[amounts].sum(axis=1) > 0).to_numpy()]
    emails = frame_of(session, sa.select(User.id.label("key"), User.email.label("account_manager"))
                      .where(User.id.in_(figures["key"].unique().tolist())))  # fmt: skip
    emails = pd.concat([emails, pd.DataFrame({"key": [0], "account_manager": [UNASSIGNED]})])
    emails = readable_report(emails, parameters.viewer)
    rows = figures.merge(emails, on="key", how="left").sort_values(["account_manager", "currency"])
    totals = rows.groupby("currency", as_index=False)[amounts].sum()
    totals["account_manager"] = TOTAL
    report = pd.concat([rows, totals], ignore_index=True)
    report["period_days"] = parameters.days
    report["dso_days"] = _ratio(report["receivables"], report["credit_sales"], parameters.days)
    report["average_days_late"] = _ratio(report["days_late_sum"], report["invoices_paid"])
    for column in ("receivables", "credit_sales"):
        report[column] = [Decimal(int(value)).scaleb(-2) for value in report[column]]
    report["invoices_paid"] = report["invoices_paid"].astype(np.int64)
    return readable_report(report[COLLECTIONS_COLUMNS], parameters.viewer)

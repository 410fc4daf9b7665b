"""Receivables figures for widgets, from the one aging definition (`reports.aging`).

Totals, overdue amounts, the aging chart and the top overdue accounts all come from
`aging_by_key` as of today, so a dashboard agrees with the aging report to the cent. Within one
request (or one `flask dashboards warm` run) the same aging is computed once, whichever widgets
and roles ask for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
from flask import g, has_app_context

from models.base import utc_today
from models.scoping import SCOPED_ROLES
from reports.aging import AgingParameters, aging_by_key
from reports.aging_parameters import DEFAULT_BUCKET_EDGES, bucket_names

BUCKETS = bucket_names(DEFAULT_BUCKET_EDGES)
PAST_DUE_CHOICES = {
    "0": "any days past due",
    "30": "more than 30 days past due",
    "60": "more than 60 days past due",
    "90": "more than 90 days past due",
}


def aging_today(session: Any, viewer: Any, grouping: str) -> pd.DataFrame:
    """`aging_by_key` as of today (cents, per key and currency) within the viewer's rows."""
    today = utc_today()
    rows = viewer.id if viewer.role in SCOPED_ROLES else "every row"  # the same for all such roles
    memo_key = (grouping, today, rows)
    memo = g.setdefault("dashboard_aging", {}) if has_app_context() else {}
    if memo_key not in memo:
        memo[memo_key] = aging_by_key(
            session, AgingParameters(as_of=today, viewer=viewer), grouping
        )
    return memo[memo_key]


def buckets_past(days: int) -> list[str]:
    """The aging buckets holding invoices more than `days` past due (0: every overdue bucket)."""
    edges = (0, *DEFAULT_BUCKET_EDGES)
    if days not in edges:
        raise ValueError(f"Overdue is counted from one of the bucket edges {edges}, not {days}.")
    return BUCKETS[edges.index(days) + 1 :]


def money(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def per_currency(frame: pd.DataFrame, columns: list[str]) -> dict[str, Decimal]:
    """currency -> the sum of `columns` over the frame's rows of that currency, in money."""
    if frame.empty:
        return {}
    sums = frame.assign(amount=frame[columns].sum(axis=1)).groupby("currency")["amount"].sum()
    return {currency: money(cents) for currency, cents in sums.items()}

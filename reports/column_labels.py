"""Report columns as a person reads them: page headers, chart legends, PDF headers and the
optional label row of CSV and XLSX downloads.

The columns keep their documented names (ARCHITECTURE §7 is a contract: `days_1_30`,
`unapplied_credit`); only what is shown changes. Aging buckets follow the bucket edges of the
report (`days_31_60` -> "Days 31-60", `days_over_90` -> "Over 90"); other names read as their
label here, or humanised (`models.labels.humanize`).
"""

from __future__ import annotations

import re

from models.labels import humanize

COLUMN_LABELS = {
    "current": "Current",
    "total": "Total",
    "unapplied_credit": "Unapplied credit",
    "net_total": "Net total",
    "disputed": "Disputed",
    "open_invoices": "Open invoices",
    "account_code": "Account code",
    "account_name": "Account name",
    "account_manager": "Account manager",
    "number": "Invoice",
    "issue_date": "Issued",
    "due_date": "Due",
    "open_amount": "Open",
    "utilisation_percent": "Credit used (%)",
    "over_limit": "Over limit",
    "not_current": "Not current",
    "dso_days": "DSO (days)",
    "period_days": "Period (days)",
    "average_days_late": "Average days late",
    "credit_sales": "Credit sales",
    "invoices_paid": "Invoices paid",
}
"""Labels that read better than the humanised name."""
_BUCKET_RANGE = re.compile(r"^days_(\d+)_(\d+)$")
_BUCKET_OVER = re.compile(r"^days_over_(\d+)$")


def column_label(name: str) -> str:
    """The label of a report column: `days_1_30` -> "Days 1-30"."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    if match := _BUCKET_RANGE.match(name):
        return f"Days {match[1]}-{match[2]}"
    if match := _BUCKET_OVER.match(name):
        return f"Over {match[1]}"
    return humanize(name)


def column_labels(names: list[str]) -> list[str]:
    return [column_label(str(name)) for name in names]

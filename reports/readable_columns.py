"""Report columns a viewer may read: each column names the fields it reveals, and the answer
comes from `forms_config.readability`, the one rule every reader of the data goes through.

A report built for a viewer shows `HIDDEN` in every column revealing a field the viewer's role
may not read. The column itself stays, so downloads keep their documented columns (ARCHITECTURE
§7) and rows keyed by a hidden label stay apart; a TOTAL row keeps its label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forms_config.readability import HIDDEN, FieldRef, may_read_ref, unreadable_columns

if TYPE_CHECKING:  # frames are made by the reports; this module only reads them
    import pandas as pd

TOTAL = "TOTAL"
"""The label of a report's total rows (per currency)."""
COLUMN_SOURCES: dict[str, tuple[FieldRef, ...]] = {
    "number": ("Invoice.number",),
    "issue_date": ("Invoice.issue_date",),
    "due_date": ("Invoice.due_date",),
    "days_past_due": ("Invoice.due_date",),
    "bucket": ("Invoice.due_date",),
    "currency": ("Invoice.currency",),
    "amount": ("Invoice.amount",),
    "open_amount": ("Invoice.amount",),
    "account_code": ("Account.code",),
    "account_name": ("Account.name",),
    "account_manager": ("Account.account_manager", "User.email"),
    "credit_limit": ("Account.credit_limit",),
    "utilisation_percent": ("Account.credit_limit",),
    "over_limit": ("Account.credit_limit",),
    "email": ("User.email",),
    "first_name": ("User.first_name",),
    "last_name": ("User.last_name",),
    "course_code": ("Course.code",),
    "course_title": ("Course.title",),
    "achieved_on": ("Award.achieved_on",),
    "expires_on": ("Award.expires_on",),
    "days_left": ("Award.expires_on",),
}
"""Report column -> the fields its values reveal (a derived figure names what it is made of)."""


def viewer_role(viewer: Any) -> str | None:
    return getattr(viewer, "role", None)


def may_read_column(column: str, viewer: Any) -> bool:
    """Whether the viewer may read the fields behind a report column (or a search on it)."""
    role = viewer_role(viewer)
    return all(may_read_ref(ref, role) for ref in COLUMN_SOURCES.get(column, ()))


def readable_report(frame: pd.DataFrame, viewer: Any) -> pd.DataFrame:
    """`frame` as the viewer may read it (see the module's docstring)."""
    sources = {c: COLUMN_SOURCES[c] for c in frame.columns if c in COLUMN_SOURCES}
    unreadable = unreadable_columns(sources, viewer_role(viewer))
    if not unreadable:
        return frame
    key = frame.columns[0]
    hidden_keys = frame[key].astype(object).where(frame[key] == TOTAL, HIDDEN)
    return frame.assign(**{c: hidden_keys if c == key else HIDDEN for c in unreadable})


def columns_worth_showing(frame: pd.DataFrame) -> list[str]:
    """A page's columns: a column hidden on every row is left off the page (downloads keep it,
    for their documented columns)."""
    if frame.empty:
        return list(frame.columns)
    return [column for column in frame.columns if not (frame[column] == HIDDEN).all()]

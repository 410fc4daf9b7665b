"""Writing e-mails to the outbox: once per dedupe key, whoever else tries at the same moment.

The insert is `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING` (PostgreSQL and SQLite alike): a
second writer of the same key neither fails nor adds a row, so detecting an event twice is
harmless, and the caller's transaction (a credit decision, say) is never broken by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forms_config.readability import HIDDEN, FieldRef, may_read_ref
from models.notifications import OutboxMessage
from models.people import User
from notifications.email_templates import render_email

VALUE_SOURCES: dict[str, FieldRef] = {
    "account.code": "Account.code",
    "account.name": "Account.name",
    "invoice.amount": "Invoice.amount",
    "invoice.open_amount": "Invoice.amount",
    "credit_limit": "Account.credit_limit",
    "current_limit": "Account.credit_limit",
}
"""Template value (dotted path) -> the field it shows; every recipient must be able to read it."""


def insert_unless_exists(
    session: Any, model: type, values: dict[str, Any], unique_columns: list[str]
) -> bool:
    """Insert one row unless a row with the same `unique_columns` exists (or is being inserted
    by a concurrent transaction, which this one then waits for); True when this call inserted it.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_columns)
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first() is not None


def _insert_once(session: Any, values: dict[str, Any]) -> bool:
    return insert_unless_exists(session, OutboxMessage, values, ["dedupe_key"])


def _addresses(emails: Iterable[str | None]) -> str:
    unique = dict.fromkeys(email.strip().lower() for email in emails if email and email.strip())
    return ", ".join(unique)


def enqueue_email(
    session: Any,
    *,
    dedupe_key: str,
    event: str,
    values: dict[str, Any],
    to: Iterable[str | None],
    cc: Iterable[str | None] = (),
    account_id: int | None = None,
) -> bool:
    """Render `event`'s template with `values` and queue it for `to` (and `cc`), once per key.

    With nobody to write to, the event is still recorded, as skipped, so it is not seen again.
    """
    to_addresses = _addresses(to)
    if not to_addresses:
        return record_skipped(session, dedupe_key, event, "no recipient address", account_id)
    recipients = [*to_addresses.split(", "), *_addresses(cc).split(", ")]
    wording = render_email(session, event, readable_by_recipients(session, values, recipients))
    return _insert_once(
        session,
        {
            "dedupe_key": dedupe_key,
            "event": event,
            "account_id": account_id,
            "to_addresses": to_addresses,
            "cc_addresses": _addresses(email for email in cc if email not in to_addresses),
            "subject": wording.subject,
            "body_text": wording.body_text,
            "body_html": wording.body_html,
        },
    )


def readable_by_recipients(
    session: Any, values: dict[str, Any], addresses: list[str]
) -> dict[str, Any]:
    """`values` with `HIDDEN` for each one a panel user among the recipients may not read
    (Configure Forms): one message goes to all of them, so the strictest reader decides."""
    roles = set(session.scalars(sa.select(User.role).where(User.email.in_(addresses))))
    return _hide_values(values, roles, "")


def _hide_values(values: dict[str, Any], roles: set[str], prefix: str) -> dict[str, Any]:
    shown = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            shown[key] = _hide_values(value, roles, f"{path}.")
        elif path in VALUE_SOURCES and not all(may_read_ref(VALUE_SOURCES[path], r) for r in roles):
            shown[key] = HIDDEN
        else:
            shown[key] = value
    return shown


def record_skipped(
    session: Any, dedupe_key: str, event: str, reason: str, account_id: int | None = None
) -> bool:
    """Mark an event as handled without an e-mail (switched off, opted out, no address)."""
    return _insert_once(
        session,
        {
            "dedupe_key": dedupe_key,
            "event": event,
            "account_id": account_id,
            "status": "skipped",
            "skip_reason": reason,
        },
    )


def queued_count(session: Any) -> int:
    return session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.status.in_(("queued", "sending"))
        )
    )

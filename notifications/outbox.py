"""Writing e-mails to the outbox: once per dedupe key, whoever else tries at the same moment.

The insert is `INSERT ... ON CONFLICT (dedupe_key) DO NOTHING` (PostgreSQL and SQLite alike): a
second writer of the same key neither fails nor adds a row, so detecting an event twice is
harmless, and the caller's transaction (a credit decision, say) is never broken by it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forms_config.readability import HIDDEN, FieldRef, may_read_ref
from models.notifications import OutboxAttachment, OutboxMessage
from models.people import User
from notifications.email_templates import render_email

VALUE_SOURCES: dict[str, FieldRef] = {
    "account.code": "Account.code",
    "account.name": "Account.name",
    "invoice.amount": "Invoice.amount",
    "invoice.open_amount": "Invoice.amount",
    "balance": "Invoice.amount",
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
    return _inserted_id(session, model, values, unique_columns) is not None


def _inserted_id(
    session: Any, model: type, values: dict[str, Any], unique_columns: list[str]
) -> Any:
    """`insert_unless_exists`, answering the new row's id (None when it existed)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_columns)
        .returning(*table.primary_key.columns)
    )
    inserted = session.execute(statement).first()
    return inserted[0] if inserted is not None else None


def _insert_once(
    session: Any, values: dict[str, Any], attachments: Sequence[tuple[str, str, bytes]] = ()
) -> bool:
    message_id = _inserted_id(session, OutboxMessage, values, ["dedupe_key"])
    for file_name, content_type, content in attachments if message_id is not None else ():
        session.add(OutboxAttachment(message_id=message_id, file_name=file_name,
                                     content_type=content_type, content=content))  # fmt: skip
    return message_id is not None


def _addresses(emails: Iterable[str | None]) -> list[str]:
    """The addresses given, trimmed, in lower case, each once, blanks left out."""
    return list(dict.fromkeys(email.strip().lower() for email in emails if email and email.strip()))


def enqueue_email(
    session: Any,
    *,
    dedupe_key: str,
    event: str,
    values: dict[str, Any],
    to: Iterable[str | None],
    cc: Iterable[str | None] = (),
    account_id: int | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bool:
    """Render `event`'s template with `values` and queue it for `to` (and `cc`), once per key;
    each copy carries `attachments` ((file name, content type, bytes): a statement's PDF).

    Recipients who may read different values (Configure Forms) get different messages: those who
    may read the most get the message under `dedupe_key`, each stricter group its own copy with
    what it may not read hidden. So a customer never reads "(hidden)" because their account
    manager was copied. With nobody to write to, the event is still recorded, as skipped, so it
    is not seen again.
    """
    to_addresses = _addresses(to)
    if not to_addresses:
        return record_skipped(session, dedupe_key, event, "no recipient address", account_id)
    cc_addresses = [email for email in _addresses(cc) if email not in to_addresses]
    readers = _readers_by_hidden_values(session, values, [*to_addresses, *cc_addresses])
    inserted = False
    for copy_number, (hidden_paths, members) in enumerate(readers):
        copy_to = [email for email in to_addresses if email in members]
        copy_cc = [email for email in cc_addresses if email in members]
        copy_to, copy_cc = (copy_to, copy_cc) if copy_to else (copy_cc, [])
        wording = render_email(session, event, _hide_values(values, hidden_paths, ""))
        inserted |= _insert_once(
            session,
            {
                "dedupe_key": dedupe_key if copy_number == 0 else _copy_key(dedupe_key, members),
                "event": event,
                "account_id": account_id,
                "to_addresses": ", ".join(copy_to),
                "cc_addresses": ", ".join(copy_cc),
                "subject": wording.subject,
                "body_text": wording.body_text,
                "body_html": wording.body_html,
            },
            attachments,
        )
    return inserted


def _readers_by_hidden_values(
    session: Any, values: dict[str, Any], addresses: list[str]
) -> list[tuple[frozenset[str], set[str]]]:
    """The recipients grouped by which values (dotted paths) they may not read, those who may
    read the most first. An address that is no panel user (a customer) may read every value."""
    role_of = dict(
        session.execute(sa.select(User.email, User.role).where(User.email.in_(addresses))).all()
    )
    shown_paths = [path for path in _paths(values) if path in VALUE_SOURCES]
    groups: dict[frozenset[str], set[str]] = {}
    for address in addresses:
        role = role_of.get(address)
        hidden = frozenset(
            path
            for path in shown_paths
            if role is not None and not may_read_ref(VALUE_SOURCES[path], role)
        )
        groups.setdefault(hidden, set()).add(address)
    return sorted(groups.items(), key=lambda group: (len(group[0]), sorted(group[0])))


def _paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _hide_values(
    values: dict[str, Any], hidden_paths: frozenset[str], prefix: str
) -> dict[str, Any]:
    shown = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            shown[key] = _hide_values(value, hidden_paths, f"{path}.")
        else:
            shown[key] = HIDDEN if path in hidden_paths else value
    return shown


def _copy_key(dedupe_key: str, members: set[str]) -> str:
    """A stricter group's copy is sent once too: its key names the event and who it is for."""
    digest = hashlib.sha256(", ".join(sorted(members)).encode()).hexdigest()[:12]
    return f"{dedupe_key}/copy-{digest}"


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

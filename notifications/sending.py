"""Handing queued e-mails to SMTP: claim, send, and retry with back-off.

A message is claimed before it is sent (status `sending`, committed) and marked `sent` after,
so it goes at most once even with several `notify` runs at the same moment: on PostgreSQL the
candidates are read `FOR UPDATE SKIP LOCKED`, and on both databases the claim is a conditional
UPDATE that only a message still `queued` matches. A failed attempt puts the message back with
a growing delay; after `MAX_ATTEMPTS` it is `failed`, and it stays in the outbox for the panel.
A run that dies between claiming and marking leaves its messages `sending`: they are not sent
again automatically, since the server may have accepted them (at most once wins over at least).
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import sqlalchemy as sa

from models.base import utcnow
from models.notifications import OutboxMessage

MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = dt.timedelta(minutes=1)
LONGEST_RETRY_DELAY = dt.timedelta(hours=6)
CLAIM_BATCH_SIZE = 100
SMTP_TIMEOUT_SECONDS = 20
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send; from the app config, else the environment (`MAIL_SERVER`, ...)."""

    server: str | None
    port: int = 25
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    sender: str = "accounts-desk@localhost"

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], environ: Mapping[str, str] = os.environ
    ) -> MailSettings:
        def read(key: str) -> Any:
            value = config.get(key)
            return value if value not in (None, "") else environ.get(key) or None

        use_tls = read("MAIL_USE_TLS")
        return cls(
            server=read("MAIL_SERVER"),
            port=int(read("MAIL_PORT") or 25),
            username=read("MAIL_USERNAME"),
            password=read("MAIL_PASSWORD"),
            use_tls=use_tls is True or str(use_tls or "").strip().lower() in _TRUE_WORDS,
            sender=read("MAIL_FROM") or cls.sender,
        )


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd ... failure, never more than 6 hours."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), LONGEST_RETRY_DELAY)


def claim_due_messages(
    session: Any, now: dt.datetime, limit: int = CLAIM_BATCH_SIZE
) -> list[OutboxMessage]:
    """Mark up to `limit` due messages as this run's (`sending`) and commit; return them."""
    due = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        session.commit()
        return []
    token = uuid.uuid4().hex
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "queued")
        .values(status="sending", claim_token=token)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
    )


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_addresses
    if message.cc_addresses:
        email["Cc"] = message.cc_addresses
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email["X-Accounts-Desk-Event"] = message.dedupe_key
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                             filename=attachment.file_name)  # fmt: skip
    return email


def send_due_messages(
    session: Any, settings: MailSettings, now: dt.datetime | None = None
) -> SendSummary:
    """Send every message due at `now` (default: the current time), batch by batch."""
    summary = SendSummary()
    if not settings.server:
        return summary
    now = now or utcnow()
    while batch := claim_due_messages(session, now):
        _send_batch(session, settings, batch, summary, now)
    return summary


def _send_batch(
    session: Any,
    settings: MailSettings,
    batch: list[OutboxMessage],
    summary: SendSummary,
    now: dt.datetime,
) -> None:
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        for message in batch:
            _failed_attempt(message, f"cannot reach the mail server: {error}", summary, now)
        session.commit()
        return
    try:
        for message in batch:
            try:
                connection.send_message(build_email(message, settings.sender))
            except smtplib.SMTPServerDisconnected as error:
                _failed_attempt(message, f"mail server disconnected: {error}", summary, now)
                session.commit()
                connection = _connect(settings)
                continue
            except (OSError, smtplib.SMTPException, ValueError) as error:
                # ValueError: an address or header the e-mail library refuses (a stray newline)
                _failed_attempt(message, str(error), summary, now)
            else:
                message.status = "sent"
                message.sent_at = utcnow()
                message.attempts += 1
                message.last_error = None
                summary.sent += 1
            session.commit()  # per message: a crash later does not make a sent one look unsent
    except (OSError, smtplib.SMTPException) as error:
        for message in batch:
            if message.status == "sending":
                _failed_attempt(message, f"cannot reach the mail server: {error}", summary, now)
        session.commit()
    finally:
        _quit_quietly(connection)


def _connect(settings: MailSettings) -> smtplib.SMTP:
    connection = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    if settings.use_tls:
        connection.starttls()
    if settings.username:
        connection.login(settings.username, settings.password or "")
    return connection


def _quit_quietly(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _failed_attempt(
    message: OutboxMessage, error: str, summary: SendSummary, now: dt.datetime
) -> None:
    message.attempts += 1
    message.last_error = error[:1000]
    message.claim_token = None
    summary.errors.append(f"message {message.id}: {error}")
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        summary.failed += 1
    else:
        message.status = "queued"
        message.next_attempt_at = now + retry_delay(message.attempts)
        summary.retrying += 1

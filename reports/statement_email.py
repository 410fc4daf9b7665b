"""E-mails a statement of account as a PDF attachment, over SMTP when `MAIL_SERVER` is set.

The notifications outbox (`notifications/`) queues text e-mails without attachments, so a
statement is sent at once, with the outbox's own mail settings (`MailSettings`: `MAIL_SERVER`,
`MAIL_PORT`, `MAIL_USE_TLS`, `MAIL_USERNAME`, `MAIL_PASSWORD`, `MAIL_FROM`, from the app config or
the environment). Without a server nothing is sent and the caller says so.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from notifications.sending import SMTP_TIMEOUT_SECONDS, MailSettings


class MailNotConfigured(RuntimeError):
    """No way to send e-mail is configured."""


def mail_configured(config: Mapping[str, Any]) -> bool:
    return MailSettings.from_config(config).server is not None


def send_pdf(
    config: Mapping[str, Any], to: str, subject: str, body: str, filename: str, pdf: bytes
) -> None:
    """Send one message with one PDF attached; raises `MailNotConfigured` or an SMTP error."""
    settings = MailSettings.from_config(config)
    if settings.server is None:
        raise MailNotConfigured("E-mail is not configured (MAIL_SERVER is not set).")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    with smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)

"""E-mails a statement of account as a PDF attachment, over SMTP when `MAIL_SERVER` is set.

Configuration keys: `MAIL_SERVER`, `MAIL_PORT` (25), `MAIL_USE_TLS` (False), `MAIL_USERNAME`,
`MAIL_PASSWORD`, `MAIL_DEFAULT_SENDER`. Without `MAIL_SERVER` nothing is sent and the caller
says so: a statement is never reported as sent when it was not.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any


class MailNotConfigured(RuntimeError):
    """No way to send e-mail is configured."""


def mail_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("MAIL_SERVER"))


def send_pdf(
    config: Mapping[str, Any], to: str, subject: str, body: str, filename: str, pdf: bytes
) -> None:
    """Send one message with one PDF attached; raises `MailNotConfigured` or an SMTP error."""
    if not mail_configured(config):
        raise MailNotConfigured("E-mail is not configured (MAIL_SERVER is not set).")
    message = EmailMessage()
    message["From"] = config.get("MAIL_DEFAULT_SENDER") or "accounts-desk@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)

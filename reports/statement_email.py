"""What a statement-of-account e-mail says and carries: its template's values and the PDF.

The e-mail goes through the notifications outbox (`notifications.outbox.enqueue_email`, the one
place that decides recipients and hides from each what their role may not read), written by a
background job (`jobs.statement_job`), which builds the PDF; the outbox sends it with retries.
Mail settings are the outbox's (`MailSettings`: `MAIL_SERVER` ... from the config or the
environment): without a server the page says so and starts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.utils import secure_filename

from models.readable_values import money_text
from notifications.sending import MailSettings
from reports.statement import AccountStatement
from reports.statement_pdf import statement_pdf

STATEMENT_EVENT = "statement"


def mail_configured(config: Mapping[str, Any]) -> bool:
    return MailSettings.from_config(config).server is not None


def statement_file_name(statement: AccountStatement) -> str:
    name = f"statement_{statement.account_code}_{statement.as_of.isoformat()}.pdf"
    return secure_filename(name)


def statement_email_values(statement: AccountStatement) -> dict[str, Any]:
    """The values the "statement" template may show (`notifications.email_placeholders`)."""
    return {
        "account": {"code": statement.account_code, "name": statement.account_name},
        "period_start": statement.period_start.isoformat(),
        "as_of": statement.as_of.isoformat(),
        "balance": money_text(statement.carried_forward, statement.currency),
    }


def statement_attachment(statement: AccountStatement) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the statement's PDF, for the outbox."""
    return statement_file_name(statement), "application/pdf", statement_pdf(statement)

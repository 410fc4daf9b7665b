"""The settings (rows of the `Setting` key/value table) that switch the workflows on and tune them.

All are off or at their default when absent, so a fresh install e-mails nobody until a super
admin turns e-mails on under Settings.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from models.config import Setting

INVOICE_ISSUED_EMAILS = "notify_invoice_issued"
INVOICE_PAID_EMAILS = "notify_invoice_paid"
INVOICE_OVERDUE_EMAILS = "notify_invoice_overdue"
CC_ACCOUNT_MANAGER = "notify_cc_account_manager"
"""yes: every invoice e-mail (issued, paid, overdue) copies the account's account manager.
Overdue reminders copy them anyway unless `config.CC_ACCOUNT_MANAGER_ON_REMINDERS` is off."""
LOOKBACK_DAYS = "notify_lookback_days"
"""How far back `notify` looks for invoices issued, paid or fallen due (default 7 days): an event
older than that is history, not news, and e-mails nobody (an import of last year's invoices)."""
CREDIT_REQUEST_APPROVERS = "credit_request_approvers"
"""E-mails of the admins who decide credit requests, separated by commas or spaces; empty means
every active admin and super admin."""
FOLLOW_UP_DAYS_OVERDUE = "follow_up_after_days_overdue"
"""N: an invoice N days past due gets a follow-up action for its account manager; empty = never."""

DEFAULT_LOOKBACK_DAYS = 7


def setting_text(session: Any, key: str) -> str:
    return (session.scalar(sa.select(Setting.value).where(Setting.key == key)) or "").strip()


def setting_is_on(session: Any, key: str) -> bool:
    return Setting.is_enabled(session, key)


def setting_days(session: Any, key: str, default: int | None = None) -> int | None:
    """A whole number of days, or `default` when the setting is absent or not a number >= 0."""
    text = setting_text(session, key)
    return int(text) if text.isdigit() else default


def setting_emails(session: Any, key: str) -> list[str]:
    """E-mail addresses listed in a setting, lower-cased."""
    text = setting_text(session, key).replace(",", " ").replace(";", " ")
    return [word.lower() for word in text.split() if "@" in word]

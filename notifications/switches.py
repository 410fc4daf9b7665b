"""The settings that switch the workflows on and tune them, as the workflows read them.

Each is declared (label, help text, type, default) in `models.setting_catalogue`; all are off or
at their default when absent, so a fresh install e-mails nobody until a super admin turns
e-mails on under Settings.
"""

from __future__ import annotations

from typing import Any

from models.config import Setting
from models.setting_catalogue import (
    CC_ACCOUNT_MANAGER,
    CC_ACCOUNT_MANAGER_ON_REMINDERS,
    CREDIT_REQUEST_APPROVERS,
    FOLLOW_UP_DAYS_OVERDUE,
    INVOICE_ISSUED_EMAILS,
    INVOICE_OVERDUE_EMAILS,
    INVOICE_PAID_EMAILS,
    LOOKBACK_DAYS,
    spec_of,
)

__all__ = [
    "CC_ACCOUNT_MANAGER",
    "CC_ACCOUNT_MANAGER_ON_REMINDERS",
    "CREDIT_REQUEST_APPROVERS",
    "DEFAULT_LOOKBACK_DAYS",
    "FOLLOW_UP_DAYS_OVERDUE",
    "INVOICE_ISSUED_EMAILS",
    "INVOICE_OVERDUE_EMAILS",
    "INVOICE_PAID_EMAILS",
    "LOOKBACK_DAYS",
    "setting_days",
    "setting_emails",
    "setting_is_on",
]

DEFAULT_LOOKBACK_DAYS: int = spec_of(LOOKBACK_DAYS).default


def setting_is_on(session: Any, key: str) -> bool:
    return Setting.is_enabled(session, key)


def setting_days(session: Any, key: str, default: int | None = None) -> int | None:
    """A whole number of days; `default` when the setting is empty (and declares no default)."""
    days = Setting.value_of(session, key)
    return default if days is None else days


def setting_emails(session: Any, key: str) -> list[str]:
    """E-mail addresses listed in a setting, lower-cased."""
    return list(Setting.value_of(session, key))

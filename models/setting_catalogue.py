"""Every setting the panel reads, declared once: key, label, what it does, type and default.

The Settings page draws its switches from this catalogue, the readers (`Setting.value_of`) parse
stored text by it, and docs/settings.md is checked against it by the tests. A key that is not
declared here cannot be read (`UndeclaredSetting`), so a new switch cannot be added without a
label and a default that a super admin can see.

Values are stored as text in the `settings` table (one row per key that differs from nothing);
a missing row, or a stored text its type cannot read, means the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SWITCH, DAYS, EMAILS, ROWS = "switch", "days", "emails", "rows"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
EMAIL_ADDRESS = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
MAX_DAYS = 3650
"""Ten years: more is a typing slip, not a setting."""
MAX_ROWS = 100_000_000


class UndeclaredSetting(KeyError):
    """A reader asked for a key the catalogue does not declare."""


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    help_text: str
    type: str
    default: Any
    group: str

    def parse(self, text: str | None) -> tuple[Any, str | None]:
        """(typed value, None) or (None, why the text is not a value of this setting's type)."""
        text = (text or "").strip()
        if self.type == SWITCH:
            word = text.lower()
            if word in TRUE_WORDS:
                return True, None
            if word in FALSE_WORDS:
                return False, None
            return None, "Choose on or off."
        if self.type == DAYS:
            if not text:
                return self.default, None
            if not text.isdigit() or int(text) > MAX_DAYS:
                return None, f"Enter a whole number of days from 0 to {MAX_DAYS}, or leave it empty"
            return int(text), None
        if self.type == ROWS:
            if not text:
                return self.default, None
            digits = text.replace(",", "").replace("_", "")
            if not digits.isdigit() or not 1 <= int(digits) <= MAX_ROWS:
                return None, f"Enter a whole number of rows from 1 to {MAX_ROWS:,}"
            return int(digits), None
        addresses = [word.lower() for word in text.replace(",", " ").replace(";", " ").split()]
        wrong = [address for address in addresses if not _is_email(address)]
        if wrong:
            return None, f"Not an e-mail address: {', '.join(wrong)}."
        return list(dict.fromkeys(addresses)), None

    def stored_text(self, value: Any) -> str:
        """The text a typed value is stored as (and shown as on the page)."""
        if self.type == SWITCH:
            return "yes" if value else "no"
        if self.type in (DAYS, ROWS):
            return "" if value is None else str(value)
        return ", ".join(value or ())

    def describe(self, value: Any) -> str:
        """A value as the page and the docs say it: on/off, N days, a list of addresses."""
        if self.type == SWITCH:
            return "on" if value else "off"
        if self.type == DAYS:
            return "empty (never)" if value is None else f"{value} days"
        if self.type == ROWS:
            return f"{value:,} rows"
        return ", ".join(value) if value else "empty (every active admin and super admin)"

    def value_from_stored(self, text: str | None) -> Any:
        """What a stored text means; text this type cannot read (written by hand): the default."""
        if text is None:
            return self.default
        value, error = self.parse(text)
        return self.default if error else value


def _is_email(address: str) -> bool:
    return len(address) <= 254 and EMAIL_ADDRESS.match(address) is not None


INVOICE_ISSUED_EMAILS = "notify_invoice_issued"
INVOICE_PAID_EMAILS = "notify_invoice_paid"
INVOICE_OVERDUE_EMAILS = "notify_invoice_overdue"
CC_ACCOUNT_MANAGER = "notify_cc_account_manager"
CC_ACCOUNT_MANAGER_ON_REMINDERS = "cc_account_manager_on_reminders"
LOOKBACK_DAYS = "notify_lookback_days"
CREDIT_REQUEST_APPROVERS = "credit_request_approvers"
FOLLOW_UP_DAYS_OVERDUE = "follow_up_after_days_overdue"
HIDE_FINANCE_FROM_MANAGERS = "hide_finance_from_managers"
MANAGERS_MAY_CANCEL_BOOKINGS = "managers_may_cancel_bookings"
EXPORT_IN_BACKGROUND_ABOVE_ROWS = "export_in_background_above_rows"

SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        INVOICE_ISSUED_EMAILS,
        "E-mail invoices when they are issued",
        "Each issued invoice is e-mailed to its account's billing e-mail (by flask notify), "
        "unless the account opted out of invoice e-mails.",
        SWITCH,
        False,
        "Invoice e-mails",
    ),
    SettingSpec(
        INVOICE_PAID_EMAILS,
        "E-mail a thank-you when an invoice is paid",
        "Sent to the billing e-mail once payments and credit notes cover the whole invoice.",
        SWITCH,
        False,
        "Invoice e-mails",
    ),
    SettingSpec(
        INVOICE_OVERDUE_EMAILS,
        "E-mail a reminder when an invoice falls overdue",
        "Sent to the billing e-mail on the first day past the due date while money is still open.",
        SWITCH,
        False,
        "Invoice e-mails",
    ),
    SettingSpec(
        CC_ACCOUNT_MANAGER,
        "Copy the account manager on invoice e-mails",
        "The account's account manager receives a copy (Cc) of each invoice e-mail above.",
        SWITCH,
        False,
        "Invoice e-mails",
    ),
    SettingSpec(
        CC_ACCOUNT_MANAGER_ON_REMINDERS,
        "Copy the account manager on overdue reminders",
        "The account manager receives a copy (Cc) of each overdue-invoice reminder of their "
        "accounts, even when the switch above is off, so they see the chase go out.",
        SWITCH,
        True,
        "Invoice e-mails",
    ),
    SettingSpec(
        LOOKBACK_DAYS,
        "Look back for invoice events (days)",
        "How old an issue, payment or due date may be and still be e-mailed: older events are "
        "history (an import of last year's invoices e-mails nobody).",
        DAYS,
        7,
        "Invoice e-mails",
    ),
    SettingSpec(
        FOLLOW_UP_DAYS_OVERDUE,
        "Create a follow-up when an invoice is overdue by (days)",
        "An invoice this many days past due gets a follow-up action for its account manager. "
        "Empty: never.",
        DAYS,
        None,
        "Follow-ups",
    ),
    SettingSpec(
        CREDIT_REQUEST_APPROVERS,
        "Who decides credit requests",
        "E-mail addresses of the admins who are told of new credit requests, separated by "
        "commas. Empty: every active admin and super admin.",
        EMAILS,
        [],
        "Credit requests",
    ),
    SettingSpec(
        HIDE_FINANCE_FROM_MANAGERS,
        "Hide finance from managers",
        "Managers no longer see invoices, payments and credit notes: not in the menu, not by URL.",
        SWITCH,
        False,
        "Managers",
    ),
    SettingSpec(
        MANAGERS_MAY_CANCEL_BOOKINGS,
        "Managers may cancel bookings",
        "On: a manager cancels a booking at once. Off: a manager asks, and an admin confirms.",
        SWITCH,
        False,
        "Managers",
    ),
    SettingSpec(
        EXPORT_IN_BACKGROUND_ABOVE_ROWS,
        "Export lists in the background above (rows)",
        "A list export (CSV or XLSX) of more rows than this is written by the background worker: "
        "the user gets a job page with its progress and downloads the file from My jobs. "
        "Smaller exports download at once.",
        ROWS,
        50_000,
        "Exports",
    ),
)

SETTING_BY_KEY: dict[str, SettingSpec] = {spec.key: spec for spec in SETTINGS}


def spec_of(key: str) -> SettingSpec:
    try:
        return SETTING_BY_KEY[key]
    except KeyError:
        raise UndeclaredSetting(
            f"The setting {key!r} is not declared in models/setting_catalogue.py."
        ) from None


def groups() -> Iterable[tuple[str, list[SettingSpec]]]:
    """The settings by group, in the order first declared (the page's sections)."""
    by_group: dict[str, list[SettingSpec]] = {}
    for spec in SETTINGS:
        by_group.setdefault(spec.group, []).append(spec)
    return by_group.items()

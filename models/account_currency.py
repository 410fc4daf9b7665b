"""Which currency an account's amounts are in, for pages that show an account's figures (key
figures, the manager's dashboard, the statement): the currencies of its invoices.

An account is invoiced in one currency as a rule; one invoiced in several shows them all
("EUR, GBP"), so no reader mistakes such a figure for one currency. An account without invoices
is in the panel's default currency. A reader whose role may not read invoice currencies gets
None, and pages then show the figures without one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from forms_config.readability import readable
from models.billing import DEFAULT_CURRENCY, Invoice


def currencies_of_accounts(session: Any, account_ids: Iterable[int]) -> dict[int, str | None]:
    """Account id -> its currency text ("GBP", "EUR, GBP"), or None where unreadable."""
    ids = list(account_ids)
    if not readable("Invoice", "currency"):
        return dict.fromkeys(ids)
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        sa.select(Invoice.account_id, Invoice.currency)
        .where(Invoice.account_id.in_(ids))
        .distinct()
    )
    for account_id, currency in rows:
        found[account_id].add(currency)
    return {i: ", ".join(sorted(found[i])) if found[i] else DEFAULT_CURRENCY for i in ids}


def currency_of_account(session: Any, account_id: int) -> str | None:
    return currencies_of_accounts(session, [account_id])[account_id]

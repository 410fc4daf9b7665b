"""Finding what happened since `notify` last looked: invoices issued, fully paid or newly
overdue, and accounts whose balance crossed their credit limit.

Detection polls the ledger rather than hooking the writes, so invoices entered by any path (the
panel, an import, another command) are seen alike. Each event is recorded in the outbox under a
dedupe key unique in the database, so running detection again, or twice at once, finds nothing
new. Events older than the look-back window (setting `notify_lookback_days`) are not news.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.accounts import Account
from models.base import utcnow
from models.billing import CreditNote, Invoice, Payment
from models.ledger import applied_per_invoice
from models.notifications import CreditLimitState, InvoiceEmailOptOut, OutboxMessage
from models.people import User
from notifications import switches
from notifications.credit_requests import approver_emails
from notifications.outbox import enqueue_email, insert_unless_exists, record_skipped


@dataclass(frozen=True)
class InvoiceEvent:
    name: str
    switch: str


ISSUED = InvoiceEvent("invoice_issued", switches.INVOICE_ISSUED_EMAILS)
PAID = InvoiceEvent("invoice_paid", switches.INVOICE_PAID_EMAILS)
OVERDUE = InvoiceEvent("invoice_overdue", switches.INVOICE_OVERDUE_EMAILS)


def invoice_dedupe_key(event: InvoiceEvent, invoice_id: int) -> str:
    return f"{event.name}:invoice:{invoice_id}"


def _last_settled_on() -> sa.Subquery:
    """invoice_id -> the date of the latest payment or credit note applied to it."""
    dated = sa.union_all(
        sa.select(Payment.invoice_id, Payment.payment_date.label("on")),
        sa.select(CreditNote.invoice_id, CreditNote.issue_date.label("on")),
    ).subquery()
    return (
        sa.select(dated.c.invoice_id, sa.func.max(dated.c.on).label("settled_on"))
        .where(dated.c.invoice_id.is_not(None))
        .group_by(dated.c.invoice_id)
        .subquery()
    )


def open_amount_expression(applied: sa.Subquery) -> sa.ColumnElement[Decimal]:
    """Rounded to the cent: SQLite sums money as floats, and 99.99 + 0.01 must pay 100.00."""
    return sa.func.round(Invoice.amount - sa.func.coalesce(applied.c.applied, 0), 2)


def _not_yet_recorded(event: InvoiceEvent) -> sa.ColumnElement[bool]:
    key = sa.literal(f"{event.name}:invoice:") + sa.cast(Invoice.id, sa.String)
    return ~sa.exists().where(OutboxMessage.dedupe_key == key)


def detect_invoice_events(session: Any, today: dt.date) -> int:
    """Record every invoice issued, fully paid or newly overdue within the look-back window that
    has not been recorded yet; returns how many events this call recorded."""
    lookback = switches.setting_days(
        session, switches.LOOKBACK_DAYS, switches.DEFAULT_LOOKBACK_DAYS
    )
    since = today - dt.timedelta(days=lookback)
    applied = applied_per_invoice()
    settled = _last_settled_on()
    open_amount = open_amount_expression(applied)
    conditions = {
        ISSUED: Invoice.issue_date.between(since, today),
        PAID: (open_amount <= 0) & (settled.c.settled_on >= since),
        OVERDUE: (open_amount > 0) & (Invoice.due_date < today) & (Invoice.due_date >= since),
    }
    recorded = 0
    for event, condition in conditions.items():
        rows = session.execute(
            sa.select(Invoice, open_amount.label("open_amount"))
            .outerjoin(applied, applied.c.invoice_id == Invoice.id)
            .outerjoin(settled, settled.c.invoice_id == Invoice.id)
            .where(Invoice.status == "issued", condition, _not_yet_recorded(event))
            .order_by(Invoice.id)
        ).all()
        for invoice, open_now in rows:
            recorded += _record_invoice_event(session, event, invoice, open_now)
    return recorded


def _record_invoice_event(
    session: Any, event: InvoiceEvent, invoice: Invoice, open_now: Decimal
) -> int:
    account = invoice.account
    key = invoice_dedupe_key(event, invoice.id)
    if not switches.setting_is_on(session, event.switch):
        return record_skipped(session, key, event.name, "switched off in settings", account.id)
    opted_out = session.scalar(
        sa.select(InvoiceEmailOptOut.id).where(InvoiceEmailOptOut.account_id == account.id)
    )
    if opted_out:
        return record_skipped(session, key, event.name, "account opted out", account.id)
    manager = account.account_manager
    copy_manager = (
        manager is not None
        and manager.active
        and (
            switches.setting_is_on(session, switches.CC_ACCOUNT_MANAGER)
            or (
                event is OVERDUE
                and switches.setting_is_on(session, switches.CC_ACCOUNT_MANAGER_ON_REMINDERS)
            )
        )
    )
    return enqueue_email(
        session,
        dedupe_key=key,
        event=event.name,
        values={
            "account": {"code": account.code, "name": account.name},
            "invoice": {
                "number": invoice.number,
                "amount": f"{invoice.amount:,.2f}",
                "open_amount": f"{max(open_now, Decimal(0)):,.2f}",
                "currency": invoice.currency,
                "issue_date": invoice.issue_date.isoformat(),
                "due_date": invoice.due_date.isoformat(),
            },
        },
        to=[account.billing_email],
        cc=[manager.email] if copy_manager else [],
        account_id=account.id,
    )


def credit_limit_dedupe_key(account_id: int, crossing: int) -> str:
    return f"credit_limit_exceeded:account:{account_id}:{crossing}"


def is_over_credit_limit(balance: Decimal | None, credit_limit: Decimal | None) -> bool:
    """Over the limit means owing more than it; an account without a limit is never over."""
    return credit_limit is not None and (balance or 0) > credit_limit


def detect_credit_limit_crossings(session: Any) -> int:
    """Alert each account that went over its credit limit since it was last seen under it.

    The alert state row is switched with a conditional UPDATE: of two runs that see the same
    crossing, only the one whose UPDATE matched writes the alert (keyed by the crossing's number).
    """
    rows = session.execute(
        sa.select(
            Account.id,
            Account.balance,
            Account.credit_limit,
            CreditLimitState.over_limit,
            CreditLimitState.crossings,
        )
        .outerjoin(CreditLimitState, CreditLimitState.account_id == Account.id)
        .where(sa.or_(Account.credit_limit.is_not(None), CreditLimitState.over_limit.is_(True)))
        .order_by(Account.id)
    ).all()
    alerts = 0
    for account_id, balance, credit_limit, was_over, crossings in rows:
        over = is_over_credit_limit(balance, credit_limit)
        if over and not was_over:
            alerts += _record_crossing(session, account_id, crossings or 0, was_over is None)
        elif was_over and not over:
            session.execute(
                sa.update(CreditLimitState)
                .where(
                    CreditLimitState.account_id == account_id,
                    CreditLimitState.over_limit.is_(True),
                )
                .values(over_limit=False, changed_at=utcnow())
            )
    return alerts


def _record_crossing(session: Any, account_id: int, seen_crossings: int, first_seen: bool) -> int:
    if first_seen:  # no alert state row yet: create it, unless a concurrent run just did
        insert_unless_exists(
            session,
            CreditLimitState,
            {"account_id": account_id, "over_limit": False, "crossings": 0},
            ["account_id"],
        )
    claimed = session.execute(
        sa.update(CreditLimitState)
        .where(
            CreditLimitState.account_id == account_id,
            CreditLimitState.over_limit.is_(False),
            CreditLimitState.crossings == seen_crossings,
        )
        .values(over_limit=True, crossings=seen_crossings + 1, changed_at=utcnow())
    ).rowcount
    if claimed != 1:
        return 0
    account = session.get(Account, account_id)
    manager: User | None = account.account_manager
    enqueue_email(
        session,
        dedupe_key=credit_limit_dedupe_key(account_id, seen_crossings + 1),
        event="credit_limit_exceeded",
        values={
            "account": {"code": account.code, "name": account.name},
            "balance": f"{account.balance:,.2f}",
            "credit_limit": f"{account.credit_limit:,.2f}",
        },
        to=[manager.email if manager else None, *approver_emails(session)],
        account_id=account_id,
    )
    return 1

"""Small builders for ledger records that tests arrange before acting through the panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from extensions import db
from models import Account, CreditNote, Invoice, Payment


def add_account(code: str = "ACME", **fields: Any) -> Account:
    account = Account(code=code, name=fields.pop("name", f"{code} Ltd"), **fields)
    db.session.add(account)
    db.session.commit()
    return account


def add_invoice(account: Account, number: str, amount: str, **fields: Any) -> Invoice:
    issued = fields.pop("issue_date", dt.date(2026, 1, 1))
    invoice = Invoice(
        number=number,
        account=account,
        issue_date=issued,
        due_date=fields.pop("due_date", issued + dt.timedelta(days=30)),
        amount=Decimal(amount),
        **fields,
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def add_payment(account: Account, reference: str, amount: str, **fields: Any) -> Payment:
    payment = Payment(
        reference=reference,
        account=account,
        payment_date=fields.pop("payment_date", dt.date(2026, 1, 15)),
        amount=Decimal(amount),
        **fields,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def add_credit_note(account: Account, number: str, amount: str, **fields: Any) -> CreditNote:
    note = CreditNote(
        number=number,
        account=account,
        issue_date=fields.pop("issue_date", dt.date(2026, 1, 20)),
        amount=Decimal(amount),
        **fields,
    )
    db.session.add(note)
    db.session.commit()
    return note

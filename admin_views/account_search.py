"""Search within one account: one box that finds its invoices, payments, credit notes, notes
and users by number, reference, amount or text.

Each entity is searched through its own generic view's scoped query, and only on the fields the
current role may see (Configure Forms), so the search reveals nothing the lists would not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import url_for

from models import Account, CreditNote, Invoice, Note, Payment, User

HITS_PER_KIND = 20


@dataclass(frozen=True)
class SearchTarget:
    model: type
    kind: str
    text_fields: tuple[str, ...]
    amount_field: str | None = None


SEARCH_TARGETS = (
    SearchTarget(Invoice, "Invoice", ("number", "description"), "amount"),
    SearchTarget(Payment, "Payment", ("reference",), "amount"),
    SearchTarget(CreditNote, "Credit note", ("number", "reason"), "amount"),
    SearchTarget(Note, "Note", ("body",)),
    SearchTarget(User, "User", ("email", "first_name", "last_name")),
)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    label: str
    url: str


def _as_amount(text: str) -> Decimal | None:
    """ "1,250.00" or "1250" as an amount to match exactly; None when it is not a number."""
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _label(record: Any, target: SearchTarget, hidden: frozenset[str]) -> str:
    """The record as its lists name it, with its amount when the role may see amounts."""
    if target.amount_field is None or target.amount_field in hidden:
        return str(record)
    return f"{record} · {getattr(record, target.amount_field):,.2f}"


def search_account(view_for: Callable[[type], Any], account: Account, text: str) -> list[SearchHit]:
    """The account's records matching `text`, at most `HITS_PER_KIND` of each kind."""
    pattern = f"%{text}%"
    amount = _as_amount(text)
    hits = []
    for target in SEARCH_TARGETS:
        view = view_for(target.model)
        if view is None or not view.is_accessible():
            continue
        hidden = view.unsearchable_fields()  # hidden from some records: matched in none
        conditions = [
            getattr(target.model, name).ilike(pattern)
            for name in target.text_fields
            if name not in hidden
        ]
        if amount is not None and target.amount_field and target.amount_field not in hidden:
            conditions.append(getattr(target.model, target.amount_field) == amount)
        if not conditions:
            continue
        records = (
            view.get_query()
            .filter(target.model.account_id == account.id, sa.or_(*conditions))
            .order_by(target.model.id.desc())
            .limit(HITS_PER_KIND)
            .all()
        )
        endpoint = f"{view.endpoint}.details_view"
        hits += [
            SearchHit(target.kind, _label(record, target, hidden), url_for(endpoint, id=record.id))
            for record in records
        ]
    return hits

"""Proposing the next document number (invoices, credit notes) from the numbers already used.

There is no separate counter: the last record's number says the series in use ("INV-00041"), and
the highest number of that series, plus one, keeping its width, is proposed ("INV-00042"). The
unique constraint on the number column is what keeps two people saving at the same moment from
both getting it; the form then says so and proposes the next one (admin_views/billing_forms.py).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

_SERIES = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\D*)$")
MAX_TRIES = 20
"""Numbers tried past the highest of the series before giving up on a proposal."""


def next_number(session: Any, model: type, first: str) -> str:
    """The number to propose for a new `model` record; `first` when there is none yet."""
    column = model.number  # type: ignore[attr-defined]
    latest = session.scalar(sa.select(column).order_by(model.id.desc()).limit(1))  # type: ignore[attr-defined]
    if latest is None:
        return first
    series = _SERIES.match(latest)
    if series is None:
        return first
    prefix, digits, suffix = series.group("prefix", "digits", "suffix")
    highest = session.scalar(
        sa.select(column)
        .where(
            column.startswith(prefix, autoescape=True),
            sa.func.length(column) == len(latest),
            column.endswith(suffix, autoescape=True) if suffix else sa.true(),
        )
        .order_by(column.desc())  # walks the unique index from the top: the series is there
        .limit(1)
    )
    matched = _SERIES.match(highest or latest)
    value = int(matched.group("digits")) if matched else int(digits)
    for step in range(1, MAX_TRIES + 1):
        candidate = f"{prefix}{str(value + step).zfill(len(digits))}{suffix}"
        if not number_taken(session, model, candidate):
            return candidate
    return ""


def number_taken(session: Any, model: type, number: str) -> bool:
    """Whether any record, visible to the asker or not, already has `number`."""
    column = model.number  # type: ignore[attr-defined]
    return session.scalar(sa.select(sa.literal(1)).where(column == number).limit(1)) is not None

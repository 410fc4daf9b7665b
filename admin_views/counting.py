"""List counts that stay cheap on huge tables: counted up to a cap, exactly only on demand.

An exact `COUNT(*)` over a million invoices on every list page is what made Flask-Admin pages
time out (flask-admin issue 2287). Like Django's `show_full_result_count = False`, the list
counts at most `LIST_COUNT_CAP` + 1 matching rows and shows "10,000+" beyond that; the link
"count exactly" asks for the full count once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import Query

DEFAULT_CAP = 10_000
EXACT_COUNT_ARG = "exact_count"


class AtLeast(int):
    """A count known to be at least this value: it prints as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class CappedCountQuery(Query):
    """The list's count query, with filters and search applied as usual; only `scalar` differs."""

    def scalar(self) -> Any:
        cap = current_app.config.get("LIST_COUNT_CAP", DEFAULT_CAP)
        if request.args.get(EXACT_COUNT_ARG) or not cap:
            return super().scalar()
        limited = self.with_entities(sa.literal(1)).limit(cap + 1).subquery()
        counted = self.session.scalar(sa.select(sa.func.count()).select_from(limited))
        return AtLeast(cap) if counted > cap else counted

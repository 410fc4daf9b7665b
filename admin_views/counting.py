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

from admin_views.count_cache import counted_per_ledger

DEFAULT_CAP = 10_000
EXACT_COUNT_ARG = "exact_count"


class AtLeast(int):
    """A count known to be at least this value: it prints as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class CappedCountQuery(Query):
    """The list's count query, with filters and search applied as usual; only `scalar` differs:
    it counts up to the cap, and a count already made under the current ledger stamp is reused
    (`admin_views.count_cache`)."""

    def scalar(self) -> Any:
        cap = current_app.config.get("LIST_COUNT_CAP", DEFAULT_CAP)
        exact = bool(request.args.get(EXACT_COUNT_ARG)) or not cap
        if exact:
            statement = self.statement
        else:
            limited = self.with_entities(sa.literal(1)).limit(cap + 1).subquery()
            statement = sa.select(sa.func.count()).select_from(limited)
        counted = counted_per_ledger(self.session, statement,
                                     lambda: self.session.scalar(statement))  # fmt: skip
        return counted if exact or counted <= cap else AtLeast(cap)

"""List search that stays fast on large tables: a term matches values that start with it.

Flask-Admin searches with `ILIKE '%term%'`, which reads every row of the table: seconds on a
million invoices. Here each term is a case-insensitive prefix of a search column, written so
that an index on `lower(column)` answers it (a range on SQLite; `LIKE 'term%'` over a
`text_pattern_ops` index on PostgreSQL; migration 0005 creates those indexes). An invoice number,
an account code, a name or an e-mail is found by its first characters.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def starts_with(column: Any, term: str, dialect: str) -> sa.ColumnElement[bool]:
    """`column` (as text, for a date searched as typed: "2026-05") starts with `term`."""
    prefix = term.lower()
    text = column if isinstance(column.type, sa.String) else sa.cast(column, sa.String)
    lowered = sa.func.lower(text)
    if dialect == "postgresql":
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return lowered.like(f"{escaped}%", escape="\\")
    following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return sa.and_(lowered >= prefix, lowered < following)


def matching_any(columns: list[Any], search: str, dialect: str) -> sa.ColumnElement[bool] | None:
    """Some column starts with the whole search text ("acme tra" finds "Acme Training 12")."""
    text = " ".join(search.split())
    if not text:
        return None
    return sa.or_(*(starts_with(column, text, dialect) for column in columns))

"""Indexes on lower(column) behind the list search's case-insensitive prefix match.

Declared here, with the models, so that the schema the migrations build (0005) and the schema
the models describe stay equal; `admin_views/search.py` writes the queries that use them.
"""

from __future__ import annotations

import sqlalchemy as sa

from models.accounts import Account
from models.billing import CreditNote, Invoice, Payment
from models.people import User

SEARCHED_COLUMNS = (
    Invoice.__table__.c.number,
    Payment.__table__.c.reference,
    CreditNote.__table__.c.number,
    Account.__table__.c.code,
    Account.__table__.c.name,
    Account.__table__.c.billing_email,
    User.__table__.c.email,
)

for _column in SEARCHED_COLUMNS:
    _label = f"lower_{_column.name}"
    sa.Index(
        f"ix_{_column.table.name}_{_column.name}_lower",
        sa.func.lower(_column).label(_label),
        postgresql_ops={_label: "text_pattern_ops"},
    )

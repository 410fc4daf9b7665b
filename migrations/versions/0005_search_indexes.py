"""Indexes on lower(column) for the list search's case-insensitive prefix match.

Revision ID: 0005_search_indexes
Revises: 0004_notifications

The list search (admin_views/search.py) matches a term as a prefix of lower(column): a range
scan of these indexes on SQLite, and LIKE 'term%' over text_pattern_ops on PostgreSQL.
"""

from alembic import op

revision = "0005_search_indexes"
down_revision = "0004_notifications"
branch_labels = None
depends_on = None

SEARCHED = (
    ("invoices", "number"),
    ("payments", "reference"),
    ("credit_notes", "number"),
    ("accounts", "code"),
    ("accounts", "name"),
    ("accounts", "billing_email"),
    ("users", "email"),
)


def upgrade():
    pattern_ops = " text_pattern_ops" if op.get_bind().dialect.name == "postgresql" else ""
    for table, column in SEARCHED:
        op.execute(
            f"CREATE INDEX ix_{table}_{column}_lower ON {table} (lower({column}){pattern_ops})"
        )


def downgrade():
    for table, column in SEARCHED:
        op.execute(f"DROP INDEX ix_{table}_{column}_lower")

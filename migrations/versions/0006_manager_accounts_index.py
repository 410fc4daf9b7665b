"""A manager's account ids from the index alone: (account_manager_id, id) replaces (account_manager_id).

Revision ID: 0006_manager_accounts_index
Revises: 0005_search_indexes

Row scoping reads a manager's account ids before every scoped query (models/scoping.py); with the
id in the index, PostgreSQL answers from the index instead of visiting each account's row.
"""

from alembic import op

revision = "0006_manager_accounts_index"
down_revision = "0005_search_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_accounts_manager_accounts", "accounts", ["account_manager_id", "id"])
    op.drop_index("ix_accounts_account_manager_id", table_name="accounts")


def downgrade():
    op.create_index("ix_accounts_account_manager_id", "accounts", ["account_manager_id"])
    op.drop_index("ix_accounts_manager_accounts", table_name="accounts")

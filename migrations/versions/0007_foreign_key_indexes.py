"""Indexes on the four foreign keys that had none.

Revision ID: 0007_foreign_key_indexes
Revises: 0006_manager_accounts_index

Deleting a user sets these columns to NULL, which without an index means reading the whole
table (the audit log grows without end); list filters on them read the index too.
"""

from alembic import op

revision = "0007_foreign_key_indexes"
down_revision = "0006_manager_accounts_index"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("audit_events", "impersonator_id"),
    ("credit_requests", "decided_by_id"),
    ("automatic_follow_ups", "action_id"),
    ("follow_up_actions", "completed_by_id"),
)


def upgrade():
    for table, column in FOREIGN_KEYS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade():
    for table, column in FOREIGN_KEYS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)

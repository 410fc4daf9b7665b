"""Outbox e-mails may carry files: a statement of account's PDF, built by a worker.

Revision ID: 0013_outbox_attachments
Revises: 0012_job_impersonator

A table of its own (not a column of `outbox_messages`), so that the outbox list and its queries
never read the files' bytes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox_attachments"
down_revision = "0012_job_impersonator"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_attachments_message_id", "outbox_attachments", ["message_id"])


def downgrade():
    op.drop_table("outbox_attachments")

"""Jobs remember the super admin who started them while viewing as their user.

Revision ID: 0012_job_impersonator
Revises: 0011_list_views

A job runs outside the request that started it, where "view as" is no longer known; the audit
entries it writes must still name both people, so the job keeps the impersonator. Empty for
every job started so far (none was started while viewing as someone, as far as we can tell).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_job_impersonator"
down_revision = "0011_list_views"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("impersonator_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_jobs_impersonator", "users", ["impersonator_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_jobs_impersonator_id", ["impersonator_id"])


def downgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_impersonator_id")
        batch.drop_constraint("fk_jobs_impersonator", type_="foreignkey")
        batch.drop_column("impersonator_id")

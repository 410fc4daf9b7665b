"""Dashboard layouts per role (Settings → Configure dashboards).

Revision ID: 0010_dashboards
Revises: 0009_conditional_rules

One row per panel role holding its widgets in order with their parameters, as JSON (JSONB on
PostgreSQL). No row: the role's shipped default layout.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_dashboards"
down_revision = "0009_conditional_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("widgets", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("role"),
    )
    op.create_index("ix_dashboard_layouts_updated_by_id", "dashboard_layouts", ["updated_by_id"])


def downgrade():
    op.drop_index("ix_dashboard_layouts_updated_by_id", table_name="dashboard_layouts")
    op.drop_table("dashboard_layouts")

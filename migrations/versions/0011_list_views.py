"""List views per role and per person (Settings → Configure lists, the list's column chooser).

Revision ID: 0011_list_views
Revises: 0010_dashboards

One table: a role's list settings (role, empty name), views shared with a role (role, name) and a
person's own views (owner, name); columns and filters as JSON (JSONB on PostgreSQL).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011_list_views"
down_revision = "0010_dashboards"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "list_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("sort_column", sa.String(length=80), nullable=True),
        sa.Column("sort_desc", sa.Boolean(), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("page_size", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity", "role", "name", name="uq_list_views_role_name"),
        sa.UniqueConstraint("entity", "owner_id", "name", name="uq_list_views_owner_name"),
    )
    op.create_index("ix_list_views_owner_id", "list_views", ["owner_id"])
    op.create_index("ix_list_views_updated_by_id", "list_views", ["updated_by_id"])


def downgrade():
    op.drop_index("ix_list_views_updated_by_id", table_name="list_views")
    op.drop_index("ix_list_views_owner_id", table_name="list_views")
    op.drop_table("list_views")

"""Conditional form field rules: a rule may apply only when another field holds a value.

Revision ID: 0009_conditional_rules
Revises: 0008_jobs

Two columns on `form_field_rules`, empty for the rules that always apply (every rule stored so
far), and the unique constraint widened to them: a field may now have one unconditional rule
and one rule per condition, for each role.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_conditional_rules"
down_revision = "0008_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("form_field_rules") as batch:
        batch.add_column(
            sa.Column("condition_field", sa.String(60), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("condition_value", sa.String(255), nullable=False, server_default="")
        )
        batch.drop_constraint("one_rule_per_field_and_role", type_="unique")
        batch.create_unique_constraint(
            "one_rule_per_field_role_and_condition",
            ["entity", "field", "role", "condition_field", "condition_value"],
        )


def downgrade():
    op.execute("DELETE FROM form_field_rules WHERE condition_field <> ''")
    with op.batch_alter_table("form_field_rules") as batch:
        batch.drop_constraint("one_rule_per_field_role_and_condition", type_="unique")
        batch.create_unique_constraint(
            "one_rule_per_field_and_role", ["entity", "field", "role"]
        )
        batch.drop_column("condition_value")
        batch.drop_column("condition_field")

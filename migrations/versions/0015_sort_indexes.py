"""Date indexes end in the id: a list sorted by date reads one page from the index.

Revision ID: 0015_sort_indexes
Revises: 0014_ledger_stamp

Lists break ties by id, so that no row shows on two pages. With the date alone in the index,
PostgreSQL read every invoice of the first due date (hundreds) and sorted them for each page;
with (date, id) it reads the page and stops. Each index keeps its name.
"""

from alembic import op

revision = "0015_sort_indexes"
down_revision = "0014_ledger_stamp"
branch_labels = None
depends_on = None

DATE_COLUMNS = (
    ("invoices", "issue_date"),
    ("invoices", "due_date"),
    ("payments", "payment_date"),
    ("credit_notes", "issue_date"),
    ("follow_up_actions", "due_date"),
    ("course_dates", "start_date"),
    ("awards", "achieved_on"),
    ("awards", "expires_on"),
)


def upgrade():
    for table, column in DATE_COLUMNS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column, "id"])


def downgrade():
    for table, column in DATE_COLUMNS:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])

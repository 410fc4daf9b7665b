"""The ledger stamp: a `config_stamps` row the database itself bumps on any change the aging shows.

Revision ID: 0014_ledger_stamp
Revises: 0013_outbox_attachments

Triggers, not ORM events: the import's fast insert path, raw SQL and later migrations write
without the ORM, and each of them must move the stamp that the cached aging figures are keyed
by (`reports/aging_cache.py`). Watched: invoices, payments and credit notes (any change);
accounts' code, name, type, group and manager; account groups (a group filter takes sub-groups);
manager access grants (a manager's rows); users' e-mail (the manager's label) and deleted users.

PostgreSQL: one statement-level trigger per table and event, BEFORE the statement so that the
stamp row is locked ahead of the rows the statement locks; TRUNCATE too. The function bumps the
stamp once a transaction (a transaction-local setting remembers it). SQLite has only row-level
triggers: one small UPDATE per changed row.

The trigger bodies are written out here, frozen with this revision; `flask report verify`
checks that every trigger named in `reports.ledger_stamp` exists.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_ledger_stamp"
down_revision = "0013_outbox_attachments"
branch_labels = None
depends_on = None

BUMP = "UPDATE config_stamps SET version = version + 1 WHERE name = 'ledger'"
# A driver's executemany is one statement per row (psycopg's pipeline): bumped once, the stamp
# row is locked and new to every later reader all the same, without a million row versions.
ONCE_A_TRANSACTION = f"""
CREATE FUNCTION bump_ledger_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('accounts_desk.ledger_stamp_bumped', true) IS DISTINCT FROM 'on' THEN
        {BUMP};
        PERFORM set_config('accounts_desk.ledger_stamp_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$
"""
# table -> the events that change what the aging shows
WATCHED = {
    "invoices": ("INSERT", "UPDATE", "DELETE"),
    "payments": ("INSERT", "UPDATE", "DELETE"),
    "credit_notes": ("INSERT", "UPDATE", "DELETE"),
    "accounts": ("INSERT", "UPDATE OF code, name, type, group_id, account_manager_id", "DELETE"),
    "account_groups": ("INSERT", "UPDATE", "DELETE"),
    "manager_access": ("INSERT", "UPDATE", "DELETE"),
    "users": ("UPDATE OF email", "DELETE"),
}


def _trigger_name(table: str, event: str) -> str:
    return f"ledger_stamp_{table}_{event.split()[0].lower()}"


def upgrade():
    bind = op.get_bind()
    stamps = sa.table("config_stamps", sa.column("name"), sa.column("version"))
    exists = bind.execute(sa.text("SELECT 1 FROM config_stamps WHERE name = 'ledger'")).first()
    if exists is None:
        op.bulk_insert(stamps, [{"name": "ledger", "version": 1}])
    else:  # upgraded again after a downgrade: the ledger may have changed unwatched meanwhile
        op.execute(BUMP)
    if bind.dialect.name == "postgresql":
        op.execute(ONCE_A_TRANSACTION)
        for table, events in WATCHED.items():
            for event in (*events, *(("TRUNCATE",) if "DELETE" in events else ())):
                op.execute(
                    f"CREATE TRIGGER {_trigger_name(table, event)} BEFORE {event} ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION bump_ledger_stamp()"
                )
        return
    for table, events in WATCHED.items():
        for event in events:
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {BUMP}; END"
            )


def downgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for table, events in WATCHED.items():
        names = {_trigger_name(table, event) for event in events}
        if postgresql and "DELETE" in events:
            names.add(_trigger_name(table, "TRUNCATE"))
        for name in sorted(names):
            op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION bump_ledger_stamp()")
    # The row stays: a stamp only ever grows, or figures cached before could look current again.

"""The ledger stamp: a `config_stamps` row the database itself bumps on any change the aging shows.

Revision ID: 0014_ledger_stamp
Revises: 0013_outbox_attachments

Triggers, not ORM events: the import's fast insert path, raw SQL and later migrations write
without the ORM, and each of them must move the stamp that the cached aging figures are keyed
by (`reports/aging_cache.py`). Watched: invoices, payments and credit notes (any change);
accounts' code, name, type, group and manager; account groups (a group filter takes sub-groups);
manager access grants (a manager's rows); users' e-mail (the manager's label) and deleted users.

PostgreSQL: one statement-level trigger per table and event, TRUNCATE too, asks for the bump
once a transaction (a transaction-local setting remembers it), and the bump itself happens at
COMMIT: the request is a row `ledger:<transaction id>` inserted into `config_stamps`, whose
deferred constraint trigger bumps the stamp and deletes the request as the transaction commits.
So the stamp row is locked only while a transaction commits, not from its first ledger write: a
long import does not hold up every other invoice save until it ends. The request row is never
seen outside its transaction. A driver's executemany is one statement per row (psycopg's
pipeline), hence the once-a-transaction test. SQLite has only row-level triggers: one small
UPDATE per changed row (SQLite has one writer at a time anyway).

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
REQUEST_AT_COMMIT = """
CREATE FUNCTION request_ledger_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('accounts_desk.ledger_stamp_requested', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO config_stamps (name, version) VALUES ('ledger:' || txid_current(), 0);
        PERFORM set_config('accounts_desk.ledger_stamp_requested', 'on', true);
    END IF;
    RETURN NULL;
END $$
"""
BUMP_AT_COMMIT = f"""
CREATE FUNCTION bump_ledger_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {BUMP};
    DELETE FROM config_stamps WHERE name = NEW.name;
    RETURN NULL;
END $$
"""
AT_COMMIT_TRIGGER = "ledger_stamp_at_commit"
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
        op.execute(REQUEST_AT_COMMIT)
        op.execute(BUMP_AT_COMMIT)
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {AT_COMMIT_TRIGGER} AFTER INSERT ON config_stamps "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.name LIKE 'ledger:%') "
            "EXECUTE FUNCTION bump_ledger_stamp()"
        )
        for table, events in WATCHED.items():
            for event in (*events, *(("TRUNCATE",) if "DELETE" in events else ())):
                op.execute(
                    f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION request_ledger_stamp()"
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
        op.execute(f"DROP TRIGGER {AT_COMMIT_TRIGGER} ON config_stamps")
        op.execute("DROP FUNCTION bump_ledger_stamp()")
        op.execute("DROP FUNCTION request_ledger_stamp()")
    # The row stays: a stamp only ever grows, or figures cached before could look current again.

"""When the database fails under a save, a delete, a bulk action or an import, the user reads a
plain message with a reference, never the error's text (SQL, parameters, the driver's name);
the log holds the full error under the same reference."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, Note
from tests.conftest import Panel, make_user
from tests.factories import add_account

REFERENCE = re.compile(r"logged with reference ([0-9A-F]{8})")
LEAKS = ("SQL", "sqlite", "psycopg", "INSERT", "UPDATE", "DELETE", "parameters", "disk_on_fire")


def _statements(dialect: str, table: str) -> tuple[list[str], list[str]]:
    """Make every write to `table` fail with an error that is not a constraint's."""
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION disk_on_fire() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk on fire' USING ERRCODE = 'XX000'; END $$",
            f"CREATE TRIGGER disk_on_fire BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION disk_on_fire()",
        ], [f"DROP TRIGGER disk_on_fire ON {table}", "DROP FUNCTION disk_on_fire()"]
    events = ("INSERT", "UPDATE", "DELETE")
    return [
        f"CREATE TRIGGER disk_on_fire_{event} BEFORE {event} ON {table} "
        "BEGIN SELECT 1 FROM disk_on_fire; END"
        for event in events
    ], [f"DROP TRIGGER disk_on_fire_{event}" for event in events]


@pytest.fixture
def failing_writes() -> Iterator:
    """`failing_writes("notes")`: from then on, the database refuses every write to that table."""
    undo: list[str] = []

    def fail(table: str) -> None:
        create, drop = _statements(db.engine.dialect.name, table)
        with db.engine.begin() as connection:
            for statement in create:
                connection.execute(sa.text(statement))
        undo.extend(drop)

    yield fail
    db.session.rollback()  # the test's reads hold the table: dropping a trigger waits for them
    with db.engine.begin() as connection:
        for statement in undo:
            connection.execute(sa.text(statement))


def shown_reference(page: str, caplog: pytest.LogCaptureFixture) -> str:
    """The reference the page shows, after checking it leaks nothing and the log has the error."""
    match = REFERENCE.search(page)
    assert match, page
    for leak in LEAKS:
        assert leak not in page
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "disk_on_fire" in logging.Formatter().formatException(logged[0].exc_info)
    return match.group(1)


@pytest.fixture
def acme_note(login_as) -> Note:
    admin = login_as("admin")
    note = Note(account=add_account(), author=admin, body="Promised to pay")
    db.session.add(note)
    db.session.commit()
    return note


def test_a_database_error_while_creating_shows_a_reference_not_sql(
    acme_note, failing_writes, panel: Panel, caplog
) -> None:
    failing_writes("notes")

    response = panel.post(
        "/admin/note/new/",
        {"account": str(acme_note.account_id), "body": "Second call"},
        follow_redirects=True,
    )

    shown_reference(response.get_data(as_text=True), caplog)
    assert db.session.scalars(sa.select(Note.body)).all() == ["Promised to pay"]


def test_a_database_error_while_editing_shows_a_reference_not_sql(
    acme_note, failing_writes, panel: Panel, caplog
) -> None:
    failing_writes("notes")

    response = panel.post(
        f"/admin/note/edit/?id={acme_note.id}",
        {
            "account": str(acme_note.account_id),
            "body": "Changed",
            "loaded_version": str(acme_note.version_id),
        },
        follow_redirects=True,
    )

    shown_reference(response.get_data(as_text=True), caplog)
    assert db.session.scalars(sa.select(Note.body)).all() == ["Promised to pay"]


@pytest.mark.parametrize(
    "url, data",
    [
        ("/admin/note/delete/", lambda note: {"id": str(note.id)}),
        ("/admin/note/action/", lambda note: {"action": "delete", "rowid": [str(note.id)]}),
    ],
    ids=["delete", "bulk delete"],
)
def test_a_database_error_while_deleting_shows_a_reference_not_sql(
    url, data, acme_note, failing_writes, panel: Panel, caplog
) -> None:
    failing_writes("notes")

    response = panel.post(url, data(acme_note), follow_redirects=True)

    shown_reference(response.get_data(as_text=True), caplog)
    assert "successfully deleted" not in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Note.body)).all() == ["Promised to pay"]


def test_a_database_error_while_assigning_a_manager_in_bulk_shows_a_reference_not_sql(
    login_as, failing_writes, panel: Panel, caplog
) -> None:
    login_as("admin")
    priya = make_user("manager", "priya@example.test")
    acme = add_account()
    failing_writes("accounts")

    response = panel.post(
        "/admin/account/assign-manager/",
        {"account_id": [str(acme.id)], "manager_id": str(priya.id)},
        follow_redirects=True,
    )

    shown_reference(response.get_data(as_text=True), caplog)
    assert db.session.scalar(sa.select(Account.account_manager_id)) is None


def test_a_database_error_during_an_import_shows_a_reference_not_sql(
    login_as, failing_writes, panel: Panel, caplog
) -> None:
    login_as("admin")
    failing_writes("accounts")
    upload = b"code,name,type,status\nNEW1,New Co,customer,enabled\n"

    preview = panel.post(
        "/admin/import/preview",
        {"kind": "accounts", "file": (io.BytesIO(upload), "accounts.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    confirm = re.search(r"/admin/jobs/\d+/confirm", preview.get_data(as_text=True))
    assert confirm, preview.get_data(as_text=True)

    confirmed = panel.post(confirm.group(0), {}, follow_redirects=True)

    shown_reference(confirmed.get_data(as_text=True), caplog)
    assert db.session.scalar(sa.select(Account).where(Account.code == "NEW1")) is None

"""Bulk actions on the lists, through the real POST to /admin/<entity>/action/, on both databases.

Flask-Admin posts the ticked ids as text; PostgreSQL refuses to compare text with an integer
key, so every action must receive them as the key's type.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import AuditEvent, ManagerAccess, Note
from tests import test_crud
from tests.conftest import Panel
from tests.factories import add_account
from tests.test_crud import EDITS, create_payloads

ledger = test_crud.ledger
"""The records every create form refers to (an account, its invoice, a manager)."""

TESTED_BULK_ACTIONS = {"delete", "assign_account_manager", "email_statements"}
"""Every bulk action the panel offers: `delete` is tested here, `assign_account_manager` in
test_import_bulk_assign_manager.py, `email_statements` in test_jobs_statement_emails.py. A new
action fails the first test until it has its own."""


def test_every_bulk_action_the_panel_offers_has_a_test(app: Flask) -> None:
    offered = {
        name
        for view in app.extensions["admin"][0]._views
        for name, _text in getattr(view, "_actions", ())
    }
    assert offered == TESTED_BULK_ACTIONS


@pytest.mark.parametrize("model", [*EDITS, ManagerAccess], ids=lambda model: model.__name__)
def test_bulk_delete_removes_the_ticked_record_of_every_entity(
    model: type, ledger, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    endpoint = model.__name__.lower()
    created = panel.post(f"/admin/{endpoint}/new/", create_payloads(*ledger)[model])
    assert created.status_code == 302, created.get_data(as_text=True)
    record_id = db.session.scalar(sa.select(sa.func.max(model.id)))

    response = panel.post(
        f"/admin/{endpoint}/action/",
        {"action": "delete", "rowid": [str(record_id)]},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Record was successfully deleted." in page
    assert db.session.get(model, record_id) is None
    deleted = sa.select(AuditEvent).where(
        AuditEvent.entity == model.__name__,
        AuditEvent.action == "delete",
        AuditEvent.entity_id == str(record_id),
    )
    assert db.session.scalar(deleted) is not None


def test_bulk_delete_deletes_the_ticked_notes_and_ignores_ids_that_match_nothing(
    login_as, panel: Panel
) -> None:
    admin = login_as("admin")
    acme = add_account()
    notes = [Note(account=acme, author=admin, body=f"Call {n}") for n in range(3)]
    db.session.add_all(notes)
    db.session.commit()
    ticked = [str(notes[0].id), str(notes[2].id), "abc", "999999", "-1", "1e3"]

    response = panel.post(
        "/admin/note/action/", {"action": "delete", "rowid": ticked}, follow_redirects=True
    )

    assert "2 records were successfully deleted." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Note.body)).all() == ["Call 1"]

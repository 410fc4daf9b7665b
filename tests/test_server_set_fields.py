"""Who did what, and when, is recorded by the server: a form never offers those fields, and
values posted for them anyway are ignored."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_views import panel_models
from extensions import db
from models import FollowUpAction, Note, User
from models.base import utcnow
from models.notifications import CreditRequest
from tests.conftest import Panel, make_user
from tests.factories import add_account

FORGED_TIME = "2001-01-01 00:00:00"


def another_browser(app: Flask, role: str, email: str) -> tuple[User, Panel]:
    """A second user, signed in on their own browser."""
    user = make_user(role, email)
    browser = Panel(app.test_client())
    assert browser.login(email).status_code == 302
    return user, browser


def models_with_server_set_fields(app: Flask) -> list[type]:
    with app.app_context():
        return [model for model in panel_models() if model.panel_server_set_columns]


def test_the_models_declare_who_and_when_as_server_set(app: Flask) -> None:
    declared = {
        model.__name__: set(model.panel_server_set_columns)
        for model in models_with_server_set_fields(app)
    }
    assert declared == {
        "Note": {"author"},
        "FollowUpAction": {"completed_by", "completed_at"},
        "CreditRequest": {"requested_by", "old_limit", "decided_by", "decided_at"},
        "Booking": {"booked_by"},
    }


@pytest.mark.parametrize("role", ["super_admin", "manager"])
def test_no_create_form_offers_a_server_set_field(app: Flask, role: str, login_as, panel) -> None:
    login_as(role)
    for model in models_with_server_set_fields(app):
        page = panel.get(f"/admin/{model.__name__.lower()}/new/")
        if page.status_code == 403:
            continue
        html = page.get_data(as_text=True)
        assert page.status_code == 200, model
        for name in model.panel_server_set_columns:
            assert not re.search(f'<(input|select|textarea)[^>]* name="{name}"', html), name
        assert re.search('<(input|select|textarea)[^>]* name="account"', html), model


def test_a_note_is_signed_by_its_writer_whatever_the_form_says(app, login_as, panel) -> None:
    someone_else = make_user("admin", "someone@example.test")
    acme = add_account()
    writer = login_as("admin", "writer@example.test")

    panel.post(
        "/admin/note/new/",
        {"account": str(acme.id), "body": "Called", "author": str(someone_else.id)},
    )

    note = db.session.scalars(sa.select(Note)).one()
    assert note.author_id == writer.id

    _editor, editor_browser = another_browser(app, "admin", "editor@example.test")
    editor_browser.post(
        f"/admin/note/edit/?id={note.id}",
        {
            "account": str(acme.id),
            "body": "Called twice",
            "author": str(someone_else.id),
            "loaded_version": str(note.version_id),
        },
    )
    db.session.expire_all()
    assert (note.body, note.author_id) == ("Called twice", writer.id)


def test_completion_is_recorded_by_the_server_and_forgotten_on_reopening(
    app, login_as, panel: Panel
) -> None:
    someone_else = make_user("admin", "someone@example.test")
    acme = add_account()
    doer = login_as("admin", "doer@example.test")
    form = {"account": str(acme.id), "kind": "call", "due_date": "2026-02-20"}
    forged = {"completed_by": str(someone_else.id), "completed_at": FORGED_TIME}
    before = utcnow() - dt.timedelta(seconds=1)

    panel.post("/admin/followupaction/new/", {**form, **forged, "status": "done"})

    action = db.session.scalars(sa.select(FollowUpAction)).one()
    assert action.completed_by_id == doer.id
    assert before <= action.completed_at <= utcnow()

    def edit(status: str, browser: Panel = panel) -> None:
        values = {**form, **forged, "status": status, "loaded_version": str(action.version_id)}
        response = browser.post(f"/admin/followupaction/edit/?id={action.id}", values)
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.expire_all()

    edit("open")
    assert (action.status, action.completed_by_id, action.completed_at) == ("open", None, None)

    second, second_browser = another_browser(app, "admin", "second@example.test")
    edit("done", second_browser)
    assert (action.status, action.completed_by_id) == ("done", second.id)
    assert action.completed_at >= before


def test_a_credit_request_decision_cannot_be_posted_with_the_request(
    login_as, panel: Panel
) -> None:
    approver = make_user("super_admin", "approver@example.test")
    acme = add_account()
    requester = login_as("admin")

    panel.post(
        "/admin/creditrequest/new/",
        {
            "account": str(acme.id),
            "amount": "5000.00",
            "reason": "Bigger orders",
            "requested_by": str(approver.id),
            "decided_by": str(approver.id),
            "decided_at": FORGED_TIME,
            "status": "accepted",
        },
    )

    request = db.session.scalars(sa.select(CreditRequest)).one()
    assert (request.amount, request.status) == (Decimal("5000.00"), "pending")
    assert (request.requested_by_id, request.decided_by_id, request.decided_at) == (
        requester.id,
        None,
        None,
    )

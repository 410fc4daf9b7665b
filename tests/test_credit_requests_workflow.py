"""Credit requests: a manager asks for an account they manage, an approver accepts (the limit is
set) or rejects with a reason, the requester hears either way, and nothing is decided twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import Account, AuditEvent, CreditRequest, User
from notifications import switches
from notifications.credit_requests import CreditRequestRefused, decide, may_decide
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.notification_helpers import mail_server_for, run_notify_command, set_settings
from tests.smtp_server import LoopbackSmtpServer

SYSTEM_ACTOR = {"ip": "127.0.0.1"}


@pytest.fixture
def mail_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    with mail_server_for(app, monkeypatch) as server:
        yield server


@dataclass
class World:
    manager: User
    approver: User
    mine: Account
    theirs: Account


@pytest.fixture
def world() -> World:
    manager = make_user("manager", "kim@example.test")
    approver = make_user("admin", "ada@example.test")
    mine = add_account("MINE", account_manager=manager, credit_limit=Decimal("1000.00"))
    return World(manager, approver, mine, add_account("THEIRS"))


def log_in(panel: Panel, user: User) -> None:
    """Log out whoever is logged in, then log in as `user`."""
    if panel.get("/admin/").status_code == 200:
        panel.post("/logout", {})
    response = panel.login(user.email)
    assert response.status_code == 302, response.get_data(as_text=True)


def ask(panel: Panel, account: Account, amount: str, reason: str = "Growing orders") -> int:
    return panel.post(
        "/admin/creditrequest/new/",
        {"account": str(account.id), "amount": amount, "reason": reason},
    ).status_code


def only_request() -> CreditRequest:
    db.session.expire_all()
    return db.session.scalars(sa.select(CreditRequest)).one()


def decide_in_panel(panel: Panel, request_id: int, decision: str, reason: str = "") -> str:
    response = panel.post(
        f"/admin/creditrequest/decide/{request_id}/", {"decision": decision, "reason": reason}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return panel.get(response.headers["Location"]).get_data(as_text=True)


def test_manager_requests_a_limit_for_an_account_they_manage(world: World, panel: Panel) -> None:
    log_in(panel, world.manager)

    assert ask(panel, world.mine, "5000.00") == 302

    request = only_request()
    assert (request.status, request.amount, request.requested_by_id) == (
        "pending",
        Decimal("5000.00"),
        world.manager.id,
    )
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("1000.00")
    assert db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.entity == "CreditRequest")
    ).action == ("create")


def test_manager_cannot_request_for_an_account_they_do_not_manage(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)

    ask(panel, world.theirs, "5000.00")

    assert db.session.scalars(sa.select(CreditRequest)).all() == []


def test_a_posted_requester_or_status_is_ignored(world: World, panel: Panel) -> None:
    log_in(panel, world.manager)
    panel.post(
        "/admin/creditrequest/new/",
        {
            "account": str(world.mine.id),
            "amount": "5000.00",
            "reason": "Please",
            "status": "accepted",
            "requested_by": str(world.approver.id),
        },
    )
    request = only_request()
    assert (request.status, request.requested_by_id) == ("pending", world.manager.id)


def test_manager_cannot_approve(world: World, panel: Panel) -> None:
    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00")
    request = only_request()

    response = panel.post(f"/admin/creditrequest/decide/{request.id}/", {"decision": "accepted"})

    assert response.status_code == 403
    assert only_request().status == "pending"
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("1000.00")
    assert "credit-decision" not in panel.get(
        f"/admin/creditrequest/details/?id={request.id}"
    ).get_data(as_text=True)


def test_approver_accepts_and_the_limit_is_set_and_the_requester_told(
    app: Flask, world: World, panel: Panel, mail_server: LoopbackSmtpServer
) -> None:
    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00")
    request_id = only_request().id
    log_in(panel, world.approver)
    assert "credit-decision" in panel.get(
        f"/admin/creditrequest/details/?id={request_id}"
    ).get_data(as_text=True)

    page = decide_in_panel(panel, request_id, "accepted")

    assert "The request is accepted." in page
    request = only_request()
    assert (request.status, request.decided_by_id, request.old_limit) == (
        "accepted",
        world.approver.id,
        Decimal("1000.00"),
    )
    assert request.decided_at is not None
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("5000.00")
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_email == world.approver.email)
    ).all()
    assert sorted(actions) == ["credit_request_accepted", "update"]
    run_notify_command(app)
    asked, told = mail_server.inbox.received
    assert asked.envelope_to == ["ada@example.test"]
    assert asked.subject == "Credit request for MINE: 5,000.00"
    assert "kim@example.test asks for a credit limit of 5,000.00" in asked.part("text/plain")
    assert told.envelope_to == ["kim@example.test"]
    assert told.subject == "Credit request for MINE accepted"
    assert "The limit is now 5,000.00" in told.part("text/plain")


def test_a_rejection_needs_a_reason_and_the_reason_is_sent(
    app: Flask, world: World, panel: Panel, mail_server: LoopbackSmtpServer
) -> None:
    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00")
    request_id = only_request().id
    log_in(panel, world.approver)

    page = decide_in_panel(panel, request_id, "rejected", "   ")
    assert "Say why the request is rejected." in page
    assert only_request().status == "pending"

    decide_in_panel(panel, request_id, "rejected", "Two invoices 90 days late <b>unpaid</b>")

    request = only_request()
    assert (request.status, request.decision_reason) == (
        "rejected",
        "Two invoices 90 days late <b>unpaid</b>",
    )
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("1000.00")
    run_notify_command(app)
    told = mail_server.inbox.received[-1]
    assert told.subject == "Credit request for MINE rejected"
    assert "Reason: Two invoices 90 days late <b>unpaid</b>" in told.part("text/plain")


def test_a_request_is_decided_only_once(world: World, panel: Panel) -> None:
    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00")
    request_id = only_request().id
    log_in(panel, world.approver)
    decide_in_panel(panel, request_id, "accepted")

    page = decide_in_panel(panel, request_id, "rejected", "Changed my mind")

    assert "This request was already accepted." in page
    assert only_request().status == "accepted"
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("5000.00")


def test_every_request_and_decision_stays_in_the_accounts_history(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00", "First ask")
    ask(panel, world.mine, "3000.00", "Second ask")
    first, second = db.session.scalars(sa.select(CreditRequest).order_by(CreditRequest.id))
    log_in(panel, world.approver)
    decide_in_panel(panel, first.id, "rejected", "Too much")
    decide_in_panel(panel, second.id, "accepted")

    response = panel.post("/admin/creditrequest/delete/", {"id": str(first.id)})
    assert response.status_code == 403
    assert panel.get(f"/admin/creditrequest/edit/?id={first.id}").status_code == 403
    history = panel.get("/admin/creditrequest/").get_data(as_text=True)
    for shown in ("5,000.00", "3,000.00", "Rejected", "Accepted", "MINE"):
        assert shown in history


def test_the_requester_cannot_decide_their_own_request(world: World, panel: Panel) -> None:
    other_admin = make_user("super_admin", "sam@example.test")
    log_in(panel, world.approver)
    ask(panel, world.mine, "5000.00")
    request_id = only_request().id

    page = decide_in_panel(panel, request_id, "accepted")

    assert "Another approver must decide a request you made." in page
    assert only_request().status == "pending"
    log_in(panel, other_admin)
    decide_in_panel(panel, request_id, "accepted")
    assert only_request().status == "accepted"


def test_a_configured_approver_list_replaces_the_admins(world: World, panel: Panel) -> None:
    chosen = make_user("super_admin", "sam@example.test")
    set_settings({switches.CREDIT_REQUEST_APPROVERS: "sam@example.test"})
    assert may_decide(db.session, chosen)
    assert not may_decide(db.session, world.approver)
    assert not may_decide(db.session, world.manager)

    log_in(panel, world.manager)
    ask(panel, world.mine, "5000.00")
    log_in(panel, world.approver)
    response = panel.post(
        f"/admin/creditrequest/decide/{only_request().id}/", {"decision": "accepted"}
    )
    assert response.status_code == 403


def test_a_manager_listed_as_approver_still_cannot_approve(world: World) -> None:
    set_settings({switches.CREDIT_REQUEST_APPROVERS: "kim@example.test ada@example.test"})
    request = CreditRequest(
        account=world.mine, amount=Decimal("1.00"), reason="x", requested_by=world.approver
    )
    db.session.add(request)
    db.session.commit()

    with pytest.raises(CreditRequestRefused, match="Only approvers"):
        decide(db.session, request, "accepted", world.manager, None, SYSTEM_ACTOR)
    assert request.status == "pending"


def test_state_machine_refuses_unknown_decisions(world: World) -> None:
    request = CreditRequest(
        account=world.mine, amount=Decimal("1.00"), reason="x", requested_by=world.manager
    )
    db.session.add(request)
    db.session.commit()

    with pytest.raises(CreditRequestRefused, match="Choose accept or reject"):
        decide(db.session, request, "pending", world.approver, None, SYSTEM_ACTOR)
    decide(db.session, request, "rejected", world.approver, "No", SYSTEM_ACTOR)
    db.session.commit()
    with pytest.raises(CreditRequestRefused, match="already rejected"):
        decide(db.session, request, "accepted", world.approver, None, SYSTEM_ACTOR)


def test_the_database_refuses_a_rejection_without_a_reason(world: World) -> None:
    request = CreditRequest(
        account=world.mine,
        amount=Decimal("1.00"),
        reason="x",
        requested_by=world.manager,
        status="rejected",
    )
    db.session.add(request)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()

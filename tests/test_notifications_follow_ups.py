"""Follow-up actions: a manager's "My actions" list, marking one done (who and when), and the
actions overdue invoices create by themselves when the rule is set."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import AuditEvent, FollowUpAction
from notifications import runner, switches
from notifications.follow_ups import open_actions_for
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice, add_payment
from tests.notification_helpers import run_notify_command, set_settings


def add_action(account, assignee, due: dt.date, description: str, **fields) -> FollowUpAction:
    action = FollowUpAction(
        account=account, assignee=assignee, due_date=due, description=description, **fields
    )
    db.session.add(action)
    db.session.commit()
    return action


def test_my_actions_lists_my_open_actions_earliest_first(
    login_as, panel: Panel, today: dt.date
) -> None:
    manager = login_as("manager")
    colleague = make_user("manager", "other@example.test")
    mine = add_account("MINE", account_manager=manager)
    add_action(mine, manager, today + dt.timedelta(days=3), "Send the letter")
    add_action(mine, manager, today - dt.timedelta(days=1), "Call <Bob>")
    add_action(mine, manager, today, "Already done", status="done")
    add_action(mine, colleague, today, "Colleague's call")

    html = panel.get("/admin/my-actions/").get_data(as_text=True)

    assert html.index("Call &lt;Bob&gt;") < html.index("Send the letter")
    assert "Already done" not in html and "Colleague&#39;s call" not in html
    assert [a.description for a in open_actions_for(db.session, manager)] == [
        "Call <Bob>",
        "Send the letter",
    ]


def test_marking_an_action_done_records_who_and_when(
    login_as, panel: Panel, today: dt.date
) -> None:
    manager = login_as("manager")
    action = add_action(add_account("MINE", account_manager=manager), manager, today, "Call")

    response = panel.post(f"/admin/my-actions/{action.id}/done", {})

    assert response.status_code == 302
    db.session.expire_all()
    done = db.session.get(FollowUpAction, action.id)
    assert (done.status, done.completed_by_id) == ("done", manager.id)
    assert done.completed_at is not None
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "FollowUpAction"))
    assert audit.actor_email == manager.email
    assert audit.changes["status"] == {"before": "open", "after": "done"}
    assert "Nothing open." in panel.get("/admin/my-actions/").get_data(as_text=True)


def test_nobody_marks_another_persons_action_done(login_as, panel: Panel, today: dt.date) -> None:
    login_as("manager")
    colleague = make_user("manager", "other@example.test")
    theirs = add_action(add_account("THEIRS", account_manager=colleague), colleague, today, "x")

    assert panel.post(f"/admin/my-actions/{theirs.id}/done", {}).status_code == 404
    assert panel.post_without_csrf(f"/admin/my-actions/{theirs.id}/done", {}).status_code == 400
    db.session.expire_all()
    assert db.session.get(FollowUpAction, theirs.id).status == "open"


def test_an_action_on_an_account_no_longer_managed_is_not_listed(
    login_as, panel: Panel, today: dt.date
) -> None:
    manager = login_as("manager")
    other = add_account("GONE")
    add_action(other, manager, today, "Left over")

    assert "Left over" not in panel.get("/admin/my-actions/").get_data(as_text=True)


def test_overdue_invoices_create_one_follow_up_for_the_account_manager(
    app: Flask, today: dt.date
) -> None:
    assert_one_follow_up_for_the_late_invoice(app, today)


def test_a_run_past_midnight_counts_days_from_the_date_it_reads(
    app: Flask, today: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A suite run may cross midnight after this module was imported: the test's dates and the
    notify run's must still be of one day (here the next one, five seconds in)."""
    tomorrow = today + dt.timedelta(days=1)
    just_past_midnight = dt.datetime.combine(tomorrow, dt.time(0, 0, 5))
    monkeypatch.setattr(runner, "utcnow", lambda: just_past_midnight)
    assert_one_follow_up_for_the_late_invoice(app, tomorrow)


def assert_one_follow_up_for_the_late_invoice(app: Flask, today: dt.date) -> None:
    """Of a late, a recent and a paid invoice, two notify runs on `today` make one action."""
    set_settings({switches.FOLLOW_UP_DAYS_OVERDUE: "10"})
    manager = make_user("manager", "kim@example.test")
    account = add_account("ACME", account_manager=manager)
    late = add_invoice(
        account,
        "INV-LATE",
        "100.00",
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=12),
    )
    recent = today - dt.timedelta(days=5)
    add_invoice(account, "INV-RECENT", "100.00", issue_date=recent, due_date=recent)
    settled = add_invoice(
        account,
        "INV-PAID",
        "100.00",
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=12),
    )
    add_payment(account, "PAY-1", "100.00", invoice=settled)

    run_notify_command(app)
    run_notify_command(app)

    [action] = db.session.scalars(sa.select(FollowUpAction)).all()
    assert (action.invoice_id, action.assignee_id, action.status, action.due_date) == (
        late.id,
        manager.id,
        "open",
        today,
    )
    assert action.description == "Invoice INV-LATE is 12 days past due: chase payment."


def test_without_the_rule_no_follow_ups_are_created(app: Flask) -> None:
    account = add_account("ACME")
    add_invoice(account, "INV-1", "100.00", issue_date=dt.date(2024, 1, 1))

    run_notify_command(app)

    assert db.session.scalars(sa.select(FollowUpAction)).all() == []

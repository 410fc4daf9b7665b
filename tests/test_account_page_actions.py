"""Actions on the account page: add a note, create a follow-up action, issue a credit, change the
account manager; each permitted, scoped, audited and ruled by Configure Forms as on its own page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from extensions import db
from models import Account, AuditEvent, CreditNote, FollowUpAction, FormFieldRule, Note
from tests.conftest import make_user
from tests.factories import add_account, add_invoice


@pytest.fixture
def acme() -> Account:
    manager = make_user("manager", "mona@example.test")
    return add_account("ACME", account_manager=manager, credit_limit=1000)


def page(panel, account: Account, **args: str) -> str:
    query = "".join(f"&{key}={value}" for key, value in args.items())
    return panel.get(f"/admin/account/details/?id={account.id}{query}").get_data(as_text=True)


def post_form(panel, account: Account, key: str, **fields: str):
    return panel.post(
        f"/admin/account/details/add/{key}/?id={account.id}", {"account": str(account.id), **fields}
    )


def audit_of(entity: str, action: str = "create") -> list[AuditEvent]:
    return db.session.query(AuditEvent).filter_by(entity=entity, action=action).all()


def test_admin_adds_a_note_signed_and_audited(acme, login_as, panel) -> None:
    admin = login_as("admin")
    response = post_form(panel, acme, "note", body="Called, will pay <b>Friday</b>")
    assert response.status_code == 302 and "tab=notes" in response.location
    note = db.session.query(Note).one()
    assert (note.account, note.author, note.body) == (acme, admin, "Called, will pay <b>Friday</b>")
    (event,) = audit_of("Note")
    assert event.actor_email == admin.email and event.entity_id == str(note.id)
    html = page(panel, acme, tab="notes")
    assert "Called, will pay &lt;b&gt;Friday&lt;/b&gt;" in html  # escaped, never markup


def test_manager_adds_a_note_and_a_follow_up_action_on_their_account(acme, panel, today) -> None:
    panel.login("mona@example.test")
    html = page(panel, acme)
    assert 'data-testid="action-note"' in html and 'data-testid="action-follow_up"' in html
    assert post_form(panel, acme, "note", body="Left a voicemail").status_code == 302
    assert db.session.query(Note).one().author.email == "mona@example.test"
    assert "Left a voicemail" in page(panel, acme, tab="notes")
    posted = post_form(
        panel, acme, "follow_up", kind="call", status="open", due_date=today.isoformat()
    )
    assert posted.status_code == 302
    action = db.session.query(FollowUpAction).one()
    assert action.account == acme and action.assignee.email == "mona@example.test"
    assert action.status == "open" and action.due_date == today
    assert len(audit_of("FollowUpAction")) == 1


def test_manager_may_not_issue_credit_nor_change_the_account_manager(acme, panel, today) -> None:
    panel.login("mona@example.test")
    html = page(panel, acme)
    assert 'data-testid="action-credit"' not in html and 'data-testid="change-manager"' not in html
    credit = post_form(
        panel, acme, "credit", number="CN-X", amount="10.00", issue_date=today.isoformat()
    )
    assert credit.status_code == 403
    assert db.session.query(CreditNote).count() == 0
    changed = panel.post(
        f"/admin/account/details/account-manager/?id={acme.id}",
        {"manager_id": "", "loaded_version": str(acme.version_id)},
    )
    assert changed.status_code == 403
    db.session.refresh(acme)
    assert acme.account_manager.email == "mona@example.test"


def test_admin_issues_a_credit_applied_to_an_invoice(acme, login_as, panel, today) -> None:
    login_as("admin")
    invoice = add_invoice(acme, "INV-1", "250.00", issue_date=today - dt.timedelta(days=60))
    response = post_form(
        panel,
        acme,
        "credit",
        number="CN-9",
        amount="250.00",
        issue_date=today.isoformat(),
        reason="Goodwill",
        invoice=str(invoice.id),
    )
    assert response.status_code == 302 and "tab=credit_notes" in response.location
    credit = db.session.query(CreditNote).one()
    assert (credit.account, credit.invoice, str(credit.amount)) == (acme, invoice, "250.00")
    assert len(audit_of("CreditNote")) == 1
    html = page(panel, acme)
    # INV-1 250.00 was overdue; the 250.00 credit settles it
    assert re.search(r'data-figure="overdue">0.00<', html)
    assert re.search(r'data-figure="current">yes<', html)


def test_a_credit_cannot_be_applied_to_another_accounts_invoice(
    acme, login_as, panel, today
) -> None:
    login_as("admin")
    theirs = add_invoice(add_account("OTHER"), "INV-OTHER", "90.00")
    response = post_form(
        panel,
        acme,
        "credit",
        number="CN-1",
        amount="10.00",
        issue_date=today.isoformat(),
        invoice=str(theirs.id),
    )
    assert response.status_code == 302
    assert db.session.query(CreditNote).count() == 0
    assert "This invoice belongs to another account" in page(panel, acme)


def test_a_bad_credit_is_refused_with_the_fields_error(acme, login_as, panel, today) -> None:
    login_as("admin")
    post_form(panel, acme, "credit", number="CN-1", amount="", issue_date=today.isoformat())
    assert db.session.query(CreditNote).count() == 0
    assert "Amount:" in page(panel, acme)


def test_admin_changes_the_account_manager(acme, login_as, panel) -> None:
    login_as("admin")
    newcomer = make_user("manager", "nick@example.test")
    assert 'data-testid="change-manager"' in page(panel, acme)
    response = panel.post(
        f"/admin/account/details/account-manager/?id={acme.id}",
        {"manager_id": str(newcomer.id), "loaded_version": str(acme.version_id)},
    )
    assert response.status_code == 302
    db.session.refresh(acme)
    assert acme.account_manager == newcomer
    (event,) = audit_of("Account", "update")
    assert event.changes["account_manager"]["after"] == str(newcomer)


def test_a_stale_account_manager_change_is_refused(acme, login_as, panel) -> None:
    login_as("admin")
    newcomer = make_user("manager", "nick@example.test")
    stale_version = acme.version_id
    acme.name = "Acme renamed meanwhile"
    db.session.commit()
    panel.post(
        f"/admin/account/details/account-manager/?id={acme.id}",
        {"manager_id": str(newcomer.id), "loaded_version": str(stale_version)},
    )
    db.session.refresh(acme)
    assert acme.account_manager.email == "mona@example.test"
    assert "Someone else changed this record" in page(panel, acme)


def rule(entity: str, field: str, role: str, **switches: bool) -> None:
    db.session.add(FormFieldRule(entity=entity, field=field, role=role, **switches))
    db.session.commit()


def test_configure_forms_rules_apply_to_the_page_forms(acme, panel, today) -> None:
    rule("FollowUpAction", "description", "manager", hidden=True)
    panel.login("mona@example.test")
    html = page(panel, acme)
    follow_up = html[html.index('data-testid="action-follow_up"') :]
    assert 'name="description"' not in follow_up[: follow_up.index("</form>")]
    post_form(
        panel,
        acme,
        "follow_up",
        kind="call",
        status="open",
        due_date=today.isoformat(),
        description="forged",
    )
    action = db.session.query(FollowUpAction).one()
    assert action.description is None  # a hidden field posted anyway is never written
    assert audit_of("FollowUpAction", "forbidden_fields_dropped")


def test_a_field_required_for_the_role_is_required_on_the_page(acme, panel, today) -> None:
    rule("FollowUpAction", "description", "manager", required=True)
    panel.login("mona@example.test")
    post_form(panel, acme, "follow_up", kind="call", status="open", due_date=today.isoformat())
    assert db.session.query(FollowUpAction).count() == 0
    assert "This field is required." in page(panel, acme)


def test_a_read_only_account_manager_cannot_be_changed_from_the_page(acme, login_as, panel) -> None:
    rule("Account", "account_manager", "admin", readonly=True)
    login_as("admin")
    assert 'data-testid="change-manager"' not in page(panel, acme)
    response = panel.post(
        f"/admin/account/details/account-manager/?id={acme.id}",
        {"manager_id": "", "loaded_version": str(acme.version_id)},
    )
    assert response.status_code == 403
    db.session.refresh(acme)
    assert acme.account_manager.email == "mona@example.test"
    assert not audit_of("Account", "update")


def test_page_actions_need_a_csrf_token(acme, login_as, panel) -> None:
    login_as("admin")
    response = panel.post_without_csrf(
        f"/admin/account/details/add/note/?id={acme.id}", {"account": str(acme.id), "body": "x"}
    )
    assert response.status_code == 400
    assert db.session.query(Note).count() == 0

"""The accounts list's bulk action: tick accounts, pick a manager, all of them get that manager."""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from models import Account, AuditEvent, FormFieldRule
from tests.conftest import make_user
from tests.factories import add_account


def managers_of(*codes: str) -> dict[str, str | None]:
    db.session.expire_all()
    accounts = db.session.scalars(sa.select(Account).where(Account.code.in_(codes)))
    return {
        account.code: account.account_manager.email if account.account_manager else None
        for account in accounts
    }


def test_admin_assigns_an_account_manager_to_many_accounts_at_once(panel, login_as):
    login_as("admin")
    priya = make_user("manager", "priya@example.test")
    make_user("analyst", "ann@example.test")
    acme, birch = add_account("ACME"), add_account("BIRCH")
    add_account("COBALT")

    picker = panel.post(
        "/admin/account/action/",
        {"action": "assign_account_manager", "rowid": [str(acme.id), str(birch.id)]},
    )

    page = picker.get_data(as_text=True)
    assert picker.status_code == 200
    assert "ACME" in page and "BIRCH" in page and "COBALT" not in page
    assert "priya@example.test" in page and "ann@example.test" not in page  # managers only

    done = panel.post(
        "/admin/account/assign-manager/",
        {"account_id": [str(acme.id), str(birch.id)], "manager_id": str(priya.id)},
    )

    assert done.status_code == 302
    assert managers_of("ACME", "BIRCH", "COBALT") == {
        "ACME": "priya@example.test",
        "BIRCH": "priya@example.test",
        "COBALT": None,
    }
    audits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert {audit.entity_id for audit in audits} == {str(acme.id), str(birch.id)}
    assert "2 account(s) now have priya@example.test." in panel.get("/admin/account/").get_data(
        as_text=True
    )


def test_the_picker_can_clear_the_manager_and_refuses_someone_who_cannot_manage(panel, login_as):
    login_as("admin")
    priya = make_user("manager", "priya@example.test")
    analyst = make_user("analyst", "ann@example.test")
    acme = add_account("ACME", account_manager=priya)

    refused = panel.post(
        "/admin/account/assign-manager/",
        {"account_id": [str(acme.id)], "manager_id": str(analyst.id)},
    )
    assert refused.status_code == 302
    assert managers_of("ACME") == {"ACME": "priya@example.test"}

    panel.post("/admin/account/assign-manager/", {"account_id": [str(acme.id)], "manager_id": ""})
    assert managers_of("ACME") == {"ACME": None}


def test_managers_cannot_use_the_bulk_assign(panel, login_as):
    manager = login_as("manager")
    mine = add_account("MINE", account_manager=manager)

    assert "Assign account manager" not in panel.get("/admin/account/").get_data(as_text=True)
    refused = panel.post(
        "/admin/account/assign-manager/",
        {"account_id": [str(mine.id)], "manager_id": ""},
    )
    assert refused.status_code == 403
    panel.post("/admin/account/action/", {"action": "assign_account_manager", "rowid": [mine.id]})
    assert managers_of("MINE") == {"MINE": "manager@example.test"}


def test_bulk_assign_obeys_a_read_only_account_manager_rule(panel, login_as) -> None:
    db.session.add(FormFieldRule(entity="Account", field="account_manager", role="admin",
                                 readonly=True))  # fmt: skip
    db.session.commit()
    login_as("admin")
    account = add_account("ACME")
    manager = make_user("manager", "mona@example.test")
    response = panel.post(
        "/admin/account/assign-manager/",
        {"manager_id": str(manager.id), "account_id": [str(account.id)]},
    )
    assert response.status_code == 403
    assert db.session.get(Account, account.id).account_manager_id is None

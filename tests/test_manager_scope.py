"""Managers see only their accounts (ARCHITECTURE §5): every path to another account fails."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from extensions import db
from models import (
    Account,
    AuditEvent,
    CreditNote,
    FollowUpAction,
    Invoice,
    ManagerAccess,
    Note,
    Payment,
    Setting,
    User,
)
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_credit_note, add_invoice, add_payment


@dataclass
class World:
    manager: User
    mine: Account
    granted: Account
    theirs: Account
    records: dict[str, dict[str, object]]
    """entity endpoint -> {"mine": record, "theirs": record}"""


@pytest.fixture
def world(login_as) -> World:
    manager = login_as("manager", "mona@example.test")
    colleague = make_user("manager", "carl@example.test")
    mine = add_account("MINE", account_manager=manager)
    granted = add_account("GRANTED", account_manager=colleague)
    theirs = add_account("THEIRS", account_manager=colleague)
    db.session.add(ManagerAccess(user=manager, account=granted))
    records: dict[str, dict[str, object]] = {"account": {"mine": mine, "theirs": theirs}}
    for side, account in (("mine", mine), ("theirs", theirs)):
        code = account.code
        invoice = add_invoice(account, f"INV-{code}", "100.00")
        records.setdefault("invoice", {})[side] = invoice
        records.setdefault("payment", {})[side] = add_payment(account, f"PAY-{code}", "10.00")
        records.setdefault("creditnote", {})[side] = add_credit_note(account, f"CN-{code}", "5.00")
        employee = User(email=f"staff@{code.lower()}.test", role="individual", account=account)
        note = Note(account=account, body=f"Note about {code}")
        action = FollowUpAction(account=account, due_date=dt.date(2026, 3, 1), description=code)
        db.session.add_all([employee, note, action])
        db.session.commit()
        records.setdefault("user", {})[side] = employee
        records.setdefault("note", {})[side] = note
        records.setdefault("followupaction", {})[side] = action
    return World(manager, mine, granted, theirs, records)


ENTITIES = ["account", "user", "invoice", "payment", "creditnote", "note", "followupaction"]


EXPORTED_KEY = {
    "account": "code",
    "user": "email",
    "invoice": "number",
    "payment": "reference",
    "creditnote": "number",
    "note": "Body",
    "followupaction": "Description",
}
"""entity -> the export column that names each record"""
MANAGERS_EXPORT = {
    "account": ["GRANTED", "MINE"],
    "user": ["staff@mine.test"],
    "invoice": ["INV-MINE"],
    "payment": ["PAY-MINE"],
    "creditnote": ["CN-MINE"],
    "note": ["Note about MINE"],
    "followupaction": ["MINE"],
}
"""entity -> what names each record the manager may export: their own, the granted account"""
MANAGER_EDITS = {"user", "followupaction"}
"""The entities a manager may edit (README "Who can do what"); they delete none."""


@pytest.mark.parametrize("entity", ENTITIES)
def test_list_and_export_show_only_the_managers_accounts(entity: str, world: World, panel) -> None:
    mine, theirs = world.records[entity]["mine"], world.records[entity]["theirs"]
    listing = panel.get(f"/admin/{entity}/").get_data(as_text=True)
    assert f"/admin/{entity}/details/?id={mine.id}" in listing
    assert f"?id={theirs.id}&" not in listing and f'?id={theirs.id}"' not in listing
    export = panel.get(f"/admin/{entity}/export/csv/")
    assert export.status_code == 200
    body = export.get_data(as_text=True)
    exported = sorted(row[EXPORTED_KEY[entity]] for row in csv.DictReader(io.StringIO(body)))
    assert exported == MANAGERS_EXPORT[entity]
    assert "THEIRS" not in body.upper().replace("THEIRS.TEST", "")


@pytest.mark.parametrize("entity", ENTITIES)
def test_another_accounts_record_answers_404(entity: str, world: World, panel: Panel) -> None:
    theirs, mine = world.records[entity]["theirs"], world.records[entity]["mine"]
    assert panel.get(f"/admin/{entity}/details/?id={theirs.id}").status_code == 404
    assert panel.get(f"/admin/{entity}/details/?id={mine.id}").status_code == 200
    if entity in MANAGER_EDITS:
        assert panel.get(f"/admin/{entity}/edit/?id={theirs.id}").status_code == 404
        assert panel.get(f"/admin/{entity}/edit/?id={mine.id}").status_code == 200


@pytest.mark.parametrize("entity", sorted(set(ENTITIES) - MANAGER_EDITS))
def test_editing_a_read_only_entity_answers_403_whoever_owns_the_record(
    entity: str, world: World, panel: Panel
) -> None:
    """The edit URL is outside the manager's menu: 403 for every record, so it tells nothing."""
    for side in ("mine", "theirs"):
        record = world.records[entity][side]
        assert panel.get(f"/admin/{entity}/edit/?id={record.id}").status_code == 403


def saved_versions() -> dict[str, list[tuple[int, int]]]:
    models = (Account, User, Invoice, Payment, CreditNote, Note, FollowUpAction)
    return {
        model.__name__: db.session.execute(
            sa.select(model.id, model.version_id).order_by(model.id)
        ).all()
        for model in models
    }


@pytest.mark.parametrize("entity", ENTITIES)
def test_crafted_writes_to_another_accounts_record_change_nothing(
    entity: str, world: World, panel: Panel
) -> None:
    theirs = world.records[entity]["theirs"]
    before = saved_versions()
    edit = panel.post(
        f"/admin/{entity}/edit/?id={theirs.id}",
        {"name": "Hijacked", "body": "x", "loaded_version": str(theirs.version_id)},
    )
    delete = panel.post(f"/admin/{entity}/delete/", {"id": str(theirs.id)})
    bulk = panel.post(f"/admin/{entity}/action/", {"action": "delete", "rowid": [str(theirs.id)]})
    assert edit.status_code == (404 if entity in MANAGER_EDITS else 403)
    assert delete.status_code == 403  # no manager deletes anything, theirs or not
    assert bulk.status_code == 302  # back to the list: the delete action is not theirs to run
    assert saved_versions() == before  # not a row added, removed or changed
    assert db.session.scalar(sa.select(AuditEvent)) is None


def test_manager_sees_granted_accounts_too(world: World, panel: Panel) -> None:
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert "GRANTED" in listing and "MINE" in listing and "THEIRS" not in listing


def test_pick_lists_offer_only_the_managers_accounts(world: World, panel: Panel) -> None:
    response = panel.get("/admin/user/ajax/lookup/?name=account&query=")
    offered = {label.split(" ")[0] for _id, label in json.loads(response.get_data(as_text=True))}
    assert offered == {"MINE", "GRANTED"}


def test_manager_adds_an_employee_to_their_account(world: World, panel: Panel) -> None:
    response = panel.post(
        "/admin/user/new/",
        {"email": "new@mine.test", "role": "individual", "account": str(world.mine.id)},
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.email == "new@mine.test"))
    assert created.account_id == world.mine.id and created.role == "individual"


def test_manager_cannot_add_a_user_to_an_account_they_do_not_manage(world, panel) -> None:
    response = panel.post(
        "/admin/user/new/",
        {"email": "spy@theirs.test", "role": "individual", "account": str(world.theirs.id)},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "spy@theirs.test")) is None


def test_manager_cannot_add_a_user_outside_every_account(world: World, panel: Panel) -> None:
    response = panel.post("/admin/user/new/", {"email": "loose@x.test", "role": "individual"})
    assert "only save records that belong to the accounts you manage" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(User).where(User.email == "loose@x.test")) is None


@pytest.mark.parametrize("role", ["manager", "admin", "super_admin", "analyst"])
def test_manager_cannot_escalate_an_employees_role(role: str, world: World, panel: Panel) -> None:
    employee = world.records["user"]["mine"]
    response = panel.post(
        f"/admin/user/edit/?id={employee.id}",
        {"email": employee.email, "role": role, "account": str(world.mine.id),
         "loaded_version": str(employee.version_id)},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.get(User, employee.id).role == "individual"


def test_manager_cannot_move_an_employee_to_another_managers_account(world, panel) -> None:
    employee = world.records["user"]["mine"]
    response = panel.post(
        f"/admin/user/edit/?id={employee.id}",
        {"email": employee.email, "role": "individual", "account": str(world.theirs.id),
         "loaded_version": str(employee.version_id)},
    )  # fmt: skip
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.get(User, employee.id).account_id == world.mine.id


def test_admin_cannot_grant_or_take_away_super_admin(login_as, panel: Panel) -> None:
    boss = make_user("super_admin", "boss@example.test")
    login_as("admin")
    response = panel.post(
        f"/admin/user/edit/?id={boss.id}",
        {"email": boss.email, "role": "admin", "loaded_version": str(boss.version_id)},
    )
    assert "cannot change a record whose role is super_admin" in response.get_data(as_text=True)
    assert db.session.get(User, boss.id).role == "super_admin"
    create = panel.post("/admin/user/new/", {"email": "x@example.test", "role": "super_admin"})
    assert "Not a valid choice" in create.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.test")) is None


def test_hide_finance_setting_removes_menu_entries_and_refuses_urls(world, panel) -> None:
    menu = panel.get("/admin/").get_data(as_text=True)
    assert "/admin/invoice/" in menu
    db.session.add(Setting(key="hide_finance_from_managers", value="true"))
    db.session.commit()
    menu = panel.get("/admin/").get_data(as_text=True)
    for entity in ("invoice", "payment", "creditnote"):
        assert f"/admin/{entity}/" not in menu
        assert panel.get(f"/admin/{entity}/").status_code == 403
        mine = world.records[entity]["mine"]
        assert panel.get(f"/admin/{entity}/details/?id={mine.id}").status_code == 403
    assert panel.get("/admin/account/").status_code == 200

"""A record out of a role's reach (a super admin, for an admin) is refused alike to every way of
changing it: the edit form, the delete button and the bulk actions."""

from __future__ import annotations

import re

import sqlalchemy as sa

from extensions import db
from models import FormFieldRule, User
from tests.conftest import Panel, make_user

REFUSAL = "Your role cannot change a record whose role is super_admin."


FLASH = re.compile(r'alert-dismissable">(.*?)</div>', re.S)


def flashed(response) -> str:
    return " ".join(FLASH.findall(response.get_data(as_text=True)))


def edit_form(user: User, **changes: str) -> dict[str, str]:
    values = {
        "email": user.email,
        "first_name": user.first_name or "",
        "last_name": user.last_name or "",
        "role": user.role,
        "active": "y",
        "loaded_version": str(user.version_id),
    }
    return values | changes


def emails() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(User.email).order_by(User.email)).all()


def test_an_admin_cannot_delete_a_super_admin(login_as, panel: Panel) -> None:
    login_as("admin")
    boss = make_user("super_admin", "boss@example.test")

    response = panel.post("/admin/user/delete/", {"id": str(boss.id)}, follow_redirects=True)

    assert REFUSAL in flashed(response)
    assert "boss@example.test" in emails()


def test_an_admin_bulk_deleting_users_deletes_all_but_the_super_admin(
    login_as, panel: Panel
) -> None:
    login_as("admin")
    boss = make_user("super_admin", "boss@example.test")
    jo = make_user("individual", "jo@example.test")

    response = panel.post(
        "/admin/user/action/",
        {"action": "delete", "rowid": [str(boss.id), str(jo.id)]},
        follow_redirects=True,
    )

    assert f"boss@example.test: {REFUSAL}" in flashed(response)
    assert "Record was successfully deleted." in flashed(response)
    assert emails() == ["admin@example.test", "boss@example.test"]


def test_an_admin_cannot_edit_a_super_admin_even_with_the_role_field_hidden(
    login_as, panel: Panel
) -> None:
    db.session.add(FormFieldRule(entity="User", field="role", role="admin", hidden=True))
    db.session.commit()
    login_as("admin")
    boss = make_user("super_admin", "boss@example.test", last_name="Boss")
    form = edit_form(boss, last_name="Demoted")
    del form["role"]

    response = panel.post(f"/admin/user/edit/?id={boss.id}", form, follow_redirects=True)

    assert REFUSAL in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, boss.id).last_name == "Boss"


def test_a_super_admin_still_edits_and_deletes_other_super_admins(login_as, panel: Panel) -> None:
    login_as("super_admin")
    other = make_user("super_admin", "other@example.test")

    edited = panel.post(f"/admin/user/edit/?id={other.id}", edit_form(other, last_name="Other"))
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).last_name == "Other"

    panel.post("/admin/user/action/", {"action": "delete", "rowid": [str(other.id)]})
    assert emails() == ["super_admin@example.test"]

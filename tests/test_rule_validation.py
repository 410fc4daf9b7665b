"""Form field rules: one validation whoever writes them (the grid, the raw "Form field rules"
list, a script), and rules stored before that validation existed do not block the grid."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from extensions import db
from models import Account, FormFieldRule
from models.base import RecordRefused
from tests.browser_form import as_submitted

GOOD_RULE = {"entity": "Account", "field": "billing_phone", "role": "manager", "hidden": True}
BAD_RULES = {  # what the outside attack stored, and what each writer must now answer
    "lock-out": (
        {"entity": "Account", "field": "code", "role": "admin", "hidden": True},
        "code cannot be hidden or read-only for admin: every new account needs it",
    ),
    "misspelt entity": (
        {"entity": "Acount", "field": "code", "role": "analyst", "hidden": True},
        "'Acount' is not an entity with forms; choose one of Account,",
    ),
    "settings entity": (
        {"entity": "FormFieldRule", "field": "role", "role": "admin", "readonly": True},
        "'FormFieldRule' is not an entity with forms",
    ),
    "unknown field": (
        {"entity": "Account", "field": "nonexistent", "role": "admin", "hidden": True},
        "Account has no field 'nonexistent'.",
    ),
    "unknown role": (
        {"entity": "Account", "field": "billing_phone", "role": "boss", "hidden": True},
        "'boss' is not a role; choose one of super_admin, admin, manager, analyst.",
    ),
    "hidden and required": (
        {"entity": "Account", "field": "billing_phone", "role": "admin", "hidden": True,
         "required": True},
        "billing_phone cannot be both hidden and required for admin.",
    ),
    "read-only and required": (
        {"entity": "Account", "field": "billing_phone", "role": "admin", "readonly": True,
         "required": True},
        "billing_phone cannot be both read-only and required for admin.",
    ),
}  # fmt: skip


SWITCHES = ("hidden", "required", "readonly")
DELETE_FORM = re.compile(r'<form method="post" class="d-inline" action="([^"]+)">.*?'
                         r'name="id" value="(\d+)"', re.DOTALL)  # fmt: skip


def raw_form(rule: dict, shown: dict[str, str] | None = None) -> dict[str, str]:
    """The raw list's form (as `shown` on the page) after a super admin typed `rule` into it."""
    kept = {name: value for name, value in (shown or {}).items() if name not in SWITCHES}
    ticked = {name: "y" for name in SWITCHES if rule.get(name)}
    return kept | {"entity": rule["entity"], "field": rule["field"], "role": rule["role"]} | ticked


def says(response, message: str) -> bool:
    return str(escape(message)) in response.get_data(as_text=True)


def stored_rules() -> list[tuple]:
    return db.session.execute(
        sa.select(FormFieldRule.entity, FormFieldRule.field, FormFieldRule.role)
    ).all()


def store_unchecked(rule: dict) -> None:
    """A rule as an older version stored it: straight into the table, past today's checks."""
    switches = {"hidden": False, "required": False, "readonly": False}
    db.session.execute(sa.insert(FormFieldRule), [switches | {"version_id": 1} | rule])
    db.session.commit()


@pytest.mark.parametrize("bad", list(BAD_RULES))
def test_raw_list_refuses_to_create_a_bad_rule(bad, login_as, panel) -> None:
    rule, message = BAD_RULES[bad]
    login_as("super_admin")
    page = panel.get("/admin/formfieldrule/new/").get_data(as_text=True)
    response = panel.post("/admin/formfieldrule/new/", raw_form(rule, as_submitted(page)))
    assert response.status_code == 200 and says(response, message)
    assert stored_rules() == []


@pytest.mark.parametrize("bad", list(BAD_RULES))
def test_raw_list_refuses_to_edit_a_rule_into_a_bad_one(bad, login_as, panel) -> None:
    rule, message = BAD_RULES[bad]
    login_as("super_admin")
    assert panel.post("/admin/formfieldrule/new/", raw_form(GOOD_RULE)).status_code == 302
    stored = db.session.scalar(sa.select(FormFieldRule))
    page = panel.get(f"/admin/formfieldrule/edit/?id={stored.id}").get_data(as_text=True)
    response = panel.post(
        f"/admin/formfieldrule/edit/?id={stored.id}", raw_form(rule, as_submitted(page))
    )
    assert response.status_code == 200 and says(response, message)
    db.session.refresh(stored)
    assert stored_rules() == [("Account", "billing_phone", "manager")] and stored.hidden


@pytest.mark.parametrize("bad", list(BAD_RULES))
def test_a_script_cannot_store_a_bad_rule(bad) -> None:
    rule, message = BAD_RULES[bad]
    db.session.add(FormFieldRule(**rule))
    with pytest.raises(RecordRefused, match=re.escape(message)):
        db.session.commit()
    db.session.rollback()
    assert stored_rules() == []


GRID_POSTS = {  # the boxes a super admin ticks for each bad rule the grid can express
    "lock-out": {"rule|code|admin|hidden": "on"},
    "hidden and required": {"rule|billing_phone|admin|hidden": "on",
                            "rule|billing_phone|admin|required": "on"},
    "read-only and required": {"rule|billing_phone|admin|readonly": "on",
                               "rule|billing_phone|admin|required": "on"},
}  # fmt: skip


@pytest.mark.parametrize("bad", list(GRID_POSTS))
def test_grid_refuses_a_bad_rule_with_the_same_message(bad, login_as, panel) -> None:
    login_as("super_admin")
    response = panel.post(
        "/admin/configure_forms/save?entity=Account", GRID_POSTS[bad], follow_redirects=True
    )
    assert says(response, BAD_RULES[bad][1]) and says(response, "Nothing was saved.")
    assert stored_rules() == []


def test_grid_cannot_name_an_unknown_entity_field_or_role(login_as, panel) -> None:
    login_as("super_admin")
    assert panel.post("/admin/configure_forms/save?entity=Acount", {}).status_code == 404
    panel.post(
        "/admin/configure_forms/save?entity=Account",
        {"rule|nonexistent|admin|hidden": "on", "rule|billing_phone|boss|hidden": "on"},
    )
    assert stored_rules() == []


def test_a_good_rule_is_accepted_on_every_path(login_as, panel) -> None:
    login_as("super_admin")
    grid = panel.post(
        "/admin/configure_forms/save?entity=Account", {"rule|billing_phone|manager|hidden": "on"}
    )
    assert grid.status_code == 302 and stored_rules() == [("Account", "billing_phone", "manager")]
    db.session.execute(sa.delete(FormFieldRule))
    db.session.commit()

    assert panel.post("/admin/formfieldrule/new/", raw_form(GOOD_RULE)).status_code == 302
    stored = db.session.scalar(sa.select(FormFieldRule))
    page = panel.get(f"/admin/formfieldrule/edit/?id={stored.id}").get_data(as_text=True)
    edited = panel.post(
        f"/admin/formfieldrule/edit/?id={stored.id}", as_submitted(page, role="analyst")
    )
    assert edited.status_code == 302 and stored_rules() == [("Account", "billing_phone", "analyst")]

    db.session.add(FormFieldRule(entity="Invoice", field="amount", role="analyst", hidden=True))
    db.session.commit()
    assert ("Invoice", "amount", "analyst") in stored_rules()


def test_rules_on_custom_fields_are_known_fields(login_as, panel) -> None:
    login_as("super_admin")
    panel.post(
        "/admin/customfield/new/",
        {"entity": "Account", "key": "sector", "label": "Sector", "type": "text", "order": "0"},
    )
    rule = {"entity": "Account", "field": "sector", "role": "analyst", "hidden": True}
    assert panel.post("/admin/formfieldrule/new/", raw_form(rule)).status_code == 302
    assert stored_rules() == [("Account", "sector", "analyst")]


def test_grid_still_saves_and_lists_rules_stored_before_the_checks(login_as, panel) -> None:
    for bad in ("lock-out", "misspelt entity", "unknown field", "unknown role"):
        store_unchecked(BAD_RULES[bad][0])
    login_as("super_admin")
    page = panel.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    warning = page[
        page.index('data-testid="invalid-rules"') : page.index('data-testid="rule-grid"')
    ]
    for bad in ("lock-out", "misspelt entity", "unknown field", "unknown role"):
        assert str(escape(BAD_RULES[bad][1])) in warning

    shown = as_submitted(page, "configure_forms/save")
    assert shown["rule|code|admin|hidden"] == "on"  # the stored lock-out, as the grid shows it
    saved = panel.post(
        "/admin/configure_forms/save?entity=Account",
        shown | {"rule|billing_phone|manager|hidden": "on"},
        follow_redirects=True,
    )
    assert says(saved, "Saved: 1 rule(s) changed.")
    assert ("Account", "billing_phone", "manager") in stored_rules()

    delete_buttons = DELETE_FORM.findall(warning)
    assert len(delete_buttons) == 4
    for action, rule_id in delete_buttons:
        deleted = panel.post(action.replace("&amp;", "&"), {"id": rule_id})
        assert deleted.status_code == 302
        assert deleted.headers["Location"].endswith("/admin/configure_forms/?entity=Account")
    assert stored_rules() == [("Account", "billing_phone", "manager")]
    page = panel.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    assert 'data-testid="invalid-rules"' not in page


def test_a_stored_read_only_required_rule_still_lets_admins_create(login_as, panel) -> None:
    store_unchecked(BAD_RULES["read-only and required"][0])
    login_as("admin")
    page = panel.get("/admin/account/new/").get_data(as_text=True)
    response = panel.post("/admin/account/new/", as_submitted(page, code="ACME", name="Acme"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Account.billing_phone).where(Account.code == "ACME")) is None

"""Each role sees exactly its menu, and is refused by URL what its menu does not offer."""

import re

import pytest

from tests.conftest import Panel

ENTITIES = {
    "account", "accountgroup", "user", "manageraccess", "invoice", "payment", "creditnote",
    "note", "followupaction", "auditevent", "loginevent", "formfieldrule", "customfield",
}  # fmt: skip
BUSINESS = ENTITIES - {"auditevent", "loginevent", "formfieldrule", "customfield"}
MENU_BY_ROLE = {
    "super_admin": ENTITIES,
    "admin": BUSINESS | {"auditevent", "loginevent"},
    "analyst": BUSINESS,
    "manager": {"account", "user", "invoice", "payment", "creditnote", "note", "followupaction"},
}
MENU_LINK = re.compile(r'href="/admin/([a-z]+)/"')


def menu_entities(panel: Panel) -> set[str]:
    return set(MENU_LINK.findall(panel.get("/admin/").get_data(as_text=True))) & ENTITIES


@pytest.mark.parametrize("role", sorted(MENU_BY_ROLE))
def test_each_role_sees_exactly_its_menu(role: str, login_as, panel: Panel) -> None:
    login_as(role)
    assert menu_entities(panel) == MENU_BY_ROLE[role]


@pytest.mark.parametrize("role", sorted(MENU_BY_ROLE))
def test_entities_outside_the_menu_are_refused_by_url(role: str, login_as, panel: Panel) -> None:
    login_as(role)
    for entity in sorted(ENTITIES - MENU_BY_ROLE[role]):
        assert panel.get(f"/admin/{entity}/").status_code == 403, entity
        assert panel.get(f"/admin/{entity}/new/").status_code == 403, entity
        assert panel.get(f"/admin/{entity}/export/csv/").status_code == 403, entity


@pytest.mark.parametrize("entity", ["account", "invoice", "payment", "creditnote"])
def test_analyst_can_read_and_export_but_not_write(entity: str, login_as, panel: Panel) -> None:
    login_as("analyst")
    assert panel.get(f"/admin/{entity}/").status_code == 200
    assert panel.get(f"/admin/{entity}/export/csv/").status_code == 200
    assert panel.get(f"/admin/{entity}/new/").status_code == 403
    assert panel.get(f"/admin/{entity}/edit/?id=1").status_code == 403
    assert panel.post(f"/admin/{entity}/new/", {"name": "x"}).status_code == 403
    assert panel.post(f"/admin/{entity}/delete/", {"id": "1"}).status_code == 403


def test_manager_cannot_create_accounts_or_invoices(login_as, panel: Panel) -> None:
    login_as("manager")
    assert panel.get("/admin/account/new/").status_code == 403
    assert panel.get("/admin/invoice/new/").status_code == 403
    assert panel.post("/admin/invoice/delete/", {"id": "1"}).status_code == 403


def test_list_page_hides_buttons_the_role_may_not_use(login_as, panel: Panel) -> None:
    login_as("analyst")
    html = panel.get("/admin/account/").get_data(as_text=True)
    assert "/admin/account/new/" not in html
    assert "/admin/account/delete/" not in html


def test_anonymous_visitor_is_sent_to_login_for_every_entity(panel: Panel) -> None:
    for entity in sorted(ENTITIES):
        response = panel.get(f"/admin/{entity}/")
        assert response.status_code == 302 and response.location.startswith("/login"), entity


def test_inline_list_editing_endpoint_is_refused_even_to_admins(login_as, panel: Panel) -> None:
    login_as("super_admin")
    response = panel.post("/admin/account/ajax/update/", {"list_form_pk": "1", "name": "Hacked"})
    assert response.status_code == 403

"""A list's view, edit and delete buttons, rendered once per page, read as Flask-Admin's own."""

from __future__ import annotations

import re

import pytest

import admin_views.generic
import admin_views.row_actions
from tests.conftest import Panel
from tests.test_list_scale import add_ledger

VARYING_PER_REQUEST = re.compile(r'(nonce|value)="[^"]{20,}"')
"""The CSRF token and CSP nonces: long values that change from one request to the next."""


def rendered_row_by_row(panel: Panel, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patched:
        patched.setattr(admin_views.generic, "rendered_once_per_page", lambda actions, pk: actions)
        return panel.get(url).get_data(as_text=True)


def buttons(page: str) -> list[str]:
    """Each row's buttons cell, without the values that change from request to request."""
    cells = re.findall(r'<td class="list-buttons-column">(.*?)</td>', page, re.S)
    return [VARYING_PER_REQUEST.sub("", cell) for cell in cells]


def test_each_rows_buttons_are_flask_admins_own_markup_with_that_rows_id(
    login_as, panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as("admin")
    add_ledger(accounts=2, invoices_each=3)
    for url in ("/admin/invoice/", "/admin/invoice/?sort=0&desc=1", "/admin/account/"):
        page = panel.get(url).get_data(as_text=True)
        assert len(buttons(page)) >= 2
        assert buttons(page) == buttons(rendered_row_by_row(panel, url, monkeypatch))
    page = panel.get("/admin/invoice/").get_data(as_text=True)
    for cell in buttons(page):
        found = re.findall(r'\?id=(\d+)|name="id" type="hidden" value="(\d+)"', cell)
        assert len({link or form for link, form in found}) == 1, cell  # one record per row
    edited = re.findall(r"/admin/invoice/edit/\?id=(\d+)", page)
    deleted = re.findall(r'name="id" type="hidden" value="(\d+)"', page)
    assert len(set(edited)) == 6 and edited == deleted


def test_a_page_whose_address_holds_the_placeholder_is_rendered_row_by_row(
    login_as, panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as("admin")
    add_ledger(accounts=1, invoices_each=3)
    monkeypatch.setattr(admin_views.row_actions, "PLACEHOLDERS", ("invoice", "unseen"))
    page = panel.get("/admin/invoice/").get_data(as_text=True)
    assert buttons(page) == buttons(rendered_row_by_row(panel, "/admin/invoice/", monkeypatch))
    assert "/admin/invoice/edit/?id=" in page


def test_an_analyst_gets_the_view_button_and_no_edit_or_delete_buttons(
    login_as, panel: Panel
) -> None:
    login_as("analyst")
    add_ledger(accounts=1, invoices_each=2)
    page = panel.get("/admin/invoice/").get_data(as_text=True)
    assert "/admin/invoice/details/?id=" in page
    assert "/admin/invoice/edit/" not in page and "/admin/invoice/delete/" not in page

"""403 and 404 are pages of the panel: its menu, what happened, what to do, a way back."""

from __future__ import annotations

import re


def test_a_page_outside_the_role_answers_403_with_the_panels_page(login_as, panel) -> None:
    login_as("analyst")

    response = panel.get("/admin/configure_forms/", headers={"Referer": "http://localhost/admin/"})
    page = response.get_data(as_text=True)

    assert response.status_code == 403
    assert 'data-testid="error-page"' in page
    assert "You do not have access to this page" in page
    assert 'id="admin-navbar-collapse"' in page  # the panel's menu, as the role has it
    assert re.search(r">\s*Reports</a>", page) and "Configure forms" not in page
    assert 'href="http://localhost/admin/"' in page  # back where they came from
    assert "Go to the home page" in page
    assert "Forbidden</h1>" not in page  # not Werkzeug's page


def test_a_missing_record_answers_404_with_the_panels_page(login_as, panel) -> None:
    login_as("admin")

    response = panel.get("/admin/account/details/?id=999999")
    page = response.get_data(as_text=True)

    assert response.status_code == 404
    assert "Page not found" in page and 'id="admin-navbar-collapse"' in page
    assert "Not Found</h1>" not in page


def test_an_unknown_address_answers_404_and_offers_the_login_to_a_visitor(panel) -> None:
    response = panel.get("/no-such-page")
    page = response.get_data(as_text=True)

    assert response.status_code == 404
    assert "Page not found" in page and ">Log in</a>" in page


def test_the_panel_has_a_favicon(login_as, panel) -> None:
    assert panel.get("/static/favicon.svg").status_code == 200
    assert panel.get("/favicon.ico").headers["Location"].endswith("/static/favicon.svg")
    login_as("admin")
    assert 'rel="icon"' in panel.get("/admin/").get_data(as_text=True)

"""Text a user typed (a custom field's label, help text and choices) is shown as text on every
page: markup in it is escaped, never run, on the create, edit, details and list pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markupsafe import escape

from extensions import db
from models import Account
from tests.conftest import Panel

LABEL = "<script>alert('label')</script>Tier"
HELP_TEXT = "<img src=x onerror=alert('help')>Pick one"
CHOICE = "<b onmouseover=alert('choice')>Gold</b>"
PAYLOADS = (LABEL, HELP_TEXT, CHOICE)
RAW_MARKUP = ("<script>alert", "<img src=x", "<b onmouseover")


@pytest.fixture
def markup_typed(login_as, panel: Panel) -> Account:
    """A super admin types markup into a custom field, then an account gets its choice."""
    login_as("super_admin")
    defined = panel.post(
        "/admin/customfield/new/",
        {
            "entity": "Account",
            "key": "tier",
            "label": LABEL,
            "help_text": HELP_TEXT,
            "type": "choice",
            "choices": f"{CHOICE}\nSilver",
            "show_in_list": "y",
            "order": "0",
        },
    )
    assert defined.status_code == 302, defined.get_data(as_text=True)
    created = panel.post(
        "/admin/account/new/",
        {
            "code": "ACME",
            "name": "Acme Ltd",
            "type": "customer",
            "status": "enabled",
            "payment_terms_days": "30",
            "custom__tier": CHOICE,
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    return db.session.scalars(sa.select(Account).where(Account.code == "ACME")).one()


def assert_shown_as_text(html: str, *typed: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html
    for text in typed:
        assert str(escape(text)) in html, text


def test_the_create_form_shows_label_help_text_and_choices_as_text(
    markup_typed, panel: Panel
) -> None:
    html = panel.get("/admin/account/new/").get_data(as_text=True)
    assert_shown_as_text(html, *PAYLOADS)


def test_the_edit_form_shows_label_help_text_and_choices_as_text(
    markup_typed: Account, panel: Panel
) -> None:
    html = panel.get(f"/admin/account/edit/?id={markup_typed.id}").get_data(as_text=True)
    assert_shown_as_text(html, *PAYLOADS)


def test_the_details_and_list_pages_show_label_and_value_as_text(
    markup_typed: Account, panel: Panel
) -> None:
    assert markup_typed.custom_fields == {"tier": CHOICE}
    details = panel.get(f"/admin/account/details/?id={markup_typed.id}").get_data(as_text=True)
    assert_shown_as_text(details, LABEL, CHOICE)
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert_shown_as_text(listing, LABEL, CHOICE)


def test_the_configure_forms_grid_and_the_preview_show_the_label_as_text(
    markup_typed, panel: Panel
) -> None:
    grid = panel.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    assert_shown_as_text(grid, LABEL)
    preview = panel.get("/admin/account/preview/?role=admin").get_data(as_text=True)
    assert_shown_as_text(preview, *PAYLOADS)

"""What a person reads on list pages and forms: labels from the models, choice values in words,
search hints, relation pickers, timestamps to the minute with their zone."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from extensions import db
from models import Account, InvoiceEmailOptOut, Payment, User
from models.labels import entity_label, field_label, humanize, record_name, value_label
from tests.conftest import make_user
from tests.factories import add_account, add_invoice, add_payment


def visible_text(html: str) -> str:
    """The words a person reads: no scripts, tags or attributes."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_names_read_as_words_with_the_models_own_overrides() -> None:
    assert humanize("billing_email") == "Billing e-mail"
    assert field_label(Account, "payment_terms_days") == "Payment terms (days)"
    assert field_label(Payment, "account.code") == "Account code"
    assert value_label(Payment, "method", "direct_debit") == "Direct debit"
    assert value_label(User, "role", "super_admin") == "Super admin"
    assert value_label(Account, "name", "keep_as_typed") == "keep_as_typed"  # not a choice
    assert entity_label(InvoiceEmailOptOut) == "Invoice e-mail opt-outs"
    assert record_name(Account) == "account"


def test_payment_list_shows_methods_as_words_and_its_export_stays_importable(
    login_as, panel
) -> None:
    login_as("admin")
    acme = add_account("ACME")
    add_payment(acme, "PAY-1", "10.00", method="direct_debit")

    listing = panel.get("/admin/payment/").get_data(as_text=True)
    exported = panel.get("/admin/payment/export/csv/").get_data(as_text=True)

    start = listing.index('<table class="table table-striped')
    table = listing[start : listing.index("</table>", start)]
    assert "Direct debit" in table and "direct_debit" not in visible_text(table)
    assert exported.splitlines()[1].endswith(",direct_debit")  # the import's columns and values
    assert db.session.get(Payment, 1).method == "direct_debit"  # stored as it was


def test_list_headers_search_hint_and_filters_use_labels(login_as, panel) -> None:
    login_as("admin")
    add_account("ACME")
    page = panel.get("/admin/account/").get_data(as_text=True)

    assert 'placeholder="Code, Name, Billing e-mail"' in page
    assert "Payment terms (days)" in page and "Billing e-mail" in page
    assert "billing_email" not in visible_text(page)


def test_relation_picker_says_what_it_picks(login_as, panel) -> None:
    login_as("admin")
    form = panel.get("/admin/payment/new/").get_data(as_text=True)

    assert 'data-placeholder="Choose an account"' in form
    assert 'data-placeholder="Choose an invoice"' in form
    assert "Please select model" not in form


def test_choice_fields_offer_their_values_as_words_and_save_the_stored_value(
    login_as, panel
) -> None:
    login_as("admin")
    acme = add_account("ACME")
    form = panel.get("/admin/payment/new/").get_data(as_text=True)
    assert '<option value="direct_debit">Direct debit</option>' in form

    response = panel.post(
        "/admin/payment/new/",
        {"reference": "PAY-9", "account": str(acme.id), "payment_date": "2026-02-01",
         "amount": "12.00", "method": "direct_debit"},
    )  # fmt: skip

    assert response.status_code == 302
    assert db.session.query(Payment).filter_by(reference="PAY-9").one().method == "direct_debit"


def test_timestamps_show_to_the_minute_with_the_time_zone_named(login_as, panel) -> None:
    login_as("admin")
    make_user("analyst", "ann@example.test", last_login_at=dt.datetime(2026, 3, 4, 5, 6, 7, 891011))

    listing = panel.get("/admin/user/?search=ann").get_data(as_text=True)

    assert "2026-03-04 05:06 UTC" in listing
    assert "891011" not in listing and "05:06:07" not in listing


def test_configure_forms_tabs_name_entities_in_words(login_as, panel) -> None:
    login_as("super_admin")
    page = panel.get("/admin/configure_forms/").get_data(as_text=True)

    assert ">Invoice e-mail opt-outs</a>" in page
    assert ">InvoiceEmailOptOut</a>" not in page
    assert "Payment terms (days)" in page


def test_key_figures_and_dashboard_name_the_currency(login_as, panel) -> None:
    manager = login_as("manager")
    acme = add_account("ACME", account_manager=manager)
    add_invoice(acme, "INV-1", "100.00", currency="EUR")

    details = panel.get(f"/admin/account/details/?id={acme.id}").get_data(as_text=True)
    dashboard = panel.get("/admin/").get_data(as_text=True)

    assert 'data-testid="figures-currency">in EUR<' in details
    assert re.search(r"ACME Ltd</a></td>\s*<td>EUR</td>", dashboard)

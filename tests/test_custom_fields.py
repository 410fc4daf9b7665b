"""Custom fields: defined in the panel, typed, validated, shown, filtered, exported, ruled."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, AuditEvent, CustomField, FormFieldRule
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.factories import add_account

ACCOUNT_FORM = {
    "code": "ACME",
    "name": "Acme Ltd",
    "type": "customer",
    "status": "enabled",
    "payment_terms_days": "30",
}
DEFINITIONS = [
    {"key": "vat_number", "label": "VAT number", "type": "text", "show_in_list": "y"},
    {"key": "seats", "label": "Seats", "type": "number"},
    {"key": "discount", "label": "Discount", "type": "decimal"},
    {"key": "renewal_on", "label": "Renewal on", "type": "date"},
    {"key": "vip", "label": "VIP", "type": "boolean"},
    {
        "key": "tier",
        "label": "Tier",
        "type": "choice",
        "choices": "Gold\nSilver",
        "show_in_list": "y",
    },
]
GOOD_VALUES = {
    "custom__vat_number": "GB123",
    "custom__seats": "12",
    "custom__discount": "7.50",
    "custom__renewal_on": "2027-01-31",
    "custom__vip": "y",
    "custom__tier": "Gold",
}


@pytest.fixture
def defined(login_as, panel: Panel) -> Panel:
    login_as("super_admin")
    for definition in DEFINITIONS:
        response = panel.post(
            "/admin/customfield/new/", {"entity": "Account", "order": "0", **definition}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    return panel


def test_custom_fields_of_every_type_are_stored_typed(defined: Panel) -> None:
    form = defined.get("/admin/account/new/").get_data(as_text=True)
    for name in GOOD_VALUES:
        assert f'name="{name}"' in form
    assert defined.post("/admin/account/new/", ACCOUNT_FORM | GOOD_VALUES).status_code == 302
    account = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert account.custom_fields == {
        "vat_number": "GB123",
        "seats": 12,
        "discount": "7.50",
        "renewal_on": "2027-01-31",
        "vip": True,
        "tier": "Gold",
    }


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("custom__renewal_on", "tomorrow-ish", "Not a valid date value."),
        ("custom__seats", "a dozen", "Not a valid integer value."),
        ("custom__discount", "cheap", "Not a valid decimal value."),
        ("custom__tier", "Platinum", "Not a valid choice."),
    ],
)
def test_custom_field_values_are_validated_by_type(field, bad, message, defined: Panel) -> None:
    response = defined.post("/admin/account/new/", ACCOUNT_FORM | {field: bad})
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Account).where(Account.code == "ACME")) is None


def test_custom_fields_show_in_list_details_and_export(defined: Panel) -> None:
    defined.post("/admin/account/new/", ACCOUNT_FORM | GOOD_VALUES)
    account = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    listing = defined.get("/admin/account/").get_data(as_text=True)
    headers = [
        re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<th.*?</th>", listing, re.S)
    ]
    assert "VAT number" in headers and "Tier" in headers and "Seats" not in headers
    assert "GB123" in listing
    details = defined.get(f"/admin/account/details/?id={account.id}").get_data(as_text=True)
    for shown in ("GB123", "12", "7.50", "2027-01-31", "yes", "Gold"):
        assert shown in details
    rows = list(
        csv.DictReader(
            io.StringIO(defined.get("/admin/account/export/csv/").get_data(as_text=True))
        )
    )
    acme = next(row for row in rows if row["code"] == "ACME")
    assert acme["vat_number"] == "GB123" and acme["tier"] == "Gold" and acme["seats"] == "12"


def test_list_filters_on_a_custom_field(defined: Panel) -> None:
    defined.post("/admin/account/new/", ACCOUNT_FORM | GOOD_VALUES)
    defined.post(
        "/admin/account/new/",
        ACCOUNT_FORM | {"code": "BETA", "name": "Beta Ltd", "custom__tier": "Silver"},
    )
    gold = defined.get("/admin/account/?cf_tier=Gold").get_data(as_text=True)
    assert "Acme Ltd" in gold and "Beta Ltd" not in gold
    vip = defined.get("/admin/account/?cf_vip=yes").get_data(as_text=True)
    assert "Acme Ltd" in vip and "Beta Ltd" not in vip


def test_rules_apply_to_custom_fields(defined: Panel, app) -> None:
    db.session.add(FormFieldRule(entity="Account", field="tier", role="super_admin", required=True))
    db.session.add(FormFieldRule(entity="Account", field="seats", role="super_admin", hidden=True))
    db.session.commit()
    form = defined.get("/admin/account/new/").get_data(as_text=True)
    assert 'name="custom__seats"' not in form
    response = defined.post("/admin/account/new/", ACCOUNT_FORM | {"custom__seats": "99"})
    assert "This field is required." in response.get_data(as_text=True)
    defined.post(
        "/admin/account/new/", ACCOUNT_FORM | {"custom__tier": "Gold", "custom__seats": "99"}
    )
    account = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert account.custom_fields.get("seats") is None and account.custom_fields["tier"] == "Gold"
    grid = defined.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    assert "rule|tier|manager|hidden" in grid


def test_a_custom_field_key_is_checked_and_never_changes(defined: Panel) -> None:
    bad = defined.post(
        "/admin/customfield/new/",
        {"entity": "Account", "key": "Bad Key", "label": "x", "type": "text", "order": "0"},
    )
    assert "Lower-case letters" in bad.get_data(as_text=True)
    clash = defined.post(
        "/admin/customfield/new/",
        {"entity": "Account", "key": "name", "label": "x", "type": "text", "order": "0"},
    )
    assert "already has a field called name" in clash.get_data(as_text=True)
    field = db.session.scalar(sa.select(CustomField).where(CustomField.key == "seats"))
    defined.post(
        f"/admin/customfield/edit/?id={field.id}",
        {
            "entity": "Account",
            "key": "renamed",
            "label": "Seat count",
            "type": "number",
            "order": "0",
            "loaded_version": str(field.version_id),
        },
    )
    field = db.session.get(CustomField, field.id)
    assert field.key == "seats" and field.label == "Seat count"


def test_removed_custom_field_values_stay_readable_in_the_audit_history(defined: Panel) -> None:
    account = add_account("ACME")
    defined.post(
        f"/admin/account/edit/?id={account.id}",
        ACCOUNT_FORM | {"custom__tier": "Silver", "loaded_version": str(account.version_id)},
    )
    tier = db.session.scalar(sa.select(CustomField).where(CustomField.key == "tier"))
    defined.post("/admin/customfield/delete/", {"id": str(tier.id)})
    assert db.session.scalar(sa.select(CustomField).where(CustomField.key == "tier")) is None
    update = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity == "Account")
    )
    assert update.changes["custom__tier"] == {"before": None, "after": "Silver"}


def test_custom_fields_round_trip_through_export_and_import(defined: Panel, app, tmp_path) -> None:
    defined.post("/admin/account/new/", ACCOUNT_FORM | GOOD_VALUES)
    exported = defined.get("/admin/account/export/csv/").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    acme = next(row for row in rows if row["code"] == "ACME")
    acme.update(tier="Silver", seats="40", renewal_on="2028-02-29")
    edited = tmp_path / "accounts.csv"
    with edited.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(acme)
    result = app.test_cli_runner().invoke(args=["import", "accounts", str(edited)])
    assert result.exit_code == 0, result.output
    account = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert account.custom_fields["tier"] == "Silver" and account.custom_fields["seats"] == 40
    assert account.custom_fields["renewal_on"] == "2028-02-29"
    assert account.custom_fields["vat_number"] == "GB123"

    acme.update(tier="Platinum", renewal_on="next spring")
    with edited.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(acme)
    refused = app.test_cli_runner().invoke(args=["import", "accounts", str(edited)])
    assert refused.exit_code == 1
    assert "tier" in refused.output and "renewal_on" in refused.output
    db.session.expire_all()
    assert (
        db.session.scalar(sa.select(Account).where(Account.code == "ACME")).custom_fields["tier"]
        == "Silver"
    )


def test_a_choice_field_read_only_for_admins_never_blocks_their_forms(app, login_as, panel):
    """Sector is set by super admins only: an admin's new account has none, and an admin's edit
    (even one that posts a sector anyway) keeps the one it had."""
    boss = Panel(app.test_client())
    make_user("super_admin")
    boss.login("super_admin@example.test")
    boss.post(
        "/admin/customfield/new/",
        {"entity": "Account", "key": "sector", "label": "Sector", "type": "choice",
         "choices": "Retail\nPublic", "order": "0"},
    )  # fmt: skip
    boss.post("/admin/configure_forms/save?entity=Account", {"rule|sector|admin|readonly": "on"})
    new = boss.get("/admin/account/new/").get_data(as_text=True)
    boss.post(
        "/admin/account/new/", as_submitted(new, code="OLD", name="Old", custom__sector="Public")
    )
    login_as("admin")

    new = panel.get("/admin/account/new/").get_data(as_text=True)
    assert 'name="custom__sector"' in new
    created = panel.post("/admin/account/new/", as_submitted(new, code="ACME", name="Acme Ltd"))
    assert created.status_code == 302, created.get_data(as_text=True)
    acme = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert acme.custom_fields.get("sector") is None

    old = db.session.scalar(sa.select(Account).where(Account.code == "OLD"))
    for sector_posted in ({}, {"custom__sector": "Nonsense"}, {"custom__sector": "Retail"}):
        page = panel.get(f"/admin/account/edit/?id={old.id}").get_data(as_text=True)
        assert '<option selected value="Public">' in page
        edited = panel.post(
            f"/admin/account/edit/?id={old.id}", as_submitted(page, name="Renamed", **sector_posted)
        )
        assert edited.status_code == 302, edited.get_data(as_text=True)
    db.session.refresh(old)
    assert old.name == "Renamed" and old.custom_fields["sector"] == "Public"
    refused = panel.post(
        f"/admin/account/edit/?id={old.id}", as_submitted(page, name="", custom__sector="Retail")
    ).get_data(as_text=True)
    assert "This field is required." in refused  # shown again, with the sector that is kept
    assert '<option selected value="Public">' in refused

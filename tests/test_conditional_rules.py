"""Conditional field rules (ARCHITECTURE §4): a rule that applies only to the records whose
condition field holds a value, enforced on every write path and hidden from every reader.

Three stories a super admin sets up, each tried the way its users meet it:
- "Reason required for admins when Status is disabled" (a custom field): the form, an import,
  the bulk assign action, and the configure page's count and fill of the records lacking it;
- "Credit limit read-only for admins when Type is provider": a forged post changes nothing;
- "Billing e-mail hidden for managers when Group is Public sector": lists, details, the account
  page, exports, search, look-ups, reports and e-mails never show it for those accounts, and
  keep showing it for the others.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, AccountGroup, AuditEvent, CustomField, FormFieldRule, User
from models.notifications import OutboxMessage
from notifications.detection import detect_credit_limit_crossings
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.test_import_panel import upload

REASON_REQUIRED = "Required when status is disabled (Configure Forms): a value is needed."
PUBLIC_EMAIL = "treasury-secret@public.test"
PRIVATE_EMAIL = "ap@private.test"


def add_rule(**fields: object) -> FormFieldRule:
    rule = FormFieldRule(entity="Account", **fields)
    db.session.add(rule)
    db.session.commit()
    return rule


def account_named(code: str) -> Account:
    db.session.expire_all()
    return db.session.scalar(sa.select(Account).where(Account.code == code))


def edit_page(panel: Panel, account: Account) -> str:
    response = panel.get(f"/admin/account/edit/?id={account.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def save_edit(panel: Panel, account: Account, **typed: str):
    page = edit_page(panel, account)
    return panel.post(f"/admin/account/edit/?id={account.id}", as_submitted(page, **typed))


# --- "Reason required for admins when Status is disabled" ----------------------------------


@pytest.fixture
def reason_rule(login_as) -> User:
    admin = login_as("admin")
    db.session.add(CustomField(entity="Account", key="reason", label="Reason", type="text"))
    db.session.commit()
    add_rule(field="reason", role="admin", required=True, condition_field="status",
             condition_value="disabled")  # fmt: skip
    return admin


def test_disabling_an_account_in_its_form_asks_for_the_reason(reason_rule, panel) -> None:
    acme = add_account("ACME")

    refused = save_edit(panel, acme, status="disabled")

    assert refused.status_code == 200
    assert "This field is required." in refused.get_data(as_text=True)
    assert account_named("ACME").status == "enabled"

    saved = save_edit(panel, acme, status="disabled", custom__reason="Ceased trading")

    assert saved.status_code == 302
    stored = account_named("ACME")
    assert stored.status == "disabled" and stored.custom_fields["reason"] == "Ceased trading"


def test_an_enabled_account_saves_without_a_reason(reason_rule, panel) -> None:
    acme = add_account("ACME")
    page = edit_page(panel, acme)
    assert 'name="custom__reason"' in page
    assert not re.search(r'<small class="form-text text-muted ">\s*None\s*</small>', page)

    assert save_edit(panel, acme, name="Acme Renamed").status_code == 302
    assert account_named("ACME").name == "Acme Renamed"


def test_a_new_disabled_account_needs_a_reason_too(reason_rule, panel) -> None:
    page = panel.get("/admin/account/new/").get_data(as_text=True)
    form = as_submitted(page, code="NEWCO", name="New Co", status="disabled")

    refused = panel.post("/admin/account/new/", form)

    assert "This field is required." in refused.get_data(as_text=True)
    assert account_named("NEWCO") is None
    assert (
        panel.post("/admin/account/new/", form | {"custom__reason": "Dormant"}).status_code == 302
    )
    assert account_named("NEWCO").custom_fields == {"reason": "Dormant"}


def test_an_import_that_disables_an_account_without_a_reason_is_refused_row_by_row(
    reason_rule, panel
) -> None:
    add_account("ACME")
    add_account("BETA")
    content = b"code,name,status,reason\nACME,Acme,disabled,\nBETA,Beta,disabled,Moved away\n"

    page = upload(panel, "accounts", content).get_data(as_text=True)

    assert "Nothing was imported" in page
    assert REASON_REQUIRED in page
    assert page.count(REASON_REQUIRED) == 1  # BETA has its reason
    assert account_named("ACME").status == "enabled"

    fixed = b"code,name,status,reason\nACME,Acme,disabled,Bankrupt\n"
    page = upload(panel, "accounts", fixed).get_data(as_text=True)
    assert "it would" in page and "update 1" in page


def test_the_bulk_assign_action_leaves_a_disabled_account_lacking_its_reason(
    reason_rule, panel
) -> None:
    acme = add_account("ACME", status="disabled")
    beta = add_account("BETA")
    kim = make_user("manager", "kim@example.test")

    response = panel.post(
        "/admin/account/assign-manager/",
        {"account_id": [str(acme.id), str(beta.id)], "manager_id": str(kim.id)},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "ACME" in page and REASON_REQUIRED in page
    assert "1 account(s) now have kim@example.test." in page
    assert account_named("ACME").account_manager_id is None
    assert account_named("BETA").account_manager_id == kim.id


def test_the_account_page_will_not_change_the_manager_of_a_disabled_account_lacking_its_reason(
    reason_rule, panel
) -> None:
    acme = add_account("ACME", status="disabled")
    kim = make_user("manager", "kim@example.test")

    response = panel.post(
        f"/admin/account/details/account-manager/?id={acme.id}",
        {"manager_id": str(kim.id), "loaded_version": str(acme.version_id)},
        follow_redirects=True,
    )

    assert REASON_REQUIRED in response.get_data(as_text=True)
    assert account_named("ACME").account_manager_id is None


def test_configure_page_counts_and_fills_only_the_matching_records_lacking_a_reason(
    app, reason_rule
) -> None:
    add_account("ACME", status="disabled")
    add_account("OLD", status="disabled", custom_fields={"reason": "Merged"})
    add_account("BETA")
    boss = Panel(app.test_client())
    boss.login(make_user("super_admin").email)

    page = boss.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)

    assert "1 matching record(s) lack a value" in page
    rule = db.session.scalar(sa.select(FormFieldRule).where(FormFieldRule.field == "reason"))
    filled = boss.post(
        "/admin/configure_forms/fill?entity=Account",
        {"rule_id": str(rule.id), "value": "Closed before 2026"},
        follow_redirects=True,
    )
    assert "Filled reason on 1 record(s)." in filled.get_data(as_text=True)
    assert account_named("ACME").custom_fields == {"reason": "Closed before 2026"}
    assert account_named("OLD").custom_fields == {"reason": "Merged"}
    assert account_named("BETA").custom_fields in ({}, None)


# --- "Credit limit read-only for admins when Type is provider" -----------------------------


@pytest.fixture
def limit_rule(login_as) -> User:
    admin = login_as("admin")
    add_rule(field="credit_limit", role="admin", readonly=True, condition_field="type",
             condition_value="provider")  # fmt: skip
    return admin


def test_a_forged_credit_limit_on_a_provider_is_ignored(limit_rule, panel) -> None:
    supplier = add_account("SUPP", type="provider", credit_limit=Decimal("100.00"))

    page = edit_page(panel, supplier)
    locked = r'<input[^>]*disabled[^>]*name="credit_limit"|name="credit_limit"[^>]*disabled'
    assert re.search(locked, page)
    forged = as_submitted(page, credit_limit="999999.00", name="Supplier Renamed")
    assert panel.post(f"/admin/account/edit/?id={supplier.id}", forged).status_code == 302

    stored = account_named("SUPP")
    assert stored.credit_limit == Decimal("100.00") and stored.name == "Supplier Renamed"


def test_the_same_admin_changes_a_customers_limit(limit_rule, panel) -> None:
    customer = add_account("CUST", type="customer", credit_limit=Decimal("100.00"))

    assert save_edit(panel, customer, credit_limit="2500.00").status_code == 302
    assert account_named("CUST").credit_limit == Decimal("2500.00")


def test_turning_an_account_into_a_provider_and_raising_its_limit_at_once_keeps_the_limit(
    limit_rule, panel
) -> None:
    customer = add_account("CUST", type="customer", credit_limit=Decimal("100.00"))

    assert save_edit(panel, customer, type="provider", credit_limit="2500.00").status_code == 302

    stored = account_named("CUST")
    assert stored.type == "provider" and stored.credit_limit == Decimal("100.00")


def test_an_import_may_not_change_a_providers_limit(limit_rule, panel) -> None:
    add_account("SUPP", type="provider", credit_limit=Decimal("100.00"))
    content = b"code,name,type,credit_limit\nSUPP,Supp,provider,5000.00\n"

    page = upload(panel, "accounts", content).get_data(as_text=True)

    assert "Read-only for your role when type is provider (Configure Forms)" in page
    repeated = b"code,name,type,credit_limit\nSUPP,Supp,provider,100.00\n"
    assert "Nothing was imported" not in upload(panel, "accounts", repeated).get_data(as_text=True)


# --- "Billing e-mail hidden for managers when Group is Public sector" ----------------------


@pytest.fixture
def public_sector(login_as) -> User:
    """A manager of two accounts: PUB in the Public sector group, PRV in another."""
    manager = login_as("manager")
    public = AccountGroup(name="Public sector")
    private = AccountGroup(name="Private")
    db.session.add_all([public, private])
    db.session.commit()
    add_account("PUB", name="Council", group=public, account_manager=manager,
                billing_email=PUBLIC_EMAIL, credit_limit=Decimal("4321.00"))  # fmt: skip
    add_account("PRV", name="Shop", group=private, account_manager=manager,
                billing_email=PRIVATE_EMAIL, credit_limit=Decimal("1234.00"))  # fmt: skip
    for field in ("billing_email", "credit_limit"):
        add_rule(field=field, role="manager", hidden=True, condition_field="group",
                 condition_value=str(public.id))  # fmt: skip
    return manager


def _page(panel: Panel, url: str) -> str:
    response = panel.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_list_blanks_the_billing_email_of_public_sector_accounts_only(
    public_sector, panel
) -> None:
    listing = _page(panel, "/admin/account/")

    assert "Council" in listing and "Shop" in listing
    assert PUBLIC_EMAIL not in listing
    assert PRIVATE_EMAIL in listing


def test_details_and_the_account_page_show_it_for_the_private_account_only(
    public_sector, panel
) -> None:
    pub, prv = account_named("PUB"), account_named("PRV")

    for url in (f"/admin/account/details/?id={pub.id}", f"/admin/account/account/{pub.id}/"):
        if panel.get(url).status_code == 404:
            continue  # the account page's address is checked by test_account_page
        assert PUBLIC_EMAIL not in _page(panel, url)
    assert PRIVATE_EMAIL in _page(panel, f"/admin/account/details/?id={prv.id}")


def test_the_export_blanks_the_cell_of_public_sector_rows(public_sector, panel) -> None:
    rows = list(csv.DictReader(io.StringIO(_page(panel, "/admin/account/export/csv/"))))

    by_code = {row["code"]: row for row in rows}
    assert by_code["PUB"]["billing_email"] == ""
    assert by_code["PRV"]["billing_email"] == PRIVATE_EMAIL


def test_search_filters_sorting_and_look_ups_never_match_the_hidden_address(
    public_sector, panel
) -> None:
    found = _page(panel, "/admin/account/?search=treasury-secret")
    assert "Council" not in found

    listing = _page(panel, "/admin/account/")
    assert "Billing e-mail" in listing  # the column stays, for the accounts it may show
    assert 'placeholder="Code, Name"' in listing  # the search box offers what it matches
    assert "flt0_billing_email" not in listing and 'data-column="billing_email"' not in listing

    looked_up = panel.get("/admin/user/ajax/lookup/?name=account&query=treasury").get_json()
    assert looked_up == [] or all("Council" not in str(item) for item in looked_up)


def test_a_list_cannot_be_sorted_by_a_field_hidden_from_some_rows(public_sector, panel) -> None:
    public = db.session.scalar(sa.select(AccountGroup).where(AccountGroup.name == "Public sector"))
    add_rule(field="name", role="manager", hidden=True, condition_field="group",
             condition_value=str(public.id))  # fmt: skip

    listing = _page(panel, "/admin/account/")

    assert 'title="Sort by Code"' in listing
    assert 'title="Sort by Name"' not in listing
    assert "Council" not in listing and "Shop" in listing
    crafted = [_page(panel, f"/admin/account/?sort={index}") for index in range(12)]
    assert all("Council" not in page for page in crafted)


def test_the_rule_holds_when_the_condition_field_is_itself_hidden_from_managers(
    public_sector, panel
) -> None:
    add_rule(field="group", role="manager", hidden=True)

    listing = _page(panel, "/admin/account/")

    assert "Public sector" not in listing
    assert PUBLIC_EMAIL not in listing and PRIVATE_EMAIL in listing


def test_the_credit_report_and_an_alert_leave_out_a_limit_hidden_for_some_accounts(
    public_sector, panel
) -> None:
    add_invoice(account_named("PUB"), "INV-1", "5000.00")
    add_invoice(account_named("PRV"), "INV-2", "50.00")

    report = _page(panel, "/admin/reports/period/credit/download/csv")
    assert "PUB" in report and "PRV" in report
    assert "4321" not in report and "1234" not in report  # reports treat it as hidden throughout
    assert "(hidden)" in report

    detect_credit_limit_crossings(db.session)
    db.session.commit()
    alert = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.event == "credit_limit_exceeded")
    )
    assert public_sector.email in alert.to_addresses
    assert "4,321.00" not in alert.body_text and "(hidden)" in alert.body_text


def test_an_admin_reads_every_billing_email(public_sector, app) -> None:
    admin = Panel(app.test_client())
    admin.login(make_user("admin").email)

    listing = _page(admin, "/admin/account/")

    assert PUBLIC_EMAIL in listing and PRIVATE_EMAIL in listing


# --- the grid: one validation for every rule ----------------------------------------------


@pytest.fixture
def super_admin_panel(login_as, panel) -> Panel:
    login_as("super_admin")
    return panel


def add_from_grid(panel: Panel, **fields: str) -> str:
    response = panel.post(
        "/admin/configure_forms/conditional/add?entity=Account", fields, follow_redirects=True
    )
    return response.get_data(as_text=True)


def test_the_grid_adds_a_conditional_rule_lists_it_audits_it_and_deletes_it(
    super_admin_panel,
) -> None:
    page = add_from_grid(super_admin_panel, field="billing_phone", role="manager", hidden="on",
                         condition_field="status", condition_value="Disabled")  # fmt: skip

    assert (
        "Saved the rule: Account.billing_phone for manager when status is &#39;disabled&#39;"
        in page
    )
    table = page.split('data-testid="conditional-rules"')[1].split("</table>")[0]
    assert "Billing phone" in table and "disabled" in table
    rule = db.session.scalar(sa.select(FormFieldRule).where(FormFieldRule.field == "billing_phone"))
    assert (rule.condition_field, rule.condition_value, rule.hidden) == ("status", "disabled", True)
    audited = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "form_rule_changed")
    )
    assert audited.changes["condition"] == "status = disabled"

    super_admin_panel.post(
        "/admin/configure_forms/conditional/delete?entity=Account", {"rule_id": str(rule.id)}
    )
    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 0


@pytest.mark.parametrize(
    ("condition_field", "condition_value", "message"),
    [
        ("shoe_size", "42", "Account has no field &#39;shoe_size&#39; to set a condition on."),
        ("status", "paused", "Status is one of enabled, disabled."),
        ("billing_phone", "x", "A rule on billing_phone cannot depend on billing_phone itself."),
        ("group", "999999", "No AccountGroup has the id 999999."),
        ("payment_terms_days", "soon", "Payment terms (days) must be a whole number."),
    ],
)
def test_the_grid_refuses_a_condition_it_cannot_check(
    condition_field, condition_value, message, super_admin_panel
) -> None:
    page = add_from_grid(super_admin_panel, field="billing_phone", role="manager", hidden="on",
                         condition_field=condition_field,
                         condition_value=condition_value)  # fmt: skip

    assert message in page and "The conditional rule was not saved." in page
    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 0


def test_the_grid_refuses_a_conditional_rule_that_locks_out_creating_records(
    super_admin_panel,
) -> None:
    page = add_from_grid(super_admin_panel, field="code", role="admin", readonly="on",
                         condition_field="status", condition_value="enabled")  # fmt: skip

    assert "code cannot be hidden or read-only for admin" in page
    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 0


def test_a_field_always_read_only_cannot_be_required_on_a_condition(super_admin_panel) -> None:
    add_rule(field="billing_phone", role="admin", readonly=True)

    page = add_from_grid(super_admin_panel, field="billing_phone", role="admin", required="on",
                         condition_field="status", condition_value="disabled")  # fmt: skip

    assert "it is always read-only for admin" in page
    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 1


def test_the_raw_rule_list_goes_through_the_same_validation(super_admin_panel) -> None:
    response = super_admin_panel.post(
        "/admin/formfieldrule/new/",
        {
            "entity": "Account",
            "field": "billing_phone",
            "role": "manager",
            "hidden": "y",
            "condition_field": "shoe_size",
            "condition_value": "42",
        },  # fmt: skip
    )

    assert "Account has no field &#39;shoe_size&#39; to set a condition on." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 0


def test_the_grids_switches_leave_conditional_rules_alone(super_admin_panel) -> None:
    add_rule(field="billing_phone", role="manager", hidden=True, condition_field="status",
             condition_value="disabled")  # fmt: skip

    super_admin_panel.post("/admin/configure_forms/save?entity=Account", {})

    assert db.session.scalar(sa.select(sa.func.count(FormFieldRule.id))) == 1


def test_an_admins_own_export_imports_back_without_clearing_what_it_hid(login_as, panel) -> None:
    login_as("admin")
    public = AccountGroup(name="Public sector")
    db.session.add(public)
    db.session.commit()
    add_account("PUB", group=public, billing_email=PUBLIC_EMAIL)
    add_account("PRV", billing_email=PRIVATE_EMAIL)
    add_rule(field="billing_email", role="admin", hidden=True, condition_field="group",
             condition_value=str(public.id))  # fmt: skip
    exported = panel.get("/admin/account/export/csv/").get_data()
    assert PUBLIC_EMAIL.encode() not in exported and PRIVATE_EMAIL.encode() in exported

    page = upload(panel, "accounts", exported).get_data(as_text=True)

    assert "Nothing was imported" not in page, page
    assert account_named("PUB").billing_email == PUBLIC_EMAIL

    forged = b"code,name,billing_email\nPUB,PUB Ltd,forged@public.test\n"
    page = upload(panel, "accounts", forged).get_data(as_text=True)
    assert "Hidden from your role when group is Public sector (Configure Forms)" in page
    assert account_named("PUB").billing_email == PUBLIC_EMAIL


def test_a_field_hidden_on_a_condition_is_dropped_from_a_save_whose_values_meet_it(
    login_as, panel
) -> None:
    login_as("admin")
    add_rule(field="billing_phone", role="admin", hidden=True, condition_field="status",
             condition_value="disabled")  # fmt: skip
    acme = add_account("ACME", billing_phone="0113 000")
    new_form = panel.get("/admin/account/new/").get_data(as_text=True)
    assert 'name="billing_phone"' in new_form  # drawn; the page hides it while status is disabled

    assert save_edit(panel, acme, status="disabled", billing_phone="0999 999").status_code == 302

    stored = account_named("ACME")
    assert stored.status == "disabled" and stored.billing_phone == "0113 000"
    assert 'name="billing_phone"' not in edit_page(panel, stored)

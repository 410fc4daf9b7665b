"""Configure Forms: per-role hidden, required and read-only fields, enforced on the server."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from app import create_app
from extensions import db
from models import Account, AccountGroup, AuditEvent, FormFieldRule
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice

ACCOUNT_FORM = {"code": "ACME", "name": "Acme Ltd", "type": "customer", "status": "enabled",
                "payment_terms_days": "30"}  # fmt: skip
EDITING_ROLES = ["super_admin", "admin"]
ALL_ROLES = ["super_admin", "admin", "manager", "analyst"]


def set_rule(field: str, role: str, **switches: bool) -> None:
    db.session.add(FormFieldRule(entity="Account", field=field, role=role, **switches))
    db.session.commit()


def exported_header(panel: Panel) -> list[str]:
    body = panel.get("/admin/account/export/csv/").get_data(as_text=True)
    return next(csv.reader(io.StringIO(body)))


@pytest.fixture
def account(login_as, request) -> Account:
    return add_account("ACME", billing_phone="+44 1234", credit_limit=100)


def log_in_with_access(login_as, role: str, account: Account) -> None:
    user = login_as(role)
    if role == "manager":
        account.account_manager_id = user.id
        db.session.commit()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_hidden_field_is_absent_everywhere_for_that_role(role, account, login_as, panel) -> None:
    set_rule("billing_phone", role, hidden=True)
    log_in_with_access(login_as, role, account)
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert "ACME Ltd" in listing  # the account is listed, without its phone
    assert "Billing phone" not in listing and "+44 1234" not in listing
    details = panel.get(f"/admin/account/details/?id={account.id}").get_data(as_text=True)
    assert "ACME Ltd" in details
    assert "Billing phone" not in details and "+44 1234" not in details
    assert "Billing phone" not in exported_header(panel)
    if role in EDITING_ROLES:
        form = panel.get(f"/admin/account/edit/?id={account.id}").get_data(as_text=True)
        assert 'name="billing_phone"' not in form


def test_hidden_field_cannot_be_searched_filtered_or_sorted(account, login_as, panel) -> None:
    set_rule("billing_email", "analyst", hidden=True)
    set_rule("credit_limit", "analyst", hidden=True)
    add_account("OTHER", billing_email="secret@other.test")
    login_as("analyst")
    found = panel.get("/admin/account/?search=secret@other").get_data(as_text=True)
    assert "OTHER Ltd" not in found
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert "Credit limit" not in listing
    crafted_filter = panel.get("/admin/account/?flt0_credit_limit_greater_than=50")
    assert "OTHER Ltd" in crafted_filter.get_data(as_text=True)  # the filter is ignored


def test_other_roles_still_see_a_field_hidden_for_one_role(account, login_as, panel) -> None:
    set_rule("billing_phone", "analyst", hidden=True)
    login_as("admin")
    assert "+44 1234" in panel.get("/admin/account/").get_data(as_text=True)


@pytest.mark.parametrize("role", EDITING_ROLES)
def test_crafted_post_of_a_hidden_field_changes_nothing(role, account, login_as, panel) -> None:
    set_rule("billing_phone", role, hidden=True)
    login_as(role)
    response = panel.post(
        f"/admin/account/edit/?id={account.id}",
        ACCOUNT_FORM | {"name": "Renamed", "billing_phone": "HACKED",
                        "loaded_version": str(account.version_id)},
    )  # fmt: skip
    assert response.status_code == 302
    saved = db.session.get(Account, account.id)
    assert saved.name == "Renamed" and saved.billing_phone == "+44 1234"
    dropped = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "forbidden_fields_dropped")
    )
    assert dropped.changes == {"fields": ["billing_phone"]}


@pytest.mark.parametrize("role", EDITING_ROLES)
def test_readonly_field_is_shown_but_never_written(role, account, login_as, panel) -> None:
    set_rule("credit_limit", role, readonly=True)
    login_as(role)
    form = panel.get(f"/admin/account/edit/?id={account.id}").get_data(as_text=True)
    field_tag = form[
        form.index('name="credit_limit"') - 200 : form.index('name="credit_limit"') + 200
    ]
    assert "disabled" in field_tag and "100" in field_tag
    panel.post(
        f"/admin/account/edit/?id={account.id}",
        ACCOUNT_FORM | {"credit_limit": "999999", "loaded_version": str(account.version_id)},
    )
    assert db.session.get(Account, account.id).credit_limit == 100


READ_ONLY_ON_CREATE = [  # (field, what a new account gets: the column's default or nothing)
    ("type", "customer"),
    ("status", "enabled"),
    ("payment_terms_days", 30),
    ("group", None),
    ("account_manager", None),
]


@pytest.mark.parametrize(("field", "default"), READ_ONLY_ON_CREATE)
def test_admin_creates_an_account_whatever_fields_are_read_only(field, default, login_as, panel):
    set_rule(field, "admin", readonly=True)
    login_as("admin")
    page = panel.get("/admin/account/new/").get_data(as_text=True)
    assert f'name="{field}"' in page
    response = panel.post("/admin/account/new/", as_submitted(page, code="ACME", name="Acme"))
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert getattr(created, field) == default


STORED_BY_FIELD = {"type": "provider", "status": "disabled", "payment_terms_days": 60}
NONSENSE_BY_FIELD = {"type": "bogus", "status": "", "payment_terms_days": "many",
                     "group": "999999", "account_manager": "abc"}  # fmt: skip


@pytest.mark.parametrize("crafted", [False, True], ids=["as the browser posts", "crafted post"])
@pytest.mark.parametrize("field", list(NONSENSE_BY_FIELD))
def test_admin_edit_keeps_the_stored_value_of_a_read_only_field(field, crafted, login_as, panel):
    manager = make_user("manager")
    stored = STORED_BY_FIELD | {"group": AccountGroup(name="North"), "account_manager": manager}
    account = add_account("ACME", **stored)
    set_rule(field, "admin", readonly=True)
    login_as("admin")
    page = panel.get(f"/admin/account/edit/?id={account.id}").get_data(as_text=True)
    posted = {field: NONSENSE_BY_FIELD[field]} if crafted else {}
    response = panel.post(
        f"/admin/account/edit/?id={account.id}", as_submitted(page, name="Renamed", **posted)
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = db.session.get(Account, account.id)
    assert saved.name == "Renamed" and getattr(saved, field) == stored[field]


@pytest.mark.parametrize("role", EDITING_ROLES)
def test_required_field_is_marked_and_enforced_on_the_server(role, login_as, panel) -> None:
    set_rule("billing_email", role, required=True)
    login_as(role)
    form = panel.get("/admin/account/new/").get_data(as_text=True)
    tag_start = form.index('name="billing_email"')
    assert "required" in form[tag_start - 300 : tag_start + 200]
    response = panel.post("/admin/account/new/", ACCOUNT_FORM | {"billing_email": "  "})
    assert "This field is required." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Account).where(Account.code == "ACME")) is None
    ok = panel.post("/admin/account/new/", ACCOUNT_FORM | {"billing_email": "ap@acme.test"})
    assert ok.status_code == 302


def test_record_created_before_a_field_became_required_opens_and_asks(account, login_as, panel):
    set_rule("billing_email", "admin", required=True)
    login_as("admin")
    assert panel.get(f"/admin/account/edit/?id={account.id}").status_code == 200
    response = panel.post(
        f"/admin/account/edit/?id={account.id}",
        ACCOUNT_FORM | {"name": "Changed", "loaded_version": str(account.version_id)},
    )
    assert "This field is required." in response.get_data(as_text=True)
    assert db.session.get(Account, account.id).name == "ACME Ltd"


def grid_form(**checked: bool) -> dict[str, str]:
    return {name: "on" for name, on in checked.items() if on}


def test_super_admin_saves_the_grid_and_the_change_is_audited(login_as, panel) -> None:
    login_as("super_admin")
    page = panel.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    assert "rule|billing_phone|manager|hidden" in page
    response = panel.post(
        "/admin/configure_forms/save?entity=Account",
        {"rule|billing_phone|manager|hidden": "on", "rule|credit_limit|admin|readonly": "on"},
    )
    assert response.status_code == 302
    rules = db.session.execute(
        sa.select(FormFieldRule.field, FormFieldRule.role, FormFieldRule.hidden,
                  FormFieldRule.readonly).order_by(FormFieldRule.field)
    ).all()  # fmt: skip
    assert rules == [
        ("billing_phone", "manager", True, False),
        ("credit_limit", "admin", False, True),
    ]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "form_rule_changed")
    ).all()
    assert {event.entity_id for event in events} == {
        "Account.billing_phone.manager",
        "Account.credit_limit.admin",
    }
    panel.post("/admin/configure_forms/save?entity=Account", {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FormFieldRule)) == 0


@pytest.mark.parametrize("switch", ["hidden", "readonly"])
def test_grid_refuses_to_lock_out_a_field_every_new_record_needs(switch, login_as, panel) -> None:
    login_as("super_admin")
    response = panel.post(
        "/admin/configure_forms/save?entity=Account",
        {f"rule|code|admin|{switch}": "on"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "code cannot be hidden or read-only for admin" in page and "Nothing was saved." in page
    assert db.session.scalar(sa.select(FormFieldRule)) is None


def test_grid_allows_hiding_a_needed_field_from_a_role_that_never_creates(login_as, panel):
    login_as("super_admin")
    panel.post("/admin/configure_forms/save?entity=Account", {"rule|code|analyst|hidden": "on"})
    assert db.session.scalar(sa.select(FormFieldRule.field)) == "code"


def test_grid_refuses_hidden_and_required_together(login_as, panel) -> None:
    login_as("super_admin")
    response = panel.post(
        "/admin/configure_forms/save?entity=Account",
        {"rule|billing_phone|admin|hidden": "on", "rule|billing_phone|admin|required": "on"},
        follow_redirects=True,
    )
    assert "cannot be both hidden and required" in response.get_data(as_text=True)


def test_only_super_admins_open_configure_forms(login_as, panel) -> None:
    login_as("admin")
    assert panel.get("/admin/configure_forms/").status_code == 403
    assert panel.get("/admin/account/preview/?role=admin").status_code == 403
    assert panel.post("/admin/configure_forms/save?entity=Account", {}).status_code == 403


def test_rule_saved_by_one_user_applies_to_anothers_next_request(app, account, login_as, panel):
    login_as("admin")
    assert "+44 1234" in panel.get("/admin/account/").get_data(as_text=True)
    boss = Panel(app.test_client())
    make_user("super_admin", "boss@example.test")
    boss.login("boss@example.test")
    boss.post(
        "/admin/configure_forms/save?entity=Account", {"rule|billing_phone|admin|hidden": "on"}
    )
    assert "+44 1234" not in panel.get("/admin/account/").get_data(as_text=True)


def test_rule_saved_in_one_worker_applies_in_another(app, account, login_as, panel) -> None:
    other_worker = create_app(dict(app.config))
    worker_panel = Panel(other_worker.test_client())
    make_user("admin", "second@example.test")
    worker_panel.login("second@example.test")
    assert "+44 1234" in worker_panel.get("/admin/account/").get_data(as_text=True)
    login_as("super_admin")
    panel.post(
        "/admin/configure_forms/save?entity=Account", {"rule|billing_phone|admin|hidden": "on"}
    )
    assert "+44 1234" not in worker_panel.get("/admin/account/").get_data(as_text=True)


def test_rules_are_not_rebuilt_when_nothing_changed(app, account, login_as, panel) -> None:
    set_rule("billing_phone", "admin", hidden=True)
    login_as("admin")
    panel.get("/admin/account/")
    cached = app.extensions["rule_book"].rules[("Account", "admin")]
    panel.get("/admin/account/")
    assert app.extensions["rule_book"].rules[("Account", "admin")] is cached


def test_preview_renders_the_form_as_the_role_sees_it_and_cannot_save(login_as, panel) -> None:
    set_rule("billing_phone", "admin", hidden=True)
    set_rule("credit_limit", "admin", readonly=True)
    login_as("super_admin")
    grid = panel.get("/admin/configure_forms/?entity=Account").get_data(as_text=True)
    assert "/admin/account/preview/?role=admin" in grid
    page = panel.get("/admin/account/preview/?role=admin").get_data(as_text=True)
    assert 'name="billing_phone"' not in page and 'name="code"' in page
    assert "cannot be saved" in page and "<fieldset disabled" in page
    assert panel.post("/admin/account/preview/?role=admin", {}).status_code == 405
    own = panel.get("/admin/account/new/").get_data(as_text=True)
    assert 'name="billing_phone"' in own  # the super admin's own form is unaffected


def test_hiding_an_amount_hides_the_figures_that_reveal_it(login_as, panel) -> None:
    db.session.add(FormFieldRule(entity="Invoice", field="amount", role="analyst", hidden=True))
    add_invoice(add_account("ACME"), "INV-1", "1234.50")
    login_as("analyst")
    listing = panel.get("/admin/invoice/").get_data(as_text=True)
    assert "1,234.50" not in listing
    for revealing in ("Open", "Paid", "Overdue"):  # the derived columns' headers
        assert not re.search(rf">\s*{revealing}\s*</a>|<th[^>]*>\s*{revealing}\s*<", listing)

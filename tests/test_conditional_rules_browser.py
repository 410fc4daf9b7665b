"""Conditional rules followed live in Chromium: as the admin changes an account's status and type,
the form asks for a reason, locks the credit limit and hides the billing phone, before any save;
and the save still goes by the server's rules. Screenshots go to /tmp/shots-condrules/."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from extensions import db
from models import Account, CustomField, FormFieldRule
from tests.browser import csp_refusals, log_in, needs_chromium
from tests.conftest import make_user
from tests.factories import add_account

pytestmark = needs_chromium
SHOTS = Path("/tmp/shots-condrules")


def choose(page, name: str, value: str) -> None:
    """Pick an option of a select (drawn by select2) as a user does: select2 announces it."""
    page.evaluate(
        "([name, value]) => { const select = document.querySelector(`select[name=${name}]`);"
        " select.value = value; window.jQuery(select).trigger('change'); }",
        [name, value],
    )


def group_hidden(page, name: str) -> bool:
    return page.evaluate(f"document.getElementById('{name}').closest('.form-group').hidden")


def test_the_account_form_follows_conditional_rules_as_the_admin_types(
    live_server, browser_page
) -> None:
    page = browser_page
    db.session.add(CustomField(entity="Account", key="reason", label="Reason", type="text"))
    db.session.add_all(
        [
            FormFieldRule(entity="Account", field="reason", role="admin", required=True,
                          condition_field="status", condition_value="disabled"),
            FormFieldRule(entity="Account", field="credit_limit", role="admin", readonly=True,
                          condition_field="type", condition_value="provider"),
            FormFieldRule(entity="Account", field="billing_phone", role="admin", hidden=True,
                          condition_field="status", condition_value="disabled"),
        ]
    )  # fmt: skip
    acme = add_account("ACME", type="customer", credit_limit=Decimal("500.00"),
                       billing_phone="0113 496 0000")  # fmt: skip
    refused = csp_refusals(page)
    log_in(page, live_server, make_user("admin").email)
    SHOTS.mkdir(exist_ok=True)

    page.goto(f"{live_server}/admin/account/edit/?id={acme.id}")
    page.screenshot(path=str(SHOTS / "form-enabled-customer.png"), full_page=True)
    reason = page.locator("input[name=custom__reason]")
    assert not reason.evaluate("input => input.required")
    assert page.locator("input[name=credit_limit]").is_enabled()
    assert not group_hidden(page, "billing_phone")

    choose(page, "status", "disabled")
    page.fill("input[name=credit_limit]", "999999.00")  # typed before the lock: undone by it
    choose(page, "type", "provider")
    page.screenshot(path=str(SHOTS / "form-disabled-provider.png"), full_page=True)

    assert reason.evaluate("input => input.required")
    label = page.locator("label[for=custom__reason]").inner_text()
    assert "*" in label
    assert page.locator("input[name=credit_limit]").is_disabled()
    assert page.locator("input[name=credit_limit]").input_value() == "500.00"
    assert group_hidden(page, "billing_phone")

    choose(page, "status", "enabled")
    assert not reason.evaluate("input => input.required")
    assert not group_hidden(page, "billing_phone")
    choose(page, "status", "disabled")

    reason.fill("Ceased trading")
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(f"{live_server}/admin/account/**")
    assert "Record was successfully saved." in page.content()
    db.session.expire_all()
    saved = db.session.scalar(sa.select(Account).where(Account.code == "ACME"))
    assert (saved.status, saved.type) == ("disabled", "provider")
    assert saved.custom_fields == {"reason": "Ceased trading"}
    assert saved.credit_limit == Decimal("500.00")
    assert saved.billing_phone == "0113 496 0000"
    assert refused == [], refused


def test_a_super_admin_adds_a_conditional_rule_on_the_configure_page(
    live_server, browser_page
) -> None:
    page = browser_page
    db.session.add(CustomField(entity="Account", key="reason", label="Reason", type="text"))
    db.session.commit()
    refused = csp_refusals(page)
    log_in(page, live_server, make_user("super_admin").email)
    SHOTS.mkdir(exist_ok=True)

    page.goto(f"{live_server}/admin/configure_forms/?entity=Account")
    form = page.locator("[data-testid=add-conditional-rule]")
    form.locator("select[name=field]").select_option("reason")
    form.locator("select[name=role]").select_option("admin")
    form.locator("input[name=required]").check()
    form.locator("select[name=condition_field]").select_option("status")
    assert form.locator("input[name=condition_value]").get_attribute("list") == "cr-values-status"
    form.locator("input[name=condition_value]").fill("disabled")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/admin/configure_forms/**")
    page.locator("#conditional-rules").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "configure-added.png"))

    assert "Saved the rule: Account.reason for admin when status is 'disabled'" in page.content()
    rows = page.locator("[data-testid=conditional-rules] tbody tr").all_inner_texts()
    assert any("Reason" in row and "Admin" in row and "Status is disabled" in row for row in rows)
    assert refused == [], refused

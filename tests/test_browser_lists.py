"""In Chromium: a super admin sets the managers' Accounts list (columns, order, sort, filter, page
size); a manager opens it, adds a column with the column chooser, saves the result as a named view
and opens it again. Screenshots (1366x900) go to /tmp/shots-lists/."""

from __future__ import annotations

from pathlib import Path

from tests.browser import csp_refusals, log_in, needs_chromium, open_settings_page
from tests.conftest import make_user
from tests.factories import add_account

pytestmark = needs_chromium

SHOTS = Path("/tmp/shots-lists")
HIDDEN_COLUMNS = ("type", "group", "account_manager", "billing_email", "billing_phone",
                  "credit_limit", "balance")  # fmt: skip


def headers(page) -> list[str]:
    return page.eval_on_selector_all(
        "table.model-list th.column-header", "cells => cells.map(c => c.innerText.trim())"
    )


def column_cells(page, column: str) -> list[str]:
    return page.eval_on_selector_all(
        f"table.model-list td.col-{column}", "cells => cells.map(c => c.innerText.trim())"
    )


def test_super_admin_sets_the_managers_account_list_and_a_manager_saves_a_view(
    live_server,
    browser_page,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page
    refused = csp_refusals(page)
    north = make_user("manager", "north@example.test")
    accounts = [("C1", "Delta", "enabled", 500), ("C2", "Alpha", "enabled", 0),
                ("C3", "Echo", "disabled", 0), ("C4", "Bravo", "enabled", 900)]  # fmt: skip
    for code, name, status, limit in accounts:
        add_account(code, name=name, status=status, account_manager=north, credit_limit=limit)
    add_account("S1", name="Southern")
    super_admin = make_user("super_admin")

    log_in(page, live_server, super_admin.email)
    open_settings_page(page, live_server, "Configure lists", "manager")
    page.select_option("#entity", "Account")
    page.click("button:has-text('Open')")
    for column in HIDDEN_COLUMNS:
        page.uncheck(f"#list-columns li[data-list-column={column}] input[type=checkbox]")
    page.click("#list-columns li[data-list-column=name] [data-move=up]")
    page.select_option("#sort", "name")
    page.select_option("#filter0", label="Status equals")
    page.fill("#filter0_value", "enabled")
    page.fill("#page_size", "10")
    page.click("form[data-testid=list-editor] button:has-text('Save')")
    assert "The Accounts list of the manager role was saved." in page.content()
    order = page.eval_on_selector_all(
        "#list-columns li", "rows => rows.map(r => r.dataset.listColumn)"
    )
    assert order[:3] == ["name", "code", "status"]
    page.screenshot(path=str(SHOTS / "journey-1-configure-lists.png"), full_page=True)
    page.click("form[action='/logout'] button")

    log_in(page, live_server, north.email)
    page.goto(f"{live_server}/admin/account/")
    assert headers(page) == ["Name", "Code", "Status"]
    assert column_cells(page, "name") == ["Alpha", "Bravo", "Delta"]  # enabled, by name, theirs
    assert "Southern" not in page.content()

    page.click("[data-testid=columns-toggle]")
    page.check("#column-chooser-list li[data-list-column=credit_limit] input[type=checkbox]")
    for _ in range(8):  # below the shown columns and a few hidden ones: to the top
        page.click("#column-chooser-list li[data-list-column=credit_limit] [data-move=up]")
    page.click("[data-testid=apply-columns]")
    assert headers(page) == ["Credit limit", "Name", "Code", "Status"]
    assert column_cells(page, "credit_limit") == ["0.00", "900.00", "500.00"]
    assert page.is_visible("#view-name")  # the chooser stays open, to save what it shows
    page.fill("#view-name", "Credit first")
    page.screenshot(path=str(SHOTS / "journey-2-list-with-chooser.png"), full_page=False)
    page.click("form[data-testid=save-view] button:has-text('Save as a view')")
    assert "was saved (yours)" in page.content()
    assert "?view=" in page.url

    page.goto(page.url)  # the view's address, opened again
    assert headers(page) == ["Credit limit", "Name", "Code", "Status"]
    assert "View: Credit first" in page.inner_text("[data-testid=view-picker]")
    assert "Exports of this view carry its columns" in page.inner_text("[data-testid=list-chooser]")
    page.click("[data-testid=view-picker]")
    page.screenshot(path=str(SHOTS / "journey-3-saved-view.png"), full_page=False)
    assert refused == [], refused

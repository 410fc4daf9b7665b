"""In Chromium: a super admin adds a widget to the manager's dashboard, previews it, and the
manager then finds it on their home page. Screenshots (1366x900) go to /tmp/shots-dashboards/."""

from __future__ import annotations

from pathlib import Path

from tests.browser import csp_refusals, log_in, needs_chromium, open_settings_page
from tests.conftest import make_user
from tests.dashboard_world import build_world

pytestmark = needs_chromium

SHOTS = Path("/tmp/shots-dashboards")


def test_super_admin_adds_a_chart_to_the_manager_dashboard_and_the_manager_sees_it(
    live_server,
    browser_page,
    today,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page
    refused = csp_refusals(page)
    world = build_world(today)
    super_admin = make_user("super_admin")

    log_in(page, live_server, super_admin.email)
    open_settings_page(page, live_server, "Configure dashboards", "manager")
    page.select_option("#add-widget", "collections_chart")
    page.click("button:has-text('Add widget')")
    assert "The manager dashboard was saved." in page.content()
    added = page.locator("tr[data-testid=placement]").last
    assert "Collections by month" in added.inner_text()
    added.locator("input[type=number]").fill("3")
    page.click("button:has-text('Save')")
    page.screenshot(path=str(SHOTS / "journey-1-editor.png"), full_page=True)
    assert page.locator("tr[data-testid=placement]").last.locator("input").last.input_value() == "3"

    page.click("[data-testid=preview]")
    preview = page.locator("[data-testid=widget-collections_chart]")
    assert "GBP" in preview.inner_text()
    page.screenshot(path=str(SHOTS / "journey-2-preview.png"), full_page=True)
    page.click("form[action='/logout'] button")

    log_in(page, live_server, world.north.email)
    chart = page.locator("[data-testid=widget-collections_chart]")
    assert "COLLECTIONS BY MONTH" in chart.inner_text().upper()
    assert chart.locator("svg rect title").last.text_content().endswith("GBP 100.00")
    assert "SOUTH" not in page.content()
    page.screenshot(path=str(SHOTS / "journey-3-manager.png"), full_page=False)
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "journey-4-manager-chart.png"), full_page=False)
    assert refused == [], refused

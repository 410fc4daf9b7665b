"""Settings → Configure dashboards: the super admin arranges each role's dashboard; every save is
checked (forged widgets and parameters refused), audited, and reaches the role's page."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from extensions import db
from models import AuditEvent, DashboardLayout
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.dashboard_world import build_world
from tests.page_text import flashed, widget_text, widget_texts

EDITOR = "/admin/configure-dashboards/"


def editor(panel: Panel, role: str) -> str:
    response = panel.get(f"{EDITOR}?role={role}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def submit(panel: Panel, role: str, **changes: str) -> str:
    """Post the editor as a browser would, with `changes` typed in; the page it lands on."""
    form = as_submitted(editor(panel, role), which="configure-dashboards/save", **changes)
    response = panel.post(f"{EDITOR}save?role={role}", form)
    assert response.status_code == 302
    return panel.get(response.headers["Location"]).get_data(as_text=True)


def stored(role: str) -> list[dict[str, Any]] | None:
    db.session.expire_all()
    layout = db.session.scalar(sa.select(DashboardLayout).where(DashboardLayout.role == role))
    return None if layout is None else layout.widgets


def audits() -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "DashboardLayout")
    ).all()


def test_super_admin_adds_a_widget_to_the_manager_dashboard_and_the_manager_sees_it(
    app, login_as, panel, today
) -> None:
    world = build_world(today)
    login_as("super_admin")

    landed = submit(panel, "manager", action="add", add_widget="top_overdue_accounts")

    assert "The manager dashboard was saved." in flashed(landed)
    assert stored("manager")[-1] == {"widget": "top_overdue_accounts", "params": {"limit": 5}}
    (event,) = audits()
    assert event.entity_id == "manager" and event.actor_email == "super_admin@example.test"
    assert event.changes["widgets"]["after"][-1]["widget"] == "top_overdue_accounts"

    manager = Panel(app.test_client())
    manager.login(world.north.email)
    page = manager.get("/admin/").get_data(as_text=True)
    assert "NORTH — NORTH Ltd GBP 500.00" in widget_text(page, "top_overdue_accounts")
    assert "SOUTH" not in page


def test_parameters_reorder_and_removal_are_saved(login_as, panel) -> None:
    login_as("super_admin")
    submit(panel, "analyst", **{"w4.by": "account", "w4.top": "12"})
    assert stored("analyst")[4] == {"widget": "aging_chart", "params": {"by": "account", "top": 12}}

    submit(panel, "analyst", action="up:4")
    assert [p["widget"] for p in stored("analyst")[3:5]] == ["aging_chart", "dso"]

    submit(panel, "analyst", action="remove:0")
    assert stored("analyst")[0]["widget"] == "overdue"
    assert len(audits()) == 3


def test_back_to_the_default_layout(login_as, panel) -> None:
    login_as("super_admin")
    submit(panel, "admin", action="remove:0")
    assert stored("admin") is not None

    page = editor(panel, "admin")
    reset = as_submitted(page, which="configure-dashboards/reset?role=admin")
    assert "Back to the default</button>" in page and reset["csrf_token"]
    response = panel.post_without_csrf(f"{EDITOR}reset?role=admin", reset)

    assert response.status_code == 302 and stored("admin") is None
    assert len(audits()) == 2
    assert "Total due" in editor(panel, "admin")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"w0.widget": "drop_tables"}, "Widget 1: there is no widget 'drop_tables'."),
        ({"w1.past_due": "45"}, "Widget 2 (Overdue): Count invoices: '45' is not one of"),
        ({"w2.threshold_percent": "many"}, "Threshold (%) must be a whole number."),
        ({"w2.threshold_percent": "100000"}, "Threshold (%) must be between 1 and 1000."),
        ({"w2.sql": "1; DROP TABLE users"}, "Widget 3 (Credit used): it has no parameter 'sql'."),
        ({"w6.by": "password_hash"}, "By: 'password_hash' is not one of the choices."),
        ({"action": "add", "add_widget": "emails_failed"},
         "Widget 8 (E-mails failed) reads fields or records the manager role may not read."),
    ],
)  # fmt: skip
def test_a_forged_widget_or_parameter_is_refused_and_nothing_is_saved(
    changes, reason, login_as, panel
) -> None:
    login_as("super_admin")

    landed = submit(panel, "manager", **changes)

    assert reason in flashed(landed) and "Nothing was saved." in flashed(landed)
    assert stored("manager") is None and audits() == []


def test_too_many_widgets_or_a_malformed_form_is_refused(login_as, panel) -> None:
    login_as("super_admin")
    form = as_submitted(editor(panel, "analyst"), which="configure-dashboards/save")

    assert panel.post(f"{EDITOR}save?role=analyst", {**form, "count": "x"}).status_code == 400
    assert panel.post(f"{EDITOR}save?role=analyst", {**form, "count": "999"}).status_code == 400
    assert panel.post(f"{EDITOR}save?role=analyst", {**form, "action": "up:99"}).status_code == 400
    assert panel.post(f"{EDITOR}save?role=individual", form).status_code == 404
    many = {f"w{i}.widget": "total_due" for i in range(31)}
    landed = panel.post(f"{EDITOR}save?role=analyst", {"version": "0", "count": "31", **many})
    assert "at most 30 widgets" in flashed(panel.get(landed.headers["Location"]).get_data(True))
    assert stored("analyst") is None


def test_a_layout_saved_meanwhile_is_not_overwritten(login_as, panel) -> None:
    login_as("super_admin")
    stale_form = as_submitted(editor(panel, "analyst"), which="configure-dashboards/save")
    submit(panel, "analyst", action="remove:0")

    response = panel.post(f"{EDITOR}save?role=analyst", {**stale_form, "action": "remove:1"})

    assert "Someone saved this dashboard meanwhile" in flashed(
        panel.get(response.headers["Location"]).get_data(as_text=True)
    )
    assert stored("analyst")[0]["widget"] == "overdue" and len(stored("analyst")) == 7


@pytest.mark.parametrize("role", ["admin", "manager", "analyst"])
def test_only_super_admins_configure_dashboards(role, login_as, panel) -> None:
    login_as(role)
    assert panel.get(EDITOR).status_code == 403
    assert panel.get(f"{EDITOR}preview?role=manager").status_code == 403
    forged = {"version": "0", "count": "1", "w0.widget": "total_due"}
    assert panel.post(f"{EDITOR}save?role={role}", forged).status_code == 403
    assert panel.post(f"{EDITOR}reset?role={role}", {}).status_code == 403
    assert stored(role) is None and audits() == []


def test_saving_needs_the_csrf_token(login_as, panel) -> None:
    login_as("super_admin")
    form = as_submitted(editor(panel, "analyst"), which="configure-dashboards/save")
    form.pop("csrf_token")
    assert panel.post_without_csrf(f"{EDITOR}save?role=analyst", form).status_code == 400
    assert stored("analyst") is None


def test_preview_shows_the_role_dashboard_as_one_of_its_people_sees_it(
    login_as, panel, today
) -> None:
    world = build_world(today)
    admin = make_user("admin", "another-admin@example.test")
    login_as("super_admin")

    south_view = panel.get(f"{EDITOR}preview?role=manager&user={world.south.id}")
    page = south_view.get_data(as_text=True)

    assert south_view.status_code == 200
    assert "USD 1,000.00" in widget_text(page, "total_due") and "NORTH" not in page
    assert "Nothing can be changed here." in page and 'action="/admin/refresh"' not in page
    assert panel.get(f"{EDITOR}preview?role=manager&user={admin.id}").status_code == 404
    assert panel.get(f"{EDITOR}preview?role=individual").status_code == 404
    first = panel.get(f"{EDITOR}preview?role=manager").get_data(as_text=True)
    assert "north@example.test</strong> sees it" in first


def test_preview_of_a_role_nobody_holds_yet_shows_an_empty_dashboard(
    login_as, panel, today
) -> None:
    build_world(today)
    login_as("super_admin")
    db.session.execute(sa.delete(AuditEvent))
    for user in ("north", "south"):
        db.session.execute(sa.text("UPDATE accounts SET account_manager_id = NULL"))
        db.session.execute(sa.text(f"DELETE FROM users WHERE email = '{user}@example.test'"))
    db.session.commit()

    page = panel.get(f"{EDITOR}preview?role=manager").get_data(as_text=True)

    assert "Nothing is owed." in widget_text(page, "total_due")
    assert re.search(r"You do not manage any accounts yet", page)
    assert not widget_texts(page, "emails_failed")

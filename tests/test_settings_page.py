"""The Settings page: named switches with what they do and their value, typed, audited, guarded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import AuditEvent, Setting
from models.setting_catalogue import (
    CREDIT_REQUEST_APPROVERS,
    FOLLOW_UP_DAYS_OVERDUE,
    HIDE_FINANCE_FROM_MANAGERS,
    LOOKBACK_DAYS,
    SETTINGS,
    UndeclaredSetting,
)
from tests.conftest import Panel, make_user

PAGE = "/admin/settings/"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def stored(key: str) -> str | None:
    return db.session.scalar(sa.select(Setting.value).where(Setting.key == key))


def form_of(page: str) -> dict[str, str]:
    """What the page's form posts as it stands: ticked switches, field values, versions."""
    data = {}
    for name, value in re.findall(r'name="((?:value|version)\|[a-z_]+)" value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(r'name="(value\|[a-z_]+)" value="yes"\s+(?=checked)', page):
        data[name] = "yes"
    switches = re.findall(r'name="(value\|[a-z_]+)" value="yes"\s+aria', page)
    for name in switches:  # unticked checkboxes post nothing
        data.pop(name, None)
    return data


def test_super_admin_sees_every_setting_by_name_with_what_it_does_and_its_value(
    login_as, panel: Panel
) -> None:
    login_as("super_admin")
    db.session.add(Setting(key=LOOKBACK_DAYS, value="14"))
    db.session.commit()

    page = panel.get(PAGE).get_data(as_text=True)

    for spec in SETTINGS:
        assert spec.label in page
        assert spec.help_text.replace("'", "&#39;") in page
    assert "Hide finance from managers" in page
    assert re.search(r'data-testid="current-notify_lookback_days">14 days<', page)
    assert re.search(r'data-testid="current-hide_finance_from_managers">off<', page)
    assert "/admin/setting/" not in page  # no raw key/value table any more
    assert panel.get("/admin/setting/").status_code == 404


def test_hiding_finance_from_managers_is_saved_audited_and_takes_effect(
    app, login_as, panel: Panel
) -> None:
    manager = make_user("manager")
    admin = login_as("super_admin")
    data = form_of(panel.get(PAGE).get_data(as_text=True))
    data[f"value|{HIDE_FINANCE_FROM_MANAGERS}"] = "yes"

    response = panel.post(PAGE, data)

    assert response.status_code == 302
    page = panel.get(PAGE).get_data(as_text=True)
    assert "Saved: 1 setting(s) changed." in page
    assert re.search(r'data-testid="current-hide_finance_from_managers">on<', page)
    assert stored(HIDE_FINANCE_FROM_MANAGERS) == "yes"
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "Setting"))
    assert (event.user_id, event.entity_id) == (admin.id, HIDE_FINANCE_FROM_MANAGERS)
    assert event.changes == {HIDE_FINANCE_FROM_MANAGERS: {"before": "off", "after": "on"}}
    manager_panel = Panel(app.test_client())
    manager_panel.login(manager.email)
    assert manager_panel.get("/admin/invoice/").status_code == 403


def test_a_switch_turned_off_again_is_stored_as_off(login_as, panel: Panel) -> None:
    login_as("super_admin")
    db.session.add(Setting(key=HIDE_FINANCE_FROM_MANAGERS, value="true"))
    db.session.commit()
    data = form_of(panel.get(PAGE).get_data(as_text=True))
    assert data[f"value|{HIDE_FINANCE_FROM_MANAGERS}"] == "yes"
    del data[f"value|{HIDE_FINANCE_FROM_MANAGERS}"]

    assert panel.post(PAGE, data).status_code == 302

    assert stored(HIDE_FINANCE_FROM_MANAGERS) == "no"
    assert Setting.is_enabled(db.session, HIDE_FINANCE_FROM_MANAGERS) is False


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        (LOOKBACK_DAYS, "seven", "Enter a whole number of days from 0 to 3650"),
        (LOOKBACK_DAYS, "-3", "Enter a whole number of days from 0 to 3650"),
        (FOLLOW_UP_DAYS_OVERDUE, "99999999999999999999", "Enter a whole number of days"),
        (CREDIT_REQUEST_APPROVERS, "kim@example.test, nobody", "Not an e-mail address: nobody"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_and_nothing_is_saved(
    key: str, text: str, message: str, login_as, panel: Panel
) -> None:
    login_as("super_admin")
    data = form_of(panel.get(PAGE).get_data(as_text=True))
    data[f"value|{HIDE_FINANCE_FROM_MANAGERS}"] = "yes"  # a good change alongside the bad one
    data[f"value|{key}"] = text

    response = panel.post(PAGE, data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert message in page
    assert f'value="{text}"' in page  # the typed text is shown again, to correct
    assert db.session.scalar(sa.select(sa.func.count(Setting.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_approvers_are_stored_as_a_clean_list(login_as, panel: Panel) -> None:
    login_as("super_admin")
    data = form_of(panel.get(PAGE).get_data(as_text=True))
    approvers = " Kim@Example.test;ada@example.test  kim@example.test"
    data[f"value|{CREDIT_REQUEST_APPROVERS}"] = approvers

    panel.post(PAGE, data)

    assert stored(CREDIT_REQUEST_APPROVERS) == "kim@example.test, ada@example.test"
    assert Setting.value_of(db.session, CREDIT_REQUEST_APPROVERS) == [
        "kim@example.test",
        "ada@example.test",
    ]


def test_saving_a_page_opened_before_someone_elses_change_overwrites_nothing(
    login_as, panel: Panel
) -> None:
    login_as("super_admin")
    data = form_of(panel.get(PAGE).get_data(as_text=True))
    db.session.add(Setting(key=LOOKBACK_DAYS, value="30"))  # another super admin, meanwhile
    db.session.commit()
    data[f"value|{LOOKBACK_DAYS}"] = "3"

    response = panel.post(PAGE, data)

    assert response.status_code == 302
    assert "Someone else changed these settings" in panel.get(PAGE).get_data(as_text=True)
    assert stored(LOOKBACK_DAYS) == "30"


@pytest.mark.parametrize("role", ["admin", "manager", "analyst"])
def test_only_super_admins_see_or_change_settings(role: str, login_as, panel: Panel) -> None:
    login_as(role)
    assert panel.get(PAGE).status_code == 403
    response = panel.post(PAGE, {f"value|{HIDE_FINANCE_FROM_MANAGERS}": "yes"})
    assert response.status_code == 403
    assert stored(HIDE_FINANCE_FROM_MANAGERS) is None
    assert "/admin/settings/" not in panel.get("/admin/").get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(login_as, panel: Panel) -> None:
    login_as("super_admin")
    response = panel.post_without_csrf(PAGE, {f"value|{HIDE_FINANCE_FROM_MANAGERS}": "yes"})
    assert response.status_code == 400
    assert stored(HIDE_FINANCE_FROM_MANAGERS) is None


def test_a_stored_value_the_type_cannot_read_counts_as_the_default(app) -> None:
    db.session.add(Setting(key=LOOKBACK_DAYS, value="a week"))
    db.session.commit()
    assert Setting.value_of(db.session, LOOKBACK_DAYS) == 7


def test_reading_a_setting_nobody_declared_is_an_error(app) -> None:
    with pytest.raises(UndeclaredSetting, match="setting_catalogue"):
        Setting.value_of(db.session, "no_such_switch")


def test_the_settings_guide_lists_every_setting_with_its_default() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for spec in SETTINGS:
        row = next((line for line in guide.splitlines() if f"`{spec.key}`" in line), "")
        assert spec.label in row, spec.key
        assert spec.describe(spec.default) in row, spec.key

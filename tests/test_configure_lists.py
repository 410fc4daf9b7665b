"""Settings → Configure lists and the list page's column chooser: per-role columns, order, sort,
filters and page size, named views (own and shared), all within what the field rules let the
role read, on the page and in its exports."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from extensions import db
from models import AuditEvent, FormFieldRule, ListView
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.page_text import flashed

EDITOR = "/admin/configure-lists/"
ACCOUNTS = "/admin/account/"


def editor(panel: Panel, role: str = "manager", entity: str = "Account") -> str:
    response = panel.get(f"{EDITOR}?role={role}&entity={entity}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def filter_arg(page: str, label: str) -> str:
    """The URL argument of the filter the editor offers as `label` ("Status equals")."""
    match = re.search(rf'<option value="([^"]+)"[^>]*>{re.escape(label)}</option>', page)
    assert match, f"no filter {label!r} offered"
    return match.group(1)


def configure(panel: Panel, role: str = "manager", **fields: str) -> str:
    """Post the editor with `fields` (cols, sort, direction, filter0, filter0_value, page_size);
    the page it lands on."""
    version = re.search(r'name="version" value="(\d+)"', editor(panel, role)).group(1)
    form = {"version": version, "page_size": "20", **fields}
    response = panel.post(f"{EDITOR}save?role={role}&entity=Account", form)
    assert response.status_code == 302
    return panel.get(response.headers["Location"]).get_data(as_text=True)


def headers(page: str) -> list[str]:
    return re.findall(r'<th class="column-header col-([\w-]+)"', page)


def cells(page: str, column: str) -> list[str]:
    found = re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def stored(role: str = "manager") -> ListView | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ListView).where(ListView.role == role, ListView.name == ""))


def hide(field: str, role: str = "manager") -> None:
    db.session.add(FormFieldRule(entity="Account", field=field, role=role, hidden=True))
    db.session.commit()


@pytest.fixture
def manager_world(app):
    """Two managers; the first manages seven accounts (one disabled), the second one."""
    north = make_user("manager", "north@example.test")
    south = make_user("manager", "south@example.test")
    for code, name, status in [("C1", "Delta", "enabled"), ("C2", "Alpha", "enabled"),
                               ("C3", "Echo", "disabled"), ("C4", "Bravo", "enabled"),
                               ("C5", "Charlie", "enabled"), ("C6", "Foxtrot", "enabled"),
                               ("C7", "Golf", "enabled")]:  # fmt: skip
        add_account(code, name=name, status=status, account_manager=north,
                    billing_email=f"{code.lower()}@billing.test")  # fmt: skip
    add_account("S1", name="Southern", account_manager=south)
    return north, south


def as_user(app, email: str) -> Panel:
    other = Panel(app.test_client())
    assert other.login(email).status_code == 302
    return other


def test_manager_list_follows_the_columns_sort_filter_and_page_size_set_for_the_role(
    app, manager_world, login_as, panel
) -> None:
    login_as("super_admin")
    status_equals = filter_arg(editor(panel), "Status equals")

    landed = configure(
        panel, cols="name,code,status", sort="name", direction="asc",
        filter0=status_equals, filter0_value="enabled", page_size="5",
    )  # fmt: skip

    assert "The Accounts list of the manager role was saved." in flashed(landed)
    saved = stored()
    assert saved.columns == ["name", "code", "status"] and saved.sort_column == "name"
    assert saved.page_size == 5 and saved.filters[0]["value"] == "enabled"
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "ListView"))
    assert event.entity_id == "Account/manager" and event.actor_email == "super_admin@example.test"

    north = as_user(app, "north@example.test")
    page = north.get(ACCOUNTS).get_data(as_text=True)
    assert headers(page) == ["name", "code", "status"]
    # enabled, by name, 5 a page
    assert cells(page, "name") == ["Alpha", "Bravo", "Charlie", "Delta", "Foxtrot"]
    second = north.get(f"{ACCOUNTS}?page=1&sort=0&explicit=1&"
                       f"flt0_{status_equals}=enabled").get_data(as_text=True)  # fmt: skip
    assert cells(second, "name") == ["Golf"]  # Echo is disabled; Southern is not north's
    unfiltered = north.get(f"{ACCOUNTS}?explicit=1").get_data(as_text=True)
    assert "Echo" in cells(unfiltered, "name") and "Southern" not in page + unfiltered

    admin_page = as_user(app, make_user("admin").email).get(ACCOUNTS).get_data(as_text=True)
    assert "type" in headers(admin_page) and "Echo" in admin_page  # other roles: unchanged


def test_the_list_without_settings_is_todays_list(app, manager_world, panel) -> None:
    assert panel.login("north@example.test").status_code == 302
    page = panel.get(ACCOUNTS).get_data(as_text=True)
    assert headers(page)[:4] == ["code", "name", "type", "status"]
    header = csv_rows(panel.get(f"{ACCOUNTS}export/csv/"))[0]
    assert header[:3] == ["code", "name", "type"]  # the import columns
    assert "Exports carry the list's filters in the columns an import reads" in page


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"cols": "name,billing_email"}, "'billing_email' is not a column this list may show."),
        ({"cols": "name,password_hash"}, "'password_hash' is not a column this list may show."),
        ({"cols": ""}, "Choose at least one column."),
        ({"cols": "name", "sort": "billing_email"}, "cannot be sorted by 'billing_email'."),
        ({"cols": "name", "page_size": "0"}, "The page size must be between 5 and 200."),
        ({"cols": "name", "page_size": "5000"}, "The page size must be between 5 and 200."),
        ({"cols": "name", "page_size": "many"}, "The page size must be a whole number."),
        ({"cols": "name", "filter0": "999"}, "There is no filter '999' on this list."),
        ({"cols": "name", "filter0": "billing_email_forged"}, "There is no filter"),
    ],
)  # fmt: skip
def test_a_hidden_or_unknown_choice_is_refused_and_nothing_is_saved(
    fields, reason, login_as, panel
) -> None:
    hide("billing_email")
    login_as("super_admin")
    page = editor(panel)
    assert 'data-list-column="billing_email"' not in page and "Billing e-mail" not in page

    landed = configure(panel, **fields)

    assert reason in flashed(landed) and "Nothing was saved." in flashed(landed)
    assert stored() is None


def test_a_forged_filter_on_a_hidden_field_and_a_bad_value_are_refused(login_as, panel) -> None:
    login_as("super_admin")
    billing_contains = filter_arg(editor(panel), "Billing e-mail contains")
    status_equals = filter_arg(editor(panel), "Status equals")
    hide("billing_email")

    forged = configure(panel, cols="name", filter0=billing_contains, filter0_value="x")
    bad_value = configure(panel, cols="name", filter0=status_equals, filter0_value="sleeping")

    assert f"There is no filter '{billing_contains}' on this list." in flashed(forged)
    assert "Status equals: 'sleeping' is not one of its values." in flashed(bad_value)
    assert stored() is None


def test_only_super_admins_configure_lists_and_only_with_a_csrf_token(app, login_as, panel):
    login_as("admin")
    assert panel.get(f"{EDITOR}?role=manager").status_code == 403
    forged = {"cols": "name", "version": "0", "page_size": "20"}
    assert panel.post(f"{EDITOR}save?role=manager&entity=Account", forged).status_code == 403

    chief = as_user(app, make_user("super_admin").email)
    response = chief.post_without_csrf(
        f"{EDITOR}save?role=manager&entity=Account",
        {"cols": "name", "version": "0", "page_size": "20"},
    )
    assert response.status_code == 400 and stored() is None
    assert chief.get(f"{EDITOR}?role=nobody").status_code == 404
    assert chief.get(f"{EDITOR}?role=manager&entity=LoginEvent").status_code == 404


def test_a_save_over_someone_elses_is_refused_and_reset_goes_back(login_as, panel) -> None:
    login_as("super_admin")
    configure(panel, cols="name,code")
    stale = panel.post(f"{EDITOR}save?role=manager&entity=Account",
                       {"cols": "code", "version": "0", "page_size": "20"})  # fmt: skip
    assert "Someone saved this list's settings meanwhile" in flashed(
        panel.get(stale.headers["Location"]).get_data(as_text=True)
    )
    assert stored().columns == ["name", "code"]

    page = editor(panel)
    reset = as_submitted(page, which="configure-lists/reset?role=manager&entity=Account")
    assert "Back to the defaults</button>" in page and reset["csrf_token"]
    response = panel.post_without_csrf(f"{EDITOR}reset?role=manager&entity=Account", reset)
    assert response.status_code == 302
    assert stored() is None
    assert "The list's defaults for this role." in editor(panel)


def save_view(panel: Panel, query: str = "", **form: str):
    return panel.post(f"{ACCOUNTS}list-views/save{query}", form)


def test_a_manager_saves_their_own_view_and_opens_it_by_its_address(
    app, manager_world, panel
) -> None:
    assert panel.login("north@example.test").status_code == 302
    saved = save_view(panel, "?sort=1&desc=1", name="By name", cols="name,status")

    view = db.session.scalar(sa.select(ListView).where(ListView.name == "By name"))
    assert view.owner_id == manager_world[0].id and view.role is None
    assert saved.headers["Location"].endswith(f"{ACCOUNTS}?view={view.id}")
    assert view.columns == ["name", "status"] and view.sort_column == "name" and view.sort_desc
    page = panel.get(f"{ACCOUNTS}?view={view.id}").get_data(as_text=True)
    assert headers(page) == ["name", "status"]
    assert cells(page, "name") == ["Golf", "Foxtrot", "Echo", "Delta", "Charlie", "Bravo", "Alpha"]
    assert "View: By name" in page and "Exports of this view carry its columns" in page

    sorted_page = panel.get(f"{ACCOUNTS}?view={view.id}&sort=1&page=1").get_data(as_text=True)
    chooser = re.search(r'<form method="get"[^>]*data-columns-from.*?</form>', sorted_page, re.S)
    assert f'name="view" value="{view.id}"' in chooser.group(0)
    assert 'name="sort"' not in chooser.group(0)  # a position among the old columns
    adjusted = panel.get(f"{ACCOUNTS}?view={view.id}&cols=status,code,nonsense,billing_email")
    assert headers(adjusted.get_data(as_text=True)) == ["status", "code", "billing_email"]

    assert panel.post(f"{ACCOUNTS}list-views/delete", {"view": str(view.id)}).status_code == 302
    assert db.session.scalar(sa.select(ListView)) is None


def test_a_view_shared_with_managers_reaches_managers_only_and_own_views_stay_own(
    app, manager_world, login_as, panel
) -> None:
    login_as("super_admin")
    assert save_view(panel, name="Team", cols="code,name", share_role="manager").status_code == 302
    shared = db.session.scalar(sa.select(ListView).where(ListView.name == "Team"))
    assert shared.role == "manager" and shared.owner_id is None

    north, south = as_user(app, "north@example.test"), as_user(app, "south@example.test")
    assert "Team" in north.get(ACCOUNTS).get_data(as_text=True)
    assert north.get(f"{ACCOUNTS}?view={shared.id}").status_code == 200
    analyst = as_user(app, make_user("analyst").email)
    assert "Team" not in analyst.get(ACCOUNTS).get_data(as_text=True)
    assert analyst.get(f"{ACCOUNTS}?view={shared.id}").status_code == 404

    save_view(north, name="Mine", cols="name")
    mine = db.session.scalar(sa.select(ListView).where(ListView.name == "Mine"))
    assert south.get(f"{ACCOUNTS}?view={mine.id}").status_code == 404
    assert "Mine" not in south.get(ACCOUNTS).get_data(as_text=True)
    assert south.get(f"{ACCOUNTS}export/csv/?view={mine.id}").status_code == 404
    assert south.post(f"{ACCOUNTS}list-views/delete", {"view": str(mine.id)}).status_code == 404
    assert north.post(f"{ACCOUNTS}list-views/delete", {"view": str(shared.id)}).status_code == 403
    assert north.get(f"{ACCOUNTS}?view=1x").status_code == 404
    assert north.get(f"/admin/invoice/?view={mine.id}").status_code == 404  # another list's

    refused = save_view(north, name="Team", cols="name", share_role="manager")
    assert refused.status_code == 403


def test_a_view_naming_a_field_hidden_later_drops_it_silently(app, manager_world, panel) -> None:
    assert panel.login("north@example.test").status_code == 302
    contains = filter_arg_from_list(panel, "Billing e-mail", "contains")
    save_view(panel, f"?sort=7&flt0_{contains}=c1", name="Billing",
              cols="code,billing_email,name")  # fmt: skip
    view = db.session.scalar(sa.select(ListView).where(ListView.name == "Billing"))
    assert view.filters and view.columns == ["code", "billing_email", "name"]

    hide("billing_email")
    response = panel.get(f"{ACCOUNTS}?view={view.id}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert headers(page) == ["code", "name"] and "@billing.test" not in page
    assert len(cells(page, "code")) == 7  # its filter is gone
    exported = csv_rows(panel.get(f"{ACCOUNTS}export/csv/?view={view.id}"))
    assert exported[0] == ["Code", "Name"] and len(exported) == 8


def filter_arg_from_list(panel: Panel, column: str, operation: str) -> str:
    import json

    page = panel.get(ACCOUNTS).get_data(as_text=True)
    data = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1)
    for entry in json.loads(html.unescape(data))[column]:
        if entry["operation"] == operation:
            return str(entry["arg"])
    raise AssertionError(f"no {operation} filter on {column}")


def test_exports_follow_the_view_and_keep_import_columns_by_default(
    app, manager_world, login_as, panel
) -> None:
    login_as("super_admin")
    status_equals = filter_arg(editor(panel), "Status equals")
    configure(panel, cols="code,name,type,status,group,account_manager,credit_limit,"
              "billing_email,billing_phone,balance",
              filter0=status_equals, filter0_value="disabled")  # fmt: skip
    north = as_user(app, "north@example.test")
    same_columns = csv_rows(north.get(f"{ACCOUNTS}export/csv/"))
    assert same_columns[0][:2] == ["code", "name"]  # the list's own columns: import columns
    assert [row[0] for row in same_columns[1:]] == ["C3"]  # the role's filter applies

    configure(panel, cols="name,code", sort="name", filter0=status_equals,
              filter0_value="enabled")  # fmt: skip
    page = north.get(ACCOUNTS).get_data(as_text=True)
    assert "Exports of this view carry its columns and filters." in page
    exported = csv_rows(north.get(f"{ACCOUNTS}export/csv/"))
    assert exported == [["Name", "Code"], ["Alpha", "C2"], ["Bravo", "C4"], ["Charlie", "C5"],
                        ["Delta", "C1"], ["Foxtrot", "C6"], ["Golf", "C7"]]  # fmt: skip
    taken_off = csv_rows(north.get(f"{ACCOUNTS}export/csv/?explicit=1"))
    assert len(taken_off) == 8 and "Southern" not in str(taken_off)  # still only north's rows


def test_a_view_shared_with_a_role_is_checked_against_what_that_role_may_read(
    manager_world, login_as, panel
) -> None:
    hide("billing_email")
    login_as("super_admin")

    refused = save_view(panel, name="Billing", cols="name,billing_email", share_role="manager")
    landed = panel.get(refused.headers["Location"]).get_data(as_text=True)

    assert "'billing_email' is not a column this list may show." in flashed(landed)
    assert "The view was not saved." in flashed(landed)
    assert db.session.scalar(sa.select(ListView)) is None
    assert save_view(panel, name="Mine", cols="name,billing_email").status_code == 302
    assert db.session.scalar(sa.select(ListView.columns)) == ["name", "billing_email"]

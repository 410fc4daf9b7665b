"""A worker keeps each person's list views between requests (`saved_list_views.ListViewCache`):
a view or role setting saved, changed or deleted anywhere, by any path, shows at the next
request, and while nothing changes a list page reads no list view at all."""

from __future__ import annotations

import re

import sqlalchemy as sa

from extensions import db
from models import ListView
from tests.conftest import Panel, make_user

ACCOUNTS = "/admin/account/"


def headers(page: str) -> list[str]:
    return re.findall(r'<th class="column-header col-([\w-]+)"', page)


def picker(page: str) -> list[str]:
    return [name.strip() for name in re.findall(r'data-testid="saved-view">\s*([^<]+?)\s*<', page)]


def list_view_reads(app, fetch) -> int:
    """How many statements on `list_views` `fetch()` runs."""
    seen = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if "list_views" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        fetch()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return len(seen)


def test_views_saved_changed_and_deleted_elsewhere_show_at_the_next_request(
    app, panel: Panel
) -> None:
    user = make_user("admin")
    assert panel.login(user.email).status_code == 302
    assert picker(panel.get(ACCOUNTS).get_data(as_text=True)) == []

    # as another worker (or an import) would: straight to the database, not through this page
    own = ListView(entity="Account", owner_id=user.id, name="Mine", columns=["name"])
    db.session.add(own)
    db.session.commit()
    page = panel.get(ACCOUNTS).get_data(as_text=True)
    assert picker(page) == ["Mine"]
    assert headers(panel.get(f"{ACCOUNTS}?view={own.id}").get_data(as_text=True)) == ["name"]

    db.session.add(ListView(entity="Account", role="admin", name="", columns=["code", "status"]))
    own.columns = ["status", "name"]
    db.session.commit()
    assert headers(panel.get(ACCOUNTS).get_data(as_text=True)) == ["code", "status"]
    assert headers(panel.get(f"{ACCOUNTS}?view={own.id}").get_data(as_text=True)) == [
        "status",
        "name",
    ]

    db.session.delete(own)
    db.session.commit()
    assert panel.get(f"{ACCOUNTS}?view={own.id}").status_code == 404
    assert picker(panel.get(ACCOUNTS).get_data(as_text=True)) == []


def test_a_list_page_reads_the_views_once_until_they_change(app, panel: Panel) -> None:
    user = make_user("admin")
    assert panel.login(user.email).status_code == 302
    assert list_view_reads(app, lambda: panel.get(ACCOUNTS)) <= 1
    assert list_view_reads(app, lambda: panel.get(ACCOUNTS)) == 0

    db.session.add(ListView(entity="Account", owner_id=user.id, name="New", columns=["name"]))
    db.session.commit()
    assert list_view_reads(app, lambda: panel.get(ACCOUNTS)) == 1


def test_each_person_sees_their_own_views_and_their_roles_only(app, panel: Panel) -> None:
    first, second = make_user("admin", "first@example.test"), make_user("manager")
    db.session.add_all([
        ListView(entity="Account", owner_id=first.id, name="Firsts", columns=["name"]),
        ListView(entity="Account", role="manager", name="For managers", columns=["name"]),
    ])  # fmt: skip
    db.session.commit()
    assert panel.login(first.email).status_code == 302
    assert picker(panel.get(ACCOUNTS).get_data(as_text=True)) == ["Firsts"]
    other = Panel(app.test_client())
    assert other.login(second.email).status_code == 302
    assert picker(other.get(ACCOUNTS).get_data(as_text=True)) == ["For managers"]

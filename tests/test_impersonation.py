"""Super admins view the panel as another user; login history answers who logged in when."""

import pytest
import sqlalchemy as sa

from extensions import db
from models import AuditEvent, LoginEvent, User
from tests.conftest import PASSWORD, Panel, make_user
from tests.factories import add_account
from tests.test_import_panel import CONFIRM, upload
from tests.test_role_menus import MENU_BY_ROLE, menu_entities


def test_view_as_shows_exactly_the_targets_menu_and_data(login_as, panel: Panel) -> None:
    login_as("super_admin", "boss@example.test")
    manager = make_user("manager", "mona@example.test")
    add_account("MINE", account_manager=manager)
    add_account("THEIRS")

    details = panel.get(f"/admin/user/details/?id={manager.id}").get_data(as_text=True)
    assert "View the panel as mona@example.test" in details
    assert panel.post(f"/view-as/{manager.id}", {}).status_code == 302

    home = panel.get("/admin/").get_data(as_text=True)
    assert "viewing the panel as" in home and "mona@example.test" in home
    assert menu_entities(panel) == MENU_BY_ROLE["manager"]
    accounts = panel.get("/admin/account/").get_data(as_text=True)
    assert "MINE" in accounts and "THEIRS" not in accounts

    assert panel.post("/view-as/stop", {}).status_code == 302
    assert menu_entities(panel) == MENU_BY_ROLE["super_admin"]


def test_changes_made_while_viewing_as_name_both_people(login_as, panel: Panel) -> None:
    boss = login_as("super_admin", "boss@example.test")
    manager = make_user("manager", "mona@example.test")
    account = add_account("MINE", account_manager=manager)
    panel.post(f"/view-as/{manager.id}", {})
    panel.post(
        "/admin/user/new/",
        {"email": "new@mine.test", "role": "individual", "account": str(account.id)},
    )
    panel.post("/view-as/stop", {})

    created = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "create"))
    assert created.user_id == manager.id and created.impersonator_id == boss.id
    assert created.impersonator_email == "boss@example.test"
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["impersonation_start", "create", "impersonation_end"]


def test_only_super_admins_view_as_and_never_as_another_super_admin(app, login_as, panel):
    other_boss = make_user("super_admin", "other@example.test")
    analyst = make_user("analyst", "ann@example.test")
    login_as("admin")
    assert panel.post(f"/view-as/{analyst.id}", {}).status_code == 403
    boss_panel = Panel(app.test_client())
    make_user("super_admin", "boss@example.test")
    boss_panel.login("boss@example.test")
    assert boss_panel.post(f"/view-as/{other_boss.id}", {}).status_code == 403
    assert boss_panel.post("/view-as/999999", {}).status_code == 403


def test_view_as_needs_a_csrf_token(login_as, panel: Panel) -> None:
    login_as("super_admin")
    analyst = make_user("analyst", "ann@example.test")
    assert panel.post_without_csrf(f"/view-as/{analyst.id}", {}).status_code == 400


def test_login_history_records_successes_and_failures(panel: Panel, app) -> None:
    make_user("manager", "mona@example.test")
    panel.login("mona@example.test", "wrong password")
    panel.login("mona@example.test")
    history = db.session.execute(
        sa.select(LoginEvent.email, LoginEvent.success).order_by(LoginEvent.id)
    ).all()
    assert history == [("mona@example.test", False), ("mona@example.test", True)]

    boss = Panel(app.test_client())
    make_user("super_admin", "boss@example.test")
    boss.login("boss@example.test")
    page = boss.get("/admin/loginevent/").get_data(as_text=True)
    assert page.count("mona@example.test") >= 2
    users = boss.get("/admin/user/").get_data(as_text=True)
    assert "Last login" in users


def edit_user(panel: Panel, user: User, **fields: str) -> None:
    """Save `user`'s edit form with `fields` (an unticked box, such as `active`, is left out)."""
    form = {"email": user.email, "role": user.role, **fields}
    response = panel.post(
        f"/admin/user/edit/?id={user.id}", {**form, "loaded_version": str(user.version_id)}
    )
    assert response.status_code == 302


def deactivate(app, boss: User) -> None:
    edit_user(other_super_admin(app), boss)


def demote_to_admin(app, boss: User) -> None:
    edit_user(other_super_admin(app), boss, role="admin", active="y")


def log_out_on_the_laptop(app, boss: User) -> None:
    laptop = Panel(app.test_client())
    laptop.login(boss.email)
    assert laptop.post("/logout", {}).status_code == 302


def change_password_on_the_laptop(app, boss: User) -> None:
    laptop = Panel(app.test_client())
    laptop.login(boss.email)
    new = "a much longer one"
    form = {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
    assert laptop.post("/account/password", form).status_code == 302


def other_super_admin(app) -> Panel:
    other = Panel(app.test_client())
    make_user("super_admin", "other@example.test")
    other.login("other@example.test")
    return other


@pytest.mark.parametrize(
    "what_happens_to_the_boss",
    [deactivate, demote_to_admin, log_out_on_the_laptop, change_password_on_the_laptop],
)
def test_viewing_as_ends_with_the_super_admins_own_session(
    app, login_as, panel: Panel, what_happens_to_the_boss
) -> None:
    boss = login_as("super_admin", "boss@example.test")
    manager = make_user("manager", "mona@example.test")
    account = add_account("MINE", account_manager=manager)
    panel.post(f"/view-as/{manager.id}", {})
    assert panel.get("/admin/account/").status_code == 200

    what_happens_to_the_boss(app, db.session.get(User, boss.id))

    attempt = panel.post(
        "/admin/user/new/",
        {"email": "new@mine.test", "role": "individual", "account": str(account.id)},
    )
    assert attempt.status_code == 302 and attempt.location.startswith("/login")
    assert db.session.scalar(sa.select(User).where(User.email == "new@mine.test")) is None
    assert panel.get("/admin/account/").location.startswith("/login")
    panel.csrf_token = panel.fresh_token("/login")  # the session, and its CSRF token, are gone
    assert panel.post("/view-as/stop", {}).location.startswith("/login")
    manager_actions = sa.select(AuditEvent.action).where(AuditEvent.user_id == manager.id)
    assert db.session.scalars(manager_actions).all() == ["impersonation_start"]


def test_an_import_made_while_viewing_as_names_both_people(login_as, panel: Panel) -> None:
    boss = login_as("super_admin", "boss@example.test")
    admin = make_user("admin", "ada@example.test")
    panel.post(f"/view-as/{admin.id}", {})
    preview = upload(panel, "accounts", b"code,name,status\nNEWCO,New Co,\n", "accounts.csv")
    confirm = CONFIRM.search(preview.get_data(as_text=True)).group(1)
    assert panel.post(confirm, {}).status_code == 302

    imported = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert (imported.user_id, imported.impersonator_id) == (admin.id, boss.id)
    assert imported.impersonator_email == "boss@example.test"

"""Logging in and out, and being sent to the login page without a session."""

import sqlalchemy as sa

from extensions import db
from models import User
from tests.conftest import Panel, make_user


def test_anonymous_visitor_is_sent_to_login_with_next(panel: Panel) -> None:
    response = panel.get("/admin/invoice/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/admin/invoice/")


def test_user_logs_in_and_sees_their_name_and_role(panel: Panel) -> None:
    make_user("admin", "Ada@Example.test")
    response = panel.login("ada@example.test")
    assert response.status_code == 302 and response.location == "/admin/"
    home = panel.get("/admin/").get_data(as_text=True)
    assert "ada@example.test · admin" in home
    assert db.session.scalar(sa.select(User.last_login_at)) is not None


def test_wrong_password_and_unknown_email_get_the_same_answer(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    wrong_password = panel.login("ada@example.test", "not the password")
    unknown_email = panel.login("nobody@example.test")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert "do not match an active account" in wrong_password.get_data(as_text=True)
    assert "do not match an active account" in unknown_email.get_data(as_text=True)


def test_inactive_user_and_user_without_password_cannot_log_in(panel: Panel) -> None:
    make_user("admin", "gone@example.test", active=False)
    user = make_user("analyst", "nopass@example.test")
    user.password_hash = None
    db.session.commit()
    assert panel.login("gone@example.test").status_code == 401
    assert panel.login("nopass@example.test").status_code == 401


def test_individual_role_cannot_log_in_to_the_panel(panel: Panel) -> None:
    make_user("individual", "employee@example.test")
    assert panel.login("employee@example.test").status_code == 401


def test_next_parameter_never_redirects_off_site(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    response = panel.login("ada@example.test", next_url="https://evil.example/steal")
    assert response.location == "/admin/"
    panel.post("/logout", {})
    assert panel.login("ada@example.test", next_url="//evil.example").location == "/admin/"
    panel.post("/logout", {})
    assert panel.login("ada@example.test", next_url="/admin/invoice/").location == "/admin/invoice/"


def test_logout_ends_the_session_and_a_copied_cookie_stops_working(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    panel.login("ada@example.test")
    stolen_cookie = panel.client.get_cookie("session").value
    assert panel.post("/logout", {}).status_code == 302
    assert panel.get("/admin/account/").status_code == 302

    thief = Panel(panel.client.application.test_client())
    thief.client.set_cookie("session", stolen_cookie)
    assert thief.get("/admin/account/").status_code == 302


def test_login_without_csrf_token_is_refused(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    response = panel.post_without_csrf(
        "/login", {"email": "ada@example.test", "password": "correct horse battery staple"}
    )
    assert response.status_code == 400

"""Logging in and out, and being sent to the login page without a session."""

import sqlalchemy as sa
from argon2 import PasswordHasher, extract_parameters

from extensions import db
from models import User
from tests.conftest import PASSWORD, Panel, make_user, password_hash


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


def test_every_refused_login_costs_the_same_password_check(panel: Panel, monkeypatch) -> None:
    """An unknown e-mail, an inactive user and a user without a password wait for the same argon2
    check as a wrong password does: a quicker answer would tell which e-mails have an account."""
    make_user("admin", "ada@example.test")
    make_user("admin", "gone@example.test", active=False)
    make_user("analyst", "nopass@example.test").password_hash = None
    db.session.commit()
    checked_hashes = []
    real_verify = PasswordHasher.verify

    def spy(hasher: PasswordHasher, hash_: str, password: str) -> bool:
        checked_hashes.append(hash_)
        return real_verify(hasher, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    emails = ["ada@example.test", "nobody@example.test", "gone@example.test",
              "nopass@example.test", "nobody.else@example.test"]  # fmt: skip
    passwords = ["not the password", *[PASSWORD] * 4]
    for email, password in zip(emails, passwords, strict=True):
        assert panel.login(email, password).status_code == 401

    assert len(checked_hashes) == len(emails)
    same_cost = extract_parameters(password_hash())
    assert all(extract_parameters(hash_) == same_cost for hash_ in checked_hashes)
    stand_ins = {checked_hashes[1], checked_hashes[3], checked_hashes[4]}
    assert len(stand_ins) == 1 and stand_ins != {password_hash()}  # made once, of no password


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


def test_a_session_cookie_replayed_by_another_browser_is_refused(app, panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    panel.login("ada@example.test")
    thief = Panel(app.test_client())
    thief.client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    thief.client.set_cookie("session", panel.client.get_cookie("session").value)

    assert thief.get("/admin/account/").location.startswith("/login")
    assert panel.get("/admin/account/").status_code == 200  # Ada's own browser carries on


def test_a_user_whose_address_changes_stays_logged_in(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    panel.login("ada@example.test")
    panel.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # a phone moving to another network
    assert panel.get("/admin/account/").status_code == 200

"""Hostile input and session safety: throttling, deactivation, passwords, escaping, headers."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from markupsafe import escape
from pypdf import PdfReader

from extensions import db
from models import Account, AccountGroup, User
from tests.conftest import PASSWORD, Panel, make_user
from tests.factories import add_account, add_invoice


def test_failed_logins_are_throttled_per_email_even_for_unknown_emails(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    for _ in range(5):
        assert panel.login("ada@example.test", "wrong").status_code == 401
        assert panel.login("ghost@example.test", "wrong").status_code == 401
    throttled = panel.login("ada@example.test")  # even the right password waits now
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    assert panel.login("ghost@example.test").status_code == 429


def test_deactivating_a_user_ends_their_sessions(app, login_as, panel: Panel) -> None:
    analyst = make_user("analyst", "ann@example.test")
    analyst_panel = Panel(app.test_client())
    analyst_panel.login("ann@example.test")
    assert analyst_panel.get("/admin/account/").status_code == 200
    login_as("admin")
    panel.post(
        f"/admin/user/edit/?id={analyst.id}",
        {"email": analyst.email, "role": "analyst", "loaded_version": str(analyst.version_id)},
    )  # "active" left unticked
    assert db.session.get(User, analyst.id).active is False
    assert analyst_panel.get("/admin/account/").status_code == 302


def test_changing_the_password_applies_the_policy_and_ends_other_sessions(app, panel) -> None:
    make_user("analyst", "ann@example.test")
    panel.login("ann@example.test")
    laptop = Panel(app.test_client())
    laptop.login("ann@example.test")
    short = panel.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert "at least 10 characters" in short.get_data(as_text=True)
    wrong = panel.post("/account/password", {"current_password": "nope",
                                             "new_password": "a much longer one",
                                             "confirm_password": "a much longer one"})  # fmt: skip
    assert "not your current password" in wrong.get_data(as_text=True)
    done = panel.post("/account/password", {"current_password": PASSWORD,
                                            "new_password": "a much longer one",
                                            "confirm_password": "a much longer one"})  # fmt: skip
    assert done.status_code == 302
    assert panel.get("/admin/account/").status_code == 200
    assert laptop.get("/admin/account/").status_code == 302
    fresh = Panel(app.test_client())
    assert fresh.login("ann@example.test", "a much longer one").status_code == 302


def test_typed_text_is_shown_escaped_in_lists_and_details(login_as, panel: Panel) -> None:
    login_as("admin")
    account = add_account("XSS", name="<script>alert(1)</script>", billing_address="<b>bold</b>")
    for url in ("/admin/account/", f"/admin/account/details/?id={account.id}"):
        html = panel.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
        assert "<b>bold</b>" not in html


HOSTILE_NAME = "<script>alert(1)</script>"


@pytest.fixture
def hostile_ledger() -> Account:
    """An overdue account over its limit whose name and e-mail are markup, as a user could type."""
    manager = make_user("manager", "<b>m</b>@example.test")
    account = add_account("XSS", name=HOSTILE_NAME, account_manager=manager,
                          credit_limit=Decimal("10.00"))  # fmt: skip
    add_invoice(account, "<img src=x onerror=alert(2)>", "100.00",
                issue_date=dt.date(2026, 1, 1), due_date=dt.date(2026, 1, 31))  # fmt: skip
    return account


NAME, EMAIL, NUMBER = HOSTILE_NAME, "<b>m</b>", "<img src=x onerror=alert(2)>"
AGING = "as_of=2026-03-31"
STATEMENT = "id={id}&start=2026-01-01&as_of=2026-03-31"


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        (f"/admin/reports/aging/account?{AGING}", (NAME, EMAIL)),
        (f"/admin/reports/aging/manager?{AGING}", (EMAIL,)),
        (f"/admin/reports/aging/account/{{id}}/invoices?{AGING}", (NAME, NUMBER)),
        ("/admin/reports/period/credit", (NAME, EMAIL)),
        ("/admin/account/details/?id={id}", (NAME, EMAIL, NUMBER)),
        (f"/admin/account/details/statement/?{STATEMENT}", (NAME, NUMBER)),
        ("/admin/account/details/print/invoices/?id={id}", (NAME, NUMBER)),
        ("/admin/invoice/", (NAME, NUMBER)),
    ],
)
def test_typed_text_is_shown_escaped_in_reports_and_account_pages(
    url: str, typed: tuple[str, ...], hostile_ledger: Account, login_as, panel: Panel
) -> None:
    login_as("admin")
    html = panel.get(url.format(id=hostile_ledger.id)).get_data(as_text=True)
    for text in (NAME, EMAIL, NUMBER):
        assert text not in html
    for text in typed:
        assert escape(text) in html


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        (f"/admin/reports/aging/account/download/pdf?{AGING}", (EMAIL,)),
        ("/admin/reports/period/credit/download/pdf", (NAME, EMAIL)),
        (f"/admin/account/details/statement/pdf/?{STATEMENT}", (NAME, NUMBER)),
    ],
)
def test_pdfs_print_typed_text_as_it_was_typed(
    url: str, typed: tuple[str, ...], hostile_ledger: Account, login_as, panel: Panel
) -> None:
    """A PDF runs no markup: the text must come out as the characters typed, not dropped."""
    login_as("admin")
    response = panel.get(url.format(id=hostile_ledger.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text().split())
    for typed_text in typed:
        assert typed_text in text


def test_session_cookie_is_http_only_and_same_site(panel: Panel) -> None:
    make_user("admin", "ada@example.test")
    response = panel.login("ada@example.test")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_production_mode_sets_the_secure_cookie_flag(monkeypatch) -> None:
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    production = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert production.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_serve_without_a_secret_key(monkeypatch) -> None:
    import pytest

    from app import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_no_user_row_is_created_by_a_login_attempt(panel: Panel) -> None:
    panel.login("nobody@example.test", "whatever")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_every_page_carries_security_headers_with_a_fresh_nonce(login_as, panel: Panel) -> None:
    login_as("admin")
    first, second = panel.get("/admin/invoice/"), panel.get("/admin/invoice/")
    for response in (first, second, panel.get("/login")):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    nonce = first.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]


def test_nul_characters_are_refused_before_they_reach_the_database(login_as, panel) -> None:
    login_as("admin")
    assert panel.get("/admin/invoice/?search=INV%00").status_code == 400
    response = panel.post("/admin/accountgroup/new/", {"name": "North\x00"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountGroup)) == 0

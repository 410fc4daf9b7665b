"""Login throttling: guessing is capped, yet a stranger cannot lock a user out of the panel.

argon2 spends about 0.3 s of CPU on every check; these tests count checks, so a stand-in takes its
place that only waits (keeping the request busy, as a real check does) and records each check.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from flask import Flask

from app import create_app
from auth.throttling import (
    MAX_FAILURES_PER_EMAIL,
    MAX_FAILURES_PER_EMAIL_AND_IP,
    MAX_FAILURES_PER_IP,
)
from extensions import db
from models import LoginEvent
from tests.conftest import PASSWORD, Panel, make_user, password_hash

WRONG = "Summer2024!"


@dataclass
class PasswordChecks:
    checked_hashes: list[str] = field(default_factory=list)
    seconds_each: float = 0.0


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> PasswordChecks:
    checks = PasswordChecks()

    def verify(_hasher: PasswordHasher, hash_: str, password: str) -> bool:
        checks.checked_hashes.append(hash_)
        time.sleep(checks.seconds_each)
        if hash_ == password_hash() and password == PASSWORD:
            return True
        raise VerifyMismatchError

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    return checks


def browser_at(app: Flask, ip: str) -> Panel:
    """A browser whose requests come from `ip`."""
    browser = Panel(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = ip
    return browser


def failures_recorded() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginEvent).where(LoginEvent.success.is_(False))
    )


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(
    app: Flask, password_checks: PasswordChecks
) -> None:
    make_user("admin", "ada@example.test")
    password_checks.seconds_each = 0.3
    browsers = [Panel(app.test_client()) for _ in range(20)]
    tokens = [browser.fresh_token() for browser in browsers]
    all_ready = threading.Barrier(len(browsers))

    def guess(browser: Panel, token: str) -> int:
        all_ready.wait()
        with app.app_context():
            form = {"email": "ada@example.test", "password": WRONG, "csrf_token": token}
            return browser.client.post("/login", data=form).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(guess, browsers, tokens))

    limit = MAX_FAILURES_PER_EMAIL_AND_IP
    assert len(password_checks.checked_hashes) == limit
    assert sorted(statuses) == [401] * limit + [429] * (len(browsers) - limit)
    assert failures_recorded() == limit


def test_a_stranger_failing_elsewhere_does_not_lock_the_user_out(
    app: Flask, password_checks: PasswordChecks
) -> None:
    make_user("admin", "ada@example.test")
    stranger = browser_at(app, "203.0.113.66")
    for _ in range(MAX_FAILURES_PER_EMAIL_AND_IP):
        assert stranger.login("ada@example.test", WRONG).status_code == 401
    assert stranger.login("ada@example.test", WRONG).status_code == 429
    throttled = stranger.login("ada@example.test")  # the right password is not even checked
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)

    ada = browser_at(app, "198.51.100.7")
    assert ada.login("ada@example.test").status_code == 302
    assert len(password_checks.checked_hashes) == MAX_FAILURES_PER_EMAIL_AND_IP + 1


def test_guesses_at_one_account_from_many_addresses_are_capped(
    app: Flask, password_checks: PasswordChecks
) -> None:
    make_user("admin", "ada@example.test")
    addresses = [f"203.0.113.{n}" for n in range(1, 100)]
    guessers = MAX_FAILURES_PER_EMAIL // MAX_FAILURES_PER_EMAIL_AND_IP
    for address in addresses[:guessers]:
        guesser = browser_at(app, address)
        for _ in range(MAX_FAILURES_PER_EMAIL_AND_IP):
            assert guesser.login("ada@example.test", WRONG).status_code == 401

    next_guesser = browser_at(app, addresses[guessers])
    assert next_guesser.login("ada@example.test", WRONG).status_code == 429
    assert len(password_checks.checked_hashes) == MAX_FAILURES_PER_EMAIL


def test_one_address_trying_many_accounts_is_capped_without_locking_them(
    app: Flask, password_checks: PasswordChecks
) -> None:
    make_user("admin", "ada@example.test")
    sprayer = browser_at(app, "203.0.113.66")
    for n in range(MAX_FAILURES_PER_IP):
        assert sprayer.login(f"user{n}@example.test", WRONG).status_code == 401
    assert sprayer.login("ada@example.test", WRONG).status_code == 429
    assert len(password_checks.checked_hashes) == MAX_FAILURES_PER_IP

    assert browser_at(app, "198.51.100.7").login("ada@example.test").status_code == 302


def test_a_forged_forwarded_for_header_does_not_change_the_address_counted(
    app: Flask, password_checks: PasswordChecks
) -> None:
    make_user("admin", "ada@example.test")
    stranger = browser_at(app, "203.0.113.66")
    for n in range(MAX_FAILURES_PER_EMAIL_AND_IP):
        stranger.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"10.0.0.{n}"
        assert stranger.login("ada@example.test", WRONG).status_code == 401
    stranger.client.environ_base["HTTP_X_FORWARDED_FOR"] = "10.0.0.99"
    assert stranger.login("ada@example.test", WRONG).status_code == 429
    assert db.session.scalars(sa.select(LoginEvent.ip).distinct()).all() == ["203.0.113.66"]


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    app: Flask, password_checks: PasswordChecks
) -> None:
    behind_proxy = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret",
            "TRUSTED_PROXY_HOPS": 1,
        }
    )
    make_user("admin", "ada@example.test")
    stranger, ada = browser_at(behind_proxy, "10.0.0.1"), browser_at(behind_proxy, "10.0.0.1")
    stranger.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.66"
    ada.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    for _ in range(MAX_FAILURES_PER_EMAIL_AND_IP):
        assert stranger.login("ada@example.test", WRONG).status_code == 401
    assert stranger.login("ada@example.test", WRONG).status_code == 429
    assert ada.login("ada@example.test").status_code == 302
    addresses = db.session.scalars(sa.select(LoginEvent.ip).distinct().order_by(LoginEvent.ip))
    assert addresses.all() == ["198.51.100.7", "203.0.113.66"]

"""Fixtures: a real app on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

The schema is built once per database by the same Alembic migrations `init-db` runs; every test
then starts from empty tables holding only the guest account, as a fresh install does.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from auth.passwords import hash_password
from extensions import db
from models import User
from models.accounts import ensure_guest_account
from models.base import utc_today
from schema_migrations import upgrade_schema

pytest_plugins = [
    "tests.job_helpers",  # the job queue's fixtures: a worker thread or process
    "tests.browser",  # a served app and a Chromium page
]

PASSWORD = "correct horse battery staple"
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')  # fmt: skip


@pytest.fixture(scope="session", params=DATABASES)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        _drop_everything(url)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "JOBS_SQLITE_PATH": str(tmp_path_factory.mktemp("queue") / "jobs-queue.sqlite3"),
            "JOBS_REDIS_URL": None,  # the job tests choose their queues (tests/job_helpers.py)
        }
    )
    with application.app_context():
        upgrade_schema()
        db.session.remove()
    return application


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(app: Flask) -> Iterator[None]:
    """Each test gets empty tables (but the guest account) and leaves nothing behind."""
    with app.app_context():
        _empty_all_tables()
        for cache in app.extensions.get("cache", {}).values():
            cache.clear()  # figures cached from the last test's rows (dashboards)
        ensure_guest_account(db.session)
        db.session.commit()
        yield
        db.session.remove()


def _empty_all_tables() -> None:
    # The config stamp only ever grows, as in production: resetting it could leave a worker's
    # cached rules looking current. Emptying the rules moves it, as deleting them would.
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name != "config_stamps"]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:  # dependents first, so foreign keys stay enforced
                connection.execute(sa.text(f"DELETE FROM {table}"))
        connection.execute(sa.text("UPDATE config_stamps SET version = version + 1"))


@cache
def password_hash() -> str:
    """Hashing with argon2 is slow on purpose; every test user shares one hash of PASSWORD."""
    return hash_password(PASSWORD)


def make_user(role: str, email: str | None = None, **fields: Any) -> User:
    user = User(
        email=email or f"{role}@example.test", role=role, password_hash=password_hash(), **fields
    )
    db.session.add(user)
    db.session.commit()
    return user


@dataclass
class Panel:
    """A browser-like test client: logs in through the login page and posts forms with CSRF.

    Each request runs in its own app context, as it does in production: the test's app context
    must not lend its `g` (the logged-in user, the CSRF token) or its session to the request.
    """

    client: FlaskClient
    csrf_token: str | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        test_session = db.session()
        test_session.commit()  # the request sees what the test arranged; no stale snapshot held
        with self.client.application.app_context():
            response = self.client.open(url, method=method, buffered=True, **kwargs)
        test_session.commit()  # and the test then reads what the request wrote
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """POST with a valid CSRF token, fetched once from a form page of the panel."""
        if self.csrf_token is None:
            self.csrf_token = self.fresh_token("/admin/")
        return self.request("POST", url, data={"csrf_token": self.csrf_token, **data}, **kwargs)

    def post_without_csrf(self, url: str, data: dict[str, Any]) -> Any:
        return self.request("POST", url, data=data)

    def login(self, email: str, password: str = PASSWORD, next_url: str = "") -> Any:
        token = self.fresh_token()
        query = f"?next={next_url}" if next_url else ""
        response = self.request(
            "POST",
            f"/login{query}",
            data={"email": email, "password": password, "csrf_token": token},
        )
        self.csrf_token = None
        return response

    def fresh_token(self, page: str = "/login") -> str:
        html = self.get(page).get_data(as_text=True)
        match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1) or match.group(2)


@pytest.fixture
def today() -> dt.date:
    """The date when the test runs, the one the app reads too. A suite run may cross midnight:
    a date read when the test module was imported would then be yesterday's for the app."""
    return utc_today()


@pytest.fixture
def panel(app: Flask) -> Panel:
    return Panel(app.test_client())


@pytest.fixture
def login_as(app: Flask, panel: Panel):
    """`login_as("admin")` creates a user with that role and logs the panel in as them."""

    def log_in(role: str, email: str | None = None, **fields: Any) -> User:
        user = make_user(role, email, **fields)
        response = panel.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return log_in

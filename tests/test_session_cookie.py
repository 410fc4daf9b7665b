"""The session cookie: it slides with use for 8 hours, and is signed again at most once a minute."""

from __future__ import annotations

import time

import itsdangerous.timed
import pytest

from tests.conftest import Panel, make_user

PAGE = "/admin/account/"


class Clock:
    """itsdangerous's `time` module, `offset` seconds away: it dates and checks the cookie."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset


def session_cookie_set(response) -> str | None:
    return next(
        (c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")), None
    )


def log_in_at(panel: Panel, monkeypatch: pytest.MonkeyPatch, seconds_ago: float) -> None:
    make_user("admin", "ada@example.test")
    monkeypatch.setattr(itsdangerous.timed, "time", Clock(-seconds_ago))
    panel.login("ada@example.test")
    monkeypatch.setattr(itsdangerous.timed, "time", time)


def test_a_fresh_cookie_is_not_signed_again_on_every_page(panel: Panel, monkeypatch) -> None:
    log_in_at(panel, monkeypatch, seconds_ago=0)
    response = panel.get(PAGE)
    assert response.status_code == 200
    assert session_cookie_set(response) is None


def test_a_cookie_signed_over_a_minute_ago_is_signed_again_and_slides(
    panel: Panel, monkeypatch
) -> None:
    log_in_at(panel, monkeypatch, seconds_ago=90)
    old_cookie = panel.client.get_cookie("session").value

    response = panel.get(PAGE)

    assert response.status_code == 200
    cookie = session_cookie_set(response)
    assert cookie is not None and "Expires=" in cookie
    assert panel.client.get_cookie("session").value != old_cookie
    assert session_cookie_set(panel.get(PAGE)) is None  # signed just now


def test_an_idle_session_ends_eight_hours_after_its_last_signing(panel: Panel, monkeypatch) -> None:
    log_in_at(panel, monkeypatch, seconds_ago=8 * 3600 + 5)
    response = panel.get(PAGE)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_session_that_changes_is_saved_at_once(panel: Panel, monkeypatch) -> None:
    log_in_at(panel, monkeypatch, seconds_ago=0)
    response = panel.post("/logout", {})
    assert response.status_code == 302
    assert session_cookie_set(response) is not None
    assert panel.get(PAGE).status_code == 302

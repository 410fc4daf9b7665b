"""Shared steps of the notification and credit request tests: settings, the notify command,
and a mail server the app is pointed at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from models import OutboxMessage, Setting
from tests.smtp_server import LoopbackSmtpServer


def switch_on(*keys: str) -> None:
    set_settings(dict.fromkeys(keys, "yes"))


def set_settings(values: dict[str, str]) -> None:
    for key, value in values.items():
        db.session.add(Setting(key=key, value=value))
    db.session.commit()


def run_notify_command(app: Flask) -> str:
    """`flask --app app notify`, as cron runs it; fails the test on a non-zero exit."""
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


@contextmanager
def mail_server_for(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackSmtpServer]:
    """A loopback SMTP server, and the app's MAIL_* settings pointing at it."""
    server = LoopbackSmtpServer().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "desk@example.test")
    try:
        yield server
    finally:
        server.stop()

"""Login throttling, counted in the database so every worker (and every gunicorn process) agrees.

Failures are counted per e-mail typed and per IP address over a sliding window. The same answer
is given whether or not the e-mail exists, so throttling reveals no accounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models import LoginEvent
from models.base import utcnow

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 30


def too_many_failures(session: Any, email: str, ip: str | None) -> bool:
    since = utcnow() - WINDOW
    failures = (
        sa.select(sa.func.count())
        .select_from(LoginEvent)
        .where(LoginEvent.success.is_(False), LoginEvent.at >= since)
    )
    if session.scalar(failures.where(LoginEvent.email == email)) >= MAX_FAILURES_PER_EMAIL:
        return True
    return ip is not None and session.scalar(failures.where(LoginEvent.ip == ip)) >= (
        MAX_FAILURES_PER_IP
    )

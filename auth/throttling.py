"""Login throttling, counted in the database so every worker (and every gunicorn process) agrees.

Failures are counted over a sliding window at three levels (docs/security.md, "Login throttling"):
tightly per e-mail and IP address, so one browser gets a few guesses at one account; loosely per
e-mail across addresses and per address across e-mails, so a stranger cannot lock a user out from
the user's own address, yet guessing at one account from many addresses, or at many accounts from
one address, is capped too. The same answer is given whether or not the e-mail exists.

An attempt is recorded as a failure before its password is checked, and the counting is serialised
per e-mail and per address, so concurrent attempts cannot all slip under a limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import LoginEvent
from models.base import utcnow

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL_AND_IP = 5
"""Tight: one browser mistyping, or guessing at, one account."""
MAX_FAILURES_PER_EMAIL = 25
"""Loose: guesses at one account from anywhere; a stranger needs five addresses to reach it."""
MAX_FAILURES_PER_IP = 50
"""Loose: one address trying many accounts; an office behind one address stays well below it."""


def reserve_attempt(
    session: Session, email: str, ip: str | None, user_id: int | None
) -> LoginEvent | None:
    """Record a login attempt as failed, before its password is checked; None when throttled.

    The caller checks the password only when it gets the attempt back, and marks it successful if
    the password matches. A throttled attempt is not recorded, so waiting out the window works.
    Commits (or, when throttled, rolls back) `session`: other workers must see the attempt before
    its slow password check starts.
    """
    _serialise_counting(session, email, ip)
    attempt = LoginEvent(email=email, ip=ip, user_id=user_id, success=False)
    session.add(attempt)
    session.flush()
    if _over_a_limit(session, email, ip):
        session.rollback()
        return None
    session.commit()
    return attempt


def _serialise_counting(session: Session, email: str, ip: str | None) -> None:
    """Make attempts at the same e-mail or from the same address count one after another.

    SQLite lets one transaction write at a time: the attempt's INSERT holds the database until the
    count is done and committed. PostgreSQL counts each statement afresh under READ COMMITTED, so
    a transaction-scoped advisory lock per e-mail and per address stands in for that; taking them
    in one order keeps two attempts from waiting on each other.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({_lock_key("email", email), _lock_key("ip", ip or "")}):
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"login {kind} {value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _over_a_limit(session: Session, email: str, ip: str | None) -> bool:
    """Whether the failures in the window, this attempt included, pass any of the three limits."""
    same_email, same_ip = LoginEvent.email == email, LoginEvent.ip == ip
    per_email_and_ip, per_email, per_ip = session.execute(
        sa.select(
            sa.func.count().filter(same_email, same_ip),
            sa.func.count().filter(same_email),
            sa.func.count().filter(same_ip),
        ).where(
            LoginEvent.success.is_(False),
            LoginEvent.at >= utcnow() - WINDOW,
            sa.or_(same_email, same_ip),
        )
    ).one()
    return (
        per_email_and_ip > MAX_FAILURES_PER_EMAIL_AND_IP
        or per_email > MAX_FAILURES_PER_EMAIL
        or per_ip > MAX_FAILURES_PER_IP
    )

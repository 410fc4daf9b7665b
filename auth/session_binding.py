"""A session cookie works only in the browser it was issued to (docs/security.md, "Sessions").

Flask-Login's `session_protection = "strong"` only marks a permanent session "not fresh", and
every panel session is permanent (it must expire after 8 hours), so the binding is done here: each
login keeps a digest of the browser's User-Agent in the session, and the user loader ends a
session presented by another browser. The IP address is left out on purpose: it changes under mobile
users, dual-stack networks and offices with several exits, and would log legitimate users out.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import request, session

BROWSER_KEY = "browser"


def _browser_digest() -> str:
    return hashlib.sha256(request.headers.get("User-Agent", "").encode()).hexdigest()


def bind_session_to_browser(_app: Any, **_login: Any) -> None:
    """Receiver of Flask-Login's `user_logged_in`: every login, however made, binds its session."""
    session[BROWSER_KEY] = _browser_digest()


def session_is_from_its_browser() -> bool:
    return session.get(BROWSER_KEY) == _browser_digest()

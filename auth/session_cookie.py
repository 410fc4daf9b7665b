"""The 8-hour session slides with use, its cookie signed again at most once a minute.

Flask signs a permanent session's cookie afresh on every response, only to move its expiry
(`SESSION_REFRESH_EACH_REQUEST`): serialising, signing and sending a cookie for every page,
list and look-up. Here a cookie signed less than `REFRESH_AFTER` ago is left as it is, so an
idle session still ends 8 hours after its last request, give or take that minute. A session
that changed (a login, a flash message, a new CSRF secret) is saved at once, as before.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

REFRESH_AFTER = dt.timedelta(minutes=1)


class SignedSession(SecureCookieSession):
    signed_at: dt.datetime | None = None
    """When the cookie it came in was signed; None for a new session."""


class SlidingSessionInterface(SecureCookieSessionInterface):
    session_class = SignedSession

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or dt.datetime.now(dt.UTC) - signed_at >= REFRESH_AFTER

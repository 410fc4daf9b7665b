"""Web hardening in one place: refusing text the databases cannot store, and security headers.

- A NUL character in any submitted text (query string or form) is refused with 400: PostgreSQL
  cannot store it, and no field of this panel needs it.
- Every response carries a Content-Security-Policy that allows only this site's scripts, the
  request's nonce (Flask-Admin's `csp_nonce_generator`) and, by hash, the few inline event
  handlers in Flask-Admin's own templates; and frame, sniffing and referrer policies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable

from flask import Flask, Response, abort, g, request

FIXED_HANDLERS = (
    "return faHelpers.safeConfirm('Are you sure you want to delete this record?');",
    "return false;",
)


def csp_nonce() -> str:
    """One nonce per request, shared by every script tag the request renders."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def init_web_hardening(app: Flask, action_names: Iterable[str]) -> None:
    """`action_names`: the bulk actions of the admin views, whose menu items run inline handlers."""

    @app.before_request
    def refuse_nul_characters() -> None:
        submitted = (*request.args.values(), *request.form.values())
        if any("\0" in value for value in submitted):
            abort(400, "Text cannot contain NUL characters.")

    handlers = [*FIXED_HANDLERS, *(f"return modelActions.execute('{a}');" for a in action_names)]
    handler_hashes = " ".join(sorted({_sha256(handler) for handler in handlers}))

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{csp_nonce()}' 'unsafe-hashes' {handler_hashes}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

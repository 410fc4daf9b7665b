"""Security headers on every response, with a Content-Security-Policy that allows only this
site's scripts, the request's nonce (Flask-Admin's `csp_nonce_generator`), and by hash the few
inline event handlers Flask-Admin's own templates contain.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable

from flask import Flask, Response, g

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


def init_security_headers(app: Flask, action_names: Iterable[str]) -> None:
    """`action_names`: the bulk actions of the admin views, whose menu items run inline handlers."""
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

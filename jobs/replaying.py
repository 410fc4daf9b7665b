"""A worker acting in a request of the job's user: the panel's views then answer for them.

A job's rights are the panel's rights, asked of the panel's own views (`can_export`, may e-mail a
statement) when the job runs, not only when it was started: a role that lost the right in
between gets a failed job. The views read Flask-Login's `current_user` and the request, so the
worker builds a request (the one the page made, or the view's own address) with the job's user
logged in for it alone: no session, no "last login" stamp, no login signal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import current_app, g

from models.people import User


def panel_view(endpoint: str) -> Any:
    """The panel's view with that endpoint (a worker builds the panel's views too), or None."""
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    return None


@contextmanager
def request_of(user: User, path: str, query_string: Mapping[str, Any] | str = "") -> Iterator[None]:
    """A request to `path` made by `user`, for the views' checks and answers."""
    with current_app.test_request_context(path, query_string=query_string):
        g._login_user = user  # `g` is the worker's app context's: gone with the request only here
        try:
            yield
        finally:
            g.pop("_login_user", None)

"""Panel pages that are no view: 403 and 404 with the menu, what happened in plain words and a way
back; the favicon at the address browsers ask for; and the `choice_label` filter, for templates
that show a record's choice value outside the generic view (`"letter" | choice_label(action,
"kind")` -> "Letter").

Rendered through the panel's home view, so the page has the same layout, menu (narrowed to the
visitor's role, empty for a visitor not logged in) and CSP nonce as every other page. The status
code stays what the refusal said: only the body changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_admin import Admin
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from models.labels import role_label, value_label


@dataclass(frozen=True)
class ErrorPage:
    title: str
    explanation: str
    what_to_do: str


ERROR_PAGES = {
    403: ErrorPage(
        "You do not have access to this page",
        "Your role does not allow this page or this action.",
        "Go back, or choose a page from the menu. If you need it for your work, ask a super "
        "admin to change your role.",
    ),
    404: ErrorPage(
        "Page not found",
        "There is no such page, or the record is not one you can see (it may have been "
        "deleted, or belong to accounts you do not manage).",
        "Check the address, or find the record from the menu's lists.",
    ),
}


def init_panel_pages(app: Flask, admin: Admin) -> None:
    """Answer 403 and 404 with the panel's pages (HTML); other errors keep their handlers."""

    def render(error: HTTPException) -> tuple[str, int]:
        page = ERROR_PAGES[error.code or 404]
        home = url_for("admin.index") if current_user.is_authenticated else url_for("auth.login")
        back = request.referrer if request.referrer and request.referrer != request.url else None
        html = admin.index_view.render(
            "admin/error_page.html", page=page, status=error.code, home=home, back=back
        )
        return html, error.code or 404

    for code in ERROR_PAGES:
        app.register_error_handler(code, render)

    @app.template_filter("choice_label")
    def choice_label(value: Any, record: Any, field: str) -> Any:
        return value_label(type(record), field, value)

    app.add_template_filter(role_label)

    @app.route("/favicon.ico")
    def favicon() -> Response:
        """Pages name the icon in their head; this answers browsers that ask the old address."""
        return redirect(url_for("static", filename="favicon.svg"), code=301)

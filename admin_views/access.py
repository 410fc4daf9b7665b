"""How every panel page answers a visitor it does not serve: anonymous visitors go to the login
page (and come back after it), signed-in users without the right get 403. The settings pages
(Configure forms, lists and dashboards, Settings, E-mail templates) serve super admins only."""

from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from models.people import PANEL_ROLES


class LoginOrForbidden:
    """Mixed into Flask-Admin views before their base class."""

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SuperAdminPage(LoginOrForbidden):
    """A settings page: super admins only. Mixed in before Flask-Admin's `BaseView`."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role == "super_admin"


def requested_role() -> str:
    """The panel role a configurator page is about (`?role=` or the form's), 404 for another."""
    role = request.values.get("role", PANEL_ROLES[0])
    if role not in PANEL_ROLES:
        abort(404)
    return role

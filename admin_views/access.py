"""How every panel page answers a visitor it does not serve: anonymous visitors go to the login
page (and come back after it), signed-in users without the right get 403."""

from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response


class LoginOrForbidden:
    """Mixed into Flask-Admin views before their base class."""

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

"""The login and logout pages, and how a session cookie is turned back into a user."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from auth.impersonation import current_impersonator
from auth.passwords import password_matches
from extensions import db
from models import LoginEvent, User
from models.base import utcnow

auth_blueprint = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "That e-mail and password do not match an active account."


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def load_user_by_session_token(token: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.session_token == token))


def safe_next_url(target: str | None) -> str:
    """Only a path on this site: `next=https://evil.example` must not become an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("admin.index")


@auth_blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        succeeded = (
            user is not None
            and user.is_active
            and password_matches(user.password_hash, form.password.data)
        )
        db.session.add(
            LoginEvent(
                email=email[:254],
                user_id=user.id if user else None,
                success=succeeded,
                ip=request.remote_addr,
            )
        )
        if succeeded:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")))
        db.session.commit()
        flash(WRONG_CREDENTIALS, "danger")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@auth_blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """Logging out rotates the session token, so a copied cookie stops working too."""
    if current_impersonator() is not None:
        abort(400, "Return to your own account before logging out.")
    if current_user.is_authenticated:
        current_user.end_all_sessions()
        db.session.commit()
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))

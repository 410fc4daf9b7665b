"""The login and logout pages, and how a session cookie is turned back into a user."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from auth.impersonation import current_impersonator, load_impersonator
from auth.passwords import hash_password, password_matches, password_problem
from auth.session_binding import session_is_from_its_browser
from auth.throttling import reserve_attempt
from extensions import db
from forms_config.stamp import keep_request_stamps, with_stamps
from models import User
from models.base import utcnow

auth_blueprint = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "That e-mail and password do not match an active account."


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm_password = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )

    def validate_new_password(self, field: PasswordField) -> None:
        if problem := password_problem(field.data):
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


_USER_BY_TOKEN = with_stamps(sa.select(User).where(User.session_token == sa.bindparam("token")))
"""Built once: the user loader runs on every request, and reads the request's config stamps."""


def load_user_by_session_token(token: str) -> User | None:
    """The session's user, checked on every request; None, with the session ended, when:

    - its token was rotated (a logout, a password change, a deactivation elsewhere),
    - the user may no longer log in,
    - the cookie is presented by another browser than the one it was issued to, or
    - the super admin viewing the panel as this user may no longer do so.
    """
    found = db.session.execute(_USER_BY_TOKEN, {"token": token}).first()
    user = None
    if found is not None:
        user, *stamps = found
        keep_request_stamps(stamps)
    if (
        user is None
        or not user.is_active
        or not session_is_from_its_browser()
        or not load_impersonator(user)
    ):
        session.clear()
        return None
    return user


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
        # Read before the attempt is committed: reloading a user afterwards would take longer for
        # an existing e-mail than for an unknown one.
        password_hash = user.password_hash if user else None
        may_log_in = user is not None and user.is_active
        attempt = reserve_attempt(db.session, email, request.remote_addr, user.id if user else None)
        if attempt is None:
            return render_template("auth/login.html", form=form, throttled=True), 429
        # Checked whoever the e-mail belongs to, so every failure takes as long as a wrong password.
        if password_matches(password_hash, form.password.data) and may_log_in:
            attempt.success = True
            user.last_login_at = utcnow()
            db.session.commit()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME (8 hours)
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")))
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


@auth_blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    """Changing the password ends every other session of the user; this one carries on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not password_matches(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            current_user.password_hash = hash_password(form.new_password.data)
            db.session.commit()
            login_user(current_user._get_current_object())
            flash("Your password has been changed; your other sessions are logged out.", "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/change_password.html", form=form)

""" "View as": a super admin sees the panel exactly as another user does, and can return.

The super admin's own session token is kept aside in the session while they act as the target,
and they are checked afresh on every request (`load_impersonator`): once they are logged out,
deactivated, no longer a super admin or have changed their password, the whole session ends.
Every audit entry written meanwhile names both people (`_name_the_impersonator`), and so does
every entry of a job started meanwhile: the job keeps the impersonator (`Job.impersonator_id`,
stamped by the same hook) and its run says so (`acting_for_job`), outside any request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from extensions import db
from models import AuditEvent, Job, User

impersonation_blueprint = Blueprint("impersonation", __name__, url_prefix="/view-as")
IMPERSONATOR_KEY = "impersonator_token"


def load_impersonator(target: User) -> bool:
    """Find the super admin viewing as `target`, for the user loader on every request.

    False when the session names one who may no longer view as `target` (their token rotated by a
    logout, password change or deactivation; their role changed; the target became a super admin):
    the caller must then end the session, and do nothing as the target.
    """
    token = session.get(IMPERSONATOR_KEY)
    impersonator = (
        db.session.scalar(sa.select(User).where(User.session_token == token)) if token else None
    )
    g.impersonator = impersonator if may_view_as(impersonator, target) else None
    return token is None or g.impersonator is not None


def current_impersonator() -> User | None:
    """The super admin behind the current session, when they are viewing as someone else."""
    if not current_user.is_authenticated:  # loading the user loads and checks the impersonator
        return None
    return g.get("impersonator")


def audit_actor() -> dict[str, Any]:
    """Who did it, for an AuditEvent: the user and the IP (the super admin behind them is added
    to every entry by `_name_the_impersonator`)."""
    return {
        "user_id": current_user.id,
        "actor_email": current_user.email,
        "ip": request.remote_addr,
    }


@sa.event.listens_for(Session, "before_flush")
def _name_the_impersonator(db_session: Session, _context: Any, _instances: Any) -> None:
    """Below every writer of the audit trail: an entry made while viewing as names both people,
    and a job started while viewing as keeps who did, for the entries its run will write."""
    entries = [entry for entry in db_session.new if isinstance(entry, AuditEvent | Job)]
    impersonator = _acting_impersonator() if entries else None
    if impersonator is None:
        return
    for entry in entries:
        entry.impersonator_id = impersonator.id
        if isinstance(entry, AuditEvent):
            entry.impersonator_email = impersonator.email


def _acting_impersonator() -> User | None:
    """The request's impersonator; in a job's run, the one who started the job."""
    if has_request_context() and (impersonator := current_impersonator()) is not None:
        return impersonator
    return g.get("job_impersonator") if has_app_context() else None


@contextmanager
def acting_for_job(impersonator: User | None) -> Iterator[None]:
    """Inside the block (a job's run), audit entries name `impersonator` beside the job's user."""
    previous = g.get("job_impersonator")
    g.job_impersonator = impersonator
    try:
        yield
    finally:
        g.job_impersonator = previous


def _audit_impersonation(action: str, target: User) -> None:
    db.session.add(
        AuditEvent(action=action, entity="User", entity_id=str(target.id), **audit_actor())
    )


def may_view_as(viewer: Any, target: User | None) -> bool:
    """Super admins may view as any active panel user but another super admin."""
    return (
        viewer is not None
        and viewer.is_authenticated
        and viewer.role == "super_admin"
        and target is not None
        and target.is_active
        and target.role != "super_admin"
    )


@impersonation_blueprint.route("/<int:user_id>", methods=["POST"])
@login_required
def start(user_id: int) -> Response:
    target = db.session.get(User, user_id)
    if current_impersonator() is not None or not may_view_as(current_user, target):
        abort(403)
    session[IMPERSONATOR_KEY] = current_user.session_token
    g.impersonator = current_user._get_current_object()
    login_user(target)
    _audit_impersonation("impersonation_start", target)
    db.session.commit()
    flash(f"You are now viewing the panel as {target.email}.", "info")
    return redirect(url_for("admin.index"))


@impersonation_blueprint.route("/stop", methods=["POST"])
@login_required
def stop() -> Response:
    impersonator = current_impersonator()
    if impersonator is None:
        abort(400)
    _audit_impersonation("impersonation_end", current_user._get_current_object())
    db.session.commit()
    session.pop(IMPERSONATOR_KEY)
    g.impersonator = None
    login_user(impersonator)
    flash("You are back as yourself.", "info")
    return redirect(url_for("admin.index"))

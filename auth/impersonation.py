""" "View as": a super admin sees the panel exactly as another user does, and can return.

The super admin's own session token is kept aside in the session while they act as the target;
every audit entry written meanwhile names both people (`audit_actor`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from extensions import db
from models import AuditEvent, User

impersonation_blueprint = Blueprint("impersonation", __name__, url_prefix="/view-as")
IMPERSONATOR_KEY = "impersonator_token"


def current_impersonator() -> User | None:
    """The super admin behind the current session, when they are viewing as someone else."""
    if "impersonator" not in g:
        token = session.get(IMPERSONATOR_KEY)
        g.impersonator = (
            db.session.scalar(sa.select(User).where(User.session_token == token)) if token else None
        )
    return g.impersonator


def audit_actor() -> dict[str, Any]:
    """Who did it, for an AuditEvent: the user, the super admin behind them if any, and the IP."""
    impersonator = current_impersonator()
    return {
        "user_id": current_user.id,
        "actor_email": current_user.email,
        "impersonator_id": impersonator.id if impersonator else None,
        "impersonator_email": impersonator.email if impersonator else None,
        "ip": request.remote_addr,
    }


def _audit_impersonation(action: str, target: User) -> None:
    db.session.add(
        AuditEvent(action=action, entity="User", entity_id=str(target.id), **audit_actor())
    )


def may_view_as(viewer: Any, target: User | None) -> bool:
    """Super admins may view as any active panel user but another super admin."""
    return (
        viewer.is_authenticated
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
    login_user(impersonator)
    flash("You are back as yourself.", "info")
    return redirect(url_for("admin.index"))

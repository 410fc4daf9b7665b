""" "My actions": the follow-up actions assigned to the current user, with a way to mark one done.

The list comes from `notifications.follow_ups.open_actions_for`, which the manager dashboard
uses too; marking done records who and when, and is audited.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from auth.impersonation import audit_actor
from auth.permissions import VIEW, allowed_operations
from extensions import db
from models.base import utc_today
from notifications.follow_ups import mark_done, open_actions_for


class MyActionsView(LoginOrForbidden, BaseView):
    """Open for every role that may see follow-up actions."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and VIEW in allowed_operations(
            "FollowUpAction", "Activity", current_user.role
        )

    @expose("/")
    def index(self) -> str:
        return self.render(
            "notifications/my_actions.html",
            actions=open_actions_for(db.session, current_user),
            today=utc_today(),
        )

    @expose("/<int:action_id>/done", methods=["POST"])
    def done(self, action_id: int) -> Response:
        """Only an open action of one's own, within one's rows: anything else is not found."""
        mine = {action.id: action for action in open_actions_for(db.session, current_user)}
        action = mine.get(action_id)
        if action is None:
            abort(404)
        try:
            mark_done(db.session, action, current_user._get_current_object(), audit_actor())
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash("Someone changed this action meanwhile; nothing was saved.", "danger")
        else:
            flash(f"Marked done: {action.kind} on {action.account.code}.", "success")
        return redirect(url_for(".index"))

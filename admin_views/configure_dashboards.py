"""Settings → Configure dashboards: the super admin arranges each role's dashboard (add, remove,
reorder widgets, set their parameters), previews it as a person of that role sees it, or goes
back to the shipped default. Every save goes through `dashboards.layouts.save_layout` (checked,
audited, refused when someone saved meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from admin_views.access import SuperAdminPage, requested_role
from admin_views.committing import commit_or_flash_refusal
from auth.impersonation import audit_actor
from dashboards import charts
from dashboards.layouts import (
    MOST_WIDGETS,
    SAVED_MEANWHILE,
    finance_hidden_from,
    layout_for,
    reset_layout,
    save_layout,
    stored_layout,
)
from dashboards.page import dashboard_widgets
from dashboards.registry import REGISTRY, ParameterRefused, may_show, offered_kinds, offered_options
from extensions import db
from models.labels import role_label
from models.people import PANEL_ROLES, User


@dataclass(frozen=True)
class StandIn:
    """The viewer of a preview when no user holds the role yet: every row its role allows, and
    for a manager none (they manage no account)."""

    role: str
    id: int = 0
    email: str = "(nobody of this role yet)"


def placements_from(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The layout the editor posted: `count` widgets, `w{i}.widget` and `w{i}.{parameter}`."""
    try:
        count = int(form.get("count", "0"))
    except ValueError:
        abort(400)
    if not 0 <= count <= MOST_WIDGETS + 1:
        abort(400)
    placements = []
    for index in range(count):
        prefix = f"w{index}."
        params = {
            name.removeprefix(prefix): value
            for name, value in form.items()
            if name.startswith(prefix) and name != f"{prefix}widget"
        }
        placements.append({"widget": form.get(f"{prefix}widget", ""), "params": params})
    return placements


def apply_action(placements: list[dict[str, Any]], action: str, added: str) -> list[dict[str, Any]]:
    """Move, remove or add one widget as the pressed button says; "save" changes nothing."""
    verb, _, position = action.partition(":")
    if verb == "add":
        kind = REGISTRY.get(added)
        return [*placements, {"widget": added, "params": kind.defaults() if kind else {}}]
    if verb not in {"up", "down", "remove"}:
        return placements
    try:
        index = int(position)
    except ValueError:
        abort(400)
    if not 0 <= index < len(placements):
        abort(400)
    moved = list(placements)
    if verb == "remove":
        del moved[index]
    else:
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(moved):
            moved[index], moved[other] = moved[other], moved[index]
    return moved


class ConfigureDashboardsView(SuperAdminPage, BaseView):
    def __init__(self) -> None:
        super().__init__(
            name="Configure dashboards",
            category="Settings",
            endpoint="configure_dashboards",
            url="configure-dashboards",
        )

    @expose("/")
    def index(self) -> str:
        role = requested_role()
        finance_hidden = finance_hidden_from(db.session, role)
        placements = []
        for placement in layout_for(db.session, role):
            kind = REGISTRY.get(placement.get("widget", ""))
            try:
                params = kind.parsed_parameters(placement.get("params", {})) if kind else None
            except ParameterRefused:
                params = None
            shown = params is not None and may_show(kind, params, role, finance_hidden)
            placements.append((kind, placement, shown))
        offered = offered_kinds(role, finance_hidden)
        stored = stored_layout(db.session, role)
        return self.render(
            "admin/configure_dashboards.html",
            roles=PANEL_ROLES,
            role=role,
            placements=placements,
            offered=offered,
            options_for=lambda kind, parameter: offered_options(
                kind, parameter, role, finance_hidden
            ),
            version=stored.version_id if stored else 0,
            is_default=stored is None,
        )

    @expose("/save", methods=["POST"])
    def save(self) -> Response:
        role = requested_role()
        placements = apply_action(
            placements_from(request.form),
            request.form.get("action", "save"),
            request.form.get("add_widget", ""),
        )
        try:
            version = int(request.form.get("version", ""))
        except ValueError:
            abort(400)
        try:
            layout = commit_or_flash_refusal(
                lambda: save_layout(db.session, role, placements, audit_actor(), version)
            )
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            flash(SAVED_MEANWHILE, "danger")
        else:
            if layout is not None:
                flash(f"The {role_label(role).lower()} dashboard was saved.", "success")
        return redirect(url_for(".index", role=role))

    @expose("/reset", methods=["POST"])
    def reset(self) -> Response:
        role = requested_role()
        reset_layout(db.session, role, audit_actor())
        db.session.commit()
        flash(f"The {role_label(role).lower()} dashboard is back to its default.", "success")
        return redirect(url_for(".index", role=role))

    @expose("/preview")
    def preview(self) -> str:
        """The role's dashboard as one of its users sees it (their rows, the role's field rules);
        nothing on it can be changed from here."""
        role = requested_role()
        people = db.session.scalars(
            sa.select(User).where(User.role == role, User.active.is_(True)).order_by(User.email)
        ).all()
        chosen = request.args.get("user", type=int)
        viewer = next((p for p in people if p.id == chosen), people[0] if people else None)
        if chosen is not None and (viewer is None or viewer.id != chosen):
            abort(404)
        g.preview_role = role
        widgets = dashboard_widgets(db.session, viewer or StandIn(role), role)
        return self.render(
            "admin/dashboard.html",
            widgets=widgets,
            charts=charts,
            previewed_role=role,
            preview_people=people,
            preview_viewer=viewer,
        )

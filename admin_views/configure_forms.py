"""The "Configure forms" page: super admins set per-role field rules in a grid and fill in values
that a newly required field lacks. (The preview of a form as a role sees it is served by each
model's own view, so that its pick lists work: `RoleAwareModelView.preview_view`.)"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from admin_views.generic import RoleAwareModelView
from auth.impersonation import audit_actor
from extensions import db
from forms_config import custom_fields_for
from forms_config.grid import SWITCHES, fill_missing, grid_rows, records_missing, save_grid
from forms_config.rule_checks import configurable_models, invalid_rules
from models.audit import AuditEvent
from models.base import RecordRefused
from models.people import PANEL_ROLES


class ConfigureFormsView(LoginOrForbidden, BaseView):
    def __init__(self, model_views: list[RoleAwareModelView]) -> None:
        self.view_by_entity = {
            view.model.__name__: view
            for view in model_views
            if view.model in configurable_models([v.model for v in model_views])
        }
        super().__init__(name="Configure forms", category="Settings", endpoint="configure_forms")

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role == "super_admin"

    def _chosen_view(self) -> RoleAwareModelView:
        entity = request.values.get("entity") or next(iter(self.view_by_entity))
        if entity not in self.view_by_entity:
            abort(404)
        return self.view_by_entity[entity]

    @expose("/")
    def index(self) -> str:
        view = self._chosen_view()
        model = view.model
        definitions = custom_fields_for(model.__name__)
        rows = grid_rows(db.session, model, definitions)
        must_fill = {
            row.field: records_missing(db.session, model, row.field, row.is_custom)
            for row in rows
            if any(flags["required"] for flags in row.flags_by_role.values())
        }
        return self.render(
            "admin/configure_forms.html",
            entities=self.view_by_entity,
            entity=model.__name__,
            rows=rows,
            roles=PANEL_ROLES,
            switches=SWITCHES,
            must_fill=must_fill,
            invalid_rules=invalid_rules(db.session),
        )

    @expose("/save", methods=["POST"])
    def save(self) -> Response:
        view = self._chosen_view()
        model = view.model
        rows = grid_rows(db.session, model, custom_fields_for(model.__name__))
        submitted = {
            (row.field, role): {
                switch: f"rule|{row.field}|{role}|{switch}" in request.form for switch in SWITCHES
            }
            for row in rows
            for role in PANEL_ROLES
        }
        try:
            changed = save_grid(db.session, model, submitted, audit_actor())
            db.session.commit()
        except RecordRefused as refused:
            db.session.rollback()
            for _column, message in refused.reasons:
                flash(message, "danger")
            flash("Nothing was saved.", "danger")
        else:
            flash(
                f"Saved: {changed} rule(s) changed. They apply from the next page load.", "success"
            )
        return redirect(url_for(".index", entity=model.__name__))

    @expose("/fill", methods=["POST"])
    def fill(self) -> Response:
        view = self._chosen_view()
        model = view.model
        field = request.form.get("field", "")
        custom = next((d for d in view.custom_fields() if d.key == field), None)
        if custom is None and field not in view.model_fields.form:
            abort(400)
        filled, error = fill_missing(
            db.session, model, field, custom, request.form.get("value", "")
        )
        if error:
            db.session.rollback()
            flash(error, "danger")
        else:
            db.session.add(
                AuditEvent(
                    action="bulk_fill",
                    entity=model.__name__,
                    changes={"field": field, "value": request.form.get("value"), "records": filled},
                    **audit_actor(),
                )
            )
            db.session.commit()
            flash(f"Filled {field} on {filled} record(s).", "success")
        return redirect(url_for(".index", entity=model.__name__))

"""The "Configure forms" page: super admins set per-role field rules in a grid, add rules that
apply on a condition, and fill in values that a newly required field lacks. (The preview of a
form as a role sees it is served by each model's own view, so that its pick lists work:
`RoleAwareModelView.preview_view`.)"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from werkzeug.wrappers import Response

from admin_views.access import SuperAdminPage
from admin_views.committing import commit_or_flash_refusal
from admin_views.generic import RoleAwareModelView
from auth.impersonation import audit_actor
from extensions import db
from forms_config import custom_fields_for
from forms_config.conditional_grid import (
    CONDITION_SWITCHES,
    add_conditional_rule,
    condition_choices,
    condition_clause,
    conditional_rules,
    delete_conditional_rule,
)
from forms_config.grid import SWITCHES, fill_missing, grid_rows, records_missing, save_grid
from forms_config.rule_checks import configurable_models, invalid_rules
from models.audit import AuditEvent
from models.config import FormFieldRule
from models.people import PANEL_ROLES


class ConfigureFormsView(SuperAdminPage, BaseView):
    def __init__(self, model_views: list[RoleAwareModelView]) -> None:
        self.view_by_entity = {
            view.model.__name__: view
            for view in model_views
            if view.model in configurable_models([v.model for v in model_views])
        }
        super().__init__(name="Configure forms", category="Settings", endpoint="configure_forms")

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
        custom_by_key = {definition.key: definition for definition in definitions}
        conditional = conditional_rules(db.session, model.__name__)
        refused = invalid_rules(db.session)
        refused_ids = {rule.id for rule, _reasons in refused}
        conditional_missing = {
            rule.id: records_missing(
                db.session,
                model,
                rule.field,
                rule.field in custom_by_key,
                condition_clause(model, rule, custom_by_key.get(rule.condition_field)),
            )
            for rule in conditional
            if rule.required and rule.id not in refused_ids
        }
        choices = condition_choices(db.session, model, view.model_fields.form, definitions)
        return self.render(
            "admin/configure_forms.html",
            entities=self.view_by_entity,
            entity=model.__name__,
            rows=rows,
            roles=PANEL_ROLES,
            switches=SWITCHES,
            must_fill=must_fill,
            invalid_rules=refused,
            conditional_rules=conditional,
            conditional_missing=conditional_missing,
            condition_choices=choices,
            condition_labels={
                choice.field: (choice.label, dict(choice.options)) for choice in choices
            },
            condition_switches=CONDITION_SWITCHES,
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
        changed = commit_or_flash_refusal(
            lambda: save_grid(db.session, model, submitted, audit_actor())
        )
        if changed is not None:
            flash(
                f"Saved: {changed} rule(s) changed. They apply from the next page load.", "success"
            )
        return redirect(url_for(".index", entity=model.__name__))

    @expose("/conditional/add", methods=["POST"])
    def add_conditional(self) -> Response:
        """Add one rule that applies on a condition, through the one validation of rules."""
        view = self._chosen_view()
        model = view.model
        condition_field = request.form.get("condition_field", "")
        custom = next((d for d in view.custom_fields() if d.key == condition_field), None)
        rule = commit_or_flash_refusal(
            lambda: add_conditional_rule(db.session, model, request.form, custom, audit_actor()),
            "The conditional rule was not saved.",
        )
        if rule is not None:
            flash(f"Saved the rule: {rule}. It applies from the next page load.", "success")
        return redirect(url_for(".index", entity=model.__name__))

    @expose("/conditional/delete", methods=["POST"])
    def delete_conditional(self) -> Response:
        view = self._chosen_view()
        rule = self._conditional_rule(view)
        delete_conditional_rule(db.session, rule, audit_actor())
        db.session.commit()
        flash(f"Deleted the rule: {rule}.", "success")
        return redirect(url_for(".index", entity=view.model.__name__))

    def _conditional_rule(self, view: RoleAwareModelView) -> FormFieldRule:
        """The posted conditional rule of the chosen entity; anything else answers 404."""
        raw = request.form.get("rule_id", "")
        rule = db.session.get(FormFieldRule, int(raw)) if raw.isdigit() else None
        if rule is None or rule.entity != view.model.__name__ or not rule.is_conditional:
            abort(404)
        return rule

    @expose("/fill", methods=["POST"])
    def fill(self) -> Response:
        """Fill a newly required field where it is empty: in every record, or (for a rule
        with a condition, `rule_id`) only in the records the condition applies to."""
        view = self._chosen_view()
        model = view.model
        only_where = None
        if request.form.get("rule_id"):
            rule = self._conditional_rule(view)
            field = rule.field
            definitions = {d.key: d for d in view.custom_fields()}
            only_where = condition_clause(model, rule, definitions.get(rule.condition_field))
        else:
            field = request.form.get("field", "")
        custom = next((d for d in view.custom_fields() if d.key == field), None)
        if custom is None and field not in view.model_fields.form:
            abort(400)
        filled, error = fill_missing(
            db.session, model, field, custom, request.form.get("value", ""), only_where
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

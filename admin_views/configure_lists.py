"""Settings → Configure lists: per entity and per role, the columns a list shows and in which
order, its default sort and filters, and its page size; or back to the list's defaults.

The editor reads the list as the role reads it (`g.preview_role`), so it offers only what the
role may read; every save goes through `list_settings.checked_settings` (a forged column, sort or
filter is refused with its reason) and `saved_list_views.save_role_settings` (audited, refused
when someone saved meanwhile).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.access import SuperAdminPage, requested_role
from admin_views.committing import commit_or_flash_refusal
from admin_views.list_settings import (
    LEAST_PAGE_SIZE,
    MOST_FILTERS,
    MOST_PAGE_SIZE,
    checked_settings,
    effective_settings,
)
from admin_views.saved_list_views import (
    SAVED_MEANWHILE,
    reset_role_settings,
    role_settings,
    save_role_settings,
)
from auth.impersonation import audit_actor
from auth.permissions import VIEW, allowed_operations
from extensions import db
from models.labels import role_label
from models.people import PANEL_ROLES

FILTER_ROWS = 3
"""Empty filter rows the editor offers beyond the saved ones (up to `MOST_FILTERS`)."""


class ConfigureListsView(SuperAdminPage, BaseView):
    def __init__(self, model_views: list[Any]) -> None:
        super().__init__(
            name="Configure lists",
            category="Settings",
            endpoint="configure_lists",
            url="configure-lists",
        )
        self.model_views = {view.model.__name__: view for view in model_views}

    def _listed_views(self, role: str) -> list[Any]:
        """The lists `role` can open, in menu order."""
        return [
            view
            for view in self.model_views.values()
            if VIEW in allowed_operations(view.model.__name__, view.category or "", role)
        ]

    def _view(self, role: str) -> Any:
        listed = self._listed_views(role)
        entity = request.values.get("entity") or (listed[0].model.__name__ if listed else "")
        view = next((view for view in listed if view.model.__name__ == entity), None)
        if view is None:
            abort(404)
        return view

    @expose("/")
    def index(self) -> str:
        role = requested_role()
        view = self._view(role)
        g.preview_role = role  # the lists' columns, sorts and filters as the role reads them
        choices = view.list_choices()
        stored = role_settings(db.session, view.model.__name__, role)
        settings = effective_settings(choices, stored)
        shown = list(settings.columns)
        filters = [(choices.filters[identity], value) for identity, value in settings.filters] + [
            (None, "")
        ] * min(FILTER_ROWS, MOST_FILTERS - len(settings.filters))
        return self.render(
            "admin/configure_lists.html",
            roles=PANEL_ROLES,
            role=role,
            entity=view.model.__name__,
            entity_views=self._listed_views(role),
            columns=[(name, choices.columns[name], name in shown)
                     for name in shown + [n for n in choices.columns if n not in shown]],
            sorts=choices.sorts,
            filter_choices=sorted(choices.filters.values(), key=lambda choice: choice.index),
            filters=filters,
            settings=settings,
            least_page_size=LEAST_PAGE_SIZE,
            most_page_size=MOST_PAGE_SIZE,
            version=stored.version_id if stored else 0,
            is_default=stored is None,
        )  # fmt: skip

    @expose("/save", methods=["POST"])
    def save(self) -> Response:
        role = requested_role()
        view = self._view(role)
        entity = view.model.__name__
        g.preview_role = role
        form = request.form
        columns = [name for name in form.get("cols", "").split(",") if name]
        submitted = {
            "columns": columns or form.getlist("column"),
            "sort": form.get("sort", ""),
            "sort_desc": form.get("direction") == "desc",
            "filters": [
                (form[f"filter{index}"], form.get(f"filter{index}_value", ""))
                for index in range(MOST_FILTERS + 1)
                if form.get(f"filter{index}")
            ],
            "page_size": form.get("page_size", ""),
        }
        try:
            version = int(form.get("version", ""))
        except ValueError:
            abort(400)

        def write() -> Any:
            settings = checked_settings(view.list_choices(), submitted)
            return save_role_settings(db.session, entity, role, settings, audit_actor(), version)

        try:
            saved = commit_or_flash_refusal(write)
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            flash(SAVED_MEANWHILE, "danger")
        else:
            if saved is not None:
                who = role_label(role).lower()
                flash(f"The {view.name} list of the {who} role was saved.", "success")
        return redirect(url_for(".index", role=role, entity=entity))

    @expose("/reset", methods=["POST"])
    def reset(self) -> Response:
        role = requested_role()
        view = self._view(role)
        reset_role_settings(db.session, view.model.__name__, role, audit_actor())
        db.session.commit()
        who = role_label(role).lower()
        flash(f"The {view.name} list of the {who} role is back to its defaults.", "success")
        return redirect(url_for(".index", role=role, entity=view.model.__name__))

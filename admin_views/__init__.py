"""Flask-Admin: one generic role-aware view registered for every model in `models/`."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views.accounts import AccountView
from admin_views.configure_forms import ConfigureFormsView
from admin_views.generic import RoleAwareModelView
from admin_views.home import HomeView
from admin_views.imports import ImportView
from admin_views.users import UserView
from extensions import db
from models.base import PanelModel

MENU_CATEGORIES = ("Accounts", "Billing", "Activity", "Records", "Settings")

VIEW_CLASS_BY_MODEL: dict[str, type[RoleAwareModelView]] = {
    "Account": AccountView,
    "User": UserView,
}
"""Per-model subclasses, only where a model needs more than the generic view (ARCHITECTURE §2)."""


def panel_models() -> list[type[PanelModel]]:
    """Every mapped model in menu order: a model added to `models/` gets a view, nothing else."""
    models = [
        mapper.class_
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, PanelModel)
    ]
    return sorted(
        models,
        key=lambda model: (MENU_CATEGORIES.index(model.panel_category), model.__name__),
    )


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="Accounts Desk",
        index_view=HomeView(name="Home", url="/admin"),
        theme=Bootstrap4Theme(base_template="panel_layout.html", fluid=True),
    )
    model_views = [
        VIEW_CLASS_BY_MODEL.get(model.__name__, RoleAwareModelView)(model, db)
        for model in panel_models()
    ]
    admin.add_views(*model_views)
    admin.add_view(ConfigureFormsView(model_views))
    admin.add_view(ImportView(name="Import", endpoint="bulk_import", url="import"))
    return admin

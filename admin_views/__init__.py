"""Flask-Admin: one generic role-aware view registered for every model in `models/`."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views.generic import RoleAwareModelView
from admin_views.home import HomeView
from admin_views.users import UserView
from extensions import db
from models.base import PanelModel

MENU_CATEGORIES = ("Accounts", "Billing", "Activity", "Records", "Settings")

VIEW_CLASS_BY_MODEL: dict[str, type[RoleAwareModelView]] = {"User": UserView}
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
    for model in panel_models():
        view_class = VIEW_CLASS_BY_MODEL.get(model.__name__, RoleAwareModelView)
        admin.add_view(view_class(model, db))
    return admin

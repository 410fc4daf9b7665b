"""Flask-Admin: one generic role-aware view registered for every model in `models/`."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views.accounts import AccountView
from admin_views.audit_changes import AuditLogView
from admin_views.billing_forms import CreditNoteView, InvoiceView
from admin_views.configure_dashboards import ConfigureDashboardsView
from admin_views.configure_forms import ConfigureFormsView
from admin_views.configure_lists import ConfigureListsView
from admin_views.count_cache import init_count_cache
from admin_views.credit_requests import CreditRequestView
from admin_views.email_templates_page import EmailTemplatesView
from admin_views.generic import RoleAwareModelView
from admin_views.home import HomeView
from admin_views.imports import ImportView, allow_large_uploads
from admin_views.jobs import JobsView
from admin_views.my_actions import MyActionsView
from admin_views.panel_pages import init_panel_pages
from admin_views.reports import ReportsView
from admin_views.settings_page import SettingsView
from admin_views.training import AwardsReportView, BookingView, CourseDateView
from admin_views.training_portal import training_portal_views
from admin_views.users import UserView
from extensions import db
from models.base import PanelModel
from web_hardening import csp_nonce, init_web_hardening

MENU_CATEGORIES = ("Accounts", "Billing", "Activity", "Training", "Records", "Settings")

VIEW_CLASS_BY_MODEL: dict[str, type[RoleAwareModelView]] = {
    "Account": AccountView,
    "AuditEvent": AuditLogView,
    "User": UserView,
    "CreditRequest": CreditRequestView,
    "Booking": BookingView,
    "CourseDate": CourseDateView,
    "Invoice": InvoiceView,
    "CreditNote": CreditNoteView,
}
"""Per-model subclasses, only where a model needs more than the generic view (ARCHITECTURE §2)."""


def _menu_rank(category: str) -> int:
    """Known categories in their order; a new one joins the records, before the settings."""
    if category in MENU_CATEGORIES:
        return MENU_CATEGORIES.index(category)
    return MENU_CATEGORIES.index("Records")


def panel_models() -> list[type[PanelModel]]:
    """Every mapped model in menu order: a model added to `models/` gets a view, nothing else."""
    models = [
        mapper.class_
        for mapper in db.Model.registry.mappers
        if issubclass(mapper.class_, PanelModel)
    ]
    return sorted(
        models,
        key=lambda model: (_menu_rank(model.panel_category), model.panel_category, model.__name__),
    )


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app,
        name="Accounts Desk",
        index_view=HomeView(name="Home", url="/admin"),
        theme=Bootstrap4Theme(base_template="panel_layout.html", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    model_views = [
        VIEW_CLASS_BY_MODEL.get(model.__name__, RoleAwareModelView)(model, db)
        for model in panel_models()
    ]
    admin.add_views(*model_views)
    admin.add_view(ConfigureFormsView(model_views))
    admin.add_view(ConfigureDashboardsView())
    admin.add_view(ConfigureListsView(model_views))
    admin.add_view(ImportView(name="Import", endpoint="bulk_import", url="import"))
    admin.add_view(JobsView(name="My jobs", endpoint="jobs", url="jobs"))
    allow_large_uploads(app)
    init_count_cache(app)
    admin.add_view(
        MyActionsView(
            name="My actions", category="Activity", endpoint="my_actions", url="my-actions"
        )
    )
    admin.add_view(
        AwardsReportView(
            name="Awards report", category="Training", endpoint="training_awards", url="awards"
        )
    )
    admin.add_views(*training_portal_views())
    admin.add_view(ReportsView(name="Reports", endpoint="reports", url="reports"))
    admin.add_view(SettingsView(name="Settings", category="Settings", endpoint="settings"))
    admin.add_view(
        EmailTemplatesView(
            name="E-mail templates",
            category="Settings",
            endpoint="email_templates",
            url="email-templates",
        )
    )
    init_web_hardening(app, {name for view in model_views for name, _text in view._actions})
    init_panel_pages(app, admin)
    return admin

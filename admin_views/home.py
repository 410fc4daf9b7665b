"""The panel's landing page: the dashboard of the viewer's role (Settings → Configure dashboards),
and "Refresh", which recomputes its figures."""

from __future__ import annotations

from flask import redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from dashboards import charts
from dashboards.page import dashboard_widgets
from extensions import db


class HomeView(LoginOrForbidden, AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    @expose("/")
    def index(self) -> str:
        widgets = dashboard_widgets(db.session, current_user, current_user.role)
        return self.render(
            "admin/dashboard.html", widgets=widgets, charts=charts, previewed_role=None
        )

    @expose("/refresh", methods=["POST"])
    def refresh(self) -> Response:
        dashboard_widgets(db.session, current_user, current_user.role, refresh=True)
        return redirect(url_for(".index"))

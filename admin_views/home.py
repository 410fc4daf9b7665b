"""The panel's landing page: a manager's dashboard, or for other roles what their role opens."""

import datetime as dt

import sqlalchemy as sa
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views.access import LoginOrForbidden
from extensions import db
from models import Account, FollowUpAction
from models.ledger import account_figures, credit_use_percent
from models.scoping import restrict_to_visible_rows


class HomeView(LoginOrForbidden, AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    @expose("/")
    def index(self) -> str:
        if current_user.role != "manager":
            return self.render("admin/home.html")
        today = dt.date.today()
        my_accounts = restrict_to_visible_rows(sa.select(Account), Account, current_user)
        accounts = db.session.execute(account_figures(my_accounts, today)).all()
        open_actions = db.session.scalars(
            restrict_to_visible_rows(
                sa.select(FollowUpAction)
                .where(
                    FollowUpAction.assignee_id == current_user.id,
                    FollowUpAction.status == "open",
                )
                .order_by(FollowUpAction.due_date),
                FollowUpAction,
                current_user,
            )
        ).all()
        return self.render(
            "admin/manager_dashboard.html",
            accounts=accounts,
            open_actions=open_actions,
            credit_use_percent=credit_use_percent,
            today=today,
        )

"""The panel's landing page: a manager's dashboard, or for other roles what their role opens."""

import datetime as dt

import sqlalchemy as sa
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from admin_views.access import LoginOrForbidden
from extensions import db
from forms_config.readability import readable
from models import Account
from models.account_currency import currencies_of_accounts
from models.ledger import account_figures, credit_use_percent
from models.scoping import restrict_to_visible_rows
from notifications.follow_ups import open_actions_for


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
        open_actions = open_actions_for(db.session, current_user)
        return self.render(
            "admin/manager_dashboard.html",
            accounts=accounts,
            open_actions=open_actions,
            credit_use_percent=credit_use_percent,
            credit_limit_visible=readable("Account", "credit_limit"),
            currencies=currencies_of_accounts(db.session, [row[0].id for row in accounts]),
            today=today,
        )

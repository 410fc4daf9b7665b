"""Credit control: accounts over their credit limit, and accounts not current (anything overdue).

Balance and overdue amount are those of `models.ledger.account_figures`, as of today, so this
report agrees with the account page and the manager dashboard. Utilisation is the balance as a
percentage of the credit limit, to one decimal; blank for an account without a limit. A viewer
who may not read credit limits gets the accounts not current only, limits shown as hidden.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Account, User
from models.base import CENT
from models.ledger import account_figures
from models.scoping import HasRole, restrict_to_visible_rows
from reports.aging import UNASSIGNED
from reports.queries import frame_of
from reports.readable_columns import may_read_column, readable_report

CREDIT_COLUMNS = ["account_code", "account_name", "account_manager", "credit_limit", "balance",
                  "overdue", "utilisation_percent", "over_limit", "not_current"]  # fmt: skip
TENTH = Decimal("0.1")


def utilisation_percent(balance: Decimal, credit_limit: Decimal | None) -> Decimal | None:
    if credit_limit is None or credit_limit <= 0:
        return None
    return (Decimal(balance) * 100 / Decimal(credit_limit)).quantize(TENTH)


def credit_control(session: Session, viewer: HasRole, today: dt.date) -> pd.DataFrame:
    """Accounts over their limit or with an overdue amount, by account code."""
    accounts = restrict_to_visible_rows(sa.select(Account), Account, viewer)
    figures = account_figures(accounts, today).subquery()
    flagged = figures.c.overdue > 0
    if may_read_column("credit_limit", viewer):  # else being listed would tell the limit's side
        flagged = sa.or_(figures.c.balance > figures.c.credit_limit, flagged)
    statement = (
        sa.select(
            figures.c.code.label("account_code"),
            figures.c.name.label("account_name"),
            sa.func.coalesce(User.email, UNASSIGNED).label("account_manager"),
            figures.c.credit_limit,
            figures.c.balance,
            figures.c.overdue,
        )
        .outerjoin(User, User.id == figures.c.account_manager_id)
        .where(flagged)
        .order_by(figures.c.code)
    )
    accounts_flagged = frame_of(session, statement)
    for column in ("balance", "overdue"):
        accounts_flagged[column] = [Decimal(value).quantize(CENT) for value in
                                    accounts_flagged[column]]  # fmt: skip
    accounts_flagged["credit_limit"] = [
        None if pd.isna(limit) else Decimal(limit).quantize(CENT)
        for limit in accounts_flagged["credit_limit"]
    ]
    accounts_flagged["utilisation_percent"] = [
        utilisation_percent(balance, limit)
        for balance, limit in zip(
            accounts_flagged["balance"], accounts_flagged["credit_limit"], strict=True
        )
    ]
    accounts_flagged["over_limit"] = [
        limit is not None and balance > limit
        for balance, limit in zip(
            accounts_flagged["balance"], accounts_flagged["credit_limit"], strict=True
        )
    ]
    accounts_flagged["not_current"] = [overdue > 0 for overdue in accounts_flagged["overdue"]]
    return readable_report(accounts_flagged[CREDIT_COLUMNS], viewer)

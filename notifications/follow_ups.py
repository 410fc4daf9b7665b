"""Follow-up actions for collections: a manager's open actions, marking one done, and the
actions overdue invoices create by themselves (setting `follow_up_after_days_overdue`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from models.accounts import Account
from models.activity import FollowUpAction
from models.audit import AuditEvent, changed_values
from models.billing import Invoice
from models.ledger import applied_per_invoice
from models.notifications import AutomaticFollowUp
from models.scoping import restrict_to_visible_rows
from notifications import switches
from notifications.detection import open_amount_expression
from notifications.outbox import insert_unless_exists


def open_actions_for(session: Any, user: Any) -> list[FollowUpAction]:
    """The open follow-up actions assigned to `user`, earliest due first, within their rows.

    The manager dashboard and the "My actions" page both list these.
    """
    query = (
        sa.select(FollowUpAction)
        .where(FollowUpAction.assignee_id == user.id, FollowUpAction.status == "open")
        .order_by(FollowUpAction.due_date, FollowUpAction.id)
    )
    return list(session.scalars(restrict_to_visible_rows(query, FollowUpAction, user)))


def mark_done(session: Any, action: FollowUpAction, user: Any, actor: dict[str, Any]) -> bool:
    """Record that `user` did `action` now; False when it was no longer open. The caller commits."""
    if action.status != "open":
        return False
    before = {"status": action.status, "completed_at": None, "completed_by": None}
    action.status = "done"
    action.set_server_values(user, creating=False)
    session.flush()
    after = {"status": "done", "completed_at": action.completed_at, "completed_by": user.email}
    session.add(
        AuditEvent(
            action="update",
            entity="FollowUpAction",
            entity_id=str(action.id),
            changes=changed_values(before, after),
            **actor,
        )
    )
    return True


def create_overdue_follow_ups(session: Any, today: dt.date) -> int:
    """Give each invoice that is N days past due (and still open) one follow-up action for its
    account manager; N is the `follow_up_after_days_overdue` setting, and no setting, no actions.

    The `AutomaticFollowUp` row, keyed by invoice, is inserted first: of two runs, only the one
    that inserted it creates the action.
    """
    days = switches.setting_days(session, switches.FOLLOW_UP_DAYS_OVERDUE)
    if days is None:
        return 0
    applied = applied_per_invoice()
    open_amount = open_amount_expression(applied)
    rows = session.execute(
        sa.select(
            Invoice.id, Invoice.number, Invoice.due_date, Account.id, Account.account_manager_id
        )
        .join(Account, Account.id == Invoice.account_id)
        .outerjoin(applied, applied.c.invoice_id == Invoice.id)
        .where(
            Invoice.status == "issued",
            open_amount > 0,
            Invoice.due_date <= today - dt.timedelta(days=days),
            ~sa.exists().where(AutomaticFollowUp.invoice_id == Invoice.id),
        )
        .order_by(Invoice.id)
    ).all()
    created = 0
    for invoice_id, number, due_date, account_id, manager_id in rows:
        if not insert_unless_exists(
            session, AutomaticFollowUp, {"invoice_id": invoice_id}, ["invoice_id"]
        ):
            continue
        action = FollowUpAction(
            account_id=account_id,
            invoice_id=invoice_id,
            assignee_id=manager_id,
            kind="call",
            due_date=today,
            description=(
                f"Invoice {number} is {(today - due_date).days} days past due: chase payment."
            ),
        )
        session.add(action)
        session.flush()
        session.execute(
            sa.update(AutomaticFollowUp)
            .where(AutomaticFollowUp.invoice_id == invoice_id)
            .values(action_id=action.id)
        )
        created += 1
    return created

"""The credit request workflow: who decides, and the one way a request may change state.

    pending --accept--> accepted   (the account's credit limit becomes the amount asked for)
    pending --reject--> rejected   (only with a reason)

Accepted and rejected are final: a request is decided once, by an approver who is not its
requester. Approvers are the active admins and super admins, or, when the `credit_request_approvers`
setting lists e-mails, those of them; a manager never decides. Every decision is audited and its
e-mail to the requester is queued in the same transaction, so both happen or neither does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.audit import AuditEvent, changed_values
from models.base import utcnow
from models.notifications import CreditRequest, stored_credit_limit
from models.people import User
from notifications import switches
from notifications.outbox import enqueue_email

APPROVER_ROLES = frozenset({"admin", "super_admin"})
ACCEPTED, REJECTED = "accepted", "rejected"
TRANSITIONS: dict[str, frozenset[str]] = {"pending": frozenset({ACCEPTED, REJECTED})}
"""status -> the statuses a decision may move it to; a status not listed is final."""


class CreditRequestRefused(Exception):
    """A decision the workflow does not allow; the message is meant for the user."""


def approvers(session: Any) -> list[User]:
    query = sa.select(User).where(
        User.role.in_(APPROVER_ROLES), User.active.is_(True), User.password_hash.is_not(None)
    )
    listed = switches.setting_emails(session, switches.CREDIT_REQUEST_APPROVERS)
    if listed:
        query = query.where(User.email.in_(listed))
    return list(session.scalars(query.order_by(User.email)))


def approver_emails(session: Any) -> list[str]:
    return [user.email for user in approvers(session)]


def may_decide(session: Any, user: Any) -> bool:
    """Whether `user` is one of the approvers."""
    return user is not None and any(approver.id == user.id for approver in approvers(session))


def announce_request(session: Any, credit_request: CreditRequest) -> bool:
    """Queue the e-mail telling the approvers a request awaits them; the caller commits."""
    account = credit_request.account
    requester = credit_request.requested_by
    current_limit = stored_credit_limit(account.id)
    return enqueue_email(
        session,
        dedupe_key=f"credit_request_submitted:request:{credit_request.id}",
        event="credit_request_submitted",
        values={
            "account": {"code": account.code, "name": account.name},
            "amount": _money(credit_request.amount),
            "current_limit": "none" if current_limit is None else _money(current_limit),
            "requested_by": requester.email if requester else "Someone",
            "reason": credit_request.reason,
        },
        to=[
            email
            for email in approver_emails(session)
            if requester is None or email != requester.email
        ],
        account_id=account.id,
    )


def decide(
    session: Any,
    credit_request: CreditRequest,
    decision: str,
    decider: User,
    reason: str | None,
    actor: dict[str, Any],
) -> None:
    """Move a pending request to `decision` ("accepted" or "rejected"), or refuse.

    `actor` is who to name in the audit log (see `auth.impersonation.audit_actor`). The caller
    commits; a concurrent decision on the same request then fails on its version.
    """
    reason = (reason or "").strip() or None
    if decision not in (ACCEPTED, REJECTED):
        raise CreditRequestRefused("Choose accept or reject.")
    if not may_decide(session, decider):
        raise CreditRequestRefused("Only approvers may accept or reject credit requests.")
    if decision not in TRANSITIONS.get(credit_request.status, frozenset()):
        raise CreditRequestRefused(f"This request was already {credit_request.status}.")
    if credit_request.requested_by_id == decider.id:
        raise CreditRequestRefused("Another approver must decide a request you made.")
    if decision == REJECTED and reason is None:
        raise CreditRequestRefused("Say why the request is rejected.")

    before = _decision_fields(credit_request)
    credit_request.status = decision
    credit_request.decided_by = decider
    credit_request.decided_at = utcnow()
    credit_request.decision_reason = reason
    account = credit_request.account
    if decision == ACCEPTED:
        credit_request.old_limit = stored_credit_limit(account.id)
        _audit(
            session,
            actor,
            "update",
            "Account",
            account.id,
            changed_values(
                {"credit_limit": credit_request.old_limit}, {"credit_limit": credit_request.amount}
            ),
        )
        account.credit_limit = credit_request.amount
    session.flush()
    _audit(
        session,
        actor,
        f"credit_request_{decision}",
        "CreditRequest",
        credit_request.id,
        changed_values(before, _decision_fields(credit_request)),
    )
    requester = credit_request.requested_by
    enqueue_email(
        session,
        dedupe_key=f"credit_request_{decision}:request:{credit_request.id}",
        event=f"credit_request_{decision}",
        values={
            "account": {"code": account.code, "name": account.name},
            "amount": _money(credit_request.amount),
            "decided_by": decider.email,
            "reason": reason or "",
        },
        to=[requester.email if requester else None],
        account_id=account.id,
    )


def _decision_fields(credit_request: CreditRequest) -> dict[str, Any]:
    return {
        "status": credit_request.status,
        "decided_by": credit_request.decided_by,
        "decision_reason": credit_request.decision_reason,
    }


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _audit(
    session: Any,
    actor: dict[str, Any],
    action: str,
    entity: str,
    entity_id: int,
    changes: dict[str, Any],
) -> None:
    session.add(
        AuditEvent(action=action, entity=entity, entity_id=str(entity_id), changes=changes, **actor)
    )

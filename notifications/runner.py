"""One run of `flask --app app notify`: detect, then send. Safe to repeat and to overlap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models.base import utcnow
from notifications.detection import detect_credit_limit_crossings, detect_invoice_events
from notifications.follow_ups import create_overdue_follow_ups
from notifications.outbox import queued_count
from notifications.sending import MailSettings, SendSummary, send_due_messages


@dataclass
class NotifyReport:
    invoice_events: int
    credit_limit_alerts: int
    follow_ups_created: int
    sending: SendSummary
    mail_server_set: bool
    still_queued: int

    def summary(self) -> str:
        lines = [
            f"Invoice events recorded: {self.invoice_events}",
            f"Credit-limit alerts: {self.credit_limit_alerts}",
            f"Follow-up actions created: {self.follow_ups_created}",
        ]
        if self.mail_server_set:
            lines.append(
                f"E-mails sent: {self.sending.sent}, to retry: {self.sending.retrying}, "
                f"given up: {self.sending.failed}"
            )
            lines.extend(f"  {error}" for error in self.sending.errors)
        else:
            lines.append("MAIL_SERVER is not set: e-mails stay in the outbox.")
        lines.append(f"Waiting in the outbox: {self.still_queued}")
        return "\n".join(lines)


def run_notify(
    session: Any, mail_settings: MailSettings, now: dt.datetime | None = None
) -> NotifyReport:
    """Detect invoice events, credit-limit crossings and due follow-ups, then send what is due.

    Each phase commits on its own, so what one phase found is kept if a later one fails.
    """
    now = now or utcnow()
    today = now.date()
    invoice_events = detect_invoice_events(session, today)
    session.commit()
    alerts = detect_credit_limit_crossings(session)
    session.commit()
    follow_ups = create_overdue_follow_ups(session, today)
    session.commit()
    # what detection just queued is due too, though it was written after `now`
    sending = send_due_messages(session, mail_settings, max(now, utcnow()))
    return NotifyReport(
        invoice_events=invoice_events,
        credit_limit_alerts=alerts,
        follow_ups_created=follow_ups,
        sending=sending,
        mail_server_set=bool(mail_settings.server),
        still_queued=queued_count(session),
    )

"""The wording of each e-mail: built-in defaults, overridden by `EmailTemplate` rows.

Super admins edit the templates in the panel (admin_views/email_templates_page.py): an override
may hold only plain placeholders of its event (`email_placeholders`), it is rendered in Jinja's
sandbox all the same, and it only ever sees plain values (no model objects, nothing secret).
The HTML part is autoescaped: a customer name or a rejection reason containing markup arrives
as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from models.notifications import EmailTemplate
from notifications.email_placeholders import (
    Placeholder,
    placeholder_problems,
    placeholders_of,
    sample_values,
)

log = logging.getLogger(__name__)

_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class EmailWording:
    subject: str
    body_text: str
    body_html: str | None = None


_INVOICE_FOOTER = "\n\nAccount {{ account.code }} — {{ account.name }}\n"

DEFAULT_TEMPLATES: dict[str, EmailWording] = {
    "invoice_issued": EmailWording(
        subject="Invoice {{ invoice.number }} for {{ invoice.amount }} {{ invoice.currency }}",
        body_text=(
            "Dear customer,\n\nInvoice {{ invoice.number }} for {{ invoice.amount }} "
            "{{ invoice.currency }} was issued on {{ invoice.issue_date }} and is due on "
            "{{ invoice.due_date }}." + _INVOICE_FOOTER
        ),
        body_html=(
            "<p>Dear customer,</p><p>Invoice <strong>{{ invoice.number }}</strong> for "
            "{{ invoice.amount }} {{ invoice.currency }} was issued on {{ invoice.issue_date }} "
            "and is due on {{ invoice.due_date }}.</p>"
            "<p>{{ account.code }} — {{ account.name }}</p>"
        ),
    ),
    "invoice_paid": EmailWording(
        subject="Invoice {{ invoice.number }} is paid",
        body_text=(
            "Dear customer,\n\nThank you: invoice {{ invoice.number }} for {{ invoice.amount }} "
            "{{ invoice.currency }} is now fully paid." + _INVOICE_FOOTER
        ),
        body_html=(
            "<p>Dear customer,</p><p>Thank you: invoice <strong>{{ invoice.number }}</strong> "
            "for {{ invoice.amount }} {{ invoice.currency }} is now fully paid.</p>"
            "<p>{{ account.code }} — {{ account.name }}</p>"
        ),
    ),
    "invoice_overdue": EmailWording(
        subject="Invoice {{ invoice.number }} is overdue",
        body_text=(
            "Dear customer,\n\nInvoice {{ invoice.number }} was due on {{ invoice.due_date }}; "
            "{{ invoice.open_amount }} {{ invoice.currency }} is still open. Please arrange "
            "payment." + _INVOICE_FOOTER
        ),
        body_html=(
            "<p>Dear customer,</p><p>Invoice <strong>{{ invoice.number }}</strong> was due on "
            "{{ invoice.due_date }}; {{ invoice.open_amount }} {{ invoice.currency }} is still "
            "open. Please arrange payment.</p><p>{{ account.code }} — {{ account.name }}</p>"
        ),
    ),
    "credit_limit_exceeded": EmailWording(
        subject="{{ account.code }} is over its credit limit",
        body_text=(
            "Account {{ account.code }} — {{ account.name }} owes {{ balance }}, over its credit "
            "limit of {{ credit_limit }}."
        ),
    ),
    "credit_request_submitted": EmailWording(
        subject="Credit request for {{ account.code }}: {{ amount }}",
        body_text=(
            "{{ requested_by }} asks for a credit limit of {{ amount }} on {{ account.code }} — "
            "{{ account.name }} (now {{ current_limit }}).\n\nReason: {{ reason }}\n\n"
            "Accept or reject it in the panel, under Accounts > Credit requests."
        ),
    ),
    "credit_request_accepted": EmailWording(
        subject="Credit request for {{ account.code }} accepted",
        body_text=(
            "Your request for a credit limit of {{ amount }} on {{ account.code }} — "
            "{{ account.name }} was accepted by {{ decided_by }}. The limit is now {{ amount }}."
        ),
    ),
    "credit_request_rejected": EmailWording(
        subject="Credit request for {{ account.code }} rejected",
        body_text=(
            "Your request for a credit limit of {{ amount }} on {{ account.code }} — "
            "{{ account.name }} was rejected by {{ decided_by }}.\n\nReason: {{ reason }}"
        ),
    ),
    "statement": EmailWording(
        subject="Statement of account {{ account.code }} as of {{ as_of }}",
        body_text=(
            "Dear {{ account.name }},\n\nPlease find attached your statement of account for "
            "{{ period_start }} to {{ as_of }}.\nBalance carried forward: {{ balance }}.\n"
        ),
    ),
}


def wording_for(session: Any, event: str) -> EmailWording:
    """The super admin's template for `event` if there is one, else the built-in default.

    An override that is not plain wording with the event's placeholders (written before that
    check, or around the page) is not used: the e-mail goes out in the built-in wording.
    """
    row = session.scalar(sa.select(EmailTemplate).where(EmailTemplate.event == event))
    if row is None:
        return DEFAULT_TEMPLATES[event]
    wording = EmailWording(row.subject, row.body_text, row.body_html or None)
    if wording_problems(event, wording):
        log.warning("the %s e-mail template is not plain placeholders; the default was used", event)
        return DEFAULT_TEMPLATES[event]
    return wording


def placeholders_for(event: str) -> tuple[Placeholder, ...]:
    built_in = DEFAULT_TEMPLATES[event]
    texts = (built_in.subject, built_in.body_text, built_in.body_html or "")
    return placeholders_of(event, texts)


def wording_problems(event: str, wording: EmailWording) -> dict[str, list[str]]:
    """Part ("subject", "body_text", "body_html") -> why it may not be used; empty when fine."""
    allowed = {placeholder.path for placeholder in placeholders_for(event)}
    parts = {"subject": wording.subject, "body_text": wording.body_text}
    parts["body_html"] = wording.body_html or ""
    found = {part: placeholder_problems(text, allowed) for part, text in parts.items()}
    return {part: problems for part, problems in found.items() if problems}


def preview_email(event: str, wording: EmailWording) -> EmailWording:
    """`wording` rendered with the event's sample values, as a recipient would read it."""
    return _render(wording, sample_values(placeholders_for(event)))


def render_email(session: Any, event: str, values: dict[str, Any]) -> EmailWording:
    """Subject, plain-text body and (autoescaped) HTML body for one message.

    An edited template that fails (a typo in a placeholder) must not stop every e-mail of its
    kind: the message goes out in the built-in wording, and the failure is logged.
    """
    wording = wording_for(session, event)
    try:
        return _render(wording, values)
    except TemplateError:
        log.warning("the %s e-mail template failed; the default was used", event, exc_info=True)
        return _render(DEFAULT_TEMPLATES[event], values)


def _render(wording: EmailWording, values: dict[str, Any]) -> EmailWording:
    subject = " ".join(_TEXT.from_string(wording.subject).render(values).split())
    body_text = _TEXT.from_string(wording.body_text).render(values)
    body_html = _HTML.from_string(wording.body_html).render(values) if wording.body_html else None
    return EmailWording(subject[:255], body_text, body_html)

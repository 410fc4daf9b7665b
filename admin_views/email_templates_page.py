"""The E-mail templates page: every kind of e-mail the panel sends, with its built-in wording;
a super admin overrides it, previews it with sample values, or resets it to the built-in.

An override holds only the event's placeholders (notifications/email_placeholders), checked on
save; a save over an override someone changed since the page opened is refused; every save
and reset is audited with the wording before and after.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from admin_views.access import SuperAdminPage
from auth.impersonation import audit_actor
from extensions import db
from models.audit import AuditEvent, changed_values
from models.labels import humanize
from models.notifications import EmailTemplate
from notifications.email_templates import (
    DEFAULT_TEMPLATES,
    EmailWording,
    placeholders_for,
    preview_email,
    wording_problems,
)

EVENT_DESCRIPTIONS = {
    "invoice_issued": "To the account's billing e-mail when an invoice is issued.",
    "invoice_paid": "To the billing e-mail when an invoice is fully paid.",
    "invoice_overdue": "To the billing e-mail when an invoice falls overdue.",
    "credit_limit_exceeded": "To the account manager and the approvers when an account goes "
    "over its credit limit.",
    "credit_request_submitted": "To the approvers when someone asks for a credit limit.",
    "credit_request_accepted": "To the requester when their credit request is accepted.",
    "credit_request_rejected": "To the requester when their credit request is rejected.",
    "statement": "To the account's billing e-mail when someone e-mails its statement of "
    "account (the PDF is attached).",
}
CONFLICT_MESSAGE = (
    "Someone else changed this template after you opened it, so your wording was not saved. "
    "The page now shows the current wording; make your change again."
)
PARTS = ("subject", "body_text", "body_html")
MAX_SUBJECT = 255


class EmailTemplatesView(SuperAdminPage, BaseView):
    @expose("/")
    def index(self) -> str:
        overrides = {row.event: row for row in db.session.scalars(sa.select(EmailTemplate))}
        events = [
            (
                event,
                humanize(event),
                EVENT_DESCRIPTIONS.get(event, ""),
                event in overrides,
                overrides.get(event, built_in).subject,
            )
            for event, built_in in DEFAULT_TEMPLATES.items()
        ]
        return self.render("admin/email_templates/index.html", events=events)

    @expose("/<event>/", methods=["GET", "POST"])
    def edit(self, event: str) -> Any:
        if event not in DEFAULT_TEMPLATES:
            abort(404)
        row = _override(event)
        if request.method == "GET":
            shown = _wording_of(row) if row else DEFAULT_TEMPLATES[event]
            return self._page(event, row, shown, {}, preview=None)
        typed = EmailWording(
            request.form.get("subject", ""),
            request.form.get("body_text", ""),
            request.form.get("body_html", "") or None,
        )
        errors = _errors(event, typed)
        if errors:
            return self._page(event, row, typed, errors, preview=None), 400
        if request.form.get("action") == "preview":
            return self._page(event, row, typed, {}, preview=preview_email(event, typed))
        if _version(row) != request.form.get("loaded_version"):
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".edit", event=event))
        return self._save(event, row, typed)

    @expose("/<event>/reset", methods=["POST"])
    def reset(self, event: str) -> Any:
        if event not in DEFAULT_TEMPLATES:
            abort(404)
        row = _override(event)
        if row is None:
            flash("This e-mail already uses the built-in wording.", "info")
            return redirect(url_for(".edit", event=event))
        if _version(row) != request.form.get("loaded_version"):
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".edit", event=event))
        _audit("email_template_reset", event, _wording_of(row), DEFAULT_TEMPLATES[event])
        db.session.delete(row)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".edit", event=event))
        flash(f"{humanize(event)} is back to the built-in wording.", "success")
        return redirect(url_for(".edit", event=event))

    def _save(self, event: str, row: EmailTemplate | None, typed: EmailWording) -> Any:
        before = _wording_of(row) if row else DEFAULT_TEMPLATES[event]
        if row is None:
            row = EmailTemplate(event=event)
            db.session.add(row)
        row.subject, row.body_text, row.body_html = typed.subject, typed.body_text, typed.body_html
        _audit("email_template_changed", event, before, typed)
        try:
            db.session.commit()
        except (StaleDataError, IntegrityError):  # changed or created at the same moment
            db.session.rollback()
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".edit", event=event))
        flash(f"Saved: {humanize(event)} e-mails now use your wording.", "success")
        return redirect(url_for(".edit", event=event))

    def _page(
        self,
        event: str,
        row: EmailTemplate | None,
        shown: EmailWording,
        errors: dict[str, list[str]],
        preview: EmailWording | None,
    ) -> str:
        return self.render(
            "admin/email_templates/edit.html",
            event=event,
            title=humanize(event),
            description=EVENT_DESCRIPTIONS.get(event, ""),
            built_in=DEFAULT_TEMPLATES[event],
            overridden=row is not None,
            loaded_version=_version(row),
            shown=shown,
            errors=errors,
            preview=preview,
            placeholders=placeholders_for(event),
        )


def _override(event: str) -> EmailTemplate | None:
    return db.session.scalar(sa.select(EmailTemplate).where(EmailTemplate.event == event))


def _wording_of(row: EmailTemplate) -> EmailWording:
    return EmailWording(row.subject, row.body_text, row.body_html or None)


def _version(row: EmailTemplate | None) -> str:
    return "0" if row is None else str(row.version_id)


def _errors(event: str, typed: EmailWording) -> dict[str, list[str]]:
    errors = wording_problems(event, typed)
    if not typed.subject.strip():
        errors.setdefault("subject", []).append("An e-mail needs a subject.")
    elif len(typed.subject) > MAX_SUBJECT:
        errors.setdefault("subject", []).append(f"At most {MAX_SUBJECT} characters.")
    if not typed.body_text.strip():
        errors.setdefault("body_text", []).append("An e-mail needs a plain-text body.")
    return errors


def _audit(action: str, event: str, before: EmailWording, after: EmailWording) -> None:
    as_dict = lambda wording: {part: getattr(wording, part) for part in PARTS}  # noqa: E731
    db.session.add(
        AuditEvent(
            action=action,
            entity="EmailTemplate",
            entity_id=event,
            changes=changed_values(as_dict(before), as_dict(after)),
            **audit_actor(),
        )
    )

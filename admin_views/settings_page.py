"""The Settings page: every setting of `models.setting_catalogue` as a named switch or field, with
what it does, its current value and its default; super admins change them here.

A save is all or nothing: each posted value is checked by its setting's type, and a setting
someone else changed since the page was opened is refused, not overwritten (each setting's
version travels with the form). Every change is audited with the value before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from admin_views.access import SuperAdminPage
from auth.impersonation import audit_actor
from extensions import db
from models.audit import AuditEvent
from models.config import Setting
from models.setting_catalogue import SETTING_BY_KEY, SETTINGS, SWITCH, SettingSpec, groups

CONFLICT_MESSAGE = (
    "Someone else changed these settings after you opened this page, so nothing was saved. "
    "The page now shows the current values; make your change again."
)


class SettingsView(SuperAdminPage, BaseView):
    @expose("/")
    def index(self) -> str:
        return self._page(_stored_rows(), posted=None, errors={})

    @expose("/", methods=["POST"])
    def save(self) -> Any:
        rows = _stored_rows()
        posted = {spec.key: _posted_text(spec) for spec in SETTINGS}
        parsed, errors = {}, {}
        for spec in SETTINGS:
            value, error = spec.parse(posted[spec.key])
            if error:
                errors[spec.key] = error
            parsed[spec.key] = value
        if errors:
            flash("Nothing was saved: correct the settings marked below.", "danger")
            return self._page(rows, posted, errors), 400
        changed = _changed(rows, parsed)
        if any(_version(rows.get(key)) != _loaded_version(key) for key in changed):
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".index"))
        try:
            for key, (before, after) in changed.items():
                _write(rows.get(key), SETTING_BY_KEY[key], before, after)
            db.session.commit()
        except (StaleDataError, IntegrityError):  # changed or created by someone at the same moment
            db.session.rollback()
            flash(CONFLICT_MESSAGE, "danger")
            return redirect(url_for(".index"))
        flash(f"Saved: {len(changed)} setting(s) changed.", "success")
        return redirect(url_for(".index"))

    def _page(
        self,
        rows: Mapping[str, Setting],
        posted: Mapping[str, str] | None,
        errors: Mapping[str, str],
    ) -> str:
        current = {
            spec.key: spec.value_from_stored(rows[spec.key].value if spec.key in rows else None)
            for spec in SETTINGS
        }
        shown = {spec.key: spec.stored_text(current[spec.key]) for spec in SETTINGS}
        shown |= posted or {}
        return self.render(
            "admin/settings.html",
            groups=list(groups()),
            current=current,
            shown=shown,
            versions={spec.key: _version(rows.get(spec.key)) for spec in SETTINGS},
            errors=errors,
            SWITCH=SWITCH,
        )


def _stored_rows() -> dict[str, Setting]:
    return {row.key: row for row in db.session.scalars(sa.select(Setting))}


def _posted_text(spec: SettingSpec) -> str:
    """A switch is a checkbox: ticked posts "yes", unticked posts nothing, which means off."""
    text = request.form.get(f"value|{spec.key}", "")
    return ("yes" if text else "no") if spec.type == SWITCH else text


def _version(row: Setting | None) -> int:
    return 0 if row is None else row.version_id


def _loaded_version(key: str) -> int | None:
    text = request.form.get(f"version|{key}", "")
    return int(text) if text.isdigit() else None


def _changed(rows: Mapping[str, Setting], parsed: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """key -> (value before, value after) for the settings whose value the form changes."""
    changed = {}
    for spec in SETTINGS:
        before = spec.value_from_stored(rows[spec.key].value if spec.key in rows else None)
        if parsed[spec.key] != before:
            changed[spec.key] = (before, parsed[spec.key])
    return changed


def _write(row: Setting | None, spec: SettingSpec, before: Any, after: Any) -> None:
    if row is None:
        row = Setting(key=spec.key)
        db.session.add(row)
    row.value = spec.stored_text(after)
    db.session.add(
        AuditEvent(
            action="setting_changed",
            entity="Setting",
            entity_id=spec.key,
            changes={
                spec.key: {"before": spec.describe(before), "after": spec.describe(after)},
            },
            **audit_actor(),
        )
    )

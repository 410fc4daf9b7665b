"""The panel's Import page: upload a file, preview what it would create and update, confirm.

The uploaded file stays on the server between preview and confirm, in the instance folder under
a random token bound to the uploader (never in the cookie session); the confirm step checks the
file again against the database as it then is, so nothing previewed is written blindly. A file
with bad rows shows every bad row and offers the list as a CSV download.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from bulk_io import ImportReport, importable_kinds, run_import
from bulk_io.kinds import KINDS
from bulk_io.writing import write_csv
from extensions import db

UPLOAD_FOLDER = "imports"
UPLOAD_LIFETIME_SECONDS = 24 * 3600
ERRORS_SHOWN_ON_PAGE = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


class ImportView(LoginOrForbidden, BaseView):
    """Admins import every kind; a role with create and edit rights on some entity, just those."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and bool(importable_kinds(current_user.role))

    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)
        blueprint.register_error_handler(RequestEntityTooLarge, self._too_large)
        return blueprint

    def _too_large(self, _error: Exception) -> tuple[str, int]:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = (
            f"The file is larger than {limit} MB, the most the panel accepts. Split it into "
            "smaller files, or import it on the server with: flask --app app import KIND FILE"
        )
        return self._upload_page(message), 413

    def _upload_page(self, problem: str | None = None) -> str:
        return self.render(
            "admin/import/upload.html",
            kinds=importable_kinds(current_user.role),
            columns={name: ", ".join(kind.header) for name, kind in KINDS.items()},
            problem=problem,
        )

    @expose("/")
    def index(self) -> str:
        return self._upload_page()

    @expose("/preview", methods=["POST"])
    def preview(self) -> Any:
        kind_name = request.form.get("kind", "")
        upload = request.files.get("file")
        if kind_name not in {kind.name for kind in importable_kinds(current_user.role)}:
            return self._upload_page("Choose what the file holds."), 400
        if upload is None or not upload.filename:
            return self._upload_page("Choose a CSV or XLSX file to import."), 400
        token = secrets.token_urlsafe(16)
        folder = _upload_folder()
        _forget_stale_uploads(folder)
        upload.save(folder / f"{token}.upload")
        file_name = secure_filename(upload.filename) or "upload"
        meta = {"user_id": current_user.id, "kind": kind_name, "file_name": file_name}
        (folder / f"{token}.json").write_text(json.dumps(meta))
        report = self._run(token, meta, dry_run=True)
        return self._preview_page(token, report)

    @expose("/<token>/confirm", methods=["POST"])
    def confirm(self, token: str) -> Any:
        meta = self._meta(token)
        report = self._run(token, meta, dry_run=False)
        if not report.ok:
            return self._preview_page(token, report)
        _remove(token)
        flash(report.summary(), "success")
        return redirect(url_for(f"{KINDS[meta['kind']].model.__name__.lower()}.index_view"))

    @expose("/<token>/errors.csv")
    def errors(self, token: str) -> Response:
        self._meta(token)
        report_path = _upload_folder() / f"{token}.errors.csv"
        if not report_path.exists():
            abort(404)
        return send_file(
            report_path, mimetype="text/csv", as_attachment=True, download_name="import-errors.csv"
        )

    def _meta(self, token: str) -> dict[str, Any]:
        """The upload behind `token`, which only its uploader may use."""
        path = _upload_folder() / f"{token}.json"
        if not _TOKEN.match(token) or not path.exists():
            abort(404)
        meta = json.loads(path.read_text())
        if meta["user_id"] != current_user.id:
            abort(404)
        return meta

    def _run(self, token: str, meta: dict[str, Any], dry_run: bool) -> ImportReport:
        folder = _upload_folder()
        report = run_import(
            db.session,
            meta["kind"],
            folder / f"{token}.upload",
            current_user._get_current_object(),
            dry_run=dry_run,
            file_name=meta["file_name"],
            ip=request.remote_addr,
        )
        if not report.ok:
            with (folder / f"{token}.errors.csv").open("w", encoding="utf-8", newline="") as out:
                rows = ((e.row, e.column, e.value, e.reason) for e in report.errors)
                write_csv(out, ("row", "column", "value", "reason"), rows)
        return report

    def _preview_page(self, token: str, report: ImportReport) -> tuple[str, int]:
        page = self.render(
            "admin/import/preview.html",
            token=token,
            report=report,
            kind=KINDS[report.kind],
            errors_shown=report.errors[:ERRORS_SHOWN_ON_PAGE],
        )
        return page, 200


def _upload_folder() -> Path:
    folder = Path(current_app.instance_path) / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads(folder: Path) -> None:
    """Previews nobody confirmed are dropped after a day."""
    cutoff = time.time() - UPLOAD_LIFETIME_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _remove(token: str) -> None:
    for suffix in (".upload", ".json", ".errors.csv"):
        (_upload_folder() / f"{token}{suffix}").unlink(missing_ok=True)

"""The panel's Import page: upload a file; its check, preview and import run as a job.

The upload streams to disk in the job's folder (`jobs.files`), named by a random token, never
by the user's file name, and goes no further than the server. A small file is checked at once,
in the request; a bigger one by a worker, while the job page shows its progress. Either way the
user lands on the job page: the preview with its Confirm button, or every bad row. Confirming
checks the file again against the database as it then is, so nothing previewed is written
blindly (`admin_views.jobs`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from admin_views.access import LoginOrForbidden
from bulk_io.kinds import KINDS, importable_kinds
from jobs import files
from jobs.import_job import start_import

UPLOAD_ENDPOINT = "bulk_import.preview"


class ImportView(LoginOrForbidden, BaseView):
    """Admins import every kind; a role with create and edit rights on some entity, just those."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and bool(importable_kinds(current_user.role))

    def create_blueprint(self, admin: Any) -> Any:
        blueprint = super().create_blueprint(admin)
        blueprint.register_error_handler(RequestEntityTooLarge, self._too_large)
        return blueprint

    def _too_large(self, _error: Exception) -> tuple[str, int]:
        limit = current_app.config["IMPORT_MAX_UPLOAD_BYTES"] // (1024 * 1024)
        message = (
            f"The file is larger than {limit:,} MB, the most the panel accepts. Split it into "
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
        token = files.new_token()
        upload.save(files.upload_path(token))
        file_name = secure_filename(upload.filename) or "upload"
        job = start_import(current_user, kind_name, file_name, token, request.remote_addr)
        return redirect(url_for("jobs.details", job_id=job.id), code=303)


def allow_large_uploads(app: Flask) -> None:
    """The import upload may be as large as `IMPORT_MAX_UPLOAD_BYTES` (a 2,000,000-row file);
    every other request keeps `MAX_CONTENT_LENGTH`.

    The limit must be raised before anything reads the body, and the CSRF check and the NUL
    check read the form in `before_request` hooks: so this hook goes first.
    """

    def raise_limit_for_imports() -> None:
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = current_app.config["IMPORT_MAX_UPLOAD_BYTES"]

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit_for_imports)

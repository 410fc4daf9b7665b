""" "My jobs": the long work a user started, where it stands, and what came of it.

Each user sees their own jobs; a super admin sees everyone's (read-only: only a job's own user
confirms, retries or cancels it, since it runs as them). Files a job wrote (an error report, a
result) are served only through these checks, never by a guessable path. The job page polls a
small JSON answer for progress while the job waits or runs.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from werkzeug.wrappers import Response

from admin_views.access import LoginOrForbidden
from bulk_io.kinds import KINDS
from extensions import db
from jobs import files, progress, states
from jobs.import_job import confirm_import
from jobs.running import dispatch
from models.jobs import Job

log = logging.getLogger(__name__)
JOBS_LISTED = 100
PHASES = {
    "waiting": "Waiting for a worker",
    "reading": "Reading the file",
    "checking": "Checking rows",
    "writing": "Checking and writing rows",
    "finishing": "Finishing (indexes, commit)",
    "exporting": "Writing rows to the file",
    "sending": "Writing statements to the e-mail outbox",
    "finished": "Finished",
}


class JobsView(LoginOrForbidden, BaseView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def _sees_everyone(self) -> bool:
        return current_user.role == "super_admin"

    def _visible_job(self, job_id: int) -> Job:
        """The job, if it is the viewer's (or the viewer is a super admin); else not found.

        Read afresh: a job's row moves on other connections (`jobs.states`), not this session's.
        """
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or not (job.user_id == current_user.id or self._sees_everyone()):
            abort(404)
        return job

    def _own_job(self, job_id: int) -> Job:
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.user_id != current_user.id:
            abort(404)
        return job

    @expose("/")
    def index(self) -> str:
        query = (
            sa.select(Job)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(JOBS_LISTED)
            .execution_options(populate_existing=True)
        )
        if not self._sees_everyone():
            query = query.where(Job.user_id == current_user.id)
        return self.render(
            "admin/jobs/list.html",
            jobs=db.session.scalars(query).all(),
            show_who=self._sees_everyone(),
            phases=PHASES,
        )

    @expose("/<int:job_id>/")
    def details(self, job_id: int) -> str:
        job = self._visible_job(job_id)
        return self.render(
            "admin/jobs/details.html",
            job=job,
            progress=_progress_of(job),
            list_url=_list_url(job),
            mine=job.user_id == current_user.id,
        )

    @expose("/<int:job_id>/progress")
    def live_progress(self, job_id: int) -> Response:
        return jsonify(_progress_of(self._visible_job(job_id)))

    @expose("/<int:job_id>/confirm", methods=["POST"])
    def confirm(self, job_id: int) -> Response:
        job = self._own_job(job_id)
        if not confirm_import(job, current_user.id):
            db.session.refresh(job)
            if job.status == "cancelled":
                flash("This import was cancelled; upload the file again to import it.", "warning")
            else:
                flash("This import was already confirmed; it runs once.", "info")
            return redirect(url_for(".details", job_id=job_id))
        db.session.refresh(job)
        if job.status == "done":  # small enough to run at once
            flash(job.message, "success")
            return redirect(_list_url(job) or url_for(".details", job_id=job_id))
        return redirect(url_for(".details", job_id=job_id))

    @expose("/<int:job_id>/retry", methods=["POST"])
    def retry(self, job_id: int) -> Response:
        job = self._own_job(job_id)
        if states.retry(job.id, current_user.id):
            dispatch(job.id, in_request=False)
        return redirect(url_for(".details", job_id=job_id))

    @expose("/<int:job_id>/cancel", methods=["POST"])
    def cancel(self, job_id: int) -> Response:
        job = self._own_job(job_id)
        if states.cancel(job.id, current_user.id):
            files.remove_upload(job.token)
            flash("The job was cancelled; nothing was written.", "info")
        return redirect(url_for(".index"))

    @expose("/<int:job_id>/result")
    def result(self, job_id: int) -> Response:
        job = self._visible_job(job_id)
        path = files.result_path(job.token)
        if not job.result_file or not path.exists():
            abort(404)
        return send_file(path, as_attachment=True, download_name=job.result_file)

    @expose("/<int:job_id>/errors.csv")
    def errors(self, job_id: int) -> Response:
        job = self._visible_job(job_id)
        path = files.errors_path(job.token)
        if not job.error_file or not path.exists():
            abort(404)
        return send_file(
            path, mimetype="text/csv", as_attachment=True, download_name="import-errors.csv"
        )


def _progress_of(job: Job) -> dict[str, Any]:
    """What the progress bar shows: the live figures while running, else the row's."""
    live = _live_progress(job.id) if job.status == "running" else None
    phase = live.phase if live else job.phase
    rows_done = live.rows_done if live else job.rows_done
    rows_total = live.rows_total if live else job.rows_total
    fraction = live.fraction if live else (1.0 if job.finished or job.status == "previewed" else 0)
    return {
        "status": job.status,
        "phase": phase,
        "phase_text": PHASES.get(phase, phase),
        "rows_done": rows_done,
        "rows_total": rows_total,
        "total_is_exact": job.kind != "import",  # an import's CSV total is estimated from bytes
        "percent": round(100 * fraction),
    }


def _live_progress(job_id: int) -> progress.Progress | None:
    """The worker's latest figures; the row's own while the queue's storage does not answer."""
    try:
        return progress.latest(job_id)
    except Exception:
        log.warning("live progress of job %s unavailable", job_id, exc_info=True)
        return None


def _list_url(job: Job) -> str | None:
    kind = KINDS.get(job.parameters.get("import_kind", ""))
    return url_for(f"{kind.model.__name__.lower()}.index_view") if kind else None

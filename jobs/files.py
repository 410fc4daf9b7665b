"""Each job's folder of files in the instance folder: the upload, the error report, a result.

Folders are named by the job's random token, never by anything a user typed; files inside have
fixed names. A finished job's folder is removed with the job's upload once nobody needs it.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from flask import current_app

JOBS_FOLDER = "jobs"
UPLOAD = "upload"
ERRORS = "errors.csv"
RESULT = "result"


def new_token() -> str:
    return secrets.token_urlsafe(16)


def job_folder(token: str) -> Path:
    folder = Path(current_app.instance_path) / JOBS_FOLDER / token
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(token: str) -> Path:
    return job_folder(token) / UPLOAD


def errors_path(token: str) -> Path:
    return job_folder(token) / ERRORS


def result_path(token: str) -> Path:
    return job_folder(token) / RESULT


def remove_upload(token: str) -> None:
    """The upload is kept until it is imported or discarded; reports stay for download."""
    upload_path(token).unlink(missing_ok=True)


def remove_folder(token: str) -> None:
    shutil.rmtree(Path(current_app.instance_path) / JOBS_FOLDER / token, ignore_errors=True)

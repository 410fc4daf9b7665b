"""A report file prepared in the background is the file the download gives its user, and only
that user (or a super admin) may download it."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from extensions import db
from models import FormFieldRule
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.job_helpers import wait_for_job
from tests.test_jobs_import import JOB_PAGE

QUERY = "as_of=2026-03-31"


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "pdf"])
def test_a_manager_prepares_the_aging_file_in_the_background_with_their_rows_and_rules(
    app, panel, login_as, worker, file_format
):
    manager = login_as("manager", "kim@example.test")
    add_invoice(add_account("MINE", account_manager=manager), "INV-1", "120.00")
    add_invoice(add_account("OTHERS", account_manager=make_user("manager")), "INV-2", "80.00")
    db.session.add(FormFieldRule(entity="Account", field="name", role="manager", hidden=True))
    db.session.commit()

    landed = panel.post(
        f"/admin/reports/aging/account/prepare/{file_format}?{QUERY}", {}, follow_redirects=True
    )

    job_id = int(JOB_PAGE.search(landed.request.path).group(1))
    job = wait_for_job(job_id, "done", "failed")
    assert (job.status, job.message) == ("done", "The file is ready to download.")
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert f"Download aging-by-account-2026-03-31.{file_format}" in page
    prepared = panel.get(f"/admin/jobs/{job_id}/result")
    direct = panel.get(f"/admin/reports/aging/account/download/{file_format}?{QUERY}")
    assert prepared.status_code == 200
    assert prepared.headers["Content-Disposition"].endswith(
        f"aging-by-account-2026-03-31.{file_format}"
    )
    if file_format == "csv":
        text = prepared.get_data(as_text=True)
        assert text == direct.get_data(as_text=True)
        assert "MINE" in text and "OTHERS" not in text and "MINE Ltd" not in text
    elif file_format == "xlsx":
        sheet = load_workbook(io.BytesIO(prepared.get_data())).active
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert any("MINE" in row for row in cells)
        assert not any("OTHERS" in row or "MINE Ltd" in row for row in cells)
    else:
        assert prepared.get_data().startswith(b"%PDF")

    other = Panel(app.test_client())
    make_user("admin", "other-admin@example.test")
    other.login("other-admin@example.test")
    assert other.get(f"/admin/jobs/{job_id}/result").status_code == 404
    boss = Panel(app.test_client())
    make_user("super_admin", "boss@example.test")
    boss.login("boss@example.test")
    assert boss.get(f"/admin/jobs/{job_id}/result").status_code == 200


def test_a_bad_report_parameter_is_refused_before_any_job_starts(panel, login_as):
    login_as("analyst")
    response = panel.post("/admin/reports/aging/manager/prepare/pdf?buckets=oops", {})
    assert response.status_code == 400
    assert panel.post("/admin/reports/aging/manager/prepare/doc", {}).status_code == 404
    assert "No jobs yet" in panel.get("/admin/jobs/").get_data(as_text=True)

"""A list export above the "export in the background" threshold is written by a worker, as the
user: the file equals the streamed one for the same list, filters and search, with their rows and
their columns; only the job's user (or a super admin) downloads it. Below it, the export streams."""

from __future__ import annotations

import html
import io
import re
import signal

import openpyxl
import pytest
import sqlalchemy as sa

from extensions import db
from jobs.export_job import NOT_ALLOWED as EXPORT_NOT_ALLOWED
from jobs.running import run_job
from models import FormFieldRule, Job, Setting
from models.setting_catalogue import EXPORT_IN_BACKGROUND_ABOVE_ROWS, HIDE_FINANCE_FROM_MANAGERS
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.job_helpers import start_worker_process, wait_for_job
from tests.test_jobs_import import job_id_of

LIST_EXPORT = "/admin/invoice/export/{}/?search=TRN&sort=0"


def set_threshold(rows: int) -> None:
    db.session.execute(sa.delete(Setting).where(Setting.key == EXPORT_IN_BACKGROUND_ABOVE_ROWS))
    db.session.add(Setting(key=EXPORT_IN_BACKGROUND_ABOVE_ROWS, value=str(rows)))
    db.session.commit()


def export_in_background(panel: Panel, export_type: str):
    """Follow the list's Export link as a user does: a long list offers the background file,
    and the offer's button starts the job (the link alone starts nothing)."""
    offer = panel.get(LIST_EXPORT.format(export_type))
    page = offer.get_data(as_text=True)
    assert "This list is too long to download at once" in page
    action = re.search(
        r'action="([^"]+)" class="d-inline" data-testid="prepare-export"', page
    ).group(1)
    query_string = re.search(r'name="query_string" value="([^"]*)"', page).group(1)
    return panel.post(
        html.unescape(action), {"query_string": html.unescape(query_string)}, follow_redirects=True
    )


def a_managers_invoices() -> None:
    """Kim manages ACME (12 training invoices, 3 consulting); BIRCH is someone else's."""
    kim = make_user("manager", "kim@example.test")
    acme = add_account("ACME", account_manager=kim)
    for n in range(12):
        add_invoice(acme, f"TRN-{n:03d}", f"{100 + n}.50", description=f"Training =1+{n}")
    for n in range(3):
        add_invoice(acme, f"CON-{n:03d}", "75.00")
    add_invoice(add_account("BIRCH"), "TRN-999", "999.00")
    db.session.add(FormFieldRule(entity="Invoice", field="description", role="manager",
                                 hidden=True))  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_a_big_list_export_is_written_by_a_worker_and_equals_the_streamed_file(
    app, panel, login_as, worker, export_type, monkeypatch
):
    a_managers_invoices()
    panel.login("kim@example.test")
    set_threshold(10)
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 5)  # the list says "5+": not the measure

    landed = export_in_background(panel, export_type)

    job_id = job_id_of(landed)
    page = landed.get_data(as_text=True)
    assert f"Export Invoices ({export_type.upper()})" in page
    state = panel.get(f"/admin/jobs/{job_id}/progress").get_json()
    assert state["status"] in {"queued", "running", "done"}
    job = wait_for_job(job_id, "done", "failed")
    assert (job.status, job.message) == ("done", "Exported 12 rows. The file is ready to download.")
    assert (job.rows_done, job.rows_total) == (12, 12)
    page = panel.get(f"/admin/jobs/{job_id}/").get_data(as_text=True)
    assert f"Download {job.result_file}" in page and job.result_file.endswith(f".{export_type}")
    prepared = panel.get(f"/admin/jobs/{job_id}/result")
    assert prepared.status_code == 200

    set_threshold(1000)
    streamed = panel.get(LIST_EXPORT.format(export_type))
    assert streamed.status_code == 200 and db.session.scalar(sa.func.count(Job.id)) == 1
    if export_type == "csv":
        assert prepared.get_data() == streamed.get_data()
        text = prepared.get_data(as_text=True)
    else:
        cells = [workbook_cells(prepared.get_data()), workbook_cells(streamed.get_data())]
        assert cells[0] == cells[1]
        text = repr(cells[0])
    assert "TRN-000" in text and "TRN-011" in text
    assert "TRN-999" not in text and "CON-000" not in text  # her rows, the list's search
    assert "Training" not in text and "description" not in text  # her columns


def workbook_cells(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_only_the_jobs_user_downloads_the_export_and_a_super_admin_reads_it(
    app, panel, login_as, worker
):
    login_as("admin")
    add_invoice(add_account("ACME"), "TRN-1", "10.00")
    add_invoice(add_account("BIRCH"), "TRN-2", "20.00")
    set_threshold(1)
    job_id = job_id_of(export_in_background(panel, "csv"))
    wait_for_job(job_id, "done")

    for role, email, expected in [
        ("admin", "other@example.test", 404),
        ("analyst", "ann@example.test", 404),
        ("super_admin", "boss@example.test", 200),
    ]:
        other = Panel(app.test_client())
        make_user(role, email)
        other.login(email)
        assert other.get(f"/admin/jobs/{job_id}/result").status_code == expected
        assert other.get(f"/admin/jobs/{job_id}/").status_code == expected


def test_an_export_at_or_below_the_threshold_streams_at_once(panel, login_as, job_queue):
    login_as("admin")
    add_invoice(add_account("ACME"), "TRN-1", "10.00")
    set_threshold(1)
    response = panel.get(LIST_EXPORT.format("csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert db.session.scalar(sa.func.count(Job.id)) == 0


def test_the_export_threshold_is_a_setting_with_a_sensible_default(panel, login_as):
    login_as("super_admin")
    page = panel.get("/admin/settings/").get_data(as_text=True)
    assert "Export lists in the background above (rows)" in page
    assert 'data-testid="current-export_in_background_above_rows">50,000 rows<' in page


def test_flask_worker_as_an_operator_runs_it_writes_the_export(app, panel, login_as, job_queue):
    """The worker command loads the panel's list views, which the export replays."""
    login_as("admin")
    add_invoice(add_account("ACME"), "TRN-1", "10.00")
    add_invoice(add_account("BIRCH"), "TRN-2", "20.00")
    set_threshold(1)
    job_id = job_id_of(export_in_background(panel, "csv"))
    process = start_worker_process(app, job_queue)
    try:
        job = wait_for_job(job_id, "done", "failed")
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: finish, then stop
        output = process.communicate(timeout=60)[0].decode()
    assert job.status == "done", output
    assert (job.status, job.message) == ("done", "Exported 2 rows. The file is ready to download.")
    text = panel.get(f"/admin/jobs/{job_id}/result").get_data(as_text=True)
    assert "TRN-1" in text and "TRN-2" in text


def test_the_export_link_alone_starts_no_job_and_the_offer_needs_its_csrf_token(
    panel, login_as, job_queue
):
    login_as("admin")
    a_managers_invoices()
    set_threshold(10)

    offer = panel.get(LIST_EXPORT.format("csv"))
    unfiltered = panel.get("/admin/invoice/export/csv/")

    assert offer.status_code == 200
    assert "This list is too long to download at once" in unfiltered.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    forged = panel.post_without_csrf(
        "/admin/invoice/export-in-background/csv/", {"query_string": "search=TRN"}
    )
    assert forged.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_a_role_that_may_not_export_cannot_start_a_background_export(panel, login_as, job_queue):
    login_as("admin")  # admins read the audit log but may not export it
    refused = panel.post("/admin/auditevent/export-in-background/csv/", {"query_string": ""})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_a_role_that_lost_the_export_before_the_job_ran_gets_a_failed_job_and_no_file(
    app, panel, login_as, job_queue
):
    a_managers_invoices()
    panel.login("kim@example.test")
    set_threshold(10)
    job_id = job_id_of(export_in_background(panel, "csv"))
    db.session.add(Setting(key=HIDE_FINANCE_FROM_MANAGERS, value="1"))  # before a worker ran it
    db.session.commit()

    run_job(job_id)

    job = db.session.get(Job, job_id, populate_existing=True)
    assert (job.status, job.message) == ("failed", EXPORT_NOT_ALLOWED)
    assert job.result_file is None and not job.can_retry
    assert panel.get(f"/admin/jobs/{job_id}/result").status_code == 404

"""Managers and the training pages: the catalogue is shared, bookings and awards are not
(ARCHITECTURE §5): every path to another account's booking or award fails."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from extensions import db
from models import Account, AuditEvent, Award, Booking, Course, CourseDate, ManagerAccess, User
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.test_training_bookings import add_booking, add_course_date, add_employee


@dataclass
class World:
    manager: User
    mine: Account
    granted: Account
    theirs: Account
    upcoming: CourseDate
    past: CourseDate
    records: dict[str, dict[str, object]]
    """endpoint -> {"mine": record, "theirs": record}"""


@pytest.fixture
def world(login_as, today) -> World:
    manager = login_as("manager", "mona@example.test")
    colleague = make_user("manager", "carl@example.test")
    mine = add_account("MINE", account_manager=manager)
    granted = add_account("GRANTED", account_manager=colleague)
    theirs = add_account("THEIRS", account_manager=colleague)
    db.session.add(ManagerAccess(user=manager, account=granted))
    upcoming = add_course_date(today, "FA", capacity=10, venue="Leeds")
    past = add_course_date(today, "FA", starts_in_days=-60, venue="Hull")
    records: dict[str, dict[str, object]] = {}
    for side, account in (("mine", mine), ("theirs", theirs)):
        employee = add_employee(account, f"staff@{account.code.lower()}.test")
        award = Award(user=employee, course=upcoming.course, achieved_on=today - dt.timedelta(40))
        db.session.add(award)
        db.session.commit()
        records.setdefault("booking", {})[side] = add_booking(upcoming, account, employee)
        records.setdefault("award", {})[side] = award
    return World(manager, mine, granted, theirs, upcoming, past, records)


SCOPED = ["booking", "award"]


def shows(html: str, endpoint: str, record_id: int) -> bool:
    return f"/admin/{endpoint}/details/?id={record_id}" in html


@pytest.mark.parametrize("endpoint", SCOPED)
def test_lists_and_exports_show_only_the_managers_accounts(endpoint, world, panel) -> None:
    mine, theirs = world.records[endpoint]["mine"], world.records[endpoint]["theirs"]
    listing = panel.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert shows(listing, endpoint, mine.id) and not shows(listing, endpoint, theirs.id)
    csv = panel.get(f"/admin/{endpoint}/export/csv/").get_data(as_text=True)
    assert "staff@mine.test" in csv and "staff@theirs.test" not in csv
    xlsx = workbook_text(panel.get(f"/admin/{endpoint}/export/xlsx/"))
    assert "staff@mine.test" in xlsx and "staff@theirs.test" not in xlsx


def workbook_text(response) -> str:
    """Every cell of a downloaded workbook, as one text to look for people in."""
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)


MANAGER_EDITS = {"booking"}
"""A manager edits their people's bookings (names a delegate) but only reads awards."""


@pytest.mark.parametrize("endpoint", SCOPED)
def test_another_accounts_booking_or_award_answers_404(endpoint, world, panel) -> None:
    theirs, mine = world.records[endpoint]["theirs"], world.records[endpoint]["mine"]
    assert panel.get(f"/admin/{endpoint}/details/?id={theirs.id}").status_code == 404
    assert panel.get(f"/admin/{endpoint}/details/?id={mine.id}").status_code == 200
    if endpoint in MANAGER_EDITS:
        assert panel.get(f"/admin/{endpoint}/edit/?id={theirs.id}").status_code == 404
        assert panel.get(f"/admin/{endpoint}/edit/?id={mine.id}").status_code == 200


def test_editing_an_award_answers_403_whoever_it_belongs_to(world, panel) -> None:
    """Editing awards is outside the manager's menu: 403 for every award, so it tells nothing."""
    for side in ("mine", "theirs"):
        award = world.records["award"][side]
        assert panel.get(f"/admin/award/edit/?id={award.id}").status_code == 403


def saved_versions() -> dict[str, list[tuple[int, int]]]:
    """Every training record's id and version: a row added, removed or changed shows here."""
    return {
        model.__name__: db.session.execute(
            sa.select(model.id, model.version_id).order_by(model.id)
        ).all()
        for model in (Booking, Award, Course, CourseDate)
    }


@pytest.mark.parametrize("endpoint", SCOPED)
def test_crafted_writes_to_another_accounts_records_change_nothing(endpoint, world, panel) -> None:
    theirs = world.records[endpoint]["theirs"]
    before = saved_versions()
    edit = panel.post(
        f"/admin/{endpoint}/edit/?id={theirs.id}",
        {"delegate": "", "loaded_version": str(theirs.version_id)},
    )
    delete = panel.post(f"/admin/{endpoint}/delete/", {"id": str(theirs.id)})
    bulk = panel.post(f"/admin/{endpoint}/action/", {"action": "delete", "rowid": [str(theirs.id)]})
    assert edit.status_code == (404 if endpoint in MANAGER_EDITS else 403)
    assert delete.status_code == 403  # a manager deletes no booking or award, theirs or not
    assert bulk.status_code == 302  # back to the list: the delete action is not theirs to run
    if endpoint == "booking":
        cancel = panel.post(
            "/admin/booking/cancel/",
            {"id": str(theirs.id), "loaded_version": str(theirs.version_id)},
        )
        assert cancel.status_code == 404
    assert saved_versions() == before
    assert db.session.scalar(sa.select(AuditEvent)) is None


def test_a_manager_cannot_book_for_an_account_they_do_not_manage(world, panel) -> None:
    outsider = db.session.scalar(sa.select(User).where(User.email == "staff@theirs.test"))
    response = panel.post(
        "/admin/booking/new/",
        {"course_date": str(world.upcoming.id), "account": str(world.theirs.id),
         "delegate": str(outsider.id)},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 2


def test_booking_pick_lists_offer_only_the_managers_accounts_and_people(world, panel) -> None:
    def offered(name: str) -> set[str]:
        answer = panel.get(f"/admin/booking/ajax/lookup/?name={name}&query=").get_json()
        return {label for _id, label in answer}

    assert {label.split(" ")[0] for label in offered("account")} == {"MINE", "GRANTED"}
    assert offered("delegate") == {"staff@mine.test"}
    assert offered("course_date") == {str(world.upcoming)}


def test_the_catalogue_is_shared_but_read_only_for_managers(world, panel: Panel) -> None:
    course = world.upcoming.course
    assert "FA course" in panel.get("/admin/course/").get_data(as_text=True)
    assert panel.get(f"/admin/course/details/?id={course.id}").status_code == 200
    for endpoint, record_id in (("course", course.id), ("coursedate", world.upcoming.id)):
        assert panel.get(f"/admin/{endpoint}/new/").status_code == 403
        assert panel.get(f"/admin/{endpoint}/edit/?id={record_id}").status_code == 403
        assert panel.post(f"/admin/{endpoint}/delete/", {"id": str(record_id)}).status_code == 403
    assert panel.get("/admin/award/new/").status_code == 403


def test_managers_browse_only_course_dates_still_to_come(world, panel: Panel) -> None:
    listing = panel.get("/admin/coursedate/").get_data(as_text=True)
    assert shows(listing, "coursedate", world.upcoming.id)
    assert not shows(listing, "coursedate", world.past.id)
    assert panel.get(f"/admin/coursedate/details/?id={world.past.id}").status_code == 404
    assert "Free places" in listing


def test_the_awards_report_shows_only_the_managers_people(world, panel: Panel) -> None:
    page = panel.get("/admin/awards/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "staff@mine.test" in html and "staff@theirs.test" not in html
    csv = panel.get("/admin/awards/export/csv").get_data(as_text=True)
    assert "staff@mine.test" in csv and "staff@theirs.test" not in csv
    xlsx = workbook_text(panel.get("/admin/awards/export/xlsx"))
    assert "staff@mine.test" in xlsx and "staff@theirs.test" not in xlsx


@pytest.mark.parametrize("role", ["analyst", "admin", "super_admin"])
def test_other_panel_roles_see_every_award(
    role: str, login_as, panel: Panel, today: dt.date
) -> None:
    employee = add_employee(add_account("ACME"), "staff@acme.test")
    course = Course(code="FA", title="First aid")
    db.session.add(Award(user=employee, course=course, achieved_on=today))
    db.session.commit()
    login_as(role)
    response = panel.get("/admin/awards/")
    assert response.status_code == 200 and "staff@acme.test" in response.get_data(as_text=True)
    assert "staff@acme.test" in panel.get("/admin/awards/export/csv").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(panel: Panel) -> None:
    for url in ("/admin/awards/", "/admin/booking/", "/admin/coursedate/"):
        response = panel.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url

"""Admins run the training catalogue through the generated pages: courses, dates, bookings and
awards are created, edited and deleted with no view code of their own, and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from extensions import db
from models import AuditEvent, Award, Booking, Course, CourseDate
from tests.conftest import Panel
from tests.factories import add_account, add_invoice
from tests.test_training_bookings import add_course_date, add_employee


def saved(panel: Panel, url: str, form: dict[str, str]) -> None:
    response = panel.post(url, form)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_admin_builds_a_course_books_a_place_and_records_the_award(login_as, panel, today) -> None:
    admin = login_as("admin")
    acme = add_account("ACME")
    ann = add_employee(acme, "ann@acme.test")
    invoice = add_invoice(acme, "INV-1", "450.00")
    next_year = today.year + 1

    saved(panel, "/admin/course/new/", {"code": "FA", "title": "First aid"})
    course = db.session.scalar(sa.select(Course))
    saved(
        panel,
        "/admin/coursedate/new/",
        {"course": str(course.id), "start_date": f"{next_year}-03-02",
         "end_date": f"{next_year}-03-03", "venue": "Leeds", "capacity": "12",
         "price": "450.00"},
    )  # fmt: skip
    course_date = db.session.scalar(sa.select(CourseDate))
    assert (course_date.capacity, course_date.price) == (12, Decimal("450.00"))
    saved(
        panel,
        "/admin/booking/new/",
        {"course_date": str(course_date.id), "account": str(acme.id), "delegate": str(ann.id),
         "status": "booked", "invoice": str(invoice.id)},
    )  # fmt: skip
    booking = db.session.scalar(sa.select(Booking))
    assert booking.invoice_id == invoice.id and booking.booked_by_id == admin.id
    saved(
        panel,
        "/admin/award/new/",
        {"user": str(ann.id), "course": str(course.id), "achieved_on": f"{next_year}-03-03",
         "expires_on": f"{next_year + 3}-03-02"},
    )  # fmt: skip
    award = db.session.scalar(sa.select(Award))
    assert award.expires_on == dt.date(next_year + 3, 3, 2)

    saved(
        panel,
        f"/admin/course/edit/?id={course.id}",
        {"code": "FA", "title": "First aid at work", "loaded_version": str(course.version_id)},
    )
    assert db.session.get(Course, course.id).title == "First aid at work"
    entities = set(db.session.scalars(sa.select(AuditEvent.entity)))
    assert {"Course", "CourseDate", "Booking", "Award"} <= entities


def test_an_award_cannot_expire_before_it_was_achieved(login_as, panel, today) -> None:
    login_as("admin")
    ann = add_employee(add_account("ACME"), "ann@acme.test")
    course = add_course_date(today).course
    response = panel.post(
        "/admin/award/new/",
        {"user": str(ann.id), "course": str(course.id), "achieved_on": "2026-05-02",
         "expires_on": "2026-05-01"},
    )  # fmt: skip
    assert "An award cannot expire before it was achieved." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Award)) is None


def test_a_course_with_dates_cannot_be_deleted(login_as, panel, today) -> None:
    login_as("admin")
    course = add_course_date(today).course
    response = panel.post("/admin/course/delete/", {"id": str(course.id)})
    assert response.status_code == 302
    assert "cannot be deleted" in panel.get(response.location).get_data(as_text=True)
    assert db.session.get(Course, course.id) is not None


def test_the_course_dates_list_shows_booked_and_free_places(login_as, panel, today) -> None:
    login_as("admin")
    acme = add_account("ACME")
    course_date = add_course_date(today, capacity=3)
    db.session.add(Booking(course_date=course_date, account=acme))
    db.session.commit()
    loaded = db.session.scalar(
        sa.select(CourseDate).options(
            undefer(CourseDate.booked_places), undefer(CourseDate.free_places)
        )
    )
    assert (loaded.booked_places, loaded.free_places) == (1, 2)
    assert "Free places" in panel.get("/admin/coursedate/").get_data(as_text=True)

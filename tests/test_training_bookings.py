"""Booking places on course dates through the panel: the rules, placeholders, cancellations,
and two managers racing for the last place."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

import models.training as training
from extensions import db
from models import Account, AuditEvent, Booking, Course, CourseDate, Setting, User
from tests.conftest import Panel, make_user
from tests.factories import add_account


def add_course_date(
    today: dt.date, code: str = "FA", starts_in_days: int = 30, capacity: int = 2, **fields: Any
) -> CourseDate:
    course = db.session.scalar(sa.select(Course).where(Course.code == code))
    if course is None:
        course = Course(code=code, title=f"{code} course")
    start = today + dt.timedelta(days=starts_in_days)
    course_date = CourseDate(
        course=course,
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        venue=fields.pop("venue", "Leeds"),
        capacity=capacity,
        price=fields.pop("price", Decimal("450.00")),
        **fields,
    )
    db.session.add(course_date)
    db.session.commit()
    return course_date


def add_employee(account: Account, email: str) -> User:
    employee = User(email=email, role="individual", account=account)
    db.session.add(employee)
    db.session.commit()
    return employee


def add_booking(course_date: CourseDate, account: Account, delegate: User | None = None) -> Booking:
    booking = Booking(course_date=course_date, account=account, delegate=delegate)
    db.session.add(booking)
    db.session.commit()
    return booking


def places_held(course_date: CourseDate) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.course_date_id == course_date.id, training.holds_a_place()
        )
    )


def book(panel: Panel, course_date: CourseDate, account: Account, delegate: User | None) -> Any:
    form = {"course_date": str(course_date.id), "account": str(account.id)}
    if delegate is not None:
        form["delegate"] = str(delegate.id)
    return panel.post("/admin/booking/new/", form)


def panel_for(app: Any, role: str, email: str) -> Panel:
    """A second browser, logged in as a new user with `role`."""
    other = Panel(app.test_client())
    make_user(role, email)
    assert other.login(email).status_code == 302
    return other


@pytest.fixture
def team(login_as, today) -> dict[str, Any]:
    """A manager of one account with two employees, and a course date with two places."""
    manager = login_as("manager", "mona@example.test")
    mine = add_account("MINE", account_manager=manager)
    return {
        "manager": manager,
        "mine": mine,
        "ann": add_employee(mine, "ann@mine.test"),
        "bob": add_employee(mine, "bob@mine.test"),
        "date": add_course_date(today, capacity=2),
    }


def test_manager_books_an_employee_onto_a_future_date(team, panel: Panel) -> None:
    response = book(panel, team["date"], team["mine"], team["ann"])
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalar(sa.select(Booking))
    assert (booking.delegate_id, booking.account_id) == (team["ann"].id, team["mine"].id)
    assert booking.booked_by_id == team["manager"].id and booking.status == "booked"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "Booking"))
    assert event.action == "create" and event.actor_email == "mona@example.test"


def test_the_last_place_goes_once_then_the_date_is_full(team, panel: Panel) -> None:
    assert book(panel, team["date"], team["mine"], team["ann"]).status_code == 302
    assert book(panel, team["date"], team["mine"], team["bob"]).status_code == 302
    carol = add_employee(team["mine"], "carol@mine.test")
    refused = book(panel, team["date"], team["mine"], carol)
    assert refused.status_code == 200
    assert "is full: all 2 places are booked" in refused.get_data(as_text=True)
    assert places_held(team["date"]) == 2


@pytest.mark.parametrize("starts_in_days", [0, -1, -30])
def test_a_date_that_has_started_or_passed_cannot_be_booked(
    starts_in_days: int, team, panel: Panel, today: dt.date
) -> None:
    past = add_course_date(today, "FS", starts_in_days=starts_in_days)
    refused = book(panel, past, team["mine"], team["ann"])
    assert "has already started or is in the past" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Booking)) is None


def test_a_cancelled_place_frees_up_for_someone_else(team, panel: Panel, today: dt.date) -> None:
    full = add_course_date(today, "FS", capacity=1)
    taken = add_booking(full, team["mine"], team["ann"])
    assert "is full" in book(panel, full, team["mine"], team["bob"]).get_data(as_text=True)
    taken.status = "cancelled"
    db.session.commit()
    assert book(panel, full, team["mine"], team["bob"]).status_code == 302
    assert places_held(full) == 1
    listing = panel.get("/admin/coursedate/").get_data(as_text=True)
    assert "FS course" in listing


def test_the_delegate_must_work_for_the_account_booked_for(
    login_as, panel: Panel, today: dt.date
) -> None:
    login_as("admin")
    acme, other = add_account("ACME"), add_account("OTHER")
    outsider = add_employee(other, "zed@other.test")
    course_date = add_course_date(today)
    refused = book(panel, course_date, acme, outsider)
    assert "zed@other.test is not an employee of the account" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Booking)) is None


def test_a_manager_cannot_book_one_accounts_employee_for_another_account(
    team, panel: Panel
) -> None:
    granted = add_account("GRANTED", account_manager=team["manager"])
    refused = book(panel, team["date"], granted, team["ann"])
    assert "is not an employee of the account" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Booking)) is None


def test_a_delegate_holds_at_most_one_place_on_a_date(team, panel: Panel) -> None:
    assert book(panel, team["date"], team["mine"], team["ann"]).status_code == 302
    refused = book(panel, team["date"], team["mine"], team["ann"])
    assert "ann@mine.test already has a place on this course date" in refused.get_data(as_text=True)
    assert places_held(team["date"]) == 1


def test_placeholders_are_booked_now_and_named_later(team, panel: Panel, today: dt.date) -> None:
    assert book(panel, team["date"], team["mine"], None).status_code == 302
    placeholder = db.session.scalar(sa.select(Booking))
    assert placeholder.delegate_id is None and places_held(team["date"]) == 1
    other_date = add_course_date(today, "FS")
    named = panel.post(
        f"/admin/booking/edit/?id={placeholder.id}",
        {"delegate": str(team["bob"].id), "course_date": str(other_date.id),
         "loaded_version": str(placeholder.version_id)},
    )  # fmt: skip
    assert named.status_code == 302, named.get_data(as_text=True)
    placeholder = db.session.get(Booking, placeholder.id)
    assert placeholder.delegate_id == team["bob"].id
    assert placeholder.course_date_id == team["date"].id  # a manager cannot move the place
    update = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "update"))
    assert "delegate" in update.changes and "course_date" not in update.changes


def test_a_manager_cannot_set_status_invoice_or_who_booked(team, panel: Panel) -> None:
    someone = make_user("admin", "boss@example.test")
    form = {"course_date": str(team["date"].id), "account": str(team["mine"].id),
            "status": "cancelled", "booked_by": str(someone.id)}  # fmt: skip
    assert panel.post("/admin/booking/new/", form).status_code == 302
    booking = db.session.scalar(sa.select(Booking))
    assert booking.status == "booked" and booking.booked_by_id == team["manager"].id
    form_page = panel.get("/admin/booking/new/").get_data(as_text=True)
    assert 'name="status"' not in form_page and 'name="invoice"' not in form_page


def test_reinstating_a_cancelled_booking_needs_a_free_place(
    login_as, panel: Panel, today: dt.date
) -> None:
    login_as("admin")
    acme = add_account("ACME")
    course_date = add_course_date(today, capacity=1)
    cancelled = add_booking(course_date, acme, add_employee(acme, "ann@acme.test"))
    cancelled.status = "cancelled"
    db.session.commit()
    add_booking(course_date, acme, add_employee(acme, "bob@acme.test"))
    refused = panel.post(
        f"/admin/booking/edit/?id={cancelled.id}",
        {"course_date": str(course_date.id), "account": str(acme.id),
         "delegate": str(cancelled.delegate_id), "status": "booked",
         "loaded_version": str(cancelled.version_id)},
    )  # fmt: skip
    assert "is full" in refused.get_data(as_text=True)
    assert db.session.get(Booking, cancelled.id).status == "cancelled"


def test_capacity_cannot_drop_below_the_places_booked(team, app) -> None:
    add_booking(team["date"], team["mine"], team["ann"])
    add_booking(team["date"], team["mine"], team["bob"])
    panel = panel_for(app, "admin", "boss@example.test")
    course_date = team["date"]
    form = {"course": str(course_date.course_id), "start_date": course_date.start_date.isoformat(),
            "end_date": course_date.end_date.isoformat(), "venue": "Leeds", "price": "450.00",
            "loaded_version": str(course_date.version_id)}  # fmt: skip
    refused = panel.post(f"/admin/coursedate/edit/?id={course_date.id}", form | {"capacity": "1"})
    assert "2 places are already booked" in refused.get_data(as_text=True)
    assert db.session.get(CourseDate, course_date.id).capacity == 2
    grown = panel.post(f"/admin/coursedate/edit/?id={course_date.id}", form | {"capacity": "5"})
    assert grown.status_code == 302
    assert db.session.get(CourseDate, course_date.id).capacity == 5


def test_a_course_date_cannot_end_before_it_starts(login_as, panel: Panel) -> None:
    login_as("admin")
    course = Course(code="FA", title="First aid")
    db.session.add(course)
    db.session.commit()
    response = panel.post(
        "/admin/coursedate/new/",
        {"course": str(course.id), "start_date": "2030-05-02", "end_date": "2030-05-01",
         "venue": "Leeds", "capacity": "10", "price": "100.00"},
    )  # fmt: skip
    assert "The course cannot end before it starts." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(CourseDate)) is None


def test_the_booking_form_offers_only_dates_with_a_free_place_still_to_come(
    team, panel: Panel, today: dt.date
) -> None:
    full = add_course_date(today, "FS", capacity=1, venue="York")
    add_booking(full, team["mine"], team["ann"])
    add_course_date(today, "HS", starts_in_days=-3, venue="Hull")
    offered = panel.get("/admin/booking/ajax/lookup/?name=course_date&query=").get_json()
    assert [label for _id, label in offered] == [str(team["date"])]


# --- cancelling -------------------------------------------------------------------------------


def cancel(panel: Panel, booking: Booking) -> Any:
    booking = db.session.get(Booking, booking.id)
    return panel.post(
        "/admin/booking/cancel/",
        {"id": str(booking.id), "loaded_version": str(booking.version_id)},
    )


def test_without_the_setting_a_manager_requests_a_cancellation(team, panel: Panel) -> None:
    booking = add_booking(team["date"], team["mine"], team["ann"])
    page = panel.get(f"/admin/booking/details/?id={booking.id}").get_data(as_text=True)
    assert "Request cancellation" in page and 'name="csrf_token"' in page
    assert cancel(panel, booking).status_code == 302
    assert db.session.get(Booking, booking.id).status == "cancellation_requested"
    assert places_held(team["date"]) == 1  # the place is held until an admin cancels
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "Booking"))
    assert event.action == "cancellation_request"
    assert event.changes == {"status": {"before": "booked", "after": "cancellation_requested"}}
    again = cancel(panel, booking)
    assert "already been requested" in panel.get(again.location).get_data(as_text=True)


def test_an_admin_confirms_a_requested_cancellation(team, app, panel: Panel) -> None:
    booking = add_booking(team["date"], team["mine"], team["ann"])
    cancel(panel, booking)
    admin = panel_for(app, "admin", "boss@example.test")
    page = admin.get(f"/admin/booking/details/?id={booking.id}").get_data(as_text=True)
    assert "Cancel booking" in page
    assert cancel(admin, booking).status_code == 302
    assert db.session.get(Booking, booking.id).status == "cancelled"
    assert places_held(team["date"]) == 0


def test_with_the_setting_a_manager_cancels_directly(team, panel: Panel) -> None:
    db.session.add(Setting(key="managers_may_cancel_bookings", value="yes"))
    db.session.commit()
    booking = add_booking(team["date"], team["mine"], team["ann"])
    page = panel.get(f"/admin/booking/details/?id={booking.id}").get_data(as_text=True)
    assert "Cancel booking" in page
    assert cancel(panel, booking).status_code == 302
    assert db.session.get(Booking, booking.id).status == "cancelled"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "Booking"))
    assert event.action == "cancel"


def test_a_manager_cannot_cancel_once_the_course_has_started(
    team, panel: Panel, today: dt.date
) -> None:
    booking = add_booking(team["date"], team["mine"], team["ann"])
    course_date = team["date"]
    course_date.start_date = today  # the course was moved forward to today
    db.session.commit()
    response = cancel(panel, booking)
    assert "already started" in panel.get(response.location).get_data(as_text=True)
    assert db.session.get(Booking, booking.id).status == "booked"


def test_cancelling_needs_the_csrf_token_and_the_current_version(team, panel: Panel) -> None:
    booking = add_booking(team["date"], team["mine"], team["ann"])
    forged = panel.post_without_csrf("/admin/booking/cancel/", {"id": str(booking.id)})
    assert forged.status_code == 400
    stale = panel.post("/admin/booking/cancel/", {"id": str(booking.id), "loaded_version": "0"})
    assert "Someone else changed this record" in panel.get(stale.location).get_data(as_text=True)
    assert db.session.get(Booking, booking.id).status == "booked"


def test_analysts_cannot_cancel(team, app) -> None:
    booking = add_booking(team["date"], team["mine"], team["ann"])
    analyst = panel_for(app, "analyst", "ana@example.test")
    assert cancel(analyst, booking).status_code == 403
    assert db.session.get(Booking, booking.id).status == "booked"


# --- the race for the last place ---------------------------------------------------------------


def test_two_managers_booking_the_last_place_at_once_get_one_booking(
    app, monkeypatch: pytest.MonkeyPatch, today: dt.date
) -> None:
    """On PostgreSQL the course date's row lock decides; on SQLite, taking the single write lock
    first. Both requests pass the form checks before either takes the lock."""
    course_date = add_course_date(today, capacity=1)
    attempts = []
    for name in ("mona", "carl"):
        manager = make_user("manager", f"{name}@example.test")
        account = add_account(name.upper(), account_manager=manager)
        panel = Panel(app.test_client())
        panel.login(manager.email)
        panel.csrf_token = panel.fresh_token("/admin/")
        delegate = add_employee(account, f"staff@{name}.test")
        form = {"course_date": str(course_date.id), "account": str(account.id),
                "delegate": str(delegate.id)}  # fmt: skip
        attempts.append((panel, form))

    both_checked = threading.Barrier(2, timeout=20)
    lock_course_date = training._lock_course_date

    def lock_after_both_arrive(session: Any, course_date_id: int) -> None:
        both_checked.wait()  # both requests are inside their booking transaction now
        lock_course_date(session, course_date_id)

    monkeypatch.setattr(training, "_lock_course_date", lock_after_both_arrive)
    responses: list[Any] = [None, None]

    def attempt(index: int) -> None:
        panel, form = attempts[index]
        with app.app_context():  # a thread of its own, like a second web worker
            responses[index] = panel.post("/admin/booking/new/", form)
            db.session.remove()

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(response.status_code for response in responses) == [200, 302]
    refusal = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert "is full: all 1 places are booked" in refusal
    assert places_held(course_date) == 1


def test_a_manager_books_from_the_course_dates_list(team, app, panel: Panel) -> None:
    listing = panel.get("/admin/coursedate/").get_data(as_text=True)
    link = f"/admin/booking/new/?course_date={team['date'].id}"
    assert link in listing
    form = panel.get(link).get_data(as_text=True)
    assert f'name="course_date" type="hidden" value="{team["date"].id}"' in form
    analyst = panel_for(app, "analyst", "ana@example.test")
    assert "/admin/booking/new/" not in analyst.get("/admin/coursedate/").get_data(as_text=True)

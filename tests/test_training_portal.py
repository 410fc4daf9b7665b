"""The manager's training portal: the course list and course search (dates to come with free
places, "Book" from there), all and future delegates of their accounts, and naming the delegate
of a placeholder place, each only for the manager's own accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, AuditEvent, Booking, CourseDate, FormFieldRule, User
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.test_training_bookings import add_booking, add_course_date, add_employee


@dataclass
class Team:
    manager: User
    mine: Account
    theirs: Account
    ann: User
    bob: User
    zed: User


@pytest.fixture
def team() -> Team:
    manager = make_user("manager", "kim@example.test")
    other_manager = make_user("manager", "lee@example.test")
    mine = add_account("MINE", account_manager=manager)
    theirs = add_account("THEIRS", account_manager=other_manager)
    return Team(
        manager=manager,
        mine=mine,
        theirs=theirs,
        ann=add_employee(mine, "ann@mine.test"),
        bob=add_employee(mine, "bob@mine.test"),
        zed=add_employee(theirs, "zed@theirs.test"),
    )


def page(panel: Panel, url: str) -> str:
    response = panel.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def move_into_the_past(course_date: CourseDate, today: dt.date, days_ago: int = 10) -> None:
    """A course that has run: booked while it was to come, then its dates passed."""
    course_date.start_date = today - dt.timedelta(days=days_ago)
    course_date.end_date = course_date.start_date
    db.session.commit()


# --- course list and course search ---------------------------------------------------------


def test_the_course_list_shows_dates_to_come_with_free_places_and_books_from_there(
    team: Team, panel: Panel, today: dt.date
) -> None:
    upcoming = add_course_date(today, "FA", starts_in_days=20, capacity=3, venue="Leeds")
    full = add_course_date(today, "FA", starts_in_days=40, capacity=1, venue="Fullham")
    add_booking(full, team.theirs, team.zed)
    ran = add_course_date(today, "FA", starts_in_days=5, venue="Pastbury")
    move_into_the_past(ran, today)
    add_course_date(today, "GDPR", starts_in_days=60, venue="York")
    panel.login(team.manager.email)

    html = page(panel, "/admin/training/courses/")

    assert "FA — FA course" in html and "GDPR — GDPR course" in html
    assert "Leeds" in html and "York" in html
    assert "Fullham" not in html, "a full date cannot be booked"
    assert "Pastbury" not in html, "a date that has run cannot be booked"
    assert "3 of 3" in html
    book = f"/admin/booking/new/?course_date={upcoming.id}"
    assert book in html.replace("&amp;", "&")
    form = page(panel, book)
    assert f'value="{upcoming.id}"' in form, "the booking form starts on the chosen date"


def test_course_search_finds_dates_by_words_and_start_dates(
    team: Team, panel: Panel, today: dt.date
) -> None:
    add_course_date(today, "FA", starts_in_days=10, venue="Leeds")
    add_course_date(today, "FA", starts_in_days=50, venue="Leeds Central")
    add_course_date(today, "GDPR", starts_in_days=20, venue="York")
    panel.login(team.manager.email)
    until = (today + dt.timedelta(days=30)).isoformat()

    by_words = page(panel, "/admin/training/course-search/?q=leeds")
    in_range = page(panel, f"/admin/training/course-search/?q=fa+course&until={until}")
    nothing = page(panel, "/admin/training/course-search/?q=100%25")

    assert "Leeds" in by_words and "Leeds Central" in by_words and "York" not in by_words
    assert "Leeds" in in_range and "Leeds Central" not in in_range and "York" not in in_range
    assert "No course date to come matches" in nothing


def test_course_search_can_include_full_dates_without_offering_to_book_them(
    team: Team, panel: Panel, today: dt.date
) -> None:
    full = add_course_date(today, "FA", starts_in_days=10, capacity=1, venue="Fullham")
    add_booking(full, team.mine, team.ann)
    panel.login(team.manager.email)

    assert "Fullham" not in page(panel, "/admin/training/course-search/?q=fa")
    with_full = page(panel, "/admin/training/course-search/?q=fa&full=1")
    assert "Fullham" in with_full and ">full<" in with_full
    assert f"book-{full.id}" not in with_full


@pytest.mark.parametrize("bad", ["from=yesterday", "until=2026-13-01", "from=0001-01-01"])
def test_course_search_refuses_a_date_it_cannot_read(team: Team, panel: Panel, bad: str) -> None:
    panel.login(team.manager.email)

    response = panel.get(f"/admin/training/course-search/?{bad}")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-testid="search-error"' in html and "must be" in html
    assert 'data-testid="course-dates"' not in html


def test_an_analyst_browses_the_courses_but_is_not_offered_to_book(
    team: Team, panel: Panel, today: dt.date
) -> None:
    course_date = add_course_date(today, "FA", starts_in_days=10)
    panel.login(make_user("analyst").email)

    html = page(panel, "/admin/training/courses/")

    assert "FA course" in html
    assert f"book-{course_date.id}" not in html


def test_a_hidden_field_is_neither_shown_nor_searched(
    team: Team, panel: Panel, today: dt.date
) -> None:
    add_course_date(today, "FA", starts_in_days=10, venue="Secretville")
    db.session.add(FormFieldRule(entity="CourseDate", field="venue", role="manager", hidden=True))
    db.session.commit()
    panel.login(team.manager.email)

    listed = page(panel, "/admin/training/courses/")
    searched = page(panel, "/admin/training/course-search/?q=secretville")

    assert "Secretville" not in listed and "Venue" not in listed
    assert "Secretville" not in searched
    assert "No course date to come matches" in searched, "a hidden column answers no guesses"


def test_the_portal_pages_need_a_login(panel: Panel) -> None:
    for url in ("/admin/training/courses/", "/admin/training/placeholders/"):
        response = panel.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_portal_is_in_the_managers_training_menu(team: Team, panel: Panel) -> None:
    panel.login(team.manager.email)

    html = page(panel, "/admin/")

    for name in ("Course list", "Course search", "All delegates", "Future delegates"):
        assert name in html
    assert "Placeholders" in html


# --- delegates -----------------------------------------------------------------------------


def test_managers_see_all_and_future_delegates_of_their_accounts_only(
    team: Team, panel: Panel, today: dt.date
) -> None:
    ran = add_course_date(today, "FA", starts_in_days=3)
    add_booking(ran, team.mine, team.ann)
    move_into_the_past(ran, today)
    coming = add_course_date(today, "GDPR", starts_in_days=30)
    add_booking(coming, team.mine, team.bob)
    add_booking(coming, team.theirs, team.zed)
    cancelled = add_booking(add_course_date(today, "HS", starts_in_days=40), team.mine, team.ann)
    cancelled.status = "cancelled"
    db.session.commit()
    panel.login(team.manager.email)

    everyone = page(panel, "/admin/training/delegates/")
    future = page(panel, "/admin/training/future-delegates/")

    assert "ann@mine.test" in everyone and "bob@mine.test" in everyone
    assert "zed@theirs.test" not in everyone and "THEIRS" not in everyone
    assert "HS course" not in everyone, "a cancelled booking is nobody's place"
    assert "bob@mine.test" in future
    assert "ann@mine.test" not in future and "zed@theirs.test" not in future


def test_delegates_are_searched_by_name_or_course(team: Team, panel: Panel, today: dt.date) -> None:
    coming = add_course_date(today, "GDPR", starts_in_days=30)
    add_booking(coming, team.mine, team.bob)
    add_booking(add_course_date(today, "FA", starts_in_days=20), team.mine, team.ann)
    panel.login(team.manager.email)

    found = page(panel, "/admin/training/delegates/?q=gdpr")
    by_mail = page(panel, "/admin/training/future-delegates/?q=ann@")

    assert "bob@mine.test" in found and "ann@mine.test" not in found
    assert "ann@mine.test" in by_mail and "bob@mine.test" not in by_mail


def test_delegates_page_through_fifty_at_a_time(team: Team, panel: Panel, today: dt.date) -> None:
    course_date = add_course_date(today, "FA", starts_in_days=30, capacity=60)
    for number in range(55):
        add_booking(course_date, team.mine, add_employee(team.mine, f"p{number:02d}@mine.test"))
    panel.login(team.manager.email)

    first = page(panel, "/admin/training/delegates/")
    second = page(panel, "/admin/training/delegates/?page=2")

    assert first.count("@mine.test</td>") == 50 and second.count("@mine.test</td>") == 5
    assert panel.get("/admin/training/delegates/?page=0").status_code == 400
    assert panel.get("/admin/training/delegates/?page=abc").status_code == 400
    assert "No delegate is booked" in page(panel, "/admin/training/delegates/?page=99999999")


# --- placeholders --------------------------------------------------------------------------


@pytest.fixture
def placeholders(team: Team, today: dt.date) -> tuple[Booking, Booking]:
    course_date = add_course_date(today, "FA", starts_in_days=14, capacity=4)
    return add_booking(course_date, team.mine), add_booking(course_date, team.theirs)


def name(panel: Panel, booking: Booking, delegate: User | str, version: int | None = None):
    return panel.post(
        f"/admin/training/placeholders/{booking.id}/name/",
        {
            "delegate": str(getattr(delegate, "id", delegate)),
            "loaded_version": str(booking.version_id if version is None else version),
        },
    )


def reread(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def test_a_manager_names_the_delegate_of_a_placeholder(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, theirs = placeholders
    panel.login(team.manager.email)
    listed = page(panel, "/admin/training/placeholders/")
    assert f'data-testid="placeholder-{mine.id}"' in listed
    assert f'data-testid="placeholder-{theirs.id}"' not in listed
    assert "ann@mine.test" in listed and "zed@theirs.test" not in listed

    response = name(panel, mine, team.ann)

    assert response.status_code == 302
    assert reread(mine).delegate_id == team.ann.id
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "Booking", AuditEvent.action == "update")
    ).one()
    assert audit.entity_id == str(mine.id) and audit.user_id == team.manager.id
    assert "ann@mine.test" in str(audit.changes["delegate"])
    after = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "is named for the place" in after
    assert f'data-testid="placeholder-{mine.id}"' not in after
    assert "ann@mine.test" in page(panel, "/admin/training/future-delegates/")


def test_a_manager_cannot_name_anyone_on_another_managers_placeholder(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    _mine, theirs = placeholders
    panel.login(team.manager.email)

    assert name(panel, theirs, team.ann).status_code == 404
    assert reread(theirs).delegate_id is None


def test_only_the_accounts_own_people_may_be_named(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, _theirs = placeholders
    panel.login(team.manager.email)

    for wrong in (team.zed, team.manager, "", "abc", "-1", "99999999999999999999"):
        response = name(panel, mine, wrong)
        assert response.status_code == 302
        assert reread(mine).delegate_id is None
    after = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose one of the account&#39;s people" in after


def test_a_stale_page_or_a_missing_token_names_nobody(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, _theirs = placeholders
    panel.login(team.manager.email)

    stale = name(panel, mine, team.ann, version=mine.version_id + 5)
    crafted = panel.post_without_csrf(
        f"/admin/training/placeholders/{mine.id}/name/",
        {"delegate": str(team.ann.id), "loaded_version": str(mine.version_id)},
    )

    assert stale.status_code == 302
    assert "changed this record" in panel.get(stale.headers["Location"]).get_data(as_text=True)
    assert crafted.status_code == 400
    assert reread(mine).delegate_id is None


def test_the_booking_rules_still_apply_when_naming(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, _theirs = placeholders
    add_booking(mine.course_date, team.mine, team.ann)
    panel.login(team.manager.email)

    response = name(panel, mine, team.ann)

    after = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "already has a place on this course date" in after
    assert reread(mine).delegate_id is None


def test_an_analyst_sees_placeholders_but_cannot_name(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, theirs = placeholders
    panel.login(make_user("analyst").email)

    listed = page(panel, "/admin/training/placeholders/")

    assert f"placeholder-{mine.id}" in listed and f"placeholder-{theirs.id}" in listed
    assert "Name delegate" not in listed
    assert name(panel, mine, team.ann).status_code == 403
    assert reread(mine).delegate_id is None


def test_a_read_only_delegate_rule_stops_naming(
    team: Team, panel: Panel, placeholders: tuple[Booking, Booking]
) -> None:
    mine, _theirs = placeholders
    db.session.add(FormFieldRule(entity="Booking", field="delegate", role="manager", readonly=True))
    db.session.commit()
    panel.login(team.manager.email)

    assert "Name delegate" not in page(panel, "/admin/training/placeholders/")
    assert name(panel, mine, team.ann).status_code == 403
    assert reread(mine).delegate_id is None


def test_a_manager_whose_account_has_no_people_is_offered_to_add_one(
    team: Team, panel: Panel, today: dt.date
) -> None:
    empty = add_account("EMPTY", account_manager=team.manager)
    add_booking(add_course_date(today, "FA", starts_in_days=14), empty)
    panel.login(team.manager.email)

    listed = page(panel, "/admin/training/placeholders/")

    assert "Nobody works for this account yet." in listed
    assert "/admin/user/new/" in listed

"""The booking form's course-date picker finds dates by their course's name."""

from __future__ import annotations

import datetime as dt

from extensions import db
from models import Course, CourseDate, FormFieldRule
from tests.conftest import Panel

LOOKUP = "/admin/booking/ajax/lookup/?name=course_date&query="


def add_date(
    today: dt.date, code: str, title: str, venue: str, starts_in_days: int = 10
) -> CourseDate:
    course = db.session.query(Course).filter_by(code=code).one_or_none() or Course(
        code=code, title=title
    )
    start = today + dt.timedelta(days=starts_in_days)
    date = CourseDate(course=course, start_date=start, end_date=start, venue=venue, capacity=5)
    db.session.add(date)
    db.session.commit()
    return date


def offered(panel: Panel, term: str) -> list[str]:
    return [label for _id, label in panel.get(LOOKUP + term).get_json()]


def test_the_picker_finds_dates_by_any_word_of_the_course_name(
    login_as, panel: Panel, today: dt.date
) -> None:
    login_as("admin")
    first_aid = add_date(today, "FAW", "First Aid at Work", "Leeds")
    fire = add_date(today, "FS", "Fire Safety", "York")
    add_date(today, "FAW", "First Aid at Work", "Hull", starts_in_days=-5)  # past: never offered

    assert offered(panel, "aid") == [str(first_aid)]
    assert offered(panel, "FIRE saf") == [str(fire)]
    assert offered(panel, "fi") == [str(first_aid), str(fire)]
    assert offered(panel, "faw") == [str(first_aid)]  # by the course code
    assert offered(panel, "york") == [str(fire)]  # and by venue, as before
    assert offered(panel, "%") == []
    assert offered(panel, "cooking") == []


def test_a_course_name_hidden_from_the_role_is_not_searched(
    login_as, panel: Panel, today: dt.date
) -> None:
    login_as("manager")
    add_date(today, "FAW", "First Aid at Work", "Leeds")
    assert len(offered(panel, "aid")) == 1
    db.session.add(FormFieldRule(entity="Course", field="title", role="manager", hidden=True))
    db.session.commit()
    assert offered(panel, "aid") == []
    for field in ("start_date", "venue"):
        db.session.add(FormFieldRule(entity="CourseDate", field=field, role="manager", hidden=True))
    db.session.add(FormFieldRule(entity="Course", field="code", role="manager", hidden=True))
    db.session.commit()
    assert offered(panel, "first") == []  # nothing readable to match: nothing found

"""The awards report against a hand-worked example: statuses, days left, renewed, renewing;
its page and its CSV/XLSX export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from extensions import db
from models import Award, User
from reports.training_awards import COLUMNS, awards_report
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.test_training_bookings import add_booking, add_course_date, add_employee

WITHIN_DAYS = 60


def day(today: dt.date, offset: int) -> dt.date:
    return today + dt.timedelta(days=offset)


@pytest.fixture
def example(today) -> dict[str, User]:
    """Ann, Bob and Dan work for MINE (managed by Mona); Cat for THEIRS.

    FA = First aid, FS = Fire safety. What each award should show as of today, 60-day window:
      ann FA  achieved -1100 expires -10   -> expired,  -10 days, renewed (ann FA again at -5)
      ann FA  achieved -5    expires +1090 -> current, 1090 days
      ann FS  achieved -400  expires +61   -> current,   61 days (one day outside the window);
              her FS booking at +20 was cancelled, so not renewing
      bob FA  achieved -1000 expires +30   -> expiring,  30 days, renewing (booked FA at +20)
      bob FS  achieved -200  never expires -> current, no days left
      bob FS  achieved +3                  -> not yet achieved: not listed
      dan FA  achieved -700  expires today -> expiring,   0 days (valid through its last day)
      cat FA  achieved -100  expires +60   -> expiring,  60 days (only admins see Cat)
    """
    mona = make_user("manager", "mona@example.test")
    mine = add_account("MINE", account_manager=mona)
    theirs = add_account("THEIRS")
    people = {
        "ann": add_employee(mine, "ann@mine.test"),
        "bob": add_employee(mine, "bob@mine.test"),
        "dan": add_employee(mine, "dan@mine.test"),
        "cat": add_employee(theirs, "cat@theirs.test"),
    }
    first_aid = add_course_date(today, "FA", starts_in_days=20).course
    fire_safety = add_course_date(today, "FS", starts_in_days=20).course
    first_aid.title, fire_safety.title = "First aid", '=HYPERLINK("http://x")'
    courses = {"FA": first_aid, "FS": fire_safety}
    for who, code, achieved, expires in [
        ("ann", "FA", -1100, -10),
        ("ann", "FA", -5, 1090),
        ("ann", "FS", -400, 61),
        ("bob", "FA", -1000, 30),
        ("bob", "FS", -200, None),
        ("bob", "FS", 3, None),
        ("dan", "FA", -700, 0),
        ("cat", "FA", -100, 60),
    ]:
        db.session.add(
            Award(
                user=people[who],
                course=courses[code],
                achieved_on=day(today, achieved),
                expires_on=None if expires is None else day(today, expires),
            )
        )
    db.session.commit()
    add_booking(first_aid.dates[0], mine, people["bob"])
    add_booking(fire_safety.dates[0], mine, people["ann"]).status = "cancelled"
    db.session.commit()
    return people | {"mona": mona}


def expected_for_mona(today: dt.date) -> list[tuple]:
    return [
        # email, course, achieved, expires, days_left, status, renewed, renewing
        ("ann@mine.test", "FA", day(today, -1100), day(today, -10), -10, "expired", True, False),
        ("ann@mine.test", "FA", day(today, -5), day(today, 1090), 1090, "current", False, False),
        ("ann@mine.test", "FS", day(today, -400), day(today, 61), 61, "current", False, False),
        ("bob@mine.test", "FA", day(today, -1000), day(today, 30), 30, "expiring", False, True),
        ("bob@mine.test", "FS", day(today, -200), None, None, "current", False, False),
        ("dan@mine.test", "FA", day(today, -700), day(today, 0), 0, "expiring", False, False),
    ]


def cat_row(today: dt.date) -> tuple:
    return ("cat@theirs.test", "FA", day(today, -100), day(today, 60), 60, "expiring", False, False)


def figures(frame: pd.DataFrame) -> list[tuple]:
    picked = frame[
        ["email", "course_code", "achieved_on", "expires_on", "days_left", "status", "renewed",
         "renewing"]
    ]  # fmt: skip
    return [
        tuple(None if value is pd.NA else value for value in row)
        for row in picked.astype(object).itertuples(index=False)
    ]


def test_report_figures_match_the_hand_worked_example(example, today) -> None:
    frame = awards_report(db.session, example["mona"], today, WITHIN_DAYS)
    assert list(frame.columns) == list(COLUMNS)
    assert figures(frame) == expected_for_mona(today)
    assert set(frame["account_code"]) == {"MINE"}


def test_admins_see_every_account_in_the_report(example, today) -> None:
    admin = make_user("admin", "boss@example.test")
    frame = awards_report(db.session, admin, today, WITHIN_DAYS)
    assert figures(frame) == [*expected_for_mona(today), cat_row(today)]


def test_a_wider_window_turns_current_awards_into_expiring_ones(example, today) -> None:
    frame = awards_report(db.session, example["mona"], today, 61)
    ann_fire_safety = frame[(frame["email"] == "ann@mine.test") & (frame["course_code"] == "FS")]
    assert list(ann_fire_safety["status"]) == ["expiring"]


def test_an_empty_report_has_the_columns(login_as, today) -> None:
    frame = awards_report(db.session, login_as("analyst"), today, WITHIN_DAYS)
    assert frame.empty and list(frame.columns) == list(COLUMNS)


def test_the_page_filters_by_status(example, panel: Panel) -> None:
    panel.login("mona@example.test")
    expiring = panel.get(f"/admin/awards/?show=expiring&within_days={WITHIN_DAYS}")
    html = expiring.get_data(as_text=True)
    assert "bob@mine.test" in html and "dan@mine.test" in html and "ann@mine.test" not in html
    expired = panel.get("/admin/awards/?show=expired").get_data(as_text=True)
    assert "ann@mine.test" in expired and "bob@mine.test" not in expired
    assert panel.get("/admin/awards/?show=everything").status_code == 400
    assert panel.get("/admin/awards/?as_of=yesterday").status_code == 400


def test_csv_export_holds_the_report_with_formulas_neutralised(
    example, panel: Panel, today: dt.date
) -> None:
    panel.login("mona@example.test")
    response = panel.get(f"/admin/awards/export/csv?within_days={WITHIN_DAYS}")
    assert response.headers["Content-Disposition"].startswith("attachment;filename=awards_all_")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["email"] for row in rows] == [row[0] for row in expected_for_mona(today)]
    bob_fa = rows[3]
    assert (bob_fa["days_left"], bob_fa["status"], bob_fa["renewing"]) == ("30", "expiring", "true")
    assert bob_fa["expires_on"] == day(today, 30).isoformat()
    assert rows[2]["course_title"] == '\'=HYPERLINK("http://x")'
    assert rows[4]["expires_on"] == "" and rows[4]["days_left"] == ""


def test_xlsx_export_keeps_numbers_and_dates_typed(example, panel: Panel, today: dt.date) -> None:
    panel.login("mona@example.test")
    response = panel.get(f"/admin/awards/export/xlsx?show=expiring&within_days={WITHIN_DAYS}")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == list(COLUMNS)
    bob = dict(zip(header, rows[0], strict=True))
    assert bob["email"] == "bob@mine.test" and bob["days_left"] == 30
    assert bob["expires_on"].date() == day(today, 30) and bob["renewing"] is True
    assert len(rows) == 2


def test_a_manager_of_no_accounts_sees_no_awards(example, login_as, panel: Panel) -> None:
    login_as("manager", "nobody@example.test")
    html = panel.get("/admin/awards/").get_data(as_text=True)
    assert "No awards to show." in html

"""Every PDF the panel offers prints whatever text users typed: a 30,000-character note, a word
with no spaces, thousands of lines, emoji, CJK, right-to-left script and control characters.
A cell too long for the page is cut, ends in "(truncated)", and the page says where the full
text is."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from extensions import db
from models import Account, FollowUpAction, Note, User
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_credit_note, add_invoice, add_payment

LONG_NOTE = ("Begins here: promised to pay " + "lorem ipsum dolor sit amet " * 1200)[:30_000]
LONG_WORD = "W" * 30_000
MANY_LINES = "\n".join(f"line {number}" for number in range(3_000))
EVERY_SCRIPT = "Emoji 😀🎉 CJK 漢字テスト RTL שלום مرحبا controls \x01\x02\x07\x1b\x7f\u202e end"
LONG_NAME = (EVERY_SCRIPT + " " + "N" * 200)[:200]
"""An account name as long as the column holds, in every script, with a run of no spaces."""
CUT_NOTE = "were cut to fit the page; the full text is in"


@pytest.fixture
def typed_text_everywhere(today) -> Account:
    """An account whose name and records hold text of every awkward shape, as users typed it."""
    manager = make_user("manager", "mo@example.test", first_name=EVERY_SCRIPT[:100])
    account = add_account("WIDE", name=LONG_NAME, account_manager=manager,
                          billing_address=LONG_NOTE)  # fmt: skip
    invoice = add_invoice(account, "INV-😀-1", "120.00", description=LONG_NOTE,
                          issue_date=today - dt.timedelta(days=70),
                          due_date=today - dt.timedelta(days=40))  # fmt: skip
    add_payment(account, "PAY-漢字", "20.00", invoice=invoice, payment_date=today)
    add_credit_note(account, "CN-1", "5.00", reason=MANY_LINES, issue_date=today)
    db.session.add_all(
        [
            User(email="ann@wide.test", first_name=EVERY_SCRIPT[:100], last_name="W" * 100,
                 role="individual", account=account),
            FollowUpAction(account=account, due_date=today, description=LONG_WORD),
        ]
    )  # fmt: skip
    db.session.commit()
    return account


def add_notes_through_the_account_page(panel: Panel, account: Account) -> None:
    """Notes as a user adds them, so that the history tab holds their text too."""
    for body in (LONG_NOTE, LONG_WORD, MANY_LINES, EVERY_SCRIPT):
        response = panel.post(
            f"/admin/account/details/add/note/?id={account.id}",
            {"account": str(account.id), "body": body},
        )
        assert response.status_code == 302
    assert db.session.query(Note).filter_by(account_id=account.id).count() == 4


def pdf_text(panel: Panel, url: str) -> str:
    response = panel.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


TABS = ["invoices", "payments", "credit_notes", "users", "notes", "actions", "history"]


@pytest.mark.parametrize("tab", TABS)
def test_every_account_tab_prints_as_a_pdf_whatever_its_text(
    tab: str, typed_text_everywhere: Account, login_as, panel: Panel
) -> None:
    login_as("super_admin")  # the only role that may export the history
    add_notes_through_the_account_page(panel, typed_text_everywhere)
    text = pdf_text(
        panel, f"/admin/account/details/export/{tab}/pdf/?id={typed_text_everywhere.id}"
    )
    assert "WIDE" in text


def test_a_30000_character_note_prints_its_beginning_and_says_it_was_cut(
    typed_text_everywhere: Account, login_as, panel: Panel
) -> None:
    login_as("admin")
    add_notes_through_the_account_page(panel, typed_text_everywhere)
    text = pdf_text(
        panel, f"/admin/account/details/export/notes/pdf/?id={typed_text_everywhere.id}"
    )
    assert "Begins here: promised to pay lorem ipsum" in text
    assert "(truncated)" in text
    assert f"{CUT_NOTE} the CSV and XLSX downloads." in text
    assert "line 0" in text and "line 2999" not in text
    assert "W" * 20 in text and "W" * 30_000 not in text.replace(" ", "")
    assert "Emoji 😀" in text and "end" in text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/aging/manager/download/pdf",
        "/admin/reports/aging/account/download/pdf",
        "/admin/reports/period/actions/download/pdf",
        "/admin/reports/period/credit/download/pdf",
        "/admin/reports/period/collections/download/pdf",
        "/admin/account/details/statement/pdf/?id={id}",
    ],
)
def test_every_report_pdf_prints_whatever_the_names_hold(
    url: str, typed_text_everywhere: Account, login_as, panel: Panel
) -> None:
    login_as("admin")
    text = pdf_text(panel, url.format(id=typed_text_everywhere.id))
    assert "Emoji" in text or "mo@example.test" in text


def test_a_long_account_name_is_cut_on_the_one_page_aging_report(
    typed_text_everywhere: Account, login_as, panel: Panel
) -> None:
    login_as("analyst")
    response = panel.get("/admin/reports/aging/account/download/pdf")
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "WIDE" in text and "Emoji" in text and "(truncated)" in text
    assert f"{CUT_NOTE} the CSV and XLSX downloads." in text
    assert "TOTAL" in text and "100.00" in text

"""Statement of account (page, PDF, e-mail) and search within the account."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from extensions import db
from models import Account, AuditEvent, FormFieldRule, Job, Note, OutboxMessage, User
from notifications.sending import MailSettings, send_due_messages
from reports.statement import account_statement
from tests.factories import add_account, add_credit_note, add_invoice, add_payment
from tests.job_helpers import wait_for_job
from tests.notification_helpers import mail_server_for
from tests.smtp_server import free_port

START, AS_OF = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
STATEMENT = "/admin/account/details/statement/?id={id}&start=2026-02-01&as_of=2026-02-28"


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


@pytest.fixture
def acme() -> Account:
    """ACME's ledger; the statement runs from 1 to 28 February 2026.

    before the period: INV-A +1000.00 (10 Jan), PAY-A -400.00 on INV-A, CN-A -100.00 unapplied
        -> brought forward 500.00
    in the period: INV-B +500.00 (5 Feb), PAY-B -300.00 on INV-A (15 Feb),
        CN-B -50.00 on INV-B (20 Feb), INV-C +200.00 (25 Feb)
        -> invoiced 700.00, paid 300.00, credited 50.00
        -> carried forward 500 + 700 - 300 - 50 = 850.00
    never counted: INV-D (draft), and what is dated after 28 Feb (INV-E, PAY-C)
    open on 28 Feb (age in days, days overdue):
        INV-A 300.00 (49, 19), INV-B 450.00 (23, 0), INV-C 200.00 (3, 0)
        950.00 open less the 100.00 unapplied CN-A = 850.00, the balance carried forward
    """
    acme = add_account("ACME", name="Acme Training", billing_email="billing@acme.test")
    other = add_account("OTHER")
    inv_a = add_invoice(acme, "INV-A", "1000.00", issue_date=day(1, 10), due_date=day(2, 9))
    inv_b = add_invoice(acme, "INV-B", "500.00", issue_date=day(2, 5), due_date=day(3, 7))
    add_invoice(acme, "INV-C", "200.00", issue_date=day(2, 25), due_date=day(3, 27))
    add_invoice(acme, "INV-D", "999.00", issue_date=day(2, 10), status="draft")
    add_invoice(acme, "INV-E", "70.00", issue_date=day(3, 2))
    add_payment(acme, "PAY-A", "400.00", invoice=inv_a, payment_date=day(1, 20))
    add_payment(acme, "PAY-B", "300.00", invoice=inv_a, payment_date=day(2, 15))
    add_payment(acme, "PAY-C", "80.00", payment_date=day(3, 5))
    add_credit_note(acme, "CN-A", "100.00", issue_date=day(1, 25))
    add_credit_note(acme, "CN-B", "50.00", invoice=inv_b, issue_date=day(2, 20))
    add_invoice(other, "INV-OTHER", "300.00", issue_date=day(2, 3))
    add_payment(other, "PAY-OTHER", "300.00", payment_date=day(2, 4))
    db.session.add_all(
        [
            Note(account=acme, body="Left a voicemail for the bursar"),
            Note(account=other, body="Left a voicemail at Other"),
            User(email="ann@acme.test", first_name="Ann", role="individual", account=acme),
        ]
    )
    db.session.commit()
    return acme


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="(\w+)">([^<]*)<', html))


def test_statement_function_balances_to_the_cent(acme) -> None:
    statement = account_statement(db.session, acme, START, AS_OF)
    assert statement.brought_forward == Decimal("500.00")
    assert (statement.invoiced, statement.paid, statement.credited) == (
        Decimal("700.00"),
        Decimal("300.00"),
        Decimal("50.00"),
    )
    assert statement.carried_forward == Decimal("850.00")
    assert statement.activity["reference"].tolist() == ["INV-B", "PAY-B", "CN-B", "INV-C"]
    assert [str(value) for value in statement.activity["balance"]] == [
        "1000.00", "700.00", "650.00", "850.00",
    ]  # fmt: skip
    open_invoices = statement.open_invoices
    assert open_invoices["number"].tolist() == ["INV-A", "INV-B", "INV-C"]
    assert [str(value) for value in open_invoices["open_amount"]] == ["300.00", "450.00", "200.00"]
    assert open_invoices["age_days"].tolist() == [49, 23, 3]
    assert open_invoices["days_overdue"].tolist() == [19, 0, 0]


def test_statement_page_shows_the_totals_and_open_invoices(acme, login_as, panel) -> None:
    login_as("analyst")
    html = panel.get(STATEMENT.format(id=acme.id)).get_data(as_text=True)
    assert totals(html) == {
        "brought_forward": "500.00",
        "invoiced": "700.00",
        "paid": "300.00",
        "credited": "50.00",
        "carried_forward": "850.00",
    }
    open_table = html[html.index('data-testid="statement-open-invoices"') :]
    assert "INV-A" in open_table and "300.00" in open_table and "INV-D" not in open_table
    assert "INV-OTHER" not in html and "PAY-C" not in html


def test_statement_pdf_is_a_real_pdf_with_the_figures(acme, login_as, panel) -> None:
    login_as("analyst")
    response = panel.get(STATEMENT.format(id=acme.id).replace("/statement/", "/statement/pdf/"))
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Statement of account ACME" in text
    assert "Balance brought forward: GBP 500.00" in text
    assert "Balance carried forward: GBP 850.00" in text
    for number in ("INV-A", "INV-B", "INV-C", "PAY-B", "CN-B"):
        assert number in text
    assert "INV-OTHER" not in text


def test_a_statement_period_cannot_start_after_its_date(acme, login_as, panel) -> None:
    login_as("admin")
    bad = f"/admin/account/details/statement/?id={acme.id}&start=2026-03-01&as_of=2026-02-01"
    response = panel.get(bad)
    assert response.status_code == 400
    assert "The period cannot start after the statement date." in response.get_data(as_text=True)


def email_url(account: Account) -> str:
    return STATEMENT.format(id=account.id).replace("/statement/", "/statement/email/")


def test_emailing_without_a_mail_server_says_so_and_sends_nothing(
    acme, login_as, panel, monkeypatch
) -> None:
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    login_as("admin")
    response = panel.post(email_url(acme), {})
    assert response.status_code == 302
    html = panel.get(response.location).get_data(as_text=True)
    assert "E-mail is not configured on this server" in html
    assert db.session.query(AuditEvent).filter_by(action="statement_emailed").count() == 0


def email_in_the_background(app, panel, account: Account) -> Job:
    """Post the page's e-mail button: the page comes back at once with a link to the job."""
    response = panel.post(email_url(account), {})
    assert response.status_code == 302
    page = page_after(panel, response)
    assert "The statement is being prepared and e-mailed in the background" in page
    job_id = int(re.search(r'href="/admin/jobs/(\d+)/">follow it on its job page', page).group(1))
    return wait_for_job(job_id, "done", "failed")


def send_the_outbox(app) -> None:
    send_due_messages(db.session, MailSettings.from_config(app.config))


def test_emailing_with_a_mail_server_sends_the_pdf_to_the_billing_email(
    acme, app, login_as, panel, monkeypatch, worker
) -> None:
    login_as("admin")
    with mail_server_for(app, monkeypatch) as server:
        job = email_in_the_background(app, panel, acme)
        assert (job.status, job.message) == (
            "done", "1 statement queued in the e-mail outbox (sent within a minute)."
        )  # fmt: skip
        assert job.title == "E-mail the statement of ACME as of 2026-02-28"
        send_the_outbox(app)
    (received,) = server.inbox.received
    assert received.envelope_to == ["billing@acme.test"]
    assert received.message["To"] == "billing@acme.test"
    assert received.message["From"] == "desk@example.test"
    assert received.subject == "Statement of account ACME as of 2026-02-28"
    assert "Balance carried forward: GBP 850.00." in received.part("text/plain")
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "statement_ACME_2026-02-28.pdf"
    pdf = PdfReader(io.BytesIO(attachment.get_content()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Statement of account ACME" in text and "Balance carried forward: GBP 850.00" in text
    assert db.session.query(AuditEvent).filter_by(action="statement_emailed").count() == 1


def test_a_mail_server_that_does_not_answer_leaves_the_statement_in_the_outbox_to_retry(
    acme, app, login_as, panel, monkeypatch, worker
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    login_as("admin")
    assert email_in_the_background(app, panel, acme).status == "done"
    send_the_outbox(app)
    (message,) = db.session.query(OutboxMessage).all()
    assert (message.status, message.attempts) == ("queued", 1)  # tried again later
    assert "cannot reach the mail server" in message.last_error
    assert [a.file_name for a in message.attachments] == ["statement_ACME_2026-02-28.pdf"]


def test_analysts_may_read_but_not_email_a_statement(
    acme, app, login_as, panel, monkeypatch
) -> None:
    login_as("analyst")
    html = panel.get(STATEMENT.format(id=acme.id)).get_data(as_text=True)
    assert 'data-testid="statement-email"' not in html
    with mail_server_for(app, monkeypatch) as server:
        assert panel.post(email_url(acme), {}).status_code == 403
    assert server.inbox.received == []
    assert db.session.query(AuditEvent).filter_by(action="statement_emailed").count() == 0


def page_after(panel, redirect) -> str:
    return panel.get(redirect.location).get_data(as_text=True)


def search(panel, account: Account, text: str) -> str:
    html = panel.get(f"/admin/account/details/?id={account.id}&q={text}").get_data(as_text=True)
    start = html.index("<ul", html.index('data-testid="search-hits"'))
    return html[start : html.index("</ul>", start)]


@pytest.mark.parametrize(
    ("text", "found", "not_found"),
    [
        ("INV-B", ["INV-B"], ["INV-A"]),
        ("PAY-B", ["PAY-B"], ["PAY-A"]),
        ("300.00", ["PAY-B"], ["INV-OTHER", "PAY-OTHER"]),  # an amount matches exactly
        ("1000", ["INV-A"], ["INV-B"]),
        ("voicemail", ["Left a voicemail for the bursar"], ["at Other"]),
        ("ann@", ["ann@acme.test"], []),
    ],
)
def test_search_within_the_account(text, found, not_found, acme, login_as, panel) -> None:
    login_as("admin")
    hits = search(panel, acme, text)
    for label in found:
        assert label in hits
    for label in not_found:
        assert label not in hits


def test_search_skips_fields_hidden_for_the_role(acme, login_as, panel) -> None:
    db.session.add(FormFieldRule(entity="Note", field="body", role="analyst", hidden=True))
    db.session.commit()
    login_as("analyst")
    assert "Nothing in this account matches" in search(panel, acme, "voicemail")


def test_searching_for_a_nul_character_is_refused_cleanly(acme, login_as, panel) -> None:
    login_as("admin")
    for args in ("q=%00", "tab=notes&search=%00"):
        response = panel.get(f"/admin/account/details/?id={acme.id}&{args}")
        assert response.status_code == 400
        assert "Text cannot contain NUL characters." in response.get_data(as_text=True)

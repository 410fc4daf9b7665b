"""The account page: summary, key figures against a hand-computed ledger, tabs with sort, search
and exports, Configure Forms and manager scoping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from html import unescape

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from extensions import db
from models import Account, FollowUpAction, FormFieldRule, Note, Setting, User
from models.config import HIDE_FINANCE_FROM_MANAGERS
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_credit_note, add_invoice, add_payment


def days_ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


@dataclass
class Ledger:
    acme: Account
    other: Account


@pytest.fixture
def ledger(today) -> Ledger:
    """ACME's small ledger (OTHER's records must never show on ACME's page):

    INV-1 500.00 issued, due 60 days ago; PAY-1 200.00, CN-1 50.00 applied -> open 250.00, overdue
    INV-2 300.00 issued, due in 20 days                                       -> open 300.00
    INV-3 100.00 issued, due 40 days ago; PAY-2 100.00 applied                -> open 0 (settled)
    INV-4 999.00 draft, INV-5 80.00 void                                      -> not owed
    PAY-3 70.00 and CN-2 30.00 unapplied                                      -> account credit
    """
    manager = make_user("manager", "mona@example.test", first_name="Mona")
    acme = add_account(
        "ACME",
        name="Acme Training",
        billing_email="billing@acme.test",
        billing_phone="+44 1234 567",
        billing_address="1 High Street, Leeds",
        credit_limit=1000,
        payment_terms_days=30,
        account_manager=manager,
    )
    other = add_account("OTHER", name="Other Ltd")
    inv1 = add_invoice(
        acme, "INV-1", "500.00", issue_date=days_ago(today, 90), due_date=days_ago(today, 60)
    )
    add_invoice(
        acme, "INV-2", "300.00", issue_date=days_ago(today, 10), due_date=days_ago(today, -20)
    )
    inv3 = add_invoice(
        acme, "INV-3", "100.00", issue_date=days_ago(today, 70), due_date=days_ago(today, 40)
    )
    add_invoice(acme, "INV-4", "999.00", status="draft", issue_date=days_ago(today, 5))
    add_invoice(acme, "INV-5", "80.00", status="void", issue_date=days_ago(today, 5))
    add_payment(acme, "PAY-1", "200.00", invoice=inv1, payment_date=days_ago(today, 50))
    add_payment(acme, "PAY-2", "100.00", invoice=inv3, payment_date=days_ago(today, 45))
    add_payment(acme, "PAY-3", "70.00", payment_date=days_ago(today, 3))
    add_credit_note(acme, "CN-1", "50.00", invoice=inv1, issue_date=days_ago(today, 30))
    add_credit_note(acme, "CN-2", "30.00", issue_date=days_ago(today, 2))
    add_invoice(
        other, "INV-OTHER", "700.00", issue_date=days_ago(today, 90), due_date=days_ago(today, 60)
    )
    add_payment(other, "PAY-OTHER", "70.00")
    add_credit_note(other, "CN-OTHER", "7.00")
    db.session.add_all(
        [
            User(email="ann@acme.test", first_name="Ann", role="individual", account=acme),
            User(email="bob@other.test", first_name="Bob", role="individual", account=other),
            Note(account=acme, body="Promised to pay by Friday"),
            Note(account=other, body="Other account's note"),
            FollowUpAction(account=acme, due_date=days_ago(today, -3), description="Chase INV-1"),
            FollowUpAction(
                account=acme, due_date=days_ago(today, 9), status="done", description="Old"
            ),
            FollowUpAction(account=other, due_date=days_ago(today, -3), description="Other chase"),
        ]
    )
    db.session.commit()
    return Ledger(acme, other)


def page_of(panel, account: Account, **args: str) -> str:
    query = "".join(f"&{key}={value}" for key, value in args.items())
    response = panel.get(f"/admin/account/details/?id={account.id}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, f"no figure {name}"
    return match.group(1).strip()


def tab_table(html: str, key: str) -> str:
    start = html.index(f'data-testid="tab-{key}"')
    return html[start : html.index("</table>", start)]


def tab_rows(table: str) -> list[dict[str, str]]:
    """A tab's rows as a user reads them: column heading -> the cell's text."""
    headings = [cell_text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [cell_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(dict(zip(headings, cells, strict=True)))
    return rows


def cell_text(cell: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def test_key_figures_match_the_hand_computed_ledger(ledger, login_as, panel) -> None:
    login_as("admin")
    html = page_of(panel, ledger.acme)
    # total due: open amounts of issued invoices = 250.00 (INV-1) + 300.00 (INV-2)
    assert figure(html, "total_due") == "550.00"
    # overdue: only INV-1 is past its due date with something open
    assert figure(html, "overdue") == "250.00"
    # account credit: unapplied PAY-3 70.00 + CN-2 30.00
    assert figure(html, "account_credit") == "100.00"
    # balance: issued 900.00 - payments 370.00 - credit notes 80.00
    assert figure(html, "balance") == "450.00"
    # lifetime value: issued 900.00 net of credit notes 80.00 (draft and void never count)
    assert figure(html, "lifetime_value") == "820.00"
    assert figure(html, "current") == "no"
    assert figure(html, "credit_limit") == "1,000.00"
    assert figure(html, "credit_use") == "45%"  # 450 / 1000
    assert figure(html, "open_invoices") == "2"
    assert figure(html, "open_actions") == "1"  # the done action does not count


def test_an_account_with_nothing_overdue_is_current(login_as, panel, today) -> None:
    login_as("admin")
    account = add_account("NEW")
    add_invoice(account, "INV-NEW", "40.00", issue_date=today, due_date=days_ago(today, -30))
    html = page_of(panel, account)
    assert figure(html, "overdue") == "0.00"
    assert figure(html, "current") == "yes"
    assert figure(html, "total_due") == "40.00"
    assert figure(html, "account_credit") == "0.00"
    assert figure(html, "credit_use") == "—"  # no credit limit


def test_summary_shows_billing_details_terms_and_people(ledger, login_as, panel) -> None:
    login_as("analyst")
    summary = page_of(panel, ledger.acme)
    for text in (
        "1 High Street, Leeds",
        "+44 1234 567",
        "billing@acme.test",
        "NET30",
        "mona@example.test",
        "Customer",
        "Enabled",
        ledger.acme.created_at.date().isoformat(),
    ):
        assert text in summary


TAB_ROWS = {
    "invoices": (["INV-1", "INV-2", "INV-3", "INV-4", "INV-5"], ["INV-OTHER"]),
    "payments": (["PAY-1", "PAY-2", "PAY-3"], ["PAY-OTHER"]),
    "credit_notes": (["CN-1", "CN-2"], ["CN-OTHER"]),
    "users": (["ann@acme.test"], ["bob@other.test"]),
    "notes": (["Promised to pay by Friday"], ["Other account&#39;s note"]),
    "actions": (["Chase INV-1", "Old"], ["Other chase"]),
}


@pytest.mark.parametrize("tab", TAB_ROWS)
def test_each_tab_lists_this_accounts_rows_only(tab, ledger, login_as, panel) -> None:
    login_as("admin")
    rows = tab_table(page_of(panel, ledger.acme, tab=tab), tab)
    expected, elsewhere = TAB_ROWS[tab]
    for text in expected:
        assert text in rows
    for text in elsewhere:
        assert text not in rows


def test_a_tab_sorts_and_searches(ledger, login_as, panel) -> None:
    login_as("admin")
    html = page_of(panel, ledger.acme, tab="invoices")
    headers = re.findall(r"sort=(\d+)[^>]*>([^<]+)</a>", tab_table(html, "invoices"))
    amount_index = next(index for index, label in headers if label == "Amount")
    rows = tab_table(page_of(panel, ledger.acme, tab="invoices", sort=amount_index), "invoices")
    order = [rows.index(number) for number in ("INV-5", "INV-3", "INV-2", "INV-1", "INV-4")]
    assert order == sorted(order)  # 80, 100, 300, 500, 999
    searched = tab_table(page_of(panel, ledger.acme, tab="invoices", search="INV-2"), "invoices")
    assert "INV-2" in searched and "INV-1" not in searched


def test_tab_exports_csv_xlsx_and_a_real_pdf(ledger, login_as, panel) -> None:
    login_as("analyst")
    base = f"/admin/account/details/export/payments/%s/?id={ledger.acme.id}&search=PAY"
    body = panel.get(base % "csv").get_data(as_text=True)
    references = [row[0] for row in csv.reader(io.StringIO(body))]
    assert references[0] == "Reference" and sorted(references[1:]) == ["PAY-1", "PAY-2", "PAY-3"]

    workbook = load_workbook(io.BytesIO(panel.get(base % "xlsx").data))
    cells = [row[0] for row in workbook.active.iter_rows(values_only=True)]
    assert sorted(cells[1:]) == ["PAY-1", "PAY-2", "PAY-3"]

    pdf = panel.get(base % "pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "ACME" in text and "PAY-3" in text and "70.00" in text and "PAY-OTHER" not in text


def test_print_view_lists_the_whole_tab(ledger, login_as, panel) -> None:
    login_as("analyst")
    html = panel.get(f"/admin/account/details/print/invoices/?id={ledger.acme.id}")
    text = html.get_data(as_text=True)
    assert html.status_code == 200 and "INV-4" in text and "INV-OTHER" not in text


def test_full_list_link_opens_the_entitys_list_filtered_to_the_account(
    ledger, login_as, panel
) -> None:
    login_as("admin")
    html = page_of(panel, ledger.acme, tab="invoices")
    link = re.search(r'data-testid="full-list"\s+href="([^"]+)"', html).group(1)
    listing = panel.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "INV-1" in listing and "INV-OTHER" not in listing


def test_history_tab_shows_the_audit_of_the_account_and_its_records(
    ledger, login_as, panel
) -> None:
    login_as("admin")
    newcomer = make_user("manager", "nick@example.test")
    for account in (ledger.acme, ledger.other):
        panel.post(
            f"/admin/account/details/add/note/?id={account.id}",
            {"account": str(account.id), "body": f"Audited note on {account.code}"},
        )
        panel.post(
            f"/admin/account/details/account-manager/?id={account.id}",
            {"manager_id": str(newcomer.id), "loaded_version": str(account.version_id)},
        )
    acme_note = db.session.query(Note).filter_by(body="Audited note on ACME").one()
    html = page_of(panel, ledger.acme, tab="history")
    assert "2 record(s)." in html
    rows = {row["Record type"]: row for row in tab_rows(tab_table(html, "history"))}
    assert set(rows) == {"Account", "Note"}  # nothing of OTHER's
    note, account = rows["Note"], rows["Account"]
    assert (note["Action"], note["Record ID"]) == ("Create", str(acme_note.id))
    assert "Body: (empty) → Audited note on ACME" in note["Changes"]
    assert (account["Action"], account["Record ID"]) == ("Update", str(ledger.acme.id))
    manager_change = re.search(r"Account manager: (.*) → (.*)", account["Changes"])
    assert "mona@example.test" in manager_change.group(1)
    assert "nick@example.test" in manager_change.group(2)
    assert note["By"] == account["By"] == "admin@example.test"


def test_analyst_sees_no_history_tab_and_no_actions(ledger, app, login_as, panel) -> None:
    admin = Panel(app.test_client())
    admin.login(make_user("admin").email)
    admin.post(
        f"/admin/account/details/add/note/?id={ledger.acme.id}",
        {"account": str(ledger.acme.id), "body": "Audited note"},
    )
    login_as("analyst")  # the audit log is for admins (auth/permissions.py)
    html = page_of(panel, ledger.acme)
    assert "tab=history" not in html
    assert 'data-testid="action-note"' not in html and 'data-testid="change-manager"' not in html
    asked_for_history = page_of(panel, ledger.acme, tab="history")
    assert 'data-testid="tab-history"' not in asked_for_history
    assert "INV-1" in tab_table(asked_for_history, "invoices")  # the first tab instead
    assert "Audited note" not in asked_for_history
    for url in ("export/history/csv/", "print/history/"):
        assert panel.get(f"/admin/account/details/{url}?id={ledger.acme.id}").status_code == 403


def hide(entity: str, field: str, role: str) -> None:
    db.session.add(FormFieldRule(entity=entity, field=field, role=role, hidden=True))
    db.session.commit()


def test_hidden_fields_stay_hidden_on_the_page_and_its_exports(ledger, login_as, panel) -> None:
    hide("Account", "billing_phone", "analyst")
    hide("Account", "credit_limit", "analyst")
    hide("Invoice", "amount", "analyst")
    login_as("analyst")
    html = page_of(panel, ledger.acme, tab="invoices")
    assert "+44 1234 567" not in html and "Billing phone" not in html
    assert 'data-figure="credit_limit"' not in html and 'data-figure="credit_use"' not in html
    invoices = tab_table(html, "invoices")
    # (the derived paid and open amounts are the generic list's own columns, and stay)
    assert "INV-1" in invoices and not re.search(r">\s*Amount\s*<", invoices)
    exported = panel.get(f"/admin/account/details/export/invoices/csv/?id={ledger.acme.id}")
    header = next(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert "Amount" not in header and "amount" not in header


def test_manager_opens_the_page_of_an_account_they_manage(ledger, panel) -> None:
    panel.login("mona@example.test")
    html = page_of(panel, ledger.acme, tab="users")
    assert figure(html, "total_due") == "550.00"
    assert "ann@acme.test" in tab_table(html, "users")


@pytest.mark.parametrize(
    ("path", "on_their_own_account"),
    [
        ("/admin/account/details/?id={id}", 200),
        ("/admin/account/details/?id={id}&tab=invoices&q=INV", 200),
        ("/admin/account/details/export/invoices/csv/?id={id}", 200),
        ("/admin/account/details/export/invoices/pdf/?id={id}", 200),
        ("/admin/account/details/print/invoices/?id={id}", 200),
        ("/admin/account/details/statement/?id={id}", 200),
        ("/admin/account/details/statement/pdf/?id={id}", 200),
        ("/admin/account/details/export/history/csv/?id={id}", 403),  # the audit log: admins'
    ],
)
def test_manager_cannot_open_the_page_of_an_account_they_do_not_manage(
    path, on_their_own_account, ledger, panel
) -> None:
    panel.login("mona@example.test")
    response = panel.get(path.format(id=ledger.other.id))
    assert response.status_code == 404
    assert "Other Ltd" not in response.get_data(as_text=True)
    assert panel.get(path.format(id=ledger.acme.id)).status_code == on_their_own_account


def test_manager_cannot_post_to_an_account_they_do_not_manage(ledger, panel) -> None:
    panel.login("mona@example.test")
    other = ledger.other
    posted = panel.post(
        f"/admin/account/details/add/note/?id={other.id}", {"account": str(other.id), "body": "x"}
    )
    assert posted.status_code == 404
    assert db.session.query(Note).filter_by(body="x").count() == 0


def test_hiding_finance_from_managers_hides_the_money_on_the_page(ledger, panel) -> None:
    db.session.add(Setting(key=HIDE_FINANCE_FROM_MANAGERS, value="true"))
    db.session.commit()
    panel.login("mona@example.test")
    html = page_of(panel, ledger.acme)
    assert 'data-figure="total_due"' not in html and "tab=invoices" not in html
    assert figure(html, "open_actions") == "1"
    assert "1 High Street, Leeds" in html  # the rest of the page is there
    assert panel.get(f"/admin/account/details/statement/?id={ledger.acme.id}").status_code == 403
    for url in ("export/invoices/csv/", "print/payments/"):  # tabs outside the manager's menu now
        assert panel.get(f"/admin/account/details/{url}?id={ledger.acme.id}").status_code == 403
    assert panel.get(f"/admin/account/details/print/notes/?id={ledger.other.id}").status_code == 404


def test_a_long_tab_is_paged(login_as, panel) -> None:
    login_as("admin")
    account = add_account("BUSY")
    for number in range(25):
        add_payment(account, f"P-{number:02d}", "1.00")
    html = page_of(panel, account, tab="payments", page="1")
    rows = tab_table(html, "payments")
    assert "25 record(s)." in html and rows.count("/admin/payment/details/") == 5  # 20 + 5
    assert "P-04" in rows and "P-05" not in rows  # newest first, as the payments list sorts

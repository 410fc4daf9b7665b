"""The panel's Import page: upload, preview of creates and updates, confirm, the error report."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook

from extensions import db
from models import Account, AuditEvent, FormFieldRule, ManagerAccess, User
from tests.conftest import Panel, make_user
from tests.factories import add_account
from tests.test_import_cli import table_dump

IMPORT_URL = "/admin/import/"
CONFIRM = re.compile(r'action="(/admin/jobs/\d+/confirm)"')
ERRORS = re.compile(r'href="(/admin/jobs/\d+/errors\.csv)"')


def upload(panel: Panel, kind: str, content: bytes, name: str = "upload.csv"):
    return panel.post(
        f"{IMPORT_URL}preview",
        {"kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_admin_previews_then_confirms_an_import(panel, login_as):
    admin = login_as("admin")
    acme = add_account("ACME", name="Acme")
    content = b"code,name,status\nACME,Acme Group,\nNEWCO,New Co,disabled\n"
    before = table_dump()

    preview = upload(panel, "accounts", content, "accounts.csv")

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Dry run of 2 rows: it would create 1, update 1, leave 0 unchanged." in page
    assert "New Co" in page and "Acme Group" in page
    assert table_dump() == before  # a preview writes nothing

    confirmed = panel.post(CONFIRM.search(page).group(1), {})

    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/admin/account/")
    assert db.session.get(Account, acme.id).name == "Acme Group"
    assert db.session.scalar(sa.select(Account.status).where(Account.code == "NEWCO")) == (
        "disabled"
    )
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert (audit.user_id, audit.actor_email, audit.changes["created"]) == (
        admin.id,
        admin.email,
        1,
    )
    listing = panel.get("/admin/account/").get_data(as_text=True)
    assert "Imported 2 rows: create 1, update 1, leave 0 unchanged." in listing


def test_admin_imports_an_xlsx_workbook_through_the_panel(panel, login_as):
    """The upload is kept under a name of the server's choosing, without ".xlsx": the workbook
    is recognised by its content, as a CSV is."""
    login_as("admin")
    workbook = Workbook()
    workbook.active.append(["code", "name", "status"])
    workbook.active.append(["NEWCO", "New Co", "disabled"])
    workbook.active.append(["OTHER", "=1+1", ""])
    content = io.BytesIO()
    workbook.save(content)

    preview = upload(panel, "accounts", content.getvalue(), "accounts.xlsx")

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Dry run of 2 rows: it would create 2, update 0, leave 0 unchanged." in page
    assert panel.post(CONFIRM.search(page).group(1), {}).status_code == 302
    names = dict(db.session.execute(sa.select(Account.code, Account.name)).all())
    assert names["NEWCO"] == "New Co" and names["OTHER"] == "=1+1"


def test_a_bad_file_shows_every_bad_row_offers_a_csv_report_and_writes_nothing(panel, login_as):
    login_as("admin")
    add_account("ACME")
    content = (
        b"number,account_code,issue_date,amount,description\n"
        b"INV-1,ACME,2026-01-01,10.00,fine\n"
        b"INV-2,<script>alert(1)</script>,2026-01-01,10.00,\n"
        b'INV-3,ACME,2026-13-01,-1,=HYPERLINK("http://evil.test")\n'
    )
    before = table_dump()

    preview = upload(panel, "invoices", content)

    page = preview.get_data(as_text=True)
    assert "Nothing was imported: 3 problems in 2 rows (of 3 data rows)." in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Unknown account code." in page
    assert CONFIRM.search(page) is None
    report = panel.get(ERRORS.search(page).group(1))
    assert report.status_code == 200
    assert report.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True))))
    assert rows == [
        ["row", "column", "value", "reason"],
        ["3", "account_code", "<script>alert(1)</script>", "Unknown account code."],
        ["4", "issue_date", "2026-13-01", "Not a real date; the expected format is YYYY-MM-DD."],
        ["4", "amount", "'-1", "The amount must be greater than zero."],  # neutralised,
    ]
    assert table_dump() == before


def test_the_confirm_step_checks_the_file_again_against_the_database_as_it_now_is(panel, login_as):
    login_as("admin")
    acme = add_account("ACME")
    preview = upload(panel, "users", b"email,account_code\njo@acme.test,ACME\n")
    confirm_url = CONFIRM.search(preview.get_data(as_text=True)).group(1)
    db.session.delete(acme)  # someone removes the account meanwhile
    db.session.commit()

    page = panel.post(confirm_url, {}, follow_redirects=True).get_data(as_text=True)

    assert "Unknown account code." in page
    assert db.session.scalar(sa.select(User).where(User.email == "jo@acme.test")) is None


def test_an_upload_belongs_to_its_uploader(app, panel, login_as):
    login_as("admin")
    add_account("ACME")
    preview = upload(panel, "accounts", b"code,name\nACME,Renamed\n")
    page = preview.get_data(as_text=True)
    confirm_url = CONFIRM.search(page).group(1)

    other = Panel(app.test_client())
    make_user("admin", "other-admin@example.test")
    other.login("other-admin@example.test")
    assert other.post(confirm_url, {}).status_code == 404
    assert other.get(confirm_url.replace("confirm", "errors.csv")).status_code == 404
    assert panel.post("/admin/import/..%2F..%2Fconfig/confirm", {}).status_code == 404
    assert db.session.scalar(sa.select(Account.name).where(Account.code == "ACME")) != "Renamed"


def test_analysts_cannot_import(panel, login_as):
    login_as("analyst")
    assert panel.get(IMPORT_URL).status_code == 403
    assert upload(panel, "accounts", b"code,name\nX,Y\n").status_code == 403


def test_a_manager_imports_people_only_into_the_accounts_they_manage(panel, login_as):
    manager = login_as("manager")
    add_account("MINE", account_manager=manager)
    granted = add_account("GRANTED")
    db.session.add(ManagerAccess(user=manager, account=granted))
    add_account("OTHERS")
    make_user("individual", "outsider@others.test", account=db.session.scalar(
        sa.select(Account).where(Account.code == "OTHERS")
    ))  # fmt: skip

    page = panel.get(IMPORT_URL).get_data(as_text=True)
    assert '<option value="users">' in page and '<option value="accounts">' not in page
    assert upload(panel, "accounts", b"code,name\nX,Y\n").status_code == 400

    content = (
        b"email,first_name,account_code,role\n"
        b"a@mine.test,Ann,MINE,\n"
        b"b@others.test,Bob,OTHERS,\n"
        b"c@mine.test,Cy,MINE,admin\n"
        b"outsider@others.test,Renamed,MINE,\n"
        b"d@nowhere.test,Di,,\n"
    )
    page = upload(panel, "users", content).get_data(as_text=True)

    assert "Nothing was imported: 4 problems in 4 rows (of 5 data rows)." in page
    assert "Unknown account code." in page  # OTHERS exists, but not for this manager
    assert "Your role cannot set role to admin." in page
    assert "belongs to an account you do not manage" in page
    assert "you can only add records to the accounts you manage" in page

    good = b"email,first_name,account_code\na@mine.test,Ann,MINE\ng@granted.test,Gus,GRANTED\n"
    page = upload(panel, "users", good).get_data(as_text=True)
    panel.post(CONFIRM.search(page).group(1), {})
    people = db.session.scalars(sa.select(User).where(User.role == "individual")).all()
    assert {(p.email, p.account.code) for p in people} == {
        ("a@mine.test", "MINE"),
        ("g@granted.test", "GRANTED"),
        ("outsider@others.test", "OTHERS"),
    }


def test_a_field_configure_forms_makes_required_for_the_role_is_required_in_imports(
    panel, login_as
):
    login_as("admin")
    db.session.add(
        FormFieldRule(entity="Account", field="billing_phone", role="admin", required=True)
    )
    db.session.add(
        FormFieldRule(entity="Account", field="billing_email", role="manager", required=True)
    )
    db.session.commit()

    page = upload(panel, "accounts", b"code,name\nNEW,New Co\n").get_data(as_text=True)
    assert (
        "Missing required column (required for your role by Configure Forms): "
        "a new account needs billing_phone."
    ) in page
    page = upload(panel, "accounts", b"code,name,billing_phone\nNEW,New Co,\n").get_data(
        as_text=True
    )
    assert "Required for your role (Configure Forms): a value is needed." in page
    page = upload(panel, "accounts", b"code,name,billing_phone\nNEW,New Co,0113\n").get_data(
        as_text=True
    )
    assert "it would create 1" in page


def test_a_field_read_only_for_the_role_may_be_repeated_but_not_changed(panel, login_as):
    login_as("admin")
    add_account("ACME", credit_limit=Decimal("100.00"))
    db.session.add(
        FormFieldRule(entity="Account", field="credit_limit", role="admin", readonly=True)
    )
    db.session.commit()

    page = upload(panel, "accounts", b"code,name,credit_limit\nACME,Acme,100.00\n").get_data(
        as_text=True
    )
    assert "it would create 0, update 1" in page  # the name changes; the limit is repeated
    page = upload(panel, "accounts", b"code,credit_limit\nACME,900.00\n").get_data(as_text=True)
    assert "Read-only for your role (Configure Forms): this value cannot be changed." in page

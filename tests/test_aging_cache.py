"""The cached aging figures stay exact: every write path moves the database's ledger stamp, and
the Reports page then shows the new figure; an entry built for one viewer never reaches another;
`flask report verify` passes, and fails on a tampered entry.

Each write test first opens the page (which caches its figures), then writes, then opens it again:
without a stamp moved by that write, the second page would be the cached one, with the old figure.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboards.cache import figures_cache
from extensions import db
from models import FormFieldRule, Invoice, ManagerAccess
from reports.aging import aging_report
from reports.aging_cache import (
    HEAD_SUFFIX,
    AgingFigures,
    aging_figures,
    cached_entries,
    stored_figures,
)
from reports.aging_parameters import AgingParameters
from reports.aging_verify import expected_trigger_names
from reports.queries import FULL_ACCESS
from tests.browser_form import as_submitted
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice
from tests.test_import_panel import CONFIRM, upload
from tests.test_reports_panel import table_rows

AS_OF = dt.date(2026, 3, 31)
MANAGER_PAGE = f"/admin/reports/aging/manager?as_of={AS_OF}"
ACCOUNT_PAGE = f"/admin/reports/aging/account?as_of={AS_OF}"


def ledger_stamp() -> int:
    return db.session.scalar(sa.text("SELECT version FROM config_stamps WHERE name = 'ledger'"))


def totals_on(panel: Panel, url: str = MANAGER_PAGE) -> dict[str, list[str]]:
    """First column -> the row's cells, as the page shows them ({} for a page with no rows)."""
    page = panel.get(url).get_data(as_text=True)
    assert "Aging by" in page
    return {row[0]: row for row in table_rows(page)} if "<tbody>" in page else {}


def panel_of(app, email: str) -> Panel:
    """Another browser, logged in as `email`."""
    other = Panel(app.test_client())
    assert other.login(email).status_code == 302
    return other


def total_of(panel: Panel, label: str, url: str = MANAGER_PAGE) -> str:
    return totals_on(panel, url)[label][-5]  # the `total` column


@pytest.fixture
def ledger_world(login_as):
    """An admin at the panel; Ann manages ACME (one 100.00 invoice, 1-30 days late); NOBODY, with
    no manager, owes 8.00."""
    admin = login_as("admin")
    ann = make_user("manager", "ann@example.test")
    acme = add_account("ACME", account_manager=ann)
    invoice = add_invoice(
        acme, "INV-1", "100.00", issue_date=dt.date(2026, 2, 1), due_date=dt.date(2026, 3, 1)
    )
    add_invoice(add_account("NOBODY"), "N-1", "8.00", issue_date=dt.date(2026, 3, 1))
    return {"admin": admin, "ann": ann, "acme": acme, "invoice": invoice}


def cached_then_written(panel: Panel, write) -> dict[str, str]:
    """The page's totals by manager after `write`, the page having been cached with Ann's 100.00
    before it; the write must move the stamp."""
    assert total_of(panel, "ann@example.test") == "100.00"
    assert total_of(panel, "ann@example.test") == "100.00"  # served from the cache
    stamp = ledger_stamp()
    write()
    db.session.expire_all()
    assert ledger_stamp() > stamp
    return {label: row[-5] for label, row in totals_on(panel).items()}


def test_an_invoice_edited_in_its_form_shows_its_new_amount(ledger_world, panel: Panel) -> None:
    invoice_id = ledger_world["invoice"].id

    def edit() -> None:
        form = panel.get(f"/admin/invoice/edit/?id={invoice_id}").get_data(as_text=True)
        saved = panel.post(
            f"/admin/invoice/edit/?id={invoice_id}", as_submitted(form, amount="150.00")
        )
        assert saved.status_code == 302

    assert cached_then_written(panel, edit)["ann@example.test"] == "150.00"


def test_a_payment_added_in_the_panel_lowers_the_open_amount(ledger_world, panel: Panel) -> None:
    acme, invoice = ledger_world["acme"], ledger_world["invoice"]

    def pay() -> None:
        payment = {"reference": "PAY-1", "account": str(acme.id), "invoice": str(invoice.id),
                   "payment_date": "2026-03-10", "amount": "30.00", "method": "card"}  # fmt: skip
        assert panel.post("/admin/payment/new/", payment).status_code == 302

    assert cached_then_written(panel, pay)["ann@example.test"] == "70.00"


def test_invoices_imported_through_the_panel_are_counted(ledger_world, panel: Panel) -> None:
    content = (
        b"number,account_code,issue_date,due_date,amount,currency,status\n"
        b"INV-2,ACME,2026-03-01,2026-03-15,20.00,GBP,issued\n"
        b"INV-3,ACME,2026-03-01,2026-04-15,5.00,GBP,issued\n"
    )

    def import_file() -> None:
        preview = upload(panel, "invoices", content).get_data(as_text=True)
        panel.post(CONFIRM.search(preview).group(1), {})
        assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 4

    assert cached_then_written(panel, import_file)["ann@example.test"] == "125.00"


def test_a_bulk_change_of_account_manager_moves_the_figures(ledger_world, panel: Panel) -> None:
    priya = make_user("manager", "priya@example.test")
    acme = ledger_world["acme"]

    def assign() -> None:
        done = panel.post(
            "/admin/account/assign-manager/",
            {"account_id": [str(acme.id)], "manager_id": str(priya.id)},
        )
        assert done.status_code == 302

    shown = cached_then_written(panel, assign)
    assert "ann@example.test" not in shown and shown["priya@example.test"] == "100.00"


def test_an_account_manager_changed_in_the_account_form_moves_the_figures(
    ledger_world, panel: Panel
) -> None:
    acme = ledger_world["acme"]

    def unassign() -> None:
        form = panel.get(f"/admin/account/edit/?id={acme.id}").get_data(as_text=True)
        saved = panel.post(
            f"/admin/account/edit/?id={acme.id}", as_submitted(form, account_manager="__None")
        )
        assert saved.status_code == 302

    shown = cached_then_written(panel, unassign)
    assert "ann@example.test" not in shown and shown["(unassigned)"] == "108.00"


def test_a_deleted_invoice_leaves_the_report(ledger_world, panel: Panel) -> None:
    invoice_id = ledger_world["invoice"].id

    def delete() -> None:
        assert panel.post("/admin/invoice/delete/", {"id": str(invoice_id)}).status_code == 302

    assert "ann@example.test" not in cached_then_written(panel, delete)


def test_raw_sql_outside_the_app_moves_the_stamp_too(ledger_world, panel: Panel) -> None:
    def raw_update() -> None:
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE invoices SET amount = 80 WHERE number = 'INV-1'"))

    assert cached_then_written(panel, raw_update)["ann@example.test"] == "80.00"


def test_a_managers_new_e_mail_is_the_label_shown(ledger_world, panel: Panel) -> None:
    def rename() -> None:
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE users SET email = 'ann.b@example.test' WHERE id = :id"),
                {"id": ledger_world["ann"].id},
            )

    shown = cached_then_written(panel, rename)
    assert "ann@example.test" not in shown and shown["ann.b@example.test"] == "100.00"


def test_a_login_does_not_move_the_ledger_stamp(ledger_world, app) -> None:
    stamp = ledger_stamp()
    panel_of(app, "ann@example.test")
    db.session.expire_all()
    assert ledger_stamp() == stamp


def test_a_granted_account_reaches_the_managers_own_report(ledger_world, app) -> None:
    zoe = make_user("manager", "zoe@example.test")
    zoes = panel_of(app, zoe.email)
    assert "ACME" not in totals_on(zoes, ACCOUNT_PAGE)

    db.session.add(ManagerAccess(user=zoe, account=ledger_world["acme"]))
    db.session.commit()

    assert totals_on(zoes, ACCOUNT_PAGE)["ACME"][-5] == "100.00"


def test_an_entry_built_for_an_admin_never_reaches_a_manager(ledger_world, app, panel):
    zed = add_account("ZED", account_manager=make_user("manager", "zoe@example.test"))
    add_invoice(zed, "ZED-1", "7.00", issue_date=dt.date(2026, 3, 1))
    assert set(totals_on(panel, ACCOUNT_PAGE)) == {"ACME", "NOBODY", "ZED", "TOTAL"}

    ann, zoe = panel_of(app, "ann@example.test"), panel_of(app, "zoe@example.test")
    assert set(totals_on(ann, ACCOUNT_PAGE)) == {"ACME", "TOTAL"}
    assert set(totals_on(zoe, ACCOUNT_PAGE)) == {"ZED", "TOTAL"}


def test_two_admins_share_one_entry_and_managers_keep_their_own(ledger_world, app, panel):
    make_user("admin", "second.admin@example.test")
    zoe = make_user("manager", "zoe@example.test")
    add_invoice(add_account("ZED", account_manager=zoe), "ZED-1", "7.00",
                issue_date=dt.date(2026, 3, 1))  # fmt: skip
    first = totals_on(panel, ACCOUNT_PAGE)
    assert totals_on(panel_of(app, "second.admin@example.test"), ACCOUNT_PAGE) == first
    assert len(cached_entries()[1]) == 1  # the second admin read the first one's entry

    assert set(totals_on(panel_of(app, "ann@example.test"), ACCOUNT_PAGE)) == {"ACME", "TOTAL"}
    assert set(totals_on(panel_of(app, "zoe@example.test"), ACCOUNT_PAGE)) == {"ZED", "TOTAL"}
    assert len(cached_entries()[1]) == 3


def test_a_field_hidden_after_the_figures_were_cached_is_hidden(ledger_world, app, panel):
    assert "ann@example.test" in totals_on(panel)  # the admin's entry
    analyst = panel_of(app, make_user("analyst").email)
    assert "ann@example.test" in totals_on(analyst)
    stamp = ledger_stamp()

    db.session.add(FormFieldRule(entity="User", field="email", role="analyst", hidden=True))
    db.session.commit()

    db.session.expire_all()
    assert ledger_stamp() == stamp  # the ledger did not change: the field rules key the entry
    assert "ann@example.test" not in analyst.get(MANAGER_PAGE).get_data(as_text=True)
    assert "ann@example.test" in totals_on(panel)  # the admin's rules did not change


def test_the_page_sorted_from_the_cache_is_the_report_sorted(ledger_world, app) -> None:
    for number, amount in enumerate(["5.00", "300.00", "100.00", "42.00"]):
        account = add_account(f"B{number}", name=f"Birch {3 - number}")
        add_invoice(account, f"B-{number}", amount, issue_date=dt.date(2026, 1, number + 1))
    parameters = AgingParameters(as_of=AS_OF, viewer=FULL_ACCESS)
    report = aging_report(db.session, parameters, "account")
    figures = AgingFigures.of_report(report, parameters)

    pd.testing.assert_frame_equal(figures.report(), report)
    rows = report[report.index.notna()]
    for sort in ("total", "account_name", "days_over_90", "nothing"):
        for descending in (False, True):
            expected = rows
            if sort in rows.columns:
                expected = rows.sort_values(sort, ascending=not descending, kind="stable")
            pd.testing.assert_frame_equal(figures.page(sort, descending, 1, 3), expected[1:4])


def test_a_first_page_asked_for_cold_builds_its_first_rows_alone(
    ledger_world, app, panel, monkeypatch
) -> None:
    """The head built alone holds the whole report's first rows, its TOTAL rows and its row
    count; the whole report is built (and stored) only when a page needs more."""
    for number, amount in enumerate(["5.00", "300.00", "100.00", "42.00"]):
        account = add_account(f"B{number}", name=f"Birch {3 - number}")
        add_invoice(account, f"B-{number}", amount, issue_date=dt.date(2026, 1, number + 1))
    add_invoice(ledger_world["acme"], "INV-EUR", "7.50", currency="EUR",
                issue_date=dt.date(2026, 3, 2))  # fmt: skip
    monkeypatch.setattr("reports.aging_cache.HEAD_ROWS", 3)
    parameters = AgingParameters(as_of=AS_OF, viewer=FULL_ACCESS)
    whole = aging_report(db.session, parameters, "account")
    is_total = whole.index.isna()

    head = aging_figures(db.session, parameters, "account", rows_needed=3)

    assert head.row_count == 7 == (~is_total).sum()
    expected = pd.concat([whole[~is_total].iloc[:3], whole[is_total]])
    pd.testing.assert_frame_equal(head.report(), expected)
    (key,) = cached_entries()[1]
    assert stored_figures(key) is None
    pd.testing.assert_frame_equal(stored_figures(key, head=True).report(), expected)
    assert aging_figures(db.session, parameters, "account", rows_needed=7).row_count == 7
    pd.testing.assert_frame_equal(stored_figures(key).report(), whole)


def test_the_first_page_by_account_is_served_from_its_first_rows_alone(ledger_world, panel) -> None:
    page = panel.get(ACCOUNT_PAGE).get_data(as_text=True)

    assert {row[0] for row in table_rows(page)} == {"ACME", "NOBODY", "TOTAL"}
    (key,) = cached_entries()[1]
    assert stored_figures(key) is None  # the first page needed no more than its first rows


def run_verify(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["report", "verify"])
    return result.exit_code, result.output


def test_report_verify_recomputes_every_cached_report_and_passes(ledger_world, app, panel):
    totals_on(panel)
    totals_on(panel, ACCOUNT_PAGE)

    code, output = run_verify(app)

    assert code == 0, output
    assert "2 cached report(s) recomputed, 0 problem(s)" in output


def test_report_verify_checks_a_shared_entry_after_its_first_viewer_changed_role(
    ledger_world, app, panel
):
    make_user("admin", "second.admin@example.test")
    totals_on(panel)  # built for the first admin, shared with every admin
    ledger_world["admin"].role = "analyst"
    db.session.commit()
    assert totals_on(panel_of(app, "second.admin@example.test"))  # still served to admins

    code, output = run_verify(app)

    assert code == 0, output
    assert "1 cached report(s) recomputed, 0 problem(s)" in output


@pytest.mark.parametrize("head", [True, False], ids=["first rows", "whole report"])
def test_report_verify_fails_on_a_tampered_entry(head: bool, ledger_world, app, panel) -> None:
    totals_on(panel, ACCOUNT_PAGE + ("" if head else "&sort=account_code"))
    (key,) = cached_entries()[1]
    figures = stored_figures(key, head=head)
    figures.rows.loc[figures.rows.index[0], "days_1_30"] += 1  # one cent more
    figures_cache.set(key + HEAD_SUFFIX if head else key, figures)
    shown = totals_on(panel, ACCOUNT_PAGE + ("" if head else "&sort=account_code"))
    assert shown["ACME"][5] == "100.01"  # the page reads the entry

    code, output = run_verify(app)

    assert code == 1
    assert "days_1_30: cached 100.01, ledger 100.00" in output
    assert ("(its first rows)" in output) == head
    assert "1 problem(s)" in output


def test_every_ledger_stamp_trigger_is_in_the_database(app) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    assert expected_trigger_names(dialect) <= set(db.session.scalars(sa.text(query)))


def test_a_downgrade_and_upgrade_keeps_the_stamp_growing(tmp_path) -> None:
    from alembic import command

    from app import create_app
    from schema_migrations import upgrade_schema

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrated = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with migrated.app_context():
        upgrade_schema()
        first = ledger_stamp()
        command.downgrade(
            migrated.extensions["migrate"].migrate.get_config(), "0013_outbox_attachments"
        )
        assert not db.session.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        upgrade_schema()
        db.session.expire_all()
        assert ledger_stamp() > first
        names = set(
            db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
        assert expected_trigger_names("sqlite") <= names
        db.session.remove()


def test_a_long_ledger_transaction_holds_up_no_other_writer_and_each_moves_the_stamp(
    ledger_world,
) -> None:
    """PostgreSQL takes the stamp row's lock only at COMMIT: an import's long transaction does
    not make every invoice save wait for it (SQLite has one writer at a time anyway)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time")
    db.session.commit()
    stamp = ledger_stamp()
    with db.engine.connect() as long_import:
        long_import.execute(sa.text("UPDATE invoices SET amount = 90 WHERE number = 'N-1'"))
        with db.engine.connect() as other:
            other.exec_driver_sql("SET lock_timeout = '5s'")  # waiting for the import: an error
            other.execute(sa.text("UPDATE invoices SET amount = 80 WHERE number = 'INV-1'"))
            other.commit()
        assert ledger_stamp() == stamp + 1  # the other save is seen; the import is not yet
        long_import.commit()
    assert ledger_stamp() == stamp + 2
    requests = "SELECT count(*) FROM config_stamps WHERE name LIKE 'ledger:%'"
    assert db.session.scalar(sa.text(requests)) == 0

"""Aging figures to the cent (ARCHITECTURE §7), each edge case against hand-computed amounts.

The report is read as a user reads it: the CSV of `flask report aging`, computed by each engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from models import Account
from tests.conftest import make_user
from tests.factories import add_account, add_credit_note, add_invoice, add_payment

AS_OF = dt.date(2026, 3, 31)
MANAGER_COLUMNS = ["account_manager", "currency", "current", "days_1_30", "days_31_60",
                   "days_61_90", "days_over_90", "total", "unapplied_credit", "net_total",
                   "disputed", "open_invoices"]  # fmt: skip


@pytest.fixture(autouse=True, params=["duckdb", "sql"])
def aging_engine(app, request):
    """Every figure here is checked through DuckDB and through the plain SQL fallback."""
    app.config["AGING_ENGINE"] = request.param
    yield request.param
    app.config.pop("AGING_ENGINE")


def days_before(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def aging_rows(app, *options: str) -> list[dict[str, str]]:
    result = app.test_cli_runner().invoke(
        args=["report", "aging", "--as-of", AS_OF.isoformat(), *options]
    )
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def only_row(app, *options: str) -> dict[str, str]:
    rows = [row for row in aging_rows(app, *options) if row["account_manager"] != "TOTAL"]
    assert len(rows) == 1, rows
    return rows[0]


def buckets(row: dict[str, str]) -> list[str]:
    return [row[name] for name in ("current", "days_1_30", "days_31_60", "days_61_90",
                                   "days_over_90")]  # fmt: skip


def owed(days_past_due: int, amount: str, account: Account, number: str, **fields) -> None:
    """An issued invoice due `days_past_due` days before the as-of date."""
    due = days_before(days_past_due)
    add_invoice(account, number, amount, issue_date=min(due, AS_OF), due_date=due, **fields)


def test_the_csv_has_the_contract_columns_and_a_total_row(app) -> None:
    manager = make_user("manager", "ann@example.test")
    owed(10, "100.00", add_account("A1", account_manager=manager), "I-1")
    rows = aging_rows(app)
    assert list(rows[0]) == MANAGER_COLUMNS
    assert [row["account_manager"] for row in rows] == ["ann@example.test", "TOTAL"]
    assert rows[1]["days_1_30"] == "100.00" and rows[1]["open_invoices"] == "1"


def test_invoice_issued_after_the_date_is_left_out(app) -> None:
    account = add_account("A1")
    add_invoice(account, "LATER", "500.00", issue_date=AS_OF + dt.timedelta(days=1))
    add_invoice(account, "ON-D", "70.00", issue_date=AS_OF, due_date=AS_OF + dt.timedelta(days=30))
    row = only_row(app)
    assert buckets(row) == ["70.00", "0.00", "0.00", "0.00", "0.00"]
    assert row["open_invoices"] == "1"


def test_payment_after_the_date_leaves_the_invoice_open(app) -> None:
    account = add_account("A1")
    owed(20, "100.00", account, "I-1")
    add_payment(account, "P-LATE", "100.00", invoice=account_invoice("I-1"),
                payment_date=AS_OF + dt.timedelta(days=1))  # fmt: skip
    row = only_row(app)
    assert row["days_1_30"] == "100.00" and row["total"] == "100.00"


def account_invoice(number: str):
    from extensions import db
    from models import Invoice

    return db.session.query(Invoice).filter_by(number=number).one()


def test_partial_payments_before_and_after_the_date(app) -> None:
    account = add_account("A1")
    owed(45, "1000.00", account, "I-1")
    invoice = account_invoice("I-1")
    add_payment(account, "P-1", "250.10", invoice=invoice, payment_date=days_before(5))
    add_payment(account, "P-2", "0.20", invoice=invoice, payment_date=AS_OF)
    add_payment(account, "P-3", "300.00", invoice=invoice, payment_date=AS_OF + dt.timedelta(1))
    row = only_row(app)
    assert row["days_31_60"] == "749.70"  # 1000.00 - 250.10 - 0.20; P-3 is after D
    assert row["total"] == "749.70" and row["unapplied_credit"] == "0.00"


def test_credit_note_applied_on_or_before_the_date_reduces_the_invoice(app) -> None:
    account = add_account("A1")
    owed(0, "500.00", account, "I-1")
    invoice = account_invoice("I-1")
    add_credit_note(account, "CN-1", "120.55", invoice=invoice, issue_date=days_before(1))
    add_credit_note(account, "CN-2", "50.00", invoice=invoice, issue_date=AS_OF + dt.timedelta(1))
    row = only_row(app)
    assert row["current"] == "379.45" and row["open_invoices"] == "1"


def test_unapplied_payment_and_credit_note_are_account_credit(app) -> None:
    account = add_account("A1")
    owed(10, "300.00", account, "I-1")
    add_payment(account, "P-CASH", "80.00", payment_date=days_before(30))
    add_credit_note(account, "CN-GOODWILL", "19.99", issue_date=AS_OF)
    add_payment(account, "P-FUTURE", "1000.00", payment_date=AS_OF + dt.timedelta(days=1))
    row = only_row(app)
    assert row["total"] == "300.00"
    assert row["unapplied_credit"] == "99.99"
    assert row["net_total"] == "200.01"


def test_overpayment_is_not_listed_and_its_excess_is_account_credit(app) -> None:
    account = add_account("A1")
    owed(10, "100.00", account, "I-1")
    add_payment(account, "P-1", "130.25", invoice=account_invoice("I-1"), payment_date=AS_OF)
    row = only_row(app)
    assert buckets(row) == ["0.00"] * 5
    assert row["open_invoices"] == "0"
    assert row["unapplied_credit"] == "30.25" and row["net_total"] == "-30.25"


def test_void_and_draft_invoices_do_not_count(app) -> None:
    account = add_account("A1")
    owed(40, "111.00", account, "VOID", status="void")
    owed(40, "222.00", account, "DRAFT", status="draft")
    owed(40, "5.00", account, "ISSUED")
    row = only_row(app)
    assert row["days_31_60"] == "5.00" and row["total"] == "5.00" and row["open_invoices"] == "1"


def test_each_invoice_falls_in_the_bucket_of_its_days_past_due(app) -> None:
    account = add_account("A1")
    for days, amount in [(-10, "0.01"), (0, "0.02"), (1, "0.04"), (30, "0.10"), (31, "0.20"),
                         (60, "0.40"), (61, "1.00"), (90, "2.00"), (91, "4.00")]:  # fmt: skip
        owed(days, amount, account, f"I{days}")
    row = only_row(app)
    # not yet due and due on D: current; 1 and 30: 1-30; 31 and 60; 61 and 90; 91: over 90
    assert buckets(row) == ["0.03", "0.14", "0.60", "3.00", "4.00"]
    assert row["total"] == "7.77" and row["open_invoices"] == "9"


def test_custom_bucket_edges_name_their_columns(app) -> None:
    account = add_account("A1")
    for days, amount in [(15, "1.00"), (16, "2.00"), (30, "4.00"), (45, "8.00"), (46, "16.00")]:
        owed(days, amount, account, f"I{days}")
    rows = aging_rows(app, "--buckets", "15,30,45")
    assert list(rows[0])[2:8] == ["current", "days_1_15", "days_16_30", "days_31_45",
                                  "days_over_45", "total"]  # fmt: skip
    row = rows[0]
    assert [row["days_1_15"], row["days_16_30"], row["days_31_45"], row["days_over_45"]] == [
        "1.00",
        "6.00",
        "8.00",
        "16.00",
    ]


def test_issue_date_basis_counts_days_since_issue(app) -> None:
    account = add_account("A1")
    add_invoice(account, "I-1", "10.00", issue_date=days_before(40), due_date=days_before(10))
    assert only_row(app)["days_1_30"] == "10.00"
    assert only_row(app, "--basis", "issue")["days_31_60"] == "10.00"


def test_rows_per_manager_and_currency_sorted_by_email_then_totals_per_currency(app) -> None:
    zoe = make_user("manager", "zoe@example.test")
    ann = make_user("manager", "ann@example.test")
    owed(5, "10.10", add_account("Z1", account_manager=zoe), "Z-GBP")
    owed(5, "20.20", add_account("Z2", account_manager=zoe), "Z-EUR", currency="EUR")
    owed(95, "0.10", add_account("A1", account_manager=ann), "A-GBP-1")
    owed(95, "0.20", add_account("A2", account_manager=ann), "A-GBP-2", disputed=True)
    owed(5, "7.00", add_account("NOBODY"), "N-GBP")
    rows = aging_rows(app)
    keys = [(row["account_manager"], row["currency"], row["total"]) for row in rows]
    assert keys == [
        ("(unassigned)", "GBP", "7.00"),
        ("ann@example.test", "GBP", "0.30"),  # 0.10 + 0.20, exactly
        ("zoe@example.test", "EUR", "20.20"),
        ("zoe@example.test", "GBP", "10.10"),
        ("TOTAL", "EUR", "20.20"),
        ("TOTAL", "GBP", "17.40"),
    ]
    assert rows[1]["disputed"] == "0.20" and rows[1]["days_over_90"] == "0.30"
    assert rows[5]["open_invoices"] == "4" and rows[5]["disputed"] == "0.20"


def test_a_manager_with_no_accounts_has_no_row(app) -> None:
    make_user("manager", "idle@example.test")
    owed(5, "1.00", add_account("A1"), "I-1")
    assert [row["account_manager"] for row in aging_rows(app)] == ["(unassigned)", "TOTAL"]


def test_by_account_lists_code_name_and_manager(app) -> None:
    ann = make_user("manager", "ann@example.test")
    owed(5, "12.34", add_account("B2", name="Beta", account_manager=ann), "I-B")
    owed(65, "1.00", add_account("A1", name="=HYPERLINK(1)"), "I-A")
    rows = aging_rows(app, "--by", "account")
    assert list(rows[0])[:5] == ["account_code", "account_name", "account_manager", "currency",
                                 "current"]  # fmt: skip
    assert [(r["account_code"], r["account_name"], r["account_manager"], r["total"])
            for r in rows] == [
        ("A1", "'=HYPERLINK(1)", "(unassigned)", "1.00"),
        ("B2", "Beta", "ann@example.test", "12.34"),
        ("TOTAL", "", "", "13.34"),
    ]  # fmt: skip


def test_by_account_rows_are_in_code_point_order_whatever_the_collation(app) -> None:
    """Sorted as Python sorts text (capitals before small letters, punctuation by its code), as
    the downloads always were, on PostgreSQL whatever the database's collation."""
    for number, code in enumerate(["b-2", "a_1", "B1", "A-1", "(x)"]):
        owed(5, "1.00", add_account(code), f"I-{number}")
    rows = aging_rows(app, "--by", "account")
    assert [row["account_code"] for row in rows] == ["(x)", "A-1", "B1", "a_1", "b-2", "TOTAL"]


def test_totals_equal_the_sum_of_the_rows_and_the_buckets(app) -> None:
    managers = [make_user("manager", f"m{n}@example.test") for n in range(3)]
    cents = 1
    for n in range(30):
        account = add_account(f"A{n}", account_manager=managers[n % 3])
        cents = cents * 7 % 100_003
        owed(n * 4 - 10, f"{cents / 100:.2f}", account, f"I{n}")
    rows = aging_rows(app)
    names = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
    for row in rows:
        assert cents_of(row["total"]) == sum(cents_of(row[name]) for name in names)
        assert cents_of(row["net_total"]) == cents_of(row["total"]) - cents_of(
            row["unapplied_credit"]
        )
    body, (total,) = rows[:-1], rows[-1:]
    for name in (*names, "total", "disputed"):
        assert cents_of(total[name]) == sum(cents_of(row[name]) for row in body)


def cents_of(text: str) -> int:
    whole, _, fraction = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int(fraction)
    return -value if text.startswith("-") else value


def test_account_credit_is_in_the_default_currency_and_money_on_void_invoices_is_not(app) -> None:
    account = add_account("A1")
    owed(10, "50.00", account, "I-EUR", currency="EUR")
    owed(10, "70.00", account, "VOID", status="void")
    add_payment(account, "P-VOID", "70.00", invoice=account_invoice("VOID"), payment_date=AS_OF)
    add_payment(account, "P-CASH", "5.00", payment_date=AS_OF)
    rows = [row for row in aging_rows(app) if row["account_manager"] != "TOTAL"]
    assert [(r["currency"], r["total"], r["unapplied_credit"], r["net_total"]) for r in rows] == [
        ("EUR", "50.00", "0.00", "50.00"),
        ("GBP", "0.00", "5.00", "-5.00"),
    ]

"""Aging on random ledgers equals a plain per-invoice computation of ARCHITECTURE §7, to the cent.

Each example draws a ledger (managers, accounts, invoices in several currencies, drafts, voids,
disputes, partial, full and over-payments, credit notes, unapplied cash, events dated after the
as-of date), an as-of date, a basis and bucket edges. `flask report aging` (by manager and by
account, CSV) must give exactly the figures that `expected_rows` computes one invoice at a time
with Decimal, on each database and through each engine (DuckDB and the plain SQL fallback).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensions import db
from models import Account, CreditNote, Invoice, Payment, User
from models.accounts import ensure_guest_account
from reports.aging_parameters import bucket_names
from tests.conftest import _empty_all_tables

START = dt.date(2026, 1, 1)
CURRENCIES = ("GBP", "EUR", "USD")
EDGES = [(30, 60, 90), (7, 14), (1,), (15, 45, 120, 365)]

cents = st.integers(min_value=1, max_value=500_000)
day = st.integers(min_value=0, max_value=200)
application = st.fixed_dictionaries(
    {"kind": st.sampled_from(["payment", "credit_note"]), "cents": cents, "day": day}
)
invoice = st.fixed_dictionaries(
    {
        "account": st.integers(0, 4),
        "cents": cents,
        "issue_day": day,
        "terms": st.sampled_from([0, 14, 30, 60]),
        "currency": st.sampled_from(CURRENCIES),
        "status": st.sampled_from(["issued"] * 6 + ["draft", "void"]),
        "disputed": st.booleans(),
        "applications": st.lists(application, max_size=3),
        "pay_in_full": st.sampled_from([None, 0, 1, 2]),
    }
)
unapplied = st.fixed_dictionaries(
    {
        "account": st.integers(0, 4),
        "kind": st.sampled_from(["payment", "credit_note"]),
        "cents": cents,
        "day": day,
    }  # fmt: skip
)
ledger = st.fixed_dictionaries(
    {
        "managers": st.lists(st.integers(0, 2), min_size=5, max_size=5),  # 0: no manager
        "invoices": st.lists(invoice, max_size=10),
        "unapplied": st.lists(unapplied, max_size=3),
        "as_of_day": st.integers(0, 220),
        "basis": st.sampled_from(["due", "issue"]),
        "edges": st.sampled_from(EDGES),
    }
)


def money(amount_cents: int) -> Decimal:
    return Decimal(amount_cents).scaleb(-2)


def text(amount_cents: int) -> str:
    return f"{money(amount_cents):.2f}"


def build(drawn: dict) -> None:
    """The drawn ledger in the database, in one commit."""
    managers = [None] + [
        User(email=f"m{n}@example.test", role="manager", password_hash=None) for n in (1, 2)
    ]
    accounts = [
        Account(code=f"A{n}", name=f"Account {n}", account_manager=managers[manager])
        for n, manager in enumerate(drawn["managers"])
    ]
    records: list = [*managers[1:], *accounts]
    for number, drawn_invoice in enumerate(drawn["invoices"]):
        issued = START + dt.timedelta(days=drawn_invoice["issue_day"])
        account = accounts[drawn_invoice["account"]]
        record = Invoice(
            number=f"I-{number}", account=account, issue_date=issued,
            due_date=issued + dt.timedelta(days=drawn_invoice["terms"]),
            amount=money(drawn_invoice["cents"]), currency=drawn_invoice["currency"],
            status=drawn_invoice["status"], disputed=drawn_invoice["disputed"],
        )  # fmt: skip
        records.append(record)
        applications = list(drawn_invoice["applications"])
        if (extra := drawn_invoice["pay_in_full"]) is not None:  # the amount, or a little more
            paid = drawn_invoice["cents"] + extra
            applications.append({"kind": "payment", "day": drawn_invoice["issue_day"] + 5,
                                 "cents": paid})  # fmt: skip
        for n, applied in enumerate(applications):
            records.append(_application(applied, f"{number}-{n}", account, record))
    for n, credit in enumerate(drawn["unapplied"]):
        records.append(_application(credit, f"U-{n}", accounts[credit["account"]], None))
    db.session.add_all(records)
    db.session.commit()


def _application(drawn: dict, key: str, account: Account, invoice: Invoice | None):
    dated = START + dt.timedelta(days=drawn["day"])
    amount = money(drawn["cents"])
    if drawn["kind"] == "payment":
        return Payment(reference=f"P-{key}", account=account, invoice=invoice,
                       payment_date=dated, amount=amount)  # fmt: skip
    return CreditNote(number=f"C-{key}", account=account, invoice=invoice, issue_date=dated,
                      amount=amount)  # fmt: skip


def expected_rows(as_of: dt.date, basis: str, edges: tuple[int, ...], by: str) -> dict:
    """§7 computed one invoice at a time from the ORM records: {(key, currency): figures}."""
    names = bucket_names(edges)
    rows: dict = defaultdict(lambda: defaultdict(int))

    def key_of(account: Account) -> tuple:
        manager = account.account_manager.email if account.account_manager else "(unassigned)"
        return (manager,) if by == "account-manager" else (account.code, account.name, manager)

    applied_by_invoice: dict[int, int] = defaultdict(int)
    for item in [*db.session.query(Payment), *db.session.query(CreditNote)]:
        dated = item.payment_date if isinstance(item, Payment) else item.issue_date
        if item.invoice_id is not None and dated <= as_of:
            applied_by_invoice[item.invoice_id] += int(item.amount * 100)
    for record in db.session.query(Invoice):
        if record.issue_date > as_of or record.status in ("draft", "void"):
            continue
        applied = applied_by_invoice[record.id]
        open_cents = int(record.amount * 100) - applied
        row = rows[(*key_of(record.account), record.currency)]
        if open_cents <= 0:
            row["unapplied_credit"] += -open_cents
            continue
        days = (as_of - (record.due_date if basis == "due" else record.issue_date)).days
        upper_ends = zip(names[:-1], (0, *edges), strict=True)
        bucket = next((name for name, end in upper_ends if days <= end), names[-1])
        row[bucket] += open_cents
        row["total"] += open_cents
        row["open_invoices"] += 1
        if record.disputed:
            row["disputed"] += open_cents
    for payment in db.session.query(Payment).filter(Payment.invoice_id.is_(None)):
        if payment.payment_date <= as_of:
            rows[(*key_of(payment.account), "GBP")]["unapplied_credit"] += int(payment.amount * 100)
    for note in db.session.query(CreditNote).filter(CreditNote.invoice_id.is_(None)):
        if note.issue_date <= as_of:
            rows[(*key_of(note.account), "GBP")]["unapplied_credit"] += int(note.amount * 100)
    return {
        key: {
            **{name: text(row[name]) for name in (*names, "total", "unapplied_credit", "disputed")},
            "net_total": text(row["total"] - row["unapplied_credit"]),
            "open_invoices": str(row["open_invoices"]),
        }
        for key, row in rows.items()
        if row["total"] or row["unapplied_credit"]
    }


def reported_rows(app, as_of: dt.date, basis: str, edges: tuple[int, ...], by: str) -> dict:
    arguments = ["report", "aging", "--as-of", as_of.isoformat(), "--by", by, "--basis", basis,
                 "--buckets", ",".join(map(str, edges))]  # fmt: skip
    result = app.test_cli_runner().invoke(args=arguments)
    assert result.exit_code == 0, result.output
    labels = 1 if by == "account-manager" else 3
    rows = {}
    for line in csv.DictReader(io.StringIO(result.stdout)):
        values = list(line.values())
        if values[0] != "TOTAL":
            rows[tuple(values[: labels + 1])] = dict(list(line.items())[labels + 1 :])
    return rows


@pytest.fixture(params=["duckdb", "sql"])
def engine(app, request):
    app.config["AGING_ENGINE"] = request.param
    yield request.param
    app.config.pop("AGING_ENGINE")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=ledger)
def test_aging_equals_a_per_invoice_computation_on_random_ledgers(app, engine, drawn) -> None:
    db.session.remove()  # the last example's reads end, or PostgreSQL's TRUNCATE waits on them
    _empty_all_tables()
    ensure_guest_account(db.session)
    db.session.commit()
    build(drawn)
    as_of = START + dt.timedelta(days=drawn["as_of_day"])
    for by in ("account-manager", "account"):
        expected = expected_rows(as_of, drawn["basis"], drawn["edges"], by)
        reported = reported_rows(app, as_of, drawn["basis"], drawn["edges"], by)
        assert reported == expected, (by, as_of)


def test_duckdb_reads_what_was_just_committed_so_the_fast_path_is_the_one_tested(app) -> None:
    from reports.duckdb_reader import frame_through_duckdb

    build({"managers": [1, 0, 0, 0, 0], "unapplied": [],
           "invoices": [{"account": 0, "cents": 1234, "issue_day": 0, "terms": 0,
                         "currency": "EUR", "status": "issued", "disputed": False,
                         "applications": [], "pay_in_full": None}]})  # fmt: skip
    rows = frame_through_duckdb(db.engine, sa.select(Invoice.number, Invoice.currency))
    assert rows is not None, "DuckDB or its extension is missing: only the SQL path was tested"
    assert rows.values.tolist() == [["I-0", "EUR"]]

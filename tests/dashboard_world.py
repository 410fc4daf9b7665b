"""A small ledger whose dashboard figures are worked out by hand, for the dashboard tests.

Today T. Managers: north@ (account NORTH, limit 1,000.00) and south@ (SOUTH, limit 500.00); WEST
has no manager.
- NORTH: I-1 GBP 600.00 issued T-60, due T-30, 100.00 paid on T-10 -> 500.00 open, 30 days late;
         I-2 GBP 500.00 issued T, due T+30 -> 500.00 current;
         I-3 EUR 200.00 issued T-100, due T-95 -> 200.00, 95 days late;
         I-4 GBP 999.00 draft -> not counted.
- SOUTH: I-5 GBP 300.00 issued T-40, due T-10 -> 300.00, 10 days late;
         I-6 USD 1,000.00 issued T-25, due T+5 -> current.
- WEST:  I-7 GBP 50.00 issued T-5, due T+25 -> current.
Every row: total due GBP 1,350.00, EUR 200.00, USD 1,000.00; overdue GBP 800.00, EUR 200.00;
more than 90 days: EUR 200.00. North's rows: GBP 1,000.00 and EUR 200.00 due, GBP 500.00 and
EUR 200.00 overdue. DSO over 90 days: GBP 1,350 / 1,450 sold × 90 = 83.8 days; USD 90.0 days;
EUR none (nothing sold in the period).
Credit used: NORTH's balance 1,200.00 of 1,000.00, SOUTH's 1,300.00 of 500.00: both over.
Follow-up actions: north's, due yesterday (open); south's, due tomorrow (open); one done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from extensions import db
from models import Account, FollowUpAction, OutboxMessage, User
from models.notifications import CreditRequest
from tests.conftest import make_user
from tests.factories import add_account, add_invoice, add_payment


def days(today: dt.date, number: int) -> dt.date:
    return today + dt.timedelta(days=number)


@dataclass
class World:
    north: User
    south: User
    north_account: Account
    south_account: Account


def build_world(today: dt.date) -> World:
    """The ledger above, its dates counted from `today`, the date the test runs on."""
    north = make_user("manager", "north@example.test", first_name="Nora")
    south = make_user("manager", "south@example.test", first_name="Sam")
    north_account = add_account("NORTH", account_manager=north, credit_limit=Decimal("1000.00"))
    south_account = add_account("SOUTH", account_manager=south, credit_limit=Decimal("500.00"))
    west = add_account("WEST")
    late = add_invoice(
        north_account, "I-1", "600.00", issue_date=days(today, -60), due_date=days(today, -30)
    )
    add_payment(north_account, "P-1", "100.00", invoice=late, payment_date=days(today, -10))
    add_invoice(north_account, "I-2", "500.00", issue_date=today, due_date=days(today, 30))
    add_invoice(north_account, "I-3", "200.00", currency="EUR", issue_date=days(today, -100),
                due_date=days(today, -95))  # fmt: skip
    add_invoice(north_account, "I-4", "999.00", issue_date=days(today, -3), status="draft")
    add_invoice(
        south_account, "I-5", "300.00", issue_date=days(today, -40), due_date=days(today, -10)
    )
    add_invoice(south_account, "I-6", "1000.00", currency="USD", issue_date=days(today, -25),
                due_date=days(today, 5))  # fmt: skip
    add_invoice(west, "I-7", "50.00", issue_date=days(today, -5), due_date=days(today, 25))
    db.session.add_all([
        FollowUpAction(account=north_account, assignee=north, due_date=days(today, -1),
                       description="Chase I-1 by phone"),
        FollowUpAction(account=south_account, assignee=south, due_date=days(today, 1),
                       description="Write to SOUTH about I-5"),
        FollowUpAction(account=north_account, assignee=north, due_date=days(today, -20),
                       status="done", description="Done long ago"),
        CreditRequest(account=south_account, amount=Decimal("900.00"), reason="Seasonal",
                      status="pending"),
        OutboxMessage(dedupe_key="failed-1", event="invoice_issued", to_addresses="ap@south.test",
                      subject="Invoice I-5 from Accounts Desk", status="failed", attempts=5),
    ])  # fmt: skip
    db.session.commit()
    return World(north, south, north_account, south_account)

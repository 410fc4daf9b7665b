"""A realistic, repeatable demo data set: groups, accounts, their people, a ledger and activity."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import sqlalchemy as sa

from auth.passwords import hash_password
from extensions import db
from models import (
    Account,
    AccountGroup,
    Award,
    Booking,
    Course,
    CourseDate,
    CreditNote,
    FollowUpAction,
    Invoice,
    Note,
    Payment,
    User,
)
from models.accounts import ensure_guest_account
from models.base import CENT, utc_today

DEMO_LOGINS = (
    ("super_admin", "super@demo.accountsdesk.test", "demo-super-admin"),
    ("admin", "admin@demo.accountsdesk.test", "demo-admin-pass"),
    ("manager", "manager@demo.accountsdesk.test", "demo-manager-pass"),
    ("analyst", "analyst@demo.accountsdesk.test", "demo-analyst-pass"),
)
EXTRA_MANAGERS = (("Priya", "Shah"), ("Tom", "Okafor"))
GROUPS = ("North", "South", "Public sector", "Enterprise")
COMPANY_WORDS = (
    "Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbour", "Iris", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer", "Quarry", "Riverside",
)  # fmt: skip
COMPANY_KINDS = ("Training", "Consulting", "Logistics", "Health", "Foods", "Engineering")


def seed_demo_data(account_count: int, seed: int = 2026) -> bool:
    """Create the demo data set unless the database already has it; True when it created it."""
    if db.session.scalar(sa.select(User).where(User.email == DEMO_LOGINS[0][1])) is not None:
        return False
    rng = random.Random(seed)
    today = utc_today()
    ensure_guest_account(db.session)

    logins = [
        User(email=email, role=role, first_name=role.replace("_", " ").title(), last_name="Demo",
             password_hash=hash_password(password))
        for role, email, password in DEMO_LOGINS
    ]  # fmt: skip
    managers = [logins[2]] + [
        User(email=f"{first.lower()}.{last.lower()}@demo.accountsdesk.test", role="manager",
             first_name=first, last_name=last, password_hash=hash_password("demo-manager-pass"))
        for first, last in EXTRA_MANAGERS
    ]  # fmt: skip
    groups = [AccountGroup(name=name) for name in GROUPS]
    db.session.add_all([*logins, *managers, *groups])

    for index in range(1, account_count + 1):
        account = _demo_account(rng, index, groups, managers)
        db.session.add(account)
        _demo_people(rng, account, index)
        _demo_ledger(rng, account, index, today)
        _demo_activity(rng, account, managers, today)
    _demo_training(rng, today)
    db.session.commit()
    return True


def _demo_account(
    rng: random.Random, index: int, groups: list[AccountGroup], managers: list[User]
) -> Account:
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {index}"
    slug = name.lower().replace(" ", "")
    return Account(
        code=f"ACC{index:05d}",
        name=name,
        type="customer" if index % 7 else "provider",
        status="enabled" if index % 11 else "disabled",
        group=rng.choice(groups),
        account_manager=None if index % 9 == 0 else rng.choice(managers),
        payment_terms_days=rng.choice((14, 30, 30, 30, 60)),
        credit_limit=Decimal(rng.choice((5000, 10000, 25000, 50000))),
        billing_email=f"accounts@{slug}.example",
        billing_phone=f"+44 20 7946 {index % 10000:04d}",
        billing_address=f"{index} High Street\nLondon",
    )


def _demo_people(rng: random.Random, account: Account, index: int) -> None:
    for person in range(rng.randint(1, 3)):
        employee = User(
            email=f"employee{person}.acc{index}@customer.example",
            first_name=rng.choice(("Ana", "Ben", "Chloe", "Dev", "Eli", "Fay")),
            last_name=rng.choice(("Brown", "Singh", "Nowak", "Evans", "Khan")),
            role="individual",
            account=account,
        )
        db.session.add(employee)
        if person == 0:
            account.primary_contact = employee


def _demo_ledger(rng: random.Random, account: Account, index: int, today: dt.date) -> None:
    for number in range(rng.randint(2, 8)):
        issued = today - dt.timedelta(days=rng.randint(0, 200))
        amount = Decimal(rng.randint(20_000, 900_000)) / 100
        invoice = Invoice(
            number=f"INV-{index:05d}-{number:02d}",
            account=account,
            issue_date=issued,
            due_date=issued + dt.timedelta(days=account.payment_terms_days),
            amount=amount,
            currency="GBP" if index % 13 else "EUR",
            status=rng.choices(("issued", "draft", "void"), weights=(90, 6, 4))[0],
            disputed=rng.random() < 0.05,
            description=f"Services {issued:%B %Y}",
        )
        db.session.add(invoice)
        if invoice.status != "issued":
            continue
        settled = rng.random()
        if settled < 0.45:
            _pay(invoice, amount, issued, rng, f"PAY-{index:05d}-{number:02d}")
        elif settled < 0.6:
            part = (amount * Decimal(rng.choice(("0.25", "0.5")))).quantize(CENT)
            _pay(invoice, part, issued, rng, f"PAY-{index:05d}-{number:02d}")
        elif settled < 0.65:
            db.session.add(
                CreditNote(
                    number=f"CN-{index:05d}-{number:02d}",
                    account=account,
                    invoice=invoice,
                    issue_date=issued + dt.timedelta(days=5),
                    amount=(amount / 10).quantize(CENT),
                    reason="Goodwill discount",
                )
            )
    if index % 10 == 0:
        db.session.add(
            Payment(
                reference=f"PAY-{index:05d}-CREDIT",
                account=account,
                payment_date=today - dt.timedelta(days=3),
                amount=Decimal("150.00"),
                method="card",
            )
        )


def _pay(
    invoice: Invoice, amount: Decimal, issued: dt.date, rng: random.Random, reference: str
) -> None:
    paid_on = min(issued + dt.timedelta(days=rng.randint(5, 70)), utc_today())
    db.session.add(
        Payment(
            reference=reference,
            account=invoice.account,
            invoice=invoice,
            payment_date=paid_on,
            amount=amount,
            method=rng.choice(("bank_transfer", "card", "direct_debit")),
        )
    )


def _demo_activity(
    rng: random.Random, account: Account, managers: list[User], today: dt.date
) -> None:
    author = account.account_manager or rng.choice(managers)
    db.session.add(Note(account=account, author=author, body="Spoke to accounts payable."))
    if rng.random() < 0.5:
        db.session.add(
            FollowUpAction(
                account=account,
                assignee=author,
                kind=rng.choice(("call", "email", "letter")),
                description="Chase overdue invoices",
                due_date=today + dt.timedelta(days=rng.randint(-10, 14)),
            )
        )


DEMO_COURSES = (
    ("FA", "First aid at work", 3),
    ("FS", "Fire safety", 1),
    ("MH", "Mental health", 2),
)
"""Code, title and how many years an award stays valid."""


def _demo_training(rng: random.Random, today: dt.date) -> None:
    """A small catalogue with upcoming dates, and awards (some expired or expiring) for the
    first employees, some of whom are booked to renew."""
    db.session.flush()
    people = db.session.scalars(
        sa.select(User)
        .where(User.role == "individual", User.account_id.is_not(None))
        .order_by(User.id)
        .limit(9)
    ).all()
    for code, title, years in DEMO_COURSES:
        course = Course(code=code, title=title)
        dates = [
            CourseDate(course=course, start_date=today + dt.timedelta(days=days),
                       end_date=today + dt.timedelta(days=days + 1), capacity=12,
                       venue=rng.choice(("Leeds", "Bristol", "Online")), price=Decimal("395.00"))
            for days in (21, 63)
        ]  # fmt: skip
        db.session.add_all(dates)
        if code == DEMO_COURSES[0][0]:  # places booked before knowing who goes: to be named
            for account in dict.fromkeys(person.account for person in people[:4]):
                db.session.add(Booking(course_date=dates[1], account=account))
        for person in people:
            achieved = today - dt.timedelta(days=rng.randint(30, 365 * years + 60))
            expires = achieved + dt.timedelta(days=365 * years)
            db.session.add(
                Award(user=person, course=course, achieved_on=achieved, expires_on=expires)
            )
            if expires < today + dt.timedelta(days=60) and rng.random() < 0.5:
                db.session.add(
                    Booking(course_date=dates[0], account=person.account, delegate=person)
                )

"""Asking for a credit limit from the account page, and the account's credit history there: a
manager asks on their account, the approver sees the current limit beside the requested one and
decides, and the account page lists every request with its decision and reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from extensions import db
from models import Account, CreditRequest, FormFieldRule, OutboxMessage, User
from tests.conftest import Panel, make_user
from tests.factories import add_account, add_invoice

MANAGER_EMAIL = "kim@example.test"


@dataclass
class World:
    manager: User
    approver: User
    analyst: User
    mine: Account
    theirs: Account


@pytest.fixture
def world() -> World:
    manager = make_user("manager", MANAGER_EMAIL)
    mine = add_account("MINE", account_manager=manager, credit_limit=Decimal("1000.00"))
    return World(
        manager=manager,
        approver=make_user("admin", "ada@example.test"),
        analyst=make_user("analyst", "ann@example.test"),
        mine=mine,
        theirs=add_account("THEIRS", credit_limit=Decimal("7777.00")),
    )


def log_in(panel: Panel, user: User) -> None:
    if panel.get("/admin/").status_code == 200:
        panel.post("/logout", {})
    assert panel.login(user.email).status_code == 302


def account_page(panel: Panel, account: Account, **args: str) -> str:
    query = "".join(f"&{key}={value}" for key, value in args.items())
    response = panel.get(f"/admin/account/details/?id={account.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def request_from_page(
    panel: Panel, account: Account, amount: str, reason: str, posted_account: Account | None = None
):
    """Post the page's form as the browser does (the page's account in a hidden field)."""
    return panel.post(
        f"/admin/account/details/add/credit_request/?id={account.id}",
        {"account": str((posted_account or account).id), "amount": amount, "reason": reason},
    )


def requests() -> list[CreditRequest]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CreditRequest).order_by(CreditRequest.id)))


def test_manager_requests_a_credit_limit_from_their_account_page(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)
    assert "Request a credit limit" in account_page(panel, world.mine)

    response = request_from_page(panel, world.mine, "5000.00", "Orders doubled this year")

    assert response.status_code == 302
    assert "tab=credit_requests" in response.headers["Location"]
    (asked,) = requests()
    assert (asked.status, asked.amount, asked.account_id) == (
        "pending",
        Decimal("5000.00"),
        world.mine.id,
    )
    assert asked.requested_by_id == world.manager.id
    assert asked.old_limit == Decimal("1000.00"), "the limit when asked is recorded"
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("1000.00")
    announced = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.event == "credit_request_submitted")
    ).one()
    assert announced.to_addresses == world.approver.email
    assert "(now 1,000.00)" in announced.body_text


def test_the_account_page_posts_for_its_own_account_whatever_the_form_says(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.approver)

    request_from_page(panel, world.mine, "5000.00", "Because", posted_account=world.theirs)

    assert [r.account_id for r in requests()] == [world.mine.id]


def test_manager_cannot_request_on_an_account_they_do_not_manage(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)

    assert panel.get(f"/admin/account/details/?id={world.theirs.id}").status_code == 404
    assert request_from_page(panel, world.theirs, "5000.00", "Please").status_code == 404
    assert requests() == []


def test_an_analyst_is_not_offered_the_request_and_cannot_post_one(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.analyst)

    assert "Request a credit limit" not in account_page(panel, world.mine)
    assert request_from_page(panel, world.mine, "5000.00", "Please").status_code == 403
    assert requests() == []


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("lots", "Orders doubled", "Not a valid decimal value"),
        ("-5.00", "Orders doubled", "A credit limit cannot be negative."),
        ("99999999999999", "Orders doubled", "Enter a number below 10,000,000,000."),
        ("5000.00", "   ", "Say why the account needs this limit."),
        ("=1+1", "Orders doubled", "Not a valid decimal value"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason_and_nothing_is_saved(
    world: World, panel: Panel, amount: str, reason: str, message: str
) -> None:
    log_in(panel, world.manager)

    response = request_from_page(panel, world.mine, amount, reason)

    page = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert requests() == []
    assert "alert-danger" in page
    assert message in page


def test_the_reviewer_sees_the_current_limit_beside_the_requested_one(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)
    request_from_page(panel, world.mine, "5000.00", "Orders doubled")
    (asked,) = requests()
    log_in(panel, world.approver)

    page = panel.get(f"/admin/creditrequest/details/?id={asked.id}").get_data(as_text=True)

    assert 'data-testid="limit-comparison"' in page
    assert "Current limit: <strong>1,000.00</strong>" in page
    assert "requested: <strong>5,000.00</strong>" in page
    old_limit_row = page[page.index("Old limit") :][:200]
    assert "1,000.00" in old_limit_row


def test_a_reviewer_from_whom_the_limit_is_hidden_sees_neither_limit(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)
    request_from_page(panel, world.mine, "5000.00", "Orders doubled")
    (asked,) = requests()
    db.session.add(FormFieldRule(entity="Account", field="credit_limit", role="admin", hidden=True))
    db.session.commit()
    log_in(panel, world.approver)

    page = panel.get(f"/admin/creditrequest/details/?id={asked.id}").get_data(as_text=True)

    assert "1,000.00" not in page
    assert "Old limit" not in page
    assert "limit-comparison" not in page
    assert "credit-decision" in page, "the approver still decides"


def test_the_account_page_lists_past_requests_with_decision_and_reason(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.manager)
    request_from_page(panel, world.mine, "5000.00", "Orders doubled")
    request_from_page(panel, world.mine, "9000.00", "Big tender")
    first, second = requests()
    log_in(panel, world.approver)
    panel.post(f"/admin/creditrequest/decide/{first.id}/", {"decision": "accepted"})
    panel.post(
        f"/admin/creditrequest/decide/{second.id}/",
        {"decision": "rejected", "reason": "Pays 60 days late"},
    )
    log_in(panel, world.manager)

    page = account_page(panel, world.mine, tab="credit_requests")

    tab = page[page.index('data-testid="account-tabs"') :]
    assert "Credit requests" in tab
    assert "Accepted" in tab and "Rejected" in tab
    assert "Pays 60 days late" in tab
    assert "Big tender" in tab and "Orders doubled" in tab
    assert "9,000.00" in tab and "5,000.00" in tab
    assert db.session.get(Account, world.mine.id).credit_limit == Decimal("5000.00")


def test_the_credit_requests_tab_lists_only_this_accounts_requests(
    world: World, panel: Panel
) -> None:
    log_in(panel, world.approver)
    request_from_page(panel, world.theirs, "8888.00", "Elsewhere")
    request_from_page(panel, world.mine, "5000.00", "Here")

    tab = account_page(panel, world.mine, tab="credit_requests")

    assert "Here" in tab and "5,000.00" in tab
    assert "Elsewhere" not in tab and "8,888.00" not in tab


def test_the_over_limit_warning_opens_the_request_form(world: World, panel: Panel) -> None:
    add_invoice(world.mine, "INV-1", "1500.00")
    log_in(panel, world.manager)

    page = account_page(panel, world.mine)
    assert "open=credit_request#action-credit_request" in page
    opened = account_page(panel, world.mine, open="credit_request")
    assert 'data-testid="action-credit_request" open' in opened


def test_the_account_history_shows_the_request_and_its_decision(world: World, panel: Panel) -> None:
    log_in(panel, world.manager)
    request_from_page(panel, world.mine, "5000.00", "Orders doubled")
    (asked,) = requests()
    log_in(panel, world.approver)
    panel.post(
        f"/admin/creditrequest/decide/{asked.id}/", {"decision": "rejected", "reason": "Late payer"}
    )

    history = account_page(panel, world.mine, tab="history")

    assert "Credit request rejected" in history
    assert "Late payer" in history

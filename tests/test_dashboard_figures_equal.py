"""The dashboards' fast figures equal the slow ones they replaced, on random ledgers.

The widgets now take their aging on every month end in one pass (`aging_by_key_on_dates`), the
balances for "credit used" in one grouped pass (`balances_per_account`), and the DSO's sums
through DuckDB with the day's aging shared. Each example draws a ledger around today (the
aging's random ledgers of `test_aging_randomised`, with credit limits), then checks, through
each engine (DuckDB and the plain SQL fallback) and for an admin and a manager:
- the aging on several dates equals `aging_by_key` on each date, every column;
- every widget's figures equal those the former code computed (kept below as `former_*`: one
  aging per month end, `account_figures` with the correlated `Account.balance`, the collections
  report with its own aging), and are the same through both engines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tests.test_aging_randomised as random_ledgers
from dashboards.receivables import aging_today, buckets_past, money, per_currency
from dashboards.registry import REGISTRY
from dashboards.results import ChartPanel, ChartResult, FigureLine
from dashboards.warming import RoleViewer
from dashboards.widget_charts import month_ends
from extensions import db
from models import Account, User
from models.accounts import ensure_guest_account
from models.base import utc_today
from models.ledger import account_figures, balances_per_account
from models.scoping import restrict_to_visible_rows
from reports.aging import AgingParameters, aging_by_key, aging_by_key_on_dates
from reports.collections import collections_per_manager
from reports.period import PeriodParameters
from reports.readable_columns import TOTAL
from tests.conftest import _empty_all_tables

LEDGER_DAYS = 200
"""The random ledgers' day 0 is this many days before today, so every month end has figures."""
WIDGETS = {
    "total_due": [{}],
    "overdue": [{"past_due": "0"}, {"past_due": "90"}],
    "dso": [{"period_days": "30"}, {"period_days": "90"}, {"period_days": "365"}],
    "credit_used": [{"threshold_percent": 80}, {"threshold_percent": 100}],
    "aging_chart": [{"by": "account-manager", "top": 8}, {"by": "account", "top": 3}],
    "overdue_trend": [{"months": 6}, {"months": 12}],
    "collections_chart": [{"months": 6}],
    "top_overdue_accounts": [{"limit": 5}],
    "my_accounts": [{"limit": 50}],
}
limits = st.lists(st.sampled_from([None, "0", "100.00", "1000.00", "2500.50", "9000.00"]),
                  min_size=5, max_size=5)  # fmt: skip


@pytest.fixture(params=["duckdb", "sql"])
def engine(app, request):
    app.config["AGING_ENGINE"] = request.param
    yield request.param
    app.config.pop("AGING_ENGINE")


def ledger_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=LEDGER_DAYS)


def build(
    monkeypatch: pytest.MonkeyPatch, drawn: dict, credit_limits: list, today: dt.date
) -> None:
    """Lay the drawn ledger out so that its days end around `today`."""
    db.session.remove()  # the last example's reads end, or PostgreSQL's TRUNCATE waits on them
    _empty_all_tables()
    ensure_guest_account(db.session)
    db.session.commit()
    monkeypatch.setattr(random_ledgers, "START", ledger_start(today))
    random_ledgers.build(drawn)
    for number, limit in enumerate(credit_limits):
        account = db.session.scalar(sa.select(Account).where(Account.code == f"A{number}"))
        account.credit_limit = None if limit is None else Decimal(limit)
    db.session.commit()


def viewers() -> list[Any]:
    manager = db.session.scalar(sa.select(User).where(User.email == "m1@example.test"))
    return [RoleViewer("admin"), manager]


def computed(app, widget: str, viewer: Any, params: dict) -> Any:
    """The widget's figures as the dashboard computes them, in a request of their own (the day's
    aging is shared within one request only)."""
    kind = REGISTRY[widget]
    with app.app_context(), app.test_request_context():  # a new `g`: no aging of another ledger
        return kind.compute(db.session, viewer, kind.parsed_parameters(params))


def former_overdue_trend(viewer: Any, months: int, today: dt.date) -> ChartResult:
    """The trend as it was computed before: one aging per month end."""
    amounts_by_date = {}
    for as_of in month_ends(today, months):
        frame = aging_by_key(db.session, AgingParameters(as_of=as_of, viewer=viewer),
                             "account-manager")  # fmt: skip
        amounts_by_date[as_of] = per_currency(frame, buckets_past(0))
    currencies = sorted(
        {c for amounts in amounts_by_date.values() for c, a in amounts.items() if a}
    )
    labels = tuple(d.strftime("%b %Y") if d != today else "today" for d in amounts_by_date)
    panels = tuple(
        ChartPanel(currency, labels, tuple(
            (amounts.get(currency, money(0)),) for amounts in amounts_by_date.values()))
        for currency in currencies
    )  # fmt: skip
    return ChartResult(("overdue",), panels, False, "Nothing was overdue.", ("reports.index", {}))


def former_credit_used(viewer: Any, threshold: int, today: dt.date) -> tuple[int, int]:
    """(at the threshold, over the limit) as counted before, from `Account.balance`."""
    accounts = restrict_to_visible_rows(sa.select(Account), Account, viewer)
    figures = account_figures(accounts, today).subquery()
    has_limit = figures.c.credit_limit > 0
    at_threshold, over = db.session.execute(sa.select(
        sa.func.count(sa.case((has_limit & (figures.c.balance * 100 >= figures.c.credit_limit
                                            * threshold), 1))),
        sa.func.count(sa.case((has_limit & (figures.c.balance > figures.c.credit_limit), 1))),
    )).one()  # fmt: skip
    return int(at_threshold or 0), int(over or 0)


def former_dso(viewer: Any, days: int, today: dt.date) -> tuple[FigureLine, ...]:
    """The DSO lines as computed before: the collections report with its own aging."""
    period = PeriodParameters(today - dt.timedelta(days=days - 1), today, viewer)
    figures = collections_per_manager(db.session, period)
    totals = figures[figures["account_manager"] == TOTAL]
    return tuple(
        FigureLine(dso, unit="days", note=currency)
        for currency, dso in zip(totals["currency"], totals["dso_days"], strict=True)
        if dso is not None
    )


def former_figures(app, widget: str, viewer: Any, params: dict, today: dt.date) -> Any:
    """What the former code gave, where it differed from today's; None where it is the same."""
    parsed = REGISTRY[widget].parsed_parameters(params)
    with app.app_context(), app.test_request_context():
        if widget == "overdue_trend":
            return former_overdue_trend(viewer, parsed["months"], today)
        if widget == "dso":
            return former_dso(viewer, int(parsed["period_days"]), today)
        if widget == "credit_used":
            return former_credit_used(viewer, parsed["threshold_percent"], today)
    return None


def figures_of(widget: str, result: Any) -> Any:
    if widget == "dso":
        return result.lines
    if widget == "credit_used":
        line = result.lines[0]
        return line.value, int(line.note.split("; ")[1].split()[0])
    return result


settings_for_ledgers = settings(
    max_examples=12,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # a failing ledger is small enough
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings_for_ledgers
@given(drawn=random_ledgers.ledger, credit_limits=limits)
def test_every_widget_gives_the_former_figures_through_either_engine(
    app, monkeypatch, drawn, credit_limits
) -> None:
    today = utc_today()  # per example, as the widgets read it: examples may cross midnight
    build(monkeypatch, drawn, credit_limits, today)
    for viewer in viewers():
        for widget, variants in WIDGETS.items():
            for params in variants:
                through = {}
                for engine_name in ("duckdb", "sql"):
                    app.config["AGING_ENGINE"] = engine_name
                    try:
                        through[engine_name] = computed(app, widget, viewer, params)
                        former = former_figures(app, widget, viewer, params, today)
                    finally:
                        app.config.pop("AGING_ENGINE")
                    if former is not None:
                        now = figures_of(widget, through[engine_name])
                        assert now == former, (widget, params, viewer, engine_name)
                assert through["duckdb"] == through["sql"], (widget, params, viewer)


dates_drawn = st.lists(st.integers(0, 230), min_size=1, max_size=8)


@settings_for_ledgers
@given(drawn=random_ledgers.ledger, days=dates_drawn, disputed_only=st.booleans())
def test_aging_on_several_dates_equals_one_aging_per_date(
    app, engine, monkeypatch, drawn, days, disputed_only
) -> None:
    today = utc_today()  # per example: the drawn days count from the today it reads
    build(monkeypatch, drawn, [None] * 5, today)
    dates = [ledger_start(today) + dt.timedelta(days=day) for day in days]
    for viewer in viewers():
        parameters = AgingParameters(
            as_of=today, viewer=viewer, basis=drawn["basis"], bucket_edges=drawn["edges"],
            disputed_only=disputed_only,
        )  # fmt: skip
        for grouping in ("account-manager", "account"):
            on_dates = aging_by_key_on_dates(db.session, parameters, grouping, dates)
            assert set(on_dates["as_of"]) <= set(dates)
            for as_of in set(dates):
                one = aging_by_key(db.session, _on(parameters, as_of), grouping)
                same_day = on_dates[on_dates["as_of"] == as_of].drop(columns="as_of")
                assert _rows(same_day) == _rows(one), (grouping, as_of, engine)


def _on(parameters: AgingParameters, as_of: dt.date) -> AgingParameters:
    return AgingParameters(as_of=as_of, viewer=parameters.viewer, basis=parameters.basis,
                           bucket_edges=parameters.bucket_edges,
                           disputed_only=parameters.disputed_only)  # fmt: skip


def _rows(frame) -> dict:
    return {
        (int(row["key"]), row["currency"]): {
            name: int(value) for name, value in row.items() if name not in ("key", "currency")
        }
        for row in frame.to_dict("records")
    }


@settings_for_ledgers
@given(drawn=random_ledgers.ledger)
def test_balances_in_one_pass_equal_each_accounts_balance(app, engine, monkeypatch, drawn):
    build(monkeypatch, drawn, [None] * 5, utc_today())
    for viewer in viewers():
        accounts = restrict_to_visible_rows(sa.select(Account), Account, viewer)
        grouped = {
            account_id: Decimal(int(cents)).scaleb(-2)
            for account_id, cents in db.session.execute(balances_per_account(accounts))
        }
        for account in db.session.scalars(accounts):
            assert grouped.get(account.id, Decimal(0)) == account.balance, account.code


def test_credit_used_counts_balances_exactly_at_the_threshold_and_the_limit(
    app, engine, today
) -> None:
    """Amounts whose float sums are not exact (0.10 + 0.20): the count is made in cents."""
    from tests.factories import add_account, add_invoice, add_payment

    at_limit = add_account("AT-LIMIT", credit_limit=Decimal("1000.30"))
    for number, amount in enumerate(("500.10", "500.20", "0.10", "0.20")):
        add_invoice(at_limit, f"L-{number}", amount, issue_date=today)
    add_payment(at_limit, "L-P", "0.30", payment_date=today)  # balance 1,000.30: at the limit
    at_threshold = add_account("AT-80", credit_limit=Decimal("1000.00"))
    add_invoice(at_threshold, "T-1", "800.10", issue_date=today)
    add_payment(at_threshold, "T-P", "0.10", payment_date=today)  # 800.00: 80% exactly
    below = add_account("BELOW", credit_limit=Decimal("1000.00"))
    add_invoice(below, "B-1", "799.99", issue_date=today)
    with app.app_context(), app.test_request_context():
        result = REGISTRY["credit_used"].compute(
            db.session, RoleViewer("admin"), {"threshold_percent": 80}
        )
    line = result.lines[0]
    assert (line.value, line.note) == (2, "at 80% of their credit limit or more; 0 over it")


def test_trend_and_dso_share_what_they_can_with_the_days_aging(app, engine, today) -> None:
    """One request: the DSO reuses the aging the total due computed (same figures)."""
    from tests.factories import add_account, add_invoice

    account = add_account("SHARED")
    add_invoice(account, "S-1", "120.00", issue_date=today - dt.timedelta(days=40),
                due_date=today - dt.timedelta(days=10))  # fmt: skip
    viewer = RoleViewer("admin")
    with app.app_context(), app.test_request_context():
        day = aging_today(db.session, viewer, "account-manager")
        dso = REGISTRY["dso"].compute(db.session, viewer, {"period_days": "90"})
        assert aging_today(db.session, viewer, "account-manager") is day
    assert [line.value for line in dso.lines] == [Decimal("90.0")]

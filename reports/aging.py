"""Receivables aging as of a date (ARCHITECTURE §7): the one place that definition lives.

The database does the per-invoice work: each invoice's open amount as of D in integer cents
(amount less the payments and credit notes applied to it and dated on or before D), its days
past due and bucket, summed per (manager or account, currency) with one column per bucket, the
unapplied credit added in the same statement, and for a report the labels joined, the rows
sorted and a TOTAL row per currency added: one round trip, and no invoice row reaches Python
(a page's first rows can come without the others). Money stays
in integer cents until the finished frame, whose amounts are `Decimal` with two places (a page
converts only the rows it shows). pandas is imported where a frame is made, so a command can
build and send its statement first and load pandas while the query runs.

The statements are built here once, with row scoping and filters, and run either by DuckDB over
the live database (`reports/duckdb_reader.py`, the default and several times faster on a million
invoices) or by the session itself (`AGING_ENGINE = "sql"`, or where DuckDB cannot run).

The same statements age the ledger on several dates in one pass (`aging_by_key_on_dates`, the
dashboards' month-end trend): the dates are rows of a small table every invoice, payment and
credit note is joined with, and each figure is grouped by date as well. One definition either
way: the conditions below are written once, against "the as-of date", a value or that column.

Where §7 is silent: payments and credit notes record no currency, so unapplied ones count as
account credit in the default currency (GBP); an overpayment's excess keeps its invoice's
currency. Money applied to an invoice that does not count (draft, void, or issued after D) is
in neither the buckets nor the unapplied credit, as §7 defines unapplied credit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import Account, AccountGroup, CreditNote, Invoice, Payment, User
from models.billing import DEFAULT_CURRENCY
from models.scoping import restrict_to_visible_rows
from reports.aging_parameters import (
    GROUPINGS,
    LABEL_COLUMNS,
    AgingParameters,
    aging_columns,
    bucket_names,
    money_columns,
)
from reports.duckdb_reader import aging_engine, frame_through_duckdb
from reports.queries import (
    cents,
    date_value,
    days_from,
    frame_of,
    in_code_point_order,
    mostly_true,
)
from reports.readable_columns import TOTAL, may_read_column, readable_report

if TYPE_CHECKING:  # imported where a frame is made: a command builds its statement without it
    import pandas as pd

UNASSIGNED = "(unassigned)"
COUNTED_OUT_STATUSES = ("draft", "void")


class AgedOn:
    """The date or dates the statements age the ledger on.

    One date (a report) is written into the statements as a value, as it always was. Several (a
    trend) become the rows of a small table, `aging_dates`, that the ledger's rows are joined
    with on "dated on or before it": every figure then carries its `as_of` date and is grouped
    by it, so one scan of the ledger answers every date.
    """

    def __init__(self, dates: dt.date | Sequence[dt.date]) -> None:
        if isinstance(dates, dt.date):
            self.dates: tuple[dt.date, ...] = (dates,)
            self.table: sa.Subquery | None = None
        else:
            self.dates = tuple(sorted(set(dates)))
            if not self.dates:
                raise ValueError("Aging on several dates needs at least one date.")
            rows = [
                sa.select(date_value(sa.literal(day, sa.Date)).label("as_of")) for day in self.dates
            ]
            self.table = sa.union_all(*rows).subquery("aging_dates")

    @property
    def value(self) -> Any:
        """The as-of date in a condition: the date itself, or the `aging_dates` column."""
        return self.dates[0] if self.table is None else self.table.c.as_of

    @property
    def date_expression(self) -> Any:
        """The as-of date as a SQL date, for the days past due."""
        return sa.literal(self.dates[0], sa.Date) if self.table is None else self.table.c.as_of

    @property
    def columns(self) -> tuple[Any, ...]:
        """What each row of the ledger is selected and grouped with: nothing, or its `as_of`."""
        return () if self.table is None else (self.table.c.as_of,)

    def of(self, subquery: sa.Subquery) -> tuple[Any, ...]:
        """`subquery`'s `as_of` column, where it has one."""
        return () if self.table is None else (subquery.c.as_of,)

    def joined_to(self, table: Any) -> Any:
        """`table`, or `table` with every as-of date (the conditions then say which apply)."""
        return table if self.table is None else sa.join(table, self.table, sa.true())


def _applied_cents_as_of(aged: AgedOn) -> sa.Subquery:
    """invoice_id -> cents of payments and credit notes applied to it, dated on or before D."""
    applied = sa.union_all(
        sa.select(
            *aged.columns,
            Payment.invoice_id.label("invoice_id"),
            cents(Payment.amount).label("cents"),
        )
        .select_from(aged.joined_to(Payment.__table__))
        .where(Payment.invoice_id.is_not(None), Payment.payment_date <= aged.value),
        sa.select(*aged.columns, CreditNote.invoice_id, cents(CreditNote.amount))
        .select_from(aged.joined_to(CreditNote.__table__))
        .where(CreditNote.invoice_id.is_not(None), CreditNote.issue_date <= aged.value),
    ).subquery()
    keys = (*aged.of(applied), applied.c.invoice_id)
    return (
        sa.select(*keys, sa.func.sum(applied.c.cents).label("applied_cents"))
        .group_by(*keys)
        .subquery()
    )


def _matching_search(parameters: AgingParameters) -> sa.ColumnElement[bool]:
    """The search matches the label columns the viewer may read, and no other: matching a hidden
    one would answer guesses about it."""
    text, viewer = parameters.search, parameters.viewer
    managers_found = sa.select(User.id).where(User.email.icontains(text, autoescape=True))
    matches = {
        "account_code": Account.code.icontains(text, autoescape=True),
        "account_name": Account.name.icontains(text, autoescape=True),
        "account_manager": Account.account_manager_id.in_(managers_found),
    }
    readable = [match for column, match in matches.items() if may_read_column(column, viewer)]
    return sa.or_(*readable) if readable else sa.false()


def accounts_chosen(parameters: AgingParameters) -> sa.Select[tuple[int]] | None:
    """The ids of the accounts the search, manager, group and type filters keep; None: no filter.

    An account group includes its sub-groups.
    """
    conditions = []
    if parameters.search:
        conditions.append(_matching_search(parameters))
    if parameters.account_manager_id == 0:
        conditions.append(Account.account_manager_id.is_(None))
    elif parameters.account_manager_id is not None:
        conditions.append(Account.account_manager_id == parameters.account_manager_id)
    if parameters.account_type:
        conditions.append(Account.type == parameters.account_type)
    if parameters.account_group_id is not None:
        tree = (
            sa.select(AccountGroup.id)
            .where(AccountGroup.id == parameters.account_group_id)
            .cte("group_tree", recursive=True)
        )
        tree = tree.union_all(sa.select(AccountGroup.id).where(AccountGroup.parent_id == tree.c.id))
        conditions.append(Account.group_id.in_(sa.select(tree.c.id)))
    return sa.select(Account.id).where(*conditions) if conditions else None


def bucket_number(days_past: Any, edges: tuple[int, ...]) -> sa.ColumnElement[int]:
    """The bucket of a days-past-due value, numbered as `bucket_names` names them: due on D is
    current (0), 30 days is in 1-30 and 31 in 31-60 (edges 30, 60, 90), over the last edge last."""
    upper_ends = [(days_past <= 0, 0)]
    upper_ends += [(days_past <= edge, number) for number, edge in enumerate(edges, start=1)]
    return sa.case(*upper_ends, else_=len(edges) + 1)


def open_amounts_as_of(parameters: AgingParameters, aged: AgedOn | None = None) -> sa.Select[Any]:
    """One row per counted invoice (see `_open_amounts`), as of `parameters.as_of` or `aged`."""
    return _open_amounts(parameters, aged or AgedOn(parameters.as_of), accounts_chosen(parameters))


def _open_amounts(
    parameters: AgingParameters, aged: AgedOn, chosen: sa.Select[tuple[int]] | None
) -> sa.Select[Any]:
    """One row per counted invoice (and as-of date, aged on several): its open amount as of D in
    cents (may be 0 or negative), days past due (or since issue) and bucket number.

    Counted: issued on or before D, neither draft nor void, within the viewer's accounts and the
    filters. A negative open amount is an overpayment: account credit, not a receivable.
    """
    applied = _applied_cents_as_of(aged)
    age_from = Invoice.due_date if parameters.basis == "due" else Invoice.issue_date
    days_past = days_from(age_from, aged.date_expression)
    applied_to_it = sa.and_(
        applied.c.invoice_id == Invoice.id,
        *(mine == its for mine, its in zip(aged.columns, aged.of(applied), strict=True)),
    )
    statement = (
        sa.select(
            *aged.columns,
            Invoice.id.label("invoice_id"),
            Invoice.account_id,
            Invoice.currency,
            days_past.label("days_past"),
            bucket_number(days_past, parameters.bucket_edges).label("bucket"),
            Invoice.disputed,
            (cents(Invoice.amount) - sa.func.coalesce(applied.c.applied_cents, 0)).label(
                "open_cents"
            ),
        )
        .select_from(aged.joined_to(Invoice.__table__).outerjoin(applied, applied_to_it))
        .where(
            mostly_true(Invoice.issue_date <= aged.value),
            Invoice.status.not_in(COUNTED_OUT_STATUSES),
        )
    )
    if parameters.disputed_only:
        statement = statement.where(Invoice.disputed.is_(True))
    if chosen is not None:
        statement = statement.where(Invoice.account_id.in_(chosen))
    return restrict_to_visible_rows(statement, Invoice, parameters.viewer)


def _unapplied_cents_as_of(
    parameters: AgingParameters, aged: AgedOn, chosen: sa.Select[tuple[int]] | None
) -> sa.Select[Any]:
    """account_id -> cents of payments and credit notes on no invoice, dated on or before D."""
    viewer = parameters.viewer
    payments = restrict_to_visible_rows(
        sa.select(
            *aged.columns,
            Payment.account_id.label("account_id"),
            cents(Payment.amount).label("cents"),
        )
        .select_from(aged.joined_to(Payment.__table__))
        .where(Payment.invoice_id.is_(None), Payment.payment_date <= aged.value),
        Payment,
        viewer,
    )
    credit_notes = restrict_to_visible_rows(
        sa.select(*aged.columns, CreditNote.account_id, cents(CreditNote.amount))
        .select_from(aged.joined_to(CreditNote.__table__))
        .where(CreditNote.invoice_id.is_(None), CreditNote.issue_date <= aged.value),
        CreditNote,
        viewer,
    )
    credits = sa.union_all(payments, credit_notes).subquery()
    keys = (*aged.of(credits), credits.c.account_id)
    statement = sa.select(
        *keys, sa.cast(sa.func.sum(credits.c.cents), sa.BigInteger).label("cents")
    ).group_by(*keys)
    if chosen is not None:
        statement = statement.where(credits.c.account_id.in_(chosen))
    return statement


def _summed(expression: Any) -> Any:
    return sa.cast(sa.func.sum(expression), sa.BigInteger)


def _invoice_figures(
    parameters: AgingParameters, grouping: str, aged: AgedOn, chosen: sa.Select[tuple[int]] | None
) -> sa.Select[Any]:
    """Each counted invoice's part of its row's figures, in cents, keyed by its manager (0 for
    none) or account: its open amount in its bucket's column (columns named as `bucket_names`),
    disputed and excess cents, and 1 in `open_invoices` when it is open."""
    invoices = _open_amounts(parameters, aged, chosen).subquery()
    open_cents = invoices.c.open_cents
    is_open = open_cents > 0
    if grouping == "account-manager":
        key = sa.func.coalesce(Account.account_manager_id, 0)
        source = invoices.join(Account, Account.id == invoices.c.account_id)
    else:
        key, source = invoices.c.account_id, invoices
    return (
        sa.select(
            *aged.of(invoices),
            key.label("key"),
            invoices.c.currency,
            *(
                sa.case((is_open & (invoices.c.bucket == number), open_cents), else_=0).label(name)
                for number, name in enumerate(bucket_names(parameters.bucket_edges))
            ),
            sa.case((is_open & invoices.c.disputed, open_cents), else_=0).label("disputed_cents"),
            sa.case((is_open, 1), else_=0).label("open_invoices"),
            sa.case((is_open, 0), else_=-open_cents).label("excess_cents"),
        )
        .select_from(source)
        .where(open_cents != 0)
    )


def _unapplied_by_account(
    parameters: AgingParameters, grouping: str, aged: AgedOn, chosen: sa.Select[tuple[int]] | None
) -> sa.Select[Any]:
    """Each account's unapplied credit in cents, keyed by its manager (0 for none) or itself."""
    credits = _unapplied_cents_as_of(parameters, aged, chosen).subquery()
    if grouping == "account":
        return sa.select(
            *aged.of(credits), credits.c.account_id.label("key"), credits.c.cents.label("cents")
        )
    key = sa.func.coalesce(Account.account_manager_id, 0)
    return sa.select(*aged.of(credits), key.label("key"), credits.c.cents.label("cents")).join(
        Account, Account.id == credits.c.account_id
    )


def _zero() -> sa.ColumnElement[int]:
    return sa.cast(sa.literal(0), sa.BigInteger)


def _figures_by_key(parameters: AgingParameters, grouping: str, aged: AgedOn) -> sa.Select[Any]:
    """Every figure of a report row in cents, one row per (key, currency) (per as-of date, key
    and currency): the buckets, total, unapplied credit, net total, disputed and open invoices.

    One statement and one grouping: each invoice's figures and each account's unapplied credit
    (in the default currency) are the two branches of a UNION ALL, summed per key and currency,
    so a report reads the ledger in one round trip and groups its rows once (by account, a
    second grouping of 250,000 rows cost DuckDB a third of its time). With `disputed_only` there
    is no unapplied credit: it belongs to no invoice, disputed or not."""
    names = bucket_names(parameters.bucket_edges)
    # One account filter for both branches: its group tree is then one CTE, read once (DuckDB
    # over PostgreSQL waited forever on two recursive scans of account_groups in one query).
    chosen = accounts_chosen(parameters)
    invoices = _invoice_figures(parameters, grouping, aged, chosen)
    branches = [invoices.add_columns(_zero().label("credit_cents"))]
    if not parameters.disputed_only:
        credit = _unapplied_by_account(parameters, grouping, aged, chosen).subquery()
        currency = sa.cast(sa.literal(DEFAULT_CURRENCY), Invoice.currency.type)
        branches.append(
            sa.select(
                *aged.of(credit),
                credit.c.key,
                currency.label("currency"),
                *(_zero().label(name) for name in names),
                *(_zero().label(name) for name in ("disputed_cents", "open_invoices")),
                _zero().label("excess_cents"),
                credit.c.cents.label("credit_cents"),
            )
        )
    figures = sa.union_all(*branches).subquery("figures")
    buckets = [_summed(figures.c[name]).label(name) for name in names]
    total = sum((_summed(figures.c[name]) for name in names[1:]), _summed(figures.c[names[0]]))
    unapplied = _summed(figures.c.excess_cents) + _summed(figures.c.credit_cents)
    keys = (*aged.of(figures), figures.c.key, figures.c.currency)
    return sa.select(
        *keys,
        *buckets,
        total.label("total"),
        unapplied.label("unapplied_credit"),
        (total - unapplied).label("net_total"),
        _summed(figures.c.disputed_cents).label("disputed"),
        _summed(figures.c.open_invoices).label("open_invoices"),
    ).group_by(*keys)


def rows_of(session: Session, statement: sa.Select[Any]) -> pd.DataFrame:
    """The rows of a ledger-wide statement (the aging's, or any sum over the ledger that pages
    wait for), from DuckDB where it can run them.

    Otherwise the session runs them; on PostgreSQL without JIT (it compiles the plan for longer
    than the plan runs) and with room to hash every invoice's payments in memory.
    """
    if aging_engine() == "duckdb":
        frame = frame_through_duckdb(session.get_bind(), statement)
        if frame is not None:
            return frame
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    return frame_of(session, statement)


def _aging_frame(
    session: Session, parameters: AgingParameters, grouping: str, aged: AgedOn
) -> pd.DataFrame:
    """The aging figures in cents per (key, currency), or per (as_of, key, currency), in that
    order (DuckDB returns groups in any order; a widget lists them as they come)."""
    figures = _with_dates(rows_of(session, _figures_by_key(parameters, grouping, aged)))
    amounts = [*money_columns(parameters.bucket_edges), "open_invoices"]
    figures[amounts] = figures[amounts].astype("int64")
    keys = [*(column.name for column in aged.columns), "key", "currency"]
    return figures.sort_values(keys, ignore_index=True)


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """`as_of` as Python dates, whichever engine read them (DuckDB: timestamps; SQLite: text)."""
    if "as_of" in frame.columns:
        frame["as_of"] = [dt.date.fromisoformat(str(day)[:10]) for day in frame["as_of"]]
    return frame


def aging_by_key(session: Session, parameters: AgingParameters, grouping: str) -> pd.DataFrame:
    """The aging figures in cents per (key, currency).

    The key is a manager's user id (0 for accounts without one) or an account id.
    """
    return _aging_frame(session, parameters, grouping, AgedOn(parameters.as_of))


def aging_by_key_on_dates(
    session: Session, parameters: AgingParameters, grouping: str, dates: Sequence[dt.date]
) -> pd.DataFrame:
    """`aging_by_key` on each of `dates` (instead of `parameters.as_of`) in one pass over the
    ledger: the same columns after a leading `as_of`; a date with nothing owed has no row."""
    return _aging_frame(session, parameters, grouping, AgedOn(dates))


def _report_statement(
    parameters: AgingParameters, grouping: str, first_rows: int | None = None
) -> sa.Select[Any]:
    """The report in one statement: its rows (figures in cents with their labels: manager
    e-mails, or account code, name and manager), sorted by the first label, then currency, then
    one TOTAL row per currency, the sum of that currency's rows, with `rows`, how many rows it
    sums (the rows themselves have none).

    With `first_rows`, only that many first rows come back, and the totals and counts are still
    over every row: a page's first rows without sending the other 250,000.

    A label the viewer may not read is not sorted by (the rows keep the keys' order instead):
    sorting by it would tell its values apart."""
    figures = _figures_by_key(parameters, grouping, AgedOn(parameters.as_of)).subquery("figures")
    manager_email = sa.func.coalesce(User.email, UNASSIGNED).label("account_manager")
    if grouping == "account-manager":
        labels = (manager_email,)
        source = figures.outerjoin(User, User.id == figures.c.key)
    else:
        named = restrict_to_visible_rows(
            sa.select(
                Account.id,
                Account.code.label("account_code"),
                Account.name.label("account_name"),
                manager_email,
            ).outerjoin(User, User.id == Account.account_manager_id),
            Account,
            parameters.viewer,
        ).subquery("labels")
        labels = (named.c.account_code, named.c.account_name, named.c.account_manager)
        source = figures.outerjoin(named, named.c.id == figures.c.key)
    amount_names = (*money_columns(parameters.bucket_edges), "open_invoices")
    report = (
        sa.select(
            figures.c.key, *labels, figures.c.currency, *(figures.c[name] for name in amount_names)
        )
        .select_from(source)
        .cte("report")
        .prefix_with("MATERIALIZED")  # read twice (rows, totals), computed once
    )
    label_names = LABEL_COLUMNS[grouping]
    readable = may_read_column(label_names[0], parameters.viewer)

    def report_order(rows: Any) -> list[Any]:
        first_label = [in_code_point_order(rows.c[label_names[0]])] if readable else []
        return [*first_label, in_code_point_order(rows.c.currency), rows.c.key]

    no_count = sa.cast(sa.null(), sa.BigInteger)
    rows = sa.select(report, sa.literal(0).label("is_total"), no_count.label("rows"))
    if first_rows is not None:
        first = rows.order_by(*report_order(report)).limit(first_rows).subquery("first_rows")
        rows = sa.select(first)
    totals = sa.select(
        sa.cast(sa.null(), report.c.key.type).label("key"),
        sa.literal(TOTAL).label(label_names[0]),
        *(sa.literal("").label(label) for label in label_names[1:]),
        report.c.currency,
        *(_summed(report.c[name]).label(name) for name in amount_names),
        sa.literal(1).label("is_total"),
        _summed(1).label("rows"),
    ).group_by(report.c.currency)
    both = sa.union_all(rows, totals).subquery("report_rows")
    return sa.select(*(column for column in both.c if column.name != "is_total")).order_by(
        both.c.is_total, *report_order(both)
    )


def aging_report_in_cents(
    session: Session, parameters: AgingParameters, grouping: str
) -> pd.DataFrame:
    """`aging_report` with its amounts still in integer cents: what a page sorts and pages
    before it turns the rows it shows into money (`in_money`)."""
    return first_rows_in_cents(session, parameters, grouping)[0]


def first_rows_in_cents(
    session: Session, parameters: AgingParameters, grouping: str, first_rows: int | None = None
) -> tuple[pd.DataFrame, int]:
    """(`aging_report_in_cents` with only its first `first_rows` rows and its TOTAL rows, how
    many rows the whole report has): the first pages of a report without the rest."""
    if grouping not in GROUPINGS:
        raise ValueError(f"A report is by {' or '.join(GROUPINGS)}, not {grouping!r}.")
    report = rows_of(session, _report_statement(parameters, grouping, first_rows))
    import pandas as pd  # after the statement is sent: a command loads pandas meanwhile

    amounts = [*money_columns(parameters.bucket_edges), "open_invoices"]
    report[amounts] = report[amounts].astype("int64")
    report.index = pd.Index(report["key"], name="id", dtype="Int64")
    row_count = int(report["rows"].sum())  # a TOTAL row's count; the rows' are empty
    return readable_report(
        report[aging_columns(grouping, parameters.bucket_edges)], parameters.viewer
    ), row_count


def in_money(report: pd.DataFrame, edges: tuple[int, ...]) -> pd.DataFrame:
    """A report frame's amounts (buckets of `edges` and summary columns) from cents to `Decimal`
    with two places; the open invoice count stays a count."""
    money = money_columns(edges)
    return report.assign(**{column: money_of_cents(report[column]) for column in money})


def aging_report(session: Session, parameters: AgingParameters, grouping: str) -> pd.DataFrame:
    """The aging report by `grouping` ("account-manager" or "account"), in contract columns.

    Rows sorted by manager e-mail (or account code), then currency; then a TOTAL row per
    currency. Amounts are Decimal with two places; the index holds the manager or account id
    (missing on TOTAL rows) for links, and is not part of any export.
    """
    return in_money(aging_report_in_cents(session, parameters, grouping), parameters.bucket_edges)


def money_of_cents(cents_column: Any) -> list[Decimal]:
    """Whole cents as `Decimal` amounts with two places (`1234` -> `Decimal("12.34")`)."""
    return [Decimal(int(value)).scaleb(-2) for value in cents_column]


def open_invoices_of_account(
    session: Session, parameters: AgingParameters, account_id: int
) -> pd.DataFrame:
    """The drill-down under an account: its open invoices as of D with days past due."""
    counted = open_amounts_as_of(parameters).subquery()
    statement = (
        sa.select(
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.currency,
            cents(Invoice.amount).label("amount"),
            counted.c.open_cents.label("open_amount"),
            counted.c.days_past.label("days_past_due"),
            counted.c.bucket,
            Invoice.disputed,
        )
        .join(counted, counted.c.invoice_id == Invoice.id)
        .where(counted.c.account_id == account_id, counted.c.open_cents > 0)
        .order_by(Invoice.due_date, Invoice.number)
    )
    invoices = frame_of(session, statement)
    invoices["days_past_due"] = invoices["days_past_due"].astype("int64")
    names = bucket_names(parameters.bucket_edges)
    invoices["bucket"] = [names[number] for number in invoices["bucket"]]
    for column in ("amount", "open_amount"):
        invoices[column] = money_of_cents(invoices[column])
    return readable_report(invoices, parameters.viewer)

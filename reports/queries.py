"""SQL building blocks every report uses: exact cents, whole days between dates, a SQLite planner
hint, frames from Core SELECTs, and the viewer the command line reports as."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from models.ledger import cents as cents  # defined beside the ledger's sums, which use it too

if TYPE_CHECKING:  # imported where a frame is made (`frame_of`), not by statements' builders
    import pandas as pd


class FullAccess:
    """The viewer the command line reports as: it runs with the server's rights, every row."""

    id = 0
    role = "command_line"


FULL_ACCESS = FullAccess()


class mostly_true(FunctionElement[bool]):  # noqa: N801 - used like a SQL function
    """A condition most rows meet, such as "issued on or before D".

    SQLite walks an index for any range it can, row by row; told that most rows pass, it scans
    the table instead, a third faster on a million invoices. Other databases see the condition.
    """

    type = sa.Boolean()
    inherit_cache = True


@compiles(mostly_true)
def _condition_as_is(element: mostly_true, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(mostly_true, "sqlite")
def _condition_with_likelihood(element: mostly_true, compiler: Any, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.9)"


class days_from(FunctionElement[int]):  # noqa: N801 - used like a SQL function
    """`days_from(date_column, as_of)`: whole days from the column's date to `as_of`.

    PostgreSQL and DuckDB subtract dates; SQLite, which stores dates as text, goes through
    julianday. `as_of` is a Python date, sent as a bound parameter.
    """

    type = sa.Integer()
    inherit_cache = True


@compiles(days_from)
def _date_difference(element: days_from, compiler: Any, **kw: Any) -> str:
    column, as_of = element.clauses
    return f"(CAST({compiler.process(as_of, **kw)} AS DATE) - {compiler.process(column, **kw)})"


@compiles(days_from, "sqlite")
def _julian_day_difference(element: days_from, compiler: Any, **kw: Any) -> str:
    column, as_of = element.clauses
    later, earlier = compiler.process(as_of, **kw), compiler.process(column, **kw)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


class date_value(FunctionElement[Any]):  # noqa: N801 - used like a SQL function
    """`date_value(sa.literal(day, sa.Date))`: a date as a value of its own, not compared with a
    column (a row of a table of dates): typed DATE for PostgreSQL and DuckDB, which would
    otherwise read the text as text; SQLite stores dates as text and compares them as such."""

    type = sa.Date()
    inherit_cache = True


@compiles(date_value)
def _typed_date(element: date_value, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(date_value, "sqlite")
def _text_date(element: date_value, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class in_code_point_order(FunctionElement[Any]):  # noqa: N801 - used like a SQL function
    """Text ordered by code point, as Python sorts it, whatever the database's collation.

    PostgreSQL sorts by its collation (in `en_US` it skips punctuation: "(unassigned)" among
    the u's); `COLLATE "C"` orders by byte, which DuckDB also understands. SQLite's default
    (BINARY) already orders by byte."""

    type = sa.String()
    inherit_cache = True


@compiles(in_code_point_order)
def _c_collation(element: in_code_point_order, compiler: Any, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


@compiles(in_code_point_order, "sqlite")
def _binary_collation(element: in_code_point_order, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


def frame_of(session: Session, statement: sa.Select[Any]) -> pd.DataFrame:
    """The rows of a Core SELECT as a frame (no ORM row processing on the way).

    The rows are turned into columns first: given `Row` objects, pandas probes each one for
    attributes, which a Row answers slowly (a second for 100,000 accounts)."""
    import pandas as pd

    result = session.connection().execute(statement)
    names, rows = list(result.keys()), result.fetchall()
    if not rows:
        return pd.DataFrame(columns=names)
    return pd.DataFrame(dict(zip(names, zip(*rows, strict=True), strict=True)))

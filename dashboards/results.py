"""What widgets return: plain values the cache can keep and the templates can draw.

Money is a `Decimal` with its currency beside it; no result adds amounts of two currencies.
A link is an (endpoint, arguments) pair, turned into a URL when the page is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Link = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Amount:
    """A cell holding money: shown with its currency ("GBP 1,234.56"); a credit limit, which has
    no currency in this data model, without one."""

    value: Decimal
    currency: str | None = None

    def __str__(self) -> str:
        number = f"{self.value:,.2f}"
        return f"{self.currency} {number}" if self.currency else number


@dataclass(frozen=True)
class FigureLine:
    """One figure of a tile: an amount in a currency, or a count or number with its unit."""

    value: Decimal | int | None
    currency: str | None = None
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class FigureResult:
    lines: tuple[FigureLine, ...]
    empty_text: str
    link: Link | None = None


@dataclass(frozen=True)
class ChartPanel:
    """One currency's bars: `values[i][j]` is series j of category i, in that currency."""

    currency: str
    categories: tuple[str, ...]
    values: tuple[tuple[Decimal, ...], ...]


@dataclass(frozen=True)
class ChartResult:
    series: tuple[str, ...]
    panels: tuple[ChartPanel, ...]
    horizontal: bool
    empty_text: str
    link: Link | None = None


@dataclass(frozen=True)
class RowsResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    """Cells, drawn as text (an `Amount` with its currency, a date as YYYY-MM-DD)."""
    links: tuple[Link | None, ...]
    empty_text: str
    link: Link | None = None


@dataclass(frozen=True)
class AccountLine:
    account_id: int
    code: str | None
    name: str | None
    currency: str | None
    open_amount: Decimal
    overdue: Decimal
    open_invoices: int
    credit_limit: Decimal | None
    limit_used_percent: int | None


@dataclass(frozen=True)
class AccountsResult:
    accounts: tuple[AccountLine, ...]
    shows_credit: bool
    more: int = 0
    """Accounts beyond the widget's limit, not listed."""


@dataclass(frozen=True)
class LinksResult:
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default_factory=tuple)

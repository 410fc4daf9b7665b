"""What an aging report is asked for (as of, basis, buckets, filters) and the columns it answers.

Kept apart from `reports/aging.py`, which computes the figures, so that the command line and
the report pages can read and check parameters without importing pandas and DuckDB: `flask
report aging --help` answers in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the models: not for `flask report aging --help`
    from models.scoping import HasRole

BASES = ("due", "issue")
GROUPINGS = ("account-manager", "account")
DEFAULT_BUCKET_EDGES = (30, 60, 90)
MAX_BUCKET_EDGES = 12
"""A report's columns, its chart's colours and the printed page have room for 13 buckets."""
MAX_BUCKET_EDGE_DAYS = 36_500
BUCKETS_TOO_MANY_OR_TOO_LONG = (
    f"At most {MAX_BUCKET_EDGES} bucket edges, none above {MAX_BUCKET_EDGE_DAYS:,} days."
)
SUMMARY_COLUMNS = ("total", "unapplied_credit", "net_total", "disputed")
LABEL_COLUMNS = {
    "account-manager": ("account_manager",),
    "account": ("account_code", "account_name", "account_manager"),
}


@dataclass(frozen=True)
class AgingParameters:
    """What an aging report is asked for; `viewer` decides which accounts it covers."""

    as_of: dt.date
    viewer: HasRole
    basis: str = "due"
    bucket_edges: tuple[int, ...] = DEFAULT_BUCKET_EDGES
    account_group_id: int | None = None
    account_type: str | None = None
    disputed_only: bool = False
    account_manager_id: int | None = None
    """Only the accounts this user is account manager of (0: accounts without a manager)."""
    search: str = ""
    """Only the accounts whose code, name or manager's e-mail contains this (any case)."""

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"The basis must be one of {', '.join(BASES)}, not {self.basis!r}.")
        check_bucket_edges(self.bucket_edges)

    def description(self) -> str:
        """The parameters in words, for the heading of a printed report."""
        words = [
            f"As of {self.as_of.isoformat()}",
            f"days past the {self.basis} date",
            f"buckets {','.join(map(str, self.bucket_edges))}",
        ]
        if self.account_type:
            words.append(f"account type {self.account_type}")
        if self.account_group_id is not None:
            words.append(f"account group #{self.account_group_id} and its sub-groups")
        if self.disputed_only:
            words.append("disputed invoices only")
        if self.search:
            words.append(f"accounts matching {self.search!r}")
        return "; ".join(words) + "."


def check_bucket_edges(edges: tuple[int, ...]) -> None:
    if not edges or any(edge <= 0 for edge in edges) or list(edges) != sorted(set(edges)):
        raise ValueError("Bucket edges must be whole days above 0, in increasing order (30,60,90).")
    if len(edges) > MAX_BUCKET_EDGES or edges[-1] > MAX_BUCKET_EDGE_DAYS:
        raise ValueError(BUCKETS_TOO_MANY_OR_TOO_LONG)


def parse_bucket_edges(text: str) -> tuple[int, ...]:
    """`"30,60,90"` -> (30, 60, 90); a ValueError that says what is wrong otherwise."""
    parts = text.split(",")
    if len(parts) > MAX_BUCKET_EDGES:
        raise ValueError(BUCKETS_TOO_MANY_OR_TOO_LONG)
    try:
        edges = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"Bucket edges must be whole numbers of days separated by commas, not {text!r}."
        ) from None
    check_bucket_edges(edges)
    return edges


def bucket_names(edges: tuple[int, ...]) -> list[str]:
    """`current`, `days_1_30`, `days_31_60`, ..., `days_over_90` for edges (30, 60, 90)."""
    starts = (0, *edges[:-1])
    ranges = [f"days_{start + 1}_{end}" for start, end in zip(starts, edges, strict=True)]
    return ["current", *ranges, f"days_over_{edges[-1]}"]


def aging_columns(grouping: str, edges: tuple[int, ...]) -> list[str]:
    """The CSV columns of an aging report, in contract order."""
    return [*LABEL_COLUMNS[grouping], "currency", *bucket_names(edges), "total",
            "unapplied_credit", "net_total", "disputed", "open_invoices"]  # fmt: skip


def money_columns(edges: tuple[int, ...]) -> list[str]:
    return [*bucket_names(edges), *SUMMARY_COLUMNS]

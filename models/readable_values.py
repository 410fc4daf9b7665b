"""Values as a person reads them, the same on every page, PDF and e-mail: timestamps to the
minute with their time zone named, money with its currency.

Timestamps are stored as naive UTC (`models.base.utcnow`), so UTC is the zone they are shown in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

TIME_ZONE_NAME = "UTC"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"


def timestamp_text(value: dt.datetime | None) -> str:
    """`2026-11-27 19:03 UTC`: no seconds or microseconds, the zone named."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return f"{value:{TIMESTAMP_FORMAT}} {TIME_ZONE_NAME}"


def money_text(amount: Decimal | float | int | None, currency: str | None) -> str:
    """`GBP 1,234.50`: two decimals, thousands separated, the currency first."""
    if amount is None:
        return ""
    figure = f"{Decimal(str(amount)):,.2f}"
    return f"{currency} {figure}" if currency else figure


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 row`, `3 rows`: a count with its noun."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def readable_scalar(value: Any) -> Any:
    """A timestamp as `timestamp_text`; any other value as it is."""
    return timestamp_text(value) if isinstance(value, dt.datetime) else value

"""Turning the text of one cell into a Python value, or a reason a person can act on.

Every parser takes the stripped, non-empty text of a cell and returns the value, or raises
`CellError` with the reason. Rules between fields (due date after issue date, amounts above zero)
are not here: they live on the models (`cross_field_errors`) and validation calls them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from reports.cell_safety import FORMULA_TRIGGERS

CellParser = Callable[[str], Any]

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_MONEY = re.compile(r"^[+-]?\d{1,10}(\.\d{1,2})?$")
FEW_VALUES = 4096
"""Columns with few distinct values (dates, choices) cache their parsed cells: a million-row
import repeats the same few hundred dates and statuses."""
MONEY_DIGITS_BEFORE_POINT = 10
"""Money is `Numeric(12, 2)`: ten digits before the point, two after."""


class CellError(ValueError):
    """A cell whose text is not a valid value; the message is the reason shown to the user."""


def restore_neutralised_text(text: str) -> str:
    """Undo the `'` our exports put before formula-like text, so export -> import round-trips."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def text(max_length: int | None) -> CellParser:
    def parse_text(cell: str) -> str:
        if cell[0] == "'":
            cell = restore_neutralised_text(cell)
        if max_length is not None and len(cell) > max_length:
            raise CellError(f"Too long: at most {max_length} characters.")
        return cell

    return parse_text


def email(cell: str) -> str:
    if not _EMAIL.match(cell):
        raise CellError("Not an e-mail address.")
    if len(cell) > 254:
        raise CellError("Too long: at most 254 characters.")
    return cell.lower()


def choice(allowed: Collection[str]) -> CellParser:
    listed = ", ".join(allowed)

    @functools.lru_cache(maxsize=FEW_VALUES)
    def parse_choice(cell: str) -> str:
        value = cell.lower()
        if value not in allowed:
            raise CellError(f"Must be one of: {listed}.")
        return value

    return parse_choice


@functools.lru_cache(maxsize=FEW_VALUES)
def iso_date(cell: str) -> dt.date:
    """Only `YYYY-MM-DD`: `03/04/2026` means a different day in London and in New York."""
    if len(cell) != 10 or cell[4] != "-" or cell[7] != "-":
        raise CellError("Not a date in the expected format YYYY-MM-DD (for example 2026-01-31).")
    try:
        return dt.date.fromisoformat(cell)
    except ValueError:
        raise CellError("Not a real date; the expected format is YYYY-MM-DD.") from None


def money(cell: str) -> Decimal:
    """Decimal to the cent: no floats, no thousands separators, at most two decimals."""
    if _PLAIN_MONEY.match(cell):  # the common case, checked by the pattern alone
        return Decimal(cell)
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise CellError("Not an amount: use digits and a point, like 1200.50.") from None
    if not value.is_finite():
        raise CellError("Not an amount: use digits and a point, like 1200.50.")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CellError("More than 2 decimals: amounts are to the cent.")
    if value.adjusted() >= MONEY_DIGITS_BEFORE_POINT:
        raise CellError("Too large: at most 9999999999.99.")
    return value


def whole_number(cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        raise CellError("Not a whole number.") from None


@functools.lru_cache(maxsize=FEW_VALUES)
def boolean(cell: str) -> bool:
    value = cell.lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise CellError("Not a yes/no value: use true/false, yes/no or 1/0.")


@functools.lru_cache(maxsize=FEW_VALUES)
def currency(cell: str) -> str:
    value = cell.upper()
    if not _CURRENCY.match(value):
        raise CellError("Not a currency code: three letters such as GBP, EUR or USD.")
    return value

"""Turning the text of cells into Python values, or reasons a person can act on.

Every parser takes the stripped, non-empty text of a cell and returns the value, or raises
`CellError` with the reason. `parse_column` applies one parser to a whole column of a batch.
Rules between fields (due date after issue date, amounts above zero) are not here: they live on
the models (`cross_field_errors`) and validation calls them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reports.cell_safety import restore_neutralised_text

CellParser = Callable[[str], Any]
"""Some parsers (`Text`, `Money`) also check a whole column at once: `whole_column(cells)`
returns every value, or None if some cell needs the one-by-one way."""

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_AMOUNT = r"[+-]?\d{1,10}(?:\.\d{1,2})?"
_PLAIN_MONEY = re.compile(_PLAIN_AMOUNT)
_PLAIN_MONEY_LINES = re.compile(f"{_PLAIN_AMOUNT}(?:\n{_PLAIN_AMOUNT})*")
FEW_VALUES = 4096
"""Parsers of columns with few distinct values (dates, choices) remember their answers: each
batch parses its distinct texts once, and this spares every batch the same few hundred dates."""
DISTINCT_SAMPLE = 100
"""Cells `parse_column` looks at to tell a column of repeated texts from one of distinct texts."""
MONEY_DIGITS_BEFORE_POINT = 10
"""Money is `Numeric(12, 2)`: ten digits before the point, two after."""


class CellError(ValueError):
    """A cell whose text is not a valid value; the message is the reason shown to the user."""


class Text:
    """Text of at most `max_length` characters; the quote our exports put before a formula is
    taken off again."""

    def __init__(self, max_length: int | None) -> None:
        self.max_length = max_length

    def __call__(self, cell: str) -> str:
        if "'" in cell:
            cell = restore_neutralised_text(cell)
        if self.max_length is not None and len(cell) > self.max_length:
            raise CellError(f"Too long: at most {self.max_length} characters.")
        return cell

    def whole_column(self, cells: Sequence[str]) -> list[str] | None:
        """The cells as they are, if none is too long or has a quote at the start of a line;
        else None.

        A quote at the start of a cell shows as a line break then a quote in the cells joined
        by line breaks; one after a line break inside a cell, as a line break or CR then a quote.
        """
        if self.max_length is not None and max(map(len, cells)) > self.max_length:
            return None
        joined = "\n" + "\n".join(cells)
        if "\n'" in joined or "\r'" in joined:
            return None
        return list(cells)


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


class Money:
    """Decimal to the cent: no floats, no thousands separators, at most two decimals."""

    def __call__(self, cell: str) -> Decimal:
        if _PLAIN_MONEY.fullmatch(cell):  # the common case, checked by the pattern alone
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

    def whole_column(self, cells: Sequence[str]) -> list[Decimal] | None:
        """Every cell at once, if each is a plain amount (digits, at most two decimals).

        One pattern over the cells joined by line breaks is twice as fast as one per cell; a
        cell holding a line break itself shows as one break too many, and is not let through.
        """
        joined = "\n".join(cells)
        if joined.count("\n") == len(cells) - 1 and _PLAIN_MONEY_LINES.fullmatch(joined):
            return list(map(Decimal, cells))
        return None


money = Money()


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


@dataclass
class ParsedColumn:
    """One column of a batch after parsing, position by position."""

    values: list[Any]
    """The value of each cell; None where the cell is blank or refused."""
    blanks: list[int] = field(default_factory=list)
    """Positions of the blank cells."""
    refused: list[tuple[int, str]] = field(default_factory=list)
    """(position, reason) of the cells the parser refused."""


def parse_column(parse: CellParser, texts: Sequence[str]) -> ParsedColumn:
    """Parse every (stripped) cell of a column.

    A column whose texts repeat (dates, choices, flags: a few hundred distinct values in a
    million rows) is parsed once per distinct text. A column of mostly distinct texts (keys,
    amounts; told by its first cells) is checked as a whole where its parser can
    (`whole_column`), else goes through the parser in one `map`; only if a cell is refused or
    blank does it take the slower way that names each one. Either way gives the same values.
    """
    sample = texts[:DISTINCT_SAMPLE]
    if len(set(sample)) > len(sample) // 2 and "" not in texts:  # mostly distinct, none blank
        whole_column = getattr(parse, "whole_column", None)
        values = whole_column(texts) if whole_column is not None else None
        if values is not None:
            return ParsedColumn(values)
        try:
            return ParsedColumn(list(map(parse, texts)))
        except CellError:
            pass
    outcomes = {text: _outcome(parse, text) for text in set(texts)}
    parsed = ParsedColumn(list(map(outcomes.__getitem__, texts)))
    if "" in outcomes:
        parsed.blanks = [position for position, text in enumerate(texts) if not text]
    if any(isinstance(outcome, _Refusal) for outcome in outcomes.values()):
        values = parsed.values
        for position, value in enumerate(values):
            if isinstance(value, _Refusal):
                parsed.refused.append((position, value.reason))
                values[position] = None
    return parsed


class _Refusal:
    """Why a text was refused; kept instead of the exception, which would hold its frames."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _outcome(parse: CellParser, text: str) -> Any:
    """The parsed value of a text, a `_Refusal` saying why not, or None if the text is blank."""
    if not text:
        return None
    try:
        return parse(text)
    except CellError as error:
        return _Refusal(str(error))

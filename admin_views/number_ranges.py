"""Numbers a column can actually hold: refused in the form, not by the database.

Without these, "9999999999999" in a whole-number field or "1e309" in a money field reaches the
database and fails there (an overflow on PostgreSQL, a crash on SQLite) instead of showing the
user a field error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from wtforms import Field, Form, ValidationError
from wtforms.validators import NumberRange

MAX_INTEGER = 2**31 - 1
"""The largest value an INTEGER column holds on PostgreSQL (and the most an id will reach)."""
INTEGER_LIMITS = NumberRange(
    min=-MAX_INTEGER - 1, max=MAX_INTEGER, message="This number is too large."
)


class FitsNumeric:
    """A decimal that fits `Numeric(precision, scale)`: finite, not too large, not finer."""

    def __init__(self, precision: int, scale: int) -> None:
        self.limit = Decimal(10) ** (precision - scale)
        self.step = Decimal(1).scaleb(-scale)

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if value is None:
            return
        try:
            if not value.is_finite() or abs(value) >= self.limit:
                raise ValidationError(f"Enter a number below {self.limit:,}.")
            if value != value.quantize(self.step):
                raise ValidationError(f"Use at most {-self.step.as_tuple().exponent} decimals.")
        except InvalidOperation as error:
            raise ValidationError("Not a valid decimal value.") from error


def range_validators(model: type, form_fields: Any) -> dict[str, dict[str, list[Any]]]:
    """`form_args` for Flask-Admin: a range validator for every numeric column of the form."""
    columns = sa.inspect(model).columns
    args: dict[str, dict[str, list[Any]]] = {}
    for name in form_fields:
        column = columns.get(name)
        if column is None:
            continue
        if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float):
            args[name] = {"validators": [FitsNumeric(column.type.precision, column.type.scale)]}
        elif isinstance(column.type, sa.Integer):
            args[name] = {"validators": [INTEGER_LIMITS]}
    return args

"""Custom fields: typed definitions, the form field each type gets, and how values are stored.

Values live in the entity's JSON column as JSON-native values: text and choices as strings,
numbers as integers, decimals as strings (exact to the cent), dates as ISO strings, yes/no as
booleans. Every write goes through `to_stored` / `parse_text`, so a stored value always has
its definition's type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, Optional

FORM_PREFIX = "custom__"
TRUE_TEXT = frozenset({"true", "yes", "1"})
FALSE_TEXT = frozenset({"false", "no", "0"})


@dataclass(frozen=True)
class CustomFieldDefinition:
    key: str
    label: str
    type: str
    choices: tuple[str, ...]
    help_text: str
    show_in_list: bool

    @classmethod
    def of(cls, row: Any) -> CustomFieldDefinition:
        choices = tuple(
            option.strip() for option in (row.choices or "").splitlines() if option.strip()
        )
        return cls(row.key, row.label, row.type, choices, row.help_text or "", row.show_in_list)

    @property
    def form_name(self) -> str:
        return form_name(self.key)

    def form_field(self) -> UnboundField:
        """The WTForms field for this type; optional here, made required per role by the rules."""
        options = {"label": self.label, "description": self.help_text, "validators": [Optional()]}
        if self.type == "number":
            return IntegerField(**options)
        if self.type == "decimal":
            return DecimalField(places=2, **options)
        if self.type == "date":
            return DateField(format="%Y-%m-%d", **options)
        if self.type == "boolean":
            return BooleanField(label=self.label, description=self.help_text)
        if self.type == "choice":
            return SelectField(choices=[("", "—"), *((c, c) for c in self.choices)], **options)
        return StringField(label=self.label, description=self.help_text,
                           validators=[Optional(), Length(max=1000)])  # fmt: skip

    def to_stored(self, value: Any) -> Any:
        """A form value (already typed by WTForms) as it is kept in the JSON column."""
        if value is None or value == "":
            return None
        if self.type == "decimal":
            return str(Decimal(value).quantize(Decimal("0.01")))
        if self.type == "date":
            return value.isoformat()
        return value

    def from_stored(self, stored: Any) -> Any:
        """The stored JSON value as the form field expects it."""
        if stored is None:
            return None
        if self.type == "decimal":
            return Decimal(stored)
        if self.type == "date":
            return dt.date.fromisoformat(stored)
        return stored

    def parse_text(self, text: str) -> tuple[Any, str | None]:
        """(stored value, error) for a cell of an imported file or any other text input."""
        text = text.strip()
        if not text:
            return None, None
        try:
            return self._parse_non_empty(text), None
        except (ValueError, InvalidOperation):
            return None, self._format_hint()

    def _parse_non_empty(self, text: str) -> Any:
        if self.type == "number":
            return int(text)
        if self.type == "decimal":
            amount = Decimal(text)
            if amount != amount.quantize(Decimal("0.01")):
                raise ValueError(text)
            return str(amount.quantize(Decimal("0.01")))
        if self.type == "date":
            return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad(text)
        if self.type == "boolean":
            if text.lower() in TRUE_TEXT:
                return True
            if text.lower() in FALSE_TEXT:
                return False
            raise ValueError(text)
        if self.type == "choice" and text not in self.choices:
            raise ValueError(text)
        return text

    def _format_hint(self) -> str:
        return {
            "number": "must be a whole number",
            "decimal": "must be a number with at most two decimals",
            "date": "must be a date in the format YYYY-MM-DD",
            "boolean": "must be one of true/false/yes/no/1/0",
            "choice": f"must be one of: {', '.join(self.choices)}",
        }.get(self.type, "is not valid")

    def display(self, stored: Any) -> str:
        if stored is None:
            return ""
        if self.type == "boolean":
            return "yes" if stored else "no"
        return str(stored)


def _bad(text: str) -> None:
    raise ValueError(text)


def form_name(key: str) -> str:
    """Custom fields get their own prefix in forms, so a key never shadows a model column."""
    return f"{FORM_PREFIX}{key}"


def key_of(name: str) -> str | None:
    """The custom-field key behind a form or column name, or None for a model field."""
    return name[len(FORM_PREFIX) :] if name.startswith(FORM_PREFIX) else None

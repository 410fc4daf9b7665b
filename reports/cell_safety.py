"""Keeps spreadsheets from running exported text as a formula (CSV/formula injection)."""

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would evaluate with `'`; numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value

"""The effective list settings for one person and one entity: which columns, in which order, the
default sort, the default filters and the page size, from a view they chose, their role's
settings (Settings → Configure lists) or the generic view's own defaults.

What may be chosen (`ListChoices`) is read from the list view itself while it reads as the role,
so it is already narrowed by `forms_config.readability`: columns are the list's readable columns
(a field hidden from every record is not one; one hidden on a condition stays a column whose
cells are blanked row by row, as the default list does), sorts and filters leave out every field
hidden from any record (the cautious answer). `checked_settings` refuses anything else, with
reasons; `effective_settings` drops, silently, what a stored view names that a later rule hid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.base import RecordRefused

LEAST_PAGE_SIZE = 5
MOST_PAGE_SIZE = 200
MOST_FILTERS = 5
MOST_NAME_LENGTH = 80
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class FilterChoice:
    """One of Flask-Admin's filters of the list: `arg` is its URL argument (`flt0_<arg>=value`),
    `identity` names it by field and kind, so a stored filter survives a renumbering."""

    identity: str
    arg: str
    index: int
    label: str
    options: tuple[str, ...] | None = None
    """The values it accepts, when it offers a list of them."""


@dataclass(frozen=True)
class ListChoices:
    """What a role may put in one entity's list."""

    columns: dict[str, str]
    """Column name -> label, every readable column the list can show."""
    default_columns: tuple[str, ...]
    """The list's columns when nothing is configured (today's list for the role)."""
    sorts: dict[str, str]
    """Column name -> label, the columns the list may be sorted by."""
    filters: dict[str, FilterChoice]
    default_sort: tuple[str, bool] | None = None

    def filter_by_arg(self, arg: str) -> FilterChoice | None:
        return next((choice for choice in self.filters.values() if choice.arg == arg), None)


class StoredSettings(Protocol):
    """A stored view or role's settings as this module reads them: a `ListView` row, or the
    copy the list page caches (`saved_list_views.SavedView`)."""

    id: int
    columns: Sequence[str]
    sort_column: str | None
    sort_desc: bool
    filters: Sequence[Any]
    page_size: int

    @property
    def is_role_settings(self) -> bool: ...


@dataclass(frozen=True)
class ListSettings:
    columns: tuple[str, ...]
    sort: str | None = None
    sort_desc: bool = False
    filters: tuple[tuple[str, str], ...] = ()
    """(filter identity, value) pairs, in order."""
    page_size: int = DEFAULT_PAGE_SIZE
    view_id: int | None = None
    """The saved view these come from (None: the role's settings or the defaults)."""
    source: str = "default"
    """"default", "role" (Configure lists), "view" (a saved view) or "adjusted" (the chooser's
    unsaved `cols=`)."""
    notes: tuple[str, ...] = field(default=(), compare=False)


def default_settings(choices: ListChoices) -> ListSettings:
    sort, desc = choices.default_sort or (None, False)
    return ListSettings(columns=choices.default_columns, sort=sort, sort_desc=desc)


def checked_settings(choices: ListChoices, submitted: Mapping[str, Any]) -> ListSettings:
    """The settings as they will be stored, or RecordRefused naming every problem: a column,
    sort or filter the role may not use (unknown, or hidden by a field rule), a filter value
    its filter refuses, a page size out of bounds. `submitted` holds `columns` (names),
    `sort`, `sort_desc`, `filters` ([(URL argument, value)]) and `page_size` (text or int)."""
    problems: list[tuple[str, str]] = []
    columns = tuple(submitted.get("columns") or ())
    for name in columns:
        if name not in choices.columns:
            problems.append(("columns", f"{name!r} is not a column this list may show."))
    if not columns:
        problems.append(("columns", "Choose at least one column."))
    if len(set(columns)) != len(columns):
        problems.append(("columns", "A column is chosen twice."))
    sort = submitted.get("sort") or None
    if sort is not None and sort not in choices.sorts:
        problems.append(("sort", f"The list cannot be sorted by {sort!r}."))
    filters = []
    raw_filters = list(submitted.get("filters") or ())
    if len(raw_filters) > MOST_FILTERS:
        problems.append(("filters", f"A list has at most {MOST_FILTERS} default filters."))
    for arg, value in raw_filters:
        choice = choices.filter_by_arg(str(arg))
        if choice is None:
            problems.append(("filters", f"There is no filter {arg!r} on this list."))
        elif choice.options is not None and value not in choice.options:
            problems.append(("filters", f"{choice.label}: {value!r} is not one of its values."))
        else:
            filters.append((choice.identity, str(value)))
    page_size = _page_size(submitted.get("page_size"), problems)
    if problems:
        raise RecordRefused(problems)
    return ListSettings(
        columns=columns,
        sort=sort,
        sort_desc=bool(submitted.get("sort_desc")) and sort is not None,
        filters=tuple(filters),
        page_size=page_size,
    )


def _page_size(raw: Any, problems: list[tuple[str, str]]) -> int:
    try:
        size = int(raw)
    except (TypeError, ValueError):
        problems.append(("page_size", "The page size must be a whole number."))
        return DEFAULT_PAGE_SIZE
    if not LEAST_PAGE_SIZE <= size <= MOST_PAGE_SIZE:
        problems.append(
            ("page_size", f"The page size must be between {LEAST_PAGE_SIZE} and {MOST_PAGE_SIZE}.")
        )
    return size


def effective_settings(
    choices: ListChoices, stored: StoredSettings | None, adjusted_columns: Sequence[str] = ()
) -> ListSettings:
    """The settings a list page applies: `stored` (a view, or the role's settings) narrowed to
    what the role may use now, then the chooser's unsaved columns; anything a rule has hidden
    since it was saved is left out without a word (the list must not show it, nor fail)."""
    settings = default_settings(choices)
    if stored is not None:
        columns = tuple(name for name in stored.columns or () if name in choices.columns)
        sort = stored.sort_column if stored.sort_column in choices.sorts else None
        settings = ListSettings(
            columns=columns or choices.default_columns,
            sort=sort if sort else settings.sort,
            sort_desc=bool(stored.sort_desc) if sort else settings.sort_desc,
            filters=tuple(
                (entry["filter"], str(entry.get("value", "")))
                for entry in stored.filters or ()
                if isinstance(entry, Mapping) and entry.get("filter") in choices.filters
            ),
            page_size=min(
                max(stored.page_size or DEFAULT_PAGE_SIZE, LEAST_PAGE_SIZE), MOST_PAGE_SIZE
            ),  # fmt: skip
            view_id=None if stored.is_role_settings else stored.id,
            source="role" if stored.is_role_settings else "view",
        )
    adjusted = tuple(dict.fromkeys(name for name in adjusted_columns if name in choices.columns))
    if adjusted:
        settings = ListSettings(
            columns=adjusted,
            sort=settings.sort,
            sort_desc=settings.sort_desc,
            filters=settings.filters,
            page_size=settings.page_size,
            view_id=settings.view_id,
            source="adjusted",
        )
    return settings


def stored_form(settings: ListSettings) -> dict[str, Any]:
    """The settings as `ListView` columns hold them."""
    return {
        "columns": list(settings.columns),
        "sort_column": settings.sort,
        "sort_desc": settings.sort_desc,
        "filters": [{"filter": identity, "value": value} for identity, value in settings.filters],
        "page_size": settings.page_size,
    }

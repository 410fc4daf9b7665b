"""Config stamps: counters bumped in the same transaction as a configuration change.

- `forms`: any field rule or custom-field change (`RuleBook` drops its cached rules);
- `lists`: any saved list view or role's list settings (`admin_views.saved_list_views` drops its
  cached views);
- `ledger`: bumped by the database's own triggers (migration 0014) on any change the aging report
  shows; the cached aging figures are keyed by it (`reports.aging_cache`).

A web request reads every stamp once (`config_stamp`), so a change saved in one worker applies to
the next request in every other worker, with no restart and no rebuilding when nothing changed. A
logged-in request reads them with its session user, in the same statement (`with_stamps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session

from models.config import ConfigStamp, CustomField, FormFieldRule
from models.list_views import ListView

FORMS_STAMP = "forms"
LISTS_STAMP = "lists"
LEDGER_STAMP = "ledger"
STAMP_NAMES = (FORMS_STAMP, LISTS_STAMP, LEDGER_STAMP)
LEDGER_TRIGGERS = {
    "invoices": ("insert", "update", "delete"),
    "payments": ("insert", "update", "delete"),
    "credit_notes": ("insert", "update", "delete"),
    "accounts": ("insert", "update of code, name, type, group_id, account_manager_id", "delete"),
    "account_groups": ("insert", "update", "delete"),
    "manager_access": ("insert", "update", "delete"),
    "users": ("update of email", "delete"),
}
"""table -> the events whose triggers (migration 0014, which keeps its own copy, as a migration
must) bump the ledger stamp; on PostgreSQL a TRUNCATE trigger beside each DELETE. `flask report
verify` checks the database has them all."""
LEDGER_WATCHED_TABLES = frozenset(
    table for table, events in LEDGER_TRIGGERS.items() if events == ("insert", "update", "delete")
)
"""Tables any change of which moves the ledger stamp: every insert, delete and update of any
column. `accounts` is not one (an update moves it only for some columns, not its id, which every
join to it reads), nor is `users` (an insert moves nothing). The test suite checks this against
the triggers in the database (`tests/test_list_count_cache.py`)."""
_WATCHED = {FormFieldRule: FORMS_STAMP, CustomField: FORMS_STAMP, ListView: LISTS_STAMP}


_STAMPS_TABLE = ConfigStamp.__table__
_EVERY_STAMP = sa.select(_STAMPS_TABLE.c.name, _STAMPS_TABLE.c.version)
"""Built once, of the table's columns: read on every request, it skips the ORM's handling of
mapped attributes (a tenth of a millisecond a request)."""


def _read_stamps(session: Any) -> dict[str, int]:
    return {name: version for name, version in session.execute(_EVERY_STAMP)}


def with_stamps(statement: sa.Select) -> sa.Select:
    """`statement` with one more column per stamp, in `STAMP_NAMES` order.

    The session user's statement, the first of every logged-in request, brings the request's
    stamps back with it: on PostgreSQL a round trip of their own cost a tenth of a millisecond or
    more on every page. Hand the row's last columns to `keep_request_stamps`.
    """
    versions = (
        sa.select(_STAMPS_TABLE.c.version).where(_STAMPS_TABLE.c.name == name).scalar_subquery()
        for name in STAMP_NAMES
    )
    return statement.add_columns(*versions)


def keep_request_stamps(versions: Sequence[int | None]) -> None:
    """The stamps `with_stamps` read, as this request's, unless it has read them already."""
    if "config_stamps" not in g:
        read = zip(STAMP_NAMES, versions, strict=True)
        g.config_stamps = {name: version or 0 for name, version in read}


def config_stamp(session: Any, name: str) -> int:
    """The stamp `name` (0 before its first change): in a web request as the request began (all
    stamps are read once, by its first caller), elsewhere as it is now."""
    if not has_request_context():
        return _read_stamps(session).get(name, 0)
    if "config_stamps" not in g:
        g.config_stamps = _read_stamps(session)
    return g.config_stamps.get(name, 0)


def _bump_when_configuration_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    names = {
        name for record in changed for model, name in _WATCHED.items() if isinstance(record, model)
    }
    for name in sorted(names):
        bumped = session.execute(
            sa.update(ConfigStamp)
            .where(ConfigStamp.name == name)
            .values(version=ConfigStamp.version + 1)
        )
        if bumped.rowcount == 0:
            session.add(ConfigStamp(name=name, version=1))


def watch_config_changes() -> None:
    """Listen on every session (idempotent): rules can change from the grid, the CRUD views or an
    import, and each path must move the stamp."""
    if not sa.event.contains(Session, "before_flush", _bump_when_configuration_changes):
        sa.event.listen(Session, "before_flush", _bump_when_configuration_changes)

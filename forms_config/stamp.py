"""The `forms` config stamp: bumped in the same transaction as any rule or custom-field change.

Every worker compares the stamp once per request (`RuleBook.refresh_if_stale`), so a rule saved
in one worker applies to the next request in every other worker, with no restart and no
rebuilding when nothing changed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.config import ConfigStamp, CustomField, FormFieldRule

FORMS_STAMP = "forms"
_WATCHED = (FormFieldRule, CustomField)


def current_stamp(session: Any) -> int:
    return (
        session.scalar(sa.select(ConfigStamp.version).where(ConfigStamp.name == FORMS_STAMP)) or 0
    )


def _bump_when_configuration_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(record, _WATCHED) for record in changed):
        return
    bumped = session.execute(
        sa.update(ConfigStamp)
        .where(ConfigStamp.name == FORMS_STAMP)
        .values(version=ConfigStamp.version + 1)
    )
    if bumped.rowcount == 0:
        session.add(ConfigStamp(name=FORMS_STAMP, version=1))


def watch_config_changes() -> None:
    """Listen on every session (idempotent): rules can change from the grid, the CRUD views or an
    import, and each path must move the stamp."""
    if not sa.event.contains(Session, "before_flush", _bump_when_configuration_changes):
        sa.event.listen(Session, "before_flush", _bump_when_configuration_changes)

"""Commit a configurator's change, or show why it was refused: one way for every settings page.

Checks that run on flush raise `RecordRefused` with every reason at once; a page shows each
reason as a message and says that nothing was kept, instead of keeping half a change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from extensions import db
from models.base import RecordRefused

Saved = TypeVar("Saved")


def commit_or_flash_refusal(
    write: Callable[[], Saved], nothing_saved: str = "Nothing was saved."
) -> Saved | None:
    """Run `write` and commit; on refusal roll back, flash every reason and `nothing_saved`,
    and return None so the caller can tell the two apart."""
    try:
        saved = write()
        db.session.commit()
    except RecordRefused as refused:
        db.session.rollback()
        for _field, message in refused.reasons:
            flash(message, "danger")
        flash(nothing_saved, "danger")
        return None
    return saved

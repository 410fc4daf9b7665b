"""Unexpected errors as users see them: a plain sentence and a reference; the details go to the log.

An exception's text can hold SQL, its parameters and the driver's name, so no page and no flash
message may show it. Every place that catches an unexpected error builds its message here: the
exception is logged in full under a fresh reference, and the user's message quotes the same
reference, so that a screenshot leads support to the log entry.
"""

from __future__ import annotations

import logging
import secrets

log = logging.getLogger(__name__)


def logged_error_message(what_happened: str, context: str) -> str:
    """Log the exception being handled under a new reference; return `what_happened` with it.

    `what_happened` is for the user ("Nothing was saved."); `context` is for the log only (the
    view and the records involved).
    """
    reference = secrets.token_hex(4).upper()
    log.error("error reference %s: %s", reference, context, exc_info=True)
    return f"{what_happened} The error was logged with reference {reference}."

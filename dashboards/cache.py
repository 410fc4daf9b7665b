"""The figures' cache: a widget's result kept per (widget, parameters, role, scope) for a while.

Scope is the rows the figures cover: "all" for roles that see every row, the user's id for a
manager (their accounts) and for widgets about the viewer (assigned to me). The key also holds a
fingerprint of what the role may not read, so figures built under other field rules (a credit
limit shown before it was hidden) are never served; a rule for another role leaves them be.
Every result carries the time it was computed, which the page shows ("as of 14:05 UTC");
"Refresh" recomputes the viewer's widgets.

Flask-Caching holds the entries (and the aging report's, `reports.aging_cache`): by default a
file cache in the instance folder, shared by every worker on the host (a `flask dashboards warm`
run from cron fills it for everyone); a mapping `DASHBOARD_CACHE` in the configuration replaces
it (Redis, for several hosts), and tests get a per-app memory cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from flask import Flask, g, has_app_context
from flask_caching import Cache

from dashboards.registry import NO_CACHE, USER_SCOPE, WidgetKind
from extensions import db
from forms_config.readability import reading_as, unreadable_fields
from models.base import utcnow
from models.scoping import SCOPED_ROLES

DEFAULT_SECONDS = 15 * 60
figures_cache = Cache()


def init_dashboard_cache(app: Flask) -> None:
    config = {
        "CACHE_TYPE": "SimpleCache" if app.testing else "FileSystemCache",
        "CACHE_DIR": str(Path(app.instance_path) / "dashboard-cache"),
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_SECONDS,
        "CACHE_THRESHOLD": 20_000,
    }
    config.update(app.config.get("DASHBOARD_CACHE", {}))
    figures_cache.init_app(app, config=config)


def rows_scope(viewer: Any) -> str:
    """Which rows figures built for `viewer` cover: "all", or "user:ID" for a scoped role (a
    manager's accounts). Cached aging figures are keyed by it too (`reports.aging_cache`)."""
    return f"user:{viewer.id}" if viewer.role in SCOPED_ROLES else "all"


def scope_of(kind: WidgetKind, viewer: Any) -> str:
    return f"user:{viewer.id}" if kind.scope == USER_SCOPE else rows_scope(viewer)


def unreadable_fingerprint(role: str) -> str:
    """A short digest of every field `role` may not read, over every entity (once a request)."""
    memo = g.setdefault("dashboard_fingerprints", {}) if has_app_context() else {}
    if role not in memo:
        entities = sorted(mapper.class_.__name__ for mapper in db.Model.registry.mappers)
        hidden = [(entity, sorted(unreadable_fields(entity, role))) for entity in entities]
        memo[role] = hashlib.sha256(json.dumps(hidden).encode()).hexdigest()[:16]
    return memo[role]


def cache_key(kind: WidgetKind, params: dict[str, Any], role: str, viewer: Any) -> str:
    parameters = json.dumps(params, sort_keys=True, separators=(",", ":"))
    rules = unreadable_fingerprint(role)
    return f"dashboard:{kind.key}:{parameters}:{role}:{scope_of(kind, viewer)}:{rules}"


def widget_figures(
    session: Any, kind: WidgetKind, params: dict[str, Any], role: str, viewer: Any,
    refresh: bool = False,
) -> tuple[Any, dt.datetime]:  # fmt: skip
    """(result, computed at, UTC): from the cache unless `refresh`, else computed as `role`."""
    if kind.scope == NO_CACHE:
        return kind.compute(session, viewer, params), utcnow()
    key = cache_key(kind, params, role, viewer)
    if not refresh:
        cached = figures_cache.get(key)
        if cached is not None:
            result, computed_at = cached
            return result, computed_at
    with reading_as(role):
        result = kind.compute(session, viewer, params)
    computed_at = utcnow()
    figures_cache.set(key, (result, computed_at))
    return result, computed_at

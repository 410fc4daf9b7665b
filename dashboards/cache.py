"""The figures' cache: a widget's result kept per (widget, parameters, role, scope) for a while.

Scope is the rows the figures cover: "all" for roles that see every row, the user's id for a
manager (their accounts) and for widgets about the viewer (assigned to me). The key also holds the
forms config stamp, so a Configure Forms change never serves figures built under the old rules.
Every result carries the time it was computed, which the page shows ("as of 14:05 UTC");
"Refresh" recomputes the viewer's widgets.

Flask-Caching holds the entries: by default a file cache in the instance folder, shared by every
worker on the host (a `flask dashboards warm` run from cron fills it for everyone); a mapping
`DASHBOARD_CACHE` in the configuration replaces it (Redis, for several hosts), and tests get a
per-app memory cache.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask_caching import Cache

from dashboards.registry import NO_CACHE, USER_SCOPE, WidgetKind
from forms_config.readability import reading_as
from forms_config.stamp import current_stamp
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


def scope_of(kind: WidgetKind, viewer: Any) -> str:
    if kind.scope == USER_SCOPE or viewer.role in SCOPED_ROLES:
        return f"user:{viewer.id}"
    return "all"


def cache_key(
    session: Any, kind: WidgetKind, params: dict[str, Any], role: str, viewer: Any
) -> str:
    parameters = json.dumps(params, sort_keys=True, separators=(",", ":"))
    stamp = current_stamp(session)
    return f"dashboard:{kind.key}:{parameters}:{role}:{scope_of(kind, viewer)}:{stamp}"


def widget_figures(
    session: Any, kind: WidgetKind, params: dict[str, Any], role: str, viewer: Any,
    refresh: bool = False,
) -> tuple[Any, dt.datetime]:  # fmt: skip
    """(result, computed at, UTC): from the cache unless `refresh`, else computed as `role`."""
    if kind.scope == NO_CACHE:
        return kind.compute(session, viewer, params), utcnow()
    key = cache_key(session, kind, params, role, viewer)
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

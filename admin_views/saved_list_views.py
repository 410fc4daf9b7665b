"""Reading and saving `ListView` rows: a role's list settings, views shared with a role, and a
person's own views. Every save takes settings already through `list_settings.checked_settings`
and is audited; the caller commits.

Who may use a view: its owner, anyone of the role it is shared with, and super admins (who share
them, so may see and remove every shared one). Anyone else asking for it by id is told it does
not exist (404), as for a record outside their accounts; another person's own view is theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from admin_views.list_settings import ListSettings, stored_form
from forms_config.stamp import LISTS_STAMP, config_stamp
from models.audit import AuditEvent, changed_values
from models.base import RecordRefused
from models.list_views import ROLE_SETTINGS_NAME, ListView

SAVED_MEANWHILE = (
    "Someone saved this list's settings meanwhile. Reload the page to see them; nothing was saved."
)


def role_settings(session: Any, entity: str, role: str) -> ListView | None:
    return session.scalar(
        sa.select(ListView).where(
            ListView.entity == entity,
            ListView.role == role,
            ListView.owner_id.is_(None),
            ListView.name == ROLE_SETTINGS_NAME,
        )
    )


@dataclass(frozen=True)
class SavedView:
    """What a list page reads of a `ListView` row: a copy that outlives the request's session."""

    id: int
    role: str | None
    owner_id: int | None
    name: str
    columns: tuple[str, ...]
    sort_column: str | None
    sort_desc: bool
    filters: tuple[Any, ...]
    page_size: int

    @property
    def is_role_settings(self) -> bool:
        return self.owner_id is None and self.name == ROLE_SETTINGS_NAME

    @classmethod
    def of(cls, row: ListView) -> SavedView:
        return cls(
            id=row.id, role=row.role, owner_id=row.owner_id, name=row.name,
            columns=tuple(row.columns or ()), sort_column=row.sort_column,
            sort_desc=bool(row.sort_desc), filters=tuple(row.filters or ()),
            page_size=row.page_size,
        )  # fmt: skip


@dataclass(frozen=True)
class ListViewsOf:
    """One person's list views of one entity: their role's settings (None: the list's defaults)
    and the named views they may pick, the shared ones then their own."""

    role_settings: SavedView | None
    views: tuple[SavedView, ...]

    def usable(self, raw_id: Any) -> SavedView | None:
        """The named view `raw_id`, when it is one of theirs (as `usable_view` answers)."""
        try:
            view_id = int(raw_id)
        except (TypeError, ValueError):
            return None
        return next((view for view in self.views if view.id == view_id), None)


MOST_CACHED = 5000
"""(entity, person) entries a worker keeps; past it the cache starts again (a crawl of every
list by every user, say), so its memory stays bounded."""


@dataclass
class ListViewCache:
    """The per-worker cache of `ListViewsOf`, dropped when the `lists` config stamp moves (any
    save or delete of a `ListView`, in any worker): a list page reads its views with no query."""

    stamp: int | None = None
    entries: dict[tuple[str, int, str], ListViewsOf] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def views_of(self, session: Any, user: Any, entity: str) -> ListViewsOf:
        stamp = config_stamp(session, LISTS_STAMP)
        if stamp != self.stamp or len(self.entries) >= MOST_CACHED:
            with self.lock:
                self.entries, self.stamp = {}, stamp
        key = (entity, user.id, user.role)
        if key not in self.entries:
            self.entries[key] = _read_views_of(session, user, entity)
        return self.entries[key]


def list_views_of(session: Any, user: Any, entity: str) -> ListViewsOf:
    """`user`'s role settings and named views of `entity`'s list, from the worker's cache."""
    cache = current_app.extensions.setdefault("list_view_cache", ListViewCache())
    return cache.views_of(session, user, entity)


def _read_views_of(session: Any, user: Any, entity: str) -> ListViewsOf:
    """One query for both: the role's settings, the views shared with the role (every shared
    view for a super admin) and the person's own."""
    shared = ListView.owner_id.is_(None)
    if user.role != "super_admin":
        shared = sa.and_(shared, ListView.role == user.role)
    rows = session.scalars(
        sa.select(ListView)
        .where(ListView.entity == entity, sa.or_(shared, ListView.owner_id == user.id))
        .order_by(ListView.owner_id.is_not(None), sa.func.lower(ListView.name), ListView.id)
    )
    views = [SavedView.of(row) for row in rows]
    role_settings = next(
        (view for view in views if view.is_role_settings and view.role == user.role), None
    )
    return ListViewsOf(role_settings, tuple(view for view in views if not view.is_role_settings))


def usable_view(session: Any, user: Any, entity: str, raw_id: Any) -> ListView | None:
    """The named view `raw_id` when `user` may use it on `entity`'s list, else None."""
    try:
        view_id = int(raw_id)
    except (TypeError, ValueError):
        return None
    view = session.get(ListView, view_id) if 0 < view_id < 2**31 else None
    if view is None or view.entity != entity or view.name == ROLE_SETTINGS_NAME:
        return None
    if view.owner_id == user.id:
        return view
    if view.owner_id is None and user.role in (view.role, "super_admin"):
        return view
    return None


def _audit(
    session: Any, action: str, entity_id: str, before: dict, after: dict, actor: Mapping
) -> None:
    session.add(
        AuditEvent(
            action=action,
            entity="ListView",
            entity_id=entity_id,
            changes=changed_values(before, after),
            **actor,
        )
    )


def save_role_settings(
    session: Any, entity: str, role: str, settings: ListSettings, actor: Mapping[str, Any],
    expected_version: int | None,
) -> ListView:  # fmt: skip
    """Store `role`'s list settings for `entity`, audited. Settings saved by someone else since
    the editor was opened (`expected_version`, 0 for none) are refused, not overwritten."""
    stored = role_settings(session, entity, role)
    current_version = stored.version_id if stored is not None else 0
    if expected_version is not None and expected_version != current_version:
        raise RecordRefused([("version", SAVED_MEANWHILE)])
    before = stored_form_of(stored)
    if stored is None:
        stored = ListView(entity=entity, role=role, name=ROLE_SETTINGS_NAME)
        session.add(stored)
    for name, value in stored_form(settings).items():
        setattr(stored, name, value)
    stored.updated_by_id = actor.get("user_id")
    session.flush()
    _audit(session, "update", f"{entity}/{role}", before, stored_form(settings), actor)
    return stored


def reset_role_settings(session: Any, entity: str, role: str, actor: Mapping[str, Any]) -> None:
    """Back to the list's defaults for `role` (the row goes), audited."""
    stored = role_settings(session, entity, role)
    if stored is not None:
        _audit(session, "delete", f"{entity}/{role}", stored_form_of(stored), {}, actor)
        session.delete(stored)


def save_named_view(
    session: Any, entity: str, name: str, settings: ListSettings, actor: Mapping[str, Any],
    owner_id: int | None, shared_role: str | None,
) -> ListView:  # fmt: skip
    """Store a named view: the owner's own (`owner_id`), or shared with `shared_role`. A view of
    the same name and audience is replaced, as "save" over a file of the same name does."""
    name = name.strip()
    if not name:
        raise RecordRefused([("name", "Give the view a name.")])
    if len(name) > 80:
        raise RecordRefused([("name", "A view's name has at most 80 characters.")])
    audience = (
        ListView.owner_id == owner_id
        if owner_id is not None
        else sa.and_(ListView.owner_id.is_(None), ListView.role == shared_role)
    )
    view = session.scalar(
        sa.select(ListView).where(ListView.entity == entity, ListView.name == name, audience)
    )
    before = stored_form_of(view)
    if view is None:
        view = ListView(entity=entity, name=name, owner_id=owner_id, role=shared_role)
        session.add(view)
    for attribute, value in stored_form(settings).items():
        setattr(view, attribute, value)
    view.updated_by_id = actor.get("user_id")
    session.flush()
    _audit(session, "update", str(view.id), before, {"name": name, **stored_form(settings)}, actor)
    return view


def delete_named_view(session: Any, view: ListView, actor: Mapping[str, Any]) -> None:
    _audit(session, "delete", str(view.id), stored_form_of(view), {}, actor)
    session.delete(view)


def stored_form_of(view: ListView | None) -> dict[str, Any]:
    if view is None:
        return {}
    return {
        **({"name": view.name} if view.name else {}),
        "columns": list(view.columns or ()),
        "sort_column": view.sort_column,
        "sort_desc": view.sort_desc,
        "filters": list(view.filters or ()),
        "page_size": view.page_size,
    }

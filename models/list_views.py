"""List views: which columns, sort, filters and page size a list of one entity shows.

Three kinds of row share the table (`dashboard_layouts` holds the same idea for home pages):
- a role's list settings (Settings → Configure lists): `role` set, no owner, `name` empty;
- a named view a super admin shares with a role: `role` set, no owner, a `name`;
- a person's own named view (the list page's column chooser): `owner_id` set, a `name`.
No row for a role: the list as the generic view draws it. Deliberately not a `PanelModel`: every
save goes through the one check (`admin_views.list_settings.checked_settings`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import CustomFieldValues, Versioned, utcnow

ROLE_SETTINGS_NAME = ""
"""The `name` of a role's own list settings (the list its people land on)."""


class ListView(Versioned, db.Model):
    """`columns`: column names in order; `filters`: [{"filter": identity, "value": text}]."""

    __tablename__ = "list_views"
    __table_args__ = (
        sa.UniqueConstraint("entity", "role", "name", name="uq_list_views_role_name"),
        sa.UniqueConstraint("entity", "owner_id", "name", name="uq_list_views_owner_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80), default=ROLE_SETTINGS_NAME)
    columns: Mapped[list[str]] = mapped_column(CustomFieldValues, default=list)
    sort_column: Mapped[str | None] = mapped_column(sa.String(80))
    sort_desc: Mapped[bool] = mapped_column(default=False)
    filters: Mapped[list[dict[str, Any]]] = mapped_column(CustomFieldValues, default=list)
    page_size: Mapped[int] = mapped_column(default=20)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    @property
    def is_role_settings(self) -> bool:
        return self.owner_id is None and self.name == ROLE_SETTINGS_NAME

    def __str__(self) -> str:
        if self.is_role_settings:
            return f"{self.entity} list of {self.role}"
        return self.name

"""Dashboard layouts: which widgets each panel role's home page shows, in order, with parameters.

One row per role; no row means the role's shipped default (`dashboards.layouts`). Deliberately
not a `PanelModel`: the generic CRUD views would write it around the one validation every layout
passes (`dashboards.layouts.checked_layout`); the super admin edits it on Configure dashboards.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import CustomFieldValues, Versioned, utcnow


class DashboardLayout(Versioned, db.Model):
    """A role's dashboard: `widgets` is a list of {"widget": key, "params": {name: value}}."""

    __tablename__ = "dashboard_layouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), unique=True)
    widgets: Mapped[list[dict[str, Any]]] = mapped_column(CustomFieldValues, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    def __str__(self) -> str:
        return f"Dashboard of {self.role}"

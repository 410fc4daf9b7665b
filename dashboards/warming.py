"""Computing every role's dashboard figures ahead of their viewers.

The worker does it every five minutes (`jobs.queue`), and `flask dashboards warm` on demand, so
that on a large ledger nobody waits for a figure: a viewer gets the cached one and its time.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboards.cache import widget_figures
from dashboards.layouts import finance_hidden_from, layout_for
from dashboards.registry import REGISTRY, ROW_SCOPE, ParameterRefused, may_show
from models.people import PANEL_ROLES, User
from models.scoping import SCOPED_ROLES


@dataclass(frozen=True)
class RoleViewer:
    """Whoever of a role that sees every row: their figures are the same for all of them."""

    role: str
    id: int = 0


@dataclass(frozen=True)
class WarmedFigures:
    widgets: int
    viewers: int


def warm_dashboards(session: Session, managers: bool = True) -> WarmedFigures:
    """Recompute the row-scoped widgets of every role's layout (and each active manager's, for
    their accounts) into the cache. Widgets about the viewer themselves (assigned to me) are
    computed when that viewer opens the page."""
    viewers: list[object] = [RoleViewer(role) for role in PANEL_ROLES if role not in SCOPED_ROLES]
    if managers:
        viewers += session.scalars(
            sa.select(User).where(User.role.in_(SCOPED_ROLES), User.active.is_(True))
        ).all()
    computed = 0
    for viewer in viewers:
        finance_hidden = finance_hidden_from(session, viewer.role)
        for placement in layout_for(session, viewer.role):
            kind = REGISTRY.get(placement.get("widget", ""))
            if kind is None or kind.scope != ROW_SCOPE:
                continue
            try:
                params = kind.parsed_parameters(placement.get("params", {}))
            except ParameterRefused:
                continue
            if may_show(kind, params, viewer.role, finance_hidden):
                widget_figures(session, kind, params, viewer.role, viewer, refresh=True)
                computed += 1
    return WarmedFigures(widgets=computed, viewers=len(viewers))
